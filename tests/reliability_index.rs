//! A broken index never stops tack: a truncated or garbled file, one from a future schema, a
//! location that cannot be created, a read-only cache directory and a full disk all end with
//! the cards listed from the files, a notice on stderr, and exit 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn list_with(root: &Path, cache: &Path, index: Option<&Path>) -> (Value, String) {
    let mut cmd = common::tack(root, cache);
    if let Some(index) = index {
        cmd.env("TACK_INDEX", index);
    }
    let out: Output = cmd.args(["list", "--json"]).output().expect("tack runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "tack list failed ({:?}): {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let cards = serde_json::from_slice(&out.stdout).expect("JSON");
    (cards, stderr)
}

fn index_file(cache: &Path) -> PathBuf {
    std::fs::read_dir(cache)
        .expect("cache dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "sqlite"))
        .expect("an index file in the cache")
}

/// The real kano backlog, its index truncated, garbled, or stamped with schema version 999.
#[test]
fn a_truncated_garbled_or_future_index_is_rebuilt_from_the_files() {
    let dir = common::kano_fixture();
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let (before, stderr) = list_with(&root, cache.path(), None);
    assert!(before.as_array().is_some_and(|a| a.len() > 10), "{before}");
    assert_eq!(stderr, "");
    let path = index_file(cache.path());
    type Break = fn(&Path);
    let breaks: [(&str, Break, &str); 3] = [
        (
            "truncated",
            |p| {
                let bytes = std::fs::read(p).expect("index");
                std::fs::write(p, &bytes[..bytes.len() / 3]).expect("truncate");
            },
            "rebuilding",
        ),
        (
            "garbage",
            |p| {
                let len = std::fs::metadata(p).expect("index").len() as usize;
                let junk: Vec<u8> = (0..len.max(8192)).map(|i| (i * 7 + 3) as u8).collect();
                std::fs::write(p, junk).expect("garble");
            },
            "rebuilding",
        ),
        (
            "schema 999",
            |p| {
                let conn = rusqlite::Connection::open(p).expect("open");
                conn.pragma_update(None, "user_version", 999)
                    .expect("user_version");
            },
            "newer",
        ),
    ];
    for (what, break_it, notice) in breaks {
        break_it(&path);
        let (after, stderr) = list_with(&root, cache.path(), None);
        assert_eq!(after, before, "{what}: the cards differ");
        assert!(stderr.contains(notice), "{what}: no notice: {stderr:?}");
        // Rebuilt in place: the next run is quiet and the index matches the files.
        let (again, stderr) = list_with(&root, cache.path(), None);
        assert_eq!(again, before);
        assert_eq!(stderr, "", "{what}: still noisy");
        common::ok(&root, cache.path(), &["index", "check"]);
    }
}

/// `TACK_INDEX` under a regular file: its directory can never be created (the case a read-only
/// cache directory gives a normal user). tack lists, moves and shows from an in-memory index.
#[test]
fn an_index_location_that_cannot_be_created_falls_back_to_memory() {
    let dir = common::generate("backlogmd", 50);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let (before, _) = list_with(&root, cache.path(), None);
    let blocker = cache.path().join("a-file");
    std::fs::write(&blocker, b"not a directory").expect("write");
    let index = blocker.join("sub/index.sqlite");
    let (after, stderr) = list_with(&root, cache.path(), Some(&index));
    assert_eq!(after, before);
    assert!(stderr.contains("in-memory"), "{stderr:?}");
    assert!(stderr.contains("Not a directory"), "{stderr:?}");

    let out = common::tack(&root, cache.path())
        .env("TACK_INDEX", &index)
        .args(["move", "TASK-3", "Done"])
        .output()
        .expect("tack runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = common::tack(&root, cache.path())
        .env("TACK_INDEX", &index)
        .args(["show", "TASK-3", "--json"])
        .output()
        .expect("tack runs");
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("JSON");
    assert_eq!(shown["status"], "Done");
    assert_eq!(
        std::fs::read(&blocker).expect("the blocker"),
        b"not a directory"
    );
}

fn is_root(dir: &Path) -> bool {
    let probe = dir.join(".uid-probe");
    let root = std::fs::write(&probe, b"").is_ok()
        && std::fs::metadata(&probe).is_ok_and(|m| m.uid() == 0);
    let _ = std::fs::remove_file(&probe);
    root
}

/// A read-only cache directory (chmod 555). As root the mode does not stop writes, so there
/// the test only shows tack still works; as a normal user it must fall back to memory.
#[test]
fn a_read_only_cache_directory_still_lists_the_cards() {
    let dir = common::generate("kabsd", 50);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let outer = tempfile::tempdir().expect("cache");
    let cache = outer.path().join("cache");
    std::fs::create_dir(&cache).expect("cache dir");
    let (before, _) = list_with(
        &root,
        &tempfile::tempdir().expect("other").path().join("c"),
        None,
    );
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let (after, stderr) = list_with(&root, &cache, None);
    assert_eq!(after, before);
    if is_root(outer.path()) {
        eprintln!(
            "running as root: a 0555 directory does not stop root from writing, so the read-only \
             cache is exercised by the test that puts the index under a regular file"
        );
    } else {
        assert!(stderr.contains("in-memory"), "{stderr:?}");
    }
    let _ = std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755));
}

/// A cache directory on a tmpfs of a given size (a disk that fills up), unmounted and removed
/// when dropped.
struct FullCache {
    dir: PathBuf,
    _outer: tempfile::TempDir,
}

impl FullCache {
    /// `None`, with the reason printed, where mounting is not permitted (not root, or a
    /// container that forbids it): the case that needs it is then skipped.
    fn mount(size: &str, case: &str) -> Option<FullCache> {
        let outer = tempfile::tempdir().expect("mount point");
        let dir = outer.path().join("full");
        std::fs::create_dir(&dir).expect("dir");
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output();
        let why = match out {
            Ok(out) if out.status.success() => return Some(FullCache { dir, _outer: outer }),
            Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
            Err(e) => format!("cannot run mount: {e}"),
        };
        eprintln!("skipping {case}: cannot mount a tmpfs ({why})");
        None
    }
}

impl Drop for FullCache {
    fn drop(&mut self) {
        // Runs before the fields are dropped: unmount, then the temp dir goes.
        let _ = std::process::Command::new("umount").arg(&self.dir).status();
    }
}

/// The cache on a full disk: one too small for even an empty index (64k), and one that fills
/// up while the index is being filled (256k). Needs `mount` (root, or a container that allows
/// it): skipped with the reason otherwise.
#[test]
fn a_full_disk_under_the_cache_still_lists_and_moves() {
    let dir = common::generate("kabsd", 200);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    for (n, size) in ["64k", "256k"].into_iter().enumerate() {
        let (before, _) = list_with(
            &root,
            &tempfile::tempdir().expect("c").path().join("c"),
            None,
        );
        let Some(full) = FullCache::mount(size, "the full-disk case") else {
            return;
        };
        let cache = full.dir.clone();
        let (after, stderr) = list_with(&root, &cache, None);
        assert_eq!(after, before, "{size}");
        assert!(stderr.contains("full"), "{size}: {stderr:?}");
        assert!(stderr.contains("in-memory"), "{size}: {stderr:?}");

        let card = before[7 + n]["path"].as_str().expect("a path").to_string();
        let out = common::run(&root, &cache, &["move", &card, "Dropped"]);
        assert!(
            out.status.success(),
            "{size}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(root.join(&card)).expect("card");
        assert!(text.contains("\nstate: Dropped\n"), "{size}: {text}");
    }
}

/// `tack index rebuild` with the cache on a full disk (64k: not even an empty index fits;
/// 256k: it fills up mid-rebuild) answers from the files like every other command: exit 0,
/// a notice, and the counts of a temporary in-memory index.
#[test]
fn a_rebuild_on_a_full_disk_falls_back_to_memory_with_a_notice() {
    let dir = common::generate("kabsd", 200);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    for size in ["64k", "256k"] {
        let Some(full) = FullCache::mount(size, "the full-disk rebuild") else {
            return;
        };
        let cache = full.dir.clone();
        let out = common::run(&root, &cache, &["index", "rebuild"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{size}: {stderr}");
        assert!(!stderr.contains("panicked"), "{size}: {stderr}");
        assert!(
            stderr.contains("in-memory"),
            "{size}: no notice: {stderr:?}"
        );
        assert!(
            stdout.starts_with("indexed 200 cards and 0 problems from 200 files"),
            "{size}: {stdout}"
        );
        assert!(stdout.contains(":memory:"), "{size}: {stdout}");
    }
}

/// The watcher with its index on a disk that fills up: it reports the failure as an error
/// event and keeps running on a temporary in-memory index, still reporting changes.
#[test]
fn the_watcher_keeps_running_when_its_index_cannot_be_written() {
    use std::sync::mpsc;
    use std::time::Duration;
    use tack::watch::{self, WatchEvent};

    let dir = common::generate("kabsd", 200);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let Some(full) = FullCache::mount("256k", "the full-disk watcher") else {
        return;
    };
    let cache = full.dir.clone();
    let backlog = tack::layout::Backlog::discover(&root).expect("backlog");
    let (tx, rx) = mpsc::channel();
    let handle = watch::spawn(backlog, cache.join("index.sqlite"), move |event| {
        let _ = tx.send(event);
    })
    .expect("the watcher starts");
    // A failure guard only: a healthy run takes a fraction of it.
    let guard = Duration::from_secs(60);
    let mut seen = Vec::new();
    let mut next_matching = |want: &dyn Fn(&WatchEvent) -> bool, what: &str| loop {
        match rx.recv_timeout(guard) {
            Ok(event) => {
                let hit = want(&event);
                seen.push(event);
                if hit {
                    return seen.clone();
                }
            }
            Err(err) => panic!("no {what} ({err}); events so far: {seen:#?}"),
        }
    };
    let events = next_matching(
        &|e| matches!(e, WatchEvent::Resynced { reason, .. } if reason == watch::REASON_START),
        "start",
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WatchEvent::Error(m) if m.contains("in-memory"))),
        "the index failure was not reported: {events:#?}"
    );
    // Still watching: a card edited now is reported.
    let card = common::item_files(&root)
        .into_iter()
        .nth(5)
        .expect("a card");
    let path = root.join(&card);
    let text = std::fs::read_to_string(&path).expect("card");
    std::fs::write(
        &path,
        text.replace("\nstate: ", "\nstate: Dropped\nold_state: "),
    )
    .expect("edit");
    next_matching(
        &|e| {
            matches!(e, WatchEvent::Applied(a) if a.iter().any(|a| matches!(a,
                tack::index::reconcile::Applied::Updated { path, .. } if *path == card)))
        },
        "update",
    );
    handle.stop();
}
