//! "Who can help with X": colleagues ranked per topic by accepted answers, votes and the mastery
//! they chose to share.
//!
//! *Why an input record:* contributions (answers, votes) happen in the network layer's topic
//! rooms; it fills [`PeerContribution`] records, and only for people who opted in. The core
//! still checks `opted_in`: a record saying "opted out" deletes everything held about that peer,
//! so an opt-out takes effect on every device that hears it. The score is deliberately simple
//! and explainable: `3 × accepted answers + √votes + 5 × shared mastery (0–1)`.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{check_id, clean_text, now_ms, privacy};

/// One colleague's contributions on one topic, as the network layer delivers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerContribution {
    /// Pseudonymous learner id.
    pub peer_id: String,
    /// Name they chose to show.
    pub display_name: String,
    /// Their team ("" = none).
    #[serde(default)]
    pub team: String,
    /// The topic.
    pub topic: String,
    /// Answers of theirs accepted in the topic room.
    pub accepted_answers: u32,
    /// Net votes on their answers.
    pub votes: i64,
    /// Topic mastery 0–1, only if they share it.
    pub mastery: Option<f32>,
    /// Whether they opted in to expertise finding (`false` retracts everything about them).
    pub opted_in: bool,
}

/// A colleague who can help.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expert {
    /// Pseudonymous learner id.
    pub peer_id: String,
    /// Shown name.
    pub display_name: String,
    /// Team.
    pub team: String,
    /// The topic.
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

/// What the learner's expertise profile shares (under their privacy settings).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpertiseProfile {
    /// Pseudonymous learner id.
    pub learner: String,
    /// Shown name.
    pub name: String,
    /// Team.
    pub team: String,
    /// Topics with mastery (`None` unless the learner shares mastery).
    pub topics: Vec<(String, Option<f32>)>,
}

fn score(accepted: u32, votes: i64, mastery: Option<f32>) -> f64 {
    3.0 * f64::from(accepted)
        + (votes.max(0) as f64).sqrt()
        + 5.0 * f64::from(mastery.unwrap_or(0.0).clamp(0.0, 1.0))
}

impl crate::Microlearn {
    /// Stores colleagues' contributions (upsert per peer and topic); an opted-out record deletes
    /// all of that peer's rows. Returns how many rows are stored for the records given.
    pub fn apply_peer_contributions(
        &self,
        records: &[PeerContribution],
        now: DateTime<Utc>,
    ) -> crate::Result<u64> {
        for r in records {
            check_id("peer id", &r.peer_id)?;
            clean_text("topic", &r.topic)?;
            if r.opted_in {
                clean_text("display name", &r.display_name)?;
            }
            if r.mastery.is_some_and(|m| !(0.0..=1.0).contains(&m)) {
                return Err(super::invalid("mastery", "outside 0–1").into());
            }
        }
        self.store().write(|tx| {
            let mut stored = 0;
            for r in records {
                if !r.opted_in {
                    tx.execute(
                        "DELETE FROM personal_contributions WHERE peer_id = ?1",
                        [&r.peer_id],
                    )?;
                    continue;
                }
                stored += tx.execute(
                    "INSERT OR REPLACE INTO personal_contributions(peer_id, display_name, team,
                         topic, accepted_answers, votes, mastery, updated_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        r.peer_id,
                        r.display_name.trim(),
                        r.team.trim(),
                        r.topic.trim().to_lowercase(),
                        r.accepted_answers,
                        r.votes,
                        r.mastery,
                        now_ms(now)
                    ],
                )? as u64;
            }
            Ok(stored)
        })
    }

    /// Colleagues who can help with `topic` (case-insensitive), best first.
    pub fn who_can_help(&self, topic: &str, limit: usize) -> crate::Result<Vec<Expert>> {
        let topic = topic.trim().to_lowercase();
        self.store().read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT peer_id, display_name, team, topic, accepted_answers, votes, mastery
                 FROM personal_contributions WHERE topic = ?1",
            )?;
            let mut v: Vec<Expert> = stmt
                .query_map([&topic], |r| {
                    let (a, v, m) = (r.get(4)?, r.get(5)?, r.get(6)?);
                    Ok(Expert {
                        peer_id: r.get(0)?,
                        display_name: r.get(1)?,
                        team: r.get(2)?,
                        topic: r.get(3)?,
                        score: score(a, v, m),
                        accepted_answers: a,
                        votes: v,
                        mastery: m,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            v.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then_with(|| a.peer_id.cmp(&b.peer_id))
            });
            v.truncate(limit.clamp(1, 100));
            Ok(v)
        })
    }

    /// The learner's expertise profile for the network layer, or `None` unless they opted in to
    /// expertise finding. Mastery is included only if they share mastery.
    pub fn expertise_profile(&self, now: DateTime<Utc>) -> crate::Result<Option<ExpertiseProfile>> {
        let p = self.privacy_settings()?;
        if !p.expertise {
            return Ok(None);
        }
        let mastery = self.mastery(now)?;
        let topics = mastery
            .topics
            .iter()
            .filter(|t| t.seen > 0)
            .map(|t| (t.topic.clone(), p.share_mastery.then_some(t.mastery)))
            .collect();
        let learner = self.store().write(|tx| privacy::learner_id(tx))?;
        Ok(Some(ExpertiseProfile {
            learner,
            name: p.shown_name(),
            team: p.team,
            topics,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personal::playlists::tests::{core_with, t0};

    fn rec(
        peer: &str,
        topic: &str,
        acc: u32,
        votes: i64,
        m: Option<f32>,
        opted: bool,
    ) -> PeerContribution {
        PeerContribution {
            peer_id: peer.into(),
            display_name: format!("Name {peer}"),
            team: "north".into(),
            topic: topic.into(),
            accepted_answers: acc,
            votes,
            mastery: m,
            opted_in: opted,
        }
    }

    #[test]
    fn ranks_opted_in_peers_and_forgets_opt_outs() {
        let (_d, core) = core_with(&["a"]);
        core.apply_peer_contributions(
            &[
                rec("p1", "Refunds", 1, 4, Some(0.9), true),
                rec("p2", "refunds", 4, 0, None, true),
                rec("p3", "safety", 9, 9, None, true),
            ],
            t0(),
        )
        .expect("apply");
        let e = core.who_can_help("REFUNDS", 5).expect("who");
        assert_eq!(
            e.iter().map(|x| x.peer_id.as_str()).collect::<Vec<_>>(),
            ["p2", "p1"]
        );
        core.apply_peer_contributions(&[rec("p2", "x", 0, 0, None, false)], t0())
            .expect("opt out");
        let e = core.who_can_help("refunds", 5).expect("who");
        assert_eq!(e.len(), 1);
        assert!(
            core.apply_peer_contributions(&[rec("p4", "x", 0, 0, Some(2.0), true)], t0())
                .is_err()
        );
        assert!(
            core.expertise_profile(t0()).expect("profile").is_none(),
            "opt-in only"
        );
    }
}
