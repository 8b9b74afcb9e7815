//! Confinement: no path tack writes leaves the backlog root, whatever a path, title or import
//! document says; `$EDITOR` gets the card's path as one argument, never a shell line with card
//! text in it; and no command prints a database password.
//!
//! (`tack new` with hostile titles is covered by core_cli's
//! `hostile_titles_never_write_outside_the_backlog`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tack::index::Index;
use tack::layout::{Backlog, NewFile};
use tack::writer::{self, WriteError};

fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.path().to_path_buf())
        .collect()
}

/// A backlog inside an outer directory, so a write that escapes the root lands where the test
/// can see it.
fn nested(format: &str) -> (tempfile::TempDir, PathBuf) {
    let outer = tempfile::tempdir().expect("outer");
    let root = outer.path().join("a/b/root");
    std::fs::create_dir_all(&root).expect("root");
    let generated = common::generate(format, 10);
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(generated.path().join("."))
        .arg(&root)
        .status()
        .expect("cp");
    assert!(status.success());
    (outer, std::fs::canonicalize(root).expect("root"))
}

fn hostile_paths(card_dir: &str) -> Vec<String> {
    vec![
        "../evil.md".into(),
        "../../evil.md".into(),
        format!("{card_dir}/../../../evil.md"),
        format!("{card_dir}/../../../../evil.md"),
        "/tmp/tack-confine-evil.md".into(),
        format!("/{card_dir}/evil.md"),
        format!("{card_dir}//evil.md"),
        format!("./{card_dir}/evil.md"),
        format!("{card_dir}/./evil.md"),
        format!("{card_dir}/evil\0.md"),
        format!("{card_dir}/{}.md", "x".repeat(300)),
        String::new(),
        "..".into(),
        format!("{card_dir}/.."),
    ]
}

#[test]
fn library_writes_to_crafted_paths_are_refused() {
    for (format, card_dir) in [
        ("backlogmd", "backlog/tasks"),
        ("kabsd", "_kano/backlog/products"),
    ] {
        let (outer, root) = nested(format);
        let cache = tempfile::tempdir().expect("cache");
        let backlog = Backlog::discover(&root).expect("backlog");
        let mut index = Index::open_at(&backlog, &cache.path().join("i.sqlite")).expect("index");
        index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
        let text = "---\nid: EVIL-1\nuid: evil\ntitle: Evil\nstatus: To Do\nstate: Proposed\n---\n";
        let before = tree(outer.path());
        let tmp_before = Path::new("/tmp/tack-confine-evil.md").exists();
        for path in hostile_paths(card_dir) {
            let file = NewFile {
                path: path.clone(),
                text: text.into(),
            };
            match writer::create(&backlog, &mut index, &file) {
                Err(WriteError::Refused { message, .. }) => {
                    assert!(
                        message.contains("outside the backlog"),
                        "{path:?}: {message}"
                    )
                }
                other => panic!("{format}: create {path:?} was not refused: {other:?}"),
            }
            let edit = tack::edit::Edit::set(tack::edit::Change::text("status", "Done"));
            let result = writer::edit(&backlog, &mut index, &path, "0", &edit);
            assert!(
                matches!(result, Err(WriteError::Refused { .. })),
                "{format}: edit {path:?}: {result:?}"
            );
            let result = writer::archive(&backlog, &mut index, &path, "0");
            assert!(
                matches!(result, Err(WriteError::Refused { .. })),
                "{format}: archive {path:?}: {result:?}"
            );
        }
        assert_eq!(
            tree(outer.path()),
            before,
            "{format}: a file appeared or vanished"
        );
        assert_eq!(Path::new("/tmp/tack-confine-evil.md").exists(), tmp_before);
    }
}

/// A card path that is a dangling symlink pointing out of the backlog: creating a card there
/// must not write through the link.
#[test]
fn a_new_card_never_writes_through_a_symlink() {
    let (outer, root) = nested("backlogmd");
    let cache = tempfile::tempdir().expect("cache");
    let target = outer.path().join("outside.md");
    let link = "backlog/tasks/task-99 - Evil.md";
    std::os::unix::fs::symlink(&target, root.join(link)).expect("symlink");
    let backlog = Backlog::discover(&root).expect("backlog");
    let mut index = Index::open_at(&backlog, &cache.path().join("i.sqlite")).expect("index");
    index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    let file = NewFile {
        path: link.into(),
        text: "---\nid: TASK-99\ntitle: Evil\nstatus: To Do\n---\n".into(),
    };
    let result = writer::create(&backlog, &mut index, &file);
    assert!(result.is_err(), "{result:?}");
    assert!(!target.exists(), "tack wrote through the symlink");
    assert!(std::fs::symlink_metadata(root.join(link))
        .expect("the link")
        .file_type()
        .is_symlink());
}

