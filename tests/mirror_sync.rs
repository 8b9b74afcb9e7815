//! `tack mirror URL` against a real PostgreSQL server: initial sync of both layouts and the
//! real kano fixture, files winning over hand edits, two backlogs in one database, schema
//! versions, metrics, and the password never shown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;
mod mirror_common;

use std::path::Path;

use mirror_common::{
    assert_mirror_equals_files, list_by_path, mirror, ok, root_of, run, shared, tack, PASSWORD,
};

fn sync_state(client: &mut postgres::Client, backlog: &str) -> (i32, i64, i64, i64) {
    let row = client
        .query_one(
            "SELECT items, last_rows_written, rows_written, lock_waits FROM tack.sync_state WHERE backlog = $1",
            &[&backlog],
        )
        .expect("sync_state row");
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

fn initial_sync(dir: &Path, hint: &str) {
    let server = shared();
    let db = server.create_db(hint);
    let cache = tempfile::tempdir().expect("cache");
    let out = mirror(dir, cache.path(), &server.url(&db));
    assert!(out.contains("rows written"), "{out}");
    let mut client = server.client(&db);
    assert_mirror_equals_files(dir, cache.path(), &mut client);
    let cards = list_by_path(&ok(tack(dir, cache.path()).args(["list", "--json"])));
    let (items, last, total, _) = sync_state(&mut client, &root_of(dir));
    assert_eq!(items as usize, cards.len());
    assert_eq!(last as usize, cards.len());
    assert_eq!(total as usize, cards.len());
    // A second sync of unchanged files writes nothing.
    mirror(dir, cache.path(), &server.url(&db));
    let (_, last, total, _) = sync_state(&mut client, &root_of(dir));
    assert_eq!(last, 0);
    assert_eq!(total as usize, cards.len());
}

#[test]
fn initial_sync_of_a_backlog_md_backlog() {
    let dir = common::generate("backlogmd", 400);
    initial_sync(dir.path(), "bmd");
}

#[test]
fn initial_sync_of_a_generated_kano_backlog() {
    let dir = common::generate("kabsd", 400);
    initial_sync(dir.path(), "kabsd");
}

#[test]
fn initial_sync_of_the_real_kano_fixture() {
    let dir = common::kano_fixture();
    initial_sync(dir.path(), "kano");
    // The fixture has files that are not cards: they are mirrored as problems, not items.
    let server = shared();
    let db = server.create_db("kanoprob");
    let cache = tempfile::tempdir().expect("cache");
    mirror(dir.path(), cache.path(), &server.url(&db));
    let problems: serde_json::Value = serde_json::from_str(&ok(
        tack(dir.path(), cache.path()).args(["index", "problems", "--json"])
    ))
    .expect("problems json");
    let mut client = server.client(&db);
    let n: i64 = client
        .query_one("SELECT count(*) FROM tack.problems", &[])
        .expect("count")
        .get(0);
    assert_eq!(n as usize, problems.as_array().map_or(0, Vec::len));
}

#[test]
fn files_win_over_hand_edits_at_the_next_sync() {
    let server = shared();
    let db = server.create_db("hand");
    let dir = common::generate("backlogmd", 60);
    let cache = tempfile::tempdir().expect("cache");
    let url = server.url(&db);
    mirror(dir.path(), cache.path(), &url);
    let root = root_of(dir.path());
    let mut client = server.client(&db);
    let path: String = client
        .query_one(
            "SELECT path FROM tack.items WHERE backlog = $1 ORDER BY path LIMIT 1",
            &[&root],
        )
        .expect("a row")
        .get(0);
    client
        .execute(
            "UPDATE tack.items SET title = 'edited by hand', labels = '{x}',
                    frontmatter = frontmatter || '{\"hand\": true}' WHERE backlog = $1 AND path = $2",
            &[&root, &path],
        )
        .expect("hand edit");
    client
        .execute(
            "DELETE FROM tack.items WHERE backlog = $1 AND path IN
                 (SELECT path FROM tack.items WHERE backlog = $1 ORDER BY path DESC LIMIT 2)",
            &[&root],
        )
        .expect("hand delete");
    client
        .execute(
            "INSERT INTO tack.items (backlog, path, key, id, title, status, body, frontmatter)
             VALUES ($1, 'backlog/tasks/task-999999 - Ghost.md', 'TASK-999999', 'TASK-999999',
                     'Ghost', 'To Do', '', '{}')",
            &[&root],
        )
        .expect("hand insert");
    mirror(dir.path(), cache.path(), &url);
    assert_mirror_equals_files(dir.path(), cache.path(), &mut client);
    let (_, last, _, _) = sync_state(&mut client, &root);
    assert_eq!(last, 4, "1 updated + 2 re-inserted + 1 deleted");
}

#[test]
fn two_backlogs_share_one_database() {
    let server = shared();
    let db = server.create_db("two");
    let a = common::generate("backlogmd", 50);
    let b = common::kano_fixture();
    let cache_a = tempfile::tempdir().expect("cache");
    let cache_b = tempfile::tempdir().expect("cache");
    let url = server.url(&db);
    mirror(a.path(), cache_a.path(), &url);
    mirror(b.path(), cache_b.path(), &url);
    // Syncing one again must not touch the other's rows.
    std::fs::remove_file(
        std::fs::read_dir(a.path().join("backlog/tasks"))
            .expect("tasks")
            .flatten()
            .next()
            .expect("a task")
            .path(),
    )
    .expect("remove a card");
    mirror(a.path(), cache_a.path(), &url);
    let mut client = server.client(&db);
    assert_mirror_equals_files(a.path(), cache_a.path(), &mut client);
    assert_mirror_equals_files(b.path(), cache_b.path(), &mut client);
    let backlogs: i64 = client
        .query_one("SELECT count(*) FROM tack.sync_state", &[])
        .expect("count")
        .get(0);
    assert_eq!(backlogs, 2);
    // The reader views answer per backlog.
    let per_status: i64 = client
        .query_one(
            "SELECT sum(cards)::bigint FROM tack.cards_per_status WHERE backlog = $1",
            &[&root_of(a.path())],
        )
        .expect("view")
        .get(0);
    assert_eq!(per_status, 49);
    let per_assignee: i64 = client
        .query_one(
            "SELECT count(*) FROM tack.cards_per_assignee WHERE backlog = $1",
            &[&root_of(b.path())],
        )
        .expect("view")
        .get(0);
    assert!(per_assignee > 0);
}

#[test]
fn the_password_never_appears_in_any_output() {
    let server = shared();
    let db = server.create_db("pw");
    let dir = common::generate("backlogmd", 5);
    let cache = tempfile::tempdir().expect("cache");
    // In the URL: the summary names the mirror, redacted.
    let out = mirror(dir.path(), cache.path(), &server.url(&db));
    assert!(out.contains(":***@127.0.0.1"), "{out}");
    // From PGPASSWORD.
    ok(tack(dir.path(), cache.path())
        .env("PGPASSWORD", PASSWORD)
        .args(["mirror", &server.url_without_password(&db)]));
    // From a pgpass file, by libpq's rules (0600, first match wins).
    let pgpass = cache.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!(
            "# test\nelsewhere:*:*:*:wrong\n127.0.0.1:{}:{db}:tack:{PASSWORD}\n",
            server.port
        ),
    )
    .expect("pgpass");
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    ok(tack(dir.path(), cache.path())
        .env("PGPASSFILE", &pgpass)
        .args(["mirror", &server.url_without_password(&db)]));
    // A wrong password fails with the URL redacted, and the wrong one is not echoed either.
    let wrong = format!(
        "postgres://tack:{PASSWORD}-wrong@127.0.0.1:{}/{db}",
        server.port
    );
    let out = run(tack(dir.path(), cache.path()).args(["mirror", &wrong]));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tack:***@127.0.0.1"), "{stderr}");
    // Nor without any password at all, nor in `tack backends` / `index status`.
    let out =
        run(tack(dir.path(), cache.path()).args(["mirror", &server.url_without_password(&db)]));
    assert!(!out.status.success());
    let backends = ok(tack(dir.path(), cache.path())
        .env("TACK_MIRROR", server.url(&db))
        .arg("backends"));
    assert!(
        backends.contains("mirror") && backends.contains("***"),
        "{backends}"
    );
    let status = ok(tack(dir.path(), cache.path()).args(["index", "status"]));
    assert!(status.contains("mirror:"), "{status}");
    // TACK_MIRROR is also the default target of `tack mirror`.
    ok(tack(dir.path(), cache.path())
        .env("TACK_MIRROR", server.url(&db))
        .arg("mirror"));
}

