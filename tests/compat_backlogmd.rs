//! Backlog.md's own CLI (npm `backlog.md`, the version in [`VERSION`]) reads every kind of
//! edit tack makes: a real peer, not a stand-in. Each test makes a backlog, edits it with the
//! real `tack` binary, then asks `backlog task view ID --json` and `backlog task list --plain`
//! on the same directory and checks that they report what tack wrote. Every Backlog.md read
//! is also checked to leave the files as they were.
//!
//! The CLI is `$TACK_BACKLOG_MD` (set by scripts/test.sh); without it, it is installed with npm
//! into `<target dir>/peers/backlog.md-VERSION`, where scripts/test.sh puts it too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use pretty_assertions::assert_eq;
use serde_json::Value;

/// The Backlog.md release these tests hold tack to.
const VERSION: &str = "1.52.0";

// ---------------------------------------------------------------------------------------------
// The peer: finding or installing Backlog.md's CLI, and running it.

/// `<target dir>/peers/backlog.md-VERSION`: the target dir is where cargo put the tack binary
/// (so CARGO_TARGET_DIR is honoured), never committed.
fn peer_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_tack"));
    let target = exe
        .parent()
        .and_then(Path::parent)
        .expect("the tack binary is in <target>/<profile>/");
    target.join("peers").join(format!("backlog.md-{VERSION}"))
}

/// What `BIN --version` prints, if it runs.
fn version_of(bin: &Path) -> Option<String> {
    let out = Command::new(bin).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `npm install backlog.md@VERSION` into `dir`, through a private directory renamed into place
/// so a second test process never sees half an install.
fn npm_install(dir: &Path) {
    let npm_runs = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        npm_runs,
        "these tests run Backlog.md's own CLI, installed with npm, and npm is not on PATH: \
         install node and npm (Debian: apt-get install nodejs npm) or run scripts/test.sh, \
         which does"
    );
    let partial = dir.with_file_name(format!(
        ".backlog.md-{VERSION}.partial-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).expect("create the peer directory");
    let out = Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&partial)
        // The CLI is a node wrapper around a platform package (backlog.md-linux-x64, ...),
        // which an npm config omitting optional packages would skip.
        .args([
            "--include=optional",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .arg(format!("backlog.md@{VERSION}"))
        .output()
        .expect("npm runs");
    assert!(
        out.status.success(),
        "npm install backlog.md@{VERSION} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
    if std::fs::rename(&partial, dir).is_err() {
        // Another test process got there first: use its install.
        let _ = std::fs::remove_dir_all(&partial);
    }
}

/// The `backlog` command, installed on first use when `$TACK_BACKLOG_MD` is not set.
fn peer_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = match std::env::var_os("TACK_BACKLOG_MD") {
            Some(bin) => PathBuf::from(bin),
            None => {
                let dir = peer_dir();
                let bin = dir.join("node_modules/.bin/backlog");
                if version_of(&bin).as_deref() != Some(VERSION) {
                    npm_install(&dir);
                }
                bin
            }
        };
        assert_eq!(
            version_of(&bin).as_deref(),
            Some(VERSION),
            "{} is not Backlog.md {VERSION}",
            bin.display()
        );
        bin
    })
}

/// Every file under `dir` but `.git/`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("inside").to_path_buf();
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

/// Run `backlog ARGS` in `dir` and return its output; it must not change a file, which is
/// checked byte for byte and with `git status`.
fn peer(dir: &Path, args: &[&str]) -> Output {
    let files = snapshot(dir);
    let status = common::git_status(dir);
    let out = Command::new(peer_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("BACKLOG_CWD")
        .output()
        .expect("backlog runs");
    let changed: Vec<_> = {
        let after = snapshot(dir);
        let paths: std::collections::BTreeSet<_> = files.keys().chain(after.keys()).collect();
        paths
            .into_iter()
            .filter(|p| files.get(*p) != after.get(*p))
            .cloned()
            .collect()
    };
    assert!(
        changed.is_empty(),
        "backlog {args:?} changed files: {changed:?}"
    );
    assert_eq!(common::git_status(dir), status, "backlog {args:?}");
    out
}

/// Run `backlog ARGS`, assert success and return stdout.
fn peer_ok(dir: &Path, args: &[&str]) -> String {
    let out = peer(dir, args);
    assert!(
        out.status.success(),
        "backlog {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `backlog task view ID --json`: the task object of its versioned JSON.
fn peer_view(dir: &Path, id: &str) -> Value {
    let out = peer_ok(dir, &["task", "view", id, "--json"]);
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| {
        panic!("backlog task view {id} --json printed invalid JSON ({e}): {out}")
    });
    assert_eq!(doc["schemaVersion"], 1, "{out}");
    assert_eq!(doc["kind"], "task-view", "{out}");
    doc["task"].clone()
}

/// One line of `backlog task list --plain`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    status: String,
    priority: Option<String>,
    id: String,
    title: String,
}

/// Parse `backlog task list --plain`: a `Status:` heading per status, then one indented line
/// per task, `  [HIGH] TASK-10 - Export schema (ac: 0/1) (due 2026-03-12)`, where the
/// priority and the trailing counts are there only when the task has them.
fn parse_list(out: &str) -> Vec<Listed> {
    let mut listed = Vec::new();
    let mut status = None;
    for line in out.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let heading = line.strip_suffix(':');
            status = Some(heading.unwrap_or_else(|| panic!("not a heading: {line:?}")));
            continue;
        }
        let status = status.unwrap_or_else(|| panic!("a task before any heading: {line:?}"));
        let mut rest = line.trim();
        let mut priority = None;
        if let Some(tail) = rest.strip_prefix('[') {
            let (p, tail) = tail.split_once("] ").expect("[PRIORITY] ");
            priority = Some(p.to_lowercase());
            rest = tail;
        }
        let (id, mut title) = rest.split_once(" - ").expect("ID - title");
        // Counts and dates Backlog.md appends, last first.
        for suffix in [" (due ", " (ac: "] {
            if let Some(i) = title.rfind(suffix) {
                if title.ends_with(')') {
                    title = &title[..i];
                }
            }
        }
        listed.push(Listed {
            status: status.to_string(),
            priority,
            id: id.to_string(),
            title: title.to_string(),
        });
    }
    listed
}