/// `tack import` with paths that point out of the backlog: each is skipped, nothing is written
/// outside, and the import says how many were not imported (exit 3).
#[test]
fn import_paths_cannot_leave_the_backlog() {
    let (outer, root) = nested("backlogmd");
    let cache = tempfile::tempdir().expect("cache");
    let before = tree(outer.path());
    let items: Vec<serde_json::Value> = hostile_paths("backlog/tasks")
        .into_iter()
        .filter(|p| !p.contains('\0'))
        .chain([
            "backlog/tasks/sub/evil.md".to_string(),
            "backlog/evil.md".to_string(),
        ])
        .map(|path| {
            serde_json::json!({
                "path": path,
                "frontmatter": "---\nid: EVIL-1\ntitle: Evil\nstatus: To Do\n---\n",
                "body": "",
            })
        })
        .collect();
    let count = items.len();
    let doc = serde_json::json!({"tack_export": 1, "layout": "Backlog.md", "items": items});
    let doc_path = cache.path().join("doc.json");
    std::fs::write(&doc_path, doc.to_string()).expect("write");
    let out = common::run(
        &root,
        cache.path(),
        &["import", "--json", doc_path.to_str().expect("utf-8")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "imported 0 cards, 0 already present, {count} not imported"
        )),
        "{stdout}"
    );
    assert_eq!(tree(outer.path()), before);
}

/// `$EDITOR` runs with the file path as one argument: a card whose title and file name hold
/// shell syntax runs nothing. (The only test in this file that sets environment variables.)
#[test]
fn the_editor_gets_the_path_as_an_argument_never_a_shell_line() {
    let dir = common::generate("backlogmd", 5);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let scratch = tempfile::tempdir().expect("scratch");
    let argv_file = scratch.path().join("argv");
    let editor = scratch.path().join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nfor a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\n",
            argv_file.display()
        ),
    )
    .expect("editor script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let name = "backlog/tasks/task-50 - $(touch pwned) `touch pwned2`; touch pwned3.md";
    std::fs::write(
        root.join(name),
        "---\nid: TASK-50\ntitle: \"$(touch pwned) `touch pwned2` ; touch pwned3 | tee pwned4\"\nstatus: To Do\n---\n",
    )
    .expect("card");
    // SAFETY of the environment change: no other test in this binary reads these variables.
    std::env::set_var("VISUAL", format!("'{}' --wait", editor.display()));
    std::env::set_var("EDITOR", "/bin/false");
    let cwd = std::env::current_dir().expect("cwd");
    std::env::set_current_dir(scratch.path()).expect("cd");
    let result = tack::tui::run_editor(&root, name, None);
    std::env::set_current_dir(cwd).expect("cd back");
    result.expect("the editor ran");

    let argv: Vec<String> = std::fs::read_to_string(&argv_file)
        .expect("the editor recorded its argv")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        argv,
        vec![
            editor.display().to_string(),
            "--wait".to_string(),
            root.join(name).display().to_string()
        ]
    );
    for dir in [scratch.path(), root.as_path(), &root.join("backlog/tasks")] {
        for pwned in ["pwned", "pwned2", "pwned3", "pwned4"] {
            assert!(
                !dir.join(pwned).exists(),
                "{} appeared in {}",
                pwned,
                dir.display()
            );
        }
    }
}

/// A mirror URL with a password: neither `tack backends` nor a failing `tack mirror` prints it.
#[test]
fn no_command_prints_a_database_password() {
    let dir = common::generate("backlogmd", 5);
    let cache = tempfile::tempdir().expect("cache");
    let url = "postgres://user:secret@127.0.0.1:1/db";
    let runs: Vec<Vec<&str>> = vec![
        vec!["backends"],
        vec!["backends", "--json"],
        vec!["mirror", url],
        vec!["mirror"],
        vec!["index", "status"],
    ];
    for args in &runs {
        let out = common::tack(dir.path(), cache.path())
            .env("TACK_MIRROR", url)
            .env("PGCONNECT_TIMEOUT", "2")
            .args(args)
            .output()
            .expect("tack runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("secret"),
            "tack {args:?} printed the password:\n{all}"
        );
        assert!(!all.contains("panicked"), "tack {args:?}:\n{all}");
        if args[0] == "backends" || args.len() == 2 && args[0] == "mirror" {
            // The URL is shown (so the check above means something), its password masked.
            assert!(
                all.contains("user:***@127.0.0.1:1/db"),
                "tack {args:?}:\n{all}"
            );
        }
    }
}
