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
