//! The memory cache is recomputable from the log, and per-learner FSRS optimisation is gated on
//! enough reviews and then reschedules with the fitted parameters.

mod quiz_common;

use microlearn_core::{
    Error, Microlearn,
    quiz::{MIN_REVIEWS_TO_OPTIMIZE, QuizError},
};
use quiz_common::{cards, core, day};

fn memory(core: &Microlearn) -> Vec<(String, f64, f64, i64, i64, i64, i64)> {
    core.store()
        .read(|c| {
            let mut st = c.prepare(
                "SELECT question_id, stability, difficulty, last_review_ms, due_ms, reps, lapses
                 FROM quiz_memory ORDER BY question_id",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>().map_err(Error::from)
        })
        .expect("memory")
}

/// 60 questions answered every 1–3 days for 10 rounds; right ~75 % of the time.
fn history(core: &Microlearn) {
    core.import_cards(&cards(60, 3)).expect("import");
    for q in 0..60u32 {
        let mut d = 0;
        for k in 0..10u32 {
            let right = (q * 7 + k * 3) % 4 != 0;
            core.answer(
                &format!("q-{q:04}"),
                &[u32::from(right)],
                5_000,
                None,
                day(d),
            )
            .expect("answer");
            d += 1 + (q + k) % 3;
        }
    }
}

#[test]
fn memory_cache_is_rebuilt_exactly_from_the_log() {
    let (_d, core) = core();
    core.import_cards(&cards(10, 2)).expect("import");
    for d in 0..6 {
        for q in 0..10u32 {
            if (q + d) % 3 != 0 {
                core.answer(&format!("q-{q:04}"), &[(q + d) % 2], 4_000, None, day(d))
                    .expect("answer");
            }
        }
    }
    // A backwards clock in the log too.
    core.answer("q-0001", &[1], 4_000, None, day(2))
        .expect("answer");
    let before = memory(&core);
    assert_eq!(core.rebuild_quiz_memory().expect("rebuild"), 10);
    assert_eq!(memory(&core), before);
}

#[test]
fn optimisation_is_gated_then_fits_and_reschedules() {
    let (_d, core) = core();
    core.import_cards(&cards(5, 1)).expect("import");
    core.answer("q-0000", &[1], 4_000, None, day(0))
        .expect("answer");
    match core.optimize_fsrs_parameters() {
        Err(Error::Quiz(QuizError::NotEnoughReviews { have: 0, need })) => {
            assert_eq!(need, MIN_REVIEWS_TO_OPTIMIZE)
        }
        other => panic!("expected NotEnoughReviews, got {other:?}"),
    }
    let (_d2, core) = core_with_history();
    let report = core.optimize_fsrs_parameters().expect("optimise");
    assert_eq!(report.parameters.len(), 21);
    assert!(report.long_term_reviews >= MIN_REVIEWS_TO_OPTIMIZE);
    assert_eq!(report.questions_rescheduled, 60);
    assert_ne!(report.parameters, fsrs::DEFAULT_PARAMETERS.to_vec());
    // The stored parameters are used from now on, and the cache matches a fresh replay.
    let after = memory(&core);
    core.rebuild_quiz_memory().expect("rebuild");
    assert_eq!(memory(&core), after);
    let s = core.daily_session(None, day(40)).expect("session");
    assert!(!s.items.is_empty());
}

fn core_with_history() -> (tempfile::TempDir, Microlearn) {
    let (d, core) = core();
    history(&core);
    (d, core)
}
