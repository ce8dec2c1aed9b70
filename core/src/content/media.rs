//! The media cache: videos, audio and PDFs referenced by cards, kept on disk within a byte budget.
//!
//! *Why files are named by hash:* nothing the server sends (a URL, a file name) ever becomes a
//! path on disk; a file is `data_dir/media/<sha256>`, and only after its bytes were verified
//! against the card's SHA-256 (download to `media/tmp/<sha256>.part`, verify, atomic rename). A
//! cut-off download keeps its partial file and resumes with HTTP `Range` next time.
//!
//! *Why the budget is enforced by evicting unpinned media, least recently used first:* phones run
//! out of space; media the learner pinned ("download for offline") is never evicted, and pinning
//! a set that cannot fit is refused up front ([`ContentError::BudgetExceeded`]). The shell sets
//! the network policy (any network, Wi-Fi only, never) and tells the core when the link is
//! metered; downloads the policy forbids fail with [`ContentError::NetworkPolicy`].

use std::{
    collections::HashSet,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{
    ContentError,
    card::is_sha256_hex,
    http::{self, Expected, NetOptions, Phase},
};
use crate::{Error, Microlearn, Result};

/// Default media budget: 512 MiB.
pub const DEFAULT_BUDGET_BYTES: u64 = 512 * 1024 * 1024;
/// Media downloads running at once.
pub const MEDIA_CONCURRENCY: usize = 4;

/// When media may be downloaded; set by the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NetworkPolicy {
    /// On any network.
    #[default]
    Any,
    /// Only when the link is not metered (see [`Microlearn::set_network_state`]).
    WifiOnly,
    /// Never (offline mode).
    Never,
}

impl NetworkPolicy {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkPolicy::Any => "any",
            NetworkPolicy::WifiOnly => "wifi_only",
            NetworkPolicy::Never => "never",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "any" => Some(NetworkPolicy::Any),
            "wifi_only" => Some(NetworkPolicy::WifiOnly),
            "never" => Some(NetworkPolicy::Never),
            _ => None,
        }
    }
}

/// What the media cache holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaStatus {
    /// Verified media files in the cache.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// The byte budget.
    pub budget_bytes: u64,
    /// Pinned cards.
    pub pinned_cards: u64,
    /// Bytes of media the pinned cards need.
    pub pinned_bytes: u64,
    /// The network policy.
    pub policy: NetworkPolicy,
    /// Whether the shell said the link is metered.
    pub metered: bool,
    /// The catalog index URL last synced from.
    pub catalog_url: Option<String>,
    /// When the last catalog sync finished (Unix seconds).
    pub last_sync_at: Option<i64>,
}

/// What a pin did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PinReport {
    /// Cards now pinned (all of them, not only the new ones).
    pub pinned_cards: u64,
    /// Distinct media files the pinned cards need.
    pub media_files: u64,
    /// Media files downloaded now.
    pub downloaded: u64,
    /// Bytes downloaded now.
    pub bytes_downloaded: u64,
    /// Bytes of media the pinned cards need.
    pub pinned_bytes: u64,
}

#[derive(Debug, Clone)]
struct Needed {
    sha256: String,
    url: String,
    bytes: u64,
}

fn setting(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    crate::store::settings::get(conn, "content_settings", key)
}

fn put_setting(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    crate::store::settings::put(conn, "content_settings", key, value)
}

fn budget(conn: &Connection) -> rusqlite::Result<u64> {
    Ok(setting(conn, "media_budget_bytes")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_BUDGET_BYTES))
}

/// Media needed by pinned cards plus `extra` cards.
fn pinned_media(conn: &Connection, extra: &[String]) -> rusqlite::Result<Vec<Needed>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, url, bytes FROM card_media WHERE card_id = ?1
         OR card_id IN (SELECT card_id FROM pinned_cards) AND ?1 IS NULL",
    )?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut add = |rows: Vec<Needed>| {
        for n in rows {
            if seen.insert(n.sha256.clone()) {
                out.push(n);
            }
        }
    };
    let map = |r: &rusqlite::Row<'_>| {
        Ok(Needed {
            sha256: r.get(0)?,
            url: r.get(1)?,
            bytes: r.get::<_, i64>(2)? as u64,
        })
    };
    add(stmt
        .query_map([None::<String>], map)?
        .collect::<rusqlite::Result<_>>()?);
    for id in extra {
        add(stmt
            .query_map([Some(id)], map)?
            .collect::<rusqlite::Result<_>>()?);
    }
    Ok(out)
}

impl Microlearn {
    fn media_dir(&self) -> PathBuf {
        self.data_dir().join("media")
    }

