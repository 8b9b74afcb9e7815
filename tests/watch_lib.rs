//! `tack::watch::spawn` as the board and the mirror use it: real inotify, real files, its own
//! index connection. Timeouts are failure guards only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use tack::cli::check;
use tack::index::reconcile::Applied;
use tack::index::Index;
use tack::layout::Backlog;
use tack::session::Session;
use tack::watch::{self, WatchEvent, WatchHandle};

const GUARD: Duration = Duration::from_secs(60);

struct Live {
    handle: Option<WatchHandle>,
    events: Receiver<WatchEvent>,
    seen: Vec<WatchEvent>,
    /// Entries of batches already received that no `applied_on` has asked for yet.
    unclaimed: Vec<Applied>,
    backlog: Backlog,
    index_path: PathBuf,
}

impl Live {
    fn start(root: &Path, cache: &Path) -> Live {
        let backlog = Backlog::discover(root).expect("a backlog");
        let index_path = cache.join("index.sqlite");
        let (tx, events) = mpsc::channel();
        let handle = watch::spawn(backlog.clone(), index_path.clone(), move |event| {
            let _ = tx.send(event);
        })
        .expect("watcher starts");
        let mut live = Live {
            handle: Some(handle),
            events,
            seen: Vec::new(),
            unclaimed: Vec::new(),
            backlog,
            index_path,
        };
        let first = live.next("the start event", |_| true);
        assert!(
            matches!(&first, WatchEvent::Resynced { reason, .. } if reason == watch::REASON_START),
            "the first event is the start resync, got {first:?}"
        );
        live
    }

    fn next(&mut self, what: &str, pred: impl Fn(&WatchEvent) -> bool) -> WatchEvent {
        let deadline = Instant::now() + GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    self.seen.push(event.clone());
                    if pred(&event) {
                        return event;
                    }
                }
                Err(e) => panic!("{e} while waiting for {what}; seen: {:#?}", self.seen),
            }
        }
    }

    /// The next `Applied` entry for `path`. Entries are unpacked from their batches, and the
    /// rest of a batch is kept for later calls (a rename is often one batch of two entries).
    fn applied_on(&mut self, path: &str) -> Applied {
        if let Some(at) = self.unclaimed.iter().position(|a| path_of(a) == path) {
            return self.unclaimed.remove(at);
        }
        let event = self.next(
            &format!("a change to {path}"),
            |e| matches!(e, WatchEvent::Applied(list) if list.iter().any(|a| path_of(a) == path)),
        );
        let WatchEvent::Applied(list) = event else {
            unreachable!("matched above")
        };
        let (mine, rest): (Vec<Applied>, Vec<Applied>) =
            list.into_iter().partition(|a| path_of(a) == path);
        self.unclaimed.extend(rest);
        mine.into_iter().next().expect("matched above")
    }

    /// A separate connection to the watcher's index, as another part of tack would have.
    fn session(&self) -> Session {
        Session {
            backlog: Backlog::discover(&self.backlog.root).expect("backlog"),
            index: Index::open_at(&self.backlog, &self.index_path).expect("index"),
        }
    }

    fn assert_matches_files(&self) {
        let differences = check(&self.session()).expect("check runs");
        assert!(differences.is_empty(), "index differs: {differences:#?}");
    }
}

fn path_of(a: &Applied) -> &str {
    match a {
        Applied::Created { path, .. }
        | Applied::Updated { path, .. }
        | Applied::Deleted { path, .. } => path,
    }
}

