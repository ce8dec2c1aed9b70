//! Questions and answers: asking, answering, commenting on a card, voting, accepting; and the
//! read side — the card view (rating summary, top questions with their best answer), questions
//! sorted by votes or recency, and "unanswered in my topics" for experts.
//!
//! *Accepted answer:* an `org.microlearn.accept` event counts only when its sender asked the
//! question or holds the room's moderator power level (≥ 50, or the level the room sets for the
//! event type); checked when reading, so the order events arrive in does not matter. The latest
//! valid accept wins. *Best answer:* the accepted one, else the one with the most votes (newest
//! first among equals). Posts reported by `report_threshold` learners are hidden everywhere.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    NetworkError,
    events::{CARD_KEY, DOWN, KIND_KEY, UP, types},
    moderation::report_threshold,
    outbox::{self, LOCAL_PREFIX, NewItem},
    ratings::{self, RatingSummary},
};
use crate::{
    Microlearn,
    xapi::{self, builders::activity_types, model::Activity},
};

/// Longest post body accepted (Matrix caps events at 64 KiB).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Power level that makes a moderator (Matrix's convention).
pub const MODERATOR_LEVEL: i64 = 50;

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

/// A post as the views show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Post {
    /// Event id.
    pub event_id: String,
    /// Room.
    pub room_id: String,
    /// Author.
    pub sender: String,
    /// question, answer, comment, tip, message.
    pub kind: String,
    /// Card it is about.
    pub card_id: Option<String>,
    /// Text.
    pub body: String,
    /// Net votes (up − down).
    pub votes: i64,
    /// `mxc://` media of a tip.
    pub media_mxc: Option<String>,
    /// When it was posted (ms since the epoch, the server's clock).
    pub ts: i64,
}

/// A question with its answers summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionView {
    /// The question.
    pub question: Post,
    /// Visible answers.
    pub answers: u64,
    /// Whether an answer was accepted (by the asker or a moderator).
    pub accepted: bool,
    /// The accepted answer, else the most voted.
    pub best_answer: Option<Post>,
}

/// What the card screen shows, from SQLite only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardView {
    /// The card.
    pub card_id: String,
    /// Peer ratings.
    pub rating: RatingSummary,
    /// Top questions (most voted, then newest).
    pub questions: Vec<QuestionView>,
    /// Visible comments in the card's discussion.
    pub comments: u64,
    /// This learner's items about the card still in the outbox.
    pub my_pending: u64,
}

/// Order of question lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionSort {
    /// Most voted first.
    Votes,
    /// Newest first.
    Recent,
}

const POST_COLS: &str = "p.event_id, p.room_id, p.sender, p.kind, p.card_id, p.body,
    (SELECT coalesce(sum(value), 0) FROM network_votes v WHERE v.target = p.event_id) AS votes,
    p.media_mxc, p.ts";

/// `AND` clause hiding reported posts (`?9` is the threshold).
const VISIBLE: &str = "(SELECT count(*) FROM network_reports r WHERE r.target = p.event_id) < ?9";

fn post_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Post> {
    Ok(Post {
        event_id: r.get(0)?,
        room_id: r.get(1)?,
        sender: r.get(2)?,
        kind: r.get(3)?,
        card_id: r.get(4)?,
        body: r.get(5)?,
        votes: r.get(6)?,
        media_mxc: r.get(7)?,
        ts: r.get(8)?,
    })
}

/// The user's power level in a room and the level needed to accept (from `m.room.power_levels`).
fn levels(conn: &Connection, room: &str) -> Result<(HashMap<String, i64>, i64, i64), NetworkError> {
    let pl: Option<String> = conn
        .prepare_cached("SELECT power_levels FROM network_rooms WHERE room_id = ?1")?
        .query_row([room], |r| r.get(0))
        .optional()?
        .flatten();
    let v: Value = pl
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    let users = v
        .get("users")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default();
    let default = v.get("users_default").and_then(Value::as_i64).unwrap_or(0);
    let needed = v
        .get("events")
        .and_then(|e| e.get(types::ACCEPT))
        .and_then(Value::as_i64)
        .unwrap_or(MODERATOR_LEVEL);
    Ok((users, default, needed))
}

/// Whether `user` may moderate `room` (power level ≥ moderator).
pub fn is_moderator(conn: &Connection, room: &str, user: &str) -> Result<bool, NetworkError> {
    let (users, default, needed) = levels(conn, room)?;
    Ok(*users.get(user).unwrap_or(&default) >= needed)
}

