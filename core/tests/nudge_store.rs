//! The nudge API on a real SQLite file: settings persist, plans are remembered and idempotent,
//! responses feed the history, bad input gives typed errors.

use chrono::{DateTime, Duration, Utc};
use microlearn_core::{
    Error, Microlearn,
    nudge::{
        NudgeError, NudgeOutcome, NudgePrefs, Platform, QuietHours, Schedule, ShiftStart,
        SkipReason,
    },
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

fn setup(core: &Microlearn) {
    core.set_nudge_schedule(&Schedule {
        time_zone: "America/New_York".into(),
        shifts: (0..5)
            .map(|weekday| ShiftStart {
                weekday,
                start_min: 9 * 60,
            })
            .collect(),
        shift_minutes: 8 * 60,
    })
    .expect("schedule");
    core.set_nudge_prefs(&NudgePrefs {
        quiet_hours: vec![QuietHours {
            start_min: 21 * 60,
            end_min: 7 * 60,
        }],
        max_per_day: 2,
        max_per_week: 8,
        ..NudgePrefs::default()
    })
    .expect("prefs");
    core.set_nudge_platform(Platform::Android)
        .expect("platform");
}

#[test]
fn settings_persist_and_plans_are_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = at("2026-03-06T10:00:00Z");
    let first = {
        let core = Microlearn::open(dir.path()).expect("open");
        assert!(matches!(
            core.plan_nudges(now, 14),
            Err(Error::Nudge(NudgeError::ScheduleNotSet))
        ));
        setup(&core);
        core.plan_nudges(now, 14).expect("plan")
    };
    let core = Microlearn::open(dir.path()).expect("reopen");
    assert_eq!(core.nudge_prefs().expect("prefs").max_per_week, 8);
    assert_eq!(core.nudge_platform().expect("platform"), Platform::Android);
    assert_eq!(
        core.nudge_schedule()
            .expect("schedule")
            .expect("set")
            .time_zone,
        "America/New_York"
    );
    let again = core.plan_nudges(now, 14).expect("replan");
    assert_eq!(first, again);
    assert!(!first.nudges.is_empty());
    // Crosses the 2026-03-08 spring-forward: offsets change from -05:00 to -04:00.
    assert!(
        first
            .nudges
            .iter()
            .any(|n| n.local_start.ends_with("-05:00"))
    );
    assert!(
        first
            .nudges
            .iter()
            .any(|n| n.local_start.ends_with("-04:00"))
    );
}

#[test]
fn responses_feed_the_history_and_back_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    setup(&core);
    let mut now = at("2026-06-01T10:00:00Z");
    let baseline = core.plan_nudges(now, 28).expect("plan").nudges.len();
    // Walk a week: each nudge fires, the learner ignores it.
    let mut ignored = 0;
    for _ in 0..7 {
        let plan = core.plan_nudges(now, 28).expect("plan");
        let next = now + Duration::days(1);
        for n in plan
            .nudges
            .iter()
            .filter(|n| n.fire_window_start_utc < next)
        {
            core.record_nudge_response(&n.id, false, n.fire_window_end_utc)
                .expect("respond");
            ignored += 1;
        }
        now = next;
    }
    assert!(ignored >= 3, "{ignored}");
    let history = core.nudge_history(now).expect("history");
    assert_eq!(
        history
            .iter()
            .filter(|r| r.outcome == NudgeOutcome::Ignored)
            .count(),
        ignored
    );
    let backed_off = core.plan_nudges(now, 28).expect("plan");
    assert!(
        backed_off
            .skipped
            .iter()
            .any(|s| s.reason == SkipReason::BackOff)
    );
    assert!(
        backed_off.nudges.len() < baseline,
        "{} vs {baseline}",
        backed_off.nudges.len()
    );
    // The learner opens the latest one: the frequency recovers.
    let last = history
        .iter()
        .max_by_key(|r| r.fired_at)
        .expect("a delivered nudge");
    core.record_nudge_response(&last.id, true, now)
        .expect("open");
    // An open is not overwritten by a later "ignored".
    core.record_nudge_response(&last.id, false, now)
        .expect("ignore");
    let recovered = core.plan_nudges(now, 28).expect("plan");
    assert!(recovered.nudges.len() > backed_off.nudges.len());
    assert!(matches!(
        core.record_nudge_response("n-unknown", true, now),
        Err(Error::Nudge(NudgeError::UnknownNudge(_)))
    ));
}

#[test]
fn bad_input_is_refused_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    setup(&core);
    let err = core
        .set_nudge_schedule(&Schedule {
            time_zone: "America/Nowhere".into(),
            ..Schedule::default()
        })
        .expect_err("bad zone");
    assert!(
        matches!(err, Error::Nudge(NudgeError::UnknownTimeZone(_))),
        "{err}"
    );
    let err = core
        .set_nudge_prefs(&NudgePrefs {
            quiet_hours: vec![QuietHours {
                start_min: 1500,
                end_min: 0,
            }],
            ..NudgePrefs::default()
        })
        .expect_err("bad minutes");
    assert!(
        matches!(err, Error::Nudge(NudgeError::InvalidPrefs(_))),
        "{err}"
    );
    // The earlier settings are intact.
    assert_eq!(
        core.nudge_schedule().expect("s").expect("set").time_zone,
        "America/New_York"
    );
    let now = at("2026-06-01T10:00:00Z");
    assert!(matches!(
        core.plan_nudges(now, 61),
        Err(Error::Nudge(NudgeError::TooManyDays { days: 61, max: 60 }))
    ));
    // Clocks going backwards: still a valid plan, nothing lost.
    let plan = core.plan_nudges(now, 7).expect("plan");
    let earlier = core.plan_nudges(now - Duration::days(3), 7).expect("plan");
    assert!(!earlier.nudges.is_empty());
    assert_eq!(core.plan_nudges(now, 7).expect("plan"), plan);
}

#[test]
fn replanning_through_the_day_keeps_the_nudges_still_ahead() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    setup(&core);
    core.set_nudge_prefs(&NudgePrefs {
        quiet_hours: vec![QuietHours {
            start_min: 22 * 60,
            end_min: 6 * 60,
        }],
        max_per_day: 3,
        max_per_week: 21,
        ..NudgePrefs::default()
    })
    .expect("prefs");
    // A Saturday in New York (no shift), 06:00 EDT; re-plan every 30 minutes until 23:30, as a
    // shell would; nudges fire in between (their windows pass) and count as delivered.
    let start = at("2026-06-06T10:00:00Z");
    let mut previous = core.plan_nudges(start, 7).expect("plan");
    let mut delivered_today = 0;
    for step in 1..=35 {
        let now = start + Duration::minutes(30 * step);
        let plan = core.plan_nudges(now, 7).expect("replan");
        for n in previous
            .nudges
            .iter()
            .filter(|n| n.fire_window_start_utc >= now)
        {
            assert!(plan.nudges.contains(n), "at {now}: lost {n:?}");
        }
        delivered_today = core
            .nudge_history(now)
            .expect("history")
            .iter()
            .filter(|r| r.fired_at >= start && r.fired_at < at("2026-06-07T04:00:00Z"))
            .count();
        previous = plan;
    }
    assert!(delivered_today >= 1, "nothing fired on Saturday");
}
