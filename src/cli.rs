//! The command line: clap definitions and the non-interactive commands. Each command is a thin
//! layer over the layout, index and writer modules.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::{eyre, Result, WrapErr};
use serde::Serialize;

use crate::index::{Filter, Index};
use crate::item::{self, Card, Item};
use crate::layout::{Backlog, Parsed};
use crate::writer::{self, WriteError};

#[derive(Debug, Parser)]
#[command(
    name = "tack",
    version,
    about = "A keyboard-driven kanban board for Markdown backlogs in git"
)]
pub struct Cli {
    /// Run as if tack was started in DIR (like git -C).
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub dir: Option<PathBuf>,
    /// Where the local index lives: sqlite://PATH or a bare path (default: $TACK_INDEX, else
    /// the cache directory).
    #[arg(long = "index", value_name = "URI", global = true)]
    pub index: Option<String>,
    /// Open the board on this directory or card file (the card is focused).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List cards, in board order.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// One JSON array of cards.
        #[arg(long)]
        json: bool,
    },
    /// Show one card: its fields and body.
    Show {
        /// A display id (TASK-12), a kano uid, or a file path.
        reference: String,
        #[arg(long)]
        json: bool,
    },
    /// Move a card to another status (column).
    Move { reference: String, status: String },
    /// Create a card, named and numbered as the layout does it.
    New {
        title: String,
        #[arg(long)]
        status: Option<String>,
    },
    /// Open the board on a bundled demo backlog, copied to a temporary directory.
    Demo,
    /// The derived SQLite index.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Mirror the backlog into PostgreSQL, one way from the files (see docs/mirror.md).
    Mirror(crate::mirror::MirrorArgs),
    /// The backends in force: where the index lives and, with $TACK_MIRROR, the mirror.
    Backends {
        #[arg(long)]
        json: bool,
    },
    /// Every card with its fields and body, as one JSON document on stdout.
    Export {
        #[arg(long, required = true)]
        json: bool,
    },
    /// Create card files from a `tack export --json` document (`-` for stdin); existing files
    /// are never overwritten.
    Import {
        #[arg(long, required = true)]
        json: bool,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Keep the index current as files change, printing one line per change (runs until killed).
    Watch {
        /// One JSON object per line: `ready`, then `created`/`updated`/`deleted` with `id` and
        /// `path`, `resynced`, `catching_up`, `error`.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub label: Option<String>,
    #[arg(long)]
    pub assignee: Option<String>,
    #[arg(long)]
    pub priority: Option<String>,
    /// Item type (kano: Task, Bug, Feature, UserStory, Epic).
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// kano product.
    #[arg(long)]
    pub product: Option<String>,
}

impl From<FilterArgs> for Filter {
    fn from(a: FilterArgs) -> Filter {
        Filter {
            status: a.status,
            label: a.label,
            assignee: a.assignee,
            priority: a.priority,
            kind: a.kind,
            product: a.product,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Delete the index and build it again from the files.
    Rebuild,
    /// Where the index is and what it holds.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Compare the index with a fresh parse of the files (exit 1 on any difference).
    Check,
    /// Files that could not be read as cards.
    Problems {
        #[arg(long)]
        json: bool,
    },
}

/// An error the user can fix by changing the command: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `index check` found differences: exit code 1, differences already printed.
#[derive(Debug, thiserror::Error)]
#[error("the index differs from the files ({0} differences)")]
pub struct CheckFailed(pub usize);

/// The backlog and its up-to-date index, as every command starts.
pub struct Session {
    pub backlog: Backlog,
    pub index: Index,
}

impl Session {
    /// Find the backlog from `dir`, open its index, and bring it up to date with the files.
    pub fn open(dir: &Path) -> Result<Session> {
        let mut session = Self::open_stale(dir)?;
        reconcile(&session.backlog, &mut session.index)?;
        Ok(session)
    }

    /// [`Session::open`] plus one read-only query, run on a second connection while the
    /// files are checked: both take about as long, and when nothing changed on disk (the
    /// usual case) the early answer stands. Otherwise the query runs again on the updated
    /// index.
    pub fn open_and_query<T: Send>(
        dir: &Path,
        query: impl Fn(&Index, &Backlog) -> Result<T> + Sync,
    ) -> Result<(Session, T)> {
        let Session { backlog, mut index } = Self::open_stale(dir)?;
        let path = index.path.clone();
        let shared = path.as_os_str() != ":memory:";
        let (stats, early) = std::thread::scope(|scope| {
            let early = shared.then(|| {
                scope.spawn(|| {
                    let reader = Index::open_at(&backlog, &path)?;
                    reader.map_into_memory()?;
                    query(&reader, &backlog)
                })
            });
            let stats = reconcile(&backlog, &mut index);
            (stats, early.map(|thread| thread.join()))
        });
        let stats = stats?;
        let answer = match early {
            Some(Ok(Ok(answer))) if !stats.changed() && index.path == path => answer,
            _ => query(&index, &backlog)?,
        };
        Ok((Session { backlog, index }, answer))
    }

    /// Open without reconciling (for `index check`, which must see the index as it is).
    pub fn open_stale(dir: &Path) -> Result<Session> {
        let backlog = Backlog::discover(dir)?;
        writer::clean_stale_temps(&backlog);
        let index = Index::open(&backlog)?;
        for notice in &index.notices {
            eprintln!("tack: {notice}");
        }
        index.map_into_memory()?;
        Ok(Session { backlog, index })
    }

    /// The one card `reference` names; exit 2 when none or several match.
    pub fn card(&self, reference: &str) -> Result<Card> {
        let mut found = self.index.resolve(&self.backlog, reference)?;
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => {
                // A file that is there but broken is not "no card": say what is wrong with it,
                // so the user fixes the file rather than doubting the reference.
                if let Some(p) = self.problem_named(reference)? {
                    let at = p.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                    return Err(UsageError(format!(
                        "{} is not a card: {at}{} (fix the file or see `tack index problems`)",
                        p.path, p.message
                    ))
                    .into());
                }
                Err(UsageError(format!(
                    "no card matches `{reference}` (use a display id, a kano uid or a file path)"
                ))
                .into())
            }
            _ => {
                let list: Vec<String> = found
                    .iter()
                    .map(|c| format!("  {} {}  ({})", c.id, c.title, c.path))
                    .collect();
                Err(UsageError(format!(
                    "`{reference}` matches {} cards; name one by uid or path:\n{}",
                    found.len(),
                    list.join("\n")
                ))
                .into())
            }
        }
    }

    /// The problem file `reference` names: by its path (as given, from the current directory
    /// or from the root), or by the display id its file name starts with (`task-3 - X.md`,
    /// `KABSD-TSK-0003_x.md`), since a broken file has no id the index could match.
    fn problem_named(&self, reference: &str) -> Result<Option<item::Problem>> {
        let problems = self.index.problems()?;
        let rel = if reference.contains('/') || reference.ends_with(".md") {
            let path = Path::new(reference);
            let from_cwd = std::env::current_dir().map(|d| d.join(path));
            let abs = match from_cwd {
                Ok(p) if p.exists() => p,
                _ => self.backlog.root.join(path),
            };
            let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
            self.backlog.rel(&abs)
        } else {
            None
        };
        let wanted = reference.to_lowercase();
        let id_of_name = |path: &str| {
            let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
            name.strip_prefix(&wanted)
                .is_some_and(|rest| rest == ".md" || rest.starts_with(' ') || rest.starts_with('_'))
        };
        Ok(problems.into_iter().find(|p| match &rel {
            Some(rel) => p.path == *rel || p.path == reference,
            None => !wanted.is_empty() && id_of_name(&p.path),
        }))
    }

    /// The status as the backlog spells it; exit 2 naming the valid ones otherwise.
    pub fn status(&self, wanted: &str) -> Result<String> {
        let used = self.index.statuses()?;
        self.backlog.canonical_status(wanted, &used).ok_or_else(|| {
            let valid = self.backlog.columns(used.iter().map(String::as_str));
            UsageError(format!(
                "unknown status `{wanted}`; valid statuses: {}",
                valid.join(", ")
            ))
            .into()
        })
    }

    /// Move a card and return (old status, item as written).
    pub fn move_card(&mut self, card: &Card, status: &str) -> Result<Item> {
        let (item, hash) = self
            .index
            .item_at(&card.path)?
            .ok_or_else(|| eyre!("{} is no longer in the index", card.path))?;
        let edit = self
            .backlog
            .move_edit(&item, status, chrono::Local::now().naive_local());
        Ok(writer::edit(
            &self.backlog,
            &mut self.index,
            &card.path,
            &hash,
            &edit,
        )?)
    }
}

/// Bring the index up to date with the files (progress bar on a terminal). An index that
/// opened but cannot be written (its disk filled up mid-update) is replaced by a temporary
/// in-memory one rather than failing: the files are the truth.
fn reconcile(backlog: &Backlog, index: &mut Index) -> Result<crate::index::ReconcileStats> {
    let bar = progress_bar("indexing");
    let progress = |done, total| bar.update(done, total);
    let path = index.path.clone();
    let (stats, failed) = index.reconcile_or_fall_back(backlog, &progress)?;
    if let Some(err) = failed {
        eprintln!("tack: cannot update the index at {}: {err}", path.display());
        eprintln!("tack: using a temporary in-memory index for this run");
    }
    bar.finish();
    Ok(stats)
}

/// Run a parsed command line. The board is started by `main` when there is no subcommand.
pub fn run(dir: &Path, command: Command) -> Result<()> {
    match command {
        Command::List { filter, json } => list(dir, filter.into(), json),
        Command::Show { reference, json } => show(dir, &reference, json),
        Command::Move { reference, status } => move_card(dir, &reference, &status),
        Command::New { title, status } => new_card(dir, &title, status.as_deref()),
        Command::Index(cmd) => index(dir, cmd),
        Command::Demo => demo(),
        Command::Watch { json } => crate::watch::run_command(dir, json),
        Command::Mirror(args) => crate::mirror::run(dir, args),
        Command::Backends { json } => crate::mirror::backends(dir, json),
        Command::Export { .. } => crate::mirror::export::export(dir),
        Command::Import { file, .. } => crate::mirror::export::import(dir, &file),
    }
}

fn list(dir: &Path, filter: Filter, json: bool) -> Result<()> {
    let (_session, cards) =
        Session::open_and_query(dir, |index, backlog| index.cards(backlog, &filter))?;
    let written = write_stdout(|out| {
        if json {
            return write_json_array(out, &cards);
        }
        for c in &cards {
            writeln!(
                out,
                "{:<16} {:<12} {:<8} {}{}",
                c.id,
                c.status,
                c.priority.as_deref().unwrap_or("-"),
                c.title,
                if c.labels.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", c.labels.join(", "))
                }
            )?;
        }
        Ok(())
    });
    // The process ends next: freeing a large list card by card would only cost time.
    std::mem::forget(cards);
    written
}

/// `serde_json::to_writer(out, items)` plus a newline, the same bytes, but encoded on every
/// core: a 100,000-card `list --json` is 45 MB of JSON, and encoding it on one core after the
/// query was the longest single step of the command.
fn write_json_array<T: Serialize + Sync>(out: &mut dyn Write, items: &[T]) -> std::io::Result<()> {
    use rayon::prelude::*;
    let chunk = items
        .len()
        .div_ceil(rayon::current_num_threads() * 4)
        .max(1);
    let encoded: Vec<Vec<u8>> = items
        .par_chunks(chunk)
        .map(|chunk| {
            let mut buf = Vec::with_capacity(chunk.len() * 512);
            for (i, item) in chunk.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                serde_json::to_writer(&mut buf, item)?;
            }
            Ok(buf)
        })
        .collect::<std::io::Result<_>>()?;
    out.write_all(b"[")?;
    for (i, part) in encoded.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(part)?;
    }
    out.write_all(b"]\n")
}

