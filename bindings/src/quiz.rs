//! The adaptive daily quiz across the FFI: settings, today's session, answers, progress (streaks,
//! points, badges) and topic mastery. Conversions only; FSRS-6 scheduling and session building
//! live in `microlearn_core::quiz`. Every call takes an optional `now` (default: the current
//! instant) so apps and tests can pin the clock.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use microlearn_core::quiz as mq;

use crate::{Microlearn, error::Result};

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

impl From<mq::QuizSettings> for QuizSettings {
    fn from(s: mq::QuizSettings) -> Self {
        Self {
            assigned_topics: s.assigned_topics,
            budget_seconds: s.budget_seconds,
            desired_retention: s.desired_retention,
            time_zone: s.time_zone,
            daily_goal_questions: s.daily_goal_questions,
            max_new_per_session: s.max_new_per_session,
        }
    }
}

impl From<QuizSettings> for mq::QuizSettings {
    fn from(s: QuizSettings) -> Self {
        Self {
            assigned_topics: s.assigned_topics,
            budget_seconds: s.budget_seconds,
            desired_retention: s.desired_retention,
            time_zone: s.time_zone,
            daily_goal_questions: s.daily_goal_questions,
            max_new_per_session: s.max_new_per_session,
            ..Default::default()
        }
    }
}

impl From<mq::ItemKind> for ItemKind {
    fn from(k: mq::ItemKind) -> Self {
        match k {
            mq::ItemKind::Review => Self::Review,
            mq::ItemKind::New => Self::New,
        }
    }
}

impl From<mq::SessionItem> for SessionItem {
    fn from(i: mq::SessionItem) -> Self {
        Self {
            question_id: i.question_id,
            card_id: i.card_id,
            topic: i.topic,
            stem: i.stem,
            choices: i.choices,
            multiple: i.multiple,
            kind: i.kind.into(),
            retrievability: i.retrievability,
            estimated_seconds: i.estimated_seconds,
            answered: i.answered,
        }
    }
}

impl From<mq::QuizSession> for QuizSession {
    fn from(s: mq::QuizSession) -> Self {
        Self {
            id: s.id,
            created_at: s.created_at.into(),
            budget_seconds: s.budget_seconds,
            estimated_seconds: s.estimated_seconds,
            items: s.items.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<mq::SessionSummary> for SessionSummary {
    fn from(s: mq::SessionSummary) -> Self {
        Self {
            id: s.id,
            answered: s.answered,
            correct: s.correct,
        }
    }
}

impl From<mq::Rating> for Rating {
    fn from(r: mq::Rating) -> Self {
        match r {
            mq::Rating::Again => Self::Again,
            mq::Rating::Hard => Self::Hard,
            mq::Rating::Good => Self::Good,
            mq::Rating::Easy => Self::Easy,
        }
    }
}

impl From<mq::AnswerOutcome> for AnswerOutcome {
    fn from(a: mq::AnswerOutcome) -> Self {
        Self {
            question_id: a.question_id,
            correct: a.correct,
            correct_choices: a.correct_choices,
            explanation: a.explanation,
            rating: a.rating.into(),
            predicted_recall: a.predicted_recall,
            next_due: a.next_due.into(),
            interval_days: a.interval_days,
            retired: a.retired,
            session_completed: a.session_completed.map(Into::into),
        }
    }
}

impl From<mq::Badge> for Badge {
    fn from(b: mq::Badge) -> Self {
        Self {
            id: b.id,
            name: b.name,
            earned_on: b.earned_on.to_string(),
        }
    }
}

impl From<mq::Progress> for QuizProgress {
    fn from(p: mq::Progress) -> Self {
        Self {
            today: p.today.to_string(),
            time_zone: p.time_zone,
            streak_days: p.streak_days,
            longest_streak: p.longest_streak,
            freezes_available: p.freezes_available,
            freezes_used: p.freezes_used,
            practiced_today: p.practiced_today,
            daily_goal_met: p.daily_goal_met,
            answered_today: p.answered_today,
            points_total: p.points_total,
            points_today: p.points_today,
            badges: p.badges.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<mq::TopicMastery> for TopicMastery {
    fn from(t: mq::TopicMastery) -> Self {
        Self {
            topic: t.topic,
            questions: t.questions,
            seen: t.seen,
            due: t.due,
            mastery: t.mastery,
            gap: t.gap,
            accuracy: t.accuracy,
            assigned: t.assigned,
        }
    }
}

impl From<mq::MasteryReport> for MasteryReport {
    fn from(m: mq::MasteryReport) -> Self {
        Self {
            at: m.at.into(),
            topics: m.topics.into_iter().map(Into::into).collect(),
        }
    }
}

/// `now` from the app, or the current instant.
fn instant(now: Option<SystemTime>) -> DateTime<Utc> {
    now.map(DateTime::<Utc>::from).unwrap_or_else(Utc::now)
}

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
