//! The card filter language shared by the board's `f` prompt and `tack list --filter`:
//! `label:ui,bug -label:wontfix assignee:none status:todo`. Values of one term are
//! alternatives (OR), terms must all hold (AND), a leading `-` negates a term, and `none`
//! means the field is empty.
//!
//! One parsed [`Query`] serves both front ends: the board checks its in-memory cards with
//! [`Query::matches`], and the index turns the same terms into SQL (`index::query`), so the two
//! cannot drift apart in what a filter means. This module sits low in the module graph and
//! imports only the card type.

use std::fmt;

use crate::item::Card;

/// A field a filter term can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Label,
    Assignee,
    Priority,
    Type,
    Status,
    Product,
}

impl Key {
    /// Every key, in the order the prompt and the errors list them.
    pub const ALL: [Key; 6] = [
        Key::Label,
        Key::Assignee,
        Key::Priority,
        Key::Type,
        Key::Status,
        Key::Product,
    ];

    /// The name written in a filter (and shown back by [`Query`]'s `Display`).
    pub fn name(self) -> &'static str {
        match self {
            Key::Label => "label",
            Key::Assignee => "assignee",
            Key::Priority => "priority",
            Key::Type => "type",
            Key::Status => "status",
            Key::Product => "product",
        }
    }

    /// The plural, for "labels in use: …".
    pub fn plural(self) -> &'static str {
        match self {
            Key::Label => "labels",
            Key::Assignee => "assignees",
            Key::Priority => "priorities",
            Key::Type => "types",
            Key::Status => "statuses",
            Key::Product => "products",
        }
    }

    /// A key as people type it: the full name or its short forms, in any case.
    pub fn from_name(name: &str) -> Option<Key> {
        Some(match name.to_ascii_lowercase().as_str() {
            "label" | "labels" | "l" => Key::Label,
            "assignee" | "assignees" | "a" | "owner" => Key::Assignee,
            "priority" | "p" => Key::Priority,
            "type" | "t" => Key::Type,
            "status" | "s" => Key::Status,
            "product" => Key::Product,
            _ => return None,
        })
    }

    /// Every card has a status, so `status:none` could only ever match nothing.
    fn can_be_empty(self) -> bool {
        self != Key::Status
    }

    fn names() -> String {
        let names: Vec<&str> = Key::ALL.iter().map(|k| k.name()).collect();
        names.join(", ")
    }
}

/// One value of a term: a field value, or `none` (the field is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Empty,
    Text(String),
}

/// `key:v1,v2` (the field has one of the values) or `-key:v1,v2` (it has none of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub key: Key,
    pub negated: bool,
    pub values: Vec<Value>,
}

impl Term {
    /// A term with one value, as a `--label X`-style flag asks.
    pub fn is(key: Key, value: &str) -> Term {
        Term {
            key,
            negated: false,
            values: vec![Value::Text(value.to_string())],
        }
    }

    /// The typed values, without `none`.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.values.iter().filter_map(|v| match v {
            Value::Text(t) => Some(t.as_str()),
            Value::Empty => None,
        })
    }

    /// Whether `none` is one of the values.
    pub fn wants_empty(&self) -> bool {
        self.values.contains(&Value::Empty)
    }

    fn matches<C: Fields + ?Sized>(&self, card: &C) -> bool {
        let has_value = card.any_value(self.key, &mut |v| {
            self.texts().any(|want| same_value(self.key, want, v))
        });
        let hit = has_value || (self.wants_empty() && is_empty(card, self.key));
        hit != self.negated
    }
}

/// Whether the card has no (non-blank) value for `key`.
fn is_empty<C: Fields + ?Sized>(card: &C, key: Key) -> bool {
    !card.any_value(key, &mut |v| !v.trim().is_empty())
}

/// A whole filter: every term must hold. The empty query matches every card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
}

/// What a card offers a filter: its values for each key. The board's compact cards and the
/// index's cards implement it, so one [`Query::matches`] serves both.
pub trait Fields {
    /// Whether `test` holds for some value the card has for `key` (stopping at the first);
    /// false when the field is empty. A callback rather than a list, so checking 100,000
    /// cards allocates nothing.
    fn any_value(&self, key: Key, test: &mut dyn FnMut(&str) -> bool) -> bool;
}

