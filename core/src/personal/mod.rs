//! The personal layer: playlists, recommendations, expertise finding, leaderboards and the
//! learner's privacy settings.
//!
//! *Why one module, local first:* everything here must work offline on the phone, and the network
//! layer (Matrix topic rooms) only moves payloads. So each feature is built on an *input record*
//! that the network layer (or a file the L&D team publishes) fills later, and on an *output
//! payload* that it posts; the core decides what goes into a payload, so privacy is enforced here
//! and nowhere else ([`privacy`]).
//!
//! - [`playlists`]: create, rename, delete, reorder, add/remove cards, progress.
//! - [`share`]: `SharedPlaylist` payloads, follow (read-only mirror + local overlay) and copy
//!   (fork); the conflict rule is in `docs/personal.md`.
//! - [`network_expertise`]: expertise records from the network's Q&A, for opted-in peers.
//! - [`network_points`]: leaderboard points published and received through topic rooms.
//! - [`network_share`]: sharing playlists through topic rooms (custom events, outbox, sync).
//! - [`signals`]: the learner's own ratings and completions, and peers' anonymous aggregates
//!   (the catalog-side `peer-signals` file).
//! - [`recommend`]: "if you liked this" and "next for you" (item-item co-occurrence with
//!   shrinkage, tag similarity, quiz gaps), each with a reason.
//! - [`expertise`]: "who can help with X".
//! - [`leaderboard`]: weekly team/topic boards of people who opted in.
//! - [`privacy`]: what the learner shares.

pub mod expertise;
pub mod leaderboard;
pub mod network_expertise;
pub mod network_points;
pub mod network_share;
pub mod playlists;
pub mod privacy;
pub mod recommend;
pub mod schema;
pub mod share;
pub mod signals;

pub use expertise::{Expert, PeerContribution};
pub use leaderboard::{LeaderboardEntry, LeaderboardScope, PeerPoints, WeeklyPoints};
pub use network_share::{PLAYLIST_EVENT, ReceivedPlaylist, SharedPlaylistsReport};
pub use playlists::{Playlist, PlaylistKind, PlaylistProgress};
pub use privacy::{PrivacySettings, RatingSharing};
pub use recommend::{Reason, Recommendation};
pub use schema::SCHEMA;
pub use share::{ApplyOutcome, SharedPlaylist};
pub use signals::{CardSignals, HistoryItem, PeerSignalsReport, RatingsPayload};

/// Errors of the `personal` module.
#[derive(Debug, thiserror::Error)]
pub enum PersonalError {
    /// No playlist with this id on the device.
    #[error("unknown playlist {0:?}")]
    UnknownPlaylist(String),
    /// The card is not in the offline catalog.
    #[error("unknown card {0:?}")]
    UnknownCard(String),
    /// A title, id, rating or list the caller gave cannot be used.
    #[error("invalid {what}: {why}")]
    Invalid {
        /// What was invalid.
        what: &'static str,
        /// Why.
        why: String,
    },
    /// A followed playlist is the owner's: only hiding/adding cards locally is allowed.
    #[error("playlist {0:?} is followed (read-only); copy it to edit the title or order")]
    ReadOnly(String),
    /// A shared payload (playlist, peer signals) is malformed, too large or of an unknown version.
    #[error("bad shared payload: {0}")]
    BadPayload(String),
    /// Stored personal data could not be decoded (a bug or a corrupted database).
    #[error("corrupt personal data: {0}")]
    Corrupt(String),
}

pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> PersonalError {
    PersonalError::Invalid {
        what,
        why: why.into(),
    }
}

/// Checks a display text (title, name): 1–200 characters after trimming, no control characters.
pub(crate) fn clean_text(what: &'static str, s: &str) -> Result<String, PersonalError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(invalid(what, "empty"));
    }
    if t.chars().count() > 200 {
        return Err(invalid(what, "longer than 200 characters"));
    }
    if t.chars().any(char::is_control) {
        return Err(invalid(what, "contains control characters"));
    }
    Ok(t.to_owned())
}

/// Checks an id the caller or a payload gave (same rule as card ids).
pub(crate) fn check_id(what: &'static str, id: &str) -> Result<(), PersonalError> {
    if crate::content::card::is_valid_id(id) {
        Ok(())
    } else {
        Err(invalid(
            what,
            format!("{id:?} is not 1-128 bytes of [A-Za-z0-9._:-]"),
        ))
    }
}

pub(crate) fn now_ms(now: chrono::DateTime<chrono::Utc>) -> i64 {
    now.timestamp_millis()
}
