//! Making the mirror's rows equal to the files.
//!
//! Rows go up with COPY into a session temp table, then one `INSERT … SELECT … ON CONFLICT
//! DO UPDATE … WHERE (columns) IS DISTINCT FROM (new columns)` per batch: COPY is the fastest
//! way into PostgreSQL, and comparing every mirrored column in the database is what makes a
//! hand edit visible (and overwritten) without keeping any state beside the files. A row that
//! already equals its file is not rewritten, so `rows_written` counts real changes.

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant};

use color_eyre::eyre::{eyre, Result};
use postgres::{Client, Transaction};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::connect::Target;
use crate::index::query::Indexed;
use crate::index::Index;
use crate::item::{self, Card, Problem};
use crate::layout::{Backlog, Parsed};

/// Rows per transaction: big enough that a 100k backlog is a few dozen round trips, small
/// enough that a batch's COPY stays a few MB and a lock is held only briefly.
pub const DEFAULT_BATCH: usize = 2000;

/// One `tack.items` row, minus the backlog name: the card from the index, its frontmatter as
/// the JSON text the index already holds (passed through, never re-parsed), and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub card: Card,
    pub fields_json: String,
    pub body: String,
}

/// One batch ready to send: the COPY text of its rows, built off the database thread.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Paths whose row is in `copy`.
    pub present: Vec<String>,
    /// Paths that are no card (any more): their rows must go.
    pub gone: Vec<String>,
    pub copy: Vec<u8>,
}

