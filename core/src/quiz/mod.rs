//! Adaptive daily quizzes with FSRS-6 spaced repetition, streaks and points.
//!
//! Placeholder: its issue fills it in.

use rusqlite::Transaction;

use crate::store::schema::ModuleSchema;

/// The quiz module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "quiz",
    version: 0,
    upgrade_from,
};

fn upgrade_from(_tx: &Transaction<'_>, _from: u32) -> rusqlite::Result<()> {
    Ok(())
}

/// Keeps the quiz's question tables in step with a catalog change, inside the catalog's transaction.
pub fn on_cards_changed(
    _tx: &Transaction<'_>,
    _upserts: &[crate::content::Card],
    _deletes: &[String],
) -> rusqlite::Result<()> {
    Ok(())
}

/// Errors of the `quiz` module.
#[derive(Debug, thiserror::Error)]
pub enum QuizError {
    /// A quiz operation failed.
    #[error("quiz: {0}")]
    Invalid(String),
}

impl crate::Microlearn {
    /// What the nudge planner needs to know about the learner's learning at `now`.
    ///
    /// Placeholder until the quiz issue fills it in: reports nothing due.
    pub fn learner_signals(
        &self,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> crate::Result<crate::nudge::LearnerSignals> {
        Ok(crate::nudge::LearnerSignals::default())
    }
}
