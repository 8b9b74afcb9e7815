//! The derived SQLite index of a backlog.
//!
//! The files are the source of truth; this database only makes queries fast. It lives in the
//! user's cache directory (one file per backlog root), is rebuilt from the files whenever it is
//! missing, corrupt or of another schema version, and is brought up to date by [`reconcile`],
//! which re-reads only files whose size or mtime changed.

pub mod meta;
pub mod migrate;
pub mod query;
pub mod reconcile;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use color_eyre::eyre::{eyre, Result, WrapErr};
use rusqlite::{params, Connection, OpenFlags};

use crate::layout::Backlog;

pub use query::{Filter, IndexStatus};
pub use reconcile::ReconcileStats;

/// An open index connection for one backlog.
pub struct Index {
    pub(crate) conn: Connection,
    /// Where the database file is (`:memory:` when the cache directory was unusable).
    pub path: PathBuf,
    /// One-line notices for the user: "rebuilt because …", "using a temporary index because …".
    pub notices: Vec<String>,
}

/// Where the index of `backlog` lives: `$TACK_INDEX` if set (a path or `sqlite://PATH`), else
/// `$TACK_CACHE_DIR` or the XDG cache directory, under `tack/`, named after the root.
pub fn default_location(backlog: &Backlog) -> PathBuf {
    if let Some(path) = std::env::var_os("TACK_INDEX") {
        return crate::backend::index_path(&path);
    }
    let base = std::env::var_os("TACK_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("tack")))
        .unwrap_or_else(|| std::env::temp_dir().join("tack-cache"));
    let root = backlog.root.to_string_lossy();
    let name = backlog
        .root
        .file_name()
        .map(|n| crate::layout::slug(&n.to_string_lossy(), 40, true))
        .unwrap_or_else(|| "root".into());
    let hash = xxhash_rust::xxh3::xxh3_64(root.as_bytes());
    base.join(format!("{name}-{hash:016x}.sqlite"))
}

impl Index {
    /// Open (creating or rebuilding as needed) the index at its default location.
    pub fn open(backlog: &Backlog) -> Result<Index> {
        Self::open_at(backlog, &default_location(backlog))
    }

    /// Open the index at `path`. A corrupt or other-version file is deleted and recreated with
    /// a notice; a location that cannot be written falls back to an in-memory index, so the
    /// board and the CLI keep working from the files.
    pub fn open_at(backlog: &Backlog, path: &Path) -> Result<Index> {
        let mut notices = Vec::new();
        let opened = |conn, notices| Index {
            conn,
            path: path.to_path_buf(),
            notices,
        };
        match open_waiting(backlog, path) {
            Ok(conn) => return Ok(opened(conn, notices)),
            Err(OpenError::Unusable(reason)) => {
                notices.push(format!(
                    "index {} {reason}: rebuilding it from the files",
                    path.display()
                ));
                remove_db_files(path);
                match open_waiting(backlog, path) {
                    Ok(conn) => return Ok(opened(conn, notices)),
                    Err(err) => notices.push(format!("cannot recreate the index: {err}")),
                }
            }
            Err(err) => notices.push(format!("cannot use the index at {}: {err}", path.display())),
        }
        notices.push("using a temporary in-memory index for this run".into());
        let mut index = Self::in_memory(backlog)?;
        index.notices = notices;
        Ok(index)
    }

    /// A temporary index in memory, for a run whose index location failed after it was opened
    /// (a disk that filled up mid-reconcile): the files are the truth, so the run goes on.
    pub fn in_memory(backlog: &Backlog) -> Result<Index> {
        let mut conn = Connection::open_in_memory()?;
        prepare(&mut conn, backlog).map_err(|e| eyre!("{e}"))?;
        Ok(Index {
            conn,
            path: PathBuf::from(":memory:"),
            notices: Vec::new(),
        })
    }

    /// Delete the database and build it again from the files.
    pub fn rebuild(
        self,
        backlog: &Backlog,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<(Index, ReconcileStats)> {
        let path = self.path.clone();
        drop(self);
        let mut index = if path.as_os_str() == ":memory:" {
            Self::open(backlog)?
        } else {
            remove_db_files(&path);
            Self::open_at(backlog, &path)?
        };
        let stats = index.reconcile(backlog, progress)?;
        Ok((index, stats))
    }

    /// Read pages through a memory map rather than a read() call each. Worth it for a
    /// one-shot command that reads most of the file (`tack list`); not for the board, which
    /// keeps running and would hold the mapped pages of every connection as resident memory.
    pub fn map_into_memory(&self) -> Result<()> {
        self.conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64> {
        migrate::version(&self.conn)
    }

    /// Run `f` in one write transaction (the writer's own row update, the watcher's batches).
    /// IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
    /// writes fails at once with `database is locked` when another process wrote in between,
    /// whereas an immediate one waits out the busy timeout like any other writer.
    pub(crate) fn transaction<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

#[derive(Debug)]
enum OpenError {
    /// The file exists but is not an index this tack can use: delete and rebuild.
    Unusable(String),
    /// The location itself cannot be used (permissions, full disk, …).
    Location(String),
    /// Another process holds a lock longer than the busy timeout covers (or SQLite gave up
    /// without waiting, as it does in some WAL start-up races): try again, never rebuild.
    Busy(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Unusable(s) | OpenError::Location(s) | OpenError::Busy(s) => f.write_str(s),
        }
    }
}

/// [`try_open`], again while another process holds the index. The busy timeout covers most
/// waits, but SQLite reports some start-up races (two processes creating one WAL database)
/// as busy at once; a lock is never a reason to rebuild, and it passes.
fn open_waiting(backlog: &Backlog, path: &Path) -> std::result::Result<Connection, OpenError> {
    let deadline = Instant::now() + BUSY_PATIENCE;
    let mut pause = Duration::from_millis(20);
    loop {
        match try_open(backlog, path) {
            Err(OpenError::Busy(_)) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            other => return other,
        }
    }
}

/// How long opening waits for other processes' locks before using an in-memory index.
const BUSY_PATIENCE: Duration = Duration::from_secs(30);

fn try_open(backlog: &Backlog, path: &Path) -> std::result::Result<Connection, OpenError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| OpenError::Location(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(e, path))?;
    prepare(&mut conn, backlog)?;
    Ok(conn)
}

/// Pragmas, schema and a sanity read; every failure here says whether to rebuild.
fn prepare(conn: &mut Connection, backlog: &Backlog) -> std::result::Result<(), OpenError> {
    let err = |e: rusqlite::Error| classify_sqlite(&e);
    conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err)?;
    let version = migrate::version(conn).map_err(|e| match sqlite_cause(&e) {
        Some(sqlite) => classify_sqlite(sqlite),
        None => OpenError::Unusable(format!("is unreadable ({e})")),
    })?;
    if version > migrate::latest() {
        return Err(OpenError::Unusable(format!(
            "has schema version {version}, newer than this tack's {}",
            migrate::latest()
        )));
    }
    if version < migrate::latest() {
        migrate::migrate_to(conn, migrate::latest()).map_err(|e| {
            if sqlite_cause(&e).is_some_and(is_busy) {
                OpenError::Busy(format!("{e:#}"))
            } else {
                OpenError::Unusable(format!("could not be migrated ({e:#})"))
            }
        })?;
    }
    let root = backlog.root.to_string_lossy().to_string();
    let stored: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'root'", [], |r| {
            r.get(0)
        })
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(|e| classify_sqlite(&e))?;
    match stored {
        Some(stored) if stored != root => {
            return Err(OpenError::Unusable(format!(
                "belongs to another backlog ({stored})"
            )));
        }
        Some(_) => {}
        None => {
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('root', ?1)",
                params![root],
            )
            .map_err(err)?;
        }
    }
    // Touch every table once so a truncated or garbled file is caught now, not mid-query.
    conn.query_row(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM files LIMIT 1)) + (SELECT count(*) FROM (SELECT 1 FROM items LIMIT 1))",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map_err(|e| OpenError::Unusable(format!("is unreadable ({e})")))?;
    Ok(())
}

