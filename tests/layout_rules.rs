//! The layouts' own reading rules, end to end through the real binary and real files: a
//! Backlog.md file whose frontmatter closes with `---## Description` is a task (as gray-matter
//! reads it) and a move keeps that line byte for byte; files kept beside the cards (`README.md`,
//! `notes.md`) are neither cards nor problems; a `task_prefix` is matched without case.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use pretty_assertions::assert_eq;
use serde_json::Value;
use tack::layout::Backlog;

/// A task as Backlog.md writes it, the closing `---` run into the first heading.
const DASHES_PATH: &str = "backlog/tasks/task-99 - Dashes.md";
const DASHES: &str = "---\nid: TASK-99\ntitle: Dashes\nstatus: To Do\nassignee: []\n\
                      created_date: '2026-01-05 10:00'\nlabels: []\ndependencies: []\n\
                      ---## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\n\
                      Read as Backlog.md reads it.\n<!-- SECTION:DESCRIPTION:END -->\n";

/// A file that is not a card in either layout: no frontmatter at all.
const NOT_A_CARD: &str = "# Notes\n\nWhat this folder holds.\n";

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Paths of `tack list --json` and of `tack index problems --json`.
fn listed_and_problems(root: &Path, cache: &Path) -> (Vec<Value>, BTreeSet<String>) {
    let listed = common::json(root, cache, &["list", "--json"]);
    let problems = common::json(root, cache, &["index", "problems", "--json"]);
    let problems = problems
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|p| p["path"].as_str().expect("a path").to_string())
        .collect();
    (listed.as_array().expect("a JSON array").clone(), problems)
}

fn paths(listed: &[Value]) -> BTreeSet<String> {
    listed
        .iter()
        .map(|c| c["path"].as_str().expect("a path").to_string())
        .collect()
}

/// The watcher's test (`is_item_path`) takes exactly the files the walk lists, for every file
/// under `dir`, so a watched backlog and `tack index check` never disagree.
fn assert_watcher_agrees_with_walk(root: &Path, dir: &str) {
    let backlog = Backlog::discover(root).expect("a backlog");
    let listed: BTreeSet<String> = backlog.list_files().into_iter().map(|f| f.path).collect();
    for entry in walkdir::WalkDir::new(root.join(dir)).into_iter().flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .expect("inside")
            .to_str()
            .expect("utf-8")
            .to_string();
        assert_eq!(
            backlog.is_item_path(&rel),
            listed.contains(&rel),
            "the watcher and the walk disagree on {rel}"
        );
    }
}

#[test]
fn a_backlog_md_task_closed_by_dashes_and_a_heading_is_a_card() {
    let dir = common::generate("backlogmd", 5);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache dir");
    write(root, DASHES_PATH, DASHES);

    let (listed, problems) = listed_and_problems(root, cache.path());
    let card = listed
        .iter()
        .find(|c| c["path"] == DASHES_PATH)
        .unwrap_or_else(|| panic!("TASK-99 is not listed: {listed:#?}"));
    assert_eq!(card["id"], "TASK-99");
    assert_eq!(card["title"], "Dashes");
    assert_eq!(card["status"], "To Do");
    assert!(!problems.contains(DASHES_PATH), "{problems:?}");
    assert_eq!(listed.len(), 6);
    assert!(problems.is_empty(), "{problems:?}");

    // `show` gives the body from the heading on, as Backlog.md shows it.
    let shown = common::json(root, cache.path(), &["show", "TASK-99", "--json"]);
    let body = shown["body"].as_str().expect("a body");
    assert!(body.starts_with("## Description\n\n"), "{body:?}");
    common::ok(root, cache.path(), &["index", "check"]);
}

