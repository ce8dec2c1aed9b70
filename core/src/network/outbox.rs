//! The offline outbox: every social act (question, answer, comment, rating, vote, accept, report,
//! tip, redaction, custom event) is a row committed in one SQLite transaction before the call
//! returns, so it survives the app being killed; [`super::deliver`] sends rows in order per room.
//!
//! *Exactly once:* each row carries a transaction id generated at enqueue (`ml-<uuid>`) and sent as
//! Matrix's `txnId` (`PUT /rooms/{id}/send/{type}/{txnId}`). The homeserver answers a repeated
//! `txnId` from the same device with the event it already made, so a resend after a crash, a
//! timeout or a lost answer never posts twice. Sign-ins reuse the stored `device_id` for that
//! reason (Synapse scopes transaction ids per device).
//!
//! *References to queued items:* an answer to a question that is itself still queued names it as
//! `local:<txn_id>`; when the row is sent, the reference is replaced by the event id the earlier
//! row received (rows of one room go in order, so it is known by then).
//!
//! *Collapse:* editing a still-queued item rewrites its row; deleting it removes the row (and the
//! queued rows that depend on it) and voids its xAPI statement. Nothing reaches the server.
//!
//! *Failures:* 429 waits `retry_after_ms`; 5xx and no answer back off exponentially (the row stays
//! pending); 401 asks the credentials provider once, then pauses with
//! [`NetworkError::TokenRevoked`]; other 4xx (403 banned / not in room, 413, 404, 400) mark the
//! row `failed` with the server's answer, kept for the shell to show, and delivery goes on.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::Value;

use super::{NetworkError, now_ms};

/// Prefix of references to items still in the outbox.
pub const LOCAL_PREFIX: &str = "local:";

/// Content key carrying the outbox transaction id of the item an event was sent from.
pub const OUTBOX_ID_KEY: &str = "org.microlearn.outbox_id";

/// Delivery state of an outbox item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent (or to be re-sent after a transient failure).
    Pending,
    /// The homeserver accepted it (`event_id` is set).
    Sent,
    /// The homeserver refused it for good; `error` holds its answer.
    Failed,
}

impl OutboxState {
    fn parse(s: &str) -> Self {
        match s {
            "sent" => OutboxState::Sent,
            "failed" => OutboxState::Failed,
            _ => OutboxState::Pending,
        }
    }
}

/// One outbox row, as the shell shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxItem {
    /// `local:<txn_id>`: how to refer to the item before (and after) it is sent.
    pub local_id: String,
    /// The Matrix transaction id.
    pub txn_id: String,
    /// Room it goes to.
    pub room_id: String,
    /// question, answer, comment, rating, vote, accept, report, tip, redact, custom, card_thread.
    pub kind: String,
    /// The Matrix event type.
    pub event_type: String,
    /// The event content (JSON text).
    pub content: String,
    /// Delivery state.
    pub state: OutboxState,
    /// The event id once sent.
    pub event_id: Option<String>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// HTTP status of the refusal (failed) or of the last transient failure.
    pub error_status: Option<u16>,
    /// The server's answer for a refusal.
    pub error: Option<String>,
    /// When it was enqueued (ms since the epoch).
    pub created_ms: i64,
}

/// A new outbox row.
#[derive(Debug, Clone)]
pub(crate) struct NewItem<'a> {
    pub room_id: &'a str,
    pub kind: &'a str,
    pub event_type: &'a str,
    pub content: Value,
    pub redacts: Option<&'a str>,
    pub media_path: Option<&'a str>,
    pub xapi_id: Option<&'a str>,
}

/// Stores `item` as pending inside the caller's transaction; returns its local id.
pub(crate) fn enqueue_in(tx: &Transaction<'_>, item: &NewItem<'_>) -> Result<String, NetworkError> {
    if item.room_id.is_empty() || item.event_type.is_empty() {
        return Err(NetworkError::InvalidArgument(
            "room and event type must not be empty".into(),
        ));
    }
    let txn = format!("ml-{}", uuid::Uuid::new_v4().simple());
    tx.prepare_cached(
        "INSERT INTO network_outbox(txn_id, room_id, kind, event_type, content, redacts,
                                    media_path, xapi_id, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        txn,
        item.room_id,
        item.kind,
        item.event_type,
        item.content.to_string(),
        item.redacts,
        item.media_path,
        item.xapi_id,
        now_ms()
    ])?;
    Ok(format!("{LOCAL_PREFIX}{txn}"))
}