/// The accepted answer of `question` (asked by `asker` in `room`), if a valid accept exists.
fn accepted_answer(
    conn: &Connection,
    room: &str,
    question: &str,
    asker: &str,
) -> Result<Option<String>, NetworkError> {
    let mut stmt = conn.prepare_cached(
        "SELECT answer, sender FROM network_accepts WHERE question = ?1 ORDER BY ts DESC",
    )?;
    let rows: Vec<(String, String)> = stmt
        .query_map([question], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if rows.is_empty() {
        return Ok(None);
    }
    let (users, default, needed) = levels(conn, room)?;
    Ok(rows
        .into_iter()
        .find(|(_, s)| s == asker || *users.get(s).unwrap_or(&default) >= needed)
        .map(|(a, _)| a))
}

fn question_view(conn: &Connection, q: Post, threshold: i64) -> Result<QuestionView, NetworkError> {
    let accepted = accepted_answer(conn, &q.room_id, &q.event_id, &q.sender)?;
    let sql = format!(
        "SELECT {POST_COLS} FROM network_posts p
         WHERE p.thread_root = ?1 AND p.kind = 'answer' AND {VISIBLE}
         ORDER BY (p.event_id = ?2) DESC, votes DESC, p.ts DESC"
    );
    let mut stmt = conn.prepare_cached(&sql.replace("?9", "?3"))?;
    let answers: Vec<Post> = stmt
        .query_map(
            params![q.event_id, accepted.as_deref().unwrap_or(""), threshold],
            post_row,
        )?
        .collect::<Result<_, _>>()?;
    let is_accepted = accepted
        .as_ref()
        .is_some_and(|a| answers.first().is_some_and(|b| &b.event_id == a));
    Ok(QuestionView {
        question: q,
        answers: answers.len() as u64,
        accepted: is_accepted,
        best_answer: answers.into_iter().next(),
    })
}

/// Questions matching `where_sql` (which uses `?1`), sorted, at most `limit`.
fn questions_where(
    conn: &Connection,
    where_sql: &str,
    arg: &str,
    sort: QuestionSort,
    limit: u32,
) -> Result<Vec<QuestionView>, NetworkError> {
    let threshold = report_threshold(conn)?;
    let order = match sort {
        QuestionSort::Votes => "votes DESC, p.ts DESC",
        QuestionSort::Recent => "p.ts DESC",
    };
    let sql = format!(
        "SELECT {POST_COLS} FROM network_posts p
         WHERE p.kind = 'question' AND {where_sql} AND {VISIBLE}
         ORDER BY {order} LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql.replace("?9", "?3"))?;
    let qs: Vec<Post> = stmt
        .query_map(params![arg, limit, threshold], post_row)?
        .collect::<Result<_, _>>()?;
    qs.into_iter()
        .map(|q| question_view(conn, q, threshold))
        .collect()
}

/// The card view: rating summary, top questions with their best answer, comment count.
pub fn card_view(conn: &Connection, card_id: &str, top: u32) -> Result<CardView, NetworkError> {
    let threshold = report_threshold(conn)?;
    let questions = questions_where(conn, "p.card_id = ?1", card_id, QuestionSort::Votes, top)?;
    let comments: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM network_posts p
             WHERE p.card_id = ?1 AND p.kind IN ('comment', 'tip') AND {}",
            VISIBLE.replace("?9", "?2")
        ))?
        .query_row(params![card_id, threshold], |r| r.get(0))?;
    let needle = format!("\"{CARD_KEY}\":\"{card_id}\"");
    let my_pending: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM network_outbox WHERE state = 'pending' AND instr(content, ?1) > 0",
        )?
        .query_row([needle], |r| r.get(0))?;
    Ok(CardView {
        card_id: card_id.to_owned(),
        rating: ratings::summary(conn, card_id)?,
        questions,
        comments: comments as u64,
        my_pending: my_pending as u64,
    })
}

/// Questions of a room, sorted.
pub fn room_questions(
    conn: &Connection,
    room: &str,
    sort: QuestionSort,
    limit: u32,
) -> Result<Vec<QuestionView>, NetworkError> {
    questions_where(conn, "p.room_id = ?1", room, sort, limit)
}

