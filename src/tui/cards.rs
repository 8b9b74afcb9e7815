//! The board's copy of the cards: stored once, bucketed into columns, and narrowed by the
//! filter, the product and the fuzzy search. Updates arrive as deltas (one card moved, a
//! watcher batch), so a move on 100,000 cards touches two columns, not the whole board.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use crate::filter::{Fields, Key, Query};
use crate::index::query::{board_order, sort_key, BoardOrder};
use crate::item::Card;

/// A card as the board keeps it. An index [`Card`] costs about 1 KB, which for 100,000 cards
/// is most of the board's memory. Here the values that repeat across cards (statuses, labels,
/// people, priorities, types, products) are shared strings, and what the board never shows
/// (the key, the dates, which cards block this one) is left out: about half the size.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardCard {
    pub path: Arc<str>,
    pub id: Box<str>,
    pub title: Box<str>,
    pub status: Arc<str>,
    pub kind: Option<Arc<str>>,
    pub priority: Option<Arc<str>>,
    pub assignee: Option<Arc<str>>,
    pub assignees: Box<[Arc<str>]>,
    pub labels: Box<[Arc<str>]>,
    pub parent: Option<Box<str>>,
    /// Whether some card blocks this one (the board shows a marker, not the list).
    pub blocked: bool,
    pub product: Option<Arc<str>>,
    pub ordinal: Option<f64>,
    /// The dates as written (the list view and the column sorts use them).
    pub created: Option<Box<str>>,
    pub updated: Option<Box<str>>,
}

impl BoardOrder for BoardCard {
    fn ordinal(&self) -> Option<f64> {
        self.ordinal
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn path(&self) -> &str {
        &self.path
    }
}

/// One shared copy of each repeated string, and the conversion of index cards into
/// [`BoardCard`]s that uses it.
#[derive(Default)]
pub struct Interner(HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(shared.clone());
        shared
    }

    fn list(&mut self, texts: &[String]) -> Box<[Arc<str>]> {
        texts.iter().map(|t| self.get(t)).collect()
    }

    pub fn compact(&mut self, card: Card) -> BoardCard {
        BoardCard {
            path: Arc::from(card.path),
            id: card.id.into_boxed_str(),
            title: card.title.into_boxed_str(),
            status: self.get(&card.status),
            kind: card.kind.as_deref().map(|k| self.get(k)),
            priority: card.priority.as_deref().map(|p| self.get(p)),
            assignee: card.assignee.as_deref().map(|a| self.get(a)),
            assignees: self.list(&card.assignees),
            labels: self.list(&card.labels),
            parent: card.parent.map(String::into_boxed_str),
            blocked: !card.blocked_by.is_empty(),
            product: card.product.as_deref().map(|p| self.get(p)),
            ordinal: card.ordinal,
            created: card.created.map(String::into_boxed_str),
            updated: card.updated.map(String::into_boxed_str),
        }
    }
}

/// The filter set with `f`: the filter language's [`Query`], under the name the board has
/// always used for it.
pub type CardFilter = Query;

crate::filter::impl_fields_by_name!(BoardCard);

/// Fuzzy matching behind one small interface, so the matcher can be swapped (nucleo) without
/// touching the board.
pub trait Matcher: Send + Sync {
    /// Whether `pattern` matches `haystack`. Runs on every card at each keystroke.
    fn matches(&self, haystack: &str, pattern: &str) -> bool;
    /// The char positions in `text` that `pattern` matches, for highlighting; only drawn
    /// cards ask.
    fn positions(&self, text: &str, pattern: &str) -> Vec<usize>;
}

/// fuzzy-matcher's skim algorithm, case-insensitive unless the pattern has capitals (smart case).
pub struct SkimMatcher(SkimMatcherV2);

impl Default for SkimMatcher {
    fn default() -> Self {
        SkimMatcher(SkimMatcherV2::default().smart_case())
    }
}

impl Matcher for SkimMatcher {
    /// Skim matches exactly when the pattern's characters appear in order (smart case); the
    /// score it also computes costs an allocation per card, which the filter does not need.
    /// `skim_match_rule_is_a_subsequence` checks the two agree.
    fn matches(&self, haystack: &str, pattern: &str) -> bool {
        is_subsequence(haystack, pattern)
    }

    fn positions(&self, text: &str, pattern: &str) -> Vec<usize> {
        self.0
            .fuzzy_indices(text, pattern)
            .map(|(_, idx)| idx)
            .unwrap_or_default()
    }
}