fn first_card(root: &Path) -> String {
    let mut found: Vec<PathBuf> = walkdir(&root.join("_kano/backlog/products"))
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().contains("/items/") && p.extension().is_some_and(|e| e == "md")
        })
        .filter(|p| !p.to_string_lossy().ends_with(".index.md"))
        .collect();
    found.sort();
    found[0]
        .strip_prefix(root)
        .expect("under root")
        .to_string_lossy()
        .into_owned()
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn listeners_hear_every_change_whoever_wrote_it() {
    let dir = common::generate("kabsd", 200);
    let root = fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let mut live = Live::start(&root, cache.path());
    let card = first_card(&root);

    // An external edit.
    let text = fs::read_to_string(root.join(&card)).expect("read");
    let edited = text.replacen("\ntitle: ", "\ntitle: Edited ", 1);
    fs::write(root.join(&card), &edited).expect("write");
    assert!(matches!(
        live.applied_on(&card),
        Applied::Updated { id: Some(_), .. }
    ));
    live.assert_matches_files();

    // tack's own write, through another connection that already stored the new row: the shared
    // index has nothing left to do, but this watcher's listeners have not seen the change yet.
    let mut session = live.session();
    let found = session
        .index
        .resolve(&session.backlog, &card)
        .expect("resolve");
    let target = if found[0].status == "Done" {
        "Review"
    } else {
        "Done"
    };
    let status = tack::layout::fields::FieldEdit::Status(target.into());
    let item = session
        .edit(&found[0].path, None, &[status], true)
        .expect("move")
        .item
        .expect("the moved card");
    assert_eq!(item.card.status, target);
    assert!(matches!(live.applied_on(&card), Applied::Updated { .. }));
    live.assert_matches_files();

    // A product that did not exist when the watcher started.
    let product = root.join("_kano/backlog/products/newprod/items/task/0000");
    fs::create_dir_all(&product).expect("mkdir");
    let new = "_kano/backlog/products/newprod/items/task/0000/NEW-TSK-0001_fresh.md";
    fs::write(
        root.join(new),
        "---\nid: NEW-TSK-0001\nuid: 019b0000-0000-7000-8000-000000000001\ntype: Task\n\
         title: Fresh\nstate: Proposed\n---\n\n# Context\n",
    )
    .expect("new card");
    assert_eq!(
        live.applied_on(new),
        Applied::Created {
            path: new.into(),
            id: Some("NEW-TSK-0001".into())
        }
    );
    live.assert_matches_files();

    // Dropping the handle stops the thread and returns.
    let (done_tx, done) = mpsc::channel();
    let handle = live.handle.take().expect("handle");
    std::thread::spawn(move || {
        drop(handle);
        let _ = done_tx.send(());
    });
    done.recv_timeout(GUARD)
        .expect("dropping the handle returns");
}

/// Thousands of paths in one batch are answered by one full reconcile, announced first.
#[test]
fn a_huge_batch_catches_up_with_one_resync() {
    let dir = common::generate("kabsd", 2_600);
    let root = fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let mut live = Live::start(&root, cache.path());
    let products = root.join("_kano/backlog/products");
    let product = fs::read_dir(&products)
        .expect("products")
        .flatten()
        .find(|e| e.path().is_dir())
        .expect("a product")
        .path();
    let items = product.join("items");
    let parked = root.join("_kano/parked-items");

    for (from, to, what) in [(&items, &parked, "removed"), (&parked, &items, "read")] {
        fs::rename(from, to).expect("move items");
        let pending = match live.next("catching up", |e| {
            matches!(e, WatchEvent::CatchingUp { .. })
        }) {
            WatchEvent::CatchingUp { pending } => pending,
            _ => unreachable!(),
        };
        assert!(pending >= 2_600, "pending {pending}");
        let stats = match live.next("the resync", |e| matches!(e, WatchEvent::Resynced { .. })) {
            WatchEvent::Resynced { stats, .. } => stats,
            _ => unreachable!(),
        };
        let count = if what == "removed" {
            stats.removed
        } else {
            stats.read
        };
        assert_eq!(count, 2_600, "{what}: {stats:?}");
        live.assert_matches_files();
    }
    assert!(
        !live.seen.iter().any(|e| matches!(e, WatchEvent::Error(_))),
        "errors: {:#?}",
        live.seen
    );
}

