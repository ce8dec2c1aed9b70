//! Traits the app implements, for what only the operating system knows.
//!
//! *Why every method returns `Result`:* a Kotlin or Swift callback can always throw; UniFFI turns
//! an exception from an infallible callback into a Rust panic. With `Result<_, ProviderError>`
//! (and `From<UnexpectedUniFFICallbackError>`), a throwing callback becomes a typed
//! `MicrolearnError::Provider` for the caller instead.
//!
//! The core asks these at call time (never caches credentials), so a rotated token or a network
//! change takes effect on the next request.

use crate::error::ProviderError;

/// Credentials for the LRS. (`Debug` never prints the secret.)
#[derive(Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Credentials {
    /// HTTP Basic (the LRS's key and secret).
    Basic {
        /// User (key).
        user: String,
        /// Password (secret).
        password: String,
    },
    /// An OAuth / bearer token.
    Bearer {
        /// The token.
        token: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { user, .. } => write!(f, "Basic({user:?}, ***)"),
            Self::Bearer { .. } => write!(f, "Bearer(***)"),
        }
    }
}

/// Supplies credentials at call time, e.g. from the Android Keystore or the iOS Keychain.
#[uniffi::export(foreign)]
pub trait CredentialsProvider: Send + Sync {
    /// Credentials for `endpoint` (the LRS URL), or `None` to send none. `rejected` is true
    /// when the server refused the previous ones (401/403): refresh them, or return `None` to
    /// pause delivery until the app has new ones.
    fn credentials(
        &self,
        endpoint: String,
        rejected: bool,
    ) -> Result<Option<Credentials>, ProviderError>;
}

/// What kind of network the device has right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NetworkState {
    /// No usable network: network work is skipped without trying.
    Offline,
    /// A metered network (cellular, hotspot): small requests only, no bulk media.
    Metered,
    /// An unmetered network (Wi-Fi, Ethernet).
    Unmetered,
}

/// Reports connectivity, e.g. from Android's `ConnectivityManager` or iOS `NWPathMonitor`.
#[uniffi::export(foreign)]
pub trait ConnectivityProvider: Send + Sync {
    /// The current network state.
    fn network_state(&self) -> Result<NetworkState, ProviderError>;
}

/// The stage a progress event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WorkPhase {
    /// Fetching the catalog index.
    Index,
    /// Downloading catalog shards.
    Shards,
    /// Applying shards to the local catalog.
    Apply,
    /// Downloading media.
    Media,
    /// Sending xAPI statements to the LRS.
    Flush,
}

/// Progress of a long operation (named `WorkProgress` so it does not clash with Foundation's
/// `Progress` in Swift).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkProgress {
    /// What is happening.
    pub phase: WorkPhase,
    /// Items (shards, media files, statements) finished in this phase.
    pub done: u64,
    /// Items in this phase.
    pub total: u64,
    /// Bytes transferred so far in this phase.
    pub bytes: u64,
}

/// Receives progress of long work. Called from a background thread: post to the UI thread
/// yourself. An error returned here is logged by the caller's result, not retried.
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    /// One progress update.
    fn on_progress(&self, progress: WorkProgress) -> Result<(), ProviderError>;
}
