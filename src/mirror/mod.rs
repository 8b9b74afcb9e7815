//! The team mirror: a PostgreSQL copy of the backlog, fed one way from the files.
//!
//! The files stay the only source of truth. `tack mirror URL` makes the database equal to
//! them (inserts, updates, deletes, in batches, one transaction each) and `--watch` keeps it
//! so, riding the file watcher. Nothing ever flows back: a row edited in the database is
//! overwritten from its file at the next sync. Several backlogs may share one database; their
//! rows are told apart by the `backlog` column.

pub mod connect;
pub mod export;
pub mod schema;
pub mod sync;
pub mod tls;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use clap::Args;
use color_eyre::eyre::{eyre, Result};

use crate::backend::{self, MIRROR_ENV};
use crate::error::UsageError;
use crate::index::meta::{self, LocalMetrics};
use crate::index::reconcile::Applied;
use crate::index::Index;
use crate::layout::Backlog;
use crate::session::Session;
use crate::watch::WatchEvent;
use connect::Target;
use sync::{Mirror, SyncReport};

/// `tack mirror`.
#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: $TACK_MIRROR). The password
    /// may instead come from PGPASSWORD or ~/.pgpass.
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// Stay running and apply every file change as it happens.
    #[arg(long)]
    pub watch: bool,
    /// The value of the `backlog` column (default: the backlog's root path). Give the same
    /// name on every machine that mirrors one repository.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Rows per transaction.
    #[arg(long, default_value_t = sync::DEFAULT_BATCH, hide = true)]
    pub batch: usize,
    /// Only migrate the mirror's schema to this version (0 removes tack's tables), then exit.
    #[arg(long, value_name = "N")]
    pub schema_version: Option<i32>,
}

fn note_sync(index: &Index, target: &Target, name: &str, report: &SyncReport) {
    let mut m = meta::local_metrics(index).unwrap_or_default();
    if m.mirror != target.shown || m.backlog != name {
        m = LocalMetrics::default();
    }
    m.mirror = target.shown.clone();
    m.backlog = name.to_string();
    m.last_sync_at = chrono::Local::now().to_rfc3339();
    m.full = report.full;
    if report.full {
        m.items = report.items;
    }
    m.rows_written = report.rows_written();
    m.rows_written_total += report.rows_written();
    m.last_sync_ms = report.millis;
    m.lock_waits += report.lock_waits;
    m.last_error = None;
    meta::save_local_metrics(index, &m);
}

fn note_error(index: &Index, target: &Target, name: &str, message: &str) {
    let mut m = meta::local_metrics(index).unwrap_or_default();
    m.mirror = target.shown.clone();
    m.backlog = name.to_string();
    m.last_error = Some(message.to_string());
    meta::save_local_metrics(index, &m);
}

fn target_of(url: Option<&str>) -> Result<Target> {
    let url = match url {
        Some(url) => url.to_string(),
        None => std::env::var(MIRROR_ENV)
            .ok()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                UsageError(format!(
                    "no mirror given: `tack mirror postgres://USER@HOST/DB` or set {MIRROR_ENV}"
                ))
            })?,
    };
    match backend::parse(&url)? {
        backend::Backend::Postgres(url) => Target::from_url(&url),
        backend::Backend::Sqlite(_) => Err(UsageError(format!(
            "the mirror must be a postgres:// URL, not {}",
            backend::redact(&url)
        ))
        .into()),
    }
}

/// `tack mirror [URL] [--watch]`.
pub fn run(dir: &Path, args: MirrorArgs) -> Result<()> {
    let target = target_of(args.url.as_deref())?;
    // Every error leaving this command is scrubbed: libraries below may quote what we gave them.
    let scrub = target.clone();
    run_with(dir, args, target).map_err(|e| match e.downcast::<UsageError>() {
        Ok(usage) => UsageError(scrub.scrub(&usage)).into(),
        Err(e) => eyre!("{}", scrub.scrub(&e)),
    })
}

fn run_with(dir: &Path, args: MirrorArgs, target: Target) -> Result<()> {
    if let Some(version) = args.schema_version {
        let mut client = target.connect()?;
        let steps = schema::migrate_to(&mut client, version)?;
        if steps.is_empty() {
            println!(
                "mirror schema already at version {version} ({})",
                target.shown
            );
        }
        for step in steps {
            println!("migrated {step} ({})", target.shown);
        }
        return Ok(());
    }
    if args.watch {
        return watch(dir, &args, target);
    }
    let session = Session::open(dir)?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| session.backlog.root.to_string_lossy().into_owned());
    let result = Mirror::connect(&target, &session.backlog, &name).and_then(|mut mirror| {
        mirror.batch = args.batch;
        let report = mirror.full_sync(&session.backlog, &session.index);
        if let Err(err) = &report {
            let _ = mirror.record_error(&target.scrub(err));
        }
        report
    });
    match result {
        Ok(report) => {
            note_sync(&session.index, &target, &name, &report);
            println!(
                "mirrored {} cards and {} problems to {}: {} rows written ({} upserted, {} deleted) in {} ms",
                report.items,
                report.problems,
                target.shown,
                report.rows_written(),
                report.upserted,
                report.deleted,
                report.millis
            );
            Ok(())
        }
        Err(err) => {
            note_error(&session.index, &target, &name, &target.scrub(&err));
            Err(err)
        }
    }
}

/// How long to gather further watcher events before writing, so a burst (a rename-save, a
/// `git checkout`) becomes one transaction without eating into the one-second budget.
const COALESCE: Duration = Duration::from_millis(30);

