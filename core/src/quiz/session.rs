//! Today's session and answering a question.
//!
//! *Why due-first:* a review that is due is the cheapest way to keep what was learned; new
//! questions come after, from the assigned topics with the largest knowledge gap, so the session
//! fits the 3–5 minutes a shift allows. The selection itself ([`fit`]) is a pure function shared
//! with the simulation ([`super::sim`]), so what the simulation measures is what learners get.

use chrono::{DateTime, Utc};
use fsrs::MemoryState;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{DAY_MS, QuizError, Rating, Scheduler, from_ms, mastery, schema, to_ms};
use crate::xapi::{self, model::StatementObject};

/// Why a question is in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A review that fell due.
    Review,
    /// A question the learner has not seen.
    New,
}

impl ItemKind {
    fn as_str(self) -> &'static str {
        match self {
            ItemKind::Review => "review",
            ItemKind::New => "new",
        }
    }
}

/// A due review, as the selection sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DueCandidate {
    /// Caller's key.
    pub key: usize,
    /// Current probability of recall.
    pub retrievability: f32,
    /// Estimated seconds.
    pub est_seconds: u32,
}

/// A new question, as the selection sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewCandidate {
    /// Caller's key.
    pub key: usize,
    /// Knowledge gap (0–1) of the question's topic.
    pub topic_gap: f32,
    /// Catalog order within the topic.
    pub order: usize,
    /// Estimated seconds.
    pub est_seconds: u32,
}

/// Picks today's questions: due reviews by lowest retrievability, then up to `max_new` new
/// questions by largest topic gap (catalog order within a topic), while the estimated time fits
/// `budget_seconds`. Always returns at least one question when there is any.
pub fn fit(
    mut due: Vec<DueCandidate>,
    mut new: Vec<NewCandidate>,
    budget_seconds: u32,
    max_new: u32,
) -> Vec<(usize, ItemKind)> {
    due.sort_by(|a, b| {
        a.retrievability
            .total_cmp(&b.retrievability)
            .then(a.key.cmp(&b.key))
    });
    new.sort_by(|a, b| {
        b.topic_gap
            .total_cmp(&a.topic_gap)
            .then(a.order.cmp(&b.order))
            .then(a.key.cmp(&b.key))
    });
    let mut out = vec![];
    let mut used = 0u32;
    for d in due {
        if used + d.est_seconds <= budget_seconds || out.is_empty() {
            used += d.est_seconds;
            out.push((d.key, ItemKind::Review));
        }
    }
    let mut added = 0;
    for n in new {
        if added >= max_new {
            break;
        }
        if used + n.est_seconds <= budget_seconds || out.is_empty() {
            used += n.est_seconds;
            out.push((n.key, ItemKind::New));
            added += 1;
        }
    }
    out
}

/// One question of a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionItem {
    /// Question id.
    pub question_id: String,
    /// The card it belongs to.
    pub card_id: String,
    /// The card's first topic.
    pub topic: String,
    /// The question.
    pub stem: String,
    /// Answer choices (answer with their 0-based indexes).
    pub choices: Vec<String>,
    /// Whether more than one choice is correct.
    pub multiple: bool,
    /// Review or new.
    pub kind: ItemKind,
    /// Probability of recall now (reviews only).
    pub retrievability: Option<f32>,
    /// Estimated seconds.
    pub estimated_seconds: u32,
    /// Whether it was answered in this session.
    pub answered: bool,
}

/// Today's session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuizSession {
    /// Session id (xAPI activity `…/quizzes/<id>`).
    pub id: String,
    /// When it was built.
    pub created_at: DateTime<Utc>,
    /// The time budget, seconds.
    pub budget_seconds: u32,
    /// Sum of the items' estimates, seconds.
    pub estimated_seconds: u32,
    /// The questions, in order.
    pub items: Vec<SessionItem>,
}

/// A finished session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    /// Session id.
    pub id: String,
    /// Questions answered.
    pub answered: u32,
    /// Of which correct.
    pub correct: u32,
}