fn classify(e: rusqlite::Error, path: &Path) -> OpenError {
    match classify_sqlite(&e) {
        OpenError::Location(msg) => OpenError::Location(format!("{msg} ({})", path.display())),
        other => other,
    }
}

/// What a failure while opening means: a lock, try again; a broken file, rebuild it; a
/// location that cannot be used, fall back to memory.
fn classify_sqlite(e: &rusqlite::Error) -> OpenError {
    use rusqlite::ErrorCode::*;
    if is_busy(e) {
        return OpenError::Busy(e.to_string());
    }
    match e.sqlite_error_code() {
        Some(NotADatabase | DatabaseCorrupt) => OpenError::Unusable(format!("is corrupt ({e})")),
        Some(CannotOpen | ReadOnly | PermissionDenied | DiskFull | SystemIoFailure) => {
            OpenError::Location(e.to_string())
        }
        _ => OpenError::Unusable(format!("is unreadable ({e})")),
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    matches!(e.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked))
}

/// The SQLite error under a report from the migration runner, if that is what failed.
fn sqlite_cause(e: &color_eyre::Report) -> Option<&rusqlite::Error> {
    e.chain().find_map(|c| c.downcast_ref::<rusqlite::Error>())
}

fn remove_db_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
}

/// Read a JSON array column written by this index.
pub(crate) fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) trait Context<T> {
    fn ctx(self, what: &str) -> Result<T>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn ctx(self, what: &str) -> Result<T> {
        self.map_err(color_eyre::Report::from)
            .wrap_err_with(|| what.to_string())
    }
}
