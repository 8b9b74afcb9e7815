//! A fast reader for the plain frontmatter nearly every card has, so indexing a large backlog
//! is not bound by the full YAML parser (which costs about as much as reading the file).
//!
//! It understands only an unambiguous subset: top-level `key: value` lines whose values are
//! double-quoted strings without escapes, single-quoted strings, plain words that can only be
//! strings, small decimal integers, flow lists of those, `key:` followed by a block list or by
//! a one-level map of such values. For anything else (comments, anchors, tags, block scalars,
//! booleans, `null`, floats, tabs, CR, duplicate keys, deeper nesting…) it answers `None` and
//! the caller uses the full parser, so the result is always what the full parser gives.

use serde_json::{Map, Number, Value};

use super::Fields;

/// The frontmatter's keys, or `None` when the text is not in the simple subset.
pub fn parse(yaml: &str) -> Option<Fields> {
    if yaml.contains(['\r', '\t']) {
        return None;
    }
    let mut lines = yaml.split('\n').filter(|l| !l.is_empty()).peekable();
    let mut map = Map::new();
    while let Some(line) = lines.next() {
        let (key, rest) = key_value(line)?;
        let value = if rest.is_empty() {
            nested(&mut lines)?
        } else {
            value(rest)?
        };
        if map.insert(key.to_string(), value).is_some() {
            return None; // a duplicate key: the full parser reports it
        }
    }
    Some(map)
}

/// `key: rest` or `key:` at the start of a line (no indentation), with a plain key.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let mut chars = key.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let rest = &line[colon + 1..];
    if rest.is_empty() {
        return Some((key, ""));
    }
    let rest = rest.strip_prefix(' ')?.trim_end_matches(' ');
    if rest.is_empty() || rest.starts_with(' ') {
        return None;
    }
    Some((key, rest))
}

/// The indented lines after `key:`: a block list, a one-level map, or nothing (null).
fn nested<'a>(lines: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>) -> Option<Value> {
    let Some(first) = lines.peek() else {
        return Some(Value::Null);
    };
    let indent = first.len() - first.trim_start_matches(' ').len();
    let trimmed = &first[indent..];
    if trimmed.starts_with("- ") {
        let mut items = Vec::new();
        while let Some(line) = lines.peek() {
            let Some(item) = line
                .strip_prefix(&" ".repeat(indent)[..])
                .and_then(|l| l.strip_prefix("- "))
            else {
                break;
            };
            let item = item.trim_end_matches(' ');
            if item.starts_with(' ') || item.starts_with('[') {
                return None;
            }
            items.push(scalar(item)?);
            lines.next();
        }
        // The list must end where a top-level key starts.
        return match lines.peek() {
            Some(line) if line.starts_with(' ') || line.starts_with('-') => None,
            _ => Some(Value::Array(items)),
        };
    }
    if indent == 0 {
        return Some(Value::Null);
    }
    if indent != 2 {
        return None;
    }
    let mut map = Map::new();
    while let Some(line) = lines.peek() {
        let Some(inner) = line.strip_prefix("  ") else {
            break;
        };
        let (key, rest) = key_value(inner)?;
        let value = if rest.is_empty() {
            Value::Null
        } else {
            value(rest)?
        };
        if map.insert(key.to_string(), value).is_some() {
            return None;
        }
        lines.next();
    }
    match lines.peek() {
        Some(line) if line.starts_with(' ') || line.starts_with('-') => None,
        _ => Some(Value::Object(map)),
    }
}

/// A value on the key's line: a flow list or a scalar.
fn value(text: &str) -> Option<Value> {
    match text.strip_prefix('[') {
        Some(rest) => flow_list(rest),
        None => scalar(text),
    }
}

/// The items of `[a, 'b', "c"]` (given without its `[`), which must end the line.
fn flow_list(mut rest: &str) -> Option<Value> {
    let mut items = Vec::new();
    rest = rest.trim_start_matches(' ');
    if let Some(after) = rest.strip_prefix(']') {
        return after.is_empty().then_some(Value::Array(items));
    }
    loop {
        let (item, after) = match rest.as_bytes().first()? {
            b'"' | b'\'' => {
                let quote = rest.as_bytes()[0] as char;
                let end = closing_quote(&rest[1..], quote)? + 1;
                (&rest[..=end], &rest[end + 1..])
            }
            _ => {
                let end = rest.find([',', ']'])?;
                (rest[..end].trim_end_matches(' '), &rest[end..])
            }
        };
        items.push(scalar(item)?);
        let after = after.trim_start_matches(' ');
        if let Some(after) = after.strip_prefix(']') {
            return after.is_empty().then_some(Value::Array(items));
        }
        rest = after.strip_prefix(',')?.trim_start_matches(' ');
        if rest.starts_with(']') {
            return None; // a trailing comma: leave it to the full parser
        }
    }
}

