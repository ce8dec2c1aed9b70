//! Incremental `/sync` into SQLite, plus backfill of older history with `/messages`.
//!
//! *Bounded:* `/sync` runs with `timeout=0` (never long-polls: the shell decides when) and a
//! filter capping each room's timeline at `page_limit` events; a room whose timeline is
//! `limited` (first sync, or a long time offline) gets its `prev_batch` token stored and is paged
//! backwards with `/messages`, `backfill_page` events at a time, up to `max_backfill_pages` per
//! call and no older than `history_days`. Each page is one transaction that stores its events
//! *and* the token to continue from, so a sync killed at any point resumes where it stopped and
//! never applies an event twice (events are keyed by id).

use std::time::Duration;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    NetworkError,
    client::{Answer, MatrixClient},
    events, get_setting, now_ms, ratings, set_setting,
};
use crate::store::Store;

/// Options of one sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Most timeline events per room in one `/sync` answer.
    pub page_limit: u32,
    /// Events per backfill (`/messages`) page.
    pub backfill_page: u32,
    /// Most backfill pages in one call (the rest continue next call).
    pub max_backfill_pages: u32,
    /// Oldest history kept, in days.
    pub history_days: u32,
    /// Stops between pages when set.
    pub cancel: Option<crate::content::http::CancelToken>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            page_limit: 100,
            backfill_page: 500,
            max_backfill_pages: 100,
            history_days: 90,
            cancel: None,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// New events stored.
    pub new_events: u64,
    /// `/sync` requests made.
    pub sync_pages: u64,
    /// `/messages` pages fetched.
    pub backfill_pages: u64,
    /// Rooms still having older history to page back.
    pub rooms_backfilling: u64,
    /// Cards that crossed the out-of-date flag threshold in this sync.
    pub newly_flagged: Vec<String>,
    /// Time spent waiting for the homeserver's answers, ms.
    pub server_ms: u64,
    /// Time spent storing events, ms.
    pub store_ms: u64,
}

fn filter(opts: &SyncOptions) -> Value {
    json!({
        "presence": {"types": []},
        "account_data": {"types": []},
        "room": {
            "timeline": {"limit": opts.page_limit.clamp(1, 1000)},
            "state": {"lazy_load_members": true},
            "ephemeral": {"types": []},
            "account_data": {"types": []}
        }
    })
}

/// Waits out short 429s; maps the rest to typed errors.
async fn ok_or_wait(answer: Answer) -> Result<Option<Value>, NetworkError> {
    match answer {
        Answer::Ok(v) => Ok(Some(v)),
        Answer::RateLimited(ms) if ms <= 5000 => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(None)
        }
        other => other.into_result().map(Some),
    }
}

fn check_cancel(opts: &SyncOptions) -> Result<(), NetworkError> {
    match &opts.cancel {
        Some(c) if c.is_cancelled() => Err(NetworkError::Cancelled),
        _ => Ok(()),
    }
}

/// One `/sync` then backfill of rooms with a gap.
pub async fn sync(
    store: &Store,
    client: &MatrixClient,
    my_user: &str,
    opts: &SyncOptions,
) -> Result<SyncReport, NetworkError> {
    let mut report = SyncReport::default();
    check_cancel(opts)?;
    let since = store.read(|c| get_setting(c, "next_batch"))?;
    let t = std::time::Instant::now();
    let v = loop {
        if let Some(v) = ok_or_wait(client.sync(since.as_deref(), &filter(opts)).await).await? {
            break v;
        }
    };
    report.server_ms += t.elapsed().as_millis() as u64;
    report.sync_pages += 1;
    let t = std::time::Instant::now();
    let (new, flagged) = store.write(|tx| apply_sync(tx, &v, my_user))?;
    report.store_ms += t.elapsed().as_millis() as u64;
    report.new_events += new;
    report.newly_flagged.extend(flagged);
    backfill(store, client, my_user, opts, &mut report).await?;
    Ok(report)
}

