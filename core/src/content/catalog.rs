//! The published catalog format: an index (JSON) listing content-addressed shards (JSON Lines).
//!
//! *Why an append-only log of shards:* when 1% of a 50,000-card catalog changes at random, any
//! scheme that buckets cards by id touches nearly every bucket, so a client would re-download
//! nearly everything. Instead the publisher keeps the previous shards unchanged and appends one
//! small *delta* shard with the changed cards and tombstones; a client that already applied the
//! earlier shards downloads only the new one. When deltas grow (see [`COMPACT_DELTA_RATIO`] and
//! [`COMPACT_MAX_DELTAS`]) the publisher compacts everything into fresh base shards, and clients
//! do one full rebuild. The catalog is the fold of the shards in index order, later lines win.
//! See `docs/catalog-format.md`.
//!
//! Everything here parses untrusted bytes, so every parser is bounded and returns a typed
//! [`ContentError`]; property tests check they never panic.

use std::{
    collections::HashSet,
    io::{BufRead, Read},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Card, ContentError, card::is_sha256_hex, card::is_valid_id, import::MAX_LINE_BYTES};

/// The index format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest accepted index document.
pub const MAX_INDEX_BYTES: u64 = 4 * 1024 * 1024;
/// Largest accepted shard.
pub const MAX_SHARD_BYTES: u64 = 256 * 1024 * 1024;
/// Most shards one index may list.
pub const MAX_SHARDS: usize = 4096;
/// File name of the index inside a published catalog folder.
pub const INDEX_FILE: &str = "index.json";
/// Compact when delta shards hold more than this share of all shard bytes.
pub const COMPACT_DELTA_RATIO: f64 = 0.20;
/// Compact when there would be more delta shards than this.
pub const COMPACT_MAX_DELTAS: usize = 16;

/// Whether a shard is part of a full snapshot or a later change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ShardKind {
    /// Written by a full build or a compaction.
    #[default]
    Base,
    /// Changes appended by an incremental build.
    Delta,
}

/// One shard listed by the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardEntry {
    /// Lowercase hex SHA-256 of the exact bytes served.
    pub sha256: String,
    /// Size of the shard in bytes.
    pub bytes: u64,
    /// Card lines in the shard.
    pub cards: u64,
    /// Tombstone lines in the shard.
    #[serde(default)]
    pub tombstones: u64,
    /// Base or delta.
    #[serde(default)]
    pub kind: ShardKind,
    /// Where to fetch it, relative to the index URL (or absolute).
    pub path: String,
}

/// The catalog index, `index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogIndex {
    /// Always [`FORMAT_VERSION`] for this build.
    pub format_version: u32,
    /// Stable id of the catalog; a client seeing a new id rebuilds from scratch.
    pub catalog_id: String,
    /// When the publisher built this index.
    pub generated_at: DateTime<Utc>,
    /// The shards, folded in this order (later wins).
    pub shards: Vec<ShardEntry>,
}

impl CatalogIndex {
    /// Bytes of every shard.
    pub fn total_bytes(&self) -> u64 {
        self.shards.iter().map(|s| s.bytes).sum()
    }
}

