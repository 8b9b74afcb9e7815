//! The kano-agent-backlog-skill layout:
//! `_kano/backlog/products/<product>/items/<type>/<bucket>/<PFX>-<TYP>-<NNNN>_<slug>.md`.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::backlog_md::yaml_scalar;
use super::{require, walk_md, Backlog, FileStat, LayoutKind, MappingError, NewCard, NewFile};
use crate::edit::{Change, Edit};
use crate::error::UsageError;
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

/// The state older kano items start in; it comes before Proposed.
pub const LEGACY_FIRST_STATE: &str = "New";

/// Item types with their id code and folder, as kano names them.
pub const TYPES: [(&str, &str, &str); 5] = [
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

pub fn open(root: PathBuf) -> color_eyre::eyre::Result<Backlog> {
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
            let prefix = new_item_prefix(&root, &name);
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
        definition_of_done: Vec::new(),
        default_status: None,
    })
}

/// The id prefix kano's own `item create` gives a new item of `product`: the project
/// config's `[products.<product>] prefix` (`.kano/backlog_config.toml`), upper-cased, else the
/// first letters of the product name's first two words (`kano-opencode-quickstart` → `KO`).
/// kano never reads the product's own `_config/config.toml` for this, so where the two
/// disagree (the fixture's `KCC` and `KCCS`) new items get the project's prefix, as kano's do.
fn new_item_prefix(root: &Path, product: &str) -> String {
    let from_project = fs::read_to_string(root.join(".kano/backlog_config.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|t| {
            t.get("products")?
                .get(product)?
                .get("prefix")?
                .as_str()
                .map(str::to_uppercase)
        });
    from_project.unwrap_or_else(|| derive_prefix(product))
}

/// The item folders kano's `admin init` creates, each with its first bucket `0000`.
const INIT_TYPE_DIRS: [&str; 5] = ["epic", "feature", "userstory", "task", "bug"];

/// Create a kano backlog holding one product, `name`, in `root`: the project config
/// `.kano/backlog_config.toml` with its `[products.<name>]` table (kano 0.0.3 on requires it,
/// and dropped the product's own `_config/config.toml`), and the product's folders as kano's
/// `admin init` lays them out. Returns the config's root-relative path. The caller has
/// checked that `root` holds no backlog yet.
pub fn init(root: &Path, name: &str) -> color_eyre::eyre::Result<&'static str> {
    check_product_name(name)?;
    let product = format!("{PRODUCTS_DIR}/{name}");
    for dir in ["decisions", "views"] {
        super::create_dirs(root, &format!("{product}/{dir}"))?;
    }
    for kind in INIT_TYPE_DIRS {
        super::create_dirs(root, &format!("{product}/items/{kind}/0000"))?;
    }
    super::create_dirs(root, ".kano")?;
    let config = ".kano/backlog_config.toml";
    super::write_new(&root.join(config), init_config(name).as_bytes())?;
    Ok(config)
}

/// A product name is a folder name: kano refuses path separators and `..`, and a name
/// starting with `.` would be a hidden folder nobody lists.
fn check_product_name(name: &str) -> Result<(), UsageError> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\'])
        || name.contains("..");
    if bad {
        return Err(UsageError(format!(
            "`{}` cannot name a kano product: give --name a folder name without `/`, `\\` or a leading `.`",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// `.kano/backlog_config.toml` for one product, with the keys of the project configs kano's
/// documentation shows: the product's name, its id prefix (derived as kano derives it) and
/// where its backlog lives.
fn init_config(name: &str) -> String {
    let text = |s: &str| toml::Value::String(s.to_string()).to_string();
    format!(
        "# Project-level backlog configuration (kano-agent-backlog-skill), written by tack init.\n\
         \n\
         [products.{key}]\n\
         name = {name}\n\
         prefix = {prefix}\n\
         backlog_root = {root}\n",
        key = toml_key(name),
        name = text(name),
        prefix = text(&derive_prefix(name)),
        root = text(&format!("{PRODUCTS_DIR}/{name}")),
    )
}

/// A TOML key: bare when it is only letters, digits, `-` and `_`, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_string()
    } else {
        toml::Value::String(key.to_string()).to_string()
    }
}

/// kano's `derive_prefix`: the first letter of each of the first two words of the name.
fn derive_prefix(product: &str) -> String {
    let letters: String = product
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .take(2)
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "ITEM".into()
    } else {
        letters
    }
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

/// A new item as kano's `item create` writes one: in `product` (the only one when there is
/// one), of type `card.kind` (Task by default), numbered one past the largest id of its
/// prefix and type, with kano's frontmatter and body template.
pub fn new_item(
    backlog: &Backlog,
    card: &NewCard,
    status: &str,
    existing: &[String],
) -> Result<NewFile, UsageError> {
    let product = pick_product(backlog, card.product.as_deref())?;
    let (type_name, code, folder) = item_type(card.kind.as_deref())?;
    let head = format!("{}-{code}-", product.prefix);
    let number = existing
        .iter()
        .filter_map(|id| id.strip_prefix(&head)?.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let id = format!("{head}{number:04}");
    let bucket = format!("{:04}", (number / 100) * 100);
    let now = chrono::Local::now().naive_local();
    let date = now.format("%Y-%m-%d");
    let uid = uuid::Uuid::now_v7();
    let tags = if card.labels.is_empty() {
        "[]".to_string()
    } else {
        let quoted: Vec<String> = card.labels.iter().map(|l| yaml_scalar(l)).collect();
        format!("[{}]", quoted.join(", "))
    };
    let owner = match card.assignees.as_slice() {
        [] => "None".to_string(),
        [one] => yaml_scalar(one),
        many => {
            return Err(UsageError::new(format!(
                "a kano item has one owner, not {}",
                many.len()
            )))
        }
    };
    let text = format!(
        "---\nid: {id}\nuid: {uid}\ntype: {type_name}\ntitle: {}\nstate: {}\npriority: {}\nparent: null\n\
         area: general\niteration: backlog\ntags: {tags}\ncreated: {date}\nupdated: {date}\nowner: {owner}\n\
         external:\n  azure_id: null\n  jira_key: null\nlinks:\n  relates: []\n  blocks: []\n  blocked_by: []\n\
         decisions: []\n---\n\n# Context\n\n# Goal\n\n# Non-Goals\n\n# Approach\n\n# Alternatives\n\n\
         # Acceptance Criteria\n\n# Risks / Dependencies\n\n# Worklog\n\n\
         {} [agent=tack] Created item",
        title_scalar(&card.title),
        yaml_scalar(status),
        yaml_scalar(card.priority.as_deref().unwrap_or("P2")),
        now.format("%Y-%m-%d %H:%M"),
    );
    Ok(NewFile {
        path: format!(
            "{}/items/{folder}/{bucket}/{id}_{}.md",
            product.dir,
            file_slug(&card.title)
        ),
        text,
    })
}

/// The product a new item goes to: the one named, else the only one.
fn pick_product<'a>(backlog: &'a Backlog, name: Option<&str>) -> Result<&'a Product, UsageError> {
    let names = || {
        backlog
            .products
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, backlog.products.as_slice()) {
        (_, []) => Err(UsageError::new(
            "this kano backlog has no product directory to add a card to",
        )),
        (None, [only]) => Ok(only),
        (None, _) => Err(UsageError::new(format!(
            "this backlog has several products; name one ({})",
            names()
        ))),
        (Some(name), products) => products
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                UsageError::new(format!("unknown product `{name}`; products: {}", names()))
            }),
    }
}

