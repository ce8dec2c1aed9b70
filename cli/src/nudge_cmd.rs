//! `microlearn nudges …`: the learner's schedule and preferences, the notification plan, and
//! responses to nudges.

use std::{path::Path, time::Instant};

use clap::Subcommand;
use microlearn_core::{
    Microlearn,
    nudge::{
        NudgeCategory, Platform, QuietHours, ShiftStart, plan, sample::realistic_input,
        window::instant_or_now,
    },
};

use crate::output::{CmdResult, Output};

/// `microlearn nudges …`
#[derive(Subcommand)]
pub enum NudgesCmd {
    /// Plan the next days' nudges (and remember the plan, so responses can name its ids).
    Plan {
        /// How many days ahead (at most 60).
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Plan as of this instant (RFC 3339) instead of the clock.
        #[arg(long)]
        now: Option<String>,
        /// Also time the planning: median milliseconds over this many runs (on stderr).
        #[arg(long)]
        time_runs: Option<u32>,
    },
    /// Set the schedule, preferences or platform (only the options given change).
    Set {
        /// IANA time zone, e.g. Europe/London.
        #[arg(long)]
        tz: Option<String>,
        /// Shift start, `DAY=HH:MM` (mon..sun); repeat per working day. Replaces all shifts.
        #[arg(long = "shift")]
        shifts: Vec<String>,
        /// No working days (clears the shifts).
        #[arg(long, conflicts_with = "shifts")]
        no_shifts: bool,
        /// Shift length in minutes (no nudges during shifts).
        #[arg(long)]
        shift_minutes: Option<u16>,
        /// Quiet hours, `HH:MM-HH:MM` (may span midnight); repeat for several. Replaces all.
        #[arg(long = "quiet")]
        quiet: Vec<String>,
        /// At most this many nudges per day.
        #[arg(long)]
        max_per_day: Option<u32>,
        /// At most this many nudges in any 7 days.
        #[arg(long)]
        max_per_week: Option<u32>,
        /// Turn a category off (review_due, streak_at_risk, new_content, unfinished_card,
        /// daily_practice); repeat. Replaces the list.
        #[arg(long = "opt-out")]
        opt_out: Vec<String>,
        /// Whether the OS notification permission is granted.
        #[arg(long)]
        permission: Option<bool>,
        /// ios or android.
        #[arg(long)]
        platform: Option<String>,
    },
    /// Record the learner's response to a nudge (`--opened` or `--ignored`).
    #[command(group(clap::ArgGroup::new("outcome").required(true).args(["opened", "ignored"])))]
    Respond {
        /// The nudge id (from `nudges plan`).
        id: String,
        /// The learner opened it.
        #[arg(long)]
        opened: bool,
        /// The learner dismissed or ignored it.
        #[arg(long)]
        ignored: bool,
        /// When (RFC 3339); the clock by default.
        #[arg(long)]
        at: Option<String>,
    },
    /// Show the schedule, preferences and platform.
    Show,
    /// Time a 30-day plan (the `plan_ms_30d` figure of `bench quiz`); last line is JSON.
    Bench {
        /// Timed runs (the median is reported).
        #[arg(long, default_value_t = 301)]
        runs: usize,
    },
}

