//! The peer network across the FFI: sign-in, topic rooms, the offline outbox (every post is
//! durable when the call returns, even offline), send and sync as cancellable async calls, and the
//! read side (card view, questions, search) from the local database. Conversions only; the rules
//! live in `microlearn_core::network`.
//!
//! The access token never enters the database: `networkLogin` returns it for the app's keystore,
//! and `networkSend` / `networkSync` ask the credentials provider (`setCredentialsProvider`) for a
//! `Credentials.Bearer` with the homeserver URL as the endpoint.

use std::sync::Arc;

use microlearn_core::network::{self as mn, NetworkError};

use crate::{
    CancelToken, Microlearn,
    cancel::run_cancellable,
    error::{MicrolearnError, Result},
    providers::CredentialsProvider,
};

/// Maps the core's network errors to the foreign error kinds.
pub(crate) fn map_error(e: NetworkError, text: String) -> MicrolearnError {
    match e {
        NetworkError::NotSignedIn
        | NetworkError::TokenRevoked
        | NetworkError::LoginRefused { .. } => MicrolearnError::SignInRequired(text),
        NetworkError::Unreachable(_)
        | NetworkError::RateLimited { .. }
        | NetworkError::Server { .. } => MicrolearnError::Network(text),
        NetworkError::Store(_) => MicrolearnError::Store(text),
        NetworkError::NotFound(_) => MicrolearnError::NotFound(text),
        NetworkError::Cancelled => MicrolearnError::Cancelled(text),
        NetworkError::Io(_) => MicrolearnError::Io(text),
        NetworkError::InvalidArgument(_) | NetworkError::MediaTooLarge { .. } => {
            MicrolearnError::InvalidArgument(text)
        }
    }
}

impl From<NetworkError> for MicrolearnError {
    fn from(e: NetworkError) -> Self {
        let text = e.to_string();
        map_error(e, text)
    }
}

/// A signed-in session; keep `access_token` in the Keystore / Keychain.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct NetworkSession {
    /// Homeserver URL.
    pub homeserver: String,
    /// Matrix user id.
    pub user_id: String,
    /// Device id.
    pub device_id: String,
    /// The access token (for the app's keystore only).
    pub access_token: String,
}

impl std::fmt::Debug for NetworkSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "NetworkSession({}, {}, ***)",
            self.user_id, self.device_id
        )
    }
}

/// A room with its unread count.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NetworkRoom {
    /// Room id.
    pub room_id: String,
    /// Catalog topic.
    pub topic: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// join, leave or ban.
    pub membership: String,
    /// Unread notifications at the last sync.
    pub unread: u64,
}

/// Delivery state of an outbox item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OutboxState {
    /// Waiting to be sent.
    Pending,
    /// Accepted by the homeserver.
    Sent,
    /// Refused for good; see `error`.
    Failed,
}

/// One outbox item.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxItem {
    /// `local:` id.
    pub local_id: String,
    /// Room.
    pub room_id: String,
    /// question, answer, comment, rating, vote, accept, report, tip, redact, custom …
    pub kind: String,
    /// State.
    pub state: OutboxState,
    /// Event id once sent.
    pub event_id: Option<String>,
    /// HTTP status of the refusal or last failure.
    pub error_status: Option<u16>,
    /// The server's answer for a refusal.
    pub error: Option<String>,
}

/// What a send did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NetworkSendReport {
    /// Items accepted.
    pub sent: u64,
    /// Items refused for good.
    pub failed: u64,
    /// Items still pending.
    pub pending: u64,
    /// Retry after this long (429).
    pub retry_after_ms: Option<u64>,
    /// Why delivery stopped early (server down, 5xx).
    pub stopped_by: Option<String>,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NetworkSyncReport {
    /// New events stored.
    pub new_events: u64,
    /// Rooms with older history still to fetch (call again).
    pub rooms_backfilling: u64,
    /// Cards newly marked for L&D.
    pub newly_flagged: Vec<String>,
}

/// A post.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NetworkPost {
    /// Event id.
    pub event_id: String,
    /// Room.
    pub room_id: String,
    /// Author.
    pub sender: String,
    /// question, answer, comment, tip, message.
    pub kind: String,
    /// Card.
    pub card_id: Option<String>,
    /// Text.
    pub body: String,
    /// Net votes.
    pub votes: i64,
    /// Server time, ms.
    pub ts: i64,
}

/// A question with its best answer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NetworkQuestion {
    /// The question.
    pub question: NetworkPost,
    /// Visible answers.
    pub answers: u64,
    /// An answer was accepted.
    pub accepted: bool,
    /// Accepted, else most voted.
    pub best_answer: Option<NetworkPost>,
}

/// A card's peer ratings.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NetworkRating {
    /// Raters.
    pub count: u64,
    /// Mean stars.
    pub average: f64,
    /// Out-of-date flags.
    pub outdated_flags: u64,
    /// Marked for L&D.
    pub flagged: bool,
}

