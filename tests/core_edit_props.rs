//! Property tests of the minimal-diff editor over random frontmatter shapes: block and flow
//! lists, single/double-quoted and bare scalars, comments, CRLF, BOM, unknown keys and nested
//! maps. A no-change save must give back the same bytes; a status change must change exactly the
//! status line and read back as the new value, with every other key as it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

use proptest::prelude::*;
use serde_json::Value;
use tack::edit::{self, Change, Edit};
use tack::item::{self, FrontmatterEnd};

/// The generated files close their frontmatter with a lone `---`, which both layouts' rules
/// read alike; the edits are checked under the stricter one.
const END: FrontmatterEnd = FrontmatterEnd::ExactDelimiter;

#[derive(Debug, Clone)]
enum Scalar {
    Bare(String),
    Single(String),
    Double(String),
}

impl Scalar {
    fn render(&self) -> String {
        match self {
            Scalar::Bare(s) => s.clone(),
            Scalar::Single(s) => format!("'{}'", s.replace('\'', "''")),
            Scalar::Double(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        }
    }
}

#[derive(Debug, Clone)]
enum Entry {
    /// `key: value  # comment`
    Scalar {
        value: Scalar,
        comment: Option<String>,
    },
    /// `key:` followed by `  - item` lines.
    Block { items: Vec<Scalar>, indent: usize },
    /// `key: [a, 'b', "c"]`
    Flow { items: Vec<Scalar> },
    /// `key:` followed by an indented map (which may hold its own `status`).
    Map {
        entries: Vec<(String, Scalar)>,
        indent: usize,
    },
    /// `key:` with no value (null).
    Empty,
    /// `key: |` / `key: >-` with indented lines.
    BlockScalar {
        indicator: String,
        lines: Vec<String>,
    },
    /// `key: {a: b, c: 'd'}`
    FlowMap { entries: Vec<(String, Scalar)> },
    /// A flow list spread over several lines.
    FlowMultiline { items: Vec<Scalar> },
    /// `key:   value   ` (extra spaces after the colon, trailing blanks, a tab before a comment).
    Spaced {
        value: Scalar,
        before: usize,
        trailing: String,
    },
}

#[derive(Debug, Clone)]
struct Doc {
    bom: bool,
    crlf: bool,
    /// With `crlf`: every other frontmatter line ends in a lone LF (a file edited on two systems).
    mixed: bool,
    /// Comment lines and blank lines before the first key.
    leading: Vec<String>,
    /// (key, entry, comment/blank lines after it).
    entries: Vec<(String, Entry, Vec<String>)>,
    status_at: usize,
    /// `None`: `status:` with no value.
    status: Option<Scalar>,
    /// Spaces after `status:` and blanks after the value.
    status_spacing: (usize, String),
    status_comment: Option<String>,
    body: String,
}

impl Doc {
    fn render(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        lines.push("---".into());
        lines.extend(self.leading.iter().cloned());
        for (i, (key, entry, after)) in self.entries.iter().enumerate() {
            if i == self.status_at {
                lines.push(self.status_line());
            }
            match entry {
                Entry::Scalar { value, comment } => {
                    let comment = comment
                        .as_ref()
                        .map(|c| format!(" # {c}"))
                        .unwrap_or_default();
                    lines.push(format!("{key}: {}{comment}", value.render()));
                }
                Entry::Block { items, indent } => {
                    lines.push(format!("{key}:"));
                    for item in items {
                        lines.push(format!("{}- {}", " ".repeat(*indent), item.render()));
                    }
                }
                Entry::Flow { items } => {
                    let items: Vec<String> = items.iter().map(Scalar::render).collect();
                    lines.push(format!("{key}: [{}]", items.join(", ")));
                }
                Entry::Map { entries, indent } => {
                    lines.push(format!("{key}:"));
                    for (sub, value) in entries {
                        lines.push(format!("{}{sub}: {}", " ".repeat(*indent), value.render()));
                    }
                }
                Entry::Empty => lines.push(format!("{key}:")),
                Entry::BlockScalar {
                    indicator,
                    lines: body,
                } => {
                    lines.push(format!("{key}: {indicator}"));
                    for line in body {
                        lines.push(if line.is_empty() {
                            String::new()
                        } else {
                            format!("  {line}")
                        });
                    }
                }
                Entry::FlowMap { entries } => {
                    let entries: Vec<String> = entries
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", v.render()))
                        .collect();
                    lines.push(format!("{key}: {{{}}}", entries.join(", ")));
                }
                Entry::FlowMultiline { items } => {
                    lines.push(format!("{key}: ["));
                    for item in items {
                        lines.push(format!("  {},", item.render()));
                    }
                    lines.push("]".into());
                }
                Entry::Spaced {
                    value,
                    before,
                    trailing,
                } => {
                    lines.push(format!(
                        "{key}:{}{}{trailing}",
                        " ".repeat(*before),
                        value.render()
                    ));
                }
            }
            lines.extend(after.iter().cloned());
        }
        if self.status_at >= self.entries.len() {
            lines.push(self.status_line());
        }
        lines.push("---".into());
        let eol = if self.crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        if self.bom {
            text.push('\u{feff}');
        }
        let last = lines.len() - 1;
        for (i, line) in lines.into_iter().enumerate() {
            text.push_str(&line);
            let lone_lf = self.mixed && i % 2 == 1 && i != last;
            text.push_str(if lone_lf { "\n" } else { eol });
        }
        text.push_str(&self.body.replace('\n', eol));
        text
    }
}

impl Doc {
    fn status_line(&self) -> String {
        let comment = self
            .status_comment
            .as_ref()
            .map(|c| format!(" # {c}"))
            .unwrap_or_default();
        let (before, trailing) = &self.status_spacing;
        match &self.status {
            Some(value) => format!(
                "status:{}{}{trailing}{comment}",
                " ".repeat(*before),
                value.render()
            ),
            None => format!("status:{trailing}{comment}"),
        }
    }
}

/// Text a bare scalar can hold and read back as a string or another plain value.
fn bare() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        "[A-Za-z][A-Za-z0-9 ._/()-]{0,16}[A-Za-z0-9]".prop_map(Scalar::Bare),
        "[A-Za-z0-9]".prop_map(Scalar::Bare),
        prop::sample::select(vec![
            "null",
            "~",
            "true",
            "no",
            "123",
            "0.5",
            "2026-01-07",
            "P2",
            "In Progress",
            "KABSD-TSK-0001",
            "019b000a-380f-7607-844d-31cbfdd4619d",
            "1e3",
            "0x1F",
        ])
        .prop_map(|s| Scalar::Bare(s.to_string())),
    ]
}

