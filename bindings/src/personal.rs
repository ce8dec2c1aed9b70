//! The personal layer across the FFI: playlists (own, followed, copies) and their share payloads,
//! ratings and completions, recommendations with their reasons, expertise finding, weekly
//! leaderboards and the learner's privacy settings. Conversions only; the rules (the follow /
//! copy conflict rule, what each payload may contain) live in `microlearn_core::personal`.
//! Payloads are JSON strings the network layer posts and delivers as they are.

use std::time::SystemTime;

use microlearn_core::personal as mp;

use crate::{
    Microlearn,
    convert::{instant, into, mirror, vec},
    error::Result,
};

/// Where a playlist came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PlaylistKind {
    /// The learner's own: everything editable, shareable.
    Own,
    /// A colleague's, followed: their updates arrive; locally only hide/add cards.
    Followed,
    /// A fork of a colleague's: the learner's own; the owner's updates do not apply.
    Copy,
}

/// A playlist as the learner sees it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Playlist {
    /// Local id.
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
    /// The shared playlist it came from.
    pub source_id: Option<String>,
    /// The owner's revision mirrored (followed) or forked from (copy).
    pub source_revision: Option<u64>,
    /// A copy only: a newer owner's revision seen since the fork.
    pub upstream_revision: Option<u64>,
    /// Local revision (own lists and copies).
    pub revision: u64,
    /// Cards in order as the learner sees them.
    pub cards: Vec<String>,
    /// Followed only: owner's cards hidden locally.
    pub hidden: Vec<String>,
    /// Followed only: cards added locally.
    pub added: Vec<String>,
    /// Last change.
    pub updated_at: SystemTime,
}

/// Progress through a playlist.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlaylistProgress {
    /// Cards in it.
    pub total: u32,
    /// Cards done (completed, or a quiz question on them answered right).
    pub done: u32,
    /// The first card not done that is in the offline catalog.
    pub next_card: Option<String>,
    /// About one minute per card not done.
    pub minutes_left: u32,
    /// Cards not in the offline catalog yet.
    pub unavailable: Vec<String>,
}

/// What applying an owner's payload did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ApplyOutcome {
    /// The followed playlist that now mirrors the payload.
    pub updated: Option<String>,
    /// Already had this revision or newer: nothing changed.
    pub stale: bool,
    /// Copies now behind the owner (noted only).
    pub copies_behind: Vec<String>,
    /// Why it was ignored, if it was.
    pub ignored: Option<String>,
}

/// Why a card is recommended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReasonKind {
    /// The learner missed a quiz question on its topic (`topic`).
    QuizGap,
    /// Peers who did a card the learner rated (`because_card_id`, `stars`) did this too.
    BecauseYouRated,
    /// Peers who did a card the learner completed (`because_card_id`) did this too.
    BecauseYouCompleted,
    /// Peers who did the viewed card (`because_card_id`) did this too.
    AlsoCompletedWith,
    /// Shares `tags` with cards the learner liked.
    SimilarTags,
    /// Popular with peers.
    Popular,
}

/// One recommended card, with its reason.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Recommendation {
    /// The card.
    pub card_id: String,
    /// Its title.
    pub title: String,
    /// Ranking score (comparable within one list only).
    pub score: f64,
    /// The kind of reason.
    pub reason: ReasonKind,
    /// The card the reason names, if any.
    pub because_card_id: Option<String>,
    /// The stars the learner gave that card, for `BecauseYouRated`.
    pub stars: Option<u8>,
    /// The topic, for `QuizGap`.
    pub topic: Option<String>,
    /// Shared tags, for `SimilarTags`.
    pub tags: Vec<String>,
    /// A one-line explanation for the UI ("because you rated “X” 5★").
    pub explanation: String,
}

/// How ratings leave the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RatingSharing {
    /// Never.
    Off,
    /// In the anonymous aggregate only (the default).
    Anonymous,
    /// With the learner's id and name.
    Named,
}

/// What the learner shares.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PrivacySettings {
    /// Name shown to colleagues (`null` = none).
    pub display_name: Option<String>,
    /// Team ("" = none).
    pub team: String,
    /// How ratings are shared.
    pub ratings: RatingSharing,
    /// Whether topic mastery may appear in the expertise profile.
    pub share_mastery: bool,
    /// Whether the learner appears on leaderboards.
    pub leaderboard: bool,
    /// Whether the learner is findable in "who can help".
    pub expertise: bool,
}

