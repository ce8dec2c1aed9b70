//! Delivering the outbox: rows in order per room, each with its stable transaction id, and
//! every answer of the homeserver classified (see the failure rules in [`super::outbox`]).
//! A row is never marked in flight: a resend of the same transaction id is idempotent on the
//! server, so a crash (or two deliveries racing) at any point can only resend, never duplicate.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use super::{
    NetworkError,
    client::{Answer, MatrixClient},
    now_ms,
    outbox::{LOCAL_PREFIX, OUTBOX_ID_KEY, txn_of},
};
use crate::{store::Store, xapi::CredentialProvider};

/// Longest back-off after 5xx / no answer.
const MAX_BACKOFF_MS: i64 = 5 * 60 * 1000;

/// What one [`deliver`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    /// Items the homeserver accepted.
    pub sent: u64,
    /// Items refused for good in this call (kept as `failed`).
    pub failed: u64,
    /// Items still pending after the call.
    pub pending: u64,
    /// Set when the server asked to wait (429) longer than the call may: retry after this long.
    pub retry_after_ms: Option<u64>,
    /// Set when delivery stopped on a transient failure (server down, 5xx).
    pub stopped_by: Option<String>,
}

/// Options of one delivery run.
#[derive(Debug, Clone)]
pub struct DeliverOptions {
    /// Longest 429 wait done inside the call; longer ones end the call with `retry_after_ms`.
    pub max_inline_wait: Duration,
    /// Most items sent in one call.
    pub max_items: u64,
    /// Stops between items when set.
    pub cancel: Option<crate::content::http::CancelToken>,
    /// Largest media file uploaded for a tip.
    pub media_budget_bytes: u64,
}

impl Default for DeliverOptions {
    fn default() -> Self {
        Self {
            max_inline_wait: Duration::from_secs(5),
            max_items: 10_000,
            cancel: None,
            media_budget_bytes: super::media::DEFAULT_UPLOAD_BUDGET,
        }
    }
}

struct Row {
    seq: i64,
    txn: String,
    room: String,
    kind: String,
    event_type: String,
    content: String,
    redacts: Option<String>,
    media_path: Option<String>,
    media_mxc: Option<String>,
    attempts: i64,
}

/// The next pending row that may go now: the oldest pending row of its room, due.
fn next_row(conn: &Connection, now: i64) -> Result<Option<Row>, NetworkError> {
    Ok(conn
        .prepare_cached(
            "SELECT seq, txn_id, room_id, kind, event_type, content, redacts, media_path,
                    media_mxc, attempts
             FROM network_outbox o
             WHERE state = 'pending' AND next_try_ms <= ?1
               AND NOT EXISTS (SELECT 1 FROM network_outbox p
                               WHERE p.state = 'pending' AND p.room_id = o.room_id AND p.seq < o.seq)
             ORDER BY seq LIMIT 1",
        )?
        .query_row([now], |r| {
            Ok(Row {
                seq: r.get(0)?,
                txn: r.get(1)?,
                room: r.get(2)?,
                kind: r.get(3)?,
                event_type: r.get(4)?,
                content: r.get(5)?,
                redacts: r.get(6)?,
                media_path: r.get(7)?,
                media_mxc: r.get(8)?,
                attempts: r.get(9)?,
            })
        })
        .optional()?)
}

enum Resolved {
    Ready(String),
    /// The item it refers to failed or vanished.
    Broken(String),
}

/// Replaces a `local:` reference by the event id its row received.
fn resolve_ref(conn: &Connection, r: &str) -> Result<Resolved, NetworkError> {
    let Some(txn) = txn_of(r) else {
        return Ok(Resolved::Ready(r.to_owned()));
    };
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT state, event_id FROM network_outbox WHERE txn_id = ?1",
            [txn],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        Some((s, Some(ev))) if s == "sent" => Resolved::Ready(ev),
        Some((s, _)) => Resolved::Broken(format!("depends on {r}, which is {s}")),
        None => Resolved::Broken(format!("depends on {r}, which is no longer queued")),
    })
}

