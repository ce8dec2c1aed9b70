//! Errors as the foreign languages see them.
//!
//! *Why one flat error:* a Kotlin or Swift caller wants one type to catch
//! (`catch (e: MicrolearnException)`, `catch let e as MicrolearnError`) and a subtype to branch
//! on (`is MicrolearnException.NotFound`), with the core's precise, human-readable message
//! (`e.message`). A flat UniFFI error carries exactly that: the variant plus the `Display` text
//! of the core error, so nothing the core says is lost crossing the boundary.
//!
//! Errors the *foreign* side raises in a callback (a keystore that is locked, a listener that
//! threw) come back as [`ProviderError`], which has fields so that it can be lowered from Kotlin
//! and Swift, and is converted into [`MicrolearnError::Provider`].

use microlearn_core::{
    Error as CoreError, content::ContentError, nudge::NudgeError, personal::PersonalError,
    quiz::QuizError, store::StoreError, xapi::XapiError,
};

/// Every error a Microlearn call can raise. In Kotlin: `MicrolearnException` and its nested
/// subclasses; in Swift: `MicrolearnError` cases. The message is always the core's full text.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum MicrolearnError {
    /// The local database could not be opened, migrated, read or written.
    #[error("{0}")]
    Store(String),
    /// Catalog content was malformed or could not be fetched or verified.
    #[error("{0}")]
    Content(String),
    /// A search query could not be run.
    #[error("{0}")]
    Search(String),
    /// A quiz operation failed.
    #[error("{0}")]
    Quiz(String),
    /// A request failed, timed out or got an HTTP error status, the device is offline, or the
    /// network policy forbids the download right now. Worth retrying later.
    #[error("{0}")]
    Network(String),
    /// A nudge plan could not be made.
    #[error("{0}")]
    Nudge(String),
    /// An xAPI operation failed.
    #[error("{0}")]
    Xapi(String),
    /// A thing the caller named does not exist (a card id, a question id …).
    #[error("{0}")]
    NotFound(String),
    /// The caller passed an argument the core cannot use.
    #[error("{0}")]
    InvalidArgument(String),
    /// A filesystem operation failed.
    #[error("{0}")]
    Io(String),
    /// The object was shut down (`shutdown()`) and can no longer be used.
    #[error("{0}")]
    Closed(String),
    /// The operation was cancelled through its [`crate::CancelToken`] or by dropping its
    /// coroutine / task.
    #[error("{0}")]
    Cancelled(String),
    /// A provider implemented by the app (credentials, connectivity, progress) failed.
    #[error("{0}")]
    Provider(String),
    /// The homeserver needs a (new) sign-in: no session, a refused password, or a revoked
    /// token. Queued posts are kept; ask the learner to sign in again.
    #[error("{0}")]
    SignInRequired(String),
    /// The device is full: nothing half-written was kept, everything committed before is
    /// intact; the same call works again once space is freed (SQLITE_FULL, ENOSPC).
    #[error("{0}")]
    StorageFull(String),
    /// The database key is wrong, missing, not 32 bytes, or the database is not encrypted yet
    /// (`changeDatabaseKey` migrates it). Nothing on disk was changed.
    #[error("{0}")]
    Encryption(String),
    /// The database file is damaged; `recoverDataDir` keeps it aside and starts again with
    /// what can be salvaged (see docs/security.md).
    #[error("{0}")]
    Corrupt(String),
}