/// Write a command's output to stdout, buffered. A reader that stops early (`tack list | head`)
/// is not an error: the rest of the output is dropped quietly.
fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// `show --json`: the item plus its Markdown body.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    item: &'a Item,
    body: String,
}

fn show(dir: &Path, reference: &str, json: bool) -> Result<()> {
    let session = Session::open(dir)?;
    let card = session.card(reference)?;
    let (item, _) = session
        .index
        .item_at(&card.path)?
        .ok_or_else(|| eyre!("{} vanished", card.path))?;
    let abs = session.backlog.abs(&card.path);
    let bytes = std::fs::read(&abs).wrap_err_with(|| format!("cannot read {}", abs.display()))?;
    let text = item::decode(&bytes).map_err(|(_, m)| eyre!("{}: {m}", card.path))?;
    let body = session
        .backlog
        .split(text)
        .map(|s| s.body.to_string())
        .unwrap_or_default();
    if json {
        println!("{}", serde_json::to_string(&Shown { item: &item, body })?);
        return Ok(());
    }
    println!("{}  {}", item.card.id, item.card.title);
    println!("path: {}", item.card.path);
    for (key, value) in &item.fields {
        if key == "title" || key == "id" {
            continue;
        }
        let shown = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        println!("{key}: {shown}");
    }
    println!("\n{}", body.trim());
    Ok(())
}

