//! Adaptive daily quizzes with FSRS-6 spaced repetition, streaks, points and badges.
//!
//! *Why this shape:* store staff answer a few questions at the start of each shift, offline. Every
//! answer is appended to a review log ([`schema`]) that is never rewritten, so answers survive
//! restarts, catalog syncs and deleted cards; everything else — the per-question FSRS memory state,
//! topic mastery, streaks, points and badges — is derived from that log (the memory state is a
//! cache kept in step in the answer's transaction). Questions come from catalog cards and are kept
//! in step by [`on_cards_changed`] inside the catalog's transaction.
//!
//! - [`scheduler`]: the FSRS-6 model (the `fsrs` crate) and the answer → rating mapping.
//! - [`session`]: `daily_session` (due reviews first, then new questions by knowledge gap, fitted
//!   to a time budget) and `answer`.
//! - [`mastery`]: per-topic mastery and knowledge gap.
//! - [`progress`]: streaks (learner's local day, freezes), points, badges.
//! - [`sim`]: a simulation of many learners with a known true recall model.

pub mod mastery;
pub mod progress;
pub mod scheduler;
pub mod schema;
pub mod session;
pub mod sim;

pub use mastery::{MasteryReport, TopicMastery};
pub use progress::{Badge, Progress};
pub use scheduler::{MIN_REVIEWS_TO_OPTIMIZE, OptimizeReport, Rating, Scheduler};
pub use schema::{QuizSettings, SCHEMA, on_cards_changed};
pub use session::{AnswerOutcome, ItemKind, QuizSession, SessionItem, SessionSummary};
pub use sim::{SimConfig, SimReport};

use chrono::{DateTime, Utc};

/// Errors of the `quiz` module.
#[derive(Debug, thiserror::Error)]
pub enum QuizError {
    /// No question with this id was ever imported.
    #[error("unknown question id {0:?}")]
    UnknownQuestion(String),
    /// The answer named no choice, or a choice the question does not have.
    #[error(
        "question {question_id:?}: invalid choice(s) {choices:?} (the question has {count} choices)"
    )]
    InvalidChoice {
        /// The question.
        question_id: String,
        /// The choices given.
        choices: Vec<u32>,
        /// How many choices the question has.
        count: usize,
    },
    /// A setting is out of range or malformed (time zone, retention, budget).
    #[error("invalid quiz setting: {0}")]
    InvalidSetting(String),
    /// The FSRS model rejected its parameters or input.
    #[error("FSRS: {0}")]
    Fsrs(String),
    /// Stored quiz data could not be decoded (a bug or a corrupted database).
    #[error("corrupt quiz data: {0}")]
    Corrupt(String),
    /// Per-learner optimisation needs more review history.
    #[error("not enough reviews to optimise FSRS parameters: {have} of {need}")]
    NotEnoughReviews {
        /// Reviews in the log.
        have: u64,
        /// Reviews needed.
        need: u64,
    },
}

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 86_400_000;

pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

impl crate::Microlearn {
    /// What the nudge planner needs to know about the learner's learning at `now`: reviews due,
    /// streak, whether the learner practised / met the daily goal today (local day), the last
    /// finished session, assigned topics with unseen questions, and an unfinished session's next
    /// card.
    pub fn learner_signals(
        &self,
        now: DateTime<Utc>,
    ) -> crate::Result<crate::nudge::LearnerSignals> {
        let progress = self.progress(now)?;
        self.store().read(|conn| {
            let settings = schema::load_settings(conn)?;
            let now_ms = to_ms(now);
            let reviews_due: i64 = conn.query_row(
                "SELECT count(*) FROM quiz_memory m JOIN quiz_questions q ON q.id = m.question_id
                 WHERE q.retired = 0 AND m.due_ms <= ?1",
                [now_ms],
                |r| r.get(0),
            )?;
            let last_session_at: Option<i64> = conn.query_row(
                "SELECT max(finished_ms) FROM quiz_sessions WHERE abandoned = 0 AND answered > 0",
                [],
                |r| r.get(0),
            )?;
            let unfinished_card: Option<String> = conn
                .query_row(
                    "SELECT q.card_id FROM quiz_sessions s
                     JOIN quiz_session_items i ON i.session_id = s.id
                     JOIN quiz_questions q ON q.id = i.question_id
                     WHERE s.finished_ms IS NULL AND i.answered_seq IS NULL AND q.retired = 0
                     ORDER BY s.created_ms DESC, i.position LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .ok();
            let mut new_content_topics = vec![];
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT q.topic FROM quiz_questions q
                 WHERE q.retired = 0
                   AND NOT EXISTS (SELECT 1 FROM quiz_memory m WHERE m.question_id = q.id)
                 ORDER BY q.topic",
            )?;
            let topics = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for t in topics {
                let t = t?;
                if settings.assigned_topics.is_empty() || settings.assigned_topics.contains(&t) {
                    new_content_topics.push(t);
                }
            }
            Ok::<_, crate::Error>(crate::nudge::LearnerSignals {
                reviews_due: reviews_due.max(0) as u32,
                streak_days: progress.streak_days,
                practiced_today: progress.practiced_today,
                daily_goal_met: progress.daily_goal_met,
                last_session_at: last_session_at.map(from_ms),
                new_content_topics,
                unfinished_card,
            })
        })
    }
}
