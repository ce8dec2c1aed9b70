//! Persistence of the learner's nudge settings and nudge history, and the [`crate::Microlearn`]
//! methods the shells call.
//!
//! *Why the log is written by `plan_nudges`:* the shell schedules exactly what the latest plan
//! says, so a planned nudge whose window has started was delivered. Keeping the plan's rows lets
//! a response name just the id, and gives the planner its history (caps, back-off, bandit)
//! without the shell having to report each delivery.

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, Transaction, params};
use serde::{Serialize, de::DeserializeOwned};

use super::{
    NudgeError, planner,
    types::{
        NotificationPlan, NudgeCategory, NudgeOutcome, NudgePrefs, NudgeRecord, PlanInput,
        Platform, Schedule,
    },
    window::parse_tz,
};
use crate::{Error, Result};

/// Delivered nudges older than this are forgotten (the bandit's half-life is 30 days).
const KEEP_DAYS: i64 = 120;

const KEY_PREFS: &str = "prefs";
const KEY_SCHEDULE: &str = "schedule";
const KEY_PLATFORM: &str = "platform";
/// The latest `now` a plan was made at (unix seconds), to notice clocks going backwards.
const KEY_LAST_PLAN: &str = "last_plan_at";
/// Clock corrections smaller than this are not "going backwards".
const BACKWARDS_TOLERANCE_S: i64 = 300;

fn get_setting<T: DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>> {
    let raw = crate::store::settings::get(conn, "nudge_settings", key)?;
    raw.map(|s| {
        serde_json::from_str(&s).map_err(|e| {
            Error::from(NudgeError::CorruptSettings {
                key: key.to_owned(),
                reason: e.to_string(),
            })
        })
    })
    .transpose()
}

