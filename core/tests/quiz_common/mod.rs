//! Shared helpers of the quiz integration tests: a real core on a temp directory and a synthetic
//! catalog of quiz cards.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use microlearn_core::{Microlearn, content::Card};

/// A core on a fresh temp directory (keep the guard alive).
pub fn core() -> (tempfile::TempDir, Microlearn) {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    (dir, core)
}

/// `n` quiz cards spread over `topics` topics, one 3-choice question each (choice 1 is right).
pub fn cards(n: usize, topics: usize) -> Vec<Card> {
    (0..n)
        .map(|i| {
            let line = serde_json::json!({
                "id": format!("card-{i:04}"),
                "title": format!("Card {i}"),
                "format": "quiz",
                "topics": [format!("topic-{}", i % topics)],
                "questions": [{
                    "id": format!("q-{i:04}"),
                    "stem": format!("Which option is right for situation number {i} at the till?"),
                    "choices": ["Wrong one", "Right one", "Also wrong"],
                    "correct": [1],
                    "explanation": format!("Because of rule {i}.")
                }]
            });
            serde_json::from_value(line).expect("card")
        })
        .collect()
}

/// 08:00 UTC on day `d` after 2026-11-01 (`day(0)` = 1 November).
pub fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0)
        .single()
        .expect("time")
        + chrono::Days::new(d.into())
}

/// The sample catalog bundled with the core.
pub fn sample_jsonl() -> &'static str {
    include_str!("../../sample/catalog.jsonl")
}
