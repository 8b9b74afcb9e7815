//! Finding a backlog on disk and reading it in its own layout.
//!
//! Two layouts are supported and never converted into each other: Backlog.md
//! (`backlog/config.yml`, `backlog/tasks/*.md`) and kano-agent-backlog-skill
//! (`_kano/backlog/products/<product>/items/<type>/<bucket>/*.md`). Everything that differs
//! between them (paths, field names, statuses, the date format of `updated`, file naming)
//! lives in [`backlog_md`] and [`kano`]; the rest of tack talks to [`Backlog`].

pub mod backlog_md;
pub mod fields;
pub mod kano;
pub mod order;
pub mod temp;

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fs;
use std::path::{Component, Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;

use crate::error::UsageError;
use crate::item::{self, Fields, FrontmatterEnd, Item, Problem};

/// Which layout a backlog uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayoutKind {
    BacklogMd,
    Kano,
}

impl LayoutKind {
    pub fn name(self) -> &'static str {
        match self {
            LayoutKind::BacklogMd => "Backlog.md",
            LayoutKind::Kano => "kano",
        }
    }
}

/// An opened backlog: its root directory and what its layout says about it.
#[derive(Debug, Clone)]
pub struct Backlog {
    /// The directory holding `backlog/` or `_kano/` (canonical path).
    pub root: PathBuf,
    pub kind: LayoutKind,
    /// Column order as configured by the layout (more may appear from the cards themselves).
    pub statuses: Vec<String>,
    /// Backlog.md `task_prefix` (e.g. `task`), used to name and number new files.
    pub task_prefix: String,
    /// kano products: (name, directory relative to root, id prefix).
    pub products: Vec<kano::Product>,
    /// Backlog.md `definition_of_done`: the checklist every new task starts with.
    pub definition_of_done: Vec<String>,
    /// Backlog.md `default_status`: where a new task goes when no status is given.
    pub default_status: Option<String>,
}

/// A file the layout considers a candidate card, with what reconcile needs to see change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStat {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
    /// Inode change time: a `chmod` (a card made unreadable) changes only this.
    pub ctime_ns: i64,
}

/// What reading one file gave.
#[derive(Debug, Clone)]
pub enum Parsed {
    Item(Box<Item>),
    Problem(Problem),
}

/// A file read from disk: its stamp (to detect change later) and what it holds.
#[derive(Debug, Clone)]
pub struct ReadFile {
    pub stat: FileStat,
    pub hash: String,
    pub parsed: Parsed,
}

/// Walk up from `start` to the first directory that holds a backlog of either layout.
pub fn find_root(start: &Path) -> Result<(PathBuf, LayoutKind)> {
    let start = fs::canonicalize(start)
        .map_err(|err| UsageError(format!("cannot open directory {}: {err}", start.display())))?;
    start
        .ancestors()
        .find_map(|dir| layout_in(dir).map(|kind| (dir.to_path_buf(), kind)))
        .ok_or_else(|| no_backlog(&start).into())
}

/// The layout of the backlog `dir` itself holds, if any (its parents are not looked at).
pub fn layout_in(dir: &Path) -> Option<LayoutKind> {
    if dir.join("backlog/config.yml").is_file() {
        Some(LayoutKind::BacklogMd)
    } else if kano::is_root(dir) {
        Some(LayoutKind::Kano)
    } else {
        None
    }
}

/// What marks `dir` itself as holding a backlog already, for `tack init` to refuse: a
/// backlog tack reads, or a Backlog.md config tack does not read but Backlog.md would
/// (`backlog/config.yaml`, a root `backlog.config.yml`), so init never adds a second config
/// beside one.
pub fn existing_backlog(dir: &Path) -> Option<String> {
    match layout_in(dir) {
        Some(LayoutKind::BacklogMd) => return Some("backlog/config.yml".into()),
        Some(LayoutKind::Kano) => return Some("a kano backlog".into()),
        None => {}
    }
    [
        "backlog/config.yaml",
        "backlog.config.yml",
        "backlog.config.yaml",
    ]
    .into_iter()
    .find(|rel| dir.join(rel).exists())
    .map(str::to_string)
}

/// Outside any backlog every command says so in one sentence and points at `tack init`: a
/// usage error (exit 2), since running in the wrong directory is the usual cause.
fn no_backlog(start: &Path) -> UsageError {
    UsageError(format!(
        "no backlog here or in any parent directory of {} (looked for backlog/config.yml, \
         .kano/backlog_config.toml and _kano/backlog/products/); create one with `tack init`",
        start.display()
    ))
}

