//! Property tests of the nudge planner over random preferences, schedules, zones, histories and
//! clocks: quiet hours, caps, platform limits, idempotence.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use microlearn_core::nudge::{
    LearnerSignals, NotificationPlan, NudgeCategory, NudgeOutcome, NudgePrefs, NudgeRecord,
    PlanInput, Platform, QuietHours, Schedule, ShiftStart, plan,
};
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "UTC",
];

/// Instants around DST transitions of 2026 in the zones above (and one ordinary day).
const AROUND: &[&str] = &[
    "2026-03-08T00:00:00Z",
    "2026-03-29T00:00:00Z",
    "2026-04-05T00:00:00Z",
    "2026-10-04T00:00:00Z",
    "2026-10-25T00:00:00Z",
    "2026-11-01T00:00:00Z",
    "2026-06-15T00:00:00Z",
];

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

prop_compose! {
    fn signals()(
        reviews_due in 0u32..30,
        streak_days in 0u32..10,
        practiced_today in any::<bool>(),
        daily_goal_met in prop::bool::weighted(0.2),
        session_ago in prop::option::of(-3_600i64..86_400),
        topics in prop::collection::vec("[a-z]{1,8}( [a-z]{1,5})?", 0..2),
        unfinished in prop::option::of("[a-z0-9-]{1,10}"),
    ) -> (LearnerSignals, Option<i64>) {
        (LearnerSignals {
            reviews_due,
            streak_days,
            practiced_today,
            daily_goal_met,
            last_session_at: None,
            new_content_topics: topics,
            unfinished_card: unfinished,
        }, session_ago)
    }
}

prop_compose! {
    fn input()(
        zone in prop::sample::select(ZONES),
        around in prop::sample::select(AROUND),
        offset_s in -4 * 86_400i64..86_400,
        shifts in prop::collection::vec((0u8..7, 0u16..1440), 0..7),
        shift_minutes in prop::sample::select(vec![0u16, 240, 480, 600]),
        quiet in prop::collection::vec((0u16..1440, 0u16..1440), 0..3),
        max_per_day in 0u32..5,
        max_per_week in 0u32..16,
        opted_out in prop::collection::vec(prop::sample::select(NudgeCategory::ALL.to_vec()), 0..3),
        permission in prop::bool::weighted(0.9),
        android in any::<bool>(),
        (signals, session_ago) in signals(),
        history in prop::collection::vec(
            (-2 * 86_400i64..20 * 86_400, 0u8..3, prop::sample::select(NudgeCategory::ALL.to_vec())),
            0..40),
        days in 1u32..=60,
    ) -> PlanInput {
        let now = at(around) + Duration::seconds(offset_s);
        let mut signals = signals;
        signals.last_session_at = session_ago.map(|s| now - Duration::seconds(s));
        PlanInput {
            schedule: Schedule {
                time_zone: zone.to_owned(),
                shifts: shifts.into_iter().map(|(weekday, start_min)| ShiftStart { weekday, start_min }).collect(),
                shift_minutes,
            },
            prefs: NudgePrefs {
                quiet_hours: quiet.into_iter().map(|(start_min, end_min)| QuietHours { start_min, end_min }).collect(),
                max_per_day,
                max_per_week,
                opted_out,
                permission_granted: permission,
            },
            platform: if android { Platform::Android } else { Platform::Ios },
            signals,
            history: history.into_iter().enumerate().map(|(i, (ago, o, category))| NudgeRecord {
                id: format!("h{i}"),
                category,
                fired_at: now - Duration::seconds(ago),
                outcome: [NudgeOutcome::Sent, NudgeOutcome::Opened, NudgeOutcome::Ignored][usize::from(o)],
            }).collect(),
            now,
            days,
        }
    }
}

fn local(tz: &Tz, t: DateTime<Utc>) -> (NaiveDate, u16) {
    use chrono::Timelike;
    let l = t.with_timezone(tz);
    (l.date_naive(), (l.hour() * 60 + l.minute()) as u16)
}

