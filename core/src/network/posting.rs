//! Posting in the network: asking, answering, commenting on a card (in its discussion thread),
//! voting, accepting and editing. Each call is one transaction that queues the outbox row and the
//! act's xAPI statement; the read side is in [`super::qa`].

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::{Value, json};

use super::{
    NetworkError,
    events::{CARD_KEY, DOWN, KIND_KEY, UP, types},
    outbox::{self, LOCAL_PREFIX, NewItem},
    qa::is_moderator,
};
use crate::{
    Microlearn,
    xapi::{self, builders::activity_types, model::Activity},
};

/// Longest post body accepted (Matrix caps events at 64 KiB).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// xAPI verbs of the social acts not in the ADL base list.
pub mod social_verbs {
    /// Asked a question.
    pub const ASKED: &str = "http://adlnet.gov/expapi/verbs/asked";
    /// Answered a peer's question.
    pub const RESPONDED: &str = "http://adlnet.gov/expapi/verbs/responded";
    /// Voted an answer up.
    pub const VOTED_UP: &str = "http://id.tincanapi.com/verb/voted-up";
    /// Voted an answer down.
    pub const VOTED_DOWN: &str = "http://id.tincanapi.com/verb/voted-down";
    /// Accepted an answer.
    pub const ACCEPTED: &str = "http://activitystrea.ms/schema/1.0/accept";
}

pub(crate) fn check_body(body: &str) -> Result<(), NetworkError> {
    if body.trim().is_empty() {
        return Err(NetworkError::InvalidArgument("empty text".into()));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(NetworkError::InvalidArgument(format!(
            "text is {} bytes, over {MAX_BODY_BYTES}",
            body.len()
        )));
    }
    Ok(())
}

/// Records the xAPI statement of a social act in the same transaction; returns its id.
pub(crate) fn record_xapi(
    tx: &Transaction<'_>,
    verb: &str,
    card_id: Option<&str>,
    response: Option<&str>,
) -> Result<String, NetworkError> {
    let emitter = xapi::Emitter::load(tx)?;
    let object = match card_id {
        Some(c) => Activity::new(emitter.card_iri(c), None, Some(activity_types::CARD)),
        None => Activity::new(
            format!("{}network", emitter.settings.activity_base),
            Some(("en-US", "Peer network")),
            None,
        ),
    };
    let mut st = emitter.statement(verb, object);
    if let Some(r) = response {
        st.result = Some(xapi::model::StatementResult {
            response: Some(r.chars().take(1000).collect()),
            ..Default::default()
        });
    }
    Ok(xapi::enqueue_in(tx, &st)?.0)
}

