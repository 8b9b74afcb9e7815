//! Small facts other parts of tack keep in the index's `meta` table, read and written only here
//! so that no SQL leaves the index module.

use serde::{Deserialize, Serialize};

use super::Index;

/// The last mirror sync as seen from this machine, kept in the local index's `meta` table so
/// `tack index status` can show it without a database round trip.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LocalMetrics {
    /// The mirror URL, password redacted.
    pub mirror: String,
    pub backlog: String,
    pub last_sync_at: String,
    pub full: bool,
    pub items: u64,
    /// Rows inserted, updated or deleted by the last sync.
    pub rows_written: u64,
    /// The same, summed over every sync from this machine.
    pub rows_written_total: u64,
    pub last_sync_ms: u64,
    /// Batches that had to wait for another writer of this backlog, summed.
    pub lock_waits: u64,
    pub last_error: Option<String>,
}

const META_KEY: &str = "mirror";

/// The metrics the last mirror run left in this index, if any.
pub fn local_metrics(index: &Index) -> Option<LocalMetrics> {
    let text: String = index
        .conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            rusqlite::params![META_KEY],
            |r| r.get(0),
        )
        .ok()?;
    serde_json::from_str(&text).ok()
}

/// Best effort: metrics are a convenience, and a busy index must not stop the mirror.
pub fn save_local_metrics(index: &Index, metrics: &LocalMetrics) {
    if let Ok(text) = serde_json::to_string(metrics) {
        let _ = index.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
            rusqlite::params![META_KEY, text],
        );
    }
}