/// Every invariant a plan must satisfy.
fn check(input: &PlanInput, p: &NotificationPlan) -> Result<(), TestCaseError> {
    let tz: Tz = input.schedule.time_zone.parse().expect("zone");
    let quiet = |m: u16| input.prefs.quiet_hours.iter().any(|q| q.contains(m));
    if !input.prefs.permission_granted {
        prop_assert!(p.nudges.is_empty());
        prop_assert!(!p.skipped.is_empty());
    }
    let mut ids = std::collections::HashSet::new();
    let mut per_date: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for r in &input.history {
        *per_date.entry(local(&tz, r.fired_at).0).or_default() += 1;
    }
    let mut planned: BTreeMap<NaiveDate, Vec<DateTime<Utc>>> = BTreeMap::new();
    let today = local(&tz, input.now).0;
    for n in &p.nudges {
        prop_assert!(ids.insert(n.id.clone()), "duplicate id {}", n.id);
        prop_assert!(n.fire_window_start_utc >= input.now, "in the past: {n:?}");
        prop_assert!(n.fire_window_end_utc >= n.fire_window_start_utc);
        prop_assert!(n.deep_link.starts_with("microlearn://"));
        prop_assert!(!input.prefs.opted_out.contains(&n.category));
        // Local renderings are the same instants, with the zone's offset.
        let ls = DateTime::parse_from_rfc3339(&n.local_start).expect("local start");
        let le = DateTime::parse_from_rfc3339(&n.local_end).expect("local end");
        prop_assert_eq!(ls.with_timezone(&Utc), n.fire_window_start_utc);
        prop_assert_eq!(le.with_timezone(&Utc), n.fire_window_end_utc);
        prop_assert_eq!(
            ls.offset().local_minus_utc(),
            n.fire_window_start_utc
                .with_timezone(&tz)
                .offset()
                .fix()
                .local_minus_utc()
        );
        // Never inside quiet hours: every minute of the window, in local time.
        let mut t = n.fire_window_start_utc;
        while t <= n.fire_window_end_utc {
            let (_, m) = local(&tz, t);
            prop_assert!(
                !quiet(m),
                "{} is quiet ({:?})",
                t.with_timezone(&tz),
                input.prefs
            );
            t += Duration::minutes(1);
        }
        match input.platform {
            Platform::Android => prop_assert!(
                n.fire_window_end_utc - n.fire_window_start_utc >= Duration::minutes(10)
            ),
            Platform::Ios => {}
        }
        if let Some(s) = input.signals.last_session_at {
            prop_assert!(
                n.fire_window_end_utc < s || n.fire_window_start_utc >= s + Duration::hours(1),
                "within an hour after the session at {s}: {n:?}"
            );
        }
        let (date, minute) = local(&tz, n.fire_window_start_utc);
        // Never during a shift (today's, or yesterday's running past midnight).
        let len = i32::from(input.schedule.shift_minutes);
        let wd = date.weekday().num_days_from_monday() as u8;
        for (day, offset) in [(wd, 0i32), ((wd + 6) % 7, 1440)] {
            if let Some(s) = input.schedule.shifts.iter().find(|s| s.weekday == day) {
                let (m, s) = (i32::from(minute) + offset, i32::from(s.start_min));
                prop_assert!(!(s..s + len).contains(&m), "during a shift: {n:?}");
            }
        }
        if input.signals.daily_goal_met {
            prop_assert!(date != today, "nudged on a day whose goal is met");
        }
        planned
            .entry(date)
            .or_default()
            .push(n.fire_window_start_utc);
    }
    if input.platform == Platform::Ios {
        prop_assert!(p.nudges.len() <= 64);
    }
    for (date, starts) in &planned {
        let before = per_date.get(date).copied().unwrap_or(0);
        prop_assert!(
            before + starts.len() as u32 <= input.prefs.max_per_day,
            "{date}: {before} delivered + {} planned > {}",
            starts.len(),
            input.prefs.max_per_day
        );
        let count = |d: NaiveDate| {
            per_date.get(&d).copied().unwrap_or(0) + planned.get(&d).map_or(0, |v| v.len() as u32)
        };
        // Every 7-day window containing the date. Delivered nudges may already break the cap
        // (random history); the planner must not add to such a window.
        let week = (-6..=0i64)
            .map(|from| {
                let days = (from..from + 7).map(|o| *date + Duration::days(o));
                let before: u32 = days
                    .clone()
                    .map(|d| per_date.get(&d).copied().unwrap_or(0))
                    .sum();
                let total: u32 = days.map(count).sum();
                if total > before { total } else { 0 }
            })
            .max()
            .unwrap_or(0);
        prop_assert!(week <= input.prefs.max_per_week, "{date}: {week} in 7 days");
        for w in starts.windows(2) {
            prop_assert!(
                w[1] - w[0] >= Duration::hours(2),
                "{date}: nudges too close"
            );
        }
    }
    Ok(())
}

