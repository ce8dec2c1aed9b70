//! Flushing the queue to an LRS: batched `POST /statements`, every failure class handled.
//!
//! *Why this state machine:* delivery must be exactly-once although requests time out after the
//! LRS stored them, LRSs disagree on duplicates, and the process can die at any instruction.
//! Exactly-once follows from three rules:
//!
//! 1. a statement leaves the queue only after the LRS acknowledged it (a 200 listing its id, or a
//!    `GET ?statementId=` that finds it);
//! 2. anything unclear is resent with the **same id** (the LRS deduplicates ids), as the same
//!    frozen batch;
//! 3. one flush at a time per database (a mutex in the process, an OS file lock across
//!    processes: [`super::flush_lock`]), and rows are claimed into a batch in one transaction, so
//!    no two requests in flight hold the same statement.
//!
//! Failures: timeout / reset → ambiguous, back off, resend the same batch; 5xx → exponential
//! backoff with jitter and a cap; 429 / 503 → honour `Retry-After` and pause the queue; 401 / 403
//! (or a 400 about credentials) → ask the provider for fresh credentials, else pause; 400 → halve
//! the batch until the bad statement is alone, then dead-letter it with the LRS's answer; 413 →
//! shrink; 204 / 409 / ids missing from a 200 → confirm each id with `GET ?statementId=`, trusting
//! "not stored" only once `X-Experience-API-Consistent-Through` has passed the send time.
//! Backoff and pauses are persisted (`next_attempt_at`, `paused_until`) so the shell's scheduler
//! (WorkManager / BGTaskScheduler) can respect them. Dropping the future cancels the flush; rows
//! it left in flight are returned to pending by the next flush, or when a core next opens the
//! database ([`super::flush_lock::recover_on_open`]).

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::{
    XapiError,
    batch_size::BatchSizer,
    conflict::MAX_CONFIRM,
    lrs_http::{self, Outcome},
    model::{CredentialProvider, Credentials, XapiVersion},
    now_ms,
    queue::{self, Batch},
};
use crate::store::Store;

/// Where and how to send statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LrsEndpoint {
    /// Base URL of the LRS's xAPI endpoint (`https://lrs.example/xapi/`).
    pub url: String,
    /// Version header to send.
    pub version: XapiVersion,
    /// Per-request timeout, in milliseconds.
    pub timeout_ms: u64,
}

impl LrsEndpoint {
    /// An endpoint speaking xAPI 2.0.0 with a 30 s timeout.
    pub fn new(url: impl Into<String>) -> Self {
        LrsEndpoint {
            url: url.into(),
            version: XapiVersion::V2_0_0,
            timeout_ms: 30_000,
        }
    }
}

/// Flush tuning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushOptions {
    /// Most statements in one POST.
    pub max_batch_statements: u32,
    /// Most bytes in one POST body (LRSs refuse bodies over 1–2.5 MiB).
    pub max_batch_bytes: u32,
    /// First backoff delay after a failure, in milliseconds.
    pub backoff_base_ms: u64,
    /// Longest backoff delay, in milliseconds.
    pub backoff_cap_ms: u64,
    /// Waits up to this long are done inside the flush; longer ones end it (persisted for the
    /// shell's scheduler).
    pub max_inline_wait_ms: u64,
    /// Failed attempts in a row after which the flush gives up for now.
    pub max_attempts: u32,
    /// Flush even if a persisted backoff or pause has not expired (a user's "sync now").
    pub ignore_backoff: bool,
    /// Batches sent concurrently (disjoint statements, never the same one twice). 1 (default)
    /// delivers in strict queue order; more raises throughput on a slow LRS, but batches may then
    /// be stored out of order.
    pub max_in_flight: u32,
}

impl Default for FlushOptions {
    fn default() -> Self {
        FlushOptions {
            max_batch_statements: 500,
            max_batch_bytes: 1024 * 1024,
            backoff_base_ms: 1000,
            backoff_cap_ms: 15 * 60 * 1000,
            max_inline_wait_ms: 5_000,
            max_attempts: 5,
            ignore_backoff: false,
            max_in_flight: 1,
        }
    }
}

