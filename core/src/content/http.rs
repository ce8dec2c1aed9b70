//! HTTP plumbing shared by catalog sync and the media cache: one client configuration, error
//! mapping to typed [`ContentError`]s, cancellation, progress events, and a streaming download
//! that verifies size and SHA-256 while writing to a temp file (resuming with HTTP `Range`).
//!
//! *Why stream to a file:* a 50,000-card catalog or a video must not be held in memory on a phone;
//! bytes go to disk as they arrive and are hashed on the way, so memory stays bounded.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use reqwest::{StatusCode, Url, header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::ContentError;

/// A flag the caller sets to cancel a sync or a media download. Futures are also drop-safe:
/// dropping one (e.g. `JoinHandle::abort`) cancels it and leaves the catalog and cache intact.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every operation holding this token to stop at its next chunk.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The stage a progress event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Fetching the catalog index.
    Index,
    /// Downloading shards.
    Shards,
    /// Applying shards to the local catalog.
    Apply,
    /// Downloading media.
    Media,
}

/// One progress event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// What is happening.
    pub phase: Phase,
    /// Items (shards, media files) finished in this phase.
    pub done: u64,
    /// Items in this phase.
    pub total: u64,
    /// Bytes downloaded so far in this phase.
    pub bytes: u64,
}

/// A progress callback; called from the task doing the work, keep it quick.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Options for network work.
#[derive(Clone)]
pub struct NetOptions {
    /// Longest wait for any read (a stalled server fails with [`ContentError::Timeout`]).
    pub read_timeout: Duration,
    /// Longest wait to connect.
    pub connect_timeout: Duration,
    /// Cancels the operation when set.
    pub cancel: Option<CancelToken>,
    /// Receives progress events.
    pub progress: Option<ProgressFn>,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            read_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
            cancel: None,
            progress: None,
        }
    }
}

impl std::fmt::Debug for NetOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetOptions")
            .field("read_timeout", &self.read_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl NetOptions {
    pub(crate) fn check_cancel(&self) -> Result<(), ContentError> {
        match &self.cancel {
            Some(c) if c.is_cancelled() => Err(ContentError::Cancelled),
            _ => Ok(()),
        }
    }

    pub(crate) fn report(&self, phase: Phase, done: u64, total: u64, bytes: u64) {
        if let Some(p) = &self.progress {
            p(&Progress {
                phase,
                done,
                total,
                bytes,
            });
        }
    }

    pub(crate) fn client(&self) -> Result<reqwest::Client, ContentError> {
        reqwest::Client::builder()
            .read_timeout(self.read_timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("microlearn/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ContentError::Network {
                url: String::new(),
                message: e.to_string(),
            })
    }
}

/// Maps an HTTP client error to a typed error.
pub(crate) fn map_err(url: &Url, e: reqwest::Error) -> ContentError {
    if e.is_timeout() {
        return ContentError::Timeout {
            url: url.to_string(),
        };
    }
    let mut message = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    ContentError::Network {
        url: url.to_string(),
        message,
    }
}

/// Parses `s` as an absolute http(s) URL.
pub fn parse_url(s: &str) -> Result<Url, ContentError> {
    let url = Url::parse(s).map_err(|_| ContentError::InvalidUrl(s.to_owned()))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        _ => Err(ContentError::InvalidUrl(s.to_owned())),
    }
}

/// Resolves `path` (relative or absolute) against `base`, allowing only http(s).
pub fn resolve(base: &Url, path: &str) -> Result<Url, ContentError> {
    let url = base
        .join(path)
        .map_err(|_| ContentError::InvalidUrl(path.to_owned()))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        _ => Err(ContentError::InvalidUrl(path.to_owned())),
    }
}

/// What a download must turn out to be.
#[derive(Debug, Clone)]
pub(crate) struct Expected<'a> {
    pub sha256: &'a str,
    pub bytes: u64,
}

/// Downloads `url` into `dest`, verifying size and SHA-256 as it streams. With `resume`, a
/// partial `dest` is continued with a `Range` request. Returns the bytes transferred now.
/// On a hash or size mismatch `dest` is removed; on a network error it is kept for resuming.
pub(crate) async fn download(
    client: &reqwest::Client,
    url: &Url,
    dest: &Path,
    expected: Expected<'_>,
    resume: bool,
    opts: &NetOptions,
    mut on_bytes: impl FnMut(u64),
) -> Result<u64, ContentError> {
    opts.check_cancel()?;
    let mut hasher = Sha256::new();
    let mut have = 0u64;
    if resume && let Ok(meta) = tokio::fs::metadata(dest).await {
        if meta.len() > 0 && meta.len() < expected.bytes {
            let mut f = tokio::fs::File::open(dest)
                .await
                .map_err(|e| ContentError::io(dest, e))?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = f
                    .read(&mut buf)
                    .await
                    .map_err(|e| ContentError::io(dest, e))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                have += n as u64;
            }
        } else {
            let _ = tokio::fs::remove_file(dest).await;
        }
    }
    let mut req = client.get(url.clone());
    if have > 0 {
        req = req
            .header(header::RANGE, format!("bytes={have}-"))
            .header(header::ACCEPT_ENCODING, "identity");
    }
    let resp = req.send().await.map_err(|e| map_err(url, e))?;
    let status = resp.status();
    let append = if status == StatusCode::PARTIAL_CONTENT && have > 0 {
        let range_ok = resp
            .headers()
            .get(header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(&format!("bytes {have}-")));
        if !range_ok {
            return Err(ContentError::Network {
                url: url.to_string(),
                message: "server answered a Range request with a different range".into(),
            });
        }
        true
    } else if status.is_success() && status != StatusCode::PARTIAL_CONTENT {
        hasher = Sha256::new();
        have = 0;
        false
    } else {
        if status == StatusCode::RANGE_NOT_SATISFIABLE {
            // The partial file does not fit what the server has: start over next time.
            let _ = tokio::fs::remove_file(dest).await;
        }
        return Err(ContentError::Http {
            url: url.to_string(),
            status: status.as_u16(),
        });
    };
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(dest)
        .await
        .map_err(|e| ContentError::io(dest, e))?;
    let mut total = have;
    let mut transferred = 0u64;
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        opts.check_cancel()?;
        let chunk = chunk.map_err(|e| map_err(url, e))?;
        total += chunk.len() as u64;
        if total > expected.bytes {
            drop(file);
            let _ = tokio::fs::remove_file(dest).await;
            return Err(ContentError::SizeMismatch {
                what: url.to_string(),
                expected: expected.bytes,
                actual: total,
            });
        }
        hasher.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| ContentError::io(dest, e))?;
        transferred += chunk.len() as u64;
        on_bytes(chunk.len() as u64);
    }
    file.flush().await.map_err(|e| ContentError::io(dest, e))?;
    file.sync_all()
        .await
        .map_err(|e| ContentError::io(dest, e))?;
    drop(file);
    if total != expected.bytes {
        let _ = tokio::fs::remove_file(dest).await;
        return Err(ContentError::SizeMismatch {
            what: url.to_string(),
            expected: expected.bytes,
            actual: total,
        });
    }
    let actual = hex::encode(hasher.finalize());
    if actual != expected.sha256 {
        let _ = tokio::fs::remove_file(dest).await;
        return Err(ContentError::HashMismatch {
            what: url.to_string(),
            expected: expected.sha256.to_owned(),
            actual,
        });
    }
    Ok(transferred)
}

/// A directory removed (with its contents) when dropped, so an interrupted sync leaves nothing.
pub(crate) struct TempDirGuard(pub std::path::PathBuf);

impl Drop for TempDirGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
