//! Minimal-diff edits of a card's text: change the frontmatter lines that must change and
//! nothing else.
//!
//! Edits go through yaml-edit's lossless syntax tree, so key order, comments, quoting of the
//! other keys, CRLF and the body survive byte for byte. Because a lossless editor can still
//! surprise (it normalises the edited value's quotes, writes block lists), every edit is checked
//! afterwards: the old and new frontmatter are parsed and every key the edit did not name must
//! be equal, and the named keys must hold what was asked. An edit that fails the check is refused.

use std::str::FromStr;

use color_eyre::eyre::{bail, eyre, Result};
use serde_json::Value;
use yaml_edit::{Document, ScalarStyle, ScalarValue};

use crate::item::{self, Fields, FrontmatterEnd};

/// A new value for one frontmatter key.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A string; keeps the quote style the old value had (plain stays plain when it can).
    Text(String),
    /// A number written bare (e.g. Backlog.md `ordinal`).
    Number(f64),
    /// A list of strings (labels, assignees).
    List(Vec<String>),
    /// `null` (a cleared kano owner).
    Null,
    /// No such key: the line is removed (`--priority none`).
    Absent,
}

impl FieldValue {
    fn as_json(&self) -> Value {
        match self {
            FieldValue::Text(s) => Value::String(s.clone()),
            FieldValue::Number(n) => {
                serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number)
            }
            FieldValue::List(items) => {
                Value::Array(items.iter().cloned().map(Value::String).collect())
            }
            FieldValue::Null | FieldValue::Absent => Value::Null,
        }
    }
}

/// Set `key` to `value`; when the key is missing it is inserted after `insert_after` (or at
/// the end), where the layout's own tool would put it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub key: String,
    pub value: FieldValue,
    pub insert_after: Option<&'static str>,
}

impl Change {
    pub fn text(key: &str, value: impl Into<String>) -> Change {
        Change {
            key: key.into(),
            value: FieldValue::Text(value.into()),
            insert_after: None,
        }
    }

    pub fn after(mut self, key: &'static str) -> Change {
        self.insert_after = Some(key);
        self
    }
}

/// Everything one user action changes in a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edit {
    pub changes: Vec<Change>,
    /// A line appended to the `# Worklog` section (kano's own tool logs state changes there).
    pub worklog: Option<String>,
}

impl Edit {
    pub fn set(change: Change) -> Edit {
        Edit {
            changes: vec![change],
            worklog: None,
        }
    }

    pub fn and(mut self, change: Change) -> Edit {
        self.changes.push(change);
        self
    }
}

/// Apply `edit` to a whole file's text and return the new text. `end` is the layout's rule for
/// where the frontmatter ends (`Backlog::frontmatter_end`): read with another rule, a
/// Backlog.md file closed by `---## Description` would be refused as never closed.
pub fn apply(text: &str, edit: &Edit, end: FrontmatterEnd) -> Result<String> {
    let split = item::split_with(text, end).map_err(|e| eyre!("line {}: {}", e.line, e.message))?;
    let old_fields = item::parse_yaml(&split).map_err(|e| eyre!("{}", e.message))?;
    let yaml = if edit.changes.is_empty() {
        split.yaml.to_string()
    } else {
        edit_yaml(split.yaml, &edit.changes, split.crlf())?
    };
    let new_fields = parse_fields(&yaml, end)?;
    verify(&old_fields, &new_fields, &edit.changes)?;
    let body = match &edit.worklog {
        Some(line) => append_worklog(split.body, line, split.crlf()),
        None => split.body.to_string(),
    };
    Ok(format!(
        "{}{}{}{}{}",
        split.bom, split.open, yaml, split.close, body
    ))
}

