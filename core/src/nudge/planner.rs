//! The planner: a pure, deterministic function from [`PlanInput`] to [`NotificationPlan`].
//!
//! *Why pure:* the shells re-plan whenever the app opens or goes to the background and diff the
//! new plan against what the OS holds, by id. So the same state must give the same plan, and a
//! re-plan later the same day must keep the nudges still ahead. Hence:
//!
//! - a day's slots are chosen over the **whole** local day, independent of `now`; nudges whose
//!   window already started are then dropped. Slots already delivered (history) stay taken.
//! - ids hash category + local date + slot, never `now`;
//! - the bandit's draws are seeded by date + hour ([`super::bandit`]).
//!
//! Per local day: candidate slots are the whole hours whose delivery window lies outside quiet
//! hours and outside the shift (the hour before the shift is favoured: staff quiz at shift start),
//! not within an hour after the last session, at least [`MIN_GAP`] apart. The bandit ranks them,
//! the best are kept up to the day's budget: `max_per_day`, the rolling 7-day `max_per_week`
//! (delivered nudges count), one per category, and back-off — after every [`BACKOFF_AFTER`]
//! consecutive ignored nudges the frequency halves (nudge only every 2nd, 4th … day, fewer per
//! day), until one is opened. No nudge today once the daily goal is met.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::{
    NudgeError, Zone,
    bandit::HourBandit,
    texts::{nudge_id, texts},
    types::{
        MAX_PLAN_DAYS, NotificationPlan, NudgeCategory, NudgeOutcome, PlanInput, PlannedNudge,
        Platform, SkipReason, Skipped,
    },
    window::{local_to_utc, parse_tz, rfc3339_local, utc_to_local},
};

/// Two nudges of a day are at least this far apart.
pub const MIN_GAP: Duration = Duration::hours(2);
/// Consecutive ignored nudges that halve the frequency once more.
pub const BACKOFF_AFTER: u32 = 3;
/// The deepest back-off: one nudge every 2^4 = 16 days.
pub const MAX_BACKOFF_LEVEL: u32 = 4;
/// iOS keeps only this many pending local notifications.
pub const IOS_PENDING_LIMIT: usize = 64;
/// Android delivery window (WorkManager's 15-minute floor; ≥ 10 minutes without exact alarms).
pub const ANDROID_WINDOW: Duration = Duration::minutes(15);
/// No nudge starts within this long after a session.
pub const AFTER_SESSION: Duration = Duration::hours(1);

