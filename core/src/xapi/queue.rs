//! The durable statement queue in the core's SQLite database.
//!
//! *Why these states:* a statement is `pending` until a flush claims it into a batch
//! (`in-flight`, with the batch id); it is deleted only when the LRS acknowledged it, or moved to
//! `dead` with the LRS's answer when the LRS refused it on its own. A batch's body is the
//! concatenation of its rows' frozen JSON in queue order, so re-sending a batch sends exactly the
//! same bytes. Claiming happens in one write transaction, and flushes hold a per-database lock
//! ([`super::flush`], [`super::flush_lock`]), so no two requests in flight ever hold the same
//! statement. In-flight rows left by a killed process are returned to pending when the core next
//! opens the database (or the next flush starts); `first_sent_at` remembers that they may
//! already be on the LRS.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::Value;

use super::{XapiError, model::Statement, now_ms, validate};

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE xapi_queue (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,      -- statement UUID, lower case
    body          TEXT NOT NULL,             -- frozen JSON, sent as is
    state         INTEGER NOT NULL DEFAULT 0, -- 0 pending, 1 in-flight, 2 dead letter
    batch_id      INTEGER,
    enqueued_at   INTEGER NOT NULL,          -- ms since epoch
    first_sent_at INTEGER,                   -- first time it may have reached the LRS
    attempts      INTEGER NOT NULL DEFAULT 0,
    dead_status   INTEGER,
    dead_answer   TEXT,
    dead_at       INTEGER
);
CREATE INDEX xapi_queue_state ON xapi_queue(state, seq);
CREATE TABLE xapi_batches (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at    INTEGER NOT NULL,
    first_sent_at INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    statements    INTEGER NOT NULL,
    bytes         INTEGER NOT NULL
);
CREATE TABLE xapi_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

const PENDING: i64 = 0;
const IN_FLIGHT: i64 = 1;
const DEAD: i64 = 2;

/// A statement's UUID as stored in the queue (lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct StatementId(pub String);

impl StatementId {
    /// The UUID text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StatementId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<StatementId> for String {
    fn from(id: StatementId) -> String {
        id.0
    }
}

/// Validates `statement`, assigns a UUID v4 if it has none, and stores its frozen JSON as pending,
/// inside the caller's transaction (so a quiz answer and its statement commit together).
pub fn enqueue_in(tx: &Transaction<'_>, statement: &Statement) -> Result<StatementId, XapiError> {
    enqueue_value_in(tx, statement.to_value())
}

/// Like [`enqueue_in`] for a statement given as JSON text (from the shells).
pub fn enqueue_json_in(tx: &Transaction<'_>, json: &str) -> Result<StatementId, XapiError> {
    let value: Value = serde_json::from_str(json).map_err(|e| XapiError::NotJson(e.to_string()))?;
    enqueue_value_in(tx, value)
}

/// Like [`enqueue_in`] for a statement given as a JSON value.
pub fn enqueue_value_in(tx: &Transaction<'_>, mut value: Value) -> Result<StatementId, XapiError> {
    let version = super::builders::XapiSettings::load(tx)?.version;
    if let Value::Object(map) = &mut value
        && !map.contains_key("id")
    {
        map.insert(
            "id".into(),
            Value::String(uuid::Uuid::new_v4().hyphenated().to_string()),
        );
    }
    validate::validate_statement(&value, version)?;
    check_not_future(&value)?;
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| XapiError::Config("statement id vanished".into()))?;
    let body = serde_json::to_string(&value).map_err(|e| XapiError::NotJson(e.to_string()))?;
    let existing: Option<String> = tx
        .query_row("SELECT body FROM xapi_queue WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .optional()?;
    match existing {
        // Enqueueing the very same statement twice is idempotent, like sending it twice.
        Some(old) if old == body => {}
        Some(_) => {
            return Err(validate::ValidationError::new(
                "id",
                validate::ValidationKind::Conflict,
                "another statement with this id is already queued",
            )
            .into());
        }
        None => {
            tx.prepare_cached("INSERT INTO xapi_queue(id, body, enqueued_at) VALUES (?1, ?2, ?3)")?
                .execute(params![id, body, now_ms()])?;
        }
    }
    Ok(StatementId(id))
}

