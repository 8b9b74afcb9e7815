//! The derived SQLite index: it can be deleted, corrupted or left by another version and the
//! next command still answers from the files (with a one-line notice when it had to rebuild);
//! migrations go up and down; filters use their indexes; `index check` finds edits made behind
//! tack's back; and the writer refuses to overwrite a file that changed since it was read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use rusqlite::Connection;
use serde_json::Value;
use tack::edit::{Change, Edit};
use tack::index::migrate::{latest, migrate_to};
use tack::index::query::list_sql;
use tack::index::{Filter, Index};
use tack::layout::Backlog;
use tack::writer::{self, WriteError};

/// Where the binary keeps the index of `root`, as `index status --json` reports it.
fn index_path(root: &Path, cache: &Path) -> PathBuf {
    let status = common::json(root, cache, &["index", "status", "--json"]);
    PathBuf::from(status["path"].as_str().expect("a path"))
}

fn list(root: &Path, cache: &Path) -> Value {
    common::json(root, cache, &["list", "--json"])
}

/// Run `list --json` and return its cards and its stderr lines.
fn list_with_stderr(root: &Path, cache: &Path) -> (Value, Vec<String>) {
    let out = common::run(root, cache, &["list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cards = serde_json::from_slice(&out.stdout).expect("JSON");
    let stderr = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::to_string)
        .collect();
    (cards, stderr)
}

#[test]
fn a_deleted_index_is_rebuilt_with_the_same_rows() {
    let dir = common::generate("kabsd", 200);
    let cache = tempfile::tempdir().expect("cache");
    let before = list(dir.path(), cache.path());
    assert_eq!(before.as_array().map(Vec::len), Some(200));
    let path = index_path(dir.path(), cache.path());
    assert!(path.starts_with(cache.path()), "{}", path.display());
    std::fs::remove_file(&path).expect("delete the index");
    assert_eq!(list(dir.path(), cache.path()), before);
    assert!(path.is_file(), "the index was not recreated");
}

#[test]
fn a_corrupt_index_is_rebuilt_with_a_one_line_notice() {
    let dir = common::generate("backlogmd", 200);
    let cache = tempfile::tempdir().expect("cache");
    let before = list(dir.path(), cache.path());
    let path = index_path(dir.path(), cache.path());
    let size = std::fs::metadata(&path).expect("index file").len() as usize;
    let garbage: Vec<u8> = b"not a database, just garbage \x00\xff\x13"
        .iter()
        .copied()
        .cycle()
        .take(size.max(4096))
        .collect();
    std::fs::write(&path, garbage).expect("overwrite the index");

    let (after, stderr) = list_with_stderr(dir.path(), cache.path());
    assert_eq!(after, before);
    assert_eq!(stderr.len(), 1, "expected one notice, got {stderr:#?}");
    assert!(stderr[0].contains("rebuilding"), "{}", stderr[0]);
    // Once rebuilt, the next command is quiet again.
    let (again, stderr) = list_with_stderr(dir.path(), cache.path());
    assert_eq!(again, before);
    assert_eq!(stderr, Vec::<String>::new());
}

#[test]
fn a_truncated_index_is_rebuilt_too() {
    let dir = common::generate("kabsd", 300);
    let cache = tempfile::tempdir().expect("cache");
    let before = list(dir.path(), cache.path());
    let path = index_path(dir.path(), cache.path());
    let bytes = std::fs::read(&path).expect("index file");
    assert!(bytes.len() > 8192, "index too small to truncate");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
    let (after, stderr) = list_with_stderr(dir.path(), cache.path());
    assert_eq!(after, before);
    assert_eq!(stderr.len(), 1, "expected one notice, got {stderr:#?}");
}

#[test]
fn an_index_from_a_newer_tack_is_rebuilt_with_a_notice() {
    let dir = common::generate("backlogmd", 100);
    let cache = tempfile::tempdir().expect("cache");
    let before = list(dir.path(), cache.path());
    let path = index_path(dir.path(), cache.path());
    {
        let conn = Connection::open(&path).expect("open the index");
        conn.pragma_update(None, "user_version", latest() + 1)
            .expect("set user_version");
    }
    let (after, stderr) = list_with_stderr(dir.path(), cache.path());
    assert_eq!(after, before);
    assert_eq!(stderr.len(), 1, "expected one notice, got {stderr:#?}");
    assert!(stderr[0].contains("newer"), "{}", stderr[0]);
    let status = common::json(dir.path(), cache.path(), &["index", "status", "--json"]);
    assert_eq!(status["schema_version"], latest());
}

fn tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("names")
}

