//! Playlists: the learner's own lists of cards, copies (forks) of colleagues' lists, and followed
//! lists (a read-only mirror of the owner's list plus a local overlay of hidden and added cards).
//!
//! *Why positions are rewritten on each edit:* a playlist holds at most [`MAX_CARDS`] cards, so a
//! renumbering costs microseconds, and dense positions keep "next card" and reorder trivial.
//! Every edit of an own list or a copy bumps its `revision`, the number a shared payload carries
//! so that followers keep only the newest ([`super::share`]).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{PersonalError, check_id, clean_text, now_ms};
use crate::quiz::from_ms;

/// Most cards in one playlist.
pub const MAX_CARDS: usize = 1000;
/// Estimated minutes per card not yet done ("time left").
pub const MINUTES_PER_CARD: u32 = 1;

/// Where a playlist came from, which decides what the learner may edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaylistKind {
    /// The learner's own: everything editable, shareable.
    Own,
    /// A colleague's, followed: the owner's updates arrive; locally only hide/add cards.
    Followed,
    /// A fork of a colleague's: the learner's own from then on; the owner's updates do not apply.
    Copy,
}

impl PlaylistKind {
    /// The stored name: `own`, `followed`, `copy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Followed => "followed",
            Self::Copy => "copy",
        }
    }

    fn parse(s: &str) -> Result<Self, PersonalError> {
        match s {
            "own" => Ok(Self::Own),
            "followed" => Ok(Self::Followed),
            "copy" => Ok(Self::Copy),
            other => Err(PersonalError::Corrupt(format!("playlist kind {other:?}"))),
        }
    }
}

/// A playlist as the learner sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Playlist {
    /// Local id (for a followed playlist: the owner's shared id).
    pub id: String,
    /// Title.
    pub title: String,
    /// Free text.
    pub description: String,
    /// Own, followed or copy.
    pub kind: PlaylistKind,
    /// Owner's pseudonymous id (followed and copies).
    pub owner_id: Option<String>,
    /// Owner's display name, if they share it.
    pub owner_name: Option<String>,
    /// The shared playlist it came from (followed and copies).
    pub source_id: Option<String>,
    /// The owner's revision mirrored (followed) or forked from (copy).
    pub source_revision: Option<u64>,
    /// A copy only: the newest owner's revision seen since the fork, if newer.
    pub upstream_revision: Option<u64>,
    /// Local revision, bumped on every edit of an own list or copy.
    pub revision: u64,
    /// The cards in order, as the learner sees them (for followed: mirror − hidden + added).
    pub cards: Vec<String>,
    /// Followed only: owner's cards the learner hid.
    pub hidden: Vec<String>,
    /// Followed only: cards the learner added locally.
    pub added: Vec<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Progress through a playlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaylistProgress {
    /// Cards in the playlist.
    pub total: u32,
    /// Cards done (completed, or a quiz question on them answered right).
    pub done: u32,
    /// The first card not done, in playlist order, that is in the offline catalog.
    pub next_card: Option<String>,
    /// Cards not done × [`MINUTES_PER_CARD`].
    pub minutes_left: u32,
    /// Cards not in the offline catalog (yet): shown greyed, skipped by `next_card`.
    pub unavailable: Vec<String>,
}

struct Row {
    kind: PlaylistKind,
}

fn row(conn: &Connection, id: &str) -> crate::Result<Row> {
    let kind: Option<String> = conn
        .query_row(
            "SELECT kind FROM personal_playlists WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let kind = kind.ok_or_else(|| PersonalError::UnknownPlaylist(id.to_owned()))?;
    Ok(Row {
        kind: PlaylistKind::parse(&kind)?,
    })
}

pub(crate) fn card_exists(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM cards WHERE id = ?1)")?
        .query_row([id], |r| r.get(0))
}

/// Whether the learner has done `card_id`: marked completed, or answered one of its quiz
/// questions right.
pub(crate) fn card_done(conn: &Connection, card_id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM personal_completions WHERE card_id = ?1)
             OR EXISTS (SELECT 1 FROM quiz_questions q JOIN quiz_reviews r
                        ON r.question_id = q.id AND r.correct = 1 WHERE q.card_id = ?1)",
    )?
    .query_row([card_id], |r| r.get(0))
}

fn ids(conn: &Connection, sql: &str, id: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    rows.collect()
}

pub(crate) fn items(conn: &Connection, id: &str) -> rusqlite::Result<Vec<String>> {
    ids(
        conn,
        "SELECT card_id FROM personal_playlist_items WHERE playlist_id = ?1 ORDER BY position",
        id,
    )
}