/// A colleague's contributions on one topic (filled by the network layer).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PeerContribution {
    /// Pseudonymous id.
    pub peer_id: String,
    /// Shown name.
    pub display_name: String,
    /// Team.
    pub team: String,
    /// Topic.
    pub topic: String,
    /// Accepted answers.
    pub accepted_answers: u32,
    /// Net votes.
    pub votes: i64,
    /// Shared mastery 0–1.
    pub mastery: Option<f32>,
    /// Opted in (`false` retracts everything about them).
    pub opted_in: bool,
}

/// A colleague who can help.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Expert {
    /// Pseudonymous id.
    pub peer_id: String,
    /// Shown name.
    pub display_name: String,
    /// Team.
    pub team: String,
    /// Topic.
    pub topic: String,
    /// Ranking score.
    pub score: f64,
    /// Accepted answers.
    pub accepted_answers: u32,
    /// Net votes.
    pub votes: i64,
    /// Shared mastery.
    pub mastery: Option<f32>,
}

/// A colleague's weekly points (filled by the network layer).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PeerPoints {
    /// Pseudonymous id.
    pub peer_id: String,
    /// Shown name.
    pub display_name: String,
    /// Team.
    pub team: String,
    /// Topic.
    pub topic: String,
    /// ISO week `YYYY-Www`.
    pub week: String,
    /// Points.
    pub points: u64,
    /// Opted in (`false` retracts everything about them).
    pub opted_in: bool,
}

/// One row of a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeaderboardEntry {
    /// Rank (ties share one).
    pub rank: u32,
    /// Pseudonymous id.
    pub peer_id: String,
    /// Shown name.
    pub display_name: String,
    /// Points this week.
    pub points: u64,
    /// Whether this is the learner.
    pub is_me: bool,
}

/// What a peer-signals import stored.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PeerSignalsReport {
    /// Cards with signals.
    pub cards: u64,
    /// Co-completion pairs.
    pub pairs: u64,
}

mirror!(enum mp::PlaylistKind => PlaylistKind { Own, Followed, Copy });
mirror!(struct mp::Playlist => Playlist {
    id,
    title,
    description,
    kind: into,
    owner_id,
    owner_name,
    source_id,
    source_revision,
    upstream_revision,
    revision,
    cards,
    hidden,
    added,
    updated_at: into,
});
mirror!(struct mp::PlaylistProgress => PlaylistProgress {
    total,
    done,
    next_card,
    minutes_left,
    unavailable,
});
mirror!(struct mp::ApplyOutcome => ApplyOutcome { updated, stale, copies_behind, ignored });
mirror!(enum mp::RatingSharing <=> RatingSharing { Off, Anonymous, Named });
mirror!(struct mp::PrivacySettings <=> PrivacySettings {
    display_name,
    team,
    ratings: into,
    share_mastery,
    leaderboard,
    expertise,
});
mirror!(struct mp::PeerContribution <=> PeerContribution {
    peer_id,
    display_name,
    team,
    topic,
    accepted_answers,
    votes,
    mastery,
    opted_in,
});
mirror!(struct mp::Expert => Expert {
    peer_id,
    display_name,
    team,
    topic,
    score,
    accepted_answers,
    votes,
    mastery,
});
mirror!(struct mp::PeerPoints <=> PeerPoints {
    peer_id,
    display_name,
    team,
    topic,
    week,
    points,
    opted_in,
});
mirror!(struct mp::LeaderboardEntry => LeaderboardEntry {
    rank,
    peer_id,
    display_name,
    points,
    is_me,
});
mirror!(struct mp::PeerSignalsReport => PeerSignalsReport { cards, pairs });

fn recs(core: &microlearn_core::Microlearn, v: Vec<mp::Recommendation>) -> Vec<Recommendation> {
    let title = |id: &str| {
        core.card(id)
            .map(|c| c.title)
            .unwrap_or_else(|_| id.to_owned())
    };
    v.into_iter()
        .map(|r| {
            let explanation = r.explanation(title);
            let (reason, because_card_id, stars, topic, tags) = match r.reason {
                mp::Reason::QuizGap { topic } => {
                    (ReasonKind::QuizGap, None, None, Some(topic), vec![])
                }
                mp::Reason::BecauseYouRated { card_id, stars } => (
                    ReasonKind::BecauseYouRated,
                    Some(card_id),
                    Some(stars),
                    None,
                    vec![],
                ),
                mp::Reason::BecauseYouCompleted { card_id } => (
                    ReasonKind::BecauseYouCompleted,
                    Some(card_id),
                    None,
                    None,
                    vec![],
                ),
                mp::Reason::AlsoCompletedWith { card_id } => (
                    ReasonKind::AlsoCompletedWith,
                    Some(card_id),
                    None,
                    None,
                    vec![],
                ),
                mp::Reason::SimilarTags { tags } => {
                    (ReasonKind::SimilarTags, None, None, None, tags)
                }
                mp::Reason::Popular => (ReasonKind::Popular, None, None, None, vec![]),
            };
            Recommendation {
                card_id: r.card_id,
                title: r.title,
                score: r.score,
                reason,
                because_card_id,
                stars,
                topic,
                tags,
                explanation,
            }
        })
        .collect()
}