fn user_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version")
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("index.sqlite");
    let mut conn = Connection::open(&path).expect("open");
    assert_eq!(user_version(&conn), 0);
    assert_eq!(tables(&conn), Vec::<String>::new());

    migrate_to(&mut conn, latest()).expect("up");
    assert_eq!(user_version(&conn), latest());
    let schema = tables(&conn);
    for name in [
        "files",
        "items",
        "item_labels",
        "item_assignees",
        "problems",
        "meta",
        "items_status",
    ] {
        assert!(
            schema.iter().any(|t| t == name),
            "{name} missing: {schema:?}"
        );
    }

    migrate_to(&mut conn, 0).expect("down");
    assert_eq!(user_version(&conn), 0);
    assert_eq!(tables(&conn), Vec::<String>::new());

    migrate_to(&mut conn, latest()).expect("up again");
    drop(conn);
    // What was migrated is on disk, not only in this connection.
    let mut conn = Connection::open(&path).expect("reopen");
    assert_eq!(user_version(&conn), latest());
    assert_eq!(tables(&conn), schema);

    // A version this tack does not know is refused and changes nothing.
    assert!(migrate_to(&mut conn, latest() + 1).is_err());
    assert_eq!(user_version(&conn), latest());
}

/// Run `work` on `n` threads released together (after each has done its own `setup`), and
/// return their results: the shape of several tack processes starting at one moment.
fn at_once<S, T: Send + 'static>(
    n: usize,
    setup: impl Fn() -> S,
    work: impl Fn(S) -> T + Send + Sync + 'static,
) -> Vec<T>
where
    S: Send + 'static,
{
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(n));
    let work = std::sync::Arc::new(work);
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (state, barrier, work) = (setup(), barrier.clone(), work.clone());
            std::thread::spawn(move || {
                barrier.wait();
                work(state)
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|t| t.join().expect("no panic"))
        .collect()
}

/// Processes that open a brand-new index at the same moment (a board and `tack watch` started
/// together) all migrate it: each must succeed and find the schema complete, whichever of them
/// took which step. Many rounds, because the losing interleaving is a matter of timing.
#[test]
fn connections_migrating_one_new_index_at_once_all_succeed() {
    let dir = tempfile::tempdir().expect("dir");
    for round in 0..60 {
        let path = dir.path().join(format!("index-{round}.sqlite"));
        let connect = || {
            let conn = Connection::open(&path).expect("open");
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .expect("busy timeout");
            conn
        };
        let outcomes = at_once(4, connect, |mut conn| {
            migrate_to(&mut conn, latest()).map_err(|e| format!("{e:#}"))
        });
        assert_eq!(outcomes, vec![Ok(()); 4], "round {round}");
        let conn = Connection::open(&path).expect("reopen");
        assert_eq!(user_version(&conn), latest(), "round {round}");
        assert!(tables(&conn).iter().any(|t| t == "items"), "round {round}");
    }
}

