//! Offline content: the card model, the catalog tables, JSON Lines import, catalog sync and the
//! media cache.
//!
//! *Why cards are stored as JSON plus a few columns:* the card shape will keep growing; the JSON is
//! the source of truth, and only what queries filter on (format, duration, locale, tags) is copied
//! into columns. Every change to cards goes through [`apply_changes`], which also updates the
//! search index in the same transaction, so the catalog and its index can never disagree.
//!
//! Files: [`card`] (model + validation), [`import`] (JSON Lines), [`catalog`] (published format:
//! index + shards), [`build`] (`catalog build`, incremental with delta shards), [`sync`] (client
//! sync), [`http`] (verified streaming downloads, cancel, progress), [`media`] (media cache,
//! budget, pins, network policy), [`nginx`] (a real nginx on loopback for tests and benches).

pub mod build;
pub mod card;
pub mod catalog;
pub mod http;
pub mod import;
pub mod media;
pub mod nginx;
pub mod sync;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

pub use card::{Card, CardFormat, CardSource, MediaAsset, QuizQuestion};
pub use import::{ImportReport, parse_jsonl};

use crate::store::schema::ModuleSchema;

/// Errors about catalog content: parsing, publishing, sync and the media cache.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// A card broke a rule of the card model.
    #[error("invalid card {id:?}: {reason}")]
    InvalidCard {
        /// The card's id (as given, possibly malformed).
        id: String,
        /// What rule it broke.
        reason: String,
    },
    /// A line of a JSON Lines file could not be parsed.
    #[error("line {line}: {message}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// The same card id appears twice in one import or shard.
    #[error("duplicate card id {0:?}")]
    DuplicateId(String),
    /// A JSON document could not be parsed or serialized.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// A catalog index is not a valid index document.
    #[error("malformed catalog index: {0}")]
    MalformedIndex(String),
    /// A catalog index uses a format this build does not understand.
    #[error("catalog format_version {found} is not supported (this build reads {supported})")]
    UnsupportedFormatVersion {
        /// The version in the index.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// A line of a shard could not be parsed or broke a card rule.
    #[error("shard {shard}, line {line}: {message}")]
    Shard {
        /// The shard's SHA-256 (or file name when building).
        shard: String,
        /// 1-based line number.
        line: usize,
        /// What went wrong.
        message: String,
    },
    /// A downloaded body (shard or media) does not have the SHA-256 it was published with.
    #[error("{what}: sha256 mismatch (expected {expected}, got {actual})")]
    HashMismatch {
        /// What was downloaded (URL).
        what: String,
        /// The published hash.
        expected: String,
        /// The hash of what arrived.
        actual: String,
    },
    /// A downloaded body does not have the size it was published with.
    #[error("{what}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// What was downloaded (URL).
        what: String,
        /// The published size.
        expected: u64,
        /// What arrived.
        actual: u64,
    },
    /// A document or field is larger than this build accepts.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// The server answered with an HTTP error status.
    #[error("HTTP {status} from {url}")]
    Http {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The connection failed or broke (refused, reset, dropped mid-body, TLS …).
    #[error("network error on {url}: {message}")]
    Network {
        /// The URL requested.
        url: String,
        /// What the HTTP client said.
        message: String,
    },
    /// The server did not answer (or stalled mid-body) within the timeout.
    #[error("timed out waiting for {url}")]
    Timeout {
        /// The URL requested.
        url: String,
    },
    /// A URL could not be parsed or resolved.
    #[error("invalid URL {0:?}")]
    InvalidUrl(String),
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// The media budget is too small for what was asked (e.g. the pinned set).
    #[error("media budget exceeded: need {needed} bytes, budget is {budget} bytes")]
    BudgetExceeded {
        /// Bytes that would be needed.
        needed: u64,
        /// The budget.
        budget: u64,
    },
    /// The network policy forbids this download right now (e.g. Wi-Fi only on a metered link).
    #[error("network policy forbids downloading: {0}")]
    NetworkPolicy(String),
    /// No catalog has been synced, so relative media URLs cannot be resolved.
    #[error("no catalog has been synced yet")]
    NotSynced,
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl ContentError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        ContentError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// The content module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "content",
    version: 2,
    upgrade_from,
};

fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match from {
        0 => tx.execute_batch(
            "CREATE TABLE cards (
                id               TEXT PRIMARY KEY,
                revision         INTEGER NOT NULL,
                title            TEXT NOT NULL,
                format           TEXT NOT NULL,
                duration_seconds INTEGER NOT NULL,
                locale           TEXT NOT NULL,
                source           TEXT NOT NULL,
                json             TEXT NOT NULL,
                stored_at        INTEGER NOT NULL
            );
            CREATE TABLE card_tags (
                card_id TEXT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
                tag     TEXT NOT NULL,
                PRIMARY KEY (card_id, tag)
            ) WITHOUT ROWID;
            CREATE INDEX card_tags_by_tag ON card_tags(tag);
            -- Media each card refers to. A card is 'downloaded' when every row here for it has a
            -- matching row in media_files (a card without media is always downloaded).
            CREATE TABLE card_media (
                card_id   TEXT NOT NULL REFERENCES cards(id) ON DELETE CASCADE,
                sha256    TEXT NOT NULL,
                url       TEXT NOT NULL,
                mime_type TEXT NOT NULL,
                bytes     INTEGER NOT NULL,
                PRIMARY KEY (card_id, sha256)
            ) WITHOUT ROWID;
            CREATE INDEX card_media_by_sha ON card_media(sha256);
            -- Verified media files present in the cache, named by their SHA-256.
            CREATE TABLE media_files (
                sha256    TEXT PRIMARY KEY,
                bytes     INTEGER NOT NULL,
                last_used INTEGER NOT NULL
            );
            -- Cards the learner pinned for offline use; their media is never evicted.
            CREATE TABLE pinned_cards (
                card_id   TEXT PRIMARY KEY,
                pinned_at INTEGER NOT NULL
            );",
        ),
        1 => tx.execute_batch(
            "-- What the last catalog sync applied (one row): the index URL, its ETag, and the
            -- shard hashes applied in order, so a later index that extends them is a delta.
            CREATE TABLE catalog_sync (
                id          INTEGER PRIMARY KEY CHECK (id = 1),
                url         TEXT NOT NULL,
                etag        TEXT,
                catalog_id  TEXT NOT NULL,
                applied     TEXT NOT NULL,
                synced_at   INTEGER NOT NULL,
                last_report TEXT
            );
            -- Settings the shell sets: media budget, network policy, metered state.
            CREATE TABLE content_settings (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            CREATE INDEX media_files_by_use ON media_files(last_used);",
        ),
        _ => Ok(()),
    }
}

/// Inserts or replaces `upserts` and deletes `deletes`, in the caller's transaction, keeping the
/// search index and quiz questions in step. Every card must already be validated.
///
/// One call = [`stage_changes`] + [`finish_changes`]. A caller that applies many batches in one
/// transaction (a catalog sync) stages each batch and finishes once.
pub fn apply_changes(
    tx: &Transaction<'_>,
    upserts: &[Card],
    deletes: &[String],
) -> rusqlite::Result<()> {
    stage_changes(tx, upserts, deletes)?;
    finish_changes(tx)
}

/// Finishes the changes staged in this transaction: the work that is per transaction, not per
/// card (the search index's compaction and its stored vocabulary). *Why separate:* that work is
/// linear in the catalog (~0.3 s at 50k cards), so doing it per batch of a sync made a sync that
/// replaced 1,500 cards take 36 s. Forgetting to call it loses nothing: search then rebuilds the
/// vocabulary on its first read.
pub fn finish_changes(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    crate::search::settle(tx)
}

/// Inserts or replaces `upserts` and deletes `deletes` in the caller's transaction, updating
/// the search rows and quiz questions of those cards; call [`finish_changes`] once before the
/// transaction commits. Every card must already be validated.
pub fn stage_changes(
    tx: &Transaction<'_>,
    upserts: &[Card],
    deletes: &[String],
) -> rusqlite::Result<()> {
    // Search first: it reads the old text of replaced or deleted cards to uncount their words.
    crate::search::on_cards_changed(tx, upserts, deletes)?;
    let now = chrono::Utc::now().timestamp();
    {
        let mut del_card = tx.prepare_cached("DELETE FROM cards WHERE id = ?1")?;
        for id in deletes {
            del_card.execute([id])?;
        }
        let mut put_card = tx.prepare_cached(
            "INSERT INTO cards(id, revision, title, format, duration_seconds, locale, source, json,
                               stored_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, title = excluded.title,
                format = excluded.format, duration_seconds = excluded.duration_seconds,
                locale = excluded.locale, source = excluded.source, json = excluded.json,
                stored_at = excluded.stored_at",
        )?;
        let mut del_tags = tx.prepare_cached("DELETE FROM card_tags WHERE card_id = ?1")?;
        let mut put_tag =
            tx.prepare_cached("INSERT OR IGNORE INTO card_tags(card_id, tag) VALUES (?1, ?2)")?;
        let mut del_media = tx.prepare_cached("DELETE FROM card_media WHERE card_id = ?1")?;
        let mut put_media = tx.prepare_cached(
            "INSERT OR IGNORE INTO card_media(card_id, sha256, url, mime_type, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for card in upserts {
            let json = serde_json::to_string(card)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            put_card.execute(params![
                card.id,
                card.revision as i64,
                card.title,
                card.format.as_str(),
                card.duration_seconds,
                card.locale,
                serde_json::to_value(card.source)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                json,
                now
            ])?;
            del_tags.execute([&card.id])?;
            for tag in card.tags.iter().chain(&card.topics) {
                put_tag.execute(params![card.id, tag.to_lowercase()])?;
            }
            del_media.execute([&card.id])?;
            for m in &card.media {
                put_media.execute(params![
                    card.id,
                    m.sha256,
                    m.url,
                    m.mime_type,
                    m.bytes as i64
                ])?;
            }
        }
    }
    crate::quiz::on_cards_changed(tx, upserts, deletes)?;
    Ok(())
}

/// Reads one card.
pub fn get_card(conn: &Connection, id: &str) -> rusqlite::Result<Option<Card>> {
    let json: Option<String> = conn
        .prepare_cached("SELECT json FROM cards WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    json.map(|j| {
        serde_json::from_str(&j).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

/// Number of cards in the catalog.
pub fn count_cards(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT count(*) FROM cards", [], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
}
