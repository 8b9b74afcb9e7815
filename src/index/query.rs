//! Read queries over the index: filtered card lists, one item by reference, problems, status.

use std::cmp::Ordering;
use std::path::Path;

use color_eyre::eyre::Result;
use rusqlite::{params_from_iter, Row};
use serde::Serialize;

use super::{json_list, Context, Index};
use crate::filter::{same_value, Key, Query, Term, Value};
use crate::item::{Card, Fields, Item, Problem};
use crate::layout::Backlog;

/// Card filters; every set field must match. Matching is exact but case-insensitive, and an
/// assignee matches with or without its leading `@`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub status: Option<String>,
    pub label: Option<String>,
    pub assignee: Option<String>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub product: Option<String>,
}

const CARD_COLUMNS: &str =
    "i.path, i.key, i.id, i.title, i.status, i.type, i.priority, i.assignee, i.parent, \
     i.product, i.ordinal, i.created, i.updated, i.labels, i.assignees, i.blocked_by";

fn card_from_row(r: &Row<'_>) -> rusqlite::Result<Card> {
    Ok(Card {
        path: r.get(0)?,
        key: r.get(1)?,
        id: r.get(2)?,
        title: r.get(3)?,
        status: r.get(4)?,
        kind: r.get(5)?,
        priority: r.get(6)?,
        assignee: r.get(7)?,
        parent: r.get(8)?,
        product: r.get(9)?,
        ordinal: r.get(10)?,
        created: r.get(11)?,
        updated: r.get(12)?,
        labels: json_list(&r.get::<_, String>(13)?),
        assignees: json_list(&r.get::<_, String>(14)?),
        blocked_by: json_list(&r.get::<_, String>(15)?),
    })
}

/// A card as the index holds it, with its frontmatter as stored (JSON text) and the content
/// hash it was read at: what the mirror copies, read here so no SQL leaves the index.
pub struct Indexed {
    pub card: Card,
    pub fields_json: String,
    pub hash: String,
}

fn indexed_from_row(r: &Row<'_>) -> rusqlite::Result<Indexed> {
    Ok(Indexed {
        card: card_from_row(r)?,
        fields_json: r.get(16)?,
        hash: r.get(17)?,
    })
}

