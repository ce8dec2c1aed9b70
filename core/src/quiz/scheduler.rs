//! FSRS-6 scheduling through the `fsrs` crate, and how an answer becomes an FSRS rating.
//!
//! *Why a rating mapping:* FSRS expects Again/Hard/Good/Easy, but a quiz only knows whether the
//! choice was right, how long it took and, optionally, how sure the learner was. Wrong → Again.
//! Right → Hard when the learner was unsure (confidence < 0.4) or slow (over twice the question's
//! time estimate), Easy when sure (confidence ≥ 0.9) or fast (under half the estimate) — both
//! only when the other signal does not contradict — otherwise Good.

use fsrs::{FSRS, MemoryState};
use serde::Serialize;

use super::QuizError;

/// An FSRS rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    /// Forgot (wrong answer).
    Again = 1,
    /// Remembered with difficulty.
    Hard = 2,
    /// Remembered.
    Good = 3,
    /// Remembered effortlessly.
    Easy = 4,
}

impl Rating {
    /// The rating of an answer: correctness, response time against the question's estimate, and
    /// optional self-reported confidence in 0–1.
    pub fn from_answer(
        correct: bool,
        response_ms: u32,
        estimate_seconds: u32,
        confidence: Option<f32>,
    ) -> Rating {
        if !correct {
            return Rating::Again;
        }
        let est_ms = estimate_seconds.max(1) as f32 * 1000.0;
        let ratio = response_ms as f32 / est_ms;
        let slow = ratio > 2.0;
        let fast = response_ms > 0 && ratio < 0.5;
        match confidence.filter(|c| c.is_finite()) {
            Some(c) if c < 0.4 => Rating::Hard,
            Some(c) if c >= 0.9 && !slow => Rating::Easy,
            Some(_) if slow => Rating::Hard,
            Some(_) => Rating::Good,
            None if slow => Rating::Hard,
            None if fast => Rating::Easy,
            None => Rating::Good,
        }
    }

    /// From the stored integer.
    pub fn from_i64(v: i64) -> Rating {
        match v {
            1 => Rating::Again,
            2 => Rating::Hard,
            4 => Rating::Easy,
            _ => Rating::Good,
        }
    }
}

/// An FSRS-6 model with its parameters (defaults, or the learner's optimised ones).
#[derive(Debug, Clone)]
pub struct Scheduler {
    fsrs: FSRS,
    decay: f32,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self {
            fsrs: FSRS::default(),
            decay: fsrs::DEFAULT_PARAMETERS[20],
        }
    }
}

/// The state after a review.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scheduled {
    /// New memory state.
    pub memory: MemoryState,
    /// Days until the review falls due at the desired retention.
    pub interval_days: f32,
}

impl Scheduler {
    /// A model with `parameters` (21 FSRS-6 weights), or the defaults for `None`.
    pub fn new(parameters: Option<&[f32]>) -> Result<Self, QuizError> {
        match parameters {
            None => Ok(Self::default()),
            Some(p) => {
                let fsrs = FSRS::new(p).map_err(|e| QuizError::Fsrs(e.to_string()))?;
                let decay = p.get(20).copied().unwrap_or(fsrs::DEFAULT_PARAMETERS[20]);
                Ok(Self { fsrs, decay })
            }
        }
    }

    /// Probability of recall `elapsed_days` after the last review (negative elapsed → 0).
    pub fn retrievability(&self, memory: MemoryState, elapsed_days: f32) -> f32 {
        if memory.stability.is_nan() || memory.stability <= 0.0 {
            return 0.0;
        }
        fsrs::current_retrievability(memory, elapsed_days.max(0.0), self.decay)
    }

