//! `tack init` and the first minutes of a new user: a backlog made in both layouts takes a
//! card at once; a second init changes nothing; outside a backlog every command says so and
//! points at `tack init`; the board without a terminal refuses instead of panicking; and no
//! error a user meets shows a source location, a backtrace or colour, even with
//! RUST_BACKTRACE set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use pretty_assertions::assert_eq;
use serde_json::Value;

/// A fresh empty directory (no backlog in it or, under the temp dir, above it) and a cache
/// directory for the index.
fn empty() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    (dir, tempfile::tempdir().expect("cache dir"))
}

/// Every file and folder under `dir`, with the bytes of each file (`None` for a folder).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .flatten()
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("inside").to_path_buf();
            let bytes = e
                .file_type()
                .is_file()
                .then(|| std::fs::read(e.path()).expect("read"));
            (rel, bytes)
        })
        .collect()
}

/// Run `tack ARGS` in `dir` as a script would, with every backtrace switch on: stdin from
/// /dev/null, stdout and stderr piped.
fn run_noisy(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    common::tack(dir, cache)
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "full")
        .env("COLORBT_SHOW_HIDDEN", "1")
        .stdin(Stdio::null())
        .output()
        .expect("tack runs")
}

/// The one line `tack` printed on stderr: `tack: ` and a sentence, with no source location,
/// backtrace, panic or colour in it.
fn one_plain_line(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.starts_with("tack: "), "{what}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{what}: one line: {stderr}"
    );
    for noise in [
        "Location",
        "backtrace",
        "Backtrace",
        "panicked",
        "\x1b[",
        "src/",
    ] {
        assert!(
            !stderr.contains(noise),
            "{what} printed {noise:?}: {stderr}"
        );
    }
    stderr
}

/// `tack init ARGS`, `tack new "First card"`, then `tack list --json`: the one card listed.
fn init_then_new(args: &[&str]) -> (tempfile::TempDir, Value) {
    let (dir, cache) = empty();
    let said = common::ok(dir.path(), cache.path(), args);
    assert!(
        said.contains("tack new"),
        "init says what to do next: {said}"
    );
    common::ok(dir.path(), cache.path(), &["new", "First card"]);
    let list = common::json(dir.path(), cache.path(), &["list", "--json"]);
    let cards = list.as_array().expect("a JSON array");
    assert_eq!(cards.len(), 1, "{list}");
    (dir, cards[0].clone())
}

#[test]
fn init_makes_a_backlog_md_backlog_that_takes_a_card() {
    let (dir, card) = init_then_new(&["init"]);
    assert_eq!(card["title"], "First card");
    assert_eq!(card["id"], "TASK-1");
    assert_eq!(card["status"], "To Do");
    let root = dir.path();
    for folder in [
        "tasks",
        "drafts",
        "completed",
        "archive/tasks",
        "archive/drafts",
        "archive/milestones",
        "docs",
        "decisions",
        "milestones",
    ] {
        assert!(
            root.join("backlog").join(folder).is_dir(),
            "backlog/{folder}"
        );
    }
    let config = std::fs::read_to_string(root.join("backlog/config.yml")).expect("config");
    let name = root.file_name().expect("a name").to_string_lossy();
    assert!(
        config.starts_with(&format!("project_name: \"{name}\"\n")),
        "named after the directory: {config}"
    );
    // Backlog.md must never commit, fetch or read other branches behind the user's back.
    for line in [
        "remote_operations: false",
        "auto_commit: false",
        "check_active_branches: false",
        "task_prefix: \"task\"",
    ] {
        assert!(config.lines().any(|l| l == line), "{line} in {config}");
    }
}

