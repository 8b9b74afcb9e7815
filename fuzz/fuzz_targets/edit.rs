//! A status change on any frontmatter tack can read changes only the status: every other key
//! reads back equal, the BOM, delimiters and body are byte-identical; an empty edit gives the
//! text back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tack::edit::{self, Change, Edit};
use tack::item::{self, FrontmatterEnd};

/// Statuses chosen by the first input byte: plain, spaced, and ones YAML would read as
/// something else unless quoted.
const STATUSES: [&str; 10] = [
    "Done",
    "In Progress",
    "yes",
    "123",
    "a: b",
    "#hash",
    "'quoted'",
    "- dash",
    "To Do",
    "null",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    // Either layout's rule for where the frontmatter ends (Backlog.md's or kano's).
    let end = if pick & 0x40 != 0 {
        FrontmatterEnd::LineStartsWithDashes
    } else {
        FrontmatterEnd::ExactDelimiter
    };
    let Ok(split) = item::split_with(text, end) else { return };
    let Ok(old_fields) = item::parse_yaml(&split) else { return };

    // A no-change edit never changes a byte.
    if let Ok(same) = edit::apply(text, &Edit::default(), end) {
        assert_eq!(same, text, "an empty edit changed the text");
    }

    let status = STATUSES[pick as usize % STATUSES.len()];
    let mut change = Edit::set(Change::text("status", status));
    if pick & 0x80 != 0 {
        change = change.and(Change::text("updated_date", "2024-01-02 03:04").after("created_date"));
    }
    let Ok(new_text) = edit::apply(text, &change, end) else { return };
    let new_split = item::split_with(&new_text, end).expect("an edited file still splits");
    assert_eq!(new_split.bom, split.bom);
    assert_eq!(new_split.open, split.open);
    assert_eq!(new_split.close, split.close);
    assert_eq!(new_split.body, split.body, "the body changed");
    let new_fields = item::parse_yaml(&new_split).expect("an edited file still parses");
    let touched: Vec<&str> = change.changes.iter().map(|c| c.key.as_str()).collect();
    for (key, value) in &old_fields {
        if !touched.contains(&key.as_str()) {
            assert_eq!(new_fields.get(key), Some(value), "untouched key `{key}` changed");
        }
    }
    for key in new_fields.keys() {
        assert!(
            old_fields.contains_key(key) || touched.contains(&key.as_str()),
            "key `{key}` appeared"
        );
    }
    assert_eq!(
        new_fields.get("status"),
        Some(&serde_json::Value::String(status.into())),
        "the status is not what was asked"
    );
    // Applying the same edit again changes nothing more.
    let again = edit::apply(&new_text, &change, end).expect("the edit applies to its own result");
    assert_eq!(again, new_text, "the edit is not idempotent");
});
