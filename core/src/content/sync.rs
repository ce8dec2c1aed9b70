//! Catalog sync from any static host.
//!
//! *Why download everything before writing anything:* a sync on one bar of signal is often cut
//! off. Each new shard is streamed to a temp file and verified against the index's SHA-256 and
//! size; only when all of them are on disk does one write transaction fold them into the catalog
//! (through [`stage_changes`] and, once per sync, [`finish_changes`], so search and quiz indexes
//! stay in step).
//! Any failure before or during that transaction leaves the previous catalog exactly as it was.
//!
//! *Why remember the applied shard hashes:* the publisher appends delta shards and keeps earlier
//! ones byte-identical (see [`catalog`](super::catalog)); if the new index starts with exactly the
//! shards applied last time, only the rest is fetched. Otherwise (a compaction, another catalog)
//! the client rebuilds: it folds all shards and deletes cards the catalog no longer has.

use std::{
    collections::HashSet,
    fs::File,
    io::BufReader,
    path::{Path, PathBuf},
};

use reqwest::{StatusCode, Url, header};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::{
    Card, ContentError,
    catalog::{CatalogIndex, MAX_INDEX_BYTES, ShardLine, ShardReader, parse_index},
    finish_changes,
    http::{self, Expected, NetOptions, Phase, TempDirGuard},
    stage_changes,
};
use crate::{Error, Microlearn, Result};

/// Cards applied per call to `stage_changes`.
const BATCH: usize = 256;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// The server said the index had not changed (HTTP 304): nothing was done.
    pub not_modified: bool,
    /// `none`, `incremental` or `full`.
    pub mode: String,
    /// Shards downloaded.
    pub shards_fetched: u64,
    /// Bytes downloaded (index and shard bodies, after transfer decoding).
    pub bytes_fetched: u64,
    /// Cards added.
    pub cards_added: u64,
    /// Cards changed.
    pub cards_updated: u64,
    /// Cards deleted.
    pub cards_deleted: u64,
    /// Cards in the catalog afterwards.
    pub cards_total: u64,
}

/// The state the last sync left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncState {
    /// The index URL.
    pub url: String,
    /// Its ETag, sent as `If-None-Match`.
    pub etag: Option<String>,
    /// The catalog id.
    pub catalog_id: String,
    /// Shard hashes applied, in index order.
    pub applied: Vec<String>,
    /// When the last sync finished (Unix seconds).
    pub synced_at: i64,
}

/// Reads the sync state, if any sync has completed.
pub fn sync_state(conn: &rusqlite::Connection) -> rusqlite::Result<Option<SyncState>> {
    conn.query_row(
        "SELECT url, etag, catalog_id, applied, synced_at FROM catalog_sync WHERE id = 1",
        [],
        |r| {
            let applied: String = r.get(3)?;
            Ok(SyncState {
                url: r.get(0)?,
                etag: r.get(1)?,
                catalog_id: r.get(2)?,
                applied: serde_json::from_str(&applied).unwrap_or_default(),
                synced_at: r.get(4)?,
            })
        },
    )
    .optional()
}

enum IndexFetch {
    NotModified,
    Fetched {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
}

async fn fetch_index(
    client: &reqwest::Client,
    url: &Url,
    etag: Option<&str>,
) -> Result<IndexFetch, ContentError> {
    let mut req = client.get(url.clone());
    if let Some(etag) = etag {
        req = req.header(header::IF_NONE_MATCH, etag);
    }
    let mut resp = req.send().await.map_err(|e| http::map_err(url, e))?;
    if resp.status() == StatusCode::NOT_MODIFIED {
        return Ok(IndexFetch::NotModified);
    }
    if !resp.status().is_success() {
        return Err(ContentError::Http {
            url: url.to_string(),
            status: resp.status().as_u16(),
        });
    }
    let etag = resp
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| http::map_err(url, e))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > MAX_INDEX_BYTES {
            return Err(ContentError::TooLarge {
                what: "catalog index".into(),
                limit: MAX_INDEX_BYTES,
            });
        }
    }
    Ok(IndexFetch::Fetched { bytes, etag })
}