/// Statements are records of the past: a timestamp more than a minute ahead of the device clock
/// is a bug in the caller (or a wrong clock) and would be refused or misfiled by the LRS.
fn check_not_future(v: &Value) -> Result<(), validate::ValidationError> {
    let Some(ts) = v.get("timestamp").and_then(Value::as_str) else {
        return Ok(());
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(ts)
        && t.timestamp_millis() > now_ms() + 60_000
    {
        return Err(validate::ValidationError::new(
            "timestamp",
            validate::ValidationKind::BadTimestamp,
            format!("{ts} is in the future"),
        ));
    }
    Ok(())
}

/// A claimed batch: its id, its statements' ids (queue order) and its frozen body.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    pub id: i64,
    pub ids: Vec<String>,
    pub body: String,
    /// Earliest time any of its statements may have reached the LRS.
    pub first_sent_at: Option<i64>,
}

/// Claims the oldest pending statements into a new in-flight batch, at most `max_count` and
/// `max_bytes` (at least one statement, even if it alone is larger).
pub(crate) fn claim_batch(
    tx: &Transaction<'_>,
    max_count: usize,
    max_bytes: usize,
) -> Result<Option<Batch>, XapiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT seq, id, body, first_sent_at FROM xapi_queue WHERE state = 0 ORDER BY seq LIMIT ?1",
    )?;
    let mut rows = stmt.query([max_count.max(1) as i64])?;
    let mut seqs = vec![];
    let mut ids = vec![];
    let mut body = String::from("[");
    let mut first_sent_at: Option<i64> = None;
    while let Some(r) = rows.next()? {
        let part: String = r.get(2)?;
        if !ids.is_empty() && body.len() + part.len() + 2 > max_bytes {
            break;
        }
        if !ids.is_empty() {
            body.push(',');
        }
        body.push_str(&part);
        seqs.push(r.get::<_, i64>(0)?);
        ids.push(r.get::<_, String>(1)?);
        if let Some(t) = r.get::<_, Option<i64>>(3)? {
            first_sent_at = Some(first_sent_at.map_or(t, |f| f.min(t)));
        }
    }
    drop(rows);
    drop(stmt);
    if ids.is_empty() {
        return Ok(None);
    }
    body.push(']');
    tx.execute(
        "INSERT INTO xapi_batches(created_at, statements, bytes) VALUES (?1, ?2, ?3)",
        params![now_ms(), ids.len() as i64, body.len() as i64],
    )?;
    let id = tx.last_insert_rowid();
    let mut up =
        tx.prepare_cached("UPDATE xapi_queue SET state = 1, batch_id = ?1 WHERE seq = ?2")?;
    for seq in &seqs {
        up.execute(params![id, seq])?;
    }
    Ok(Some(Batch {
        id,
        ids,
        body,
        first_sent_at,
    }))
}

/// Records that `batch` is about to be sent (possibly again): from now on its statements may be
/// on the LRS. Returns the batch's first send time.
pub(crate) fn mark_sending(tx: &Transaction<'_>, batch: i64, now: i64) -> Result<i64, XapiError> {
    tx.execute(
        "UPDATE xapi_batches SET attempts = attempts + 1,
             first_sent_at = coalesce(first_sent_at, ?2) WHERE id = ?1",
        params![batch, now],
    )?;
    tx.execute(
        "UPDATE xapi_queue SET attempts = attempts + 1, first_sent_at = coalesce(first_sent_at, ?2)
         WHERE batch_id = ?1 AND state = 1",
        params![batch, now],
    )?;
    Ok(tx
        .query_row(
            "SELECT first_sent_at FROM xapi_batches WHERE id = ?1",
            [batch],
            |r| r.get::<_, Option<i64>>(0),
        )?
        .unwrap_or(now))
}

/// The LRS holds these statements: delete them (the only way a row leaves the queue).
pub(crate) fn acknowledge(tx: &Transaction<'_>, ids: &[String]) -> Result<u64, XapiError> {
    let mut del = tx.prepare_cached("DELETE FROM xapi_queue WHERE id = ?1 AND state != 2")?;
    let mut n = 0;
    for id in ids {
        n += del.execute([id.to_ascii_lowercase()])? as u64;
    }
    let total: i64 = get_meta(tx, "delivered_total")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    set_meta(tx, "delivered_total", &(total + n as i64).to_string())?;
    Ok(n)
}

