//! The network module's tables. Raw events are kept (`network_events`) so derived views can be
//! recomputed; derived tables (posts, votes, ratings, accepts, reports) are what the card view and
//! search read, with indexes for their queries. Votes, accepts and reports are evaluated at read
//! time, so events arriving out of order (backfill pages go backwards) need no re-ordering.

use rusqlite::Transaction;

use crate::store::schema::ModuleSchema;

/// The network module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "network",
    version: 1,
    upgrade_from,
};

fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match from {
        0 => tx.execute_batch(V1),
        _ => Ok(()),
    }
}

const V1: &str = "
-- homeserver, user_id, device_id, sync token, paused_until … (never the access token).
CREATE TABLE network_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE network_rooms (
    room_id      TEXT PRIMARY KEY,
    topic        TEXT,
    name         TEXT,
    membership   TEXT NOT NULL DEFAULT 'join',   -- join | leave | ban
    unread       INTEGER NOT NULL DEFAULT 0,
    power_levels TEXT,                           -- m.room.power_levels content (JSON)
    backfill     TEXT                            -- /messages token still to page back from
);
CREATE UNIQUE INDEX network_rooms_topic ON network_rooms(topic) WHERE topic IS NOT NULL;

-- The offline outbox. txn_id is the Matrix transaction id: stable, so a resend is idempotent.
CREATE TABLE network_outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    txn_id       TEXT NOT NULL UNIQUE,
    room_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,      -- question | answer | comment | rating | vote | accept | report | tip | redact | custom | card_thread
    event_type   TEXT NOT NULL,
    content      TEXT NOT NULL,      -- JSON; may reference earlier items as \"local:<txn_id>\"
    redacts      TEXT,               -- for kind = redact: the event (or local:) to redact
    media_path   TEXT,               -- for tips: the local file to upload
    media_mxc    TEXT,               -- set once the upload succeeded (resumable)
    xapi_id      TEXT,               -- the xAPI statement recorded with it (voided if deleted while queued)
    state        TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed
    event_id     TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_ms  INTEGER NOT NULL DEFAULT 0,
    error_status INTEGER,
    error_body   TEXT,
    created_ms   INTEGER NOT NULL
);
CREATE INDEX network_outbox_pending ON network_outbox(state, seq);

CREATE TABLE network_events (
    event_id TEXT PRIMARY KEY,
    room_id  TEXT NOT NULL,
    sender   TEXT NOT NULL,
    type     TEXT NOT NULL,
    ts       INTEGER NOT NULL,
    content  TEXT NOT NULL
);
CREATE INDEX network_events_type ON network_events(type, room_id);

-- Redactions seen before (or after) the event they remove.
CREATE TABLE network_redactions (event_id TEXT PRIMARY KEY, by_event TEXT NOT NULL);

CREATE TABLE network_posts (
    id          INTEGER PRIMARY KEY,     -- rowid of the FTS row
    event_id    TEXT NOT NULL UNIQUE,
    room_id     TEXT NOT NULL,
    sender      TEXT NOT NULL,
    kind        TEXT NOT NULL,           -- question | answer | comment | tip | card_thread | message
    card_id     TEXT,
    thread_root TEXT,
    body        TEXT NOT NULL,
    media_mxc   TEXT,
    mime        TEXT,
    ts          INTEGER NOT NULL
);
CREATE INDEX network_posts_card ON network_posts(card_id, kind, ts);
CREATE INDEX network_posts_thread ON network_posts(thread_root, kind);
CREATE INDEX network_posts_room ON network_posts(room_id, kind, ts);

CREATE VIRTUAL TABLE network_posts_fts USING fts5(
    body,
    tokenize = 'porter unicode61 remove_diacritics 2',
    content = '',
    contentless_delete = 1
);

CREATE TABLE network_votes (
    target   TEXT NOT NULL,
    voter    TEXT NOT NULL,
    value    INTEGER NOT NULL,     -- +1 | -1
    ts       INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    PRIMARY KEY (target, voter)
);

CREATE TABLE network_ratings (
    card_id  TEXT NOT NULL,
    rater    TEXT NOT NULL,
    stars    INTEGER NOT NULL,
    outdated INTEGER NOT NULL,
    ts       INTEGER NOT NULL,
    room_id  TEXT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    PRIMARY KEY (card_id, rater)
);

CREATE TABLE network_accepts (
    event_id TEXT PRIMARY KEY,
    room_id  TEXT NOT NULL,
    question TEXT NOT NULL,
    answer   TEXT NOT NULL,
    sender   TEXT NOT NULL,
    ts       INTEGER NOT NULL
);
CREATE INDEX network_accepts_question ON network_accepts(question, ts);

CREATE TABLE network_reports (
    target   TEXT NOT NULL,
    reporter TEXT NOT NULL,
    reason   TEXT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    PRIMARY KEY (target, reporter)
);

-- Custom events of other modules (playlists …), by type.
CREATE TABLE network_custom (
    event_id TEXT PRIMARY KEY,
    room_id  TEXT NOT NULL,
    type     TEXT NOT NULL,
    sender   TEXT NOT NULL,
    ts       INTEGER NOT NULL,
    content  TEXT NOT NULL
);
CREATE INDEX network_custom_type ON network_custom(type, ts);

-- Cards whose out-of-date flags reached the threshold, for the L&D team.
CREATE TABLE network_flagged_cards (
    card_id    TEXT PRIMARY KEY,
    flags      INTEGER NOT NULL,
    flagged_ms INTEGER NOT NULL
);
";
