//! Live updates: a file watcher keeps the index, and everyone listening, current with the files.
//!
//! notify (inotify on Linux) feeds notify-debouncer-full, whose batches arrive on one worker
//! thread that owns its own index connection. Event kinds are not trusted: a rename-save, vim's
//! save and `sed -i` all look different and a directory moved away reports only the directory,
//! so a batch is turned into a set of root-relative paths and the disk is asked what each one
//! is now. What the worker cannot follow path by path (an event-queue overflow, a watcher
//! error, thousands of paths at once) it answers with a full [`Index::reconcile`], which
//! re-reads only files whose size or mtime changed.
//!
//! Only the layout's own directories are watched (`backlog/` for Backlog.md,
//! `_kano/backlog/products/` for kano), recursively, plus each directory between them and the
//! root without recursion, so that the data directory being deleted, moved away or brought
//! back is seen and its watch re-established, while `.git/`, `target/` or `node_modules/` beside
//! the backlog never cost a watch.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use color_eyre::eyre::{eyre, Result, WrapErr};
use notify_debouncer_full::notify::event::{AccessKind, AccessMode};
use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, Debouncer, NoCache};

use crate::index::reconcile::{read_paths, Applied};
use crate::index::{Index, ReconcileStats};
use crate::layout::{kano, Backlog, LayoutKind, Parsed, ReadFile};

/// How long the debouncer holds an event: long enough to see a rename-save's temp file and its
/// rename as one batch, short enough for the 200 ms budget from save to board.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// A batch with more paths than this (a `git checkout`, a `git pull`) is answered with one
/// full reconcile: listing and stat-ing the tree is cheaper than thousands of single lookups,
/// and listeners are better served by one "everything changed" than by thousands of events.
pub const CATCH_UP_PATHS: usize = 2_000;

/// The `reason` of the [`WatchEvent::Resynced`] that is always the first event: the index is
/// up to date and the watch is established.
pub const REASON_START: &str = "start";

/// What the watcher reports after it changed the index.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// Paths re-read and applied (created/updated/deleted), in one debounced batch.
    Applied(Vec<Applied>),
    /// A full reconcile ran (at start, after an overflow/error, or for a huge batch); `reason` says why.
    Resynced {
        stats: ReconcileStats,
        reason: String,
    },
    /// A large batch is being applied (e.g. a git checkout): `pending` paths.
    CatchingUp { pending: usize },
    /// Something failed; the watcher keeps running.
    Error(String),
}

