//! The one edit path. Every front end — the CLI, the board's worker, import — opens a backlog,
//! resolves references and changes cards here, so an editable field is one [`FieldEdit`] that
//! both front ends get.
//!
//! Every change returns a [`Step`]: the exact bytes of every file it touched, before and after.
//! Undo puts the "before" bytes back and redo the "after" bytes, each only over a file that is
//! still exactly as the step left it, so undo means "as it was" — the updated-date line and
//! kano's worklog line included — and never overwrites a change made since.

use std::path::Path;

use color_eyre::eyre::{eyre, Result, WrapErr};

use crate::edit::{Change, Edit, FieldValue};
use crate::error::UsageError;
use crate::index::Index;
use crate::item::{self, Card, Item};
use crate::layout::fields::FieldEdit;
use crate::layout::{kano, order, Backlog, LayoutKind, NewCard, NewFile};
use crate::writer::{self, WriteError};

/// The backlog and its index, as every command and the board's worker hold them.
pub struct Session {
    pub backlog: Backlog,
    pub index: Index,
}

/// One file as a step found it and left it (`None`: no file there).
#[derive(Debug, Clone, PartialEq)]
pub struct FileChange {
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
}

impl FileChange {
    /// A file an edit rewrote in place: these bytes before, those after.
    fn rewritten(path: &str, before: Vec<u8>, after: Vec<u8>) -> FileChange {
        FileChange {
            path: path.into(),
            before: Some(before),
            after: Some(after),
        }
    }
}

/// Everything one user action changed, and how to say it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What the action did, for the status line: "moved TASK-3 To Do → Done".
    pub what: String,
    pub files: Vec<FileChange>,
}

impl Step {
    /// Whether the action changed any file (an edit to the value a card already has does not).
    pub fn changed_anything(&self) -> bool {
        self.files.iter().any(|f| f.before != f.after)
    }

    /// Root-relative paths the step touched, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.path.as_str())
    }
}

/// Which way to replay a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Undo,
    Redo,
}

/// What a change did: the step to undo it, and the card as it is now (None once archived).
#[derive(Debug, Clone)]
pub struct Done {
    pub step: Step,
    pub item: Option<Item>,
}

/// A change that needs the user's say-so first (kano's Ready gate): the CLI refuses it
/// without `--force` (exit 2), the board asks.
#[derive(Debug, thiserror::Error)]
#[error("{question}")]
pub struct NeedsConfirmation {
    pub question: String,
}

impl Session {
    /// Find the backlog from `dir`, open its index, and bring it up to date with the files.
    pub fn open(dir: &Path) -> Result<Session> {
        let mut session = Self::open_stale(dir)?;
        reconcile(&session.backlog, &mut session.index)?;
        Ok(session)
    }

    /// [`Session::open`] plus one read-only query, run on a second connection while the
    /// files are checked: both take about as long, and when nothing changed on disk (the
    /// usual case) the early answer stands. Otherwise the query runs again on the updated
    /// index.
    pub fn open_and_query<T: Send>(
        dir: &Path,
        query: impl Fn(&Index, &Backlog) -> Result<T> + Sync,
    ) -> Result<(Session, T)> {
        let Session { backlog, mut index } = Self::open_stale(dir)?;
        let path = index.path.clone();
        let shared = path.as_os_str() != ":memory:";
        let (stats, early) = std::thread::scope(|scope| {
            let early = shared.then(|| {
                scope.spawn(|| {
                    let reader = Index::open_at(&backlog, &path)?;
                    reader.map_into_memory()?;
                    query(&reader, &backlog)
                })
            });
            let stats = reconcile(&backlog, &mut index);
            (stats, early.map(|thread| thread.join()))
        });
        let stats = stats?;
        let answer = match early {
            Some(Ok(Ok(answer))) if !stats.changed() && index.path == path => answer,
            _ => query(&index, &backlog)?,
        };
        Ok((Session { backlog, index }, answer))
    }