/// How a flush ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlushOutcome {
    /// The queue is empty (dead letters aside).
    Drained,
    /// A persisted backoff or pause was still running; nothing was sent.
    NotYet,
    /// The LRS asked to wait (429/503); the queue is paused until `paused_until_ms`.
    Paused,
    /// The LRS or network failed repeatedly; retry after `next_attempt_at_ms`.
    BackingOff,
    /// The LRS refused the credentials and the provider had no fresh ones.
    NeedsCredentials,
    /// The LRS answered something that cannot be retried (wrong URL?); see `last_error`.
    Failed,
}

/// What a flush did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushReport {
    /// How it ended.
    pub outcome: FlushOutcome,
    /// Statements acknowledged by the LRS during this flush.
    pub delivered: u64,
    /// Of those, how many were confirmed with `GET ?statementId=` (already stored).
    pub confirmed_by_get: u64,
    /// Statements the LRS refused, now dead letters.
    pub dead_lettered: u64,
    /// POST requests sent (including re-sends).
    pub posts: u64,
    /// Statements still waiting.
    pub remaining: u64,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// Do not flush before then (ms since epoch), if backing off or paused.
    pub retry_at_ms: Option<i64>,
}

/// The in-process flush mutex: one flush at a time per database file in this process (queued
/// here, asynchronously); [`super::flush_lock`] extends that across processes.
fn flush_lock(path: PathBuf) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let mut map = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    Arc::clone(map.entry(path).or_default())
}

/// One lane of a flush (the conflict handling lives in [`super::conflict`]).
pub(crate) struct Flusher<'a> {
    pub(crate) store: &'a Store,
    pub(crate) endpoint: &'a LrsEndpoint,
    provider: &'a dyn CredentialProvider,
    opts: &'a FlushOptions,
    pub(crate) client: reqwest::Client,
    pub(crate) creds: Option<Credentials>,
    pub(crate) skew: i64,
    pub(crate) report: FlushReport,
}

/// Flushes the queue of `store` (see the module docs).
pub async fn flush(
    store: &Store,
    endpoint: &LrsEndpoint,
    provider: &dyn CredentialProvider,
    opts: &FlushOptions,
) -> Result<FlushReport, XapiError> {
    if !super::formats::is_iri(&endpoint.url) || !endpoint.url.starts_with("http") {
        return Err(XapiError::Config(format!(
            "{:?} is not an http(s) URL",
            endpoint.url
        )));
    }
    let lock = flush_lock(store.path().to_owned());
    let _guard = lock.lock().await;
    // Other processes (and core instances that opened the file themselves) are kept out by the
    // OS file lock; with it held, any in-flight row belongs to a flush that is gone.
    let _file_lock = super::flush_lock::acquire(store.path()).await;
    store.write(queue::recover_in_flight)?;
    let mut f = Flusher {
        store,
        endpoint,
        provider,
        opts,
        client: lrs_http::client(endpoint).map_err(XapiError::Network)?,
        creds: None,
        skew: 0,
        report: FlushReport {
            outcome: FlushOutcome::Drained,
            delivered: 0,
            confirmed_by_get: 0,
            dead_lettered: 0,
            posts: 0,
            remaining: 0,
            last_error: None,
            retry_at_ms: None,
        },
    };
    if !opts.ignore_backoff {
        let st = store.read(queue::status)?;
        let until = st.paused_until_ms.max(st.next_attempt_at_ms);
        if let Some(t) = until.filter(|t| *t > now_ms()) {
            f.report.outcome = FlushOutcome::NotYet;
            f.report.retry_at_ms = Some(t);
            f.report.remaining = st.depth;
            f.report.last_error = st.last_error;
            return Ok(f.report);
        }
    }
    f.creds = lrs_http::credentials(provider, false);
    let lanes = opts.max_in_flight.clamp(1, 16) as usize;
    let outcome = if lanes == 1 {
        f.run().await?
    } else {
        // Independent lanes: each claims its own batches (claiming is transactional, so they
        // are disjoint) and handles its own failures; the flush ends when all lanes have.
        let mut others: Vec<Flusher<'_>> = (1..lanes)
            .map(|_| Flusher {
                store,
                endpoint,
                provider,
                opts,
                client: f.client.clone(),
                creds: f.creds.clone(),
                skew: 0,
                report: f.report.clone(),
            })
            .collect();
        let (first, rest) = futures_util::join!(
            f.run(),
            futures_util::future::join_all(others.iter_mut().map(|o| o.run()))
        );
        let mut outcome = first?;
        for (o, r) in others.iter().zip(rest) {
            let lane = r?;
            if lane != FlushOutcome::Drained && outcome == FlushOutcome::Drained {
                outcome = lane;
            }
            f.report.delivered += o.report.delivered;
            f.report.confirmed_by_get += o.report.confirmed_by_get;
            f.report.dead_lettered += o.report.dead_lettered;
            f.report.posts += o.report.posts;
            if o.report.last_error.is_some() {
                f.report.last_error.clone_from(&o.report.last_error);
            }
            f.report.retry_at_ms = f.report.retry_at_ms.max(o.report.retry_at_ms);
        }
        outcome
    };
    f.report.outcome = outcome;
    let st = store.read(queue::status)?;
    f.report.remaining = st.depth;
    if outcome == FlushOutcome::Drained {
        store.write(|tx| {
            for k in [
                "last_error",
                "next_attempt_at",
                "paused_until",
                "pause_reason",
            ] {
                queue::del_meta(tx, k)?;
            }
            queue::set_meta(tx, "consecutive_failures", "0")
        })?;
    }
    Ok(f.report)
}