fn quoted_text() -> impl Strategy<Value = String> {
    "[ -~é€ü中]{0,20}"
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        3 => bare(),
        2 => quoted_text().prop_map(Scalar::Single),
        2 => quoted_text().prop_map(Scalar::Double),
    ]
}

fn comment() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.3, "[ -~]{0,20}")
}

fn filler_line() -> impl Strategy<Value = String> {
    prop_oneof!["#[ -~]{0,20}", Just(String::new()), "  # [ -~]{0,10}",]
}

fn entry() -> impl Strategy<Value = Entry> {
    let sub_key = prop_oneof![
        Just("status".to_string()),
        Just("blocked_by".to_string()),
        "[a-z][a-z_]{0,8}",
    ];
    prop_oneof![
        4 => (scalar(), comment()).prop_map(|(value, comment)| Entry::Scalar { value, comment }),
        2 => (prop::collection::vec(scalar(), 1..4), prop::sample::select(vec![0usize, 2, 4]))
            .prop_map(|(items, indent)| Entry::Block { items, indent }),
        2 => prop::collection::vec(scalar(), 0..4).prop_map(|items| Entry::Flow { items }),
        1 => (prop::collection::btree_map(sub_key, scalar(), 1..4), prop::sample::select(vec![2usize, 4]))
            .prop_map(|(map, indent)| Entry::Map { entries: map.into_iter().collect(), indent }),
        1 => Just(Entry::Empty),
        1 => (
            prop::sample::select(vec!["|", ">", "|-", ">+", "|2"]),
            prop::collection::vec(prop_oneof!["[A-Za-z#:'][A-Za-z#:' -]{0,19}", Just(String::new())], 1..4),
        )
            .prop_map(|(indicator, lines)| {
                let mut lines = lines;
                if lines.first().is_some_and(String::is_empty) {
                    lines[0] = "first".into();
                }
                Entry::BlockScalar { indicator: indicator.to_string(), lines }
            }),
        1 => prop::collection::btree_map("[a-z]{1,6}", scalar(), 0..3)
            .prop_map(|m| Entry::FlowMap { entries: m.into_iter().collect() }),
        1 => prop::collection::vec(scalar(), 1..3).prop_map(|items| Entry::FlowMultiline { items }),
        1 => (scalar(), 1usize..4, prop::sample::select(vec!["", "  ", "\t# tab comment", "   # c"]))
            .prop_map(|(value, before, trailing)| Entry::Spaced { value, before, trailing: trailing.to_string() }),
    ]
}

fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "id",
            "title",
            "state",
            "labels",
            "assignee",
            "created_date",
            "updated_date",
            "dependencies",
            "priority",
            "ordinal",
            "links",
            "external",
            "tags",
            "owner",
            "x-custom",
            "unknown_key",
            "nested",
            "statuses",
            "status_note",
        ])
        .prop_map(str::to_string),
        "[a-z][a-z0-9_-]{0,10}",
    ]
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        any::<bool>(),
        prop::sample::select(vec![(false, false), (true, false), (true, true)]),
        prop::collection::vec(filler_line(), 0..2),
        prop::collection::vec(
            (
                key_name(),
                entry(),
                prop::collection::vec(filler_line(), 0..2),
            ),
            0..8,
        ),
        any::<prop::sample::Index>(),
        prop::option::weighted(0.9, scalar()),
        (1usize..3, prop::sample::select(vec!["", " ", "  "])),
        comment(),
        "(\n|[ -~]{0,30}\n|# Worklog\n|---\n){0,6}",
    )
        .prop_map(
            |(
                bom,
                (crlf, mixed),
                leading,
                entries,
                at,
                status,
                (before, trailing),
                status_comment,
                body,
            )| {
                // Keys must be unique (a duplicate key is a parse error) and not `status`.
                let mut seen = std::collections::HashSet::new();
                let entries: Vec<_> = entries
                    .into_iter()
                    .filter(|(k, _, _)| k != "status" && seen.insert(k.clone()))
                    .collect();
                let status_at = at.index(entries.len() + 1);
                Doc {
                    bom,
                    crlf,
                    mixed,
                    leading,
                    entries,
                    status_at,
                    status,
                    status_spacing: (before, trailing.to_string()),
                    status_comment,
                    body,
                }
            },
        )
}

/// New status values: words, spaces, YAML-looking text, quotes, unicode.
fn new_status() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Done",
            "In Progress",
            "To Do",
            "InProgress",
            "null",
            "~",
            "true",
            "123",
            "1.0",
            "2026-01-01",
            "# not a comment",
            "a: b",
            "- item",
            "[x]",
            "{y}",
            "'quoted'",
            "\"double\"",
            "it's",
            "back\\slash",
            " leading",
            "trailing ",
            "",
            "@bob",
            "*alias",
            "&anchor",
            "!tag",
            "%directive",
            "|",
            ">",
            "?",
            "Ärger",
            "完成",
        ])
        .prop_map(str::to_string),
        "[ -~]{1,24}",
        "[A-Za-z][A-Za-z ]{0,12}",
    ]
}