/// The LRS refused this statement on its own: keep it aside with the LRS's answer.
pub(crate) fn dead_letter(
    tx: &Transaction<'_>,
    id: &str,
    status: u16,
    answer: &str,
) -> Result<(), XapiError> {
    tx.execute(
        "UPDATE xapi_queue SET state = 2, batch_id = NULL, dead_status = ?2, dead_answer = ?3,
             dead_at = ?4 WHERE id = ?1",
        params![id, status, answer, now_ms()],
    )?;
    Ok(())
}

/// The LRS refused the whole batch sent at `sent_now` (a 4xx: by the spec, none of it was
/// stored): rows whose first send was that one are marked never sent again. Returns the
/// earliest time any row of the batch may still have reached the LRS (an earlier send).
pub(crate) fn unmark_refused(
    tx: &Transaction<'_>,
    batch: i64,
    sent_now: i64,
) -> Result<Option<i64>, XapiError> {
    tx.execute(
        "UPDATE xapi_queue SET first_sent_at = NULL
         WHERE batch_id = ?1 AND state = 1 AND first_sent_at = ?2",
        params![batch, sent_now],
    )?;
    tx.execute(
        "UPDATE xapi_batches SET first_sent_at = NULL WHERE id = ?1 AND first_sent_at = ?2",
        params![batch, sent_now],
    )?;
    Ok(tx.query_row(
        "SELECT min(first_sent_at) FROM xapi_queue WHERE batch_id = ?1 AND state = 1",
        [batch],
        |r| r.get(0),
    )?)
}

/// Returns the given statements (or the whole batch) to pending, keeping their queue order.
pub(crate) fn release(tx: &Transaction<'_>, batch: i64) -> Result<(), XapiError> {
    tx.execute(
        "UPDATE xapi_queue SET state = 0, batch_id = NULL WHERE batch_id = ?1 AND state = 1",
        [batch],
    )?;
    tx.execute("DELETE FROM xapi_batches WHERE id = ?1", [batch])?;
    Ok(())
}

/// Returns every in-flight row to pending (at the start of a flush, under the flush lock: any
/// in-flight row then belongs to a flush that died or was cancelled).
pub(crate) fn recover_in_flight(tx: &Transaction<'_>) -> Result<u64, XapiError> {
    let n = tx.execute(
        "UPDATE xapi_queue SET state = 0, batch_id = NULL WHERE state = 1",
        [],
    )?;
    tx.execute("DELETE FROM xapi_batches", [])?;
    Ok(n as u64)
}

/// Reads a value of the module's key-value table.
pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>, XapiError> {
    Ok(crate::store::settings::get(conn, "xapi_meta", key)?)
}

/// Sets a value of the module's key-value table.
pub(crate) fn set_meta(tx: &Connection, key: &str, value: &str) -> Result<(), XapiError> {
    Ok(crate::store::settings::put(tx, "xapi_meta", key, value)?)
}

/// Removes a value of the module's key-value table.
pub(crate) fn del_meta(tx: &Connection, key: &str) -> Result<(), XapiError> {
    tx.execute("DELETE FROM xapi_meta WHERE key = ?1", [key])?;
    Ok(())
}

/// What the queue holds and how delivery goes; readable by the shells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct XapiStatus {
    /// Statements waiting for the LRS (pending + in flight).
    pub depth: u64,
    /// Statements not yet claimed by a flush.
    pub pending: u64,
    /// Statements in a batch being sent.
    pub in_flight: u64,
    /// Statements the LRS refused, kept with its answer.
    pub dead_letters: u64,
    /// Age of the oldest waiting statement, in milliseconds.
    pub oldest_pending_age_ms: Option<i64>,
    /// Statements acknowledged by the LRS since the database was created.
    pub delivered_total: u64,
    /// The last delivery error, if the last flush did not end cleanly.
    pub last_error: Option<String>,
    /// The queue is paused until then (ms since epoch): `Retry-After`, or credentials refused.
    pub paused_until_ms: Option<i64>,
    /// Why it is paused (`retry-after`, `auth`).
    pub pause_reason: Option<String>,
    /// Backoff after failures: do not flush before then (ms since epoch).
    pub next_attempt_at_ms: Option<i64>,
    /// Failed attempts in a row.
    pub consecutive_failures: u32,
}

