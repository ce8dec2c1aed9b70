//! `catalog build`: turns cards (a JSON Lines file or a folder) into a publishable catalog folder.
//!
//! *Why incremental builds keep old shards byte-identical:* clients remember which shard hashes
//! they applied; if the new index starts with exactly those, they fetch only what was appended.
//! So with `--previous`, the builder folds the previous catalog, diffs it against the input, and
//! appends one delta shard (changed and added cards, tombstones for removed ones). It compacts
//! into fresh base shards only when deltas grow past [`COMPACT_DELTA_RATIO`] of all bytes or
//! [`COMPACT_MAX_DELTAS`] shards. Old shard files are never deleted: a client mid-sync may still
//! be fetching them from the CDN.

use std::{
    collections::BTreeMap,
    fs::{self, File},
    io::{BufReader, Write},
    path::{Path, PathBuf},
};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    Card, ContentError,
    catalog::{
        COMPACT_DELTA_RATIO, COMPACT_MAX_DELTAS, CatalogIndex, FORMAT_VERSION, INDEX_FILE,
        ShardEntry, ShardKind, ShardLine, ShardReader, parse_index, shard_line_json,
    },
    parse_jsonl,
};

/// Default size a base shard is filled up to.
pub const DEFAULT_SHARD_BYTES: usize = 2 * 1024 * 1024;

/// Options of [`build_catalog`].
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Folder of the previously published catalog, to build incrementally on.
    pub previous: Option<PathBuf>,
    /// Catalog id for a fresh catalog (default: `catalog`); kept from `previous` otherwise.
    pub catalog_id: Option<String>,
    /// Size a base shard is filled up to.
    pub shard_bytes: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            previous: None,
            catalog_id: None,
            shard_bytes: DEFAULT_SHARD_BYTES,
        }
    }
}

/// What a build did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildReport {
    /// Cards in the catalog.
    pub cards: u64,
    /// Shards listed by the index.
    pub shards: u64,
    /// Shard files written by this build.
    pub shards_written: u64,
    /// Bytes of shards written by this build.
    pub bytes_written: u64,
    /// Bytes of all shards listed.
    pub total_bytes: u64,
    /// `full`, `delta`, `compacted` or `unchanged`.
    pub mode: String,
    /// Cards added since the previous catalog.
    pub added: u64,
    /// Cards changed since the previous catalog.
    pub updated: u64,
    /// Cards removed since the previous catalog (tombstones written).
    pub deleted: u64,
    /// The index file written.
    pub index_path: String,
}