#[uniffi::export]
impl Microlearn {
    /// Creates an own playlist of `cards` (each in the offline catalog).
    #[uniffi::method(default(now = None))]
    pub fn create_playlist(
        &self,
        title: String,
        cards: Vec<String>,
        now: Option<SystemTime>,
    ) -> Result<Playlist> {
        Ok(self
            .core()?
            .create_playlist(&title, &cards, instant(now))?
            .into())
    }

    /// One playlist.
    pub fn playlist(&self, id: String) -> Result<Playlist> {
        Ok(self.core()?.playlist(&id)?.into())
    }

    /// Every playlist, most recently changed first.
    pub fn playlists(&self) -> Result<Vec<Playlist>> {
        Ok(vec(self.core()?.playlists()?))
    }

    /// Renames an own playlist or a copy (a followed one is read-only: `InvalidArgument`).
    #[uniffi::method(default(now = None))]
    pub fn rename_playlist(
        &self,
        id: String,
        title: String,
        now: Option<SystemTime>,
    ) -> Result<()> {
        Ok(self.core()?.rename_playlist(&id, &title, instant(now))?)
    }

    /// Deletes (or unfollows) a playlist.
    pub fn delete_playlist(&self, id: String) -> Result<()> {
        Ok(self.core()?.delete_playlist(&id)?)
    }

    /// Adds a card at the end (on a followed playlist: a local overlay edit).
    #[uniffi::method(default(now = None))]
    pub fn add_to_playlist(
        &self,
        id: String,
        card_id: String,
        now: Option<SystemTime>,
    ) -> Result<()> {
        Ok(self.core()?.add_to_playlist(&id, &card_id, instant(now))?)
    }

    /// Removes a card (on a followed playlist: hides the owner's card locally).
    #[uniffi::method(default(now = None))]
    pub fn remove_from_playlist(
        &self,
        id: String,
        card_id: String,
        now: Option<SystemTime>,
    ) -> Result<()> {
        Ok(self
            .core()?
            .remove_from_playlist(&id, &card_id, instant(now))?)
    }

    /// Puts an own playlist or copy in this order (exactly its cards, each once).
    #[uniffi::method(default(now = None))]
    pub fn reorder_playlist(
        &self,
        id: String,
        cards: Vec<String>,
        now: Option<SystemTime>,
    ) -> Result<()> {
        Ok(self.core()?.reorder_playlist(&id, &cards, instant(now))?)
    }

    /// Done, next, and minutes left.
    pub fn playlist_progress(&self, id: String) -> Result<PlaylistProgress> {
        Ok(self.core()?.playlist_progress(&id)?.into())
    }

    /// The JSON payload to post for an own playlist or copy (respects the privacy settings).
    pub fn share_payload(&self, playlist_id: String) -> Result<String> {
        Ok(self.core()?.share_payload(&playlist_id)?)
    }

    /// Applies an owner's payload that arrived: updates a followed playlist if newer.
    #[uniffi::method(default(now = None))]
    pub fn apply_shared(&self, payload: String, now: Option<SystemTime>) -> Result<ApplyOutcome> {
        Ok(self.core()?.apply_shared(&payload, instant(now))?.into())
    }

    /// Follows a shared playlist (read-only mirror + local overlay).
    #[uniffi::method(default(now = None))]
    pub fn follow_shared(&self, payload: String, now: Option<SystemTime>) -> Result<Playlist> {
        Ok(self.core()?.follow_shared(&payload, instant(now))?.into())
    }

    /// Copies a shared playlist (a fork the learner owns).
    #[uniffi::method(default(now = None))]
    pub fn copy_shared(&self, payload: String, now: Option<SystemTime>) -> Result<Playlist> {
        Ok(self.core()?.copy_shared(&payload, instant(now))?.into())
    }

