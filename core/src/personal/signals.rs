//! What the learner did (ratings, completions) and what peers did, anonymously aggregated.
//!
//! *The catalog-side file* (`peer-signals`, JSON Lines) is what the L&D team publishes next to the
//! catalog, and what [`build_peer_signals`] makes from anonymous per-learner activity (the network
//! layer delivers the same [`CardSignals`] records). First line a header, then one line per card:
//!
//! ```text
//! {"format":"microlearn.peer-signals","version":1,"learners":1234,"min_pair_count":3}
//! {"card":"fire-evacuation","completions":120,"rating_count":30,"rating_sum":131.0,"co":[["spill-cleanup",41],["manual-handling",17]]}
//! ```
//!
//! `co` lists the cards most often completed by the same learners (at most [`MAX_CO`] per card,
//! pairs seen fewer than `min_pair_count` times dropped so a rare pair cannot single anyone out).
//! On import each pair's *shrunk cosine* `co / sqrt(n_i n_j) × co / (co + SHRINK)` is computed once
//! and stored, so a recommendation reads precomputed numbers only.

use std::{collections::HashMap, io::BufRead};

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{PersonalError, check_id, now_ms, privacy};

/// `format` of the peer-signals header line.
pub const FORMAT: &str = "microlearn.peer-signals";
/// Most co-completion neighbours kept per card.
pub const MAX_CO: usize = 100;
/// Shrinkage of the cosine towards 0 for pairs seen few times. On MovieLens 100k 0, 10 and 30
/// differ by < 0.002 recall@10 (`docs/BENCHMARKS.md`); 10 is kept for sparse company catalogs,
/// where pairs seen by 3–5 learners are common and noisy.
pub const SHRINK: f64 = 10.0;
/// Pairs seen fewer times than this are dropped by [`build_peer_signals`] (k-anonymity floor).
pub const MIN_PAIR_COUNT: u32 = 3;
/// Most recent history items a recommendation reads.
pub const MAX_HISTORY: usize = 50;

/// Peers' aggregate activity on one card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardSignals {
    /// The card.
    pub card: String,
    /// Learners who completed it.
    pub completions: u32,
    /// Ratings given.
    #[serde(default)]
    pub rating_count: u32,
    /// Sum of the stars given.
    #[serde(default)]
    pub rating_sum: f64,
    /// Cards completed by the same learners, with how many learners did both.
    #[serde(default)]
    pub co: Vec<(String, u32)>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    #[serde(default)]
    learners: u64,
    #[serde(default)]
    min_pair_count: u32,
}

/// What an import of peer signals stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerSignalsReport {
    /// Cards with signals.
    pub cards: u64,
    /// Co-completion pairs stored.
    pub pairs: u64,
}

/// One item of a learner's history, as recommendations read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryItem {
    /// The card.
    pub card_id: String,
    /// Stars the learner gave, if rated.
    pub stars: Option<u8>,
}

impl HistoryItem {
    /// How much the item pulls similar cards up: 5★ 1.0, 4★ 0.8, 3★ 0.4, 1–2★ −0.5 (pushes
    /// similar cards down), completed without a rating 0.6.
    pub fn weight(&self) -> f64 {
        match self.stars {
            Some(5) => 1.0,
            Some(4) => 0.8,
            Some(3) => 0.4,
            Some(_) => -0.5,
            None => 0.6,
        }
    }
}

/// What leaves the device for the anonymous aggregate, under the learner's privacy settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingsPayload {
    /// `microlearn.activity`.
    pub format: String,
    /// Payload version (1).
    pub version: u32,
    /// The learner's pseudonymous id: only when ratings are shared *named*.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learner: Option<String>,
    /// The learner's display name: only when named and chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cards and stars.
    pub ratings: Vec<(String, u8)>,
    /// Cards completed.
    pub completions: Vec<String>,
}