/// The keys of edited YAML, split with the file's own rule: an edit that made a line the
/// layout would read as the end of the frontmatter loses keys here and fails the check.
fn parse_fields(yaml: &str, end: FrontmatterEnd) -> Result<Fields> {
    let text = format!("---\n{yaml}---\n");
    let split = item::split_with(&text, end).map_err(|e| eyre!("{}", e.message))?;
    item::parse_yaml(&split).map_err(|e| eyre!("the edit produced invalid YAML: {}", e.message))
}

fn edit_yaml(yaml: &str, changes: &[Change], crlf: bool) -> Result<String> {
    let doc = if yaml.trim().is_empty() {
        Document::new()
    } else {
        Document::from_str(yaml).map_err(|e| eyre!("cannot edit this frontmatter: {e}"))?
    };
    for change in changes {
        set_key(&doc, change)?;
    }
    let mut out = doc.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(restore_line_endings(yaml, &out, crlf))
}

fn set_key(doc: &Document, change: &Change) -> Result<()> {
    let key = change.key.as_str();
    // A new key takes the quoting of the key it is inserted after (Backlog.md quotes dates).
    let style_of = |k: &str| {
        doc.get(k)
            .and_then(|node| node.as_scalar().map(|s| quote_style(&s.value())))
    };
    let old_style = style_of(key).or_else(|| change.insert_after.and_then(style_of));
    let done = match &change.value {
        FieldValue::Text(text) => {
            let scalar = styled_scalar(text, old_style);
            insert_or_set(doc, key, scalar, change.insert_after)
        }
        // ScalarValue::parse types the text (an integer or a float), so it is written bare;
        // a plain string scalar would be quoted and read back as a string.
        FieldValue::Number(n) => insert_or_set(
            doc,
            key,
            ScalarValue::parse(format_number(*n)),
            change.insert_after,
        ),
        FieldValue::Null => insert_or_set(doc, key, ScalarValue::null(), change.insert_after),
        FieldValue::Absent => {
            doc.remove(key);
            true
        }
        FieldValue::List(items) if is_flow_list(doc, key) => set_flow_list(doc, key, items),
        FieldValue::List(items) => {
            let items: Vec<yaml_edit::YamlValue> = items
                .iter()
                .map(|s| yaml_edit::YamlValue::from(s.as_str()))
                .collect();
            insert_or_set(doc, key, items, change.insert_after)
        }
    };
    if !done {
        bail!("cannot set `{key}`: the frontmatter is not a mapping");
    }
    Ok(())
}

/// Whether `key` holds a flow-style list (`tags: ["a", "b"]`), which must stay one.
fn is_flow_list(doc: &Document, key: &str) -> bool {
    doc.get_sequence(key).is_some_and(|seq| seq.is_flow_style())
}

/// Replace the items of the flow list at `key` in place, so it stays `[…]` on its line.
fn set_flow_list(doc: &Document, key: &str, items: &[String]) -> bool {
    let Some(seq) = doc.get_sequence(key) else {
        return false;
    };
    seq.clear();
    for item in items {
        seq.push(new_scalar(item));
    }
    true
}

fn insert_or_set(
    doc: &Document,
    key: &str,
    value: impl yaml_edit::AsYaml,
    after: Option<&str>,
) -> bool {
    match after {
        Some(after) if !doc.contains_key(key) && doc.contains_key(after) => {
            doc.insert_after(after, key, value)
        }
        _ => doc.set(key, value),
    }
}

fn quote_style(raw: &str) -> ScalarStyle {
    match raw.trim_start().chars().next() {
        Some('\'') => ScalarStyle::SingleQuoted,
        Some('"') => ScalarStyle::DoubleQuoted,
        _ => ScalarStyle::Plain,
    }
}