/// Whether `pattern`'s characters appear in `haystack` in order; case-insensitive unless the
/// pattern has capitals (the same smart case as the matcher).
fn is_subsequence(haystack: &str, pattern: &str) -> bool {
    let fold = !pattern.chars().any(char::is_uppercase);
    if pattern.is_ascii() {
        // The common case, byte by byte with no allocation: an ASCII byte never occurs inside
        // a multi-byte UTF-8 character, so this cannot match half a character.
        let mut wanted = pattern.bytes().peekable();
        for b in haystack.bytes() {
            let Some(&w) = wanted.peek() else { return true };
            if (if fold { b.to_ascii_lowercase() } else { b }) == w {
                wanted.next();
            }
        }
        return wanted.peek().is_none();
    }
    let mut wanted = pattern.chars().peekable();
    for c in haystack.chars() {
        let Some(&w) = wanted.peek() else { return true };
        let same = if fold {
            c.to_lowercase().eq(w.to_lowercase())
        } else {
            c == w
        };
        if same {
            wanted.next();
        }
    }
    wanted.peek().is_none()
}

/// Every card's search text (`id title #label… assignee…`) in one string, so a keystroke
/// scans contiguous memory and 100,000 cards cost no allocation each. A replaced card's new
/// text is appended; the space of the old one is reclaimed at the next full load.
#[derive(Default)]
struct SearchText {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl SearchText {
    fn set(&mut self, slot: usize, card: &BoardCard) {
        let start = self.text.len();
        self.text.push_str(&card.id);
        self.text.push(' ');
        self.text.push_str(&card.title);
        for label in card.labels.iter() {
            self.text.push_str(" #");
            self.text.push_str(label);
        }
        for name in card.assignees.iter() {
            self.text.push(' ');
            self.text.push_str(name);
        }
        if self.spans.len() <= slot {
            self.spans.resize(slot + 1, (0, 0));
        }
        self.spans[slot] = (start, self.text.len());
    }

    fn clear_slot(&mut self, slot: usize) {
        if let Some(span) = self.spans.get_mut(slot) {
            *span = (0, 0);
        }
    }

    fn get(&self, slot: usize) -> &str {
        let (start, end) = self.spans.get(slot).copied().unwrap_or((0, 0));
        &self.text[start..end]
    }
}

/// How one column orders its cards (`o` cycles): the board's order (Backlog.md's ordinals,
/// then ids), priority, newest created, newest updated, or id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColumnSort {
    #[default]
    Board,
    Priority,
    Created,
    Updated,
    Id,
}

impl ColumnSort {
    pub const ALL: [ColumnSort; 5] = [
        ColumnSort::Board,
        ColumnSort::Priority,
        ColumnSort::Created,
        ColumnSort::Updated,
        ColumnSort::Id,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ColumnSort::Board => "board order",
            ColumnSort::Priority => "priority",
            ColumnSort::Created => "created",
            ColumnSort::Updated => "updated",
            ColumnSort::Id => "id",
        }
    }

    pub fn from_name(name: &str) -> Option<ColumnSort> {
        ColumnSort::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn next(self) -> ColumnSort {
        let at = ColumnSort::ALL.iter().position(|s| *s == self).unwrap_or(0);
        ColumnSort::ALL[(at + 1) % ColumnSort::ALL.len()]
    }
}