/// Plans the next `input.days` local days of nudges.
pub fn plan(input: &PlanInput) -> Result<NotificationPlan, NudgeError> {
    let tz = validate(input)?;
    let mut plan = NotificationPlan {
        // As the database spells it (lookups ignore ASCII case; the OS APIs do not).
        time_zone: tz.name().to_owned(),
        ..NotificationPlan::default()
    };
    if input.days == 0 {
        return Ok(plan);
    }
    if !input.prefs.permission_granted {
        skip(
            &mut plan,
            None,
            SkipReason::PermissionDenied,
            "notifications are not allowed",
        );
        return Ok(plan);
    }
    let quiet = quiet_mask(input);
    if quiet.iter().all(|q| *q) {
        skip(
            &mut plan,
            None,
            SkipReason::QuietAllDay,
            "quiet hours cover the whole day",
        );
        return Ok(plan);
    }
    if NudgeCategory::ALL
        .iter()
        .all(|c| input.prefs.opted_out.contains(c))
    {
        skip(
            &mut plan,
            None,
            SkipReason::AllCategoriesOptedOut,
            "every category is off",
        );
        return Ok(plan);
    }
    if input.prefs.max_per_day == 0 || input.prefs.max_per_week == 0 {
        skip(
            &mut plan,
            None,
            SkipReason::DailyCap,
            "the caps allow no nudge",
        );
        return Ok(plan);
    }
    let (today, _) = utc_to_local(&tz, input.now);
    let hist = History::new(input, &tz, today);
    let level = (hist.consecutive_ignored / BACKOFF_AFTER).min(MAX_BACKOFF_LEVEL);
    let window = match input.platform {
        Platform::Ios => Duration::zero(),
        Platform::Android => ANDROID_WINDOW,
    };
    // Nudges per local date, delivered and planned, for the caps.
    let mut counts: BTreeMap<NaiveDate, u32> = hist.per_date.clone();
    let ctx = DayCtx {
        input,
        tz: &tz,
        quiet: &quiet,
        window,
        hist: &hist,
    };
    for d in 0..input.days {
        let date = today + Duration::days(i64::from(d));
        let date_s = date.to_string();
        if d == 0 && input.signals.daily_goal_met {
            skip(
                &mut plan,
                Some(&date_s),
                SkipReason::DailyGoalMet,
                "daily goal met",
            );
            continue;
        }
        if level > 0 && date.num_days_from_ce().rem_euclid(1 << level) != 0 {
            let why = format!(
                "{} ignored in a row: every {} days",
                hist.consecutive_ignored,
                1 << level
            );
            skip(&mut plan, Some(&date_s), SkipReason::BackOff, &why);
            continue;
        }
        let delivered = hist.categories.get(&date).cloned().unwrap_or_default();
        let categories: Vec<NudgeCategory> = categories_for(input, d == 0)
            .into_iter()
            .filter(|c| !delivered.contains(c))
            .collect();
        let sent = counts.get(&date).copied().unwrap_or(0);
        let desired = (input.prefs.max_per_day >> level)
            .max(1)
            .min(input.prefs.max_per_day);
        let mut k = desired.saturating_sub(sent);
        if k == 0 {
            skip(
                &mut plan,
                Some(&date_s),
                SkipReason::DailyCap,
                "max per day reached",
            );
            continue;
        }
        // Every 7-day window that contains `date` (history may lie ahead if the clock went
        // backwards) must stay within `max_per_week`.
        let in_days = |from: i64| -> u32 {
            (from..from + 7)
                .map(|o| {
                    counts
                        .get(&(date + Duration::days(o)))
                        .copied()
                        .unwrap_or(0)
                })
                .sum()
        };
        let week = (-6..=0).map(in_days).max().unwrap_or(0);
        let week_left = input.prefs.max_per_week.saturating_sub(week);
        if week_left < k {
            k = week_left;
            skip(
                &mut plan,
                Some(&date_s),
                SkipReason::WeeklyCap,
                "max per 7 days reached",
            );
        }
        let k = (k as usize).min(categories.len());
        if k == 0 {
            continue;
        }
        let (slots, recent) = ctx.candidates(date);
        if recent {
            let why = "within an hour after a session";
            skip(&mut plan, Some(&date_s), SkipReason::RecentSession, why);
        }
        if slots.is_empty() {
            let why = "no hour outside quiet hours and shifts";
            skip(&mut plan, Some(&date_s), SkipReason::NoAllowedSlot, why);
            continue;
        }
        let chosen = choose(&slots, &hist.instants(date), k);
        *counts.entry(date).or_insert(0) += chosen.len() as u32;
        for (slot, category) in assign(chosen, &categories) {
            if slot.start < input.now {
                continue;
            }
            plan.nudges.push(ctx.nudge(date, d == 0, slot, category));
        }
    }
    plan.nudges
        .sort_by(|a, b| (a.fire_window_start_utc, &a.id).cmp(&(b.fire_window_start_utc, &b.id)));
    if input.platform == Platform::Ios && plan.nudges.len() > IOS_PENDING_LIMIT {
        let dropped = plan.nudges.len() - IOS_PENDING_LIMIT;
        plan.nudges.truncate(IOS_PENDING_LIMIT);
        let why = format!("{dropped} later nudges: iOS keeps 64 pending");
        skip(&mut plan, None, SkipReason::IosPendingLimit, &why);
    }
    Ok(plan)
}

fn validate(input: &PlanInput) -> Result<Zone, NudgeError> {
    let tz = parse_tz(&input.schedule.time_zone)?;
    // Far outside any real clock, date arithmetic would overflow; refuse instead of panicking.
    if !(1900..=9000).contains(&input.now.year()) {
        return Err(NudgeError::BadInstant(format!(
            "{} is outside the years 1900..=9000",
            input.now
        )));
    }
    if input.days > MAX_PLAN_DAYS {
        return Err(NudgeError::TooManyDays {
            days: input.days,
            max: MAX_PLAN_DAYS,
        });
    }
    for q in &input.prefs.quiet_hours {
        if q.start_min >= 1440 || q.end_min >= 1440 {
            return Err(NudgeError::InvalidPrefs(format!(
                "quiet hours {}..{}: minutes must be below 1440",
                q.start_min, q.end_min
            )));
        }
    }
    for s in &input.schedule.shifts {
        if s.weekday > 6 || s.start_min >= 1440 {
            return Err(NudgeError::InvalidSchedule(format!(
                "shift on weekday {} at minute {}: weekday must be 0..=6, minute below 1440",
                s.weekday, s.start_min
            )));
        }
    }
    if input.schedule.shift_minutes > 1440 {
        return Err(NudgeError::InvalidSchedule(format!(
            "shift of {} minutes is longer than a day",
            input.schedule.shift_minutes
        )));
    }
    Ok(tz)
}

