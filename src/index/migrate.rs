//! A small migration runner over the versioned SQL files in `migrations/sqlite/`.
//!
//! The schema version is SQLite's `PRAGMA user_version`. Each migration has an up and a down
//! script; both run inside one transaction with the version bump, so a crash mid-migration
//! leaves the previous version intact.

use color_eyre::eyre::{bail, Result, WrapErr};
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

/// Bring the schema to `target`, up or down.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let current = version(conn)?;
    if target > latest() || target < 0 {
        bail!(
            "no schema version {target} (this tack knows 0 to {})",
            latest()
        );
    }
    if current > latest() {
        bail!(
            "index schema version {current} is newer than this tack ({})",
            latest()
        );
    }
    if target >= current {
        for m in MIGRATIONS
            .iter()
            .filter(|m| m.version > current && m.version <= target)
        {
            run(conn, m.up, m.version - 1, m.version)
                .wrap_err_with(|| format!("migration {} ({}) up", m.version, m.name))?;
        }
    } else {
        for m in MIGRATIONS
            .iter()
            .rev()
            .filter(|m| m.version <= current && m.version > target)
        {
            run(conn, m.down, m.version, m.version - 1)
                .wrap_err_with(|| format!("migration {} ({}) down", m.version, m.name))?;
        }
    }
    Ok(())
}

/// Take the step `from` → `new_version` unless another process already took it: two tack
/// processes opening a new index at once (a board and `tack watch`) both see version 0, and
/// the second must wait for the first (IMMEDIATE) and then find nothing to do, rather than fail
/// on `table already exists` and throw the first one's index away.
fn run(conn: &mut Connection, sql: &str, from: i64, new_version: i64) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if now == new_version {
        return Ok(());
    }
    if now != from {
        bail!("the schema version changed to {now} while migrating from {from}");
    }
    tx.execute_batch(sql)?;
    tx.pragma_update(None, "user_version", new_version)?;
    tx.commit()?;
    Ok(())
}
