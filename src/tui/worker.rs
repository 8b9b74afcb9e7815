//! The board's IO side: one thread that owns the [`Session`] (backlog, index connection, the
//! writer) and the board session's undo history. The UI thread sends it [`Request`]s and
//! receives [`Msg`]s; it never touches disk or SQLite. Watcher batches arrive on the same
//! queue, so an external edit and a board edit reach the UI the same way — and a board edit
//! only once: the watcher's echo of tack's own write is recognised and dropped.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender};

use color_eyre::eyre::Result;

use super::cards::{BoardCard, Interner};
use crate::index::query::sort_key;
use crate::index::Index;
use crate::item::{Card, Item, Problem};
use crate::layout::fields::FieldEdit;
use crate::layout::{Backlog, NewCard};
use crate::session::{Direction, Done, NeedsConfirmation, Session, Step};
use crate::writer::WriteError;

/// What the UI asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Change fields of the card at `path`; `base` is the content hash of the version a
    /// prompt showed (see [`Request::Pin`]), so a change made meanwhile is not overwritten.
    Edit {
        path: String,
        base: Option<String>,
        edits: Vec<FieldEdit>,
        force: bool,
    },
    /// Put the card at `path` after `prev` (or before `next`) in its column.
    Reorder {
        path: String,
        prev: Option<String>,
        next: Option<String>,
    },
    Create(NewCard),
    Archive {
        path: String,
    },
    Undo,
    Redo,
    /// The content hash of the card at `path` as the board shows it now, for a prompt.
    Pin {
        path: String,
    },
    /// Remember each column's sort for the next run of the board.
    SaveSorts(Vec<(String, crate::tui::cards::ColumnSort)>),
    /// The lines of a problem file around `line`, for the problems view.
    ProblemContext {
        path: String,
        line: u32,
    },
    /// Re-read one file (after `$EDITOR` returned).
    Refresh {
        path: String,
    },
    LoadDetail {
        path: String,
    },
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
    /// Cards changed or removed (an edit, a watcher batch). `own`: the board's own edit (an
    /// open prompt on one of these cards is not made stale by it).
    Cards {
        upserts: Vec<Card>,
        removed: Vec<String>,
        problems: Option<Vec<Problem>>,
        own: bool,
    },
    Detail {
        item: Box<Item>,
        body: String,
    },
    /// An edit, an undo or a redo landed; the message says what it did.
    Edited(String),
    /// The version a prompt on `path` edits.
    Pinned {
        path: String,
        hash: String,
    },
    /// The request needs the user's yes first (kano's Ready gate); `request` is what to send
    /// on yes.
    Confirm {
        question: String,
        request: Request,
    },
    /// Lines around a problem's line.
    ProblemContext(crate::tui::app::Context),
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

/// The edits of this board session, newest last: what `u` and `Ctrl-r` replay.
#[derive(Debug, Default)]
pub struct History {
    pub undo: Vec<Step>,
    pub redo: Vec<Step>,
}

impl History {
    /// The stack a replay in `direction` takes its step from, and the one it gives it to.
    fn stacks(&mut self, direction: Direction) -> (&mut Vec<Step>, &mut Vec<Step>) {
        match direction {
            Direction::Undo => (&mut self.undo, &mut self.redo),
            Direction::Redo => (&mut self.redo, &mut self.undo),
        }
    }
}

/// The state the worker owns.
pub struct Worker {
    pub session: Session,
    pub history: History,
    /// Files this worker wrote, with the content hash it left (None: removed), until the
    /// watcher reports them: that report is the echo of our own write, already on the board.
    own_writes: HashMap<String, Option<String>>,
    /// Where the board's remembered view state goes (see `tui::state`).
    pub state_file: Option<std::path::PathBuf>,
}

impl Worker {
    pub fn new(backlog: Backlog, index: Index) -> Worker {
        let backlog_root = backlog.root.clone();
        Worker {
            session: Session { backlog, index },
            history: History::default(),
            own_writes: HashMap::new(),
            state_file: super::state::path(&backlog_root),
        }
    }

    /// The thread body: first frame from the index as it is, then reconcile with the files in
    /// the background, then serve requests until the UI hangs up.
    pub fn run(mut self, inputs: Receiver<Input>, out: Sender<Msg>, reconcile_first: bool) {
        if let Ok((cards, counts)) = self.session.index.preview(PREVIEW_PER_COLUMN) {
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
        match self
            .session
            .index
            .reconcile(&self.session.backlog, &|_, _| {})
        {
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
                super::memory::release_free_memory();
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
        self.session
            .index
            .each_card(&mut |card| cards.push(strings.compact(card)))?;
        let columns = self
            .session
            .backlog
            .columns(self.session.index.statuses()?.iter().map(String::as_str));
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
            problems: self.session.index.problems()?,
        })
    }

