//! The quiz tables, learner settings, and keeping questions in step with the catalog.
//!
//! *Why these tables:* `quiz_reviews` is an append-only log — the source of truth for answers,
//! streaks, points and badges; nothing ever updates or deletes its rows, and it has no foreign key
//! to `quiz_questions`, so an answer outlives its card. `quiz_memory` caches each question's FSRS
//! state (rebuildable from the log). `quiz_questions` mirrors the catalog's questions; a deleted
//! card only *retires* its questions (`retired = 1`) so old answers keep their meaning.

use rusqlite::{Connection, Transaction, params};
use serde::{Deserialize, Serialize};

use super::QuizError;
use crate::store::schema::ModuleSchema;

/// The quiz module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "quiz",
    version: 1,
    upgrade_from,
};

fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match from {
        0 => tx.execute_batch(
            "CREATE TABLE quiz_questions (
                 id TEXT PRIMARY KEY,
                 card_id TEXT NOT NULL,
                 idx INTEGER NOT NULL,
                 topic TEXT NOT NULL,
                 stem TEXT NOT NULL,
                 choices_json TEXT NOT NULL,
                 correct_json TEXT NOT NULL,
                 explanation TEXT NOT NULL,
                 est_seconds INTEGER NOT NULL,
                 retired INTEGER NOT NULL DEFAULT 0
             );
             CREATE INDEX quiz_questions_card ON quiz_questions(card_id);
             CREATE INDEX quiz_questions_topic ON quiz_questions(topic, retired, card_id, idx);
             CREATE TABLE quiz_reviews (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 question_id TEXT NOT NULL,
                 card_id TEXT NOT NULL,
                 answered_ms INTEGER NOT NULL,
                 choices_json TEXT NOT NULL,
                 correct INTEGER NOT NULL,
                 response_ms INTEGER NOT NULL,
                 confidence REAL,
                 rating INTEGER NOT NULL,
                 elapsed_days REAL NOT NULL,
                 predicted_recall REAL,
                 session_id TEXT
             );
             CREATE INDEX quiz_reviews_question ON quiz_reviews(question_id, seq, correct);
             CREATE INDEX quiz_reviews_time ON quiz_reviews(answered_ms);
             CREATE TABLE quiz_memory (
                 question_id TEXT PRIMARY KEY,
                 stability REAL NOT NULL,
                 difficulty REAL NOT NULL,
                 last_review_ms INTEGER NOT NULL,
                 due_ms INTEGER NOT NULL,
                 reps INTEGER NOT NULL,
                 lapses INTEGER NOT NULL
             );
             CREATE INDEX quiz_memory_due ON quiz_memory(due_ms);
             CREATE TABLE quiz_sessions (
                 id TEXT PRIMARY KEY,
                 created_ms INTEGER NOT NULL,
                 budget_seconds INTEGER NOT NULL,
                 finished_ms INTEGER,
                 correct INTEGER NOT NULL DEFAULT 0,
                 answered INTEGER NOT NULL DEFAULT 0,
                 abandoned INTEGER NOT NULL DEFAULT 0
             );
             CREATE INDEX quiz_sessions_open ON quiz_sessions(finished_ms, created_ms);
             CREATE TABLE quiz_session_items (
                 session_id TEXT NOT NULL REFERENCES quiz_sessions(id),
                 position INTEGER NOT NULL,
                 question_id TEXT NOT NULL,
                 kind TEXT NOT NULL,
                 answered_seq INTEGER,
                 PRIMARY KEY (session_id, position)
             );
             CREATE INDEX quiz_session_items_q ON quiz_session_items(question_id, answered_seq);
             CREATE TABLE quiz_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        ),
        _ => Ok(()),
    }
}

/// The learner's quiz settings, kept in SQLite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuizSettings {
    /// Topics the learner is assigned; new questions come only from these (all topics if empty).
    pub assigned_topics: Vec<String>,
    /// Default time budget of a daily session, in seconds.
    pub budget_seconds: u32,
    /// Target probability of recall when a review falls due (FSRS desired retention).
    pub desired_retention: f32,
    /// IANA time zone of the learner's local day (streaks, "today").
    pub time_zone: String,
    /// Questions to answer in a local day to meet the daily goal (or finish a session).
    pub daily_goal_questions: u32,
    /// Most new questions in one session.
    pub max_new_per_session: u32,
}

impl Default for QuizSettings {
    fn default() -> Self {
        Self {
            assigned_topics: vec![],
            budget_seconds: 240,
            desired_retention: 0.9,
            time_zone: "UTC".into(),
            daily_goal_questions: 5,
            max_new_per_session: 8,
        }
    }
}

