//! Recommendations on the device: "if you liked this" and "next for you".
//!
//! *Which algorithm and why:* item-item co-occurrence with shrinkage. For a card `j` the score is
//! `Σ_h w_h · sim(h, j)` over the learner's recent history `h` (weights from their stars, see
//! [`HistoryItem::weight`]), where `sim` is the shrunk cosine precomputed at import
//! ([`super::signals`]). It needs only peers' anonymous pair counts (no per-learner data on the
//! phone), reads one precomputed neighbour list (≤ 100) per history card (≤ 50), and every score has a dominant term, so each
//! recommendation says *why* ("because you rated X 5★"). Implicit ALS was not chosen: it needs
//! per-learner vectors shipped or trained on device, and its factors explain nothing. Measured
//! against popularity on MovieLens 100k by `microlearn bench personal` (`docs/personal.md`).
//!
//! "Next for you" blends, in this order: **quiz gaps** (cards whose last quiz answer was wrong,
//! least stable memory first), **co-occurrence** from the learner's history, **tag similarity**
//! to cards the learner liked (cold start, cards without peer data), then **popular with peers**.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::signals::{HistoryItem, history};

/// Most quiz-gap cards at the head of "next for you".
pub const MAX_GAP_CARDS: usize = 3;
/// Most results of one call.
pub const MAX_LIMIT: usize = 100;

/// Why a card is recommended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The learner missed a quiz question on this card's topic.
    QuizGap {
        /// The topic.
        topic: String,
    },
    /// Peers who did a card the learner rated also did this one.
    BecauseYouRated {
        /// The rated card.
        card_id: String,
        /// Its stars.
        stars: u8,
    },
    /// Peers who did a card the learner completed also did this one.
    BecauseYouCompleted {
        /// The completed card.
        card_id: String,
    },
    /// Peers who did the card being viewed also did this one.
    AlsoCompletedWith {
        /// The card being viewed.
        card_id: String,
    },
    /// Shares tags with cards the learner liked (or the one being viewed).
    SimilarTags {
        /// The shared tags.
        tags: Vec<String>,
    },
    /// Popular with peers.
    Popular,
}

/// One recommended card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The card.
    pub card_id: String,
    /// Its title.
    pub title: String,
    /// Ranking score (higher first; comparable within one list only).
    pub score: f64,
    /// The dominant reason.
    pub reason: Reason,
}

impl Recommendation {
    /// A one-line explanation for the UI, naming the card it comes from.
    pub fn explanation(&self, title_of: impl Fn(&str) -> String) -> String {
        match &self.reason {
            Reason::QuizGap { topic } => format!("you missed a quiz question on {topic}"),
            Reason::BecauseYouRated { card_id, stars } => {
                format!("because you rated “{}” {stars}★", title_of(card_id))
            }
            Reason::BecauseYouCompleted { card_id } => {
                format!("because you completed “{}”", title_of(card_id))
            }
            Reason::AlsoCompletedWith { card_id } => {
                format!("colleagues who did “{}” also did this", title_of(card_id))
            }
            Reason::SimilarTags { tags } => format!("similar topics: {}", tags.join(", ")),
            Reason::Popular => "popular with colleagues".into(),
        }
    }
}

fn title(c: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT title FROM cards WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

struct Picker<'c> {
    conn: &'c Connection,
    seen: HashSet<String>,
    out: Vec<Recommendation>,
    limit: usize,
}

