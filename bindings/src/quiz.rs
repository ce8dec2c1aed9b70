//! The adaptive daily quiz across the FFI: settings, today's session, answers, progress (streaks,
//! points, badges) and topic mastery. Conversions only; FSRS-6 scheduling and session building
//! live in `microlearn_core::quiz`. Every call takes an optional `now` (default: the current
//! instant) so apps and tests can pin the clock.

use std::time::SystemTime;

use microlearn_core::quiz as mq;

use crate::{
    Microlearn,
    convert::{instant, into, mirror, opt, text, vec},
    error::Result,
};

/// The learner's quiz settings.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QuizSettings {
    /// Topics the learner is assigned; new questions come only from these (all if empty).
    pub assigned_topics: Vec<String>,
    /// Default time budget of a daily session, in seconds.
    pub budget_seconds: u32,
    /// Target probability of recall when a review falls due (FSRS desired retention).
    pub desired_retention: f32,
    /// IANA time zone of the learner's local day (streaks, "today").
    pub time_zone: String,
    /// Questions to answer in a local day to meet the daily goal.
    pub daily_goal_questions: u32,
    /// Most new questions in one session.
    pub max_new_per_session: u32,
}

/// Why a question is in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ItemKind {
    /// A review that fell due.
    Review,
    /// A question the learner has not seen.
    New,
}

/// One question of a session (the correct answer is not included: it comes with the answer).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SessionItem {
    /// The question's id.
    pub question_id: String,
    /// The card it belongs to.
    pub card_id: String,
    /// Its topic.
    pub topic: String,
    /// The question.
    pub stem: String,
    /// The answer choices.
    pub choices: Vec<String>,
    /// Whether more than one choice is correct.
    pub multiple: bool,
    /// Review or new.
    pub kind: ItemKind,
    /// Predicted probability of recall now (reviews only).
    pub retrievability: Option<f32>,
    /// Estimated time to answer, in seconds.
    pub estimated_seconds: u32,
    /// Whether it was answered already.
    pub answered: bool,
}

/// Today's quiz session.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QuizSession {
    /// The session's id.
    pub id: String,
    /// When it was built.
    pub created_at: SystemTime,
    /// The time budget it was fitted to, in seconds.
    pub budget_seconds: u32,
    /// The estimated time of its questions, in seconds.
    pub estimated_seconds: u32,
    /// Its questions, in order.
    pub items: Vec<SessionItem>,
}

/// A finished session.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SessionSummary {
    /// The session's id.
    pub id: String,
    /// Questions answered.
    pub answered: u32,
    /// Of those, correct.
    pub correct: u32,
}

/// The FSRS rating an answer was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Rating {
    /// Forgot (wrong answer).
    Again,
    /// Remembered with difficulty.
    Hard,
    /// Remembered.
    Good,
    /// Remembered effortlessly.
    Easy,
}

/// What an answer did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AnswerOutcome {
    /// The question.
    pub question_id: String,
    /// Whether the answer was right.
    pub correct: bool,
    /// The correct choices.
    pub correct_choices: Vec<u32>,
    /// The explanation to show.
    pub explanation: String,
    /// The FSRS rating derived from correctness and time.
    pub rating: Rating,
    /// The recall probability predicted before this answer (reviews only).
    pub predicted_recall: Option<f32>,
    /// When the question is due next.
    pub next_due: SystemTime,
    /// The new interval, in days.
    pub interval_days: f32,
    /// Whether the question was retired (its card left the catalog).
    pub retired: bool,
    /// Set when this answer finished the session.
    pub session_completed: Option<SessionSummary>,
}

/// A badge the learner earned.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Badge {
    /// Stable id, e.g. `streak-7`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Local day it was earned (`YYYY-MM-DD`).
    pub earned_on: String,
}

/// The learner's progress.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuizProgress {
    /// The learner's local day (`YYYY-MM-DD`).
    pub today: String,
    /// The time zone of that day.
    pub time_zone: String,
    /// Current streak, in local days.
    pub streak_days: u32,
    /// Longest streak.
    pub longest_streak: u32,
    /// Streak freezes available.
    pub freezes_available: u32,
    /// Streak freezes used.
    pub freezes_used: u32,
    /// Whether the learner practised today.
    pub practiced_today: bool,
    /// Whether today's goal is met.
    pub daily_goal_met: bool,
    /// Questions answered today.
    pub answered_today: u32,
    /// Points in total.
    pub points_total: u64,
    /// Points today.
    pub points_today: u64,
    /// Badges earned.
    pub badges: Vec<Badge>,
}

