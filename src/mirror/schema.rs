//! The mirror's schema: versioned SQL in `migrations/postgres/`, applied in order inside one
//! transaction per step, with the version recorded in `tack.schema_migrations`.
//!
//! Kept apart from the SQLite migrations: the index is a private cache rebuilt at will, the
//! mirror is a shared database other people query, so it is migrated, never dropped.

use color_eyre::eyre::{bail, eyre, Result};
use postgres::Client;

/// One schema step; the version is the `integer` column of `tack.schema_migrations`.
pub type Migration = crate::index::migrate::Migration<i32>;

/// Every mirror migration, in order. Add new ones at the end; never edit a released one.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    up: include_str!("../../migrations/postgres/0001_initial.up.sql"),
    down: include_str!("../../migrations/postgres/0001_initial.down.sql"),
}];

/// Serialises concurrent `tack mirror` runs migrating one database (any constant will do, as
/// long as it stays the same across versions).
const MIGRATION_LOCK: i64 = 0x7461_636b_0001;

pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The schema version the database is at (0 when tack never touched it).
pub fn version(client: &mut Client) -> Result<i32> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('tack.schema_migrations') IS NOT NULL",
            &[],
        )?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = client.query_one(
        "SELECT coalesce(max(version), 0) FROM tack.schema_migrations",
        &[],
    )?;
    Ok(row.get(0))
}

/// Bring the schema to `target` (up or down). Returns the steps run, as "N name up/down".
pub fn migrate_to(client: &mut Client, target: i32) -> Result<Vec<String>> {
    if target < 0 || target > latest() {
        bail!(
            "no mirror schema version {target} (this tack knows 0 to {})",
            latest()
        );
    }
    let mut done = Vec::new();
    loop {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE SCHEMA IF NOT EXISTS tack;
             CREATE TABLE IF NOT EXISTS tack.schema_migrations (
                 version    integer PRIMARY KEY,
                 name       text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );",
        )?;
        let current: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM tack.schema_migrations",
                &[],
            )?
            .get(0);
        if current > latest() {
            bail!(
                "the mirror database has schema version {current}, newer than this tack's {}; \
                 upgrade tack",
                latest()
            );
        }
        if current == target {
            tx.commit()?;
            return Ok(done);
        }
        // One step per transaction, so a failure leaves the database at a known version.
        if current < target {
            let m = step(current + 1)?;
            tx.batch_execute(m.up)
                .map_err(|e| eyre!("mirror migration {} ({}) up: {e}", m.version, m.name))?;
            tx.execute(
                "INSERT INTO tack.schema_migrations(version, name) VALUES ($1, $2)",
                &[&m.version, &m.name],
            )?;
            done.push(format!("{} {} up", m.version, m.name));
        } else {
            let m = step(current)?;
            tx.batch_execute(m.down)
                .map_err(|e| eyre!("mirror migration {} ({}) down: {e}", m.version, m.name))?;
            tx.execute(
                "DELETE FROM tack.schema_migrations WHERE version = $1",
                &[&m.version],
            )?;
            done.push(format!("{} {} down", m.version, m.name));
        }
        tx.commit()?;
    }
}

fn step(version: i32) -> Result<&'static Migration> {
    MIGRATIONS
        .iter()
        .find(|m| m.version == version)
        .ok_or_else(|| eyre!("mirror migration {version} is missing from this build"))
}