/// A running watcher. Dropping it stops the watcher thread and waits for it, so a batch being
/// applied is finished rather than cut off mid-transaction.
pub struct WatchHandle {
    tx: Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

impl WatchHandle {
    /// Stop the watcher and wait for its thread (the same as dropping the handle).
    pub fn stop(self) {}
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

enum Msg {
    Batch(DebounceEventResult),
    Stop,
}

type Watcher = Debouncer<RecommendedWatcher, NoCache>;

/// Watch `backlog`, keeping the index at `index_path` current, and call `on_event` (on the
/// watcher thread) after each change. The watches are established before this returns; the
/// index is opened and reconciled on the watcher thread, whose first event is a
/// [`WatchEvent::Resynced`] with reason [`REASON_START`].
pub fn spawn(
    backlog: Backlog,
    index_path: PathBuf,
    on_event: impl Fn(WatchEvent) + Send + 'static,
) -> Result<WatchHandle> {
    let (tx, rx) = mpsc::channel();
    let events = tx.clone();
    // No file-id cache: it would stat the whole tree up front and on every create only to
    // pair renames, and renames are not trusted here anyway.
    let mut debouncer: Watcher = new_debouncer_opt(
        DEBOUNCE,
        None,
        move |result: DebounceEventResult| {
            let _ = events.send(Msg::Batch(result));
        },
        NoCache::new(),
        notify_debouncer_full::notify::Config::default(),
    )
    .wrap_err("cannot start the file watcher")?;
    let plan = Plan::of(&backlog);
    let errors = plan.watch(&backlog, &mut debouncer);
    if !errors.is_empty() {
        return Err(eyre!("cannot watch the backlog: {}", errors.join("; ")));
    }
    let thread = std::thread::Builder::new()
        .name("tack-watch".into())
        .spawn(move || {
            let index = match Index::open_at(&backlog, &index_path) {
                Ok(index) => index,
                Err(err) => {
                    on_event(WatchEvent::Error(format!("cannot open the index: {err:#}")));
                    return;
                }
            };
            for notice in &index.notices {
                on_event(WatchEvent::Error(notice.clone()));
            }
            let mut worker = Worker {
                backlog,
                index,
                debouncer,
                plan,
                known: BTreeMap::new(),
                on_event,
            };
            worker.run(rx);
        })
        .wrap_err("cannot start the watcher thread")?;
    Ok(WatchHandle {
        tx,
        thread: Some(thread),
    })
}

/// Which directories are watched, as root-relative paths.
#[derive(Debug, Clone)]
struct Plan {
    /// Watched recursively: where the layout's cards live.
    data: String,
    /// Watched without recursion, from the root down to `data`'s parent: they see `data` (or
    /// one of them) disappear and come back.
    chain: Vec<String>,
}

impl Plan {
    fn of(backlog: &Backlog) -> Plan {
        let data = match backlog.kind {
            LayoutKind::BacklogMd => "backlog".to_string(),
            LayoutKind::Kano => kano::PRODUCTS_DIR.to_string(),
        };
        let mut chain = vec![String::new()];
        let mut at = String::new();
        let parts: Vec<&str> = data.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(part);
            chain.push(at.clone());
        }
        Plan { data, chain }
    }

    /// (Re-)establish every watch whose directory exists. A watch that followed its directory
    /// elsewhere, or died with it, is dropped first; the root's own watch is only ever added to
    /// (inotify merges it). Returns what could not be watched.
    fn watch(&self, backlog: &Backlog, debouncer: &mut Watcher) -> Vec<String> {
        let mut errors = Vec::new();
        let dirs = self
            .chain
            .iter()
            .map(|d| (d, RecursiveMode::NonRecursive))
            .chain([(&self.data, RecursiveMode::Recursive)]);
        for (dir, mode) in dirs {
            let abs = backlog.abs(dir);
            if !dir.is_empty() {
                let _ = debouncer.unwatch(&abs);
            }
            if !abs.is_dir() {
                continue;
            }
            if let Err(err) = debouncer.watch(&abs, mode) {
                errors.push(format!("{}: {err}", abs.display()));
            }
        }
        errors
    }

    /// Whether `rel` is the data directory or one of the directories leading to it, whose
    /// change means the watches must be re-established.
    fn is_structural(&self, rel: &str) -> bool {
        rel == self.data || self.chain.iter().skip(1).any(|c| c == rel)
    }