impl Loaded {
    fn of(rows: Vec<(String, Option<Row>)>) -> Loaded {
        let mut out = Loaded::default();
        for (path, row) in rows {
            match row {
                Some(row) => {
                    copy_row(&mut out.copy, &row);
                    out.present.push(path);
                }
                None => out.gone.push(path),
            }
        }
        out
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SyncReport {
    pub full: bool,
    pub items: u64,
    pub problems: u64,
    pub upserted: u64,
    pub deleted: u64,
    pub lock_waits: u64,
    pub millis: u64,
}

impl SyncReport {
    pub fn rows_written(&self) -> u64 {
        self.upserted + self.deleted
    }
}

/// A connection to the mirror for one backlog.
pub struct Mirror {
    client: Client,
    pub target: Target,
    /// The value of the `backlog` column: the root path unless the user named it.
    pub name: String,
    root: String,
    layout: String,
    pub batch: usize,
}

const COLUMNS: &str = "path, key, id, title, status, type, priority, assignee, assignees, labels, \
     parent, blocked_by, product, ordinal, created, updated, body, frontmatter";

impl Mirror {
    /// Connect and bring the schema to the latest version.
    pub fn connect(target: &Target, backlog: &Backlog, name: &str) -> Result<Mirror> {
        let mut client = target.connect()?;
        super::schema::migrate_to(&mut client, super::schema::latest())
            .map_err(|e| eyre!("{}", target.scrub(&e)))?;
        client
            .batch_execute(
                "CREATE TEMP TABLE IF NOT EXISTS tack_incoming (
                     path text, key text, id text, title text, status text, type text,
                     priority text, assignee text, assignees text[], labels text[], parent text,
                     blocked_by text[], product text, ordinal double precision, created text,
                     updated text, body text, frontmatter jsonb
                 ) ON COMMIT DELETE ROWS;
                 SET application_name = 'tack mirror';",
            )
            .map_err(|e| eyre!("{}", target.scrub_error(&e)))?;
        Ok(Mirror {
            client,
            target: target.clone(),
            name: name.to_string(),
            root: backlog.root.to_string_lossy().into_owned(),
            layout: backlog.kind.name().to_string(),
            batch: DEFAULT_BATCH,
        })
    }

    /// Whether the connection is known dead (the watcher then reconnects).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Make the whole backlog's rows equal to the files. The index is read (and files
    /// opened) on a second thread with its own index connection, one batch ahead, so reading
    /// and PostgreSQL's work overlap.
    pub fn full_sync(&mut self, backlog: &Backlog, index: &Index) -> Result<SyncReport> {
        let started = Instant::now();
        let mut report = SyncReport {
            full: true,
            ..SyncReport::default()
        };
        let existing: Vec<String> = self
            .client
            .query(
                "SELECT path FROM tack.items WHERE backlog = $1",
                &[&self.name],
            )
            .map_err(|e| self.err(e))?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        trace(|| {
            format!(
                "{} rows in the mirror: {:?}",
                existing.len(),
                started.elapsed()
            )
        });
        let batch = self.batch.max(1);
        let mut present: HashSet<String> = HashSet::with_capacity(existing.len());
        let mut consume = |loaded: Loaded| -> Result<()> {
            let (upserted, _, waits) = self.write_batch(&loaded, None)?;
            report.upserted += upserted;
            report.lock_waits += waits;
            present.extend(loaded.present);
            Ok(())
        };
        let own_connection = index.path.as_os_str() != ":memory:";
        if own_connection {
            let path = index.path.clone();
            std::thread::scope(|s| -> Result<()> {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Loaded>>(2);
                let producer = s.spawn(move || {
                    let result = Index::open_at(backlog, &path).and_then(|reader| {
                        produce(backlog, &reader, batch, &mut |loaded| {
                            tx.send(Ok(loaded))
                                .map_err(|_| eyre!("the database side stopped"))
                        })
                    });
                    if let Err(err) = result {
                        let _ = tx.send(Err(err));
                    }
                });
                for loaded in rx {
                    consume(loaded?)?;
                }
                producer
                    .join()
                    .map_err(|_| eyre!("reading the index panicked"))
            })?;
        } else {
            // An in-memory index cannot be opened twice: read it on this thread.
            produce(backlog, index, batch, &mut consume)?;
        }
        let gone: Vec<String> = existing
            .into_iter()
            .filter(|p| !present.contains(p))
            .collect();
        for chunk in gone.chunks(batch * 5) {
            let loaded = Loaded {
                gone: chunk.to_vec(),
                ..Loaded::default()
            };
            let (_, deleted, waits) = self.write_batch(&loaded, None)?;
            report.deleted += deleted;
            report.lock_waits += waits;
        }
        let problems = index.problems()?;
        let (_, _, waits) = self.write_batch(&Loaded::default(), Some((None, &problems)))?;
        report.lock_waits += waits;
        report.items = present.len() as u64;
        report.problems = problems.len() as u64;
        report.millis = started.elapsed().as_millis() as u64;
        self.record(&report)?;
        trace(|| format!("full sync: {:?}", started.elapsed()));
        Ok(report)
    }

    /// Bring the rows of these root-relative paths up to date (a watcher batch).
    pub fn apply_paths(
        &mut self,
        backlog: &Backlog,
        index: &Index,
        paths: &[String],
    ) -> Result<SyncReport> {
        let started = Instant::now();
        let mut report = SyncReport::default();
        let problems = index.problems()?;
        for chunk in paths.chunks(self.batch.max(1)) {
            let indexed = chunk
                .iter()
                .map(|p| index.indexed_at(p))
                .collect::<Result<Vec<_>>>()?;
            let loaded = Loaded::of(finish_rows(backlog, chunk, indexed));
            let scope: HashSet<&str> = chunk.iter().map(String::as_str).collect();
            let chunk_problems: Vec<Problem> = problems
                .iter()
                .filter(|p| scope.contains(p.path.as_str()))
                .cloned()
                .collect();
            let (upserted, deleted, waits) =
                self.write_batch(&loaded, Some((Some(chunk), &chunk_problems)))?;
            report.upserted += upserted;
            report.deleted += deleted;
            report.lock_waits += waits;
        }
        report.millis = started.elapsed().as_millis() as u64;
        self.record(&report)?;
        Ok(report)
    }

    /// One transaction: upsert the batch's rows, delete its gone paths, and replace problem
    /// rows (those of `scope` paths, or all of this backlog's when the scope is `None`).
    /// Returns (rows upserted, rows deleted, lock waits).
    fn write_batch(
        &mut self,
        loaded: &Loaded,
        problems: Option<(Option<&[String]>, &[Problem])>,
    ) -> Result<(u64, u64, u64)> {
        let name = self.name.clone();
        let target = self.target.clone();
        let err =
            |e: &dyn std::error::Error| eyre!("mirror {}: {}", target.shown, target.scrub_error(e));
        let began = Instant::now();
        let mut tx = self.client.transaction().map_err(|e| err(&e))?;
        let waits = lock_backlog(&mut tx, &name).map_err(|e| err(&e))?;
        let mut upserted = 0;
        if !loaded.present.is_empty() {
            let mut writer = tx
                .copy_in(&format!("COPY tack_incoming ({COLUMNS}) FROM STDIN"))
                .map_err(|e| err(&e))?;
            writer.write_all(&loaded.copy).map_err(|e| err(&e))?;
            writer.finish().map_err(|e| err(&e))?;
            let copied = Instant::now();
            upserted = tx.execute(UPSERT, &[&name]).map_err(|e| err(&e))?;
            trace(|| {
                format!(
                    "upsert of {} rows: {:?}",
                    loaded.present.len(),
                    copied.elapsed()
                )
            });
        }
        let mut deleted = 0;
        let gone = &loaded.gone;
        if !gone.is_empty() {
            deleted = tx
                .execute(
                    "DELETE FROM tack.items WHERE backlog = $1 AND path = ANY($2)",
                    &[&name, &gone],
                )
                .map_err(|e| err(&e))?;
        }
        if let Some((scope, list)) = problems {
            match scope {
                Some(paths) => tx.execute(
                    "DELETE FROM tack.problems WHERE backlog = $1 AND path = ANY($2)",
                    &[&name, &paths],
                ),
                None => tx.execute("DELETE FROM tack.problems WHERE backlog = $1", &[&name]),
            }
            .map_err(|e| err(&e))?;
            for p in list {
                let line = p.line.map(|l| l as i32);
                tx.execute(
                    "INSERT INTO tack.problems(backlog, path, line, message) VALUES ($1, $2, $3, $4)",
                    &[&name, &p.path, &line, &p.message],
                )
                .map_err(|e| err(&e))?;
            }
        }
        tx.commit().map_err(|e| err(&e))?;
        trace(|| format!("batch transaction: {:?}", began.elapsed()));
        Ok((upserted, deleted, waits))
    }

    /// Write this sync's numbers into `tack.sync_state`.
    fn record(&mut self, report: &SyncReport) -> Result<()> {
        let full = report.full;
        let written = report.rows_written() as i64;
        let millis = report.millis as i64;
        let waits = report.lock_waits as i64;
        let version = env!("CARGO_PKG_VERSION");
        self.client
            .execute(
                "INSERT INTO tack.sync_state AS s
                     (backlog, root, layout, last_sync_at, last_full_sync_at, items, problems,
                      last_rows_written, rows_written, last_sync_ms, lock_waits, tack_version)
                 VALUES ($1, $2, $3, now(), CASE WHEN $4 THEN now() END,
                         (SELECT count(*) FROM tack.items WHERE backlog = $1)::int,
                         (SELECT count(*) FROM tack.problems WHERE backlog = $1)::int,
                         $5, $5, $6, $7, $8)
                 ON CONFLICT (backlog) DO UPDATE SET
                     root = EXCLUDED.root,
                     layout = EXCLUDED.layout,
                     last_sync_at = EXCLUDED.last_sync_at,
                     last_full_sync_at = coalesce(EXCLUDED.last_full_sync_at, s.last_full_sync_at),
                     items = EXCLUDED.items,
                     problems = EXCLUDED.problems,
                     last_rows_written = EXCLUDED.last_rows_written,
                     rows_written = s.rows_written + EXCLUDED.rows_written,
                     last_sync_ms = EXCLUDED.last_sync_ms,
                     lock_waits = s.lock_waits + EXCLUDED.lock_waits,
                     tack_version = EXCLUDED.tack_version",
                &[
                    &self.name,
                    &self.root,
                    &self.layout,
                    &full,
                    &written,
                    &millis,
                    &waits,
                    &version,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Note an error in `tack.sync_state` (already scrubbed of secrets by the caller).
    pub fn record_error(&mut self, message: &str) -> Result<()> {
        self.client
            .execute(
                "INSERT INTO tack.sync_state AS s (backlog, root, layout, last_error, last_error_at)
                 VALUES ($1, $2, $3, $4, now())
                 ON CONFLICT (backlog) DO UPDATE SET
                     last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at",
                &[&self.name, &self.root, &self.layout, &message],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn err(&self, e: impl std::error::Error) -> color_eyre::Report {
        eyre!(
            "mirror {}: {}",
            self.target.shown,
            self.target.scrub_error(&e)
        )
    }
}

/// Insert new rows, and rewrite existing ones only where a mirrored column differs from the
/// file (a file edit, or a hand edit in the database that the file now overrides).
const UPSERT: &str = "INSERT INTO tack.items AS t (backlog, path, key, id, title, status, type, priority, assignee, assignees, labels, parent, blocked_by, product, ordinal, created, updated, body, frontmatter, synced_at)
     SELECT $1, path, key, id, title, status, type, priority, assignee, assignees, labels, parent, blocked_by, product, ordinal, created, updated, body, frontmatter, now()
     FROM tack_incoming
     ON CONFLICT (backlog, path) DO UPDATE SET
         key = EXCLUDED.key, id = EXCLUDED.id, title = EXCLUDED.title, status = EXCLUDED.status,
         type = EXCLUDED.type, priority = EXCLUDED.priority, assignee = EXCLUDED.assignee,
         assignees = EXCLUDED.assignees, labels = EXCLUDED.labels, parent = EXCLUDED.parent,
         blocked_by = EXCLUDED.blocked_by, product = EXCLUDED.product, ordinal = EXCLUDED.ordinal,
         created = EXCLUDED.created, updated = EXCLUDED.updated, body = EXCLUDED.body,
         frontmatter = EXCLUDED.frontmatter, synced_at = EXCLUDED.synced_at
     WHERE (t.key, t.id, t.title, t.status, t.type, t.priority, t.assignee, t.assignees, t.labels,
            t.parent, t.blocked_by, t.product, t.ordinal, t.created, t.updated, t.body, t.frontmatter)
         IS DISTINCT FROM
           (EXCLUDED.key, EXCLUDED.id, EXCLUDED.title, EXCLUDED.status, EXCLUDED.type,
            EXCLUDED.priority, EXCLUDED.assignee, EXCLUDED.assignees, EXCLUDED.labels,
            EXCLUDED.parent, EXCLUDED.blocked_by, EXCLUDED.product, EXCLUDED.ordinal,
            EXCLUDED.created, EXCLUDED.updated, EXCLUDED.body, EXCLUDED.frontmatter)";

/// Take this backlog's write lock for the transaction; 1 if another writer held it and we
/// waited. Two `tack mirror` processes of one backlog (two machines, or `--watch` plus a
/// manual run) thus never interleave half-batches.
fn lock_backlog(tx: &mut Transaction<'_>, name: &str) -> Result<u64, postgres::Error> {
    let got: bool = tx
        .query_one(
            "SELECT pg_try_advisory_xact_lock(hashtextextended('tack.mirror:' || $1, 0))",
            &[&name],
        )?
        .get(0);
    if got {
        return Ok(0);
    }
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('tack.mirror:' || $1, 0))",
        &[&name],
    )?;
    Ok(1)
}

/// Phase timings on stderr with `TACK_MIRROR_TRACE=1`, for tuning batch sizes on a real server.
fn trace(message: impl FnOnce() -> String) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("TACK_MIRROR_TRACE").is_some()) {
        eprintln!("tack mirror: {}", message());
    }
}

/// Read the whole index batch by batch, handing each batch's COPY text to `send`.
fn produce(
    backlog: &Backlog,
    index: &Index,
    batch: usize,
    send: &mut dyn FnMut(Loaded) -> Result<()>,
) -> Result<()> {
    let mut after = String::new();
    loop {
        let started = Instant::now();
        let chunk = index.indexed_after(&after, batch)?;
        let Some(last) = chunk.last() else {
            return Ok(());
        };
        after = last.card.path.clone();
        let paths: Vec<String> = chunk.iter().map(|c| c.card.path.clone()).collect();
        let loaded = Loaded::of(finish_rows(
            backlog,
            &paths,
            chunk.into_iter().map(Some).collect(),
        ));
        trace(|| format!("read {} cards: {:?}", paths.len(), started.elapsed()));
        send(loaded)?;
    }
}

/// Rows for `paths` (in parallel): `Some` for a card, `None` for a path whose row must go.
/// The card comes from the index and the body from the file; when the file changed since the
/// index saw it, both come from the bytes just read, so a row never mixes two versions.
fn finish_rows(
    backlog: &Backlog,
    paths: &[String],
    indexed: Vec<Option<Indexed>>,
) -> Vec<(String, Option<Row>)> {
    paths
        .par_iter()
        .zip(indexed.into_par_iter())
        .map(|(path, indexed)| (path.clone(), row_of(backlog, path, indexed)))
        .collect()
}

fn row_of(backlog: &Backlog, path: &str, indexed: Option<Indexed>) -> Option<Row> {
    let bytes = std::fs::read(backlog.abs(path)).ok()?;
    let text = item::decode(&bytes).ok()?;
    let body = backlog.split(text).ok()?.body.to_string();
    match indexed {
        Some(ix) if ix.hash == item::content_hash(&bytes) => Some(Row {
            card: ix.card,
            fields_json: ix.fields_json,
            body,
        }),
        _ if backlog.is_item_path(path) => match backlog.parse_bytes(path, &bytes) {
            Parsed::Item(item) => Some(Row {
                fields_json: serde_json::Value::Object(item.fields).to_string(),
                card: item.card,
                body,
            }),
            Parsed::Problem(_) => None,
        },
        _ => None,
    }
}

/// Append one row in COPY text format.
fn copy_row(buf: &mut Vec<u8>, row: &Row) {
    let c = &row.card;
    let text = |buf: &mut Vec<u8>, s: &str| copy_escape(buf, s);
    let opt = |buf: &mut Vec<u8>, s: &Option<String>| match s {
        Some(s) => copy_escape(buf, s),
        None => buf.extend_from_slice(b"\\N"),
    };
    let list = |buf: &mut Vec<u8>, values: &[String]| copy_escape(buf, &array_literal(values));
    text(buf, &c.path);
    buf.push(b'\t');
    text(buf, &c.key);
    buf.push(b'\t');
    text(buf, &c.id);
    buf.push(b'\t');
    text(buf, &c.title);
    buf.push(b'\t');
    text(buf, &c.status);
    buf.push(b'\t');
    opt(buf, &c.kind);
    buf.push(b'\t');
    opt(buf, &c.priority);
    buf.push(b'\t');
    opt(buf, &c.assignee);
    buf.push(b'\t');
    list(buf, &c.assignees);
    buf.push(b'\t');
    list(buf, &c.labels);
    buf.push(b'\t');
    opt(buf, &c.parent);
    buf.push(b'\t');
    list(buf, &c.blocked_by);
    buf.push(b'\t');
    opt(buf, &c.product);
    buf.push(b'\t');
    match c.ordinal {
        Some(x) if x.is_finite() => buf.extend_from_slice(format!("{x:?}").as_bytes()),
        _ => buf.extend_from_slice(b"\\N"),
    }
    buf.push(b'\t');
    opt(buf, &c.created);
    buf.push(b'\t');
    opt(buf, &c.updated);
    buf.push(b'\t');
    text(buf, &row.body);
    buf.push(b'\t');
    text(buf, &row.fields_json);
    buf.push(b'\n');
}

/// COPY text format: backslash, tab, newline and carriage return are escaped; NUL cannot
/// occur (such files are problems, not cards) but is dropped rather than sent.
fn copy_escape(buf: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            0 => {}
            b => buf.push(b),
        }
    }
}

/// A `text[]` literal with every element quoted, so commas, braces and the word NULL stay text.
fn array_literal(values: &[String]) -> String {
    let mut out = String::from("{");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for ch in v.chars() {
            if ch == '"' || ch == '\\' {
                out.push('\\');
            }
            if ch != '\0' {
                out.push(ch);
            }
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// How long the watcher waits before reconnecting after the n-th failed attempt in a row.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 200u64.saturating_mul(1 << attempt.min(5));
    Duration::from_millis(ms.min(5000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_quote_everything() {
        assert_eq!(
            array_literal(&["a,b".into(), "NULL".into(), "q\"\\".into()]),
            r#"{"a,b","NULL","q\"\\"}"#
        );
        assert_eq!(array_literal(&[]), "{}");
    }

    #[test]
    fn copy_escapes_control_characters() {
        let mut buf = Vec::new();
        copy_escape(&mut buf, "a\tb\nc\\d\re");
        assert_eq!(buf, b"a\\tb\\nc\\\\d\\re");
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert!(backoff(0) < backoff(1));
        assert_eq!(backoff(30), Duration::from_millis(5000));
    }
}