/// The card screen's social part.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NetworkCardView {
    /// Ratings.
    pub rating: NetworkRating,
    /// Top questions.
    pub questions: Vec<NetworkQuestion>,
    /// Comments and tips.
    pub comments: u64,
    /// This learner's queued items about the card.
    pub my_pending: u64,
}

impl From<mn::qa::Post> for NetworkPost {
    fn from(p: mn::qa::Post) -> Self {
        Self {
            event_id: p.event_id,
            room_id: p.room_id,
            sender: p.sender,
            kind: p.kind,
            card_id: p.card_id,
            body: p.body,
            votes: p.votes,
            ts: p.ts,
        }
    }
}

impl From<mn::qa::QuestionView> for NetworkQuestion {
    fn from(q: mn::qa::QuestionView) -> Self {
        Self {
            question: q.question.into(),
            answers: q.answers,
            accepted: q.accepted,
            best_answer: q.best_answer.map(Into::into),
        }
    }
}

/// The app's credentials provider as the core's, asked with the homeserver URL.
struct TokenAdapter {
    provider: Option<Arc<dyn CredentialsProvider>>,
    homeserver: String,
}

impl microlearn_core::xapi::CredentialProvider for TokenAdapter {
    fn credentials(&self, rejected: bool) -> Option<microlearn_core::xapi::Credentials> {
        self.provider
            .as_ref()?
            .credentials(self.homeserver.clone(), rejected)
            .ok()
            .flatten()
            .map(Into::into)
    }
}

