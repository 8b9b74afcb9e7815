//! Bringing the index up to date with the files.
//!
//! A full reconcile lists the layout's files with their size and mtime, compares them with the
//! stamps in `files`, re-reads (in parallel) only what differs, and writes every change in one
//! transaction with prepared statements. The watcher and the writer use [`Index::apply_paths`]
//! and [`Index::store`] for single files.

use std::collections::HashSet;

use color_eyre::eyre::Result;
use rayon::prelude::*;
use rusqlite::{params, Transaction};
use serde::Serialize;

use super::{Context, Index};
use crate::item::{Item, Problem};
use crate::layout::{Backlog, FileStat, Parsed, ReadFile};

/// What a reconcile did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileStats {
    pub scanned: u64,
    pub read: u64,
    pub removed: u64,
}

impl ReconcileStats {
    pub fn changed(&self) -> bool {
        self.read > 0 || self.removed > 0
    }
}

/// One path's fate in an incremental update, reported to the watcher's listeners.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Applied {
    Created { path: String, id: Option<String> },
    Updated { path: String, id: Option<String> },
    Deleted { path: String, id: Option<String> },
}

impl Index {
    /// Make the index equal to the files, reading only what changed. `progress(done, total)`
    /// is called while files are read.
    pub fn reconcile(
        &mut self,
        backlog: &Backlog,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<ReconcileStats> {
        let files = backlog.list_files();
        let Changes {
            known,
            removed,
            stale,
        } = self.changes(&files)?;
        let total = stale.len() as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        let read_one = |f: &&FileStat| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if n.is_multiple_of(512) {
                progress(n, total);
            }
            (f.path.clone(), backlog.read(&f.path))
        };
        let mut stats = ReconcileStats {
            scanned: files.len() as u64,
            read: 0,
            removed: 0,
        };
        // Many files (a new index, a `git pull`): rows are written while the next files are
        // read, in path order and in chunks, so the writer's time hides behind the reading
        // and only a few chunks of parsed files are held at once, not all of them.
        let streamed = stale.len() >= BULK_ROWS;
        // Filling a new index: what matters is speed, not durability (a lost index is rebuilt
        // from the files), so skip the fsyncs and give SQLite room to keep its pages.
        let bulk = known == 0 && streamed;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Read>>(4);
        std::thread::scope(|scope| -> Result<()> {
            if streamed {
                scope.spawn(move || {
                    for chunk in stale.chunks(BULK_CHUNK) {
                        let batch: Vec<Read> = chunk.par_iter().map(read_one).collect();
                        if sender.send(batch).is_err() {
                            break; // the writer stopped on an error
                        }
                    }
                });
            } else {
                // A few files: read them all before taking the write lock.
                let batch: Vec<Read> = stale.par_iter().map(read_one).collect();
                let _ = sender.send(batch);
                drop(sender);
            }
            if bulk {
                self.conn
                    .execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -131072;")
                    .ctx("preparing a bulk load")?;
            }
            let result = self.transaction(|tx| {
                // Dropped on return, so a reader still sending stops at once.
                let receiver = receiver;
                // Skipping the delete-before-insert is only safe if no other process filled the
                // index since `stamps` was read (two processes opening a new index at once).
                let fresh = known == 0
                    && !tx
                        .query_row("SELECT EXISTS(SELECT 1 FROM files)", [], |r| {
                            r.get::<_, bool>(0)
                        })
                        .ctx("checking for an empty index")?;
                // Sorting every row once into a new index is much faster than inserting rows
                // one by one into several indexes: drop the secondary indexes for a bulk load
                // and create them again (from their own SQL, so the migrations stay the only
                // schema) at the end.
                let dropped = if fresh && bulk {
                    drop_secondary_indexes(tx)?
                } else {
                    Vec::new()
                };
                let mut writer = RowWriter::new(tx)?;
                for path in &removed {
                    writer.remove(path)?;
                    stats.removed += 1;
                }
                for batch in receiver.iter() {
                    for (path, file) in &batch {
                        match file {
                            Some(file) => {
                                writer.store(file, !fresh)?;
                                stats.read += 1;
                            }
                            None => {
                                writer.remove(path)?;
                                stats.removed += 1;
                            }
                        }
                    }
                }
                for sql in &dropped {
                    tx.execute_batch(sql).ctx("recreating an index")?;
                }
                Ok(())
            });
            if bulk {
                self.conn
                    .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -2000;")
                    .ctx("ending a bulk load")?;
            }
            result
        })?;
        progress(total, total);
        Ok(stats)
    }

