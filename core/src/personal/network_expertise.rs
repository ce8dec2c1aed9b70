//! Expertise finding fed from the network layer's Q&A. A learner who opted in to expertise
//! finding publishes their profile (pseudonymous id, shown name, team, mastery only if shared) as
//! an [`EXPERTISE_EVENT`] custom event in a topic room; one who opts out publishes a retraction.
//! On every device, [`crate::Microlearn::expertise_from_network`] joins each sender's newest
//! profile with their accepted answers and votes per topic room (`network::contrib`) into
//! [`PeerContribution`] records. *Opt-in stays enforced here:* a sender with no opted-in profile
//! yields no record at all, and a retraction deletes everything held about them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PeerContribution, check_id, clean_text, privacy};
use crate::Microlearn;

/// The custom event type that carries an expertise profile (or its retraction).
pub const EXPERTISE_EVENT: &str = "org.microlearn.expertise";

/// The event content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ProfileEvent {
    learner: String,
    opted_in: bool,
    #[serde(default)]
    name: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    topics: Vec<(String, Option<f32>)>,
}

impl Microlearn {
    /// Publishes the learner's expertise profile to a topic room (`!room` id or joined topic)
    /// through the outbox: the profile when they opted in to expertise finding (mastery only if
    /// they share it), otherwise a retraction. Returns the outbox id.
    pub fn publish_expertise_to_room(
        &self,
        room: &str,
        now: DateTime<Utc>,
    ) -> crate::Result<String> {
        let room_id = self.resolve_room(room)?;
        let ev = match self.expertise_profile(now)? {
            Some(p) => ProfileEvent {
                learner: p.learner,
                opted_in: true,
                name: p.name,
                team: p.team,
                topics: p.topics,
            },
            None => ProfileEvent {
                learner: self.store().write(|tx| privacy::learner_id(tx))?,
                opted_in: false,
                name: String::new(),
                team: String::new(),
                topics: vec![],
            },
        };
        self.enqueue_json_event(&room_id, EXPERTISE_EVENT, &ev)
    }