impl Index {
    /// The next `limit` cards after `after` in path order: paging by key keeps every query an
    /// index range scan, where one lookup per card cost ~100 µs each at 100k cards.
    pub fn indexed_after(&self, after: &str, limit: usize) -> Result<Vec<Indexed>> {
        let sql = format!(
            "SELECT {CARD_COLUMNS}, i.fields, f.hash FROM items i JOIN files f ON f.path = i.path \
             WHERE i.path > ?1 ORDER BY i.path LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql).ctx("reading cards")?;
        let rows = stmt
            .query_map(rusqlite::params![after, limit as i64], indexed_from_row)
            .ctx("reading cards")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading cards")
    }

    /// The card at `path` with its stored frontmatter and hash, if it is a card.
    pub fn indexed_at(&self, path: &str) -> Result<Option<Indexed>> {
        let sql = format!(
            "SELECT {CARD_COLUMNS}, i.fields, f.hash FROM items i JOIN files f ON f.path = i.path \
             WHERE i.path = ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql).ctx("reading a card")?;
        let mut rows = stmt
            .query_map([path], indexed_from_row)
            .ctx("reading a card")?;
        rows.next().transpose().ctx("reading a card")
    }
}

impl Filter {
    /// The flags as terms of the filter language (`--label ui` is `label:ui`).
    pub fn query(&self) -> Query {
        let flags = [
            (Key::Status, &self.status),
            (Key::Label, &self.label),
            (Key::Assignee, &self.assignee),
            (Key::Priority, &self.priority),
            (Key::Type, &self.kind),
            (Key::Product, &self.product),
        ];
        Query::of(
            flags
                .into_iter()
                .filter_map(|(key, value)| value.as_deref().map(|v| Term::is(key, v)))
                .collect(),
        )
    }
}

/// The SQL for a filtered card list, with its parameters; public so the tests can check the
/// query plan of exactly what `tack list` runs.
pub fn list_sql(filter: &Filter) -> (String, Vec<String>) {
    query_sql(&filter.query())
}

/// The SQL for the cards a filter query selects, its values bound as parameters (never
/// spliced into the text). Values must already be spelled as the index stores them
/// ([`Index::cards_matching`] resolves them first), so every comparison is a plain `=` that
/// the status, priority, type and label/assignee indexes answer.
pub fn query_sql(query: &Query) -> (String, Vec<String>) {
    let mut sql = format!("SELECT {CARD_COLUMNS} FROM items i");
    let mut args = Vec::new();
    let clauses: Vec<String> = query
        .terms
        .iter()
        .map(|term| term_sql(term, &mut args))
        .collect();
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
    }
    (sql, args)
}

/// One term: its values ORed, negated as a whole. `NOT ifnull(…, 0)` because a missing
/// priority makes `priority IN (…)` NULL, and `-priority:high` must keep those cards.
fn term_sql(term: &Term, args: &mut Vec<String>) -> String {
    let texts: Vec<String> = term
        .texts()
        .map(|t| match term.key {
            // item_assignees holds names without their `@`.
            Key::Assignee => t.trim_start_matches('@').to_string(),
            _ => t.to_string(),
        })
        .collect();
    let mut alternatives = Vec::new();
    if !texts.is_empty() {
        alternatives.push(has_sql(term.key, texts.len()));
        args.extend(texts);
    }
    if term.wants_empty() {
        alternatives.push(empty_sql(term.key).to_string());
    }
    let expr = alternatives.join(" OR ");
    match (term.negated, alternatives.len()) {
        (true, _) => format!("NOT ifnull(({expr}), 0)"),
        (false, 1) => expr,
        (false, _) => format!("({expr})"),
    }
}

/// The card has one of `n` values for `key`. Labels and assignees are looked up in their
/// one-row-per-value tables (primary key `(label, path)`), so SQLite starts from the matching
/// rows instead of reading every card.
fn has_sql(key: Key, n: usize) -> String {
    let marks = vec!["?"; n].join(", ");
    match key {
        Key::Label => {
            format!("i.path IN (SELECT l.path FROM item_labels l WHERE l.label IN ({marks}))")
        }
        Key::Assignee => {
            format!("i.path IN (SELECT a.path FROM item_assignees a WHERE a.name IN ({marks}))")
        }
        Key::Priority => format!("i.priority IN ({marks})"),
        Key::Type => format!("i.type IN ({marks})"),
        Key::Status => format!("i.status IN ({marks})"),
        Key::Product => format!("i.product IN ({marks})"),
    }
}

/// The card has no (non-blank) value for `key`, as `none` asks.
fn empty_sql(key: Key) -> &'static str {
    match key {
        Key::Label => {
            "NOT EXISTS (SELECT 1 FROM item_labels e WHERE e.path = i.path AND trim(e.label) <> '')"
        }
        Key::Assignee => {
            "NOT EXISTS (SELECT 1 FROM item_assignees e WHERE e.path = i.path AND trim(e.name) <> '')"
        }
        Key::Priority => "trim(ifnull(i.priority, '')) = ''",
        Key::Type => "trim(ifnull(i.type, '')) = ''",
        Key::Product => "trim(ifnull(i.product, '')) = ''",
        // The parser refuses `status:none`; were it asked, no card has an empty status.
        Key::Status => "0",
    }
}

/// Each status with its number of cards.
pub type StatusCounts = Vec<(String, u64)>;

/// One indexed file as `index check` compares it: path, content hash, and what it read as.
pub type IndexedFile = (String, String, Result<Item, Problem>);

impl Index {
    /// Cards matching `filter`, in board order (column, ordinal, natural id).
    pub fn cards(&self, backlog: &Backlog, filter: &Filter) -> Result<Vec<Card>> {
        self.cards_matching(backlog, &filter.query())
    }

