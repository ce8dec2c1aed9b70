//! The planner's input and output types: plain records, so that the FFI can export them as they
//! are and the shells can store or diff them.
//!
//! Times of day are minutes after local midnight (`0..1440`), weekdays are `0 = Monday … 6 =
//! Sunday`, instants are UTC. Local renderings are RFC 3339 strings with the zone's offset.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::LearnerSignals;

/// Longest plan the planner makes, in days. iOS keeps 64 pending notifications at most, so
/// planning further ahead only churns.
pub const MAX_PLAN_DAYS: u32 = 60;

/// What a nudge is about. The order of the variants is not a priority; see `planner.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

impl NudgeCategory {
    /// Every category.
    pub const ALL: [NudgeCategory; 5] = [
        Self::ReviewDue,
        Self::StreakAtRisk,
        Self::NewContent,
        Self::UnfinishedCard,
        Self::DailyPractice,
    ];

    /// The stable snake_case name (used in ids, the database and the CLI).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReviewDue => "review_due",
            Self::StreakAtRisk => "streak_at_risk",
            Self::NewContent => "new_content",
            Self::UnfinishedCard => "unfinished_card",
            Self::DailyPractice => "daily_practice",
        }
    }

    /// Parses [`NudgeCategory::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One shift start: on `weekday`, the learner's shift starts at `start_min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftStart {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Minutes after local midnight, `0..1440`.
    pub start_min: u16,
}

/// When the learner works, in which time zone. Days without a [`ShiftStart`] are days off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// IANA time-zone name, e.g. `Europe/London`.
    pub time_zone: String,
    /// Shift starts; at most one per weekday (the first wins).
    pub shifts: Vec<ShiftStart>,
    /// How long a shift lasts, in minutes: no nudge while the learner is at work (except the
    /// pre-shift slot). `0` = do not avoid shifts.
    pub shift_minutes: u16,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            shifts: vec![],
            shift_minutes: 8 * 60,
        }
    }
}

/// A daily quiet period in local time, `[start_min, end_min)`. It spans midnight when
/// `end_min < start_min`; `start_min == end_min` means the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Minutes after local midnight, `0..1440`.
    pub start_min: u16,
    /// Minutes after local midnight, `0..1440`.
    pub end_min: u16,
}

impl QuietHours {
    /// Whether local minute `m` (`0..1440`) is quiet.
    pub fn contains(&self, m: u16) -> bool {
        let (s, e) = (self.start_min, self.end_min);
        if s == e {
            true
        } else if s < e {
            (s..e).contains(&m)
        } else {
            m >= s || m < e
        }
    }
}

/// The learner's notification preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NudgePrefs {
    /// Quiet periods (their union is quiet).
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

impl Default for NudgePrefs {
    fn default() -> Self {
        Self {
            quiet_hours: vec![QuietHours {
                start_min: 21 * 60,
                end_min: 8 * 60,
            }],
            max_per_day: 2,
            max_per_week: 10,
            opted_out: vec![],
            permission_granted: true,
        }
    }
}

/// Where the plan will be scheduled; each OS has its own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// iOS keeps only the 64 soonest pending local notifications; fires at an exact time.
    #[default]
    Ios,
    /// Android 14+ denies exact alarms by default, and WorkManager's periodic floor is 15
    /// minutes: the plan gives 15-minute delivery windows.
    Android,
}

/// What happened to a nudge that was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NudgeOutcome {
    /// Delivered, no response yet. Counts as ignored once its local day is over.
    Sent,
    /// The learner opened it.
    Opened,
    /// The learner dismissed it or never opened it.
    Ignored,
}

/// One delivered nudge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NudgeRecord {
    /// The nudge's id.
    pub id: String,
    /// Its category.
    pub category: NudgeCategory,
    /// When it fired (the start of its window).
    pub fired_at: DateTime<Utc>,
    /// What happened.
    pub outcome: NudgeOutcome,
}

/// Everything the planner looks at. Planning is a pure function of this.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInput {
    /// Work schedule and time zone.
    pub schedule: Schedule,
    /// Preferences.
    pub prefs: NudgePrefs,
    /// Target OS.
    pub platform: Platform,
    /// The learner's state, as of `now`.
    pub signals: LearnerSignals,
    /// Delivered nudges (any order).
    pub history: Vec<NudgeRecord>,
    /// The current instant.
    pub now: DateTime<Utc>,
    /// Days to plan, starting with today (local), at most [`MAX_PLAN_DAYS`].
    pub days: u32,
}

/// One planned notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedNudge {
    /// Stable id: a hash of category, local date and slot (never of `now`).
    pub id: String,
    /// Start of the delivery window (UTC). On iOS the notification fires here.
    pub fire_window_start_utc: DateTime<Utc>,
    /// End of the delivery window (UTC); equal to the start on iOS.
    pub fire_window_end_utc: DateTime<Utc>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Local date (`YYYY-MM-DD`) it concerns, if any.
    pub local_date: Option<String>,
    /// The reason.
    pub reason: SkipReason,
    /// A human explanation.
    pub detail: String,
}

/// The plan a shell hands to the OS. Diff successive plans by [`PlannedNudge::id`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NotificationPlan {
    /// The time zone the plan was made in.
    pub time_zone: String,
    /// Planned nudges, soonest first.
    pub nudges: Vec<PlannedNudge>,
    /// What was not planned and why.
    pub skipped: Vec<Skipped>,
}
