//! Permission errors for real. CI runs as root, where `chmod 000` and a 0555 directory stop
//! nothing, so as root the real binary is run as `nobody` (through `runuser`, else `setpriv`)
//! on a backlog copy it can read, except the one file made unreadable. As a normal user the
//! modes work directly and the binary runs as is.
//!
//! An unreadable card is a problem `cannot read: Permission denied` with its path, the rest of
//! the backlog loads, and nothing is rewritten; an index directory nobody can write still
//! lists the cards, from an in-memory index, with a notice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// How the binary is run: as this user, or as `nobody` through a helper.
enum Runner {
    Direct,
    /// The command prefix that switches to `nobody`, and the binary copied where it can run it.
    AsNobody(Vec<String>, PathBuf),
}

fn am_root() -> bool {
    let dir = tempfile::tempdir().expect("probe dir");
    std::fs::metadata(dir.path()).is_ok_and(|m| m.uid() == 0)
}

fn has(tool: &str) -> bool {
    Command::new(tool)
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stdout.is_empty())
}

/// Open `path` and all its parents to others (traverse and read), as `nobody` needs.
fn open_up(path: &Path, base: &Path) {
    for dir in path.ancestors() {
        if !dir.starts_with(base) {
            break;
        }
        let mode = std::fs::metadata(dir).expect("meta").permissions().mode();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o005))
            .expect("chmod o+rx");
    }
}

fn chmod_tree(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("walk");
        let extra = if entry.file_type().is_dir() {
            0o005
        } else {
            0o004
        };
        let mode = entry.metadata().expect("meta").permissions().mode();
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode | extra))
            .expect("chmod");
    }
}

fn runner(scratch: &Path) -> Option<Runner> {
    if !am_root() {
        return Some(Runner::Direct);
    }
    let prefix: Vec<String> = if has("runuser") {
        ["runuser", "-u", "nobody", "--"].map(String::from).to_vec()
    } else if has("setpriv") {
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
        ]
        .map(String::from)
        .to_vec()
    } else {
        return None;
    };
    // The binary under target/ may sit below a directory nobody cannot enter: copy it.
    let bin = scratch.join("tack");
    std::fs::copy(env!("CARGO_BIN_EXE_tack"), &bin).expect("copy the binary");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    open_up(scratch, scratch);
    Some(Runner::AsNobody(prefix, bin))
}

fn run(runner: &Runner, root: &Path, cache: &Path, args: &[&str]) -> Output {
    let mut cmd = match runner {
        Runner::Direct => Command::new(env!("CARGO_BIN_EXE_tack")),
        Runner::AsNobody(prefix, bin) => {
            let mut cmd = Command::new(&prefix[0]);
            cmd.args(&prefix[1..]).arg(bin);
            cmd
        }
    };
    cmd.arg("-C")
        .arg(root)
        .args(args)
        .env("TACK_CACHE_DIR", cache)
        .env_remove("TACK_INDEX")
        // nobody's home is not writable, and its cwd must be enterable.
        .env("HOME", cache)
        .current_dir(root);
    cmd.output().expect("tack runs")
}

fn ok_json(runner: &Runner, root: &Path, cache: &Path, args: &[&str]) -> (Value, String) {
    let out = run(runner, root, cache, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "tack {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        serde_json::from_slice(&out.stdout).expect("JSON output"),
        stderr,
    )
}

fn stamp(path: &Path) -> (u64, i64, i64) {
    let m = std::fs::metadata(path).expect("meta");
    (m.len(), m.mtime(), m.mtime_nsec())
}

#[test]
fn an_unreadable_card_and_an_unwritable_index_directory_for_real() {
    let scratch = tempfile::tempdir().expect("scratch");
    let scratch = scratch.path();
    let Some(runner) = runner(scratch) else {
        eprintln!(
            "skipping: running as root without runuser or setpriv, so EACCES cannot be produced"
        );
        return;
    };
    if let Runner::AsNobody(prefix, _) = &runner {
        eprintln!(
            "running as root: running tack as nobody through {}",
            prefix[0]
        );
    }
    let dir = common::generate("backlogmd", 30);
    let root = scratch.join("backlog-copy");
    let status = Command::new("cp")
        .arg("-r")
        .arg(dir.path())
        .arg(&root)
        .status()
        .expect("cp");
    assert!(status.success());
    chmod_tree(&root);
    open_up(&root, scratch);
    let root = std::fs::canonicalize(&root).expect("root");

    // A cache nobody can write (for the in-memory fallback), and one it can.
    // (Two: chmod changes neither size nor mtime, the stamps an index compares, so the file
    // made unreadable is looked at by an index that has not seen it yet.)
    let first = scratch.join("first-cache");
    let writable = scratch.join("cache");
    for cache in [&first, &writable] {
        std::fs::create_dir(cache).expect("cache");
        std::fs::set_permissions(cache, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    }
    let read_only = scratch.join("read-only-cache");
    std::fs::create_dir(&read_only).expect("cache");
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).expect("chmod");

    let (before, stderr) = ok_json(&runner, &root, &first, &["list", "--json"]);
    assert_eq!(stderr, "");
    assert_eq!(before.as_array().map(Vec::len), Some(30));

    // An unreadable card.
    let rel = common::item_files(&root)
        .into_iter()
        .find(|p| p.contains("/task-7 - "))
        .expect("task-7");
    let abs = root.join(&rel);
    std::fs::set_permissions(&abs, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    let unreadable_stamp = stamp(&abs);
    let stamps: Vec<_> = common::item_files(&root)
        .into_iter()
        .map(|p| {
            let s = stamp(&root.join(&p));
            (p, s)
        })
        .collect();

    let (after, _) = ok_json(&runner, &root, &writable, &["list", "--json"]);
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_string())
            .collect()
    };
    let mut expected = ids(&before);
    expected.retain(|id| id != "TASK-7");
    assert_eq!(ids(&after), expected, "the rest must load");
    let (problems, _) = ok_json(&runner, &root, &writable, &["index", "problems", "--json"]);
    let problems = problems.as_array().expect("array").clone();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0]["path"], rel.as_str());
    let message = problems[0]["message"].as_str().expect("message");
    assert!(
        message.contains("cannot read") && message.contains("Permission denied"),
        "{message}"
    );
    // A rebuild and an attempted move write nothing; the index agrees with the files.
    let out = run(&runner, &root, &writable, &["index", "rebuild"]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&runner, &root, &writable, &["move", &rel, "Done"]);
    assert!(matches!(out.status.code(), Some(1..=3)), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read"), "{stderr}");
    let out = run(&runner, &root, &writable, &["index", "check"]);
    assert!(out.status.success(), "{out:?}");

    // An index directory nobody can write: the cards still list, with a notice.
    let (listed, stderr) = ok_json(&runner, &root, &read_only, &["list", "--json"]);
    assert_eq!(ids(&listed), expected);
    assert!(stderr.contains("in-memory"), "no notice: {stderr:?}");
    assert!(
        stderr.contains("ermission denied")
            || stderr.contains("readonly")
            || stderr.contains("unable to open"),
        "{stderr:?}"
    );
    assert_eq!(
        std::fs::read_dir(&read_only).expect("cache").count(),
        0,
        "something was written in the read-only cache"
    );

    for (p, s) in &stamps {
        assert_eq!(&stamp(&root.join(p)), s, "{p} was rewritten");
    }
    assert_eq!(stamp(&abs), unreadable_stamp);
    let _ = std::fs::set_permissions(&abs, std::fs::Permissions::from_mode(0o644));
    let _ = std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o755));
}