    /// [`Index::reconcile`], but when this index's file cannot be written (its disk filled up,
    /// its directory became read-only) switch to a temporary in-memory index and reconcile
    /// that: the files are the truth, so the run goes on. Returns the failure that caused the
    /// switch, for the caller to report; an in-memory index that fails is an error.
    pub fn reconcile_or_fall_back(
        &mut self,
        backlog: &Backlog,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<(ReconcileStats, Option<color_eyre::Report>)> {
        match self.reconcile(backlog, progress) {
            Ok(stats) => Ok((stats, None)),
            Err(err) if self.path.as_os_str() != ":memory:" => {
                *self = Index::in_memory(backlog)?;
                Ok((self.reconcile(backlog, progress)?, Some(err)))
            }
            Err(err) => Err(err),
        }
    }

    /// Re-read the given root-relative paths (a watcher batch): upsert what exists and is a
    /// card path, remove the rest. Returns what changed, skipping files whose content hash is
    /// what the index already holds (e.g. tack's own writes).
    pub fn apply_paths(&mut self, backlog: &Backlog, paths: &[String]) -> Result<Vec<Applied>> {
        let reads = read_paths(backlog, paths);
        self.apply_reads(&reads)
    }

    /// The write half of [`Index::apply_paths`], for a caller that needs the file contents it
    /// applied (the watcher reports what its own listeners have not seen, which can differ from
    /// what this shared index has not seen). `None` means the path is gone or not a card path.
    pub fn apply_reads(&mut self, reads: &[(String, Option<ReadFile>)]) -> Result<Vec<Applied>> {
        let mut applied = Vec::new();
        self.transaction(|tx| {
            let mut writer = RowWriter::new(tx)?;
            for (path, file) in reads {
                let old = writer.hash_and_id(path)?;
                match (file, old) {
                    (Some(file), Some((hash, _))) if hash == file.hash => {}
                    (Some(file), old) => {
                        writer.store(file, true)?;
                        let id = id_of(&file.parsed);
                        applied.push(if old.is_some() {
                            Applied::Updated {
                                path: path.clone(),
                                id,
                            }
                        } else {
                            Applied::Created {
                                path: path.clone(),
                                id,
                            }
                        });
                    }
                    (None, Some((_, id))) => {
                        writer.remove(path)?;
                        applied.push(Applied::Deleted {
                            path: path.clone(),
                            id,
                        });
                    }
                    (None, None) => {}
                }
            }
            Ok(())
        })?;
        Ok(applied)
    }

    /// Store one file just written by tack's writer.
    pub fn store(&mut self, file: &ReadFile) -> Result<()> {
        self.transaction(|tx| RowWriter::new(tx)?.store(file, true))
    }

    /// Content hash and card id (`None` for a problem file) of every file the index knows.
    pub fn file_hashes(&self) -> Result<Vec<(String, String, Option<String>)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.path, f.hash, i.id FROM files f LEFT JOIN items i ON i.path = f.path",
            )
            .ctx("reading file hashes")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .ctx("reading file hashes")?;
        rows.collect::<rusqlite::Result<_>>()
            .ctx("reading file hashes")
    }

    /// Size and mtime of every file the index knows.
    /// Compare the files on disk (sorted by path, as [`Backlog::list_files`] gives them) with
    /// the stamps in the index, in one ordered pass over both: no per-file allocation or hashing
    /// when nothing changed, which is what most commands find.
    fn changes<'f>(&self, files: &'f [FileStat]) -> Result<Changes<'f>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, size, mtime_ns, ctime_ns FROM files ORDER BY path")
            .ctx("reading file stamps")?;
        let mut rows = stmt.query([]).ctx("reading file stamps")?;
        let mut out = Changes {
            known: 0,
            removed: Vec::new(),
            stale: Vec::new(),
        };
        let mut disk = files.iter().peekable();
        while let Some(row) = rows.next().ctx("reading file stamps")? {
            out.known += 1;
            let path = row
                .get_ref(0)
                .and_then(|v| v.as_str().map_err(Into::into))
                .ctx("reading file stamps")?;
            let stamp: (i64, i64, i64) = (
                row.get(1).ctx("reading file stamps")?,
                row.get(2).ctx("reading file stamps")?,
                row.get(3).ctx("reading file stamps")?,
            );
            // Files before this row are not in the index.
            while let Some(f) = disk.next_if(|f| f.path.as_str() < path) {
                out.stale.push(f);
            }
            match disk.next_if(|f| f.path == path) {
                Some(f) if stamp == (f.size as i64, f.mtime_ns, f.ctime_ns) => {}
                Some(f) => out.stale.push(f),
                None => out.removed.push(path.to_string()),
            }
        }
        out.stale.extend(disk);
        Ok(out)
    }
}