/// Create the file `path` holding `bytes`, failing if anything is already there: `tack init`
/// never overwrites a file, even one that appeared after it checked.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut file = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(UsageError(format!(
                "{} already exists; tack init never overwrites a file",
                path.display()
            ))
            .into())
        }
        Err(err) => return Err(err).wrap_err_with(|| format!("cannot create {}", path.display())),
    };
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .wrap_err_with(|| format!("cannot write {}", path.display()))
}

/// Create `rel` (and its parents) under `root`; a folder already there is fine.
pub(crate) fn create_dirs(root: &Path, rel: &str) -> Result<()> {
    let path = root.join(rel);
    fs::create_dir_all(&path).wrap_err_with(|| format!("cannot create {}", path.display()))
}

impl Backlog {
    /// Open the backlog found from `start` (a directory or a file inside the backlog).
    pub fn discover(start: &Path) -> Result<Backlog> {
        let dir = if start.is_file() {
            start.parent().unwrap_or(Path::new("."))
        } else {
            start
        };
        let (root, kind) = find_root(dir)?;
        Self::open(root, kind)
    }

    pub fn open(root: PathBuf, kind: LayoutKind) -> Result<Backlog> {
        match kind {
            LayoutKind::BacklogMd => backlog_md::open(root),
            LayoutKind::Kano => kano::open(root),
        }
    }

    /// Every file that may be a card, with its size and mtime. Sorted by path.
    pub fn list_files(&self) -> Vec<FileStat> {
        let mut files = match self.kind {
            LayoutKind::BacklogMd => backlog_md::list_files(self),
            LayoutKind::Kano => kano::list_files(self),
        };
        files.sort_by(|a, b| a.path.cmp(&b.path));
        // Two names can read alike once a non-UTF-8 one is shown lossily; reconcile needs
        // each path once.
        files.dedup_by(|a, b| a.path == b.path);
        files
    }

    /// Whether a root-relative path is one this layout reads as a card (used by the watcher).
    pub fn is_item_path(&self, rel: &str) -> bool {
        match self.kind {
            LayoutKind::BacklogMd => backlog_md::is_item_path(self, rel),
            LayoutKind::Kano => kano::is_item_path(self, rel),
        }
    }

    pub fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Root-relative, `/`-separated form of a path inside the backlog, or `None` if it is outside.
    pub fn rel(&self, path: &Path) -> Option<String> {
        self.rel_with(path, |name| name.to_str().map(Cow::Borrowed))
    }

    /// `path` as the walk lists it: like [`Backlog::rel`], but a name that is not UTF-8 reads
    /// lossily (U+FFFD for the bad bytes), the form its problem entry is stored under. The
    /// watcher needs this to report such a file as it appears, changes and goes; nothing may
    /// write to the lossy form, which names no file.
    pub fn rel_as_listed(&self, path: &Path) -> Option<String> {
        self.rel_with(path, |name| Some(name.to_string_lossy()))
    }