impl Flusher<'_> {
    async fn run(&mut self) -> Result<FlushOutcome, XapiError> {
        let url = &self.endpoint.url;
        // Statements were validated against the settings' version; another endpoint version
        // screens each batch first (super::version_gate).
        let settings_version = self
            .store
            .read(super::builders::XapiSettings::load)?
            .version;
        let gate = (settings_version != self.endpoint.version).then_some(self.endpoint.version);
        let mut sizer = self.store.read(|c| BatchSizer::load(c, self.opts, url))?;
        let mut failures = 0u32;
        let mut auth_retried = false;
        loop {
            let Some(batch) = self
                .store
                .write(|tx| queue::claim_batch(tx, sizer.caps().0, sizer.caps().1))?
            else {
                return Ok(FlushOutcome::Drained);
            };
            if let Some(v) = gate {
                let refused = super::version_gate::screen(self.store, &batch, v)?;
                if refused > 0 {
                    self.report.dead_lettered += refused;
                    continue;
                }
            }
            // Send this frozen batch until it is settled or the flush must stop. `refused_only`:
            // every earlier send of it in this loop was refused outright (stored nothing).
            let mut refused_only = true;
            loop {
                let send_time = now_ms();
                let sent_at = self
                    .store
                    .write(|tx| queue::mark_sending(tx, batch.id, send_time))?;
                // A 4xx refusal means this send stored nothing (the spec's atomic batch); the
                // rows' first send is then an earlier one, if any may have stored them.
                let unmark = || {
                    if refused_only {
                        self.store
                            .write(|tx| queue::unmark_refused(tx, batch.id, send_time))
                    } else {
                        Ok(Some(sent_at))
                    }
                };
                self.report.posts += 1;
                let (outcome, skew) = lrs_http::post_batch(
                    &self.client,
                    self.endpoint,
                    self.creds.as_ref(),
                    &batch.body,
                    &batch.ids,
                )
                .await;
                if let Some(s) = skew {
                    self.skew = s;
                }
                // `None`: settled. `Some((msg, reclaim))`: retry after a backoff, resending the
                // same frozen batch, or (`reclaim`) a new batch of what is left of it.
                let transient: Option<(String, bool)> = match outcome {
                    Outcome::Stored(listed) => {
                        let listed: HashSet<String> = listed.into_iter().collect();
                        let (acked, missing): (Vec<String>, Vec<String>) = batch
                            .ids
                            .iter()
                            .cloned()
                            .partition(|id| listed.contains(id));
                        self.store.write(|tx| queue::acknowledge(tx, &acked))?;
                        self.report.delivered += acked.len() as u64;
                        if missing.is_empty() {
                            None
                        } else {
                            self.confirm(&batch, &missing, Some(sent_at)).await?
                        }
                    }
                    Outcome::AlreadyThere => {
                        self.confirm(&batch, &batch.ids, Some(sent_at)).await?
                    }
                    Outcome::Conflict {
                        status,
                        named,
                        answer,
                    } => {
                        let ids = if !named.is_empty() {
                            named
                        } else if batch.ids.len() <= MAX_CONFIRM {
                            batch.ids.clone()
                        } else {
                            // A bare 409 on a large batch: halve first, so GETs stay bounded.
                            sizer.bisect(batch.ids.len());
                            self.store.write(|tx| queue::release(tx, batch.id))?;
                            break;
                        };
                        let settled = self.report.delivered + self.report.dead_lettered;
                        // A 4xx stored nothing: only an earlier send of these rows can have put
                        // them on the LRS.
                        let earlier = if status < 500 {
                            unmark()?
                        } else {
                            Some(sent_at)
                        };
                        match self.confirm(&batch, &ids, earlier).await? {
                            None => None,
                            // Some were already there: the rest goes again, now.
                            Some(_)
                                if self.report.delivered + self.report.dead_lettered > settled =>
                            {
                                None
                            }
                            // Not stored, and the LRS is sure: this statement itself is refused.
                            Some((_, true)) if status < 500 && batch.ids.len() == 1 => {
                                self.dead_letter(&batch, status, &answer)?;
                                None
                            }
                            // Refused for something else in the batch: isolate it (resending
                            // is idempotent, so a row the LRS may still be storing is safe).
                            Some(_) if status < 500 && batch.ids.len() > 1 => {
                                sizer.bisect(batch.ids.len());
                                self.store.write(|tx| queue::release(tx, batch.id))?;
                                break;
                            }
                            Some((msg, _)) if status < 500 => Some((msg, false)),
                            Some(_) => {
                                Some((format!("LRS answered HTTP {status}: {answer}"), false))
                            }
                        }
                    }
                    Outcome::Ambiguous(e) => Some((format!("no answer from the LRS: {e}"), false)),
                    Outcome::ServerError(s, body) => {
                        Some((format!("LRS answered HTTP {s}: {body}"), false))
                    }
                    Outcome::RetryAfter(wait, status) => {
                        let until = now_ms() + wait.as_millis() as i64;
                        let msg = format!("LRS answered HTTP {status}, retry after {wait:?}");
                        self.persist_pause(until, "retry-after", &msg)?;
                        if wait.as_millis() as u64 <= self.opts.max_inline_wait_ms {
                            tokio::time::sleep(wait).await;
                            refused_only = false;
                            continue;
                        }
                        self.store.write(|tx| queue::release(tx, batch.id))?;
                        self.report.retry_at_ms = Some(until);
                        return Ok(FlushOutcome::Paused);
                    }
                    Outcome::Auth(status) => {
                        unmark()?;
                        if !auth_retried {
                            auth_retried = true;
                            if let Some(c) = lrs_http::credentials(self.provider, true) {
                                self.creds = Some(c);
                                continue;
                            }
                        }
                        let msg = format!("LRS refused the credentials (HTTP {status})");
                        self.store.write(|tx| {
                            queue::release(tx, batch.id)?;
                            queue::set_meta(tx, "pause_reason", "auth")?;
                            queue::set_meta(tx, "last_error", &msg)
                        })?;
                        self.report.last_error = Some(msg);
                        return Ok(FlushOutcome::NeedsCredentials);
                    }
                    Outcome::BadRequest(answer) if batch.ids.len() == 1 => {
                        unmark()?;
                        self.dead_letter(&batch, 400, &answer)?;
                        None
                    }
                    Outcome::TooLarge(answer) if batch.ids.len() == 1 => {
                        unmark()?;
                        self.dead_letter(&batch, 413, &answer)?;
                        None
                    }
                    Outcome::BadRequest(_) => {
                        // The batch is atomic: halve it until the bad statement is alone.
                        unmark()?;
                        sizer.bisect(batch.ids.len());
                        self.store.write(|tx| queue::release(tx, batch.id))?;
                        break;
                    }
                    Outcome::TooLarge(_) => {
                        unmark()?;
                        sizer.too_large(batch.ids.len(), batch.body.len());
                        self.store.write(|tx| {
                            queue::release(tx, batch.id)?;
                            sizer.persist(tx, url)
                        })?;
                        break;
                    }
                    Outcome::Unexpected(s, body) => {
                        let msg = format!("LRS answered HTTP {s}: {body}");
                        self.store.write(|tx| {
                            queue::release(tx, batch.id)?;
                            queue::set_meta(tx, "last_error", &msg)
                        })?;
                        self.report.last_error = Some(msg);
                        return Ok(FlushOutcome::Failed);
                    }
                };
                match transient {
                    None => {
                        // Settled: whatever is left of the batch goes back to pending.
                        self.store.write(|tx| {
                            queue::release(tx, batch.id)?;
                            queue::set_meta(tx, "consecutive_failures", "0")
                        })?;
                        failures = 0;
                        auth_retried = false;
                        sizer.settled();
                        break;
                    }
                    Some((msg, reclaim)) => {
                        refused_only = false;
                        failures += 1;
                        let delay = self.backoff(failures);
                        let until = now_ms() + delay.as_millis() as i64;
                        self.store.write(|tx| {
                            queue::set_meta(tx, "last_error", &msg)?;
                            queue::set_meta(tx, "next_attempt_at", &until.to_string())?;
                            let total: u32 = queue::get_meta(tx, "consecutive_failures")?
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(0);
                            queue::set_meta(tx, "consecutive_failures", &(total + 1).to_string())
                        })?;
                        self.report.last_error = Some(msg);
                        if failures >= self.opts.max_attempts
                            || delay.as_millis() as u64 > self.opts.max_inline_wait_ms
                        {
                            self.store.write(|tx| queue::release(tx, batch.id))?;
                            self.report.retry_at_ms = Some(until);
                            return Ok(FlushOutcome::BackingOff);
                        }
                        tokio::time::sleep(delay).await;
                        if reclaim {
                            self.store.write(|tx| queue::release(tx, batch.id))?;
                            break;
                        }
                        // Otherwise resend the same frozen batch.
                    }
                }
            }
        }
    }

    /// Exponential backoff with "equal jitter", capped.
    fn backoff(&self, failures: u32) -> Duration {
        let exp = self
            .opts
            .backoff_base_ms
            .saturating_mul(1u64 << failures.saturating_sub(1).min(30))
            .min(self.opts.backoff_cap_ms)
            .max(1);
        let half = exp / 2;
        Duration::from_millis(half + rand::rng().random_range(0..=exp - half))
    }

    fn dead_letter(&mut self, batch: &Batch, status: u16, answer: &str) -> Result<(), XapiError> {
        self.store
            .write(|tx| queue::dead_letter(tx, &batch.ids[0], status, answer))?;
        self.report.dead_lettered += 1;
        Ok(())
    }

    fn persist_pause(&mut self, until: i64, reason: &str, msg: &str) -> Result<(), XapiError> {
        self.store.write(|tx| {
            queue::set_meta(tx, "paused_until", &until.to_string())?;
            queue::set_meta(tx, "pause_reason", reason)?;
            queue::set_meta(tx, "last_error", msg)
        })?;
        self.report.last_error = Some(msg.to_owned());
        Ok(())
    }
}

impl crate::Microlearn {
    /// Sends the queued statements to the LRS (see [`flush`]). Cancel by dropping the future.
    pub async fn flush_xapi(
        &self,
        endpoint: &LrsEndpoint,
        credentials: &dyn CredentialProvider,
        options: &FlushOptions,
    ) -> crate::Result<FlushReport> {
        Ok(flush(self.store(), endpoint, credentials, options).await?)
    }
}
