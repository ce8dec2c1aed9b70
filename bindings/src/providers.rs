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

/// Credentials for a remote endpoint (the catalog CDN, the LRS).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Credentials {
    /// HTTP Basic user name, if Basic auth is used.
    pub username: Option<String>,
    /// HTTP Basic password, if Basic auth is used.
    pub password: Option<String>,
    /// Bearer token, if token auth is used (takes precedence over Basic).
    pub bearer_token: Option<String>,
}

/// Supplies credentials at call time, e.g. from the Android Keystore or the iOS Keychain.
#[uniffi::export(foreign)]
pub trait CredentialsProvider: Send + Sync {
    /// Credentials for `endpoint` (a URL), or `None` to send the request without.
    fn credentials(&self, endpoint: String) -> Result<Option<Credentials>, ProviderError>;
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

/// Progress of a long operation (named `WorkProgress` so it does not clash with Foundation's
/// `Progress` in Swift).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkProgress {
    /// Which operation: `"sync"`, `"pin"`, `"flush"`.
    pub operation: String,
    /// Units done so far (bytes, cards or statements — see `unit`).
    pub done: u64,
    /// Total units, when known.
    pub total: Option<u64>,
    /// What is counted: `"bytes"`, `"cards"`, `"statements"`.
    pub unit: String,
}

/// Receives progress of long work. Called from a background thread: post to the UI thread
/// yourself. An error returned here is logged by the caller's result, not retried.
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    /// One progress update.
    fn on_progress(&self, progress: WorkProgress) -> Result<(), ProviderError>;
}
