//! Daily sessions and answers on a real SQLite core: selection, divergence between learners,
//! durability, xAPI statements and bad input.

mod quiz_common;

use microlearn_core::{
    Error, Microlearn,
    quiz::{ItemKind, QuizError, QuizSettings},
};
use quiz_common::{cards, core, day, sample_jsonl};

fn answer_all(core: &Microlearn, d: u32, right: impl Fn(usize) -> bool) -> Vec<String> {
    let session = core.daily_session(None, day(d)).expect("session");
    let mut ids = vec![];
    for (i, item) in session.items.iter().enumerate() {
        let choice = if right(i) { 1 } else { 0 };
        core.answer(&item.question_id, &[choice], 6_000, None, day(d))
            .expect("answer");
        ids.push(item.question_id.clone());
    }
    ids
}

fn reviews(core: &Microlearn) -> i64 {
    core.store()
        .read(|c| {
            c.query_row("SELECT count(*) FROM quiz_reviews", [], |r| r.get(0))
                .map_err(Error::from)
        })
        .expect("count")
}

#[test]
fn sample_catalog_session_fits_the_budget_and_answers_explain() {
    let (_d, core) = core();
    core.import_jsonl(sample_jsonl().as_bytes())
        .expect("import");
    let s = core.daily_session(Some(60), day(0)).expect("session");
    assert!(!s.items.is_empty());
    assert!(s.estimated_seconds <= 60, "{}", s.estimated_seconds);
    assert!(s.items.iter().all(|i| i.kind == ItemKind::New));
    let item = &s.items[0];
    let card = core.card(&item.card_id).expect("card");
    let q = card
        .questions
        .iter()
        .find(|q| q.id == item.question_id)
        .expect("question on card");
    let out = core
        .answer(&item.question_id, &q.correct, 5_000, Some(0.7), day(0))
        .expect("answer");
    assert!(out.correct);
    assert_eq!(out.explanation, q.explanation);
    assert!(out.next_due > day(0));
    assert_eq!(out.predicted_recall, None);
    // The rest of the sample (10 questions) fits a 5-minute budget, up to `max_new_per_session`.
    core.set_quiz_settings(&QuizSettings {
        max_new_per_session: 20,
        ..Default::default()
    })
    .expect("settings");
    let all = core.preview_session(Some(300), day(0)).expect("preview");
    assert_eq!(all.items.len(), 10, "{all:?}");
}

#[test]
fn two_learners_diverge_from_day_two() {
    let catalog = cards(60, 3);
    let (_a_dir, a) = core();
    let (_b_dir, b) = core();
    for c in [&a, &b] {
        c.import_cards(&catalog).expect("import");
    }
    let a1 = answer_all(&a, 0, |_| true);
    let b1 = answer_all(&b, 0, |i| i % 2 == 1);
    assert_eq!(a1, b1, "day 1 is the same for learners without history");
    let a2 = a.daily_session(None, day(1)).expect("a2");
    let b2 = b.daily_session(None, day(1)).expect("b2");
    let ids = |s: &microlearn_core::quiz::QuizSession| {
        s.items
            .iter()
            .map(|i| i.question_id.clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(ids(&a2), ids(&b2));
    // B's wrong answers come back first as reviews; A, all right, gets only new questions.
    assert!(a2.items.iter().all(|i| i.kind == ItemKind::New));
    let b_reviews: Vec<_> = b2
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Review)
        .collect();
    assert!(!b_reviews.is_empty());
    assert_eq!(b2.items[0].kind, ItemKind::Review);
    for r in &b_reviews {
        assert!(b1.contains(&r.question_id));
        assert!(r.retrievability.is_some());
    }
    // Reviews come in order of lowest retrievability.
    let rs: Vec<f32> = b_reviews.iter().filter_map(|i| i.retrievability).collect();
    assert!(rs.windows(2).all(|w| w[0] <= w[1]), "{rs:?}");
}

#[test]
fn new_questions_come_from_assigned_topics_by_gap() {
    let (_d, core) = core();
    core.import_cards(&cards(30, 3)).expect("import");
    core.set_quiz_settings(&QuizSettings {
        assigned_topics: vec!["topic-1".into(), "topic-2".into()],
        ..Default::default()
    })
    .expect("settings");
    let s = core.daily_session(None, day(0)).expect("session");
    assert!(!s.items.is_empty());
    assert!(s.items.iter().all(|i| i.topic != "topic-0"));
    // Learn topic-1 a little: topic-2 has the larger gap and comes first next time.
    for item in s.items.iter().filter(|i| i.topic == "topic-1") {
        core.answer(&item.question_id, &[1], 3_000, None, day(0))
            .expect("answer");
    }
    for item in s.items.iter().filter(|i| i.topic != "topic-1") {
        core.answer(&item.question_id, &[1], 3_000, None, day(0))
            .expect("answer");
    }
    let report = core.mastery(day(0)).expect("mastery");
    assert_eq!(report.topics.len(), 3);
    assert!(report.topics.windows(2).all(|w| w[0].gap >= w[1].gap));
    let t0 = report
        .topics
        .iter()
        .find(|t| t.topic == "topic-0")
        .expect("t0");
    assert_eq!(t0.seen, 0);
    assert!(!t0.assigned);
    let t1 = report
        .topics
        .iter()
        .find(|t| t.topic == "topic-1")
        .expect("t1");
    assert!(t1.mastery > 0.0 && t1.accuracy == Some(1.0));
}

#[test]
fn answers_survive_restart_and_resume_the_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first;
    {
        let core = Microlearn::open(dir.path()).expect("open");
        core.import_cards(&cards(20, 2)).expect("import");
        let s = core.daily_session(None, day(0)).expect("session");
        first = s.items[0].question_id.clone();
        core.answer(&first, &[1], 4_000, None, day(0))
            .expect("answer");
        assert!(s.items.len() > 1);
    }
    let core = Microlearn::open(dir.path()).expect("reopen");
    assert_eq!(reviews(&core), 1);
    let s = core.daily_session(None, day(0)).expect("resumed");
    assert_eq!(s.items[0].question_id, first);
    assert!(s.items[0].answered);
    assert!(!s.items[1].answered);
}