#[test]
fn schema_is_versioned_and_migrates_down_and_up() {
    let server = shared();
    let db = server.create_db("schema");
    let dir = common::generate("backlogmd", 5);
    let cache = tempfile::tempdir().expect("cache");
    let url = server.url(&db);
    mirror(dir.path(), cache.path(), &url);
    let mut client = server.client(&db);
    let version: i32 = client
        .query_one("SELECT max(version) FROM tack.schema_migrations", &[])
        .expect("version")
        .get(0);
    assert_eq!(version, 1);
    ok(tack(dir.path(), cache.path()).args(["mirror", &url, "--schema-version", "0"]));
    let gone: bool = client
        .query_one("SELECT to_regclass('tack.items') IS NULL", &[])
        .expect("regclass")
        .get(0);
    assert!(gone, "down migration removes the tables");
    mirror(dir.path(), cache.path(), &url);
    let n: i64 = client
        .query_one("SELECT count(*) FROM tack.items", &[])
        .expect("count")
        .get(0);
    assert_eq!(n, 5);
    // A database from a newer tack is refused, not mangled.
    client
        .execute(
            "INSERT INTO tack.schema_migrations(version, name) VALUES (99, 'future')",
            &[],
        )
        .expect("future version");
    let out = run(tack(dir.path(), cache.path()).args(["mirror", &url]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer"));
}

#[test]
fn index_status_reports_the_last_sync() {
    let server = shared();
    let db = server.create_db("metrics");
    let dir = common::generate("kabsd", 30);
    let cache = tempfile::tempdir().expect("cache");
    mirror(dir.path(), cache.path(), &server.url(&db));
    let status: serde_json::Value = serde_json::from_str(&ok(
        tack(dir.path(), cache.path()).args(["index", "status", "--json"])
    ))
    .expect("status json");
    assert_eq!(status["items"], 30);
    let m = &status["mirror"];
    assert_eq!(m["rows_written"], 30, "{status}");
    assert!(m["last_sync_ms"].is_u64());
    assert_eq!(m["lock_waits"], 0);
    assert!(m["mirror"].as_str().is_some_and(|u| u.contains("***")));
    let mut client = server.client(&db);
    let row = client
        .query_one(
            "SELECT last_sync_ms, last_full_sync_at IS NOT NULL FROM tack.sync_state",
            &[],
        )
        .expect("sync_state");
    assert!(row.get::<_, Option<i64>>(0).is_some());
    assert!(row.get::<_, bool>(1));
}

#[test]
fn a_concurrent_writer_of_the_same_backlog_is_waited_for_and_counted() {
    let server = shared();
    let db = server.create_db("lock");
    let dir = common::generate("backlogmd", 10);
    let cache = tempfile::tempdir().expect("cache");
    let url = server.url(&db);
    mirror(dir.path(), cache.path(), &url);
    let root = root_of(dir.path());
    // Hold the backlog's lock from another session for a moment.
    let mut holder = server.client(&db);
    let mut tx = holder.transaction().expect("tx");
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('tack.mirror:' || $1, 0))",
        &[&root],
    )
    .expect("lock");
    let child = tack(dir.path(), cache.path())
        .args(["mirror", &url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    tx.commit().expect("release");
    let out = child.wait_with_output().expect("mirror finishes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut client = server.client(&db);
    let (_, _, _, waits) = sync_state(&mut client, &root);
    assert!(waits >= 1, "lock waits counted: {waits}");
}

#[test]
fn the_index_location_accepts_sqlite_uris() {
    let dir = common::generate("backlogmd", 3);
    let cache = tempfile::tempdir().expect("cache");
    let file = cache.path().join("elsewhere.sqlite");
    let uri = format!("sqlite://{}", file.display());
    let status: serde_json::Value = serde_json::from_str(&ok(
        tack(dir.path(), cache.path()).args(["--index", &uri, "index", "status", "--json"])
    ))
    .expect("json");
    assert_eq!(status["path"], file.display().to_string());
    assert!(file.exists());
    let other = cache.path().join("env.sqlite");
    let status: serde_json::Value = serde_json::from_str(&ok(tack(dir.path(), cache.path())
        .env("TACK_INDEX", format!("sqlite://{}", other.display()))
        .args(["index", "status", "--json"])))
    .expect("json");
    assert_eq!(status["path"], other.display().to_string());
    let backends = ok(tack(dir.path(), cache.path()).args(["--index", &uri, "backends"]));
    assert!(backends.contains(&uri), "{backends}");
    let out = run(tack(dir.path(), cache.path()).args(["--index", "postgres://u:pw@h/db", "list"]));
    assert_eq!(out.status.code(), Some(2));
}
