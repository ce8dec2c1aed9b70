//! Weekly leaderboards, team or topic scoped, of people who opted in only.
//!
//! *Why like this:* a leaderboard should motivate, not surveil. Peers' weekly points arrive as
//! [`PeerPoints`] records from the network layer (quiz points plus contribution points, summed on
//! their device); a record that is not opted in deletes what was held about that peer. The
//! learner appears on their own board, and their [`WeeklyPoints`] leave the device, only when
//! [`super::PrivacySettings::leaderboard`] is on. Weeks are ISO weeks (`2026-W49`) of the
//! learner's local day; the learner's own points are the quiz's answer points in that week
//! (`quiz::progress::POINTS_CORRECT` / `POINTS_WRONG`), per topic of the question.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{check_id, clean_text};
use crate::quiz::progress::{POINTS_CORRECT, POINTS_WRONG};

/// Which board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", content = "name", rename_all = "snake_case")]
pub enum LeaderboardScope {
    /// Everyone in this team.
    Team(String),
    /// Everyone's points on this topic.
    Topic(String),
}

/// A colleague's points in one week and topic, as the network layer delivers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerPoints {
    /// Pseudonymous learner id.
    pub peer_id: String,
    /// Shown name.
    pub display_name: String,
    /// Team.
    pub team: String,
    /// Topic.
    pub topic: String,
    /// ISO week, `YYYY-Www`.
    pub week: String,
    /// Points (quiz + contributions).
    pub points: u64,
    /// Whether they opted in (`false` deletes what is held about them).
    pub opted_in: bool,
}

/// One row of a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaderboardEntry {
    /// 1-based rank (ties share a rank).
    pub rank: u32,
    /// Pseudonymous id.
    pub peer_id: String,
    /// Shown name.
    pub display_name: String,
    /// Points this week in scope.
    pub points: u64,
    /// Whether this row is the learner.
    pub is_me: bool,
}

/// The learner's weekly points as they leave the device (only when opted in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeeklyPoints {
    /// Pseudonymous id.
    pub learner: String,
    /// Shown name.
    pub name: String,
    /// Team.
    pub team: String,
    /// ISO week.
    pub week: String,
    /// Points per topic.
    pub topics: Vec<(String, u64)>,
}

