//! Micro-moment search over the offline catalog.
//!
//! Placeholder: its issue fills it in.

use rusqlite::Transaction;

use crate::store::schema::ModuleSchema;

/// The search module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "search",
    version: 0,
    upgrade_from,
};

fn upgrade_from(_tx: &Transaction<'_>, _from: u32) -> rusqlite::Result<()> {
    Ok(())
}

/// Keeps the search index in step with a catalog change, inside the catalog's transaction.
pub fn on_cards_changed(
    _tx: &Transaction<'_>,
    _upserts: &[crate::content::Card],
    _deletes: &[String],
) -> rusqlite::Result<()> {
    Ok(())
}

/// Errors of the `search` module.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A search query could not be used.
    #[error("search: {0}")]
    Invalid(String),
}