fn skip(plan: &mut NotificationPlan, date: Option<&str>, reason: SkipReason, detail: &str) {
    plan.skipped.push(Skipped {
        local_date: date.map(str::to_owned),
        reason,
        detail: detail.to_owned(),
    });
}

/// Whether each local minute of the day is quiet.
fn quiet_mask(input: &PlanInput) -> Vec<bool> {
    (0..1440u16)
        .map(|m| input.prefs.quiet_hours.iter().any(|q| q.contains(m)))
        .collect()
}

/// The day's categories, most important first (one nudge per category per day).
fn categories_for(input: &PlanInput, today: bool) -> Vec<NudgeCategory> {
    let s = &input.signals;
    let mut out = vec![];
    let off = |c: NudgeCategory| input.prefs.opted_out.contains(&c);
    let done_today = today && s.practiced_today;
    if s.reviews_due > 0 && !off(NudgeCategory::ReviewDue) {
        out.push(NudgeCategory::ReviewDue);
    } else if !done_today && !off(NudgeCategory::DailyPractice) {
        out.push(NudgeCategory::DailyPractice);
    }
    if s.streak_days > 0 && !done_today && !off(NudgeCategory::StreakAtRisk) {
        out.push(NudgeCategory::StreakAtRisk);
    }
    if s.unfinished_card.is_some() && !off(NudgeCategory::UnfinishedCard) {
        out.push(NudgeCategory::UnfinishedCard);
    }
    if !s.new_content_topics.is_empty() && !off(NudgeCategory::NewContent) {
        out.push(NudgeCategory::NewContent);
    }
    out
}

/// What the history says, in the plan's time zone.
struct History {
    per_date: BTreeMap<NaiveDate, u32>,
    categories: BTreeMap<NaiveDate, Vec<NudgeCategory>>,
    taken: HashSet<(NaiveDate, u16)>,
    fired: BTreeMap<NaiveDate, Vec<DateTime<Utc>>>,
    bandit: HourBandit,
    consecutive_ignored: u32,
}

impl History {
    fn new(input: &PlanInput, tz: &Zone, today: NaiveDate) -> Self {
        let mut h = History {
            per_date: BTreeMap::new(),
            categories: BTreeMap::new(),
            taken: HashSet::new(),
            fired: BTreeMap::new(),
            bandit: HourBandit::default(),
            consecutive_ignored: 0,
        };
        let mut records: Vec<_> = input.history.iter().collect();
        records.sort_by(|a, b| (b.fired_at, &b.id).cmp(&(a.fired_at, &a.id)));
        let mut streak_open = true;
        for r in records {
            let (date, minute) = utc_to_local(tz, r.fired_at);
            // Unanswered by the end of its local day = ignored. By date, not by `now`, so that
            // re-planning later the same day sees the same state.
            let outcome = match r.outcome {
                NudgeOutcome::Sent if date < today => NudgeOutcome::Ignored,
                o => o,
            };
            *h.per_date.entry(date).or_insert(0) += 1;
            h.categories.entry(date).or_default().push(r.category);
            h.taken.insert((date, minute - minute % 60));
            h.fired.entry(date).or_default().push(r.fired_at);
            let age = (today - date).num_days() as f64;
            let hour = (minute / 60) as u8;
            match outcome {
                NudgeOutcome::Opened => {
                    h.bandit.observe(hour, true, age);
                    streak_open = false;
                }
                NudgeOutcome::Ignored => {
                    h.bandit.observe(hour, false, age);
                    if streak_open {
                        h.consecutive_ignored += 1;
                    }
                }
                NudgeOutcome::Sent => {}
            }
        }
        h
    }

    fn instants(&self, date: NaiveDate) -> Vec<DateTime<Utc>> {
        self.fired.get(&date).cloned().unwrap_or_default()
    }
}

/// One candidate slot of a day.
#[derive(Debug, Clone, Copy)]
struct Slot {
    minute: u16,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    score: f64,
}

struct DayCtx<'a> {
    input: &'a PlanInput,
    tz: &'a Zone,
    quiet: &'a [bool],
    window: Duration,
    hist: &'a History,
}

