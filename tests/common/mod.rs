//! Helpers shared by the integration tests: generated backlogs, the real kano fixture, and the
//! real `tack` binary with a private cache directory.
#![allow(dead_code)]

pub mod board;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared` beside the repository (override with `TACK_SHARED`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("TACK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// A temp dir holding a backlog made by `gen_backlog.py --format FORMAT --count N`.
pub fn generate(format: &str, count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = Command::new("python3")
        .arg(shared_dir().join("corpus/gen_backlog.py"))
        .args(["--format", format, "--count", &count.to_string(), "--out"])
        .arg(dir.path())
        .status()
        .expect("python3 runs gen_backlog.py");
    assert!(status.success(), "gen_backlog.py failed");
    dir
}

/// A writable copy of the real kano backlog in `shared/fixtures/kano-demo`.
pub fn kano_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = Command::new("cp")
        .arg("-r")
        .arg(shared_dir().join("fixtures/kano-demo/."))
        .arg(dir.path())
        .status()
        .expect("cp");
    assert!(status.success(), "copying the fixture failed");
    let status = Command::new("chmod")
        .args(["-R", "u+w"])
        .arg(dir.path())
        .status()
        .expect("chmod");
    assert!(status.success());
    dir
}

/// The real binary, run in `backlog` with its index in `cache` (never the user's cache).
pub fn tack(backlog: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tack"));
    cmd.arg("-C")
        .arg(backlog)
        .env("TACK_CACHE_DIR", cache)
        .env_remove("TACK_INDEX");
    cmd
}

/// Run `tack ARGS` and return its output, whatever the exit code.
pub fn run(backlog: &Path, cache: &Path, args: &[&str]) -> Output {
    tack(backlog, cache).args(args).output().expect("tack runs")
}

/// Run `tack ARGS`, assert success and return stdout.
pub fn ok(backlog: &Path, cache: &Path, args: &[&str]) -> String {
    let out = run(backlog, cache, args);
    assert!(
        out.status.success(),
        "tack {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Put `dir` under git with one commit, so a test can assert `git diff`.
pub fn git_init(dir: &Path) {
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.email=t@t",
            "-c",
            "user.name=t",
            "commit",
            "-qm",
            "init",
        ],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .expect("git");
        assert!(status.success(), "git {args:?}");
    }
}

/// `git diff` of the working tree, unified with no context, as text.
pub fn git_diff(dir: &Path) -> String {
    let out = Command::new("git")
        .args(["diff", "--unified=0", "--no-color"])
        .current_dir(dir)
        .output()
        .expect("git diff");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Card files of a backlog counted without tack, by the layouts' own rules: Backlog.md
/// `backlog/tasks/<task_prefix>-*.md` (its glob, prefix compared without case); kano every
/// `.md` under `_kano/backlog/products/*/items/` except `*.index.md` and `README.md` files.
/// Root-relative, sorted.
pub fn item_files(root: &Path) -> std::collections::BTreeSet<String> {
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .expect("inside the root")
            .to_str()
            .expect("utf-8 path")
            .to_string()
    };
    let mut out = std::collections::BTreeSet::new();
    let tasks = root.join("backlog/tasks");
    if tasks.is_dir() {
        let head = format!("{}-", task_prefix(root).to_lowercase());
        for entry in std::fs::read_dir(&tasks).expect("read backlog/tasks") {
            let path = entry.expect("dir entry").path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if path.is_file() && name.ends_with(".md") && name.starts_with(&head) {
                out.insert(rel(&path));
            }
        }
        return out;
    }
    let products = root.join("_kano/backlog/products");
    for product in std::fs::read_dir(&products).expect("read _kano/backlog/products") {
        let items = product.expect("dir entry").path().join("items");
        for entry in walkdir::WalkDir::new(&items).into_iter().flatten() {
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_file()
                && name.ends_with(".md")
                && !name.ends_with(".index.md")
                && !name.eq_ignore_ascii_case("readme.md")
            {
                out.insert(rel(entry.path()));
            }
        }
    }
    out
}

/// The `task_prefix` of a Backlog.md `backlog/config.yml` (`task` when it has none).
pub fn task_prefix(root: &Path) -> String {
    let config = std::fs::read_to_string(root.join("backlog/config.yml")).unwrap_or_default();
    config
        .lines()
        .find_map(|l| l.strip_prefix("task_prefix:"))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "task".into())
}

/// Run `tack ARGS`, assert success and parse stdout as JSON.
pub fn json(backlog: &Path, cache: &Path, args: &[&str]) -> serde_json::Value {
    let out = ok(backlog, cache, args);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("tack {args:?} printed invalid JSON ({e}): {out}"))
}

/// The files a `git diff` touches and its changed lines in order, each with its `+`/`-`.
pub fn diff_lines(diff: &str) -> (Vec<String>, Vec<String>) {
    let mut files = Vec::new();
    let mut lines = Vec::new();
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ b/") {
            files.push(path.trim_end_matches('\t').to_string());
        } else if line.starts_with("--- a/") || line == "--- /dev/null" || line == "+++ /dev/null" {
            continue;
        } else if line.starts_with('+') || line.starts_with('-') {
            lines.push(line.to_string());
        }
    }
    (files, lines)
}

/// `git status --porcelain` lines (modified, added, untracked files).
pub fn git_status(dir: &Path) -> Vec<String> {
    let out = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(dir)
        .output()
        .expect("git status");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}
