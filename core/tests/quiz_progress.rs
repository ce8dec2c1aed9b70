//! Streaks, points and badges from the log, in the learner's local day, across DST.

mod quiz_common;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use microlearn_core::{Microlearn, quiz::QuizSettings};
use quiz_common::{cards, core};

fn with_tz(core: &Microlearn, tz: &str) {
    core.set_quiz_settings(&QuizSettings {
        time_zone: tz.into(),
        ..Default::default()
    })
    .expect("settings");
}

fn local(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .expect("local time")
        .with_timezone(&Utc)
}

#[test]
fn streak_in_local_days_across_spring_forward_and_fall_back() {
    let (_d, core) = core();
    core.import_cards(&cards(40, 1)).expect("import");
    with_tz(&core, "America/New_York");
    let tz: Tz = "America/New_York".parse().expect("tz");
    // 23:30 local every evening from 5 to 12 March 2026 (DST starts on the 8th): 8 local days,
    // although the UTC instants fall on 6–13 March.
    for (i, d) in (5..=12).enumerate() {
        core.answer(
            &format!("q-{i:04}"),
            &[1],
            4_000,
            None,
            local(tz, 2026, 3, d, 23, 30),
        )
        .expect("answer");
    }
    let p = core
        .progress(local(tz, 2026, 3, 12, 23, 45))
        .expect("progress");
    assert_eq!(p.streak_days, 8);
    assert!(p.practiced_today);
    // Next morning local (still the 13th in UTC too): streak held, not yet practised today.
    let p = core
        .progress(local(tz, 2026, 3, 13, 7, 0))
        .expect("progress");
    assert_eq!((p.streak_days, p.practiced_today), (8, false));
    // The same instants, read in UTC, are the 6th–13th: the 13th is "today" at 04:00 UTC.
    with_tz(&core, "UTC");
    let p = core
        .progress(local(tz, 2026, 3, 13, 0, 5))
        .expect("progress");
    assert!(p.practiced_today);
    assert_eq!(p.streak_days, 8);

    // Fall back (1 November 2026): 00:30 local answers on the 31st, 1st and 2nd.
    with_tz(&core, "America/New_York");
    for (i, d) in [(10, (10, 31)), (11, (11, 1)), (12, (11, 2))] {
        core.answer(
            &format!("q-{i:04}"),
            &[1],
            4_000,
            None,
            local(tz, 2026, d.0, d.1, 0, 30),
        )
        .expect("answer");
    }
    let p = core
        .progress(local(tz, 2026, 11, 2, 12, 0))
        .expect("progress");
    assert_eq!(p.streak_days, 3);
    assert_eq!(p.longest_streak, 8);
}

#[test]
fn a_day_boundary_depends_on_the_time_zone() {
    let (_d, core) = core();
    core.import_cards(&cards(4, 1)).expect("import");
    // 09:00 and 23:00 UTC on one UTC day; in Auckland (UTC+13 in November) 22:00 and 12:00 the
    // next day — two local days.
    let t1 = Utc
        .with_ymd_and_hms(2026, 11, 10, 9, 0, 0)
        .single()
        .expect("t1");
    let t2 = Utc
        .with_ymd_and_hms(2026, 11, 10, 23, 0, 0)
        .single()
        .expect("t2");
    core.answer("q-0000", &[1], 4_000, None, t1).expect("a1");
    core.answer("q-0001", &[0], 4_000, None, t2).expect("a2");
    let p = core.progress(t2).expect("utc");
    assert_eq!(p.streak_days, 1);
    with_tz(&core, "Pacific/Auckland");
    let p = core.progress(t2).expect("auckland");
    assert_eq!(p.streak_days, 2);
    // Kathmandu (+05:45): a 45-minute offset is still on a 15-minute bucket boundary.
    with_tz(&core, "Asia/Kathmandu");
    let p = core.progress(t2).expect("kathmandu");
    assert_eq!(p.streak_days, 2);
    // Points: one right (10) + one wrong (2), no goal (5 answers) met.
    assert_eq!(p.points_total, 12);
}

#[test]
fn freezes_and_badges_are_recomputed_from_the_log() {
    let (_d, core) = core();
    core.import_cards(&cards(120, 1)).expect("import");
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
        .single()
        .expect("start");
    let mut q = 0;
    // 7 days of 5 answers (goal met daily), skip day 8, answer day 9.
    for d in (0..7).chain([8]) {
        for _ in 0..5 {
            let t = start + chrono::Days::new(d);
            core.answer(&format!("q-{q:04}"), &[1], 4_000, None, t)
                .expect("answer");
            q += 1;
        }
    }
    let p = core
        .progress(start + chrono::Days::new(8))
        .expect("progress");
    assert_eq!(p.streak_days, 8);
    assert_eq!(p.freezes_used, 1);
    assert!(p.daily_goal_met);
    assert_eq!(p.points_total, 8 * (5 * 10 + 10));
    let ids: Vec<&str> = p.badges.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["first-answer", "streak-7"]);
    // Reopening recomputes the same thing.
    let again = Microlearn::open(core.data_dir()).expect("reopen");
    assert_eq!(again.progress(start + chrono::Days::new(8)).expect("p"), p);
}
