//! The one place that writes card files.
//!
//! Every edit, from the CLI or the board, comes here: re-read the file, refuse if it is not
//! what the edit was based on, apply a minimal-diff edit, write a temp file, fsync it, rename
//! it over the original, fsync the directory, keep the file's permissions, then update the
//! index row. A crash at any moment leaves either the old or the new file, never a mix.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use color_eyre::eyre::Result;

use crate::edit::{self, Edit};
use crate::index::Index;
use crate::item::{self, Item};
use crate::layout::{temp, Backlog, LayoutKind, NewFile, Parsed, ReadFile};

/// Why an edit was not written. Each variant tells the user what to do next.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path} changed on disk since it was read; not overwriting it (reload and try again)")]
    Conflict { path: String },
    #[error("{path} is read-only; nothing was changed")]
    ReadOnly { path: String },
    #[error("{path} no longer exists")]
    Gone { path: String },
    #[error("{path} already exists")]
    Exists { path: String },
    #[error("{path}: {message}")]
    Refused { path: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// A file as an edit found it and as it left it: what undo puts back, byte for byte.
#[derive(Debug, Clone)]
pub struct Written {
    pub item: Item,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
}

/// Apply `edit` to the card at `path`, which the caller read when its content hash was
/// `base_hash`. Returns the item as written, with the file's bytes before and after.
pub fn edit(
    backlog: &Backlog,
    index: &mut Index,
    path: &str,
    base_hash: &str,
    edit: &Edit,
) -> Result<Written, WriteError> {
    let abs = confined(backlog, path)?;
    let bytes = read(&abs, path)?;
    if item::content_hash(&bytes) != base_hash {
        return Err(WriteError::Conflict { path: path.into() });
    }
    let meta = fs::metadata(&abs).map_err(|source| io(path, source))?;
    if meta.permissions().mode() & 0o200 == 0 {
        return Err(WriteError::ReadOnly { path: path.into() });
    }
    let text = item::decode(&bytes).map_err(|(_, message)| refused(path, message))?;
    let new_text = edit::apply(text, edit, backlog.frontmatter_end())
        .map_err(|e| refused(path, format!("{e:#}")))?;
    if new_text == text {
        let item = parsed_item(backlog, path, &bytes)?;
        return Ok(Written {
            item,
            after: bytes.clone(),
            before: bytes,
        });
    }
    replace(
        backlog,
        &abs,
        path,
        new_text.as_bytes(),
        Some(base_hash),
        Some(meta.permissions()),
    )?;
    let after = new_text.into_bytes();
    let item = finish(backlog, index, path, after.clone())?;
    Ok(Written {
        item,
        before: bytes,
        after,
    })
}

/// Put `bytes` at `path` (or, with `None`, remove the file), provided the file is exactly as
/// `expect` says: the content with that hash, or (`None`) no file at all. This is how undo and
/// redo put back what an edit found: the whole file, byte for byte, never over a change made
/// since. The index row follows the file.
pub fn put(
    backlog: &Backlog,
    index: &mut Index,
    path: &str,
    expect: Option<&str>,
    bytes: Option<&[u8]>,
) -> Result<(), WriteError> {
    let abs = confined(backlog, path)?;
    match (expect, bytes) {
        (None, None) => return Ok(()),
        (None, Some(bytes)) => {
            if abs.exists() {
                return Err(WriteError::Exists { path: path.into() });
            }
            if let Some(dir) = abs.parent() {
                fs::create_dir_all(dir).map_err(|source| io(path, source))?;
            }
            replace(backlog, &abs, path, bytes, None, None)?;
        }
        (Some(hash), Some(bytes)) => {
            let meta = fs::metadata(&abs).map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => WriteError::Gone { path: path.into() },
                _ => io(path, source),
            })?;
            if meta.permissions().mode() & 0o200 == 0 {
                return Err(WriteError::ReadOnly { path: path.into() });
            }
            replace(
                backlog,
                &abs,
                path,
                bytes,
                Some(hash),
                Some(meta.permissions()),
            )?;
        }
        (Some(hash), None) => {
            let original = lock_unchanged(&abs, path, hash)?;
            fs::remove_file(&abs).map_err(|source| io(path, source))?;
            drop(original);
            sync_dir(abs.parent()).map_err(|source| io(path, source))?;
        }
    }
    index
        .apply_paths(backlog, &[path.to_string()])
        .map_err(|e| refused(path, format!("written, but the index update failed: {e:#}")))?;
    Ok(())
}

