//! The Backlog.md layout: `backlog/config.yml` and `backlog/tasks/<prefix>-N - Title.md`.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use color_eyre::eyre::{Result, WrapErr};
use serde::Deserialize;

use super::{require, walk_md, Backlog, FileStat, LayoutKind, MappingError, NewCard, NewFile};
use crate::edit::{Change, Edit};
use crate::item::{list_text, scalar_text, Card, Fields, Item};

pub const TASKS_DIR: &str = "backlog/tasks";

#[derive(Debug, Deserialize, Default)]
struct Config {
    #[serde(default)]
    statuses: Vec<String>,
    #[serde(default)]
    task_prefix: Option<String>,
    #[serde(default)]
    definition_of_done: Vec<String>,
    #[serde(default)]
    default_status: Option<String>,
}

pub fn open(root: PathBuf) -> Result<Backlog> {
    let path = root.join("backlog/config.yml");
    let text =
        fs::read_to_string(&path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let config: Config = serde_saphyr::from_str(&text)
        .map_err(|e| {
            color_eyre::eyre::eyre!(
                "{}",
                e.to_string()
                    .lines()
                    .next()
                    .unwrap_or("invalid YAML")
                    .to_string()
            )
        })
        .wrap_err_with(|| {
            format!(
                "cannot read the Backlog.md configuration {}",
                path.display()
            )
        })?;
    let statuses = if config.statuses.is_empty() {
        vec!["To Do".into(), "In Progress".into(), "Done".into()]
    } else {
        config.statuses
    };
    Ok(Backlog {
        root,
        kind: LayoutKind::BacklogMd,
        statuses,
        task_prefix: config.task_prefix.unwrap_or_else(|| "task".into()),
        products: Vec::new(),
        definition_of_done: config.definition_of_done,
        default_status: config.default_status,
    })
}

/// The folders Backlog.md 1.52's own `backlog init` creates under `backlog/`.
const INIT_DIRS: [&str; 9] = [
    "tasks",
    "drafts",
    "completed",
    "archive/tasks",
    "archive/drafts",
    "archive/milestones",
    "docs",
    "decisions",
    "milestones",
];

/// Create a Backlog.md backlog named `name` in `root`: the folders and `backlog/config.yml` of
/// Backlog.md's own `backlog init NAME --defaults`, so its CLI reads the backlog as one of its
/// own. Returns the config file's root-relative path. The caller has checked that `root`
/// holds no backlog yet.
pub fn init(root: &Path, name: &str) -> Result<&'static str> {
    check_project_name(name)?;
    for dir in INIT_DIRS {
        super::create_dirs(root, &format!("backlog/{dir}"))?;
    }
    let config = "backlog/config.yml";
    super::write_new(&root.join(config), init_config(name).as_bytes())?;
    Ok(config)
}