    fn rel_with<'p>(
        &self,
        path: &'p Path,
        name: impl Fn(&'p OsStr) -> Option<Cow<'p, str>>,
    ) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Option<Vec<Cow<str>>> = rel
            .components()
            .map(|c| match c {
                Component::Normal(s) => name(s),
                _ => None,
            })
            .collect();
        Some(parts?.join("/"))
    }

    /// Read and parse one file. Never fails: what cannot be read becomes a problem.
    pub fn read(&self, rel: &str) -> Option<ReadFile> {
        let abs = self.abs(rel);
        let meta = match fs::metadata(&abs) {
            Ok(meta) => meta,
            Err(_) => return self.read_non_utf8_name(rel),
        };
        let stat = stat_of(rel, &meta);
        // Judge a file too large by its size, before reading it: a multi-gigabyte log named
        // `.md` must not be read into memory (and hashed) on every walk. Its stamp stands in
        // for the content hash, so a change to it is still noticed.
        if meta.len() > MAX_FILE_BYTES {
            return Some(ReadFile {
                hash: format!("too-large:{}:{}", stat.size, stat.mtime_ns),
                stat,
                parsed: Parsed::Problem(Problem {
                    path: rel.to_string(),
                    line: None,
                    message: too_large(meta.len()),
                }),
            });
        }
        let bytes = match fs::read(&abs) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
            Err(err) => {
                return Some(ReadFile {
                    stat,
                    hash: String::new(),
                    parsed: Parsed::Problem(Problem {
                        path: rel.to_string(),
                        line: None,
                        message: format!("cannot read: {err}"),
                    }),
                })
            }
        };
        let hash = item::content_hash(&bytes);
        let parsed = self.parse_bytes(rel, &bytes);
        Some(ReadFile { stat, hash, parsed })
    }

    /// `rel` as the walk lists a file whose name is not UTF-8 (its lossy form, see
    /// `list_dir`): no file has that name, so find the one whose name reads so and report it.
    /// The stamp is the real file's, so reconcile sees it unchanged on the next run instead of
    /// re-reading it (and dropping it) on every command; its content is never parsed, since
    /// no edit could be written back to a path tack cannot name.
    fn read_non_utf8_name(&self, rel: &str) -> Option<ReadFile> {
        use std::os::unix::ffi::OsStrExt;
        if !rel.contains(char::REPLACEMENT_CHARACTER) {
            return None;
        }
        let (dir, name) = rel.rsplit_once('/')?;
        let meta = fs::read_dir(self.abs(dir)).ok()?.flatten().find_map(|e| {
            let os_name = e.file_name();
            (std::str::from_utf8(os_name.as_bytes()).is_err() && os_name.to_string_lossy() == name)
                .then(|| fs::metadata(e.path()).ok())
                .flatten()
        })?;
        let stat = stat_of(rel, &meta);
        Some(ReadFile {
            hash: format!("non-utf8-name:{}:{}", stat.size, stat.mtime_ns),
            stat,
            parsed: Parsed::Problem(Problem {
                path: rel.to_string(),
                line: None,
                message: "file name is not UTF-8: rename it (tack stores paths as text)".into(),
            }),
        })
    }

    /// Parse file contents as a card of this layout, or say why it is not one.
    pub fn parse_bytes(&self, rel: &str, bytes: &[u8]) -> Parsed {
        let problem = |line: Option<u32>, message: String| {
            Parsed::Problem(Problem {
                path: rel.to_string(),
                line,
                message,
            })
        };
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return problem(None, too_large(bytes.len() as u64));
        }
        let text = match item::decode(bytes) {
            Ok(text) => text,
            Err((line, message)) => return problem(Some(line), message),
        };
        let split = match self.split(text) {
            Ok(split) => split,
            Err(err) => return problem(Some(err.line), err.message.to_string()),
        };
        let fields = match item::parse_yaml(&split) {
            Ok(fields) => fields,
            Err(err) => return problem(err.line, err.message),
        };
        let mapped = match self.kind {
            LayoutKind::BacklogMd => backlog_md::to_item(rel, fields),
            LayoutKind::Kano => kano::to_item(rel, fields),
        };
        match mapped {
            Ok(item) => Parsed::Item(Box::new(item)),
            Err(missing) => problem(Some(key_line(&split, &missing.key)), missing.message),
        }
    }

    /// How this layout's own tool finds the end of a card's frontmatter: Backlog.md reads with
    /// gray-matter, which stops at the first line beginning with `---` (its own files have
    /// `---## Description`); kano needs a lone `---` line.
    pub fn frontmatter_end(&self) -> FrontmatterEnd {
        match self.kind {
            LayoutKind::BacklogMd => FrontmatterEnd::LineStartsWithDashes,
            LayoutKind::Kano => FrontmatterEnd::ExactDelimiter,
        }
    }

    /// Split a card file of this layout into frontmatter and body, as its own tool would.
    /// Every reader of card files goes through here, so the board, `show`, the mirror and the
    /// writer all agree on where the body begins.
    pub fn split<'a>(
        &self,
        text: &'a str,
    ) -> std::result::Result<item::Split<'a>, item::SplitError> {
        item::split_with(text, self.frontmatter_end())
    }

    /// The frontmatter key holding the status, and the one holding the last-updated date.
    pub fn status_key(&self) -> &'static str {
        match self.kind {
            LayoutKind::BacklogMd => "status",
            LayoutKind::Kano => "state",
        }
    }

    /// Column order: the configured statuses, then any other status the cards use — except
    /// kano's legacy `New`, which comes before Proposed in kano's own flow.
    pub fn columns<'a>(&self, used: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut columns = self.statuses.clone();
        let mut extra: Vec<String> = used
            .into_iter()
            .filter(|s| !columns.iter().any(|c| c == s))
            .map(str::to_string)
            .collect();
        extra.sort();
        extra.dedup();
        if self.kind == LayoutKind::Kano {
            if let Some(at) = extra.iter().position(|s| s == kano::LEGACY_FIRST_STATE) {
                columns.insert(0, extra.remove(at));
            }
        }
        columns.extend(extra);
        columns
    }

    /// The status as spelled in the configuration, matched without regard to case and spaces.
    pub fn canonical_status(&self, wanted: &str, used: &[String]) -> Option<String> {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        let wanted = norm(wanted);
        self.statuses
            .iter()
            .chain(used.iter())
            .find(|s| norm(s) == wanted)
            .cloned()
    }

    /// Where a new card goes and its first content, named and numbered as the layout's own
    /// tool does. `existing` are the display ids in use; `ordinals` (Backlog.md) the ordinals.
    pub fn new_item(
        &self,
        card: &NewCard,
        existing: &[String],
        ordinals: backlog_md::OrdinalsInUse,
    ) -> std::result::Result<NewFile, crate::error::UsageError> {
        let card = NewCard {
            title: clean_title(&card.title)?,
            ..card.clone()
        };
        let status = match &card.status {
            Some(status) => status.clone(),
            None => self.default_status(),
        };
        match self.kind {
            LayoutKind::BacklogMd => Ok(backlog_md::new_item(
                self, &card, &status, existing, ordinals,
            )),
            LayoutKind::Kano => kano::new_item(self, &card, &status, existing),
        }
    }

    /// Where a new card goes when no status is asked for: Backlog.md's `default_status`, else
    /// the first column.
    pub fn default_status(&self) -> String {
        self.default_status
            .clone()
            .or_else(|| self.statuses.first().cloned())
            .unwrap_or_else(|| "To Do".into())
    }
}

