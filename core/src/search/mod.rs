//! Micro-moment search over the offline catalog: instant, typo-tolerant, search-as-you-type.
//!
//! *Engine:* SQLite FTS5 (bundled, so no extra binary size) with the `porter unicode61
//! remove_diacritics 2` tokenizer (no prefix index: prefixes are expanded from the vocabulary) and
//! bm25 with column weights
//! (title and tags above summary, body and quiz text), plus a term vocabulary in an `fst` map
//! searched with Damerau–Levenshtein automata for typos. The measurements behind this choice are
//! in `docs/search.md`.
//!
//! *Safety:* no user text ever reaches FTS5's query syntax. A query is folded and split into
//! plain words ([`normalize`]); [`query`] builds the MATCH expression only from those words and
//! vocabulary words, each as a quoted FTS5 string.
//!
//! *In step with the catalog:* [`on_cards_changed`] is called by `content::apply_changes` in the
//! catalog's transaction and updates the FTS rows incrementally with cached statements; it bumps
//! a generation counter, and [`settle`] (once per transaction) stores the vocabulary of that
//! generation, so the in-memory copy ([`vocab::SearchCache`]) is reloaded, never rebuilt, after a
//! change or an app launch.
//!
//! Files: [`normalize`] (folding, words, stems), [`vocab`] (fst + typos), [`query`] (safe plans),
//! [`rank`] (SQL, filters, learner-signal boosts), [`snippet`] (highlights).

pub mod normalize;
pub mod query;
pub mod rank;
pub mod snippet;
pub mod vocab;

use std::borrow::Cow;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::{
    content::{Card, CardFormat},
    store::schema::ModuleSchema,
};

pub use vocab::SearchCache;

/// The search module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "search",
    version: 3,
    upgrade_from,
};

fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match from {
        0 => {
            tx.execute_batch(
                "-- Full-text index, one row per card; rowid = search_docs.doc. Contentless: the
                -- text lives once, in cards.json (snippets and the vocabulary read it there).
                -- Prefix index for 3 letters only: 1-2 letter prefixes are expanded from the
                -- vocabulary, longer ones merge few terms.
                CREATE VIRTUAL TABLE search_fts USING fts5(
                    title, tags, summary, body, quiz,
                    tokenize = 'porter unicode61 remove_diacritics 2',
                    prefix = '3',
                    content = '',
                    contentless_delete = 1
                );
                -- Card id and filter columns of each indexed card.
                CREATE TABLE search_docs (
                    doc              INTEGER PRIMARY KEY,
                    card_id          TEXT NOT NULL UNIQUE,
                    format           TEXT NOT NULL,
                    duration_seconds INTEGER NOT NULL,
                    locale           TEXT NOT NULL
                );
                -- key 'generation': bumped by every catalog change, invalidates the vocabulary.
                CREATE TABLE search_meta (
                    key   TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                );
                INSERT INTO search_meta(key, value) VALUES ('generation', 0);
                -- Learner signals (recently opened, popular …) as an additive score boost per
                -- card; written by whichever module computes them, read by rank.rs.
                CREATE TABLE search_boosts (
                    card_id TEXT PRIMARY KEY,
                    boost   REAL NOT NULL
                );",
            )?;
            // Cards stored before this module existed are indexed by the v3 step below.
            Ok(())
        }
        1 => {
            // v2: no FTS prefix index (prefixes are expanded to whole words from the
            // vocabulary, which is cheaper than FTS5's prefix merges and keeps the index
            // small), and the vocabulary stored with the generation it belongs to.
            tx.execute_batch(
                "DROP TABLE search_fts;
                CREATE VIRTUAL TABLE search_fts USING fts5(
                    title, tags, summary, body, quiz,
                    tokenize = 'porter unicode61 remove_diacritics 2',
                    content = '',
                    contentless_delete = 1
                );
                -- Card id, filter columns and a hash of the indexed text of each card.
                DROP TABLE search_docs;
                CREATE TABLE search_docs (
                    doc              INTEGER PRIMARY KEY,
                    card_id          TEXT NOT NULL UNIQUE,
                    format           TEXT NOT NULL,
                    duration_seconds INTEGER NOT NULL,
                    locale           TEXT NOT NULL,
                    text_hash        INTEGER NOT NULL
                );
                -- The vocabulary fst (word -> cards containing it) of one generation.
                CREATE TABLE search_vocab (
                    id         INTEGER PRIMARY KEY CHECK (id = 1),
                    generation INTEGER NOT NULL,
                    fst        BLOB NOT NULL
                );",
            )?;
            Ok(())
        }
        2 => {
            // v3: word-count changes of replaced or deleted cards, so the stored vocabulary is
            // updated without a rebuild from the whole catalog (see `vocab::VocabDelta`).
            tx.execute_batch(
                "CREATE TABLE search_vocab_delta (
                    word  TEXT PRIMARY KEY,
                    delta INTEGER NOT NULL
                ) WITHOUT ROWID;",
            )?;
            // Cards stored before the index existed (or before v2 dropped it) are indexed now;
            // cards already indexed with the same text are skipped.
            let cards = stored_cards(tx)?;
            on_cards_changed(tx, &cards, &[])?;
            settle(tx)
        }
        _ => Ok(()),
    }
}

