//! The personal module's tables.
//!
//! - `personal_playlists` + `personal_playlist_items`: the learner's own playlists and copies
//!   (the list itself) and followed playlists (a mirror of the owner's list at `source_revision`).
//! - `personal_overlay`: a followed playlist's local edits (`hide` an owner's card, `add` one),
//!   kept apart from the mirror so an owner's update never loses them (`docs/personal.md`).
//! - `personal_completions`, `personal_ratings`: what the learner finished and rated.
//! - `personal_card_stats`, `personal_neighbors`: peers' anonymous aggregates (the `peer-signals` file
//!   or the network layer), with the shrunk similarity computed and sorted once at import.
//! - `personal_contributions`, `personal_points`: peers' opted-in expertise and weekly points.
//! - `personal_settings`: privacy settings and the learner's pseudonymous id.

use rusqlite::Transaction;

use crate::store::schema::ModuleSchema;

/// The personal module's tables.
pub static SCHEMA: ModuleSchema = ModuleSchema {
    name: "personal",
    version: 1,
    upgrade_from,
};

fn upgrade_from(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    match from {
        0 => tx.execute_batch(
            "CREATE TABLE personal_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE personal_playlists (
                id               TEXT PRIMARY KEY,
                title            TEXT NOT NULL,
                description      TEXT NOT NULL DEFAULT '',
                kind             TEXT NOT NULL CHECK (kind IN ('own', 'followed', 'copy')),
                owner_id         TEXT,
                owner_name       TEXT,
                source_id        TEXT,
                source_revision  INTEGER,
                upstream_revision INTEGER,
                revision         INTEGER NOT NULL,
                created_ms       INTEGER NOT NULL,
                updated_ms       INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX personal_playlists_followed
                ON personal_playlists(source_id) WHERE kind = 'followed';
            CREATE TABLE personal_playlist_items (
                playlist_id TEXT NOT NULL REFERENCES personal_playlists(id) ON DELETE CASCADE,
                card_id     TEXT NOT NULL,
                position    INTEGER NOT NULL,
                PRIMARY KEY (playlist_id, card_id)
            ) WITHOUT ROWID;
            CREATE TABLE personal_overlay (
                playlist_id TEXT NOT NULL REFERENCES personal_playlists(id) ON DELETE CASCADE,
                card_id     TEXT NOT NULL,
                action      TEXT NOT NULL CHECK (action IN ('hide', 'add')),
                position    INTEGER NOT NULL,
                PRIMARY KEY (playlist_id, card_id)
            ) WITHOUT ROWID;
            CREATE TABLE personal_completions (
                card_id      TEXT PRIMARY KEY,
                completed_ms INTEGER NOT NULL
            );
            CREATE TABLE personal_ratings (
                card_id  TEXT PRIMARY KEY,
                stars    INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
                rated_ms INTEGER NOT NULL
            );
            CREATE TABLE personal_card_stats (
                card_id      TEXT PRIMARY KEY,
                completions  INTEGER NOT NULL,
                rating_count INTEGER NOT NULL,
                rating_sum   REAL NOT NULL
            );
            CREATE INDEX personal_card_stats_pop ON personal_card_stats(completions DESC);
            -- One row per card: its co-completed neighbours and their shrunk cosine, best first,
            -- as `id US sim RS id US sim …` (one read per history card instead of 100). A rowid
            -- table: a ~1.5 kB list fits its leaf page, where WITHOUT ROWID would overflow at 1 kB.
            CREATE TABLE personal_neighbors (
                card_id   TEXT PRIMARY KEY,
                neighbors TEXT NOT NULL
            );
            CREATE TABLE personal_contributions (
                peer_id          TEXT NOT NULL,
                display_name     TEXT NOT NULL,
                team             TEXT NOT NULL DEFAULT '',
                topic            TEXT NOT NULL,
                accepted_answers INTEGER NOT NULL,
                votes            INTEGER NOT NULL,
                mastery          REAL,
                updated_ms       INTEGER NOT NULL,
                PRIMARY KEY (topic, peer_id)
            ) WITHOUT ROWID;
            CREATE TABLE personal_points (
                peer_id      TEXT NOT NULL,
                display_name TEXT NOT NULL,
                team         TEXT NOT NULL,
                topic        TEXT NOT NULL,
                week         TEXT NOT NULL,
                points       INTEGER NOT NULL,
                PRIMARY KEY (week, peer_id, topic)
            ) WITHOUT ROWID;",
        ),
        _ => Ok(()),
    }
}

pub(crate) const SETTINGS_TABLE: &str = "personal_settings";
