//! xAPI across the FFI: the durable statement queue, learner identity, `record_*` helpers and
//! (as the core provides it) the flush to an LRS. Conversions only; the rules (validation at
//! enqueue, exactly-once delivery) live in `microlearn_core::xapi`.
//!
//! Statements cross as JSON text: the xAPI statement shape is large and open-ended, apps
//! usually have it as JSON already, and the core validates it against the spec at enqueue.

use std::sync::Arc;

use microlearn_core::xapi as mx;

use crate::{
    CancelToken, Microlearn,
    cancel::run_cancellable,
    convert::{into, mirror, or_default},
    error::Result,
    providers::CredentialsProvider,
};

/// Where and how to send statements.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LrsEndpoint {
    /// Base URL of the LRS's xAPI endpoint (`https://lrs.example/xapi/`).
    pub url: String,
    /// Version to speak; null for 2.0.0.
    #[uniffi(default = None)]
    pub version: Option<XapiVersion>,
    /// Per-request timeout, in milliseconds.
    #[uniffi(default = 30000)]
    pub timeout_ms: u64,
}

/// Flush tuning; `FlushOptions()` in Kotlin gives the core's defaults.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlushOptions {
    /// Most statements in one POST.
    #[uniffi(default = 500)]
    pub max_batch_statements: u32,
    /// Most bytes in one POST body.
    #[uniffi(default = 1048576)]
    pub max_batch_bytes: u32,
    /// First backoff delay after a failure, in milliseconds.
    #[uniffi(default = 1000)]
    pub backoff_base_ms: u64,
    /// Longest backoff delay, in milliseconds.
    #[uniffi(default = 900000)]
    pub backoff_cap_ms: u64,
    /// Waits up to this long happen inside the flush; longer ones end it (retry later).
    #[uniffi(default = 5000)]
    pub max_inline_wait_ms: u64,
    /// Failed attempts in a row after which the flush gives up for now.
    #[uniffi(default = 5)]
    pub max_attempts: u32,
    /// Flush even if a persisted backoff or pause has not expired (a user's "sync now").
    #[uniffi(default = false)]
    pub ignore_backoff: bool,
    /// Batches sent concurrently (disjoint statements). 1 keeps strict queue order; more raises
    /// throughput on a slow LRS but batches may then be stored out of order.
    #[uniffi(default = 1)]
    pub max_in_flight: u32,
}

/// How a flush ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FlushOutcome {
    /// The queue is empty (dead letters aside).
    Drained,
    /// A persisted backoff or pause was still running; nothing was sent.
    NotYet,
    /// The LRS asked to wait (429/503); retry after `retry_at_ms`.
    Paused,
    /// The LRS or network failed repeatedly; retry after `retry_at_ms`.
    BackingOff,
    /// The LRS refused the credentials and the provider had no fresh ones.
    NeedsCredentials,
    /// The LRS answered something that cannot be retried (wrong URL?); see `last_error`.
    Failed,
}

/// What a flush did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlushReport {
    /// How it ended.
    pub outcome: FlushOutcome,
    /// Statements acknowledged by the LRS during this flush.
    pub delivered: u64,
    /// Of those, how many were confirmed with `GET ?statementId=`.
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

mirror!(struct mx::LrsEndpoint <= LrsEndpoint { url, version: or_default, timeout_ms });
// Options the core adds later keep their defaults until exported here.
mirror!(struct mx::FlushOptions { .. } <= FlushOptions {
    max_batch_statements,
    max_batch_bytes,
    backoff_base_ms,
    backoff_cap_ms,
    max_inline_wait_ms,
    max_attempts,
    ignore_backoff,
    max_in_flight,
});
mirror!(enum mx::FlushOutcome => FlushOutcome {
    Drained,
    NotYet,
    Paused,
    BackingOff,
    NeedsCredentials,
    Failed,
});
mirror!(struct mx::FlushReport => FlushReport {
    outcome: into,
    delivered,
    confirmed_by_get,
    dead_lettered,
    posts,
    remaining,
    last_error,
    retry_at_ms,
});

impl From<crate::providers::Credentials> for mx::model::Credentials {
    fn from(c: crate::providers::Credentials) -> Self {
        match c {
            crate::providers::Credentials::Basic { user, password } => {
                Self::Basic { user, password }
            }
            crate::providers::Credentials::Bearer { token } => Self::Bearer { token },
        }
    }
}

