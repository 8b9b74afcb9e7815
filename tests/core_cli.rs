//! The command line as a user meets it: exit codes and messages for mistakes, `tack new` in
//! both layouts (also with hostile titles), the fields of the JSON output, and output piped
//! into a reader that stops early.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pretty_assertions::assert_eq;
use serde_json::Value;
use tack::layout::{Backlog, Parsed};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir`, as paths relative to it.
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(|e| e.path().strip_prefix(dir).expect("inside").to_path_buf())
        .collect()
}

/// Read a card file with the library, as the index would.
fn parse_card(root: &Path, rel: &str) -> tack::item::Card {
    let backlog = Backlog::discover(root).expect("backlog");
    match backlog.read(rel).expect("the file exists").parsed {
        Parsed::Item(item) => item.card,
        Parsed::Problem(p) => panic!("{rel} is not a card: {}", p.message),
    }
}

/// `created ID PATH` → (ID, PATH).
fn created(stdout: &str) -> (String, String) {
    let rest = stdout
        .trim_end()
        .strip_prefix("created ")
        .unwrap_or_else(|| panic!("unexpected output: {stdout}"));
    let (id, path) = rest.split_once(' ').expect("id and path");
    (id.to_string(), path.to_string())
}

#[test]
fn an_unknown_reference_exits_2() {
    let dir = common::generate("backlogmd", 10);
    let cache = tempfile::tempdir().expect("cache");
    for args in [
        &["move", "TASK-999", "Done"][..],
        &["show", "NOPE"],
        &["show", "backlog/tasks/none.md"],
    ] {
        let out = common::run(dir.path(), cache.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("no card matches"), "{}", stderr(&out));
    }
}

#[test]
fn an_unknown_status_exits_2_naming_the_valid_ones() {
    let dir = common::generate("backlogmd", 10);
    let cache = tempfile::tempdir().expect("cache");
    let before = tree(dir.path());
    let listed = common::json(dir.path(), cache.path(), &["list", "--json"]);
    let path = listed[0]["path"].as_str().expect("path");
    let text = std::fs::read(dir.path().join(path)).expect("read");
    let out = common::run(dir.path(), cache.path(), &["move", "TASK-1", "Nonsense"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("To Do, In Progress, Done"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("Nonsense"), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.path().join(path)).expect("read"), text);
    assert_eq!(tree(dir.path()), before);

    let dir = common::generate("kabsd", 10);
    let listed = common::json(dir.path(), cache.path(), &["list", "--json"]);
    let id = listed[0]["id"].as_str().expect("id");
    let out = common::run(dir.path(), cache.path(), &["move", id, "Nonsense"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    for state in tack::layout::kano::STATES {
        assert!(stderr(&out).contains(state), "{state}: {}", stderr(&out));
    }
}

#[test]
fn an_ambiguous_display_id_lists_its_matches_and_exits_2() {
    let dir = common::kano_fixture();
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache");
    // Found without tack: the item files whose frontmatter says `id: KABSD-TSK-0298`.
    let matches: Vec<String> = common::item_files(root)
        .into_iter()
        .filter(|rel| {
            let text = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
            text.lines()
                .take_while(|l| !l.is_empty())
                .any(|l| l.trim_end() == "id: KABSD-TSK-0298")
        })
        .collect();
    assert!(
        matches.len() >= 2,
        "the fixture has the duplicate: {matches:?}"
    );
    let before: Vec<Vec<u8>> = matches
        .iter()
        .map(|m| std::fs::read(root.join(m)).expect("read"))
        .collect();

    for args in [
        &["move", "KABSD-TSK-0298", "Done"][..],
        &["show", "kabsd-tsk-0298"],
    ] {
        let out = common::run(root, cache.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let message = stderr(&out);
        assert!(
            message.contains(&format!("matches {} cards", matches.len())),
            "{message}"
        );
        for path in &matches {
            assert!(
                message.contains(path.as_str()),
                "{path} not listed: {message}"
            );
        }
    }
    let after: Vec<Vec<u8>> = matches
        .iter()
        .map(|m| std::fs::read(root.join(m)).expect("read"))
        .collect();
    assert!(before == after, "a file changed");
    // Naming one of them by path works.
    let out = common::ok(root, cache.path(), &["show", &matches[0], "--json"]);
    let shown: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(shown["path"], matches[0].as_str());
}

#[test]
fn new_backlog_md_task_is_named_and_numbered_like_backlog_md() {
    let dir = common::generate("backlogmd", 20);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache");
    let out = common::ok(root, cache.path(), &["new", "Fix the login page"]);
    let (id, path) = created(&out);
    assert_eq!(id, "TASK-21");
    assert_eq!(path, "backlog/tasks/task-21 - Fix-the-login-page.md");
    let card = parse_card(root, &path);
    assert_eq!(
        (card.id.as_str(), card.title.as_str(), card.status.as_str()),
        ("TASK-21", "Fix the login page", "To Do")
    );
    // The board lists it, and the next one is numbered after it.
    let listed = common::json(root, cache.path(), &["list", "--json"]);
    assert!(listed
        .as_array()
        .expect("array")
        .iter()
        .any(|c| c["id"] == "TASK-21" && c["path"] == path.as_str()));
    let (next, _) = created(&common::ok(
        root,
        cache.path(),
        &["new", "Another", "--status", "in progress"],
    ));
    assert_eq!(next, "TASK-22");
    let listed = common::json(
        root,
        cache.path(),
        &["list", "--json", "--status", "In Progress"],
    );
    assert!(listed
        .as_array()
        .expect("array")
        .iter()
        .any(|c| c["id"] == "TASK-22"));
}

#[test]
fn new_kano_task_is_named_and_numbered_like_kano() {
    let dir = common::generate("kabsd", 20);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache");
    // The largest task number so far, from the file names.
    let files = common::item_files(root);
    let (product_dir, prefix, max) = files
        .iter()
        .filter_map(|rel| {
            let (dir, name) = rel.rsplit_once('/')?;
            let id = name.split('_').next()?;
            let (prefix, number) = id.split_once("-TSK-")?;
            let product = dir.split("/items/").next()?;
            Some((
                product.to_string(),
                prefix.to_string(),
                number.parse::<u32>().ok()?,
            ))
        })
        .max_by_key(|(_, _, n)| *n)
        .expect("a task file");
    let out = common::ok(root, cache.path(), &["new", "Fix the login page"]);
    let (id, path) = created(&out);
    let n = max + 1;
    assert_eq!(id, format!("{prefix}-TSK-{n:04}"));
    assert_eq!(
        path,
        format!(
            "{product_dir}/items/task/{:04}/{prefix}-TSK-{n:04}_fix-the-login-page.md",
            n / 100 * 100
        )
    );
    let card = parse_card(root, &path);
    assert_eq!(
        (
            card.id.as_str(),
            card.title.as_str(),
            card.status.as_str(),
            card.kind.as_deref()
        ),
        (id.as_str(), "Fix the login page", "Proposed", Some("Task"))
    );
}

/// A backlog nested a few levels down in a temp dir, so a path escaping it would still land
/// inside the temp dir where the test can see it.
fn nested_backlog(format: &str) -> (tempfile::TempDir, PathBuf) {
    let outer = tempfile::tempdir().expect("temp dir");
    let root = outer.path().join("a/b/c/root");
    let status = Command::new("python3")
        .arg(common::shared_dir().join("corpus/gen_backlog.py"))
        .args(["--format", format, "--count", "5", "--out"])
        .arg(&root)
        .status()
        .expect("python3");
    assert!(status.success());
    (outer, root)
}

#[test]
fn hostile_titles_never_write_outside_the_backlog() {
    let long = "x".repeat(500);
    let long_wide = "é/".repeat(250);
    let titles = [
        "../../x",
        "../../../../../../x",
        "/etc/passwd",
        "a/../../b",
        "..",
        ".",
        "~",
        "$(touch pwned)",
        "..\\..\\x",
        "  ../x  ",
        long.as_str(),
        long_wide.as_str(),
    ];
    for (format, card_dir) in [
        ("backlogmd", "backlog/tasks/"),
        ("kabsd", "_kano/backlog/products/"),
    ] {
        let (outer, root) = nested_backlog(format);
        let cache = tempfile::tempdir().expect("cache");
        let before = tree(outer.path());
        let mut made = Vec::new();
        for title in titles {
            let out = common::ok(&root, cache.path(), &["new", "--", title]);
            let (_, path) = created(&out);
            let card = parse_card(&root, &path);
            assert_eq!(card.title, title.trim(), "{path}");
            made.push(path);
        }
        // NUL cannot pass through a command line: make that one through the library.
        let backlog = Backlog::discover(&root).expect("backlog");
        let mut index =
            tack::index::Index::open_at(&backlog, &cache.path().join("lib.sqlite")).expect("index");
        index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
        let ids = index.ids().expect("ids");
        let card = tack::layout::NewCard {
            title: "nul\0../../x".into(),
            status: Some(backlog.statuses[0].clone()),
            product: backlog.products.first().map(|p| p.name.clone()),
            ..Default::default()
        };
        let file = backlog
            .new_item(&card, &ids, index.ordinals_in_use().expect("ordinals"))
            .expect("a new file");
        let item = tack::writer::create(&backlog, &mut index, &file).expect("created");
        assert_eq!(item.card.title, "nul ../../x");
        made.push(file.path.clone());

        let after = tree(outer.path());
        let new: BTreeSet<PathBuf> = after.difference(&before).cloned().collect();
        let rel_root = root.strip_prefix(outer.path()).expect("inside");
        let expected: BTreeSet<PathBuf> = made.iter().map(|p| rel_root.join(p)).collect();
        assert_eq!(new, expected, "{format}: files appeared elsewhere");
        for path in &made {
            assert!(path.starts_with(card_dir), "{path}");
            let name = path.rsplit('/').next().expect("a name");
            assert!(name.len() <= 255, "{name}");
            // Backlog.md keeps dots in names (`task-6 - ..-..-x.md`); no component may be one.
            assert!(!path.split('/').any(|c| c == ".." || c == "."), "{path}");
        }
        assert!(before.is_subset(&after), "{format}: a file vanished");
    }
}

#[test]
fn titles_that_read_as_other_yaml_values_stay_titles() {
    let titles = [
        "y",
        "n",
        "yes",
        "off",
        "null",
        "~",
        "123",
        "1e3",
        "2026-01-01",
        "a: b",
        "#x",
        "- x",
        "'q'",
        "\"d\"",
        "[x]",
        "{y}",
        "@bob",
        "x # y",
    ];
    for format in ["backlogmd", "kabsd"] {
        let dir = common::generate(format, 3);
        let cache = tempfile::tempdir().expect("cache");
        for title in titles {
            let out = common::ok(dir.path(), cache.path(), &["new", "--", title]);
            let (_, path) = created(&out);
            assert_eq!(parse_card(dir.path(), &path).title, title, "{format}");
        }
        let out = common::run(dir.path(), cache.path(), &["index", "check"]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
}

#[test]
fn json_output_carries_the_documented_fields() {
    let dir = common::generate("kabsd", 40);
    let cache = tempfile::tempdir().expect("cache");
    let listed = common::json(dir.path(), cache.path(), &["list", "--json"]);
    let cards = listed.as_array().expect("array");
    assert_eq!(cards.len(), 40);
    for card in cards {
        for key in ["id", "title", "status", "path"] {
            assert!(
                card[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key}: {card}"
            );
        }
        assert!(
            card["labels"]
                .as_array()
                .is_some_and(|l| l.iter().all(Value::is_string)),
            "{card}"
        );
        for key in ["assignee", "priority", "type"] {
            let value = card.get(key).unwrap_or_else(|| panic!("no {key}: {card}"));
            assert!(value.is_string() || value.is_null(), "{key}: {card}");
        }
    }
    // The fields carry the files' values, not just their names.
    let some = |key: &str| cards.iter().any(|c| c[key].is_string());
    assert!(some("assignee") && some("priority") && some("type"));
    assert!(cards
        .iter()
        .any(|c| c["labels"].as_array().is_some_and(|l| !l.is_empty())));

    let status = common::json(dir.path(), cache.path(), &["index", "status", "--json"]);
    assert!(status["path"]
        .as_str()
        .is_some_and(|p| Path::new(p).is_file()));
    assert_eq!(status["items"], 40);
    assert_eq!(status["invalid"], 0);
    assert_eq!(status["schema_version"], tack::index::migrate::latest());
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let dir = common::kano_fixture();
    let cache = tempfile::tempdir().expect("cache");
    common::ok(dir.path(), cache.path(), &["index", "status"]);
    // Far more output than a pipe buffers, read 10 bytes of it, then hang up.
    let mut child = common::tack(dir.path(), cache.path())
        .args(["list", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut head = [0u8; 10];
    stdout.read_exact(&mut head).expect("read");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(&head[..2], b"[{");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_killed_writers_temp_files_are_cleaned_up_and_never_listed() {
    // pid 1 always runs; a pid above the kernel's limit never does.
    let live = ".tack-1-live.tmp";
    let dead = ".tack-4294967-dead.tmp";
    for (format, dirs) in [
        ("backlogmd", &["backlog", "backlog/tasks"][..]),
        ("kabsd", &[""][..]),
    ] {
        let dir = common::generate(format, 5);
        let root = dir.path();
        let cache = tempfile::tempdir().expect("cache");
        let dirs: Vec<PathBuf> = if format == "kabsd" {
            // The folder of a card: where kano temp files are made.
            let card = common::item_files(root).into_iter().next().expect("a card");
            vec![root.join(card).parent().expect("parent").to_path_buf()]
        } else {
            dirs.iter().map(|d| root.join(d)).collect()
        };
        for d in &dirs {
            for name in [live, dead] {
                std::fs::write(d.join(name), "---\nid: T\ntitle: t\nstatus: To Do\n---\n")
                    .expect("write a temp file");
            }
        }
        let listed = common::json(root, cache.path(), &["list", "--json"]);
        assert_eq!(listed.as_array().map(Vec::len), Some(5), "{format}");
        for d in &dirs {
            assert!(
                d.join(live).exists(),
                "{format}: a live writer's temp file was removed"
            );
            assert!(
                !d.join(dead).exists(),
                "{format}: a dead writer's temp file is still there"
            );
        }
    }
}

#[test]
fn list_shows_a_file_edited_since_the_last_command() {
    // `list` answers from the index while it checks the files; a file changed since the last
    // run must still show its new content, not the index's old answer.
    let dir = common::generate("backlogmd", 50);
    let cache = tempfile::tempdir().expect("cache");
    let before: Value =
        serde_json::from_str(&common::ok(dir.path(), cache.path(), &["list", "--json"]))
            .expect("json");
    let first = before[0]["path"].as_str().expect("path").to_string();
    let old_title = before[0]["title"].as_str().expect("title").to_string();
    let file = dir.path().join(&first);
    let text = std::fs::read_to_string(&file).expect("card");
    std::fs::write(
        &file,
        text.replace(
            &format!("title: {old_title}\n"),
            "title: Edited behind tack's back\n",
        ),
    )
    .expect("write");
    let after: Value =
        serde_json::from_str(&common::ok(dir.path(), cache.path(), &["list", "--json"]))
            .expect("json");
    let card = after
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["path"] == first.as_str())
        .expect("the card");
    assert_eq!(card["title"], "Edited behind tack's back");
}