    fn is_inside(&self, rel: &str) -> bool {
        rel.strip_prefix(&self.data)
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// What the watcher last saw of a file: enough to tell its listeners created from updated, and
/// to name a deleted card.
#[derive(Debug, Clone)]
struct Known {
    hash: String,
    id: Option<String>,
}

/// One debounced batch (or several that queued up while the previous one was applied).
#[derive(Default)]
struct Batch {
    paths: BTreeSet<PathBuf>,
    rescan: bool,
    errors: Vec<String>,
}

impl Batch {
    fn add(&mut self, result: DebounceEventResult) {
        match result {
            Ok(events) => {
                for event in events {
                    if event.need_rescan() {
                        self.rescan = true;
                    }
                    if is_read_only(&event.kind) {
                        continue;
                    }
                    self.paths.extend(event.event.paths);
                }
            }
            Err(errors) => self.errors.extend(errors.iter().map(|e| e.to_string())),
        }
    }
}

/// Opening and reading a file are events too (inotify reports the watcher's own reads); they
/// never change a card, and following them would make the watcher chase its own tail.
fn is_read_only(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Access(
            AccessKind::Open(_) | AccessKind::Read | AccessKind::Close(AccessMode::Read)
        )
    )
}

/// Editors' and tools' scratch files, never cards: hidden names (vim's `.x.md.swp`, tack's own
/// `.tack-*.tmp`, Backlog.md's `.locks/`), backups (`x.md~`), and vim's write probe `4913`.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
        || crate::layout::temp::is_temp_name(name)
}

struct Worker<F> {
    backlog: Backlog,
    index: Index,
    debouncer: Watcher,
    plan: Plan,
    known: BTreeMap<String, Known>,
    on_event: F,
}

/// What a batch asks the worker to do, once its paths are sorted out.
#[derive(Default)]
struct Work {
    files: BTreeSet<String>,
    /// Directories whose every card path must be looked at (after any re-watch and re-read of
    /// the layout, so a new kano product's cards count as cards).
    dirs: BTreeSet<String>,
    rewatch: bool,
    resync: Option<String>,
}

impl<F: Fn(WatchEvent)> Worker<F> {
    fn run(&mut self, rx: Receiver<Msg>) {
        self.resync(REASON_START.to_string());
        loop {
            let mut batch = Batch::default();
            match rx.recv() {
                Ok(Msg::Batch(result)) => batch.add(result),
                Ok(Msg::Stop) | Err(_) => return,
            }
            // Whatever queued up while the last batch was applied is one batch now: a burst
            // is read once, not once per debouncer tick.
            let mut stop = false;
            while let Ok(msg) = rx.try_recv() {
                match msg {
                    Msg::Batch(result) => batch.add(result),
                    Msg::Stop => {
                        stop = true;
                        break;
                    }
                }
            }
            self.apply(batch);
            if stop {
                return;
            }
        }
    }

    fn apply(&mut self, batch: Batch) {
        let mut work = Work::default();
        for error in batch.errors {
            (self.on_event)(WatchEvent::Error(format!("file watcher: {error}")));
            work.resync
                .get_or_insert_with(|| format!("the file watcher failed: {error}"));
        }
        if batch.rescan {
            work.resync = Some("the file watcher's event queue overflowed".into());
        }
        for path in &batch.paths {
            self.classify(path, &mut work);
        }
        if work.rewatch {
            if self.backlog.kind == LayoutKind::Kano {
                self.reopen();
            }
            for error in self.plan.watch(&self.backlog, &mut self.debouncer) {
                (self.on_event)(WatchEvent::Error(format!("cannot watch {error}")));
            }
        }
        for dir in std::mem::take(&mut work.dirs) {
            self.subtree(&dir, &mut work.files);
        }
        if work.resync.is_none() && work.files.len() > CATCH_UP_PATHS {
            (self.on_event)(WatchEvent::CatchingUp {
                pending: work.files.len(),
            });
            work.resync = Some(format!("{} files changed at once", work.files.len()));
        }
        match work.resync {
            Some(reason) => self.resync(reason),
            None if !work.files.is_empty() => {
                let paths: Vec<String> = work.files.into_iter().collect();
                self.apply_paths(&paths);
            }
            None => {}
        }
    }

