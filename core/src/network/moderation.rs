//! Moderation: learners report posts (an `org.microlearn.report` event every member sees; a post
//! reported by `report_threshold` distinct learners is hidden for everyone), and authors or
//! moderators (Matrix power levels) delete posts with a redaction. Deleting removes the text from
//! the local store and the search index at once, before the redaction is even sent; a post still
//! in the outbox is simply dropped, with its dependants, and its xAPI statement voided.

use rusqlite::{Connection, OptionalExtension};
use serde_json::json;

use super::{
    NetworkError, events,
    events::types,
    get_setting,
    outbox::{self, LOCAL_PREFIX, NewItem},
    set_setting,
};
use crate::{Microlearn, xapi};

/// Default number of reports that hides a post.
pub const DEFAULT_REPORT_THRESHOLD: i64 = 3;

/// How many distinct reporters hide a post.
pub fn report_threshold(conn: &Connection) -> Result<i64, NetworkError> {
    Ok(get_setting(conn, "report_threshold")?
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_REPORT_THRESHOLD))
}

/// What deleting a post did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Deleted {
    /// It was still queued: removed from the outbox (with `removed` items in all), never sent.
    Collapsed {
        /// Outbox items removed (the post and what depended on it).
        removed: u64,
    },
    /// A redaction is queued (`local_id`); the text is already gone locally.
    Redaction {
        /// The redaction's outbox id.
        local_id: String,
    },
}

impl Microlearn {
    /// Reports a post to the room (hidden for everyone at the threshold).
    pub fn network_report(
        &self,
        room: &str,
        target: &str,
        reason: &str,
    ) -> Result<String, NetworkError> {
        self.store().write(|tx| {
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "report",
                    event_type: types::REPORT,
                    content: json!({
                        "m.relates_to": {"rel_type": "m.reference", "event_id": target},
                        "reason": reason.chars().take(500).collect::<String>(),
                    }),
                    redacts: None,
                    media_path: None,
                    xapi_id: None,
                },
            )
        })
    }

    /// Deletes a post (own, or any as a moderator): collapses a queued one, else queues a
    /// redaction and erases the text locally now. Voids the post's xAPI statement when queued.
    pub fn network_delete(
        &self,
        room: &str,
        post: &str,
        reason: &str,
    ) -> Result<Deleted, NetworkError> {
        self.store().write(|tx| {
            if let Some(voided) = outbox::delete_pending(tx, post)? {
                let emitter = xapi::Emitter::load(tx)?;
                let removed = voided.len() as u64;
                for id in voided {
                    let mut st = emitter.statement(
                        xapi::verbs::VOIDED,
                        xapi::model::Activity::new("urn:placeholder", None, None),
                    );
                    st.object =
                        xapi::model::StatementObject::StatementRef(xapi::model::StatementRef {
                            object_type: "StatementRef".into(),
                            id,
                        });
                    // A voiding statement may carry no platform/language context (xAPI 2.0).
                    st.context = None;
                    xapi::enqueue_in(tx, &st)?;
                }
                return Ok(Deleted::Collapsed {
                    removed: removed.max(1),
                });
            }
            // Sent from here: refer to the event id it received.
            let target = if let Some(txn) = post.strip_prefix(LOCAL_PREFIX) {
                tx.query_row(
                    "SELECT event_id FROM network_outbox WHERE txn_id = ?1",
                    [txn],
                    |r| r.get::<_, Option<String>>(0),
                )
                .optional()?
                .flatten()
                .ok_or_else(|| NetworkError::NotFound(format!("post {post}")))?
            } else {
                post.to_owned()
            };
            events::redact(tx, &target, "local")?;
            let local_id = outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "redact",
                    event_type: types::REDACTION,
                    content: json!({ "reason": reason }),
                    redacts: Some(&target),
                    media_path: None,
                    xapi_id: None,
                },
            )?;
            Ok(Deleted::Redaction { local_id })
        })
    }

    /// Sets how many reports hide a post (default 3).
    pub fn network_set_report_threshold(&self, n: u32) -> Result<(), NetworkError> {
        if n == 0 {
            return Err(NetworkError::InvalidArgument(
                "threshold must be at least 1".into(),
            ));
        }
        self.store()
            .write(|tx| set_setting(tx, "report_threshold", &n.to_string()))
    }
}
