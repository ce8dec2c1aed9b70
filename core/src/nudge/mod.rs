//! Push-nudge planning: a [`NotificationPlan`] the shell hands to the OS.
//!
//! *Why in the core:* the rules (quiet hours, caps, back-off, DST, the learned best hour) must be
//! the same on Android and iOS and testable offline; the shells only schedule what the plan says
//! and report back which nudges were opened. See `docs/nudges.md`.
//!
//! - [`types`]: the plain records (input, plan, history) the FFI exports.
//! - [`planner`]: the pure, deterministic planner [`plan`].
//! - [`window`]: local time and DST rules.
//! - [`zone`]: IANA time zones from the OS database (shared with `quiz`).
//! - [`bandit`]: Thompson sampling over local hours.
//! - [`prefs`]: persistence (prefs, schedule, history) and the [`crate::Microlearn`] methods.
//! - [`sample`]: a realistic input, for the benchmark and demos.
//! - [`texts`]: titles, bodies, deep links and ids.
//! - [`signals`]: the contract with `quiz`.

pub mod bandit;
pub mod planner;
pub mod prefs;
pub mod sample;
pub mod schema;
pub mod signals;
pub mod texts;
pub mod types;
pub mod window;
pub mod zone;

pub use planner::plan;
pub use schema::SCHEMA;
pub use signals::LearnerSignals;
pub use types::{
    MAX_PLAN_DAYS, NotificationPlan, NudgeCategory, NudgeOutcome, NudgePrefs, NudgeRecord,
    PlanInput, PlannedNudge, Platform, QuietHours, Schedule, ShiftStart, SkipReason, Skipped,
};
pub use zone::{Zone, ZoneError};

impl From<ZoneError> for NudgeError {
    fn from(e: ZoneError) -> Self {
        match e {
            ZoneError::Unknown(name) => NudgeError::UnknownTimeZone(name),
            e @ ZoneError::NoDatabase(_) => NudgeError::NoTimeZoneDatabase(e),
        }
    }
}

/// Errors of the `nudge` module.
#[derive(Debug, thiserror::Error)]
pub enum NudgeError {
    /// The schedule names a time zone the IANA database does not know.
    #[error("unknown time zone {0:?} (expected an IANA name such as \"Europe/London\")")]
    UnknownTimeZone(String),
    /// This system has no time-zone database at all (e.g. a container without `tzdata`).
    #[error("{0}")]
    NoTimeZoneDatabase(ZoneError),
    /// More days were asked for than the planner plans.
    #[error("cannot plan {days} days ahead: at most {max}")]
    TooManyDays {
        /// Days asked for.
        days: u32,
        /// The most the planner plans.
        max: u32,
    },
    /// The preferences are out of range.
    #[error("invalid nudge preferences: {0}")]
    InvalidPrefs(String),
    /// The schedule is out of range.
    #[error("invalid schedule: {0}")]
    InvalidSchedule(String),
    /// No schedule (and so no time zone) was set yet.
    #[error("no schedule set: set the learner's time zone and shifts first")]
    ScheduleNotSet,
    /// A response names a nudge that was never planned.
    #[error("unknown nudge id {0:?}")]
    UnknownNudge(String),
    /// An instant was not RFC 3339.
    #[error("bad instant {0} (want RFC 3339, e.g. 2026-03-08T09:00:00Z)")]
    BadInstant(String),
    /// Stored settings could not be read back.
    #[error("stored nudge setting {key:?} is unreadable: {reason}")]
    CorruptSettings {
        /// The setting's key.
        key: String,
        /// What went wrong.
        reason: String,
    },
}