impl Microlearn {
    fn token_adapter(&self, core: &microlearn_core::Microlearn) -> Result<TokenAdapter> {
        let (homeserver, _) = core.network_account()?;
        Ok(TokenAdapter {
            provider: self.credentials_provider(),
            homeserver,
        })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Microlearn {
    /// Signs in with a password given now (never stored); returns the session for the keystore.
    #[uniffi::method(default(cancel = None))]
    pub async fn network_login(
        &self,
        homeserver: String,
        user: String,
        password: String,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<NetworkSession> {
        let core = self.core()?;
        self.before_network(&core)?;
        run_cancellable(cancel, "sign-in", async move {
            let s = core.network_login(&homeserver, &user, &password).await?;
            Ok(NetworkSession {
                homeserver: s.homeserver,
                user_id: s.user_id,
                device_id: s.device_id,
                access_token: s.access_token,
            })
        })
        .await
    }

    /// Joins the rooms of catalog topics; returns the room ids joined.
    #[uniffi::method(default(cancel = None))]
    pub async fn network_join_topics(
        &self,
        topics: Vec<String>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Vec<String>> {
        let core = self.core()?;
        self.before_network(&core)?;
        let creds = self.token_adapter(&core)?;
        run_cancellable(cancel, "join", async move {
            Ok(core.network_join_topics(&topics, &creds).await?.joined)
        })
        .await
    }

    /// Creates a topic's room (moderators); returns its id.
    #[uniffi::method(default(cancel = None))]
    pub async fn network_create_topic_room(
        &self,
        topic: String,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<String> {
        let core = self.core()?;
        self.before_network(&core)?;
        let creds = self.token_adapter(&core)?;
        run_cancellable(cancel, "create room", async move {
            Ok(core.network_create_topic_room(&topic, &creds).await?)
        })
        .await
    }

    /// Sends the outbox, in order per room, exactly once per item.
    #[uniffi::method(default(cancel = None))]
    pub async fn network_send(
        &self,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<NetworkSendReport> {
        let core = self.core()?;
        self.before_network(&core)?;
        let creds = self.token_adapter(&core)?;
        let opts = mn::DeliverOptions {
            cancel: cancel.as_ref().map(|c| c.core_token()),
            ..Default::default()
        };
        run_cancellable(cancel, "network send", async move {
            let r = core.network_send(&creds, &opts).await?;
            Ok(NetworkSendReport {
                sent: r.sent,
                failed: r.failed,
                pending: r.pending,
                retry_after_ms: r.retry_after_ms,
                stopped_by: r.stopped_by,
            })
        })
        .await
    }

    /// Fetches new events (and a bounded slice of older history) into the local database.
    #[uniffi::method(default(cancel = None))]
    pub async fn network_sync(
        &self,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<NetworkSyncReport> {
        let core = self.core()?;
        self.before_network(&core)?;
        let creds = self.token_adapter(&core)?;
        let opts = mn::SyncOptions {
            cancel: cancel.as_ref().map(|c| c.core_token()),
            ..Default::default()
        };
        run_cancellable(cancel, "network sync", async move {
            let r = core.network_sync(&creds, &opts).await?;
            Ok(NetworkSyncReport {
                new_events: r.new_events,
                rooms_backfilling: r.rooms_backfilling,
                newly_flagged: r.newly_flagged,
            })
        })
        .await
    }
}

#[uniffi::export]
impl Microlearn {
    /// Rooms with unread counts (local).
    pub fn network_rooms(&self) -> Result<Vec<NetworkRoom>> {
        Ok(self
            .core()?
            .network_rooms()?
            .into_iter()
            .map(|r| NetworkRoom {
                room_id: r.room_id,
                topic: r.topic,
                name: r.name,
                membership: r.membership,
                unread: r.unread,
            })
            .collect())
    }

    /// Asks a question (durable now, sent later); returns its `local:` id.
    pub fn network_ask(
        &self,
        room: String,
        card_id: Option<String>,
        text: String,
    ) -> Result<String> {
        Ok(self.core()?.network_ask(&room, card_id.as_deref(), &text)?)
    }

    /// Answers a question (event id or `local:` id).
    pub fn network_answer(&self, room: String, question: String, text: String) -> Result<String> {
        Ok(self.core()?.network_answer(&room, &question, &text)?)
    }

    /// Comments on a card.
    pub fn network_comment(&self, room: String, card_id: String, text: String) -> Result<String> {
        Ok(self.core()?.network_comment(&room, &card_id, &text)?)
    }

    /// Rates a card 1–5, optionally flagging it out of date.
    pub fn network_rate(
        &self,
        room: String,
        card_id: String,
        stars: u8,
        outdated: bool,
    ) -> Result<String> {
        Ok(self
            .core()?
            .network_rate(&room, &card_id, stars, outdated)?)
    }

    /// Votes a post up or down.
    pub fn network_vote(&self, room: String, target: String, up: bool) -> Result<String> {
        Ok(self.core()?.network_vote(&room, &target, up)?)
    }

    /// Accepts an answer (asker or moderator).
    pub fn network_accept(&self, room: String, question: String, answer: String) -> Result<String> {
        Ok(self.core()?.network_accept(&room, &question, &answer)?)
    }

    /// Reports a post.
    pub fn network_report(&self, room: String, target: String, reason: String) -> Result<String> {
        Ok(self.core()?.network_report(&room, &target, &reason)?)
    }

    /// Deletes a post; true when it was still queued (never sent).
    pub fn network_delete(&self, room: String, post: String) -> Result<bool> {
        Ok(matches!(
            self.core()?.network_delete(&room, &post, "")?,
            mn::moderation::Deleted::Collapsed { .. }
        ))
    }

    /// Queues a custom event (namespaced type, JSON object content) for other modules.
    pub fn network_enqueue_custom(
        &self,
        room: String,
        event_type: String,
        content_json: String,
    ) -> Result<String> {
        Ok(self
            .core()?
            .network_enqueue_custom(&room, &event_type, &content_json)?)
    }

    /// Received custom events of a type: their JSON contents, oldest first.
    pub fn network_custom_events(&self, event_type: String, limit: u32) -> Result<Vec<String>> {
        Ok(self
            .core()?
            .network_custom_events(&event_type, None, limit)?
            .into_iter()
            .map(|e| e.content)
            .collect())
    }

    /// The outbox with each item's state.
    pub fn network_outbox(&self) -> Result<Vec<OutboxItem>> {
        Ok(self
            .core()?
            .network_outbox()?
            .into_iter()
            .map(|i| OutboxItem {
                local_id: i.local_id,
                room_id: i.room_id,
                kind: i.kind,
                state: match i.state {
                    mn::OutboxState::Pending => OutboxState::Pending,
                    mn::OutboxState::Sent => OutboxState::Sent,
                    mn::OutboxState::Failed => OutboxState::Failed,
                },
                event_id: i.event_id,
                error_status: i.error_status,
                error: i.error,
            })
            .collect())
    }

    /// The card view: ratings, top questions with best answers (local).
    pub fn network_card_view(&self, card_id: String, top: u32) -> Result<NetworkCardView> {
        let v = self.core()?.network_card_view(&card_id, top)?;
        Ok(NetworkCardView {
            rating: NetworkRating {
                count: v.rating.count,
                average: v.rating.average,
                outdated_flags: v.rating.outdated_flags,
                flagged: v.rating.flagged,
            },
            questions: v.questions.into_iter().map(Into::into).collect(),
            comments: v.comments,
            my_pending: v.my_pending,
        })
    }

    /// Questions matching a query, best answered first (local).
    pub fn network_search(&self, query: String, limit: u32) -> Result<Vec<NetworkQuestion>> {
        Ok(self
            .core()?
            .network_search(&query, limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Unanswered questions in my topics, oldest first (local).
    pub fn network_unanswered(&self, limit: u32) -> Result<Vec<NetworkPost>> {
        Ok(self
            .core()?
            .network_unanswered(limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