/// Builds the catalog-side aggregate from anonymous per-learner activity (card, optional stars):
/// completions, rating sums and the top [`MAX_CO`] co-completed cards per card, dropping pairs
/// seen fewer than `min_pair_count` times. What the L&D team runs to publish `peer-signals`.
pub fn build_peer_signals<'a>(
    learners: impl IntoIterator<Item = &'a [(String, Option<u8>)]>,
    min_pair_count: u32,
) -> Vec<CardSignals> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = vec![];
    let mut stats: Vec<(u32, u32, f64)> = vec![];
    let mut co: HashMap<(usize, usize), u32> = HashMap::new();
    for items in learners {
        let mut ids: Vec<usize> = items
            .iter()
            .map(|(card, stars)| {
                let i = *index.entry(card.as_str()).or_insert_with(|| {
                    names.push(card.as_str());
                    stats.push((0, 0, 0.0));
                    names.len() - 1
                });
                let s = &mut stats[i];
                s.0 += 1;
                if let Some(st) = stars {
                    s.1 += 1;
                    s.2 += f64::from(*st);
                }
                i
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for (x, &a) in ids.iter().enumerate() {
            for &b in &ids[x + 1..] {
                *co.entry((a, b)).or_insert(0) += 1;
            }
        }
    }
    let mut lists: Vec<Vec<(usize, u32)>> = vec![vec![]; names.len()];
    for ((a, b), n) in co {
        if n >= min_pair_count {
            lists[a].push((b, n));
            lists[b].push((a, n));
        }
    }
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut l = std::mem::take(&mut lists[i]);
            l.sort_unstable_by(|x, y| y.1.cmp(&x.1).then(names[x.0].cmp(names[y.0])));
            l.truncate(MAX_CO);
            CardSignals {
                card: (*name).to_owned(),
                completions: stats[i].0,
                rating_count: stats[i].1,
                rating_sum: stats[i].2,
                co: l
                    .into_iter()
                    .map(|(j, n)| (names[j].to_owned(), n))
                    .collect(),
            }
        })
        .collect()
}

/// Writes `signals` as a peer-signals file (header line first).
pub fn write_peer_signals(
    mut w: impl std::io::Write,
    signals: &[CardSignals],
    learners: u64,
    min_pair_count: u32,
) -> std::io::Result<()> {
    let header = Header {
        format: FORMAT.into(),
        version: 1,
        learners,
        min_pair_count,
    };
    writeln!(w, "{}", serde_json::to_string(&header)?)?;
    for s in signals {
        writeln!(w, "{}", serde_json::to_string(s)?)?;
    }
    Ok(())
}

