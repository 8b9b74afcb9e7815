//! Undo means "as it was": any sequence of board edits of every kind, on either layout, then
//! as many undos, leaves every file byte-identical and no file added or left behind. Then as
//! many redos give back exactly the edited tree. Driven through the board's real worker (the
//! undo history lives there) on real files and a real SQLite index.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use tack::index::Index;
use tack::layout::fields::{FieldEdit, ListEdit};
use tack::layout::{Backlog, NewCard};
use tack::tui::worker::{Msg, Request, Worker};

/// Every file under `root` (cards, config, archive, trash) with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

/// One board action; indexes pick a card among those on the board at the time.
#[derive(Debug, Clone)]
enum Action {
    Move(usize, usize),
    Title(usize, String),
    Priority(usize, Option<usize>),
    Assignees(usize, Vec<String>),
    AddLabel(usize, String),
    Labels(usize, Vec<String>),
    Reorder(usize, bool),
    Create(String, usize),
    Archive(usize),
}

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "alice", "@bob", "Zoë", "café", "a b", "x:y", "yes", "123", "#tag", "— dash",
    ])
    .prop_map(str::to_string)
}

fn action() -> impl Strategy<Value = Action> {
    let card = 0usize..50;
    prop_oneof![
        (card.clone(), 0usize..8).prop_map(|(c, s)| Action::Move(c, s)),
        (card.clone(), word()).prop_map(|(c, t)| Action::Title(c, format!("Title {t}"))),
        (card.clone(), prop::option::of(0usize..5)).prop_map(|(c, p)| Action::Priority(c, p)),
        (card.clone(), prop::collection::vec(word(), 0..3))
            .prop_map(|(c, a)| Action::Assignees(c, a)),
        (card.clone(), word()).prop_map(|(c, l)| Action::AddLabel(c, l)),
        (card.clone(), prop::collection::vec(word(), 0..3)).prop_map(|(c, l)| Action::Labels(c, l)),
        (card.clone(), any::<bool>()).prop_map(|(c, up)| Action::Reorder(c, up)),
        (word(), 0usize..8).prop_map(|(t, s)| Action::Create(format!("New {t}"), s)),
        card.prop_map(Action::Archive),
    ]
}

struct Fixture {
    worker: Worker,
    _cache: tempfile::TempDir,
}

fn open(root: &Path) -> Fixture {
    let cache = tempfile::tempdir().expect("cache");
    let backlog = Backlog::discover(root).expect("backlog");
    let mut index = Index::open_at(&backlog, &cache.path().join("i.sqlite")).expect("index");
    index.reconcile(&backlog, &|_, _| {}).expect("reconcile");
    Fixture {
        worker: Worker::new(backlog, index),
        _cache: cache,
    }
}

/// The request an action means now, or None when it cannot apply (no such card).
fn request(worker: &Worker, action: &Action) -> Option<Request> {
    let session = &worker.session;
    let cards = session
        .index
        .cards(&session.backlog, &Default::default())
        .expect("cards");
    let statuses = &session.backlog.statuses;
    let pick = |i: usize| cards.get(i % cards.len().max(1)).map(|c| c.path.clone());
    let edit = |i: usize, field: FieldEdit| {
        pick(i).map(|path| Request::Edit {
            path,
            base: None,
            edits: vec![field],
            force: true,
        })
    };
    let scale = session.priority_scale().expect("scale");
    match action {
        Action::Move(c, s) => edit(*c, FieldEdit::Status(statuses[s % statuses.len()].clone())),
        Action::Title(c, t) => edit(*c, FieldEdit::Title(t.clone())),
        Action::Priority(c, p) => edit(
            *c,
            FieldEdit::Priority(p.map(|p| scale[p % scale.len()].clone())),
        ),
        Action::Assignees(c, a) => {
            let a = if session.backlog.kind == tack::layout::LayoutKind::Kano {
                a.iter().take(1).cloned().collect()
            } else {
                a.clone()
            };
            edit(*c, FieldEdit::Assignees(ListEdit::set(a)))
        }
        Action::AddLabel(c, l) => edit(
            *c,
            FieldEdit::Labels(ListEdit {
                add: vec![l.clone()],
                ..ListEdit::default()
            }),
        ),
        Action::Labels(c, l) => edit(*c, FieldEdit::Labels(ListEdit::set(l.clone()))),
        Action::Reorder(c, up) => {
            if session.backlog.kind == tack::layout::LayoutKind::Kano {
                return None; // kano has no order field (the worker says so)
            }
            let path = pick(*c)?;
            let card = cards.iter().find(|x| x.path == path)?;
            let column: Vec<&str> = cards
                .iter()
                .filter(|x| x.status == card.status)
                .map(|x| x.path.as_str())
                .collect();
            let at = column.iter().position(|p| *p == path)?;
            let (prev, next) = if *up {
                let above = at.checked_sub(1)?;
                (
                    above.checked_sub(1).map(|i| column[i].to_string()),
                    Some(column[above].to_string()),
                )
            } else {
                (Some(column.get(at + 1)?.to_string()), None)
            };
            Some(Request::Reorder { path, prev, next })
        }
        Action::Create(t, s) => Some(Request::Create(NewCard {
            title: t.clone(),
            status: Some(statuses[s % statuses.len()].clone()),
            product: session.backlog.products.first().map(|p| p.name.clone()),
            ..NewCard::default()
        })),
        Action::Archive(c) => pick(*c).map(|path| Request::Archive { path }),
    }
}