/// Every card of the catalog (unreadable rows skipped), for (re)indexing in a migration.
fn stored_cards(tx: &Transaction<'_>) -> rusqlite::Result<Vec<Card>> {
    let mut stmt = tx.prepare("SELECT json FROM cards")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = vec![];
    for json in rows {
        if let Ok(card) = serde_json::from_str::<Card>(&json?) {
            out.push(card);
        }
    }
    Ok(out)
}

/// The text of a card's tags and topics column.
pub(crate) fn tags_text(card: &Card) -> String {
    let mut seen: Vec<&str> = vec![];
    for t in card.tags.iter().chain(&card.topics) {
        if !seen.iter().any(|s| s.eq_ignore_ascii_case(t)) {
            seen.push(t);
        }
    }
    seen.join(" ")
}

/// The text of a card's summary column: summary and objective.
pub(crate) fn summary_text(card: &Card) -> String {
    if card.objective.is_empty() {
        card.summary.clone()
    } else {
        format!("{}\n{}", card.summary, card.objective)
    }
}

/// The text of a card's quiz column: questions, choices, explanations.
pub(crate) fn quiz_text(card: &Card) -> String {
    let mut s = String::new();
    for q in &card.questions {
        s.push_str(&q.stem);
        s.push('\n');
        for c in &q.choices {
            s.push_str(c);
            s.push('\n');
        }
        s.push_str(&q.explanation);
        s.push('\n');
    }
    s
}

/// The texts a card contributes to the index, in `search_fts` column order (title, tags,
/// summary, body, quiz): what is indexed, hashed and counted into the vocabulary.
pub(crate) fn indexed_texts(card: &Card) -> [Cow<'_, str>; 5] {
    [
        Cow::Borrowed(card.title.as_str()),
        Cow::Owned(tags_text(card)),
        Cow::Owned(summary_text(card)),
        Cow::Borrowed(card.body.as_str()),
        Cow::Owned(quiz_text(card)),
    ]
}