impl QuizSettings {
    /// Checks ranges and the time-zone name.
    pub fn validate(&self) -> Result<(), QuizError> {
        self.tz()?;
        if !(0.7..=0.99).contains(&self.desired_retention) {
            return Err(QuizError::InvalidSetting(format!(
                "desired_retention {} is outside 0.70–0.99",
                self.desired_retention
            )));
        }
        if !(30..=3600).contains(&self.budget_seconds) {
            return Err(QuizError::InvalidSetting(format!(
                "budget_seconds {} is outside 30–3600",
                self.budget_seconds
            )));
        }
        if self.daily_goal_questions == 0 || self.max_new_per_session > 100 {
            return Err(QuizError::InvalidSetting(
                "daily_goal_questions must be ≥ 1 and max_new_per_session ≤ 100".into(),
            ));
        }
        Ok(())
    }

    /// The parsed time zone, resolved against the OS time-zone database ([`crate::nudge::Zone`]).
    pub fn tz(&self) -> Result<crate::nudge::Zone, QuizError> {
        crate::nudge::Zone::get(&self.time_zone)
            .map_err(|e| QuizError::InvalidSetting(e.to_string()))
    }
}

pub(crate) fn get_setting(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    crate::store::settings::get(conn, "quiz_settings", key)
}

pub(crate) fn set_setting(tx: &Transaction<'_>, key: &str, value: &str) -> rusqlite::Result<()> {
    crate::store::settings::put(tx, "quiz_settings", key, value)
}

/// The stored settings, or the defaults.
pub(crate) fn load_settings(conn: &Connection) -> crate::Result<QuizSettings> {
    match get_setting(conn, "settings")? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| QuizError::Corrupt(format!("settings: {e}")).into()),
        None => Ok(QuizSettings::default()),
    }
}

/// The stored per-learner FSRS parameters, or `None` for the defaults.
pub(crate) fn load_parameters(conn: &Connection) -> crate::Result<Option<Vec<f32>>> {
    match get_setting(conn, "fsrs_parameters")? {
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| QuizError::Corrupt(format!("fsrs_parameters: {e}")).into()),
        None => Ok(None),
    }
}

/// Estimated seconds to read and answer a question: ~3.5 words a second plus a fixed 4 s.
pub fn estimate_seconds(stem: &str, choices: &[String]) -> u32 {
    let words = stem.split_whitespace().count()
        + choices
            .iter()
            .map(|c| c.split_whitespace().count())
            .sum::<usize>();
    (4 + (words as u32 * 2) / 7).clamp(6, 90)
}

/// Keeps `quiz_questions` in step with a catalog change, inside the catalog's transaction.
///
/// A question's id is the card model's question id. An upserted card's questions are (re)written
/// and any question it no longer has is retired; a deleted card's questions are retired. Review
/// history is never touched.
pub fn on_cards_changed(
    tx: &Transaction<'_>,
    upserts: &[crate::content::Card],
    deletes: &[String],
) -> rusqlite::Result<()> {
    let mut retire =
        tx.prepare_cached("UPDATE quiz_questions SET retired = 1 WHERE card_id = ?1")?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO quiz_questions
             (id, card_id, idx, topic, stem, choices_json, correct_json, explanation, est_seconds,
              retired)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)
         ON CONFLICT(id) DO UPDATE SET card_id = excluded.card_id, idx = excluded.idx,
             topic = excluded.topic, stem = excluded.stem, choices_json = excluded.choices_json,
             correct_json = excluded.correct_json, explanation = excluded.explanation,
             est_seconds = excluded.est_seconds, retired = 0",
    )?;
    // Whether any question exists at all: lets a large first import of question-less cards skip
    // the per-card retire lookups.
    let any: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM quiz_questions)", [], |r| {
        r.get(0)
    })?;
    for card in upserts {
        if any {
            retire.execute([&card.id])?;
        }
        let topic = card.topics.first().map(String::as_str).unwrap_or("general");
        for (i, q) in card.questions.iter().enumerate() {
            let choices = serde_json::to_string(&q.choices).unwrap_or_else(|_| "[]".into());
            let correct = serde_json::to_string(&q.correct).unwrap_or_else(|_| "[]".into());
            upsert.execute(params![
                q.id,
                card.id,
                i as i64,
                topic,
                q.stem,
                choices,
                correct,
                q.explanation,
                estimate_seconds(&q.stem, &q.choices),
            ])?;
        }
    }
    if any {
        for id in deletes {
            retire.execute([id])?;
        }
    }
    Ok(())
}

impl crate::Microlearn {
    /// The learner's quiz settings (defaults until set).
    pub fn quiz_settings(&self) -> crate::Result<QuizSettings> {
        self.store().read(load_settings)
    }

    /// Validates and stores the learner's quiz settings.
    pub fn set_quiz_settings(&self, settings: &QuizSettings) -> crate::Result<()> {
        settings.validate()?;
        let json = serde_json::to_string(settings)
            .map_err(|e| QuizError::InvalidSetting(e.to_string()))?;
        self.store().write(|tx| {
            set_setting(tx, "settings", &json)?;
            Ok(())
        })
    }
}
