//! Questions and answers, the read side (posting is in [`super::posting`]): the card view (rating summary, top questions with their best answer), questions
//! sorted by votes or recency, and "unanswered in my topics" for experts.
//!
//! *Accepted answer:* an `org.microlearn.accept` event counts only when its sender asked the
//! question or holds the room's moderator power level (≥ 50, or the level the room sets for the
//! event type); checked when reading, so the order events arrive in does not matter. The latest
//! valid accept wins. *Best answer:* the accepted one, else the one with the most votes (newest
//! first among equals). Posts reported by `report_threshold` learners are hidden everywhere.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use super::{
    NetworkError,
    events::{CARD_KEY, types},
    moderation::report_threshold,
    ratings::{self, RatingSummary},
};
use crate::Microlearn;

/// Power level that makes a moderator (Matrix's convention).
pub const MODERATOR_LEVEL: i64 = 50;

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
pub(crate) fn accepted_answer(
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::network::events::{self, KIND_KEY, UP};

    fn core() -> (tempfile::TempDir, Microlearn) {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        (dir, core)
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