#[test]
fn init_makes_a_kano_backlog_that_takes_a_card() {
    let (dir, cache) = empty();
    let root = dir.path().join("shop-front");
    std::fs::create_dir(&root).expect("mkdir");
    common::ok(&root, cache.path(), &["init", "--layout", "kano"]);
    common::ok(&root, cache.path(), &["new", "First card"]);
    let list = common::json(&root, cache.path(), &["list", "--json"]);
    let cards = list.as_array().expect("a JSON array");
    assert_eq!(cards.len(), 1, "{list}");
    // The prefix kano derives: the first letters of the name's first two words.
    assert_eq!(cards[0]["id"], "SF-TSK-0001");
    assert_eq!(cards[0]["title"], "First card");
    assert_eq!(cards[0]["product"], "shop-front");
    assert!(
        cards[0]["path"]
            .as_str()
            .expect("a path")
            .starts_with("_kano/backlog/products/shop-front/items/task/0000/"),
        "{list}"
    );
    let config = std::fs::read_to_string(root.join(".kano/backlog_config.toml")).expect("config");
    let table: toml::Table = config.parse().expect("valid TOML");
    let product = &table["products"]["shop-front"];
    assert_eq!(product["prefix"].as_str(), Some("SF"), "{config}");
    assert_eq!(
        product["backlog_root"].as_str(),
        Some("_kano/backlog/products/shop-front"),
        "{config}"
    );
}

#[test]
fn init_takes_a_name_that_needs_quoting_in_both_layouts() {
    let (dir, cache) = empty();
    common::ok(
        dir.path(),
        cache.path(),
        &["init", "--name", "Bob's board: v2"],
    );
    let config = std::fs::read_to_string(dir.path().join("backlog/config.yml")).expect("config");
    assert!(
        config.starts_with("project_name: \"Bob's board: v2\"\n"),
        "{config}"
    );
    common::ok(dir.path(), cache.path(), &["new", "Card"]);

    let (dir, cache) = empty();
    common::ok(
        dir.path(),
        cache.path(),
        &["init", "--layout", "kano", "--name", "big shop.v2"],
    );
    let out = common::ok(dir.path(), cache.path(), &["new", "Card"]);
    assert!(out.starts_with("created BS-TSK-0001 "), "{out}");
}

/// Backlog.md reads `project_name` by deleting its quotes, so a name with `"` or `\` could
/// not be read back by both tools: refused, before any folder is made.
#[test]
fn init_refuses_a_project_name_backlog_md_cannot_read_back() {
    let (dir, cache) = empty();
    for name in [r#"Ops "night" shift"#, r"C:\work", "two\nlines"] {
        let out = run_noisy(dir.path(), cache.path(), &["init", "--name", name]);
        assert_eq!(out.status.code(), Some(2), "{name:?}");
        one_plain_line(&out, name);
    }
    assert_eq!(snapshot(dir.path()), BTreeMap::new(), "nothing was created");
}

#[test]
fn init_refuses_where_a_backlog_is_and_changes_nothing() {
    for (first, second) in [
        ("backlogmd", "backlogmd"),
        ("backlogmd", "kano"),
        ("kano", "kano"),
        ("kano", "backlogmd"),
    ] {
        let (dir, cache) = empty();
        common::ok(dir.path(), cache.path(), &["init", "--layout", first]);
        common::ok(dir.path(), cache.path(), &["new", "Keep me"]);
        let before = snapshot(dir.path());
        let out = run_noisy(dir.path(), cache.path(), &["init", "--layout", second]);
        let what = format!("init {first} then {second}");
        assert_eq!(out.status.code(), Some(2), "{what}");
        let said = one_plain_line(&out, &what);
        assert!(said.contains("already holds"), "{what}: {said}");
        assert_eq!(snapshot(dir.path()), before, "{what} changed files");
    }
}

