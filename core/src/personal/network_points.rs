//! Leaderboards fed from the network layer: a learner on leaderboards publishes their
//! [`super::WeeklyPoints`] as an [`POINTS_EVENT`] custom event in a topic room; one who is not
//! publishes a retraction. [`crate::Microlearn::leaderboard_from_network`] turns each sender's
//! newest event per week into [`PeerPoints`] records. *Opt-in stays enforced here:* a sender with
//! no opted-in event yields no record, and a retraction deletes what is held about them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{PeerPoints, check_id, clean_text, privacy};
use crate::Microlearn;

/// The custom event type that carries a learner's weekly points (or their retraction).
pub const POINTS_EVENT: &str = "org.microlearn.points";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PointsEvent {
    learner: String,
    opted_in: bool,
    #[serde(default)]
    name: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    week: String,
    #[serde(default)]
    topics: Vec<(String, u64)>,
}

impl PointsEvent {
    fn valid(&self) -> bool {
        check_id("peer id", &self.learner).is_ok()
            && (!self.opted_in
                || (clean_text("display name", &self.name).is_ok()
                    && self.team.chars().count() <= 200
                    && self.week.len() == 8
                    && self.topics.len() <= 500
                    && self
                        .topics
                        .iter()
                        .all(|(t, _)| clean_text("topic", t).is_ok())))
    }
}

impl Microlearn {
    /// Publishes this week's points to a topic room (`!room` id or joined topic) through the
    /// outbox: the points when the learner is on leaderboards, else a retraction.
    pub fn publish_points_to_room(&self, room: &str, now: DateTime<Utc>) -> crate::Result<String> {
        let room_id = self.resolve_room(room)?;
        let ev = match self.weekly_points_payload(now)? {
            Some(p) => PointsEvent {
                learner: p.learner,
                opted_in: true,
                name: p.name,
                team: p.team,
                week: p.week,
                topics: p.topics,
            },
            None => PointsEvent {
                learner: self.store().write(|tx| privacy::learner_id(tx))?,
                opted_in: false,
                name: String::new(),
                team: String::new(),
                week: String::new(),
                topics: vec![],
            },
        };
        self.enqueue_json_event(&room_id, POINTS_EVENT, &ev)
    }

    /// Stores colleagues' weekly points from the network store (call after a sync): each
    /// sender's newest event per week; a sender whose newest event is a retraction is deleted.
    /// Malformed events are skipped. Returns how many peer records were applied.
    pub fn leaderboard_from_network(&self) -> crate::Result<u64> {
        let me = self.network_account().ok().map(|(_, u)| u);
        // sender → (newest retraction or opted-in events per week), oldest first.
        let mut latest: HashMap<String, Vec<PointsEvent>> = HashMap::new();
        for e in self.network_custom_events(POINTS_EVENT, None, u32::MAX)? {
            if me.as_deref() == Some(e.sender.as_str()) {
                continue;
            }
            let Ok(p) = serde_json::from_str::<PointsEvent>(&e.content) else {
                continue;
            };
            if !p.valid() {
                continue;
            }
            let evs = latest.entry(e.sender).or_default();
            if !p.opted_in {
                *evs = vec![p];
            } else {
                evs.retain(|q| q.opted_in && q.week != p.week);
                evs.push(p);
            }
        }
        let mut records = vec![];
        for evs in latest.values() {
            for p in evs {
                if !p.opted_in {
                    records.push(PeerPoints {
                        peer_id: p.learner.clone(),
                        display_name: String::new(),
                        team: String::new(),
                        topic: String::new(),
                        week: String::new(),
                        points: 0,
                        opted_in: false,
                    });
                    continue;
                }
                for (topic, points) in &p.topics {
                    records.push(PeerPoints {
                        peer_id: p.learner.clone(),
                        display_name: p.name.clone(),
                        team: p.team.trim().to_owned(),
                        topic: topic.clone(),
                        week: p.week.clone(),
                        points: *points,
                        opted_in: true,
                    });
                }
            }
        }
        // One bad week label must not block everyone else's records.
        records.retain(|r| !r.opted_in || self.apply_peer_points(std::slice::from_ref(r)).is_ok());
        let n = records.len() as u64;
        let retractions: Vec<_> = records.into_iter().filter(|r| !r.opted_in).collect();
        self.apply_peer_points(&retractions)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;
    use crate::personal::{
        LeaderboardScope,
        leaderboard::week_label,
        playlists::tests::{core_with, t0},
    };

    fn receive(core: &Microlearn, id: &str, sender: &str, ts: i64, content: &str) {
        core.store()
            .write(|tx| {
                tx.execute(
                    "INSERT INTO network_custom(event_id, room_id, type, sender, ts, content)
                     VALUES (?1, '!r:x', ?2, ?3, ?4, ?5)",
                    params![id, POINTS_EVENT, sender, ts, content],
                )?;
                Ok::<_, crate::Error>(())
            })
            .expect("insert");
    }

    #[test]
    fn only_opted_in_peers_reach_the_board_and_retractions_delete() {
        let (_d, me) = core_with(&["a"]);
        let week = week_label(t0().date_naive());
        let ana = format!(
            r#"{{"learner":"learner-ana","opted_in":true,"name":"Ana","team":"north","week":"{week}","topics":[["refunds",30]]}}"#
        );
        receive(&me, "$1", "@ana:x", 1, &ana);
        receive(
            &me,
            "$2",
            "@bob:x",
            1,
            r#"{"learner":"bad id","opted_in":true}"#,
        );
        assert_eq!(me.leaderboard_from_network().expect("feed"), 1);
        let board = me
            .leaderboard(&LeaderboardScope::Topic("refunds".into()), t0(), 10)
            .expect("board");
        assert_eq!(
            board.iter().map(|e| e.peer_id.as_str()).collect::<Vec<_>>(),
            ["learner-ana"]
        );
        receive(
            &me,
            "$3",
            "@ana:x",
            2,
            r#"{"learner":"learner-ana","opted_in":false}"#,
        );
        me.leaderboard_from_network().expect("feed");
        let board = me
            .leaderboard(&LeaderboardScope::Topic("refunds".into()), t0(), 10)
            .expect("board");
        assert!(board.is_empty());
        // Publishing while not on leaderboards (the default) queues a retraction only.
        let id = me.publish_points_to_room("!r:x", t0()).expect("publish");
        let item = me
            .network_outbox()
            .expect("outbox")
            .into_iter()
            .find(|i| i.local_id == id)
            .expect("queued");
        let ev: PointsEvent = serde_json::from_str(&item.content).expect("json");
        assert!(!ev.opted_in && ev.topics.is_empty());
    }
}
