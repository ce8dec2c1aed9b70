//! The planner on DST transition days and in zones with 30- and 45-minute offsets: exact local
//! and UTC times of the planned windows.

use chrono::{DateTime, Duration, Utc};
use microlearn_core::nudge::{
    LearnerSignals, NudgePrefs, PlanInput, Platform, QuietHours, Schedule, SkipReason, plan,
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

/// A plan for one local day in `zone`, allowing only `[from, to)` local minutes.
fn one_day(zone: &str, now: &str, from: u16, to: u16, platform: Platform) -> PlanInput {
    PlanInput {
        schedule: Schedule {
            time_zone: zone.into(),
            ..Schedule::default()
        },
        prefs: NudgePrefs {
            quiet_hours: vec![QuietHours {
                start_min: to,
                end_min: from,
            }],
            max_per_day: 3,
            max_per_week: 21,
            ..NudgePrefs::default()
        },
        platform,
        signals: LearnerSignals {
            reviews_due: 5,
            ..LearnerSignals::default()
        },
        history: vec![],
        now: at(now),
        days: 1,
    }
}

fn starts(input: &PlanInput) -> Vec<String> {
    plan(input)
        .expect("plan")
        .nudges
        .iter()
        .map(|n| n.local_start.clone())
        .collect()
}

#[test]
fn new_york_spring_forward_moves_the_missing_hour_onto_the_next() {
    // 2026-03-08: 02:00 EST → 03:00 EDT. Allowed 02:00–03:15: the 02:00 slot does not exist and
    // would become 03:00, which is the 03:00 slot itself: one nudge, at 03:00 EDT.
    let input = one_day(
        "America/New_York",
        "2026-03-08T05:00:00Z",
        120,
        195,
        Platform::Ios,
    );
    assert_eq!(starts(&input), ["2026-03-08T03:00:00-04:00"]);
    let p = plan(&input).expect("plan");
    assert_eq!(
        p.nudges[0].fire_window_start_utc,
        at("2026-03-08T07:00:00Z")
    );
}

#[test]
fn new_york_fall_back_takes_the_earlier_of_the_repeated_hour() {
    // 2026-11-01: 01:00–02:00 happens twice; the 01:00 slot is the first (EDT).
    let input = one_day(
        "America/New_York",
        "2026-11-01T04:00:00Z",
        60,
        120,
        Platform::Ios,
    );
    assert_eq!(starts(&input), ["2026-11-01T01:00:00-04:00"]);
    // On Android the 15-minute window is measured in real time, in the first 01:00 hour.
    let input = one_day(
        "America/New_York",
        "2026-11-01T04:00:00Z",
        60,
        120,
        Platform::Android,
    );
    let p = plan(&input).expect("plan");
    assert_eq!(p.nudges[0].local_end, "2026-11-01T01:15:00-04:00");
}

#[test]
fn london_spring_forward_has_no_01_hour() {
    // 2026-03-29: 01:00 GMT → 02:00 BST. Only 01:00–02:00 allowed: no such local time exists.
    let input = one_day(
        "Europe/London",
        "2026-03-29T00:00:00Z",
        60,
        120,
        Platform::Ios,
    );
    let p = plan(&input).expect("plan");
    assert!(p.nudges.is_empty());
    assert!(
        p.skipped
            .iter()
            .any(|s| s.reason == SkipReason::NoAllowedSlot)
    );
    // The whole day still gets its nudges, in BST after the change.
    let mut day = one_day("Europe/London", "2026-03-29T00:00:00Z", 0, 0, Platform::Ios);
    day.prefs.quiet_hours = vec![];
    for s in starts(&day) {
        assert!(s.starts_with("2026-03-29T"), "{s}");
        let hour: u32 = s[11..13].parse().expect("hour");
        assert_ne!(hour, 1, "{s} does not exist");
        assert!(
            s.ends_with(if hour == 0 { "+00:00" } else { "+01:00" }),
            "{s}"
        );
    }
}

#[test]
fn london_fall_back_keeps_one_nudge_per_slot() {
    // 2026-10-25: 02:00 BST → 01:00 GMT. 01:00 is ambiguous: the BST one (00:00 UTC).
    let input = one_day(
        "Europe/London",
        "2026-10-24T23:00:00Z",
        60,
        120,
        Platform::Ios,
    );
    let p = plan(&input).expect("plan");
    assert_eq!(p.nudges.len(), 1);
    assert_eq!(p.nudges[0].local_start, "2026-10-25T01:00:00+01:00");
    assert_eq!(
        p.nudges[0].fire_window_start_utc,
        at("2026-10-25T00:00:00Z")
    );
}

#[test]
fn lord_howe_half_hour_shift() {
    // 2026-10-04: 02:00 (+10:30) → 02:30 (+11:00). The 02:00 slot moves to 02:30.
    let input = one_day(
        "Australia/Lord_Howe",
        "2026-10-03T14:00:00Z",
        120,
        180,
        Platform::Ios,
    );
    assert_eq!(starts(&input), ["2026-10-04T02:30:00+11:00"]);
    // 2026-04-05: 02:00 (+11:00) → 01:30 (+10:30). 01:00 happens once, 01:30–02:00 twice.
    let input = one_day(
        "Australia/Lord_Howe",
        "2026-04-04T13:00:00Z",
        60,
        90,
        Platform::Ios,
    );
    assert_eq!(starts(&input), ["2026-04-05T01:00:00+11:00"]);
    // An Android window that would run into quiet minutes after the moved start is refused.
    let input = one_day(
        "Australia/Lord_Howe",
        "2026-10-03T14:00:00Z",
        120,
        155,
        Platform::Android,
    );
    assert!(starts(&input).is_empty());
}

#[test]
fn kathmandu_and_kolkata_offsets() {
    let input = one_day(
        "Asia/Kathmandu",
        "2026-06-15T00:00:00Z",
        540,
        600,
        Platform::Ios,
    );
    let p = plan(&input).expect("plan");
    assert_eq!(p.nudges[0].local_start, "2026-06-15T09:00:00+05:45");
    assert_eq!(
        p.nudges[0].fire_window_start_utc,
        at("2026-06-15T03:15:00Z")
    );
    let input = one_day(
        "Asia/Kolkata",
        "2026-06-15T00:00:00Z",
        540,
        600,
        Platform::Android,
    );
    let p = plan(&input).expect("plan");
    assert_eq!(p.nudges[0].local_start, "2026-06-15T09:00:00+05:30");
    assert_eq!(p.nudges[0].local_end, "2026-06-15T09:15:00+05:30");
    assert_eq!(
        p.nudges[0].fire_window_end_utc - p.nudges[0].fire_window_start_utc,
        Duration::minutes(15)
    );
}

#[test]
fn quiet_hours_spanning_midnight() {
    // Allowed only 23:00–01:00 via quiet 01:00–23:00; nudges land at 23:00 or 00:00 only.
    let mut input = one_day(
        "America/New_York",
        "2026-06-15T04:00:00Z",
        23 * 60,
        60,
        Platform::Ios,
    );
    input.days = 5;
    for s in starts(&input) {
        let hm = &s[11..16];
        assert!(hm == "23:00" || hm == "00:00", "{s}");
    }
}

#[test]
fn ids_do_not_depend_on_now_but_on_date_category_and_slot() {
    let a = one_day(
        "Asia/Kolkata",
        "2026-06-15T00:00:00Z",
        540,
        600,
        Platform::Ios,
    );
    let mut b = a.clone();
    b.now = at("2026-06-15T03:00:00Z");
    let (pa, pb) = (plan(&a).expect("a"), plan(&b).expect("b"));
    assert_eq!(pa.nudges, pb.nudges);
    let mut c = a.clone();
    c.signals.reviews_due = 0;
    let pc = plan(&c).expect("c");
    assert_ne!(
        pa.nudges[0].id, pc.nudges[0].id,
        "another category, another id"
    );
}
