//! `tack export --json` / `tack import --json FILE`: a backlog moves between machines as one
//! JSON document, and comes back as the same files (no database involved).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::Path;

fn list(dir: &Path, cache: &Path) -> serde_json::Value {
    serde_json::from_str(&common::ok(dir, cache, &["list", "--json"])).expect("list json")
}

/// A copy of `dir` with every card file removed: an empty backlog of the same layout.
fn emptied_copy(dir: &Path, cache: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("temp dir");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(dir.join("."))
        .arg(copy.path())
        .status()
        .expect("cp");
    assert!(status.success());
    for card in list(dir, cache).as_array().expect("cards") {
        let path = card["path"].as_str().expect("path");
        std::fs::remove_file(copy.path().join(path)).expect("remove card");
    }
    copy
}

fn round_trip(dir: &Path) {
    let cache = tempfile::tempdir().expect("cache");
    let before = list(dir, cache.path());
    assert!(before.as_array().is_some_and(|a| !a.is_empty()));
    let export = common::ok(dir, cache.path(), &["export", "--json"]);
    let file = cache.path().join("export.json");
    std::fs::write(&file, &export).expect("write export");

    let target = emptied_copy(dir, cache.path());
    let cache2 = tempfile::tempdir().expect("cache");
    assert_eq!(list(target.path(), cache2.path()), serde_json::json!([]));
    let file_arg = file.to_string_lossy().into_owned();
    let out = common::ok(
        target.path(),
        cache2.path(),
        &["import", "--json", &file_arg],
    );
    assert!(out.contains("imported"), "{out}");
    assert_eq!(list(target.path(), cache2.path()), before);
    // Byte for byte, too.
    for card in before.as_array().expect("cards") {
        let path = card["path"].as_str().expect("path");
        assert_eq!(
            std::fs::read(dir.join(path)).expect("original"),
            std::fs::read(target.path().join(path)).expect("imported"),
            "{path}"
        );
    }
    // Importing again changes nothing: every card is already there with the same content.
    let out = common::ok(
        target.path(),
        cache2.path(),
        &["import", "--json", &file_arg],
    );
    assert!(out.contains("imported 0 cards"), "{out}");
}

#[test]
fn backlog_md_round_trips() {
    let dir = common::generate("backlogmd", 150);
    round_trip(dir.path());
}

#[test]
fn generated_kano_round_trips() {
    let dir = common::generate("kabsd", 150);
    round_trip(dir.path());
}

#[test]
fn the_real_kano_fixture_round_trips() {
    let dir = common::kano_fixture();
    round_trip(dir.path());
}

#[test]
fn import_never_overwrites_never_escapes_and_never_converts() {
    let dir = common::generate("backlogmd", 5);
    let cache = tempfile::tempdir().expect("cache");
    let export = common::ok(dir.path(), cache.path(), &["export", "--json"]);
    let mut doc: serde_json::Value = serde_json::from_str(&export).expect("json");

    // A card whose file now differs is not overwritten (exit 3).
    let first = doc["items"][0]["path"].as_str().expect("path").to_string();
    let original = std::fs::read_to_string(dir.path().join(&first)).expect("card");
    std::fs::write(
        dir.path().join(&first),
        format!("{original}\nlocal change\n"),
    )
    .expect("edit");
    let file = cache.path().join("doc.json");
    std::fs::write(&file, &export).expect("write");
    let out = common::run(
        dir.path(),
        cache.path(),
        &["import", "--json", &file.to_string_lossy()],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(std::fs::read_to_string(dir.path().join(&first))
        .expect("card")
        .ends_with("local change\n"));

    // Paths outside the root are refused; nothing is written there.
    doc["items"] = serde_json::json!([{
        "path": "../escaped.md",
        "frontmatter": "---\nid: TASK-900\ntitle: Out\nstatus: To Do\n---\n",
        "body": ""
    }, {
        "path": "backlog/tasks/task-901 - From fields.md",
        "fields": {"id": "TASK-901", "title": "From: fields", "status": "To Do", "labels": ["a", "b"]},
        "body": "Body\n"
    }]);
    std::fs::write(&file, doc.to_string()).expect("write");
    let out = common::run(
        dir.path(),
        cache.path(),
        &["import", "--json", &file.to_string_lossy()],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(!dir.path().join("../escaped.md").exists());
    // A document from another tool (fields only, no raw frontmatter) still makes a card.
    let shown: serde_json::Value = serde_json::from_str(&common::ok(
        dir.path(),
        cache.path(),
        &["show", "TASK-901", "--json"],
    ))
    .expect("show");
    assert_eq!(shown["title"], "From: fields");
    assert_eq!(shown["labels"], serde_json::json!(["a", "b"]));

    // A kano export does not go into a Backlog.md backlog.
    let kano = common::generate("kabsd", 3);
    let kano_export = common::ok(kano.path(), cache.path(), &["export", "--json"]);
    std::fs::write(&file, kano_export).expect("write");
    let out = common::run(
        dir.path(),
        cache.path(),
        &["import", "--json", &file.to_string_lossy()],
    );
    assert_eq!(out.status.code(), Some(2));
}
