//! Streaks, points and badges, derived from the review log and finished sessions.
//!
//! *Why derived:* counters stored on the side drift (a crash between two writes, a restored
//! backup, a time-zone change); recomputing from the append-only log cannot. The log is read in
//! 15-minute buckets — every time-zone offset and DST transition in use is a multiple of 15
//! minutes, so a bucket never straddles a local midnight — which keeps this cheap for years of
//! history.
//!
//! Rules: a local day counts for the streak when the learner answered at least one question.
//! Every 7 counted days earn a streak freeze (at most [`MAX_FREEZES`] banked); a missed day
//! consumes a freeze instead of breaking the streak. Today, while not yet practised, does not
//! break the streak. Points: [`POINTS_CORRECT`] per right answer, [`POINTS_WRONG`] per wrong one,
//! [`POINTS_SESSION`] per finished session, [`POINTS_GOAL`] per day with the daily goal met.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{from_ms, schema};

/// Points for a right answer.
pub const POINTS_CORRECT: u64 = 10;
/// Points for a wrong answer (effort counts).
pub const POINTS_WRONG: u64 = 2;
/// Points for a finished session.
pub const POINTS_SESSION: u64 = 20;
/// Points for a day with the daily goal met.
pub const POINTS_GOAL: u64 = 10;
/// Counted days that earn one streak freeze.
pub const DAYS_PER_FREEZE: u32 = 7;
/// Most freezes banked.
pub const MAX_FREEZES: u32 = 2;
const BUCKET_MS: i64 = 15 * 60 * 1000;

/// A badge the learner earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Badge {
    /// Stable id, e.g. `streak-7`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Local day it was earned.
    pub earned_on: NaiveDate,
}

/// The learner's progress at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// The learner's local day.
    pub today: NaiveDate,
    /// The time zone used.
    pub time_zone: String,
    /// Current streak in local days (today included once practised).
    pub streak_days: u32,
    /// Longest streak ever.
    pub longest_streak: u32,
    /// Freezes banked now.
    pub freezes_available: u32,
    /// Freezes consumed so far.
    pub freezes_used: u32,
    /// Whether the learner answered a question today.
    pub practiced_today: bool,
    /// Whether today's goal is met (enough answers, or a finished session).
    pub daily_goal_met: bool,
    /// Questions answered today.
    pub answered_today: u32,
    /// All points.
    pub points_total: u64,
    /// Points earned today.
    pub points_today: u64,
    /// Badges earned, in order.
    pub badges: Vec<Badge>,
}

#[derive(Default, Clone, Copy)]
struct Day {
    answered: u64,
    correct: u64,
    sessions: u64,
    perfect_sessions: u64,
}

impl Day {
    fn points(&self, goal: u32) -> u64 {
        let goal_met = self.answered >= u64::from(goal) || self.sessions > 0;
        self.correct * POINTS_CORRECT
            + (self.answered - self.correct) * POINTS_WRONG
            + self.sessions * POINTS_SESSION
            + if goal_met { POINTS_GOAL } else { 0 }
    }
}

impl crate::Microlearn {
    /// Streak, points and badges at `now`, in the learner's time zone.
    pub fn progress(&self, now: DateTime<Utc>) -> crate::Result<Progress> {
        self.store().read(|conn| {
            let settings = schema::load_settings(conn)?;
            let tz = settings.tz()?;
            let local = |ms: i64| tz.local_date(from_ms(ms));
            let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
            let mut stmt = conn.prepare_cached(
                "SELECT answered_ms / ?1, count(*), sum(correct) FROM quiz_reviews
                 GROUP BY answered_ms / ?1",
            )?;
            let mut rows = stmt.query([BUCKET_MS])?;
            while let Some(r) = rows.next()? {
                let d = days
                    .entry(local(r.get::<_, i64>(0)? * BUCKET_MS))
                    .or_default();
                d.answered += r.get::<_, i64>(1)?.max(0) as u64;
                d.correct += r.get::<_, i64>(2)?.max(0) as u64;
            }
            let mut stmt = conn.prepare_cached(
                "SELECT finished_ms, answered > 0 AND correct = answered FROM quiz_sessions
                 WHERE finished_ms IS NOT NULL AND answered > 0 AND abandoned = 0",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let d = days.entry(local(r.get(0)?)).or_default();
                d.sessions += 1;
                d.perfect_sessions += u64::from(r.get::<_, bool>(1)?);
            }
            Ok(compute(&days, local(now.timestamp_millis()), &settings))
        })
    }
}

