//! Quiz and nudge benchmark: building a daily session from 10,000 questions with history, planning
//! 30 days of nudges (from `quiz_plan.rs`, owned by the nudge work) and the learner simulation.

use std::{path::Path, time::Instant};

use chrono::{DateTime, TimeZone, Utc};
use clap::Args;
use microlearn_core::{
    Microlearn,
    content::Card,
    quiz::{SimConfig, sim},
};

use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct QuizBench {
    /// Questions in the catalog.
    #[arg(long, default_value_t = 10_000)]
    questions: usize,
    /// Days of answering history before the measured session.
    #[arg(long, default_value_t = 30)]
    history_days: u32,
    /// Timed repetitions (the median is reported).
    #[arg(long, default_value_t = 51)]
    runs: usize,
    /// Learners in the simulation.
    #[arg(long, default_value_t = 1000)]
    learners: usize,
    /// Learners in the per-learner-optimisation comparison (fitting is costly).
    #[arg(long, default_value_t = 100)]
    optimize_learners: usize,
}

fn cards(n: usize) -> Result<Vec<Card>, serde_json::Error> {
    (0..n)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": format!("bench-card-{i:05}"),
                "title": format!("Bench card {i}"),
                "format": "quiz",
                "topics": [format!("topic-{:02}", i % 20)],
                "questions": [{
                    "id": format!("bq-{i:05}"),
                    "stem": format!("In situation {i}, which of these is the right thing to do?"),
                    "choices": ["The first option", "The right option", "The third option"],
                    "correct": [1],
                    "explanation": "Because that is the rule."
                }]
            }))
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 7, 30, 0)
        .single()
        .unwrap_or_default()
        + chrono::Days::new(d.into())
}

