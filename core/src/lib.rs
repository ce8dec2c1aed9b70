//! # microlearn-core
//!
//! The offline-first heart of Microlearn, shared by the Android and iOS shells through UniFFI
//! (`bindings/`). This crate is pure Rust with no FFI code, so that every rule lives in one place
//! and is tested here, on real SQLite files.
//!
//! Start at [`Microlearn`]: one object, opened on a data directory, safe to share across threads.
//! Each capability is one module:
//!
//! - [`store`]: the single SQLite database (WAL), per-module versioned schemas.
//! - [`content`]: the card model, catalog publishing and sync, the media cache.
//! - [`search`]: micro-moment search over the offline catalog.
//! - [`quiz`], [`nudge`]: adaptive daily quizzes and notification planning.
//! - [`xapi`]: the durable xAPI statement queue.
//! - [`network`]: peers and experts on a Matrix homeserver: Q&A, ratings, tips, offline outbox.
//! - [`personal`]: playlists, recommendations, expertise, leaderboards, privacy.

pub mod content;
pub mod error;
pub mod microlearn;
pub mod network;
pub mod nudge;
pub mod personal;
pub mod quiz;
pub mod recovery;
pub mod search;
pub mod store;
mod util;
pub mod xapi;

pub use error::{Error, Result};
pub use microlearn::{Microlearn, Status};
