//! `tack list --filter`: the board's filter language on the command line, run by the real
//! binary over generated backlogs. Each expectation is computed here from the unfiltered
//! `tack list --json`, so it does not depend on the SQL the filter becomes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::path::Path;

use serde_json::Value;
use tack::filter::Query;
use tack::index::query::query_sql;
use tack::index::Index;
use tack::layout::Backlog;

fn text<'a>(card: &'a Value, key: &str) -> Option<&'a str> {
    card[key].as_str()
}

fn list_of<'a>(card: &'a Value, key: &str) -> Vec<&'a str> {
    card[key]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has_label(card: &Value, label: &str) -> bool {
    list_of(card, "labels")
        .iter()
        .any(|l| l.eq_ignore_ascii_case(label))
}

fn has_assignee(card: &Value, name: &str) -> bool {
    list_of(card, "assignees")
        .iter()
        .any(|a| a.trim_start_matches('@').eq_ignore_ascii_case(name))
}

fn paths(cards: &[&Value]) -> Vec<String> {
    cards
        .iter()
        .map(|c| text(c, "path").expect("path").to_string())
        .collect()
}

/// `tack list --filter FILTER --json` lists exactly the cards of `all` that `keep` selects,
/// in the same (board) order, and that is neither nothing nor everything.
fn check(root: &Path, cache: &Path, all: &[Value], filter: &str, keep: impl Fn(&Value) -> bool) {
    let expected: Vec<&Value> = all.iter().filter(|c| keep(c)).collect();
    assert!(!expected.is_empty(), "{filter}: the selection is empty");
    assert!(expected.len() < all.len(), "{filter}: the selection is all");
    let listed = common::json(root, cache, &["list", "--json", "--filter", filter]);
    let listed: Vec<&Value> = listed.as_array().expect("an array").iter().collect();
    assert_eq!(paths(&listed), paths(&expected), "--filter {filter}");
}

fn all_cards(root: &Path, cache: &Path) -> Vec<Value> {
    let listed = common::json(root, cache, &["list", "--json"]);
    listed.as_array().expect("an array").clone()
}

#[test]
fn backlog_md_filters_select_what_the_board_would() {
    let dir = common::generate("backlogmd", 30);
    let cache = tempfile::tempdir().expect("cache");
    let (root, cache) = (dir.path(), cache.path());
    let all = all_cards(root, cache);

    check(root, cache, &all, "label:docs,bug", |c| {
        has_label(c, "docs") || has_label(c, "bug")
    });
    check(
        root,
        cache,
        &all,
        "label:infra,sync status:todo,done",
        |c| {
            (has_label(c, "infra") || has_label(c, "sync"))
                && matches!(text(c, "status"), Some("To Do" | "Done"))
        },
    );
    check(
        root,
        cache,
        &all,
        "-label:infra -status:\"In Progress\"",
        |c| !has_label(c, "infra") && text(c, "status") != Some("In Progress"),
    );
    check(root, cache, &all, "assignee:none", |c| {
        list_of(c, "assignees").is_empty()
    });
    check(root, cache, &all, "a:@carol,none", |c| {
        list_of(c, "assignees").is_empty() || has_assignee(c, "carol")
    });
    check(root, cache, &all, "priority:none", |c| {
        text(c, "priority").is_none()
    });
    check(root, cache, &all, "-priority:HIGH -label:none", |c| {
        text(c, "priority") != Some("high") && !list_of(c, "labels").is_empty()
    });
}

#[test]
fn kano_filters_on_type_priority_and_product() {
    let dir = common::generate("kabsd", 30);
    let cache = tempfile::tempdir().expect("cache");
    let (root, cache) = (dir.path(), cache.path());
    let all = all_cards(root, cache);

    check(root, cache, &all, "type:bug,feature -p:P0", |c| {
        matches!(text(c, "type"), Some("Bug" | "Feature")) && text(c, "priority") != Some("P0")
    });
    check(
        root,
        cache,
        &all,
        "product:synthetic owner:alice,heidi",
        |c| has_assignee(c, "alice") || has_assignee(c, "heidi"),
    );
    check(
        root,
        cache,
        &all,
        "-assignee:none s:inprogress,review,done",
        |c| {
            !list_of(c, "assignees").is_empty()
                && matches!(text(c, "status"), Some("InProgress" | "Review" | "Done"))
        },
    );
}

#[test]
fn the_flags_are_terms_of_the_same_query() {
    let dir = common::generate("backlogmd", 30);
    let cache = tempfile::tempdir().expect("cache");
    let (root, cache) = (dir.path(), cache.path());
    let all = all_cards(root, cache);
    let listed = common::json(
        root,
        cache,
        &[
            "list",
            "--json",
            "--status",
            "to do",
            "--filter",
            "-label:none",
        ],
    );
    let expected: Vec<&Value> = all
        .iter()
        .filter(|c| text(c, "status") == Some("To Do") && !list_of(c, "labels").is_empty())
        .collect();
    assert!(!expected.is_empty());
    let listed: Vec<&Value> = listed.as_array().expect("an array").iter().collect();
    assert_eq!(paths(&listed), paths(&expected));

    // A flag with a value no card has still answers with an empty list, as before.
    let none = common::json(root, cache, &["list", "--json", "--label", "nosuch"]);
    assert_eq!(none, serde_json::json!([]));
}

#[test]
fn an_unknown_value_is_a_usage_error_naming_the_values_in_use() {
    let dir = common::generate("backlogmd", 30);
    let cache = tempfile::tempdir().expect("cache");
    let (root, cache) = (dir.path(), cache.path());
    let out = common::run(root, cache, &["list", "--filter", "label:uii"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no card has the label `uii`; labels in use: bug, cli, docs,"),
        "{stderr}"
    );
    assert!(stderr.contains(", ui"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = common::run(root, cache, &["list", "--filter", "-status:doing"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("statuses in use: Done, In Progress, To Do"),
        "{stderr}"
    );

    let out = common::run(root, cache, &["list", "--filter", "colour:red"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown filter key `colour`"));
}

#[test]
fn a_label_filter_is_answered_from_the_label_index() {
    let dir = common::generate("backlogmd", 200);
    let cache = tempfile::tempdir().expect("cache");
    let backlog = Backlog::discover(dir.path()).expect("backlog");
    let mut index = Index::open_at(&backlog, &cache.path().join("index.sqlite")).expect("index");
    index.reconcile(&backlog, &|_, _| {}).expect("reconcile");

    let query = Query::parse("label:docs,bug").expect("parses");
    let (sql, args) = query_sql(&query);
    assert_eq!(args, ["docs", "bug"], "values are bound, not spliced");
    assert!(!sql.contains("docs"), "{sql}");
    let plan = index.explain(&sql, &args).expect("plan").join("\n");
    assert!(
        plan.contains("SEARCH l USING PRIMARY KEY (label=?)")
            || plan.contains("SEARCH l USING COVERING INDEX"),
        "{plan}"
    );
    assert!(!plan.contains("SCAN"), "{plan}");

    let query = Query::parse("label:docs status:Done -assignee:none").expect("parses");
    let (sql, args) = query_sql(&query);
    let plan = index.explain(&sql, &args).expect("plan").join("\n");
    assert!(!plan.contains("SCAN i"), "{plan}");
}
