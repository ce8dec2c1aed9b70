//! Cards and JSON Lines import; catalog sync and the media cache are in [`sync`].
//!
//! Records here mirror `microlearn_core::content` field by field; `From` impls both ways are the
//! only code. Cards coming *from* the app are validated by the core before anything is stored.

pub mod sync;

use std::time::SystemTime;

use microlearn_core::content as mc;

use crate::{
    Microlearn,
    convert::{into, mirror, opt, vec},
    error::Result,
};

/// How a card is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CardFormat {
    /// Text to read.
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

/// Who authored a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CardSource {
    /// Published by the organisation.
    Official,
    /// Curated from outside material.
    Curated,
    /// Written by a learner.
    User,
}

/// A media file attached to a card.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MediaAsset {
    /// Where to download it (absolute, or relative to the catalog index).
    pub url: String,
    /// MIME type, e.g. `video/mp4`.
    pub mime_type: String,
    /// Exact size in bytes.
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// A quiz question on a card.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
    pub explanation: String,
}

/// One learning card.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Card {
    /// Stable id: ASCII letters, digits, `-`, `_`, `.`, `:`; at most 128 bytes.
    pub id: String,
    /// Increases each time the publisher changes the card.
    pub revision: u64,
    /// Title shown in lists.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// The learning objective.
    pub objective: String,
    /// Body text (plain text or light Markdown).
    pub body: String,
    /// Delivery format.
    pub format: CardFormat,
    /// Estimated time to complete, in seconds.
    pub duration_seconds: u32,
    /// Topics, for assignment and mastery reports.
    pub topics: Vec<String>,
    /// Free tags, for search and filters.
    pub tags: Vec<String>,
    /// BCP 47 language tag, e.g. `en`, `de-CH`.
    pub locale: String,
    /// Media files.
    pub media: Vec<MediaAsset>,
    /// Quiz questions.
    pub questions: Vec<QuizQuestion>,
    /// Ids of related cards.
    pub related: Vec<String>,
    /// Who wrote it.
    pub source: CardSource,
    /// When the card was first published.
    pub created_at: Option<SystemTime>,
    /// When the card last changed.
    pub updated_at: Option<SystemTime>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ImportReport {
    /// Cards added or updated.
    pub imported: u64,
    /// Blank lines skipped.
    pub skipped_blank: u64,
}

mirror!(enum mc::CardFormat <=> CardFormat { Text, Video, Audio, Pdf, Link, Quiz });
mirror!(enum mc::CardSource <=> CardSource { Official, Curated, User });
mirror!(struct mc::MediaAsset <=> MediaAsset { url, mime_type, bytes, sha256 });
mirror!(struct mc::QuizQuestion <=> QuizQuestion { id, stem, choices, correct, explanation });
mirror!(struct mc::Card <=> Card {
    id,
    revision,
    title,
    summary,
    objective,
    body,
    format: into,
    duration_seconds,
    topics,
    tags,
    locale,
    media: vec,
    questions: vec,
    related,
    source: into,
    created_at: opt,
    updated_at: opt,
});
mirror!(struct mc::ImportReport => ImportReport { imported, skipped_blank });

/// A minimal text card (id, title, 60 s, English), to fill in from Kotlin/Swift with `copy()` /
/// `var`. Saves apps from spelling out every field.
#[uniffi::export]
pub fn new_card(id: String, title: String) -> Card {
    mc::Card::new(id, title).into()
}

#[uniffi::export]
impl Microlearn {
    /// Reads one card; `NotFound` if the catalog has no card `id`.
    pub fn card(&self, id: String) -> Result<Card> {
        Ok(self.core()?.card(&id)?.into())
    }

    /// Reads several cards in one call (cheaper than one call per card); ids not in the catalog
    /// are left out.
    pub fn cards(&self, ids: Vec<String>) -> Result<Vec<Card>> {
        let core = self.core()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match core.card(&id) {
                Ok(c) => out.push(c.into()),
                Err(microlearn_core::Error::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// Imports cards from JSON Lines text (one card JSON per line), all or nothing; a bad line
    /// fails with `Content` naming the line.
    pub fn import_jsonl(&self, jsonl: String) -> Result<ImportReport> {
        Ok(self.core()?.import_jsonl(jsonl.as_bytes())?.into())
    }

    /// Adds or updates `cards` in one transaction, all or nothing; an invalid card fails with
    /// `Content` naming it.
    pub fn import_cards(&self, cards: Vec<Card>) -> Result<ImportReport> {
        let cards: Vec<mc::Card> = cards.into_iter().map(Into::into).collect();
        Ok(self.core()?.import_cards(&cards)?.into())
    }
}
