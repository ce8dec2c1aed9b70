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
    /// A network (Matrix) operation failed.
    #[error(transparent)]
    Network(#[from] crate::network::NetworkError),
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
        Error::Store(StoreError::from(e))
    }
}

impl Error {
    /// The store error inside, wherever a module wrapped it (`#[error(transparent)]` hides it
    /// from `source()`, so the chain walk alone would miss it).
    pub fn store_error(&self) -> Option<&StoreError> {
        match self {
            Error::Store(s) | Error::Xapi(XapiError::Store(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether this error is a full disk (SQLITE_FULL, ENOSPC, EDQUOT) anywhere in its chain:
    /// nothing half-written was kept, and the same call works again once space is freed.
    pub fn is_storage_full(&self) -> bool {
        if self.store_error().is_some_and(StoreError::is_storage_full) {
            return true;
        }
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(s) = e.downcast_ref::<StoreError>()
                && s.is_storage_full()
            {
                return true;
            }
            if let Some(s) = e.downcast_ref::<rusqlite::Error>()
                && crate::store::is_sqlite_full(s)
            {
                return true;
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && is_io_storage_full(io)
            {
                return true;
            }
            cur = e.source();
        }
        false
    }
}

impl Error {
    /// Whether the database file turned out damaged (SQLITE_CORRUPT / SQLITE_NOTADB anywhere in
    /// the chain, found at open or later while reading a page): see [`crate::Microlearn::recover`].
    pub fn is_corrupt(&self) -> bool {
        if matches!(self.store_error(), Some(StoreError::Corrupt { .. })) {
            return true;
        }
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(StoreError::Corrupt { .. }) = e.downcast_ref::<StoreError>() {
                return true;
            }
            if let Some(s) = e.downcast_ref::<rusqlite::Error>()
                && matches!(
                    s.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
                )
            {
                return true;
            }
            cur = e.source();
        }
        false
    }
}

/// ENOSPC / EDQUOT (also when wrapped in another `io::Error`, as tokio's file writes do).
pub(crate) fn is_io_storage_full(io: &std::io::Error) -> bool {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    if io.kind() == std::io::ErrorKind::StorageFull
        || io.kind() == std::io::ErrorKind::QuotaExceeded
        || matches!(io.raw_os_error(), Some(ENOSPC | EDQUOT))
    {
        return true;
    }
    io.get_ref()
        .and_then(|inner| inner.downcast_ref::<std::io::Error>())
        .is_some_and(is_io_storage_full)
}

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
