//! tack's temp files in the backlog tree: how they are named, so the walk, the watcher and the
//! next run can tell them from cards and remove a crashed writer's leftovers.

use std::fs;
use std::path::Path;

use super::{Backlog, LayoutKind};

/// Temp files are named `.tack-<pid>-<random>.tmp`, so a later run can tell a crashed
/// writer's leftovers from a live one's.
const PREFIX: &str = ".tack-";
pub const SUFFIX: &str = ".tmp";

/// The start of this process's temp file names (the random part follows).
pub fn prefix() -> String {
    format!("{PREFIX}{}-", std::process::id())
}

/// Remove `path` if it is a temp file of a tack process that no longer runs.
pub fn remove_if_stale(path: &Path) {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    if let Some(pid) = temp_owner(name) {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(path);
        }
    }
}

fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    rest.split('-').next()?.parse().ok()
}

/// Whether a file name is one of tack's temp files (the watcher ignores them).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(PREFIX) && name.ends_with(SUFFIX)
}

/// Remove temp files left by writers that were killed mid-write (their pid is gone) where the
/// layout's walk of the card folders does not see them: Backlog.md's `backlog/` folder. The
/// walk ([`Backlog::list_files`]) removes those beside the cards.
pub fn clean_stale_temps(backlog: &Backlog) {
    if backlog.kind != LayoutKind::BacklogMd {
        return;
    }
    let Ok(entries) = fs::read_dir(backlog.root.join("backlog")) else {
        return;
    };
    for entry in entries.flatten() {
        remove_if_stale(&entry.path());
    }
}