    /// Open without reconciling (for `index check`, which must see the index as it is).
    pub fn open_stale(dir: &Path) -> Result<Session> {
        let backlog = Backlog::discover(dir)?;
        crate::layout::temp::clean_stale_temps(&backlog);
        let index = Index::open(&backlog)?;
        for notice in &index.notices {
            eprintln!("tack: {notice}");
        }
        index.map_into_memory()?;
        Ok(Session { backlog, index })
    }

    /// The one card `reference` names; a usage error when none or several match.
    pub fn card(&self, reference: &str) -> Result<Card> {
        let mut found = self.index.resolve(&self.backlog, reference)?;
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => {
                // A file that is there but broken is not "no card": say what is wrong with it,
                // so the user fixes the file rather than doubting the reference.
                if let Some(p) = self.problem_named(reference)? {
                    let at = p.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                    return Err(UsageError(format!(
                        "{} is not a card: {at}{} (fix the file or see `tack index problems`)",
                        p.path, p.message
                    ))
                    .into());
                }
                Err(UsageError(format!(
                    "no card matches `{reference}` (use a display id, a kano uid or a file path)"
                ))
                .into())
            }
            _ => {
                let list: Vec<String> = found
                    .iter()
                    .map(|c| format!("  {} {}  ({})", c.id, c.title, c.path))
                    .collect();
                Err(UsageError(format!(
                    "`{reference}` matches {} cards; name one by uid or path:\n{}",
                    found.len(),
                    list.join("\n")
                ))
                .into())
            }
        }
    }

    /// The problem file `reference` names: by its path (as given, from the current directory
    /// or from the root), or by the display id its file name starts with (`task-3 - X.md`,
    /// `KABSD-TSK-0003_x.md`), since a broken file has no id the index could match.
    fn problem_named(&self, reference: &str) -> Result<Option<item::Problem>> {
        let problems = self.index.problems()?;
        let rel = if reference.contains('/') || reference.ends_with(".md") {
            let path = Path::new(reference);
            let from_cwd = std::env::current_dir().map(|d| d.join(path));
            let abs = match from_cwd {
                Ok(p) if p.exists() => p,
                _ => self.backlog.root.join(path),
            };
            let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
            self.backlog.rel(&abs)
        } else {
            None
        };
        let wanted = reference.to_lowercase();
        let id_of_name = |path: &str| {
            let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
            name.strip_prefix(&wanted)
                .is_some_and(|rest| rest == ".md" || rest.starts_with(' ') || rest.starts_with('_'))
        };
        Ok(problems.into_iter().find(|p| match &rel {
            Some(rel) => p.path == *rel || p.path == reference,
            None => !wanted.is_empty() && id_of_name(&p.path),
        }))
    }

    /// The status as the backlog spells it; a usage error naming the valid ones otherwise.
    pub fn status(&self, wanted: &str) -> Result<String> {
        let used = self.index.statuses()?;
        self.backlog.canonical_status(wanted, &used).ok_or_else(|| {
            let valid = self.backlog.columns(used.iter().map(String::as_str));
            UsageError(format!(
                "unknown status `{wanted}`; valid statuses: {}",
                valid.join(", ")
            ))
            .into()
        })
    }

    /// The priority scale of this backlog, highest first (the layout's plus what cards use).
    pub fn priority_scale(&self) -> Result<Vec<String>> {
        let used = self.index.priorities()?;
        Ok(self.backlog.priority_scale(used.iter().map(String::as_str)))
    }

    /// The card at `path` as the index has it, with the content hash it was read at.
    fn item_at(&self, path: &str) -> Result<(Item, String)> {
        self.index
            .item_at(path)?
            .ok_or_else(|| WriteError::Gone { path: path.into() }.into())
    }

    /// The card at `path` and its Markdown body, read from the file now.
    pub fn read_body(&self, path: &str) -> Result<(Item, String)> {
        let (item, _) = self.item_at(path)?;
        let abs = self.backlog.abs(path);
        let bytes =
            std::fs::read(&abs).wrap_err_with(|| format!("cannot read {}", abs.display()))?;
        let text = item::decode(&bytes).map_err(|(_, m)| eyre!("{path}: {m}"))?;
        let body = self
            .backlog
            .split(text)
            .map(|s| s.body.to_string())
            .unwrap_or_default();
        Ok((item, body))
    }

    /// Change fields of the card at `path`. `base` is the content hash of the version the
    /// user saw (a prompt opened on it); the edit is refused as a conflict if the file is no
    /// longer that version. Without `force`, a move through kano's Ready gate with empty
    /// sections is a [`NeedsConfirmation`].
    pub fn edit(
        &mut self,
        path: &str,
        base: Option<&str>,
        edits: &[FieldEdit],
        force: bool,
    ) -> Result<Done> {
        let (item, hash) = self.item_at(path)?;
        let base = base.unwrap_or(&hash);
        let edits = self.canonical(edits)?;
        if !force {
            self.ready_gate(&item, &edits)?;
        }
        let now = self.now();
        let edit = self.backlog.field_edit(&item, &edits, now)?;
        let edit = skip_unchanged(edit, &item, &edits);
        let written = writer::edit(&self.backlog, &mut self.index, path, base, &edit)?;
        let what = if written.before == written.after {
            unchanged(&written.item.card, &edits)
        } else {
            describe(&item.card, &written.item.card, &edits)
        };
        Ok(Done {
            step: Step {
                what,
                files: vec![FileChange::rewritten(path, written.before, written.after)],
            },
            item: Some(written.item),
        })
    }

    /// Statuses and priorities as the backlog spells them, so `in progress` moves to
    /// `In Progress` and `HIGH` is written `high`; a value the backlog does not know is a
    /// usage error naming the ones it does.
    fn canonical(&self, edits: &[FieldEdit]) -> Result<Vec<FieldEdit>> {
        edits
            .iter()
            .map(|e| match e {
                // Spelled as the layout spells it (the board's columns and scale): nothing to
                // look up, and a move stays one write (the lookups scan an index of every card).
                FieldEdit::Status(s) if self.backlog.statuses.contains(s) => Ok(e.clone()),
                FieldEdit::Priority(Some(p)) if self.backlog.priority_scale([]).contains(p) => {
                    Ok(e.clone())
                }
                FieldEdit::Status(s) => Ok(FieldEdit::Status(self.status(s)?)),
                FieldEdit::Priority(Some(p)) => Ok(FieldEdit::Priority(Some(self.priority(p)?))),
                other => Ok(other.clone()),
            })
            .collect()
    }

    /// The priority as the backlog's scale spells it; a usage error naming the scale otherwise.
    pub fn priority(&self, wanted: &str) -> Result<String> {
        let scale = self.priority_scale()?;
        scale
            .iter()
            .find(|p| p.eq_ignore_ascii_case(wanted.trim()))
            .cloned()
            .ok_or_else(|| {
                UsageError(format!(
                    "unknown priority `{wanted}`; priorities: {} (or none)",
                    scale.join(", ")
                ))
                .into()
            })
    }

    /// The time an edit is stamped with, on the layout's own clock: Backlog.md writes UTC,
    /// kano local time.
    fn now(&self) -> chrono::NaiveDateTime {
        match self.backlog.kind {
            LayoutKind::BacklogMd => chrono::Utc::now().naive_utc(),
            LayoutKind::Kano => chrono::Local::now().naive_local(),
        }
    }

    /// kano refuses to move an item to Ready while its Context, Goal, Approach or Acceptance
    /// Criteria section is empty (without `--force`); tack asks instead of refusing.
    fn ready_gate(&self, item: &Item, edits: &[FieldEdit]) -> Result<()> {
        let to_ready = edits
            .iter()
            .any(|e| matches!(e, FieldEdit::Status(s) if s == "Ready"));
        if self.backlog.kind != LayoutKind::Kano || !to_ready || item.card.status == "Ready" {
            return Ok(());
        }
        let (_, body) = self.read_body(&item.card.path)?;
        let empty = kano::empty_ready_sections(&body);
        if empty.is_empty() {
            return Ok(());
        }
        Err(NeedsConfirmation {
            question: format!(
                "{} is not ready: {} {} empty. Move it to Ready anyway?",
                item.card.id,
                empty.join(", "),
                if empty.len() == 1 { "is" } else { "are" }
            ),
        }
        .into())
    }

    /// Create a card file, named and numbered as the layout's own tool does.
    pub fn create(&mut self, card: &NewCard) -> Result<Done> {
        let mut card = card.clone();
        if let Some(status) = &card.status {
            card.status = Some(self.status(status)?);
        }
        if let Some(priority) = &card.priority {
            card.priority = Some(self.priority(priority)?);
        }
        let ids = self.index.ids()?;
        let ordinals = self.index.ordinals_in_use()?;
        let file = self.backlog.new_item(&card, &ids, ordinals)?;
        Ok(self.create_file(&file)?)
    }

    /// Create `file` exactly as given (import); never over an existing file.
    pub fn create_file(&mut self, file: &NewFile) -> Result<Done, WriteError> {
        let item = writer::create(&self.backlog, &mut self.index, file)?;
        Ok(Done {
            step: Step {
                what: format!("created {} in {}", item.card.id, item.card.status),
                files: vec![FileChange {
                    path: file.path.clone(),
                    before: None,
                    after: Some(file.text.clone().into_bytes()),
                }],
            },
            item: Some(item),
        })
    }

    /// Archive the card at `path` as its layout does, and (Backlog.md) remove its id from
    /// every other card's dependencies, as Backlog.md's own archive does.
    pub fn archive(&mut self, path: &str, base: Option<&str>) -> Result<Done> {
        let (item, hash) = self.item_at(path)?;
        let base = base.unwrap_or(&hash);
        let (dest, bytes) = writer::archive(&self.backlog, &mut self.index, path, base)?;
        let mut files = vec![
            FileChange {
                path: path.into(),
                before: Some(bytes.clone()),
                after: None,
            },
            FileChange {
                path: dest.clone(),
                before: None,
                after: Some(bytes),
            },
        ];
        let mut cleaned = Vec::new();
        if self.backlog.kind == LayoutKind::BacklogMd {
            for dependent in self.index.cards_depending_on(&item.card.id)? {
                let change = self.drop_dependency(&dependent.path, &item.card.id)?;
                cleaned.push(dependent.id);
                files.push(change);
            }
        }
        let mut what = format!("archived {} to {dest}", item.card.id);
        if !cleaned.is_empty() {
            what.push_str(&format!(
                " (no longer a dependency of {})",
                cleaned.join(", ")
            ));
        }
        Ok(Done {
            step: Step { what, files },
            item: None,
        })
    }

    /// Remove `id` from the `dependencies` of the card at `path`, stamping it as Backlog.md
    /// stamps any update.
    fn drop_dependency(&mut self, path: &str, id: &str) -> Result<FileChange> {
        let (item, hash) = self.item_at(path)?;
        let kept: Vec<String> = item
            .card
            .blocked_by
            .iter()
            .filter(|d| !d.eq_ignore_ascii_case(id))
            .cloned()
            .collect();
        let now = self.now();
        let edit = Edit::set(Change {
            key: "dependencies".into(),
            value: FieldValue::List(kept),
            insert_after: None,
        })
        .and(self.backlog.touch(&item, now));
        let written = writer::edit(&self.backlog, &mut self.index, path, &hash, &edit)?;
        Ok(FileChange::rewritten(path, written.before, written.after))
    }

    /// Put the card at `path` right after the card at `prev` (or, without one, right before
    /// `next`; with neither, at the top) in its column, as Backlog.md's reorder does: half-way
    /// between its new neighbours' ordinals, then Backlog.md's conflict resolution over the
    /// column (which numbers cards that have no ordinal, and renumbers the whole column in
    /// steps of 1000 when there is no room). Only ordinals change; no date is stamped.
    pub fn reorder(&mut self, path: &str, prev: Option<&str>, next: Option<&str>) -> Result<Done> {
        if self.backlog.kind != LayoutKind::BacklogMd {
            return Err(UsageError::new(
                "kano items have no order field: a column is sorted by id",
            )
            .into());
        }
        let (item, _) = self.item_at(path)?;
        let (column, at) = self.column_with(&item.card, prev, next)?;
        let neighbour = |i: Option<usize>| i.and_then(|i| column.get(i)).and_then(|c| c.ordinal);
        let (ordinal, renumber) =
            order::between(neighbour(at.checked_sub(1)), neighbour(Some(at + 1)));
        let mut ordinals: Vec<Option<f64>> = column.iter().map(|c| c.ordinal).collect();
        ordinals[at] = Some(ordinal);
        let resolved = order::resolve_conflicts(&ordinals, renumber);
        let mut files = Vec::new();
        for (card, new) in column.iter().zip(resolved) {
            if card.ordinal == Some(new) {
                continue;
            }
            let (_, hash) = self.item_at(&card.path)?;
            let edit = Edit::set(Change {
                key: "ordinal".into(),
                value: FieldValue::Number(new),
                insert_after: None,
            });
            let written = writer::edit(&self.backlog, &mut self.index, &card.path, &hash, &edit)?;
            files.push(FileChange::rewritten(
                &card.path,
                written.before,
                written.after,
            ));
        }
        let item = self.item_at(path)?.0;
        Ok(Done {
            step: Step {
                what: format!("reordered {}", item.card.id),
                files,
            },
            item: Some(item),
        })
    }

    /// The column of `card`, in board order, with `card` placed after `prev` (or before
    /// `next`), and where it is in it.
    fn column_with(
        &self,
        card: &Card,
        prev: Option<&str>,
        next: Option<&str>,
    ) -> Result<(Vec<Card>, usize)> {
        let filter = crate::index::Filter {
            status: Some(card.status.clone()),
            ..Default::default()
        };
        let mut column: Vec<Card> = self
            .index
            .cards(&self.backlog, &filter)?
            .into_iter()
            .filter(|c| c.path != card.path)
            .collect();
        let at = match (prev, next) {
            (Some(p), _) => column.iter().position(|c| c.path == p).map(|i| i + 1),
            (None, Some(n)) => column.iter().position(|c| c.path == n),
            (None, None) => Some(0),
        }
        .unwrap_or(column.len());
        column.insert(at, card.clone());
        Ok((column, at))
    }

    /// Replay `step` backwards (undo) or forwards (redo). Every file must be exactly as the
    /// step left it (or found it, for redo); otherwise nothing is written and the error names
    /// the file that changed. Returns what it did, for the status line.
    pub fn replay(&mut self, step: &Step, direction: Direction) -> Result<String> {
        let mut puts: Vec<Put> = step
            .files
            .iter()
            .map(|f| match direction {
                Direction::Undo => Put::of(&f.path, &f.after, &f.before),
                Direction::Redo => Put::of(&f.path, &f.before, &f.after),
            })
            .filter(|put| put.from != put.to)
            .collect();
        for put in &puts {
            writer::check_unchanged(&self.backlog, put.path, put.expect().as_deref())?;
        }
        // Files come back before others go away, so an interrupted replay never leaves a card
        // in neither place.
        puts.sort_by_key(|put| (put.from.is_some(), put.to.is_none()));
        for put in &puts {
            writer::put(
                &self.backlog,
                &mut self.index,
                put.path,
                put.expect().as_deref(),
                put.to,
            )?;
        }
        let prefix = match direction {
            Direction::Undo => "undo",
            Direction::Redo => "redo",
        };
        Ok(format!("{prefix}: {}", step.what))
    }
}