/// `backlog task list --plain`, parsed.
fn peer_list(dir: &Path) -> Vec<Listed> {
    parse_list(&peer_ok(dir, &["task", "list", "--plain"]))
}

/// The line `backlog task list --plain` shows for `id`, which must be there exactly once.
fn listed(dir: &Path, id: &str) -> Listed {
    let all = peer_list(dir);
    let found: Vec<_> = all.iter().filter(|l| l.id == id).collect();
    assert_eq!(found.len(), 1, "{id} in backlog task list: {all:#?}");
    found[0].clone()
}

// ---------------------------------------------------------------------------------------------
// Backlogs and tack.

/// A `gen_backlog.py --rich` Backlog.md backlog of 20 tasks (milestones, due dates, Definition
/// of Done, sub-tasks, drafts, completed tasks) under git, with a cache dir for tack's index.
fn backlog() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = Command::new("python3")
        .arg(common::shared_dir().join("corpus/gen_backlog.py"))
        .args(["--format", "backlogmd", "--count", "20", "--rich", "--out"])
        .arg(dir.path())
        .status()
        .expect("python3 runs gen_backlog.py");
    assert!(status.success(), "gen_backlog.py failed");
    // The generated config keeps Backlog.md off git and the network; the tests rely on it.
    let config = std::fs::read_to_string(dir.path().join("backlog/config.yml")).expect("config");
    for line in [
        "remote_operations: false",
        "auto_commit: false",
        "check_active_branches: false",
    ] {
        assert!(config.lines().any(|l| l == line), "{line} in {config}");
    }
    common::git_init(dir.path());
    (dir, tempfile::tempdir().expect("cache dir"))
}

/// `created ID PATH` → ID.
fn created_id(stdout: &str) -> String {
    let rest = stdout
        .trim_end()
        .strip_prefix("created ")
        .unwrap_or_else(|| panic!("unexpected output: {stdout}"));
    rest.split_once(' ').expect("id and path").0.to_string()
}

/// The fields a user checks on a card, as both tools report them.
#[derive(Debug, PartialEq, Eq)]
struct Fields {
    title: String,
    status: String,
    priority: Option<String>,
    assignees: Vec<String>,
    labels: Vec<String>,
}