/// Mastery of one topic.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TopicMastery {
    /// The topic.
    pub topic: String,
    /// Questions in it.
    pub questions: u32,
    /// Questions seen.
    pub seen: u32,
    /// Questions due.
    pub due: u32,
    /// Mastery, 0..1.
    pub mastery: f32,
    /// Knowledge gap, 0..1.
    pub gap: f32,
    /// Share of correct answers, if any.
    pub accuracy: Option<f32>,
    /// Whether the learner is assigned this topic.
    pub assigned: bool,
}

/// Mastery of every topic at one instant.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MasteryReport {
    /// When.
    pub at: SystemTime,
    /// The topics.
    pub topics: Vec<TopicMastery>,
}

mirror!(struct mq::QuizSettings { .. } <=> QuizSettings {
    assigned_topics,
    budget_seconds,
    desired_retention,
    time_zone,
    daily_goal_questions,
    max_new_per_session,
});
mirror!(enum mq::ItemKind => ItemKind { Review, New });
mirror!(struct mq::SessionItem => SessionItem {
    question_id,
    card_id,
    topic,
    stem,
    choices,
    multiple,
    kind: into,
    retrievability,
    estimated_seconds,
    answered,
});
mirror!(struct mq::QuizSession => QuizSession {
    id,
    created_at: into,
    budget_seconds,
    estimated_seconds,
    items: vec,
});
mirror!(struct mq::SessionSummary => SessionSummary { id, answered, correct });
mirror!(enum mq::Rating => Rating { Again, Hard, Good, Easy });
mirror!(struct mq::AnswerOutcome => AnswerOutcome {
    question_id,
    correct,
    correct_choices,
    explanation,
    rating: into,
    predicted_recall,
    next_due: into,
    interval_days,
    retired,
    session_completed: opt,
});
mirror!(struct mq::Badge => Badge { id, name, earned_on: text });
mirror!(struct mq::Progress => QuizProgress {
    today: text,
    time_zone,
    streak_days,
    longest_streak,
    freezes_available,
    freezes_used,
    practiced_today,
    daily_goal_met,
    answered_today,
    points_total,
    points_today,
    badges: vec,
});
mirror!(struct mq::TopicMastery => TopicMastery {
    topic,
    questions,
    seen,
    due,
    mastery,
    gap,
    accuracy,
    assigned,
});
mirror!(struct mq::MasteryReport => MasteryReport { at: into, topics: vec });

#[uniffi::export]
impl Microlearn {
    /// The learner's quiz settings (defaults until set).
    pub fn quiz_settings(&self) -> Result<QuizSettings> {
        Ok(self.core()?.quiz_settings()?.into())
    }

    /// Saves the learner's quiz settings (validated: time zone, retention, budget).
    pub fn set_quiz_settings(&self, settings: QuizSettings) -> Result<()> {
        Ok(self.core()?.set_quiz_settings(&settings.into())?)
    }

    /// Today's session: due reviews first, then new questions by knowledge gap, fitted to
    /// `budget_seconds` (default: the settings'). Returns the open session if there is one.
    #[uniffi::method(default(budget_seconds = None, now = None))]
    pub fn daily_session(
        &self,
        budget_seconds: Option<u32>,
        now: Option<SystemTime>,
    ) -> Result<QuizSession> {
        Ok(self
            .core()?
            .daily_session(budget_seconds, instant(now))?
            .into())
    }

    /// What `daily_session` would build, without starting it.
    #[uniffi::method(default(budget_seconds = None, now = None))]
    pub fn preview_session(
        &self,
        budget_seconds: Option<u32>,
        now: Option<SystemTime>,
    ) -> Result<QuizSession> {
        Ok(self
            .core()?
            .preview_session(budget_seconds, instant(now))?
            .into())
    }

    /// Answers a question with the chosen choice indexes, after `response_ms`; updates its FSRS
    /// schedule, progress and emits the xAPI statement in one transaction.
    #[uniffi::method(default(confidence = None, now = None))]
    pub fn answer(
        &self,
        question_id: String,
        choices: Vec<u32>,
        response_ms: u32,
        confidence: Option<f32>,
        now: Option<SystemTime>,
    ) -> Result<AnswerOutcome> {
        Ok(self
            .core()?
            .answer(
                &question_id,
                &choices,
                response_ms,
                confidence,
                instant(now),
            )?
            .into())
    }

    /// Streaks, points and badges as of `now`.
    #[uniffi::method(default(now = None))]
    pub fn quiz_progress(&self, now: Option<SystemTime>) -> Result<QuizProgress> {
        Ok(self.core()?.progress(instant(now))?.into())
    }

    /// Per-topic mastery and knowledge gaps as of `now`.
    #[uniffi::method(default(now = None))]
    pub fn mastery(&self, now: Option<SystemTime>) -> Result<MasteryReport> {
        Ok(self.core()?.mastery(instant(now))?.into())
    }
}