fn parse(text: &str) -> serde_json::Map<String, Value> {
    let split = item::split(text).expect("the generated file splits");
    item::parse_yaml(&split).expect("the generated frontmatter parses")
}

/// Lines with their endings, so a changed line ending counts as a changed line.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

proptest! {
    // 768 cases by default; PROPTEST_CASES raises it for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(768),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_fast_frontmatter_reader_agrees_with_the_full_parser(doc in stamped_doc()) {
        let text = doc.0.render();
        let split = item::split(&text).expect("split");
        prop_assert_eq!(item::parse_yaml(&split), item::parse_yaml_full(&split));
    }

    #[test]
    fn a_no_change_save_is_byte_identical(doc in doc()) {
        let text = doc.render();
        // Only shapes that are valid YAML are interesting; the generator aims to make only those.
        let _ = parse(&text);
        let out = edit::apply(&text, &Edit::default(), END).expect("a no-change edit succeeds");
        prop_assert_eq!(out, text);
    }

    #[test]
    fn a_status_change_changes_only_the_status_line(doc in doc(), status in new_status()) {
        let text = doc.render();
        let before = parse(&text);
        let out = edit::apply(&text, &Edit::set(Change::text("status", status.clone())), END)
            .map_err(|e| TestCaseError::fail(format!("edit refused: {e:#}\n{text}")))?;
        let (old_lines, new_lines) = (lines(&text), lines(&out));
        prop_assert_eq!(old_lines.len(), new_lines.len(), "line count changed:\n{}\n=>\n{}", text, out);
        let differing: Vec<usize> = (0..old_lines.len())
            .filter(|&i| old_lines[i] != new_lines[i])
            .collect();
        let unchanged = matches!(before.get("status"), Some(Value::String(s)) if *s == status);
        if unchanged {
            prop_assert!(differing.len() <= 1, "{:?}", differing);
        } else {
            prop_assert_eq!(differing.len(), 1, "lines {:?} differ:\n{}\n=>\n{}", differing, text, out);
        }
        for i in differing {
            prop_assert!(new_lines[i].starts_with("status:"), "line {} is not the status line: {:?}", i, new_lines[i]);
            let eol = if old_lines[i].ends_with("\r\n") { "\r\n" } else { "\n" };
            prop_assert!(new_lines[i].ends_with(eol), "line ending changed: {:?} => {:?}", old_lines[i], new_lines[i]);
            if let Some(c) = &doc.status_comment {
                prop_assert!(new_lines[i].trim_end().ends_with(format!(" # {c}").trim_end()), "comment lost: {:?}", new_lines[i]);
            }
        }
        let after = parse(&out);
        prop_assert_eq!(after.get("status"), Some(&Value::String(status.clone())));
        for (key, value) in &before {
            if key != "status" {
                prop_assert_eq!(after.get(key), Some(value), "key {} changed", key);
            }
        }
        prop_assert_eq!(after.len(), before.len());
        // The body is untouched.
        prop_assert_eq!(
            item::split(&out).expect("split").body,
            item::split(&text).expect("split").body
        );
    }
    #[test]
    fn a_backlog_md_move_changes_status_and_stamps_updated_date(
        (doc, with_created, updated) in stamped_doc(),
        status in "[A-Za-z][A-Za-z ]{0,12}[a-z]",
    ) {
        let text = doc.render();
        let before = parse(&text);
        let stamp = "2026-11-24 10:00";
        let edit = Edit::set(Change::text("status", status.clone()))
            .and(Change::text("updated_date", stamp).after("created_date"));
        let out = edit::apply(&text, &edit, END)
            .map_err(|e| TestCaseError::fail(format!("edit refused: {e:#}\n{text}")))?;
        let (old_lines, mut new_lines) = (lines(&text), lines(&out));
        if updated.is_none() {
            // Exactly one line was inserted: the new `updated_date`, right after `created_date`.
            prop_assert_eq!(new_lines.len(), old_lines.len() + 1, "{}\n=>\n{}", text, out);
            let at = new_lines
                .iter()
                .position(|l| l.starts_with("updated_date:"))
                .expect("an updated_date line");
            if with_created {
                prop_assert!(at > 0 && new_lines[at - 1].starts_with("created_date:"), "{}", out);
            }
            new_lines.remove(at);
        }
        prop_assert_eq!(new_lines.len(), old_lines.len(), "{}\n=>\n{}", text, out);
        for (old, new) in old_lines.iter().zip(&new_lines) {
            if old != new {
                prop_assert!(
                    (old.starts_with("status:") && new.starts_with("status:"))
                        || (old.starts_with("updated_date:") && new.starts_with("updated_date:")),
                    "unexpected change {:?} => {:?}\n{}\n=>\n{}", old, new, text, out
                );
            }
        }
        let after = parse(&out);
        prop_assert_eq!(after.get("status"), Some(&Value::String(status)));
        prop_assert_eq!(after.get("updated_date"), Some(&Value::String(stamp.into())));
        for (key, value) in &before {
            if key != "status" && key != "updated_date" {
                prop_assert_eq!(after.get(key), Some(value), "key {} changed", key);
            }
        }
    }

}