impl Fields {
    fn new(
        title: &str,
        status: &str,
        priority: Option<&str>,
        assignees: &[&str],
        labels: &[&str],
    ) -> Fields {
        Fields {
            title: title.to_string(),
            status: status.to_string(),
            priority: priority.map(str::to_string),
            assignees: assignees.iter().map(|s| s.to_string()).collect(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// From a card as tack prints it (`show --json`, `edit --json`) or a task of Backlog.md's
    /// JSON: the same names but `assignees`; priorities compared in lower case (Backlog.md
    /// shows them capitalised in places).
    fn of(card: &Value) -> Fields {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap_or_else(|| panic!("a list: {v}"))
                .iter()
                .map(|s| s.as_str().expect("a string").to_string())
                .collect()
        };
        Fields {
            title: card["title"].as_str().expect("title").to_string(),
            status: card["status"].as_str().expect("status").to_string(),
            priority: card["priority"].as_str().map(str::to_lowercase),
            assignees: strings(&card["assignees"]),
            labels: strings(&card["labels"]),
        }
    }
}

/// `tack ARGS --json` (an edit printing the resulting card), parsed.
fn tack_json(dir: &Path, cache: &Path, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    common::json(dir, cache, &args)
}

/// `tack show ID --json`, parsed.
fn tack_show(dir: &Path, cache: &Path, id: &str) -> Value {
    common::json(dir, cache, &["show", id, "--json"])
}

/// Backlog.md's view of a task with the parts an edit of `changed` may move: its own update
/// time, its readiness (which follows its status) and its dependency graph (which shows its
/// title and status).
fn unedited_part(task: &Value, changed: &[&str]) -> Value {
    let mut task = task.clone();
    let object = task.as_object_mut().expect("a task object");
    for key in ["updatedAt", "isReady", "readiness", "dependencyGraph"]
        .iter()
        .chain(changed)
    {
        object.remove(*key);
    }
    task
}

/// Apply `tack ARGS --json` to `id` and check, with Backlog.md, that the task now has
/// `expected` fields, that tack printed the same, and that nothing else Backlog.md reads of
/// the task moved (milestone, dates, criteria, Definition of Done, description...).
fn edit_and_check(dir: &Path, cache: &Path, id: &str, args: &[&str], expected: &Fields) {
    let before = peer_view(dir, id);
    let printed = tack_json(dir, cache, args);
    let after = peer_view(dir, id);
    assert_eq!(
        &Fields::of(&after),
        expected,
        "Backlog.md after tack {args:?}"
    );
    assert_eq!(&Fields::of(&printed), expected, "tack {args:?} printed");
    let changed = ["title", "status", "priority", "assignees", "labels"];
    assert_eq!(
        unedited_part(&after, &changed),
        unedited_part(&before, &changed),
        "tack {args:?} changed more than it was asked to"
    );
}

// ---------------------------------------------------------------------------------------------
// The peer itself.

#[test]
fn the_peer_is_backlog_md_at_the_pinned_version_and_reads_the_generated_backlog() {
    let (dir, cache) = backlog();
    let listed = peer_list(dir.path());
    let tack_cards = common::json(
        dir.path(),
        cache.path(),
        &["list", "--status", "To Do", "--json"],
    );
    let tack_todo: Vec<&str> = tack_cards
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    let mut peer_todo: Vec<&str> = listed
        .iter()
        .filter(|l| l.status == "To Do")
        .map(|l| l.id.as_str())
        .collect();
    let mut tack_todo = tack_todo;
    peer_todo.sort_unstable();
    tack_todo.sort_unstable();
    assert!(!peer_todo.is_empty(), "{listed:#?}");
    assert_eq!(peer_todo, tack_todo, "the To Do column, Backlog.md vs tack");
}

// ---------------------------------------------------------------------------------------------
// tack move

#[test]
fn a_moved_card_is_in_its_new_status_for_backlog_md() {
    let (dir, cache) = backlog();
    let (dir, cache) = (dir.path(), cache.path());
    assert_eq!(listed(dir, "TASK-3").status, "To Do");
    let before = peer_view(dir, "TASK-3");
    common::ok(dir, cache, &["move", "TASK-3", "In Progress"]);
    assert_eq!(listed(dir, "TASK-3").status, "In Progress");
    common::ok(dir, cache, &["move", "TASK-3", "Done"]);
    let line = listed(dir, "TASK-3");
    assert_eq!(line.status, "Done");
    assert_eq!(line.title, "Yaml cache login");
    let after = peer_view(dir, "TASK-3");
    assert_eq!(after["status"], "Done");
    assert_eq!(
        unedited_part(&after, &["status"]),
        unedited_part(&before, &["status"]),
        "tack move changed more than the status"
    );
}

// ---------------------------------------------------------------------------------------------
// tack new

#[test]
fn a_new_card_with_a_non_ascii_title_is_listed_by_backlog_md() {
    let (dir, cache) = backlog();
    let (dir, cache) = (dir.path(), cache.path());
    let out = common::ok(
        dir,
        cache,
        &["new", "Tâche — café", "--status", "In Progress"],
    );
    let id = created_id(&out);
    let line = listed(dir, &id);
    assert_eq!(line.title, "Tâche — café");
    assert_eq!(line.status, "In Progress");
    assert_eq!(line.priority, None);
    let task = peer_view(dir, &id);
    assert_eq!(
        Fields::of(&task),
        Fields::new("Tâche — café", "In Progress", None, &[], &[])
    );
    assert_eq!(Fields::of(&tack_show(dir, cache, &id)), Fields::of(&task));
}

#[test]
fn a_new_card_without_a_status_is_in_backlog_md_s_default_status() {
    let (dir, cache) = backlog();
    let (dir, cache) = (dir.path(), cache.path());
    let id = created_id(&common::ok(dir, cache, &["new", "Plain title"]));
    let line = listed(dir, &id);
    assert_eq!(
        (line.status.as_str(), line.title.as_str()),
        ("To Do", "Plain title")
    );
}

#[test]
fn new_cards_get_ids_backlog_md_accepts_one_after_another() {
    let (dir, cache) = backlog();
    let (dir, cache) = (dir.path(), cache.path());
    let first = created_id(&common::ok(dir, cache, &["new", "First"]));
    let second = created_id(&common::ok(dir, cache, &["new", "Second"]));
    assert_ne!(first, second);
    assert_eq!(listed(dir, &first).title, "First");
    assert_eq!(listed(dir, &second).title, "Second");
}

/// Needs `tack new --priority/--assignee/--label` (being added on main).
#[test]
fn a_new_card_with_every_field_is_read_whole_by_backlog_md() {
    let (dir, cache) = backlog();
    let (dir, cache) = (dir.path(), cache.path());
    let out = common::ok(
        dir,
        cache,
        &[
            "new",
            "Tâche — café",
            "--status",
            "In Progress",
            "--priority",
            "high",
            "--assignee",
            "@alice",
            "--assignee",
            "bob",
            "--label",
            "ui",
            "--label",
            "api",
        ],
    );
    let id = created_id(&out);
    let expected = Fields::new(
        "Tâche — café",
        "In Progress",
        Some("high"),
        &["@alice", "bob"],
        &["ui", "api"],
    );
    assert_eq!(Fields::of(&peer_view(dir, &id)), expected);
    assert_eq!(Fields::of(&tack_show(dir, cache, &id)), expected);
    let line = listed(dir, &id);
    assert_eq!(line.priority.as_deref(), Some("high"));
    assert_eq!(line.status, "In Progress");
    // Backlog.md's own filters find it by each assignee and label, as a user would look.
    for filter in [
        &["--assignee", "@alice"][..],
        &["--assignee", "bob"],
        &["--labels", "ui,api"],
        &["--priority", "high"],
    ] {
        let mut args = vec!["task", "list", "--plain"];
        args.extend_from_slice(filter);
        let found = parse_list(&peer_ok(dir, &args));
        assert!(found.iter().any(|l| l.id == id), "{filter:?}: {found:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// tack edit (being added on main): TASK-1 has priority low, assignee @heidi, label docs, a
// milestone, a due date, criteria and a Definition of Done in the generated backlog.

/// TASK-1 as generated.
fn task_1() -> Fields {
    Fields::new("User migrate", "To Do", Some("low"), &["@heidi"], &["docs"])
}

/// Check the generated TASK-1 is as [`task_1`] says, so the edits below start from it.
fn fresh_task_1() -> (tempfile::TempDir, tempfile::TempDir) {
    let (dir, cache) = backlog();
    assert_eq!(Fields::of(&peer_view(dir.path(), "TASK-1")), task_1());
    (dir, cache)
}

#[test]
fn an_edited_title_is_backlog_md_s_title() {
    let (dir, cache) = fresh_task_1();
    let (dir, cache) = (dir.path(), cache.path());
    let title = "Migrer l'utilisateur — « vite »: 2/3";
    let expected = Fields {
        title: title.to_string(),
        ..task_1()
    };
    edit_and_check(
        dir,
        cache,
        "TASK-1",
        &["edit", "TASK-1", "--title", title],
        &expected,
    );
    assert_eq!(listed(dir, "TASK-1").title, title);
}

#[test]
fn an_edited_priority_and_a_removed_one_are_backlog_md_s() {
    let (dir, cache) = fresh_task_1();
    let (dir, cache) = (dir.path(), cache.path());
    let high = Fields {
        priority: Some("high".into()),
        ..task_1()
    };
    edit_and_check(
        dir,
        cache,
        "TASK-1",
        &["edit", "TASK-1", "--priority", "high"],
        &high,
    );
    assert_eq!(listed(dir, "TASK-1").priority.as_deref(), Some("high"));
    let none = Fields {
        priority: None,
        ..task_1()
    };
    edit_and_check(
        dir,
        cache,
        "TASK-1",
        &["edit", "TASK-1", "--priority", "none"],
        &none,
    );
    assert_eq!(listed(dir, "TASK-1").priority, None);
}

#[test]
fn replaced_added_and_removed_assignees_are_backlog_md_s() {
    let (dir, cache) = fresh_task_1();
    let (dir, cache) = (dir.path(), cache.path());
    let with = |assignees: &[&str]| Fields {
        assignees: assignees.iter().map(|s| s.to_string()).collect(),
        ..task_1()
    };
    let steps: [(&[&str], &[&str]); 4] = [
        (
            &["--assignee", "@alice", "--assignee", "bob"],
            &["@alice", "bob"],
        ),
        (&["--add-assignee", "@carol"], &["@alice", "bob", "@carol"]),
        (&["--remove-assignee", "bob"], &["@alice", "@carol"]),
        (
            &["--remove-assignee", "@alice", "--remove-assignee", "@carol"],
            &[],
        ),
    ];
    for (flags, expected) in steps {
        let mut args = vec!["edit", "TASK-1"];
        args.extend_from_slice(flags);
        edit_and_check(dir, cache, "TASK-1", &args, &with(expected));
    }
    // Backlog.md's assignee filter agrees: nobody is left.
    let unassigned = parse_list(&peer_ok(dir, &["task", "list", "--unassigned", "--plain"]));
    assert!(
        unassigned.iter().any(|l| l.id == "TASK-1"),
        "{unassigned:#?}"
    );
}

#[test]
fn replaced_added_and_removed_labels_are_backlog_md_s() {
    let (dir, cache) = fresh_task_1();
    let (dir, cache) = (dir.path(), cache.path());
    let with = |labels: &[&str]| Fields {
        labels: labels.iter().map(|s| s.to_string()).collect(),
        ..task_1()
    };
    let steps: [(&[&str], &[&str]); 4] = [
        (&["--label", "ui", "--label", "api"], &["ui", "api"]),
        (&["--add-label", "café"], &["ui", "api", "café"]),
        (&["--remove-label", "ui"], &["api", "café"]),
        (&["--remove-label", "api", "--remove-label", "café"], &[]),
    ];
    for (flags, expected) in steps {
        let mut args = vec!["edit", "TASK-1"];
        args.extend_from_slice(flags);
        edit_and_check(dir, cache, "TASK-1", &args, &with(expected));
    }
}

#[test]
fn an_edited_status_is_backlog_md_s_column() {
    let (dir, cache) = fresh_task_1();
    let (dir, cache) = (dir.path(), cache.path());
    let done = Fields {
        status: "Done".into(),
        ..task_1()
    };
    edit_and_check(
        dir,
        cache,
        "TASK-1",
        &["edit", "TASK-1", "--status", "Done"],
        &done,
    );
    assert_eq!(listed(dir, "TASK-1").status, "Done");
}

#[test]
fn every_field_edited_at_once_is_backlog_md_s() {
    let (dir, cache) = fresh_task_1();
    let (dir, cache) = (dir.path(), cache.path());
    let args = [
        "edit",
        "TASK-1",
        "--title",
        "Tâche — café",
        "--status",
        "In Progress",
        "--priority",
        "medium",
        "--assignee",
        "@zoé",
        "--label",
        "ui",
    ];
    let expected = Fields::new(
        "Tâche — café",
        "In Progress",
        Some("medium"),
        &["@zoé"],
        &["ui"],
    );
    edit_and_check(dir, cache, "TASK-1", &args, &expected);
    let line = listed(dir, "TASK-1");
    assert_eq!(
        (
            line.status.as_str(),
            line.priority.as_deref(),
            line.title.as_str()
        ),
        ("In Progress", Some("medium"), "Tâche — café")
    );
}

// ---------------------------------------------------------------------------------------------
// tack archive (being added on main)

/// The tasks that depend on `id`, from Backlog.md's dependency graph of it.
fn dependents(dir: &Path, id: &str) -> Vec<String> {
    let task = peer_view(dir, id);
    let edges = task["dependencyGraph"]["edges"].as_array().expect("edges");
    edges
        .iter()
        .filter(|e| e["to"] == id)
        .map(|e| e["from"].as_str().expect("from").to_string())
        .collect()
}

fn dependencies(dir: &Path, id: &str) -> Vec<String> {
    let task = peer_view(dir, id);
    let deps = task["dependencies"].as_array().expect("dependencies");
    deps.iter()
        .map(|d| d.as_str().expect("an id").to_string())
        .collect()
}

#[test]
fn an_archived_card_leaves_backlog_md_s_list_and_its_dependents() {
    let (dir, cache) = backlog();
    let (dir, cache) = (dir.path(), cache.path());
    // TASK-13 depends on TASK-12 and TASK-9 in the generated backlog: archiving TASK-12 must
    // take it, and only it, out of TASK-13's dependencies.
    let dependents_before = dependents(dir, "TASK-12");
    assert!(
        dependents_before.contains(&"TASK-13".to_string()),
        "{dependents_before:?}"
    );
    let mut kept = dependencies(dir, "TASK-13");
    assert!(kept.contains(&"TASK-12".to_string()), "{kept:?}");
    kept.retain(|d| d != "TASK-12");
    assert!(!kept.is_empty(), "TASK-13 has another dependency");

    common::ok(dir, cache, &["archive", "TASK-12"]);

    let all = peer_list(dir);
    assert!(!all.iter().any(|l| l.id == "TASK-12"), "{all:#?}");
    let view = peer(dir, &["task", "view", "TASK-12", "--plain"]);
    assert!(
        !view.status.success(),
        "Backlog.md still shows TASK-12: {}",
        String::from_utf8_lossy(&view.stdout)
    );
    for dependent in &dependents_before {
        let deps = dependencies(dir, dependent);
        assert!(
            !deps.contains(&"TASK-12".to_string()),
            "{dependent}: {deps:?}"
        );
    }
    assert_eq!(dependencies(dir, "TASK-13"), kept);
    assert!(
        dir.join("backlog/archive/tasks")
            .read_dir()
            .expect("backlog/archive/tasks")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("task-12 - ")),
        "the archived file is in backlog/archive/tasks/"
    );
}

#[test]
fn tack_archive_leaves_the_files_backlog_md_s_own_archive_does() {
    let (dir, cache) = backlog();
    let (dir, cache) = (dir.path(), cache.path());
    let twin = tempfile::tempdir().expect("twin");
    let status = Command::new("cp")
        .arg("-a")
        .arg(dir.join("."))
        .arg(twin.path())
        .status()
        .expect("cp");
    assert!(status.success());
    let dependents = dependents(dir, "TASK-1");
    assert!(
        !dependents.is_empty(),
        "TASK-1 has dependents when generated"
    );

    common::ok(dir, cache, &["archive", "TASK-1"]);
    let out = Command::new(peer_bin())
        .args(["task", "archive", "TASK-1"])
        .current_dir(twin.path())
        .env_remove("BACKLOG_CWD")
        .output()
        .expect("backlog runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let paths = |d: &Path| snapshot(d).into_keys().collect::<Vec<_>>();
    assert_eq!(
        paths(dir),
        paths(twin.path()),
        "the files after archiving TASK-1"
    );
    for dependent in &dependents {
        assert_eq!(
            dependencies(dir, dependent),
            dependencies(twin.path(), dependent),
            "{dependent}'s dependencies, tack's archive vs Backlog.md's"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// tack init

/// An empty directory under git with no commit yet, as a new project is.
fn empty_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .expect("git");
    assert!(status.success(), "git init");
    dir
}

#[test]
fn a_backlog_made_by_tack_init_is_one_backlog_md_reads() {
    let dir = empty_repo();
    let cache = tempfile::tempdir().expect("cache dir");
    let (dir, cache) = (dir.path(), cache.path());
    common::ok(dir, cache, &["init", "--name", "My Project"]);
    let id = created_id(&common::ok(dir, cache, &["new", "First card"]));
    assert_eq!(id, "TASK-1");
    assert_eq!(
        listed(dir, &id),
        Listed {
            status: "To Do".into(),
            priority: None,
            id: id.clone(),
            title: "First card".into(),
        }
    );
    let task = peer_view(dir, &id);
    assert_eq!(task["title"], "First card");
    assert_eq!(
        Fields::of(&task),
        Fields::of(&tack_show(dir, cache, &id)),
        "both tools read the card alike"
    );
    let name = peer_ok(dir, &["config", "get", "projectName"]);
    assert_eq!(name.trim_end(), "My Project");
}

/// The `key: value` lines of a config.yml, in order.
fn config_lines(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .expect("config.yml")
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// tack's config.yml is Backlog.md's own `backlog init NAME --defaults` (in a git repository),
/// key for key and value for value, but for the two settings tack turns off so Backlog.md
/// never reaches for remotes or other branches; the folders are the same too.
#[test]
fn tack_init_writes_what_backlog_md_s_own_init_writes_but_remote_and_branch_reads() {
    let ours = empty_repo();
    let theirs = empty_repo();
    let cache = tempfile::tempdir().expect("cache dir");
    common::ok(ours.path(), cache.path(), &["init", "--name", "Same name"]);
    let out = Command::new(peer_bin())
        .args([
            "init",
            "Same name",
            "--defaults",
            "--integration-mode",
            "none",
        ])
        .current_dir(theirs.path())
        .env_remove("BACKLOG_CWD")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("backlog runs");
    assert!(
        out.status.success(),
        "backlog init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let folders = |d: &Path| -> Vec<PathBuf> {
        walkdir::WalkDir::new(d.join("backlog"))
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_dir())
            .map(|e| e.path().strip_prefix(d).expect("inside").to_path_buf())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    assert_eq!(folders(ours.path()), folders(theirs.path()));

    let ours = config_lines(&ours.path().join("backlog/config.yml"));
    let theirs = config_lines(&theirs.path().join("backlog/config.yml"));
    let keys = |lines: &[(String, String)]| lines.iter().map(|(k, _)| k.clone()).collect();
    let (our_keys, their_keys): (Vec<String>, Vec<String>) = (keys(&ours), keys(&theirs));
    assert_eq!(our_keys, their_keys, "the same keys in the same order");
    let differing: Vec<(&str, &str, &str)> = ours
        .iter()
        .zip(&theirs)
        .filter(|((_, a), (_, b))| a != b)
        .map(|((k, a), (_, b))| (k.as_str(), a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        differing,
        vec![
            ("remote_operations", "false", "true"),
            ("check_active_branches", "false", "true"),
        ],
        "(key, tack's value, Backlog.md's value)"
    );
    assert!(ours.contains(&("auto_commit".into(), "false".into())));
}

// ---------------------------------------------------------------------------------------------
// The plain-output parser, on output captured from Backlog.md 1.52.0.

#[test]
fn the_plain_list_parser_reads_headings_priorities_titles_and_suffixes() {
    let out = "To Do:\n  [HIGH] TASK-10 - Export schema (ac: 0/1) (due 2026-03-12)\n  \
               TASK-2 - Risk - frontmatter (ac: 2/5)\n\nIn Progress:\n  TASK-13 - Tâche — café\n\n";
    assert_eq!(
        parse_list(out),
        vec![
            Listed {
                status: "To Do".into(),
                priority: Some("high".into()),
                id: "TASK-10".into(),
                title: "Export schema".into(),
            },
            Listed {
                status: "To Do".into(),
                priority: None,
                id: "TASK-2".into(),
                title: "Risk - frontmatter".into(),
            },
            Listed {
                status: "In Progress".into(),
                priority: None,
                id: "TASK-13".into(),
                title: "Tâche — café".into(),
            },
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Reorder: a board-only edit, driven through the board's worker.

/// The ids of `status` in tack's board order (`tack list --json`).
fn tack_column(dir: &Path, cache: &Path, status: &str) -> Vec<String> {
    let cards = tack_json(dir, cache, &["list", "--status", status]);
    cards
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect()
}

/// The ids of `status` in Backlog.md's ordinal order (`task list --sort ordinal`).
fn peer_column(dir: &Path, status: &str) -> Vec<String> {
    parse_list(&peer_ok(
        dir,
        &["task", "list", "--plain", "--sort", "ordinal"],
    ))
    .into_iter()
    .filter(|l| l.status == status)
    .map(|l| l.id)
    .collect()
}

/// `K` on the board, twice over: once between two cards with room, once between two cards
/// with equal ordinals (the column is renumbered as Backlog.md's reorder does). Backlog.md's
/// own list, sorted by ordinal, has the column in the order tack's board shows.
#[test]
fn a_reordered_column_is_in_the_same_order_for_backlog_md() {
    use tack::tui::worker::{Msg, Request, Worker};
    let (dir, cache) = backlog();
    let root = dir.path();
    let column = tack_column(root, cache.path(), "To Do");
    assert!(column.len() >= 3, "{column:?}");
    let backlog = tack::layout::Backlog::discover(root).expect("backlog");
    let mut index =
        tack::index::Index::open_at(&backlog, &cache.path().join("board.sqlite")).expect("index");
    index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    let mut worker = Worker::new(backlog, index);
    let path_of = |worker: &Worker, id: &str| {
        worker
            .session
            .index
            .resolve(&worker.session.backlog, id)
            .expect("resolve")[0]
            .path
            .clone()
    };
    // Give the first two cards one ordinal, as a merge can; then move the third between them.
    for id in &column[..2] {
        let path = root.join(path_of(&worker, id));
        let text = std::fs::read_to_string(&path).expect("read");
        let line = text
            .lines()
            .find(|l| l.starts_with("ordinal: "))
            .map(str::to_string);
        let text = match line {
            Some(line) => text.replacen(&line, "ordinal: 500", 1),
            None => text.replacen("\n---\n", "\nordinal: 500\n---\n", 1),
        };
        std::fs::write(&path, text).expect("write");
    }
    worker
        .session
        .index
        .reconcile(&worker.session.backlog, &|_, _| {})
        .expect("reconcile");
    let before = tack_column(root, cache.path(), "To Do");
    for (moved, prev, next) in [
        (&before[2], Some(&before[0]), Some(&before[1])),
        (&before[1], None, Some(&before[0])),
    ] {
        let msgs = worker.handle(Request::Reorder {
            path: path_of(&worker, moved),
            prev: prev.map(|id| path_of(&worker, id)),
            next: next.map(|id| path_of(&worker, id)),
        });
        assert!(
            !msgs.iter().any(|m| matches!(m, Msg::Failed(_))),
            "{moved}: {msgs:?}"
        );
        let ours = tack_column(root, cache.path(), "To Do");
        assert_eq!(peer_column(root, "To Do"), ours, "after moving {moved}");
    }
    let after = tack_column(root, cache.path(), "To Do");
    assert_eq!(
        &after[..3],
        &[before[1].clone(), before[0].clone(), before[2].clone()],
        "{before:?} → {after:?}"
    );
}