/// A Backlog.md config tack does not read is still Backlog.md's: init adds no second one.
#[test]
fn init_refuses_beside_a_backlog_md_config_it_does_not_read() {
    for existing in ["backlog/config.yaml", "backlog.config.yml"] {
        let (dir, cache) = empty();
        let path = dir.path().join(existing);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, "project_name: \"Theirs\"\n").expect("write");
        let before = snapshot(dir.path());
        let out = run_noisy(dir.path(), cache.path(), &["init"]);
        assert_eq!(out.status.code(), Some(2), "{existing}");
        let said = one_plain_line(&out, existing);
        assert!(said.contains(existing), "{said}");
        assert_eq!(snapshot(dir.path()), before, "{existing}: nothing changed");
    }
}

#[test]
fn init_refuses_a_kano_product_name_that_is_a_path() {
    let (dir, cache) = empty();
    for name in ["../elsewhere", "a/b", ".hidden"] {
        let out = run_noisy(
            dir.path(),
            cache.path(),
            &["init", "--layout", "kano", "--name", name],
        );
        assert_eq!(out.status.code(), Some(2), "{name}");
        one_plain_line(&out, name);
    }
    assert_eq!(snapshot(dir.path()), BTreeMap::new(), "nothing was created");
}

#[test]
fn every_command_outside_a_backlog_points_at_tack_init() {
    let (dir, cache) = empty();
    let inner = dir.path().join("some/project");
    std::fs::create_dir_all(&inner).expect("mkdir");
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", "TASK-1"],
        &["new", "A card"],
        &["edit", "TASK-1", "--title", "y"],
        &["move", "TASK-1", "Done"],
        &["archive", "TASK-1"],
        &["index", "status"],
        &[],
    ] {
        let out = run_noisy(&inner, cache.path(), args);
        let what = format!("tack {args:?}");
        assert_eq!(out.status.code(), Some(2), "{what}");
        assert!(out.stdout.is_empty(), "{what} printed on stdout");
        let said = one_plain_line(&out, &what);
        assert!(said.contains("no backlog here"), "{what}: {said}");
        assert!(said.contains("`tack init`"), "{what}: {said}");
        let canonical = std::fs::canonicalize(&inner).expect("canonical");
        assert!(
            said.contains(&canonical.display().to_string()),
            "{what} names the directory: {said}"
        );
    }
    assert_eq!(
        snapshot(dir.path()).len(),
        2,
        "only the two folders made here"
    );
}

#[test]
fn the_board_without_a_terminal_says_so_instead_of_panicking() {
    let (dir, cache) = empty();
    common::ok(dir.path(), cache.path(), &["init"]);
    common::ok(dir.path(), cache.path(), &["new", "A card"]);
    let card = dir.path().join("backlog/tasks/task-1 - A-card.md");
    for args in [&[][..], &[card.to_str().expect("utf-8")], &["demo"]] {
        let out = run_noisy(dir.path(), cache.path(), args);
        let what = format!("tack {args:?} with stdin from /dev/null");
        assert_eq!(out.status.code(), Some(2), "{what}");
        assert!(out.stdout.is_empty(), "{what} printed on stdout");
        let said = one_plain_line(&out, &what);
        assert!(said.contains("needs a terminal"), "{what}: {said}");
        assert!(said.contains("tack list"), "{what}: {said}");
    }
}

#[test]
fn an_error_that_is_not_the_users_is_one_plain_line_too() {
    let (dir, cache) = empty();
    std::fs::create_dir(dir.path().join("backlog")).expect("mkdir");
    std::fs::write(
        dir.path().join("backlog/config.yml"),
        "statuses: [To Do, Done\n",
    )
    .expect("write");
    for args in [&["list"][..], &["show", "TASK-1"], &[]] {
        let out = run_noisy(dir.path(), cache.path(), args);
        let what = format!("tack {args:?} on a broken config.yml");
        assert_eq!(out.status.code(), Some(1), "{what}");
        let said = one_plain_line(&out, &what);
        // The chain of causes, outermost first: which file, then what is wrong in it.
        assert!(
            said.contains("cannot read the Backlog.md configuration")
                && said.contains("backlog/config.yml: "),
            "{what}: {said}"
        );
    }
}