/// A scalar in the style the old value had, unless that style cannot hold the new text.
fn styled_scalar(text: &str, old: Option<ScalarStyle>) -> ScalarValue {
    match old {
        Some(ScalarStyle::SingleQuoted) if !text.contains('\n') => ScalarValue::single_quoted(text),
        // yaml-edit writes `\x`/`\u` escapes for every non-ASCII character in double quotes:
        // keep double quotes only for text they hold as it is.
        Some(ScalarStyle::DoubleQuoted)
            if text.chars().all(|c| c.is_ascii() && !c.is_control()) =>
        {
            ScalarValue::double_quoted(text)
        }
        Some(ScalarStyle::Plain) | None if plain_is_safe(text) => ScalarValue::plain(text),
        // A plain value whose new text would read as something else (a number, `null`, a
        // comment…) gets quotes. yaml-edit judges by YAML 1.2 and would leave `y`, `n`, `on`…
        // bare, which our reader (YAML 1.1 booleans) takes for a boolean: never write plain here.
        _ => quoted_scalar(text),
    }
}

/// `text` as a new YAML scalar: bare when it reads back as the same string, quoted otherwise.
pub fn new_scalar(text: &str) -> ScalarValue {
    if plain_is_safe(text) {
        ScalarValue::plain(text)
    } else {
        quoted_scalar(text)
    }
}

/// `text` in quotes: single quotes, which hold any one-line text as it is (UTF-8 stays
/// UTF-8); double quotes, with escapes, only for text with line breaks or control characters.
fn quoted_scalar(text: &str) -> ScalarValue {
    if text.chars().any(char::is_control) {
        ScalarValue::double_quoted(text)
    } else {
        ScalarValue::single_quoted(text)
    }
}

