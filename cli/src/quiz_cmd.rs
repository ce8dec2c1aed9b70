//! `microlearn quiz` and `microlearn progress`: today's session in the terminal, streaks and mastery.
//!
//! `quiz` is interactive but reads answers line by line from stdin, so it can be scripted:
//! `printf '2\n1,3\n' | microlearn quiz`. With `--json` it prints the session and exits; answer
//! with `microlearn quiz answer <question-id> <choices>`.

use std::{
    io::{BufRead, Write},
    path::Path,
    time::Instant,
};

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use microlearn_core::{Microlearn, quiz::SimConfig};

use crate::output::{CmdResult, Output};

/// `microlearn quiz`
#[derive(Args)]
pub struct QuizArgs {
    #[command(subcommand)]
    cmd: Option<QuizCmd>,
    /// Time budget of the session in seconds (default: the learner's setting).
    #[arg(long)]
    budget: Option<u32>,
    /// Pretend it is this instant (RFC 3339), for scripts and tests.
    #[arg(long, global = true)]
    now: Option<String>,
}

#[derive(Subcommand)]
enum QuizCmd {
    /// Answer one question: choices are 1-based, comma-separated (`2` or `1,3`).
    Answer {
        /// The question id.
        question_id: String,
        /// 1-based choice numbers, comma-separated.
        choices: String,
        /// Response time in milliseconds.
        #[arg(long, default_value_t = 8000)]
        response_ms: u32,
        /// Self-reported confidence, 0–1.
        #[arg(long)]
        confidence: Option<f32>,
    },
    /// Show or change the learner's quiz settings.
    Settings {
        /// Assigned topics, comma-separated (empty string = all topics).
        #[arg(long)]
        topics: Option<String>,
        /// Default session budget, seconds.
        #[arg(long)]
        budget_seconds: Option<u32>,
        /// IANA time zone of the learner's day.
        #[arg(long)]
        time_zone: Option<String>,
        /// Desired retention (0.70–0.99).
        #[arg(long)]
        retention: Option<f32>,
        /// Questions a day for the daily goal.
        #[arg(long)]
        daily_goal: Option<u32>,
        /// Most new questions per session.
        #[arg(long)]
        max_new: Option<u32>,
    },
    /// Mastery and knowledge gap per topic.
    Mastery,
    /// Fit FSRS parameters to this learner's reviews (needs enough history).
    Optimize,
    /// Run the learner simulation.
    Simulate {
        /// Learners.
        #[arg(long, default_value_t = 1000)]
        learners: usize,
        /// Days.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Fit each learner's own FSRS parameters at the start of this day (0-based).
        #[arg(long)]
        optimize_on_day: Option<u32>,
        /// Only reviews from this day on count in the log loss.
        #[arg(long, default_value_t = 0)]
        score_from_day: u32,
    },
}

/// `microlearn progress`
#[derive(Args)]
pub struct ProgressArgs {
    /// Pretend it is this instant (RFC 3339).
    #[arg(long)]
    now: Option<String>,
}

fn now_from(s: &Option<String>) -> Result<DateTime<Utc>, Box<dyn std::error::Error>> {
    match s {
        None => Ok(Utc::now()),
        Some(s) => Ok(DateTime::parse_from_rfc3339(s)
            .map_err(|e| format!("--now {s:?}: {e}"))?
            .with_timezone(&Utc)),
    }
}

fn parse_choices(s: &str) -> Result<Vec<u32>, String> {
    s.split([',', ' '])
        .filter(|p| !p.is_empty())
        .map(|p| match p.trim().parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n - 1),
            _ => Err(format!(
                "not a choice number: {p:?} (use 1, 2, … separated by commas)"
            )),
        })
        .collect()
}

pub fn quiz(data_dir: &Path, args: QuizArgs, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let now = now_from(&args.now)?;
    match args.cmd {
        Some(QuizCmd::Answer {
            question_id,
            choices,
            response_ms,
            confidence,
        }) => {
            let choices = parse_choices(&choices)?;
            let o = core.answer(&question_id, &choices, response_ms, confidence, now)?;
            out.print(&o, || {
                format!(
                    "{}  {}\nnext review: {} ({:.1} days)",
                    if o.correct { "✓ right" } else { "✗ wrong" },
                    o.explanation,
                    o.next_due.to_rfc3339(),
                    o.interval_days
                )
            });
            Ok(())
        }
        Some(QuizCmd::Settings {
            topics,
            budget_seconds,
            time_zone,
            retention,
            daily_goal,
            max_new,
        }) => {
            let mut s = core.quiz_settings()?;
            if let Some(t) = topics {
                s.assigned_topics = t
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect();
            }
            s.budget_seconds = budget_seconds.unwrap_or(s.budget_seconds);
            s.time_zone = time_zone.unwrap_or(s.time_zone);
            s.desired_retention = retention.unwrap_or(s.desired_retention);
            s.daily_goal_questions = daily_goal.unwrap_or(s.daily_goal_questions);
            s.max_new_per_session = max_new.unwrap_or(s.max_new_per_session);
            core.set_quiz_settings(&s)?;
            out.print(&s, || format!("{s:#?}"));
            Ok(())
        }
        Some(QuizCmd::Mastery) => {
            let m = core.mastery(now)?;
            out.print(&m, || mastery_text(&m));
            Ok(())
        }
        Some(QuizCmd::Optimize) => {
            let r = core.optimize_fsrs_parameters()?;
            out.print(&r, || {
                format!(
                    "fitted on {} long-term reviews ({} answers); {} questions rescheduled\n{:?}",
                    r.long_term_reviews, r.answers, r.questions_rescheduled, r.parameters
                )
            });
            Ok(())
        }
        Some(QuizCmd::Simulate {
            learners,
            days,
            optimize_on_day,
            score_from_day,
        }) => {
            let r = microlearn_core::quiz::sim::run(&SimConfig {
                learners,
                days,
                optimize_on_day,
                score_from_day,
                ..Default::default()
            })?;
            out.print(&r, || {
                format!(
                    "{} learners × {} days: {} answers, {} reviews\nlog loss {:.4} (constant \
                     {:.4}, truth {:.4}), calibration RMSE {:.4}\nsessions diverge on day {:?}",
                    learners,
                    days,
                    r.answers,
                    r.reviews,
                    r.log_loss,
                    r.baseline_log_loss,
                    r.oracle_log_loss,
                    r.rmse_bins,
                    r.days_until_divergence
                )
            });
            Ok(())
        }
        None => interactive(&core, args.budget, args.now.is_some(), now, out),
    }
}