/// Questions without a visible answer in the rooms this user joined, oldest first (for experts).
pub fn unanswered(conn: &Connection, limit: u32) -> Result<Vec<Post>, NetworkError> {
    let threshold = report_threshold(conn)?;
    let sql = format!(
        "SELECT {POST_COLS} FROM network_posts p
         JOIN network_rooms r ON r.room_id = p.room_id AND r.membership = 'join'
         WHERE p.kind = 'question' AND {VISIBLE}
           AND NOT EXISTS (SELECT 1 FROM network_posts a WHERE a.thread_root = p.event_id
                           AND a.kind = 'answer')
         ORDER BY p.ts LIMIT ?1"
    );
    let mut stmt = conn.prepare_cached(&sql.replace("?9", "?2"))?;
    let rows = stmt.query_map(params![limit, threshold], post_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
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

    /// The card view (rating summary, top `top` questions with best answers), from SQLite.
    pub fn network_card_view(&self, card_id: &str, top: u32) -> Result<CardView, NetworkError> {
        self.store().read(|c| card_view(c, card_id, top))
    }

    /// Questions of a room by votes or recency.
    pub fn network_questions(
        &self,
        room: &str,
        sort: QuestionSort,
        limit: u32,
    ) -> Result<Vec<QuestionView>, NetworkError> {
        self.store().read(|c| room_questions(c, room, sort, limit))
    }

    /// Unanswered questions in the rooms this learner joined, oldest first.
    pub fn network_unanswered(&self, limit: u32) -> Result<Vec<Post>, NetworkError> {
        self.store().read(|c| unanswered(c, limit))
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

/// The question `event_id` (if visible) as a view.
pub(crate) fn questions_by_id(
    conn: &Connection,
    event_id: &str,
    threshold: i64,
) -> Result<Vec<QuestionView>, NetworkError> {
    let sql = format!(
        "SELECT {POST_COLS} FROM network_posts p
         WHERE p.event_id = ?1 AND p.kind = 'question' AND {}",
        VISIBLE.replace("?9", "?2")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let qs: Vec<Post> = stmt
        .query_map(params![event_id, threshold], post_row)?
        .collect::<Result<_, _>>()?;
    qs.into_iter()
        .map(|q| question_view(conn, q, threshold))
        .collect()
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
    use crate::network::events;

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

    fn ev(id: &str, sender: &str, ty: &str, ts: i64, content: Value) -> Value {
        json!({"event_id": id, "sender": sender, "type": ty, "origin_server_ts": ts, "content": content})
    }

    #[test]
    fn read_side_accepts_only_asker_or_moderator_and_redactions_erase() {
        let (_d, core) = core();
        let thread = |root: &str| json!({"rel_type": "m.thread", "event_id": root});
        let evs = [
            ev(
                "$pl",
                "@mod:x",
                "m.room.power_levels",
                1,
                json!({"users": {"@mod:x": 100}}),
            ),
            ev(
                "$q",
                "@ann:x",
                "m.room.message",
                2,
                json!({"msgtype": "m.text", "body": "Refund with no receipt?", KIND_KEY: "question", CARD_KEY: "c1"}),
            ),
            ev(
                "$a1",
                "@bob:x",
                "m.room.message",
                3,
                json!({"msgtype": "m.text", "body": "Store credit", KIND_KEY: "answer", CARD_KEY: "c1", "m.relates_to": thread("$q")}),
            ),
            ev(
                "$a2",
                "@cid:x",
                "m.room.message",
                4,
                json!({"msgtype": "m.text", "body": "Ask a manager", KIND_KEY: "answer", CARD_KEY: "c1", "m.relates_to": thread("$q")}),
            ),
            ev(
                "$v1",
                "@ann:x",
                "m.reaction",
                5,
                json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": "$a2", "key": UP}}),
            ),
            // An accept by a peer who neither asked nor moderates: ignored.
            ev(
                "$x1",
                "@cid:x",
                types::ACCEPT,
                6,
                json!({"m.relates_to": {"rel_type": "m.reference", "event_id": "$q"}, "org.microlearn.answer_event": "$a2"}),
            ),
        ];
        let mut pl = evs[0].clone();
        pl["state_key"] = json!("");
        core.store()
            .write(|tx| {
                tx.execute("INSERT INTO network_rooms(room_id) VALUES ('!r:x')", [])?;
                events::apply(tx, "!r:x", &pl, "@me:x", false)?;
                for e in &evs[1..] {
                    events::apply(tx, "!r:x", e, "@me:x", false)?;
                    // Applying twice changes nothing.
                    events::apply(tx, "!r:x", e, "@me:x", false)?;
                }
                Ok::<_, NetworkError>(())
            })
            .expect("apply");
        let v = core.network_card_view("c1", 5).expect("view");
        assert_eq!(v.questions.len(), 1);
        let q = &v.questions[0];
        assert!(!q.accepted);
        assert_eq!(
            q.best_answer.as_ref().map(|a| a.event_id.as_str()),
            Some("$a2")
        );
        // The moderator accepts the other answer: it counts.
        let accept = ev(
            "$x2",
            "@mod:x",
            types::ACCEPT,
            7,
            json!({"m.relates_to": {"rel_type": "m.reference", "event_id": "$q"}, "org.microlearn.answer_event": "$a1"}),
        );
        let redact = json!({"event_id": "$r", "sender": "@ann:x", "type": types::REDACTION, "origin_server_ts": 8, "redacts": "$q", "content": {}});
        core.store()
            .write(|tx| events::apply(tx, "!r:x", &accept, "@me:x", false))
            .expect("apply");
        let v = core.network_card_view("c1", 5).expect("view");
        assert!(v.questions[0].accepted);
        assert_eq!(
            v.questions[0]
                .best_answer
                .as_ref()
                .map(|a| a.event_id.as_str()),
            Some("$a1")
        );
        assert_eq!(
            core.network_search("receipt refund", 5)
                .expect("search")
                .len(),
            1
        );
        core.store()
            .write(|tx| events::apply(tx, "!r:x", &redact, "@me:x", false))
            .expect("apply");
        assert!(
            core.network_search("receipt refund", 5)
                .expect("search")
                .is_empty()
        );
        assert!(
            core.network_card_view("c1", 5)
                .expect("view")
                .questions
                .is_empty()
        );
    }
}
