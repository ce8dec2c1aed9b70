//! Applying received Matrix events to the local tables: raw event, then the derived row (post,
//! vote, rating, accept, report, custom event), and redactions, which erase the text from the
//! store and the search index. Idempotent: an event already stored is skipped, so sync pages and
//! backfill pages may overlap or arrive in any order.

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::Value;

use super::NetworkError;

/// Event types of the mapping (see docs/network.md).
pub mod types {
    /// A rating of a card.
    pub const RATING: &str = "org.microlearn.rating";
    /// The asker (or a moderator) accepts an answer.
    pub const ACCEPT: &str = "org.microlearn.accept";
    /// A learner reports a post.
    pub const REPORT: &str = "org.microlearn.report";
    /// Questions, answers, comments, tips.
    pub const MESSAGE: &str = "m.room.message";
    /// Votes.
    pub const REACTION: &str = "m.reaction";
    /// Deletions.
    pub const REDACTION: &str = "m.room.redaction";
}

/// Content key naming the post kind.
pub const KIND_KEY: &str = "org.microlearn.kind";
/// Content key naming the card.
pub const CARD_KEY: &str = "org.microlearn.card";
/// Reaction key of an up vote.
pub const UP: &str = "👍";
/// Reaction key of a down vote.
pub const DOWN: &str = "👎";

/// What applying an event changed, for the caller's follow-ups (flag checks).
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub new_event: bool,
    pub rated_card: Option<String>,
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn relates(content: &Value) -> (Option<&str>, Option<&str>) {
    let r = content.get("m.relates_to");
    (
        r.and_then(|r| s(r, "rel_type")),
        r.and_then(|r| s(r, "event_id")),
    )
}

/// Applies one event of `room_id`. `backward` is true for backfill pages (older events), which
/// must not overwrite newer state (power levels).
pub(crate) fn apply(
    tx: &Transaction<'_>,
    room_id: &str,
    ev: &Value,
    my_user: &str,
    backward: bool,
) -> Result<Applied, NetworkError> {
    let mut out = Applied::default();
    let (Some(event_id), Some(sender), Some(ty)) =
        (s(ev, "event_id"), s(ev, "sender"), s(ev, "type"))
    else {
        return Ok(out); // Not an event we can use (malformed): skip, never fail the page.
    };
    let ts = ev
        .get("origin_server_ts")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let empty = Value::Object(Default::default());
    let content = ev.get("content").unwrap_or(&empty);
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO network_events(event_id, room_id, sender, type, ts, content)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            event_id,
            room_id,
            sender,
            ty,
            ts,
            content.to_string()
        ])?;
    if inserted == 0 {
        return Ok(out);
    }
    out.new_event = true;
    // Already redacted (the redaction came first, e.g. in a backfill page): keep no text.
    let redacted: bool = tx
        .prepare_cached("SELECT count(*) > 0 FROM network_redactions WHERE event_id = ?1")?
        .query_row([event_id], |r| r.get(0))?;
    if redacted && ty != types::REDACTION {
        tx.prepare_cached("UPDATE network_events SET content = '{}' WHERE event_id = ?1")?
            .execute([event_id])?;
        return Ok(out);
    }
    let (rel_type, rel_event) = relates(content);
    match ty {
        types::MESSAGE => {
            if rel_type == Some("m.replace") {
                if let (Some(target), Some(body)) = (
                    rel_event,
                    content.get("m.new_content").and_then(|n| s(n, "body")),
                ) {
                    edit_post(tx, target, sender, body)?;
                }
                return Ok(out);
            }
            let Some(body) = s(content, "body") else {
                return Ok(out);
            };
            let kind = s(content, KIND_KEY).unwrap_or("message");
            let kind = match kind {
                "question" | "answer" | "comment" | "tip" | "card_thread" => kind,
                _ => "message",
            };
            let thread_root = if rel_type == Some("m.thread") {
                rel_event
            } else {
                None
            };
            let mxc = s(content, "url").filter(|u| u.starts_with("mxc://"));
            let mime = content.get("info").and_then(|i| s(i, "mimetype"));
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO network_posts(event_id, room_id, sender, kind, card_id,
                         thread_root, body, media_mxc, mime, ts)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
                )?
                .query_row(
                    params![
                        event_id,
                        room_id,
                        sender,
                        kind,
                        s(content, CARD_KEY),
                        thread_root,
                        body,
                        mxc,
                        mime,
                        ts
                    ],
                    |r| r.get(0),
                )?;
            if kind != "card_thread" {
                tx.prepare_cached("INSERT INTO network_posts_fts(rowid, body) VALUES (?1, ?2)")?
                    .execute(params![id, body])?;
            }
        }
        types::REACTION => {
            let key = content.get("m.relates_to").and_then(|r| s(r, "key"));
            let value = match key {
                Some(UP) => 1,
                Some(DOWN) => -1,
                _ => return Ok(out),
            };
            if let (Some("m.annotation"), Some(target)) = (rel_type, rel_event) {
                tx.prepare_cached(
                    "INSERT INTO network_votes(target, voter, value, ts, event_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(target, voter) DO UPDATE SET value = excluded.value,
                         ts = excluded.ts, event_id = excluded.event_id
                     WHERE excluded.ts >= network_votes.ts",
                )?
                .execute(params![target, sender, value, ts, event_id])?;
            }
        }
        types::RATING => {
            let card = s(content, CARD_KEY);
            let stars = content.get("stars").and_then(Value::as_i64);
            let outdated = content
                .get("outdated")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if let (Some(card), Some(stars @ 1..=5)) = (card, stars) {
                tx.prepare_cached(
                    "INSERT INTO network_ratings(card_id, rater, stars, outdated, ts, room_id, event_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT(card_id, rater) DO UPDATE SET stars = excluded.stars,
                         outdated = excluded.outdated, ts = excluded.ts,
                         event_id = excluded.event_id, room_id = excluded.room_id
                     WHERE excluded.ts >= network_ratings.ts",
                )?
                .execute(params![card, sender, stars, outdated, ts, room_id, event_id])?;
                out.rated_card = Some(card.to_owned());
            }
        }
        types::ACCEPT => {
            let answer = s(content, "org.microlearn.answer_event");
            if let (Some(question), Some(answer)) = (rel_event, answer) {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO network_accepts(event_id, room_id, question, answer, sender, ts)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![event_id, room_id, question, answer, sender, ts])?;
            }
        }
        types::REPORT => {
            if let Some(target) = rel_event {
                let reason = s(content, "reason").unwrap_or("");
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO network_reports(target, reporter, reason, event_id)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![target, sender, reason, event_id])?;
            }
        }
        types::REDACTION => {
            let target = s(ev, "redacts").or_else(|| s(content, "redacts"));
            if let Some(target) = target {
                redact(tx, target, event_id)?;
            }
        }
        "m.room.power_levels" if ev.get("state_key").is_some() => {
            let sql = if backward {
                "UPDATE network_rooms SET power_levels = ?2 WHERE room_id = ?1 AND power_levels IS NULL"
            } else {
                "UPDATE network_rooms SET power_levels = ?2 WHERE room_id = ?1"
            };
            tx.prepare_cached(sql)?
                .execute(params![room_id, content.to_string()])?;
        }
        "m.room.member" if s(ev, "state_key") == Some(my_user) && !backward => {
            if let Some(m) = s(content, "membership") {
                tx.prepare_cached("UPDATE network_rooms SET membership = ?2 WHERE room_id = ?1")?
                    .execute(params![room_id, m])?;
            }
        }
        "m.room.name" if !backward => {
            if let Some(n) = s(content, "name") {
                tx.prepare_cached("UPDATE network_rooms SET name = ?2 WHERE room_id = ?1")?
                    .execute(params![room_id, n])?;
            }
        }
        t if t.starts_with("org.") || t.starts_with("com.") || t.starts_with("io.") => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO network_custom(event_id, room_id, type, sender, ts, content)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                event_id,
                room_id,
                t,
                sender,
                ts,
                content.to_string()
            ])?;
        }
        _ => {}
    }
    Ok(out)
}

