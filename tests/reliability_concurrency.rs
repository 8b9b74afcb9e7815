//! Concurrent writers: two loops of `tack move` (separate processes, like two terminals) and a
//! script editing the same few kano cards directly, for 60 s (`TACK_SOAK_SECS=N` to change it).
//!
//! No update is lost: a move based on a file that changed since tack read it is refused with
//! exit 3 (the caller retries), and at the end every applied move is in its card's worklog, in
//! an order that ends with the card's state, and every script edit is still there. No process
//! ever prints `database is locked`, and `tack index check` passes.
//!
//! The script behaves like a careful tool: it rewrites a card through a temp file and a rename,
//! holding the same lock tack's writer takes for its last check (so neither can drop the
//! other's edit between a check and a rename). tack catches edits from tools that do not lock
//! by the content hash alone: see core_index's `an_edit_based_on_an_old_read_is_refused...`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tack::layout::kano::STATES;

fn duration() -> Duration {
    let secs = std::env::var("TACK_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

#[derive(Default, Debug)]
struct Mover {
    /// (card, state) of every move tack reported as done, in the order this loop saw them.
    applied: Vec<(String, String)>,
    refused: usize,
    retried_ok: usize,
    gave_up: usize,
    noop: usize,
    output: String,
}

fn mover(root: PathBuf, cache: PathBuf, cards: Vec<String>, seed: u64, until: Instant) -> Mover {
    let mut m = Mover::default();
    let mut n = seed;
    while Instant::now() < until {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let card = &cards[(n >> 33) as usize % cards.len()];
        let state = STATES[(n >> 17) as usize % STATES.len()];
        for attempt in 0..5 {
            let out = common::run(&root, &cache, &["move", card, state]);
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            m.output.push_str(&stdout);
            m.output.push_str(&stderr);
            match out.status.code() {
                Some(0) if stdout.starts_with("moved ") => {
                    assert!(
                        stdout.trim_end().ends_with(&format!("→ {state}")),
                        "{stdout}"
                    );
                    m.applied.push((card.clone(), state.to_string()));
                    m.retried_ok += (attempt > 0) as usize;
                    break;
                }
                Some(0) if stdout.contains("is already in") => {
                    m.noop += 1;
                    break;
                }
                Some(3) if stderr.contains("changed on disk") => {
                    m.refused += 1;
                    if attempt == 4 {
                        m.gave_up += 1;
                    }
                }
                other => panic!("tack move {card} {state}: {other:?}\n{stdout}\n{stderr}"),
            }
        }
    }
    m
}

/// The careful script: insert a marker line at the top of the body, via temp file + rename,
/// under the lock tack takes, after checking the file is still what it read.
fn script(root: PathBuf, cards: Vec<String>, until: Instant) -> (Vec<(String, String)>, usize) {
    let mut done = Vec::new();
    let mut retries = 0;
    let mut i = 0usize;
    while Instant::now() < until {
        i += 1;
        let card = &cards[i % cards.len()];
        let path = root.join(card);
        let marker = format!("script edit {i}");
        loop {
            let old = std::fs::read_to_string(&path).expect("read a card");
            let close = old[4..].find("\n---\n").expect("frontmatter") + 4 + 5;
            let new = format!("{}{marker}\n{}", &old[..close], &old[close..]);
            let temp = path.with_file_name(format!(".script-{i}.tmp"));
            let mut f = std::fs::File::create(&temp).expect("temp");
            f.write_all(new.as_bytes()).expect("write");
            f.sync_all().expect("fsync");
            let lock = std::fs::File::open(&path).expect("open to lock");
            lock.lock().expect("lock");
            if std::fs::read_to_string(&path).expect("re-read") == old {
                std::fs::rename(&temp, &path).expect("rename");
                drop(lock);
                done.push((card.clone(), marker));
                break;
            }
            drop(lock);
            std::fs::remove_file(&temp).expect("remove temp");
            retries += 1;
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    (done, retries)
}

#[test]
fn two_tack_processes_and_a_script_lose_no_update() {
    let started = Instant::now();
    let dir = common::generate("kabsd", 60);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let cache = cache.path().to_path_buf();
    common::ok(&root, &cache, &["list"]);
    // Four cards shared by everyone, so the writers collide often.
    let cards: Vec<String> = common::item_files(&root).into_iter().take(4).collect();
    let worklog_before: BTreeMap<String, usize> = cards
        .iter()
        .map(|c| (c.clone(), worklog(&root, c).len()))
        .collect();

    let until = Instant::now() + duration();
    let spawn_mover = |seed| {
        let (root, cache, cards) = (root.clone(), cache.clone(), cards.clone());
        std::thread::spawn(move || mover(root, cache, cards, seed, until))
    };
    let a = spawn_mover(1);
    let b = spawn_mover(2);
    let s = {
        let (root, cards) = (root.clone(), cards.clone());
        std::thread::spawn(move || script(root, cards, until))
    };
    let a = a.join().expect("mover a");
    let b = b.join().expect("mover b");
    let (edits, script_retries) = s.join().expect("script");

    let applied = a.applied.len() + b.applied.len();
    eprintln!(
        "{:.0} s: moves applied {applied} (a {}, b {}), refused {} (a {}, b {}), applied after a \
         retry {}, gave up {}, no-op {}; script edits {} (retried {script_retries})",
        duration().as_secs_f64(),
        a.applied.len(),
        b.applied.len(),
        a.refused + b.refused,
        a.refused,
        b.refused,
        a.retried_ok + b.retried_ok,
        a.gave_up + b.gave_up,
        a.noop + b.noop,
        edits.len()
    );
    for m in [&a, &b] {
        assert!(!m.output.contains("database is locked"), "{}", m.output);
        assert!(!m.output.contains("panicked"), "{}", m.output);
    }
    assert!(applied > 0 && !edits.is_empty());

    for card in &cards {
        let text = std::fs::read_to_string(root.join(card)).expect("card");
        // Every script edit is still there.
        for (c, marker) in &edits {
            if c == card {
                assert!(
                    text.contains(&format!("\n{marker}\n")),
                    "{card} lost `{marker}`"
                );
            }
        }
        // Every applied move left exactly one worklog line, and the last one is the state.
        let lines = worklog(&root, card);
        let new_lines = &lines[worklog_before[card]..];
        let mut logged: Vec<String> = new_lines.to_vec();
        let mut expected: Vec<String> = a
            .applied
            .iter()
            .chain(&b.applied)
            .filter(|(c, _)| c == card)
            .map(|(_, s)| s.clone())
            .collect();
        logged.sort();
        expected.sort();
        assert_eq!(logged, expected, "{card}: applied moves vs worklog");
        if let Some(last) = new_lines.last() {
            assert!(
                text.contains(&format!("\nstate: {last}\n")),
                "{card}: state is not the last move ({last})"
            );
        }
    }
    let out = common::ok(&root, &cache, &["list"]);
    assert!(!out.contains("database is locked"));
    common::ok(&root, &cache, &["index", "check"]);
    eprintln!("took {:.1} s", started.elapsed().as_secs_f64());
}

/// The states of the card's `[agent=tack] State -> X.` worklog lines, in file order.
fn worklog(root: &Path, card: &str) -> Vec<String> {
    std::fs::read_to_string(root.join(card))
        .expect("card")
        .lines()
        .filter_map(|l| l.split("[agent=tack] State -> ").nth(1))
        .map(|s| s.trim_end_matches('.').to_string())
        .collect()
}

/// An archive racing an edit. The edit is a locking writer caught between its last check and
/// its rename (holding the lock tack's writer takes there, like the script above); the archive
/// starts then, based on the version before the edit. It must wait for the lock and refuse
/// (conflict), never move the old version into the archive while the edit lands beside it.
#[test]
fn an_archive_racing_an_edit_reports_a_conflict_instead_of_losing_it() {
    use tack::index::Index;
    use tack::layout::Backlog;
    use tack::writer::{self, WriteError};

    let dir = common::generate("backlogmd", 5);
    let root = std::fs::canonicalize(dir.path()).expect("root");
    let backlog = Backlog::discover(&root).expect("backlog");
    let db = tempfile::tempdir().expect("db");
    let mut index = Index::open_at(&backlog, &db.path().join("i.sqlite")).expect("index");
    index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    let rel = common::item_files(&root)
        .into_iter()
        .find(|p| p.contains("/task-2 - "))
        .expect("task-2");
    let abs = root.join(&rel);
    let old = std::fs::read(&abs).expect("read");
    let base = tack::item::content_hash(&old);

    let lock = std::fs::File::open(&abs).expect("open to lock");
    lock.lock().expect("lock");
    let archiver = {
        let (backlog, rel) = (backlog.clone(), rel.clone());
        std::thread::spawn(move || writer::archive(&backlog, &mut index, &rel, &base))
    };
    // Room for an archive that does not wait for the lock to run ahead (with the lock it
    // waits however long this takes, so nothing here depends on timing when it is right).
    std::thread::sleep(Duration::from_millis(300));
    // The editor's rename, then its lock released.
    let edited = String::from_utf8(old)
        .expect("utf-8")
        .replace("status: To Do", "status: Done")
        + "\nEdited while an archive was starting.\n";
    let temp = root.join("backlog/.edit.tmp");
    std::fs::write(&temp, &edited).expect("temp");
    std::fs::rename(&temp, &abs).expect("rename");
    drop(lock);

    let result = archiver.join().expect("the archive thread");
    assert!(
        matches!(result, Err(WriteError::Conflict { .. })),
        "the archive did not refuse: {result:?}"
    );
    assert_eq!(std::fs::read_to_string(&abs).expect("the card"), edited);
    let archived = root.join("backlog/archive/tasks");
    let archived: Vec<_> = std::fs::read_dir(&archived)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(archived.is_empty(), "archived anyway: {archived:?}");
}
