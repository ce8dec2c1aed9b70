//! xAPI tracking: the durable offline statement queue and its flush to a Learning Record Store.
//!
//! *Why this shape:* on a phone the network comes and goes, the OS kills the app whenever it
//! likes and credentials expire, yet every statement a learner earns must reach the LRS exactly
//! once, in the form it was recorded. So:
//!
//! - a statement is validated against the spec's MUST rules **at enqueue** ([`validate`]): what an
//!   LRS would reject is refused at the door with a typed error, not discovered a week later;
//! - enqueue is one committed SQLite transaction ([`queue::enqueue_in`]) that stores the
//!   statement's frozen JSON with a client-generated UUID, so re-sending is idempotent;
//! - rows move pending → in-flight (one batch, frozen body) → acknowledged (deleted only then) or
//!   dead-letter (with the LRS's answer); a flush lock (in the process and across processes) and
//!   the batch table make sure no two requests in flight ever hold the same statement
//!   ([`queue`], [`flush`]); rows a dead process left in flight return to pending when the core
//!   next opens ([`recover_on_open`]);
//! - every failure class of a real LRS has its own handling ([`flush`]), and backoff state is
//!   persisted so the shell's WorkManager / BGTask can respect it.
//!
//! Builders for what the app emits live in [`builders`]; the 2.0 State API (quiz progress,
//! bookmarks) in [`state_api`].

mod batch_size;
pub mod builders;
pub mod conflict;
pub mod fault_injector;
pub mod flush;
pub mod flush_lock;
pub mod formats;
mod lrs_http;
pub mod model;
pub mod queue;
mod record;
pub mod state_api;
pub mod validate;
mod validate_parts;
mod version_gate;

use rusqlite::Transaction;

pub use builders::{Emitter, LearnerConfig, LearnerPrivacy, XapiSettings, verbs};
pub use flush::{FlushOptions, FlushOutcome, FlushReport, LrsEndpoint};
pub use flush_lock::recover_on_open;
pub use model::{
    Actor, CredentialProvider, Credentials, Statement, StaticCredentials, XapiVersion,
};
pub use queue::{DeadLetter, StatementId, XapiStatus, enqueue_in};
pub use state_api::{StateClient, StateDocument, StateKey, merge_json};
pub use validate::{ValidationError, ValidationKind, validate_statement};

use crate::store::{StoreError, schema::ModuleSchema};

/// The xapi module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "xapi",
    version: 1,
    upgrade_from,
};

fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match from {
        0 => tx.execute_batch(queue::SCHEMA_V1),
        _ => Ok(()),
    }
}

/// Errors of the `xapi` module.
#[derive(Debug, thiserror::Error)]
pub enum XapiError {
    /// The statement breaks a MUST rule of the xAPI spec; an LRS would answer 400.
    #[error("invalid xAPI statement: {0}")]
    Invalid(#[from] ValidationError),
    /// The text handed over is not JSON.
    #[error("statement is not valid JSON: {0}")]
    NotJson(String),
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting (endpoint URL, base IRI, learner) is unusable.
    #[error("xapi configuration: {0}")]
    Config(String),
    /// The LRS could not be reached or did not answer in time.
    #[error("LRS unreachable: {0}")]
    Network(String),
    /// The LRS refused the credentials (or none were given) and the provider had no fresh ones.
    #[error("LRS refused the credentials (HTTP {status}); the queue is paused until new ones")]
    AuthRequired {
        /// 401, 403 or 400.
        status: u16,
    },
    /// The LRS answered something unexpected.
    #[error("LRS answered HTTP {status}: {body}")]
    Lrs {
        /// HTTP status.
        status: u16,
        /// Start of the answer's body.
        body: String,
    },
    /// A State API document changed concurrently too many times.
    #[error("state document {0:?} kept changing; gave up after retries")]
    Conflict(String),
    /// A statement id the caller named is not in the queue.
    #[error("no queued statement {0}")]
    NotFound(String),
}

impl From<rusqlite::Error> for XapiError {
    fn from(e: rusqlite::Error) -> Self {
        XapiError::Store(StoreError::from(e))
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