/// A stable hash of a card's [`indexed_texts`]: a new revision whose text did not change (a
/// price, a media file) leaves the index and the vocabulary alone.
fn text_hash(texts: &[Cow<'_, str>; 5]) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in texts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_le_bytes(b)
}

/// Keeps the search index in step with a catalog change, inside the catalog's transaction.
///
/// New or changed text is (re)indexed; cards whose indexed text is unchanged only get their
/// filter columns updated. What the change leaves to do once per transaction (compaction, the
/// stored vocabulary) is left to [`settle`].
pub fn on_cards_changed(
    tx: &Transaction<'_>,
    upserts: &[Card],
    deletes: &[String],
) -> rusqlite::Result<()> {
    if upserts.is_empty() && deletes.is_empty() {
        return Ok(());
    }
    let mut replaced_or_deleted = false;
    let mut delta = vocab::VocabDelta::begin(tx)?;
    let mut find =
        tx.prepare_cached("SELECT doc, text_hash FROM search_docs WHERE card_id = ?1")?;
    let mut del_fts = tx.prepare_cached("DELETE FROM search_fts WHERE rowid = ?1")?;
    let mut del_doc = tx.prepare_cached("DELETE FROM search_docs WHERE doc = ?1")?;
    for id in deletes {
        let doc: Option<i64> = find.query_row([id], |r| r.get(0)).optional()?;
        if let Some(doc) = doc {
            replaced_or_deleted = true;
            delta.remove_stored(tx, doc, id)?;
            del_fts.execute([doc])?;
            del_doc.execute([doc])?;
        }
    }
    let mut put_doc = tx.prepare_cached(
        "INSERT INTO search_docs(card_id, format, duration_seconds, locale, text_hash)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(card_id) DO UPDATE SET format = excluded.format,
            duration_seconds = excluded.duration_seconds, locale = excluded.locale,
            text_hash = excluded.text_hash
         RETURNING doc",
    )?;
    let mut put_fts = tx.prepare_cached(
        "INSERT INTO search_fts(rowid, title, tags, summary, body, quiz)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for card in upserts {
        let texts = indexed_texts(card);
        let hash = text_hash(&texts);
        let existed: Option<(i64, i64)> = find
            .query_row([&card.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let unchanged = existed.is_some_and(|(_, h)| h == hash);
        if let Some((doc, _)) = existed
            && !unchanged
        {
            replaced_or_deleted = true;
            delta.remove_stored(tx, doc, &card.id)?;
            delta.add_stored(doc, &texts);
            del_fts.execute([doc])?;
        }
        let doc: i64 = put_doc.query_row(
            params![
                card.id,
                card.format.as_str(),
                card.duration_seconds,
                card.locale.to_lowercase(),
                hash
            ],
            |r| r.get(0),
        )?;
        if unchanged {
            continue;
        }
        if existed.is_none() {
            // A new card normally gets a `doc` above any the vocabulary counts and is counted
            // at settle; but SQLite reuses the largest rowid after it was deleted.
            delta.add_stored(doc, &texts);
        }
        let [title, tags, summary, body, quiz] = &texts;
        put_fts.execute(params![doc, title, tags, summary, body, quiz])?;
    }
    delta.save(tx)?;
    tx.prepare_cached("UPDATE search_meta SET value = value + 1 WHERE key = 'generation'")?
        .execute([])?;
    if replaced_or_deleted {
        set_meta(tx, NEEDS_OPTIMIZE, 1)?;
    }
    Ok(())
}

/// `search_meta` key, 1 when indexed text was replaced or deleted since the last compaction.
/// (New cards need no flag: [`vocab::store_in_tx`] finds them by `doc`.)
const NEEDS_OPTIMIZE: &str = "needs_optimize";

/// An integer of `search_meta`.
pub(crate) fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT value FROM search_meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// Sets an integer of `search_meta`.
pub(crate) fn set_meta(tx: &Transaction<'_>, key: &str, value: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO search_meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// Finishes this transaction's catalog changes for search (called once per transaction by
/// `content::finish_changes`, after any number of [`on_cards_changed`] calls):
/// - when indexed rows were deleted or replaced, the FTS index is optimised (merged into one
///   segment): FTS5's contentless-delete tombstones otherwise make every later query check each
///   row against them (100 deletions at 50k cards made common-word queries 3× slower);
/// - the stored vocabulary is brought to the current generation: the words of new cards are
///   merged into it, and the word-count changes recorded for replaced or deleted cards applied.
///
/// Both are linear in the catalog, hence once per transaction, never per batch of cards.
pub fn settle(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    if meta(tx, NEEDS_OPTIMIZE)? == Some(1) {
        tx.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')", [])?;
        set_meta(tx, NEEDS_OPTIMIZE, 0)?;
    }
    vocab::store_in_tx(tx, generation(tx)?)
}

/// The index generation: changes whenever the catalog changes.
pub fn generation(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(meta(conn, "generation")?.unwrap_or(0))
}

/// Filters and limits of one search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOptions {
    /// Most hits returned (1–100).
    pub limit: u32,
    /// Only cards of this format.
    pub format: Option<CardFormat>,
    /// Only cards that take at most this many seconds.
    pub max_duration_seconds: Option<u32>,
    /// Only cards with this tag or topic (case-insensitive).
    pub tag: Option<String>,
    /// Only cards in this locale: `en` matches `en` and `en-GB`.
    pub locale: Option<String>,
    /// Only cards whose media are all in the local cache (usable offline now).
    pub downloaded_only: bool,
    /// Marker put before each highlighted word in snippets.
    pub highlight_start: String,
    /// Marker put after each highlighted word in snippets.
    pub highlight_end: String,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            format: None,
            max_duration_seconds: None,
            tag: None,
            locale: None,
            downloaded_only: false,
            highlight_start: "[".to_owned(),
            highlight_end: "]".to_owned(),
        }
    }
}

/// Most hits one search may return.
pub const MAX_LIMIT: u32 = 100;

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The card's id.
    pub card_id: String,
    /// The card's title.
    pub title: String,
    /// A short extract with the matched words between the highlight markers.
    pub snippet: String,
    /// Relevance, higher is better (comparable within one result list only).
    pub score: f64,
    /// The card's format.
    pub format: CardFormat,
    /// Estimated time to complete.
    pub duration_seconds: u32,
}

/// The answer to one search.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SearchResults {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// A corrected query, set only when the query as typed matches nothing or almost nothing: a
    /// word unknown to the catalog (or, still being typed, that no catalog word starts with), or
    /// a word in one or two cards one edit from a far more common one. The hits were searched
    /// with the correction already.
    pub did_you_mean: Option<String>,
}