#[test]
fn moving_a_task_closed_by_dashes_changes_only_status_and_updated_date() {
    let dir = common::generate("backlogmd", 5);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache dir");
    write(root, DASHES_PATH, DASHES);
    common::git_init(root);

    let before = chrono::Local::now();
    common::ok(root, cache.path(), &["move", "TASK-99", "Done"]);
    let after = chrono::Local::now();
    let stamps: BTreeSet<String> = [before, after]
        .iter()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .collect();

    let diff = common::git_diff(root);
    let (files, changed) = common::diff_lines(&diff);
    assert_eq!(files, vec![DASHES_PATH.to_string()]);
    let expected = |stamp: &str| {
        vec![
            "-status: To Do".to_string(),
            "+status: Done".to_string(),
            format!("+updated_date: '{stamp}'"),
        ]
    };
    assert!(
        stamps.iter().any(|s| changed == expected(s)),
        "unexpected diff:\n{diff}"
    );
    // The whole file: the two frontmatter lines changed, every other byte as it was.
    let text = std::fs::read_to_string(root.join(DASHES_PATH)).expect("read the task");
    let want = |stamp: &str| {
        DASHES.replace("status: To Do\n", "status: Done\n").replace(
            "created_date: '2026-01-05 10:00'\n",
            &format!("created_date: '2026-01-05 10:00'\nupdated_date: '{stamp}'\n"),
        )
    };
    assert!(
        stamps.iter().any(|s| text == want(s)),
        "unexpected file:\n{text}"
    );
    assert!(text.contains("\n---## Description\n"), "{text}");
    assert_eq!(
        common::git_status(root),
        vec![format!(" M \"{DASHES_PATH}\"")]
    );
    let shown = common::json(root, cache.path(), &["show", "TASK-99", "--json"]);
    assert_eq!(shown["status"], "Done");
}

#[test]
fn readme_and_notes_beside_backlog_md_tasks_are_neither_cards_nor_problems() {
    let dir = common::generate("backlogmd", 5);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache dir");
    for name in ["README.md", "readme.md", "notes.md"] {
        write(root, &format!("backlog/tasks/{name}"), NOT_A_CARD);
    }
    // A name Backlog.md's glob `task-*.md` takes is still read, and reported when broken.
    write(root, "backlog/tasks/task-7.md", NOT_A_CARD);

    let (listed, problems) = listed_and_problems(root, cache.path());
    assert_eq!(listed.len(), 5, "{:#?}", paths(&listed));
    assert_eq!(
        problems,
        BTreeSet::from(["backlog/tasks/task-7.md".to_string()])
    );
    common::ok(root, cache.path(), &["index", "check"]);
    assert_watcher_agrees_with_walk(root, "backlog");
}

#[test]
fn a_readme_in_a_kano_items_folder_is_neither_a_card_nor_a_problem() {
    let dir = common::generate("kabsd", 5);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache dir");
    let items = "_kano/backlog/products/synthetic/items";
    write(root, &format!("{items}/task/README.md"), NOT_A_CARD);
    write(root, &format!("{items}/task/0000/readme.md"), NOT_A_CARD);
    write(root, &format!("{items}/README.md"), NOT_A_CARD);

    let (listed, problems) = listed_and_problems(root, cache.path());
    assert_eq!(listed.len(), 5, "{:#?}", paths(&listed));
    assert!(problems.is_empty(), "{problems:?}");
    common::ok(root, cache.path(), &["index", "check"]);
    assert_watcher_agrees_with_walk(root, "_kano");
}

#[test]
fn a_task_prefix_is_matched_without_regard_to_case() {
    let dir = common::generate("backlogmd", 5);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache dir");
    let config = root.join("backlog/config.yml");
    let text = std::fs::read_to_string(&config).expect("config");
    let text = text.replace("task_prefix: \"task\"", "task_prefix: RENTL");
    assert!(text.contains("task_prefix: RENTL\n"), "{text}");
    std::fs::write(&config, text).expect("write config");
    let task = |id: &str, title: &str| {
        format!(
            "---\nid: {id}\ntitle: {title}\nstatus: To Do\nassignee: []\n\
             created_date: '2026-01-05 10:00'\nlabels: []\ndependencies: []\n---\n"
        )
    };
    write(
        root,
        "backlog/tasks/rentl-46 - X.md",
        &task("RENTL-46", "X"),
    );
    write(
        root,
        "backlog/tasks/rentl-46.1 - Y.md",
        &task("RENTL-46.1", "Y"),
    );

    let (listed, problems) = listed_and_problems(root, cache.path());
    let ids: BTreeSet<&str> = listed.iter().filter_map(|c| c["id"].as_str()).collect();
    // The `task-N` files are not tasks under this prefix, to Backlog.md nor to tack.
    assert_eq!(ids, BTreeSet::from(["RENTL-46", "RENTL-46.1"]));
    assert!(problems.is_empty(), "{problems:?}");
    common::ok(root, cache.path(), &["index", "check"]);
    assert_watcher_agrees_with_walk(root, "backlog");
}