    /// Turn one reported path into card paths to re-read, or into a re-watch.
    fn classify(&mut self, path: &Path, work: &mut Work) {
        let Some(rel) = self.backlog.rel_as_listed(path) else {
            return;
        };
        if rel.split('/').any(is_ignored_name) {
            return;
        }
        if self.plan.is_structural(&rel) {
            work.rewatch = true;
            work.dirs.insert(rel);
            return;
        }
        if !self.plan.is_inside(&rel) {
            return;
        }
        if self.backlog.is_item_path(&rel) || self.known.contains_key(&rel) {
            work.files.insert(rel);
            return;
        }
        if rel.ends_with(".md") {
            return;
        }
        // A directory (created, moved in, moved out, deleted) is often all inotify reports of
        // the files inside it; a plain non-card file leaves both of these empty.
        let abs = self.backlog.abs(&rel);
        let is_dir = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_dir());
        if is_dir || self.known_under(&rel).next().is_some() {
            if self.backlog.kind == LayoutKind::Kano
                && !rel[self.plan.data.len() + 1..].contains('/')
            {
                // A product folder came or went: the layout's product list changes with it.
                work.rewatch = true;
            }
            work.dirs.insert(rel);
        }
    }

    /// Every card path under `rel`: the ones on disk now and the ones this watcher knew.
    fn subtree(&self, rel: &str, files: &mut BTreeSet<String>) {
        files.extend(self.known_under(rel).cloned());
        let base = self.backlog.abs(rel);
        let walk = walkdir::WalkDir::new(&base)
            .max_depth(8)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_ignored_name(&e.file_name().to_string_lossy()));
        for entry in walk.flatten() {
            if entry.file_type().is_dir() {
                continue;
            }
            if let Some(child) = self.backlog.rel_as_listed(entry.path()) {
                if self.backlog.is_item_path(&child) {
                    files.insert(child);
                }
            }
        }
    }

    fn known_under<'a>(&'a self, rel: &str) -> impl Iterator<Item = &'a String> + 'a {
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        self.known
            .range(prefix.clone()..)
            .map(|(path, _)| path)
            .take_while(move |path| path.starts_with(&prefix))
    }

    /// Read the layout's configuration again (kano's product list lives in its folders).
    fn reopen(&mut self) {
        match Backlog::open(self.backlog.root.clone(), self.backlog.kind) {
            Ok(backlog) => self.backlog = backlog,
            Err(err) => (self.on_event)(WatchEvent::Error(format!(
                "cannot re-read the backlog's layout: {err:#}"
            ))),
        }
    }

    fn apply_paths(&mut self, paths: &[String]) {
        let reads = read_paths(&self.backlog, paths);
        if let Err(err) = self.index.apply_reads(&reads) {
            (self.on_event)(WatchEvent::Error(format!(
                "cannot update the index: {err:#}"
            )));
            self.resync(format!("an index update failed: {err:#}"));
            return;
        }
        let applied = self.report(&reads);
        if !applied.is_empty() {
            (self.on_event)(WatchEvent::Applied(applied));
        }
    }

    /// What changed since this watcher last looked, whoever wrote the index: another tack
    /// process's write is already in the shared index, but this watcher's listeners have not
    /// seen it.
    fn report(&mut self, reads: &[(String, Option<ReadFile>)]) -> Vec<Applied> {
        let mut applied = Vec::new();
        for (path, file) in reads {
            match file {
                Some(file) => {
                    let id = match &file.parsed {
                        Parsed::Item(item) => Some(item.card.id.clone()),
                        Parsed::Problem(_) => None,
                    };
                    let known = Known {
                        hash: file.hash.clone(),
                        id: id.clone(),
                    };
                    let path = path.clone();
                    match self.known.insert(path.clone(), known) {
                        None => applied.push(Applied::Created { path, id }),
                        Some(old) if old.hash != file.hash => {
                            applied.push(Applied::Updated { path, id })
                        }
                        Some(_) => {}
                    }
                }
                None => {
                    if let Some(old) = self.known.remove(path) {
                        applied.push(Applied::Deleted {
                            path: path.clone(),
                            id: old.id,
                        });
                    }
                }
            }
        }
        applied
    }

    fn resync(&mut self, reason: String) {
        let path = self.index.path.clone();
        let result = self.index.reconcile_or_fall_back(&self.backlog, &|_, _| {});
        if let Ok((_, Some(err))) = &result {
            // Said as an error, because otherwise nobody would learn that the index on disk
            // stopped following the files; the watcher itself goes on in memory.
            (self.on_event)(WatchEvent::Error(format!(
                "cannot update the index at {} ({reason}): {err:#}; using a temporary \
                 in-memory index",
                path.display()
            )));
        }
        let result = result.map(|(stats, _)| stats);
        match result {
            Ok(stats) => {
                self.reload_known();
                (self.on_event)(WatchEvent::Resynced { stats, reason });
            }
            Err(err) => (self.on_event)(WatchEvent::Error(format!(
                "cannot reconcile the index ({reason}): {err:#}"
            ))),
        }
    }

    fn reload_known(&mut self) {
        match self.index.file_hashes() {
            Ok(rows) => {
                self.known = rows
                    .into_iter()
                    .map(|(path, hash, id)| (path, Known { hash, id }))
                    .collect();
            }
            Err(err) => {
                (self.on_event)(WatchEvent::Error(format!("cannot read the index: {err:#}")))
            }
        }
    }
}

