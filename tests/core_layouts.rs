//! Both layouts end to end through the real binary: every card file is a card or a reported
//! problem, `tack list --json` is what a direct parse of the files gives, and a move changes
//! exactly the lines the layout's own tool would change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pretty_assertions::assert_eq;
use serde_json::Value;
use tack::index::query::board_order;
use tack::item::Card;
use tack::layout::{Backlog, Parsed};

/// A direct parse of the files with the library: cards by path, and the paths of problems.
fn parse_files(root: &Path) -> (BTreeMap<String, Card>, BTreeSet<String>) {
    let backlog = Backlog::discover(root).expect("a backlog");
    let mut cards = BTreeMap::new();
    let mut problems = BTreeSet::new();
    for file in backlog.list_files() {
        let read = backlog.read(&file.path).expect("a listed file can be read");
        match read.parsed {
            Parsed::Item(item) => {
                cards.insert(file.path.clone(), item.card);
            }
            Parsed::Problem(problem) => {
                assert_eq!(problem.path, file.path);
                problems.insert(problem.path);
            }
        }
    }
    (cards, problems)
}

/// `tack list --json` and `tack index problems --json` against the files; returns the number of
/// cards and problems.
fn assert_list_matches_files(root: &Path) -> (usize, usize) {
    let cache = tempfile::tempdir().expect("cache dir");
    let files = common::item_files(root);
    assert!(!files.is_empty(), "no card files in {}", root.display());

    let listed = common::json(root, cache.path(), &["list", "--json"]);
    let listed = listed.as_array().expect("a JSON array");
    let problems = common::json(root, cache.path(), &["index", "problems", "--json"]);
    let problems = problems.as_array().expect("a JSON array");

    let path_of = |v: &Value| v["path"].as_str().expect("a path").to_string();
    let listed_paths: BTreeSet<String> = listed.iter().map(path_of).collect();
    let problem_paths: BTreeSet<String> = problems.iter().map(path_of).collect();
    assert_eq!(listed_paths.len(), listed.len(), "a card is listed twice");
    assert_eq!(
        problem_paths.len(),
        problems.len(),
        "a problem is listed twice"
    );
    assert!(
        listed_paths.is_disjoint(&problem_paths),
        "a file is both a card and a problem: {:?}",
        listed_paths
            .intersection(&problem_paths)
            .collect::<Vec<_>>()
    );
    for problem in problems {
        let message = problem["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "a problem without a reason: {problem}");
    }
    // Every card file counted on disk is either a card or a problem, and nothing else is.
    let accounted: BTreeSet<String> = listed_paths.union(&problem_paths).cloned().collect();
    assert_eq!(accounted, files);

    // The binary's output equals a direct parse of the files, field by field.
    let (cards, parsed_problems) = parse_files(root);
    assert_eq!(problem_paths, parsed_problems);
    assert_eq!(listed_paths, cards.keys().cloned().collect::<BTreeSet<_>>());
    for shown in listed {
        let path = path_of(shown);
        let want = serde_json::to_value(&cards[&path]).expect("a card serialises");
        let (shown, want) = (
            shown.as_object().expect("an object"),
            want.as_object().expect("an object"),
        );
        for (key, value) in want {
            assert_eq!(shown.get(key), Some(value), "{path}: field `{key}`");
        }
        for key in shown.keys() {
            assert!(want.contains_key(key), "{path}: unexpected field `{key}`");
        }
    }

    // Board order: columns as the backlog orders them, then ordinal and natural id.
    let backlog = Backlog::discover(root).expect("a backlog");
    let columns = backlog.columns(cards.values().map(|c| c.status.as_str()));
    let in_order: Vec<&Card> = listed.iter().map(|v| &cards[&path_of(v)]).collect();
    for pair in in_order.windows(2) {
        let column = |c: &Card| columns.iter().position(|s| *s == c.status);
        let (a, b) = (pair[0], pair[1]);
        assert!(
            column(a) < column(b)
                || (column(a) == column(b) && board_order(a, b) != std::cmp::Ordering::Greater),
            "{} ({}) is listed before {} ({})",
            a.id,
            a.status,
            b.id,
            b.status
        );
    }
    (listed.len(), problems.len())
}

#[test]
fn generated_backlog_md_lists_what_its_files_hold() {
    let dir = common::generate("backlogmd", 300);
    let (cards, problems) = assert_list_matches_files(dir.path());
    assert_eq!(cards + problems, 300);
    assert!(
        cards >= 250,
        "only {cards} of 300 generated tasks are cards"
    );
}

#[test]
fn generated_kano_backlog_lists_what_its_files_hold() {
    let dir = common::generate("kabsd", 300);
    let (cards, problems) = assert_list_matches_files(dir.path());
    assert_eq!(cards + problems, 300);
    assert!(
        cards >= 250,
        "only {cards} of 300 generated items are cards"
    );
}

#[test]
fn real_kano_backlog_lists_what_its_files_hold() {
    let dir = common::kano_fixture();
    let (cards, problems) = assert_list_matches_files(dir.path());
    // About 550 items, some of them duplicates or without an id: most are cards, each of the
    // others a problem with a reason.
    assert!(cards >= 500, "only {cards} cards");
    assert!(problems >= 1, "the fixture's broken files are not reported");
}

/// Now, formatted, read before and after running a command: a stamp written in between is one
/// of the two (the minute may roll over while the command runs).
fn stamps(before: chrono::DateTime<chrono::Local>, format: &str) -> Vec<String> {
    let after = chrono::Local::now();
    let mut out = vec![before.format(format).to_string()];
    let later = after.format(format).to_string();
    if later != out[0] {
        out.push(later);
    }
    out
}

#[test]
fn a_backlog_md_move_changes_the_status_and_stamps_updated_date() {
    let dir = common::generate("backlogmd", 30);
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache dir");
    let (cards, _) = parse_files(root);
    let card = cards
        .values()
        .find(|c| c.status == "To Do" && c.updated.is_none() && c.created.is_some())
        .expect("a To Do task without updated_date")
        .clone();
    common::git_init(root);

    let before = chrono::Local::now();
    let out = common::ok(root, cache.path(), &["move", &card.id, "In Progress"]);
    let stamps = stamps(before, "%Y-%m-%d %H:%M");
    assert!(out.contains(&card.id), "{out}");

    let (files, changed) = common::diff_lines(&common::git_diff(root));
    assert_eq!(files, vec![card.path.clone()]);
    let expected = |stamp: &str| {
        vec![
            "-status: To Do".to_string(),
            "+status: In Progress".to_string(),
            format!("+updated_date: '{stamp}'"),
        ]
    };
    assert!(
        stamps.iter().any(|s| changed == expected(s)),
        "unexpected diff: {changed:#?}\nexpected: {:#?}",
        expected(&stamps[0])
    );
    // `updated_date` goes right after `created_date`, where Backlog.md puts it.
    let text = std::fs::read_to_string(root.join(&card.path)).expect("read the task");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("updated_date:"))
        .expect("updated_date");
    assert!(lines[at - 1].starts_with("created_date:"), "{text}");
    // Nothing else in the tree changed: no temp file left behind.
    assert_eq!(
        common::git_status(root),
        vec![format!(" M \"{}\"", card.path)]
    );
    // And the board sees the move.
    let listed = common::json(
        root,
        cache.path(),
        &["list", "--json", "--status", "In Progress"],
    );
    assert!(listed
        .as_array()
        .expect("array")
        .iter()
        .any(|c| c["id"] == card.id.as_str()));
}

