//! Sharing playlists through the network layer, across the FFI: share to a topic room (queued in
//! the durable outbox as an `org.microlearn.playlist` custom event), list what was received after
//! a sync, follow one (pinning its sender), and apply every received revision; publish the
//! expertise profile and weekly points, and rebuild colleagues' expertise (from the network's
//! Q&A) and leaderboard points. Conversions only; the rules live in
//! `microlearn_core::personal::{network_share, network_expertise, network_points}`.

use std::time::SystemTime;

use microlearn_core::personal as mp;

use crate::{
    Microlearn,
    convert::{instant, vec},
    error::Result,
    personal::Playlist,
};

/// A shared playlist received in a topic room (the newest revision per sender and playlist).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceivedPlaylist {
    /// The Matrix event that carried it (pass it to `follow_received_playlist`).
    pub event_id: String,
    /// The room it was posted in.
    pub room_id: String,
    /// The Matrix user who posted it.
    pub sender: String,
    /// The owner's playlist id.
    pub shared_id: String,
    /// The owner's display name, if they chose to show one.
    pub owner_name: Option<String>,
    /// The owner's revision.
    pub revision: u64,
    /// Title.
    pub title: String,
    /// Card ids in order.
    pub cards: Vec<String>,
}

impl From<mp::ReceivedPlaylist> for ReceivedPlaylist {
    fn from(r: mp::ReceivedPlaylist) -> Self {
        Self {
            event_id: r.event_id,
            room_id: r.room_id,
            sender: r.sender,
            shared_id: r.playlist.id,
            owner_name: r.playlist.owner_name,
            revision: r.playlist.revision,
            title: r.playlist.title,
            cards: r.playlist.cards,
        }
    }
}

/// What `apply_shared_playlists` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SharedPlaylistsReport {
    /// Followed playlists that now mirror a newer owner revision.
    pub updated: Vec<String>,
    /// Copies now behind their owner (noted, not changed).
    pub copies_behind: Vec<String>,
    /// Payloads that changed nothing.
    pub unchanged: u64,
    /// Payloads refused (malformed, or not from the pinned sender).
    pub rejected: u64,
}

impl From<mp::SharedPlaylistsReport> for SharedPlaylistsReport {
    fn from(r: mp::SharedPlaylistsReport) -> Self {
        Self {
            updated: r.updated,
            copies_behind: r.copies_behind,
            unchanged: r.unchanged,
            rejected: r.rejected,
        }
    }
}

#[uniffi::export]
impl Microlearn {
    /// Shares an own playlist (or a copy) to a topic room (`!room:id` or a joined catalog
    /// topic): queued durably in the outbox, sent by the next `network_send`. Returns the
    /// outbox id.
    pub fn share_playlist_to_room(&self, playlist_id: String, room: String) -> Result<String> {
        Ok(self.core()?.share_playlist_to_room(&playlist_id, &room)?)
    }

    /// Shared playlists received so far (after `network_sync`), optionally of one room.
    #[uniffi::method(default(room = None))]
    pub fn received_playlists(&self, room: Option<String>) -> Result<Vec<ReceivedPlaylist>> {
        Ok(vec(self.core()?.received_playlists(room.as_deref())?))
    }

    /// Follows a received playlist by its event id; only its sender's revisions update it.
    #[uniffi::method(default(now = None))]
    pub fn follow_received_playlist(
        &self,
        event_id: String,
        now: Option<SystemTime>,
    ) -> Result<Playlist> {
        Ok(self
            .core()?
            .follow_received_playlist(&event_id, instant(now))?
            .into())
    }

    /// Applies every received shared playlist (after `network_sync`): followed playlists
    /// update when the owner's revision is newer; idempotent.
    #[uniffi::method(default(now = None))]
    pub fn apply_shared_playlists(&self, now: Option<SystemTime>) -> Result<SharedPlaylistsReport> {
        Ok(self.core()?.apply_shared_playlists(instant(now))?.into())
    }

    /// Publishes the learner's expertise profile to a topic room (`!room` id or joined topic):
    /// the profile when they opted in (mastery only if shared), else a retraction.
    #[uniffi::method(default(now = None))]
    pub fn publish_expertise_to_room(
        &self,
        room: String,
        now: Option<SystemTime>,
    ) -> Result<String> {
        Ok(self
            .core()?
            .publish_expertise_to_room(&room, instant(now))?)
    }

    /// Rebuilds colleagues' expertise from the network store (after `network_sync`): accepted
    /// answers and votes per topic, for senders whose newest profile opted in only. Returns how
    /// many records are stored.
    #[uniffi::method(default(now = None))]
    pub fn expertise_from_network(&self, now: Option<SystemTime>) -> Result<u64> {
        Ok(self.core()?.expertise_from_network(instant(now))?)
    }

    /// Publishes this week's points to a topic room: the points when the learner is on
    /// leaderboards, else a retraction.
    #[uniffi::method(default(now = None))]
    pub fn publish_points_to_room(&self, room: String, now: Option<SystemTime>) -> Result<String> {
        Ok(self.core()?.publish_points_to_room(&room, instant(now))?)
    }

    /// Stores colleagues' weekly points from the network store (after `network_sync`), for
    /// senders whose newest event opted in only. Returns how many peer records were applied.
    pub fn leaderboard_from_network(&self) -> Result<u64> {
        Ok(self.core()?.leaderboard_from_network()?)
    }
}
