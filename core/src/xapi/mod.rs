//! Placeholder for the `xapi` module; its issue fills it in.

use rusqlite::Transaction;

use crate::store::schema::ModuleSchema;

/// The xapi module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "xapi",
    version: 0,
    upgrade_from,
};

fn upgrade_from(_tx: &Transaction<'_>, _from: u32) -> rusqlite::Result<()> {
    Ok(())
}