    /// Sets the media byte budget, evicting unpinned media (least recently used first) to fit.
    /// Fails with [`ContentError::BudgetExceeded`] if the pinned media alone would not fit.
    pub fn set_media_budget(&self, bytes: u64) -> Result<()> {
        let pinned: u64 = self
            .store()
            .read(|c| Ok::<_, Error>(pinned_media(c, &[])?.iter().map(|n| n.bytes).sum()))?;
        if pinned > bytes {
            return Err(ContentError::BudgetExceeded {
                needed: pinned,
                budget: bytes,
            }
            .into());
        }
        self.store().write(|tx| {
            put_setting(tx, "media_budget_bytes", &bytes.to_string()).map_err(Error::from)
        })?;
        self.make_room(0, &HashSet::new())
    }

    /// Sets when media may be downloaded.
    pub fn set_network_policy(&self, policy: NetworkPolicy) -> Result<()> {
        self.store()
            .write(|tx| put_setting(tx, "network_policy", policy.as_str()).map_err(Error::from))
    }

    /// Tells the core whether the current link is metered (the shell calls this on changes).
    pub fn set_network_state(&self, metered: bool) -> Result<()> {
        self.store().write(|tx| {
            put_setting(tx, "metered", if metered { "true" } else { "false" }).map_err(Error::from)
        })
    }