/// Resolves the references inside `m.relates_to` and the `org.microlearn.*` fields naming events.
fn resolve_content(conn: &Connection, v: &mut Value) -> Result<Option<String>, NetworkError> {
    fn walk(
        conn: &Connection,
        v: &mut Value,
        broken: &mut Option<String>,
    ) -> Result<(), NetworkError> {
        match v {
            Value::String(s) if s.starts_with(LOCAL_PREFIX) => match resolve_ref(conn, s)? {
                Resolved::Ready(ev) => *s = ev,
                Resolved::Broken(why) => *broken = Some(why),
            },
            Value::Object(m) => {
                for (_, x) in m.iter_mut() {
                    walk(conn, x, broken)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut broken = None;
    if let Value::Object(m) = v {
        for (k, x) in m.iter_mut() {
            if k == "m.relates_to" || (k.starts_with("org.microlearn.") && k.ends_with("event")) {
                walk(conn, x, &mut broken)?;
            }
        }
    }
    Ok(broken)
}

fn mark_sent(store: &Store, seq: i64, event_id: &str) -> Result<(), NetworkError> {
    store.write(|tx| {
        tx.prepare_cached(
            "UPDATE network_outbox SET state = 'sent', event_id = ?2, error_status = NULL,
                    error_body = NULL WHERE seq = ?1",
        )?
        .execute(params![seq, event_id])?;
        Ok::<_, NetworkError>(())
    })
}

fn mark_failed(store: &Store, seq: i64, status: u16, body: &str) -> Result<(), NetworkError> {
    store.write(|tx| {
        tx.execute(
            "UPDATE network_outbox SET state = 'failed', error_status = ?2, error_body = ?3
             WHERE seq = ?1",
            params![seq, status, body],
        )?;
        Ok::<_, NetworkError>(())
    })
}

fn mark_retry(store: &Store, row: &Row, status: u16, body: &str) -> Result<i64, NetworkError> {
    let backoff = (1000i64 << row.attempts.clamp(0, 16)).min(MAX_BACKOFF_MS);
    store.write(|tx| {
        tx.execute(
            "UPDATE network_outbox SET attempts = attempts + 1, next_try_ms = ?2,
                    error_status = ?3, error_body = ?4 WHERE seq = ?1",
            params![row.seq, now_ms() + backoff, status, body],
        )?;
        Ok::<_, NetworkError>(())
    })?;
    Ok(backoff)
}

/// Makes every pending row due now (the shell saw connectivity return).
pub fn retry_now(store: &Store) -> Result<u64, NetworkError> {
    store.write(|tx| {
        Ok(tx.execute(
            "UPDATE network_outbox SET next_try_ms = 0 WHERE state = 'pending'",
            [],
        )? as u64)
    })
}

fn token(
    provider: &dyn CredentialProvider,
    rejected: bool,
) -> Result<Option<String>, NetworkError> {
    match provider.credentials(rejected) {
        None => Ok(None),
        Some(crate::xapi::Credentials::Bearer { token }) => Ok(Some(token)),
        Some(crate::xapi::Credentials::Basic { .. }) => Err(NetworkError::InvalidArgument(
            "a Matrix homeserver takes a bearer access token, not user/password".into(),
        )),
    }
}

/// The access token from the provider, or [`NetworkError::NotSignedIn`].
pub(crate) fn require_token(provider: &dyn CredentialProvider) -> Result<String, NetworkError> {
    token(provider, false)?.ok_or(NetworkError::NotSignedIn)
}

/// Sends pending items in order per room until none is due, the server needs a pause, or
/// `max_items` were sent.
pub async fn deliver(
    store: &Store,
    client: &mut MatrixClient,
    provider: &dyn CredentialProvider,
    opts: &DeliverOptions,
) -> Result<SendReport, NetworkError> {
    let mut report = SendReport::default();
    let mut refreshed = false;
    prune_sent(store)?;
    while report.sent + report.failed < opts.max_items {
        if opts.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Err(NetworkError::Cancelled);
        }
        let Some(mut row) = store.read(|c| next_row(c, now_ms()))? else {
            break;
        };
        let mut content: Value = serde_json::from_str(&row.content)
            .map_err(|e| NetworkError::InvalidArgument(format!("stored content: {e}")))?;
        let broken = store.read(|c| resolve_content(c, &mut content))?;
        let redacts = match &row.redacts {
            Some(r) => match store.read(|c| resolve_ref(c, r))? {
                Resolved::Ready(ev) => Some(ev),
                Resolved::Broken(why) => {
                    mark_failed(store, row.seq, 0, &why)?;
                    report.failed += 1;
                    continue;
                }
            },
            None => None,
        };
        if let Some(why) = broken {
            mark_failed(store, row.seq, 0, &why)?;
            report.failed += 1;
            continue;
        }
        if let Some(path) = row.media_path.clone() {
            if row.media_mxc.is_none() {
                match super::media::upload_for_row(store, client, row.seq, &path, &content, opts)
                    .await
                {
                    Ok(mxc) => row.media_mxc = Some(mxc),
                    Err(NetworkError::MediaTooLarge { bytes, budget }) => {
                        let why = format!("media is {bytes} bytes, over the {budget}-byte budget");
                        mark_failed(store, row.seq, 413, &why)?;
                        report.failed += 1;
                        continue;
                    }
                    // The media repository refused the file for good (413 too large, 403 …).
                    Err(NetworkError::Server {
                        status: status @ 400..=499,
                        message,
                        ..
                    }) => {
                        mark_failed(store, row.seq, status, &message)?;
                        report.failed += 1;
                        continue;
                    }
                    Err(NetworkError::Unreachable(why)) => {
                        mark_retry(store, &row, 0, &why)?;
                        report.stopped_by = Some(why);
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if let Some(mxc) = &row.media_mxc {
                content["url"] = Value::String(mxc.clone());
            }
        }
        if redacts.is_none() {
            // Lets any reader (and the exactly-once checks) tell one outbox item's event.
            content[OUTBOX_ID_KEY] = Value::String(row.txn.clone());
        }
        let answer = match &redacts {
            Some(ev) => {
                let reason = content.get("reason").and_then(Value::as_str).unwrap_or("");
                client.redact(&row.room, ev, &row.txn, reason).await
            }
            None => {
                client
                    .send(&row.room, &row.event_type, &row.txn, &content)
                    .await
            }
        };
        match answer {
            Answer::Ok(v) => {
                let ev = v
                    .get("event_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                mark_sent(store, row.seq, ev)?;
                report.sent += 1;
                let _ = &row.kind;
            }
            Answer::RateLimited(ms) => {
                if Duration::from_millis(ms) <= opts.max_inline_wait {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    continue;
                }
                store.write(|tx| {
                    tx.execute(
                        "UPDATE network_outbox SET next_try_ms = ?2, error_status = 429 WHERE seq = ?1",
                        params![row.seq, now_ms() + ms as i64],
                    )?;
                    Ok::<_, NetworkError>(())
                })?;
                report.retry_after_ms = Some(ms);
                break;
            }
            Answer::Unauthorized(body) => {
                if !refreshed && let Some(t) = token(provider, true)? {
                    refreshed = true;
                    client.set_token(Some(t));
                    continue;
                }
                store.write(|tx| {
                    super::set_setting(tx, "paused", &format!("401 {body}"))?;
                    Ok::<_, NetworkError>(())
                })?;
                return Err(NetworkError::TokenRevoked);
            }
            Answer::Refused { status, body, .. } => {
                mark_failed(store, row.seq, status, &body)?;
                report.failed += 1;
            }
            Answer::ServerError(status, body) => {
                mark_retry(store, &row, status, &body)?;
                report.stopped_by = Some(format!("HTTP {status}: {body}"));
                break;
            }
            Answer::NoAnswer(why) => {
                mark_retry(store, &row, 0, &why)?;
                report.stopped_by = Some(why);
                break;
            }
        }
    }
    report.pending = store.read(|c| {
        Ok::<_, NetworkError>(c.query_row(
            "SELECT count(*) FROM network_outbox WHERE state = 'pending'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    })?;
    Ok(report)
}

/// Sent rows older than a week are dropped (the synced events are the record by then).
fn prune_sent(store: &Store) -> Result<(), NetworkError> {
    store.write(|tx| {
        tx.execute(
            "DELETE FROM network_outbox WHERE state = 'sent' AND created_ms < ?1",
            [now_ms() - 7 * 24 * 3600 * 1000],
        )?;
        Ok::<_, NetworkError>(())
    })
}