/// `impl Fields` for a card type whose fields are named as [`Card`]'s (the board's compact
/// card stores them differently but names them the same): one body for both.
macro_rules! impl_fields_by_name {
    ($card:ty) => {
        impl $crate::filter::Fields for $card {
            fn any_value(
                &self,
                key: $crate::filter::Key,
                test: &mut dyn FnMut(&str) -> bool,
            ) -> bool {
                use $crate::filter::Key;
                match key {
                    Key::Label => self.labels.iter().any(|v| test(v)),
                    Key::Assignee => self.assignees.iter().any(|v| test(v)),
                    Key::Priority => self.priority.as_deref().is_some_and(test),
                    Key::Type => self.kind.as_deref().is_some_and(test),
                    Key::Status => test(&self.status),
                    Key::Product => self.product.as_deref().is_some_and(test),
                }
            }
        }
    };
}
pub(crate) use impl_fields_by_name;

impl_fields_by_name!(Card);

/// Whether a typed filter value names a stored value: without regard to case or a leading
/// `@`, and for statuses also to spaces, `-` and `_` (`status:todo` is "To Do", so a column
/// name needs no quoting).
pub fn same_value(key: Key, typed: &str, stored: &str) -> bool {
    let skip = |c: &char| key == Key::Status && matches!(c, ' ' | '-' | '_');
    let fold = |s: &str| {
        s.trim()
            .trim_start_matches('@')
            .chars()
            .filter(|c| !skip(c))
            .flat_map(char::to_lowercase)
            .collect::<Vec<char>>()
    };
    // Plain ASCII without status folding is the common case: compare without allocating.
    if key != Key::Status && typed.is_ascii() && stored.is_ascii() {
        let (a, b) = (
            typed.trim().trim_start_matches('@'),
            stored.trim().trim_start_matches('@'),
        );
        return a.eq_ignore_ascii_case(b);
    }
    fold(typed) == fold(stored)
}

/// A filter the parser refused, as a plain sentence for the status line or the CLI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

impl Query {
    /// Parse `label:ui,bug -label:wontfix assignee:none "status:In Progress"`. Terms are
    /// separated by spaces; double quotes keep spaces inside a value (`status:"To Do"`).
    pub fn parse(text: &str) -> Result<Query, FilterError> {
        let terms = words(text)?
            .iter()
            .map(|w| parse_term(w))
            .collect::<Result<_, _>>()?;
        Ok(Query { terms })
    }