/// Whether `text` written bare reads back as the same string (dates stay bare, as kano writes them).
fn plain_is_safe(text: &str) -> bool {
    let probe = format!("---\nk: {text}\n---\n");
    let Ok(split) = item::split(&probe) else {
        return false;
    };
    matches!(item::parse_yaml(&split), Ok(map) if map.get("k") == Some(&Value::String(text.to_string())))
        && !text.starts_with([
            '@', '`', '!', '&', '*', '|', '>', '%', '[', '{', '\'', '"', '#', ' ', '-', '?', ':',
            ',',
        ])
        && !text.ends_with(' ')
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Give the edited frontmatter the line endings of the original. yaml-edit keeps every
/// untouched line (and the ending of an edited one) as it was, but ends the lines it inserts
/// with `\n`. In a file with one kind of ending that is fixed by converting lone `\n`s; in a
/// file with mixed endings (edited on two systems) the output is aligned with the original, so
/// only the inserted lines get the file's usual ending and no other line changes.
fn restore_line_endings(original: &str, edited: &str, crlf: bool) -> String {
    let old: Vec<&str> = original.split_inclusive('\n').collect();
    let crlf_lines = old.iter().filter(|l| l.ends_with("\r\n")).count();
    let lf_lines = old.iter().filter(|l| l.ends_with('\n')).count() - crlf_lines;
    let default_crlf = match (crlf_lines, lf_lines) {
        (0, 0) => crlf,
        (c, l) => c >= l,
    };
    if lf_lines == 0 || crlf_lines == 0 {
        return if default_crlf {
            to_crlf(edited)
        } else {
            edited.to_string()
        };
    }
    let new: Vec<&str> = edited.split_inclusive('\n').collect();
    let eol = if default_crlf { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(edited.len() + 16);
    for (line, replaces) in align(&old, &new) {
        match replaces {
            // Untouched: byte for byte as it was.
            Alignment::Same => out.push_str(line),
            // Edited in place: keep that line's own ending.
            Alignment::Replaces(old_line) => {
                out.push_str(strip_eol(line));
                out.push_str(&old_line[strip_eol(old_line).len()..]);
            }
            // Inserted: the file's usual ending (the last line may have none).
            Alignment::Inserted if line.ends_with('\n') => {
                out.push_str(strip_eol(line));
                out.push_str(eol);
            }
            Alignment::Inserted => out.push_str(line),
        }
    }
    out
}

fn strip_eol(line: &str) -> &str {
    line.strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(line)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alignment<'a> {
    Same,
    Replaces(&'a str),
    Inserted,
}

/// Pair each new line with the old line it keeps or replaces: the longest common subsequence
/// of identical lines, then, between two kept lines, the changed lines in order.
fn align<'a, 'b>(old: &[&'a str], new: &[&'b str]) -> Vec<(&'b str, Alignment<'a>)> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (o, n) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    // Pairs of (old index, new index) kept unchanged in the middle part.
    let mut kept: Vec<(usize, usize)> = Vec::new();
    if o.len().saturating_mul(n.len()) <= 4_000_000 {
        let w = n.len() + 1;
        let mut table = vec![0u32; (o.len() + 1) * w];
        for i in (0..o.len()).rev() {
            for j in (0..n.len()).rev() {
                table[i * w + j] = if o[i] == n[j] {
                    table[(i + 1) * w + j + 1] + 1
                } else {
                    table[(i + 1) * w + j].max(table[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < o.len() && j < n.len() {
            if o[i] == n[j] {
                kept.push((i, j));
                i += 1;
                j += 1;
            } else if table[(i + 1) * w + j] >= table[i * w + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    kept.push((o.len(), n.len()));
    let mut out: Vec<(&'b str, Alignment<'a>)> = new[..prefix]
        .iter()
        .map(|l| (*l, Alignment::Same))
        .collect();
    let (mut i, mut j) = (0, 0);
    for (ki, kj) in kept {
        let gap_old = &o[i..ki];
        for (g, line) in n[j..kj].iter().enumerate() {
            let replaces = gap_old.get(g).map_or(Alignment::Inserted, |old_line| {
                Alignment::Replaces(old_line)
            });
            out.push((line, replaces));
        }
        if kj < n.len() {
            out.push((n[kj], Alignment::Same));
        }
        (i, j) = (ki + 1, kj + 1);
    }
    out.extend(
        new[new.len() - suffix..]
            .iter()
            .map(|l| (*l, Alignment::Same)),
    );
    out
}

/// Turn lone `\n` into `\r\n`, for lines the editor inserted into a CRLF file.
fn to_crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut prev = '\0';
    for c in text.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// Refuse an edit that changed any key it did not name, or did not give a named key its value.
fn verify(old: &Fields, new: &Fields, changes: &[Change]) -> Result<()> {
    for (key, value) in old {
        if changes.iter().any(|c| &c.key == key) {
            continue;
        }
        if new.get(key) != Some(value) {
            bail!("refusing the edit: it would also change `{key}`");
        }
    }
    for key in new.keys() {
        if !old.contains_key(key) && !changes.iter().any(|c| &c.key == key) {
            bail!("refusing the edit: it would add `{key}`");
        }
    }
    for change in changes {
        let got = new.get(&change.key);
        if change.value == FieldValue::Absent {
            if got.is_some() {
                bail!("refusing the edit: `{}` is still there", change.key);
            }
            continue;
        }
        let want = change.value.as_json();
        let same = match (got, &want) {
            (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (Some(got), want) => got == want,
            (None, _) => false,
        };
        if !same {
            bail!(
                "refusing the edit: `{}` would read back as {:?}, not {:?}",
                change.key,
                got,
                want
            );
        }
    }
    Ok(())
}

/// Append one line at the end of the `# Worklog` section, as kano's own tool does; add the
/// section at the end of the file if there is none.
pub fn append_worklog(body: &str, line: &str, crlf: bool) -> String {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut offset = 0;
    let mut section: Option<(usize, usize)> = None; // (start of section content, end of last non-blank line)
    for raw in body.split_inclusive('\n') {
        let trimmed = raw.trim_end();
        let next = offset + raw.len();
        match &mut section {
            None if trimmed == "# Worklog" => section = Some((next, next)),
            Some(_) if trimmed.starts_with("# ") => break,
            Some((_, last)) if !trimmed.is_empty() => *last = next,
            _ => {}
        }
        offset = next;
    }
    match section {
        Some((start, last)) => {
            let at = last.max(start);
            let (head, tail) = body.split_at(at);
            let gap = if head.ends_with('\n') { "" } else { eol };
            let blank = if at == start { eol } else { "" };
            format!("{head}{gap}{blank}{line}{eol}{tail}")
        }
        None => {
            let gap = if body.is_empty() || body.ends_with('\n') {
                ""
            } else {
                eol
            };
            format!("{body}{gap}{eol}# Worklog{eol}{eol}{line}{eol}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kano's rule; the tests of Backlog.md's own rule say so.
    const EXACT: FrontmatterEnd = FrontmatterEnd::ExactDelimiter;
    const DASHES: FrontmatterEnd = FrontmatterEnd::LineStartsWithDashes;

    /// A file as Backlog.md writes it: the closing `---` runs into the first heading.
    const RUN_ON: &str =
        "---\nid: TASK-9\ntitle: Dashes\nstatus: To Do\ncreated_date: '2026-01-01'\n\
                          labels: []\n---## Description\n\ntext\n---\nmore\n";

    #[test]
    fn a_run_on_closing_line_round_trips_and_is_kept_by_an_edit() {
        assert_eq!(
            apply(RUN_ON, &Edit::default(), DASHES).expect("no change"),
            RUN_ON
        );
        let edit = Edit::set(Change::text("status", "Done"))
            .and(Change::text("updated_date", "2026-02-02 10:00").after("created_date"));
        let out = apply(RUN_ON, &edit, DASHES).expect("edit");
        assert_eq!(
            out,
            "---\nid: TASK-9\ntitle: Dashes\nstatus: Done\ncreated_date: '2026-01-01'\n\
             updated_date: '2026-02-02 10:00'\nlabels: []\n---## Description\n\ntext\n---\nmore\n"
        );
    }

    #[test]
    fn a_run_on_closing_line_is_not_frontmatter_to_kano() {
        // Read with kano's rule, the YAML runs to the lone `---` and holds the heading.
        assert!(apply(RUN_ON, &Edit::set(Change::text("status", "Done")), EXACT).is_err());
    }

    #[test]
    fn moving_changes_one_line_and_keeps_quotes() {
        let text = "---\nid: A\nstatus: 'To Do' # comment\nlabels: [a, b]\n---\nbody\n";
        let out = apply(text, &Edit::set(Change::text("status", "Done")), EXACT).expect("edit");
        assert_eq!(
            out,
            "---\nid: A\nstatus: 'Done' # comment\nlabels: [a, b]\n---\nbody\n"
        );
    }

    #[test]
    fn plain_date_stays_plain() {
        let text = "---\nupdated: 2026-01-01\nstate: Proposed\n---\n";
        let out = apply(
            text,
            &Edit::set(Change::text("updated", "2026-11-24")),
            EXACT,
        )
        .expect("edit");
        assert_eq!(out, "---\nupdated: 2026-11-24\nstate: Proposed\n---\n");
    }

    #[test]
    fn missing_key_is_inserted_after_its_neighbour() {
        let text = "---\nid: A\ncreated_date: '2026-01-01'\nlabels: []\n---\n";
        let edit =
            Edit::set(Change::text("updated_date", "2026-11-24 10:00").after("created_date"));
        let out = apply(text, &edit, EXACT).expect("edit");
        assert!(
            out.starts_with(
                "---\nid: A\ncreated_date: '2026-01-01'\nupdated_date: '2026-11-24 10:00'\n"
            ),
            "{out}"
        );
        assert!(out.ends_with("labels: []\n---\n"), "{out}");
    }

    #[test]
    fn worklog_line_goes_at_the_end_of_its_section() {
        let body = "\n# Worklog\n\n2026-01-01 [agent=x] one\n\n# After\ntext\n";
        let out = append_worklog(body, "NEW", false);
        assert_eq!(
            out,
            "\n# Worklog\n\n2026-01-01 [agent=x] one\nNEW\n\n# After\ntext\n"
        );
    }

    #[test]
    fn worklog_section_is_created_when_missing() {
        assert_eq!(
            append_worklog("text\n", "NEW", false),
            "text\n\n# Worklog\n\nNEW\n"
        );
    }

    #[test]
    fn mixed_line_endings_stay_as_they_were() {
        let text = "---\r\nid: A\r\nstatus: x\nlabels:\n- a\r\ncreated_date: x\r\n---\r\n";
        let edit = Edit::set(Change::text("status", "Done"))
            .and(Change::text("updated_date", "z").after("created_date"));
        let out = apply(text, &edit, EXACT).expect("edit");
        assert_eq!(
            out,
            "---\r\nid: A\r\nstatus: Done\nlabels:\n- a\r\ncreated_date: x\r\nupdated_date: z\r\n---\r\n"
        );
    }

    #[test]
    fn yaml_1_1_booleans_are_quoted() {
        for word in ["y", "Y", "n", "N", "yes", "off", "true", "null", "~", "123"] {
            let text = "---\nstatus: x\n---\n";
            let out = apply(text, &Edit::set(Change::text("status", word)), EXACT).expect("edit");
            assert!(out.contains(&format!("status: '{word}'\n")), "{out}");
            assert_eq!(new_scalar(word).to_yaml_string(), format!("'{word}'"));
        }
        assert_eq!(new_scalar("In Progress").to_yaml_string(), "In Progress");
    }

    #[test]
    fn crlf_survives_an_insert() {
        let text = "---\r\nid: A\r\ncreated_date: x\r\n---\r\nbody\r\n";
        let edit = Edit::set(Change::text("updated_date", "y").after("created_date"));
        let out = apply(text, &edit, EXACT).expect("edit");
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    }

    #[test]
    fn non_ascii_text_stays_utf8_even_when_quoted() {
        for (text, key_line) in [
            ("---\ntitle: \"Old\"\n---\n", "title: 'Tâche — café: oui'\n"),
            ("---\ntitle: Old\n---\n", "title: 'Tâche — café: oui'\n"),
            ("---\ntitle: 'Old'\n---\n", "title: 'Tâche — café: oui'\n"),
        ] {
            let out = apply(
                text,
                &Edit::set(Change::text("title", "Tâche — café: oui")),
                EXACT,
            )
            .expect("edit");
            assert!(out.contains(key_line), "{out}");
            assert!(!out.contains("\\x") && !out.contains("\\u"), "{out}");
        }
        let out = apply(
            "---\ntitle: x\n---\n",
            &Edit::set(Change::text("title", "Tâche")),
            EXACT,
        )
        .expect("edit");
        assert_eq!(out, "---\ntitle: Tâche\n---\n");
    }

    #[test]
    fn a_flow_list_stays_a_flow_list() {
        let text = "---\ntags: [\"a\", \"b\"]\nowner: x\n---\n";
        let edit = Edit::set(Change {
            key: "tags".into(),
            value: FieldValue::List(vec!["a".into(), "b".into(), "c d".into()]),
            insert_after: None,
        });
        let out = apply(text, &edit, EXACT).expect("edit");
        let line = out.lines().nth(1).expect("a tags line");
        assert!(line.starts_with("tags: [") && line.ends_with(']'), "{out}");
        assert!(out.ends_with("owner: x\n---\n"), "{out}");
    }

    #[test]
    fn an_absent_value_removes_the_line() {
        let text = "---\nid: A\npriority: high\nordinal: 3\n---\nbody\n";
        let edit = Edit::set(Change {
            key: "priority".into(),
            value: FieldValue::Absent,
            insert_after: None,
        });
        assert_eq!(
            apply(text, &edit, EXACT).expect("edit"),
            "---\nid: A\nordinal: 3\n---\nbody\n"
        );
    }
}