/// What answering a question did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerOutcome {
    /// The question.
    pub question_id: String,
    /// Whether the answer was right.
    pub correct: bool,
    /// The right choices.
    pub correct_choices: Vec<u32>,
    /// Explanation to show.
    pub explanation: String,
    /// The FSRS rating given.
    pub rating: Rating,
    /// Predicted probability of recall just before answering (None for a new question).
    pub predicted_recall: Option<f32>,
    /// When the question is next due.
    pub next_due: DateTime<Utc>,
    /// Days until then.
    pub interval_days: f32,
    /// The question's card was deleted from the catalog; the answer is still recorded.
    pub retired: bool,
    /// The session this answer finished, if any.
    pub session_completed: Option<SessionSummary>,
    /// Why the answer's xAPI statement could not be queued, if it could not (e.g. the queue
    /// refused its timestamp). The answer itself is recorded either way: tracking never costs
    /// the learner an answer.
    pub tracking_error: Option<String>,
}

struct DueRow {
    id: String,
    r: f32,
    est: u32,
}

/// Builds (without storing) the session for `now`.
pub(crate) fn build(
    conn: &Connection,
    budget_seconds: u32,
    now: DateTime<Utc>,
) -> crate::Result<Vec<(String, ItemKind, Option<f32>)>> {
    let settings = schema::load_settings(conn)?;
    let sched = Scheduler::new(schema::load_parameters(conn)?.as_deref())?;
    let now_ms = to_ms(now);
    let mut due_rows = vec![];
    {
        let mut stmt = conn.prepare_cached(
            "SELECT m.question_id, m.stability, m.difficulty, m.last_review_ms, q.est_seconds
             FROM quiz_memory m JOIN quiz_questions q ON q.id = m.question_id
             WHERE m.due_ms <= ?1 AND q.retired = 0",
        )?;
        let mut rows = stmt.query([now_ms])?;
        while let Some(r) = rows.next()? {
            let mem = MemoryState {
                stability: r.get::<_, f64>(1)? as f32,
                difficulty: r.get::<_, f64>(2)? as f32,
            };
            let elapsed = (now_ms - r.get::<_, i64>(3)?) as f32 / DAY_MS as f32;
            due_rows.push(DueRow {
                id: r.get(0)?,
                r: sched.retrievability(mem, elapsed),
                est: r.get::<_, i64>(4)?.max(1) as u32,
            });
        }
    }
    let due: Vec<DueCandidate> = due_rows
        .iter()
        .enumerate()
        .map(|(key, d)| DueCandidate {
            key,
            retrievability: d.r,
            est_seconds: d.est,
        })
        .collect();
    let due_seconds: u32 = due.iter().map(|d| d.est_seconds).sum();
    let mut new_ids: Vec<String> = vec![];
    let mut new = vec![];
    if due_seconds < budget_seconds && settings.max_new_per_session > 0 {
        let gaps = mastery::topic_gaps(conn, &sched, now_ms, &settings.assigned_topics)?;
        let mut stmt = conn.prepare_cached(
            "SELECT q.id, q.est_seconds FROM quiz_questions q
             WHERE q.topic = ?1 AND q.retired = 0
               AND NOT EXISTS (SELECT 1 FROM quiz_memory m WHERE m.question_id = q.id)
             ORDER BY q.card_id, q.idx LIMIT ?2",
        )?;
        for (topic, gap) in gaps {
            let mut rows = stmt.query(params![topic, settings.max_new_per_session])?;
            let mut order = 0;
            while let Some(r) = rows.next()? {
                new.push(NewCandidate {
                    key: new_ids.len(),
                    topic_gap: gap,
                    order,
                    est_seconds: r.get::<_, i64>(1)?.max(1) as u32,
                });
                new_ids.push(r.get(0)?);
                order += 1;
            }
        }
    }
    let picked = fit(due, new, budget_seconds, settings.max_new_per_session);
    Ok(picked
        .into_iter()
        .map(|(key, kind)| match kind {
            ItemKind::Review => (due_rows[key].id.clone(), kind, Some(due_rows[key].r)),
            ItemKind::New => (new_ids[key].clone(), kind, None),
        })
        .collect())
}