/// Parses and checks an index document.
pub fn parse_index(bytes: &[u8]) -> Result<CatalogIndex, ContentError> {
    if bytes.len() as u64 > MAX_INDEX_BYTES {
        return Err(ContentError::TooLarge {
            what: "catalog index".into(),
            limit: MAX_INDEX_BYTES,
        });
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ContentError::MalformedIndex(e.to_string()))?;
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ContentError::MalformedIndex("format_version is missing".into()))?;
    if version != u64::from(FORMAT_VERSION) {
        return Err(ContentError::UnsupportedFormatVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let index: CatalogIndex =
        serde_json::from_value(value).map_err(|e| ContentError::MalformedIndex(e.to_string()))?;
    if !is_valid_id(&index.catalog_id) {
        return Err(ContentError::MalformedIndex(
            "catalog_id is malformed".into(),
        ));
    }
    if index.shards.len() > MAX_SHARDS {
        return Err(ContentError::MalformedIndex(format!(
            "{} shards, over the limit of {MAX_SHARDS}",
            index.shards.len()
        )));
    }
    let mut seen = HashSet::new();
    for s in &index.shards {
        if !is_sha256_hex(&s.sha256) {
            return Err(ContentError::MalformedIndex(format!(
                "shard sha256 {:?} is not 64 lowercase hex digits",
                s.sha256
            )));
        }
        if !seen.insert(s.sha256.as_str()) {
            return Err(ContentError::MalformedIndex(format!(
                "shard {} is listed twice",
                s.sha256
            )));
        }
        if s.bytes > MAX_SHARD_BYTES {
            return Err(ContentError::TooLarge {
                what: format!("shard {}", s.sha256),
                limit: MAX_SHARD_BYTES,
            });
        }
        if s.path.is_empty() || s.path.len() > 2048 {
            return Err(ContentError::MalformedIndex(
                "shard path is empty or too long".into(),
            ));
        }
    }
    Ok(index)
}

/// One line of a shard.
#[derive(Debug, Clone, PartialEq)]
pub enum ShardLine {
    /// Add or replace this card.
    Card(Box<Card>),
    /// Delete the card with this id (`{"deleted": "id"}`).
    Deleted(String),
}

impl ShardLine {
    /// The card id this line is about.
    pub fn id(&self) -> &str {
        match self {
            ShardLine::Card(c) => &c.id,
            ShardLine::Deleted(id) => id,
        }
    }
}

/// Parses one non-blank shard line: a card, or a tombstone object with exactly one key,
/// `deleted`. The card is validated.
pub fn parse_shard_line(text: &str) -> Result<ShardLine, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let obj = value.as_object().ok_or("line is not a JSON object")?;
    if let Some(deleted) = obj.get("deleted") {
        if obj.len() != 1 {
            return Err("a tombstone has exactly one key, \"deleted\"".into());
        }
        let id = deleted.as_str().ok_or("\"deleted\" must be a string")?;
        if !is_valid_id(id) {
            return Err(format!("tombstone id {id:?} is malformed"));
        }
        return Ok(ShardLine::Deleted(id.to_owned()));
    }
    let card: Card = serde_json::from_value(value).map_err(|e| e.to_string())?;
    card.validate().map_err(|e| e.to_string())?;
    Ok(ShardLine::Card(Box::new(card)))
}

/// Streams the lines of one shard, checking line sizes, syntax, card rules and that no id
/// appears twice in the shard.
pub struct ShardReader<R> {
    reader: R,
    shard: String,
    line: usize,
    seen: HashSet<String>,
    buf: Vec<u8>,
}

impl<R: BufRead> ShardReader<R> {
    /// Reads the shard named `shard` (its hash, for error messages) from `reader`.
    pub fn new(reader: R, shard: impl Into<String>) -> Self {
        ShardReader {
            reader,
            shard: shard.into(),
            line: 0,
            seen: HashSet::new(),
            buf: Vec::new(),
        }
    }

    fn err(&self, message: impl Into<String>) -> ContentError {
        ContentError::Shard {
            shard: self.shard.clone(),
            line: self.line,
            message: message.into(),
        }
    }

    fn next_line(&mut self) -> Result<Option<ShardLine>, ContentError> {
        loop {
            self.buf.clear();
            let n = Read::take(self.reader.by_ref(), MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| self.err(e.to_string()))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.buf.len() > MAX_LINE_BYTES {
                return Err(self.err(format!("line is over {MAX_LINE_BYTES} bytes")));
            }
            let text = std::str::from_utf8(&self.buf).map_err(|e| self.err(e.to_string()))?;
            if text.trim().is_empty() {
                continue;
            }
            let line = parse_shard_line(text).map_err(|m| self.err(m))?;
            if !self.seen.insert(line.id().to_owned()) {
                return Err(ContentError::DuplicateId(line.id().to_owned()));
            }
            return Ok(Some(line));
        }
    }
}

impl<R: BufRead> Iterator for ShardReader<R> {
    type Item = Result<ShardLine, ContentError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().transpose()
    }
}