impl Backlog {
    /// Where archiving puts a card, as the layout's own tool does: Backlog.md moves it to
    /// `backlog/archive/tasks/`, kano to `_trash/<date>/` in its product directory.
    pub fn archive_path(&self, rel: &str, today: chrono::NaiveDate) -> Option<String> {
        let name = rel.rsplit('/').next()?;
        match self.kind {
            LayoutKind::BacklogMd => Some(format!("backlog/archive/tasks/{name}")),
            LayoutKind::Kano => {
                let product = self
                    .products
                    .iter()
                    .find(|p| rel.starts_with(&format!("{}/", p.dir)))?;
                Some(format!(
                    "{}/_trash/{}/{name}",
                    product.dir,
                    today.format("%Y-%m-%d")
                ))
            }
        }
    }
}

/// Cards bigger than this are reported, not parsed: no real card is 16 MB, and reading a
/// generated log someone named `.md` must not stall the board.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// One unit for both numbers (binary megabytes): a 50 MiB file said "52 MB" beside a limit
/// of 16 MiB said "16 MB".
fn too_large(len: u64) -> String {
    const MB: u64 = 1024 * 1024;
    format!(
        "file too large: {} MB (cards are read up to {} MB)",
        len / MB,
        MAX_FILE_BYTES / MB
    )
}

/// What a new card starts with (`tack new`, the board's `n`). Status, product and type
/// default as the layout's own tool defaults them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewCard {
    pub title: String,
    pub status: Option<String>,
    /// kano: the product to create in (required when the backlog has several).
    pub product: Option<String>,
    /// kano: the item type (Task, Bug, Feature, UserStory, Epic).
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
}

/// A file to create for `tack new`.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub path: String,
    pub text: String,
}

/// A missing required field, as reported by a layout's mapping.
#[derive(Debug, Clone)]
pub struct MappingError {
    /// The frontmatter key that is missing or empty.
    pub key: String,
    pub message: String,
}

/// The file line of top-level `key` (or of the first YAML line when the key is absent).
fn key_line(split: &item::Split<'_>, key: &str) -> u32 {
    let at = split.yaml.lines().position(|l| {
        l.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
    });
    split.yaml_first_line + at.unwrap_or(0) as u32
}

pub(crate) fn stat_of(rel: &str, meta: &fs::Metadata) -> FileStat {
    file_stat(rel.to_string(), meta)
}