pub(crate) fn txn_of(local_id: &str) -> Option<&str> {
    local_id.strip_prefix(LOCAL_PREFIX)
}

fn row_to_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxItem> {
    let txn: String = r.get("txn_id")?;
    let state: String = r.get("state")?;
    Ok(OutboxItem {
        local_id: format!("{LOCAL_PREFIX}{txn}"),
        txn_id: txn,
        room_id: r.get("room_id")?,
        kind: r.get("kind")?,
        event_type: r.get("event_type")?,
        content: r.get("content")?,
        state: OutboxState::parse(&state),
        event_id: r.get("event_id")?,
        attempts: r.get("attempts")?,
        error_status: r.get("error_status")?,
        error: r.get("error_body")?,
        created_ms: r.get("created_ms")?,
    })
}

/// Every outbox item, oldest first (sent items are kept until pruned after a week).
pub fn items(conn: &Connection) -> Result<Vec<OutboxItem>, NetworkError> {
    let mut stmt = conn.prepare_cached("SELECT * FROM network_outbox ORDER BY seq")?;
    let rows = stmt.query_map([], row_to_item)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One outbox item by its local id.
pub fn item(conn: &Connection, local_id: &str) -> Result<Option<OutboxItem>, NetworkError> {
    let Some(txn) = txn_of(local_id) else {
        return Ok(None);
    };
    Ok(conn
        .prepare_cached("SELECT * FROM network_outbox WHERE txn_id = ?1")?
        .query_row([txn], row_to_item)
        .optional()?)
}

/// Rewrites the body of a still-pending message; returns false when it is no longer pending.
pub(crate) fn edit_pending(
    tx: &Transaction<'_>,
    local_id: &str,
    body: &str,
) -> Result<bool, NetworkError> {
    let Some(txn) = txn_of(local_id) else {
        return Ok(false);
    };
    let content: Option<String> = tx
        .query_row(
            "SELECT content FROM network_outbox WHERE txn_id = ?1 AND state = 'pending'",
            [txn],
            |r| r.get(0),
        )
        .optional()?;
    let Some(content) = content else {
        return Ok(false);
    };
    let mut v: Value = serde_json::from_str(&content)
        .map_err(|e| NetworkError::InvalidArgument(format!("stored content: {e}")))?;
    v["body"] = Value::String(body.to_owned());
    tx.execute(
        "UPDATE network_outbox SET content = ?2 WHERE txn_id = ?1",
        params![txn, v.to_string()],
    )?;
    Ok(true)
}

/// Removes a still-pending item and every pending item that refers to it; returns the xAPI
/// statement ids recorded with them (to void), or `None` when the item is not pending.
pub(crate) fn delete_pending(
    tx: &Transaction<'_>,
    local_id: &str,
) -> Result<Option<Vec<String>>, NetworkError> {
    let Some(txn) = txn_of(local_id) else {
        return Ok(None);
    };
    let pending: bool = tx
        .query_row(
            "SELECT count(*) > 0 FROM network_outbox WHERE txn_id = ?1 AND state = 'pending'",
            [txn],
            |r| r.get(0),
        )
        .unwrap_or(false);
    if !pending {
        return Ok(None);
    }
    let mut voided = vec![];
    let mut todo = vec![txn.to_owned()];
    while let Some(t) = todo.pop() {
        let xapi: Option<String> = tx
            .query_row(
                "DELETE FROM network_outbox WHERE txn_id = ?1 AND state = 'pending' RETURNING xapi_id",
                [&t],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        voided.extend(xapi);
        // Pending rows whose content or redaction names this one.
        let needle = format!("\"{LOCAL_PREFIX}{t}\"");
        let local = format!("{LOCAL_PREFIX}{t}");
        let mut stmt = tx.prepare_cached(
            "SELECT txn_id FROM network_outbox
             WHERE state = 'pending' AND (instr(content, ?1) > 0 OR redacts = ?2)",
        )?;
        let deps = stmt.query_map(params![needle, local], |r| r.get::<_, String>(0))?;
        for d in deps {
            todo.push(d?);
        }
    }
    Ok(Some(voided))
}