    /// The next state after rating a question whose previous state is `memory` (None = new),
    /// `elapsed_days` after the last review (clamped to ≥ 0: a clock that jumped backwards counts
    /// as a same-day review).
    pub fn review(
        &self,
        memory: Option<MemoryState>,
        elapsed_days: f32,
        rating: Rating,
        desired_retention: f32,
    ) -> Result<Scheduled, QuizError> {
        let days = if elapsed_days.is_finite() {
            elapsed_days.max(0.0).floor() as u32
        } else {
            0
        };
        let next = self
            .fsrs
            .next_states(memory, desired_retention, days)
            .map_err(|e| QuizError::Fsrs(e.to_string()))?;
        let s = match rating {
            Rating::Again => next.again,
            Rating::Hard => next.hard,
            Rating::Good => next.good,
            Rating::Easy => next.easy,
        };
        Ok(Scheduled {
            memory: s.memory,
            interval_days: s.interval.max(0.0),
        })
    }

    /// The underlying model.
    pub fn fsrs(&self) -> &FSRS {
        &self.fsrs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_mapping() {
        assert_eq!(
            Rating::from_answer(false, 100, 10, Some(1.0)),
            Rating::Again
        );
        assert_eq!(Rating::from_answer(true, 8_000, 10, None), Rating::Good);
        assert_eq!(Rating::from_answer(true, 2_000, 10, None), Rating::Easy);
        assert_eq!(Rating::from_answer(true, 30_000, 10, None), Rating::Hard);
        assert_eq!(
            Rating::from_answer(true, 8_000, 10, Some(0.2)),
            Rating::Hard
        );
        assert_eq!(
            Rating::from_answer(true, 8_000, 10, Some(0.95)),
            Rating::Easy
        );
        assert_eq!(
            Rating::from_answer(true, 30_000, 10, Some(0.95)),
            Rating::Hard
        );
        assert_eq!(
            Rating::from_answer(true, 8_000, 10, Some(f32::NAN)),
            Rating::Good
        );
    }
}

/// Long-term reviews (a review of an already-seen question on a later day) needed before
/// [`crate::Microlearn::optimize_fsrs_parameters`] fits the learner's own parameters. The FSRS
/// authors advise several hundred; fewer overfit.
pub const MIN_REVIEWS_TO_OPTIMIZE: u64 = 400;

/// What per-learner optimisation did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimizeReport {
    /// Answers in the log.
    pub answers: u64,
    /// Long-term reviews used for fitting.
    pub long_term_reviews: u64,
    /// The fitted FSRS-6 parameters (21), now stored and used.
    pub parameters: Vec<f32>,
    /// Questions whose memory state was recomputed with them.
    pub questions_rescheduled: u64,
}

type LogRow = (String, i64, i64);

fn read_log(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<LogRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT question_id, answered_ms, rating FROM quiz_reviews ORDER BY question_id, seq",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

fn whole_days(from_ms: i64, to_ms: i64) -> u32 {
    ((to_ms - from_ms).max(0) / super::DAY_MS).min(i64::from(u32::MAX)) as u32
}

/// Recomputes every question's memory state by replaying the review log with `sched`.
pub(crate) fn rebuild_memory(
    tx: &rusqlite::Transaction<'_>,
    sched: &Scheduler,
    desired_retention: f32,
) -> crate::Result<u64> {
    let log = read_log(tx)?;
    tx.execute("DELETE FROM quiz_memory", [])?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO quiz_memory(question_id, stability, difficulty, last_review_ms, due_ms, reps,
             lapses) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut n = 0;
    let mut i = 0;
    while i < log.len() {
        let q = &log[i].0;
        let (mut mem, mut last, mut reps, mut lapses, mut due) = (None, 0i64, 0i64, 0i64, 0i64);
        while i < log.len() && &log[i].0 == q {
            let (_, at, rating) = log[i];
            let elapsed = if mem.is_some() {
                (at - last).max(0) as f32 / super::DAY_MS as f32
            } else {
                0.0
            };
            let rating = Rating::from_i64(rating);
            let next = sched.review(mem, elapsed, rating, desired_retention)?;
            if rating == Rating::Again && reps > 0 {
                lapses += 1;
            }
            reps += 1;
            mem = Some(next.memory);
            last = at;
            due = at + (f64::from(next.interval_days) * super::DAY_MS as f64).round() as i64;
            i += 1;
        }
        if let Some(m) = mem {
            ins.execute(rusqlite::params![
                q,
                f64::from(m.stability),
                f64::from(m.difficulty),
                last,
                due,
                reps,
                lapses
            ])?;
            n += 1;
        }
    }
    Ok(n)
}

/// `fsrs::compute_parameters` on `items`, with the crate's panics on input it rejects turned
/// into [`QuizError::Fsrs`].
pub(crate) fn compute_parameters(items: Vec<fsrs::FSRSItem>) -> Result<Vec<f32>, QuizError> {
    let run = std::panic::AssertUnwindSafe(move || {
        fsrs::compute_parameters(fsrs::ComputeParametersInput {
            train_set: items,
            ..Default::default()
        })
    });
    match std::panic::catch_unwind(run) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(QuizError::Fsrs(e.to_string())),
        Err(_) => Err(QuizError::Fsrs(
            "parameter fitting rejected the review history".into(),
        )),
    }
}