/// `--watch`: the watcher thread feeds a channel (it never waits for the database); this
/// thread owns the database connection, coalesces changed paths, and when the database is
/// gone reconnects with backoff and then re-syncs fully, since changes may have been missed.
fn watch(dir: &Path, args: &MirrorArgs, target: Target) -> Result<()> {
    let backlog = Backlog::discover(dir)?;
    crate::layout::temp::clean_stale_temps(&backlog);
    let index_path = crate::index::default_location(&backlog);
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| backlog.root.to_string_lossy().into_owned());
    let (tx, rx) = mpsc::channel();
    let _handle = crate::watch::spawn(backlog.clone(), index_path.clone(), move |event| {
        let _ = tx.send(event);
    })?;
    let mut out = std::io::stdout();
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}").and_then(|_| out.flush());
    };
    let mut mirror: Option<Mirror> = None;
    let mut pending: BTreeSet<String> = BTreeSet::new();
    let mut ready = false;
    let mut need_full = true;
    let mut attempt: u32 = 0;
    let mut next_try = Instant::now();
    let mut last_error: Option<String> = None;
    let mut down = false;
    loop {
        // Wait for the watcher, or until a reconnect is due.
        let wait = if ready && (need_full || !pending.is_empty()) {
            next_try.saturating_duration_since(Instant::now())
        } else {
            Duration::from_secs(3600)
        };
        let first = match rx.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(eyre!("the file watcher stopped unexpectedly"))
            }
        };
        let mut events: Vec<WatchEvent> = first.into_iter().collect();
        if !events.is_empty() {
            let until = Instant::now() + COALESCE;
            while let Ok(event) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                events.push(event);
            }
        }
        for event in events {
            match event {
                WatchEvent::Applied(applied) => {
                    pending.extend(applied.into_iter().map(|a| match a {
                        Applied::Created { path, .. }
                        | Applied::Updated { path, .. }
                        | Applied::Deleted { path, .. } => path,
                    }));
                }
                WatchEvent::Resynced { .. } => {
                    ready = true;
                    need_full = true;
                }
                WatchEvent::CatchingUp { .. } => {}
                WatchEvent::Error(message) => say(format!("watcher: {message}")),
            }
        }
        if !ready || (!need_full && pending.is_empty()) || Instant::now() < next_try {
            continue;
        }
        // Opened only once the watcher has brought the index up (two openers of a fresh index
        // would race to create it), and afresh for every sync, because the watcher may have
        // rebuilt the file since.
        let index = match Index::open_at(&backlog, &index_path) {
            Ok(index) => index,
            Err(err) => {
                say(format!("cannot open the index: {err:#}"));
                next_try = Instant::now() + sync::backoff(attempt);
                continue;
            }
        };
        if mirror.is_none() {
            match Mirror::connect(&target, &backlog, &name) {
                Ok(mut m) => {
                    m.batch = args.batch;
                    if down {
                        say(format!("mirror {} reachable again", target.shown));
                        down = false;
                    }
                    if let Some(message) = last_error.take() {
                        let _ = m.record_error(&message);
                    }
                    attempt = 0;
                    need_full = true;
                    mirror = Some(m);
                }
                Err(err) => {
                    let delay = sync::backoff(attempt);
                    attempt = attempt.saturating_add(1);
                    next_try = Instant::now() + delay;
                    let message = target.scrub(&err);
                    if !down {
                        say(format!(
                            "mirror unreachable: {message}; retrying with backoff"
                        ));
                        down = true;
                    }
                    note_error(&index, &target, &name, &message);
                    last_error = Some(message);
                    continue;
                }
            }
        }
        let Some(m) = mirror.as_mut() else { continue };
        let result = if need_full {
            // Everything pending is covered: a full sync reads the index as it is now.
            let paths_before = std::mem::take(&mut pending);
            let r = m.full_sync(&backlog, &index);
            if r.is_err() {
                pending = paths_before;
            }
            r
        } else {
            let paths: Vec<String> = pending.iter().cloned().collect();
            let r = m.apply_paths(&backlog, &index, &paths);
            if r.is_ok() {
                pending.clear();
            }
            r
        };
        match result {
            Ok(report) => {
                need_full = false;
                note_sync(&index, &target, &name, &report);
                if report.full {
                    say(format!(
                        "synced {} cards to {}: {} rows written in {} ms",
                        report.items,
                        target.shown,
                        report.rows_written(),
                        report.millis
                    ));
                } else if report.rows_written() > 0 {
                    say(format!(
                        "mirrored {} upserted, {} deleted in {} ms",
                        report.upserted, report.deleted, report.millis
                    ));
                }
            }
            Err(err) => {
                let message = target.scrub(&err);
                say(format!("mirror error: {message}; reconnecting"));
                note_error(&index, &target, &name, &message);
                if !m.is_closed() {
                    let _ = m.record_error(&message);
                }
                last_error = Some(message);
                mirror = None;
                need_full = true;
                next_try = Instant::now() + sync::backoff(attempt);
                attempt = attempt.saturating_add(1);
            }
        }
    }
}

/// `tack backends`.
pub fn backends(dir: &Path, json: bool) -> Result<()> {
    let backlog = Backlog::discover(dir)?;
    let index_path = crate::index::default_location(&backlog);
    let list = backend::in_force(&index_path);
    if json {
        println!("{}", serde_json::to_string(&list)?);
    } else {
        for b in &list {
            println!("{:<7} {}  ({})", b.role, b.uri, b.source);
        }
    }
    Ok(())
}