    /// Cards a filter query selects, in board order. Values are matched as the board matches
    /// them ([`same_value`]: case, `@`, a status's spaces); a value no card has selects nothing
    /// here — [`Index::unknown_value`] is the check that says so.
    pub fn cards_matching(&self, backlog: &Backlog, query: &Query) -> Result<Vec<Card>> {
        let query = self.resolve_values(backlog, query)?;
        let (sql, args) = query_sql(&query);
        let mut stmt = self.conn.prepare_cached(&sql).ctx("listing cards")?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), card_from_row)
            .ctx("listing cards")?;
        let columns = backlog.columns(self.statuses()?.iter().map(String::as_str));
        let position: std::collections::HashMap<&str, usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut buckets: Vec<Vec<Card>> = vec![Vec::new(); columns.len()];
        for card in rows {
            let card = card.ctx("listing cards")?;
            let col = position.get(card.status.as_str()).copied().unwrap_or(0);
            buckets[col].push(card);
        }
        // Keys computed once per card (a comparator runs n·log n times), sorted on all cores.
        for bucket in &mut buckets {
            use rayon::slice::ParallelSliceMut;
            bucket.par_sort_by_cached_key(sort_key);
        }
        Ok(buckets.into_iter().flatten().collect())
    }

    /// The largest ordinal in use and how many cards there are: what numbering a new
    /// Backlog.md task's ordinal needs.
    pub fn ordinals_in_use(&self) -> Result<crate::layout::backlog_md::OrdinalsInUse> {
        let (max, cards): (Option<f64>, i64) = self
            .conn
            .query_row("SELECT max(ordinal), count(*) FROM items", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .ctx("reading ordinals")?;
        Ok(crate::layout::backlog_md::OrdinalsInUse {
            max,
            cards: cards.max(0) as u64,
        })
    }

    /// Cards whose dependencies name `id` (without regard to case), as archiving must clean.
    pub fn cards_depending_on(&self, id: &str) -> Result<Vec<Card>> {
        let (sql, _) = list_sql(&Filter::default());
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{sql} WHERE i.blocked_by LIKE ?1 ORDER BY i.path"))
            .ctx("finding dependent cards")?;
        let pattern = format!("%{}%", id.replace('%', ""));
        let rows = stmt
            .query_map([pattern], card_from_row)
            .ctx("finding dependent cards")?;
        let cards: Vec<Card> = rows
            .collect::<rusqlite::Result<_>>()
            .ctx("finding dependent cards")?;
        Ok(cards
            .into_iter()
            .filter(|c| c.blocked_by.iter().any(|d| d.eq_ignore_ascii_case(id)))
            .collect())
    }

    /// Call `f` with every card, in no particular order, as the rows are read: for callers
    /// that keep something smaller than a [`Card`] and should not hold them all at once.
    pub fn each_card(&self, f: &mut dyn FnMut(Card)) -> Result<()> {
        let (sql, _) = list_sql(&Filter::default());
        let mut stmt = self.conn.prepare_cached(&sql).ctx("listing cards")?;
        let rows = stmt.query_map([], card_from_row).ctx("listing cards")?;
        for card in rows {
            f(card.ctx("listing cards")?);
        }
        Ok(())
    }

    /// The first `per_column` cards of every status and every status's card count: enough
    /// to draw the board at once from the status index while the full list loads.
    pub fn preview(&self, per_column: usize) -> Result<(Vec<Card>, StatusCounts)> {
        let mut counts_stmt = self
            .conn
            .prepare_cached("SELECT status, count(*) FROM items GROUP BY status")
            .ctx("counting cards per status")?;
        let counts: Vec<(String, u64)> = counts_stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .ctx("counting cards per status")?
            .collect::<rusqlite::Result<_>>()
            .ctx("counting cards per status")?;
        let (sql, _) = list_sql(&Filter::default());
        let sql = format!(
            "{sql} WHERE i.status = ?1 ORDER BY i.ordinal IS NULL, i.ordinal, i.id LIMIT ?2"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .ctx("reading the first cards")?;
        let mut cards = Vec::new();
        for (status, _) in &counts {
            let rows = stmt
                .query_map(rusqlite::params![status, per_column as i64], card_from_row)
                .ctx("reading the first cards")?;
            for card in rows {
                cards.push(card.ctx("reading the first cards")?);
            }
        }
        Ok((cards, counts))
    }

    /// Filters are typed by people: replace each typed value by every spelling the index
    /// holds that it names (`label:ui` finds cards labelled `ui` and `UI`), so the SQL can
    /// compare with a plain, indexed `=`.
    fn resolve_values(&self, backlog: &Backlog, query: &Query) -> Result<Query> {
        let mut out = query.clone();
        for term in &mut out.terms {
            if term.texts().next().is_none() {
                continue;
            }
            let in_use = self.values_in_use(backlog, term.key)?;
            let mut values = Vec::new();
            for value in std::mem::take(&mut term.values) {
                let Value::Text(typed) = &value else {
                    values.push(value);
                    continue;
                };
                let found: Vec<&String> = in_use
                    .iter()
                    .filter(|stored| same_value(term.key, typed, stored))
                    .collect();
                if found.is_empty() {
                    values.push(value);
                }
                for stored in found {
                    let stored = Value::Text(stored.clone());
                    if !values.contains(&stored) {
                        values.push(stored);
                    }
                }
            }
            term.values = values;
        }
        Ok(out)
    }

    /// Every value cards use for `key`, once each; for statuses, the layout's columns too
    /// (an empty column is still a status to filter on).
    pub fn values_in_use(&self, backlog: &Backlog, key: Key) -> Result<Vec<String>> {
        let sql = match key {
            Key::Status => {
                return Ok(backlog.columns(self.statuses()?.iter().map(String::as_str)));
            }
            Key::Label => "SELECT DISTINCT label FROM item_labels",
            Key::Assignee => "SELECT DISTINCT name FROM item_assignees",
            Key::Priority => "SELECT DISTINCT priority FROM items WHERE priority IS NOT NULL",
            Key::Type => "SELECT DISTINCT type FROM items WHERE type IS NOT NULL",
            Key::Product => "SELECT DISTINCT product FROM items WHERE product IS NOT NULL",
        };
        self.strings(sql, "listing the values in use")
    }

    /// The first value of `query` that no card has, as a sentence naming the values in use.
    pub fn unknown_value(&self, backlog: &Backlog, query: &Query) -> Result<Option<String>> {
        let mut failed = None;
        let mut in_use = |key: Key| match self.values_in_use(backlog, key) {
            Ok(values) => values,
            Err(err) => {
                failed = Some(err);
                Vec::new()
            }
        };
        let sentence = query.unknown_value(&mut in_use);
        match failed {
            Some(err) => Err(err),
            None => Ok(sentence),
        }
    }

    /// Every status used by some card.
    pub fn statuses(&self) -> Result<Vec<String>> {
        self.strings("SELECT DISTINCT status FROM items", "listing statuses")
    }

    /// Every priority a card uses (the scale takes in the ones the layout does not name).
    pub fn priorities(&self) -> Result<Vec<String>> {
        self.strings(
            "SELECT DISTINCT priority FROM items WHERE priority IS NOT NULL",
            "listing priorities",
        )
    }

    /// Every display id (to number new cards).
    pub fn ids(&self) -> Result<Vec<String>> {
        self.strings("SELECT id FROM items", "listing ids")
    }

    /// The first column of every row of `sql`.
    fn strings(&self, sql: &str, what: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(sql).ctx(what)?;
        let rows = stmt.query_map([], |r| r.get(0)).ctx(what)?;
        rows.collect::<rusqlite::Result<_>>().ctx(what)
    }

    /// One item with its whole frontmatter, and the content hash an edit must be based on.
    pub fn item_at(&self, path: &str) -> Result<Option<(Item, String)>> {
        let sql = format!("SELECT {CARD_COLUMNS}, i.fields, f.hash FROM items i JOIN files f ON f.path = i.path WHERE i.path = ?1");
        let mut stmt = self.conn.prepare_cached(&sql).ctx("reading an item")?;
        let mut rows = stmt.query([path]).ctx("reading an item")?;
        let Some(row) = rows.next().ctx("reading an item")? else {
            return Ok(None);
        };
        let card = card_from_row(row).ctx("reading an item")?;
        let fields_text: String = row.get(16).ctx("reading an item")?;
        let hash: String = row.get(17).ctx("reading an item")?;
        let fields: Fields = serde_json::from_str(&fields_text).unwrap_or_default();
        Ok(Some((Item { card, fields }, hash)))
    }

    /// Find what a user means by `reference`: a file path, a kano uid, or a display id
    /// (case-insensitive). Several cards may share a display id.
    pub fn resolve(&self, backlog: &Backlog, reference: &str) -> Result<Vec<Card>> {
        if let Some(rel) = path_reference(backlog, reference) {
            let (sql, _) = list_sql(&Filter::default());
            let mut stmt = self
                .conn
                .prepare_cached(&format!("{sql} WHERE i.path = ?1"))
                .ctx("resolving a path")?;
            let rows = stmt
                .query_map([rel], card_from_row)
                .ctx("resolving a path")?;
            return rows
                .collect::<rusqlite::Result<_>>()
                .ctx("resolving a path");
        }
        let (sql, _) = list_sql(&Filter::default());
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{sql} WHERE i.key = ?1 OR i.id = ?1 COLLATE NOCASE ORDER BY i.path"
            ))
            .ctx("resolving a reference")?;
        let rows = stmt
            .query_map([reference], card_from_row)
            .ctx("resolving a reference")?;
        rows.collect::<rusqlite::Result<_>>()
            .ctx("resolving a reference")
    }

    pub fn problems(&self) -> Result<Vec<Problem>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path, line, message FROM problems ORDER BY path")
            .ctx("listing problems")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Problem {
                    path: r.get(0)?,
                    line: r.get(1)?,
                    message: r.get(2)?,
                })
            })
            .ctx("listing problems")?;
        rows.collect::<rusqlite::Result<_>>()
            .ctx("listing problems")
    }

    pub fn status(&self, backlog: &Backlog) -> Result<IndexStatus> {
        let count = |sql: &str| -> Result<u64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .ctx("counting")
        };
        Ok(IndexStatus {
            path: self.path.to_string_lossy().to_string(),
            root: backlog.root.to_string_lossy().to_string(),
            layout: backlog.kind.name().to_string(),
            items: count("SELECT count(*) FROM items")?,
            invalid: count("SELECT count(*) FROM problems")?,
            schema_version: self.schema_version()?,
            notices: self.notices.clone(),
            mirror: super::meta::local_metrics(self),
        })
    }

    /// Every file's stamp, item and problem, for `index check`.
    pub fn snapshot(&self) -> Result<Vec<IndexedFile>> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT path, hash, is_item FROM files ORDER BY path")
            .ctx("reading files")?;
        let files: Vec<(String, String, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .ctx("reading files")?
            .collect::<rusqlite::Result<_>>()
            .ctx("reading files")?;
        let problems = self.problems()?;
        for (path, hash, is_item) in files {
            let entry = if is_item {
                match self.item_at(&path)? {
                    Some((item, _)) => Ok(item),
                    None => Err(Problem {
                        path: path.clone(),
                        line: None,
                        message: "file row without an item row".into(),
                    }),
                }
            } else {
                match problems.iter().find(|p| p.path == path) {
                    Some(p) => Err(p.clone()),
                    None => Err(Problem {
                        path: path.clone(),
                        line: None,
                        message: "file row without a problem row".into(),
                    }),
                }
            };
            out.push((path, hash, entry));
        }
        Ok(out)
    }

    /// The query plan SQLite picks for `sql`, one detail line per step.
    pub fn explain(&self, sql: &str, args: &[String]) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .ctx("explaining")?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(3))
            .ctx("explaining")?;
        rows.collect::<rusqlite::Result<_>>().ctx("explaining")
    }
}

