//! Push-nudge planning across the FFI: the learner's schedule and preferences in, a
//! `NotificationPlan` out, responses back. Conversions only; the rules (quiet hours, caps, DST,
//! the learned best hour) live in `microlearn_core::nudge`. The shells diff successive plans by
//! `PlannedNudge.id` (android: `PlanDiff`, ios: `NotificationDiff`).

use std::time::SystemTime;

use microlearn_core::nudge as mn;

use crate::{
    Microlearn,
    convert::{instant, into, mirror, vec},
    error::Result,
};

/// What a nudge is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum NudgeCategory {
    /// Quiz questions are due for review.
    ReviewDue,
    /// The learner has a streak and has not practised today.
    StreakAtRisk,
    /// An assigned topic has cards the learner has not seen.
    NewContent,
    /// A card the learner opened but did not finish.
    UnfinishedCard,
    /// The plain daily reminder.
    DailyPractice,
}

/// One shift start: on `weekday` (0 = Monday … 6 = Sunday) at `start_min` after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ShiftStart {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Minutes after local midnight, `0..1440`.
    pub start_min: u16,
}

/// When the learner works, in which IANA time zone. Days without a shift are days off.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Schedule {
    /// IANA time-zone name, e.g. `Europe/London`.
    pub time_zone: String,
    /// Shift starts; at most one per weekday.
    pub shifts: Vec<ShiftStart>,
    /// Shift length in minutes (no nudge during work); 0 = do not avoid shifts.
    pub shift_minutes: u16,
}

/// A daily quiet period in local time, `[start_min, end_min)`; spans midnight when
/// `end_min < start_min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct QuietHours {
    /// Minutes after local midnight.
    pub start_min: u16,
    /// Minutes after local midnight.
    pub end_min: u16,
}

/// The learner's notification preferences.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NudgePrefs {
    /// Quiet periods.
    pub quiet_hours: Vec<QuietHours>,
    /// At most this many nudges per local day.
    pub max_per_day: u32,
    /// At most this many nudges in any 7 consecutive local days.
    pub max_per_week: u32,
    /// Categories the learner turned off.
    pub opted_out: Vec<NudgeCategory>,
    /// Whether the OS lets the app post notifications.
    pub permission_granted: bool,
}

/// Where the plan will be scheduled; each OS has its own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Platform {
    /// iOS: at most 64 pending, exact times.
    Ios,
    /// Android: inexact 15-minute delivery windows.
    Android,
}

/// What happened to a delivered nudge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NudgeOutcome {
    /// Delivered, no response yet.
    Sent,
    /// The learner opened it.
    Opened,
    /// The learner dismissed or never opened it.
    Ignored,
}

/// One delivered nudge.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NudgeRecord {
    /// The nudge's id.
    pub id: String,
    /// Its category.
    pub category: NudgeCategory,
    /// When it fired.
    pub fired_at: SystemTime,
    /// What happened.
    pub outcome: NudgeOutcome,
}

/// One planned notification.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlannedNudge {
    /// Stable id (same nudge, same id across re-plans).
    pub id: String,
    /// Start of the delivery window. On iOS the notification fires here.
    pub fire_window_start: SystemTime,
    /// End of the delivery window; equal to the start on iOS.
    pub fire_window_end: SystemTime,
    /// Window start in local time, RFC 3339 with the zone's offset.
    pub local_start: String,
    /// Window end in local time, RFC 3339 with the zone's offset.
    pub local_end: String,
    /// What it is about.
    pub category: NudgeCategory,
    /// Notification title.
    pub title: String,
    /// Notification body.
    pub body: String,
    /// Where tapping it leads, `microlearn://…`.
    pub deep_link: String,
}

/// Why something was not planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SkipReason {
    /// The OS notification permission is not granted.
    PermissionDenied,
    /// Quiet hours cover the whole day.
    QuietAllDay,
    /// Every category is opted out.
    AllCategoriesOptedOut,
    /// No slot of the day is outside quiet hours and shifts.
    NoAllowedSlot,
    /// Today's daily goal is already met.
    DailyGoalMet,
    /// Within an hour after a session.
    RecentSession,
    /// `max_per_day` reached.
    DailyCap,
    /// `max_per_week` reached.
    WeeklyCap,
    /// Recent nudges were ignored: fewer nudges until one is opened.
    BackOff,
    /// Beyond the 64 pending notifications iOS keeps.
    IosPendingLimit,
}

/// One skipped day or nudge, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Skipped {
    /// Local date (`YYYY-MM-DD`) it concerns, if any.
    pub local_date: Option<String>,
    /// The reason.
    pub reason: SkipReason,
    /// A human explanation.
    pub detail: String,
}