fn compute(
    days: &BTreeMap<NaiveDate, Day>,
    today: NaiveDate,
    s: &schema::QuizSettings,
) -> Progress {
    let goal = s.daily_goal_questions;
    let mut badges = vec![];
    let mut badge = |id: &str, name: &str, on: NaiveDate| {
        if !badges.iter().any(|b: &Badge| b.id == id) {
            badges.push(Badge {
                id: id.into(),
                name: name.into(),
                earned_on: on,
            });
        }
    };
    let (mut streak, mut longest, mut freezes, mut used, mut since_freeze) = (0u32, 0, 0, 0, 0);
    let (mut answers, mut sessions, mut points_total) = (0u64, 0u64, 0u64);
    let today_day = days.get(&today).copied().unwrap_or_default();
    if let Some((&first, _)) = days.iter().next() {
        let mut d = first;
        while d <= today {
            let day = days.get(&d).copied().unwrap_or_default();
            if day.answered > 0 {
                streak += 1;
                since_freeze += 1;
                if since_freeze == DAYS_PER_FREEZE {
                    since_freeze = 0;
                    freezes = (freezes + 1).min(MAX_FREEZES);
                }
            } else if d < today {
                if freezes > 0 {
                    freezes -= 1;
                    used += 1;
                } else {
                    streak = 0;
                    since_freeze = 0;
                }
            }
            longest = longest.max(streak);
            answers += day.answered;
            sessions += day.sessions;
            points_total += day.points(goal);
            if answers >= 1 {
                badge("first-answer", "First answer", d);
            }
            if answers >= 100 {
                badge("answers-100", "100 answers", d);
            }
            if sessions >= 10 {
                badge("sessions-10", "10 sessions", d);
            }
            if day.perfect_sessions > 0 {
                badge("perfect-session", "Perfect session", d);
            }
            if streak >= 7 {
                badge("streak-7", "7-day streak", d);
            }
            if streak >= 30 {
                badge("streak-30", "30-day streak", d);
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
    }
    Progress {
        today,
        time_zone: s.time_zone.clone(),
        streak_days: streak,
        longest_streak: longest,
        freezes_available: freezes,
        freezes_used: used,
        practiced_today: today_day.answered > 0,
        daily_goal_met: today_day.answered >= u64::from(goal) || today_day.sessions > 0,
        answered_today: today_day.answered.min(u64::from(u32::MAX)) as u32,
        points_total,
        points_today: today_day.points(goal),
        badges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).expect("date") + chrono::Days::new(n.into())
    }

    fn active(ns: &[u32]) -> BTreeMap<NaiveDate, Day> {
        ns.iter()
            .map(|&n| {
                (
                    day(n),
                    Day {
                        answered: 1,
                        correct: 1,
                        ..Default::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn freeze_bridges_one_missed_day_after_a_week() {
        let s = schema::QuizSettings::default();
        // Days 0..=6 active (earns a freeze), day 7 missed, day 8 active.
        let p = compute(&active(&[0, 1, 2, 3, 4, 5, 6, 8]), day(8), &s);
        assert_eq!(p.streak_days, 8);
        assert_eq!(p.freezes_used, 1);
        assert_eq!(p.freezes_available, 0);
        // Without the week, the miss breaks the streak.
        let p = compute(&active(&[4, 5, 6, 8]), day(8), &s);
        assert_eq!(p.streak_days, 1);
        assert_eq!(p.longest_streak, 3);
    }

    #[test]
    fn today_unpractised_keeps_the_streak() {
        let s = schema::QuizSettings::default();
        let p = compute(&active(&[0, 1, 2]), day(3), &s);
        assert_eq!(p.streak_days, 3);
        assert!(!p.practiced_today);
        let p = compute(&active(&[0, 1, 2]), day(4), &s);
        assert_eq!(p.streak_days, 0);
    }
}