/// `a` against `b` under a column sort.
fn compare_cards(
    sort: ColumnSort,
    a: &BoardCard,
    b: &BoardCard,
    priorities: &[String],
) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    // Present values first (in `order`), missing ones last.
    fn present_first<T: Ord>(a: Option<T>, b: Option<T>, order: Ordering) -> Ordering {
        match (a, b) {
            (Some(x), Some(y)) if order == Ordering::Less => x.cmp(&y),
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    let rank = |c: &BoardCard| {
        c.priority.as_deref().map(|p| {
            priorities
                .iter()
                .position(|s| s.eq_ignore_ascii_case(p))
                .unwrap_or(priorities.len())
        })
    };
    match sort {
        ColumnSort::Board => Ordering::Equal,
        ColumnSort::Priority => present_first(rank(a), rank(b), Ordering::Less),
        // Newest first.
        ColumnSort::Created => present_first(
            a.created.as_deref(),
            b.created.as_deref(),
            Ordering::Greater,
        ),
        ColumnSort::Updated => present_first(
            a.updated.as_deref(),
            b.updated.as_deref(),
            Ordering::Greater,
        ),
        ColumnSort::Id => crate::index::query::natural_cmp(&a.id, &b.id),
    }
}

/// All cards, their columns and the current narrowing.
pub struct CardStore {
    slots: Vec<Option<BoardCard>>,
    by_path: HashMap<Arc<str>, usize>,
    strings: Interner,
    search_text: SearchText,
    free: Vec<usize>,
    /// Column names in board order.
    pub columns: Vec<String>,
    configured: Vec<String>,
    /// Per column: slots sorted in board order (all cards).
    sorted: Vec<Vec<usize>>,
    /// Per column: the slots shown after filter, product and search.
    pub visible: Vec<Vec<usize>>,
    pub filter: CardFilter,
    pub product: Option<String>,
    pub search: String,
    /// Card counts per status while only a preview is loaded (the headers show these).
    pub totals: Option<HashMap<String, u64>>,
    /// Columns (by name) sorted otherwise than in board order.
    pub column_sorts: HashMap<String, ColumnSort>,
    /// The priority scale, highest first, for the priority sort.
    pub priorities: Vec<String>,
    /// Slots that matched the previous search, to narrow from when the pattern grows.
    search_hits: Option<(String, Vec<bool>)>,
    matcher: Box<dyn Matcher>,
}

impl CardStore {
    /// `configured`: the layout's statuses; columns for other statuses are added as cards use them.
    pub fn new(configured: Vec<String>, cards: Vec<Card>) -> CardStore {
        let mut store = CardStore {
            slots: Vec::new(),
            by_path: HashMap::new(),
            strings: Interner::default(),
            search_text: SearchText::default(),
            free: Vec::new(),
            columns: configured.clone(),
            configured,
            column_sorts: HashMap::new(),
            priorities: Vec::new(),
            sorted: Vec::new(),
            visible: Vec::new(),
            filter: CardFilter::default(),
            product: None,
            search: String::new(),
            totals: None,
            search_hits: None,
            matcher: Box::new(SkimMatcher::default()),
        };
        store.replace_all_cards(cards);
        store
    }

    /// Replace every card with index cards (a preview), converting them here.
    pub fn replace_all_cards(&mut self, cards: Vec<Card>) {
        let mut strings = Interner::default();
        let cards = cards.into_iter().map(|c| strings.compact(c)).collect();
        self.replace_all(cards);
        self.strings = strings;
    }

    /// Replace every card (a full snapshot, converted by the worker as it read the rows).
    pub fn replace_all(&mut self, cards: Vec<BoardCard>) {
        // Freeing 100,000 cards takes a noticeable while; do it off the UI thread.
        let old = (
            std::mem::take(&mut self.slots),
            std::mem::take(&mut self.by_path),
        );
        if old.0.len() > 10_000 {
            std::thread::spawn(move || {
                drop(old);
                super::memory::release_free_memory();
            });
        }
        self.free.clear();
        self.columns = self.configured.clone();
        self.search_text = SearchText::default();
        self.slots.reserve_exact(cards.len());
        for card in cards {
            self.column_of(&card.status);
            self.search_text.set(self.slots.len(), &card);
            self.by_path.insert(card.path.clone(), self.slots.len());
            self.slots.push(Some(card));
        }
        self.sorted = vec![Vec::new(); self.columns.len()];
        for (slot, card) in self.slots.iter().enumerate() {
            if let Some(card) = card {
                let col = self
                    .columns
                    .iter()
                    .position(|c| **c == *card.status)
                    .unwrap_or(0);
                self.sorted[col].push(slot);
            }
        }
        let slots = &self.slots;
        let order = |a: &usize, b: &usize| match (&slots[*a], &slots[*b]) {
            (Some(a), Some(b)) => board_order(a, b),
            _ => std::cmp::Ordering::Equal,
        };
        for col in &mut self.sorted {
            // The index hands cards over in board order already; sort only what is not.
            if !col.is_sorted_by(|a, b| order(a, b) != std::cmp::Ordering::Greater) {
                col.sort_by_cached_key(|slot| slots[*slot].as_ref().map(sort_key));
            }
        }
        self.search_hits = None;
        self.refresh_visible();
    }

    fn column_of(&mut self, status: &str) -> usize {
        if let Some(i) = self.columns.iter().position(|c| c == status) {
            return i;
        }
        self.columns.push(status.to_string());
        self.sorted.push(Vec::new());
        self.visible.push(Vec::new());
        self.columns.len() - 1
    }

    /// Insert or replace cards, and drop removed paths; keeps every other card where it was.
    pub fn apply(&mut self, upserts: Vec<Card>, removed: &[String]) {
        for path in removed {
            if let Some(slot) = self.by_path.remove(path.as_str()) {
                self.unplace(slot);
                self.slots[slot] = None;
                self.search_text.clear_slot(slot);
                self.free.push(slot);
            }
        }
        for card in upserts {
            let card = self.strings.compact(card);
            let slot = match self.by_path.get(&card.path) {
                Some(&slot) => {
                    self.unplace(slot);
                    slot
                }
                None => {
                    let slot = self.free.pop().unwrap_or_else(|| {
                        self.slots.push(None);
                        self.slots.len() - 1
                    });
                    self.by_path.insert(card.path.clone(), slot);
                    slot
                }
            };
            let col = self.column_of(&card.status);
            self.search_text.set(slot, &card);
            self.slots[slot] = Some(card);
            self.place(slot, col);
        }
        self.search_hits = None;
        self.refresh_visible();
    }

    fn unplace(&mut self, slot: usize) {
        for col in &mut self.sorted {
            if let Some(pos) = col.iter().position(|s| *s == slot) {
                col.remove(pos);
                return;
            }
        }
    }

    fn place(&mut self, slot: usize, col: usize) {
        let slots = &self.slots;
        let Some(card) = &slots[slot] else { return };
        let pos = self.sorted[col].partition_point(|other| match &slots[*other] {
            Some(o) => board_order(o, card) == std::cmp::Ordering::Less,
            None => true,
        });
        self.sorted[col].insert(pos, slot);
    }

    pub fn card(&self, slot: usize) -> Option<&BoardCard> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    /// Every priority a card on the board has, once each.
    pub fn priorities(&self) -> Vec<Arc<str>> {
        let mut seen: Vec<Arc<str>> = Vec::new();
        for card in self.slots.iter().flatten() {
            if let Some(p) = &card.priority {
                if !seen.iter().any(|s| Arc::ptr_eq(s, p) || s == p) {
                    seen.push(p.clone());
                }
            }
        }
        seen
    }

    pub fn slot_of(&self, path: &str) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    /// The count a column header shows: the whole column's while only a preview is loaded.
    pub fn column_count(&self, col: usize) -> usize {
        let shown = self.visible.get(col).map_or(0, Vec::len);
        match (&self.totals, self.columns.get(col)) {
            (Some(totals), Some(name)) if self.search.is_empty() && self.filter.is_empty() => {
                totals.get(name).map_or(shown, |n| *n as usize)
            }
            _ => shown,
        }
    }

    /// All cards, counting those not loaded yet while a preview is shown.
    pub fn total_len(&self) -> usize {
        match &self.totals {
            Some(totals) => totals.values().sum::<u64>() as usize,
            None => self.len(),
        }
    }

    /// Char positions of `text` that the search matches (empty without a search).
    pub fn highlights(&self, text: &str) -> Vec<usize> {
        let pattern = self.search.trim();
        if pattern.is_empty() {
            return Vec::new();
        }
        self.matcher.positions(text, pattern)
    }

    pub fn visible_len(&self) -> usize {
        self.visible.iter().map(Vec::len).sum()
    }

    /// Set the search pattern and re-filter. A pattern that extends the previous one only
    /// re-checks the cards that matched before.
    pub fn set_search(&mut self, pattern: &str) {
        self.search = pattern.to_string();
        self.refresh_visible();
    }

    pub fn set_filter(&mut self, filter: CardFilter) {
        self.filter = filter;
        self.refresh_visible();
    }

    /// Parse and apply the `f` prompt's text. A syntax error, or a value no card on the board
    /// has (a typo would otherwise look like an empty result), is returned as the sentence
    /// for the status line and leaves the filter as it was.
    pub fn set_filter_text(&mut self, text: &str) -> Result<(), String> {
        let filter = Query::parse(text).map_err(|e| e.0)?;
        if let Some(sentence) = filter.unknown_value(&mut |key| self.values_in_use(key)) {
            return Err(sentence);
        }
        self.set_filter(filter);
        Ok(())
    }

    /// Every value the cards on the board have for `key`, once each; for statuses, the
    /// columns (an empty configured column is still a status).
    pub fn values_in_use(&self, key: Key) -> Vec<String> {
        if key == Key::Status {
            return self.columns.clone();
        }
        let mut seen: HashSet<String> = HashSet::new();
        for card in self.slots.iter().flatten() {
            card.any_value(key, &mut |v| {
                // Values repeat across cards: allocate only for a new one.
                if !seen.contains(v) {
                    seen.insert(v.to_string());
                }
                false
            });
        }
        seen.into_iter().collect()
    }

    /// What keeps the card at `path` off the board, if it is held but not shown: `the filter
    /// label:ui`, `the search "x"`, `the product P`. None when it is shown or unknown.
    pub fn hidden_by(&self, path: &str) -> Option<String> {
        let slot = self.slot_of(path)?;
        let card = self.card(slot)?;
        if self.visible.iter().flatten().any(|s| *s == slot) {
            return None;
        }
        if !self.filter.matches(card) {
            return Some(format!("the filter {}", self.filter));
        }
        if let Some(product) = self.product.as_deref() {
            if card.product.as_deref() != Some(product) {
                return Some(format!("the product {product}"));
            }
        }
        Some(format!("the search \"{}\"", self.search.trim()))
    }

    pub fn set_product(&mut self, product: Option<String>) {
        self.product = product;
        self.refresh_visible();
    }

    fn search_matches(&mut self) -> Option<Vec<bool>> {
        let pattern = self.search.trim().to_string();
        if pattern.is_empty() {
            self.search_hits = None;
            return None;
        }
        let previous = self
            .search_hits
            .take()
            .filter(|(p, _)| pattern.starts_with(p.as_str()));
        let hits: Vec<bool> = {
            use rayon::prelude::*;
            let (slots, text, matcher) = (&self.slots, &self.search_text, &self.matcher);
            (0..slots.len())
                .into_par_iter()
                .with_min_len(4096)
                .map(|slot| {
                    let was = previous
                        .as_ref()
                        .is_none_or(|(_, h)| h.get(slot).copied().unwrap_or(true));
                    was && slots[slot].is_some() && matcher.matches(text.get(slot), &pattern)
                })
                .collect()
        };
        self.search_hits = Some((pattern, hits.clone()));
        Some(hits)
    }

    fn refresh_visible(&mut self) {
        let hits = self.search_matches();
        let slots = &self.slots;
        let keep = |slot: &usize| {
            let Some(card) = &slots[*slot] else {
                return false;
            };
            hits.as_ref().is_none_or(|h| h[*slot])
                && self.filter.matches(card)
                && self
                    .product
                    .as_ref()
                    .is_none_or(|p| card.product.as_deref() == Some(p.as_str()))
        };
        self.visible = self
            .sorted
            .iter()
            .map(|col| col.iter().copied().filter(keep).collect())
            .collect();
        self.sort_columns();
    }

    /// Set how the column `col` sorts, and sort it.
    pub fn set_column_sort(&mut self, col: usize, sort: ColumnSort) {
        let Some(name) = self.columns.get(col).cloned() else {
            return;
        };
        if sort == ColumnSort::Board {
            self.column_sorts.remove(&name);
        } else {
            self.column_sorts.insert(name, sort);
        }
        self.refresh_visible();
    }

    /// How the column `col` sorts.
    pub fn column_sort(&self, col: usize) -> ColumnSort {
        self.columns
            .get(col)
            .and_then(|name| self.column_sorts.get(name))
            .copied()
            .unwrap_or_default()
    }

    /// Re-order the shown cards of every column that is not in board order. Dates sort newest
    /// first; cards without the value go last; ties keep board order.
    pub fn sort_columns(&mut self) {
        for (col, name) in self.columns.iter().enumerate() {
            let Some(sort) = self.column_sorts.get(name).copied() else {
                continue;
            };
            let (slots, priorities) = (&self.slots, &self.priorities);
            if let Some(visible) = self.visible.get_mut(col) {
                // A stable sort: cards equal under `sort` keep their board order.
                visible.sort_by(|a, b| match (&slots[*a], &slots[*b]) {
                    (Some(a), Some(b)) => compare_cards(sort, a, b, priorities),
                    _ => std::cmp::Ordering::Equal,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn skim_match_rule_is_a_subsequence(
            haystack in "[a-zA-Z0-9 #@_.-]{0,40}",
            pattern in "[a-zA-Z0-9 #@_.-]{1,6}",
        ) {
            let skim = SkimMatcherV2::default().smart_case();
            prop_assert_eq!(
                SkimMatcher::default().matches(&haystack, &pattern),
                skim.fuzzy_match(&haystack, &pattern).is_some(),
                "haystack {:?} pattern {:?}", haystack, pattern
            );
        }
    }

    #[test]
    fn positions_point_at_the_matched_characters() {
        let m = SkimMatcher::default();
        let title = "Rate-limit the login endpoint";
        let pos = m.positions(title, "login");
        let chars: Vec<char> = title.chars().collect();
        let picked: String = pos.iter().map(|i| chars[*i]).collect();
        assert_eq!(picked.to_lowercase(), "login");
    }
}
