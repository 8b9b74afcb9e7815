//! `tack watch --json` as a real process on real files: every way editors and tools change a
//! card, a directory moved away and back, two tack processes at once, and a 10,000-file
//! `git checkout`. After each change the test waits for the watcher to report it and then
//! asserts that the index equals a fresh parse of the files (`tack index check`, which does not
//! reconcile, so only the watcher can have made it pass). Timeouts are failure guards only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Long enough for a loaded 2-core machine; a healthy run takes a fraction of it.
const GUARD: Duration = Duration::from_secs(60);

/// A running `tack watch --json`, its stdout read line by line on a thread.
struct Watch {
    child: Child,
    lines: Receiver<Value>,
    /// Every line read so far, for failure messages and for what must never be reported.
    seen: Vec<Value>,
    stderr: PathBuf,
}

impl Watch {
    fn start(backlog: &Path, cache: &Path) -> Watch {
        let stderr = cache.join(format!("watch-{}.stderr", rand_suffix()));
        fs::create_dir_all(cache).expect("cache dir");
        let mut child = common::tack(backlog, cache)
            .args(["watch", "--json"])
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("tack watch starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let mut watch = Watch {
            child,
            lines,
            seen: Vec::new(),
            stderr,
        };
        watch.next_matching("ready", |v| v["event"] == "ready");
        watch
    }

