//! # microlearn-ffi
//!
//! The UniFFI skin over [`microlearn_core`]: what Kotlin (Android) and Swift (iOS) call.
//!
//! *Why a separate, thin crate:* every rule lives in the core and is tested there in Rust; this
//! crate only *converts* (core types ⇄ UniFFI records, enums and errors, through `From` impls) and
//! adapts calling conventions (objects with `Arc`, async functions on a tokio runtime for network
//! work, cancellation, foreign-implemented providers). One module per domain mirrors the core:
//!
//! - [`core`]: the [`Microlearn`] object an app holds (open, status, shutdown).
//! - [`content`]: cards, import, catalog sync and the media cache.
//! - [`search`], [`quiz`], [`nudge`], [`xapi`]: the other capabilities, as they land in the core.
//! - [`network`]: the peer network on a Matrix homeserver (outbox, sync, Q&A, ratings).
//! - [`personal`]: playlists, recommendations, expertise, leaderboards, privacy.
//! - [`personal_network`]: playlists shared through topic rooms (outbox, sync, follow, apply)
//!   and expertise fed from the network's Q&A.
//! - [`cancel`]: [`CancelToken`], explicit cancellation of long work (Swift `Task` cancellation
//!   does not drop a Rust future; Kotlin coroutine cancellation does, and both are supported).
//! - [`providers`]: traits the app implements (credentials, connectivity, progress).
//! - [`error`]: [`MicrolearnError`], one typed error with the core's full message.
//!
//! Kotlin objects generated from this crate are `AutoCloseable`: hold them in `use { }` (or call
//! `close()`); Swift objects are freed by ARC.

// Conversions into core structs that implement `Default` end with `..Default::default()`, so a
// field the core adds later keeps its default instead of breaking this crate's build.
#![allow(clippy::needless_update)]

pub mod cancel;
pub mod content;
mod convert;
pub mod core;
pub mod error;
pub mod network;
pub mod nudge;
pub mod personal;
pub mod personal_network;
pub mod providers;
pub mod quiz;
pub mod search;
pub mod security;
pub mod xapi;

pub use cancel::CancelToken;
pub use core::Microlearn;
pub use error::{MicrolearnError, ProviderError};

uniffi::setup_scaffolding!();

/// The version of the Microlearn core this library was built from. Also the cheapest possible
/// call across the boundary (the FFI benchmark's "trivial call").
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