fn load_items(
    conn: &Connection,
    picked: &[(String, ItemKind, Option<f32>)],
    answered: &[bool],
) -> crate::Result<Vec<SessionItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT card_id, topic, stem, choices_json, correct_json, est_seconds
         FROM quiz_questions WHERE id = ?1",
    )?;
    let mut items = Vec::with_capacity(picked.len());
    for (i, (id, kind, r)) in picked.iter().enumerate() {
        let row = stmt
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .optional()?;
        let Some((card_id, topic, stem, choices, correct, est)) = row else {
            continue;
        };
        let choices: Vec<String> = serde_json::from_str(&choices)
            .map_err(|e| QuizError::Corrupt(format!("choices of {id}: {e}")))?;
        let correct: Vec<u32> = serde_json::from_str(&correct)
            .map_err(|e| QuizError::Corrupt(format!("answers of {id}: {e}")))?;
        items.push(SessionItem {
            question_id: id.clone(),
            card_id,
            topic,
            stem,
            choices,
            multiple: correct.len() > 1,
            kind: *kind,
            retrievability: *r,
            estimated_seconds: est.max(1) as u32,
            answered: answered.get(i).copied().unwrap_or(false),
        });
    }
    Ok(items)
}

fn session_from(id: String, created_ms: i64, budget: u32, items: Vec<SessionItem>) -> QuizSession {
    QuizSession {
        id,
        created_at: from_ms(created_ms),
        budget_seconds: budget,
        estimated_seconds: items.iter().map(|i| i.estimated_seconds).sum(),
        items,
    }
}

fn local_day(tz: &crate::nudge::Zone, ms: i64) -> chrono::NaiveDate {
    tz.local_date(from_ms(ms))
}

impl crate::Microlearn {
    /// Today's session for a time budget (`None` = the learner's default), built at `now`.
    ///
    /// An unfinished session started on the same local day is resumed (its answered items are
    /// marked); otherwise a new one is built and stored, so that answers can be tied to it.
    pub fn daily_session(
        &self,
        budget_seconds: Option<u32>,
        now: DateTime<Utc>,
    ) -> crate::Result<QuizSession> {
        let settings = self.quiz_settings()?;
        let budget = budget_seconds.unwrap_or(settings.budget_seconds);
        if !(10..=3600).contains(&budget) {
            return Err(
                QuizError::InvalidSetting(format!("budget {budget}s outside 10–3600")).into(),
            );
        }
        let tz = settings.tz()?;
        let now_ms = to_ms(now);
        self.store().write(|tx| {
            let open: Option<(String, i64, i64)> = tx
                .query_row(
                    "SELECT id, created_ms, budget_seconds FROM quiz_sessions
                     WHERE finished_ms IS NULL ORDER BY created_ms DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((id, created, b)) = open
                && local_day(&tz, created) == local_day(&tz, now_ms)
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT question_id, kind, answered_seq IS NOT NULL FROM quiz_session_items
                     WHERE session_id = ?1 ORDER BY position",
                )?;
                let mut picked = vec![];
                let mut answered = vec![];
                let rows = stmt.query_map([&id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                    ))
                })?;
                for row in rows {
                    let (q, kind, a) = row?;
                    let kind = if kind == "review" {
                        ItemKind::Review
                    } else {
                        ItemKind::New
                    };
                    picked.push((q, kind, None));
                    answered.push(a);
                }
                let items = load_items(tx, &picked, &answered)?;
                return Ok(session_from(id, created, b.max(0) as u32, items));
            }
            // An unfinished session from an earlier day is abandoned (closed, earns nothing).
            tx.execute(
                "UPDATE quiz_sessions SET abandoned = 1, finished_ms = ?1 WHERE finished_ms IS NULL",
                [now_ms],
            )?;
            let picked = build(tx, budget, now)?;
            let id = uuid::Uuid::new_v4().to_string();
            tx.execute(
                "INSERT INTO quiz_sessions(id, created_ms, budget_seconds) VALUES (?1, ?2, ?3)",
                params![id, now_ms, budget],
            )?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO quiz_session_items(session_id, position, question_id, kind)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (pos, (q, kind, _)) in picked.iter().enumerate() {
                ins.execute(params![id, pos as i64, q, kind.as_str()])?;
            }
            if picked.is_empty() {
                tx.execute(
                    "UPDATE quiz_sessions SET finished_ms = ?2 WHERE id = ?1",
                    params![id, now_ms],
                )?;
            }
            let items = load_items(tx, &picked, &[])?;
            Ok(session_from(id, now_ms, budget, items))
        })
    }

    /// Builds the session `daily_session` would build at `now`, without storing anything.
    pub fn preview_session(
        &self,
        budget_seconds: Option<u32>,
        now: DateTime<Utc>,
    ) -> crate::Result<QuizSession> {
        self.store().read(|conn| {
            let settings = schema::load_settings(conn)?;
            let budget = budget_seconds.unwrap_or(settings.budget_seconds);
            let picked = build(conn, budget, now)?;
            let items = load_items(conn, &picked, &[])?;
            Ok(session_from(String::new(), to_ms(now), budget, items))
        })
    }

    /// Records an answer (0-based choice indexes) and reschedules the question with FSRS.
    ///
    /// The answer is appended to the review log, the memory state and the session are updated and
    /// an xAPI `answered` statement (and `completed` when this finishes the session) is queued, all
    /// in one transaction. An answer to a question whose card was deleted is still recorded
    /// (`retired: true`). A clock earlier than the last review counts as zero elapsed days.
    pub fn answer(
        &self,
        question_id: &str,
        choices: &[u32],
        response_ms: u32,
        confidence: Option<f32>,
        now: DateTime<Utc>,
    ) -> crate::Result<AnswerOutcome> {
        self.store()
            .write(|tx| answer_in(tx, question_id, choices, response_ms, confidence, now))
    }
}