impl Microlearn {
    /// Syncs the offline catalog from the index at `url` (see the module docs). Cancel with
    /// `opts.cancel` or by dropping the future; either way the previous catalog stays intact.
    /// Refused with [`ContentError::NetworkPolicy`] when the network policy is `Never` (a
    /// catalog sync is small, so `WifiOnly` does not block it; it blocks media downloads).
    pub async fn sync_catalog(&self, url: &str, opts: &NetOptions) -> Result<SyncReport> {
        let url = http::parse_url(url)?;
        if self.media_status()?.policy == super::media::NetworkPolicy::Never {
            return Err(ContentError::NetworkPolicy("the policy is never".into()).into());
        }
        let state = self.store().read(|c| sync_state(c).map_err(Error::from))?;
        let same_url = state.as_ref().is_some_and(|s| s.url == url.as_str());
        let client = opts.client()?;
        opts.report(Phase::Index, 0, 1, 0);
        let etag = state
            .as_ref()
            .filter(|_| same_url)
            .and_then(|s| s.etag.as_deref());
        let (index_bytes, etag) = match fetch_index(&client, &url, etag).await? {
            IndexFetch::NotModified => {
                let total = self
                    .store()
                    .read(|c| super::count_cards(c).map_err(Error::from))?;
                return Ok(SyncReport {
                    not_modified: true,
                    mode: "none".into(),
                    cards_total: total,
                    ..Default::default()
                });
            }
            IndexFetch::Fetched { bytes, etag } => (bytes, etag),
        };
        let mut report = SyncReport {
            bytes_fetched: index_bytes.len() as u64,
            ..Default::default()
        };
        opts.report(Phase::Index, 1, 1, index_bytes.len() as u64);
        let index = parse_index(&index_bytes)?;
        drop(index_bytes);
        let incremental = state.as_ref().is_some_and(|s| {
            same_url
                && s.catalog_id == index.catalog_id
                && s.applied.len() <= index.shards.len()
                && s.applied
                    .iter()
                    .zip(&index.shards)
                    .all(|(a, b)| *a == b.sha256)
        });
        let skip = if incremental {
            state.as_ref().map_or(0, |s| s.applied.len())
        } else {
            0
        };
        report.mode = if incremental { "incremental" } else { "full" }.into();
        let todo = &index.shards[skip..];

        // 1. Download and verify every new shard before touching the catalog.
        let tmp = self
            .data_dir()
            .join("tmp")
            .join(format!("sync-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&tmp).map_err(|e| ContentError::io(&tmp, e))?;
        let guard = TempDirGuard(tmp.clone());
        let mut files = Vec::with_capacity(todo.len());
        let mut shard_bytes = 0u64;
        for (i, shard) in todo.iter().enumerate() {
            let shard_url = http::resolve(&url, &shard.path)?;
            let dest = tmp.join(format!("{}.jsonl", shard.sha256));
            let expected = Expected {
                sha256: &shard.sha256,
                bytes: shard.bytes,
            };
            let n = http::download(&client, &shard_url, &dest, expected, false, opts, |n| {
                shard_bytes += n;
                opts.report(Phase::Shards, i as u64, todo.len() as u64, shard_bytes);
            })
            .await?;
            report.bytes_fetched += n;
            report.shards_fetched += 1;
            files.push((shard.sha256.clone(), dest));
        }
        opts.report(
            Phase::Shards,
            todo.len() as u64,
            todo.len() as u64,
            shard_bytes,
        );
        opts.check_cancel()?;

        // 2. Fold them into the catalog in one transaction (off the async executor).
        let core = self.clone();
        let progress = opts.clone();
        let etag_owned = etag.clone();
        let url_s = url.to_string();
        let report = tokio::task::spawn_blocking(move || {
            let _guard = guard;
            let report = core.store().write(|tx| {
                let mut report = report;
                apply_shards(tx, &files, !incremental, &mut report, &progress)?;
                finish_changes(tx)?;
                save_state(tx, &url_s, etag_owned.as_deref(), &index, &report)?;
                report.cards_total = super::count_cards(tx)?;
                Ok::<_, Error>(report)
            })?;
            // Fold the WAL into the database now: a large WAL left behind makes the next open
            // (the app's cold start) read it all to rebuild its index. Best effort.
            if let Ok(conn) = core.store().writer() {
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            }
            Ok::<_, Error>(report)
        })
        .await
        .map_err(|e| ContentError::Network {
            url: url.to_string(),
            message: format!("apply task failed: {e}"),
        })??;
        Ok(report)
    }

    /// The state the last completed sync left, if any.
    pub fn last_sync(&self) -> Result<Option<SyncState>> {
        self.store().read(|c| sync_state(c).map_err(Error::from))
    }
}

/// Folds shard files into the catalog inside `tx`. With `full`, cards the shards do not end up
/// holding are deleted (except the learner's own, `source: user`).
fn apply_shards(
    tx: &Transaction<'_>,
    files: &[(String, PathBuf)],
    full: bool,
    report: &mut SyncReport,
    opts: &NetOptions,
) -> Result<()> {
    let mut live: HashSet<String> = HashSet::new();
    let mut added: HashSet<String> = HashSet::new();
    for (i, (sha, path)) in files.iter().enumerate() {
        opts.check_cancel()?;
        opts.report(Phase::Apply, i as u64, files.len() as u64, 0);
        apply_one(tx, sha, path, full, &mut live, &mut added, report)?;
    }
    if full {
        let stale: Vec<String> = {
            let mut stmt = tx.prepare("SELECT id FROM cards WHERE source != 'user'")?;
            let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for id in ids {
                let id = id?;
                if !live.contains(&id) {
                    out.push(id);
                }
            }
            out
        };
        for chunk in stale.chunks(BATCH) {
            stage_changes(tx, &[], chunk)?;
        }
        report.cards_deleted += stale.len() as u64;
    }
    opts.report(Phase::Apply, files.len() as u64, files.len() as u64, 0);
    Ok(())
}

fn apply_one(
    tx: &Transaction<'_>,
    sha: &str,
    path: &Path,
    full: bool,
    live: &mut HashSet<String>,
    added: &mut HashSet<String>,
    report: &mut SyncReport,
) -> Result<()> {
    let file = File::open(path).map_err(|e| ContentError::io(path, e))?;
    let mut upserts: Vec<Card> = Vec::with_capacity(BATCH);
    let mut deletes: Vec<String> = Vec::new();
    let mut existing = tx.prepare_cached("SELECT json FROM cards WHERE id = ?1")?;
    for line in ShardReader::new(BufReader::new(file), sha) {
        match line? {
            ShardLine::Card(card) => {
                let card = *card;
                if full {
                    live.insert(card.id.clone());
                }
                let old: Option<String> =
                    existing.query_row([&card.id], |r| r.get(0)).optional()?;
                match old {
                    None => {
                        report.cards_added += 1;
                        added.insert(card.id.clone());
                    }
                    Some(old) => {
                        if serde_json::to_string(&card).map_err(ContentError::from)? == old {
                            continue;
                        }
                        if !added.contains(&card.id) {
                            report.cards_updated += 1;
                        }
                    }
                }
                upserts.push(card);
                if upserts.len() >= BATCH {
                    stage_changes(tx, &upserts, &[])?;
                    upserts.clear();
                }
            }
            ShardLine::Deleted(id) => {
                live.remove(&id);
                deletes.push(id);
            }
        }
    }
    stage_changes(tx, &upserts, &[])?;
    // Ids are unique within a shard, so deleting after this shard's upserts keeps the order.
    for id in &deletes {
        let exists: bool = existing.query_row([id], |_| Ok(())).optional()?.is_some();
        if exists {
            if added.remove(id) {
                report.cards_added = report.cards_added.saturating_sub(1);
            } else {
                report.cards_deleted += 1;
            }
        }
    }
    for chunk in deletes.chunks(BATCH) {
        stage_changes(tx, &[], chunk)?;
    }
    Ok(())
}

fn save_state(
    tx: &Transaction<'_>,
    url: &str,
    etag: Option<&str>,
    index: &CatalogIndex,
    report: &SyncReport,
) -> Result<()> {
    let applied: Vec<&str> = index.shards.iter().map(|s| s.sha256.as_str()).collect();
    tx.execute(
        "INSERT INTO catalog_sync(id, url, etag, catalog_id, applied, synced_at, last_report)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET url = excluded.url, etag = excluded.etag,
            catalog_id = excluded.catalog_id, applied = excluded.applied,
            synced_at = excluded.synced_at, last_report = excluded.last_report",
        params![
            url,
            etag,
            index.catalog_id,
            serde_json::to_string(&applied).map_err(ContentError::from)?,
            chrono::Utc::now().timestamp(),
            serde_json::to_string(report).map_err(ContentError::from)?,
        ],
    )?;
    // Pins of cards the catalog no longer has mean nothing.
    tx.execute(
        "DELETE FROM pinned_cards WHERE card_id NOT IN (SELECT id FROM cards)",
        [],
    )?;
    Ok(())
}