/// Whether the file at `path` is exactly as `expect` says (see [`put`]), without writing.
pub fn check_unchanged(
    backlog: &Backlog,
    path: &str,
    expect: Option<&str>,
) -> Result<(), WriteError> {
    let abs = confined(backlog, path)?;
    match (expect, fs::read(&abs)) {
        (None, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        (None, _) => Err(WriteError::Exists { path: path.into() }),
        (Some(_), Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(WriteError::Gone { path: path.into() })
        }
        (Some(_), Err(e)) => Err(io(path, e)),
        (Some(hash), Ok(bytes)) if item::content_hash(&bytes) == hash => Ok(()),
        (Some(_), Ok(_)) => Err(WriteError::Conflict { path: path.into() }),
    }
}

/// Create a new card file; never replaces an existing file.
pub fn create(backlog: &Backlog, index: &mut Index, file: &NewFile) -> Result<Item, WriteError> {
    let abs = confined(backlog, &file.path)?;
    if abs.exists() {
        return Err(WriteError::Exists {
            path: file.path.clone(),
        });
    }
    if let Some(dir) = abs.parent() {
        fs::create_dir_all(dir).map_err(|source| io(&file.path, source))?;
    }
    replace(backlog, &abs, &file.path, file.text.as_bytes(), None, None)?;
    finish(backlog, index, &file.path, file.text.clone().into_bytes())
}

/// Archive a card the way its layout does (see [`Backlog::archive_path`]): one rename within
/// the backlog, refused if the file changed since `base_hash` or the destination exists.
/// Returns the new root-relative path and the file's bytes (moved unchanged).
pub fn archive(
    backlog: &Backlog,
    index: &mut Index,
    path: &str,
    base_hash: &str,
) -> Result<(String, Vec<u8>), WriteError> {
    let abs = confined(backlog, path)?;
    let bytes = read(&abs, path)?;
    if item::content_hash(&bytes) != base_hash {
        return Err(WriteError::Conflict { path: path.into() });
    }
    let today = chrono::Local::now().date_naive();
    let dest = backlog
        .archive_path(path, today)
        .ok_or_else(|| refused(path, "this card is not where its layout keeps cards".into()))?;
    let dest_abs = confined(backlog, &dest)?;
    if dest_abs.exists() {
        return Err(WriteError::Exists { path: dest });
    }
    if let Some(dir) = dest_abs.parent() {
        fs::create_dir_all(dir).map_err(|source| io(&dest, source))?;
    }
    // The same lock as an edit's replace, held from the last check to the rename: an edit
    // being written now is either finished first (and this archive refuses: conflict) or
    // waits and finds the file gone, never silently archived away in its old version.
    let original = lock_unchanged(&abs, path, base_hash)?;
    fs::rename(&abs, &dest_abs).map_err(|source| io(path, source))?;
    drop(original);
    sync_dir(abs.parent()).map_err(|source| io(path, source))?;
    sync_dir(dest_abs.parent()).map_err(|source| io(&dest, source))?;
    index
        .apply_paths(backlog, &[path.to_string()])
        .map_err(|e| {
            refused(
                path,
                format!("archived, but the index update failed: {e:#}"),
            )
        })?;
    Ok((dest, bytes))
}

/// The absolute path of a root-relative path, refusing anything that would leave the root.
fn confined(backlog: &Backlog, path: &str) -> Result<PathBuf, WriteError> {
    let bad = path.is_empty()
        || path.contains('\0')
        || path.starts_with('/')
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        || path.split('/').any(|part| part.len() > 255);
    if bad {
        return Err(refused(path, "path is outside the backlog".into()));
    }
    Ok(backlog.root.join(path))
}

fn read(abs: &Path, path: &str) -> Result<Vec<u8>, WriteError> {
    fs::read(abs).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => WriteError::Gone { path: path.into() },
        _ => io(path, source),
    })
}

/// Where the temp file goes: the same directory, except for Backlog.md, whose own board
/// watches `backlog/tasks/` and takes a slow path when a temp file appears there; `backlog/` is
/// on the same file system, so the rename stays atomic.
fn temp_dir(backlog: &Backlog, abs: &Path) -> PathBuf {
    match backlog.kind {
        LayoutKind::BacklogMd => backlog.root.join("backlog"),
        LayoutKind::Kano => abs
            .parent()
            .map_or_else(|| backlog.root.clone(), Path::to_path_buf),
    }
}