/// The app's provider seen as the core's. The core's trait has no error channel: a provider
/// that throws is treated as having no credentials (the flush then ends `NeedsCredentials` if
/// the LRS requires some).
struct ProviderAdapter {
    provider: Option<Arc<dyn CredentialsProvider>>,
    endpoint: String,
}

impl mx::model::CredentialProvider for ProviderAdapter {
    fn credentials(&self, rejected: bool) -> Option<mx::model::Credentials> {
        let provider = self.provider.as_ref()?;
        provider
            .credentials(self.endpoint.clone(), rejected)
            .ok()
            .flatten()
            .map(Into::into)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Microlearn {
    /// Sends the queued statements to the LRS, exactly once each, using the credentials
    /// provider set with `setCredentialsProvider` (asked at request time). Backoff and pauses
    /// are persisted: a later flush before `retry_at_ms` returns `NotYet` unless
    /// `options.ignoreBackoff`. Cancel with `cancel` or by cancelling the coroutine; statements
    /// in flight go back to the queue.
    #[uniffi::method(default(options = None, cancel = None))]
    pub async fn flush_xapi(
        &self,
        endpoint: LrsEndpoint,
        options: Option<FlushOptions>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<FlushReport> {
        let core = self.core()?;
        self.before_network(&core)?;
        let adapter = ProviderAdapter {
            provider: self.credentials_provider(),
            endpoint: endpoint.url.clone(),
        };
        let endpoint: mx::LrsEndpoint = endpoint.into();
        let options: mx::FlushOptions = options.map(Into::into).unwrap_or_default();
        run_cancellable(cancel, "xAPI flush", async move {
            Ok(core.flush_xapi(&endpoint, &adapter, &options).await?.into())
        })
        .await
    }
}

/// The xAPI version statements are validated against and sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum XapiVersion {
    /// xAPI 2.0.0 (IEEE 9274.1.1), the default.
    V2_0_0,
    /// xAPI 1.0.3, for LRSs that do not speak 2.0 yet.
    V1_0_3,
}

/// How the learner's e-mail (if any) appears in statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LearnerPrivacy {
    /// `mbox_sha1sum`: the LRS can match the learner, nobody can read the address (default).
    MboxSha1sum,
    /// An account (`homePage` + `name`); the e-mail is not sent at all.
    Account,
    /// The raw `mbox` (only when the organisation requires it).
    Mbox,
}

/// Who the learner is, as the app knows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LearnerConfig {
    /// Display name, if it may be sent.
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// E-mail address, sent according to `privacy`.
    #[uniffi(default = None)]
    pub email: Option<String>,
    /// Account home page (the identity system), for `Account` privacy.
    #[uniffi(default = None)]
    pub account_home_page: Option<String>,
    /// Account name (the learner's id there), for `Account` privacy.
    #[uniffi(default = None)]
    pub account_name: Option<String>,
    /// How to identify the learner.
    pub privacy: LearnerPrivacy,
}

/// The xAPI module settings.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct XapiSettings {
    /// Base IRI for activity ids (`<base>cards/<card id>`).
    pub activity_base: String,
    /// The xAPI version.
    pub version: XapiVersion,
    /// `context.platform` of every statement.
    pub platform: String,
    /// `context.language` (RFC 5646), if known.
    pub language: Option<String>,
}

/// What the queue holds and how delivery goes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct XapiStatus {
    /// Statements waiting for the LRS (pending + in flight).
    pub depth: u64,
    /// Statements not yet claimed by a flush.
    pub pending: u64,
    /// Statements in a batch being sent.
    pub in_flight: u64,
    /// Statements the LRS refused, kept with its answer.
    pub dead_letters: u64,
    /// Age of the oldest waiting statement, in milliseconds.
    pub oldest_pending_age_ms: Option<i64>,
    /// Statements acknowledged by the LRS since the database was created.
    pub delivered_total: u64,
    /// The last delivery error, if the last flush did not end cleanly.
    pub last_error: Option<String>,
    /// The queue is paused until then (ms since epoch).
    pub paused_until_ms: Option<i64>,
    /// Why it is paused (`retry-after`, `auth`).
    pub pause_reason: Option<String>,
    /// Backoff after failures: do not flush before then (ms since epoch).
    pub next_attempt_at_ms: Option<i64>,
    /// Failed attempts in a row.
    pub consecutive_failures: u32,
}

