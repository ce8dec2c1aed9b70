//! xAPI across the FFI: the durable statement queue, learner identity, `record_*` helpers and
//! (as the core provides it) the flush to an LRS. Conversions only; the rules (validation at
//! enqueue, exactly-once delivery) live in `microlearn_core::xapi`.
//!
//! Statements cross as JSON text: the xAPI statement shape is large and open-ended, apps
//! usually have it as JSON already, and the core validates it against the spec at enqueue.

use microlearn_core::xapi as mx;

use crate::{Microlearn, error::Result};

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

impl From<mx::model::XapiVersion> for XapiVersion {
    fn from(v: mx::model::XapiVersion) -> Self {
        match v {
            mx::model::XapiVersion::V2_0_0 => Self::V2_0_0,
            mx::model::XapiVersion::V1_0_3 => Self::V1_0_3,
        }
    }
}

impl From<XapiVersion> for mx::model::XapiVersion {
    fn from(v: XapiVersion) -> Self {
        match v {
            XapiVersion::V2_0_0 => Self::V2_0_0,
            XapiVersion::V1_0_3 => Self::V1_0_3,
        }
    }
}

impl From<LearnerPrivacy> for mx::LearnerPrivacy {
    fn from(p: LearnerPrivacy) -> Self {
        match p {
            LearnerPrivacy::MboxSha1sum => Self::MboxSha1sum,
            LearnerPrivacy::Account => Self::Account,
            LearnerPrivacy::Mbox => Self::Mbox,
        }
    }
}

impl From<LearnerConfig> for mx::LearnerConfig {
    fn from(l: LearnerConfig) -> Self {
        Self {
            name: l.name,
            email: l.email,
            account_home_page: l.account_home_page,
            account_name: l.account_name,
            privacy: l.privacy.into(),
        }
    }
}

impl From<mx::XapiSettings> for XapiSettings {
    fn from(s: mx::XapiSettings) -> Self {
        Self {
            activity_base: s.activity_base,
            version: s.version.into(),
            platform: s.platform,
            language: s.language,
        }
    }
}

impl From<XapiSettings> for mx::XapiSettings {
    fn from(s: XapiSettings) -> Self {
        Self {
            activity_base: s.activity_base,
            version: s.version.into(),
            platform: s.platform,
            language: s.language,
        }
    }
}

impl From<mx::XapiStatus> for XapiStatus {
    fn from(s: mx::XapiStatus) -> Self {
        Self {
            depth: s.depth,
            pending: s.pending,
            in_flight: s.in_flight,
            dead_letters: s.dead_letters,
            oldest_pending_age_ms: s.oldest_pending_age_ms,
            delivered_total: s.delivered_total,
            last_error: s.last_error,
            paused_until_ms: s.paused_until_ms,
            pause_reason: s.pause_reason,
            next_attempt_at_ms: s.next_attempt_at_ms,
            consecutive_failures: s.consecutive_failures,
        }
    }
}

impl From<mx::DeadLetter> for DeadLetter {
    fn from(d: mx::DeadLetter) -> Self {
        Self {
            id: d.id,
            statement: d.statement,
            status: d.status,
            answer: d.answer,
            dead_at_ms: d.dead_at_ms,
        }
    }
}

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
