//! `tack edit`, `tack archive` and `tack new` on both layouts and the real kano fixture, each
//! checked against the whole `git diff` it leaves, the card it prints, and its exit code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::Path;

use common::{diff_lines, git_diff, git_init, json, ok, run};

/// The changed lines of the working tree, with the timestamp tack writes replaced by `<now>`
/// (Backlog.md's `'YYYY-MM-DD HH:MM'`, kano's `YYYY-MM-DD` and worklog `YYYY-MM-DD HH:MM`).
fn changed(root: &Path) -> Vec<String> {
    let (_, lines) = diff_lines(&git_diff(root));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let local = chrono::Local::now().format("%Y-%m-%d").to_string();
    lines
        .into_iter()
        .map(|line| {
            if !line.starts_with('+') {
                return line;
            }
            let mut out = line.clone();
            for day in [&today, &local] {
                if let Some(at) = out.find(day.as_str()) {
                    let end = (at + 16).min(out.len());
                    let stamp = &out[at..end];
                    let len = if stamp.as_bytes().get(10) == Some(&b' ') {
                        16
                    } else {
                        10
                    };
                    out.replace_range(at..at + len, "<now>");
                    break;
                }
            }
            out
        })
        .collect()
}

fn backlogmd() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = common::generate("backlogmd", 5);
    git_init(dir.path());
    (dir, tempfile::tempdir().expect("cache"))
}

fn kano() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = common::generate("kabsd", 12);
    git_init(dir.path());
    (dir, tempfile::tempdir().expect("cache"))
}

#[test]
fn backlogmd_edit_changes_exactly_the_named_fields_and_stamps_updated_date() {
    let (dir, cache) = backlogmd();
    let root = dir.path();
    let card = json(
        root,
        cache.path(),
        &[
            "edit",
            "TASK-1",
            "--title",
            "Tâche — café: oui",
            "--priority",
            "HIGH",
            "--add-assignee",
            "bob",
            "--label",
            "ui",
            "--label",
            "api",
            "--json",
        ],
    );
    assert_eq!(card["title"], "Tâche — café: oui");
    assert_eq!(card["priority"], "high");
    assert_eq!(card["assignees"], serde_json::json!(["@heidi", "bob"]));
    assert_eq!(card["labels"], serde_json::json!(["ui", "api"]));
    assert_eq!(
        changed(root),
        vec![
            "-title: User migrate",
            "+title: 'Tâche — café: oui'",
            "+  - bob",
            "+updated_date: '<now>'",
            "-  - docs",
            "+  - ui",
            "+  - api",
            "-priority: low",
            "+priority: high",
        ]
    );
}

#[test]
fn backlogmd_priority_none_removes_the_line_and_removing_the_last_assignee_empties_the_list() {
    let (dir, cache) = backlogmd();
    let root = dir.path();
    ok(
        root,
        cache.path(),
        &["edit", "TASK-1", "--priority", "none"],
    );
    assert_eq!(
        changed(root),
        vec!["+updated_date: '<now>'", "-priority: low"]
    );
    let card = json(
        root,
        cache.path(),
        &["edit", "task-1", "--remove-assignee", "heidi", "--json"],
    );
    assert_eq!(card["assignees"], serde_json::json!([]));
    assert_eq!(card["priority"], serde_json::Value::Null);
    let text =
        std::fs::read_to_string(root.join("backlog/tasks/task-1 - User-migrate.md")).expect("card");
    assert!(text.contains("\nassignee: []\n"), "{text}");
}

#[test]
fn an_edit_to_the_values_a_card_has_writes_nothing() {
    let (dir, cache) = backlogmd();
    let root = dir.path();
    let out = ok(root, cache.path(), &["edit", "TASK-1", "--priority", "low"]);
    assert!(out.contains("nothing was changed"), "{out}");
    let out = ok(root, cache.path(), &["move", "TASK-1", "to do"]);
    assert!(out.contains("is already in To Do"), "{out}");
    assert_eq!(changed(root), Vec::<String>::new());
}