/// Runs one `nudges` command.
pub fn run(data_dir: &Path, cmd: NudgesCmd, out: &Output) -> CmdResult {
    if let NudgesCmd::Bench { runs } = cmd {
        return bench(runs.max(1));
    }
    let core = Microlearn::open(data_dir)?;
    match cmd {
        NudgesCmd::Plan {
            days,
            now,
            time_runs,
        } => {
            let now = instant_or_now(now.as_deref())?;
            let plan = core.plan_nudges(now, days)?;
            if let Some(runs) = time_runs.filter(|r| *r > 0) {
                let mut ms: Vec<f64> = (0..runs)
                    .map(|_| {
                        let t = Instant::now();
                        let r = core.plan_nudges(now, days);
                        let e = t.elapsed().as_secs_f64() * 1e3;
                        r.map(|_| e)
                    })
                    .collect::<Result<_, _>>()?;
                ms.sort_by(f64::total_cmp);
                let median = ms[ms.len() / 2];
                eprintln!("plan_nudges({days} days, with SQLite): median {median:.3} ms");
            }
            out.print(&plan, || {
                let mut s = format!("{} nudges ({})\n", plan.nudges.len(), plan.time_zone);
                for n in &plan.nudges {
                    s += &format!(
                        "{}  {:<15} {}  {}\n    {}\n    {}\n",
                        n.local_start,
                        n.category.as_str(),
                        n.id,
                        n.title,
                        n.body,
                        n.deep_link
                    );
                }
                for k in &plan.skipped {
                    s += &format!(
                        "skipped {}: {}\n",
                        k.local_date.as_deref().unwrap_or("all days"),
                        k.detail
                    );
                }
                s.trim_end().to_owned()
            });
        }
        NudgesCmd::Set {
            tz,
            shifts,
            no_shifts,
            shift_minutes,
            quiet,
            max_per_day,
            max_per_week,
            opt_out,
            permission,
            platform,
        } => {
            let mut schedule = core.nudge_schedule()?.unwrap_or_default();
            if let Some(tz) = tz {
                schedule.time_zone = tz;
            }
            if no_shifts {
                schedule.shifts.clear();
            } else if !shifts.is_empty() {
                schedule.shifts = shifts
                    .iter()
                    .map(|s| parse_shift(s))
                    .collect::<Result<_, _>>()?;
            }
            if let Some(m) = shift_minutes {
                schedule.shift_minutes = m;
            }
            core.set_nudge_schedule(&schedule)?;
            let mut prefs = core.nudge_prefs()?;
            if !quiet.is_empty() {
                prefs.quiet_hours = quiet
                    .iter()
                    .map(|q| parse_quiet(q))
                    .collect::<Result<_, _>>()?;
            }
            if let Some(m) = max_per_day {
                prefs.max_per_day = m;
            }
            if let Some(m) = max_per_week {
                prefs.max_per_week = m;
            }
            if !opt_out.is_empty() {
                prefs.opted_out = opt_out
                    .iter()
                    .map(|c| {
                        NudgeCategory::parse(c).ok_or_else(|| format!("unknown category {c:?}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            if let Some(p) = permission {
                prefs.permission_granted = p;
            }
            core.set_nudge_prefs(&prefs)?;
            if let Some(p) = platform {
                core.set_nudge_platform(match p.as_str() {
                    "ios" => Platform::Ios,
                    "android" => Platform::Android,
                    other => return Err(format!("unknown platform {other:?}").into()),
                })?;
            }
            show(&core, out)?;
        }
        NudgesCmd::Respond { id, opened, at, .. } => {
            let at = instant_or_now(at.as_deref())?;
            core.record_nudge_response(&id, opened, at)?;
            let v = serde_json::json!({"id": id, "opened": opened, "at": at});
            out.print(&v, || {
                format!("{id}: {}", if opened { "opened" } else { "ignored" })
            });
        }
        NudgesCmd::Show => show(&core, out)?,
        NudgesCmd::Bench { .. } => {}
    }
    Ok(())
}

/// Median of `runs` timings of `f`, in milliseconds.
fn median_ms<T, E>(runs: usize, mut f: impl FnMut() -> Result<T, E>) -> Result<f64, E> {
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f()?);
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    Ok(ms[ms.len() / 2])
}

/// `nudges bench`: the pure planner on the realistic input, and `plan_nudges` through SQLite.
fn bench(runs: usize) -> CmdResult {
    let input = realistic_input();
    let sample = plan(&input)?;
    let pure = median_ms(runs, || plan(&input))?;
    let dir = std::env::temp_dir().join(format!("microlearn-nudge-bench-{}", std::process::id()));
    let with_db = (|| -> Result<f64, Box<dyn std::error::Error>> {
        let core = Microlearn::open(&dir)?;
        core.set_nudge_schedule(&input.schedule)?;
        core.set_nudge_prefs(&input.prefs)?;
        core.set_nudge_platform(input.platform)?;
        Ok(median_ms(runs.min(101), || {
            core.plan_nudges(input.now, input.days)
        })?)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let with_db = with_db?;
    println!(
        "nudge planner, 30 days, {} nudges planned (median of {runs})",
        sample.nudges.len()
    );
    println!("  plan() pure                      {pure:>8.3} ms   (target <= 1)");
    println!("  plan_nudges() with SQLite        {with_db:>8.3} ms");
    println!(
        "{}",
        serde_json::json!({
            "plan_ms_30d": pure,
            "plan_nudges_sqlite_ms_30d": with_db,
            "nudges_30d": sample.nudges.len(),
            "runs": runs,
        })
    );
    Ok(())
}

fn show(core: &Microlearn, out: &Output) -> CmdResult {
    let v = serde_json::json!({
        "schedule": core.nudge_schedule()?,
        "prefs": core.nudge_prefs()?,
        "platform": core.nudge_platform()?,
    });
    out.print(&v, || {
        serde_json::to_string_pretty(&v).unwrap_or_else(|e| e.to_string())
    });
    Ok(())
}

/// `HH:MM` → minutes after midnight.
fn parse_hhmm(s: &str) -> Result<u16, String> {
    let (h, m) = s
        .split_once(':')
        .ok_or_else(|| format!("bad time {s:?} (want HH:MM)"))?;
    let (h, m): (u16, u16) = (
        h.parse().map_err(|_| format!("bad hour in {s:?}"))?,
        m.parse().map_err(|_| format!("bad minute in {s:?}"))?,
    );
    if h > 23 || m > 59 {
        return Err(format!("time {s:?} out of range"));
    }
    Ok(h * 60 + m)
}

fn parse_shift(s: &str) -> Result<ShiftStart, String> {
    let (day, time) = s
        .split_once('=')
        .ok_or_else(|| format!("bad shift {s:?} (want DAY=HH:MM)"))?;
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let weekday = DAYS
        .iter()
        .position(|d| day.to_ascii_lowercase().starts_with(d))
        .ok_or_else(|| format!("bad weekday {day:?} (mon..sun)"))?;
    Ok(ShiftStart {
        weekday: weekday as u8,
        start_min: parse_hhmm(time)?,
    })
}

fn parse_quiet(s: &str) -> Result<QuietHours, String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("bad quiet hours {s:?} (want HH:MM-HH:MM)"))?;
    Ok(QuietHours {
        start_min: parse_hhmm(a)?,
        end_min: parse_hhmm(b)?,
    })
}
