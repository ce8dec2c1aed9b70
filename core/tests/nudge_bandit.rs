//! The learned best hour (Thompson sampling, deterministic seeds) and back-off on ignored nudges.

use chrono::{DateTime, Duration, Utc};
use microlearn_core::nudge::{
    LearnerSignals, NudgeCategory, NudgeOutcome, NudgePrefs, NudgeRecord, PlanInput, Platform,
    QuietHours, Schedule, SkipReason, plan,
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

fn base() -> PlanInput {
    PlanInput {
        schedule: Schedule {
            time_zone: "Europe/London".into(),
            ..Schedule::default()
        },
        prefs: NudgePrefs {
            quiet_hours: vec![QuietHours {
                start_min: 22 * 60,
                end_min: 8 * 60,
            }],
            max_per_day: 1,
            max_per_week: 7,
            ..NudgePrefs::default()
        },
        platform: Platform::Android,
        signals: LearnerSignals::default(),
        history: vec![],
        // 06:00 BST on a Monday: the whole day is ahead.
        now: at("2026-06-01T05:00:00Z"),
        days: 60,
    }
}

fn record(i: usize, fired_at: DateTime<Utc>, outcome: NudgeOutcome) -> NudgeRecord {
    NudgeRecord {
        id: format!("h{i}"),
        category: NudgeCategory::DailyPractice,
        fired_at,
        outcome,
    }
}

/// How often each local hour is chosen.
fn hours(input: &PlanInput) -> [u32; 24] {
    let mut h = [0; 24];
    for n in plan(input).expect("plan").nudges {
        let hour: usize = n.local_start[11..13].parse().expect("hour");
        h[hour] += 1;
    }
    h
}

#[test]
fn the_bandit_moves_toward_the_hour_with_more_opens() {
    let input = base();
    let before = hours(&input);
    // 40 past days: at 18:00 mostly opened, at other hours mostly ignored; the latest was opened
    // (so no back-off).
    let mut learned = input.clone();
    for d in 1..=40i64 {
        let day = at("2026-06-01T17:00:00Z") - Duration::days(d); // 18:00 BST
        let opened = d % 5 != 0;
        learned.history.push(record(
            2 * d as usize,
            day,
            if opened {
                NudgeOutcome::Opened
            } else {
                NudgeOutcome::Ignored
            },
        ));
        let other = day - Duration::hours(8 - (d % 3)); // 08:00–10:00
        let outcome = if d % 7 == 0 {
            NudgeOutcome::Opened
        } else {
            NudgeOutcome::Ignored
        };
        learned
            .history
            .push(record(2 * d as usize + 1, other, outcome));
    }
    learned.history.push(record(
        999,
        at("2026-05-31T17:00:00Z"),
        NudgeOutcome::Opened,
    ));
    let after = hours(&learned);
    eprintln!("hours chosen over 60 days, before learning {before:?}\n after {after:?}");
    let total: u32 = after.iter().sum();
    assert!(total > 30, "{after:?}");
    assert!(
        after[18] * 2 > total,
        "18:00 should win most days after learning: {after:?}"
    );
    assert!(
        after[18] > before[18] * 3,
        "before {before:?}, after {after:?}"
    );
    // Deterministic: the same history gives the same choices.
    assert_eq!(hours(&learned), after);
    // Still exploring: not every day at 18:00.
    assert!(after[18] < total, "{after:?}");
}

#[test]
fn ignored_nudges_back_off_and_an_open_recovers() {
    let input = base();
    let normal = plan(&input).expect("plan").nudges.len();
    assert!(normal >= 55, "{normal}");
    let mut ignored = input.clone();
    for d in 1..=6i64 {
        let t = at("2026-06-01T12:00:00Z") - Duration::days(d);
        ignored
            .history
            .push(record(d as usize, t, NudgeOutcome::Ignored));
    }
    let p = plan(&ignored).expect("plan");
    // 6 ignored in a row = two halvings: one day in four.
    assert!(
        p.nudges.len() <= normal / 4 + 1,
        "{} vs {normal}",
        p.nudges.len()
    );
    assert!(p.skipped.iter().any(|s| s.reason == SkipReason::BackOff));
    // Unanswered "sent" nudges of past days count as ignored too.
    let mut sent = input.clone();
    for r in &ignored.history {
        sent.history.push(NudgeRecord {
            outcome: NudgeOutcome::Sent,
            ..r.clone()
        });
    }
    assert_eq!(plan(&sent).expect("plan").nudges.len(), p.nudges.len());
    // One open, the latest, and the frequency is back.
    let mut recovered = ignored.clone();
    recovered.history.push(record(
        100,
        at("2026-05-31T18:00:00Z"),
        NudgeOutcome::Opened,
    ));
    let r = plan(&recovered).expect("plan").nudges.len();
    assert!(r >= normal - 1, "{r} vs {normal}");
}

#[test]
fn daily_goal_met_and_recent_session_stop_todays_nudges() {
    let mut input = base();
    input.days = 1;
    input.prefs.max_per_day = 3;
    input.signals.reviews_due = 4;
    input.signals.streak_days = 3;
    assert!(!plan(&input).expect("plan").nudges.is_empty());
    let mut met = input.clone();
    met.signals.daily_goal_met = true;
    let p = plan(&met).expect("plan");
    assert!(p.nudges.is_empty());
    assert_eq!(p.skipped[0].reason, SkipReason::DailyGoalMet);
    // A session that just ended: nothing in the next hour.
    let mut session = input.clone();
    session.now = at("2026-06-01T12:10:00Z");
    session.signals.last_session_at = Some(at("2026-06-01T12:00:00Z"));
    session.prefs.quiet_hours = vec![QuietHours {
        start_min: 14 * 60,
        end_min: 13 * 60,
    }]; // only 13:00–14:00 BST = 12:00–13:00 UTC is allowed
    let p = plan(&session).expect("plan");
    assert!(p.nudges.is_empty(), "{:?}", p.nudges);
    assert!(
        p.skipped
            .iter()
            .any(|s| s.reason == SkipReason::RecentSession)
    );
}

#[test]
fn shifts_are_avoided_and_the_hour_before_is_allowed() {
    let mut input = base();
    input.schedule.shifts = (0..5)
        .map(|weekday| microlearn_core::nudge::ShiftStart {
            weekday,
            start_min: 9 * 60,
        })
        .collect();
    input.schedule.shift_minutes = 8 * 60;
    input.days = 28;
    for n in plan(&input).expect("plan").nudges {
        let hour: u32 = n.local_start[11..13].parse().expect("hour");
        let weekday = n
            .fire_window_start_utc
            .with_timezone(&chrono_tz::Europe::London)
            .format("%u")
            .to_string();
        if weekday != "6" && weekday != "7" {
            assert!(
                !(9..17).contains(&hour),
                "nudge during the shift: {}",
                n.local_start
            );
        }
    }
}