    /// Rates a card 1–5 stars.
    #[uniffi::method(default(now = None))]
    pub fn rate_card(&self, card_id: String, stars: u8, now: Option<SystemTime>) -> Result<()> {
        Ok(self.core()?.rate_card(&card_id, stars, instant(now))?)
    }

    /// Marks a card completed.
    #[uniffi::method(default(now = None))]
    pub fn mark_card_completed(&self, card_id: String, now: Option<SystemTime>) -> Result<()> {
        Ok(self.core()?.mark_card_completed(&card_id, instant(now))?)
    }

    /// Imports the catalog-side peer-signals file (JSON Lines text), replacing earlier signals.
    pub fn import_peer_signals(&self, jsonl: String) -> Result<PeerSignalsReport> {
        Ok(self.core()?.import_peer_signals(jsonl.as_bytes())?.into())
    }

    /// "Next for you": quiz gaps, then peers' co-completions, then similar tags, then popular.
    #[uniffi::method(default(limit = 10, now = None))]
    pub fn next_for_you(&self, limit: u32, now: Option<SystemTime>) -> Result<Vec<Recommendation>> {
        let core = self.core()?;
        let v = core.next_for_you(limit as usize, instant(now))?;
        Ok(recs(&core, v))
    }

    /// "If you liked this": cards peers completed with `card_id`, then similar tags.
    #[uniffi::method(default(limit = 10))]
    pub fn if_you_liked(&self, card_id: String, limit: u32) -> Result<Vec<Recommendation>> {
        let core = self.core()?;
        let v = core.if_you_liked(&card_id, limit as usize)?;
        Ok(recs(&core, v))
    }

    /// The activity payload (JSON) for peers' anonymous aggregate, or `null` when ratings are off.
    pub fn ratings_payload(&self) -> Result<Option<String>> {
        Ok(self
            .core()?
            .ratings_payload()?
            .and_then(|p| serde_json::to_string(&p).ok()))
    }

    /// The learner's privacy settings.
    pub fn privacy_settings(&self) -> Result<PrivacySettings> {
        Ok(self.core()?.privacy_settings()?.into())
    }

    /// Stores the learner's privacy settings (payloads follow at once).
    pub fn set_privacy_settings(&self, settings: PrivacySettings) -> Result<()> {
        Ok(self.core()?.set_privacy_settings(&settings.into())?)
    }

    /// Stores colleagues' contributions; an opted-out record deletes that peer's rows.
    #[uniffi::method(default(now = None))]
    pub fn apply_peer_contributions(
        &self,
        records: Vec<PeerContribution>,
        now: Option<SystemTime>,
    ) -> Result<u64> {
        let records: Vec<mp::PeerContribution> = vec(records);
        Ok(self
            .core()?
            .apply_peer_contributions(&records, instant(now))?)
    }

    /// Colleagues who can help with `topic`, best first.
    #[uniffi::method(default(limit = 10))]
    pub fn who_can_help(&self, topic: String, limit: u32) -> Result<Vec<Expert>> {
        Ok(vec(self.core()?.who_can_help(&topic, limit as usize)?))
    }

    /// Stores colleagues' weekly points; an opted-out record deletes that peer's rows.
    pub fn apply_peer_points(&self, records: Vec<PeerPoints>) -> Result<()> {
        let records: Vec<mp::PeerPoints> = vec(records);
        Ok(self.core()?.apply_peer_points(&records)?)
    }

    /// This week's team leaderboard (opted-in people only).
    #[uniffi::method(default(limit = 20, now = None))]
    pub fn team_leaderboard(
        &self,
        team: String,
        limit: u32,
        now: Option<SystemTime>,
    ) -> Result<Vec<LeaderboardEntry>> {
        let scope = mp::LeaderboardScope::Team(team);
        Ok(vec(self.core()?.leaderboard(
            &scope,
            instant(now),
            limit as usize,
        )?))
    }

    /// This week's topic leaderboard (opted-in people only).
    #[uniffi::method(default(limit = 20, now = None))]
    pub fn topic_leaderboard(
        &self,
        topic: String,
        limit: u32,
        now: Option<SystemTime>,
    ) -> Result<Vec<LeaderboardEntry>> {
        let scope = mp::LeaderboardScope::Topic(topic);
        Ok(vec(self.core()?.leaderboard(
            &scope,
            instant(now),
            limit as usize,
        )?))
    }
}