    /// What the media cache holds, its budget and policy, and the last sync.
    pub fn media_status(&self) -> Result<MediaStatus> {
        self.store().read(|c| {
            let (files, bytes): (i64, i64) = c.query_row(
                "SELECT count(*), coalesce(sum(bytes), 0) FROM media_files",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let pinned_cards: i64 =
                c.query_row("SELECT count(*) FROM pinned_cards", [], |r| r.get(0))?;
            let sync = super::sync::sync_state(c)?;
            Ok::<_, Error>(MediaStatus {
                files: files as u64,
                bytes: bytes as u64,
                budget_bytes: budget(c)?,
                pinned_cards: pinned_cards as u64,
                pinned_bytes: pinned_media(c, &[])?.iter().map(|n| n.bytes).sum(),
                policy: setting(c, "network_policy")?
                    .and_then(|p| NetworkPolicy::parse(&p))
                    .unwrap_or_default(),
                metered: setting(c, "metered")?.as_deref() == Some("true"),
                catalog_url: sync.as_ref().map(|s| s.url.clone()),
                last_sync_at: sync.map(|s| s.synced_at),
            })
        })
    }

    /// The cached file for media `sha256`, if present (marks it as recently used). Never waits
    /// for a write: recency is the file's modification time, so playback can call this from the
    /// UI thread while a sync is writing.
    pub fn media_path(&self, sha256: &str) -> Result<Option<PathBuf>> {
        if !is_sha256_hex(sha256) {
            return Err(Error::InvalidArgument(format!(
                "{sha256:?} is not a sha256"
            )));
        }
        let path = self.media_dir().join(sha256);
        let known = self.store().read(|c| {
            c.query_row(
                "SELECT 1 FROM media_files WHERE sha256 = ?1",
                [sha256],
                |_| Ok(()),
            )
            .optional()
            .map_err(Error::from)
        })?;
        if known.is_none() {
            return Ok(None);
        }
        match std::fs::File::options().write(true).open(&path) {
            Ok(f) => {
                // Best effort: a failed touch only makes eviction order less exact.
                let _ = f.set_modified(std::time::SystemTime::now());
                Ok(Some(path))
            }
            Err(_) => Ok(None),
        }
    }

    /// Returns the cached file for media `sha256`, downloading it first if needed (on-demand
    /// playback). The media must belong to a card in the catalog.
    pub async fn fetch_media(&self, sha256: &str, opts: &NetOptions) -> Result<PathBuf> {
        if let Some(p) = self.media_path(sha256)? {
            return Ok(p);
        }
        let needed = self.store().read(|c| {
            c.query_row(
                "SELECT sha256, url, bytes FROM card_media WHERE sha256 = ?1 LIMIT 1",
                [sha256],
                |r| {
                    Ok(Needed {
                        sha256: r.get(0)?,
                        url: r.get(1)?,
                        bytes: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()
            .map_err(Error::from)
        })?;
        let needed = needed.ok_or_else(|| Error::NotFound(format!("media {sha256}")))?;
        self.check_policy()?;
        let protect: HashSet<String> = [needed.sha256.clone()].into();
        self.make_room(needed.bytes, &protect)?;
        let client = opts.client()?;
        let done = AtomicU64::new(0);
        self.download_one(&client, &needed, opts, &done, 1).await?;
        Ok(self.media_dir().join(sha256))
    }

    /// Pins cards for offline use and downloads their media (at most [`MEDIA_CONCURRENCY`] at
    /// once). Refuses, pinning nothing, if the pinned set's media exceeds the budget.
    pub async fn pin_cards(&self, ids: &[String], opts: &NetOptions) -> Result<PinReport> {
        for id in ids {
            self.card(id)?;
        }
        let (needed, budget_bytes) = self
            .store()
            .read(|c| Ok::<_, Error>((pinned_media(c, ids)?, budget(c)?)))?;
        let pinned_bytes: u64 = needed.iter().map(|n| n.bytes).sum();
        if pinned_bytes > budget_bytes {
            return Err(ContentError::BudgetExceeded {
                needed: pinned_bytes,
                budget: budget_bytes,
            }
            .into());
        }
        let missing: Vec<Needed> = needed
            .iter()
            .filter(|n| !self.media_dir().join(&n.sha256).exists())
            .cloned()
            .collect();
        let mut report = PinReport {
            media_files: needed.len() as u64,
            pinned_bytes,
            ..Default::default()
        };
        if !missing.is_empty() {
            self.check_policy()?;
            let protect: HashSet<String> = needed.iter().map(|n| n.sha256.clone()).collect();
            self.make_room(missing.iter().map(|n| n.bytes).sum(), &protect)?;
            let client = opts.client()?;
            let bytes = Arc::new(AtomicU64::new(0));
            let total = missing.len() as u64;
            // A JoinSet aborts its tasks when dropped, so cancelling this future stops them.
            let mut set = tokio::task::JoinSet::new();
            let mut done = 0u64;
            let mut join_one =
                |r: Option<std::result::Result<Result<u64>, tokio::task::JoinError>>| match r {
                    Some(Ok(Ok(_))) => {
                        done += 1;
                        opts.report(Phase::Media, done, total, bytes.load(Ordering::SeqCst));
                        Ok(())
                    }
                    Some(Ok(Err(e))) => Err(e),
                    Some(Err(e)) => Err(Error::from(ContentError::Network {
                        url: String::new(),
                        message: format!("download task failed: {e}"),
                    })),
                    None => Ok(()),
                };
            for n in missing {
                while set.len() >= MEDIA_CONCURRENCY {
                    join_one(set.join_next().await)?;
                }
                let (core, client, opts, bytes) =
                    (self.clone(), client.clone(), opts.clone(), bytes.clone());
                set.spawn(
                    async move { core.download_one(&client, &n, &opts, &bytes, total).await },
                );
            }
            while !set.is_empty() {
                join_one(set.join_next().await)?;
            }
            report.downloaded = total;
            report.bytes_downloaded = bytes.load(Ordering::SeqCst);
        }
        let now = chrono::Utc::now().timestamp();
        report.pinned_cards = self.store().write(|tx| {
            for id in ids {
                tx.execute(
                    "INSERT OR IGNORE INTO pinned_cards(card_id, pinned_at) VALUES (?1, ?2)",
                    params![id, now],
                )?;
            }
            Ok::<_, Error>(tx.query_row("SELECT count(*) FROM pinned_cards", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
        })?;
        Ok(report)
    }

    /// Unpins cards; their media stays cached until evicted. Returns how many were pinned.
    pub fn unpin_cards(&self, ids: &[String]) -> Result<u64> {
        self.store().write(|tx| {
            let mut n = 0;
            for id in ids {
                n += tx.execute("DELETE FROM pinned_cards WHERE card_id = ?1", [id])?;
            }
            Ok::<_, Error>(n as u64)
        })
    }

    fn check_policy(&self) -> Result<()> {
        let s = self.media_status()?;
        match (s.policy, s.metered) {
            (NetworkPolicy::Never, _) => {
                Err(ContentError::NetworkPolicy("the policy is never".into()).into())
            }
            (NetworkPolicy::WifiOnly, true) => Err(ContentError::NetworkPolicy(
                "Wi-Fi only, and the link is metered".into(),
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// Evicts unpinned media not in `protect`, least recently used first, until `incoming` more
    /// bytes fit in the budget.
    fn make_room(&self, incoming: u64, protect: &HashSet<String>) -> Result<()> {
        let dir = self.media_dir();
        self.store().write(|tx| {
            let budget = budget(tx)?;
            let used: i64 =
                tx.query_row("SELECT coalesce(sum(bytes), 0) FROM media_files", [], |r| {
                    r.get(0)
                })?;
            let mut used = used as u64;
            if used + incoming <= budget {
                return Ok(());
            }
            let mut victims: Vec<(String, u64, std::time::SystemTime)> = {
                let mut stmt = tx.prepare(
                    "SELECT sha256, bytes FROM media_files WHERE sha256 NOT IN (
                        SELECT m.sha256 FROM card_media m JOIN pinned_cards p
                        ON p.card_id = m.card_id)",
                )?;
                stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
                    .collect::<rusqlite::Result<Vec<(String, u64)>>>()?
                    .into_iter()
                    .map(|(sha, bytes)| {
                        let used = std::fs::metadata(dir.join(&sha))
                            .and_then(|m| m.modified())
                            .unwrap_or(std::time::UNIX_EPOCH);
                        (sha, bytes, used)
                    })
                    .collect()
            };
            // Least recently used first (file mtime is touched by `media_path`).
            victims.sort_by_key(|v| v.2);
            for (sha, bytes, _) in victims {
                if used + incoming <= budget {
                    break;
                }
                if protect.contains(&sha) {
                    continue;
                }
                tx.execute("DELETE FROM media_files WHERE sha256 = ?1", [&sha])?;
                let _ = std::fs::remove_file(dir.join(&sha));
                used = used.saturating_sub(bytes);
            }
            if used + incoming > budget {
                return Err(ContentError::BudgetExceeded {
                    needed: used + incoming,
                    budget,
                }
                .into());
            }
            Ok::<_, Error>(())
        })
    }

    async fn download_one(
        &self,
        client: &reqwest::Client,
        n: &Needed,
        opts: &NetOptions,
        bytes: &AtomicU64,
        total: u64,
    ) -> Result<u64> {
        let base = self.last_sync()?.map(|s| s.url);
        let url = match http::parse_url(&n.url) {
            Ok(u) => u,
            Err(_) => {
                let base = base.ok_or(ContentError::NotSynced)?;
                http::resolve(&http::parse_url(&base)?, &n.url)?
            }
        };
        let dir = self.media_dir();
        let tmp_dir = dir.join("tmp");
        std::fs::create_dir_all(&tmp_dir).map_err(|e| ContentError::io(&tmp_dir, e))?;
        let part = tmp_dir.join(format!("{}.part", n.sha256));
        let expected = Expected {
            sha256: &n.sha256,
            bytes: n.bytes,
        };
        let got = http::download(client, &url, &part, expected, true, opts, |b| {
            let sum = bytes.fetch_add(b, Ordering::SeqCst) + b;
            opts.report(Phase::Media, 0, total, sum);
        })
        .await?;
        let final_path = dir.join(&n.sha256);
        std::fs::rename(&part, &final_path).map_err(|e| ContentError::io(&final_path, e))?;
        self.store().write(|tx| {
            tx.execute(
                "INSERT INTO media_files(sha256, bytes, last_used) VALUES (?1, ?2, ?3)
                 ON CONFLICT(sha256) DO UPDATE SET last_used = excluded.last_used",
                params![
                    n.sha256,
                    n.bytes as i64,
                    chrono::Utc::now().timestamp_micros()
                ],
            )
            .map_err(Error::from)
        })?;
        Ok(got)
    }

    /// Adds media that arrived another way (a peer's tip through the network module) to the
    /// cache: the caller verified `bytes` against `sha256`; room is made within the budget (LRU
    /// eviction), the file is written under its hash (temp file, then rename) and recorded.
    pub(crate) fn store_verified_media(&self, sha256: &str, bytes: &[u8]) -> Result<PathBuf> {
        if !is_sha256_hex(sha256) {
            return Err(Error::InvalidArgument(format!(
                "{sha256:?} is not a sha256"
            )));
        }
        if let Some(p) = self.media_path(sha256)? {
            return Ok(p);
        }
        let protect: HashSet<String> = [sha256.to_owned()].into();
        self.make_room(bytes.len() as u64, &protect)?;
        let dir = self.media_dir();
        std::fs::create_dir_all(&dir).map_err(|e| ContentError::io(&dir, e))?;
        let part = dir.join(format!("{sha256}.net.part"));
        std::fs::write(&part, bytes).map_err(|e| ContentError::io(&part, e))?;
        let final_path = dir.join(sha256);
        std::fs::rename(&part, &final_path).map_err(|e| ContentError::io(&final_path, e))?;
        self.store().write(|tx| {
            tx.execute(
                "INSERT INTO media_files(sha256, bytes, last_used) VALUES (?1, ?2, ?3)
                 ON CONFLICT(sha256) DO UPDATE SET last_used = excluded.last_used",
                params![
                    sha256,
                    bytes.len() as i64,
                    chrono::Utc::now().timestamp_micros()
                ],
            )
            .map_err(Error::from)
        })?;
        Ok(final_path)
    }
}