/// Reads the queue's status.
pub fn status(conn: &Connection) -> Result<XapiStatus, XapiError> {
    let mut st = XapiStatus::default();
    {
        let mut q = conn.prepare_cached("SELECT state, count(*) FROM xapi_queue GROUP BY state")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let n = r.get::<_, i64>(1)? as u64;
            match r.get::<_, i64>(0)? {
                PENDING => st.pending = n,
                IN_FLIGHT => st.in_flight = n,
                DEAD => st.dead_letters = n,
                _ => {}
            }
        }
    }
    st.depth = st.pending + st.in_flight;
    let oldest: Option<i64> = conn.query_row(
        "SELECT min(enqueued_at) FROM xapi_queue WHERE state IN (0, 1)",
        [],
        |r| r.get(0),
    )?;
    st.oldest_pending_age_ms = oldest.map(|t| (now_ms() - t).max(0));
    let num = |k: &str| -> Result<Option<i64>, XapiError> {
        Ok(get_meta(conn, k)?.and_then(|v| v.parse().ok()))
    };
    st.delivered_total = num("delivered_total")?.unwrap_or(0) as u64;
    st.last_error = get_meta(conn, "last_error")?;
    st.paused_until_ms = num("paused_until")?;
    st.pause_reason = get_meta(conn, "pause_reason")?;
    st.next_attempt_at_ms = num("next_attempt_at")?;
    st.consecutive_failures = num("consecutive_failures")?.unwrap_or(0) as u32;
    Ok(st)
}

/// A statement the LRS refused, with its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// The statement's id.
    pub id: String,
    /// The frozen statement JSON.
    pub statement: String,
    /// The LRS's HTTP status.
    pub status: u16,
    /// The LRS's answer body.
    pub answer: String,
    /// When it was refused (ms since epoch).
    pub dead_at_ms: i64,
}