fn file_stat(path: String, meta: &fs::Metadata) -> FileStat {
    use std::os::unix::fs::MetadataExt;
    FileStat {
        path,
        size: meta.len(),
        mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        ctime_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
    }
}

/// Walk `dir` (root-relative) for `.md` files accepted by `keep`, down to `max_depth` levels,
/// without following directory links. Hidden entries are skipped, except tack's own temp files:
/// a killed writer's leftovers are removed here, on the walk every command makes anyway.
///
/// Each level's directories are listed in parallel, and files are stat'ed through their
/// directory's handle (like `find`), not by resolving the whole path again for every file.
pub(crate) fn walk_md(
    backlog: &Backlog,
    dir: &str,
    max_depth: usize,
    keep: impl Fn(&str) -> bool + Sync,
) -> Vec<FileStat> {
    use rayon::prelude::*;
    let mut files = Vec::new();
    let mut level = vec![(backlog.root.join(dir), dir.to_string())];
    for depth in 1..=max_depth {
        let listed: Vec<Listing> = level
            .par_iter()
            .map(|(abs, rel)| list_dir(abs, rel, depth < max_depth, &keep))
            .collect();
        level = Vec::new();
        for (found, dirs) in listed {
            files.extend(found);
            level.extend(dirs);
        }
        if level.is_empty() {
            break;
        }
    }
    files
}

/// What one directory holds: the files that may be cards, and the sub-directories to walk
/// next (absolute path, root-relative path).
type Listing = (Vec<FileStat>, Vec<(PathBuf, String)>);

/// One directory of [`walk_md`]: its card files, and its subdirectories when `descend`.
fn list_dir(
    abs: &Path,
    rel: &str,
    descend: bool,
    keep: &(impl Fn(&str) -> bool + Sync),
) -> Listing {
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    let Ok(entries) = fs::read_dir(abs) else {
        return (files, dirs);
    };
    for entry in entries.flatten() {
        let os_name = entry.file_name();
        // A name that is not UTF-8 cannot be a card path (paths are stored as text), but
        // skipping it silently would hide a card from the user: a `.md` file is listed under
        // its lossy name (U+FFFD for the bad bytes), which `Backlog::read` turns into a
        // problem entry stamped from the real file, so it is reported once and not re-read.
        let lossy;
        let name = match os_name.to_str() {
            Some(name) => name,
            None => {
                lossy = os_name.to_string_lossy().into_owned();
                if lossy.starts_with('.') || !lossy.ends_with(".md") {
                    continue;
                }
                &lossy
            }
        };
        if name.starts_with('.') {
            if temp::is_temp_name(name) {
                temp::remove_if_stale(&entry.path());
            }
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if descend {
                dirs.push((entry.path(), format!("{rel}/{name}")));
            }
            continue;
        }
        if !name.ends_with(".md") {
            continue;
        }
        let path = format!("{rel}/{name}");
        if !keep(&path) {
            continue;
        }
        // Follow a symlinked card to its target; a dangling or looping link is skipped
        // here and shows up as unreadable if it is ever named directly.
        let meta = if kind.is_symlink() {
            fs::metadata(entry.path())
        } else {
            entry.metadata()
        };
        if let Some(meta) = meta.ok().filter(|m| m.is_file()) {
            files.push(file_stat(path, &meta));
        }
    }
    (files, dirs)
}

/// A title usable in a file name and a YAML scalar: one line, not empty.
pub(crate) fn clean_title(title: &str) -> std::result::Result<String, crate::error::UsageError> {
    let title: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if title.is_empty() {
        return Err(crate::error::UsageError::new("a card needs a title"));
    }
    Ok(title)
}

/// A file-name-safe slug: letters, digits and `-` only, so no title can name a path outside
/// the backlog (`../`, `/`, NUL) or one too long for the file system.
pub fn slug(title: &str, max_len: usize, lowercase: bool) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            if lowercase {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= max_len {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "untitled".into()
    } else {
        out
    }
}

/// Keys a layout requires, checked in one place so both layouts word problems the same way.
pub(crate) fn require(
    fields: &Fields,
    key: &str,
    what: &str,
) -> std::result::Result<String, MappingError> {
    item::scalar_text(fields.get(key)).ok_or_else(|| MappingError {
        key: key.to_string(),
        message: format!("missing {what}: the frontmatter has no `{key}` value"),
    })
}
