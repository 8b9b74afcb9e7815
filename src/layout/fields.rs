//! What a user's edit of a card field means in each layout: which frontmatter key holds the
//! field, how its value is written (Backlog.md keeps a list of assignees, kano one `owner`), and
//! the layout's "last updated" stamp. The board and the CLI name edits as [`FieldEdit`]s; this
//! turns them into the minimal-diff [`Edit`] the writer applies.

use chrono::NaiveDateTime;

use super::{backlog_md, kano, Backlog, LayoutKind};
use crate::edit::{Change, Edit, FieldValue};
use crate::error::UsageError;
use crate::item::Item;

/// One field change, as the user names it (a board key, a CLI flag).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldEdit {
    Status(String),
    Title(String),
    /// `None` removes the priority line.
    Priority(Option<String>),
    Assignees(ListEdit),
    Labels(ListEdit),
}

/// A change to a list field: replace it, or add and remove single values (`+x -y`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListEdit {
    pub set: Option<Vec<String>>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl ListEdit {
    pub fn set(values: Vec<String>) -> ListEdit {
        ListEdit {
            set: Some(values),
            ..ListEdit::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_none() && self.add.is_empty() && self.remove.is_empty()
    }

    /// The list after this edit: values added once (the first spelling wins), removed values
    /// matched without regard to case or a leading `@`, the order of the rest kept.
    pub fn apply(&self, current: &[String]) -> Vec<String> {
        let same = |a: &str, b: &str| {
            a.trim_start_matches('@')
                .eq_ignore_ascii_case(b.trim_start_matches('@'))
        };
        let mut out: Vec<String> = Vec::new();
        let base = self.set.as_deref().unwrap_or(current);
        for value in base.iter().chain(&self.add) {
            if !out.iter().any(|o| same(o, value)) {
                out.push(value.clone());
            }
        }
        out.retain(|v| !self.remove.iter().any(|r| same(r, v)));
        out
    }
}

/// Split what a user typed for a list field on commas: `a, b,,c` is `[a, b, c]`. Values read
/// from files are never split (a real name may hold a comma).
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

impl Backlog {
    /// The layout's edit for `edits` on `item`: each field's key and value, plus the layout's
    /// updated stamp (and kano's worklog line for a state change).
    pub fn field_edit(
        &self,
        item: &Item,
        edits: &[FieldEdit],
        now: NaiveDateTime,
    ) -> Result<Edit, UsageError> {
        let mut edit = Edit::default();
        for field in edits {
            match field {
                FieldEdit::Status(status) => {
                    let moved = self.move_edit(item, status, now);
                    edit.worklog = moved.worklog;
                    edit.changes.extend(
                        moved
                            .changes
                            .into_iter()
                            .filter(|c| c.key == self.status_key()),
                    );
                }
                FieldEdit::Title(title) => {
                    let title = super::clean_title(title)?;
                    edit.changes.push(Change::text("title", title));
                }
                FieldEdit::Priority(Some(p)) => edit.changes.push(Change::text("priority", p)),
                FieldEdit::Priority(None) => edit.changes.push(Change {
                    key: "priority".into(),
                    value: FieldValue::Absent,
                    insert_after: None,
                }),
                FieldEdit::Assignees(list) => {
                    let names = list.apply(&item.card.assignees);
                    edit.changes.push(self.assignees_change(names)?);
                }
                FieldEdit::Labels(list) => {
                    let key = match self.kind {
                        LayoutKind::BacklogMd => "labels",
                        LayoutKind::Kano => "tags",
                    };
                    let labels = list.apply(&item.card.labels);
                    edit.changes.push(Change {
                        key: key.into(),
                        value: FieldValue::List(labels),
                        insert_after: None,
                    });
                }
            }
        }
        edit.changes.push(self.touch(item, now));
        Ok(edit)
    }

    /// The change that makes `names` the card's assignees: Backlog.md keeps a list, kano a
    /// single `owner` that is `null` when nobody owns the card.
    fn assignees_change(&self, names: Vec<String>) -> Result<Change, UsageError> {
        let value = match (self.kind, names.len()) {
            (LayoutKind::BacklogMd, _) => FieldValue::List(names),
            (LayoutKind::Kano, 0) => FieldValue::Null,
            (LayoutKind::Kano, 1) => FieldValue::Text(names.concat()),
            (LayoutKind::Kano, _) => {
                return Err(UsageError::new(format!(
                    "a kano item has one owner, not {}: {}",
                    names.len(),
                    names.join(", ")
                )))
            }
        };
        let key = match self.kind {
            LayoutKind::BacklogMd => "assignee",
            LayoutKind::Kano => "owner",
        };
        Ok(Change {
            key: key.into(),
            value,
            insert_after: None,
        })
    }

    /// The frontmatter changes (and body edit) that moving a card to `status` means here.
    pub fn move_edit(&self, item: &Item, status: &str, now: NaiveDateTime) -> Edit {
        match self.kind {
            LayoutKind::BacklogMd => backlog_md::move_edit(item, status, now),
            LayoutKind::Kano => kano::move_edit(item, status, now),
        }
    }

    /// The layout's "last updated" stamp, for any other edit.
    pub fn touch(&self, item: &Item, now: NaiveDateTime) -> Change {
        match self.kind {
            LayoutKind::BacklogMd => backlog_md::touch(item, now),
            LayoutKind::Kano => kano::touch(item, now),
        }
    }

    /// Priorities from highest to lowest (see [`priority_scale`]).
    pub fn priority_scale<'a>(&self, used: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        priority_scale(self.kind, used)
    }
}