/// Lists the dead letters, oldest first.
pub fn dead_letters(conn: &Connection) -> Result<Vec<DeadLetter>, XapiError> {
    let mut q = conn.prepare_cached(
        "SELECT id, body, coalesce(dead_status, 0), coalesce(dead_answer, ''), coalesce(dead_at, 0)
         FROM xapi_queue WHERE state = 2 ORDER BY seq",
    )?;
    let rows = q.query_map([], |r| {
        Ok(DeadLetter {
            id: r.get(0)?,
            statement: r.get(1)?,
            status: r.get::<_, i64>(2)? as u16,
            answer: r.get(3)?,
            dead_at_ms: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The frozen JSON of one queued statement (any state), if it is in the queue.
pub(crate) fn body_of(conn: &Connection, id: &str) -> Result<Option<String>, XapiError> {
    Ok(conn
        .query_row(
            "SELECT body FROM xapi_queue WHERE id = ?1",
            [id.to_ascii_lowercase()],
            |r| r.get(0),
        )
        .optional()?)
}

/// The frozen JSON of every statement still waiting (pending or in flight), in queue order.
pub fn waiting_statements(conn: &Connection) -> Result<Vec<(String, String)>, XapiError> {
    let mut q =
        conn.prepare_cached("SELECT id, body FROM xapi_queue WHERE state IN (0, 1) ORDER BY seq")?;
    let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl crate::Microlearn {
    /// Validates and durably queues one statement given as JSON text; returns its id.
    pub fn enqueue_statement(&self, json: &str) -> crate::Result<String> {
        let id = self
            .store()
            .write(|tx| enqueue_json_in(tx, json).map_err(crate::Error::from))?;
        Ok(id.0)
    }

    /// Queues several statements in one transaction (all or nothing); returns their ids.
    pub fn enqueue_statements(&self, statements: &[Statement]) -> crate::Result<Vec<String>> {
        self.store().write(|tx| {
            statements
                .iter()
                .map(|s| {
                    enqueue_in(tx, s)
                        .map(String::from)
                        .map_err(crate::Error::from)
                })
                .collect()
        })
    }

    /// The queue's depth, oldest age, in-flight count, dead letters, last error and pause state.
    pub fn xapi_status(&self) -> crate::Result<XapiStatus> {
        self.store().read(|c| status(c).map_err(crate::Error::from))
    }

    /// The statements the LRS refused, with its answers.
    pub fn dead_letters(&self) -> crate::Result<Vec<DeadLetter>> {
        self.store()
            .read(|c| dead_letters(c).map_err(crate::Error::from))
    }

    /// Puts a dead letter back in the queue (after the LRS was fixed); it goes to the end.
    pub fn retry_dead_letter(&self, id: &str) -> crate::Result<()> {
        self.store().write(|tx| {
            let n = tx.execute(
                "UPDATE xapi_queue SET state = 0, seq = (SELECT max(seq) + 1 FROM xapi_queue),
                     dead_status = NULL, dead_answer = NULL, dead_at = NULL
                 WHERE id = ?1 AND state = 2",
                [id.to_ascii_lowercase()],
            )?;
            if n == 0 {
                return Err(XapiError::NotFound(id.into()).into());
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Error, Microlearn, xapi::XapiError};

    use super::*;

    fn st(i: u32, ts: &str) -> String {
        serde_json::json!({
            "actor": {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": format!("https://microlearn.example/cards/{i}")},
            "timestamp": ts
        })
        .to_string()
    }

    fn xapi_err(e: Error) -> XapiError {
        match e {
            Error::Xapi(x) => x,
            other => panic!("expected an xapi error, got {other}"),
        }
    }

    #[test]
    fn enqueue_assigns_ids_keeps_fifo_and_is_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        let a = core
            .enqueue_statement(&st(1, "2026-01-01T00:00:00.000Z"))
            .expect("a");
        let b = core
            .enqueue_statement(&st(2, "2026-01-01T00:00:00.000Z"))
            .expect("b");
        assert!(crate::xapi::formats::is_uuid(&a) && a != b);
        let with_id = st(3, "2026-01-01T00:00:00Z").replacen(
            '{',
            "{\"id\":\"6690E6C9-3EF0-4ED3-8B37-7F3964730BEE\",",
            1,
        );
        let c = core.enqueue_statement(&with_id).expect("c");
        assert_eq!(c, "6690e6c9-3ef0-4ed3-8b37-7f3964730bee");
        // The same statement again is a no-op; a different one under the same id is refused.
        assert_eq!(core.enqueue_statement(&with_id).expect("again"), c);
        let other = with_id.replace("cards/3", "cards/4");
        match xapi_err(core.enqueue_statement(&other).expect_err("conflict")) {
            XapiError::Invalid(v) => assert_eq!(v.kind, validate::ValidationKind::Conflict),
            e => panic!("{e}"),
        }
        let rows = core
            .store()
            .read(|c| waiting_statements(c).map_err(Error::from))
            .expect("rows");
        let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, [a.as_str(), b.as_str(), c.as_str()]);
        // Frozen as recorded: the caller's id spelling is kept in the body.
        assert!(rows[2].1.contains("6690E6C9"));
        assert_eq!(core.xapi_status().expect("status").pending, 3);
    }

    #[test]
    fn bad_input_is_a_typed_error_and_stores_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        assert!(matches!(
            xapi_err(core.enqueue_statement("{not json").expect_err("json")),
            XapiError::NotJson(_)
        ));
        let no_verb = r#"{"actor":{"mbox":"mailto:a@b.c"},"object":{"id":"http://x.example/a"}}"#;
        match xapi_err(core.enqueue_statement(no_verb).expect_err("verb")) {
            XapiError::Invalid(v) => {
                assert_eq!(
                    (v.path.as_str(), v.kind),
                    ("verb", validate::ValidationKind::Missing)
                )
            }
            e => panic!("{e}"),
        }
        let future = chrono::Utc::now() + chrono::Duration::hours(2);
        let ts = crate::xapi::model::format_timestamp(future);
        match xapi_err(core.enqueue_statement(&st(1, &ts)).expect_err("future")) {
            XapiError::Invalid(v) => assert_eq!(v.kind, validate::ValidationKind::BadTimestamp),
            e => panic!("{e}"),
        }
        let st = core.xapi_status().expect("status");
        assert_eq!((st.depth, st.dead_letters), (0, 0));
    }

    #[test]
    fn dead_letters_can_be_retried() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        let a = core
            .enqueue_statement(&st(1, "2026-01-01T00:00:00Z"))
            .expect("a");
        core.store()
            .write(|tx| dead_letter(tx, &a, 400, "no thanks").map_err(Error::from))
            .expect("dead");
        let dead = core.dead_letters().expect("list");
        assert_eq!((dead.len(), dead[0].answer.as_str()), (1, "no thanks"));
        core.retry_dead_letter(&a).expect("retry");
        assert_eq!(core.xapi_status().expect("status").pending, 1);
        assert!(core.retry_dead_letter(&a).is_err());
    }
}