/// Backlog.md reads `project_name` by deleting every quote from the value, so a name holding
/// `"` or `\` cannot be written so that both it and a YAML reader (tack) get it back.
fn check_project_name(name: &str) -> Result<(), crate::error::UsageError> {
    if name.contains(['"', '\\']) || name.chars().any(char::is_control) {
        return Err(crate::error::UsageError(format!(
            "Backlog.md cannot keep the project name `{}` as it is: choose one without `\"`, `\\` or control characters with --name",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// `backlog/config.yml` as Backlog.md 1.52 writes it for `backlog init NAME --defaults`, key
/// for key and in its order, with the settings that would surprise a tack user turned off:
/// no auto-commit, no fetching from remotes, and no reading tasks from other branches (tack
/// shows the working tree, so Backlog.md would otherwise list cards tack does not have).
/// The name goes between double quotes as Backlog.md writes it (an apostrophe stays; Backlog.md's
/// reader drops it, as it does from a config of its own).
fn init_config(name: &str) -> String {
    format!(
        "project_name: \"{name}\"
default_status: \"To Do\"
statuses: [\"To Do\", \"In Progress\", \"Done\"]
labels: []
date_format: yyyy-mm-dd
max_column_width: 20
auto_open_browser: true
default_port: 6420
remote_operations: false
auto_commit: false
filesystem_only: false
bypass_git_hooks: false
check_active_branches: false
active_branch_days: 30
task_prefix: \"task\"
"
    )
}

pub fn list_files(backlog: &Backlog) -> Vec<FileStat> {
    walk_md(backlog, TASKS_DIR, 1, |rel| {
        rel.rsplit('/')
            .next()
            .is_some_and(|name| is_task_name(name, &backlog.task_prefix))
    })
}

/// Whether `rel` is a task file: directly in `backlog/tasks/`, named as a task.
pub fn is_item_path(backlog: &Backlog, rel: &str) -> bool {
    rel.strip_prefix("backlog/tasks/")
        .is_some_and(|name| !name.contains('/') && is_task_name(name, &backlog.task_prefix))
}

/// Whether a file in `tasks/` is a task to Backlog.md. It lists tasks with the glob
/// `<prefix>-*.md` (the configured prefix in lower case), so a `README.md` or `notes.md` kept
/// beside the tasks is not one, while `task-7.md` (no ` - Title`) is. The prefix is compared
/// without regard to case, so `RENTL-46 - X.md` counts for `task_prefix: rentl` too.
fn is_task_name(name: &str, prefix: &str) -> bool {
    let Some(stem) = name.strip_suffix(".md") else {
        return false;
    };
    let Some(head) = stem.get(..prefix.len() + 1) else {
        return false;
    };
    head.ends_with('-') && head[..prefix.len()].eq_ignore_ascii_case(prefix)
}

pub fn to_item(rel: &str, fields: Fields) -> std::result::Result<Item, MappingError> {
    let id = require(&fields, "id", "id")?;
    let title = require(&fields, "title", "title")?;
    let status = require(&fields, "status", "status")?;
    let assignees = list_text(fields.get("assignee"));
    Ok(Item {
        card: Card {
            path: rel.to_string(),
            key: id.to_uppercase(),
            id,
            title,
            status,
            kind: None,
            priority: scalar_text(fields.get("priority")),
            assignee: assignees.first().cloned(),
            assignees,
            labels: list_text(fields.get("labels")),
            parent: scalar_text(fields.get("parent_task_id"))
                .or_else(|| scalar_text(fields.get("parent"))),
            blocked_by: list_text(fields.get("dependencies")),
            product: None,
            ordinal: fields.get("ordinal").and_then(|v| v.as_f64()),
            created: scalar_text(fields.get("created_date")),
            updated: scalar_text(fields.get("updated_date")),
        },
        fields,
    })
}

/// Backlog.md stamps edits as `'YYYY-MM-DD HH:MM'` in UTC and puts `updated_date` after
/// `created_date`.
pub fn touch(_item: &Item, now: NaiveDateTime) -> Change {
    Change::text("updated_date", stamp(now)).after("created_date")
}

/// A Backlog.md date: `YYYY-MM-DD HH:MM`.
fn stamp(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

pub fn move_edit(item: &Item, status: &str, now: NaiveDateTime) -> Edit {
    Edit::set(Change::text("status", status)).and(touch(item, now))
}

/// The next free task number: one past the largest used by any task, draft or archived task,
/// so a number is never reused (Backlog.md does the same).
fn next_number(backlog: &Backlog, existing: &[String]) -> u64 {
    let prefix = backlog.task_prefix.to_lowercase();
    let number_of = |name: &str| -> Option<u64> {
        let rest = name.to_lowercase();
        let rest = rest.strip_prefix(&prefix)?.strip_prefix('-')?.to_string();
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let mut max = existing
        .iter()
        .filter_map(|id| number_of(id))
        .max()
        .unwrap_or(0);
    for dir in [
        "backlog/tasks",
        "backlog/drafts",
        "backlog/completed",
        "backlog/archive/tasks",
    ] {
        if let Ok(entries) = fs::read_dir(backlog.root.join(dir)) {
            for entry in entries.flatten() {
                if let Some(n) = number_of(&entry.file_name().to_string_lossy()) {
                    max = max.max(n);
                }
            }
        }
    }
    max + 1
}

/// A new task file as Backlog.md's `task create` writes one: `<id lower case> - <Title>.md`,
/// its keys in Backlog.md's order, `created_date` in UTC, the config's Definition of Done, and
/// an `ordinal` one step past the largest in use (none when tasks exist but none has one, as
/// Backlog.md does).
pub fn new_item(
    backlog: &Backlog,
    card: &NewCard,
    status: &str,
    existing: &[String],
    ordinals: OrdinalsInUse,
) -> NewFile {
    let n = next_number(backlog, existing);
    let id = format!("{}-{n}", backlog.task_prefix.to_uppercase());
    let now = chrono::Utc::now().naive_utc();
    let name = format!("{} - {}.md", id.to_lowercase(), file_title(&card.title));
    let mut yaml = format!(
        "id: {id}\ntitle: {}\nstatus: {}\n{}created_date: '{}'\n{}dependencies: []\n",
        yaml_scalar(&card.title),
        yaml_scalar(status),
        block_list("assignee", &card.assignees),
        stamp(now),
        block_list("labels", &card.labels),
    );
    if let Some(p) = &card.priority {
        yaml.push_str(&format!("priority: {}\n", yaml_scalar(p)));
    }
    let ordinal = match ordinals {
        OrdinalsInUse { max: Some(max), .. } => Some(max + 1000.0),
        OrdinalsInUse { cards: 0, .. } => Some(1000.0),
        OrdinalsInUse { .. } => None,
    };
    if let Some(ordinal) = ordinal {
        yaml.push_str(&format!(
            "ordinal: {}\n",
            crate::edit::format_number(ordinal)
        ));
    }
    NewFile {
        path: format!("{TASKS_DIR}/{name}"),
        text: format!(
            "---\n{yaml}---\n{}",
            definition_of_done(&backlog.definition_of_done)
        ),
    }
}

/// The ordinals of the tasks there are: the largest, and how many tasks there are at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrdinalsInUse {
    pub max: Option<f64>,
    pub cards: u64,
}

/// A list key as Backlog.md writes it: `key: []` when empty, a block list otherwise.
fn block_list(key: &str, values: &[String]) -> String {
    if values.is_empty() {
        return format!("{key}: []\n");
    }
    let items: String = values
        .iter()
        .map(|v| format!("  - {}\n", yaml_scalar(v)))
        .collect();
    format!("{key}:\n{items}")
}

/// The Definition of Done checklist a new task starts with, as Backlog.md formats it.
fn definition_of_done(items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let list: String = items
        .iter()
        .enumerate()
        .map(|(i, item)| format!("- [ ] #{} {item}\n", i + 1))
        .collect();
    format!("\n## Definition of Done\n<!-- DOD:BEGIN -->\n{list}<!-- DOD:END -->\n")
}

/// The title part of a task's file name, as Backlog.md's `sanitizeFilename` makes it: path
/// characters become `-`, punctuation it drops is dropped, whitespace becomes `-`, dashes are
/// collapsed and trimmed; every other character, non-ASCII included, is kept.
pub fn file_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars() {
        let c = match c {
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' => '-',
            '\'' | '(' | ')' | ',' | '!' | '@' | '#' | '$' | '%' | '^' | '&' | '+' | '=' | '['
            | ']' | '{' | '}' | ';' => continue,
            c if c.is_whitespace() || c.is_control() => '-',
            c => c,
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    let trimmed = out.trim_end_matches('-');
    // A name must stay within the file system's 255 bytes with the id and `.md` around it.
    let mut end = trimmed.len().min(200);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    match &trimmed[..end] {
        "" => "untitled".into(),
        name => name.trim_end_matches('-').to_string(),
    }
}

/// A string as a YAML scalar, quoted only when it has to be (`y`, `no`, `123` are quoted: our
/// reader takes them for booleans and numbers).
pub(crate) fn yaml_scalar(text: &str) -> String {
    crate::edit::new_scalar(text).to_yaml_string()
}

#[cfg(test)]
mod tests {
    use super::is_task_name;

    #[test]
    fn task_files_are_the_ones_backlog_md_globs() {
        for name in [
            "task-1 - Fix it.md",
            "task-12.3 - Sub task.md",
            "TASK-4 - Upper.md",
            "task-7.md",
            "task-renamed - By hand.md",
        ] {
            assert!(is_task_name(name, "task"), "{name}");
        }
        for name in [
            "README.md",
            "readme.md",
            "notes.md",
            "task.md",
            "tasks-1 - X.md",
            "draft-1 - X.md",
            "task-1 - X.txt",
        ] {
            assert!(!is_task_name(name, "task"), "{name}");
        }
    }

    #[test]
    fn the_configured_prefix_is_matched_without_case() {
        assert!(is_task_name("rentl-46 - X.md", "RENTL"));
        assert!(is_task_name("RENTL-46 - X.md", "rentl"));
        assert!(!is_task_name("task-46 - X.md", "RENTL"));
        assert!(!is_task_name("ré-1 - X.md", "r"));
    }
}