#[test]
fn xapi_answered_per_answer_and_completed_per_session() {
    let (_d, core) = core();
    core.import_cards(&cards(12, 2)).expect("import");
    let before = core.xapi_status().expect("status").pending;
    let s = core.daily_session(Some(60), day(0)).expect("session");
    let n = s.items.len() as u64;
    let mut completed = None;
    for item in &s.items {
        let out = core
            .answer(&item.question_id, &[1], 4_000, None, day(0))
            .expect("answer");
        completed = out.session_completed;
    }
    let done = completed.expect("the last answer finishes the session");
    assert_eq!((done.answered as u64, done.correct as u64), (n, n));
    assert_eq!(core.xapi_status().expect("status").pending, before + n + 1);
    let verbs: Vec<String> = core
        .store()
        .read(|c| {
            let mut st = c.prepare("SELECT body FROM xapi_queue ORDER BY seq")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(Error::from)
        })
        .expect("bodies");
    assert_eq!(
        verbs
            .iter()
            .filter(|v| v.contains("/verbs/answered"))
            .count() as u64,
        n
    );
    assert_eq!(
        verbs
            .iter()
            .filter(|v| v.contains("/verbs/completed"))
            .count(),
        1
    );
    assert!(
        verbs.iter().any(|v| v.contains("2026-11-01T08:00:00")),
        "timestamps are the answer's"
    );
    let p = core.progress(day(0)).expect("progress");
    assert!(p.daily_goal_met && p.practiced_today);
    assert!(p.badges.iter().any(|b| b.id == "perfect-session"));
}

#[test]
fn unknown_question_and_bad_choices_are_typed_errors_and_record_nothing() {
    let (_d, core) = core();
    core.import_cards(&cards(3, 1)).expect("import");
    let e = core
        .answer("nope", &[0], 1, None, day(0))
        .expect_err("unknown");
    assert!(
        matches!(e, Error::Quiz(QuizError::UnknownQuestion(ref q)) if q == "nope"),
        "{e}"
    );
    let e = core
        .answer("q-0000", &[7], 1, None, day(0))
        .expect_err("choice");
    assert!(
        matches!(e, Error::Quiz(QuizError::InvalidChoice { count: 3, .. })),
        "{e}"
    );
    let e = core
        .answer("q-0000", &[], 1, None, day(0))
        .expect_err("empty");
    assert!(
        matches!(e, Error::Quiz(QuizError::InvalidChoice { .. })),
        "{e}"
    );
    assert_eq!(reviews(&core), 0);
    let bad_tz = QuizSettings {
        time_zone: "Mars/Olympus".into(),
        ..Default::default()
    };
    assert!(matches!(
        core.set_quiz_settings(&bad_tz),
        Err(Error::Quiz(QuizError::InvalidSetting(_)))
    ));
    assert!(core.daily_session(Some(5), day(0)).is_err());
}

