//! Ratings for value and veracity: 1–5 stars plus an "out of date / wrong" flag, one per learner
//! per card (a re-rating replaces the earlier one, on the server by latest timestamp and in the
//! outbox by rewriting a still-queued rating). A card flagged out of date by `flag_threshold`
//! learners is marked for the L&D team (`network_flagged_cards`) and an xAPI statement is queued.
//!
//! *One statement per flagged card, not one per device:* every device that syncs sees the
//! threshold crossed; each queues a statement with the same id (derived from the card and the
//! threshold), so the LRS stores it once (a repeated id is "already there", see the xAPI flush).

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    NetworkError,
    events::{CARD_KEY, types},
    get_setting, now_ms,
    outbox::{self, NewItem},
    posting::record_xapi,
    set_setting,
};
use crate::{Microlearn, xapi};

/// Default number of out-of-date flags that marks a card for L&D.
pub const DEFAULT_FLAG_THRESHOLD: i64 = 3;

/// A card's peer ratings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingSummary {
    /// Learners who rated it.
    pub count: u64,
    /// Mean stars (0 when unrated).
    pub average: f64,
    /// Ratings with 1, 2, 3, 4, 5 stars.
    pub histogram: [u64; 5],
    /// Learners who flagged it out of date / wrong.
    pub outdated_flags: u64,
    /// Whether it reached the flag threshold (marked for L&D).
    pub flagged: bool,
}

/// The out-of-date flag threshold.
pub fn flag_threshold(conn: &Connection) -> Result<i64, NetworkError> {
    Ok(get_setting(conn, "flag_threshold")?
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_FLAG_THRESHOLD))
}

/// A card's rating summary.
pub fn summary(conn: &Connection, card_id: &str) -> Result<RatingSummary, NetworkError> {
    let mut histogram = [0u64; 5];
    let mut stmt = conn.prepare_cached(
        "SELECT stars, count(*), sum(outdated) FROM network_ratings WHERE card_id = ?1 GROUP BY stars",
    )?;
    let mut flags = 0u64;
    let mut total = 0u64;
    let mut sum = 0u64;
    for row in stmt.query_map([card_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (stars, n, f) = row?;
        if let Some(slot) = usize::try_from(stars - 1)
            .ok()
            .and_then(|i| histogram.get_mut(i))
        {
            *slot += n as u64;
            total += n as u64;
            sum += (stars * n) as u64;
            flags += f as u64;
        }
    }
    let flagged: bool = conn
        .prepare_cached("SELECT count(*) > 0 FROM network_flagged_cards WHERE card_id = ?1")?
        .query_row([card_id], |r| r.get(0))?;
    Ok(RatingSummary {
        count: total,
        average: if total == 0 {
            0.0
        } else {
            sum as f64 / total as f64
        },
        histogram,
        outdated_flags: flags,
        flagged,
    })
}

/// After a rating changed: marks the card for L&D (and queues the statement) when its flags
/// reached the threshold for the first time. Returns whether it did.
pub(crate) fn check_flag(tx: &Transaction<'_>, card_id: &str) -> Result<bool, NetworkError> {
    let flags: i64 = tx
        .prepare_cached("SELECT count(*) FROM network_ratings WHERE card_id = ?1 AND outdated = 1")?
        .query_row([card_id], |r| r.get(0))?;
    let threshold = flag_threshold(tx)?;
    if flags < threshold {
        return Ok(false);
    }
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO network_flagged_cards(card_id, flags, flagged_ms) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![card_id, flags, now_ms()])?;
    if inserted == 0 {
        return Ok(false);
    }
    let emitter = xapi::Emitter::load(tx)?;
    let mut st = emitter.statement(
        &format!(
            "{}verbs/flagged-out-of-date",
            emitter.settings.activity_base
        ),
        xapi::model::Activity::new(
            emitter.card_iri(card_id),
            None,
            Some(xapi::builders::activity_types::CARD),
        ),
    );
    st.id = Some(flag_statement_id(card_id, threshold));
    st.result = Some(xapi::model::StatementResult {
        response: Some(format!("{flags} learners flagged this card out of date")),
        ..Default::default()
    });
    xapi::enqueue_in(tx, &st)?;
    Ok(true)
}

