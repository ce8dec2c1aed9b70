//! The nudge module's tables.
//!
//! - `nudge_settings(key, value)`: the learner's [`super::Schedule`], [`super::NudgePrefs`] and
//!   [`super::Platform`], as JSON (small, read whole, evolve with serde defaults).
//! - `nudge_log`: every planned nudge still ahead, and every one whose window has started (then
//!   it was delivered: the shell schedules what the plan says), with the learner's response.
//!   Re-planning replaces the rows still ahead and unanswered; the past is the history the
//!   caps, back-off and bandit read. Rows planned while the clock had gone backwards are
//!   `tentative`: not history unless answered (see `prefs.rs`).

use rusqlite::Transaction;

use crate::store::schema::ModuleSchema;

/// The nudge module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "nudge",
    version: 1,
    upgrade_from,
};

fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match from {
        0 => tx.execute_batch(
            "CREATE TABLE nudge_settings (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            CREATE TABLE nudge_log (
                id           TEXT PRIMARY KEY,
                category     TEXT NOT NULL,
                local_date   TEXT NOT NULL,
                fire_start   INTEGER NOT NULL,
                fire_end     INTEGER NOT NULL,
                outcome      TEXT CHECK (outcome IN ('opened', 'ignored')),
                responded_at INTEGER,
                tentative    INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX nudge_log_fire ON nudge_log(fire_start);",
        ),
        _ => Ok(()),
    }
}
