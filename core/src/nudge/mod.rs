//! Push-nudge planning: a NotificationPlan the shell hands to the OS.
//!
//! Placeholder: its issue fills it in.

pub mod signals;

pub use signals::LearnerSignals;

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

/// Errors of the `nudge` module.
#[derive(Debug, thiserror::Error)]
pub enum NudgeError {
    /// A nudge plan could not be made.
    #[error("nudge: {0}")]
    Invalid(String),
}
