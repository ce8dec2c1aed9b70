//! The term vocabulary: every word of the catalog in an `fst` map (word → document frequency),
//! for typo tolerance and prefix expansion.
//!
//! *Why an fst and `levenshtein_automata`:* the vocabulary of 50k cards fits in a few hundred kB
//! as an fst, and intersecting it with a Levenshtein DFA finds every word within 1–2 edits in
//! microseconds. `levenshtein_automata` counts a transposition ("reciept") as one edit (Damerau),
//! which `fst`'s own Levenshtein automaton does not.
//!
//! *Why a generation counter:* the vocabulary is derived from the FTS table. Every catalog change
//! bumps `search_meta.generation` in the same transaction; a reader compares the generation of
//! its cached vocabulary with the database's and rebuilds lazily, so the cache never serves a
//! vocabulary older than the snapshot it searches.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock, RwLock},
};

use fst::{Automaton, IntoStreamer, Map, MapBuilder, Streamer};
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use rusqlite::Connection;

use super::normalize;

/// A word of the vocabulary with how it relates to the query word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The vocabulary word.
    pub word: String,
    /// Edits from the query word (0 = exact or prefix).
    pub distance: u8,
    /// Cards containing the word.
    pub df: u64,
}

/// The vocabulary of one generation of the index.
pub struct Vocab {
    /// Generation of the index it was built from.
    pub generation: i64,
    map: Map<Vec<u8>>,
}

impl std::fmt::Debug for Vocab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocab")
            .field("generation", &self.generation)
            .field("words", &self.map.len())
            .finish()
    }
}

fn builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static B1: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static B2: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    if distance <= 1 {
        B1.get_or_init(|| LevenshteinAutomatonBuilder::new(1, true))
    } else {
        B2.get_or_init(|| LevenshteinAutomatonBuilder::new(2, true))
    }
}