/// Boards, watchers and commands opening one brand-new index at the same moment (and
/// reconciling it) all get the shared file: no notice, so none of them judged it unreadable,
/// rebuilt it under the others, or fell back to memory because it was locked.
#[test]
fn an_index_opened_by_many_at_once_is_shared_never_rebuilt() {
    let dir = common::generate("backlogmd", 50);
    let backlog = Backlog::discover(dir.path()).expect("backlog");
    let cache = tempfile::tempdir().expect("cache");
    for round in 0..25 {
        let path = cache.path().join(format!("index-{round}.sqlite"));
        let opened = at_once(
            4,
            || (backlog.clone(), path.clone()),
            |(backlog, path)| {
                let mut index = Index::open_at(&backlog, &path).expect("open");
                index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
                let cards = index.cards(&backlog, &Filter::default()).expect("cards");
                (index.notices.clone(), cards.len())
            },
        );
        assert_eq!(opened, vec![(Vec::<String>::new(), 50); 4], "round {round}");
    }
}

/// An index of a generated backlog, opened through the library in a private cache.
fn library_index(root: &Path, cache: &Path) -> (Backlog, Index) {
    let backlog = Backlog::discover(root).expect("backlog");
    let mut index = Index::open_at(&backlog, &cache.join("index.sqlite")).expect("index");
    index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    (backlog, index)
}

#[test]
fn status_and_label_filters_use_their_indexes() {
    let dir = common::generate("backlogmd", 200);
    let cache = tempfile::tempdir().expect("cache");
    let (_backlog, index) = library_index(dir.path(), cache.path());

    let (sql, args) = list_sql(&Filter {
        status: Some("Done".into()),
        ..Filter::default()
    });
    let plan = index.explain(&sql, &args).expect("plan").join("\n");
    assert!(
        plan.contains("USING INDEX items_status") || plan.contains("USING COVERING INDEX"),
        "{plan}"
    );
    assert!(!plan.contains("SCAN i"), "{plan}");

    let (sql, args) = list_sql(&Filter {
        label: Some("docs".into()),
        ..Filter::default()
    });
    let plan = index.explain(&sql, &args).expect("plan").join("\n");
    assert!(
        plan.contains("SEARCH l USING PRIMARY KEY (label=?)")
            || plan.contains("SEARCH l USING COVERING INDEX"),
        "{plan}"
    );
    assert!(!plan.contains("SCAN"), "{plan}");
}