/// Read root-relative paths in parallel as a watcher batch needs them: a path the layout does
/// not read as a card counts as gone, so a renamed-away card leaves the index.
pub fn read_paths(backlog: &Backlog, paths: &[String]) -> Vec<(String, Option<ReadFile>)> {
    paths
        .par_iter()
        .map(|p| {
            let file = backlog.is_item_path(p).then(|| backlog.read(p)).flatten();
            (p.clone(), file)
        })
        .collect()
}

/// Below this many files to read, they are read before the write lock is taken and the
/// indexes are kept during a fill (streaming and dropping them are not worth it).
const BULK_ROWS: usize = 2000;

/// Files read per batch handed to the writer when many files are read.
const BULK_CHUNK: usize = 1024;

/// One file as read for the index: its path, and what it holds (`None`: gone).
type Read = (String, Option<ReadFile>);

/// Drop the indexes of the card tables (not the primary keys) and return the SQL that makes
/// them again.
fn drop_secondary_indexes(tx: &Transaction<'_>) -> Result<Vec<String>> {
    let mut stmt = tx
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ('items', 'item_labels', 'item_assignees')",
        )
        .ctx("listing indexes")?;
    let indexes: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .ctx("listing indexes")?
        .collect::<rusqlite::Result<_>>()
        .ctx("listing indexes")?;
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
            .ctx("dropping an index for a bulk load")?;
    }
    Ok(indexes.into_iter().map(|(_, sql)| sql).collect())
}

/// How the files on disk differ from the index.
struct Changes<'f> {
    /// Rows the index holds.
    known: usize,
    /// Paths the index holds that are no longer on disk.
    removed: Vec<String>,
    /// Files new or changed (size or mtime) since they were indexed.
    stale: Vec<&'f FileStat>,
}

fn id_of(parsed: &Parsed) -> Option<String> {
    match parsed {
        Parsed::Item(item) => Some(item.card.id.clone()),
        Parsed::Problem(_) => None,
    }
}

/// Prepared statements for writing rows inside one transaction.
struct RowWriter<'t> {
    tx: &'t Transaction<'t>,
}

impl<'t> RowWriter<'t> {
    fn new(tx: &'t Transaction<'t>) -> Result<Self> {
        Ok(RowWriter { tx })
    }