/// The card a post (event id or `local:` id) is about, from the store or the outbox.
pub(crate) fn card_of(conn: &Connection, post: &str) -> Result<Option<String>, NetworkError> {
    if let Some(txn) = post.strip_prefix(LOCAL_PREFIX) {
        let content: Option<String> = conn
            .query_row(
                "SELECT content FROM network_outbox WHERE txn_id = ?1",
                [txn],
                |r| r.get(0),
            )
            .optional()?;
        return Ok(content
            .and_then(|c| serde_json::from_str::<Value>(&c).ok())
            .and_then(|v| v.get(CARD_KEY).and_then(Value::as_str).map(str::to_owned)));
    }
    Ok(conn
        .query_row(
            "SELECT card_id FROM network_posts WHERE event_id = ?1",
            [post],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

fn message(kind: &str, body: &str, card: Option<&str>, thread: Option<&str>) -> Value {
    let mut v = json!({ "msgtype": "m.text", "body": body, KIND_KEY: kind });
    if let Some(c) = card {
        v[CARD_KEY] = json!(c);
    }
    if let Some(root) = thread {
        v["m.relates_to"] = json!({
            "rel_type": "m.thread",
            "event_id": root,
            "is_falling_back": true,
            "m.in_reply_to": { "event_id": root },
        });
    }
    v
}

impl Microlearn {
    /// Asks a question in `room` (about `card_id`, if any). Durable when it returns; returns
    /// the outbox item's `local:` id.
    pub fn network_ask(
        &self,
        room: &str,
        card_id: Option<&str>,
        body: &str,
    ) -> Result<String, NetworkError> {
        check_body(body)?;
        self.store().write(|tx| {
            let x = record_xapi(tx, social_verbs::ASKED, card_id, Some(body))?;
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "question",
                    event_type: types::MESSAGE,
                    content: message("question", body, card_id, None),
                    redacts: None,
                    media_path: None,
                    xapi_id: Some(&x),
                },
            )
        })
    }

    /// Answers `question` (an event id, or the `local:` id of a queued question).
    pub fn network_answer(
        &self,
        room: &str,
        question: &str,
        body: &str,
    ) -> Result<String, NetworkError> {
        check_body(body)?;
        self.store().write(|tx| {
            let card = card_of(tx, question)?;
            let x = record_xapi(tx, social_verbs::RESPONDED, card.as_deref(), Some(body))?;
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "answer",
                    event_type: types::MESSAGE,
                    content: message("answer", body, card.as_deref(), Some(question)),
                    redacts: None,
                    media_path: None,
                    xapi_id: Some(&x),
                },
            )
        })
    }

    /// Comments on a card, in the card's discussion thread (created first if the room has none).
    pub fn network_comment(
        &self,
        room: &str,
        card_id: &str,
        body: &str,
    ) -> Result<String, NetworkError> {
        check_body(body)?;
        self.store().write(|tx| {
            let root = card_thread_root(tx, room, card_id)?;
            let x = record_xapi(tx, crate::xapi::verbs::COMMENTED, Some(card_id), Some(body))?;
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "comment",
                    event_type: types::MESSAGE,
                    content: message("comment", body, Some(card_id), Some(&root)),
                    redacts: None,
                    media_path: None,
                    xapi_id: Some(&x),
                },
            )
        })
    }

    /// Votes a post up or down (`m.reaction` 👍 / 👎). Voting the same way again is a no-op
    /// (Matrix refuses a repeated reaction); voting the other way withdraws the earlier vote
    /// (dropped if still queued, else redacted) and sends the new one.
    pub fn network_vote(&self, room: &str, target: &str, up: bool) -> Result<String, NetworkError> {
        let me = self.network_account().ok().map(|(_, u)| u);
        let key = if up { UP } else { DOWN };
        self.store().write(|tx| {
            if let Some((id, same)) = earlier_vote(tx, target, me.as_deref(), key)? {
                if same {
                    return Ok(id);
                }
                if outbox::delete_pending(tx, &id)?.is_none() {
                    let ev = match id.strip_prefix(LOCAL_PREFIX) {
                        Some(txn) => tx.query_row(
                            "SELECT event_id FROM network_outbox WHERE txn_id = ?1",
                            [txn],
                            |r| r.get::<_, Option<String>>(0),
                        )?,
                        None => Some(id.clone()),
                    };
                    if let Some(ev) = ev {
                        super::events::redact(tx, &ev, "local")?;
                        outbox::enqueue_in(
                            tx,
                            &NewItem {
                                room_id: room,
                                kind: "redact",
                                event_type: types::REDACTION,
                                content: json!({}),
                                redacts: Some(&ev),
                                media_path: None,
                                xapi_id: None,
                            },
                        )?;
                    }
                }
            }
            let card = card_of(tx, target)?;
            let verb = if up {
                social_verbs::VOTED_UP
            } else {
                social_verbs::VOTED_DOWN
            };
            let x = record_xapi(tx, verb, card.as_deref(), None)?;
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "vote",
                    event_type: types::REACTION,
                    content: json!({"m.relates_to": {
                        "rel_type": "m.annotation", "event_id": target, "key": key
                    }}),
                    redacts: None,
                    media_path: None,
                    xapi_id: Some(&x),
                },
            )
        })
    }

    /// Accepts `answer` for `question`. Refused locally when the question is known and this
    /// learner neither asked it nor moderates the room (peers would ignore the accept anyway).
    pub fn network_accept(
        &self,
        room: &str,
        question: &str,
        answer: &str,
    ) -> Result<String, NetworkError> {
        let (_, me) = self.network_account()?;
        self.store().write(|tx| {
            let asker: Option<String> = tx
                .query_row(
                    "SELECT sender FROM network_posts WHERE event_id = ?1",
                    [question],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(asker) = asker
                && asker != me
                && !is_moderator(tx, room, &me)?
            {
                return Err(NetworkError::InvalidArgument(
                    "only the asker or a moderator can accept an answer".into(),
                ));
            }
            let card = card_of(tx, question)?;
            let x = record_xapi(tx, social_verbs::ACCEPTED, card.as_deref(), None)?;
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "accept",
                    event_type: types::ACCEPT,
                    content: json!({
                        "m.relates_to": {"rel_type": "m.reference", "event_id": question},
                        "org.microlearn.answer_event": answer,
                    }),
                    redacts: None,
                    media_path: None,
                    xapi_id: Some(&x),
                },
            )
        })
    }

    /// Rewrites a post: collapses into the queued item if it is still pending, else queues a
    /// Matrix edit (`m.replace`). Returns the outbox id that carries the new text.
    pub fn network_edit(&self, room: &str, post: &str, body: &str) -> Result<String, NetworkError> {
        check_body(body)?;
        self.store().write(|tx| {
            if outbox::edit_pending(tx, post, body)? {
                return Ok(post.to_owned());
            }
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "edit",
                    event_type: types::MESSAGE,
                    content: json!({
                        "msgtype": "m.text",
                        "body": format!("* {body}"),
                        "m.new_content": {"msgtype": "m.text", "body": body},
                        "m.relates_to": {"rel_type": "m.replace", "event_id": post},
                    }),
                    redacts: None,
                    media_path: None,
                    xapi_id: None,
                },
            )
        })
    }
}