/// One file of a replayed step: from the bytes it must have now to the bytes it gets.
struct Put<'a> {
    path: &'a str,
    from: Option<&'a [u8]>,
    to: Option<&'a [u8]>,
}

impl<'a> Put<'a> {
    fn of(path: &'a str, from: &'a Option<Vec<u8>>, to: &'a Option<Vec<u8>>) -> Put<'a> {
        Put {
            path,
            from: from.as_deref(),
            to: to.as_deref(),
        }
    }

    /// The content hash the file must have now (`None`: there must be no file).
    fn expect(&self) -> Option<String> {
        self.from.map(item::content_hash)
    }
}

/// Leave out a field the card already has, so an edit that changes nothing writes nothing (no
/// updated stamp for a no-op).
fn skip_unchanged(edit: Edit, item: &Item, edits: &[FieldEdit]) -> Edit {
    let c = &item.card;
    let unchanged = edits.iter().all(|e| match e {
        FieldEdit::Status(s) => *s == c.status,
        FieldEdit::Title(t) => t.trim() == c.title,
        FieldEdit::Priority(p) => *p == c.priority,
        FieldEdit::Assignees(l) => l.apply(&c.assignees) == c.assignees,
        FieldEdit::Labels(l) => l.apply(&c.labels) == c.labels,
    });
    if unchanged {
        Edit::default()
    } else {
        edit
    }
}

/// The account of an edit that found every field as asked.
fn unchanged(card: &Card, edits: &[FieldEdit]) -> String {
    match edits {
        [FieldEdit::Status(status)] => format!("{} is already in {status}", card.id),
        _ => format!("{} already has these values; nothing was changed", card.id),
    }
}

/// The status line's account of an edit.
fn describe(old: &Card, new: &Card, edits: &[FieldEdit]) -> String {
    let parts: Vec<String> = edits
        .iter()
        .map(|e| match e {
            FieldEdit::Status(_) => format!("moved {} {} → {}", new.id, old.status, new.status),
            FieldEdit::Title(_) => format!("retitled {}", new.id),
            FieldEdit::Priority(Some(p)) => format!("{} priority → {p}", new.id),
            FieldEdit::Priority(None) => format!("{} priority removed", new.id),
            FieldEdit::Assignees(_) if new.assignees.is_empty() => format!("{} unassigned", new.id),
            FieldEdit::Assignees(_) => {
                format!("{} assigned to {}", new.id, new.assignees.join(", "))
            }
            FieldEdit::Labels(_) if new.labels.is_empty() => format!("{} labels cleared", new.id),
            FieldEdit::Labels(_) => format!("{} labels → {}", new.id, new.labels.join(", ")),
        })
        .collect();
    parts.join("; ")
}

/// Bring the index up to date with the files (progress bar on a terminal). An index that
/// opened but cannot be written (its disk filled up mid-update) is replaced by a temporary
/// in-memory one rather than failing: the files are the truth.
fn reconcile(backlog: &Backlog, index: &mut Index) -> Result<crate::index::ReconcileStats> {
    let bar = crate::progress::bar("indexing");
    let progress = |done, total| bar.update(done, total);
    let path = index.path.clone();
    let (stats, failed) = index.reconcile_or_fall_back(backlog, &progress)?;
    if let Some(err) = failed {
        eprintln!("tack: cannot update the index at {}: {err}", path.display());
        eprintln!("tack: using a temporary in-memory index for this run");
    }
    bar.finish();
    Ok(stats)
}
