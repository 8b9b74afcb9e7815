//! A card as read from one Markdown file: the frontmatter split, the YAML read and the
//! problems a file can have.
//!
//! This module knows nothing of layouts: it turns bytes into a [`Frontmatter`] (the raw YAML
//! text plus its parsed keys) or a [`Problem`]. The layouts then map keys to [`Item`] fields.

use serde::Serialize;
use serde_json::{Map, Value};

mod simple_yaml;

/// Frontmatter keys as parsed, in file order (serde_json's `preserve_order`).
pub type Fields = Map<String, Value>;

/// What the board, the filters and `tack list` need of a card: everything but the raw keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    /// Path relative to the backlog root, `/`-separated.
    pub path: String,
    /// Stable identity: the kano `uid`, or the Backlog.md id. Display ids collide in real backlogs.
    pub key: String,
    pub id: String,
    pub title: String,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub priority: Option<String>,
    /// First assignee (Backlog.md allows several; kano has one `owner`).
    pub assignee: Option<String>,
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
    pub parent: Option<String>,
    /// Ids this card waits for (Backlog.md `dependencies`, kano `links.blocked_by`).
    pub blocked_by: Vec<String>,
    pub product: Option<String>,
    pub ordinal: Option<f64>,
    pub created: Option<String>,
    pub updated: Option<String>,
}

/// A card plus its whole frontmatter, unknown keys included (for `show`, the detail pane, the mirror).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    #[serde(flatten)]
    pub card: Card,
    pub fields: Fields,
}

/// Why a file is not a card. Shown in `tack index problems` and the board's problems view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    /// 1-based line in the file, when the cause has one.
    pub line: Option<u32>,
    pub message: String,
}

/// The pieces of a Markdown file with frontmatter, as byte ranges of the original text so the
/// writer can put every untouched byte back as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    /// `"\u{feff}"` or empty.
    pub bom: &'a str,
    /// The opening `---` line with its line ending.
    pub open: &'a str,
    /// The YAML between the delimiters, with its line endings.
    pub yaml: &'a str,
    /// The closing `---` line with its line ending (may lack one at end of file); under
    /// [`FrontmatterEnd::LineStartsWithDashes`] only the `---` of a line that goes on.
    pub close: &'a str,
    /// Everything after the closing line, byte for byte.
    pub body: &'a str,
    /// 1-based line number of the first YAML line, to turn YAML positions into file lines.
    pub yaml_first_line: u32,
}

impl Split<'_> {
    /// Whether the file uses CRLF line endings (judged on the opening delimiter).
    pub fn crlf(&self) -> bool {
        self.open.ends_with("\r\n")
    }
}

/// Where the frontmatter split failed, for a problem entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub line: u32,
    pub message: &'static str,
}

fn is_delimiter(line: &str) -> bool {
    line.trim_end_matches(['\r', '\n']).trim_end() == "---"
}

/// Where a file's frontmatter ends. The layouts' own readers disagree, and tack must read each
/// file as the tool that owns it does, or a file that tool reads fine becomes a tack problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontmatterEnd {
    /// A line that is `---` alone (trailing blanks allowed): kano's rule.
    ExactDelimiter,
    /// The first line that *begins* with `---`, the rest of that line being body: the rule of
    /// gray-matter, which Backlog.md reads with, so `---## Description` closes its frontmatter.
    LineStartsWithDashes,
}

impl FrontmatterEnd {
    /// How many bytes of `line` are the closing delimiter, if `line` closes the frontmatter:
    /// the whole line for a lone `---`, only the dashes when the line goes on with body text
    /// (so that text stays in the body and the writer puts it back as it was).
    fn close_len(self, line: &str) -> Option<usize> {
        if is_delimiter(line) {
            return Some(line.len());
        }
        match self {
            FrontmatterEnd::ExactDelimiter => None,
            FrontmatterEnd::LineStartsWithDashes => line.starts_with("---").then_some(3),
        }
    }
}

/// Split a file into BOM, frontmatter and body without copying, ending the frontmatter at a
/// lone `---` line. For a card file use `Backlog::split`, which knows its layout's rule; this
/// is for text tack builds itself.
pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    split_with(text, FrontmatterEnd::ExactDelimiter)
}