/// kano's item type named `kind` (Task when none), matched without regard to case.
fn item_type(kind: Option<&str>) -> Result<(&'static str, &'static str, &'static str), UsageError> {
    let Some(kind) = kind else {
        return Ok(TYPES[0]);
    };
    TYPES
        .iter()
        .find(|(name, code, folder)| {
            name.eq_ignore_ascii_case(kind)
                || code.eq_ignore_ascii_case(kind)
                || folder.eq_ignore_ascii_case(kind)
        })
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = TYPES.iter().map(|t| t.0).collect();
            UsageError::new(format!(
                "unknown type `{kind}`; types: {}",
                names.join(", ")
            ))
        })
}

/// kano writes the title double-quoted, as typed; a title that double quotes cannot hold
/// as typed (a `"` or `\\`) is quoted the way tack quotes any value.
fn title_scalar(title: &str) -> String {
    if title.contains(['"', '\\']) {
        yaml_scalar(title)
    } else {
        format!("\"{title}\"")
    }
}

/// kano's file-name slug: accents folded to ASCII (NFKD), anything else not a letter or
/// digit becomes `-`, lower case, `untitled` when nothing is left.
fn file_slug(title: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let ascii: String = title.nfkd().filter(char::is_ascii).collect();
    super::slug(&ascii, 60, true)
}

/// The sections kano's Ready gate requires, in its order.
pub const READY_SECTIONS: [&str; 4] = ["Context", "Goal", "Approach", "Acceptance Criteria"];

/// The Ready-gate sections that are empty (or missing) in `body`: a section is its `# Name`
/// heading (kano reads level-one headings, and a heading that starts with the name counts)
/// up to the next level-one heading, empty when it holds only whitespace.
pub fn empty_ready_sections(body: &str) -> Vec<&'static str> {
    let mut filled: Vec<&str> = Vec::new();
    let mut current: Option<&'static str> = None;
    for line in body.lines() {
        let line = line.trim();
        if let Some(heading) = line.strip_prefix("# ") {
            current = READY_SECTIONS
                .iter()
                .find(|name| heading.trim().starts_with(**name))
                .copied();
            continue;
        }
        if let Some(name) = current {
            if !line.is_empty() && !filled.contains(&name) {
                filled.push(name);
            }
        }
    }
    READY_SECTIONS
        .iter()
        .filter(|name| !filled.contains(name))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{empty_ready_sections, is_card_name};

    #[test]
    fn ready_gate_names_the_empty_sections() {
        let body = "\n# Context\nWhy.\n\n# Goal\n\n# Approach\n  \n# Acceptance Criteria\n- [ ] works\n# Worklog\nx\n";
        assert_eq!(empty_ready_sections(body), vec!["Goal", "Approach"]);
        assert_eq!(
            empty_ready_sections("## Context\ntext\n"),
            vec!["Context", "Goal", "Approach", "Acceptance Criteria"],
            "kano reads level-one headings only"
        );
    }

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
