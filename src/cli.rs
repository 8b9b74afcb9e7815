//! The command line: clap definitions and the non-interactive commands. Each command is a thin
//! layer over the layout, index and writer modules.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::Result;
use serde::Serialize;

use crate::filter::Query;
use crate::index::{Filter, Index};
use crate::item::{Card, Item};
use crate::layout::fields::{FieldEdit, ListEdit};
use crate::layout::{Backlog, LayoutKind, NewCard, Parsed};
use crate::session::{Done, NeedsConfirmation, Session};
use crate::writer::WriteError;

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
    /// Create a backlog in the current directory (or -C DIR) that the layout's own tool reads.
    Init {
        /// backlogmd: backlog/config.yml and Backlog.md's folders; kano: .kano/backlog_config.toml
        /// and one product under _kano/backlog/products/.
        #[arg(long, value_enum, default_value_t = InitLayout::Backlogmd)]
        layout: InitLayout,
        /// The project name (Backlog.md) or product name (kano); default: the directory's name.
        #[arg(long)]
        name: Option<String>,
    },
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
    Move {
        reference: String,
        status: String,
        /// Move through kano's Ready gate even with empty sections.
        #[arg(long)]
        force: bool,
        /// Print the card as it is now, as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Change a card's fields; only the lines that must change are written.
    Edit(EditArgs),
    /// Archive a card as its layout does (Backlog.md: backlog/archive/tasks/, removing it from
    /// other cards' dependencies; kano: the product's _trash/<date>/).
    Archive {
        reference: String,
        /// Print the archived card (at its new path) as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Create a card, named and numbered as the layout's own tool does it.
    New(NewArgs),
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

/// The layouts `tack init` can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitLayout {
    Backlogmd,
    Kano,
}

#[derive(Debug, Args, Default)]
pub struct EditArgs {
    /// A display id (TASK-12), a kano uid, or a file path.
    pub reference: String,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub status: Option<String>,
    /// A priority of the layout's scale, or `none` to remove it.
    #[arg(long)]
    pub priority: Option<String>,
    /// Replace the assignees (repeat for several; kano has one owner).
    #[arg(long = "assignee", value_name = "A")]
    pub assignees: Vec<String>,
    #[arg(long = "add-assignee", value_name = "A")]
    pub add_assignees: Vec<String>,
    #[arg(long = "remove-assignee", value_name = "A")]
    pub remove_assignees: Vec<String>,
    /// Replace the labels (repeat for several).
    #[arg(long = "label", value_name = "L")]
    pub labels: Vec<String>,
    #[arg(long = "add-label", value_name = "L")]
    pub add_labels: Vec<String>,
    #[arg(long = "remove-label", value_name = "L")]
    pub remove_labels: Vec<String>,
    /// Move through kano's Ready gate even with empty sections.
    #[arg(long)]
    pub force: bool,
    /// Print the card as it is now, as one JSON object.
    #[arg(long)]
    pub json: bool,
}

impl EditArgs {
    /// The field edits these flags ask for, in the order the card shows its fields.
    fn field_edits(&self) -> Vec<FieldEdit> {
        let mut edits = Vec::new();
        if let Some(title) = &self.title {
            edits.push(FieldEdit::Title(title.clone()));
        }
        if let Some(status) = &self.status {
            edits.push(FieldEdit::Status(status.clone()));
        }
        if let Some(p) = &self.priority {
            let none = p.eq_ignore_ascii_case("none") || p.is_empty();
            edits.push(FieldEdit::Priority((!none).then(|| p.clone())));
        }
        let list = |set: &[String], add: &[String], remove: &[String]| ListEdit {
            set: (!set.is_empty()).then(|| set.to_vec()),
            add: add.to_vec(),
            remove: remove.to_vec(),
        };
        let assignees = list(&self.assignees, &self.add_assignees, &self.remove_assignees);
        if !assignees.is_empty() {
            edits.push(FieldEdit::Assignees(assignees));
        }
        let labels = list(&self.labels, &self.add_labels, &self.remove_labels);
        if !labels.is_empty() {
            edits.push(FieldEdit::Labels(labels));
        }
        edits
    }
}

#[derive(Debug, Args, Default)]
pub struct NewArgs {
    pub title: String,
    #[arg(long)]
    pub status: Option<String>,
    /// kano: the product to create in (needed when the backlog has several).
    #[arg(long)]
    pub product: Option<String>,
    /// kano: the item type (Task, Bug, Feature, UserStory, Epic).
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    #[arg(long)]
    pub priority: Option<String>,
    #[arg(long = "assignee", value_name = "A")]
    pub assignees: Vec<String>,
    #[arg(long = "label", value_name = "L")]
    pub labels: Vec<String>,
    /// Print the new card as one JSON object.
    #[arg(long)]
    pub json: bool,
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
    /// The board's filter syntax, ANDed with the flags: `label:ui,bug` (either),
    /// `-label:wontfix` (not), `assignee:none` (empty), `status:todo`, several terms at once.
    /// (A value may start with `-`: a negated first term is not a flag.)
    #[arg(long, value_name = "FILTER", allow_hyphen_values = true)]
    pub filter: Option<String>,
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

impl FilterArgs {
    /// The `--filter` text parsed, or a usage error (exit 2) saying what is wrong with it.
    fn parsed_filter(&self) -> Result<Query> {
        match &self.filter {
            None => Ok(Query::default()),
            Some(text) => Query::parse(text).map_err(|e| UsageError(e.0).into()),
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

pub use crate::error::UsageError;

/// `index check` found differences: exit code 1, differences already printed.
#[derive(Debug, thiserror::Error)]
#[error("the index differs from the files ({0} differences)")]
pub struct CheckFailed(pub usize);

/// Run a parsed command line. The board is started by `main` when there is no subcommand.
pub fn run(dir: &Path, command: Command) -> Result<()> {
    match command {
        Command::Init { layout, name } => init(dir, layout, name.as_deref()),
        Command::List { filter, json } => list(dir, filter, json),
        Command::Show { reference, json } => show(dir, &reference, json),
        Command::Move {
            reference,
            status,
            force,
            json,
        } => {
            let edit = EditArgs {
                reference,
                status: Some(status),
                force,
                json,
                ..EditArgs::default()
            };
            edit_card(dir, &edit)
        }
        Command::Edit(args) => edit_card(dir, &args),
        Command::Archive { reference, json } => archive_card(dir, &reference, json),
        Command::New(args) => new_card(dir, args),
        Command::Index(cmd) => index(dir, cmd),
        Command::Demo => demo(),
        Command::Watch { json } => crate::watch::run_command(dir, json),
        Command::Mirror(args) => crate::mirror::run(dir, args),
        Command::Backends { json } => crate::mirror::backends(dir, json),
        Command::Export { .. } => crate::mirror::export::export(dir),
        Command::Import { file, .. } => crate::mirror::export::import(dir, &file),
    }
}

/// `tack init`: a new backlog in `dir`, refused (exit 2) where one already is, so no file of
/// an existing backlog is ever touched.
fn init(dir: &Path, layout: InitLayout, name: Option<&str>) -> Result<()> {
    let root = std::fs::canonicalize(dir)
        .map_err(|err| UsageError(format!("cannot open directory {}: {err}", dir.display())))?;
    if let Some(found) = crate::layout::existing_backlog(&root) {
        return Err(UsageError(format!(
            "{} already holds a backlog ({found}); tack init never changes an existing one",
            root.display()
        ))
        .into());
    }
    let name = init_name(&root, layout, name)?;
    let (config, kind) = match layout {
        InitLayout::Backlogmd => (
            crate::layout::backlog_md::init(&root, &name)?,
            LayoutKind::BacklogMd,
        ),
        InitLayout::Kano => (crate::layout::kano::init(&root, &name)?, LayoutKind::Kano),
    };
    println!(
        "created a {} backlog `{name}` in {} ({config}); add a card with `tack new TITLE`",
        kind.name(),
        root.display()
    );
    Ok(())
}

/// The name `tack init` gives the backlog: `--name`, else the directory's own name, as
/// Backlog.md's `backlog init` does. A kano product is a folder, and kano skips hidden ones,
/// so a name taken from a directory like `.config` loses its leading dots there.
fn init_name(root: &Path, layout: InitLayout, name: Option<&str>) -> Result<String, UsageError> {
    let from_dir = || {
        let dir = root.file_name()?.to_string_lossy().into_owned();
        Some(match layout {
            InitLayout::Backlogmd => dir,
            InitLayout::Kano => dir.trim_start_matches('.').to_string(),
        })
    };
    let name = name
        .map(str::to_string)
        .or_else(from_dir)
        .unwrap_or_default();
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError::new(
            "the backlog needs a name: give --name NAME",
        ));
    }
    Ok(name.to_string())
}

/// `tack list`: the flags and `--filter` make one query on the index. A `--filter` value no
/// card has is an error naming the values in use, as on the board; the older flags keep
/// answering with an empty list.
fn list(dir: &Path, args: FilterArgs, json: bool) -> Result<()> {
    let typed = args.parsed_filter()?;
    let query = Filter::from(args).query().and(typed.clone());
    let (_session, cards) = Session::open_and_query(dir, |index, backlog| {
        if let Some(sentence) = index.unknown_value(backlog, &typed)? {
            return Err(UsageError(sentence).into());
        }
        index.cards_matching(backlog, &query)
    })?;
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
    let (item, body) = session.read_body(&card.path)?;
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

/// `tack edit` and `tack move`: one write with every field asked for.
fn edit_card(dir: &Path, args: &EditArgs) -> Result<()> {
    let edits = args.field_edits();
    if edits.is_empty() {
        return Err(UsageError::new(
            "nothing to change: give --title, --status, --priority, --assignee or --label",
        )
        .into());
    }
    let mut session = Session::open(dir)?;
    let card = session.card(&args.reference)?;
    let done = session
        .edit(&card.path, None, &edits, args.force)
        .map_err(|err| match err.downcast::<NeedsConfirmation>() {
            Ok(ask) => UsageError(format!("{} (pass --force to move it)", ask.question)).into(),
            Err(err) => err,
        })?;
    report(&done, args.json)
}

fn archive_card(dir: &Path, reference: &str, json: bool) -> Result<()> {
    let mut session = Session::open(dir)?;
    let card = session.card(reference)?;
    let done = session.archive(&card.path, None)?;
    if json {
        let dest = done
            .step
            .files
            .get(1)
            .map(|f| f.path.clone())
            .unwrap_or_default();
        let archived = Card { path: dest, ..card };
        println!("{}", serde_json::to_string(&archived)?);
    } else {
        println!("{}", done.step.what);
    }
    Ok(())
}

fn new_card(dir: &Path, args: NewArgs) -> Result<()> {
    let mut session = Session::open(dir)?;
    let card = NewCard {
        title: args.title,
        status: args.status,
        product: args.product,
        kind: args.kind,
        priority: args.priority,
        assignees: args.assignees,
        labels: args.labels,
    };
    let done = session.create(&card)?;
    if !args.json {
        if let Some(item) = &done.item {
            println!("created {} {}", item.card.id, item.card.path);
        }
        return Ok(());
    }
    report(&done, true)
}

/// What an edit did: the card as one JSON object, or the status-line sentence.
fn report(done: &Done, json: bool) -> Result<()> {
    match (&done.item, json) {
        (Some(item), true) => println!("{}", serde_json::to_string(&item.card)?),
        _ => println!("{}", done.step.what),
    }
    Ok(())
}

fn index(dir: &Path, cmd: IndexCommand) -> Result<()> {
    match cmd {
        IndexCommand::Rebuild => {
            let session = Session::open_stale(dir)?;
            let started = std::time::Instant::now();
            let bar = crate::progress::bar("rebuilding");
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
    require_terminal()?;
    crate::layout::temp::clean_stale_temps(&backlog);
    let focus = target
        .is_file()
        .then(|| std::fs::canonicalize(&target).ok())
        .flatten()
        .and_then(|abs| backlog.rel(&abs));
    let index = Index::open(&backlog)?;
    crate::tui::run(backlog, index, focus)
}

/// The board reads keys from stdin and draws on stdout, so both must be a terminal; a script
/// or a pipe gets a usage error pointing at the commands made for it, not a panic from the
/// terminal library. Checked once the backlog is found, so outside a backlog the user first
/// hears about `tack init`.
fn require_terminal() -> Result<(), UsageError> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    Err(UsageError::new(
        "the board needs a terminal on stdin and stdout; in scripts use `tack list` or `tack show`",
    ))
}

/// The demo backlog bundled in `assets/demo`, copied so the user's edits go nowhere.
fn demo() -> Result<()> {
    require_terminal()?;
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