/// Split a file into BOM, frontmatter and body without copying, ending the frontmatter as
/// `end` says. `bom + open + yaml + close + body` is always the whole text.
pub fn split_with(text: &str, end: FrontmatterEnd) -> Result<Split<'_>, SplitError> {
    let bom_len = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let (bom, rest) = text.split_at(bom_len);
    let open_len = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let open = &rest[..open_len];
    if !is_delimiter(open) {
        let message = if rest.trim().is_empty() {
            "empty file: no frontmatter"
        } else {
            "no frontmatter: the file must start with a `---` line"
        };
        return Err(SplitError { line: 1, message });
    }
    let after_open = &rest[open_len..];
    let mut offset = 0;
    let mut line_no = 2u32;
    while offset < after_open.len() {
        let line_end = after_open[offset..]
            .find('\n')
            .map_or(after_open.len(), |i| offset + i + 1);
        let line = &after_open[offset..line_end];
        if let Some(close_len) = end.close_len(line) {
            return Ok(Split {
                bom,
                open,
                yaml: &after_open[..offset],
                close: &line[..close_len],
                body: &after_open[offset + close_len..],
                yaml_first_line: 2,
            });
        }
        offset = line_end;
        line_no += 1;
    }
    Err(SplitError {
        line: line_no.saturating_sub(1).max(1),
        message: "frontmatter is never closed: no second `---` line",
    })
}

/// A YAML read error with the file line it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: Option<u32>,
    pub message: String,
}

/// Parse frontmatter YAML into its keys. Strict: duplicate keys and syntax errors are errors,
/// because guessing which of two `status:` lines the user meant would be a silent loss.
pub fn parse_yaml(split: &Split<'_>) -> Result<Fields, YamlError> {
    if split.yaml.trim().is_empty() {
        return Ok(Fields::new());
    }
    match simple_yaml::parse(split.yaml) {
        Some(fields) => Ok(fields),
        None => parse_yaml_full(split),
    }
}

/// [`parse_yaml`] with the full YAML parser only, never the fast reader of plain frontmatter
/// (the two must always agree; the tests compare them).
pub fn parse_yaml_full(split: &Split<'_>) -> Result<Fields, YamlError> {
    if split.yaml.trim().is_empty() {
        return Ok(Fields::new());
    }
    match serde_saphyr::from_str::<Value>(split.yaml) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Fields::new()),
        Ok(_) => Err(YamlError {
            line: Some(split.yaml_first_line),
            message: "frontmatter is not a mapping of keys to values".into(),
        }),
        Err(err) => {
            let line = err
                .location()
                .map(|loc| split.yaml_first_line + loc.line().saturating_sub(1) as u32);
            Err(YamlError {
                line,
                message: tidy_yaml_message(&first_line(&err.to_string()), split.yaml_first_line),
            })
        }
    }
}

fn first_line(message: &str) -> String {
    let line = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message);
    format!("invalid YAML: {}", line.trim())
}

/// The parser's message as the user should read it next to the problem's file line: its
/// `error: line N column M:` counts lines from the start of the YAML, not of the file (so a
/// problem at file line 4 said "line 3"), and its advice about parser options means nothing to
/// a user. Anything not in the expected shape is left as it was.
fn tidy_yaml_message(message: &str, yaml_first_line: u32) -> String {
    let Some(rest) = message.strip_prefix("invalid YAML: ") else {
        return message.to_string();
    };
    let rest = rest.strip_prefix("error: ").unwrap_or(rest);
    let rest = rest
        .strip_suffix(", set DuplicateKeyPolicy in Options if acceptable")
        .unwrap_or(rest);
    let shifted = rest.strip_prefix("line ").and_then(|after| {
        let (number, tail) = after.split_once(' ')?;
        let number: u32 = number.parse().ok()?;
        Some(format!(
            "line {} {tail}",
            yaml_first_line + number.saturating_sub(1)
        ))
    });
    format!("invalid YAML: {}", shifted.as_deref().unwrap_or(rest))
}

/// Read a whole file's text, as a problem when it is not text.
pub fn decode(bytes: &[u8]) -> Result<&str, (u32, String)> {
    if bytes.contains(&0) {
        return Err((1, "binary file: contains NUL bytes".into()));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u32
            + 1;
        (
            line,
            format!("not UTF-8: invalid byte at offset {}", e.valid_up_to()),
        )
    })
}

/// A scalar field as text: strings as they are, numbers and booleans printed, null as `None`.
pub fn scalar_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A list field as texts; a lone scalar counts as a one-element list (Backlog.md writes both).
pub fn list_text(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(values)) => values.iter().filter_map(|v| scalar_text(Some(v))).collect(),
        other => scalar_text(other).into_iter().collect(),
    }
}