impl From<CoreError> for MicrolearnError {
    fn from(e: CoreError) -> Self {
        let text = e.to_string();
        if e.is_storage_full() {
            return Self::StorageFull(text);
        }
        if e.is_corrupt() && !matches!(e, CoreError::Store(StoreError::NotADatabase { .. })) {
            return Self::Corrupt(text);
        }
        match e {
            CoreError::Store(se) => match se {
                StoreError::Corrupt { .. } => Self::Corrupt(text),
                StoreError::WrongKey { .. }
                | StoreError::NotADatabase { .. }
                | StoreError::NotEncrypted { .. }
                | StoreError::InvalidKey { .. }
                | StoreError::EncryptionUnavailable => Self::Encryption(text),
                _ => Self::Store(text),
            },
            CoreError::Content(ce) => match ce {
                ContentError::Http { .. }
                | ContentError::Network { .. }
                | ContentError::Timeout { .. }
                | ContentError::NetworkPolicy(_) => Self::Network(text),
                ContentError::Cancelled => Self::Cancelled(text),
                ContentError::Io { .. } => Self::Io(text),
                _ => Self::Content(text),
            },
            CoreError::Search(_) => Self::Search(text),
            CoreError::Quiz(qe) => match qe {
                QuizError::UnknownQuestion(_) => Self::NotFound(text),
                _ => Self::Quiz(text),
            },
            CoreError::Nudge(ne) => match ne {
                NudgeError::UnknownNudge(_) => Self::NotFound(text),
                _ => Self::Nudge(text),
            },
            CoreError::Xapi(xe) => match xe {
                XapiError::Network(_) => Self::Network(text),
                XapiError::Store(StoreError::Corrupt { .. }) => Self::Corrupt(text),
                XapiError::Store(_) => Self::Store(text),
                XapiError::NotFound(_) => Self::NotFound(text),
                _ => Self::Xapi(text),
            },
            CoreError::Network(ne) => crate::network::map_error(ne, text),
            CoreError::Personal(pe) => match pe {
                PersonalError::UnknownPlaylist(_) | PersonalError::UnknownCard(_) => {
                    Self::NotFound(text)
                }
                PersonalError::Corrupt(_) => Self::Store(text),
                _ => Self::InvalidArgument(text),
            },
            CoreError::NotFound(_) => Self::NotFound(text),
            CoreError::InvalidArgument(_) => Self::InvalidArgument(text),
            CoreError::Io(_) => Self::Io(text),
        }
    }
}

impl From<ProviderError> for MicrolearnError {
    fn from(e: ProviderError) -> Self {
        Self::Provider(e.to_string())
    }
}

/// An error raised by app code in a provider callback (Kotlin: `throw
/// ProviderException.Failed("keystore locked")`; Swift: `throw ProviderError.Failed(reason:)`).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ProviderError {
    /// The provider could not do what was asked; `reason` says why.
    #[error("provider failed: {reason}")]
    Failed {
        /// Human-readable reason.
        reason: String,
    },
    /// The provider threw something other than a `ProviderError` (a bug in the app's callback).
    #[error("provider threw an unexpected error: {reason}")]
    Unexpected {
        /// The foreign exception's text.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ProviderError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Unexpected { reason: e.reason }
    }
}

/// Result alias for exported functions.
pub type Result<T, E = MicrolearnError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_the_variant_apps_branch_on_with_the_full_message() {
        let http: MicrolearnError = CoreError::Content(ContentError::Http {
            url: "https://cdn.example/index.json".into(),
            status: 503,
        })
        .into();
        assert!(
            matches!(&http, MicrolearnError::Network(m) if m == "HTTP 503 from https://cdn.example/index.json"),
            "{http:?}"
        );
        let cancelled: MicrolearnError = CoreError::Content(ContentError::Cancelled).into();
        assert!(matches!(cancelled, MicrolearnError::Cancelled(_)));
        let nf: MicrolearnError = CoreError::NotFound("card \"x\"".into()).into();
        assert!(matches!(&nf, MicrolearnError::NotFound(m) if m == "not found: card \"x\""));
        let xnf: MicrolearnError = CoreError::Xapi(XapiError::NotFound("abc".into())).into();
        assert!(matches!(xnf, MicrolearnError::NotFound(_)));
        let net: MicrolearnError = CoreError::Xapi(XapiError::Network("reset".into())).into();
        assert!(matches!(net, MicrolearnError::Network(_)));
        let q: MicrolearnError = CoreError::Quiz(QuizError::UnknownQuestion("q".into())).into();
        assert!(matches!(q, MicrolearnError::NotFound(_)));
        let n: MicrolearnError = CoreError::Nudge(NudgeError::ScheduleNotSet).into();
        assert!(matches!(n, MicrolearnError::Nudge(_)));
    }

    #[test]
    fn provider_errors_keep_their_reason() {
        let e: MicrolearnError = ProviderError::Failed {
            reason: "keystore locked".into(),
        }
        .into();
        assert!(matches!(&e, MicrolearnError::Provider(m) if m.contains("keystore locked")));
        let unexpected: ProviderError =
            uniffi::UnexpectedUniFFICallbackError::new("NullPointerException").into();
        assert!(unexpected.to_string().contains("NullPointerException"));
    }
}