/// `index status --json`.
#[derive(Debug, Clone, Serialize)]
pub struct IndexStatus {
    pub path: String,
    pub root: String,
    pub layout: String,
    pub items: u64,
    pub invalid: u64,
    pub schema_version: i64,
    pub notices: Vec<String>,
    /// The last `tack mirror` sync from this machine (rows written, duration, lock waits).
    pub mirror: Option<super::meta::LocalMetrics>,
}

/// A reference that names a file: it has a `/` or ends in `.md`. Returned root-relative.
fn path_reference(backlog: &Backlog, reference: &str) -> Option<String> {
    if !reference.contains('/') && !reference.ends_with(".md") {
        return None;
    }
    let path = Path::new(reference);
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let from_cwd = std::env::current_dir().ok()?.join(path);
        if from_cwd.exists() {
            from_cwd
        } else {
            backlog.root.join(path)
        }
    };
    let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
    backlog.rel(&abs)
}

/// What board order looks at, so the index's [`Card`] and the board's compact card sort alike.
pub trait BoardOrder {
    fn ordinal(&self) -> Option<f64>;
    fn id(&self) -> &str;
    fn path(&self) -> &str;
}

impl BoardOrder for Card {
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

/// Column order within a status: ordinal first (Backlog.md), then ids in natural order.
pub fn board_order<T: BoardOrder>(a: &T, b: &T) -> Ordering {
    match (a.ordinal(), b.ordinal()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| natural_cmp(a.id(), b.id()))
    .then_with(|| a.path().cmp(b.path()))
}

/// A key that sorts like [`board_order`] (ordinal, then natural id), for sorting many cards.
pub fn sort_key<T: BoardOrder>(card: &T) -> (bool, i64, String) {
    let ordinal = card.ordinal().map_or(0, |o| {
        // Order-preserving map of an f64 onto i64 (total order, negatives first).
        let bits = o.to_bits() as i64;
        bits ^ (((bits >> 63) as u64) >> 1) as i64
    });
    (card.ordinal().is_none(), ordinal, natural_key(card.id()))
}

/// `id` lower-cased with every digit run zero-padded to 20 places, so plain string order is
/// natural order (`task-2` before `task-10`).
fn natural_key(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 24);
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0');
            let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
            for _ in trimmed.len()..20 {
                out.push('0');
            }
            out.push_str(trimmed);
            digits.clear();
        }
    };
    for c in id.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c.to_ascii_lowercase());
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// Compare so that `TASK-2` sorts before `TASK-10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (trim_zeros(&x[..nx]), trim_zeros(&y[..ny]));
                let ord = dx.len().cmp(&dy.len()).then_with(|| dx.cmp(dy));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                let ord = c.to_ascii_lowercase().cmp(&d.to_ascii_lowercase());
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|d| **d == b'0').count();
    &digits[zeros.min(digits.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering;

    #[test]
    fn sort_key_agrees_with_board_order() {
        use crate::item::Card;
        let card = |id: &str, ordinal: Option<f64>| Card {
            path: id.into(),
            key: id.into(),
            id: id.into(),
            title: String::new(),
            status: String::new(),
            kind: None,
            priority: None,
            assignee: None,
            assignees: vec![],
            labels: vec![],
            parent: None,
            blocked_by: vec![],
            product: None,
            ordinal,
            created: None,
            updated: None,
        };
        let cards = [
            card("TASK-10", None),
            card("task-2", None),
            card("TASK-2.1", None),
            card("A-7", Some(-5.5)),
            card("B-1", Some(1000.0)),
            card("B-2", Some(250.0)),
            card("C-007", None),
            card("c-8", Some(1e9)),
        ];
        for a in &cards {
            for b in &cards {
                // board_order breaks the last ties by path; the key leaves them to a stable sort.
                let expected = super::board_order(a, b);
                let got = super::sort_key(a).cmp(&super::sort_key(b));
                if got != std::cmp::Ordering::Equal {
                    assert_eq!(got, expected, "{} vs {}", a.id, b.id);
                }
            }
        }
    }

    #[test]
    fn ids_sort_naturally() {
        assert_eq!(natural_cmp("TASK-2", "TASK-10"), Ordering::Less);
        assert_eq!(natural_cmp("BACK-222.1", "BACK-222.10"), Ordering::Less);
        assert_eq!(natural_cmp("a-007", "A-7"), Ordering::Equal);
    }
}