/// A UUID (version 8 layout) from the card id and threshold: the same on every device.
fn flag_statement_id(card_id: &str, threshold: i64) -> String {
    let d = Sha256::digest(format!("microlearn-flag\0{card_id}\0{threshold}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).hyphenated().to_string()
}

/// Cards marked for the L&D team, most flagged first.
pub fn flagged_cards(conn: &Connection) -> Result<Vec<(String, u64)>, NetworkError> {
    let mut stmt = conn.prepare_cached(
        "SELECT card_id, flags FROM network_flagged_cards ORDER BY flags DESC, card_id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Microlearn {
    /// Rates a card 1–5 stars, optionally flagging it out of date. A still-queued rating of the
    /// same card is replaced (one rating per learner per card).
    pub fn network_rate(
        &self,
        room: &str,
        card_id: &str,
        stars: u8,
        outdated: bool,
    ) -> Result<String, NetworkError> {
        if !(1..=5).contains(&stars) {
            return Err(NetworkError::InvalidArgument(format!(
                "stars must be 1 to 5, not {stars}"
            )));
        }
        if card_id.is_empty() {
            return Err(NetworkError::InvalidArgument("empty card id".into()));
        }
        let content = json!({ CARD_KEY: card_id, "stars": stars, "outdated": outdated });
        self.store().write(|tx| {
            let needle = format!("\"{CARD_KEY}\":{}", json!(card_id));
            let queued: Option<String> = tx
                .query_row(
                    "SELECT txn_id FROM network_outbox WHERE kind = 'rating' AND state = 'pending'
                     AND room_id = ?1 AND instr(content, ?2) > 0 ORDER BY seq DESC LIMIT 1",
                    params![room, needle],
                    |r| r.get(0),
                )
                .optional()?;
            let x = record_xapi(tx, xapi::verbs::RATED, Some(card_id), None)?;
            if let Some(txn) = queued {
                tx.execute(
                    "UPDATE network_outbox SET content = ?2, xapi_id = ?3 WHERE txn_id = ?1",
                    params![txn, content.to_string(), x],
                )?;
                return Ok(format!("{}{txn}", outbox::LOCAL_PREFIX));
            }
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "rating",
                    event_type: types::RATING,
                    content: content.clone(),
                    redacts: None,
                    media_path: None,
                    xapi_id: Some(&x),
                },
            )
        })
    }

    /// A card's rating summary.
    pub fn network_rating(&self, card_id: &str) -> Result<RatingSummary, NetworkError> {
        self.store().read(|c| summary(c, card_id))
    }

    /// Cards marked for L&D (flags reached the threshold), with their flag counts.
    pub fn network_flagged_cards(&self) -> Result<Vec<(String, u64)>, NetworkError> {
        self.store().read(flagged_cards)
    }

    /// Sets how many out-of-date flags mark a card for L&D (default 3).
    pub fn network_set_flag_threshold(&self, n: u32) -> Result<(), NetworkError> {
        if n == 0 {
            return Err(NetworkError::InvalidArgument(
                "threshold must be at least 1".into(),
            ));
        }
        self.store()
            .write(|tx| set_setting(tx, "flag_threshold", &n.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_statement_ids_are_stable_uuids() {
        let a = flag_statement_id("card-1", 3);
        assert_eq!(a, flag_statement_id("card-1", 3));
        assert_ne!(a, flag_statement_id("card-2", 3));
        let u = uuid::Uuid::parse_str(&a).expect("uuid");
        assert_eq!(u.get_version_num(), 8);
    }
}
