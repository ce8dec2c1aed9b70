//! The network module's typed errors: what the shell can show ("signed out", "you were removed
//! from this room", "server unreachable, your post is queued") without parsing strings.

use crate::store::StoreError;

/// Errors of the `network` module.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not signed in (no homeserver or user stored, or the shell gave no access token).
    #[error("not signed in to a homeserver")]
    NotSignedIn,
    /// The homeserver refused the user name or password.
    #[error("the homeserver refused the sign-in ({errcode}): {message}")]
    LoginRefused {
        /// Matrix error code, e.g. `M_FORBIDDEN`.
        errcode: String,
        /// The server's message.
        message: String,
    },
    /// The access token was revoked or expired (401 `M_UNKNOWN_TOKEN`) and the credentials
    /// provider had no new one: delivery is paused, nothing queued is lost.
    #[error(
        "the homeserver no longer accepts this session's token (M_UNKNOWN_TOKEN); sign in again"
    )]
    TokenRevoked,
    /// The homeserver could not be reached or did not answer in time (the outbox keeps its items).
    #[error("homeserver unreachable: {0}")]
    Unreachable(String),
    /// The homeserver asked to slow down (429); retry after this many milliseconds.
    #[error("homeserver rate-limited the client; retry in {retry_after_ms} ms")]
    RateLimited {
        /// How long the server asked to wait.
        retry_after_ms: u64,
    },
    /// The homeserver answered an unexpected status.
    #[error("homeserver answered HTTP {status} ({errcode}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Matrix error code, if any.
        errcode: String,
        /// The server's message (or the start of its body).
        message: String,
    },
    /// The caller passed something the module cannot use (empty text, stars outside 1–5 …).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A room, post or outbox item the caller named is not known locally.
    #[error("not found: {0}")]
    NotFound(String),
    /// A media file is over the upload budget.
    #[error("media file is {bytes} bytes, over the {budget}-byte upload budget")]
    MediaTooLarge {
        /// Size of the file.
        bytes: u64,
        /// The budget.
        budget: u64,
    },
    /// The operation was cancelled through its token.
    #[error("cancelled")]
    Cancelled,
    /// A local file (a tip's media) could not be read.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<rusqlite::Error> for NetworkError {
    fn from(e: rusqlite::Error) -> Self {
        NetworkError::Store(StoreError::Sqlite(e))
    }
}

impl From<crate::xapi::XapiError> for NetworkError {
    fn from(e: crate::xapi::XapiError) -> Self {
        match e {
            crate::xapi::XapiError::Store(s) => NetworkError::Store(s),
            other => NetworkError::InvalidArgument(format!("xAPI statement: {other}")),
        }
    }
}
