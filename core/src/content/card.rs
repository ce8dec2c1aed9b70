//! The card model: one card = one learning objective.
//!
//! Cards arrive from untrusted places (a CDN, a JSON Lines import, user content), so every card is
//! checked by [`Card::validate`] before it is stored: bounded sizes, well-formed ids and hashes,
//! quiz answers that point at real choices.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ContentError;

/// Longest card, question or tag id, in bytes.
pub const MAX_ID_BYTES: usize = 128;
/// Longest title, in bytes.
pub const MAX_TITLE_BYTES: usize = 512;
/// Longest summary or objective, in bytes.
pub const MAX_SUMMARY_BYTES: usize = 4 * 1024;
/// Longest body, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Most tags, topics, related cards, media assets or questions on one card.
pub const MAX_LIST_LEN: usize = 256;

/// How a card is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CardFormat {
    /// Text to read.
    #[default]
    Text,
    /// A short video.
    Video,
    /// An audio clip.
    Audio,
    /// A PDF document.
    Pdf,
    /// A link to an outside resource.
    Link,
    /// A quiz card.
    Quiz,
}

impl CardFormat {
    /// The lowercase name used in JSON and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            CardFormat::Text => "text",
            CardFormat::Video => "video",
            CardFormat::Audio => "audio",
            CardFormat::Pdf => "pdf",
            CardFormat::Link => "link",
            CardFormat::Quiz => "quiz",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => CardFormat::Text,
            "video" => CardFormat::Video,
            "audio" => CardFormat::Audio,
            "pdf" => CardFormat::Pdf,
            "link" => CardFormat::Link,
            "quiz" => CardFormat::Quiz,
            _ => return None,
        })
    }
}

/// Who authored a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CardSource {
    /// Published by the organisation.
    #[default]
    Official,
    /// Curated from outside material.
    Curated,
    /// Written by a learner.
    User,
}

/// A media file attached to a card, downloaded into the media cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaAsset {
    /// Where to download it (absolute, or relative to the catalog index).
    pub url: String,
    /// MIME type, e.g. `video/mp4`.
    pub mime_type: String,
    /// Exact size in bytes.
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the content; the file is stored under this name.
    pub sha256: String,
}

/// A quiz question on a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizQuestion {
    /// Stable id, unique across the catalog.
    pub id: String,
    /// The question.
    pub stem: String,
    /// The answer choices.
    pub choices: Vec<String>,
    /// Indexes into `choices` of the correct answers (one or more).
    pub correct: Vec<u32>,
    /// Shown after answering.
    #[serde(default)]
    pub explanation: String,
}

/// One learning card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// Stable id: ASCII letters, digits, `-`, `_`, `.`, `:`; at most 128 bytes.
    pub id: String,
    /// Increases each time the publisher changes the card.
    #[serde(default = "one")]
    pub revision: u64,
    /// Title shown in lists.
    pub title: String,
    /// One or two sentences.
    #[serde(default)]
    pub summary: String,
    /// The learning objective ("After this card you can …").
    #[serde(default)]
    pub objective: String,
    /// Body text (plain text or light Markdown).
    #[serde(default)]
    pub body: String,
    /// Delivery format.
    #[serde(default)]
    pub format: CardFormat,
    /// Estimated time to complete.
    #[serde(default)]
    pub duration_seconds: u32,
    /// Topics, for assignment and mastery reports.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Free tags, for search and filters.
    #[serde(default)]
    pub tags: Vec<String>,
    /// BCP 47 language tag, e.g. `en`, `de-CH`.
    #[serde(default = "default_locale")]
    pub locale: String,
    /// Media files.
    #[serde(default)]
    pub media: Vec<MediaAsset>,
    /// Quiz questions.
    #[serde(default)]
    pub questions: Vec<QuizQuestion>,
    /// Ids of related cards.
    #[serde(default)]
    pub related: Vec<String>,
    /// Who wrote it.
    #[serde(default)]
    pub source: CardSource,
    /// When the card was first published.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When the card last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

fn one() -> u64 {
    1
}

fn default_locale() -> String {
    "en".to_owned()
}