/// An edit (`m.replace`) by the original sender replaces the body and its index row.
fn edit_post(
    tx: &Transaction<'_>,
    target: &str,
    sender: &str,
    body: &str,
) -> Result<(), NetworkError> {
    let row: Option<(i64, String)> = tx
        .prepare_cached("SELECT id, kind FROM network_posts WHERE event_id = ?1 AND sender = ?2")?
        .query_row(params![target, sender], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((id, kind)) = row {
        tx.prepare_cached("UPDATE network_posts SET body = ?2 WHERE id = ?1")?
            .execute(params![id, body])?;
        if kind != "card_thread" {
            tx.prepare_cached("DELETE FROM network_posts_fts WHERE rowid = ?1")?
                .execute([id])?;
            tx.prepare_cached("INSERT INTO network_posts_fts(rowid, body) VALUES (?1, ?2)")?
                .execute(params![id, body])?;
        }
    }
    Ok(())
}

/// Removes every trace of `target`'s content: its post text and index row, its vote, rating,
/// accept or report, its raw content. Remembered, so a copy arriving later stays empty.
pub(crate) fn redact(tx: &Transaction<'_>, target: &str, by: &str) -> Result<(), NetworkError> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO network_redactions(event_id, by_event) VALUES (?1, ?2)",
    )?
    .execute(params![target, by])?;
    let post: Option<i64> = tx
        .prepare_cached("SELECT id FROM network_posts WHERE event_id = ?1")?
        .query_row([target], |r| r.get(0))
        .optional()?;
    if let Some(id) = post {
        tx.prepare_cached("DELETE FROM network_posts_fts WHERE rowid = ?1")?
            .execute([id])?;
        tx.prepare_cached("DELETE FROM network_posts WHERE id = ?1")?
            .execute([id])?;
    }
    for sql in [
        "DELETE FROM network_votes WHERE event_id = ?1",
        "DELETE FROM network_ratings WHERE event_id = ?1",
        "DELETE FROM network_accepts WHERE event_id = ?1",
        "DELETE FROM network_reports WHERE event_id = ?1",
        "DELETE FROM network_custom WHERE event_id = ?1",
        "UPDATE network_events SET content = '{}' WHERE event_id = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([target])?;
    }
    Ok(())
}
