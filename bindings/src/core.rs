//! The [`Microlearn`] object: the one thing an app holds, shared across threads.
//!
//! *Why a lock around an `Option`:* Kotlin's `close()` only releases this handle (in-flight calls
//! finish first, then the Rust object is freed when the last handle goes). An app that wants the
//! database closed *now* — e.g. before deleting the user's data on sign-out — calls
//! [`Microlearn::shutdown`]; every later call, from any thread, then fails with the typed
//! `MicrolearnError::Closed` instead of crashing. Each call clones the inner `Arc` under a read
//! lock (nanoseconds) and works outside it, so a long sync never blocks a UI read.

use std::sync::{Arc, RwLock};

use microlearn_core as ml;

use crate::{
    convert::mirror,
    error::{MicrolearnError, Result},
    providers::{ConnectivityProvider, CredentialsProvider, NetworkState},
};

/// The Microlearn core opened on a data directory. `Send + Sync`: call it from any thread.
/// In Kotlin it is `AutoCloseable`: `Microlearn.open(dir).use { core -> … }`.
#[derive(uniffi::Object)]
pub struct Microlearn {
    inner: RwLock<Option<Arc<ml::Microlearn>>>,
    data_dir: String,
    connectivity: RwLock<Option<Arc<dyn ConnectivityProvider>>>,
    credentials: RwLock<Option<Arc<dyn CredentialsProvider>>>,
}

/// A snapshot of what the core holds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Status {
    /// The data directory.
    pub data_dir: String,
    /// Cards in the offline catalog.
    pub cards: u64,
    /// Size of the database file (without its WAL), in bytes.
    pub database_bytes: u64,
}

mirror!(struct ml::Status => Status { data_dir, cards, database_bytes });

impl Microlearn {
    /// Wraps an opened core (also used by `security::open_encrypted`).
    pub(crate) fn wrap(core: ml::Microlearn, data_dir: String) -> Arc<Self> {
        Arc::new(Self {
            inner: RwLock::new(Some(Arc::new(core))),
            data_dir,
            connectivity: RwLock::new(None),
            credentials: RwLock::new(None),
        })
    }

    /// The open core, or `Closed` after [`Microlearn::shutdown`].
    pub(crate) fn core(&self) -> Result<Arc<ml::Microlearn>> {
        let guard = self
            .inner
            .read()
            .map_err(|_| MicrolearnError::Closed("core lock poisoned".into()))?;
        guard.clone().ok_or_else(|| {
            MicrolearnError::Closed(format!(
                "the core on {:?} was shut down; open a new one",
                self.data_dir
            ))
        })
    }
}

impl Microlearn {
    /// Asks the connectivity provider (if any) before network work: `Offline` fails at once
    /// with `Network` (nothing is tried), and the metered flag is handed to the core, whose
    /// network policy decides about media downloads.
    pub(crate) fn before_network(&self, core: &ml::Microlearn) -> Result<()> {
        let provider = self.connectivity.read().ok().and_then(|g| g.clone());
        let Some(provider) = provider else {
            return Ok(());
        };
        match provider.network_state()? {
            NetworkState::Offline => Err(MicrolearnError::Network(
                "offline: the connectivity provider reports no network".into(),
            )),
            NetworkState::Metered => Ok(core.set_network_state(true)?),
            NetworkState::Unmetered => Ok(core.set_network_state(false)?),
        }
    }

    /// The credentials provider, if the app set one.
    pub(crate) fn credentials_provider(&self) -> Option<Arc<dyn CredentialsProvider>> {
        self.credentials.read().ok().and_then(|g| g.clone())
    }
}

#[uniffi::export]
impl Microlearn {
    /// Sets (or clears, with null) the provider asked about connectivity before network work.
    pub fn set_connectivity_provider(&self, provider: Option<Arc<dyn ConnectivityProvider>>) {
        if let Ok(mut g) = self.connectivity.write() {
            *g = provider;
        }
    }

    /// Sets (or clears) the provider asked for credentials at request time (the LRS).
    pub fn set_credentials_provider(&self, provider: Option<Arc<dyn CredentialsProvider>>) {
        if let Ok(mut g) = self.credentials.write() {
            *g = provider;
        }
    }

    /// Opens the core on `data_dir` (created if needed; an older database is migrated).
    /// Local and quick, but does disk I/O: call it off the UI thread.
    #[uniffi::constructor]
    pub fn open(data_dir: String) -> Result<Arc<Self>> {
        if data_dir.is_empty() || data_dir.contains('\0') {
            return Err(MicrolearnError::InvalidArgument(format!(
                "invalid argument: data directory {data_dir:?} is empty or contains NUL"
            )));
        }
        let core = ml::Microlearn::open(&data_dir)?;
        Ok(Self::wrap(core, data_dir))
    }

    /// What the core holds right now.
    pub fn status(&self) -> Result<Status> {
        Ok(self.core()?.status()?.into())
    }

    /// Closes the database now. Calls already running finish; every later call on this object
    /// (or any handle to it) fails with `MicrolearnError::Closed`. Idempotent. This is not
    /// `close()`: Kotlin's generated `close()` releases the handle, this ends the core.
    pub fn shutdown(&self) {
        if let Ok(mut guard) = self.inner.write() {
            guard.take();
        }
    }

    /// Whether [`Microlearn::shutdown`] has not been called yet.
    pub fn is_open(&self) -> bool {
        self.inner.read().map(|g| g.is_some()).unwrap_or(false)
    }
}
