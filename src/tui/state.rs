//! What the board remembers between runs for one backlog (each column's sort), in the XDG
//! state directory — never in the user's tree, so it never shows in `git status`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::cards::ColumnSort;

/// `$TACK_STATE_DIR`, else `$XDG_STATE_HOME/tack` (`~/.local/state/tack`), one file per
/// backlog root, named like the index.
pub fn path(root: &Path) -> Option<PathBuf> {
    let base = std::env::var_os("TACK_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::state_dir().map(|d| d.join("tack")))?;
    let name = root
        .file_name()
        .map(|n| crate::layout::slug(&n.to_string_lossy(), 40, true))
        .unwrap_or_else(|| "root".into());
    let hash = xxhash_rust::xxh3::xxh3_64(root.to_string_lossy().as_bytes());
    Some(base.join(format!("{name}-{hash:016x}.toml")))
}

/// The column sorts saved in `file`; nothing (board order) when there is no file or it cannot
/// be read — a lost preference is not worth an error.
pub fn load(file: Option<&Path>) -> HashMap<String, ColumnSort> {
    let Some(text) = file.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return HashMap::new();
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return HashMap::new();
    };
    table
        .get("sorts")
        .and_then(toml::Value::as_table)
        .map(|sorts| {
            sorts
                .iter()
                .filter_map(|(column, sort)| {
                    Some((column.clone(), ColumnSort::from_name(sort.as_str()?)?))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Save the column sorts in `path` (temp file and rename).
pub fn save(path: &Path, sorts: &HashMap<String, ColumnSort>) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut table = toml::Table::new();
    let mut columns: Vec<(&String, &ColumnSort)> = sorts.iter().collect();
    columns.sort();
    let sorts: toml::Table = columns
        .into_iter()
        .map(|(column, sort)| (column.clone(), toml::Value::String(sort.name().into())))
        .collect();
    table.insert("sorts".into(), toml::Value::Table(sorts));
    let temp = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::write(temp.path(), table.to_string())?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
