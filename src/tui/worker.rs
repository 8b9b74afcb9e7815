//! The board's IO side: one thread that owns the backlog, the index connection and the writer.
//! The UI thread sends it [`Request`]s and receives [`Msg`]s; it never touches disk or SQLite.
//! Watcher batches arrive on the same queue, so an external edit and a board edit reach the
//! UI the same way.

use std::sync::mpsc::{Receiver, Sender};

use color_eyre::eyre::Result;

use super::cards::{BoardCard, Interner};
use crate::edit::{Change, Edit, FieldValue};
use crate::index::query::sort_key;
use crate::index::Index;
use crate::item::{self, Card, Item, Problem};
use crate::layout::{Backlog, CardField};
use crate::writer::{self, WriteError};

/// A change to one card, expressed as the user thinks of it. Undo is the inverse `Op`.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Move(String),
    Title(String),
    Priority(String),
    Assignee(String),
    Labels(Vec<String>),
    Ordinal(f64),
}

/// What the UI asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Apply `op` to the card at `path`. `undoable` is false for undo/redo themselves.
    Apply {
        path: String,
        op: Op,
        kind: EditKind,
    },
    Create {
        title: String,
        status: String,
    },
    Archive {
        path: String,
    },
    /// Re-read one file (after `$EDITOR` returned).
    Refresh {
        path: String,
    },
    LoadDetail {
        path: String,
    },
}

/// Whether an edit is new (goes on the undo stack) or is itself an undo or redo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    New,
    Undo,
    Redo,
}

/// One undoable step: the card, and the ops that go back and forth.
#[derive(Debug, Clone, PartialEq)]
pub struct UndoStep {
    pub path: String,
    pub undo: Op,
    pub redo: Op,
}

/// What the worker tells the UI.
#[derive(Debug, Clone)]
pub enum Msg {
    /// The first cards of each column and every column's count, to draw the board before
    /// the full list has loaded.
    Preview {
        cards: Vec<Card>,
        counts: Vec<(String, u64)>,
    },
    /// Every card, in board order, and the problems.
    Snapshot {
        cards: Vec<BoardCard>,
        problems: Vec<Problem>,
    },
    /// Cards changed or removed (an edit, a watcher batch).
    Cards {
        upserts: Vec<Card>,
        removed: Vec<String>,
        problems: Option<Vec<Problem>>,
    },
    Detail {
        item: Box<Item>,
        body: String,
    },
    /// An edit landed. `step` is set for new edits and carried back for undo/redo.
    Edited {
        message: String,
        step: Option<UndoStep>,
        kind: EditKind,
    },
    /// A card was created or moved to a new path: focus it.
    Focus {
        path: String,
    },
    /// Background work started (`Some`) or ended (`None`): drives the spinner.
    Busy(Option<String>),
    /// A one-line message for the status line.
    Info(String),
    /// An edit failed; the message says why and what to do.
    Failed(String),
}

/// Cards per column in the first frame: more than any screen shows, few enough to read in
/// milliseconds from the status index.
pub const PREVIEW_PER_COLUMN: usize = 100;

/// Commands that reach the worker thread.
pub enum Input {
    Request(Request),
    Watch(crate::watch::WatchEvent),
}

/// The state the worker owns.
pub struct Worker {
    pub backlog: Backlog,
    pub index: Index,
}

impl Worker {
    pub fn new(backlog: Backlog, index: Index) -> Worker {
        Worker { backlog, index }
    }

    /// The thread body: first frame from the index as it is, then reconcile with the files in
    /// the background, then serve requests until the UI hangs up.
    pub fn run(mut self, inputs: Receiver<Input>, out: Sender<Msg>, reconcile_first: bool) {
        if let Ok((cards, counts)) = self.index.preview(PREVIEW_PER_COLUMN) {
            let _ = out.send(Msg::Preview { cards, counts });
        }
        self.send_snapshot(&out);
        if reconcile_first {
            let _ = out.send(Msg::Busy(Some("reading files".into())));
            self.reconcile(&out);
            let _ = out.send(Msg::Busy(None));
        }
        for input in inputs {
            let msgs = match input {
                Input::Request(request) => self.handle(request),
                Input::Watch(event) => self.watch_event(event),
            };
            for msg in msgs {
                if out.send(msg).is_err() {
                    return;
                }
            }
        }
    }

    fn reconcile(&mut self, out: &Sender<Msg>) {
        match self.index.reconcile(&self.backlog, &|_, _| {}) {
            Ok(stats) if stats.changed() => self.send_snapshot(out),
            Ok(_) => {}
            Err(e) => {
                let _ = out.send(Msg::Failed(format!("reading the files failed: {e:#}")));
            }
        }
    }

    fn send_snapshot(&mut self, out: &Sender<Msg>) {
        match self.snapshot() {
            Ok(msg) => {
                let _ = out.send(msg);
                release_free_memory();
            }
            Err(e) => {
                let _ = out.send(Msg::Failed(format!("cannot read the index: {e:#}")));
            }
        }
    }

