//! The list view (`v`): every card on the board (after filter, product and search) as the rows
//! of a table, sorted by any of its columns (`o` cycles, `O` reverses). The board's editing
//! keys act on the selected row.

use std::cmp::Ordering;

use super::cards::{BoardCard, CardStore};
use crate::index::query::natural_cmp;

/// The table's columns, in the order `o` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    Title,
    Status,
    Priority,
    Assignee,
    Labels,
    Updated,
}

impl Column {
    pub const ALL: [Column; 7] = [
        Column::Id,
        Column::Title,
        Column::Status,
        Column::Priority,
        Column::Assignee,
        Column::Labels,
        Column::Updated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Title => "title",
            Column::Status => "status",
            Column::Priority => "priority",
            Column::Assignee => "assignee",
            Column::Labels => "labels",
            Column::Updated => "updated",
        }
    }

    fn next(self) -> Column {
        let at = Column::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Column::ALL[(at + 1) % Column::ALL.len()]
    }
}

/// The list's sort and selection, and its rows (slots of the card store) in order.
#[derive(Debug, Clone)]
pub struct ListView {
    pub sort: Column,
    pub descending: bool,
    pub rows: Vec<usize>,
    pub selected: usize,
    /// First row drawn.
    pub scroll: usize,
}

impl Default for ListView {
    fn default() -> Self {
        ListView {
            sort: Column::Status,
            descending: false,
            rows: Vec::new(),
            selected: 0,
            scroll: 0,
        }
    }
}

impl ListView {
    /// Rebuild the rows from what the board shows, keeping the selection on the card at
    /// `keep` (its path) when it is still there.
    pub fn refresh(&mut self, cards: &CardStore, priorities: &[String], keep: Option<&str>) {
        let mut rows: Vec<usize> = cards.visible.iter().flatten().copied().collect();
        // Status sorts by column order: the board's order of the visible lists already is.
        if self.sort != Column::Status {
            let key = self.sort;
            rows.sort_by(|a, b| match (cards.card(*a), cards.card(*b)) {
                (Some(a), Some(b)) => compare(key, a, b, priorities),
                _ => Ordering::Equal,
            });
        }
        if self.descending {
            rows.reverse();
        }
        self.rows = rows;
        if let Some(path) = keep {
            if let Some(at) = self
                .rows
                .iter()
                .position(|s| cards.card(*s).is_some_and(|c| &*c.path == path))
            {
                self.selected = at;
            }
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// `o`: sort by the next column; `O`: reverse the order.
    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.descending = false;
    }

    pub fn reverse(&mut self) {
        self.descending = !self.descending;
    }

    /// Move the selection to `row` and scroll so it shows among `page` rows.
    pub fn select(&mut self, row: usize, page: usize) {
        self.selected = row.min(self.rows.len().saturating_sub(1));
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + page {
            self.scroll = self.selected + 1 - page;
        }
        self.scroll = self.scroll.min(self.rows.len().saturating_sub(page));
    }
}

/// Order two cards by `column`; empty values last, ties by natural id.
fn compare(column: Column, a: &BoardCard, b: &BoardCard, priorities: &[String]) -> Ordering {
    let text = |c: &BoardCard| -> Option<String> {
        match column {
            Column::Id | Column::Status => None,
            Column::Title => Some(c.title.to_lowercase()),
            Column::Assignee => c
                .assignees
                .first()
                .map(|a| a.trim_start_matches('@').to_lowercase()),
            Column::Labels => c.labels.first().map(|l| l.to_lowercase()),
            Column::Updated => c.updated.as_deref().map(str::to_string),
            Column::Priority => None,
        }
    };
    let by = match column {
        Column::Id | Column::Status => Ordering::Equal,
        Column::Priority => {
            let rank = |c: &BoardCard| {
                c.priority
                    .as_deref()
                    .map(|p| {
                        priorities
                            .iter()
                            .position(|s| s.eq_ignore_ascii_case(p))
                            .unwrap_or(priorities.len())
                    })
                    .unwrap_or(usize::MAX)
            };
            rank(a).cmp(&rank(b))
        }
        _ => match (text(a), text(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
    };
    by.then_with(|| natural_cmp(&a.id, &b.id))
}
