//! The kano-agent-backlog-skill layout:
//! `_kano/backlog/products/<product>/items/<type>/<bucket>/<PFX>-<TYP>-<NNNN>_<slug>.md`.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use color_eyre::eyre::Result;
use serde::Serialize;

use super::backlog_md::yaml_scalar;
use super::{require, walk_md, Backlog, FileStat, LayoutKind, MappingError, NewFile};
use crate::edit::{Change, Edit};
use crate::item::{list_text, scalar_text, Card, Fields, Item};

pub const PRODUCTS_DIR: &str = "_kano/backlog/products";

/// kano's workflow states, in board order. Other states found in files (the legacy `New`,
/// `Draft`…) get columns after these.
pub const STATES: [&str; 8] = [
    "Proposed",
    "Planned",
    "Ready",
    "InProgress",
    "Review",
    "Blocked",
    "Done",
    "Dropped",
];

/// Item types with their id code and folder, as kano names them.
const TYPES: [(&str, &str, &str); 5] = [
    ("Task", "TSK", "task"),
    ("Bug", "BUG", "bug"),
    ("Feature", "FTR", "feature"),
    ("UserStory", "USR", "userstory"),
    ("Epic", "EPIC", "epic"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub name: String,
    /// Root-relative directory of the product (holds `items/`).
    pub dir: String,
    /// Id prefix, e.g. `KABSD`.
    pub prefix: String,
}

pub fn is_root(dir: &Path) -> bool {
    if dir.join(".kano/backlog_config.toml").is_file() {
        return true;
    }
    fs::read_dir(dir.join(PRODUCTS_DIR))
        .map(|mut entries| entries.any(|e| e.is_ok_and(|e| e.path().is_dir())))
        .unwrap_or(false)
}

pub fn open(root: PathBuf) -> Result<Backlog> {
    let mut products = Vec::new();
    if let Ok(entries) = fs::read_dir(root.join(PRODUCTS_DIR)) {
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            let dir = format!("{PRODUCTS_DIR}/{name}");
            let prefix = product_prefix(&root, &dir).unwrap_or_default();
            products.push(Product { name, dir, prefix });
        }
    }
    products.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Backlog {
        root,
        kind: LayoutKind::Kano,
        statuses: STATES.iter().map(|s| s.to_string()).collect(),
        task_prefix: String::new(),
        products,
    })
}

/// The id prefix from the product's `_config/config.toml`, else guessed from its item files.
fn product_prefix(root: &Path, dir: &str) -> Option<String> {
    let config = fs::read_to_string(root.join(dir).join("_config/config.toml")).ok();
    let from_config = config
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|t| {
            t.get("product")?
                .get("prefix")?
                .as_str()
                .map(str::to_string)
        });
    from_config.or_else(|| {
        walkdir::WalkDir::new(root.join(dir).join("items"))
            .max_depth(3)
            .into_iter()
            .flatten()
            .find_map(|e| {
                let name = e.file_name().to_str()?;
                let id = name.split('_').next()?;
                let mut parts = id.split('-');
                let prefix = parts.next()?;
                (parts.count() == 2 && name.ends_with(".md")).then(|| prefix.to_string())
            })
    })
}

/// Whether a file under `items/` is an item to kano: its `README.md` files (any case, at any
/// depth) describe a folder and its `*.index.md` files are generated views, neither an item.
fn is_card_name(name: &str) -> bool {
    name.ends_with(".md")
        && !name.ends_with(".index.md")
        && !name.starts_with('.')
        && !name.eq_ignore_ascii_case("readme.md")
}

pub fn list_files(backlog: &Backlog) -> Vec<FileStat> {
    let mut files = Vec::new();
    for product in &backlog.products {
        let items = format!("{}/items", product.dir);
        files.extend(walk_md(backlog, &items, 4, |rel| {
            rel.rsplit('/').next().is_some_and(is_card_name)
        }));
    }
    files
}

pub fn is_item_path(backlog: &Backlog, rel: &str) -> bool {
    backlog.products.iter().any(|p| {
        rel.strip_prefix(&p.dir)
            .and_then(|r| r.strip_prefix("/items/"))
            .is_some_and(|r| {
                r.split('/').all(|part| !part.starts_with('.'))
                    && r.rsplit('/').next().is_some_and(is_card_name)
            })
    })
}