    /// Every card, converted to the board's compact form row by row as it is read, so the
    /// full list of index cards (twice the memory) never exists at once; sorted here, off the
    /// UI thread.
    pub fn snapshot(&self) -> Result<Msg> {
        use rayon::slice::ParallelSliceMut;
        let mut strings = Interner::default();
        let mut cards = Vec::new();
        self.index
            .each_card(&mut |card| cards.push(strings.compact(card)))?;
        let columns = self
            .backlog
            .columns(self.index.statuses()?.iter().map(String::as_str));
        let position: std::collections::HashMap<&str, usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        cards.par_sort_by_cached_key(|c| {
            let column = position.get(&*c.status).copied().unwrap_or(usize::MAX);
            (column, sort_key(c))
        });
        Ok(Msg::Snapshot {
            cards,
            problems: self.index.problems()?,
        })
    }

    /// Serve one request; the messages to send back, in order.
    pub fn handle(&mut self, request: Request) -> Vec<Msg> {
        let result = match request {
            Request::Apply { path, op, kind } => self.apply(&path, op, kind),
            Request::Create { title, status } => self.create(&title, &status),
            Request::Archive { path } => self.archive(&path),
            Request::Refresh { path } => self.refresh(&[path]),
            Request::LoadDetail { path } => self.detail(&path),
        };
        result.unwrap_or_else(|e| vec![Msg::Failed(format!("{e:#}"))])
    }

    fn watch_event(&mut self, event: crate::watch::WatchEvent) -> Vec<Msg> {
        use crate::index::reconcile::Applied;
        use crate::watch::WatchEvent;
        match event {
            WatchEvent::Applied(applied) => {
                let paths: Vec<String> = applied
                    .into_iter()
                    .map(|a| match a {
                        Applied::Created { path, .. }
                        | Applied::Updated { path, .. }
                        | Applied::Deleted { path, .. } => path,
                    })
                    .collect();
                self.cards_message(&paths)
                    .map(|m| vec![m])
                    .unwrap_or_else(|e| vec![Msg::Failed(format!("{e:#}"))])
            }
            WatchEvent::Resynced { stats, .. } => {
                let mut msgs = vec![Msg::Busy(None)];
                if stats.changed() {
                    msgs.insert(
                        0,
                        self.snapshot()
                            .unwrap_or_else(|e| Msg::Failed(format!("{e:#}"))),
                    );
                }
                msgs
            }
            WatchEvent::CatchingUp { pending } => vec![Msg::Busy(Some(format!(
                "catching up with {pending} changed files"
            )))],
            WatchEvent::Error(message) => vec![Msg::Info(format!("watcher: {message}"))],
        }
    }

    /// The current index rows of `paths`: upserts for cards, removals for the rest.
    fn cards_message(&self, paths: &[String]) -> Result<Msg> {
        let mut upserts = Vec::new();
        let mut removed = Vec::new();
        for path in paths {
            match self.index.item_at(path)? {
                Some((item, _)) => upserts.push(item.card),
                None => removed.push(path.clone()),
            }
        }
        Ok(Msg::Cards {
            upserts,
            removed,
            problems: Some(self.index.problems()?),
        })
    }

    fn refresh(&mut self, paths: &[String]) -> Result<Vec<Msg>> {
        self.index.apply_paths(&self.backlog, paths)?;
        let mut msgs = vec![self.cards_message(paths)?];
        for path in paths {
            if self.index.item_at(path)?.is_some() {
                msgs.extend(self.detail(path)?);
            }
        }
        Ok(msgs)
    }

    fn detail(&self, path: &str) -> Result<Vec<Msg>> {
        let Some((item, _)) = self.index.item_at(path)? else {
            return Ok(vec![Msg::Info(format!("{path} is no longer a card"))]);
        };
        let bytes = std::fs::read(self.backlog.abs(path))?;
        let body = item::decode(&bytes)
            .ok()
            .and_then(|text| self.backlog.split(text).ok().map(|s| s.body.to_string()))
            .unwrap_or_default();
        Ok(vec![Msg::Detail {
            item: Box::new(item),
            body,
        }])
    }

    fn apply(&mut self, path: &str, op: Op, kind: EditKind) -> Result<Vec<Msg>> {
        let Some((item, hash)) = self.index.item_at(path)? else {
            return Ok(vec![Msg::Failed(format!("{path} is no longer a card"))]);
        };
        let now = chrono::Local::now().naive_local();
        let (edit, undo) = match self.edit_for(&item, &op, now) {
            Ok(pair) => pair,
            Err(message) => return Ok(vec![Msg::Failed(message)]),
        };
        match writer::edit(&self.backlog, &mut self.index, path, &hash, &edit) {
            Ok(new) => {
                let message = describe(&item.card, &new.card, &op, kind);
                let step = undo.map(|undo| UndoStep {
                    path: path.to_string(),
                    undo,
                    redo: op,
                });
                let mut msgs = vec![Msg::Cards {
                    upserts: vec![new.card],
                    removed: vec![],
                    problems: None,
                }];
                msgs.push(Msg::Edited {
                    message,
                    step,
                    kind,
                });
                Ok(msgs)
            }
            Err(err) => self.write_failed(path, err),
        }
    }

