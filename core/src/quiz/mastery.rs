//! Topic mastery and knowledge gaps.
//!
//! *Why retrievability-based:* a topic is mastered when the learner would recall its questions
//! now, not when they once answered them. Mastery = mean current FSRS retrievability over the
//! topic's live questions (unseen questions count 0); gap = 1 − mastery. New questions are drawn
//! from the largest gaps first.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use fsrs::MemoryState;
use rusqlite::Connection;
use serde::Serialize;

use super::{DAY_MS, Scheduler, schema, to_ms};

/// Mastery of one topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicMastery {
    /// The topic.
    pub topic: String,
    /// Live questions in the topic.
    pub questions: u32,
    /// Of which the learner has answered at least once.
    pub seen: u32,
    /// Of which are due for review now.
    pub due: u32,
    /// Mean probability of recall now over all questions (unseen = 0), 0–1.
    pub mastery: f32,
    /// 1 − mastery.
    pub gap: f32,
    /// Share of correct answers in the log for this topic (None before any answer).
    pub accuracy: Option<f32>,
    /// Whether the topic is assigned to the learner.
    pub assigned: bool,
}

/// The mastery report, largest gap first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MasteryReport {
    /// When it was computed.
    pub at: DateTime<Utc>,
    /// One entry per topic.
    pub topics: Vec<TopicMastery>,
}

#[derive(Default)]
struct Acc {
    questions: u32,
    seen: u32,
    due: u32,
    r_sum: f32,
}

fn accumulate(
    conn: &Connection,
    sched: &Scheduler,
    now_ms: i64,
) -> rusqlite::Result<BTreeMap<String, Acc>> {
    let mut map: BTreeMap<String, Acc> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT topic, count(*) FROM quiz_questions WHERE retired = 0 GROUP BY topic",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        map.entry(r.get(0)?).or_default().questions = r.get::<_, i64>(1)?.max(0) as u32;
    }
    let mut stmt = conn.prepare_cached(
        "SELECT q.topic, m.stability, m.difficulty, m.last_review_ms, m.due_ms
         FROM quiz_memory m JOIN quiz_questions q ON q.id = m.question_id
         WHERE q.retired = 0",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let topic = r.get_ref(0)?.as_str().unwrap_or_default();
        let Some(acc) = map.get_mut(topic) else {
            continue;
        };
        let mem = MemoryState {
            stability: r.get::<_, f64>(1)? as f32,
            difficulty: r.get::<_, f64>(2)? as f32,
        };
        let elapsed = (now_ms - r.get::<_, i64>(3)?) as f32 / DAY_MS as f32;
        acc.seen += 1;
        acc.r_sum += sched.retrievability(mem, elapsed);
        if r.get::<_, i64>(4)? <= now_ms {
            acc.due += 1;
        }
    }
    Ok(map)
}

fn mastery_of(a: &Acc) -> f32 {
    if a.questions == 0 {
        1.0
    } else {
        (a.r_sum / a.questions as f32).clamp(0.0, 1.0)
    }
}

/// Knowledge gap of each topic new questions may come from (`assigned`, or every topic when
/// empty), largest first.
pub(crate) fn topic_gaps(
    conn: &Connection,
    sched: &Scheduler,
    now_ms: i64,
    assigned: &[String],
) -> rusqlite::Result<Vec<(String, f32)>> {
    let map = accumulate(conn, sched, now_ms)?;
    let mut out: Vec<(String, f32)> = map
        .iter()
        .filter(|(t, a)| a.seen < a.questions && (assigned.is_empty() || assigned.contains(t)))
        .map(|(t, a)| (t.clone(), 1.0 - mastery_of(a)))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

impl crate::Microlearn {
    /// Mastery and knowledge gap per topic at `now`, largest gap first.
    pub fn mastery(&self, now: DateTime<Utc>) -> crate::Result<MasteryReport> {
        self.store().read(|conn| {
            let settings = schema::load_settings(conn)?;
            let sched = Scheduler::new(schema::load_parameters(conn)?.as_deref())?;
            let map = accumulate(conn, &sched, to_ms(now))?;
            let mut accuracy: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            let mut stmt = conn.prepare_cached(
                // Per question first, on the covering index, then per topic: 4× faster than
                // joining every review.
                "SELECT q.topic, sum(r.n), sum(r.c)
                 FROM (SELECT question_id, count(*) AS n, sum(correct) AS c FROM quiz_reviews
                       GROUP BY question_id) r
                 JOIN quiz_questions q ON q.id = r.question_id GROUP BY q.topic",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                accuracy.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
            }
            let mut topics: Vec<TopicMastery> = map
                .iter()
                .filter(|(_, a)| a.questions > 0)
                .map(|(t, a)| {
                    let m = mastery_of(a);
                    TopicMastery {
                        topic: t.clone(),
                        questions: a.questions,
                        seen: a.seen,
                        due: a.due,
                        mastery: m,
                        gap: 1.0 - m,
                        accuracy: accuracy
                            .get(t)
                            .filter(|(n, _)| *n > 0)
                            .map(|(n, c)| *c as f32 / *n as f32),
                        assigned: settings.assigned_topics.is_empty()
                            || settings.assigned_topics.contains(t),
                    }
                })
                .collect();
            topics.sort_by(|a, b| b.gap.total_cmp(&a.gap).then(a.topic.cmp(&b.topic)));
            Ok(MasteryReport { at: now, topics })
        })
    }
}