/// The plan a shell hands to the OS. Diff successive plans by `PlannedNudge.id`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NotificationPlan {
    /// The time zone the plan was made in.
    pub time_zone: String,
    /// Planned nudges, soonest first.
    pub nudges: Vec<PlannedNudge>,
    /// What was not planned and why.
    pub skipped: Vec<Skipped>,
}

mirror!(enum mn::NudgeCategory <=> NudgeCategory {
    ReviewDue,
    StreakAtRisk,
    NewContent,
    UnfinishedCard,
    DailyPractice,
});
mirror!(struct mn::ShiftStart <=> ShiftStart { weekday, start_min });
mirror!(struct mn::Schedule { .. } <=> Schedule { time_zone, shifts: vec, shift_minutes });
mirror!(struct mn::QuietHours <=> QuietHours { start_min, end_min });
mirror!(struct mn::NudgePrefs { .. } <=> NudgePrefs {
    quiet_hours: vec,
    max_per_day,
    max_per_week,
    opted_out: vec,
    permission_granted,
});
mirror!(enum mn::Platform <=> Platform { Ios, Android });
mirror!(enum mn::NudgeOutcome => NudgeOutcome { Sent, Opened, Ignored });
mirror!(struct mn::NudgeRecord => NudgeRecord { id, category: into, fired_at: into, outcome: into });
mirror!(struct mn::PlannedNudge => PlannedNudge {
    id,
    fire_window_start = fire_window_start_utc: into,
    fire_window_end = fire_window_end_utc: into,
    local_start,
    local_end,
    category: into,
    title,
    body,
    deep_link,
});
mirror!(enum mn::SkipReason => SkipReason {
    PermissionDenied,
    QuietAllDay,
    AllCategoriesOptedOut,
    NoAllowedSlot,
    DailyGoalMet,
    RecentSession,
    DailyCap,
    WeeklyCap,
    BackOff,
    IosPendingLimit,
});
mirror!(struct mn::Skipped => Skipped { local_date, reason: into, detail });
mirror!(struct mn::NotificationPlan => NotificationPlan { time_zone, nudges: vec, skipped: vec });

#[uniffi::export]
impl Microlearn {
    /// Saves the learner's notification preferences.
    pub fn set_nudge_prefs(&self, prefs: NudgePrefs) -> Result<()> {
        Ok(self.core()?.set_nudge_prefs(&prefs.into())?)
    }

    /// The learner's notification preferences (defaults until set).
    pub fn nudge_prefs(&self) -> Result<NudgePrefs> {
        Ok(self.core()?.nudge_prefs()?.into())
    }

    /// Saves the learner's work schedule and time zone (checked against the IANA database).
    pub fn set_nudge_schedule(&self, schedule: Schedule) -> Result<()> {
        Ok(self.core()?.set_nudge_schedule(&schedule.into())?)
    }

    /// The learner's schedule, or null before one was set.
    pub fn nudge_schedule(&self) -> Result<Option<Schedule>> {
        Ok(self.core()?.nudge_schedule()?.map(Into::into))
    }

    /// Saves which OS the plan is for.
    pub fn set_nudge_platform(&self, platform: Platform) -> Result<()> {
        Ok(self.core()?.set_nudge_platform(platform.into())?)
    }

    /// The OS the plan is for (iOS until set).
    pub fn nudge_platform(&self) -> Result<Platform> {
        Ok(self.core()?.nudge_platform()?.into())
    }

    /// Delivered and answered nudges as of `now` (default: the current instant).
    #[uniffi::method(default(now = None))]
    pub fn nudge_history(&self, now: Option<SystemTime>) -> Result<Vec<NudgeRecord>> {
        Ok(self
            .core()?
            .nudge_history(instant(now))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Plans the next `days` local days of nudges from `now` (default: the current instant).
    /// Idempotent: the same state gives the same plan, so the shell can diff by id.
    #[uniffi::method(default(now = None))]
    pub fn plan_nudges(&self, days: u32, now: Option<SystemTime>) -> Result<NotificationPlan> {
        Ok(self.core()?.plan_nudges(instant(now), days)?.into())
    }

    /// Records that the learner opened (`opened = true`) or dismissed nudge `id` at `at`
    /// (default: now).
    #[uniffi::method(default(at = None))]
    pub fn record_nudge_response(
        &self,
        id: String,
        opened: bool,
        at: Option<SystemTime>,
    ) -> Result<()> {
        Ok(self
            .core()?
            .record_nudge_response(&id, opened, instant(at))?)
    }
}
