//! Sharing playlists: the versioned `SharedPlaylist` payload the network layer posts to a topic
//! room (as a custom event), following and copying, and applying an owner's newer revision.
//!
//! *The conflict rule* (also in `docs/personal.md`): a **followed** playlist is the owner's,
//! mirrored read-only; the follower's offline edits live in a separate overlay (cards hidden,
//! cards added). A newer owner revision replaces the mirror whole and the overlay is re-applied
//! on top, so neither side's change is lost: hidden cards stay hidden, added cards stay added
//! (and an added card the owner later adds too appears once, at the owner's place). Revisions
//! are the owner's monotonic counter: an equal or older revision (a duplicate or out-of-order
//! event) changes nothing, and a payload whose owner differs from the one followed is ignored.
//! A **copy** is a fork: the learner's own list from then on; owner updates never touch it, the
//! newest owner revision is only noted (`upstream_revision`) so the app can offer "copy again".

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::{
    PersonalError, check_id, clean_text, now_ms,
    playlists::{self, Playlist, PlaylistKind, check_cards},
    privacy::{self, RatingSharing},
};

/// `format` of a shared playlist payload.
pub const FORMAT: &str = "microlearn.playlist";
/// The payload version this build writes and reads.
pub const VERSION: u32 = 1;
/// Largest payload accepted, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// A playlist as it leaves the device (JSON). Carries no progress, completions or quiz data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedPlaylist {
    /// Always [`FORMAT`].
    pub format: String,
    /// Payload version ([`VERSION`]).
    pub version: u32,
    /// The owner's playlist id, stable across revisions.
    pub id: String,
    /// The owner's pseudonymous learner id.
    pub owner: String,
    /// The owner's display name, only when they chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// The owner's revision: higher replaces lower.
    pub revision: u64,
    /// Title.
    pub title: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Card ids in order.
    pub cards: Vec<String>,
    /// The owner's star ratings of these cards: only when they share ratings *named*.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<(String, u8)>,
    /// When the owner last changed it.
    pub updated_at: DateTime<Utc>,
}

impl SharedPlaylist {
    /// Parses and validates a payload (size, format, version, ids, titles, card list).
    pub fn parse(json: &str) -> Result<Self, PersonalError> {
        if json.len() > MAX_PAYLOAD_BYTES {
            return Err(PersonalError::BadPayload(format!(
                "{} bytes, at most {MAX_PAYLOAD_BYTES}",
                json.len()
            )));
        }
        let p: SharedPlaylist =
            serde_json::from_str(json).map_err(|e| PersonalError::BadPayload(e.to_string()))?;
        if p.format != FORMAT {
            return Err(PersonalError::BadPayload(format!("format {:?}", p.format)));
        }
        if p.version != VERSION {
            return Err(PersonalError::BadPayload(format!(
                "version {} (this build reads {VERSION})",
                p.version
            )));
        }
        if p.revision == 0 || p.revision > i64::MAX as u64 {
            return Err(PersonalError::BadPayload("revision out of range".into()));
        }
        let bad = |e: PersonalError| PersonalError::BadPayload(e.to_string());
        check_id("playlist id", &p.id).map_err(bad)?;
        check_id("owner", &p.owner).map_err(bad)?;
        clean_text("title", &p.title).map_err(bad)?;
        if let Some(n) = &p.owner_name {
            clean_text("owner name", n).map_err(bad)?;
        }
        if p.description.chars().count() > 2000 {
            return Err(PersonalError::BadPayload(
                "description over 2000 characters".into(),
            ));
        }
        check_cards(&p.cards).map_err(bad)?;
        Ok(p)
    }
}

/// What applying an owner's payload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyOutcome {
    /// The followed playlist that now mirrors the payload's revision.
    pub updated: Option<String>,
    /// A followed playlist already had this revision or a newer one: nothing changed.
    pub stale: bool,
    /// Copies of this playlist that are now behind the owner (noted, not changed).
    pub copies_behind: Vec<String>,
    /// Why the payload was ignored, if it was (the learner's own, another owner …).
    pub ignored: Option<String>,
}