pub(crate) fn overlay(conn: &Connection, id: &str, action: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT card_id FROM personal_overlay WHERE playlist_id = ?1 AND action = ?2
         ORDER BY position",
    )?;
    let rows = stmt.query_map(params![id, action], |r| r.get(0))?;
    rows.collect()
}

/// Reads one playlist with its effective card list.
pub(crate) fn load(conn: &Connection, id: &str) -> crate::Result<Playlist> {
    type Cols = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        i64,
        i64,
    );
    let r: Option<Cols> = conn
        .prepare_cached(
            "SELECT title, description, kind, owner_id, owner_name, source_id, source_revision,
                    upstream_revision, revision, updated_ms
             FROM personal_playlists WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })
        .optional()?;
    let (title, description, kind, owner_id, owner_name, source_id, src_rev, up_rev, rev, upd) =
        r.ok_or_else(|| PersonalError::UnknownPlaylist(id.to_owned()))?;
    let kind = PlaylistKind::parse(&kind)?;
    let mirror = items(conn, id)?;
    let (cards, hidden, added) = if kind == PlaylistKind::Followed {
        let hidden = overlay(conn, id, "hide")?;
        let added = overlay(conn, id, "add")?;
        let mut cards: Vec<String> = mirror.into_iter().filter(|c| !hidden.contains(c)).collect();
        for a in &added {
            if !cards.contains(a) {
                cards.push(a.clone());
            }
        }
        (cards, hidden, added)
    } else {
        (mirror, vec![], vec![])
    };
    let rev_u = |v: Option<i64>| v.map(|v| v.max(0) as u64);
    Ok(Playlist {
        id: id.to_owned(),
        title,
        description,
        kind,
        owner_id,
        owner_name,
        source_id,
        source_revision: rev_u(src_rev),
        upstream_revision: rev_u(up_rev).filter(|u| Some(*u) > rev_u(src_rev)),
        revision: rev.max(0) as u64,
        cards,
        hidden,
        added,
        updated_at: from_ms(upd),
    })
}

/// Replaces the stored list of `id` by `cards` (dense positions).
pub(crate) fn write_items(tx: &Transaction<'_>, id: &str, cards: &[String]) -> crate::Result<()> {
    tx.execute(
        "DELETE FROM personal_playlist_items WHERE playlist_id = ?1",
        [id],
    )?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO personal_playlist_items(playlist_id, card_id, position) VALUES (?1, ?2, ?3)",
    )?;
    for (i, c) in cards.iter().enumerate() {
        ins.execute(params![id, c, i as i64])?;
    }
    Ok(())
}

