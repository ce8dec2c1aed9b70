//! Catalog sync and the media cache: async, cancellable, with progress.
//!
//! Each network call takes an optional [`CancelToken`] and [`ProgressListener`]. The token is
//! handed to the core (checked between chunks) *and* raced against the call here, so a call
//! waiting on a stalled server ends at once when cancelled. Dropping the future (Kotlin
//! coroutine cancellation) stops the work too; the core keeps the catalog intact either way.

use std::sync::Arc;

use microlearn_core::content::{http, media, sync as cs};

use crate::{
    CancelToken, Microlearn,
    cancel::run_cancellable,
    convert::{count, into, mirror},
    error::Result,
    providers::{ProgressListener, WorkPhase, WorkProgress},
};

/// What a catalog sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// The server said the index had not changed (HTTP 304): nothing was done.
    pub not_modified: bool,
    /// `none`, `incremental` or `full`.
    pub mode: String,
    /// Shards downloaded.
    pub shards_fetched: u64,
    /// Bytes downloaded.
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
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncState {
    /// The index URL.
    pub url: String,
    /// Its ETag, sent as `If-None-Match` next time.
    pub etag: Option<String>,
    /// The catalog id.
    pub catalog_id: String,
    /// Shards applied, in index order.
    pub applied_shards: u64,
    /// When the last sync finished (Unix seconds).
    pub synced_at: i64,
}

/// When media may be downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NetworkPolicy {
    /// On any network.
    Any,
    /// Only when the link is not metered.
    WifiOnly,
    /// Never (offline mode).
    Never,
}

/// What the media cache holds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
    /// Whether the link is metered (as last reported).
    pub metered: bool,
    /// The catalog index URL last synced from.
    pub catalog_url: Option<String>,
    /// When the last catalog sync finished (Unix seconds).
    pub last_sync_at: Option<i64>,
}

/// What a pin did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PinReport {
    /// Cards now pinned (all of them).
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

mirror!(struct cs::SyncReport => SyncReport {
    not_modified,
    mode,
    shards_fetched,
    bytes_fetched,
    cards_added,
    cards_updated,
    cards_deleted,
    cards_total,
});
mirror!(struct cs::SyncState => SyncState {
    url,
    etag,
    catalog_id,
    applied_shards = applied: count,
    synced_at,
});
mirror!(enum media::NetworkPolicy <=> NetworkPolicy { Any, WifiOnly, Never });
mirror!(struct media::MediaStatus => MediaStatus {
    files,
    bytes,
    budget_bytes,
    pinned_cards,
    pinned_bytes,
    policy: into,
    metered,
    catalog_url,
    last_sync_at,
});
mirror!(struct media::PinReport => PinReport {
    pinned_cards,
    media_files,
    downloaded,
    bytes_downloaded,
    pinned_bytes,
});
mirror!(enum http::Phase => WorkPhase { Index, Shards, Apply, Media });

impl From<&http::Progress> for WorkProgress {
    fn from(p: &http::Progress) -> Self {
        Self {
            phase: p.phase.into(),
            done: p.done,
            total: p.total,
            bytes: p.bytes,
        }
    }
}

/// The core's network options for one call. A listener's error is ignored: progress is
/// informational and must never break the work.
pub(crate) fn net_options(
    cancel: Option<&Arc<CancelToken>>,
    progress: Option<Arc<dyn ProgressListener>>,
) -> http::NetOptions {
    http::NetOptions {
        cancel: cancel.map(|c| c.core_token()),
        progress: progress.map(|listener| -> http::ProgressFn {
            Arc::new(move |p: &http::Progress| {
                let _ = listener.on_progress(p.into());
            })
        }),
        ..http::NetOptions::default()
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Microlearn {
    /// Syncs the offline catalog from the index at `url` (e.g.
    /// `https://cdn.example/catalog/index.json`): only new shards are downloaded, everything is
    /// verified before one transaction applies it. On any failure or cancellation the previous
    /// catalog stays exactly as it was.
    #[uniffi::method(default(cancel = None, progress = None))]
    pub async fn sync_catalog(
        &self,
        url: String,
        cancel: Option<Arc<CancelToken>>,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> Result<SyncReport> {
        let core = self.core()?;
        self.before_network(&core)?;
        let opts = net_options(cancel.as_ref(), progress);
        run_cancellable(cancel, "catalog sync", async move {
            Ok(core.sync_catalog(&url, &opts).await?.into())
        })
        .await
    }

    /// Downloads (or finds in the cache) the media file with this SHA-256 and returns its path.
    #[uniffi::method(default(cancel = None, progress = None))]
    pub async fn fetch_media(
        &self,
        sha256: String,
        cancel: Option<Arc<CancelToken>>,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> Result<String> {
        let core = self.core()?;
        self.before_network(&core)?;
        let opts = net_options(cancel.as_ref(), progress);
        run_cancellable(cancel, "media download", async move {
            let path = core.fetch_media(&sha256, &opts).await?;
            Ok(path.display().to_string())
        })
        .await
    }

    /// Pins cards for offline use and downloads their media now; pinned media is never evicted.
    /// Refused up front (`Content`) when the pinned set cannot fit the budget.
    #[uniffi::method(default(cancel = None, progress = None))]
    pub async fn pin_cards(
        &self,
        ids: Vec<String>,
        cancel: Option<Arc<CancelToken>>,
        progress: Option<Arc<dyn ProgressListener>>,
    ) -> Result<PinReport> {
        let core = self.core()?;
        self.before_network(&core)?;
        let opts = net_options(cancel.as_ref(), progress);
        run_cancellable(cancel, "pinning", async move {
            Ok(core.pin_cards(&ids, &opts).await?.into())
        })
        .await
    }
}

#[uniffi::export]
impl Microlearn {
    /// The state the last catalog sync left, or null before the first sync.
    pub fn last_sync(&self) -> Result<Option<SyncState>> {
        Ok(self.core()?.last_sync()?.map(Into::into))
    }

    /// Unpins cards (their media becomes evictable); returns how many were pinned.
    pub fn unpin_cards(&self, ids: Vec<String>) -> Result<u64> {
        Ok(self.core()?.unpin_cards(&ids)?)
    }

    /// Sets the media cache's byte budget (evicting unpinned media, least recently used first).
    pub fn set_media_budget(&self, bytes: u64) -> Result<()> {
        Ok(self.core()?.set_media_budget(bytes)?)
    }

    /// Sets when media may be downloaded.
    pub fn set_network_policy(&self, policy: NetworkPolicy) -> Result<()> {
        Ok(self.core()?.set_network_policy(policy.into())?)
    }

    /// Tells the core whether the link is metered (a `ConnectivityProvider` does this for you).
    pub fn set_network_metered(&self, metered: bool) -> Result<()> {
        Ok(self.core()?.set_network_state(metered)?)
    }

    /// What the media cache holds.
    pub fn media_status(&self) -> Result<MediaStatus> {
        Ok(self.core()?.media_status()?.into())
    }

    /// The path of a cached media file, or null when it is not (fully) downloaded.
    pub fn media_path(&self, sha256: String) -> Result<Option<String>> {
        Ok(self
            .core()?
            .media_path(&sha256)?
            .map(|p| p.display().to_string()))
    }
}