/// A card file whose name is not UTF-8 (Latin-1 bytes from an old tool or a zip) is reported
/// by the watcher as it appears, and leaves when it is renamed to UTF-8, without waiting for
/// the next full reconcile: the index equals the files after each step.
#[test]
fn a_file_whose_name_is_not_utf8_is_followed_as_it_comes_and_goes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};

    let dir = common::generate("backlogmd", 20);
    let root = fs::canonicalize(dir.path()).expect("root");
    let cache = tempfile::tempdir().expect("cache");
    let mut live = Live::start(&root, cache.path());

    let mut raw = root.join("backlog/tasks").into_os_string().into_vec();
    raw.extend(b"/task-999 - caf\xe9.md");
    let bad = PathBuf::from(OsStr::from_bytes(&raw));
    let shown = "backlog/tasks/task-999 - caf\u{FFFD}.md";
    fs::write(
        &bad,
        "---\nid: TASK-999\ntitle: Cafe\nstatus: To Do\n---\n\nBody.\n",
    )
    .expect("write a non-UTF-8 name");
    assert_eq!(
        live.applied_on(shown),
        Applied::Created {
            path: shown.into(),
            id: None
        }
    );
    let problems = live.session().index.problems().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("not UTF-8"), "{problems:?}");
    live.assert_matches_files();

    let good = "backlog/tasks/task-999 - cafe.md";
    fs::rename(&bad, root.join(good)).expect("rename to UTF-8");
    assert!(matches!(live.applied_on(shown), Applied::Deleted { .. }));
    assert!(matches!(
        live.applied_on(good),
        Applied::Created { id: Some(_), .. }
    ));
    assert_eq!(live.session().index.problems().expect("problems"), vec![]);
    live.assert_matches_files();
}

/// The board's own edit reaches it once: the watcher reports tack's write like any other, and
/// the worker recognises it as its own echo; a change made by someone else still comes through.
#[test]
fn the_boards_own_edit_arrives_once_and_others_still_arrive() {
    use tack::layout::fields::FieldEdit;
    use tack::tui::worker::{Msg, Request, Worker};
    let dir = common::generate("backlogmd", 6);
    let cache = tempfile::tempdir().expect("cache");
    let mut live = Live::start(dir.path(), cache.path());
    let mut index = Index::open_at(&live.backlog, &live.index_path).expect("index");
    index
        .reconcile(&live.backlog, &|_, _| {})
        .expect("reconcile");
    let mut worker = Worker::new(live.backlog.clone(), index);
    let cards = worker
        .session
        .index
        .cards(&worker.session.backlog, &Default::default())
        .expect("cards");
    let path = cards[0].path.clone();
    let msgs = worker.handle(Request::Edit {
        path: path.clone(),
        base: None,
        edits: vec![FieldEdit::Title("Edited on the board".into())],
        force: false,
    });
    let cards_msgs = |msgs: &[Msg]| {
        msgs.iter()
            .filter(|m| matches!(m, Msg::Cards { upserts, .. } if upserts.iter().any(|c| c.path == path)))
            .count()
    };
    assert_eq!(
        cards_msgs(&msgs),
        1,
        "the edit's own reply carries the card"
    );
    // The watcher reports the write (the board's listener has not seen it)...
    let applied = live.applied_on(&path);
    let event = WatchEvent::Applied(vec![applied]);
    // ...and the worker drops that echo.
    assert_eq!(cards_msgs(&worker.watch_event(event)), 0, "no second copy");
    // A change from outside is not mistaken for an echo.
    let abs = dir.path().join(&path);
    let text = fs::read_to_string(&abs).expect("read");
    fs::write(
        &abs,
        text.replacen("Edited on the board", "Edited in vim", 1),
    )
    .expect("write");
    let applied = live.applied_on(&path);
    assert_eq!(
        cards_msgs(&worker.watch_event(WatchEvent::Applied(vec![applied]))),
        1
    );
}
