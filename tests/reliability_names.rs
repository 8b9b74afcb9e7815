//! Files tack cannot use as cards are named, not hidden: a card file whose name is not UTF-8 is
//! a problem entry (shown lossily) rather than silently skipped, and `tack move` on a broken
//! file says what is wrong with the file rather than "no card matches".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tack::index::Index;
use tack::layout::Backlog;

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_string())
        .collect();
    ids.sort();
    ids
}

/// `backlog/tasks/task-999 - caf\xe9.md` (Latin-1 bytes, as an old tool or a zip may leave).
#[test]
fn a_card_file_whose_name_is_not_utf8_is_a_problem_not_a_silent_skip() {
    let dir = common::generate("backlogmd", 20);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let cache = cache.path();
    let before = common::json(&root, cache, &["list", "--json"]);

    let mut raw = root.join("backlog/tasks").into_os_string().into_vec();
    raw.extend(b"/task-999 - caf\xe9.md");
    let bad = PathBuf::from(OsStr::from_bytes(&raw));
    let text = "---\nid: TASK-999\ntitle: Cafe\nstatus: To Do\n---\n\nBody.\n";
    std::fs::write(&bad, text).expect("write a non-UTF-8 name");
    let bad_meta = std::fs::metadata(&bad).expect("meta");

    // The rest of the backlog loads, unchanged.
    let after = common::json(&root, cache, &["list", "--json"]);
    assert_eq!(ids(&after), ids(&before));

    // The file is one problem entry, its name shown with U+FFFD for the bad byte.
    let shown = "backlog/tasks/task-999 - caf\u{FFFD}.md";
    let problems = common::json(&root, cache, &["index", "problems", "--json"]);
    let problems = problems.as_array().expect("an array");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0]["path"], shown, "{problems:#?}");
    let message = problems[0]["message"].as_str().expect("a message");
    assert!(message.contains("file name is not UTF-8"), "{message}");
    assert!(message.contains("rename it"), "{message}");
    let text_out = common::ok(&root, cache, &["index", "problems"]);
    assert!(text_out.contains(shown), "{text_out}");

    // The index agrees with a fresh look at the files, after a rebuild too.
    common::ok(&root, cache, &["index", "check"]);
    common::ok(&root, cache, &["index", "rebuild"]);
    common::ok(&root, cache, &["index", "check"]);

    // Recorded once with the real file's stamp: a later reconcile reads nothing again (it
    // does not try the lossy name, fail, drop the row and start over on every command).
    let backlog = Backlog::discover(&root).expect("backlog");
    let db = tempfile::tempdir().expect("db");
    let mut index = Index::open_at(&backlog, &db.path().join("i.sqlite")).expect("index");
    let first = index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    assert_eq!(first.read, 21, "{first:?}");
    let again = index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    assert_eq!((again.read, again.removed), (0, 0), "{again:?}");

    // Touched (renamed back and forth is what a user does next): re-read, still a problem.
    std::fs::write(&bad, format!("{text}More.\n")).expect("rewrite");
    let changed = index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    assert_eq!((changed.read, changed.removed), (1, 0), "{changed:?}");
    let problems = index.problems().expect("problems");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, shown);
    std::fs::write(&bad, text).expect("restore");

    // A move names the problem and writes nothing.
    let out = common::run(&root, cache, &["move", shown, "Done"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not UTF-8"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&bad).expect("read"), text);
    assert_eq!(std::fs::metadata(&bad).expect("meta").len(), bad_meta.len());

    // Renamed to UTF-8, it is a card again and the problem is gone.
    std::fs::rename(&bad, root.join("backlog/tasks/task-999 - cafe.md")).expect("rename");
    let renamed = common::json(&root, cache, &["list", "--json"]);
    assert!(ids(&renamed).contains(&"TASK-999".to_string()));
    let problems = common::json(&root, cache, &["index", "problems", "--json"]);
    assert_eq!(problems, Value::Array(vec![]));
    common::ok(&root, cache, &["index", "check"]);
}

fn task_file(root: &Path, n: u32) -> String {
    let prefix = format!("task-{n} - ");
    let name = std::fs::read_dir(root.join("backlog/tasks"))
        .expect("tasks")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with(&prefix))
        .expect("the generated task file");
    format!("backlog/tasks/{name}")
}

/// `tack move` naming a file that is there but broken (invalid YAML): by its path, by its
/// path from another directory, and by the display id in its file name.
#[test]
fn moving_a_broken_file_says_what_is_wrong_with_it() {
    let dir = common::generate("backlogmd", 20);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let cache = cache.path();
    let rel = task_file(&root, 3);
    let broken = "---\nid: TASK-3\ntitle: Broken\nstatus: [To Do\n---\n\nBody.\n";
    std::fs::write(root.join(&rel), broken).expect("break the card");

    let abs = root.join(&rel);
    let references = [
        rel.as_str(),
        abs.to_str().expect("utf-8"),
        "TASK-3",
        "task-3",
    ];
    for reference in references {
        let out = common::run(&root, cache, &["move", reference, "Done"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{reference}: {stderr}");
        assert!(
            stderr.contains(&format!("{rel} is not a card: line ")),
            "{reference}: {stderr}"
        );
        assert!(stderr.contains("invalid YAML"), "{reference}: {stderr}");
        assert!(
            stderr.contains("tack index problems"),
            "{reference}: {stderr}"
        );
        assert!(!stderr.contains("no card matches"), "{reference}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(&abs).expect("read"),
            broken,
            "{reference}: the file was rewritten"
        );
    }
    // `show` resolves the same way.
    let out = common::run(&root, cache, &["show", "TASK-3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a card"));

    // Neither a prefix of another card's id nor an unknown id is taken for the broken file.
    for reference in ["TASK-30", "TASK-999", "nothing/here.md"] {
        let out = common::run(&root, cache, &["move", reference, "Done"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{reference}: {stderr}");
        assert!(stderr.contains("no card matches"), "{reference}: {stderr}");
    }
    // A card whose id starts like the broken one still moves.
    common::ok(&root, cache, &["move", "TASK-13", "Done"]);
    common::ok(&root, cache, &["index", "check"]);
}