/// Errors of the `search` module.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// `limit` was 0 or above [`MAX_LIMIT`].
    #[error("search: limit must be between 1 and {MAX_LIMIT}, got {0}")]
    InvalidLimit(u32),
    /// A filter value cannot match anything (e.g. an empty tag).
    #[error("search: invalid filter {name}: {reason}")]
    InvalidFilter {
        /// The filter.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The index could not be read.
    #[error("search: index error: {0}")]
    Index(#[from] rusqlite::Error),
}

impl crate::Microlearn {
    /// Searches the offline catalog. Meant to be called on every keystroke: the last word is
    /// matched as a prefix unless the query ends with a separator. An empty query (or one with
    /// no letters or digits) returns no hits, not an error.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> crate::Result<SearchResults> {
        if opts.limit == 0 || opts.limit > MAX_LIMIT {
            return Err(SearchError::InvalidLimit(opts.limit).into());
        }
        if let Some(tag) = &opts.tag
            && tag.trim().is_empty()
        {
            return Err(SearchError::InvalidFilter {
                name: "tag",
                reason: "empty".to_owned(),
            }
            .into());
        }
        if let Some(locale) = &opts.locale
            && locale.trim().is_empty()
        {
            return Err(SearchError::InvalidFilter {
                name: "locale",
                reason: "empty".to_owned(),
            }
            .into());
        }
        let words = normalize::query_words(query);
        if words.words.is_empty() {
            return Ok(SearchResults::default());
        }
        let cache = &self.search_cache;
        self.store().read(|conn| {
            rank::search(conn, cache, &words, opts)
                .map_err(|e| crate::Error::from(SearchError::from(e)))
        })
    }
}