/// Reads cards from a `.jsonl` file, or every `.json` (one card) and `.jsonl` file in a folder
/// (sorted by name). Ids must be unique across all of it.
pub fn read_input_cards(input: &Path) -> Result<Vec<Card>, ContentError> {
    let meta = fs::metadata(input).map_err(|e| ContentError::io(input, e))?;
    let mut cards = Vec::new();
    if meta.is_dir() {
        let mut paths: Vec<PathBuf> = fs::read_dir(input)
            .map_err(|e| ContentError::io(input, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        for p in paths {
            match p.extension().and_then(|e| e.to_str()) {
                Some("jsonl") => cards.extend(read_jsonl_file(&p)?),
                Some("json") => {
                    let text = fs::read(&p).map_err(|e| ContentError::io(&p, e))?;
                    let card: Card =
                        serde_json::from_slice(&text).map_err(|e| ContentError::Shard {
                            shard: p.display().to_string(),
                            line: 1,
                            message: e.to_string(),
                        })?;
                    card.validate()?;
                    cards.push(card);
                }
                _ => {}
            }
        }
    } else {
        cards = read_jsonl_file(input)?;
    }
    let mut seen = std::collections::HashSet::new();
    for c in &cards {
        if !seen.insert(c.id.as_str()) {
            return Err(ContentError::DuplicateId(c.id.clone()));
        }
    }
    Ok(cards)
}

fn read_jsonl_file(p: &Path) -> Result<Vec<Card>, ContentError> {
    let f = File::open(p).map_err(|e| ContentError::io(p, e))?;
    parse_jsonl(BufReader::new(f))
}

/// Reads a published catalog folder and folds it: card id → canonical card line.
pub fn fold_published(
    dir: &Path,
) -> Result<(CatalogIndex, BTreeMap<String, String>), ContentError> {
    let index_path = dir.join(INDEX_FILE);
    let bytes = fs::read(&index_path).map_err(|e| ContentError::io(&index_path, e))?;
    let index = parse_index(&bytes)?;
    let mut folded = BTreeMap::new();
    for s in &index.shards {
        let path = dir.join(&s.path);
        let data = fs::read(&path).map_err(|e| ContentError::io(&path, e))?;
        let actual = hex::encode(Sha256::digest(&data));
        if actual != s.sha256 {
            return Err(ContentError::HashMismatch {
                what: path.display().to_string(),
                expected: s.sha256.clone(),
                actual,
            });
        }
        for line in ShardReader::new(data.as_slice(), s.sha256.clone()) {
            match line? {
                ShardLine::Card(c) => {
                    let json = serde_json::to_string(&c)?;
                    folded.insert(c.id.clone(), json);
                }
                ShardLine::Deleted(id) => {
                    folded.remove(&id);
                }
            }
        }
    }
    Ok((index, folded))
}

/// Builds a catalog from `input` into `out` (which may be the same folder as `previous`).
pub fn build_catalog(
    input: &Path,
    out: &Path,
    opts: &BuildOptions,
) -> Result<BuildReport, ContentError> {
    build_catalog_from_cards(read_input_cards(input)?, out, opts)
}

/// Builds a catalog from `cards` (ids must be unique) into `out`; see [`build_catalog`].
pub fn build_catalog_from_cards(
    cards: Vec<Card>,
    out: &Path,
    opts: &BuildOptions,
) -> Result<BuildReport, ContentError> {
    let mut new: BTreeMap<String, String> = BTreeMap::new();
    for c in &cards {
        c.validate()?;
        if new
            .insert(c.id.clone(), serde_json::to_string(c)?)
            .is_some()
        {
            return Err(ContentError::DuplicateId(c.id.clone()));
        }
    }
    drop(cards);
    fs::create_dir_all(out.join("shards")).map_err(|e| ContentError::io(out, e))?;
    let mut report = BuildReport {
        cards: new.len() as u64,
        shards: 0,
        shards_written: 0,
        bytes_written: 0,
        total_bytes: 0,
        mode: "full".into(),
        added: new.len() as u64,
        updated: 0,
        deleted: 0,
        index_path: out.join(INDEX_FILE).display().to_string(),
    };
    let catalog_id = opts.catalog_id.clone().unwrap_or_else(|| "catalog".into());
    let Some(prev_dir) = &opts.previous else {
        let shards = write_base_shards(out, &new, opts.shard_bytes, &mut report)?;
        return finish(out, catalog_id, shards, report);
    };
    let (prev_index, old) = fold_published(prev_dir)?;
    let mut delta: Vec<u8> = Vec::new();
    let (mut cards_n, mut tomb_n) = (0u64, 0u64);
    report.added = 0;
    for (id, line) in &new {
        match old.get(id) {
            Some(o) if o == line => continue,
            Some(_) => report.updated += 1,
            None => report.added += 1,
        }
        delta.extend_from_slice(line.as_bytes());
        delta.push(b'\n');
        cards_n += 1;
    }
    for id in old.keys().filter(|id| !new.contains_key(*id)) {
        delta.extend_from_slice(shard_line_json(&ShardLine::Deleted(id.clone()))?.as_bytes());
        delta.push(b'\n');
        tomb_n += 1;
        report.deleted += 1;
    }
    drop(old);
    // Copy the previous shards when publishing into a different folder.
    if !same_dir(prev_dir, out) {
        for s in &prev_index.shards {
            let (from, to) = (prev_dir.join(&s.path), out.join(&s.path));
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(|e| ContentError::io(parent, e))?;
            }
            fs::copy(&from, &to).map_err(|e| ContentError::io(&from, e))?;
        }
    }
    if delta.is_empty() {
        report.mode = "unchanged".into();
        report.shards = prev_index.shards.len() as u64;
        report.total_bytes = prev_index.total_bytes();
        if !same_dir(prev_dir, out) {
            write_index(out, &prev_index)?;
        }
        return Ok(report);
    }
    let delta_count = prev_index
        .shards
        .iter()
        .filter(|s| s.kind == ShardKind::Delta)
        .count()
        + 1;
    let delta_bytes: u64 = prev_index
        .shards
        .iter()
        .filter(|s| s.kind == ShardKind::Delta)
        .map(|s| s.bytes)
        .sum::<u64>()
        + delta.len() as u64;
    let total = prev_index.total_bytes() + delta.len() as u64;
    if delta_count > COMPACT_MAX_DELTAS || delta_bytes as f64 > COMPACT_DELTA_RATIO * total as f64 {
        report.mode = "compacted".into();
        let shards = write_base_shards(out, &new, opts.shard_bytes, &mut report)?;
        return finish(out, prev_index.catalog_id, shards, report);
    }
    report.mode = "delta".into();
    let mut shards = prev_index.shards;
    let entry = write_shard(out, &delta, cards_n, tomb_n, ShardKind::Delta, &mut report)?;
    shards.push(entry);
    finish(out, prev_index.catalog_id, shards, report)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn finish(
    out: &Path,
    catalog_id: String,
    shards: Vec<ShardEntry>,
    mut report: BuildReport,
) -> Result<BuildReport, ContentError> {
    let index = CatalogIndex {
        format_version: FORMAT_VERSION,
        catalog_id,
        generated_at: chrono::Utc::now(),
        shards,
    };
    report.shards = index.shards.len() as u64;
    report.total_bytes = index.total_bytes();
    write_index(out, &index)?;
    Ok(report)
}

fn write_base_shards(
    out: &Path,
    cards: &BTreeMap<String, String>,
    target: usize,
    report: &mut BuildReport,
) -> Result<Vec<ShardEntry>, ContentError> {
    let mut shards = Vec::new();
    let mut buf = Vec::with_capacity(target + 4096);
    let mut n = 0u64;
    for line in cards.values() {
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        n += 1;
        if buf.len() >= target.max(1) {
            shards.push(write_shard(out, &buf, n, 0, ShardKind::Base, report)?);
            buf.clear();
            n = 0;
        }
    }
    if n > 0 {
        shards.push(write_shard(out, &buf, n, 0, ShardKind::Base, report)?);
    }
    Ok(shards)
}

fn write_shard(
    out: &Path,
    bytes: &[u8],
    cards: u64,
    tombstones: u64,
    kind: ShardKind,
    report: &mut BuildReport,
) -> Result<ShardEntry, ContentError> {
    let sha = hex::encode(Sha256::digest(bytes));
    let rel = format!("shards/{sha}.jsonl");
    write_atomic(&out.join(&rel), bytes)?;
    report.shards_written += 1;
    report.bytes_written += bytes.len() as u64;
    Ok(ShardEntry {
        sha256: sha,
        bytes: bytes.len() as u64,
        cards,
        tombstones,
        kind,
        path: rel,
    })
}

fn write_index(out: &Path, index: &CatalogIndex) -> Result<(), ContentError> {
    let mut bytes = serde_json::to_vec_pretty(index)?;
    bytes.push(b'\n');
    write_atomic(&out.join(INDEX_FILE), &bytes)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ContentError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(|e| ContentError::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| ContentError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| ContentError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_cards(path: &Path, cards: &[Card]) {
        let mut s = String::new();
        for c in cards {
            s.push_str(&serde_json::to_string(c).expect("json"));
            s.push('\n');
        }
        fs::write(path, s).expect("write");
    }

    #[test]
    fn builds_from_a_folder_and_rejects_bad_input() {
        let dir = tempfile::tempdir().expect("tmp");
        let input = dir.path().join("in");
        fs::create_dir_all(&input).expect("mkdir");
        fs::write(input.join("a.json"), r#"{"id":"a","title":"A"}"#).expect("a");
        write_cards(&input.join("more.jsonl"), &[Card::new("b", "B")]);
        fs::write(input.join("notes.txt"), "ignored").expect("txt");
        let r = build_catalog(&input, &dir.path().join("out"), &BuildOptions::default())
            .expect("build");
        assert_eq!(r.cards, 2);
        write_cards(&input.join("dup.jsonl"), &[Card::new("a", "again")]);
        assert!(matches!(
            build_catalog(&input, &dir.path().join("out2"), &BuildOptions::default()),
            Err(ContentError::DuplicateId(_))
        ));
        fs::remove_file(input.join("dup.jsonl")).expect("rm");
        fs::write(input.join("bad.json"), "{\"id\":").expect("bad");
        assert!(build_catalog(&input, &dir.path().join("out3"), &BuildOptions::default()).is_err());
        // A tampered previous catalog is detected, not silently folded.
        fs::remove_file(input.join("bad.json")).expect("rm");
        let out = dir.path().join("out");
        let (idx, _) = fold_published(&out).expect("fold");
        fs::write(out.join(&idx.shards[0].path), "{}\n").expect("tamper");
        let inc = BuildOptions {
            previous: Some(out.clone()),
            ..Default::default()
        };
        assert!(matches!(
            build_catalog(&input, &out, &inc),
            Err(ContentError::HashMismatch { .. })
        ));
    }

    #[test]
    fn delta_appends_and_compaction_rewrites() {
        let dir = tempfile::tempdir().expect("tmp");
        let input = dir.path().join("cards.jsonl");
        let out = dir.path().join("pub");
        let mut cards: Vec<Card> = (0..200)
            .map(|i| Card::new(format!("c{i:04}"), format!("Card {i} {}", "x".repeat(200))))
            .collect();
        write_cards(&input, &cards);
        let opts = BuildOptions {
            shard_bytes: 8 * 1024,
            ..Default::default()
        };
        let r = build_catalog(&input, &out, &opts).expect("full");
        assert_eq!(r.cards, 200);
        assert!(r.shards > 1);
        let (idx1, _) = fold_published(&out).expect("fold");

        cards[3].title = "Changed".into();
        cards.remove(10);
        cards.push(Card::new("new-1", "New"));
        write_cards(&input, &cards);
        let inc = BuildOptions {
            previous: Some(out.clone()),
            ..opts.clone()
        };
        let r = build_catalog(&input, &out, &inc).expect("delta");
        assert_eq!(r.mode, "delta");
        assert_eq!((r.added, r.updated, r.deleted), (1, 1, 1));
        let (idx2, folded) = fold_published(&out).expect("fold");
        assert_eq!(idx2.shards[..idx1.shards.len()], idx1.shards[..]);
        assert_eq!(idx2.shards.len(), idx1.shards.len() + 1);
        assert_eq!(folded.len(), 200);
        assert!(!folded.contains_key("c0010"));
        assert!(folded["c0003"].contains("Changed"));

        let r = build_catalog(&input, &out, &inc).expect("unchanged");
        assert_eq!(r.mode, "unchanged");

        for c in cards.iter_mut().take(100) {
            c.revision += 1;
        }
        write_cards(&input, &cards);
        let r = build_catalog(&input, &out, &inc).expect("compact");
        assert_eq!(r.mode, "compacted");
        let (idx3, folded) = fold_published(&out).expect("fold");
        assert!(idx3.shards.iter().all(|s| s.kind == ShardKind::Base));
        assert_eq!(folded.len(), 200);
    }
}
