//! Contributions per author per topic, read from the stored Q&A: accepted answers (the valid
//! accept of each question, as [`super::qa`] decides it: by the asker or a moderator) and net votes
//! on their answers. The personal layer turns these into expertise records, for peers who opted
//! in only; this module just counts what every room member can already see.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Serialize;

use super::{NetworkError, qa};
use crate::Microlearn;

/// One Matrix user's answers in one topic room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorContribution {
    /// The Matrix user id of the author.
    pub sender: String,
    /// The room.
    pub room_id: String,
    /// The catalog topic of the room.
    pub topic: String,
    /// Questions whose accepted answer is theirs.
    pub accepted_answers: u32,
    /// Net votes (+1/−1) on their answers.
    pub votes: i64,
}

/// Every author's contributions in the topic rooms (rooms without a topic are left out).
pub fn author_contributions(conn: &Connection) -> Result<Vec<AuthorContribution>, NetworkError> {
    let mut out: BTreeMap<(String, String), AuthorContribution> = BTreeMap::new();
    let mut answers = conn.prepare_cached(
        "SELECT p.sender, p.room_id, r.topic,
                coalesce((SELECT sum(v.value) FROM network_votes v WHERE v.target = p.event_id), 0)
         FROM network_posts p JOIN network_rooms r ON r.room_id = p.room_id
         WHERE p.kind = 'answer' AND r.topic IS NOT NULL",
    )?;
    let rows = answers.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (sender, room_id, topic, votes) = row?;
        out.entry((sender.clone(), room_id.clone()))
            .or_insert_with(|| AuthorContribution {
                sender,
                room_id,
                topic,
                accepted_answers: 0,
                votes: 0,
            })
            .votes += votes;
    }
    let mut questions = conn.prepare_cached(
        "SELECT p.event_id, p.room_id, p.sender FROM network_posts p
         JOIN network_rooms r ON r.room_id = p.room_id
         WHERE p.kind = 'question' AND r.topic IS NOT NULL",
    )?;
    let qs: Vec<(String, String, String)> = questions
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut author = conn.prepare_cached(
        "SELECT sender FROM network_posts WHERE event_id = ?1 AND kind = 'answer' AND room_id = ?2",
    )?;
    for (q, room, asker) in qs {
        let Some(answer) = qa::accepted_answer(conn, &room, &q, &asker)? else {
            continue;
        };
        let who: Option<String> = author
            .query_map([&answer, &room], |r| r.get(0))?
            .next()
            .transpose()?;
        if let Some(c) = who.and_then(|w| out.get_mut(&(w, room.clone()))) {
            c.accepted_answers += 1;
        }
    }
    Ok(out.into_values().collect())
}

impl Microlearn {
    /// Every author's accepted answers and net votes per topic room (see [`author_contributions`]).
    pub fn network_author_contributions(&self) -> Result<Vec<AuthorContribution>, NetworkError> {
        self.store().read(author_contributions)
    }
}