impl crate::Microlearn {
    /// Fits FSRS-6 parameters to this learner's review log (`fsrs::compute_parameters`), stores
    /// them and reschedules every question with them. Refuses with
    /// [`QuizError::NotEnoughReviews`] below [`MIN_REVIEWS_TO_OPTIMIZE`] long-term reviews.
    ///
    /// CPU-heavy (seconds for thousands of reviews on a phone): run it in the background, e.g.
    /// from the periodic sync worker, not on the UI thread. The fit runs without holding the
    /// write lock; answers arriving meanwhile are included by the replay.
    pub fn optimize_fsrs_parameters(&self) -> crate::Result<OptimizeReport> {
        let log = self
            .store()
            .read(|c| read_log(c).map_err(crate::Error::from))?;
        let mut items = vec![];
        let mut long_term = 0u64;
        let mut i = 0;
        while i < log.len() {
            let q = &log[i].0;
            let mut reviews: Vec<fsrs::FSRSReview> = vec![];
            let mut prev = None;
            while i < log.len() && &log[i].0 == q {
                let (_, at, rating) = log[i];
                let delta_t = prev.map(|p| whole_days(p, at)).unwrap_or(0);
                reviews.push(fsrs::FSRSReview {
                    rating: rating.clamp(1, 4) as u32,
                    delta_t,
                });
                if delta_t > 0 && reviews.len() >= 2 {
                    long_term += 1;
                }
                // The crate requires a long-term review in every item (it panics otherwise).
                if reviews.len() >= 2 && reviews.iter().any(|r| r.delta_t > 0) {
                    items.push(fsrs::FSRSItem {
                        reviews: reviews.clone(),
                    });
                }
                prev = Some(at);
                i += 1;
            }
        }
        if long_term < MIN_REVIEWS_TO_OPTIMIZE {
            return Err(QuizError::NotEnoughReviews {
                have: long_term,
                need: MIN_REVIEWS_TO_OPTIMIZE,
            }
            .into());
        }
        let parameters = compute_parameters(items)?;
        let sched = Scheduler::new(Some(&parameters))?;
        let json = serde_json::to_string(&parameters)
            .map_err(|e| QuizError::Fsrs(format!("parameters not serialisable: {e}")))?;
        let questions_rescheduled = self.store().write(|tx| {
            let settings = super::schema::load_settings(tx)?;
            super::schema::set_setting(tx, "fsrs_parameters", &json)?;
            rebuild_memory(tx, &sched, settings.desired_retention)
        })?;
        Ok(OptimizeReport {
            answers: log.len() as u64,
            long_term_reviews: long_term,
            parameters,
            questions_rescheduled,
        })
    }

    /// Recomputes the per-question memory cache from the review log with the current
    /// parameters (e.g. after a restore, or to verify the cache). Returns the questions replayed.
    pub fn rebuild_quiz_memory(&self) -> crate::Result<u64> {
        self.store().write(|tx| {
            let settings = super::schema::load_settings(tx)?;
            let sched = Scheduler::new(super::schema::load_parameters(tx)?.as_deref())?;
            rebuild_memory(tx, &sched, settings.desired_retention)
        })
    }
}
