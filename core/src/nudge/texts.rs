//! What a nudge says and where it leads, and its stable id.
//!
//! *Why ids hash only category, local date and slot:* a shell diffs successive plans by id, so
//! an id must not change when nothing about the nudge changed, in particular not with `now`.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::{LearnerSignals, NudgeCategory};
use crate::util::percent_encode;

/// The stable id: category, local date and slot — never `now`.
pub fn nudge_id(category: NudgeCategory, date: NaiveDate, minute: u16) -> String {
    let mut h = Sha256::new();
    h.update(format!("{}|{date}|{minute:04}", category.as_str()).as_bytes());
    format!("n-{}", hex::encode(&h.finalize()[..8]))
}

/// Title, body and deep link of a nudge. Counts are only quoted for `today`: later days' counts
/// will differ.
pub fn texts(s: &LearnerSignals, today: bool, c: NudgeCategory) -> (String, String, String) {
    match c {
        NudgeCategory::ReviewDue => (
            "Time for a quick review".into(),
            match s.reviews_due {
                _ if !today => "Your questions are ready: three minutes keeps them fresh.".into(),
                1 => "1 question is ready: three minutes keeps it fresh.".into(),
                n => format!("{n} questions are ready: three minutes keeps them fresh."),
            },
            "microlearn://quiz".into(),
        ),
        NudgeCategory::StreakAtRisk => (
            if today {
                format!("Keep your {}-day streak", s.streak_days)
            } else {
                "Keep your streak going".into()
            },
            "A three-minute quiz keeps it going.".into(),
            "microlearn://quiz?reason=streak".into(),
        ),
        NudgeCategory::NewContent => {
            let topic = s.new_content_topics.first().cloned().unwrap_or_default();
            (
                format!("New in {topic}"),
                format!("Fresh cards in {topic} are waiting for you."),
                format!("microlearn://topic/{}", percent_encode(&topic)),
            )
        }
        NudgeCategory::UnfinishedCard => {
            let card = s.unfinished_card.clone().unwrap_or_default();
            (
                "Pick up where you left off".into(),
                "You have a card half-way through.".into(),
                format!("microlearn://card/{}", percent_encode(&card)),
            )
        }
        NudgeCategory::DailyPractice => (
            "Your daily three minutes".into(),
            "A few questions keep what you learned fresh.".into(),
            "microlearn://quiz".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_links_are_encoded_and_ids_stable() {
        let s = LearnerSignals {
            new_content_topics: vec!["Refunds & returns/ü".into()],
            ..LearnerSignals::default()
        };
        let (title, _, link) = texts(&s, true, NudgeCategory::NewContent);
        assert_eq!(title, "New in Refunds & returns/ü");
        assert_eq!(link, "microlearn://topic/Refunds%20%26%20returns%2F%C3%BC");
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).expect("date");
        let id = nudge_id(NudgeCategory::ReviewDue, d, 540);
        assert_eq!(id, nudge_id(NudgeCategory::ReviewDue, d, 540));
        assert_ne!(id, nudge_id(NudgeCategory::DailyPractice, d, 540));
        assert_ne!(id, nudge_id(NudgeCategory::ReviewDue, d, 600));
        assert_eq!(id.len(), 18);
    }
}