#[test]
fn a_kano_move_changes_state_updated_and_appends_one_worklog_line() {
    let dir = common::kano_fixture();
    let root = dir.path();
    let cache = tempfile::tempdir().expect("cache dir");
    let path = "_kano/backlog/products/kano-agent-backlog-skill/items/task/0100/\
                KABSD-TSK-0114_evaluate-data-backends-local-files-sqlite-postgresql-mysql.md";
    let original = std::fs::read_to_string(root.join(path)).expect("the fixture item");
    assert!(
        original.contains("\nstate: Proposed\n") && original.contains("\nupdated: 2026-01-07\n")
    );
    common::git_init(root);

    let before = chrono::Local::now();
    common::ok(
        root,
        cache.path(),
        &["move", "KABSD-TSK-0114", "inprogress"],
    );
    let minutes = stamps(before, "%Y-%m-%d %H:%M");

    let (files, changed) = common::diff_lines(&common::git_diff(root));
    assert_eq!(files, vec![path.to_string()]);
    let expected = |minute: &str| {
        let today = &minute[..10];
        let mut lines = vec![
            "-state: Proposed".to_string(),
            "+state: InProgress".to_string(),
        ];
        if today != "2026-01-07" {
            lines.push("-updated: 2026-01-07".into());
            lines.push(format!("+updated: {today}"));
        }
        lines.push(format!("+{minute} [agent=tack] State -> InProgress."));
        lines
    };
    assert!(
        minutes.iter().any(|m| changed == expected(m)),
        "unexpected diff: {changed:#?}\nexpected: {:#?}",
        expected(&minutes[0])
    );
    // The worklog line is the last line of the `# Worklog` section (here the end of the file),
    // right after the line that was last before.
    let text = std::fs::read_to_string(root.join(path)).expect("read the item");
    let last_before = original.trim_end().lines().last().expect("a last line");
    let mut tail = text.trim_end().lines().rev();
    assert!(tail
        .next()
        .is_some_and(|l| l.ends_with("State -> InProgress.")));
    assert_eq!(tail.next(), Some(last_before));
    assert_eq!(common::git_status(root), vec![format!(" M {path}")]);
}

/// The fast reader of plain frontmatter and the full YAML parser read every real and generated
/// file the same way (same keys and values, same problems).
#[test]
fn fast_and_full_frontmatter_readers_agree_on_every_file() {
    let fixture = common::kano_fixture();
    let kano = common::generate("kabsd", 300);
    let backlog_md = common::generate("backlogmd", 300);
    for root in [fixture.path(), kano.path(), backlog_md.path()] {
        for rel in common::item_files(root) {
            let bytes = std::fs::read(root.join(&rel)).expect("read");
            let Ok(text) = tack::item::decode(&bytes) else {
                continue;
            };
            let Ok(split) = tack::item::split(text) else {
                continue;
            };
            assert_eq!(
                tack::item::parse_yaml(&split),
                tack::item::parse_yaml_full(&split),
                "{rel}"
            );
        }
    }
}