    /// A refused write: say why, and reload the card so the board shows what is on disk.
    fn write_failed(&mut self, path: &str, err: WriteError) -> Result<Vec<Msg>> {
        let mut msgs = Vec::new();
        if matches!(err, WriteError::Conflict { .. } | WriteError::Gone { .. }) {
            msgs.extend(self.refresh(&[path.to_string()])?);
        }
        msgs.push(Msg::Failed(err.to_string()));
        Ok(msgs)
    }

    /// The layout's edit for `op`, and the op that undoes it (None when it cannot be undone).
    fn edit_for(
        &self,
        item: &Item,
        op: &Op,
        now: chrono::NaiveDateTime,
    ) -> Result<(Edit, Option<Op>), String> {
        let c = &item.card;
        let key = |field: CardField| {
            self.backlog.key_for(field).ok_or_else(|| {
                format!("{} cards have no {field:?} field", self.backlog.kind.name())
            })
        };
        let touch = self.backlog.touch(item, now);
        let with = |key: &str, value: FieldValue| {
            Edit::set(Change {
                key: key.into(),
                value,
                insert_after: None,
            })
            .and(touch.clone())
        };
        Ok(match op {
            Op::Move(status) => (
                self.backlog.move_edit(item, status, now),
                Some(Op::Move(c.status.clone())),
            ),
            Op::Title(title) => (
                with(key(CardField::Title)?, FieldValue::Text(title.clone())),
                Some(Op::Title(c.title.clone())),
            ),
            Op::Priority(p) => (
                with(key(CardField::Priority)?, FieldValue::Text(p.clone())),
                c.priority.clone().map(Op::Priority),
            ),
            Op::Assignee(name) => {
                let value = self.backlog.assignee_value(name);
                // With several assignees, "undo" to one of them would lose the others.
                let undo = (c.assignees.len() <= 1)
                    .then(|| Op::Assignee(c.assignee.clone().unwrap_or_default()));
                (with(key(CardField::Assignee)?, value), undo)
            }
            Op::Labels(labels) => (
                with(key(CardField::Labels)?, FieldValue::List(labels.clone())),
                Some(Op::Labels(c.labels.clone())),
            ),
            Op::Ordinal(n) => (
                with(key(CardField::Ordinal)?, FieldValue::Number(*n)),
                c.ordinal.map(Op::Ordinal),
            ),
        })
    }

    fn create(&mut self, title: &str, status: &str) -> Result<Vec<Msg>> {
        let ids = self.index.ids()?;
        let file = self.backlog.new_item(title, status, &ids)?;
        match writer::create(&self.backlog, &mut self.index, &file) {
            Ok(item) => Ok(vec![
                Msg::Cards {
                    upserts: vec![item.card.clone()],
                    removed: vec![],
                    problems: None,
                },
                Msg::Focus {
                    path: item.card.path.clone(),
                },
                Msg::Info(format!("created {} in {}", item.card.id, item.card.status)),
            ]),
            Err(err) => Ok(vec![Msg::Failed(err.to_string())]),
        }
    }

    fn archive(&mut self, path: &str) -> Result<Vec<Msg>> {
        let Some((item, hash)) = self.index.item_at(path)? else {
            return Ok(vec![Msg::Failed(format!("{path} is no longer a card"))]);
        };
        match writer::archive(&self.backlog, &mut self.index, path, &hash) {
            Ok(dest) => Ok(vec![
                Msg::Cards {
                    upserts: vec![],
                    removed: vec![path.to_string()],
                    problems: None,
                },
                Msg::Info(format!("archived {} to {dest}", item.card.id)),
            ]),
            Err(err) => self.write_failed(path, err),
        }
    }
}

fn describe(old: &Card, new: &Card, op: &Op, kind: EditKind) -> String {
    let what = match op {
        Op::Move(_) => format!("moved {} {} → {}", new.id, old.status, new.status),
        Op::Title(_) => format!("retitled {}", new.id),
        Op::Priority(p) => format!("{} priority → {p}", new.id),
        Op::Assignee(a) if a.is_empty() => format!("{} unassigned", new.id),
        Op::Assignee(a) => format!("{} assigned to {a}", new.id),
        Op::Labels(l) => format!("{} labels → {}", new.id, l.join(", ")),
        Op::Ordinal(_) => format!("reordered {}", new.id),
    };
    match kind {
        EditKind::New => what,
        EditKind::Undo => format!("undo: {what}"),
        EditKind::Redo => format!("redo: {what}"),
    }
}

/// Hand memory freed after a large load (query buffers, sort keys, a replaced card list) back
/// to the operating system. glibc keeps freed memory in per-thread arenas otherwise, and a
/// board that stays open for hours should not hold on to its start-up peak.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