#[test]
fn usage_errors_are_plain_sentences_with_exit_2() {
    let (dir, cache) = backlogmd();
    let root = dir.path();
    for args in [
        &["new", ""][..],
        &["new", "   "],
        &["edit", "TASK-1"],
        &["edit", "TASK-1", "--title", ""],
        &["edit", "TASK-1", "--priority", "urgent"],
        &["edit", "TASK-404", "--priority", "low"],
        &["move", "TASK-1", "Nowhere"],
        &["archive", "TASK-404"],
    ] {
        let out = common::tack(root, cache.path())
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .output()
            .expect("tack runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "tack {args:?}: {stderr}");
        assert!(stderr.starts_with("tack: "), "{stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "one sentence: {stderr}"
        );
        for noise in ["Location", "backtrace", "\x1b[", "src/"] {
            assert!(
                !stderr.contains(noise),
                "tack {args:?} printed {noise:?}: {stderr}"
            );
        }
    }
    assert_eq!(changed(root), Vec::<String>::new(), "nothing was written");
}

#[test]
fn archive_moves_the_file_and_drops_its_id_from_other_dependencies() {
    let dir = common::generate("backlogmd", 5);
    let root = dir.path();
    let dependent = root.join("backlog/tasks/task-3 - Yaml-cache-login.md");
    let text = std::fs::read_to_string(&dependent).expect("card");
    let text = text.replacen(
        "dependencies: []",
        "dependencies:\n  - TASK-2\n  - TASK-1",
        1,
    );
    std::fs::write(&dependent, text).expect("write");
    git_init(root);
    let cache = tempfile::tempdir().expect("cache");
    let card = json(root, cache.path(), &["archive", "TASK-2", "--json"]);
    assert_eq!(
        card["path"],
        "backlog/archive/tasks/task-2 - Risk-frontmatter-watcher-markdown-editor-focus.md"
    );
    assert!(root
        .join("backlog/archive/tasks/task-2 - Risk-frontmatter-watcher-markdown-editor-focus.md")
        .is_file());
    let (files, _) = diff_lines(&git_diff(root));
    assert_eq!(
        files,
        vec!["backlog/tasks/task-3 - Yaml-cache-login.md".to_string()],
        "git diff shows the edited dependent (and the archived file as removed)"
    );
    let dependent_lines: Vec<String> = changed(root)
        .into_iter()
        .skip_while(|l| l != "+updated_date: '<now>'")
        .collect();
    assert_eq!(
        dependent_lines,
        vec!["+updated_date: '<now>'", "-  - TASK-2"]
    );
    let archived =
        std::fs::read(root.join(
            "backlog/archive/tasks/task-2 - Risk-frontmatter-watcher-markdown-editor-focus.md",
        ))
        .expect("archived file");
    let committed = std::process::Command::new("git")
        .args([
            "show",
            "HEAD:backlog/tasks/task-2 - Risk-frontmatter-watcher-markdown-editor-focus.md",
        ])
        .current_dir(root)
        .output()
        .expect("git show");
    assert_eq!(archived, committed.stdout, "archived unchanged");
    let listed = json(root, cache.path(), &["list", "--json"]);
    let ids: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(!ids.contains(&"TASK-2"), "{ids:?}");
}

#[test]
fn backlogmd_new_follows_backlogmd_naming_ordinal_and_definition_of_done() {
    let dir = common::generate("backlogmd", 5);
    let root = dir.path();
    let config = root.join("backlog/config.yml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("definition_of_done:\n  - Tests pass\n  - Docs updated\n");
    std::fs::write(&config, text).expect("write");
    let cache = tempfile::tempdir().expect("cache");
    let max_ordinal = json(root, cache.path(), &["list", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["ordinal"].as_f64())
        .fold(f64::MIN, f64::max);
    let card = json(
        root,
        cache.path(),
        &[
            "new",
            "Tâche: café (v2)!",
            "--status",
            "in progress",
            "--priority",
            "medium",
            "--assignee",
            "@alice",
            "--assignee",
            "bob",
            "--label",
            "ui",
            "--json",
        ],
    );
    assert_eq!(card["id"], "TASK-6");
    assert_eq!(card["status"], "In Progress");
    assert_eq!(card["ordinal"].as_f64(), Some(max_ordinal + 1000.0));
    assert_eq!(card["path"], "backlog/tasks/task-6 - Tâche-café-v2.md");
    let text = std::fs::read_to_string(root.join("backlog/tasks/task-6 - Tâche-café-v2.md"))
        .expect("the new file");
    let created = text
        .lines()
        .find(|l| l.starts_with("created_date: "))
        .expect("a created_date line");
    let expected = format!(
        "---\nid: TASK-6\ntitle: 'Tâche: café (v2)!'\nstatus: In Progress\nassignee:\n  - '@alice'\n  - bob\n\
         {created}\nlabels:\n  - ui\ndependencies: []\npriority: medium\nordinal: {}\n---\n\n\
         ## Definition of Done\n<!-- DOD:BEGIN -->\n- [ ] #1 Tests pass\n- [ ] #2 Docs updated\n<!-- DOD:END -->\n",
        max_ordinal as i64 + 1000
    );
    assert_eq!(text, expected);
}

#[test]
fn kano_edit_keeps_flow_lists_and_sets_one_owner() {
    let (dir, cache) = kano();
    let root = dir.path();
    let card = json(
        root,
        cache.path(),
        &[
            "edit",
            "KABSD-TSK-0003",
            "--assignee",
            "zoe",
            "--add-label",
            "café",
            "--json",
        ],
    );
    assert_eq!(card["assignee"], "zoe");
    assert_eq!(card["labels"], serde_json::json!(["ui", "index", "café"]));
    let lines = changed(root);
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert_eq!(lines[0], "-tags: [\"ui\", \"index\"]");
    assert!(
        lines[1].starts_with("+tags: [") && lines[1].contains("café") && lines[1].ends_with(']'),
        "{lines:#?}"
    );
    assert_eq!(
        &lines[2..],
        [
            "-updated: 2026-06-06",
            "-owner: grace",
            "+updated: <now>",
            "+owner: zoe"
        ]
    );
    let out = run(
        root,
        cache.path(),
        &[
            "edit",
            "KABSD-TSK-0003",
            "--assignee",
            "a",
            "--assignee",
            "b",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one owner"));
}

#[test]
fn kano_new_goes_to_the_named_product_with_kanos_prefix_and_type() {
    let dir = common::kano_fixture();
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache");
    let out = run(root, cache.path(), &["new", "Anything"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "several products: one must be named"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("kano-commit-convention-skill"));
    let card = json(
        root,
        cache.path(),
        &[
            "new",
            "Réparer l'index",
            "--product",
            "kano-commit-convention-skill",
            "--type",
            "bug",
            "--priority",
            "P1",
            "--json",
        ],
    );
    let id = card["id"].as_str().expect("an id");
    assert!(
        id.starts_with("KCC-BUG-"),
        "the project config's prefix, as kano's create: {id}"
    );
    let path = card["path"].as_str().expect("a path");
    assert!(
        path.starts_with("_kano/backlog/products/kano-commit-convention-skill/items/bug/0000/")
            && path.ends_with("_reparer-l-index.md"),
        "{path}"
    );
    assert_eq!(card["type"], "Bug");
    assert_eq!(card["priority"], "P1");
    assert_eq!(card["status"], "Proposed");
    let text = std::fs::read_to_string(root.join(path)).expect("new file");
    assert!(text.contains("\ntitle: \"Réparer l'index\"\n"), "{text}");
    assert!(text.contains("\nowner: None\n"), "{text}");
    let quickstart = json(
        root,
        cache.path(),
        &[
            "new",
            "Quick",
            "--product",
            "kano-opencode-quickstart",
            "--json",
        ],
    );
    let id = quickstart["id"].as_str().expect("id");
    assert!(
        id.starts_with("KO-TSK-"),
        "kano's derived prefix for a product the project config does not name: {id}"
    );
}

#[test]
fn kano_ready_gate_asks_for_force_naming_the_empty_sections() {
    let (dir, cache) = kano();
    let root = dir.path();
    let card = json(root, cache.path(), &["new", "Bare", "--json"]);
    let id = card["id"].as_str().expect("id").to_string();
    let out = run(root, cache.path(), &["move", &id, "Ready"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Context, Goal, Approach, Acceptance Criteria")
            && stderr.contains("--force"),
        "{stderr}"
    );
    let moved = json(
        root,
        cache.path(),
        &["move", &id, "Ready", "--force", "--json"],
    );
    assert_eq!(moved["status"], "Ready");
    let out = run(root, cache.path(), &["edit", &id, "--status", "Ready"]);
    assert_eq!(out.status.code(), Some(0), "already Ready: no gate");
}

#[test]
fn kano_fixture_edits_touch_only_their_lines() {
    let dir = common::kano_fixture();
    let root = dir.path();
    git_init(root);
    let cache = tempfile::tempdir().expect("cache");
    let listed = json(
        root,
        cache.path(),
        &["list", "--json", "--status", "Proposed"],
    );
    let card = &listed.as_array().expect("array")[0];
    let key = card["key"].as_str().expect("uid").to_string();
    let title = card["title"].as_str().expect("title").to_string();
    ok(
        root,
        cache.path(),
        &[
            "edit",
            &key,
            "--title",
            "Renamed by tack",
            "--priority",
            "P4",
        ],
    );
    let lines = changed(root);
    let old_priority = card["priority"].as_str().unwrap_or("");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("-title: ") && l.contains(&title)),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"+title: \"Renamed by tack\"".to_string())
            || lines.contains(&"+title: Renamed by tack".to_string()),
        "{lines:#?}"
    );
    assert!(lines.contains(&"+priority: P4".to_string()), "{lines:#?}");
    assert!(
        lines.contains(&format!("-priority: {old_priority}")),
        "{lines:#?}"
    );
    let others: Vec<&String> = lines
        .iter()
        .filter(|l| {
            !l.contains("title: ")
                && !l.contains("priority: ")
                && !l.starts_with("-updated: ")
                && *l != "+updated: <now>"
        })
        .collect();
    assert!(
        others.is_empty(),
        "only title, priority and updated change: {lines:#?}"
    );
}