fn interactive(
    core: &Microlearn,
    budget: Option<u32>,
    fixed_now: bool,
    now: DateTime<Utc>,
    out: &Output,
) -> CmdResult {
    let session = core.daily_session(budget, now)?;
    if out.json {
        out.print(&session, String::new);
        return Ok(());
    }
    let todo: Vec<_> = session.items.iter().filter(|i| !i.answered).collect();
    if todo.is_empty() {
        println!("Nothing to practise right now. Come back later!");
        return Ok(());
    }
    println!(
        "Today's quiz: {} question(s), about {} s. Answer with the choice number(s), e.g. 2 or 1,3; \
         an empty line stops.\n",
        todo.len(),
        todo.iter().map(|i| i.estimated_seconds).sum::<u32>()
    );
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let (mut right, mut done) = (0, 0);
    'items: for (n, item) in todo.iter().enumerate() {
        let tag = if item.kind == microlearn_core::quiz::ItemKind::Review {
            "review"
        } else {
            "new"
        };
        println!(
            "[{}/{}] ({}, {}) {}",
            n + 1,
            todo.len(),
            item.topic,
            tag,
            item.stem
        );
        for (i, c) in item.choices.iter().enumerate() {
            println!("  {}. {c}", i + 1);
        }
        let started = Instant::now();
        let choices = loop {
            print!("> ");
            std::io::stdout().flush()?;
            let Some(line) = lines.next() else {
                break 'items;
            };
            let line = line?;
            if line.trim().is_empty() || line.trim() == "q" {
                break 'items;
            }
            match parse_choices(&line) {
                Ok(c) if c.iter().all(|&c| (c as usize) < item.choices.len()) => break c,
                Ok(_) => println!("  choose between 1 and {}", item.choices.len()),
                Err(e) => println!("  {e}"),
            }
        };
        let ms = started.elapsed().as_millis().min(u128::from(u32::MAX)) as u32;
        let at = if fixed_now { now } else { Utc::now() };
        let o = core.answer(&item.question_id, &choices, ms, None, at)?;
        done += 1;
        right += usize::from(o.correct);
        let expected: Vec<String> = o
            .correct_choices
            .iter()
            .map(|c| (c + 1).to_string())
            .collect();
        let verdict = if o.correct {
            "✓ Right.".to_string()
        } else {
            format!("✗ The answer is {}.", expected.join(","))
        };
        println!(
            "  {verdict} {}\n  next review in {:.1} days\n",
            o.explanation, o.interval_days
        );
        if let Some(s) = o.session_completed {
            println!("Session complete: {}/{} right.", s.correct, s.answered);
        }
    }
    let p = core.progress(if fixed_now { now } else { Utc::now() })?;
    println!(
        "{right}/{done} right. Streak: {} day(s), {} points.",
        p.streak_days, p.points_total
    );
    Ok(())
}

fn mastery_text(m: &microlearn_core::quiz::MasteryReport) -> String {
    let mut s = format!(
        "{:<24} {:>9} {:>6} {:>5} {:>8} {:>8}\n",
        "topic", "questions", "seen", "due", "mastery", "accuracy"
    );
    for t in &m.topics {
        s.push_str(&format!(
            "{:<24} {:>9} {:>6} {:>5} {:>7.0}% {:>8}\n",
            t.topic,
            t.questions,
            t.seen,
            t.due,
            t.mastery * 100.0,
            t.accuracy
                .map(|a| format!("{:.0}%", a * 100.0))
                .unwrap_or_else(|| "–".into())
        ));
    }
    s
}

pub fn progress(data_dir: &Path, args: ProgressArgs, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let now = now_from(&args.now)?;
    let p = core.progress(now)?;
    let m = core.mastery(now)?;
    out.print(&serde_json::json!({ "progress": p, "mastery": m }), || {
        let badges: Vec<&str> = p.badges.iter().map(|b| b.name.as_str()).collect();
        format!(
            "Today ({}, {}): {} answered, goal {}\nStreak: {} day(s) (longest {}), freezes: {} \
             (used {})\nPoints: {} ({} today)\nBadges: {}\n\n{}",
            p.today,
            p.time_zone,
            p.answered_today,
            if p.daily_goal_met {
                "met"
            } else {
                "not met yet"
            },
            p.streak_days,
            p.longest_streak,
            p.freezes_available,
            p.freezes_used,
            p.points_total,
            p.points_today,
            if badges.is_empty() {
                "none yet".into()
            } else {
                badges.join(", ")
            },
            mastery_text(&m)
        )
    });
    Ok(())
}