impl Picker<'_> {
    fn full(&self) -> bool {
        self.out.len() >= self.limit
    }

    /// Adds `card` unless seen, full, or not in the catalog.
    fn push(&mut self, card: &str, score: f64, reason: Reason) -> rusqlite::Result<()> {
        if self.full() || self.seen.contains(card) {
            return Ok(());
        }
        if let Some(title) = title(self.conn, card)? {
            self.seen.insert(card.to_owned());
            self.out.push(Recommendation {
                card_id: card.to_owned(),
                title,
                score,
                reason,
            });
        }
        Ok(())
    }

    fn co_occurrence(&mut self, hist: &[HistoryItem]) -> rusqlite::Result<()> {
        // card -> (score, best term, index of the history item giving it)
        let mut scores: HashMap<String, (f64, f64, usize)> = HashMap::new();
        for (hi, h) in hist.iter().enumerate() {
            let w = h.weight();
            let Some(list) = neighbor_list(self.conn, &h.card_id)? else {
                continue;
            };
            for (other, sim) in parse_neighbors(&list) {
                let term = w * sim;
                let e = match scores.get_mut(other) {
                    Some(e) => e,
                    None => scores
                        .entry(other.to_owned())
                        .or_insert((0.0, f64::MIN, hi)),
                };
                e.0 += term;
                if term > e.1 {
                    e.1 = term;
                    e.2 = hi;
                }
            }
        }
        let mut ranked: Vec<(String, (f64, f64, usize))> =
            scores.into_iter().filter(|(_, s)| s.0 > 0.0).collect();
        let by_score = |a: &(String, (f64, f64, usize)), b: &(String, (f64, f64, usize))| {
            b.1.0.total_cmp(&a.1.0).then_with(|| a.0.cmp(&b.0))
        };
        // Only the head is needed: cards already seen or missing from the catalog are skipped.
        let head = (self.limit * 2 + self.seen.len()).min(ranked.len());
        if head < ranked.len() {
            ranked.select_nth_unstable_by(head, by_score);
            ranked.truncate(head);
        }
        ranked.sort_by(by_score);
        for (card, (score, _, hi)) in ranked {
            if self.full() {
                break;
            }
            let h = &hist[hi];
            let reason = match h.stars {
                Some(stars) => Reason::BecauseYouRated {
                    card_id: h.card_id.clone(),
                    stars,
                },
                None => Reason::BecauseYouCompleted {
                    card_id: h.card_id.clone(),
                },
            };
            self.push(&card, score, reason)?;
        }
        Ok(())
    }

    /// Cards sharing the most of `tags` (at most 5 tags are used).
    fn similar_tags(&mut self, tags: &[String]) -> rusqlite::Result<()> {
        if self.full() || tags.is_empty() {
            return Ok(());
        }
        let tags: Vec<&String> = tags.iter().take(5).collect();
        let marks = vec!["?"; tags.len()].join(",");
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT card_id, group_concat(tag, char(31)), count(*) AS n FROM card_tags
             WHERE tag IN ({marks}) GROUP BY card_id ORDER BY n DESC, card_id LIMIT {}",
            self.limit + self.seen.len()
        ))?;
        let rows: Vec<(String, String, i64)> = stmt
            .query_map(rusqlite::params_from_iter(tags.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (card, shared, n) in rows {
            let shared = shared.split('\u{1f}').map(String::from).collect();
            self.push(&card, n as f64 * 0.01, Reason::SimilarTags { tags: shared })?;
        }
        Ok(())
    }

    fn popular(&mut self) -> rusqlite::Result<()> {
        if self.full() {
            return Ok(());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT card_id, completions FROM personal_card_stats
             ORDER BY completions DESC, card_id LIMIT ?1",
        )?;
        let want = (self.limit + self.seen.len()) as i64;
        let rows: Vec<(String, i64)> = stmt
            .query_map([want], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (card, n) in rows {
            self.push(&card, n as f64 * 1e-6, Reason::Popular)?;
        }
        Ok(())
    }
}

fn picker(conn: &Connection, limit: usize, seen: impl IntoIterator<Item = String>) -> Picker<'_> {
    Picker {
        conn,
        seen: seen.into_iter().collect(),
        out: vec![],
        limit: limit.clamp(1, MAX_LIMIT),
    }
}

fn neighbor_list(c: &Connection, card: &str) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT neighbors FROM personal_neighbors WHERE card_id = ?1")?
        .query_row([card], |r| r.get(0))
        .optional()
}