/// A Backlog.md move: the status line changes and `updated_date` is set, or inserted right
/// after `created_date` when missing; nothing else moves.
fn stamped_doc() -> impl Strategy<Value = (Doc, bool, Option<Scalar>)> {
    (
        doc(),
        any::<prop::sample::Index>(),
        scalar(),
        prop::option::weighted(0.5, scalar()),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(
            |(mut doc, at, created, updated, updated_at, with_created)| {
                doc.entries
                    .retain(|(k, _, _)| k != "created_date" && k != "updated_date");
                doc.status_at = doc.status_at.min(doc.entries.len());
                let insert = |doc: &mut Doc, key: &str, value: Scalar, at: prop::sample::Index| {
                    let at = at.index(doc.entries.len() + 1);
                    if at <= doc.status_at {
                        doc.status_at += 1;
                    }
                    doc.entries.insert(
                        at,
                        (
                            key.to_string(),
                            Entry::Scalar {
                                value,
                                comment: None,
                            },
                            Vec::new(),
                        ),
                    );
                };
                if with_created {
                    insert(&mut doc, "created_date", created, at);
                }
                if let Some(updated) = &updated {
                    insert(&mut doc, "updated_date", updated.clone(), updated_at);
                }
                (doc, with_created, updated)
            },
        )
}

/// A few hand-picked shapes the generator may reach only rarely.
#[test]
fn status_edits_on_known_shapes() {
    let cases = [
        "---\nstatus: To Do\n---\n",
        "\u{feff}---\r\nid: A\r\nstatus: 'To Do' # c\r\nlabels: [a, 'b']\r\n---\r\nbody\r\n",
        "---\n# leading comment\nstatus: \"To Do\"\nnested:\n  status: x\n---\n",
        "---\nnested:\n  status: x\nstatus: y\n---\n",
        "---\nlabels:\n- a\n- b\nstatus: y\n# trailing comment\n---\n",
    ];
    for text in cases {
        let out = edit::apply(text, &Edit::set(Change::text("status", "In Progress")), END)
            .unwrap_or_else(|e| panic!("edit of {text:?} refused: {e:#}"));
        let (a, b) = (lines(text), lines(&out));
        assert_eq!(a.len(), b.len(), "{out:?}");
        let differing: Vec<_> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        assert_eq!(differing.len(), 1, "{text:?} => {out:?}");
        assert!(b[differing[0]].starts_with("status:"), "{out:?}");
        assert_eq!(
            parse(&out).get("status"),
            Some(&Value::String("In Progress".into()))
        );
    }
}
