//! A simulation of many learners answering daily sessions, with a known true recall model.
//!
//! *Why:* to check, without real learners, that (1) sessions adapt — learners with different
//! abilities are on different paths from day 2 — and (2) FSRS's predicted recall is calibrated
//! against the truth. The session selection is the production [`super::session::fit`] and the
//! scheduling is the production [`Scheduler`]; only the learners are simulated.
//!
//! True model (deliberately *not* FSRS's own curve): learner ability θ ~ N(0, 1), question
//! difficulty β ~ N(0, 0.8). A first exposure is right with probability σ(θ − β − 0.3); it (and its
//! explanation) sets a true stability S* = e^{0.8(θ−β)} × (3 if right else 1) days. Later, recall
//! after t days is (1 + t / (9 S*))⁻¹; a right answer multiplies S* by 1.5 + 1.5 (1 − p) e^{0.3(θ−β)},
//! a wrong one halves it (≥ 0.2 days).

use std::collections::HashMap;

use fsrs::MemoryState;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;

use super::{
    QuizError, Rating, Scheduler,
    session::{DueCandidate, ItemKind, NewCandidate, fit},
};

/// Simulation settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimConfig {
    /// Learners.
    pub learners: usize,
    /// Days each learner practises (one session a day).
    pub days: u32,
    /// Topics, all assigned.
    pub topics: usize,
    /// Questions per topic.
    pub questions_per_topic: usize,
    /// Session budget, seconds.
    pub budget_seconds: u32,
    /// Most new questions a session.
    pub max_new: u32,
    /// Estimated seconds per question.
    pub est_seconds: u32,
    /// Desired retention.
    pub desired_retention: f32,
    /// Random seed (the run is deterministic; each learner has its own stream).
    pub seed: u64,
    /// Fit each learner's own FSRS parameters (`fsrs::compute_parameters`) on their answers so
    /// far at the start of this day (0-based), then reschedule with them.
    pub optimize_on_day: Option<u32>,
    /// Only reviews on or after this day (0-based) count in the log loss and calibration.
    pub score_from_day: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            learners: 1000,
            days: 30,
            topics: 6,
            questions_per_topic: 40,
            budget_seconds: 180,
            max_new: 8,
            est_seconds: 12,
            desired_retention: 0.9,
            seed: 7,
            optimize_on_day: None,
            score_from_day: 0,
        }
    }
}

/// One bin of the calibration table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower edge of predicted recall.
    pub from: f32,
    /// Reviews in the bin.
    pub n: u64,
    /// Mean predicted recall.
    pub predicted: f64,
    /// Observed share recalled.
    pub observed: f64,
}

/// What the simulation found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    /// The settings.
    pub config: SimConfig,
    /// Answers to already-seen questions (where FSRS predicts recall).
    pub reviews: u64,
    /// All answers.
    pub answers: u64,
    /// Log loss of FSRS's predicted recall against the simulated outcomes.
    pub log_loss: f64,
    /// Log loss of always predicting the observed mean recall (a constant baseline).
    pub baseline_log_loss: f64,
    /// Log loss of the true recall probabilities (the floor no model can beat).
    pub oracle_log_loss: f64,
    /// Root mean square calibration error over the bins (weighted by reviews).
    pub rmse_bins: f64,
    /// Calibration table, 10 bins.
    pub calibration: Vec<CalibrationBin>,
    /// Share of learners whose session differs from the most common one, per day (1-based).
    pub divergent_share_by_day: Vec<f64>,
    /// First day (1-based) on which most learners' sessions differ from the most common one.
    pub days_until_divergence: Option<u32>,
    /// Learners whose own parameters were fitted (see `optimize_on_day`).
    pub learners_optimized: u64,
    /// Share of all answers that were right.
    pub mean_accuracy: f64,
}

#[derive(Clone, Copy)]
struct Item {
    mem: MemoryState,
    last: f64,
    due: f64,
    true_s: f64,
}

fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Runs the simulation.
pub fn run(cfg: &SimConfig) -> Result<SimReport, QuizError> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let n_q = cfg.topics * cfg.questions_per_topic;
    let beta: Vec<f64> = (0..n_q).map(|_| 0.8 * normal(&mut rng)).collect();
    let topic_of = |q: usize| q / cfg.questions_per_topic.max(1);
    let mut sessions_by_day: Vec<Vec<u64>> = vec![vec![]; cfg.days as usize];
    let mut optimized = 0u64;
    let mut oracle_sum = 0.0;
    let (mut ll_sum, mut reviews, mut answers, mut recalled, mut correct_all) =
        (0.0, 0u64, 0u64, 0u64, 0u64);
    let mut bins = vec![(0u64, 0.0f64, 0.0f64); 10];
    for learner in 0..cfg.learners {
        let mut rng = StdRng::seed_from_u64(
            cfg.seed ^ (learner as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        );
        let mut sched = Scheduler::default();
        let mut log: Vec<Vec<(f64, Rating)>> = vec![vec![]; n_q];
        let theta = normal(&mut rng);
        let hour = 0.25 + 0.2 * rng.random::<f64>();
        let mut items: Vec<Option<Item>> = vec![None; n_q];
        for day in 0..cfg.days {
            let now = day as f64 + hour;
            if cfg.optimize_on_day == Some(day)
                && let Some(fitted) = fit_learner(&log, cfg.desired_retention)?
            {
                sched = fitted;
                optimized += 1;
                for (q, h) in log.iter().enumerate() {
                    if let (Some(it), Some(mem)) = (items[q].as_mut(), replay(&sched, h, cfg)?) {
                        it.mem = mem.0;
                        it.due = mem.1;
                    }
                }
            }
            // Session selection, as in production.
            let mut due = vec![];
            let mut r_sum = vec![0.0f32; cfg.topics];
            for (q, it) in items.iter().enumerate() {
                if let Some(it) = it {
                    let r = sched.retrievability(it.mem, (now - it.last) as f32);
                    r_sum[topic_of(q)] += r;
                    if it.due <= now {
                        due.push(DueCandidate {
                            key: q,
                            retrievability: r,
                            est_seconds: cfg.est_seconds,
                        });
                    }
                }
            }
            let mut new = vec![];
            for (t, rs) in r_sum.iter().enumerate() {
                let gap = 1.0 - rs / cfg.questions_per_topic.max(1) as f32;
                let start = t * cfg.questions_per_topic;
                let unseen =
                    (start..start + cfg.questions_per_topic).filter(|&q| items[q].is_none());
                for (order, q) in unseen.take(cfg.max_new as usize).enumerate() {
                    new.push(NewCandidate {
                        key: q,
                        topic_gap: gap,
                        order,
                        est_seconds: cfg.est_seconds,
                    });
                }
            }
            let picked = fit(due, new, cfg.budget_seconds, cfg.max_new);
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for (q, _) in &picked {
                h = (h ^ *q as u64).wrapping_mul(0x0100_0000_01b3);
            }
            sessions_by_day[day as usize].push(h);
            // Answers, from the true model.
            for (q, kind) in picked {
                let d = theta - beta[q];
                let (p, prev) = match (kind, items[q]) {
                    (ItemKind::New, _) | (_, None) => (sigmoid(d - 0.3), None),
                    (ItemKind::Review, Some(it)) => {
                        let t = (now - it.last).max(0.0);
                        (1.0 / (1.0 + t / (9.0 * it.true_s)), Some(it))
                    }
                };
                let right = rng.random::<f64>() < p;
                answers += 1;
                correct_all += u64::from(right);
                let ratio = (0.75 + 0.4 * rng.random::<f64>() - 0.15 * d).clamp(0.2, 3.0);
                let rating = Rating::from_answer(
                    right,
                    (ratio * cfg.est_seconds as f64 * 1000.0) as u32,
                    cfg.est_seconds,
                    None,
                );
                let (mem, elapsed) = match prev {
                    Some(it) => (Some(it.mem), (now - it.last) as f32),
                    None => (None, 0.0),
                };
                log[q].push((now, rating));
                if let Some(it) = prev.filter(|_| day >= cfg.score_from_day) {
                    let pred =
                        f64::from(sched.retrievability(it.mem, elapsed)).clamp(1e-4, 1.0 - 1e-4);
                    let y = if right { 1.0 } else { 0.0 };
                    ll_sum -= y * pred.ln() + (1.0 - y) * (1.0 - pred).ln();
                    let pt = p.clamp(1e-4, 1.0 - 1e-4);
                    oracle_sum -= y * pt.ln() + (1.0 - y) * (1.0 - pt).ln();
                    reviews += 1;
                    recalled += u64::from(right);
                    let b = ((pred * 10.0) as usize).min(9);
                    bins[b].0 += 1;
                    bins[b].1 += pred;
                    bins[b].2 += y;
                }
                let next = sched.review(mem, elapsed, rating, cfg.desired_retention)?;
                let true_s = match prev {
                    None => (0.8 * d).exp() * if right { 3.0 } else { 1.0 },
                    Some(it) if right => it.true_s * (1.5 + 1.5 * (1.0 - p) * (0.3 * d).exp()),
                    Some(it) => (it.true_s * 0.5).max(0.2),
                };
                items[q] = Some(Item {
                    mem: next.memory,
                    last: now,
                    due: now + f64::from(next.interval_days),
                    true_s,
                });
            }
        }
    }
    let divergent_share_by_day: Vec<f64> = sessions_by_day
        .iter()
        .map(|hs| {
            let mut counts: HashMap<u64, usize> = HashMap::new();
            for h in hs {
                *counts.entry(*h).or_default() += 1;
            }
            let modal = counts.values().copied().max().unwrap_or(0);
            if hs.is_empty() {
                0.0
            } else {
                1.0 - modal as f64 / hs.len() as f64
            }
        })
        .collect();
    let days_until_divergence = divergent_share_by_day
        .iter()
        .position(|&s| s > 0.5)
        .map(|i| i as u32 + 1);
    let base = if reviews > 0 {
        recalled as f64 / reviews as f64
    } else {
        0.5
    };
    let base = base.clamp(1e-4, 1.0 - 1e-4);
    let baseline_log_loss = -(base * base.ln() + (1.0 - base) * (1.0 - base).ln());
    let mut se = 0.0;
    let calibration = bins
        .iter()
        .enumerate()
        .map(|(i, &(n, p, o))| {
            let (pm, om) = if n > 0 {
                (p / n as f64, o / n as f64)
            } else {
                (0.0, 0.0)
            };
            se += n as f64 * (pm - om).powi(2);
            CalibrationBin {
                from: i as f32 / 10.0,
                n,
                predicted: pm,
                observed: om,
            }
        })
        .collect();
    Ok(SimReport {
        config: cfg.clone(),
        reviews,
        answers,
        log_loss: if reviews > 0 {
            ll_sum / reviews as f64
        } else {
            f64::NAN
        },
        baseline_log_loss,
        oracle_log_loss: if reviews > 0 {
            oracle_sum / reviews as f64
        } else {
            f64::NAN
        },
        rmse_bins: if reviews > 0 {
            (se / reviews as f64).sqrt()
        } else {
            f64::NAN
        },
        calibration,
        divergent_share_by_day,
        days_until_divergence,
        learners_optimized: optimized,
        mean_accuracy: if answers > 0 {
            correct_all as f64 / answers as f64
        } else {
            0.0
        },
    })
}