/// Byte offset (in `text`) of the quote that closes a quoted scalar.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == quote as u8 {
            if quote == '\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        if quote == '"' && bytes[i] == b'\\' {
            return None; // escapes: leave them to the full parser
        }
        i += 1;
    }
    None
}

/// One scalar that fills `text` exactly.
fn scalar(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    match bytes.first()? {
        b'"' => {
            let end = closing_quote(&text[1..], '"')? + 1;
            (end == text.len() - 1).then(|| Value::String(text[1..end].to_string()))
        }
        b'\'' => {
            let end = closing_quote(&text[1..], '\'')? + 1;
            (end == text.len() - 1).then(|| Value::String(text[1..end].replace("''", "'")))
        }
        _ => plain(text),
    }
}

/// A plain scalar that can only be read one way: `null`, a word (not a boolean keyword), a
/// date or id starting with digits, or a small decimal integer.
fn plain(text: &str) -> Option<Value> {
    if matches!(text, "null" | "Null" | "NULL" | "~") {
        return Some(Value::Null);
    }
    let safe =
        |c: char| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '/' | '(' | ')');
    if !text.chars().all(safe) || text.contains("  ") {
        return None;
    }
    let first = text.chars().next()?;
    if first.is_ascii_digit() {
        if text.bytes().all(|b| b.is_ascii_digit()) {
            if text.len() > 1 && text.starts_with('0') || text.len() > 15 {
                return None;
            }
            return text
                .parse::<i64>()
                .ok()
                .map(|n| Value::Number(Number::from(n)));
        }
        // Digits broken by a `-` that is not an exponent's (dates, uuids) never read as a
        // number; anything else starting with a digit might (1e3, 0x1F, 1_000, 1.5).
        let interior_dash = text
            .as_bytes()
            .windows(2)
            .any(|w| w[1] == b'-' && !matches!(w[0], b'e' | b'E'));
        return (interior_dash && !text.contains(' ')).then(|| Value::String(text.to_string()));
    }
    if !first.is_alphabetic() {
        return None;
    }
    const KEYWORDS: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
    ];
    if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(text)) {
        return None;
    }
    Some(Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(yaml: &str) -> Option<Fields> {
        match serde_saphyr::from_str::<Value>(yaml) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    /// Every shape the fast reader accepts reads exactly as the full parser reads it.
    #[test]
    fn agrees_with_the_full_parser() {
        let cases = [
            "id: A\ntitle: Fix the thing\nstate: InProgress\n",
            "id: KABSD-TSK-0006\nuid: 019b000a-380f-7607-844d-31cbfdd4619d\ncreated: 2026-11-11\n",
            "title: \"Render: rename 'x'\"\ntags: [\"bug\", 'it''s', plain word]\n",
            "assignee:\n  - '@heidi'\n  - bob\nlabels:\n- a\n- b\ndependencies: []\n",
            "external:\n  azure_id: null\n  jira_key: X-1\nlinks:\n  relates: []\n  blocked_by: [A-1]\n",
            "ordinal: 1000\nzero: 0\nparent:\niteration: v1.2\n",
            "a: 1-2\nb: 12-ab\nc: 2026-01-10\nd: Ärger (x)\n",
            "owner:\nnext: x\n",
            "k: []\nl: [ ]\n",
            "a: null\nb: ~\nc: Null\nd: NULL\ne: [null, x]\n",
        ];
        for yaml in cases {
            let fast = parse(yaml).unwrap_or_else(|| panic!("not simple: {yaml}"));
            assert_eq!(Some(fast), full(yaml), "{yaml}");
        }
    }

    #[test]
    fn declines_what_it_does_not_know() {
        for yaml in [
            "a: yes\n",
            "a: Y\n",
            "a: nULL\n",
            "a: 1.5\n",
            "a: 0x1F\n",
            "a: 1e3\n",
            "a: 0123\n",
            "a: 1_000\n",
            "a: x # c\n",
            "# c\na: b\n",
            "a: &x b\n",
            "a: *x\n",
            "a: !t b\n",
            "a: |\n  b\n",
            "a: \"b\\n\"\n",
            "a: b\na: c\n",
            "a: b\r\n",
            "a:\tb\n",
            "a:\n  b:\n    c: d\n",
            "a: [b, [c]]\n",
            "a: {b: c}\n",
            "a: [b,]\n",
            "a: 12:30\n",
            "'a': b\n",
            "a: b\n  c\n",
            "a:\n  - b\n  c: d\n",
            "a: 'b\n",
            "a: -1\n",
            "a: .inf\n",
            "a: 2026-01-10 10:00\n",
            "a: @b\n",
            "a:  b\n",
            "a: b  c\n",
        ] {
            if let Some(fast) = parse(yaml) {
                panic!(
                    "{yaml:?} read as {fast:?}; the full parser says {:?}",
                    full(yaml)
                );
            }
        }
    }
}