fn apply_sync(
    tx: &Transaction<'_>,
    v: &Value,
    my_user: &str,
) -> Result<(u64, Vec<String>), NetworkError> {
    let mut new = 0;
    let mut rated = vec![];
    let empty = serde_json::Map::new();
    let rooms = v.get("rooms");
    let join = rooms
        .and_then(|r| r.get("join"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (room_id, room) in join {
        tx.prepare_cached("INSERT OR IGNORE INTO network_rooms(room_id) VALUES (?1)")?
            .execute([room_id])?;
        tx.prepare_cached("UPDATE network_rooms SET membership = 'join' WHERE room_id = ?1")?
            .execute([room_id])?;
        for ev in list(room, &["state", "events"]) {
            events::apply(tx, room_id, ev, my_user, false)?;
        }
        let timeline = room.get("timeline");
        for ev in timeline.map(|t| list(t, &["events"])).unwrap_or_default() {
            let a = events::apply(tx, room_id, ev, my_user, false)?;
            new += u64::from(a.new_event);
            rated.extend(a.rated_card);
        }
        let limited = timeline
            .and_then(|t| t.get("limited"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if limited
            && let Some(prev) = timeline
                .and_then(|t| t.get("prev_batch"))
                .and_then(Value::as_str)
        {
            tx.prepare_cached(
                "UPDATE network_rooms SET backfill = ?2 WHERE room_id = ?1 AND backfill IS NULL",
            )?
            .execute(params![room_id, prev])?;
        }
        if let Some(n) = room
            .get("unread_notifications")
            .and_then(|u| u.get("notification_count"))
            .and_then(Value::as_i64)
        {
            tx.prepare_cached("UPDATE network_rooms SET unread = ?2 WHERE room_id = ?1")?
                .execute(params![room_id, n])?;
        }
    }
    let leave = rooms
        .and_then(|r| r.get("leave"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (room_id, room) in leave {
        let mut membership = "leave".to_owned();
        for ev in room
            .get("timeline")
            .map(|t| list(t, &["events"]))
            .unwrap_or_default()
        {
            events::apply(tx, room_id, ev, my_user, false)?;
            if ev.get("type").and_then(Value::as_str) == Some("m.room.member")
                && ev.get("state_key").and_then(Value::as_str) == Some(my_user)
                && let Some(m) = ev
                    .get("content")
                    .and_then(|c| c.get("membership"))
                    .and_then(Value::as_str)
            {
                membership = m.to_owned();
            }
        }
        tx.prepare_cached(
            "INSERT INTO network_rooms(room_id, membership) VALUES (?1, ?2)
             ON CONFLICT(room_id) DO UPDATE SET membership = excluded.membership, backfill = NULL",
        )?
        .execute(params![room_id, membership])?;
    }
    let flagged = flag_checks(tx, rated)?;
    if let Some(next) = v.get("next_batch").and_then(Value::as_str) {
        set_setting(tx, "next_batch", next)?;
    }
    Ok((new, flagged))
}

fn flag_checks(tx: &Transaction<'_>, mut rated: Vec<String>) -> Result<Vec<String>, NetworkError> {
    rated.sort();
    rated.dedup();
    let mut flagged = vec![];
    for card in rated {
        if ratings::check_flag(tx, &card)? {
            flagged.push(card);
        }
    }
    Ok(flagged)
}

fn list<'a>(v: &'a Value, path: &[&str]) -> Vec<&'a Value> {
    let mut cur = Some(v);
    for p in path {
        cur = cur.and_then(|c| c.get(*p));
    }
    cur.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

async fn backfill(
    store: &Store,
    client: &MatrixClient,
    my_user: &str,
    opts: &SyncOptions,
    report: &mut SyncReport,
) -> Result<(), NetworkError> {
    let cutoff = now_ms() - i64::from(opts.history_days) * 24 * 3600 * 1000;
    while report.backfill_pages < u64::from(opts.max_backfill_pages) {
        check_cancel(opts)?;
        let next: Option<(String, String)> = store.read(|c| {
            Ok::<_, NetworkError>(
                c.query_row(
                    "SELECT room_id, backfill FROM network_rooms
                     WHERE backfill IS NOT NULL AND membership = 'join' ORDER BY room_id LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            )
        })?;
        let Some((room, from)) = next else {
            break;
        };
        let t = std::time::Instant::now();
        let answer = client
            .messages_back(&room, &from, opts.backfill_page.clamp(1, 1000))
            .await;
        report.server_ms += t.elapsed().as_millis() as u64;
        let v = match answer {
            // Left or banned since: stop paging that room, keep what is stored.
            Answer::Refused { status: 403, .. } => {
                store.write(|tx| {
                    tx.execute(
                        "UPDATE network_rooms SET backfill = NULL WHERE room_id = ?1",
                        [&room],
                    )?;
                    Ok::<_, NetworkError>(())
                })?;
                continue;
            }
            other => match ok_or_wait(other).await? {
                Some(v) => v,
                None => continue,
            },
        };
        report.backfill_pages += 1;
        let t = std::time::Instant::now();
        let (new, flagged) = store.write(|tx| {
            let chunk = list(&v, &["chunk"]);
            let mut new = 0u64;
            let mut oldest = i64::MAX;
            let mut rated = vec![];
            for ev in &chunk {
                let a = events::apply(tx, &room, ev, my_user, true)?;
                new += u64::from(a.new_event);
                rated.extend(a.rated_card);
                if let Some(ts) = ev.get("origin_server_ts").and_then(Value::as_i64) {
                    oldest = oldest.min(ts);
                }
            }
            let end = v.get("end").and_then(Value::as_str);
            // Done when the server has nothing older, or the page was all known, or too old.
            let done = chunk.is_empty() || end.is_none() || new == 0 || oldest < cutoff;
            tx.prepare_cached("UPDATE network_rooms SET backfill = ?2 WHERE room_id = ?1")?
                .execute(params![room, if done { None } else { end }])?;
            let flagged = flag_checks(tx, rated)?;
            Ok::<_, NetworkError>((new, flagged))
        })?;
        report.store_ms += t.elapsed().as_millis() as u64;
        report.new_events += new;
        report.newly_flagged.extend(flagged);
    }
    report.rooms_backfilling = store.read(|c| {
        Ok::<_, NetworkError>(c.query_row(
            "SELECT count(*) FROM network_rooms WHERE backfill IS NOT NULL AND membership = 'join'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    })?;
    Ok(())
}
