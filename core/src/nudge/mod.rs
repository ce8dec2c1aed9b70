//! Placeholder for the `nudge` module; its issue fills it in.

use rusqlite::Transaction;

use crate::store::schema::ModuleSchema;

/// The nudge module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "nudge",
    version: 0,
    upgrade_from,
};

fn upgrade_from(_tx: &Transaction<'_>, _from: u32) -> rusqlite::Result<()> {
    Ok(())
}
