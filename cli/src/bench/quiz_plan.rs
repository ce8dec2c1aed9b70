//! The nudge-planning half of `microlearn bench quiz` (owned by the nudge work): time to build a
//! 30-day NotificationPlan.

/// Median milliseconds to plan 30 days of nudges, or `None` while the planner is not built.
#[allow(dead_code)] // Used by bench/quiz.rs once the quiz bench is built.
pub fn plan_ms_30d() -> Option<f64> {
    None
}