use chrono::{Datelike, Offset};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn plans_respect_every_rule(input in input()) {
        let p = plan(&input).expect("valid input plans");
        check(&input, &p)?;
        // Idempotent: the same state gives the same plan.
        prop_assert_eq!(&plan(&input).expect("again"), &p);
    }

    #[test]
    fn replanning_later_the_same_day_keeps_future_ids(input in input(), later in 0.0f64..1.0) {
        let tz: Tz = input.schedule.time_zone.parse().expect("zone");
        let first = plan(&input).expect("plan");
        let today = local(&tz, input.now).0;
        // Somewhere between now and the end of the local day.
        let midnight = (today + Duration::days(1)).and_hms_opt(0, 0, 0).expect("midnight");
        let end = tz
            .from_local_datetime(&midnight)
            .earliest()
            .map_or(input.now + Duration::hours(1), |t| t.with_timezone(&Utc));
        let left = (end - input.now).num_seconds().max(1);
        let mut again = input.clone();
        again.now = input.now + Duration::seconds((left as f64 * later) as i64);
        prop_assume!(local(&tz, again.now).0 == today);
        let second = plan(&again).expect("replan");
        check(&again, &second)?;
        for n in first.nudges.iter().filter(|n| n.fire_window_start_utc >= again.now) {
            prop_assert!(second.nudges.contains(n), "lost {n:?}");
        }
    }

    #[test]
    fn clocks_going_backwards_still_plan(input in input(), back in 1i64..10 * 86_400) {
        let mut earlier = input.clone();
        earlier.now = input.now - Duration::seconds(back);
        let p = plan(&earlier).expect("plan");
        check(&earlier, &p)?;
    }

    #[test]
    fn a_zone_change_replans_in_the_new_zone(input in input(), zone in prop::sample::select(ZONES)) {
        let mut moved = input.clone();
        moved.schedule.time_zone = zone.to_owned();
        let p = plan(&moved).expect("plan");
        check(&moved, &p)?;
        prop_assert_eq!(&p.time_zone, zone);
    }
}

#[test]
fn whole_day_quiet_hours_and_denied_permission_give_empty_plans_with_reasons() {
    let base = PlanInput {
        schedule: Schedule {
            time_zone: "Europe/London".into(),
            ..Schedule::default()
        },
        prefs: NudgePrefs::default(),
        platform: Platform::Ios,
        signals: LearnerSignals::default(),
        history: vec![],
        now: Utc
            .with_ymd_and_hms(2026, 3, 2, 6, 0, 0)
            .single()
            .expect("t"),
        days: 14,
    };
    assert!(!plan(&base).expect("plan").nudges.is_empty());
    let mut quiet = base.clone();
    quiet.prefs.quiet_hours = vec![
        QuietHours {
            start_min: 600,
            end_min: 60,
        },
        QuietHours {
            start_min: 0,
            end_min: 601,
        },
    ];
    let p = plan(&quiet).expect("plan");
    assert!(p.nudges.is_empty());
    assert_eq!(
        p.skipped[0].reason,
        microlearn_core::nudge::SkipReason::QuietAllDay
    );
    let mut denied = base.clone();
    denied.prefs.permission_granted = false;
    let p = plan(&denied).expect("plan");
    assert!(p.nudges.is_empty());
    assert_eq!(
        p.skipped[0].reason,
        microlearn_core::nudge::SkipReason::PermissionDenied
    );
    let mut bad = base.clone();
    bad.schedule.time_zone = "Europe/Atlantis".into();
    assert!(matches!(
        plan(&bad),
        Err(microlearn_core::nudge::NudgeError::UnknownTimeZone(_))
    ));
    let mut long = base;
    long.days = 61;
    assert!(matches!(
        plan(&long),
        Err(microlearn_core::nudge::NudgeError::TooManyDays { .. })
    ));
}

#[test]
fn ios_keeps_at_most_64_pending() {
    let input = PlanInput {
        schedule: Schedule {
            time_zone: "Asia/Kolkata".into(),
            ..Schedule::default()
        },
        prefs: NudgePrefs {
            quiet_hours: vec![],
            max_per_day: 5,
            max_per_week: 35,
            ..NudgePrefs::default()
        },
        platform: Platform::Ios,
        signals: LearnerSignals {
            reviews_due: 3,
            streak_days: 4,
            new_content_topics: vec!["Refunds".into()],
            unfinished_card: Some("c1".into()),
            ..LearnerSignals::default()
        },
        history: vec![],
        now: Utc
            .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
            .single()
            .expect("t"),
        days: 60,
    };
    let p = plan(&input).expect("plan");
    assert_eq!(p.nudges.len(), 64);
    assert!(
        p.skipped
            .iter()
            .any(|s| s.reason == microlearn_core::nudge::SkipReason::IosPendingLimit)
    );
    let mut android = input;
    android.platform = Platform::Android;
    assert!(plan(&android).expect("plan").nudges.len() > 64);
}

#[test]
fn absurd_clocks_are_refused_not_panicked_on() {
    let mut input = PlanInput {
        schedule: Schedule {
            time_zone: "UTC".into(),
            ..Schedule::default()
        },
        prefs: NudgePrefs::default(),
        platform: Platform::Ios,
        signals: LearnerSignals::default(),
        history: vec![],
        now: DateTime::<Utc>::MAX_UTC,
        days: 60,
    };
    assert!(matches!(
        plan(&input),
        Err(microlearn_core::nudge::NudgeError::BadInstant(_))
    ));
    input.now = DateTime::<Utc>::MIN_UTC;
    assert!(plan(&input).is_err());
    input.now = Utc
        .with_ymd_and_hms(1970, 1, 1, 0, 0, 0)
        .single()
        .expect("epoch");
    assert!(plan(&input).is_ok());
}