/// The ISO week label of a local date.
pub fn week_label(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

fn my_points(
    c: &rusqlite::Connection,
    now: DateTime<Utc>,
) -> crate::Result<(String, Vec<(String, u64)>)> {
    let tz = crate::quiz::schema::load_settings(c)?.tz()?;
    let today = tz.local_date(now);
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let start = tz.from_local(monday.and_hms_opt(0, 0, 0).unwrap_or_default());
    let end = tz.from_local(
        (monday + Duration::days(7))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    );
    let mut stmt = c.prepare_cached(
        "SELECT q.topic, sum(r.correct), count(*) FROM quiz_reviews r
         JOIN quiz_questions q ON q.id = r.question_id
         WHERE r.answered_ms >= ?1 AND r.answered_ms < ?2 GROUP BY q.topic ORDER BY q.topic",
    )?;
    let rows = stmt.query_map(
        params![start.timestamp_millis(), end.timestamp_millis()],
        |r| {
            let (t, ok, n): (String, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let (ok, n) = (ok.max(0) as u64, n.max(0) as u64);
            Ok((t, ok * POINTS_CORRECT + (n - ok.min(n)) * POINTS_WRONG))
        },
    )?;
    Ok((week_label(today), rows.collect::<rusqlite::Result<_>>()?))
}

impl crate::Microlearn {
    /// Stores colleagues' weekly points; a record not opted in deletes all of that peer's rows.
    pub fn apply_peer_points(&self, records: &[PeerPoints]) -> crate::Result<()> {
        for r in records {
            check_id("peer id", &r.peer_id)?;
            if r.opted_in {
                clean_text("display name", &r.display_name)?;
                clean_text("topic", &r.topic)?;
                let ok = r.week.len() == 8
                    && r.week.as_bytes()[4] == b'-'
                    && r.week.as_bytes()[5] == b'W'
                    && r.week[..4]
                        .bytes()
                        .chain(r.week[6..].bytes())
                        .all(|b| b.is_ascii_digit());
                if !ok {
                    return Err(
                        super::invalid("week", format!("{:?} is not YYYY-Www", r.week)).into(),
                    );
                }
            }
        }
        self.store().write(|tx| {
            for r in records {
                if !r.opted_in {
                    tx.execute("DELETE FROM personal_points WHERE peer_id = ?1", [&r.peer_id])?;
                    continue;
                }
                tx.execute(
                    "INSERT OR REPLACE INTO personal_points(peer_id, display_name, team, topic, week, points)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        r.peer_id,
                        r.display_name.trim(),
                        r.team.trim(),
                        r.topic.trim().to_lowercase(),
                        r.week,
                        r.points.min(i64::MAX as u64) as i64
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// This week's board (the learner's local week at `now`) for `scope`, best first. Only
    /// opted-in people appear; the learner only if they opted in.
    pub fn leaderboard(
        &self,
        scope: &LeaderboardScope,
        now: DateTime<Utc>,
        limit: usize,
    ) -> crate::Result<Vec<LeaderboardEntry>> {
        let me = self.privacy_settings()?;
        let my_id = self.learner_id()?;
        self.store().read(|c| {
            let (week, mine) = my_points(c, now)?;
            let (sql, key) = match scope {
                LeaderboardScope::Team(t) => (
                    "SELECT peer_id, max(display_name), sum(points) FROM personal_points
                     WHERE week = ?1 AND team = ?2 GROUP BY peer_id",
                    t.trim().to_owned(),
                ),
                LeaderboardScope::Topic(t) => (
                    "SELECT peer_id, max(display_name), sum(points) FROM personal_points
                     WHERE week = ?1 AND topic = ?2 GROUP BY peer_id",
                    t.trim().to_lowercase(),
                ),
            };
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows: Vec<(String, String, u64, bool)> = stmt
                .query_map(params![week, key], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get::<_, i64>(2)?.max(0) as u64,
                        false,
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            if me.leaderboard {
                let points = match scope {
                    LeaderboardScope::Team(t) if *t.trim() == me.team => {
                        Some(mine.iter().map(|x| x.1).sum())
                    }
                    LeaderboardScope::Topic(_) => {
                        Some(mine.iter().filter(|x| x.0 == key).map(|x| x.1).sum())
                    }
                    LeaderboardScope::Team(_) => None,
                };
                if let Some(points) = points {
                    rows.retain(|r| r.0 != my_id);
                    rows.push((my_id.clone(), me.shown_name(), points, true));
                }
            }
            rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
            let mut out: Vec<LeaderboardEntry> = Vec::with_capacity(rows.len());
            for (i, (peer_id, display_name, points, is_me)) in rows.into_iter().enumerate() {
                let rank = match out.last() {
                    Some(prev) if prev.points == points => prev.rank,
                    _ => i as u32 + 1,
                };
                out.push(LeaderboardEntry {
                    rank,
                    peer_id,
                    display_name,
                    points,
                    is_me,
                });
            }
            out.truncate(limit.clamp(1, 500));
            Ok(out)
        })
    }

    /// The learner's points this week for the network layer, or `None` unless they opted in.
    pub fn weekly_points_payload(&self, now: DateTime<Utc>) -> crate::Result<Option<WeeklyPoints>> {
        let me = self.privacy_settings()?;
        if !me.leaderboard {
            return Ok(None);
        }
        let (week, topics) = self.store().read(|c| my_points(c, now))?;
        let learner = self.learner_id()?;
        Ok(Some(WeeklyPoints {
            learner,
            name: me.shown_name(),
            team: me.team,
            week,
            topics,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personal::{
        PrivacySettings,
        playlists::tests::{core_with, t0},
    };

    fn pts(peer: &str, team: &str, topic: &str, points: u64, opted: bool) -> PeerPoints {
        PeerPoints {
            peer_id: peer.into(),
            display_name: format!("N{peer}"),
            team: team.into(),
            topic: topic.into(),
            week: week_label(t0().date_naive()),
            points,
            opted_in: opted,
        }
    }

    #[test]
    fn only_opted_in_people_appear() {
        let (_d, core) = core_with(&["a"]);
        core.learner_id().expect("id");
        core.apply_peer_points(&[
            pts("p1", "north", "safety", 50, true),
            pts("p1", "north", "care", 20, true),
            pts("p2", "north", "safety", 70, true),
            pts("p3", "south", "safety", 90, true),
        ])
        .expect("apply");
        let team = LeaderboardScope::Team("north".into());
        let board = core.leaderboard(&team, t0(), 10).expect("board");
        assert_eq!(
            board
                .iter()
                .map(|e| (e.peer_id.as_str(), e.points))
                .collect::<Vec<_>>(),
            [("p1", 70), ("p2", 70)]
        );
        assert_eq!((board[0].rank, board[1].rank), (1, 1), "ties share a rank");
        assert!(board.iter().all(|e| !e.is_me), "not opted in: not shown");
        assert!(core.weekly_points_payload(t0()).expect("p").is_none());
        core.apply_peer_points(&[pts("p2", "", "", 0, false)])
            .expect("opt out");
        let topic = core
            .leaderboard(&LeaderboardScope::Topic("Safety".into()), t0(), 10)
            .expect("topic");
        assert_eq!(
            topic.iter().map(|e| e.peer_id.as_str()).collect::<Vec<_>>(),
            ["p3", "p1"]
        );
        core.set_privacy_settings(&PrivacySettings {
            leaderboard: true,
            team: "north".into(),
            display_name: Some("Me".into()),
            ..Default::default()
        })
        .expect("opt in");
        let board = core.leaderboard(&team, t0(), 10).expect("board");
        assert!(board.iter().any(|e| e.is_me && e.display_name == "Me"));
        assert!(core.weekly_points_payload(t0()).expect("p").is_some());
        let mut bad = pts("p9", "n", "t", 1, true);
        bad.week = "2026-49".into();
        assert!(core.apply_peer_points(&[bad]).is_err());
    }
}