fn followed_of(
    tx: &Transaction<'_>,
    shared_id: &str,
) -> crate::Result<Option<(String, String, i64)>> {
    Ok(tx
        .query_row(
            "SELECT id, coalesce(owner_id, ''), coalesce(source_revision, 0)
             FROM personal_playlists WHERE kind = 'followed' AND source_id = ?1",
            [shared_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

fn apply_in(
    tx: &Transaction<'_>,
    p: &SharedPlaylist,
    now: DateTime<Utc>,
) -> crate::Result<ApplyOutcome> {
    let mut out = ApplyOutcome {
        updated: None,
        stale: false,
        copies_behind: vec![],
        ignored: None,
    };
    if p.owner == privacy::learner_id(tx)? {
        out.ignored = Some("the learner's own playlist".into());
        return Ok(out);
    }
    let rev = p.revision as i64;
    if let Some((id, owner, have)) = followed_of(tx, &p.id)? {
        if owner != p.owner {
            out.ignored = Some(format!(
                "followed playlist belongs to {owner:?}, not {:?}",
                p.owner
            ));
            return Ok(out);
        }
        if rev <= have {
            out.stale = true;
        } else {
            tx.execute(
                "UPDATE personal_playlists SET title = ?2, description = ?3, owner_name = ?4,
                     source_revision = ?5, updated_ms = ?6 WHERE id = ?1",
                params![
                    id,
                    p.title.trim(),
                    p.description,
                    p.owner_name,
                    rev,
                    now_ms(now)
                ],
            )?;
            playlists::write_items(tx, &id, &p.cards)?;
            // The overlay stays; entries the owner's change made redundant are dropped.
            for hidden in playlists::overlay(tx, &id, "hide")? {
                if !p.cards.contains(&hidden) {
                    tx.execute(
                        "DELETE FROM personal_overlay WHERE playlist_id = ?1 AND card_id = ?2",
                        params![id, hidden],
                    )?;
                }
            }
            for added in playlists::overlay(tx, &id, "add")? {
                if p.cards.contains(&added) {
                    tx.execute(
                        "DELETE FROM personal_overlay WHERE playlist_id = ?1 AND card_id = ?2",
                        params![id, added],
                    )?;
                }
            }
            out.updated = Some(id);
        }
    }
    let mut stmt = tx.prepare_cached(
        "UPDATE personal_playlists SET upstream_revision = max(coalesce(upstream_revision, 0), ?3)
         WHERE kind = 'copy' AND source_id = ?1 AND owner_id = ?2 AND source_revision < ?3
         RETURNING id",
    )?;
    let rows = stmt.query_map(params![p.id, p.owner, rev], |r| r.get(0))?;
    out.copies_behind = rows.collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

impl crate::Microlearn {
    /// The payload to post for an own playlist or a copy (JSON, [`SharedPlaylist`]), built under
    /// the learner's privacy settings: their name only if they chose one, their ratings only if
    /// they share ratings named, never progress.
    pub fn share_payload(&self, playlist_id: &str) -> crate::Result<String> {
        self.store().write(|tx| {
            let p = playlists::load(tx, playlist_id)?;
            if p.kind == PlaylistKind::Followed {
                return Err(PersonalError::ReadOnly(p.id).into());
            }
            let settings = privacy::load(tx)?;
            let mut ratings = vec![];
            if settings.ratings == RatingSharing::Named {
                let mut stmt =
                    tx.prepare_cached("SELECT stars FROM personal_ratings WHERE card_id = ?1")?;
                for c in &p.cards {
                    if let Some(stars) = stmt.query_row([c], |r| r.get::<_, u8>(0)).optional()? {
                        ratings.push((c.clone(), stars));
                    }
                }
            }
            let payload = SharedPlaylist {
                format: FORMAT.into(),
                version: VERSION,
                id: p.id,
                owner: privacy::learner_id(tx)?,
                owner_name: settings.display_name,
                revision: p.revision,
                title: p.title,
                description: p.description,
                cards: p.cards,
                ratings,
                updated_at: p.updated_at,
            };
            serde_json::to_string(&payload)
                .map_err(|e| PersonalError::Corrupt(e.to_string()).into())
        })
    }

    /// Applies an owner's payload that arrived (from a topic room): updates the followed
    /// playlist if the revision is newer, notes it on copies. Unknown playlists are ignored.
    pub fn apply_shared(&self, payload: &str, now: DateTime<Utc>) -> crate::Result<ApplyOutcome> {
        let p = SharedPlaylist::parse(payload)?;
        self.store().write(|tx| apply_in(tx, &p, now))
    }

    /// Follows a colleague's shared playlist (a read-only mirror that their updates refresh).
    /// Following one already followed applies the payload as an update.
    pub fn follow_shared(&self, payload: &str, now: DateTime<Utc>) -> crate::Result<Playlist> {
        let p = SharedPlaylist::parse(payload)?;
        self.store().write(|tx| {
            if p.owner == privacy::learner_id(tx)? {
                return Err(super::invalid("payload", "this is the learner's own playlist").into());
            }
            if let Some((id, _, _)) = followed_of(tx, &p.id)? {
                apply_in(tx, &p, now)?;
                return playlists::load(tx, &id);
            }
            insert_from_shared(tx, &p, SharedKind::Followed, now)
        })
    }

    /// Copies a shared playlist: a fork the learner owns and edits freely.
    pub fn copy_shared(&self, payload: &str, now: DateTime<Utc>) -> crate::Result<Playlist> {
        let p = SharedPlaylist::parse(payload)?;
        self.store()
            .write(|tx| insert_from_shared(tx, &p, SharedKind::Copy, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personal::{
        PrivacySettings,
        playlists::tests::{core_with, s, t0},
    };

    /// Owner and follower: two devices (two data directories) sharing through payloads.
    #[test]
    fn followed_mirror_keeps_local_overlay_across_owner_updates() {
        let (_d1, owner) = core_with(&["a", "b", "c", "d", "e"]);
        let (_d2, me) = core_with(&["a", "b", "c", "d", "e"]);
        let pl = owner
            .create_playlist("Safety", &s(&["a", "b", "c"]), t0())
            .expect("create");
        let v1 = owner.share_payload(&pl.id).expect("share");
        let f = me.follow_shared(&v1, t0()).expect("follow");
        assert_eq!(
            (f.kind, f.cards.clone()),
            (PlaylistKind::Followed, s(&["a", "b", "c"]))
        );
        assert!(
            me.rename_playlist(&f.id, "Mine", t0()).is_err(),
            "read-only"
        );
        assert!(
            me.reorder_playlist(&f.id, &s(&["c", "b", "a"]), t0())
                .is_err()
        );
        // Offline local edits: hide b, add d.
        me.remove_from_playlist(&f.id, "b", t0()).expect("hide");
        me.add_to_playlist(&f.id, "d", t0()).expect("add");
        // Meanwhile the owner removes a, adds d and e.
        owner
            .remove_from_playlist(&pl.id, "a", t0())
            .expect("o remove");
        owner.add_to_playlist(&pl.id, "e", t0()).expect("o add e");
        owner.add_to_playlist(&pl.id, "d", t0()).expect("o add d");
        let v4 = owner.share_payload(&pl.id).expect("share v4");
        let out = me.apply_shared(&v4, t0()).expect("apply");
        assert_eq!(out.updated.as_deref(), Some(f.id.as_str()));
        let f2 = me.playlist(&f.id).expect("get");
        // Owner's order (b c e d) minus hidden b; d now the owner's, so not duplicated.
        assert_eq!(f2.cards, s(&["c", "e", "d"]));
        assert_eq!(f2.hidden, s(&["b"]));
        assert!(
            f2.added.is_empty(),
            "d became the owner's: overlay entry dropped"
        );
        // The older payload arriving late changes nothing.
        let out = me.apply_shared(&v1, t0()).expect("old");
        assert!(out.stale && out.updated.is_none());
        assert_eq!(me.playlist(&f.id).expect("get").cards, s(&["c", "e", "d"]));
        // Another owner reusing the id is ignored.
        let mut forged: SharedPlaylist = serde_json::from_str(&v4).expect("json");
        forged.owner = "learner-mallory".into();
        forged.revision = 99;
        forged.cards = s(&["e"]);
        let out = me
            .apply_shared(&serde_json::to_string(&forged).expect("ser"), t0())
            .expect("apply forged");
        assert!(out.ignored.is_some());
        assert_eq!(me.playlist(&f.id).expect("get").cards, s(&["c", "e", "d"]));
    }

    #[test]
    fn copy_is_a_fork() {
        let (_d1, owner) = core_with(&["a", "b", "c"]);
        let (_d2, me) = core_with(&["a", "b", "c"]);
        let pl = owner
            .create_playlist("Care", &s(&["a", "b"]), t0())
            .expect("create");
        let c = me
            .copy_shared(&owner.share_payload(&pl.id).expect("v1"), t0())
            .expect("copy");
        me.rename_playlist(&c.id, "My care", t0())
            .expect("rename copy");
        me.reorder_playlist(&c.id, &s(&["b", "a"]), t0())
            .expect("reorder copy");
        owner
            .add_to_playlist(&pl.id, "c", t0())
            .expect("owner edit");
        let out = me
            .apply_shared(&owner.share_payload(&pl.id).expect("v2"), t0())
            .expect("apply");
        assert_eq!(out.copies_behind, vec![c.id.clone()]);
        let c2 = me.playlist(&c.id).expect("get");
        assert_eq!(
            (c2.title.as_str(), c2.cards.clone()),
            ("My care", s(&["b", "a"]))
        );
        assert_eq!(c2.upstream_revision, Some(2));
    }

    #[test]
    fn payload_respects_privacy_and_rejects_bad_input() {
        let (_d, core) = core_with(&["a", "b"]);
        core.rate_card("a", 5, t0()).expect("rate");
        let pl = core
            .create_playlist("P", &s(&["a", "b"]), t0())
            .expect("create");
        let anon: SharedPlaylist =
            serde_json::from_str(&core.share_payload(&pl.id).expect("share")).expect("json");
        assert!(anon.owner_name.is_none() && anon.ratings.is_empty());
        core.set_privacy_settings(&PrivacySettings {
            display_name: Some("Ana".into()),
            ratings: RatingSharing::Named,
            ..Default::default()
        })
        .expect("privacy");
        let named: SharedPlaylist =
            serde_json::from_str(&core.share_payload(&pl.id).expect("share")).expect("json");
        assert_eq!(named.owner_name.as_deref(), Some("Ana"));
        assert_eq!(named.ratings, vec![("a".to_string(), 5)]);
        for bad in [
            "",
            "{}",
            "not json",
            &anon_with(&anon, |p| p.version = 9),
            &anon_with(&anon, |p| p.revision = 0),
            &anon_with(&anon, |p| p.cards = s(&["a", "a"])),
            &anon_with(&anon, |p| p.title = "\u{7}".into()),
            &anon_with(&anon, |p| p.id = "x y".into()),
        ] {
            assert!(
                matches!(
                    core.apply_shared(bad, t0()),
                    Err(crate::Error::Personal(PersonalError::BadPayload(_)))
                ),
                "{bad}"
            );
        }
        let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_PAYLOAD_BYTES));
        assert!(core.follow_shared(&huge, t0()).is_err());
        assert!(
            core.follow_shared(&core.share_payload(&pl.id).expect("own"), t0())
                .is_err()
        );
    }

    fn anon_with(p: &SharedPlaylist, f: impl FnOnce(&mut SharedPlaylist)) -> String {
        let mut p = p.clone();
        f(&mut p);
        serde_json::to_string(&p).expect("ser")
    }
}

/// How a shared playlist lands on this device: a followed mirror or a copy (a fork).
#[derive(Clone, Copy)]
enum SharedKind {
    Followed,
    Copy,
}

/// Inserts a new local playlist from a colleague's payload: a followed mirror (`fw-` id, local
/// revision 0: the learner has not edited it) or a copy (`pl-` id, revision 1: the learner's own).
fn insert_from_shared(
    tx: &rusqlite::Transaction<'_>,
    p: &SharedPlaylist,
    kind: SharedKind,
    now: DateTime<Utc>,
) -> crate::Result<Playlist> {
    let (prefix, kind, revision) = match kind {
        SharedKind::Followed => ("fw", "followed", 0),
        SharedKind::Copy => ("pl", "copy", 1),
    };
    let id = format!("{prefix}-{}", uuid::Uuid::new_v4().simple());
    tx.execute(
        "INSERT INTO personal_playlists(id, title, description, kind, owner_id, owner_name,
             source_id, source_revision, revision, created_ms, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            id,
            p.title.trim(),
            p.description,
            kind,
            p.owner,
            p.owner_name,
            p.id,
            p.revision as i64,
            revision,
            now_ms(now)
        ],
    )?;
    playlists::write_items(tx, &id, &p.cards)?;
    playlists::load(tx, &id)
}