    /// Serve one request; the messages to send back, in order.
    pub fn handle(&mut self, request: Request) -> Vec<Msg> {
        let result = match &request {
            Request::Edit {
                path,
                base,
                edits,
                force,
            } => {
                let done = self.session.edit(path, base.as_deref(), edits, *force);
                self.landed(done, path, &request)
            }
            Request::Reorder { path, prev, next } => {
                let done = self.session.reorder(path, prev.as_deref(), next.as_deref());
                self.landed(done, path, &request)
            }
            Request::Create(card) => {
                let done = self.session.create(card);
                self.landed(done, "", &request)
            }
            Request::Archive { path } => {
                let done = self.session.archive(path, None);
                self.landed(done, path, &request)
            }
            Request::Undo => self.replay(Direction::Undo),
            Request::Redo => self.replay(Direction::Redo),
            Request::Pin { path } => self.pin(path),
            Request::Refresh { path } => self.refresh(std::slice::from_ref(path)),
            Request::LoadDetail { path } => self.detail(path),
            Request::ProblemContext { path, line } => Ok(self.problem_context(path, *line)),
            Request::SaveSorts(sorts) => {
                let sorts = sorts.iter().cloned().collect();
                let saved = match &self.state_file {
                    Some(file) => super::state::save(file, &sorts),
                    None => Ok(()),
                };
                Ok(match saved {
                    Ok(()) => vec![],
                    Err(e) => vec![Msg::Info(format!(
                        "could not remember the column sort: {e}"
                    ))],
                })
            }
        };
        result.unwrap_or_else(|e| vec![Msg::Failed(format!("{e:#}"))])
    }

    /// The messages for a change that landed (it goes on the undo stack), or for one that was
    /// refused (say why; reload the card on a conflict so the board shows what is on disk).
    fn landed(&mut self, done: Result<Done>, path: &str, request: &Request) -> Result<Vec<Msg>> {
        let done = match done {
            Ok(done) => done,
            Err(err) => return self.refused(err, path, request),
        };
        let mut msgs = self.after_step(&done.step)?;
        if done.step.changed_anything() {
            self.history.undo.push(done.step.clone());
            self.history.redo.clear();
        }
        if let (Some(item), Request::Create(_)) = (&done.item, request) {
            msgs.push(Msg::Focus {
                path: item.card.path.clone(),
            });
        }
        msgs.push(Msg::Edited(done.step.what));
        Ok(msgs)
    }

    fn refused(
        &mut self,
        err: color_eyre::Report,
        path: &str,
        request: &Request,
    ) -> Result<Vec<Msg>> {
        let err = match err.downcast::<NeedsConfirmation>() {
            Ok(ask) => {
                let request = match request.clone() {
                    Request::Edit {
                        path, base, edits, ..
                    } => Request::Edit {
                        path,
                        base,
                        edits,
                        force: true,
                    },
                    other => other,
                };
                return Ok(vec![Msg::Confirm {
                    question: ask.question,
                    request,
                }]);
            }
            Err(err) => err,
        };
        let mut msgs = Vec::new();
        let reload = matches!(
            err.downcast_ref::<WriteError>(),
            Some(WriteError::Conflict { .. } | WriteError::Gone { .. })
        );
        if reload && !path.is_empty() {
            msgs.extend(self.refresh(&[path.to_string()])?);
        }
        msgs.push(Msg::Failed(format!("{err:#}")));
        Ok(msgs)
    }

    /// Undo or redo the newest step. A step whose files changed since is refused and stays
    /// (undo never skips past it to an older edit); a step whose file is gone (archived or
    /// renamed outside tack) is dropped with a message, so it does not block the rest.
    fn replay(&mut self, direction: Direction) -> Result<Vec<Msg>> {
        let what = match direction {
            Direction::Undo => "undo",
            Direction::Redo => "redo",
        };
        let Some(step) = self.history.stacks(direction).0.pop() else {
            return Ok(vec![Msg::Info(format!("nothing to {what}"))]);
        };
        match self.session.replay(&step, direction) {
            Ok(message) => {
                let mut msgs = self.after_step(&step)?;
                self.history.stacks(direction).1.push(step);
                msgs.push(Msg::Edited(message));
                Ok(msgs)
            }
            Err(err) => {
                let gone = matches!(
                    err.downcast_ref::<WriteError>(),
                    Some(WriteError::Gone { .. } | WriteError::Exists { .. })
                );
                let message = format!("cannot {what} \"{}\": {err}", step.what);
                if gone {
                    return Ok(vec![Msg::Failed(format!(
                        "{message}; that step is dropped"
                    ))]);
                }
                self.history.stacks(direction).0.push(step);
                Ok(vec![Msg::Failed(message)])
            }
        }
    }

