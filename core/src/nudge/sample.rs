//! A realistic [`PlanInput`], for the benchmark (`plan_ms_30d`), the CLI and docs: a shop-floor
//! learner in London with weekday shifts, two months of nudge history, and a 30-day horizon that
//! crosses the spring-forward change.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{
    LearnerSignals, NudgeCategory, NudgeOutcome, NudgePrefs, NudgeRecord, PlanInput, Platform,
    QuietHours, Schedule, ShiftStart,
};

/// The learner described above, planning 30 days from 2026-03-20 07:30 UTC.
pub fn realistic_input() -> PlanInput {
    let now: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 3, 20, 7, 30, 0)
        .single()
        .unwrap_or_default();
    let mut shifts: Vec<ShiftStart> = (0..5)
        .map(|weekday| ShiftStart {
            weekday,
            start_min: 9 * 60,
        })
        .collect();
    shifts.push(ShiftStart {
        weekday: 5,
        start_min: 10 * 60,
    });
    // About one nudge a day for 60 days: usually opened before the shift, often ignored in the
    // evening; the latest was opened.
    let history = (1..=60i64)
        .map(|d| {
            let morning = d % 2 == 0;
            let fired_at =
                now - Duration::days(d) + Duration::minutes(if morning { 30 } else { 600 });
            let opened = if morning { d % 5 != 0 } else { d % 4 == 0 };
            NudgeRecord {
                id: format!("past-{d}"),
                category: if morning {
                    NudgeCategory::ReviewDue
                } else {
                    NudgeCategory::StreakAtRisk
                },
                fired_at,
                outcome: if opened || d == 1 {
                    NudgeOutcome::Opened
                } else {
                    NudgeOutcome::Ignored
                },
            }
        })
        .collect();
    PlanInput {
        schedule: Schedule {
            time_zone: "Europe/London".into(),
            shifts,
            shift_minutes: 8 * 60,
        },
        prefs: NudgePrefs {
            quiet_hours: vec![QuietHours {
                start_min: 21 * 60,
                end_min: 7 * 60,
            }],
            max_per_day: 2,
            max_per_week: 8,
            opted_out: vec![],
            permission_granted: true,
        },
        platform: Platform::Android,
        signals: LearnerSignals {
            reviews_due: 12,
            streak_days: 5,
            practiced_today: false,
            daily_goal_met: false,
            last_session_at: Some(now - Duration::hours(20)),
            new_content_topics: vec!["Refunds".into()],
            unfinished_card: Some("refund-1".into()),
        },
        history,
        now,
        days: 30,
    }
}