    fn hash_and_id(&mut self, path: &str) -> Result<Option<(String, Option<String>)>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT f.hash, i.id FROM files f LEFT JOIN items i ON i.path = f.path WHERE f.path = ?1")
            .ctx("reading a file row")?;
        let mut rows = stmt.query(params![path]).ctx("reading a file row")?;
        match rows.next().ctx("reading a file row")? {
            Some(row) => Ok(Some((row.get(0).ctx("hash")?, row.get(1).ctx("id")?))),
            None => Ok(None),
        }
    }

    fn remove(&mut self, path: &str) -> Result<()> {
        for sql in [
            "DELETE FROM files WHERE path = ?1",
            "DELETE FROM items WHERE path = ?1",
            "DELETE FROM item_labels WHERE path = ?1",
            "DELETE FROM item_assignees WHERE path = ?1",
            "DELETE FROM problems WHERE path = ?1",
        ] {
            self.tx
                .prepare_cached(sql)
                .ctx("removing a file's rows")?
                .execute(params![path])
                .ctx("removing a file's rows")?;
        }
        Ok(())
    }

    /// Write one file's rows; `replace` clears older rows first (not needed on a fresh index).
    fn store(&mut self, file: &ReadFile, replace: bool) -> Result<()> {
        let path = &file.stat.path;
        if replace {
            self.remove(path)?;
        }
        let is_item = matches!(file.parsed, Parsed::Item(_));
        self.tx
            .prepare_cached(
                "INSERT INTO files(path, size, mtime_ns, ctime_ns, hash, is_item) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .ctx("writing a file row")?
            .execute(params![
                path,
                file.stat.size as i64,
                file.stat.mtime_ns,
                file.stat.ctime_ns,
                file.hash,
                is_item
            ])
            .ctx("writing a file row")?;
        match &file.parsed {
            Parsed::Item(item) => self.insert_item(item),
            Parsed::Problem(problem) => self.insert_problem(problem),
        }
    }

    fn insert_item(&mut self, item: &Item) -> Result<()> {
        let c = &item.card;
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        self.tx
            .prepare_cached(
                "INSERT INTO items(path, key, id, title, status, type, priority, assignee, parent, product,
                                   ordinal, created, updated, labels, assignees, blocked_by, fields)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )
            .ctx("writing an item row")?
            .execute(params![
                c.path,
                c.key,
                c.id,
                c.title,
                c.status,
                c.kind,
                c.priority,
                c.assignee,
                c.parent,
                c.product,
                c.ordinal,
                c.created,
                c.updated,
                json(&c.labels),
                json(&c.assignees),
                json(&c.blocked_by),
                serde_json::to_string(&item.fields).unwrap_or_else(|_| "{}".into()),
            ])
            .ctx("writing an item row")?;
        for label in dedup(&c.labels) {
            self.tx
                .prepare_cached("INSERT INTO item_labels(label, path) VALUES (?1, ?2)")
                .ctx("writing labels")?
                .execute(params![label, c.path])
                .ctx("writing labels")?;
        }
        for name in dedup(&c.assignees) {
            self.tx
                .prepare_cached("INSERT INTO item_assignees(name, path) VALUES (?1, ?2)")
                .ctx("writing assignees")?
                .execute(params![name.trim_start_matches('@'), c.path])
                .ctx("writing assignees")?;
        }
        Ok(())
    }

    fn insert_problem(&mut self, problem: &Problem) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO problems(path, line, message) VALUES (?1, ?2, ?3)")
            .ctx("writing a problem row")?
            .execute(params![problem.path, problem.line, problem.message])
            .ctx("writing a problem row")?;
        Ok(())
    }
}

fn dedup(values: &[String]) -> Vec<&str> {
    let mut seen = HashSet::new();
    values
        .iter()
        .map(|v| v.trim_start_matches('@'))
        .filter(|v| seen.insert(*v))
        .collect()
}