/// Content hash used to notice that a file changed since it was read.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_every_byte() {
        let text = "\u{feff}---\r\nid: A\r\n---\r\nbody\r\n";
        let s = split(text).expect("valid");
        assert_eq!(s.bom, "\u{feff}");
        assert_eq!(s.yaml, "id: A\r\n");
        assert!(s.crlf());
        assert_eq!(
            format!("{}{}{}{}{}", s.bom, s.open, s.yaml, s.close, s.body),
            text
        );
    }

    fn joined(s: &Split<'_>) -> String {
        format!("{}{}{}{}{}", s.bom, s.open, s.yaml, s.close, s.body)
    }

    #[test]
    fn backlog_md_rule_ends_the_frontmatter_at_a_line_beginning_with_dashes() {
        let text = "---\r\nid: A\r\ntitle: B\r\n---## Description\r\n\r\ntext\r\n";
        let s = split_with(text, FrontmatterEnd::LineStartsWithDashes).expect("closed");
        assert_eq!(s.yaml, "id: A\r\ntitle: B\r\n");
        assert_eq!(s.close, "---");
        assert_eq!(s.body, "## Description\r\n\r\ntext\r\n");
        assert_eq!(joined(&s), text);
        assert_eq!(parse_yaml(&s).expect("yaml")["title"], "B");
    }

    #[test]
    fn kano_rule_needs_a_lone_dashes_line() {
        let text = "---\nid: A\n---## Description\n";
        let err = split_with(text, FrontmatterEnd::ExactDelimiter).expect_err("unclosed");
        assert!(err.message.contains("never closed"), "{err:?}");
        // A later lone `---` (a rule in the body) closes it, taking the heading into the YAML.
        let text = "---\nid: A\n---## Description\n---\n";
        let s = split(text).expect("closed");
        assert_eq!(s.yaml, "id: A\n---## Description\n");
    }

    #[test]
    fn both_rules_read_a_plain_file_alike() {
        for text in [
            "---\nid: A\n---\nbody\n",
            "\u{feff}---\r\nid: A\r\n---  \r\n",
            "---\nid: A\n---",
            "---\n---\n",
        ] {
            let exact = split_with(text, FrontmatterEnd::ExactDelimiter).expect("exact");
            let dashes = split_with(text, FrontmatterEnd::LineStartsWithDashes).expect("dashes");
            assert_eq!(exact, dashes, "{text:?}");
            assert_eq!(joined(&dashes), text);
        }
    }

    #[test]
    fn backlog_md_rule_keeps_what_follows_the_dashes_in_the_body() {
        let text = "---\nid: A\n----\nbody\n";
        let s = split_with(text, FrontmatterEnd::LineStartsWithDashes).expect("closed");
        assert_eq!((s.close, s.body), ("---", "-\nbody\n"));
        assert_eq!(joined(&s), text);
    }

    #[test]
    fn unclosed_frontmatter_is_an_error_with_a_line() {
        let err = split("---\nid: A\ntitle: B\n").expect_err("unclosed");
        assert_eq!(err.line, 3);
        assert!(err.message.contains("never closed"));
    }

    #[test]
    fn yaml_error_points_at_the_file_line() {
        let text = "---\nid: A\ntitle: [unclosed\n---\n";
        let s = split(text).expect("split");
        let err = parse_yaml(&s).expect_err("bad yaml");
        assert!(err.line.is_some_and(|l| l >= 3), "{err:?}");
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let s = split("---\nstatus: A\nstatus: B\n---\n").expect("split");
        assert!(parse_yaml(&s).is_err());
    }

    #[test]
    fn yaml_messages_name_the_file_line_not_the_yaml_line() {
        let s = split("---\nid: A\nstatus: A\nstatus: B\n---\n").expect("split");
        let err = parse_yaml(&s).expect_err("duplicate key");
        assert_eq!(err.line, Some(4));
        assert!(
            err.message
                .starts_with("invalid YAML: line 4 column 1: duplicate mapping key: status"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("Options"), "{}", err.message);
        let s = split("---\nid: A\ntitle: [unclosed\nstatus: B\n---\n").expect("split");
        let err = parse_yaml(&s).expect_err("bad yaml");
        let line = err.line.expect("a line");
        assert!(err.message.contains(&format!("line {line} ")), "{err:?}");
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let (line, msg) = decode(b"---\nid: A\n\xff\n").expect_err("bad utf8");
        assert_eq!(line, 3);
        assert!(msg.contains("UTF-8"));
    }
}