fn product_of(rel: &str) -> Option<String> {
    rel.strip_prefix(PRODUCTS_DIR)?
        .strip_prefix('/')?
        .split('/')
        .next()
        .map(str::to_string)
}

pub fn to_item(rel: &str, fields: Fields) -> std::result::Result<Item, MappingError> {
    let id = require(&fields, "id", "id")?;
    let title = require(&fields, "title", "title")?;
    let status = require(&fields, "state", "state")?;
    let owner = scalar_text(fields.get("owner")).filter(|o| o != "None");
    let blocked_by = fields
        .get("links")
        .and_then(|links| links.get("blocked_by"))
        .map(|v| list_text(Some(v)))
        .unwrap_or_default();
    Ok(Item {
        card: Card {
            path: rel.to_string(),
            key: scalar_text(fields.get("uid")).unwrap_or_else(|| id.clone()),
            id,
            title,
            status,
            kind: scalar_text(fields.get("type")),
            priority: scalar_text(fields.get("priority")),
            assignee: owner.clone(),
            assignees: owner.into_iter().collect(),
            labels: list_text(fields.get("tags")),
            parent: scalar_text(fields.get("parent")),
            blocked_by,
            product: product_of(rel),
            ordinal: None,
            created: scalar_text(fields.get("created")),
            updated: scalar_text(fields.get("updated")),
        },
        fields,
    })
}

/// kano stamps `updated` with a bare date.
pub fn touch(_item: &Item, now: NaiveDateTime) -> Change {
    Change::text("updated", now.format("%Y-%m-%d").to_string())
}

/// A state change, plus the worklog line kano's own `item update-state` writes.
pub fn move_edit(item: &Item, status: &str, now: NaiveDateTime) -> Edit {
    let mut edit = Edit::set(Change::text("state", status)).and(touch(item, now));
    edit.worklog = Some(format!(
        "{} [agent=tack] State -> {status}.",
        now.format("%Y-%m-%d %H:%M")
    ));
    edit
}

/// A new Task in the first product (or `product`), numbered after the largest id of its type.
pub fn new_item(
    backlog: &Backlog,
    title: &str,
    status: &str,
    existing: &[String],
    product: Option<&str>,
) -> Result<NewFile> {
    let product = match product {
        Some(name) => backlog.products.iter().find(|p| p.name == name),
        None => backlog.products.first(),
    }
    .ok_or_else(|| {
        color_eyre::eyre::eyre!("this kano backlog has no product directory to add a card to")
    })?;
    let (type_name, code, folder) = TYPES[0];
    let prefix = if product.prefix.is_empty() {
        "ITEM"
    } else {
        &product.prefix
    };
    let head = format!("{prefix}-{code}-");
    let number = existing
        .iter()
        .filter_map(|id| id.strip_prefix(&head)?.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let id = format!("{head}{number:04}");
    let bucket = format!("{:04}", (number / 100) * 100);
    let today = chrono::Local::now().naive_local();
    let date = today.format("%Y-%m-%d");
    let uid = uuid::Uuid::now_v7();
    let text = format!(
        "---\nid: {id}\nuid: {uid}\ntype: {type_name}\ntitle: {}\nstate: {}\npriority: P2\nparent: null\n\
         area: general\niteration: null\ntags: []\ncreated: {date}\nupdated: {date}\nowner: null\n\
         external:\n  azure_id: null\n  jira_key: null\nlinks:\n  relates: []\n  blocks: []\n  blocked_by: []\n\
         decisions: []\n---\n\n# Context\n\n# Goal\n\n# Acceptance Criteria\n\n# Worklog\n\n\
         {} [agent=tack] Created item\n",
        yaml_scalar(title),
        yaml_scalar(status),
        today.format("%Y-%m-%d %H:%M"),
    );
    Ok(NewFile {
        path: format!(
            "{}/items/{folder}/{bucket}/{id}_{}.md",
            product.dir,
            super::slug(title, 60, true)
        ),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::is_card_name;

    #[test]
    fn readmes_and_index_files_are_not_items() {
        assert!(is_card_name("KABSD-TSK-0001_fix.md"));
        for name in [
            "README.md",
            "readme.md",
            "ReadMe.md",
            "bugs.index.md",
            ".hidden.md",
        ] {
            assert!(!is_card_name(name), "{name}");
        }
    }
}