#[test]
fn deleted_cards_retire_questions_but_keep_answers() {
    let (_d, core) = core();
    let mut catalog = cards(4, 1);
    core.import_cards(&catalog).expect("import");
    core.answer("q-0000", &[1], 4_000, None, day(0))
        .expect("answer");
    core.store()
        .write(|tx| {
            microlearn_core::content::apply_changes(tx, &[], &["card-0000".to_string()])
                .map_err(Error::from)
        })
        .expect("delete");
    // Still answerable (e.g. an app offline with the old card on screen): recorded, flagged.
    let out = core
        .answer("q-0000", &[1], 4_000, None, day(1))
        .expect("answer retired");
    assert!(out.retired);
    assert_eq!(reviews(&core), 2);
    let s = core.daily_session(Some(600), day(5)).expect("session");
    assert!(s.items.iter().all(|i| i.question_id != "q-0000"));
    // A card that drops its question retires it too.
    catalog[1].questions.clear();
    catalog[1].revision += 1;
    core.import_cards(&catalog[1..2]).expect("update");
    let s = core.preview_session(Some(600), day(5)).expect("preview");
    assert!(s.items.iter().all(|i| i.question_id != "q-0001"));
    // Re-publishing the card brings the question and its history back.
    core.import_cards(&cards(1, 1)).expect("republish");
    let m = core.mastery(day(5)).expect("mastery");
    assert_eq!(m.topics[0].seen, 1);
}

#[test]
fn clock_going_backwards_is_clamped() {
    let (_d, core) = core();
    core.import_cards(&cards(2, 1)).expect("import");
    core.answer("q-0000", &[1], 4_000, None, day(3))
        .expect("answer");
    let out = core
        .answer("q-0000", &[1], 4_000, None, day(1))
        .expect("earlier");
    assert!(out.next_due > day(1));
    assert!(out.interval_days >= 0.0);
    let p = out.predicted_recall.expect("seen");
    assert!((0.0..=1.0).contains(&p));
    assert_eq!(reviews(&core), 2);
}

#[test]
fn learner_signals_reflect_the_log() {
    let (_d, core) = core();
    core.import_cards(&cards(20, 2)).expect("import");
    let s0 = core.learner_signals(day(0)).expect("signals");
    assert_eq!(s0.reviews_due, 0);
    assert!(!s0.practiced_today);
    assert_eq!(s0.new_content_topics, vec!["topic-0", "topic-1"]);
    let s = core.daily_session(None, day(0)).expect("session");
    core.answer(&s.items[0].question_id, &[0], 4_000, None, day(0))
        .expect("wrong");
    let s1 = core.learner_signals(day(0)).expect("signals");
    assert!(s1.practiced_today && !s1.daily_goal_met);
    assert_eq!(s1.streak_days, 1);
    assert_eq!(
        s1.unfinished_card.as_deref(),
        Some(s.items[1].card_id.as_str())
    );
    let s2 = core.learner_signals(day(1)).expect("signals");
    assert_eq!(s2.reviews_due, 1);
    assert!(!s2.practiced_today);
}

#[test]
fn yesterdays_unfinished_session_is_abandoned_not_resumed() {
    let (_d, core) = core();
    core.import_cards(&cards(30, 2)).expect("import");
    let s0 = core.daily_session(None, day(0)).expect("day 0");
    core.answer(&s0.items[0].question_id, &[1], 4_000, None, day(0))
        .expect("answer");
    let s1 = core.daily_session(None, day(1)).expect("day 1");
    assert_ne!(s1.id, s0.id);
    assert!(s1.items.iter().all(|i| !i.answered));
    // Answering a question of the abandoned session does not reopen it.
    let late = &s0.items[1].question_id;
    if !s1.items.iter().any(|i| &i.question_id == late) {
        let out = core
            .answer(late, &[1], 4_000, None, day(1))
            .expect("answer");
        assert!(out.session_completed.is_none());
    }
    let signals = core.learner_signals(day(1)).expect("signals");
    assert_eq!(signals.last_session_at, None, "no session was finished");
    let p = core.progress(day(1)).expect("progress");
    assert!(p.badges.iter().all(|b| b.id != "perfect-session"));
}

#[test]
fn an_answer_whose_statement_is_refused_is_still_recorded() {
    let (_d, core) = core();
    core.import_cards(&cards(2, 1)).expect("import");
    // A device clock far ahead of real time: the xAPI queue refuses statements from the future,
    // but the learner's answer must not be lost with it.
    let ahead = chrono::Utc::now() + chrono::Days::new(3);
    let out = core
        .answer("q-0000", &[1], 4_000, None, ahead)
        .expect("answer recorded");
    assert!(out.correct);
    let why = out.tracking_error.expect("statement refused");
    assert!(why.contains("future"), "{why}");
    assert_eq!(reviews(&core), 1);
    assert_eq!(core.xapi_status().expect("status").pending, 0);
    // A normal answer still queues its statement.
    let out = core
        .answer("q-0001", &[1], 4_000, None, chrono::Utc::now())
        .expect("answer");
    assert_eq!(out.tracking_error, None);
    assert_eq!(core.xapi_status().expect("status").pending, 1);
}