/// A statement the LRS refused, with its answer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeadLetter {
    /// The statement's id.
    pub id: String,
    /// The frozen statement JSON.
    pub statement: String,
    /// The LRS's HTTP status.
    pub status: u16,
    /// The LRS's answer body.
    pub answer: String,
    /// When it was refused (ms since epoch).
    pub dead_at_ms: i64,
}

mirror!(enum mx::model::XapiVersion <=> XapiVersion { V2_0_0, V1_0_3 });
mirror!(enum mx::LearnerPrivacy <= LearnerPrivacy { MboxSha1sum, Account, Mbox });
mirror!(struct mx::LearnerConfig { .. } <= LearnerConfig {
    name,
    email,
    account_home_page,
    account_name,
    privacy: into,
});
mirror!(struct mx::XapiSettings { .. } <=> XapiSettings {
    activity_base,
    version: into,
    platform,
    language,
});
mirror!(struct mx::XapiStatus => XapiStatus {
    depth,
    pending,
    in_flight,
    dead_letters,
    oldest_pending_age_ms,
    delivered_total,
    last_error,
    paused_until_ms,
    pause_reason,
    next_attempt_at_ms,
    consecutive_failures,
});
mirror!(struct mx::DeadLetter => DeadLetter { id, statement, status, answer, dead_at_ms });

#[uniffi::export]
impl Microlearn {
    /// Validates one statement (JSON text) against the xAPI spec and durably queues it; returns
    /// its id. Invalid statements are refused here (`Xapi`), never sent.
    pub fn enqueue_statement(&self, json: String) -> Result<String> {
        Ok(self.core()?.enqueue_statement(&json)?)
    }

    /// The queue's depth, dead letters, last error and backoff/pause state.
    pub fn xapi_status(&self) -> Result<XapiStatus> {
        Ok(self.core()?.xapi_status()?.into())
    }

    /// The statements the LRS refused, with its answers, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        Ok(self
            .core()?
            .dead_letters()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Puts a dead letter back at the end of the queue (after the LRS was fixed).
    pub fn retry_dead_letter(&self, id: String) -> Result<()> {
        Ok(self.core()?.retry_dead_letter(&id)?)
    }

    /// Sets who the learner is; statements recorded from now on use this actor.
    pub fn set_learner(&self, learner: LearnerConfig) -> Result<()> {
        Ok(self.core()?.set_learner(&learner.into())?)
    }

    /// The actor statements are recorded with, as xAPI JSON.
    pub fn learner_actor_json(&self) -> Result<String> {
        let actor = self.core()?.learner_actor()?;
        serde_json::to_string(&actor)
            .map_err(|e| crate::MicrolearnError::Xapi(format!("actor not serializable: {e}")))
    }

    /// Changes the module settings.
    pub fn set_xapi_settings(&self, settings: XapiSettings) -> Result<()> {
        Ok(self.core()?.set_xapi_settings(&settings.into())?)
    }

    /// The module settings.
    pub fn xapi_settings(&self) -> Result<XapiSettings> {
        Ok(self.core()?.xapi_settings()?.into())
    }

    /// Records that the learner viewed a card for `seconds`; returns the statement id.
    pub fn record_card_viewed(&self, card_id: String, seconds: f64) -> Result<String> {
        Ok(self.core()?.record_card_viewed(&card_id, seconds)?)
    }

    /// Records that the learner finished a card; returns the statement id.
    #[uniffi::method(default(seconds = None))]
    pub fn record_card_completed(&self, card_id: String, seconds: Option<f64>) -> Result<String> {
        Ok(self.core()?.record_card_completed(&card_id, seconds)?)
    }

    /// Records a catalog search and how many cards it found; returns the statement id.
    pub fn record_search(&self, query: String, results: u64) -> Result<String> {
        Ok(self.core()?.record_search(&query, results)?)
    }

    /// Records a rating of a card, `rating` of `max`; returns the statement id.
    pub fn record_card_rated(&self, card_id: String, rating: f64, max: f64) -> Result<String> {
        Ok(self.core()?.record_card_rated(&card_id, rating, max)?)
    }

    /// Records a comment on a card; returns the statement id.
    pub fn record_card_commented(&self, card_id: String, text: String) -> Result<String> {
        Ok(self.core()?.record_card_commented(&card_id, &text)?)
    }

    /// Records that a card was shared (optionally naming the channel); returns the statement id.
    #[uniffi::method(default(channel = None))]
    pub fn record_card_shared(&self, card_id: String, channel: Option<String>) -> Result<String> {
        Ok(self
            .core()?
            .record_card_shared(&card_id, channel.as_deref())?)
    }
}