pub fn run(data_dir: &Path, args: QuizBench) -> CmdResult {
    let dir = data_dir.join("bench-quiz");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let setup = Instant::now();
    let core = Microlearn::open(&dir)?;
    let t = Instant::now();
    core.import_cards(&cards(args.questions)?)?;
    let import_ms = t.elapsed().as_secs_f64() * 1e3;
    // History: each day, answer ~60 % of the catalog spread over the days (1 in 5 wrong), and
    // review what fell due.
    let per_day = (args.questions * 6 / 10) / args.history_days.max(1) as usize;
    let mut next_new = 0;
    let mut answers = 0u64;
    for d in 0..args.history_days {
        let now = day(d);
        let due = core.preview_session(Some(3600), now)?;
        for item in due
            .items
            .iter()
            .filter(|i| i.kind == microlearn_core::quiz::ItemKind::Review)
        {
            core.answer(&item.question_id, &[1], 6_000, None, now)?;
            answers += 1;
        }
        for _ in 0..per_day {
            if next_new >= args.questions {
                break;
            }
            let choice = if next_new % 5 == 0 { 0 } else { 1 };
            core.answer(&format!("bq-{next_new:05}"), &[choice], 7_000, None, now)?;
            next_new += 1;
            answers += 1;
        }
    }
    let setup_s = setup.elapsed().as_secs_f64();
    let now = day(args.history_days);
    let mut times = vec![];
    let mut items = 0;
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let s = core.preview_session(None, now)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        items = s.items.len();
    }
    let session_ms = median(times);
    // A one-hour budget: the due reviews no longer fill it, so the topic-gap scan over all
    // questions with history and the new-question lookups run too (the slow path).
    let mut times = vec![];
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let _ = core.preview_session(Some(3600), now)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let session_full_ms = median(times);
    let mut times = vec![];
    for _ in 0..5 {
        let t = Instant::now();
        let _ = core.mastery(now)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mastery_ms = median(times);
    let t = Instant::now();
    let stored = core.daily_session(None, now)?;
    let session_store_ms = t.elapsed().as_secs_f64() * 1e3;
    let signals = core.learner_signals(now)?;
    let t = Instant::now();
    let _ = core.progress(now)?;
    let progress_ms = t.elapsed().as_secs_f64() * 1e3;

    let plan_ms = super::quiz_plan::plan_ms_30d();

    let t = Instant::now();
    let report = sim::run(&SimConfig {
        learners: args.learners,
        ..Default::default()
    })?;
    let sim_s = t.elapsed().as_secs_f64();
    // Per-learner optimisation: the same learners, scored from day 16, with default parameters
    // and with each learner's own parameters fitted on their first 15 days.
    let sub = SimConfig {
        learners: args.optimize_learners,
        score_from_day: 15,
        ..Default::default()
    };
    let default_half = sim::run(&sub)?;
    let t = Instant::now();
    let fitted_half = sim::run(&SimConfig {
        optimize_on_day: Some(15),
        ..sub
    })?;
    let fit_s = t.elapsed().as_secs_f64();

    let fmt = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "n/a".into());
    println!("microlearn bench quiz");
    println!("{:<44} {:>12}", "metric", "value");
    let rows = [
        ("questions".to_string(), args.questions.to_string()),
        ("history answers".into(), answers.to_string()),
        (
            "reviews due at measurement".into(),
            signals.reviews_due.to_string(),
        ),
        (
            "setup (import + history), s".into(),
            format!("{setup_s:.1}"),
        ),
        ("import 10k questions, ms".into(), format!("{import_ms:.1}")),
        (
            "session_ms_10k (build, median)".into(),
            format!("{session_ms:.3}"),
        ),
        ("session items".into(), items.to_string()),
        (
            "session build, 1 h budget (gap scan), ms".into(),
            format!("{session_full_ms:.3}"),
        ),
        (
            "mastery report (median of 5), ms".into(),
            format!("{mastery_ms:.3}"),
        ),
        (
            "daily_session incl. storing it, ms".into(),
            format!("{session_store_ms:.3}"),
        ),
        (
            "progress (streak/points/badges), ms".into(),
            format!("{progress_ms:.3}"),
        ),
        ("plan_ms_30d (nudge)".into(), fmt(plan_ms)),
        (
            "sim learners × days".into(),
            format!("{} × {}", args.learners, report.config.days),
        ),
        (
            "sim_log_loss (FSRS default params)".into(),
            format!("{:.4}", report.log_loss),
        ),
        (
            "sim constant-predictor log loss".into(),
            format!("{:.4}", report.baseline_log_loss),
        ),
        (
            "sim true-probability log loss".into(),
            format!("{:.4}", report.oracle_log_loss),
        ),
        (
            "sim calibration RMSE (10 bins)".into(),
            format!("{:.4}", report.rmse_bins),
        ),
        (
            "sim_days_until_divergence".into(),
            report
                .days_until_divergence
                .map(|d| d.to_string())
                .unwrap_or_else(|| "never".into()),
        ),
        (
            "sim divergent share day 2".into(),
            format!(
                "{:.3}",
                report.divergent_share_by_day.get(1).copied().unwrap_or(0.0)
            ),
        ),
        ("sim runtime, s".into(), format!("{sim_s:.2}")),
        (
            format!(
                "days 16–30, {} learners: log loss default",
                args.optimize_learners
            ),
            format!("{:.4}", default_half.log_loss),
        ),
        (
            format!(
                "  … with own parameters fitted on day 16 ({} fitted)",
                fitted_half.learners_optimized
            ),
            format!("{:.4}", fitted_half.log_loss),
        ),
        (
            "  … constant / truth".into(),
            format!(
                "{:.3} / {:.3}",
                fitted_half.baseline_log_loss, fitted_half.oracle_log_loss
            ),
        ),
        ("  … runtime incl. fitting, s".into(), format!("{fit_s:.1}")),
    ];
    for (k, v) in rows {
        println!("{k:<44} {v:>12}");
    }
    let _ = stored;
    println!(
        "{}",
        serde_json::json!({
            "session_ms_10k": session_ms,
            "session_store_ms_10k": session_store_ms,
            "session_full_ms_10k": session_full_ms,
            "mastery_ms": mastery_ms,
            "session_items": items,
            "reviews_due": signals.reviews_due,
            "history_answers": answers,
            "progress_ms": progress_ms,
            "plan_ms_30d": plan_ms,
            "sim_log_loss": report.log_loss,
            "sim_baseline_log_loss": report.baseline_log_loss,
            "sim_oracle_log_loss": report.oracle_log_loss,
            "sim_rmse_bins": report.rmse_bins,
            "sim_days_until_divergence": report.days_until_divergence,
            "sim_learners": args.learners,
            "sim_days": report.config.days,
            "sim_late_log_loss_default": default_half.log_loss,
            "sim_late_log_loss_fitted": fitted_half.log_loss,
            "sim_late_learners": args.optimize_learners,
        })
    );
    Ok(())
}