/// Fits one learner's parameters from their answers; `None` when the fit fails (too little data).
fn fit_learner(
    log: &[Vec<(f64, Rating)>],
    _retention: f32,
) -> Result<Option<Scheduler>, QuizError> {
    let mut items = vec![];
    for h in log {
        let mut reviews = vec![];
        let mut prev: Option<f64> = None;
        for &(t, r) in h {
            let delta_t = prev.map(|p| (t - p).max(0.0).floor() as u32).unwrap_or(0);
            reviews.push(fsrs::FSRSReview {
                rating: r as u32,
                delta_t,
            });
            if reviews.len() >= 2 && reviews.iter().any(|r| r.delta_t > 0) {
                items.push(fsrs::FSRSItem {
                    reviews: reviews.clone(),
                });
            }
            prev = Some(t);
        }
    }
    if items.is_empty() {
        return Ok(None);
    }
    match super::scheduler::compute_parameters(items) {
        Ok(p) => Scheduler::new(Some(&p)).map(Some),
        Err(_) => Ok(None),
    }
}

/// Replays one question's answers with `sched`: (memory, due day).
fn replay(
    sched: &Scheduler,
    h: &[(f64, Rating)],
    cfg: &SimConfig,
) -> Result<Option<(MemoryState, f64)>, QuizError> {
    let mut state: Option<(MemoryState, f64, f64)> = None;
    for &(t, r) in h {
        let (mem, elapsed) = match state {
            Some((m, last, _)) => (Some(m), (t - last) as f32),
            None => (None, 0.0),
        };
        let next = sched.review(mem, elapsed, r, cfg.desired_retention)?;
        state = Some((next.memory, t, t + f64::from(next.interval_days)));
    }
    Ok(state.map(|(m, _, due)| (m, due)))
}