    /// The next line satisfying `pred` (lines before it are kept in `seen`).
    fn next_matching(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(value) => {
                    self.seen.push(value.clone());
                    if pred(&value) {
                        return value;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.fail(&format!("timed out waiting for {what}"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.fail(&format!("tack watch exited while waiting for {what}"))
                }
            }
        }
    }

    /// Wait for an event of one of `kinds` on `path`.
    fn event_on(&mut self, path: &str, kinds: &[&str]) -> Value {
        self.next_matching(&format!("{kinds:?} on {path}"), |v| {
            v["path"] == path && kinds.iter().any(|k| v["event"] == *k)
        })
    }

    /// Wait until every path in `paths` has had an event of `kind`.
    fn all(&mut self, kind: &str, paths: &[String]) {
        let mut left: std::collections::BTreeSet<&str> = paths.iter().map(String::as_str).collect();
        while !left.is_empty() {
            let v = self.next_matching(&format!("{kind} for {} more paths", left.len()), |v| {
                v["event"] == kind || v["event"] == "resynced"
            });
            if v["event"] == "resynced" {
                // A resync covers everything; the index check that follows is the assertion.
                return;
            }
            if let Some(p) = v["path"].as_str() {
                left.remove(p);
            }
        }
    }

    /// Read lines until none came for `quiet` (the watcher has caught up, as far as an
    /// observer can tell; the index check that follows is the real assertion).
    fn settle(&mut self, quiet: Duration) {
        let deadline = Instant::now() + GUARD * 2;
        loop {
            match self.lines.recv_timeout(quiet) {
                Ok(value) => self.seen.push(value),
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => self.fail("tack watch exited"),
            }
            if Instant::now() > deadline {
                self.fail("the watcher never went quiet");
            }
        }
    }

    fn fail(&self, message: &str) -> ! {
        let seen: Vec<String> = self.seen.iter().map(Value::to_string).collect();
        panic!(
            "{message}\nlines so far:\n{}\nstderr:\n{}",
            seen.join("\n"),
            fs::read_to_string(&self.stderr).unwrap_or_default()
        );
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// The index equals a fresh parse of the files.
fn assert_checks(backlog: &Path, cache: &Path) {
    let out = common::run(backlog, cache, &["index", "check"]);
    assert!(
        out.status.success(),
        "index check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Let the watcher go quiet, then check; again until the check passes (for changes too big to
/// follow event by event). Checking while the watcher works would only slow it down.
fn eventually_checks(watch: &mut Watch, backlog: &Path, cache: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        watch.settle(Duration::from_secs(1));
        let out = common::run(backlog, cache, &["index", "check"]);
        if out.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "index never matched the files after {what}:\n{}",
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Root-relative paths of the cards in `dir` (relative to `root`), sorted.
fn cards_in(root: &Path, dir: &str) -> Vec<String> {
    let mut out: Vec<String> = walk(&root.join(dir))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter(|p| !p.to_string_lossy().ends_with(".index.md"))
        .map(|p| {
            p.strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Replace the `title:` line of a card's frontmatter.
fn retitled(text: &str, title: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for line in text.split_inclusive('\n') {
        if !done && line.starts_with("title:") {
            out.push_str(&format!("title: \"{title}\"\n"));
            done = true;
        } else {
            out.push_str(line);
        }
    }
    assert!(done, "no title line in:\n{text}");
    out
}

fn id_of(root: &Path, rel: &str) -> String {
    let text = fs::read_to_string(root.join(rel)).expect("card");
    let line = text
        .lines()
        .find(|l| l.starts_with("id:"))
        .expect("id line");
    line["id:".len()..]
        .trim()
        .trim_matches(['"', '\''])
        .to_string()
}

fn sh(dir: &Path, script: &str) {
    let status = Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .status()
        .expect("sh");
    assert!(status.success(), "sh -c {script:?} failed");
}

#[test]
fn every_kind_of_edit_reaches_the_index() {
    let dir = common::generate("backlogmd", 120);
    let root = fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let cards = cards_in(&root, "backlog/tasks");
    let mut watch = Watch::start(&root, cache.path());
    let abs = |rel: &str| root.join(rel);

    // Editor-style save: a temp file in the same directory, renamed over the card.
    let card = &cards[0];
    let text = fs::read_to_string(abs(card)).expect("read");
    let temp = abs("backlog/tasks/.card.md.tmp4821");
    fs::write(&temp, retitled(&text, "Saved by rename")).expect("temp");
    fs::rename(&temp, abs(card)).expect("rename");
    let v = watch.event_on(card, &["updated"]);
    assert_eq!(v["id"], id_of(&root, card).as_str());
    assert_checks(&root, cache.path());

    // In place: truncate and write, as Backlog.md's own `task edit` does.
    let card = &cards[1];
    let text = fs::read_to_string(abs(card)).expect("read");
    fs::write(abs(card), retitled(&text, "Written in place")).expect("write");
    watch.event_on(card, &["updated"]);
    assert_checks(&root, cache.path());

    // Create.
    let new = "backlog/tasks/task-9001 - Fresh-card.md";
    fs::write(
        abs(new),
        "---\nid: TASK-9001\ntitle: Fresh card\nstatus: To Do\n---\n\nBody.\n",
    )
    .expect("create");
    let v = watch.event_on(new, &["created"]);
    assert_eq!(v["id"], "TASK-9001");
    assert_checks(&root, cache.path());

    // Delete.
    let card = &cards[2];
    let id = id_of(&root, card);
    fs::remove_file(abs(card)).expect("delete");
    let v = watch.event_on(card, &["deleted"]);
    assert_eq!(v["id"], id.as_str());
    assert_checks(&root, cache.path());

    // Rename of a card file: the old path goes, the new one comes, same id.
    let card = &cards[3];
    let id = id_of(&root, card);
    let renamed = "backlog/tasks/task-renamed - Moved-by-hand.md".to_string();
    fs::rename(abs(card), abs(&renamed)).expect("rename card");
    watch.all("deleted", std::slice::from_ref(card));
    let v = watch.event_on(&renamed, &["created"]);
    assert_eq!(v["id"], id.as_str());
    assert_checks(&root, cache.path());

    // sed -i: a temp file named sedXXXXXX (no extension) renamed over the card.
    let card = &cards[4];
    let out = Command::new("sed")
        .args(["-i", "s/^title: .*/title: \"Edited by sed\"/"])
        .arg(abs(card))
        .output()
        .expect("sed");
    assert!(out.status.success());
    watch.event_on(card, &["updated"]);
    assert_checks(&root, cache.path());

    // vim's save: a swap file, the `4913` probe, the original renamed to a backup, a new file
    // written, the backup removed. Split across batches it may read as deleted then created.
    let card = &cards[5];
    let text = fs::read_to_string(abs(card)).expect("read");
    let name = card.rsplit('/').next().expect("name");
    let swap = abs(&format!("backlog/tasks/.{name}.swp"));
    fs::write(&swap, b"b0VIM 9.0").expect("swap");
    let probe = abs("backlog/tasks/4913");
    fs::write(&probe, b"").expect("probe");
    fs::remove_file(&probe).expect("probe gone");
    let backup = abs(&format!("{card}~"));
    fs::rename(abs(card), &backup).expect("backup");
    fs::write(abs(card), retitled(&text, "Saved by vim")).expect("vim write");
    fs::remove_file(&backup).expect("backup gone");
    fs::remove_file(&swap).expect("swap gone");
    watch.event_on(card, &["updated", "created"]);
    assert_checks(&root, cache.path());

    // Broken YAML is a problem row, still in step with the file.
    let card = &cards[6];
    fs::write(abs(card), "---\nid: [unclosed\ntitle: x\n---\nbody\n").expect("broken");
    let v = watch.event_on(card, &["updated"]);
    assert_eq!(v["id"], Value::Null);
    assert_checks(&root, cache.path());

    // Files that are not cards never show up.
    fs::write(abs("backlog/tasks/notes.txt"), "not a card").expect("txt");
    fs::write(abs("backlog/tasks/.hidden.md"), "---\nid: H\n---\n").expect("hidden");
    fs::write(abs("backlog/config.yml.bak"), "x").expect("bak");
    // A card edit after them: once it is reported, the others would have been too.
    let card = &cards[7];
    let text = fs::read_to_string(abs(card)).expect("read");
    fs::write(abs(card), retitled(&text, "After the noise")).expect("write");
    watch.event_on(card, &["updated"]);
    for v in &watch.seen {
        let path = v["path"].as_str().unwrap_or_default();
        for bad in ["notes.txt", ".hidden", ".swp", "4913", "~", ".tmp", ".bak"] {
            assert!(!path.contains(bad), "reported a non-card file: {v}");
        }
    }
    assert_checks(&root, cache.path());
    assert!(!watch.stderr().contains("database is locked"));
}

#[test]
fn a_directory_moved_away_and_back_is_followed() {
    let dir = common::generate("backlogmd", 80);
    let root = fs::canonicalize(dir.path()).expect("root");
    let away = tempfile::tempdir_in(&root).expect("away");
    let cache = tempfile::tempdir().expect("cache");
    let cards = cards_in(&root, "backlog/tasks");
    let mut watch = Watch::start(&root, cache.path());

    // The whole tasks folder leaves: inotify reports only the folder.
    let parked = away.path().join("tasks");
    fs::rename(root.join("backlog/tasks"), &parked).expect("move away");
    watch.all("deleted", &cards);
    assert_checks(&root, cache.path());

    // Edited while away: must not be reported under its old path, must count when back.
    let first = parked.join(cards[0].rsplit('/').next().expect("name"));
    let text = fs::read_to_string(&first).expect("read");
    fs::write(&first, retitled(&text, "Edited while away")).expect("edit away");

    fs::rename(&parked, root.join("backlog/tasks")).expect("move back");
    watch.all("created", &cards);
    assert_checks(&root, cache.path());

    // The folder it came back as is watched again.
    let card = &cards[1];
    let text = fs::read_to_string(root.join(card)).expect("read");
    fs::write(root.join(card), retitled(&text, "Edited after the return")).expect("edit");
    watch.event_on(card, &["updated"]);
    assert_checks(&root, cache.path());

    // The same with the whole `backlog/` folder (watched from the root without recursion),
    // deleted and recreated from a copy rather than moved, so it is a new inode.
    sh(&root, "cp -r backlog backlog.copy && rm -rf backlog");
    watch.all("deleted", &cards);
    sh(&root, "mv backlog.copy backlog");
    watch.all("created", &cards);
    assert_checks(&root, cache.path());
    let card = &cards[2];
    let text = fs::read_to_string(root.join(card)).expect("read");
    fs::write(root.join(card), retitled(&text, "Edited in the new folder")).expect("edit");
    watch.event_on(card, &["updated"]);
    assert_checks(&root, cache.path());
}

#[test]
fn kano_bucket_moved_away_and_back_and_renamed_cards() {
    let dir = common::generate("kabsd", 300);
    let root = fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let products = fs::read_dir(root.join("_kano/backlog/products"))
        .expect("products")
        .flatten()
        .next()
        .expect("one product")
        .path();
    let bucket = products.join("items/task/0000");
    let bucket_rel = bucket
        .strip_prefix(&root)
        .expect("rel")
        .to_string_lossy()
        .into_owned();
    let cards = cards_in(&root, &bucket_rel);
    assert!(!cards.is_empty());
    let mut watch = Watch::start(&root, cache.path());

    let outside = tempfile::tempdir().expect("outside");
    fs::rename(&bucket, outside.path().join("0000")).expect("away");
    watch.all("deleted", &cards);
    assert_checks(&root, cache.path());
    fs::rename(outside.path().join("0000"), &bucket).expect("back");
    watch.all("created", &cards);
    assert_checks(&root, cache.path());

    // A rename-save in a bucket, with the temp file in the same folder.
    let card = &cards[0];
    let text = fs::read_to_string(root.join(card)).expect("read");
    let temp = bucket.join(".tack-1-abc.tmp");
    fs::write(&temp, retitled(&text, "Renamed over")).expect("temp");
    fs::rename(&temp, root.join(card)).expect("rename");
    watch.event_on(card, &["updated"]);
    assert_checks(&root, cache.path());
}

/// Two `tack move` loops and two watchers on one backlog: every watcher reports the other
/// processes' edits, no process ever sees `database is locked`, and the index ends equal to
/// the files.
#[test]
fn two_processes_editing_at_once() {
    let dir = common::generate("backlogmd", 150);
    let root = fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let cards = cards_in(&root, "backlog/tasks");
    let mut first = Watch::start(&root, cache.path());
    let mut second = Watch::start(&root, cache.path());

    let loops: Vec<_> = [&cards[0], &cards[1]]
        .into_iter()
        .map(|card| {
            let (root, cache, card) = (root.clone(), cache.path().to_path_buf(), card.clone());
            std::thread::spawn(move || {
                let mut errors = String::new();
                for i in 0..8 {
                    let status = ["To Do", "In Progress", "Done"][i % 3];
                    let out = common::run(&root, &cache, &["move", &card, status]);
                    errors.push_str(&String::from_utf8_lossy(&out.stderr));
                    assert!(
                        out.status.success(),
                        "tack move {card} {status} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                errors
            })
        })
        .collect();
    for l in loops {
        let errors = l.join().expect("move loop");
        assert!(
            !errors.contains("locked"),
            "a move saw a locked database: {errors}"
        );
    }
    // The last move of each card leaves it in "In Progress" (i = 7): both watchers must have
    // reported each card at least once, the index must match the files.
    for watch in [&mut first, &mut second] {
        watch.all("updated", &cards[..2]);
    }
    assert_checks(&root, cache.path());
    for watch in [&first, &second] {
        let stderr = watch.stderr();
        assert!(
            !stderr.contains("locked"),
            "a watcher saw a locked database: {stderr}"
        );
        assert!(
            !watch.seen.iter().any(|v| v["event"] == "error"),
            "a watcher reported an error: {:?}",
            watch.seen
        );
    }
}

/// A branch switch that rewrites 10,000 files, and back: the watcher converges to exactly the
/// files each time.
#[test]
fn ten_thousand_file_checkout_converges() {
    let started = Instant::now();
    let phase = |what: &str| eprintln!("{:>6.1} s  {what}", started.elapsed().as_secs_f64());
    let dir = common::generate("kabsd", 10_000);
    let root = fs::canonicalize(dir.path()).expect("root");
    phase("generated");
    let cache = tempfile::tempdir().expect("cache");
    common::git_init(&root);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.email=t@t", "-c", "user.name=t"])
            .args(args)
            .current_dir(&root)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["checkout", "-qb", "retitled"]);
    let status = Command::new("python3")
        .arg("-c")
        .arg(
            "import pathlib,sys\n\
             n=0\n\
             for p in pathlib.Path('_kano').rglob('*.md'):\n\
             \x20   if '/items/' not in str(p): continue\n\
             \x20   t=p.read_text(); u=t.replace('\\ntitle: \"', '\\ntitle: \"v2 ', 1)\n\
             \x20   if u!=t: p.write_text(u); n+=1\n\
             assert n>=10000, n\n",
        )
        .current_dir(&root)
        .status()
        .expect("python3");
    assert!(status.success(), "rewriting the titles failed");
    git(&["commit", "-qam", "retitle every card"]);
    git(&["checkout", "-q", "-"]);

    phase("branch committed");
    let mut watch = Watch::start(&root, cache.path());
    assert_eq!(watch.seen[0]["files"], 10_000);
    phase("watcher ready");
    for (branch, what) in [
        ("retitled", "checking out the retitled branch"),
        ("-", "checking out back"),
    ] {
        git(&["checkout", "-q", branch]);
        phase(&format!("checked out {branch}"));
        eventually_checks(&mut watch, &root, cache.path(), what);
        phase("index matches the files");
    }
    // Still live after the storm.
    let card = cards_in(&root, "_kano/backlog/products")
        .into_iter()
        .find(|p| p.contains("/items/"))
        .expect("a card");
    let text = fs::read_to_string(root.join(&card)).expect("read");
    fs::write(root.join(&card), retitled(&text, "After the checkout")).expect("edit");
    watch.event_on(&card, &["updated"]);
    assert_checks(&root, cache.path());
    assert!(!watch.stderr().contains("locked"));
}

/// A board and `tack watch` started at the same moment on a backlog with no index yet: both
/// create, migrate and fill the same new database, and neither may fail, rebuild (delete) the
/// other's index, or report an error.
#[test]
fn two_watchers_started_together_on_a_fresh_index() {
    let dir = common::generate("backlogmd", 3_000);
    let root = fs::canonicalize(dir.path()).expect("root");
    for round in 0..2 {
        let cache = tempfile::tempdir().expect("cache");
        let starters: Vec<_> = (0..2)
            .map(|_| {
                let (root, cache) = (root.clone(), cache.path().to_path_buf());
                std::thread::spawn(move || Watch::start(&root, &cache))
            })
            .collect();
        let watches: Vec<Watch> = starters
            .into_iter()
            .map(|s| s.join().expect("a watcher reached ready"))
            .collect();
        for watch in &watches {
            let stderr = watch.stderr();
            for bad in ["locked", "rebuilding", "UNIQUE", "Error"] {
                assert!(
                    !stderr.contains(bad),
                    "round {round}: stderr has {bad:?}:\n{stderr}"
                );
            }
            assert!(
                !watch.seen.iter().any(|v| v["event"] == "error"),
                "round {round}: {:?}",
                watch.seen
            );
            assert_eq!(watch.seen.last().expect("ready")["files"], 3_000);
        }
        assert_checks(&root, cache.path());
    }
}