#[test]
fn index_check_finds_an_edit_made_behind_tacks_back() {
    let dir = common::generate("kabsd", 100);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache");
    let listed = list(root, cache.path());
    let out = common::run(root, cache.path(), &["index", "check"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // Another tool changes a card's state without telling tack.
    let path = listed[0]["path"].as_str().expect("path").to_string();
    let abs = root.join(&path);
    let text = std::fs::read_to_string(&abs).expect("read");
    let state = listed[0]["status"].as_str().expect("status");
    let other = if state == "Done" { "Review" } else { "Done" };
    std::fs::write(
        &abs,
        text.replacen(
            &format!("\nstate: {state}\n"),
            &format!("\nstate: {other}\n"),
            1,
        ),
    )
    .expect("write");

    let out = common::run(root, cache.path(), &["index", "check"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&path), "{stdout}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "only that file differs: {stdout}"
    );

    // Any other command brings the index up to date; then check passes again.
    let after = list(root, cache.path());
    assert!(after
        .as_array()
        .expect("array")
        .iter()
        .any(|c| c["path"] == path.as_str() && c["status"] == other));
    let out = common::run(root, cache.path(), &["index", "check"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn index_check_lists_deleted_and_new_files() {
    let dir = common::generate("backlogmd", 30);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache");
    let listed = list(root, cache.path());
    let gone = listed[0]["path"].as_str().expect("path").to_string();
    std::fs::remove_file(root.join(&gone)).expect("delete");
    let new = "backlog/tasks/task-999 - Added by hand.md";
    std::fs::write(
        root.join(new),
        "---\nid: TASK-999\ntitle: Added by hand\nstatus: To Do\n---\n",
    )
    .expect("write");
    let out = common::run(root, cache.path(), &["index", "check"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&gone) && stdout.contains(new), "{stdout}");
}

#[test]
fn an_edit_based_on_an_old_read_is_refused_and_the_other_change_kept() {
    let dir = common::generate("backlogmd", 20);
    let cache = tempfile::tempdir().expect("cache");
    let (backlog, mut index) = library_index(dir.path(), cache.path());
    let cards = index.cards(&backlog, &Filter::default()).expect("cards");
    let path = cards[0].path.clone();
    let (item, hash) = index.item_at(&path).expect("query").expect("the item");

    // Someone else saves the file between tack's read and its write.
    let abs = backlog.abs(&path);
    let theirs = std::fs::read_to_string(&abs).expect("read").replacen(
        "\ntitle: ",
        "\ntitle: Renamed elsewhere ",
        1,
    );
    std::fs::write(&abs, &theirs).expect("their write");

    let edit = backlog.move_edit(&item, "Done", chrono::Local::now().naive_local());
    let err = writer::edit(&backlog, &mut index, &path, &hash, &edit).expect_err("a conflict");
    assert!(matches!(err, WriteError::Conflict { .. }), "{err:?}");
    assert_eq!(std::fs::read_to_string(&abs).expect("read"), theirs);

    // The same edit with a fresh read goes through and keeps their change.
    let fresh = tack::item::content_hash(theirs.as_bytes());
    let written = writer::edit(
        &backlog,
        &mut index,
        &path,
        &fresh,
        &Edit::set(Change::text("status", "Done")),
    )
    .expect("edit");
    assert_eq!(written.item.card.status, "Done");
    assert!(written.item.card.title.starts_with("Renamed elsewhere "));
}

#[test]
fn a_bulk_rebuild_gives_the_same_schema_and_rows() {
    // Enough cards for the bulk-load path (indexes dropped during the load, made again after).
    let dir = common::generate("kabsd", 2500);
    let cache = tempfile::tempdir().expect("cache");
    let out = common::ok(dir.path(), cache.path(), &["index", "rebuild"]);
    assert!(out.contains("2500 cards"), "{out}");
    let path = index_path(dir.path(), cache.path());
    let built = tables(&Connection::open(&path).expect("open"));

    let empty = tempfile::tempdir().expect("dir");
    let mut conn = Connection::open(empty.path().join("x.sqlite")).expect("open");
    migrate_to(&mut conn, latest()).expect("migrate");
    assert_eq!(
        built,
        tables(&conn),
        "indexes lost or added by the bulk load"
    );

    let out = common::run(dir.path(), cache.path(), &["index", "check"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let listed = list(dir.path(), cache.path());
    assert_eq!(listed.as_array().map(Vec::len), Some(2500));
    // A filtered list answers from the recreated indexes.
    let done = common::json(
        dir.path(),
        cache.path(),
        &["list", "--json", "--status", "Done"],
    );
    let expected = listed
        .as_array()
        .expect("array")
        .iter()
        .filter(|c| c["status"] == "Done")
        .count();
    assert!(expected > 0);
    assert_eq!(done.as_array().map(Vec::len), Some(expected));
}

#[test]
fn a_chmod_is_noticed_though_size_and_mtime_stay_the_same() {
    // A card made unreadable after it was indexed changes neither size nor mtime; only the
    // inode change time tells reconcile to read it again.
    use std::os::unix::fs::PermissionsExt;
    let dir = common::generate("backlogmd", 10);
    let cache = tempfile::tempdir().expect("cache");
    let backlog = tack::layout::Backlog::discover(dir.path()).expect("backlog");
    let mut index =
        tack::index::Index::open_at(&backlog, &cache.path().join("index.sqlite")).expect("index");
    index
        .reconcile(&backlog, &|_, _| {})
        .expect("first reconcile");
    assert_eq!(
        index.reconcile(&backlog, &|_, _| {}).expect("second").read,
        0
    );
    let card = backlog.list_files()[3].path.clone();
    std::fs::set_permissions(
        dir.path().join(&card),
        std::fs::Permissions::from_mode(0o444),
    )
    .expect("chmod");
    let stats = index.reconcile(&backlog, &|_, _| {}).expect("after chmod");
    assert_eq!(stats.read, 1, "the chmod'ed card is read again");
}
