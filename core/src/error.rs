//! The crate-wide error type. Each module has its own typed error enum that says precisely what
//! went wrong; [`Error`] wraps them so that callers (the CLI, the FFI) can match on one type.

use crate::{
    content::ContentError, nudge::NudgeError, personal::PersonalError, quiz::QuizError,
    search::SearchError, store::StoreError, xapi::XapiError,
};

/// Every error the core can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The local database could not be opened, migrated, read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Catalog content was malformed, inconsistent or could not be fetched.
    #[error(transparent)]
    Content(#[from] ContentError),
    /// A search query could not be run.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// A quiz operation failed.
    #[error(transparent)]
    Quiz(#[from] QuizError),
    /// A nudge plan could not be made.
    #[error(transparent)]
    Nudge(#[from] NudgeError),
    /// An xAPI operation failed.
    #[error(transparent)]
    Xapi(#[from] XapiError),
    /// A playlist, recommendation, expertise or leaderboard operation failed.
    #[error(transparent)]
    Personal(#[from] PersonalError),
    /// A thing the caller named does not exist (a card id, a question id …).
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller passed an argument the core cannot use.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A filesystem operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Store(StoreError::Sqlite(e))
    }
}

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
