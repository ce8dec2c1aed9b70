//! FSRS scheduling checked against the `fsrs` crate's documented behaviour.

use microlearn_core::quiz::{Rating, Scheduler};

#[test]
fn new_card_states_match_the_crate_documentation() {
    // The `fsrs` docs (FSRS::next_states example) give these stabilities for a new card with the
    // default FSRS-6 parameters.
    let s = Scheduler::default();
    let again = s.review(None, 0.0, Rating::Again, 0.9).expect("again");
    let good = s.review(None, 0.0, Rating::Good, 0.9).expect("good");
    let easy = s.review(None, 0.0, Rating::Easy, 0.9).expect("easy");
    assert!((again.memory.stability - 0.212).abs() < 1e-3);
    assert!((good.memory.stability - 2.3065).abs() < 1e-3);
    assert!((easy.memory.stability - 8.2956).abs() < 1e-3);
    // At 90 % desired retention the interval equals the stability.
    assert!((good.interval_days - good.memory.stability).abs() < 0.05);
}

#[test]
fn good_grows_the_interval_and_again_shrinks_it() {
    let s = Scheduler::default();
    let mut st = s.review(None, 0.0, Rating::Good, 0.9).expect("first");
    let mut last = st.interval_days;
    for _ in 0..4 {
        let elapsed = st.interval_days;
        st = s
            .review(Some(st.memory), elapsed, Rating::Good, 0.9)
            .expect("good");
        assert!(st.interval_days > last, "{} ≤ {last}", st.interval_days);
        last = st.interval_days;
    }
    let lapse = s
        .review(Some(st.memory), last, Rating::Again, 0.9)
        .expect("again");
    assert!(lapse.interval_days < last / 2.0);
    let hard = s
        .review(Some(st.memory), last, Rating::Hard, 0.9)
        .expect("hard");
    let good = s
        .review(Some(st.memory), last, Rating::Good, 0.9)
        .expect("good");
    let easy = s
        .review(Some(st.memory), last, Rating::Easy, 0.9)
        .expect("easy");
    assert!(lapse.interval_days < hard.interval_days);
    assert!(hard.interval_days < good.interval_days);
    assert!(good.interval_days < easy.interval_days);
}

#[test]
fn retrievability_decreases_with_time_and_is_090_at_the_stability() {
    let s = Scheduler::default();
    let st = s.review(None, 0.0, Rating::Good, 0.9).expect("good");
    let mut prev = 1.01;
    for d in [0.0, 0.5, 1.0, 3.0, 10.0, 100.0] {
        let r = s.retrievability(st.memory, d);
        assert!(r < prev, "R({d}) = {r} not below {prev}");
        prev = r;
    }
    let at_s = s.retrievability(st.memory, st.memory.stability);
    assert!((at_s - 0.9).abs() < 1e-3, "{at_s}");
}

#[test]
fn higher_desired_retention_means_shorter_intervals() {
    let s = Scheduler::default();
    let lo = s.review(None, 0.0, Rating::Good, 0.8).expect("0.8");
    let hi = s.review(None, 0.0, Rating::Good, 0.95).expect("0.95");
    assert!(hi.interval_days < lo.interval_days);
}

#[test]
fn backwards_clock_is_a_same_day_review() {
    let s = Scheduler::default();
    let st = s.review(None, 0.0, Rating::Good, 0.9).expect("good");
    let neg = s
        .review(Some(st.memory), -5.0, Rating::Good, 0.9)
        .expect("neg");
    let zero = s
        .review(Some(st.memory), 0.0, Rating::Good, 0.9)
        .expect("zero");
    assert_eq!(neg, zero);
    let nan = s
        .review(Some(st.memory), f32::NAN, Rating::Good, 0.9)
        .expect("nan");
    assert_eq!(nan, zero);
    assert_eq!(
        s.retrievability(st.memory, -3.0),
        s.retrievability(st.memory, 0.0)
    );
}

#[test]
fn custom_parameters_are_validated() {
    assert!(Scheduler::new(Some(&[1.0, 2.0])).is_err());
    assert!(Scheduler::new(Some(&fsrs::DEFAULT_PARAMETERS)).is_ok());
}