/// `(card, sim)` pairs of a stored neighbour list, best first; malformed parts are skipped.
fn parse_neighbors(list: &str) -> impl Iterator<Item = (&str, f64)> {
    list.split('\u{1e}').filter_map(|p| {
        let (id, sim) = p.split_once('\u{1f}')?;
        Some((id, sim.parse::<f64>().ok().filter(|s| s.is_finite())?))
    })
}

fn tags_of(conn: &Connection, cards: &[&str]) -> rusqlite::Result<Vec<String>> {
    let mut count: HashMap<String, u32> = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT tag FROM card_tags WHERE card_id = ?1")?;
    for c in cards {
        for t in stmt.query_map([c], |r| r.get::<_, String>(0))? {
            *count.entry(t?).or_insert(0) += 1;
        }
    }
    let mut v: Vec<(String, u32)> = count.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(v.into_iter().map(|(t, _)| t).collect())
}

/// Cards whose last quiz answer was wrong, least stable memory first, with their topic.
fn quiz_gaps(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT q.card_id, q.topic, min(m.stability) AS s FROM quiz_memory m
         JOIN quiz_questions q ON q.id = m.question_id
         WHERE q.retired = 0 AND (SELECT r.correct FROM quiz_reviews r
               WHERE r.question_id = m.question_id ORDER BY r.seq DESC LIMIT 1) = 0
         GROUP BY q.card_id ORDER BY s, q.card_id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

impl crate::Microlearn {
    /// "Next for you": quiz gaps first, then what peers who did the same cards did next, then
    /// cards similar by tags to what the learner liked, then popular cards. Cards the learner
    /// already completed or rated are left out (except quiz gaps, which are for revisiting).
    pub fn next_for_you(
        &self,
        limit: usize,
        _now: DateTime<Utc>,
    ) -> crate::Result<Vec<Recommendation>> {
        self.store().read(|c| {
            let hist = history(c)?;
            let mut p = picker(c, limit, hist.iter().map(|h| h.card_id.clone()));
            for (card, topic) in quiz_gaps(c, MAX_GAP_CARDS.min(p.limit.div_ceil(3)))? {
                p.seen.remove(&card);
                p.push(&card, f64::INFINITY, Reason::QuizGap { topic })?;
            }
            p.co_occurrence(&hist)?;
            let liked: Vec<&str> = hist
                .iter()
                .filter(|h| h.weight() > 0.5)
                .map(|h| h.card_id.as_str())
                .collect();
            if !p.full() {
                let tags = tags_of(c, &liked)?;
                p.similar_tags(&tags)?;
            }
            p.popular()?;
            Ok(p.out)
        })
    }

    /// Recommendations for an explicit history (co-occurrence, then popular): what
    /// [`Self::next_for_you`] computes without quiz gaps and tags. Used by the offline
    /// evaluation, and to preview what a new learner with this history would see.
    pub fn recommend_for_history(
        &self,
        hist: &[HistoryItem],
        limit: usize,
    ) -> crate::Result<Vec<Recommendation>> {
        self.store().read(|c| {
            let recent = &hist[hist.len().saturating_sub(super::signals::MAX_HISTORY)..];
            let mut p = picker(c, limit, hist.iter().map(|h| h.card_id.clone()));
            p.co_occurrence(recent)?;
            p.popular()?;
            Ok(p.out)
        })
    }

    /// Popular cards not in `exclude` (the evaluation's baseline, and the cold-start list).
    pub fn popular_cards(
        &self,
        exclude: &[String],
        limit: usize,
    ) -> crate::Result<Vec<Recommendation>> {
        self.store().read(|c| {
            let mut p = picker(c, limit, exclude.iter().cloned());
            p.popular()?;
            Ok(p.out)
        })
    }

    /// "If you liked this": cards peers completed together with `card_id`, then cards sharing
    /// its tags. Cards the learner already completed are left out.
    pub fn if_you_liked(&self, card_id: &str, limit: usize) -> crate::Result<Vec<Recommendation>> {
        self.store().read(|c| {
            if title(c, card_id)?.is_none() {
                return Err(super::PersonalError::UnknownCard(card_id.to_owned()).into());
            }
            let mut seen: Vec<String> = history(c)?
                .into_iter()
                .filter(|h| h.stars.is_none())
                .map(|h| h.card_id)
                .collect();
            seen.push(card_id.to_owned());
            let mut p = picker(c, limit, seen);
            if let Some(list) = neighbor_list(c, card_id)? {
                for (other, sim) in parse_neighbors(&list) {
                    if p.full() {
                        break;
                    }
                    p.push(
                        other,
                        sim,
                        Reason::AlsoCompletedWith {
                            card_id: card_id.to_owned(),
                        },
                    )?;
                }
            }
            let tags = tags_of(c, &[card_id])?;
            p.similar_tags(&tags)?;
            Ok(p.out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personal::{
        playlists::tests::{core_with, t0},
        signals::build_peer_signals,
    };

    fn learners() -> Vec<Vec<(String, Option<u8>)>> {
        let mk = |v: &[&str]| v.iter().map(|c| (c.to_string(), None)).collect::<Vec<_>>();
        let mut out = vec![];
        for _ in 0..6 {
            out.push(mk(&["a", "b", "c"]));
        }
        for _ in 0..4 {
            out.push(mk(&["d", "e"]));
        }
        for _ in 0..9 {
            out.push(mk(&["f"]));
        }
        out
    }

    #[test]
    fn explains_and_ranks_by_peers_then_tags_then_popular() {
        let (_d, core) = core_with(&["a", "b", "c", "d", "e", "f"]);
        let l = learners();
        core.apply_peer_signals(&build_peer_signals(l.iter().map(Vec::as_slice), 3))
            .expect("signals");
        // Cold start: popular first.
        let recs = core.next_for_you(3, t0()).expect("recs");
        assert_eq!(recs[0].card_id, "f");
        assert_eq!(recs[0].reason, Reason::Popular);
        core.rate_card("a", 5, t0()).expect("rate");
        let recs = core.next_for_you(3, t0()).expect("recs");
        let ids: Vec<&str> = recs.iter().map(|r| r.card_id.as_str()).collect();
        assert_eq!(&ids[..2], &["b", "c"]);
        assert_eq!(
            recs[0].reason,
            Reason::BecauseYouRated {
                card_id: "a".into(),
                stars: 5
            }
        );
        let text = recs[0].explanation(|id| format!("Card {id}"));
        assert_eq!(text, "because you rated “Card a” 5★");
        // Tag fill: every test card has tag "t".
        assert!(matches!(recs[2].reason, Reason::SimilarTags { .. }));
        let like = core.if_you_liked("d", 5).expect("liked");
        assert_eq!(like[0].card_id, "e");
        assert!(matches!(like[0].reason, Reason::AlsoCompletedWith { .. }));
        assert!(like.iter().all(|r| r.card_id != "d"));
        assert!(core.if_you_liked("nope", 5).is_err());
        // A low rating pushes its neighbours down.
        core.rate_card("a", 1, t0()).expect("rerate");
        let recs = core.next_for_you(5, t0()).expect("recs");
        assert!(
            recs.iter()
                .all(|r| !matches!(r.reason, Reason::BecauseYouRated { .. }))
        );
    }

    #[test]
    fn quiz_gaps_come_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = crate::Microlearn::open(dir.path()).expect("open");
        core.import_jsonl(include_str!("../../sample/catalog.jsonl").as_bytes())
            .expect("sample");
        let s = core.daily_session(Some(600), t0()).expect("session");
        let first = &s.items[0];
        core.answer(&first.question_id, &[99], 5000, None, t0())
            .ok();
        // Choice 99 is invalid; answer every choice except the right one instead.
        let wrong = (0..first.choices.len() as u32).find(|c| {
            core.answer(&first.question_id, &[*c], 5000, None, t0())
                .map(|o| !o.correct)
                .unwrap_or(false)
        });
        assert!(wrong.is_some(), "some choice is wrong");
        let recs = core.next_for_you(5, t0()).expect("recs");
        assert_eq!(recs[0].card_id, first.card_id);
        assert!(matches!(recs[0].reason, Reason::QuizGap { .. }));
    }
}
