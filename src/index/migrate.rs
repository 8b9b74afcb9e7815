//! A small migration runner over the versioned SQL files in `migrations/sqlite/`.
//!
//! The schema version is SQLite's `PRAGMA user_version`. Each migration has an up and a down
//! script; both run inside one transaction with the version bump, so a crash mid-migration
//! leaves the previous version intact.

use color_eyre::eyre::{bail, eyre, Result, WrapErr};
use rusqlite::Connection;

/// One schema step: version N is reached by running `up` on version N-1. Shared with the
/// PostgreSQL mirror's migrations, whose version column is an `integer` (`V = i32`).
pub struct Migration<V = i64> {
    pub version: V,
    pub name: &'static str,
    pub up: &'static str,
    pub down: &'static str,
}

/// Every SQLite migration, in order. Add new ones at the end; never edit a released one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        up: include_str!("../../migrations/sqlite/0001_initial.up.sql"),
        down: include_str!("../../migrations/sqlite/0001_initial.down.sql"),
    },
    Migration {
        version: 2,
        name: "ctime",
        up: include_str!("../../migrations/sqlite/0002_ctime.up.sql"),
        down: include_str!("../../migrations/sqlite/0002_ctime.down.sql"),
    },
];

/// The version this build of tack writes and reads.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Bring the schema to `target`, up or down, one step per IMMEDIATE transaction.
///
/// The version is read again inside every step's transaction, never once up front: two tack
/// processes opening a new index at once (a board and `tack watch`) both start at version 0,
/// and whichever waits for the lock must find the other's steps already taken, however many
/// of them, rather than fail on `table already exists` or a version it did not expect and
/// throw the first one's index away.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    if target > latest() || target < 0 {
        bail!(
            "no schema version {target} (this tack knows 0 to {})",
            latest()
        );
    }
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current = version(&tx)?;
        if current > latest() {
            bail!(
                "index schema version {current} is newer than this tack ({})",
                latest()
            );
        }
        if current == target {
            return Ok(());
        }
        let (m, sql, next, direction) = if current < target {
            let m = step(current + 1)?;
            (m, m.up, current + 1, "up")
        } else {
            let m = step(current)?;
            (m, m.down, current - 1, "down")
        };
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", next))
            .and_then(|()| tx.commit())
            .wrap_err_with(|| format!("migration {} ({}) {direction}", m.version, m.name))?;
    }
}

fn step(version: i64) -> Result<&'static Migration> {
    MIGRATIONS
        .iter()
        .find(|m| m.version == version)
        .ok_or_else(|| eyre!("no migration to schema version {version}"))
}
