//! The 1,000-learner × 30-day simulation: sessions diverge from day 2, and FSRS's predicted recall
//! (default parameters) stays calibrated and within a log-loss bound of the simulated truth.
//!
//! Measured (seed 7): FSRS log loss ≈ 0.476, a constant predictor at the observed mean ≈ 0.468,
//! the true probabilities ≈ 0.42. Reviews are scheduled near 90 % recall, so predictions cluster
//! there and default FSRS discriminates little between learners: it does not beat the constant —
//! recorded, not hidden (docs/quiz.md).

use microlearn_core::quiz::{SimConfig, sim};

#[test]
fn thousand_learners_thirty_days() {
    let report = sim::run(&SimConfig::default()).expect("sim");
    assert_eq!(report.config.learners, 1000);
    assert_eq!(
        report.days_until_divergence,
        Some(2),
        "{:?}",
        report.divergent_share_by_day
    );
    assert_eq!(
        report.divergent_share_by_day[0], 0.0,
        "day 1 is the same for everyone"
    );
    assert!(report.reviews > 50_000, "{}", report.reviews);
    assert!(report.oracle_log_loss < report.log_loss);
    assert!(
        report.log_loss < report.oracle_log_loss + 0.08,
        "FSRS {} vs truth {}",
        report.log_loss,
        report.oracle_log_loss
    );
    assert!(
        report.log_loss < report.baseline_log_loss + 0.02,
        "FSRS {} vs constant {}",
        report.log_loss,
        report.baseline_log_loss
    );
    assert!(report.log_loss < 0.55, "log loss {}", report.log_loss);
    assert!(
        report.rmse_bins < 0.12,
        "calibration rmse {}",
        report.rmse_bins
    );
}

#[test]
fn simulation_is_deterministic() {
    let cfg = SimConfig {
        learners: 50,
        days: 10,
        ..Default::default()
    };
    assert_eq!(sim::run(&cfg).expect("a"), sim::run(&cfg).expect("b"));
}
