//! Versioned schema migrations, one schema per module.
//!
//! *Why per module:* each capability (content, search, quiz, xapi …) owns its tables and evolves
//! them on its own; a module bumps its `version` and adds an arm to its `upgrade_from` match.
//! Versions are kept in `schema_versions(module, version)`. All upgrades run in one transaction at
//! open, so a crash mid-migration leaves the previous schema intact.

use rusqlite::{Connection, Transaction, params};

use super::StoreError;

/// The schema of one module.
pub struct ModuleSchema {
    /// Module name, the key in `schema_versions`.
    pub name: &'static str,
    /// The version this build writes.
    pub version: u32,
    /// Upgrades the module's tables from `from` to `from + 1` (0 = nothing exists yet).
    pub upgrade_from: fn(&Transaction<'_>, u32) -> rusqlite::Result<()>,
}

/// Every module schema, in the order they are migrated (a module may reference an earlier one).
pub const ALL: &[&ModuleSchema] = &[
    &crate::content::SCHEMA,
    &crate::search::SCHEMA,
    &crate::quiz::SCHEMA,
    &crate::nudge::SCHEMA,
    &crate::xapi::SCHEMA,
    &crate::network::SCHEMA,
    &crate::personal::SCHEMA,
];

/// Brings every schema in `schemas` to its current version, in one transaction.
pub fn migrate(conn: &mut Connection, schemas: &[&ModuleSchema]) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_versions (
            module  TEXT PRIMARY KEY,
            version INTEGER NOT NULL
        )",
    )?;
    for schema in schemas {
        let found: u32 = tx
            .query_row(
                "SELECT version FROM schema_versions WHERE module = ?1",
                [schema.name],
                |r| r.get(0),
            )
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(0),
                e => Err(e),
            })?;
        if found > schema.version {
            return Err(StoreError::SchemaTooNew {
                module: schema.name.to_owned(),
                found,
                supported: schema.version,
            });
        }
        for from in found..schema.version {
            (schema.upgrade_from)(&tx, from)?;
        }
        tx.execute(
            "INSERT INTO schema_versions(module, version) VALUES (?1, ?2)
             ON CONFLICT(module) DO UPDATE SET version = excluded.version",
            params![schema.name, schema.version],
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgrade(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
        match from {
            0 => tx.execute_batch("CREATE TABLE a(x)"),
            1 => tx.execute_batch("ALTER TABLE a ADD COLUMN y"),
            _ => Ok(()),
        }
    }

    #[test]
    fn upgrades_step_by_step_and_refuses_newer() {
        let mut conn = Connection::open_in_memory().expect("mem");
        let v1 = ModuleSchema {
            name: "t",
            version: 1,
            upgrade_from: upgrade,
        };
        migrate(&mut conn, &[&v1]).expect("v1");
        let v2 = ModuleSchema {
            name: "t",
            version: 2,
            upgrade_from: upgrade,
        };
        migrate(&mut conn, &[&v2]).expect("v2");
        conn.execute("INSERT INTO a(x, y) VALUES (1, 2)", [])
            .expect("y exists");
        let err = migrate(&mut conn, &[&v1]).expect_err("too new");
        assert!(matches!(
            err,
            StoreError::SchemaTooNew {
                found: 2,
                supported: 1,
                ..
            }
        ));
    }
}
