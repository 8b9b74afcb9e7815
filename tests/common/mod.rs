//! Helpers shared by the integration tests: generated backlogs, the real kano fixture, and the
//! real `tack` binary with a private cache directory.
#![allow(dead_code)]

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
    let status = Command::new("chmod").args(["-R", "u+w"]).arg(dir.path()).status().expect("chmod");
    assert!(status.success());
    dir
}

/// The real binary, run in `backlog` with its index in `cache` (never the user's cache).
pub fn tack(backlog: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tack"));
    cmd.arg("-C").arg(backlog).env("TACK_CACHE_DIR", cache).env_remove("TACK_INDEX");
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
        &["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init"],
    ] {
        let status = Command::new("git").args(args).current_dir(dir).status().expect("git");
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