fn move_card(dir: &Path, reference: &str, status: &str) -> Result<()> {
    let mut session = Session::open(dir)?;
    let card = session.card(reference)?;
    let status = session.status(status)?;
    if card.status == status {
        println!("{} is already in {status}", card.id);
        return Ok(());
    }
    let item = session.move_card(&card, &status)?;
    println!(
        "moved {} {} → {}",
        item.card.id, card.status, item.card.status
    );
    Ok(())
}

fn new_card(dir: &Path, title: &str, status: Option<&str>) -> Result<()> {
    let mut session = Session::open(dir)?;
    let status = match status {
        Some(s) => session.status(s)?,
        None => session
            .backlog
            .statuses
            .first()
            .cloned()
            .unwrap_or_else(|| "To Do".into()),
    };
    let ids = session.index.ids()?;
    let file = session.backlog.new_item(title, &status, &ids)?;
    let item = writer::create(&session.backlog, &mut session.index, &file)?;
    println!("created {} {}", item.card.id, item.card.path);
    Ok(())
}

fn index(dir: &Path, cmd: IndexCommand) -> Result<()> {
    match cmd {
        IndexCommand::Rebuild => {
            let session = Session::open_stale(dir)?;
            let started = std::time::Instant::now();
            let bar = progress_bar("rebuilding");
            let progress = |d, t| bar.update(d, t);
            let path = session.index.path.clone();
            // Like every other command, a rebuild whose index cannot be written (a full disk,
            // an unwritable cache) still answers from the files, with a notice, rather than
            // failing: the counts printed are those of a temporary in-memory index.
            let (index, stats) = match session.index.rebuild(&session.backlog, &progress) {
                Ok((index, stats)) => {
                    for notice in &index.notices {
                        eprintln!("tack: {notice}");
                    }
                    (index, stats)
                }
                Err(err) if path.as_os_str() != ":memory:" => {
                    eprintln!(
                        "tack: cannot rebuild the index at {}: {err:#}",
                        path.display()
                    );
                    eprintln!("tack: using a temporary in-memory index for this run");
                    let mut index = Index::in_memory(&session.backlog)?;
                    let stats = index.reconcile(&session.backlog, &progress)?;
                    (index, stats)
                }
                Err(err) => return Err(err),
            };
            bar.finish();
            let status = index.status(&session.backlog)?;
            println!(
                "indexed {} cards and {} problems from {} files in {} ms ({})",
                status.items,
                status.invalid,
                stats.scanned,
                started.elapsed().as_millis(),
                status.path
            );
        }
        IndexCommand::Status { json } => {
            let session = Session::open(dir)?;
            let status = session.index.status(&session.backlog)?;
            if json {
                println!("{}", serde_json::to_string(&status)?);
            } else {
                println!("backlog: {} ({})", status.root, status.layout);
                println!(
                    "index:   {} (schema version {})",
                    status.path, status.schema_version
                );
                println!("cards:   {}", status.items);
                println!("problems: {}", status.invalid);
                if let Some(m) = &status.mirror {
                    println!(
                        "mirror:  {} (last sync {}: {} rows written in {} ms, {} lock waits{})",
                        m.mirror,
                        m.last_sync_at,
                        m.rows_written,
                        m.last_sync_ms,
                        m.lock_waits,
                        m.last_error
                            .as_deref()
                            .map(|e| format!("; last error: {e}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        IndexCommand::Check => {
            let session = Session::open_stale(dir)?;
            let differences = check(&session)?;
            for d in &differences {
                println!("{d}");
            }
            if !differences.is_empty() {
                return Err(CheckFailed(differences.len()).into());
            }
            println!("index matches the files");
        }
        IndexCommand::Problems { json } => {
            let session = Session::open(dir)?;
            let problems = session.index.problems()?;
            write_stdout(|out| {
                if json {
                    serde_json::to_writer(&mut *out, &problems)?;
                    return writeln!(out);
                }
                for p in &problems {
                    match p.line {
                        Some(line) => writeln!(out, "{}:{}: {}", p.path, line, p.message)?,
                        None => writeln!(out, "{}: {}", p.path, p.message)?,
                    }
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// Open the board on the backlog found from `dir`, or on the card file `path` (focused).
pub fn board(dir: &Path, path: Option<&Path>) -> Result<()> {
    let target = match path {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => dir.join(p),
        None => dir.to_path_buf(),
    };
    if !target.exists() {
        return Err(UsageError(format!("{} does not exist", target.display())).into());
    }
    let backlog = Backlog::discover(&target)?;
    writer::clean_stale_temps(&backlog);
    let focus = target
        .is_file()
        .then(|| std::fs::canonicalize(&target).ok())
        .flatten()
        .and_then(|abs| backlog.rel(&abs));
    let index = Index::open(&backlog)?;
    crate::tui::run(backlog, index, focus)
}

/// The demo backlog bundled in `assets/demo`, copied so the user's edits go nowhere.
fn demo() -> Result<()> {
    let dir = tempfile::Builder::new().prefix("tack-demo-").tempdir()?;
    crate::demo::unpack(dir.path())?;
    eprintln!("tack: demo backlog in {}", dir.path().display());
    board(dir.path(), None)
}

/// Differences between the index and a fresh parse of every file, one line each.
pub fn check(session: &Session) -> Result<Vec<String>> {
    use rayon::prelude::*;
    let files = session.backlog.list_files();
    let backlog = &session.backlog;
    let fresh: Vec<_> = files
        .par_iter()
        .filter_map(|f| backlog.read(&f.path))
        .collect();
    let indexed = session.index.snapshot()?;
    let mut by_path: std::collections::HashMap<&str, _> = indexed
        .iter()
        .map(|(p, h, e)| (p.as_str(), (h, e)))
        .collect();
    let mut out = Vec::new();
    for file in &fresh {
        let path = file.stat.path.as_str();
        match by_path.remove(path) {
            None => out.push(format!("missing from the index: {path}")),
            Some((hash, entry)) => {
                let same = match (&file.parsed, entry) {
                    (Parsed::Item(a), Ok(b)) => **a == *b,
                    (Parsed::Problem(a), Err(b)) => a == b,
                    _ => false,
                };
                if *hash != file.hash || !same {
                    out.push(format!("stale in the index: {path}"));
                }
            }
        }
    }
    let mut gone: Vec<&str> = by_path.into_keys().collect();
    gone.sort();
    out.extend(
        gone.into_iter()
            .map(|p| format!("in the index but not on disk: {p}")),
    );
    Ok(out)
}

/// A progress bar on stderr when it is a terminal and the work is large; silent otherwise.
struct Progress(Option<indicatif::ProgressBar>);

fn progress_bar(what: &'static str) -> Progress {
    if !std::io::stderr().is_terminal() {
        return Progress(None);
    }
    let bar = indicatif::ProgressBar::hidden();
    bar.set_message(what);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} files") {
        bar.set_style(style);
    }
    Progress(Some(bar))
}

impl Progress {
    fn update(&self, done: u64, total: u64) {
        if let Some(bar) = &self.0 {
            if total >= 2000 && bar.is_hidden() {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Exit code for an error reaching `main`: 2 for usage errors, 3 for refused writes, 1 otherwise.
pub fn exit_code(err: &color_eyre::Report) -> i32 {
    if err.downcast_ref::<UsageError>().is_some() {
        2
    } else if err.downcast_ref::<WriteError>().is_some() {
        3
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parallel encoder writes exactly what serde_json writes for the whole slice, for
    /// every length around the chunk boundaries (scripts parse this output).
    #[test]
    fn the_parallel_json_array_is_byte_identical_to_serde_json() {
        let items: Vec<serde_json::Value> = (0..1_000)
            .map(|i| serde_json::json!({"id": format!("TASK-{i}"), "title": "a \"quoted\" ✓", "n": i}))
            .collect();
        for len in [0, 1, 2, 7, 8, 9, 63, 64, 65, 999, 1_000] {
            let mut ours = Vec::new();
            write_json_array(&mut ours, &items[..len]).expect("encode");
            let mut theirs = serde_json::to_vec(&items[..len]).expect("encode");
            theirs.push(b'\n');
            assert_eq!(
                String::from_utf8(ours).expect("utf8"),
                String::from_utf8(theirs).expect("utf8"),
                "{len} items"
            );
        }
    }
}