/// The card's discussion root in `room`: a synced one, a queued one, or a new queued one.
fn card_thread_root(
    tx: &Transaction<'_>,
    room: &str,
    card_id: &str,
) -> Result<String, NetworkError> {
    let synced: Option<String> = tx
        .query_row(
            "SELECT event_id FROM network_posts
             WHERE room_id = ?1 AND card_id = ?2 AND kind = 'card_thread' ORDER BY ts LIMIT 1",
            params![room, card_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(ev) = synced {
        return Ok(ev);
    }
    let needle = format!("\"{CARD_KEY}\":\"{card_id}\"");
    let queued: Option<(String, String, Option<String>)> = tx
        .query_row(
            "SELECT txn_id, state, event_id FROM network_outbox
             WHERE room_id = ?1 AND kind = 'card_thread' AND instr(content, ?2) > 0
               AND state != 'failed' ORDER BY seq LIMIT 1",
            params![room, needle],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match queued {
        Some((_, s, Some(ev))) if s == "sent" => Ok(ev),
        Some((txn, _, _)) => Ok(format!("{LOCAL_PREFIX}{txn}")),
        None => outbox::enqueue_in(
            tx,
            &NewItem {
                room_id: room,
                kind: "card_thread",
                event_type: types::MESSAGE,
                content: message(
                    "card_thread",
                    &format!("Discussion of card {card_id}"),
                    Some(card_id),
                    None,
                ),
                redacts: None,
                media_path: None,
                xapi_id: None,
            },
        ),
    }
}

/// This learner's latest vote on `target`: its id (outbox `local:` id or event id) and whether
/// it has the same key. Queued and sent-not-yet-synced votes come from the outbox, synced ones
/// from `network_votes`.
fn earlier_vote(
    tx: &Transaction<'_>,
    target: &str,
    me: Option<&str>,
    key: &str,
) -> Result<Option<(String, bool)>, NetworkError> {
    let needle = format!("\"event_id\":{}", json!(target));
    let queued: Option<(String, String)> = tx
        .query_row(
            "SELECT txn_id, content FROM network_outbox
             WHERE kind = 'vote' AND state != 'failed' AND instr(content, ?1) > 0
             ORDER BY seq DESC LIMIT 1",
            [&needle],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((txn, content)) = queued {
        let v: Value = serde_json::from_str(&content).unwrap_or(Value::Null);
        let same = v["m.relates_to"]["key"].as_str() == Some(key);
        return Ok(Some((format!("{LOCAL_PREFIX}{txn}"), same)));
    }
    let Some(me) = me else { return Ok(None) };
    let synced: Option<(String, i64)> = tx
        .query_row(
            "SELECT event_id, value FROM network_votes WHERE target = ?1 AND voter = ?2",
            params![target, me],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(synced.map(|(ev, value)| (ev, (value > 0) == (key == UP))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> (tempfile::TempDir, Microlearn) {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        (dir, core)
    }

    fn pending(core: &Microlearn) -> Vec<String> {
        core.network_outbox()
            .expect("outbox")
            .into_iter()
            .map(|i| i.kind)
            .collect()
    }

    #[test]
    fn offline_thread_collapses_with_its_dependants_and_voids_xapi() {
        let (_d, core) = core();
        let q = core.network_ask("!r:x", Some("c1"), "How?").expect("ask");
        let a = core
            .network_answer("!r:x", &q, "Like this")
            .expect("answer");
        core.network_vote("!r:x", &a, true).expect("vote");
        core.network_comment("!r:x", "c1", "Nice card")
            .expect("comment");
        assert_eq!(
            pending(&core),
            ["question", "answer", "vote", "card_thread", "comment"]
        );
        // The answer inherited the question's card.
        let items = core.network_outbox().expect("o");
        assert!(items[1].content.contains("\"org.microlearn.card\":\"c1\""));
        let xapi_before = core.xapi_status().expect("x").pending;
        let d = core.network_delete("!r:x", &q, "").expect("delete");
        assert_eq!(
            d,
            crate::network::moderation::Deleted::Collapsed { removed: 3 }
        );
        assert_eq!(pending(&core), ["card_thread", "comment"]);
        assert_eq!(core.xapi_status().expect("x").pending, xapi_before + 3);
        // A second comment reuses the queued discussion root.
        core.network_comment("!r:x", "c1", "Again")
            .expect("comment");
        assert_eq!(pending(&core), ["card_thread", "comment", "comment"]);
        assert_eq!(core.network_card_view("c1", 5).expect("view").my_pending, 3);
    }

    #[test]
    fn votes_and_ratings_collapse_while_queued() {
        let (_d, core) = core();
        let first = core.network_vote("!r:x", "$ev", true).expect("up");
        assert_eq!(
            core.network_vote("!r:x", "$ev", true).expect("again"),
            first
        );
        core.network_vote("!r:x", "$ev", false).expect("down");
        let items = core.network_outbox().expect("o");
        assert_eq!(items.len(), 1);
        assert!(items[0].content.contains(DOWN));
        core.network_rate("!r:x", "c1", 2, false).expect("rate");
        core.network_rate("!r:x", "c1", 4, true).expect("re-rate");
        let ratings: Vec<_> = core
            .network_outbox()
            .expect("o")
            .into_iter()
            .filter(|i| i.kind == "rating")
            .collect();
        assert_eq!(ratings.len(), 1);
        assert!(ratings[0].content.contains("\"stars\":4"));
        assert!(matches!(
            core.network_rate("!r:x", "c1", 6, false),
            Err(NetworkError::InvalidArgument(_))
        ));
        assert!(matches!(
            core.network_ask("!r:x", None, "   "),
            Err(NetworkError::InvalidArgument(_))
        ));
    }
}