/// Make every other task depend on TASK-1, so archiving it cleans their dependencies (and
/// undoing the archive must put them back).
fn depend_on_the_first_card(root: &Path) {
    for entry in std::fs::read_dir(root.join("backlog/tasks")).expect("tasks") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("task-1 ") || !name.ends_with(".md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let text = text.replacen("dependencies: []", "dependencies:\n  - TASK-1", 1);
        std::fs::write(&path, text).expect("write");
    }
}

fn failures(msgs: &[Msg]) -> Vec<String> {
    msgs.iter()
        .filter_map(|m| match m {
            Msg::Failed(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

fn edits_then_undos_restore_every_byte(
    format: &str,
    actions: Vec<Action>,
) -> Result<(), TestCaseError> {
    let dir = common::generate(format, 8);
    let root = dir.path();
    if format == "backlogmd" {
        depend_on_the_first_card(root);
    }
    let original = tree(root);
    let mut fx = open(root);
    let mut landed = 0;
    for action in &actions {
        let Some(request) = request(&fx.worker, action) else {
            continue;
        };
        let before = fx.worker.history.undo.len();
        let msgs = fx.worker.handle(request.clone());
        prop_assert!(
            failures(&msgs).is_empty(),
            "{request:?}: {:?}",
            failures(&msgs)
        );
        landed += fx.worker.history.undo.len() - before;
    }
    let edited = tree(root);
    for _ in 0..landed {
        let msgs = fx.worker.handle(Request::Undo);
        prop_assert!(failures(&msgs).is_empty(), "undo: {:?}", failures(&msgs));
    }
    let restored = tree(root);
    prop_assert_eq!(
        restored.keys().collect::<Vec<_>>(),
        original.keys().collect::<Vec<_>>(),
        "no file added or left behind"
    );
    for (path, bytes) in &original {
        prop_assert!(
            restored.get(path) == Some(bytes),
            "{path} differs after {landed} undos:\n{}",
            String::from_utf8_lossy(restored.get(path).map_or(&[][..], |b| b))
        );
    }
    for _ in 0..landed {
        let msgs = fx.worker.handle(Request::Redo);
        prop_assert!(failures(&msgs).is_empty(), "redo: {:?}", failures(&msgs));
    }
    prop_assert!(tree(root) == edited, "redo gives back the edited tree");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn backlogmd_edits_then_undos_restore_every_byte(actions in prop::collection::vec(action(), 1..10)) {
        edits_then_undos_restore_every_byte("backlogmd", actions)?;
    }

    #[test]
    fn kano_edits_then_undos_restore_every_byte(actions in prop::collection::vec(action(), 1..10)) {
        edits_then_undos_restore_every_byte("kabsd", actions)?;
    }
}

/// The paths of the first two cards in board order.
fn first_two_cards(fx: &Fixture) -> (String, String) {
    let session = &fx.worker.session;
    let cards = session
        .index
        .cards(&session.backlog, &Default::default())
        .expect("cards");
    (cards[0].path.clone(), cards[1].path.clone())
}

/// An undo over a file changed since is refused, names the file, and stays on the stack:
/// the next `u` does not skip to an older edit of another card.
#[test]
fn undo_refuses_over_a_change_made_since_and_does_not_skip() {
    let dir = common::generate("backlogmd", 4);
    let root = dir.path();
    let mut fx = open(root);
    let (a, b) = first_two_cards(&fx);
    for path in [&a, &b] {
        let msgs = fx.worker.handle(Request::Edit {
            path: path.clone(),
            base: None,
            edits: vec![FieldEdit::Title("Edited".into())],
            force: false,
        });
        assert!(failures(&msgs).is_empty(), "{msgs:?}");
    }
    let b_abs = root.join(&b);
    let changed = std::fs::read_to_string(&b_abs).expect("read") + "\nedited in vim\n";
    std::fs::write(&b_abs, &changed).expect("write");
    let a_before = std::fs::read(root.join(&a)).expect("read");
    for _ in 0..2 {
        let msgs = fx.worker.handle(Request::Undo);
        let failed = failures(&msgs);
        assert_eq!(failed.len(), 1, "{msgs:?}");
        assert!(
            failed[0].contains(&b) && failed[0].contains("changed on disk"),
            "{failed:?}"
        );
    }
    assert_eq!(std::fs::read_to_string(&b_abs).expect("read"), changed);
    assert_eq!(
        std::fs::read(root.join(&a)).expect("read"),
        a_before,
        "no skip to A's edit"
    );
}

/// A step whose card is gone (archived outside the board) is dropped with a message, and the
/// steps before it still undo.
#[test]
fn a_step_whose_card_is_gone_does_not_block_the_rest() {
    let dir = common::generate("backlogmd", 4);
    let root = dir.path();
    let original = tree(root);
    let mut fx = open(root);
    let (a, b) = first_two_cards(&fx);
    for path in [&a, &b] {
        fx.worker.handle(Request::Edit {
            path: path.clone(),
            base: None,
            edits: vec![FieldEdit::Priority(Some("high".into()))],
            force: false,
        });
    }
    std::fs::remove_file(root.join(&b)).expect("remove");
    let msgs = fx.worker.handle(Request::Undo);
    assert!(
        failures(&msgs).iter().any(|f| f.contains("dropped")),
        "{msgs:?}"
    );
    let msgs = fx.worker.handle(Request::Undo);
    assert!(failures(&msgs).is_empty(), "{msgs:?}");
    assert_eq!(std::fs::read(root.join(&a)).ok(), original.get(&a).cloned());
}

/// Archiving a card others depend on edits them too; one undo puts every file back.
#[test]
fn undoing_an_archive_brings_the_card_and_its_dependents_back() {
    let dir = common::generate("backlogmd", 5);
    let root = dir.path();
    depend_on_the_first_card(root);
    let original = tree(root);
    let mut fx = open(root);
    let first = fx
        .worker
        .session
        .index
        .resolve(&fx.worker.session.backlog, "TASK-1")
        .expect("resolve")
        .remove(0);
    let msgs = fx.worker.handle(Request::Archive { path: first.path });
    assert!(failures(&msgs).is_empty(), "{msgs:?}");
    let archived = tree(root);
    let edited: Vec<&String> = original
        .iter()
        .filter(|(path, bytes)| archived.get(*path) != Some(*bytes))
        .map(|(path, _)| path)
        .collect();
    let dependents = original
        .values()
        .filter(|bytes| String::from_utf8_lossy(bytes).contains("\n  - TASK-1\n"))
        .count();
    assert!(dependents >= 3, "the fixture has dependents: {dependents}");
    assert_eq!(
        edited.len(),
        dependents + 1,
        "the archived card and its dependents: {edited:?}"
    );
    let msgs = fx.worker.handle(Request::Undo);
    assert!(failures(&msgs).is_empty(), "{msgs:?}");
    assert!(tree(root) == original, "every file as it was");
}