fn put_setting<T: Serialize>(tx: &Transaction<'_>, key: &str, value: &T) -> Result<()> {
    let json = serde_json::to_string(value).map_err(|e| NudgeError::CorruptSettings {
        key: key.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(crate::store::settings::put(
        tx,
        "nudge_settings",
        key,
        &json,
    )?)
}

fn to_utc(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// Delivered (window started before `now`) or answered nudges, as of `now`.
fn read_history(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<NudgeRecord>> {
    let mut stmt = conn.prepare(
        "SELECT id, category, fire_start, outcome FROM nudge_log
         WHERE (fire_start < ?1 AND tentative = 0) OR outcome IS NOT NULL",
    )?;
    let rows = stmt.query_map([now.timestamp()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (id, category, fire, outcome) = row?;
        // Rows are only written from NudgeCategory::as_str; an unknown name (a newer build's
        // category after a downgrade) still counts, as a daily reminder.
        let category = NudgeCategory::parse(&category).unwrap_or(NudgeCategory::DailyPractice);
        let outcome = match outcome.as_deref() {
            Some("opened") => NudgeOutcome::Opened,
            Some(_) => NudgeOutcome::Ignored,
            None => NudgeOutcome::Sent,
        };
        out.push(NudgeRecord {
            id,
            category,
            fired_at: to_utc(fire),
            outcome,
        });
    }
    Ok(out)
}

impl crate::Microlearn {
    /// Saves the learner's notification preferences.
    pub fn set_nudge_prefs(&self, prefs: &NudgePrefs) -> Result<()> {
        if let Some(q) = prefs
            .quiet_hours
            .iter()
            .find(|q| q.start_min >= 1440 || q.end_min >= 1440)
        {
            return Err(NudgeError::InvalidPrefs(format!(
                "quiet hours {}..{}: minutes must be below 1440",
                q.start_min, q.end_min
            ))
            .into());
        }
        self.store().write(|tx| put_setting(tx, KEY_PREFS, prefs))
    }

    /// The learner's notification preferences (defaults until set).
    pub fn nudge_prefs(&self) -> Result<NudgePrefs> {
        Ok(self
            .store()
            .read(|c| get_setting(c, KEY_PREFS))?
            .unwrap_or_default())
    }

    /// Saves the learner's work schedule and time zone (checked against the OS's IANA database;
    /// stored as the database spells it, so `europe/london` is kept as `Europe/London`, a name
    /// the shells can hand to `java.util.TimeZone` / Foundation unchanged).
    pub fn set_nudge_schedule(&self, schedule: &Schedule) -> Result<()> {
        let zone = parse_tz(&schedule.time_zone)?;
        let schedule = &Schedule {
            time_zone: zone.name().to_owned(),
            ..schedule.clone()
        };
        if let Some(s) = schedule
            .shifts
            .iter()
            .find(|s| s.weekday > 6 || s.start_min >= 1440)
        {
            return Err(NudgeError::InvalidSchedule(format!(
                "shift on weekday {} at minute {}: weekday must be 0..=6, minute below 1440",
                s.weekday, s.start_min
            ))
            .into());
        }
        self.store()
            .write(|tx| put_setting(tx, KEY_SCHEDULE, schedule))
    }

    /// The learner's schedule, if set.
    pub fn nudge_schedule(&self) -> Result<Option<Schedule>> {
        self.store().read(|c| get_setting(c, KEY_SCHEDULE))
    }

    /// Saves which OS the plan is for (iOS until set).
    pub fn set_nudge_platform(&self, platform: Platform) -> Result<()> {
        self.store()
            .write(|tx| put_setting(tx, KEY_PLATFORM, &platform))
    }

    /// The OS the plan is for.
    pub fn nudge_platform(&self) -> Result<Platform> {
        Ok(self
            .store()
            .read(|c| get_setting(c, KEY_PLATFORM))?
            .unwrap_or_default())
    }

    /// Delivered and answered nudges as of `now`.
    pub fn nudge_history(&self, now: DateTime<Utc>) -> Result<Vec<NudgeRecord>> {
        self.store().read(|c| read_history(c, now))
    }

    /// Plans the next `days` local days of nudges and remembers the plan (so that responses can
    /// name a nudge by id). Idempotent: the same state gives the same plan.
    ///
    /// If `now` is before an earlier plan's `now` (the clock went backwards), the plan is still
    /// valid for that clock, but its nudges are remembered as tentative: once the clock is right
    /// again they are not taken for delivered nudges (unless the learner answered them).
    pub fn plan_nudges(&self, now: DateTime<Utc>, days: u32) -> Result<NotificationPlan> {
        let signals = self.learner_signals(now)?;
        let (schedule, prefs, platform, last, history) = self.store().read(|c| -> Result<_> {
            let schedule: Option<Schedule> = get_setting(c, KEY_SCHEDULE)?;
            let prefs: Option<NudgePrefs> = get_setting(c, KEY_PREFS)?;
            let platform: Option<Platform> = get_setting(c, KEY_PLATFORM)?;
            let last: Option<i64> = get_setting(c, KEY_LAST_PLAN)?;
            Ok((schedule, prefs, platform, last, read_history(c, now)?))
        })?;
        let backwards = last.is_some_and(|l| now.timestamp() < l - BACKWARDS_TOLERANCE_S);
        let input = PlanInput {
            schedule: schedule.ok_or(NudgeError::ScheduleNotSet)?,
            prefs: prefs.unwrap_or_default(),
            platform: platform.unwrap_or_default(),
            signals,
            history,
            now,
            days,
        };
        let plan = planner::plan(&input)?;
        let tz = parse_tz(&input.schedule.time_zone)?;
        self.store().write(|tx| -> Result<()> {
            tx.execute(
                "DELETE FROM nudge_log WHERE fire_start >= ?1 AND outcome IS NULL",
                [now.timestamp()],
            )?;
            if !backwards {
                tx.execute(
                    "DELETE FROM nudge_log WHERE fire_start < ?1 OR (tentative = 1 AND outcome IS NULL)",
                    [now.timestamp() - KEEP_DAYS * 86_400],
                )?;
                put_setting(tx, KEY_LAST_PLAN, &now.timestamp().max(last.unwrap_or(0)))?;
            }
            let mut ins = tx.prepare(
                "INSERT INTO nudge_log(id, category, local_date, fire_start, fire_end, tentative)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET fire_start = excluded.fire_start,
                     fire_end = excluded.fire_end, local_date = excluded.local_date,
                     tentative = excluded.tentative",
            )?;
            for n in &plan.nudges {
                let local_date = tz.local_date(n.fire_window_start_utc);
                ins.execute(params![
                    n.id,
                    n.category.as_str(),
                    local_date.to_string(),
                    n.fire_window_start_utc.timestamp(),
                    n.fire_window_end_utc.timestamp(),
                    backwards,
                ])?;
            }
            Ok(())
        })?;
        Ok(plan)
    }

    /// Records that the learner opened (or dismissed/ignored) nudge `id` at `at`. An open is
    /// never overwritten by a later "ignored".
    pub fn record_nudge_response(&self, id: &str, opened: bool, at: DateTime<Utc>) -> Result<()> {
        let outcome = if opened { "opened" } else { "ignored" };
        let n = self.store().write(|tx| -> Result<usize> {
            Ok(tx.execute(
                "UPDATE nudge_log SET
                     outcome = CASE WHEN outcome = 'opened' THEN 'opened' ELSE ?2 END,
                     responded_at = ?3
                 WHERE id = ?1",
                params![id, outcome, at.timestamp()],
            )?)
        })?;
        if n == 0 {
            return Err(NudgeError::UnknownNudge(id.to_owned()).into());
        }
        Ok(())
    }
}