/// Parses a peer-signals file, validating the header, each line and each id.
pub fn parse_peer_signals(r: impl BufRead) -> Result<Vec<CardSignals>, PersonalError> {
    let mut lines = r.lines();
    let bad =
        |n: usize, e: String| PersonalError::BadPayload(format!("peer signals line {n}: {e}"));
    let header = lines
        .next()
        .ok_or_else(|| bad(1, "empty file".into()))?
        .map_err(|e| bad(1, e.to_string()))?;
    let header: Header = serde_json::from_str(&header).map_err(|e| bad(1, e.to_string()))?;
    if header.format != FORMAT || header.version != 1 {
        return Err(bad(
            1,
            format!("format {:?} version {}", header.format, header.version),
        ));
    }
    let mut out = vec![];
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        let line = line.map_err(|e| bad(n, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let s: CardSignals = serde_json::from_str(&line).map_err(|e| bad(n, e.to_string()))?;
        validate(&s).map_err(|e| bad(n, e.to_string()))?;
        out.push(s);
    }
    Ok(out)
}

fn validate(s: &CardSignals) -> Result<(), PersonalError> {
    check_id("card", &s.card)?;
    if s.co.len() > MAX_CO {
        return Err(super::invalid(
            "co",
            format!("{} pairs, at most {MAX_CO}", s.co.len()),
        ));
    }
    if !s.rating_sum.is_finite() || s.rating_sum < 0.0 {
        return Err(super::invalid(
            "rating_sum",
            "not a finite non-negative number",
        ));
    }
    for (c, _) in &s.co {
        check_id("co card", c)?;
    }
    Ok(())
}

/// The shrunk cosine of a pair seen `co` times, between cards completed `ni` and `nj` times.
pub fn shrunk_cosine(co: u32, ni: u32, nj: u32) -> f64 {
    if co == 0 || ni == 0 || nj == 0 {
        return 0.0;
    }
    let co = f64::from(co);
    co / (f64::from(ni) * f64::from(nj)).sqrt() * (co / (co + SHRINK))
}

impl crate::Microlearn {
    /// Replaces peers' signals with `signals` (a full snapshot), computing each pair's similarity.
    pub fn apply_peer_signals(&self, signals: &[CardSignals]) -> crate::Result<PeerSignalsReport> {
        for s in signals {
            validate(s)?;
        }
        let n: HashMap<&str, u32> = signals
            .iter()
            .map(|s| (s.card.as_str(), s.completions))
            .collect();
        let report = self.store().write(|tx| -> crate::Result<PeerSignalsReport> {
            tx.execute_batch("DELETE FROM personal_neighbors; DELETE FROM personal_card_stats;")?;
            let mut stat = tx.prepare_cached(
                "INSERT OR REPLACE INTO personal_card_stats(card_id, completions, rating_count, rating_sum)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut list = tx.prepare_cached(
                "INSERT OR REPLACE INTO personal_neighbors(card_id, neighbors) VALUES (?1, ?2)",
            )?;
            let mut pairs = 0u64;
            for s in signals {
                stat.execute(params![s.card, s.completions, s.rating_count, s.rating_sum])?;
                let mut sims: Vec<(&str, f64)> = s
                    .co
                    .iter()
                    .filter(|(other, _)| *other != s.card)
                    .map(|(other, co)| {
                        let nj = n.get(other.as_str()).copied().unwrap_or(*co);
                        (other.as_str(), shrunk_cosine(*co, s.completions.max(*co), nj.max(*co)))
                    })
                    .collect();
                sims.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
                sims.dedup_by(|a, b| a.0 == b.0);
                if sims.is_empty() {
                    continue;
                }
                pairs += sims.len() as u64;
                let text: Vec<String> = sims.iter().map(|(o, sim)| format!("{o}\u{1f}{sim:.5}")).collect();
                list.execute(params![s.card, text.join("\u{1e}")])?;
            }
            Ok(PeerSignalsReport {
                cards: signals.len() as u64,
                pairs,
            })
        })?;
        // A full snapshot rewrites megabytes: fold the WAL back into the database now, as a
        // catalog sync does, so later reads do not wade through a WAL of the whole import.
        // Best effort: a busy reader only delays it to the next automatic checkpoint.
        if let Ok(conn) = self.store().writer() {
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        Ok(report)
    }

    /// Imports a peer-signals file (see the module docs), replacing earlier signals.
    pub fn import_peer_signals(&self, r: impl BufRead) -> crate::Result<PeerSignalsReport> {
        let signals = parse_peer_signals(r)?;
        self.apply_peer_signals(&signals)
    }

    /// Rates a card 1–5 stars (replacing an earlier rating).
    pub fn rate_card(&self, card_id: &str, stars: u8, now: DateTime<Utc>) -> crate::Result<()> {
        if !(1..=5).contains(&stars) {
            return Err(super::invalid("stars", format!("{stars} is not 1–5")).into());
        }
        self.store().write(|tx| {
            if !super::playlists::card_exists(tx, card_id)? {
                return Err(PersonalError::UnknownCard(card_id.to_owned()).into());
            }
            tx.execute(
                "INSERT INTO personal_ratings(card_id, stars, rated_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT(card_id) DO UPDATE SET stars = excluded.stars, rated_ms = excluded.rated_ms",
                params![card_id, stars, now_ms(now)],
            )?;
            Ok(())
        })
    }

    /// Marks a card completed (read or watched to the end).
    pub fn mark_card_completed(&self, card_id: &str, now: DateTime<Utc>) -> crate::Result<()> {
        self.store().write(|tx| {
            if !super::playlists::card_exists(tx, card_id)? {
                return Err(PersonalError::UnknownCard(card_id.to_owned()).into());
            }
            tx.execute(
                "INSERT OR IGNORE INTO personal_completions(card_id, completed_ms) VALUES (?1, ?2)",
                params![card_id, now_ms(now)],
            )?;
            Ok(())
        })
    }

    /// The learner's history as recommendations read it: rated, completed and quiz-answered-right
    /// cards, most recent first, at most [`MAX_HISTORY`].
    pub fn learner_history(&self) -> crate::Result<Vec<HistoryItem>> {
        self.store()
            .read(|c| history(c).map_err(crate::Error::from))
    }

    /// What leaves the device for peers' anonymous aggregate, or `None` when the learner shares
    /// no ratings ([`super::RatingSharing::Off`]). Anonymous: no id, no name.
    pub fn ratings_payload(&self) -> crate::Result<Option<RatingsPayload>> {
        self.store().write(|tx| {
            let p = privacy::load(tx)?;
            let named = match p.ratings {
                super::RatingSharing::Off => return Ok(None),
                super::RatingSharing::Anonymous => false,
                super::RatingSharing::Named => true,
            };
            let mut stmt =
                tx.prepare_cached("SELECT card_id, stars FROM personal_ratings ORDER BY card_id")?;
            let ratings = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt =
                tx.prepare_cached("SELECT card_id FROM personal_completions ORDER BY card_id")?;
            let completions = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(RatingsPayload {
                format: "microlearn.activity".into(),
                version: 1,
                learner: if named {
                    Some(privacy::learner_id(tx)?)
                } else {
                    None
                },
                name: if named { p.display_name } else { None },
                ratings,
                completions,
            }))
        })
    }
}

pub(crate) fn history(c: &rusqlite::Connection) -> rusqlite::Result<Vec<HistoryItem>> {
    let mut stmt = c.prepare_cached(
        "SELECT card_id, max(stars), max(at) AS at FROM (
             SELECT card_id, stars, rated_ms AS at FROM personal_ratings
             UNION ALL SELECT card_id, NULL, completed_ms FROM personal_completions
             UNION ALL SELECT * FROM (SELECT q.card_id, NULL, max(r.answered_ms)
                 FROM quiz_reviews r JOIN quiz_questions q ON q.id = r.question_id
                 WHERE r.correct = 1 GROUP BY q.card_id)
         ) GROUP BY card_id ORDER BY at DESC, card_id LIMIT ?1",
    )?;
    let rows = stmt.query_map([MAX_HISTORY as i64], |r| {
        Ok(HistoryItem {
            card_id: r.get(0)?,
            stars: r.get(1)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personal::playlists::tests::{core_with, t0};

    fn l(v: &[(&str, Option<u8>)]) -> Vec<(String, Option<u8>)> {
        v.iter().map(|(c, s)| (c.to_string(), *s)).collect()
    }

    #[test]
    fn build_write_parse_import_round_trip() {
        let learners = [
            l(&[("a", Some(5)), ("b", None), ("c", Some(2))]),
            l(&[("a", None), ("b", Some(4))]),
            l(&[("a", None), ("b", None), ("c", None)]),
            l(&[("c", None)]),
        ];
        let sig = build_peer_signals(learners.iter().map(Vec::as_slice), 2);
        let a = sig.iter().find(|s| s.card == "a").expect("a");
        assert_eq!((a.completions, a.rating_count, a.rating_sum), (3, 1, 5.0));
        assert_eq!(a.co, vec![("b".to_string(), 3), ("c".to_string(), 2)]);
        let mut file = vec![];
        write_peer_signals(&mut file, &sig, 4, 2).expect("write");
        let back = parse_peer_signals(file.as_slice()).expect("parse");
        assert_eq!(back, sig);
        let (_d, core) = core_with(&["a", "b", "c"]);
        let rep = core.import_peer_signals(file.as_slice()).expect("import");
        assert_eq!((rep.cards, rep.pairs), (3, 6));
        // A bad file is refused whole and leaves the earlier signals in place.
        let bad = b"{\"format\":\"microlearn.peer-signals\",\"version\":1}\n{\"card\":\"x y\",\"completions\":1}\n";
        assert!(core.import_peer_signals(&bad[..]).is_err());
        assert!(core.import_peer_signals(&b"{}\n"[..]).is_err());
        assert!(core.import_peer_signals(&b""[..]).is_err());
        assert!(
            shrunk_cosine(3, 3, 3) > shrunk_cosine(1, 1, 1),
            "shrinkage favours evidence"
        );
    }

    #[test]
    fn ratings_payload_obeys_privacy() {
        let (_d, core) = core_with(&["a", "b"]);
        core.rate_card("a", 4, t0()).expect("rate");
        core.mark_card_completed("b", t0()).expect("done");
        assert!(core.rate_card("a", 6, t0()).is_err());
        assert!(core.rate_card("zz", 3, t0()).is_err());
        let anon = core.ratings_payload().expect("p").expect("some");
        assert!(anon.learner.is_none() && anon.name.is_none());
        assert_eq!(anon.ratings, vec![("a".to_string(), 4)]);
        let json = serde_json::to_string(&anon).expect("json");
        assert!(!json.contains("learner"), "{json}");
        let mut p = core.privacy_settings().expect("p");
        p.ratings = crate::personal::RatingSharing::Off;
        core.set_privacy_settings(&p).expect("set");
        assert!(core.ratings_payload().expect("p").is_none());
        p.ratings = crate::personal::RatingSharing::Named;
        p.display_name = Some("Bo".into());
        core.set_privacy_settings(&p).expect("set");
        let named = core.ratings_payload().expect("p").expect("some");
        assert_eq!(named.name.as_deref(), Some("Bo"));
        assert_eq!(named.learner, Some(core.learner_id().expect("id")));
        let h = core.learner_history().expect("history");
        assert_eq!(h.len(), 2);
    }
}