/// Serializes a shard line the way the builder writes it (one line, no trailing newline).
pub fn shard_line_json(line: &ShardLine) -> Result<String, ContentError> {
    Ok(match line {
        ShardLine::Card(c) => serde_json::to_string(c)?,
        ShardLine::Deleted(id) => serde_json::to_string(&serde_json::json!({ "deleted": id }))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_json(version: u64) -> String {
        format!(
            r#"{{"format_version":{version},"catalog_id":"c1","generated_at":"2026-11-01T00:00:00Z",
            "shards":[{{"sha256":"{}","bytes":3,"cards":1,"kind":"delta","path":"shards/a.jsonl"}}]}}"#,
            "a".repeat(64)
        )
    }

    #[test]
    fn parses_index_and_rejects_unknown_version() {
        let idx = parse_index(index_json(1).as_bytes()).expect("index");
        assert_eq!(idx.shards[0].kind, ShardKind::Delta);
        assert!(matches!(
            parse_index(index_json(2).as_bytes()),
            Err(ContentError::UnsupportedFormatVersion { found: 2, .. })
        ));
        assert!(matches!(
            parse_index(b"{\"format_version\":1}"),
            Err(ContentError::MalformedIndex(_))
        ));
        let dup = index_json(1).replace(
            "]}",
            &format!(
                r#",{{"sha256":"{}","bytes":3,"cards":1,"path":"x"}}]}}"#,
                "a".repeat(64)
            ),
        );
        assert!(matches!(
            parse_index(dup.as_bytes()),
            Err(ContentError::MalformedIndex(_))
        ));
    }

    #[test]
    fn reads_cards_and_tombstones_and_rejects_duplicates() {
        let text = "{\"id\":\"a\",\"title\":\"A\"}\n\n{\"deleted\":\"b\"}\n";
        let lines: Vec<_> = ShardReader::new(text.as_bytes(), "s")
            .collect::<Result<_, _>>()
            .expect("shard");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1], ShardLine::Deleted("b".into()));
        let dup = "{\"id\":\"a\",\"title\":\"A\"}\n{\"deleted\":\"a\"}\n";
        let r: Result<Vec<_>, _> = ShardReader::new(dup.as_bytes(), "s").collect();
        assert!(matches!(r, Err(ContentError::DuplicateId(_))));
        let bad = "{\"deleted\":\"a\",\"x\":1}\n";
        let r: Result<Vec<_>, _> = ShardReader::new(bad.as_bytes(), "s").collect();
        assert!(matches!(r, Err(ContentError::Shard { line: 1, .. })));
        let oversized = format!("{{\"id\":\"a\",\"title\":\"{}\"}}\n", "t".repeat(600));
        let r: Result<Vec<_>, _> = ShardReader::new(oversized.as_bytes(), "s").collect();
        assert!(
            matches!(r, Err(ContentError::Shard { ref message, .. }) if message.contains("title")),
            "{r:?}"
        );
        let big = format!(
            "{{\"id\":\"a\",\"title\":\"{}\"}}\n",
            "x".repeat(MAX_LINE_BYTES)
        );
        let r: Result<Vec<_>, _> = ShardReader::new(big.as_bytes(), "s").collect();
        assert!(matches!(r, Err(ContentError::Shard { .. })));
    }

    proptest::proptest! {
        #[test]
        fn index_parser_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_index(&bytes);
        }

        #[test]
        fn shard_reader_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            for line in ShardReader::new(bytes.as_slice(), "p") {
                if line.is_err() { break; }
            }
        }

        #[test]
        fn card_lines_round_trip(title in "\\PC{1,40}", body in "\\PC{0,200}", rev in 0u64..1000) {
            let mut card = Card::new("c-1", title);
            card.body = body;
            card.revision = rev;
            proptest::prop_assume!(card.validate().is_ok());
            let json = shard_line_json(&ShardLine::Card(Box::new(card.clone()))).expect("json");
            proptest::prop_assert!(!json.contains('\n'));
            proptest::prop_assert_eq!(parse_shard_line(&json), Ok(ShardLine::Card(Box::new(card))));
        }

        #[test]
        fn tombstone_round_trips(id in "[A-Za-z0-9._:-]{1,40}") {
            let json = shard_line_json(&ShardLine::Deleted(id.clone())).expect("json");
            proptest::prop_assert_eq!(parse_shard_line(&json), Ok(ShardLine::Deleted(id)));
        }
    }
}