/// Whether `id` is a well-formed card, question or tag id.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Whether `s` is 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Card {
    /// A minimal text card, handy for tests and generators.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Card {
            id: id.into(),
            revision: 1,
            title: title.into(),
            summary: String::new(),
            objective: String::new(),
            body: String::new(),
            format: CardFormat::Text,
            duration_seconds: 60,
            topics: vec![],
            tags: vec![],
            locale: default_locale(),
            media: vec![],
            questions: vec![],
            related: vec![],
            source: CardSource::Official,
            created_at: None,
            updated_at: None,
        }
    }

    /// Checks every rule a stored card must satisfy.
    pub fn validate(&self) -> Result<(), ContentError> {
        let bad = |reason: String| ContentError::InvalidCard {
            id: self.id.clone(),
            reason,
        };
        if !is_valid_id(&self.id) {
            return Err(bad("id must be 1-128 bytes of [A-Za-z0-9._:-]".into()));
        }
        if self.title.trim().is_empty() {
            return Err(bad("title is empty".into()));
        }
        for (field, value, max) in [
            ("title", &self.title, MAX_TITLE_BYTES),
            ("summary", &self.summary, MAX_SUMMARY_BYTES),
            ("objective", &self.objective, MAX_SUMMARY_BYTES),
            ("body", &self.body, MAX_BODY_BYTES),
        ] {
            if value.len() > max {
                return Err(bad(format!(
                    "{field} is {} bytes, over the limit of {max}",
                    value.len()
                )));
            }
        }
        if self.locale.is_empty()
            || self.locale.len() > 35
            || !self
                .locale
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(bad(format!("locale {:?} is not a BCP 47 tag", self.locale)));
        }
        for (field, len) in [
            ("topics", self.topics.len()),
            ("tags", self.tags.len()),
            ("media", self.media.len()),
            ("questions", self.questions.len()),
            ("related", self.related.len()),
        ] {
            if len > MAX_LIST_LEN {
                return Err(bad(format!(
                    "{field} has {len} entries, over {MAX_LIST_LEN}"
                )));
            }
        }
        for tag in self.tags.iter().chain(&self.topics) {
            if tag.trim().is_empty() || tag.len() > MAX_ID_BYTES {
                return Err(bad(format!("tag or topic {tag:?} is empty or too long")));
            }
        }
        for m in &self.media {
            if !is_sha256_hex(&m.sha256) {
                return Err(bad(format!("media {:?} has a malformed sha256", m.url)));
            }
            if m.url.is_empty() || m.url.len() > 2048 {
                return Err(bad("media url is empty or too long".into()));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for q in &self.questions {
            if !is_valid_id(&q.id) || !seen.insert(q.id.as_str()) {
                return Err(bad(format!(
                    "question id {:?} is malformed or repeated",
                    q.id
                )));
            }
            if q.choices.len() < 2 || q.choices.len() > 16 {
                return Err(bad(format!("question {} needs 2-16 choices", q.id)));
            }
            if q.correct.is_empty() || q.correct.iter().any(|&c| c as usize >= q.choices.len()) {
                return Err(bad(format!(
                    "question {} has no valid correct answer",
                    q.id
                )));
            }
            if q.stem.len() > MAX_SUMMARY_BYTES
                || q.explanation.len() > MAX_SUMMARY_BYTES
                || q.choices.iter().any(|c| c.len() > MAX_SUMMARY_BYTES)
            {
                return Err(bad(format!("question {} has an oversized field", q.id)));
            }
        }
        if self.related.iter().any(|r| !is_valid_id(r)) {
            return Err(bad("related card id is malformed".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_json_gets_defaults() {
        let card: Card = serde_json::from_str(r#"{"id":"a-1","title":"Refunds"}"#).expect("parse");
        assert_eq!(card.revision, 1);
        assert_eq!(card.locale, "en");
        assert_eq!(card.format, CardFormat::Text);
        card.validate().expect("valid");
    }

    #[test]
    fn rejects_bad_cards() {
        let mut c = Card::new("ok", "t");
        c.id = "../etc/passwd".into();
        assert!(c.validate().is_err());
        let mut c = Card::new("ok", "t");
        c.body = "x".repeat(MAX_BODY_BYTES + 1);
        assert!(c.validate().is_err());
        let mut c = Card::new("ok", "t");
        c.questions.push(QuizQuestion {
            id: "q".into(),
            stem: "?".into(),
            choices: vec!["a".into(), "b".into()],
            correct: vec![2],
            explanation: String::new(),
        });
        assert!(c.validate().is_err());
        let mut c = Card::new("ok", "t");
        c.media.push(MediaAsset {
            url: "v.mp4".into(),
            mime_type: "video/mp4".into(),
            bytes: 1,
            sha256: "XYZ".into(),
        });
        assert!(c.validate().is_err());
    }

    #[test]
    fn unknown_format_is_a_parse_error() {
        let r: Result<Card, _> =
            serde_json::from_str(r#"{"id":"a","title":"t","format":"hologram"}"#);
        assert!(r.is_err());
    }
}