/// Write `bytes` to a temp file, fsync, and rename it to `abs`. With `expect_hash`, the
/// original is checked once more just before the rename, to narrow the window in which
/// another writer's change could be overwritten.
fn replace(
    backlog: &Backlog,
    abs: &Path,
    path: &str,
    bytes: &[u8],
    expect_hash: Option<&str>,
    permissions: Option<fs::Permissions>,
) -> Result<(), WriteError> {
    let dir = temp_dir(backlog, abs);
    let mut temp = tempfile::Builder::new()
        .prefix(&temp::prefix())
        .suffix(temp::SUFFIX)
        .tempfile_in(&dir)
        .map_err(|source| io(path, source))?;
    temp.write_all(bytes).map_err(|source| io(path, source))?;
    // tempfile creates 0600; a card keeps its own mode, a new card gets the usual 0644.
    let permissions = permissions.unwrap_or_else(|| fs::Permissions::from_mode(0o644 & !umask()));
    fs::set_permissions(temp.path(), permissions).map_err(|source| io(path, source))?;
    temp.as_file()
        .sync_all()
        .map_err(|source| io(path, source))?;
    match expect_hash {
        Some(hash) => {
            let original = lock_unchanged(abs, path, hash)?;
            temp.persist(abs).map_err(|e| io(path, e.error))?;
            drop(original);
        }
        None => {
            temp.persist_noclobber(abs)
                .map_err(|e| match e.error.kind() {
                    std::io::ErrorKind::AlreadyExists => WriteError::Exists { path: path.into() },
                    _ => io(path, e.error),
                })?;
        }
    }
    sync_dir(abs.parent()).map_err(|source| io(path, source))?;
    if abs.parent() != Some(dir.as_path()) {
        sync_dir(Some(&dir)).map_err(|source| io(path, source))?;
    }
    Ok(())
}

/// Lock the file at `abs` and check, under the lock, that it still has content hash `hash`.
/// The caller holds the returned handle (the lock) until its rename is done.
///
/// Every tack writer that renames a card (an edit's replace, an archive) takes this exclusive
/// lock from its last check to its rename. Without it two writers could both pass the check
/// and the second rename would drop the first one's change (an archive moving away the version
/// from before an edit that was being written). With it the second waits, then reads the first
/// one's file, and refuses. (The lock is on the old inode: whoever waited on it re-reads the
/// path, which is the new file by then.) Programs that do not lock are still caught by the
/// hash check, with only this short window left.
fn lock_unchanged(abs: &Path, path: &str, hash: &str) -> Result<fs::File, WriteError> {
    let original = fs::File::open(abs).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => WriteError::Gone { path: path.into() },
        _ => io(path, source),
    })?;
    original.lock().map_err(|source| io(path, source))?;
    let current = read(abs, path)?;
    if item::content_hash(&current) != hash {
        return Err(WriteError::Conflict { path: path.into() });
    }
    Ok(original)
}

fn sync_dir(dir: Option<&Path>) -> std::io::Result<()> {
    match dir {
        Some(dir) => fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

fn umask() -> u32 {
    // Read without changing it: /proc reports the process umask on Linux.
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:").map(|v| v.trim().to_string()))
        })
        .and_then(|v| u32::from_str_radix(&v, 8).ok())
        .unwrap_or(0o022)
}

/// Update the index with what was just written and return the item.
fn finish(
    backlog: &Backlog,
    index: &mut Index,
    path: &str,
    bytes: Vec<u8>,
) -> Result<Item, WriteError> {
    let abs = backlog.abs(path);
    let meta = fs::metadata(&abs).map_err(|source| io(path, source))?;
    let file = ReadFile {
        stat: crate::layout::stat_of(path, &meta),
        hash: item::content_hash(&bytes),
        parsed: backlog.parse_bytes(path, &bytes),
    };
    index
        .store(&file)
        .map_err(|e| refused(path, format!("written, but the index update failed: {e:#}")))?;
    match file.parsed {
        Parsed::Item(item) => Ok(*item),
        Parsed::Problem(p) => Err(refused(
            path,
            format!("written, but it no longer reads as a card: {}", p.message),
        )),
    }
}

fn parsed_item(backlog: &Backlog, path: &str, bytes: &[u8]) -> Result<Item, WriteError> {
    match backlog.parse_bytes(path, bytes) {
        Parsed::Item(item) => Ok(*item),
        Parsed::Problem(p) => Err(refused(path, p.message)),
    }
}

fn refused(path: &str, message: String) -> WriteError {
    WriteError::Refused {
        path: path.into(),
        message,
    }
}

fn io(path: &str, source: std::io::Error) -> WriteError {
    WriteError::Io {
        path: path.into(),
        source,
    }
}
