//! `tack mirror URL --watch` against a real PostgreSQL server: edits, creations, deletions and
//! renames reach the database; the database restarting mid-watch is survived. (How fast they
//! land is a benchmark's job: benches/mirror.sh.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;
mod mirror_common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mirror_common::{
    assert_mirror_equals_files, root_of, shared, tack, wait_for, Server, PASSWORD,
};

/// How long to wait for a change to reach the database before calling it lost: generous,
/// because a loaded CI machine is slow, and a passing wait returns as soon as the row is there.
const PATIENCE: Duration = Duration::from_secs(30);

/// A `tack mirror --watch` child, killed on drop, with its output lines on a channel.
struct Watching {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watching {
    fn start(dir: &Path, cache: &Path, url: &str) -> Watching {
        let mut child = tack(dir, cache)
            .args(["mirror", url, "--watch"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tack mirror --watch");
        let (tx, rx) = mpsc::channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let mut w = Watching {
            child,
            lines: rx,
            seen: Vec::new(),
        };
        w.wait_line("synced", PATIENCE);
        w
    }

    fn wait_line(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            self.drain();
            if self.seen.iter().any(|l| l.contains(needle)) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "no line with `{needle}` within {timeout:?}; output:\n{}",
                    self.seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            assert!(!line.contains(PASSWORD), "password in output: {line}");
            self.seen.push(line);
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn title_of(client: &mut postgres::Client, root: &str, path: &str) -> Option<String> {
    client
        .query_opt(
            "SELECT title FROM tack.items WHERE backlog = $1 AND path = $2",
            &[&root, &path],
        )
        .ok()
        .flatten()
        .map(|r| r.get(0))
}

fn tasks(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("backlog/tasks"))
        .expect("tasks dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

fn rel(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .expect("inside")
        .to_string_lossy()
        .into_owned()
}

/// Replace the `title:` line of a card file (as an editor would: write a temp file, rename).
fn set_title(path: &Path, title: &str) {
    let text = std::fs::read_to_string(path).expect("card");
    let new: String = text
        .lines()
        .map(|l| {
            if l.starts_with("title:") {
                format!("title: {title}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let tmp = path.with_extension("swp");
    std::fs::write(&tmp, new).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

#[test]
fn edits_creations_deletions_and_renames_reach_the_mirror() {
    let server = shared();
    let db = server.create_db("watch");
    let dir = common::generate("backlogmd", 200);
    let dir = dir.path().canonicalize().expect("dir");
    let cache = tempfile::tempdir().expect("cache");
    let root = root_of(&dir);
    let mut w = Watching::start(&dir, cache.path(), &server.url(&db));
    let mut client = server.client(&db);
    let files = tasks(&dir);

    // Edits. How fast they land is measured by benches/mirror.sh, not asserted here: a timed
    // assertion would fail on a slow machine without anything being wrong.
    for (i, file) in files.iter().take(5).enumerate() {
        let path = rel(&dir, file);
        let title = format!("Edited title {i}");
        set_title(file, &title);
        wait_for(PATIENCE, "the edit in the database", || {
            (title_of(&mut client, &root, &path).as_deref() == Some(title.as_str())).then_some(())
        });
    }

    // Create.
    let new_path = "backlog/tasks/task-5000 - Brand new card.md";
    std::fs::write(
        dir.join(new_path),
        "---\nid: TASK-5000\ntitle: Brand new card\nstatus: To Do\nlabels: [mirror]\n---\n\nFresh body.\n",
    )
    .expect("create");
    wait_for(PATIENCE, "the new card's row", || {
        (title_of(&mut client, &root, new_path).as_deref() == Some("Brand new card")).then_some(())
    });

    // Delete.
    let gone = rel(&dir, &files[10]);
    std::fs::remove_file(&files[10]).expect("delete");
    wait_for(PATIENCE, "the deleted card's row to go", || {
        title_of(&mut client, &root, &gone).is_none().then_some(())
    });

    // Rename (same card, new file name).
    let from = rel(&dir, &files[11]);
    let to_abs = dir.join("backlog/tasks/task-6000 - Renamed.md");
    std::fs::rename(&files[11], &to_abs).expect("rename");
    let to = rel(&dir, &to_abs);
    wait_for(PATIENCE, "the rename in the database", || {
        (title_of(&mut client, &root, &from).is_none()
            && title_of(&mut client, &root, &to).is_some())
        .then_some(())
    });

    // After all that, the mirror is exactly the files.
    std::thread::sleep(Duration::from_millis(300));
    w.drain();
    eprintln!("watch output:\n{}", w.seen.join("\n"));
    assert_mirror_equals_files(&dir, cache.path(), &mut client);
    assert!(w.alive(), "the watcher exited: {:?}", w.seen);
}

#[test]
fn the_database_restarting_mid_watch_is_survived() {
    let server = Server::start();
    let db = server.create_db("restart");
    let dir = common::generate("kabsd", 100);
    let cache = tempfile::tempdir().expect("cache");
    let root = root_of(dir.path());
    let mut w = Watching::start(dir.path(), cache.path(), &server.url(&db));
    let card = walkdir(dir.path());
    let path = rel(dir.path(), &card);

    server.stop();
    // An edit while the database is down must not be lost, nor block the watcher.
    set_title(&card, "\"Edited while the database was down\"");
    w.wait_line("unreachable", PATIENCE);
    std::thread::sleep(Duration::from_millis(500));
    assert!(w.alive(), "the watcher exited: {:?}", w.seen);
    server.pg_ctl_start();

    let mut client = server.client(&db);
    wait_for(PATIENCE, "the edit made while down", || {
        (title_of(&mut client, &root, &path).as_deref()
            == Some("Edited while the database was down"))
        .then_some(())
    });
    // And after the reconnect, a new edit lands as usual.
    set_title(&card, "\"Edited after the restart\"");
    wait_for(PATIENCE, "the edit made after the restart", || {
        (title_of(&mut client, &root, &path).as_deref() == Some("Edited after the restart"))
            .then_some(())
    });
    let error: Option<String> = client
        .query_one(
            "SELECT last_error FROM tack.sync_state WHERE backlog = $1",
            &[&root],
        )
        .expect("sync_state")
        .get(0);
    assert!(error.is_some(), "the outage is recorded in sync_state");
    assert!(!error.unwrap_or_default().contains(PASSWORD));
    assert_mirror_equals_files(dir.path(), cache.path(), &mut client);
}

/// The first kano card file under `dir`.
fn walkdir(dir: &Path) -> PathBuf {
    let mut stack = vec![dir.join("_kano")];
    let mut found = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "md")
                && p.to_string_lossy().contains("/items/")
            {
                found.push(p);
            }
        }
    }
    found.sort();
    found.into_iter().next().expect("a kano card")
}
