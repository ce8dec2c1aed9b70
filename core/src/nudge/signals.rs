//! What the nudge planner needs to know about the learner's learning, gathered by the `quiz`
//! module ([`crate::Microlearn::learner_signals`]). The contract between `quiz` and `nudge`: quiz
//! fills it, the planner reads it, neither reads the other's tables.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The learner's learning state, as of one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LearnerSignals {
    /// Quiz questions due for review now.
    pub reviews_due: u32,
    /// Current daily streak, in the learner's local days.
    pub streak_days: u32,
    /// Whether the learner already practised today (local day).
    pub practiced_today: bool,
    /// Whether today's daily goal is met (no more nudges today).
    pub daily_goal_met: bool,
    /// When the learner last finished a session.
    pub last_session_at: Option<DateTime<Utc>>,
    /// Assigned topics with cards the learner has not seen yet.
    pub new_content_topics: Vec<String>,
    /// A card the learner opened but did not finish, if any.
    pub unfinished_card: Option<String>,
}