impl DayCtx<'_> {
    /// The day's allowed slots, scored by the bandit; and whether a recent session removed any.
    fn candidates(&self, date: NaiveDate) -> (Vec<Slot>, bool) {
        let sched = &self.input.schedule;
        let weekday = date.weekday().num_days_from_monday() as u8;
        let shift_of = |wd: u8| {
            sched
                .shifts
                .iter()
                .find(|s| s.weekday == wd)
                .map(|s| s.start_min)
        };
        let len = i32::from(sched.shift_minutes);
        // Busy local minutes: today's shift, and yesterday's if it runs past midnight.
        let mut busy: Vec<(i32, i32)> = vec![];
        let mut preshift_hour = None;
        if let Some(s) = shift_of(weekday) {
            busy.push((i32::from(s), i32::from(s) + len));
            preshift_hour = s
                .checked_sub(60)
                .map(|_| s / 60 - 1 + u16::from(s % 60 >= 15));
        }
        if let Some(s) = shift_of((weekday + 6) % 7) {
            busy.push((i32::from(s) - 1440, i32::from(s) + len - 1440));
        }
        let session_end = self
            .input
            .signals
            .last_session_at
            .map(|t| (t, t + AFTER_SESSION));
        let win_min = self.window.num_minutes() as i32;
        let mut recent = false;
        let mut out = Vec::with_capacity(24);
        for hour in 0..24u16 {
            let minute = hour * 60;
            let (m0, m1) = (i32::from(minute), i32::from(minute) + win_min);
            // The window [m0, m1) (a zero-length iOS window is its one minute) against shifts.
            let at_work =
                |m0: i32, m1: i32| busy.iter().any(|&(b0, b1)| m0 < b1 && m1.max(m0 + 1) > b0);
            if at_work(m0, m1) || (m0..=m1.min(1439)).any(|m| self.quiet[m as usize]) {
                continue;
            }
            let start = local_to_utc(self.tz, date, minute);
            let end = start + self.window;
            let (sd, sm) = utc_to_local(self.tz, start);
            // A gap moved this slot onto another whole hour, or off its date: the other slot
            // stands for it.
            if sd != date || (sm != minute && sm % 60 == 0) {
                continue;
            }
            let (_, em) = utc_to_local(self.tz, end);
            let moved = sm != minute || i32::from(em) != m1 % 1440;
            let sm = i32::from(sm);
            if moved && (!self.span_allowed(start, end) || at_work(sm, sm + win_min)) {
                continue;
            }
            if let Some((s0, s1)) = session_end
                && start < s1
                && end >= s0
            {
                recent = true;
                continue;
            }
            if self.hist.taken.contains(&(date, minute)) {
                continue;
            }
            let bonus = if Some(hour) == preshift_hour {
                2.0
            } else {
                0.0
            };
            let score = self.hist.bandit.sample(date, hour as u8, bonus);
            out.push(Slot {
                minute,
                start,
                end,
                score,
            });
        }
        (out, recent)
    }

    /// Whether every local minute the window `[start, end]` passes through is outside quiet
    /// hours (checked exactly, for slots a DST gap moved).
    fn span_allowed(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let mut t = start;
        loop {
            let (_, m) = utc_to_local(self.tz, t);
            if self.quiet[usize::from(m)] {
                return false;
            }
            if t >= end {
                return true;
            }
            t = (t + Duration::minutes(1)).min(end);
        }
    }

    fn nudge(&self, date: NaiveDate, today: bool, slot: Slot, c: NudgeCategory) -> PlannedNudge {
        let (title, body, deep_link) = texts(&self.input.signals, today, c);
        let category = c;
        PlannedNudge {
            id: nudge_id(category, date, slot.minute),
            fire_window_start_utc: slot.start,
            fire_window_end_utc: slot.end,
            local_start: rfc3339_local(self.tz, slot.start),
            local_end: rfc3339_local(self.tz, slot.end),
            category,
            title,
            body,
            deep_link,
        }
    }
}

/// Keeps the `k` best-scored slots, at least [`MIN_GAP`] from each other and from `fired`.
fn choose(slots: &[Slot], fired: &[DateTime<Utc>], k: usize) -> Vec<Slot> {
    let mut ranked: Vec<&Slot> = slots.iter().collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.minute.cmp(&b.minute)));
    let mut taken: Vec<DateTime<Utc>> = fired.to_vec();
    let mut out = vec![];
    for s in ranked {
        if out.len() == k {
            break;
        }
        if taken.iter().all(|t| (*t - s.start).abs() >= MIN_GAP) {
            taken.push(s.start);
            out.push(*s);
        }
    }
    out.sort_by_key(|s| s.start);
    out
}

/// Gives each chosen slot (in time order) a category: the streak reminder goes last in the day,
/// the others in priority order.
fn assign(slots: Vec<Slot>, categories: &[NudgeCategory]) -> Vec<(Slot, NudgeCategory)> {
    let n = slots.len().min(categories.len());
    let mut cats: Vec<NudgeCategory> = categories[..n].to_vec();
    if let Some(i) = cats.iter().position(|c| *c == NudgeCategory::StreakAtRisk) {
        let streak = cats.remove(i);
        cats.push(streak);
    }
    slots.into_iter().zip(cats).collect()
}
