//! Playlist sharing through the network layer: a [`SharedPlaylist`] payload travels as a custom
//! Matrix event of type [`PLAYLIST_EVENT`] in a topic room, through the durable outbox (so
//! sharing works offline and is posted exactly once); received events are read from the network
//! store after a `/sync` and applied with [`crate::Microlearn::apply_shared`] (newer revision
//! wins; the follow/copy conflict rule of `docs/personal.md` applies).
//!
//! *Why a sender pin:* the payload's `owner` is a pseudonymous learner id the sender writes
//! itself, so any room member could post a payload claiming someone else's playlist. When a
//! learner follows a playlist from the network ([`crate::Microlearn::follow_received_playlist`])
//! the Matrix sender is pinned, and later revisions from any other sender are ignored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Playlist, SharedPlaylist};
use crate::{
    Microlearn,
    network::{self, NetworkError},
};

/// The custom event type that carries a shared playlist.
pub const PLAYLIST_EVENT: &str = "org.microlearn.playlist";

fn pin_key(shared_id: &str) -> String {
    format!("playlist_sender:{shared_id}")
}

/// A shared playlist received in a topic room (the newest revision per sender and playlist).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceivedPlaylist {
    /// The Matrix event that carried it (pass it to `follow_received_playlist`).
    pub event_id: String,
    /// The room it was posted in.
    pub room_id: String,
    /// The Matrix user who posted it.
    pub sender: String,
    /// The validated payload.
    pub playlist: SharedPlaylist,
}

/// What [`Microlearn::apply_shared_playlists`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SharedPlaylistsReport {
    /// Followed playlists that now mirror a newer owner revision.
    pub updated: Vec<String>,
    /// Copies now behind their owner (noted, not changed).
    pub copies_behind: Vec<String>,
    /// Payloads that changed nothing (already applied, unknown playlist, own playlist).
    pub unchanged: u64,
    /// Payloads refused: malformed, or from a sender other than the pinned one.
    pub rejected: u64,
}

impl Microlearn {
    /// Shares an own playlist (or a copy) to a topic room: the privacy-filtered payload of
    /// [`Microlearn::share_payload`] is queued as a [`PLAYLIST_EVENT`] custom event in the durable
    /// outbox (works offline; sent by the next `network_send`). `room` is a Matrix room id
    /// (`!…`) or a catalog topic whose room is joined. Returns the outbox id.
    pub fn share_playlist_to_room(&self, playlist_id: &str, room: &str) -> crate::Result<String> {
        let room_id = self.resolve_room(room)?;
        let payload = self.share_payload(playlist_id)?;
        Ok(self.network_enqueue_custom(&room_id, PLAYLIST_EVENT, &payload)?)
    }

    /// Queues `event` as JSON under `event_type` in `room_id`'s outbox (the opt-in profile and
    /// points events). Returns the outbox id.
    pub(super) fn enqueue_json_event(
        &self,
        room_id: &str,
        event_type: &str,
        event: &impl Serialize,
    ) -> crate::Result<String> {
        let json = serde_json::to_string(event)
            .map_err(|e| super::PersonalError::Corrupt(e.to_string()))?;
        Ok(self.network_enqueue_custom(room_id, event_type, &json)?)
    }

    /// Shared playlists received (after a network sync), optionally of one room: the newest
    /// revision per sender and playlist, oldest first. Malformed payloads and the learner's own
    /// shares are left out.
    pub fn received_playlists(&self, room: Option<&str>) -> crate::Result<Vec<ReceivedPlaylist>> {
        let me = self.network_account().ok().map(|(_, u)| u);
        let events = self.network_custom_events(PLAYLIST_EVENT, room, u32::MAX)?;
        let mut newest: HashMap<(String, String), ReceivedPlaylist> = HashMap::new();
        let mut order = vec![];
        for e in events {
            if me.as_deref() == Some(e.sender.as_str()) {
                continue;
            }
            let Ok(p) = SharedPlaylist::parse(&e.content) else {
                continue;
            };
            let key = (e.sender.clone(), p.id.clone());
            let r = ReceivedPlaylist {
                event_id: e.event_id,
                room_id: e.room_id,
                sender: e.sender,
                playlist: p,
            };
            match newest.get_mut(&key) {
                Some(have) if have.playlist.revision >= r.playlist.revision => {}
                Some(have) => *have = r,
                None => {
                    order.push(key.clone());
                    newest.insert(key, r);
                }
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|k| newest.remove(&k))
            .collect())
    }

