//! Explicit cancellation for long work (catalog sync, pinning media, xAPI flush).
//!
//! *Why both this and coroutine cancellation:* cancelling a Kotlin coroutine that awaits a
//! UniFFI async call drops the Rust future, which stops the work at its next await point. A Swift
//! `Task` cancellation does **not** reach the Rust future, and a WorkManager / BGTaskScheduler
//! expiry handler has no coroutine to cancel. A [`CancelToken`] passed to the call works in every
//! case: `cancel()` from any thread makes the call end promptly with
//! `MicrolearnError::Cancelled`, leaving the database consistent (work is committed in steps).

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::sync::Notify;

use crate::error::{MicrolearnError, Result};

/// A cancellation switch for one or more long calls. Thread-safe; cancelling is permanent.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken {
    cancelled: AtomicBool,
    notify: Notify,
    /// The core's own flag, checked between chunks by the work itself.
    core: microlearn_core::content::http::CancelToken,
}

#[uniffi::export]
impl CancelToken {
    /// A fresh, not-cancelled token.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Cancels every call using this token (now and later). Idempotent.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.core.cancel();
        self.notify.notify_waiters();
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

impl CancelToken {
    /// The core's flag for this token, to put in the core's network options.
    pub(crate) fn core_token(&self) -> microlearn_core::content::http::CancelToken {
        self.core.clone()
    }

    /// Resolves once the token is cancelled.
    pub(crate) async fn cancelled(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Runs `work` until it finishes or `token` is cancelled, whichever comes first. On cancellation
/// the work future is dropped (so it stops at its next await point).
pub(crate) async fn run_cancellable<T>(
    token: Option<Arc<CancelToken>>,
    what: &str,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    let Some(token) = token else {
        return work.await;
    };
    if token.is_cancelled() {
        return Err(MicrolearnError::Cancelled(format!("{what} cancelled")));
    }
    tokio::select! {
        biased;
        _ = token.cancelled() => Err(MicrolearnError::Cancelled(format!("{what} cancelled"))),
        result = work => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_wakes_a_pending_call() {
        let token = CancelToken::new();
        let t2 = Arc::clone(&token);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            t2.cancel();
        });
        let r: Result<()> = run_cancellable(Some(token), "sync", std::future::pending()).await;
        assert!(matches!(r, Err(MicrolearnError::Cancelled(m)) if m == "sync cancelled"));
    }

    #[tokio::test]
    async fn finished_work_wins_over_an_unused_token() {
        let r = run_cancellable(Some(CancelToken::new()), "x", async { Ok(7) }).await;
        assert_eq!(r.ok(), Some(7));
    }
}