    /// A query of the given terms.
    pub fn of(terms: Vec<Term>) -> Query {
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Both queries at once (their terms ANDed).
    pub fn and(mut self, other: Query) -> Query {
        self.terms.extend(other.terms);
        self
    }

    /// The filter as text that parses back to it (what the prompt reopens with).
    pub fn describe(&self) -> String {
        self.to_string()
    }

    /// Whether `card` passes every term.
    pub fn matches<C: Fields + ?Sized>(&self, card: &C) -> bool {
        self.terms.iter().all(|t| t.matches(card))
    }

    /// The first typed value that names no value in use, as a sentence listing the ones
    /// that are (`no card has the label "uii"; labels in use: bug, docs, ui`). A typo
    /// otherwise looks just like an empty result.
    pub fn unknown_value(&self, in_use: &mut dyn FnMut(Key) -> Vec<String>) -> Option<String> {
        for term in &self.terms {
            let mut known: Option<Vec<String>> = None;
            for typed in term.texts() {
                let known = known.get_or_insert_with(|| in_use(term.key));
                if !known.iter().any(|k| same_value(term.key, typed, k)) {
                    return Some(unknown_sentence(term.key, typed, known));
                }
            }
        }
        None
    }
}

/// How many values an unknown-value sentence lists before "and N more".
const LISTED: usize = 20;

fn unknown_sentence(key: Key, typed: &str, known: &[String]) -> String {
    let mut known: Vec<&str> = known.iter().map(String::as_str).collect();
    known.sort_by_key(|k| k.to_lowercase());
    known.dedup();
    if known.is_empty() {
        return format!("no card has a {} (`{typed}` matches nothing)", key.name());
    }
    let mut listed = known
        .iter()
        .take(LISTED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if known.len() > LISTED {
        listed.push_str(&format!(" and {} more", known.len() - LISTED));
    }
    format!(
        "no card has the {} `{typed}`; {} in use: {listed}",
        key.name(),
        key.plural()
    )
}

/// Split on spaces outside double quotes, dropping the quotes.
fn words(text: &str) -> Result<Vec<String>, FilterError> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if quoted {
        return Err(FilterError(format!(
            "a quote is not closed in `{}`",
            text.trim()
        )));
    }
    if !word.is_empty() {
        out.push(word);
    }
    Ok(out)
}

fn parse_term(word: &str) -> Result<Term, FilterError> {
    let (negated, body) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let Some((name, list)) = body.split_once(':') else {
        return Err(FilterError(format!(
            "`{word}` is not a filter: write key:value, like label:bug (keys: {})",
            Key::names()
        )));
    };
    let key = Key::from_name(name).ok_or_else(|| {
        FilterError(format!(
            "unknown filter key `{name}`; the keys are {}",
            Key::names()
        ))
    })?;
    let values = parse_values(key, list)?;
    Ok(Term {
        key,
        negated,
        values,
    })
}

/// `ui,bug` → two values; `none` → the empty field. Empty pieces (`ui,`) are dropped.
fn parse_values(key: Key, list: &str) -> Result<Vec<Value>, FilterError> {
    let mut values = Vec::new();
    for piece in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if piece.eq_ignore_ascii_case("none") {
            if !key.can_be_empty() {
                return Err(FilterError(format!(
                    "every card has a {}, so `{}:none` would match nothing",
                    key.name(),
                    key.name()
                )));
            }
            values.push(Value::Empty);
        } else {
            values.push(Value::Text(piece.to_string()));
        }
    }
    if values.is_empty() {
        return Err(FilterError(format!(
            "`{}:` needs a value, like {0}:x, {0}:x,y or {0}:none",
            key.name()
        )));
    }
    Ok(values)
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{term}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: Vec<&str> = self
            .values
            .iter()
            .map(|v| match v {
                Value::Empty => "none",
                Value::Text(t) => t.as_str(),
            })
            .collect();
        let values = values.join(",");
        let neg = if self.negated { "-" } else { "" };
        if values.contains(char::is_whitespace) {
            write!(f, "{neg}{}:\"{values}\"", self.key.name())
        } else {
            write!(f, "{neg}{}:{values}", self.key.name())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(status: &str, labels: &[&str], assignees: &[&str], priority: Option<&str>) -> Card {
        Card {
            path: "p.md".into(),
            key: "K".into(),
            id: "TASK-1".into(),
            title: "t".into(),
            status: status.into(),
            kind: None,
            priority: priority.map(String::from),
            assignee: None,
            assignees: assignees.iter().map(|s| s.to_string()).collect(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            parent: None,
            blocked_by: vec![],
            product: None,
            ordinal: None,
            created: None,
            updated: None,
        }
    }

    fn q(text: &str) -> Query {
        match Query::parse(text) {
            Ok(q) => q,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn err(text: &str) -> String {
        match Query::parse(text) {
            Ok(q) => panic!("{text} parsed as {q:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_or_within_a_key_and_negation_and_none() {
        let query = q("label:ui,bug -l:wontfix a:none");
        assert_eq!(
            query.terms,
            vec![
                Term {
                    key: Key::Label,
                    negated: false,
                    values: vec![Value::Text("ui".into()), Value::Text("bug".into())],
                },
                Term {
                    key: Key::Label,
                    negated: true,
                    values: vec![Value::Text("wontfix".into())],
                },
                Term {
                    key: Key::Assignee,
                    negated: false,
                    values: vec![Value::Empty],
                },
            ]
        );
        assert_eq!(
            query.describe(),
            "label:ui,bug -label:wontfix assignee:none"
        );
        assert_eq!(Query::parse(&query.describe()), Ok(query));
    }

    #[test]
    fn every_key_and_short_form_parses() {
        for (typed, key) in [
            ("label", Key::Label),
            ("l", Key::Label),
            ("assignee", Key::Assignee),
            ("a", Key::Assignee),
            ("owner", Key::Assignee),
            ("priority", Key::Priority),
            ("P", Key::Priority),
            ("type", Key::Type),
            ("t", Key::Type),
            ("status", Key::Status),
            ("s", Key::Status),
            ("product", Key::Product),
        ] {
            assert_eq!(q(&format!("{typed}:x")).terms[0].key, key, "{typed}");
        }
    }

    #[test]
    fn quotes_keep_spaces_and_describe_quotes_them_back() {
        let query = q("status:\"In Progress\" label:ui");
        assert_eq!(
            query.terms[0].values,
            vec![Value::Text("In Progress".into())]
        );
        assert_eq!(query.describe(), "status:\"In Progress\" label:ui");
        assert_eq!(Query::parse(&query.describe()), Ok(query));
    }

    #[test]
    fn errors_are_plain_sentences() {
        assert_eq!(
            err("colour:red"),
            "unknown filter key `colour`; the keys are label, assignee, priority, type, status, product"
        );
        assert_eq!(
            err("urgent"),
            "`urgent` is not a filter: write key:value, like label:bug (keys: label, assignee, priority, type, status, product)"
        );
        assert_eq!(
            err("label:"),
            "`label:` needs a value, like label:x, label:x,y or label:none"
        );
        assert_eq!(
            err("status:none"),
            "every card has a status, so `status:none` would match nothing"
        );
        assert_eq!(
            err("status:\"To Do"),
            "a quote is not closed in `status:\"To Do`"
        );
    }

    #[test]
    fn empty_text_is_the_empty_query_and_matches_everything() {
        let query = q("   ");
        assert!(query.is_empty());
        assert!(query.matches(&card("To Do", &[], &[], None)));
    }

    #[test]
    fn matches_or_within_and_across_keys() {
        let ui = card("To Do", &["UI"], &["@alice"], Some("high"));
        let bug = card("Done", &["bug", "api"], &[], None);
        let docs = card("To Do", &["docs"], &["bob"], Some("low"));
        let either = q("label:ui,bug");
        assert!(either.matches(&ui) && either.matches(&bug) && !either.matches(&docs));
        let both = q("label:ui,bug status:todo");
        assert!(both.matches(&ui) && !both.matches(&bug) && !both.matches(&docs));
        assert!(
            q("label:bug label:api").matches(&bug),
            "same key twice: both"
        );
        assert!(!q("label:bug label:ui").matches(&bug));
        assert!(q("assignee:alice").matches(&ui), "with or without @");
        assert!(q("a:@bob").matches(&docs));
    }

    #[test]
    fn matches_negation_and_none() {
        let ui = card("To Do", &["ui"], &["@alice"], Some("high"));
        let bare = card("In Progress", &[], &[], None);
        assert!(!q("-label:ui").matches(&ui));
        assert!(q("-label:ui").matches(&bare), "no labels is not ui");
        assert!(q("assignee:none").matches(&bare) && !q("assignee:none").matches(&ui));
        assert!(q("-assignee:none").matches(&ui) && !q("-assignee:none").matches(&bare));
        assert!(q("priority:none,high").matches(&ui) && q("priority:none,high").matches(&bare));
        assert!(
            q("-priority:high").matches(&bare),
            "no priority is not high"
        );
        assert!(
            q("label:none").matches(&card("x", &[" "], &[], None)),
            "blank is empty"
        );
        assert!(q("status:\"in progress\"").matches(&bare));
        assert!(q("status:in-progress").matches(&bare));
        assert!(!q("-status:inprogress").matches(&bare));
    }

    #[test]
    fn an_unknown_value_names_the_values_in_use() {
        let mut in_use = |key: Key| match key {
            Key::Label => vec!["ui".to_string(), "bug".into(), "Docs".into()],
            _ => vec!["To Do".to_string()],
        };
        assert_eq!(
            q("label:UI,bug status:todo").unknown_value(&mut in_use),
            None
        );
        assert_eq!(
            q("label:ui,uii").unknown_value(&mut in_use).as_deref(),
            Some("no card has the label `uii`; labels in use: bug, Docs, ui")
        );
        assert_eq!(
            q("-status:doing").unknown_value(&mut in_use).as_deref(),
            Some("no card has the status `doing`; statuses in use: To Do")
        );
        assert_eq!(q("label:none").unknown_value(&mut in_use), None);
        let mut nothing = |_: Key| Vec::new();
        assert_eq!(
            q("type:bug").unknown_value(&mut nothing).as_deref(),
            Some("no card has a type (`bug` matches nothing)")
        );
    }

    #[test]
    fn long_value_lists_are_cut_short() {
        let mut many = |_: Key| (0..25).map(|i| format!("l{i:02}")).collect();
        let sentence = q("label:zz").unknown_value(&mut many).unwrap_or_default();
        assert!(sentence.ends_with("l19 and 5 more"), "{sentence}");
    }
}