/// Validates a card list: ids well formed, no duplicates, at most [`MAX_CARDS`].
pub(crate) fn check_cards(cards: &[String]) -> Result<(), PersonalError> {
    if cards.len() > MAX_CARDS {
        return Err(super::invalid(
            "card list",
            format!("{} cards, at most {MAX_CARDS}", cards.len()),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for c in cards {
        check_id("card id", c)?;
        if !seen.insert(c.as_str()) {
            return Err(super::invalid("card list", format!("{c:?} twice")));
        }
    }
    Ok(())
}

fn touch(tx: &Transaction<'_>, id: &str, bump: bool, now: DateTime<Utc>) -> crate::Result<()> {
    tx.execute(
        "UPDATE personal_playlists SET updated_ms = ?2, revision = revision + ?3 WHERE id = ?1",
        params![id, now_ms(now), i64::from(bump)],
    )?;
    Ok(())
}

impl crate::Microlearn {
    /// Creates an own playlist of `cards` (each in the offline catalog).
    pub fn create_playlist(
        &self,
        title: &str,
        cards: &[String],
        now: DateTime<Utc>,
    ) -> crate::Result<Playlist> {
        let title = clean_text("title", title)?;
        check_cards(cards)?;
        let id = format!("pl-{}", uuid::Uuid::new_v4().simple());
        self.store().write(|tx| {
            for c in cards {
                if !card_exists(tx, c)? {
                    return Err(PersonalError::UnknownCard(c.clone()).into());
                }
            }
            tx.execute(
                "INSERT INTO personal_playlists(id, title, kind, revision, created_ms, updated_ms)
                 VALUES (?1, ?2, 'own', 1, ?3, ?3)",
                params![id, title, now_ms(now)],
            )?;
            write_items(tx, &id, cards)?;
            load(tx, &id)
        })
    }

    /// One playlist.
    pub fn playlist(&self, id: &str) -> crate::Result<Playlist> {
        self.store().read(|c| load(c, id))
    }

    /// Every playlist on the device, most recently changed first.
    pub fn playlists(&self) -> crate::Result<Vec<Playlist>> {
        self.store().read(|c| {
            let ids: Vec<String> = {
                let mut stmt = c.prepare_cached(
                    "SELECT id FROM personal_playlists ORDER BY updated_ms DESC, id",
                )?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            ids.iter().map(|id| load(c, id)).collect()
        })
    }

    /// Renames an own playlist or a copy (a followed one is the owner's: [`PersonalError::ReadOnly`]).
    pub fn rename_playlist(&self, id: &str, title: &str, now: DateTime<Utc>) -> crate::Result<()> {
        let title = clean_text("title", title)?;
        self.store().write(|tx| {
            if row(tx, id)?.kind == PlaylistKind::Followed {
                return Err(PersonalError::ReadOnly(id.to_owned()).into());
            }
            tx.execute(
                "UPDATE personal_playlists SET title = ?2 WHERE id = ?1",
                params![id, title],
            )?;
            touch(tx, id, true, now)
        })
    }

    /// Deletes a playlist (unfollows a followed one).
    pub fn delete_playlist(&self, id: &str) -> crate::Result<()> {
        self.store().write(|tx| {
            row(tx, id)?;
            tx.execute("DELETE FROM personal_playlists WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// Adds a card at the end (no-op if already there). On a followed playlist this is a local
    /// overlay edit that survives the owner's updates (and un-hides a hidden card).
    pub fn add_to_playlist(
        &self,
        id: &str,
        card_id: &str,
        now: DateTime<Utc>,
    ) -> crate::Result<()> {
        check_id("card id", card_id)?;
        self.store().write(|tx| {
            let r = row(tx, id)?;
            if !card_exists(tx, card_id)? {
                return Err(PersonalError::UnknownCard(card_id.to_owned()).into());
            }
            if r.kind == PlaylistKind::Followed {
                let hidden = tx.execute(
                    "DELETE FROM personal_overlay
                     WHERE playlist_id = ?1 AND card_id = ?2 AND action = 'hide'",
                    params![id, card_id],
                )?;
                if hidden == 0 && !items(tx, id)?.iter().any(|c| c == card_id) {
                    tx.execute(
                        "INSERT OR IGNORE INTO personal_overlay(playlist_id, card_id, action, position)
                         VALUES (?1, ?2, 'add', (SELECT coalesce(max(position), -1) + 1
                                 FROM personal_overlay WHERE playlist_id = ?1))",
                        params![id, card_id],
                    )?;
                }
                return touch(tx, id, false, now);
            }
            let mut cards = items(tx, id)?;
            if cards.iter().any(|c| c == card_id) {
                return Ok(());
            }
            if cards.len() >= MAX_CARDS {
                return Err(super::invalid("card list", format!("at most {MAX_CARDS} cards")).into());
            }
            cards.push(card_id.to_owned());
            write_items(tx, id, &cards)?;
            touch(tx, id, true, now)
        })
    }

    /// Removes a card (no-op if absent). On a followed playlist an owner's card is hidden locally.
    pub fn remove_from_playlist(
        &self,
        id: &str,
        card_id: &str,
        now: DateTime<Utc>,
    ) -> crate::Result<()> {
        self.store().write(|tx| {
            let r = row(tx, id)?;
            if r.kind == PlaylistKind::Followed {
                let was_added = tx.execute(
                    "DELETE FROM personal_overlay
                     WHERE playlist_id = ?1 AND card_id = ?2 AND action = 'add'",
                    params![id, card_id],
                )?;
                if was_added == 0 && items(tx, id)?.iter().any(|c| c == card_id) {
                    tx.execute(
                        "INSERT OR IGNORE INTO personal_overlay(playlist_id, card_id, action, position)
                         VALUES (?1, ?2, 'hide', 0)",
                        params![id, card_id],
                    )?;
                }
                return touch(tx, id, false, now);
            }
            let mut cards = items(tx, id)?;
            let before = cards.len();
            cards.retain(|c| c != card_id);
            if cards.len() == before {
                return Ok(());
            }
            write_items(tx, id, &cards)?;
            touch(tx, id, true, now)
        })
    }

    /// Puts an own playlist or copy in the order `cards`, which must hold exactly its cards.
    pub fn reorder_playlist(
        &self,
        id: &str,
        cards: &[String],
        now: DateTime<Utc>,
    ) -> crate::Result<()> {
        check_cards(cards)?;
        self.store().write(|tx| {
            if row(tx, id)?.kind == PlaylistKind::Followed {
                return Err(PersonalError::ReadOnly(id.to_owned()).into());
            }
            let mut have = items(tx, id)?;
            let mut want = cards.to_vec();
            have.sort();
            want.sort();
            if have != want {
                return Err(super::invalid(
                    "order",
                    "must list exactly the playlist's cards, each once",
                )
                .into());
            }
            write_items(tx, id, cards)?;
            touch(tx, id, true, now)
        })
    }

    /// What is done, what is next and how long the rest takes.
    pub fn playlist_progress(&self, id: &str) -> crate::Result<PlaylistProgress> {
        self.store().read(|c| {
            let p = load(c, id)?;
            let (mut done, mut next, mut unavailable) = (0u32, None, vec![]);
            for card in &p.cards {
                if !card_exists(c, card)? {
                    unavailable.push(card.clone());
                } else if card_done(c, card)? {
                    done += 1;
                } else if next.is_none() {
                    next = Some(card.clone());
                }
            }
            let total = p.cards.len() as u32;
            Ok(PlaylistProgress {
                total,
                done,
                next_card: next,
                minutes_left: (total - done) * MINUTES_PER_CARD,
                unavailable,
            })
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{Microlearn, content::Card};

    pub(crate) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
            .single()
            .expect("time")
    }

    pub(crate) fn core_with(cards: &[&str]) -> (tempfile::TempDir, Microlearn) {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        let cards: Vec<Card> = cards
            .iter()
            .map(|id| {
                let mut c = Card::new(*id, format!("Card {id}"));
                c.tags = vec!["t".into()];
                c
            })
            .collect();
        core.import_cards(&cards).expect("import");
        (dir, core)
    }

    pub(crate) fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn create_edit_reorder_progress_delete() {
        let (_d, core) = core_with(&["a", "b", "c", "d"]);
        let p = core
            .create_playlist("Start", &s(&["a", "b"]), t0())
            .expect("create");
        assert_eq!((p.revision, p.kind), (1, PlaylistKind::Own));
        core.add_to_playlist(&p.id, "c", t0()).expect("add");
        core.add_to_playlist(&p.id, "c", t0())
            .expect("add again is a no-op");
        core.remove_from_playlist(&p.id, "a", t0()).expect("remove");
        core.reorder_playlist(&p.id, &s(&["c", "b"]), t0())
            .expect("reorder");
        core.rename_playlist(&p.id, "Week one", t0())
            .expect("rename");
        let p2 = core.playlist(&p.id).expect("get");
        assert_eq!(p2.cards, s(&["c", "b"]));
        assert_eq!(p2.title, "Week one");
        assert_eq!(p2.revision, 5);
        let prog = core.playlist_progress(&p.id).expect("progress");
        assert_eq!((prog.total, prog.done, prog.minutes_left), (2, 0, 2));
        assert_eq!(prog.next_card.as_deref(), Some("c"));
        core.mark_card_completed("c", t0()).expect("complete");
        let prog = core.playlist_progress(&p.id).expect("progress");
        assert_eq!((prog.done, prog.minutes_left), (1, 1));
        assert_eq!(prog.next_card.as_deref(), Some("b"));
        core.delete_playlist(&p.id).expect("delete");
        assert!(matches!(
            core.playlist(&p.id),
            Err(crate::Error::Personal(PersonalError::UnknownPlaylist(_)))
        ));
    }

    #[test]
    fn bad_input_is_a_typed_error_and_changes_nothing() {
        let (_d, core) = core_with(&["a", "b"]);
        assert!(core.create_playlist("", &s(&["a"]), t0()).is_err());
        assert!(core.create_playlist("x", &s(&["a", "a"]), t0()).is_err());
        assert!(matches!(
            core.create_playlist("x", &s(&["zzz"]), t0()),
            Err(crate::Error::Personal(PersonalError::UnknownCard(_)))
        ));
        assert!(core.create_playlist("x", &s(&["bad id!"]), t0()).is_err());
        assert!(core.playlists().expect("list").is_empty());
        let p = core
            .create_playlist("x", &s(&["a", "b"]), t0())
            .expect("ok");
        assert!(core.reorder_playlist(&p.id, &s(&["a"]), t0()).is_err());
        assert!(
            core.reorder_playlist(&p.id, &s(&["a", "b", "b"]), t0())
                .is_err()
        );
        assert!(core.rename_playlist(&p.id, "bad\u{0}title", t0()).is_err());
        assert_eq!(core.playlist(&p.id).expect("get").cards, s(&["a", "b"]));
        assert!(core.add_to_playlist("nope", "a", t0()).is_err());
    }
}