fn answer_in(
    tx: &Transaction<'_>,
    question_id: &str,
    choices: &[u32],
    response_ms: u32,
    confidence: Option<f32>,
    now: DateTime<Utc>,
) -> crate::Result<AnswerOutcome> {
    let settings = schema::load_settings(tx)?;
    let sched = Scheduler::new(schema::load_parameters(tx)?.as_deref())?;
    let now_ms = to_ms(now);
    let (card_id, choices_json, correct_json, explanation, est, retired) = tx
        .query_row(
            "SELECT card_id, choices_json, correct_json, explanation, est_seconds, retired
             FROM quiz_questions WHERE id = ?1",
            [question_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| QuizError::UnknownQuestion(question_id.into()))?;
    let all: Vec<String> = serde_json::from_str(&choices_json)
        .map_err(|e| QuizError::Corrupt(format!("choices of {question_id}: {e}")))?;
    let mut right: Vec<u32> = serde_json::from_str(&correct_json)
        .map_err(|e| QuizError::Corrupt(format!("answers of {question_id}: {e}")))?;
    let mut given = choices.to_vec();
    given.sort_unstable();
    given.dedup();
    if given.is_empty() || given.iter().any(|&c| c as usize >= all.len()) {
        return Err(QuizError::InvalidChoice {
            question_id: question_id.into(),
            choices: choices.to_vec(),
            count: all.len(),
        }
        .into());
    }
    right.sort_unstable();
    right.dedup();
    let correct = given == right;
    let confidence = confidence
        .filter(|c| c.is_finite())
        .map(|c| c.clamp(0.0, 1.0));
    let rating = Rating::from_answer(correct, response_ms, est.max(1) as u32, confidence);

    let prev: Option<(f64, f64, i64, i64, i64)> = tx
        .query_row(
            "SELECT stability, difficulty, last_review_ms, reps, lapses FROM quiz_memory
             WHERE question_id = ?1",
            [question_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let (memory, elapsed, reps, lapses) = match prev {
        Some((s, d, last, reps, lapses)) => (
            Some(MemoryState {
                stability: s as f32,
                difficulty: d as f32,
            }),
            ((now_ms - last).max(0) as f32) / DAY_MS as f32,
            reps,
            lapses,
        ),
        None => (None, 0.0, 0, 0),
    };
    let predicted = memory.map(|m| sched.retrievability(m, elapsed));
    let next = sched.review(memory, elapsed, rating, settings.desired_retention)?;
    let due_ms = now_ms + (next.interval_days as f64 * DAY_MS as f64).round() as i64;

    // The session this answer belongs to: the newest open one with this question unanswered.
    let session: Option<(String, i64)> = tx
        .query_row(
            "SELECT i.session_id, i.position FROM quiz_session_items i
             JOIN quiz_sessions s ON s.id = i.session_id
             WHERE i.question_id = ?1 AND i.answered_seq IS NULL AND s.finished_ms IS NULL
             ORDER BY s.created_ms DESC LIMIT 1",
            [question_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let given_json = serde_json::to_string(&given).unwrap_or_else(|_| "[]".into());
    tx.execute(
        "INSERT INTO quiz_reviews(question_id, card_id, answered_ms, choices_json, correct,
             response_ms, confidence, rating, elapsed_days, predicted_recall, session_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            question_id,
            card_id,
            now_ms,
            given_json,
            correct,
            response_ms,
            confidence,
            rating as i64,
            elapsed,
            predicted,
            session.as_ref().map(|s| s.0.clone()),
        ],
    )?;
    let seq = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO quiz_memory(question_id, stability, difficulty, last_review_ms, due_ms, reps,
             lapses) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(question_id) DO UPDATE SET stability = excluded.stability,
             difficulty = excluded.difficulty, last_review_ms = excluded.last_review_ms,
             due_ms = excluded.due_ms, reps = excluded.reps, lapses = excluded.lapses",
        params![
            question_id,
            next.memory.stability as f64,
            next.memory.difficulty as f64,
            now_ms,
            due_ms,
            reps + 1,
            lapses + i64::from(!correct && reps > 0),
        ],
    )?;

    let emitter = xapi::Emitter::load(tx)?;
    let stamp = xapi::model::format_timestamp(now);
    let response = given
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join("[,]");
    let mut st = emitter.answered(
        &card_id,
        question_id,
        &response,
        correct,
        Some(response_ms as f64 / 1000.0),
    );
    st.timestamp = Some(stamp.clone());
    let mut tracking_error = enqueue_best_effort(tx, &st);

    let mut session_completed = None;
    if let Some((sid, pos)) = session {
        tx.execute(
            "UPDATE quiz_session_items SET answered_seq = ?3 WHERE session_id = ?1 AND position = ?2",
            params![sid, pos, seq],
        )?;
        tx.execute(
            "UPDATE quiz_sessions SET answered = answered + 1, correct = correct + ?2 WHERE id = ?1",
            params![sid, i64::from(correct)],
        )?;
        let left: i64 = tx.query_row(
            "SELECT count(*) FROM quiz_session_items i JOIN quiz_questions q ON q.id = i.question_id
             WHERE i.session_id = ?1 AND i.answered_seq IS NULL AND q.retired = 0",
            [&sid],
            |r| r.get(0),
        )?;
        if left == 0 {
            tx.execute(
                "UPDATE quiz_sessions SET finished_ms = ?2 WHERE id = ?1",
                params![sid, now_ms],
            )?;
            let (answered, right_n): (i64, i64) = tx.query_row(
                "SELECT answered, correct FROM quiz_sessions WHERE id = ?1",
                [&sid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let scored = emitter.passed(&sid, right_n as f64, answered.max(1) as f64);
            if let StatementObject::Activity(activity) = scored.object {
                let mut done = emitter.statement(xapi::verbs::COMPLETED, activity);
                done.result = scored.result.map(|mut r| {
                    r.success = None;
                    r
                });
                done.timestamp = Some(stamp);
                tracking_error = tracking_error.or(enqueue_best_effort(tx, &done));
            }
            session_completed = Some(SessionSummary {
                id: sid,
                answered: answered.max(0) as u32,
                correct: right_n.max(0) as u32,
            });
        }
    }
    Ok(AnswerOutcome {
        question_id: question_id.into(),
        correct,
        correct_choices: right,
        explanation,
        rating,
        predicted_recall: predicted,
        next_due: from_ms(due_ms),
        interval_days: next.interval_days,
        retired,
        session_completed,
        tracking_error,
    })
}

/// Queues `statement` inside the answer's transaction, under a savepoint so that a refused or
/// failed statement rolls back alone and never takes the answer with it. Returns the error text.
fn enqueue_best_effort(tx: &Transaction<'_>, statement: &xapi::model::Statement) -> Option<String> {
    if let Err(e) = tx.execute_batch("SAVEPOINT quiz_xapi") {
        return Some(e.to_string());
    }
    match xapi::enqueue_in(tx, statement) {
        Ok(_) => tx
            .execute_batch("RELEASE quiz_xapi")
            .err()
            .map(|e| e.to_string()),
        Err(e) => {
            let _ = tx.execute_batch("ROLLBACK TO quiz_xapi; RELEASE quiz_xapi");
            Some(e.to_string())
        }
    }
}
