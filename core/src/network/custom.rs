//! A small generic API for other modules (the personal layer's shared playlists …): queue a
//! custom event (type + JSON content) to a room through the outbox — durable, exactly once, in
//! order — and read the received custom events of a type. Types must be namespaced
//! (`org.` / `com.` / `io.` prefix, as Matrix asks for custom events).

use rusqlite::params;
use serde::Serialize;
use serde_json::Value;

use super::{
    NetworkError,
    outbox::{self, NewItem},
};
use crate::Microlearn;

/// A received custom event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomEvent {
    /// Event id.
    pub event_id: String,
    /// Room.
    pub room_id: String,
    /// Sender.
    pub sender: String,
    /// Server timestamp (ms).
    pub ts: i64,
    /// The content (JSON text).
    pub content: String,
}

/// Largest custom content accepted (Matrix events are capped at 64 KiB in all).
pub const MAX_CUSTOM_BYTES: usize = 48 * 1024;

fn check_type(t: &str) -> Result<(), NetworkError> {
    let ok = (t.starts_with("org.") || t.starts_with("com.") || t.starts_with("io."))
        && t.len() <= 255
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !t.starts_with("org.microlearn.rating")
        && !t.starts_with("org.microlearn.accept")
        && !t.starts_with("org.microlearn.report");
    if ok {
        Ok(())
    } else {
        Err(NetworkError::InvalidArgument(format!(
            "custom event type {t:?}: use a namespaced type (org./com./io.) not reserved by the network module"
        )))
    }
}

impl Microlearn {
    /// Queues a custom event (`content_json` must be a JSON object). Durable when it returns;
    /// returns the outbox id. Works offline, without a signed-in session.
    pub fn network_enqueue_custom(
        &self,
        room: &str,
        event_type: &str,
        content_json: &str,
    ) -> Result<String, NetworkError> {
        check_type(event_type)?;
        if content_json.len() > MAX_CUSTOM_BYTES {
            return Err(NetworkError::InvalidArgument(format!(
                "content is {} bytes, over {MAX_CUSTOM_BYTES}",
                content_json.len()
            )));
        }
        let content: Value = serde_json::from_str(content_json)
            .map_err(|e| NetworkError::InvalidArgument(format!("content is not JSON: {e}")))?;
        if !content.is_object() {
            return Err(NetworkError::InvalidArgument(
                "content must be a JSON object".into(),
            ));
        }
        self.store().write(|tx| {
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "custom",
                    event_type,
                    content,
                    redacts: None,
                    media_path: None,
                    xapi_id: None,
                },
            )
        })
    }

    /// Received custom events of `event_type` (optionally of one room), oldest first.
    pub fn network_custom_events(
        &self,
        event_type: &str,
        room: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CustomEvent>, NetworkError> {
        self.store().read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT event_id, room_id, sender, ts, content FROM network_custom
                 WHERE type = ?1 AND (?2 IS NULL OR room_id = ?2) ORDER BY ts, event_id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![event_type, room, limit], |r| {
                Ok(CustomEvent {
                    event_id: r.get(0)?,
                    room_id: r.get(1)?,
                    sender: r.get(2)?,
                    ts: r.get(3)?,
                    content: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}
