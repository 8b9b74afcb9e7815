//! Any bytes given to the frontmatter split, the YAML read and both layouts' parse must give
//! a card or a problem, never a panic; and the fast frontmatter reader must agree with the full
//! YAML parser whenever it accepts the text.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use tack::item;
use tack::layout::{kano::Product, Backlog, LayoutKind, Parsed};

fn backlog(kind: LayoutKind) -> Backlog {
    Backlog {
        root: PathBuf::from("/nonexistent-fuzz-root"),
        kind,
        statuses: vec!["To Do".into(), "In Progress".into(), "Done".into()],
        task_prefix: "task".into(),
        products: vec![Product {
            name: "p".into(),
            dir: "_kano/backlog/products/p".into(),
            prefix: "P".into(),
        }],
    }
}

fuzz_target!(|data: &[u8]| {
    for (kind, rel) in [
        (LayoutKind::BacklogMd, "backlog/tasks/task-1 - x.md"),
        (LayoutKind::Kano, "_kano/backlog/products/p/items/task/0000/P-TSK-0001_x.md"),
    ] {
        match backlog(kind).parse_bytes(rel, data) {
            Parsed::Item(item) => assert_eq!(item.card.path, rel),
            Parsed::Problem(p) => {
                assert_eq!(p.path, rel);
                assert!(!p.message.is_empty());
            }
        }
    }
    let Ok(text) = item::decode(data) else { return };
    let Ok(split) = item::split(text) else { return };
    // The split keeps every byte.
    assert_eq!(
        format!("{}{}{}{}{}", split.bom, split.open, split.yaml, split.close, split.body),
        text
    );
    let fast = item::parse_yaml(&split);
    let full = item::parse_yaml_full(&split);
    if let (Ok(fast), Ok(full)) = (&fast, &full) {
        assert_eq!(fast, full, "the fast reader and the full parser disagree");
    }
});