/// `tack watch`: keep the index current in the foreground and print each change, one line
/// each, flushed, so scripts and tests can follow along. Runs until killed; an interrupted
/// batch leaves the index as it was (its transaction is rolled back) and the next run's start
/// reconcile catches up.
pub fn run_command(dir: &Path, json: bool) -> Result<()> {
    let backlog = Backlog::discover(dir)?;
    crate::layout::temp::clean_stale_temps(&backlog);
    let index_path = crate::index::default_location(&backlog);
    let root = backlog.root.clone();
    let kind = backlog.kind;
    let (tx, rx) = mpsc::channel();
    let _handle = spawn(backlog, index_path, move |event| {
        let _ = tx.send(event);
    })?;
    let mut out = std::io::stdout().lock();
    for event in rx {
        for line in lines(&event, json, &root, kind) {
            if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                // Whoever read our output is gone: nothing left to report to.
                return Ok(());
            }
        }
        if let WatchEvent::Error(message) = &event {
            if !json {
                eprintln!("tack: {message}");
            }
        }
    }
    Err(eyre!("the watcher stopped unexpectedly"))
}

/// The output lines for one event (`--json`: one object per line).
fn lines(event: &WatchEvent, json: bool, root: &Path, kind: LayoutKind) -> Vec<String> {
    use serde_json::json;
    match event {
        WatchEvent::Applied(applied) => applied
            .iter()
            .map(|a| {
                if json {
                    serde_json::to_string(a).unwrap_or_default()
                } else {
                    let (what, path, id) = match a {
                        Applied::Created { path, id } => ("created", path, id),
                        Applied::Updated { path, id } => ("updated", path, id),
                        Applied::Deleted { path, id } => ("deleted", path, id),
                    };
                    format!("{what} {} {path}", id.as_deref().unwrap_or("-"))
                }
            })
            .collect(),
        WatchEvent::Resynced { stats, reason } if reason == REASON_START => vec![if json {
            json!({"event": "ready", "root": root, "layout": kind, "files": stats.scanned})
                .to_string()
        } else {
            format!(
                "watching {} ({}, {} files)",
                root.display(),
                kind.name(),
                stats.scanned
            )
        }],
        WatchEvent::Resynced { stats, reason } => vec![if json {
            json!({"event": "resynced", "reason": reason, "scanned": stats.scanned,
                   "read": stats.read, "removed": stats.removed})
            .to_string()
        } else {
            format!(
                "resynced ({reason}): {} files re-read, {} removed, {} in all",
                stats.read, stats.removed, stats.scanned
            )
        }],
        WatchEvent::CatchingUp { pending } => vec![if json {
            json!({"event": "catching_up", "pending": pending}).to_string()
        } else {
            format!("catching up on {pending} changed files")
        }],
        WatchEvent::Error(message) => {
            if json {
                vec![json!({"event": "error", "message": message}).to_string()]
            } else {
                Vec::new()
            }
        }
    }
}
