//! The nudge-planning half of `microlearn bench quiz` (owned by the nudge work): time to build a
//! 30-day NotificationPlan.
//!
//! Times the pure planner on [`microlearn_core::nudge::sample::realistic_input`] (a London shift
//! worker, 60 days of history, 30 days ahead across the spring-forward change): no SQLite, no
//! clock, so the figure is the planner's own cost.

use std::time::Instant;

use microlearn_core::nudge::{plan, sample::realistic_input};

/// Runs timed after a few warm-up runs.
const RUNS: usize = 301;

/// Median milliseconds to plan 30 days of nudges, or `None` if the planner fails.
#[allow(dead_code)] // Used by bench/quiz.rs once the quiz bench is built.
pub fn plan_ms_30d() -> Option<f64> {
    let input = realistic_input();
    for _ in 0..5 {
        plan(&input).ok()?;
    }
    let mut ms = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let p = plan(&input).ok()?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(p);
    }
    ms.sort_by(f64::total_cmp);
    ms.get(RUNS / 2).copied()
}