    /// Follows a playlist received in a topic room (by the event id of
    /// [`Microlearn::received_playlists`]) and pins its Matrix sender: only that sender's later
    /// revisions update it. Following one already followed applies the payload as an update.
    pub fn follow_received_playlist(
        &self,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> crate::Result<Playlist> {
        let e = self
            .network_custom_events(PLAYLIST_EVENT, None, u32::MAX)?
            .into_iter()
            .find(|e| e.event_id == event_id)
            .ok_or_else(|| NetworkError::NotFound(format!("shared playlist event {event_id:?}")))?;
        let p = SharedPlaylist::parse(&e.content)?;
        if let Some(pinned) = self.pinned_sender(&p.id)?
            && pinned != e.sender
        {
            return Err(super::invalid(
                "sender",
                format!("playlist is followed from {pinned:?}, not {:?}", e.sender),
            )
            .into());
        }
        let pl = self.follow_shared(&e.content, now)?;
        self.store().write(|tx| {
            network::set_setting(tx, &pin_key(&p.id), &e.sender)?;
            Ok::<_, NetworkError>(())
        })?;
        Ok(pl)
    }

    /// Applies every shared playlist received so far (call after a network sync): each
    /// sender's newest revision goes through [`Microlearn::apply_shared`], so followed
    /// playlists update (newer revision wins, the local overlay is kept) and copies note that
    /// they are behind. Idempotent: applying again changes nothing.
    pub fn apply_shared_playlists(
        &self,
        now: DateTime<Utc>,
    ) -> crate::Result<SharedPlaylistsReport> {
        let me = self.network_account().ok().map(|(_, u)| u);
        let mut report = SharedPlaylistsReport::default();
        for e in self.network_custom_events(PLAYLIST_EVENT, None, u32::MAX)? {
            if me.as_deref() == Some(e.sender.as_str()) {
                continue;
            }
            let Ok(p) = SharedPlaylist::parse(&e.content) else {
                report.rejected += 1;
                continue;
            };
            if self
                .pinned_sender(&p.id)?
                .is_some_and(|pinned| pinned != e.sender)
            {
                report.rejected += 1;
                continue;
            }
            let out = self.apply_shared(&e.content, now)?;
            match out.updated {
                Some(id) => {
                    report.updated.retain(|u| u != &id);
                    report.updated.push(id);
                }
                None => report.unchanged += 1,
            }
            for c in out.copies_behind {
                if !report.copies_behind.contains(&c) {
                    report.copies_behind.push(c);
                }
            }
        }
        Ok(report)
    }

    /// A `!room` id as given, else the joined room of a catalog topic.
    pub(crate) fn resolve_room(&self, room: &str) -> Result<String, NetworkError> {
        if room.starts_with('!') {
            return Ok(room.to_owned());
        }
        self.network_topic_room(room)?
            .ok_or_else(|| NetworkError::NotFound(format!("no joined room for topic {room:?}")))
    }

    fn pinned_sender(&self, shared_id: &str) -> Result<Option<String>, NetworkError> {
        self.store()
            .read(|c| network::get_setting(c, &pin_key(shared_id)))
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;
    use crate::personal::playlists::tests::{core_with, s, t0};

    /// Simulates `/sync` storing a received custom event.
    fn receive(core: &Microlearn, event_id: &str, sender: &str, ts: i64, content: &str) {
        core.store()
            .write(|tx| {
                tx.execute(
                    "INSERT INTO network_custom(event_id, room_id, type, sender, ts, content)
                     VALUES (?1, '!room:x', ?2, ?3, ?4, ?5)",
                    params![event_id, PLAYLIST_EVENT, sender, ts, content],
                )?;
                Ok::<_, crate::Error>(())
            })
            .expect("insert");
    }

    #[test]
    fn share_queues_a_custom_event_in_the_outbox() {
        let (_d, core) = core_with(&["a", "b"]);
        let pl = core
            .create_playlist("P", &s(&["a", "b"]), t0())
            .expect("create");
        let id = core
            .share_playlist_to_room(&pl.id, "!room:x")
            .expect("share");
        let items = core.network_outbox().expect("outbox");
        let item = items.iter().find(|i| i.local_id == id).expect("queued");
        assert_eq!(item.event_type, PLAYLIST_EVENT);
        assert!(matches!(
            core.share_playlist_to_room(&pl.id, "Unjoined topic"),
            Err(crate::Error::Network(NetworkError::NotFound(_)))
        ));
        assert!(core.share_playlist_to_room("nope", "!room:x").is_err());
    }

    #[test]
    fn received_follow_update_pin_and_idempotence() {
        let (_d1, owner) = core_with(&["a", "b", "c"]);
        let (_d2, me) = core_with(&["a", "b", "c"]);
        let pl = owner
            .create_playlist("Safety", &s(&["a", "b"]), t0())
            .expect("create");
        let v1 = owner.share_payload(&pl.id).expect("v1");
        receive(&me, "$1", "@owner:x", 1, &v1);
        receive(&me, "$bad", "@owner:x", 2, "{\"format\":\"nope\"}");
        let got = me.received_playlists(None).expect("received");
        assert_eq!(got.len(), 1);
        let f = me.follow_received_playlist("$1", t0()).expect("follow");
        owner.add_to_playlist(&pl.id, "c", t0()).expect("edit");
        let v2 = owner.share_payload(&pl.id).expect("v2");
        receive(&me, "$2", "@owner:x", 3, &v2);
        // A forger re-posting the owner's playlist with other cards is refused by the pin.
        let mut forged = SharedPlaylist::parse(&v2).expect("parse");
        forged.revision = 9;
        forged.cards = s(&["a"]);
        let forged = serde_json::to_string(&forged).expect("ser");
        receive(&me, "$3", "@mallory:x", 4, &forged);
        let r = me.apply_shared_playlists(t0()).expect("apply");
        assert_eq!(r.updated, vec![f.id.clone()]);
        assert_eq!(r.rejected, 2, "malformed + forged");
        assert_eq!(me.playlist(&f.id).expect("get").cards, s(&["a", "b", "c"]));
        let again = me.apply_shared_playlists(t0()).expect("again");
        assert!(again.updated.is_empty());
        assert!(me.follow_received_playlist("$3", t0()).is_err());
        assert!(me.follow_received_playlist("$nope", t0()).is_err());
    }
}