    /// Rebuilds colleagues' expertise records from the network store (call after a sync): each
    /// sender's newest profile event × their accepted answers and net votes per topic room.
    /// Malformed profiles are skipped. Returns how many records are stored.
    pub fn expertise_from_network(&self, now: DateTime<Utc>) -> crate::Result<u64> {
        let me = self.network_account().ok().map(|(_, u)| u);
        let mut profiles: HashMap<String, ProfileEvent> = HashMap::new();
        for e in self.network_custom_events(EXPERTISE_EVENT, None, u32::MAX)? {
            if me.as_deref() == Some(e.sender.as_str()) {
                continue;
            }
            let Ok(p) = serde_json::from_str::<ProfileEvent>(&e.content) else {
                continue;
            };
            let valid = check_id("peer id", &p.learner).is_ok()
                && (!p.opted_in
                    || (clean_text("display name", &p.name).is_ok()
                        && p.team.chars().count() <= 200
                        && p.topics.iter().all(|(t, m)| {
                            clean_text("topic", t).is_ok()
                                && m.is_none_or(|m| (0.0..=1.0).contains(&m))
                        })));
            if valid {
                profiles.insert(e.sender, p); // oldest first, so the newest stays
            }
        }
        let mut records = vec![];
        for p in profiles.values().filter(|p| !p.opted_in) {
            records.push(PeerContribution {
                peer_id: p.learner.clone(),
                display_name: String::new(),
                team: String::new(),
                topic: "-".into(),
                accepted_answers: 0,
                votes: 0,
                mastery: None,
                opted_in: false,
            });
        }
        for c in self.network_author_contributions()? {
            let Some(p) = profiles.get(&c.sender).filter(|p| p.opted_in) else {
                continue;
            };
            if clean_text("topic", &c.topic).is_err() {
                continue;
            }
            let mastery = p
                .topics
                .iter()
                .find(|(t, _)| t.trim().eq_ignore_ascii_case(c.topic.trim()))
                .and_then(|(_, m)| *m);
            records.push(PeerContribution {
                peer_id: p.learner.clone(),
                display_name: p.name.clone(),
                team: p.team.trim().to_owned(),
                topic: c.topic,
                accepted_answers: c.accepted_answers,
                votes: c.votes,
                mastery,
                opted_in: true,
            });
        }
        self.apply_peer_contributions(&records, now)
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;
    use crate::personal::playlists::tests::{core_with, t0};

    fn exec(core: &Microlearn, sql: &str, p: &[&dyn rusqlite::ToSql]) {
        core.store()
            .write(|tx| {
                tx.execute(sql, p)?;
                Ok::<_, crate::Error>(())
            })
            .expect("sql");
    }

    fn post(core: &Microlearn, id: &str, sender: &str, kind: &str) {
        exec(
            core,
            "INSERT INTO network_posts(event_id, room_id, sender, kind, body, ts)
             VALUES (?1, '!r:x', ?2, ?3, 'text', 1)",
            params![id, sender, kind],
        );
    }

    fn profile(core: &Microlearn, id: &str, sender: &str, ts: i64, content: &str) {
        exec(
            core,
            "INSERT INTO network_custom(event_id, room_id, type, sender, ts, content)
             VALUES (?1, '!r:x', ?2, ?3, ?4, ?5)",
            params![id, EXPERTISE_EVENT, sender, ts, content],
        );
    }

    #[test]
    fn only_opted_in_authors_become_experts_and_retractions_delete() {
        let (_d, me) = core_with(&["a"]);
        exec(
            &me,
            "INSERT INTO network_rooms(room_id, topic) VALUES ('!r:x', 'refunds')",
            &[],
        );
        post(&me, "$q", "@asker:x", "question");
        post(&me, "$a1", "@ana:x", "answer");
        post(&me, "$a2", "@bob:x", "answer");
        exec(
            &me,
            "INSERT INTO network_accepts(event_id, room_id, question, answer, sender, ts)
             VALUES ('$acc', '!r:x', '$q', '$a1', '@asker:x', 2)",
            &[],
        );
        for (i, (target, voter)) in [("$a1", "@v1:x"), ("$a1", "@v2:x"), ("$a2", "@v1:x")]
            .iter()
            .enumerate()
        {
            exec(
                &me,
                "INSERT INTO network_votes(target, voter, value, ts, event_id) VALUES (?1, ?2, 1, 3, ?3)",
                params![target, voter, format!("$v{i}")],
            );
        }
        let c = me.network_author_contributions().expect("contrib");
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].sender.as_str(), c[0].accepted_answers, c[0].votes),
            ("@ana:x", 1, 2)
        );
        // Only Ana published an opted-in profile; Bob answered but never opted in.
        profile(
            &me,
            "$p1",
            "@ana:x",
            1,
            r#"{"learner":"learner-ana","opted_in":true,"name":"Ana","team":"north","topics":[["refunds",0.8]]}"#,
        );
        profile(
            &me,
            "$junk",
            "@bob:x",
            1,
            r#"{"learner":"x y","opted_in":true}"#,
        );
        me.expertise_from_network(t0()).expect("feed");
        let experts = me.who_can_help("refunds", 5).expect("who");
        assert_eq!(experts.len(), 1);
        assert_eq!(
            (experts[0].peer_id.as_str(), experts[0].accepted_answers),
            ("learner-ana", 1)
        );
        assert_eq!(experts[0].mastery, Some(0.8));
        // Ana opts out: her newer retraction deletes her.
        profile(
            &me,
            "$p2",
            "@ana:x",
            5,
            r#"{"learner":"learner-ana","opted_in":false}"#,
        );
        me.expertise_from_network(t0()).expect("feed");
        assert!(me.who_can_help("refunds", 5).expect("who").is_empty());
    }

    #[test]
    fn publish_queues_profile_or_retraction() {
        let (_d, me) = core_with(&["a"]);
        let id = me.publish_expertise_to_room("!r:x", t0()).expect("publish");
        let item = me
            .network_outbox()
            .expect("outbox")
            .into_iter()
            .find(|i| i.local_id == id)
            .expect("queued");
        let ev: ProfileEvent = serde_json::from_str(&item.content).expect("json");
        assert!(!ev.opted_in && ev.name.is_empty(), "default is opted out");
    }
}