/// Typos allowed in a word of `chars` characters (Meilisearch's rule: none below 5 letters, one
/// from 5, two from 9).
pub fn typo_budget(chars: usize) -> u8 {
    match chars {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

impl Vocab {
    /// Builds the vocabulary from `(word, document frequency)` pairs.
    pub fn from_counts(generation: i64, counts: HashMap<String, u64>) -> Self {
        let mut words: Vec<(String, u64)> = counts.into_iter().collect();
        words.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut b = MapBuilder::memory();
        for (w, n) in &words {
            // Sorted and unique, so insert cannot fail; skip defensively if it ever does.
            let _ = b.insert(w.as_bytes(), *n);
        }
        Vocab {
            generation,
            map: b.into_map(),
        }
    }

    /// Reads every indexed card's text and builds the vocabulary of generation `generation`.
    pub fn build(conn: &Connection, generation: i64) -> rusqlite::Result<Self> {
        let mut counts: HashMap<String, u64> = HashMap::new();
        let mut seen: Vec<String> = Vec::new();
        let mut stmt =
            conn.prepare("SELECT c.json FROM search_docs d JOIN cards c ON c.id = d.card_id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let json: String = row.get(0)?;
            let Ok(card) = serde_json::from_str::<crate::content::Card>(&json) else {
                continue;
            };
            seen.clear();
            for text in [
                card.title.as_str(),
                &super::tags_text(&card),
                &super::summary_text(&card),
                &card.body,
                &super::quiz_text(&card),
            ] {
                seen.extend(
                    normalize::words(text)
                        .filter(|w| w.chars().count() <= normalize::MAX_WORD_CHARS),
                );
            }
            seen.sort_unstable();
            seen.dedup();
            for w in seen.drain(..) {
                *counts.entry(w).or_default() += 1;
            }
        }
        Ok(Self::from_counts(generation, counts))
    }

    /// Number of distinct words.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Size of the fst in bytes.
    pub fn bytes(&self) -> usize {
        self.map.as_fst().size()
    }

    /// Document frequency of `word`, if known.
    pub fn df(&self, word: &str) -> Option<u64> {
        self.map.get(word)
    }

    /// The `k` most frequent words starting with `prefix` (the prefix itself included).
    pub fn prefix_top(&self, prefix: &str, k: usize) -> Vec<Candidate> {
        let aut = fst::automaton::Str::new(prefix).starts_with();
        let mut stream = self.map.search(aut).into_stream();
        let mut out = Vec::new();
        while let Some((w, df)) = stream.next() {
            out.push(Candidate {
                word: String::from_utf8_lossy(w).into_owned(),
                distance: 0,
                df,
            });
        }
        out.sort_by(|a, b| b.df.cmp(&a.df).then_with(|| a.word.cmp(&b.word)));
        out.truncate(k);
        out
    }

    /// Whether any word starts with `prefix`.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        let aut = fst::automaton::Str::new(prefix).starts_with();
        self.map.search(aut).into_stream().next().is_some()
    }

    /// Words within `max_distance` edits of `word` (transposition = one edit), or, with
    /// `prefix`, words that start with something within `max_distance` edits of it. Closest
    /// first, then most frequent; at most `k`. Exact matches (distance 0) are left out.
    pub fn fuzzy(&self, word: &str, max_distance: u8, prefix: bool, k: usize) -> Vec<Candidate> {
        if max_distance == 0 || word.is_empty() {
            return vec![];
        }
        let b = builder(max_distance);
        let dfa = if prefix {
            b.build_prefix_dfa(word)
        } else {
            b.build_dfa(word)
        };
        let mut stream = self.map.search(&dfa).into_stream();
        let mut out = Vec::new();
        while let Some((w, df)) = stream.next() {
            let mut state = dfa.start();
            for &byte in w {
                state = dfa.accept(&state, byte);
            }
            let distance = match dfa.distance(state) {
                Distance::Exact(d) => d,
                Distance::AtLeast(_) => continue,
            };
            if distance == 0 || distance > max_distance {
                continue;
            }
            out.push(Candidate {
                word: String::from_utf8_lossy(w).into_owned(),
                distance,
                df,
            });
        }
        out.sort_by(|a, b| {
            a.distance
                .cmp(&b.distance)
                .then_with(|| b.df.cmp(&a.df))
                .then_with(|| a.word.cmp(&b.word))
        });
        out.truncate(k);
        out
    }
}

/// The in-memory vocabulary cache held by [`crate::Microlearn`]; safe to share across threads.
#[derive(Debug, Default)]
pub struct SearchCache {
    vocab: RwLock<Option<Arc<Vocab>>>,
}

impl SearchCache {
    /// The vocabulary for `generation`, building it on `conn` if the cached one is older.
    pub fn vocab(&self, conn: &Connection, generation: i64) -> rusqlite::Result<Arc<Vocab>> {
        if let Ok(guard) = self.vocab.read()
            && let Some(v) = guard.as_ref()
            && v.generation == generation
        {
            return Ok(Arc::clone(v));
        }
        let built = Arc::new(Vocab::build(conn, generation)?);
        if let Ok(mut guard) = self.vocab.write() {
            let newer = guard.as_ref().is_some_and(|v| v.generation > generation);
            if !newer {
                *guard = Some(Arc::clone(&built));
            }
        }
        Ok(built)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(words: &[(&str, u64)]) -> Vocab {
        Vocab::from_counts(
            1,
            words.iter().map(|(w, n)| ((*w).to_owned(), *n)).collect(),
        )
    }

    #[test]
    fn transposition_is_one_edit() {
        let v = vocab(&[("receipt", 5), ("recipe", 2), ("refund", 9)]);
        let c = v.fuzzy("reciept", 1, false, 10);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].word, "receipt");
        assert_eq!(c[0].distance, 1);
    }

    #[test]
    fn prefix_fuzzy_and_top() {
        let v = vocab(&[("receipt", 5), ("receive", 7), ("refund", 9), ("ref", 1)]);
        let c = v.fuzzy("recie", 1, true, 10);
        assert!(c.iter().any(|c| c.word == "receipt"), "{c:?}");
        let top = v.prefix_top("re", 2);
        assert_eq!(
            top.iter().map(|c| c.word.as_str()).collect::<Vec<_>>(),
            ["refund", "receive"]
        );
        assert!(v.has_prefix("refu"));
        assert!(!v.has_prefix("x"));
        assert_eq!(typo_budget(4), 0);
        assert_eq!(typo_budget(5), 1);
        assert_eq!(typo_budget(9), 2);
    }
}