    /// The board's copy of every file a step touched, and the note that the watcher's report
    /// of them is our own echo. (Our edits never change which files are problems.)
    fn after_step(&mut self, step: &Step) -> Result<Vec<Msg>> {
        let (mut upserts, mut removed) = (Vec::new(), Vec::new());
        for path in step.paths() {
            let row = self.session.index.item_at(path)?;
            self.own_writes
                .insert(path.to_string(), row.as_ref().map(|(_, hash)| hash.clone()));
            match row {
                Some((item, _)) => upserts.push(item.card),
                None => removed.push(path.to_string()),
            }
        }
        Ok(vec![Msg::Cards {
            upserts,
            removed,
            problems: None,
            own: true,
        }])
    }

    /// Whether the watcher's report of `path` is the echo of this worker's own write: the
    /// file is still as we last left it. (Several quick edits of one card can each be
    /// reported after the last one landed, so the entry stays until someone else changes
    /// the file.)
    fn is_own_echo(&mut self, path: &str) -> Result<bool> {
        let Some(written) = self.own_writes.get(path) else {
            return Ok(false);
        };
        let now = self.session.index.item_at(path)?.map(|(_, hash)| hash);
        if now == *written {
            return Ok(true);
        }
        self.own_writes.remove(path);
        Ok(false)
    }

    /// Three lines either side of `line` in the file at `path` (read as text whatever its
    /// encoding, since it is a file that did not parse).
    fn problem_context(&self, path: &str, line: u32) -> Vec<Msg> {
        const AROUND: u32 = 3;
        let abs = self.session.backlog.abs(path);
        let text = match std::fs::read(&abs) {
            Ok(bytes) if bytes.len() as u64 <= crate::layout::MAX_FILE_BYTES => {
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Ok(_) => return vec![Msg::Info(format!("{path} is too large to show"))],
            Err(e) => return vec![Msg::Failed(format!("cannot read {path}: {e}"))],
        };
        let first_line = line.saturating_sub(AROUND).max(1);
        let lines = text
            .lines()
            .skip(first_line as usize - 1)
            .take((line + AROUND + 1 - first_line) as usize)
            .map(str::to_string)
            .collect();
        vec![Msg::ProblemContext(crate::tui::app::Context {
            path: path.to_string(),
            first_line,
            lines,
        })]
    }

    fn pin(&self, path: &str) -> Result<Vec<Msg>> {
        Ok(match self.session.index.item_at(path)? {
            Some((_, hash)) => vec![Msg::Pinned {
                path: path.to_string(),
                hash,
            }],
            None => vec![],
        })
    }

    /// A watcher report: the cards it changed, except the echo of our own writes.
    pub fn watch_event(&mut self, event: crate::watch::WatchEvent) -> Vec<Msg> {
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
                let mut news = Vec::new();
                for path in paths {
                    match self.is_own_echo(&path) {
                        Ok(true) => {}
                        Ok(false) => news.push(path),
                        Err(e) => return vec![Msg::Failed(format!("{e:#}"))],
                    }
                }
                if news.is_empty() {
                    return vec![];
                }
                self.cards_message(&news)
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
            match self.session.index.item_at(path)? {
                Some((item, _)) => upserts.push(item.card),
                None => removed.push(path.clone()),
            }
        }
        Ok(Msg::Cards {
            upserts,
            removed,
            problems: Some(self.session.index.problems()?),
            own: false,
        })
    }

    fn refresh(&mut self, paths: &[String]) -> Result<Vec<Msg>> {
        self.session
            .index
            .apply_paths(&self.session.backlog, paths)?;
        let mut msgs = vec![self.cards_message(paths)?];
        for path in paths {
            if self.session.index.item_at(path)?.is_some() {
                msgs.extend(self.detail(path)?);
            }
        }
        Ok(msgs)
    }

    fn detail(&self, path: &str) -> Result<Vec<Msg>> {
        if self.session.index.item_at(path)?.is_none() {
            return Ok(vec![Msg::Info(format!("{path} is no longer a card"))]);
        }
        let (item, body) = self.session.read_body(path)?;
        Ok(vec![Msg::Detail {
            item: Box::new(item),
            body,
        }])
    }
}