/// Priorities from highest to lowest: the layout's scale plus every value of the same shape
/// the cards use (kano items use P4 too), in order. Values that do not fit the scale
/// (`critical` in a P0–P3 backlog) are kept on their cards and left off the scale.
pub fn priority_scale<'a>(
    kind: LayoutKind,
    used: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    match kind {
        LayoutKind::BacklogMd => ["high", "medium", "low"].map(String::from).to_vec(),
        LayoutKind::Kano => {
            let mut levels: Vec<u32> = vec![0, 1, 2, 3];
            for p in used {
                if let Some(n) = p.strip_prefix('P').and_then(|n| n.parse::<u32>().ok()) {
                    if n <= 9 && !levels.contains(&n) {
                        levels.push(n);
                    }
                }
            }
            levels.sort_unstable();
            levels.into_iter().map(|n| format!("P{n}")).collect()
        }
    }
}

/// The priority one step up (`step` < 0) or down from `current` on `scale` (highest first).
/// No priority, or one the scale cannot place, goes to the end of the scale in the direction
/// asked; at the end of the scale it stays (`None`: nothing to do). Lowering never raises.
pub fn shift_priority(scale: &[String], current: Option<&str>, step: isize) -> Option<String> {
    let last = scale.len().checked_sub(1)?;
    let at = current.and_then(|p| scale.iter().position(|s| s.eq_ignore_ascii_case(p)));
    let next = match (at, current) {
        (Some(i), _) => (i as isize + step).clamp(0, last as isize) as usize,
        // No priority yet: raising gives the middle of the scale, lowering the bottom.
        (None, None) if step < 0 => scale.len() / 2,
        (None, _) if step < 0 => 0,
        (None, _) => last,
    };
    (at != Some(next)).then(|| scale[next].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale() -> Vec<String> {
        ["P0", "P1", "P2", "P3", "P4"].map(String::from).to_vec()
    }

    #[test]
    fn shifting_stays_on_the_scale_and_lowering_never_raises() {
        let s = scale();
        assert_eq!(shift_priority(&s, Some("P2"), -1).as_deref(), Some("P1"));
        assert_eq!(shift_priority(&s, Some("P2"), 1).as_deref(), Some("P3"));
        assert_eq!(shift_priority(&s, Some("P0"), -1), None);
        assert_eq!(shift_priority(&s, Some("P4"), 1), None);
        assert_eq!(
            shift_priority(&s, Some("critical"), -1).as_deref(),
            Some("P0")
        );
        assert_eq!(
            shift_priority(&s, Some("critical"), 1).as_deref(),
            Some("P4")
        );
        assert_eq!(shift_priority(&s, None, 1).as_deref(), Some("P4"));
        assert_eq!(shift_priority(&s, None, -1).as_deref(), Some("P2"));
    }

    #[test]
    fn list_edits_add_once_and_remove_without_regard_to_case_or_at() {
        let current = vec!["@alice".to_string(), "bob".to_string()];
        let edit = ListEdit {
            set: None,
            add: vec!["Bob".into(), "carol".into()],
            remove: vec!["alice".into()],
        };
        assert_eq!(edit.apply(&current), vec!["bob", "carol"]);
        assert_eq!(split_list(" a, b ,,c "), vec!["a", "b", "c"]);
    }

    #[test]
    fn kano_scale_takes_in_the_levels_cards_use() {
        let backlog = Backlog {
            root: "/".into(),
            kind: LayoutKind::Kano,
            statuses: vec![],
            task_prefix: String::new(),
            products: vec![],
            definition_of_done: vec![],
            default_status: None,
        };
        assert_eq!(
            backlog.priority_scale(["P4", "High", "P1"]),
            vec!["P0", "P1", "P2", "P3", "P4"]
        );
    }
}
