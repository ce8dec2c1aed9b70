//! xAPI tracking: the durable offline statement queue and its flush to an LRS.
//!
//! Placeholder: its issue fills it in.

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

/// Errors of the `xapi` module.
#[derive(Debug, thiserror::Error)]
pub enum XapiError {
    /// An xAPI operation failed.
    #[error("xapi: {0}")]
    Invalid(String),
}
