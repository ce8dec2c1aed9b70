//! The term vocabulary: every word of the catalog in an `fst` map (word → document frequency),
//! for typo tolerance and prefix expansion.
//!
//! *Why an fst and `levenshtein_automata`:* the vocabulary of 50k cards fits in a few hundred kB
//! as an fst, and intersecting it with a Levenshtein DFA finds every word within 1–2 edits in
//! microseconds. `levenshtein_automata` counts a transposition ("reciept") as one edit (Damerau),
//! which `fst`'s own Levenshtein automaton does not.
//!
//! *Why persisted:* building it from every card's text takes ~0.4 s at 50k cards; the first
//! search after launching the app must not pay that. The fst bytes are stored in `search_vocab`
//! by the catalog-change transaction itself ([`store_in_tx`], once per transaction): new cards are
//! merged into the previous fst (linear in the vocabulary, no other card is read); for a card that
//! is replaced or deleted, the words of its old text (read before the content module overwrites
//! it) are uncounted ([`VocabDelta`]). A reader loads the blob (a memory copy, no parsing) when its cached generation is stale.
//!
//! *Why a generation counter:* every catalog change bumps `search_meta.generation` in the same
//! transaction as the stored fst; a reader compares the generation of its cached vocabulary with
//! the database's, so the cache never serves a vocabulary older than the snapshot it searches.

use std::{
    borrow::Cow,
    collections::HashMap,
    sync::{
        Arc, OnceLock, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use fst::{Automaton, IntoStreamer, Map, MapBuilder, Streamer};
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::content::Card;

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
        Ok(Self::from_counts(
            generation,
            Self::count_indexed_after(conn, i64::MIN)?,
        ))
    }

    /// This vocabulary with signed document-frequency `changes` applied (a word whose frequency
    /// reaches 0 leaves it), as generation `generation`. Linear in the size of the vocabulary.
    fn with_changes(&self, generation: i64, changes: HashMap<String, i64>) -> Self {
        let mut changes: Vec<(String, i64)> = changes.into_iter().filter(|c| c.1 != 0).collect();
        changes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut b = MapBuilder::memory();
        let mut old = self.map.stream();
        let mut pending = changes.into_iter().peekable();
        let put = |b: &mut MapBuilder<Vec<u8>>, w: &[u8], df: i64| {
            if df > 0 {
                // Keys arrive sorted and unique, so insert cannot fail.
                let _ = b.insert(w, df as u64);
            }
        };
        while let Some((w, df)) = old.next() {
            while let Some((cw, d)) = pending.next_if(|(cw, _)| cw.as_bytes() < w) {
                put(&mut b, cw.as_bytes(), d);
            }
            let d = pending
                .next_if(|(cw, _)| cw.as_bytes() == w)
                .map_or(0, |(_, d)| d);
            put(
                &mut b,
                w,
                i64::try_from(df).unwrap_or(i64::MAX).saturating_add(d),
            );
        }
        for (cw, d) in pending {
            put(&mut b, cw.as_bytes(), d);
        }
        Vocab {
            generation,
            map: b.into_map(),
        }
    }

    /// Counts the words of every indexed card with a `doc` above `through` (all of them with
    /// `i64::MIN`), one card in memory at a time: the memory is the vocabulary's, not the
    /// catalog's.
    fn count_indexed_after(
        conn: &Connection,
        through: i64,
    ) -> rusqlite::Result<HashMap<String, u64>> {
        let mut counts: HashMap<String, u64> = HashMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT c.json FROM search_docs d JOIN cards c ON c.id = d.card_id WHERE d.doc > ?1",
        )?;
        let mut rows = stmt.query([through])?;
        let mut seen = Vec::new();
        while let Some(row) = rows.next()? {
            let json = row.get_ref(0)?.as_str()?;
            let Ok(card) = serde_json::from_str::<Card>(json) else {
                continue;
            };
            count_card(&card, &mut seen, &mut counts);
        }
        Ok(counts)
    }

    /// The fst bytes, as stored in `search_vocab`.
    pub fn as_bytes(&self) -> &[u8] {
        self.map.as_fst().as_bytes()
    }

    /// A vocabulary from stored fst bytes (`None` if they are not a valid fst map).
    pub fn from_bytes(generation: i64, bytes: Vec<u8>) -> Option<Self> {
        Map::new(bytes).ok().map(|map| Vocab { generation, map })
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
        self.completions(prefix, k, false)
    }

    /// The `k` most frequent words starting with `prefix`; with `fold_stems`, words that share a
    /// light stem with a more frequent completion ("files" after "file") are skipped, since the
    /// index's stemmer folds them anyway. Allocates only for the words kept.
    pub fn completions(&self, prefix: &str, k: usize, fold_stems: bool) -> Vec<Candidate> {
        if k == 0 {
            return vec![];
        }
        let aut = fst::automaton::Str::new(prefix).starts_with();
        let mut stream = self.map.search(aut).into_stream();
        // Top candidates by (df desc, word asc); a small sorted vector beats a heap at this size.
        let over = if fold_stems { k * 3 } else { k };
        let mut top: Vec<(u64, Vec<u8>)> = Vec::with_capacity(over + 1);
        while let Some((w, df)) = stream.next() {
            if top.len() == over && top.last().is_some_and(|l| l.0 >= df) {
                continue;
            }
            let pos = top.partition_point(|t| t.0 >= df);
            top.insert(pos, (df, w.to_vec()));
            top.truncate(over);
        }
        let mut out: Vec<Candidate> = Vec::with_capacity(k);
        for (df, w) in top {
            let word = String::from_utf8_lossy(&w).into_owned();
            if fold_stems && out.iter().any(|c| same_stem(&c.word, &word)) {
                continue;
            }
            out.push(Candidate {
                word,
                distance: 0,
                df,
            });
            if out.len() == k {
                break;
            }
        }
        out
    }

    /// Number of words starting with `prefix` and the sum of their document frequencies, looking
    /// at no more than `max_words` words.
    pub fn prefix_stats(&self, prefix: &str, max_words: usize) -> (usize, u64) {
        let aut = fst::automaton::Str::new(prefix).starts_with();
        let mut stream = self.map.search(aut).into_stream();
        let (mut n, mut sum) = (0, 0);
        while let Some((_, df)) = stream.next() {
            n += 1;
            sum += df;
            if n >= max_words {
                break;
            }
        }
        (n, sum)
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

/// Whether two words are forms of one another for the index's stemmer (close enough: plural
/// `-s`/`-es` or the same light stem).
pub(crate) fn same_stem(a: &str, b: &str) -> bool {
    let plural_of = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest == "s" || rest == "es")
    };
    plural_of(a, b) || plural_of(b, a) || normalize::light_stem(a) == normalize::light_stem(b)
}

/// Adds the distinct words of `card` to `counts` (`seen` is scratch space).
fn count_card(card: &Card, seen: &mut Vec<String>, counts: &mut HashMap<String, u64>) {
    card_words(&super::indexed_texts(card), seen);
    for w in seen.drain(..) {
        *counts.entry(w).or_default() += 1;
    }
}

/// The distinct vocabulary words of a card's [`super::indexed_texts`], sorted, into `seen`.
fn card_words(texts: &[Cow<'_, str>; 5], seen: &mut Vec<String>) {
    seen.clear();
    for text in texts {
        seen.extend(
            normalize::words(text).filter(|w| w.chars().count() <= normalize::MAX_WORD_CHARS),
        );
    }
    seen.sort_unstable();
    seen.dedup();
}

/// `search_meta` key: the largest `doc` the stored vocabulary counts.
const THROUGH_DOC: &str = "vocab_through_doc";

/// Word-count changes, within one catalog-change transaction, of cards the stored vocabulary
/// already counts (`doc` ≤ `search_meta.vocab_through_doc`): −1 per word of the old text of a
/// replaced or deleted card, +1 per word of its new text. Kept in `search_vocab_delta` until
/// [`store_in_tx`] applies them. *Why:* the alternative, rebuilding the vocabulary from every
/// card, was ~80% of a 500-card delta sync at 50k cards. Cards with a larger `doc` are new since
/// the stored vocabulary and are counted from their final text by [`store_in_tx`] instead.
pub(crate) struct VocabDelta {
    through: Option<i64>,
    changes: HashMap<String, i64>,
    seen: Vec<String>,
}

impl VocabDelta {
    /// Starts recording for one batch of changes.
    pub(crate) fn begin(tx: &Transaction<'_>) -> rusqlite::Result<Self> {
        let stored: bool = tx
            .prepare_cached("SELECT 1 FROM search_vocab WHERE id = 1")?
            .query_row([], |_| Ok(()))
            .optional()?
            .is_some();
        let through = if stored {
            super::meta(tx, THROUGH_DOC)?
        } else {
            None
        };
        Ok(Self {
            through,
            changes: HashMap::new(),
            seen: Vec::new(),
        })
    }

    fn counts(&self, doc: i64) -> bool {
        self.through.is_some_and(|t| doc <= t)
    }

    /// Uncounts the text card `card_id` has in the `cards` table now (call before the card is
    /// replaced or deleted there) when the stored vocabulary counts document `doc`.
    pub(crate) fn remove_stored(
        &mut self,
        tx: &Transaction<'_>,
        doc: i64,
        card_id: &str,
    ) -> rusqlite::Result<()> {
        if !self.counts(doc) {
            return Ok(());
        }
        let json: Option<String> = tx
            .prepare_cached("SELECT json FROM cards WHERE id = ?1")?
            .query_row([card_id], |r| r.get(0))
            .optional()?;
        if let Some(card) = json.and_then(|j| serde_json::from_str::<Card>(&j).ok()) {
            card_words(&super::indexed_texts(&card), &mut self.seen);
            for w in self.seen.drain(..) {
                *self.changes.entry(w).or_default() -= 1;
            }
        }
        Ok(())
    }

    /// Counts the new text of a card when the stored vocabulary counts document `doc` (a
    /// replaced card, or a new one that reused a deleted card's `doc`).
    pub(crate) fn add_stored(&mut self, doc: i64, texts: &[Cow<'_, str>; 5]) {
        if !self.counts(doc) {
            return;
        }
        card_words(texts, &mut self.seen);
        for w in self.seen.drain(..) {
            *self.changes.entry(w).or_default() += 1;
        }
    }

    /// Adds this batch's changes to `search_vocab_delta`.
    pub(crate) fn save(self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut put = tx.prepare_cached(
            "INSERT INTO search_vocab_delta(word, delta) VALUES (?1, ?2)
             ON CONFLICT(word) DO UPDATE SET delta = delta + excluded.delta",
        )?;
        for (word, delta) in self.changes {
            if delta != 0 {
                put.execute(params![word, delta])?;
            }
        }
        Ok(())
    }
}

/// The stored vocabulary of `generation`, if the database holds that one.
pub fn load(conn: &Connection, generation: i64) -> rusqlite::Result<Option<Vocab>> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT fst FROM search_vocab WHERE id = 1 AND generation = ?1")?
        .query_row([generation], |r| r.get(0))
        .optional()?;
    Ok(bytes.and_then(|b| Vocab::from_bytes(generation, b)))
}

/// Brings the stored vocabulary to `generation`, once per catalog-change transaction
/// ([`super::settle`]): the cards indexed since the stored one (`doc` above
/// `search_meta.vocab_through_doc`) are counted one at a time and merged into it, with the
/// word-count changes of replaced or deleted cards ([`VocabDelta`]); linear in the vocabulary,
/// no other card is read. Without a stored vocabulary it is built from the catalog; with nothing
/// to merge only its generation is restamped.
pub fn store_in_tx(tx: &Transaction<'_>, generation: i64) -> rusqlite::Result<()> {
    let stored: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT generation, fst FROM search_vocab WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let through = super::meta(tx, THROUGH_DOC)?;
    let max_doc: i64 = tx.query_row("SELECT coalesce(max(doc), 0) FROM search_docs", [], |r| {
        r.get(0)
    })?;
    let mut changes: HashMap<String, i64> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached("SELECT word, delta FROM search_vocab_delta")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            changes.insert(r.get(0)?, r.get(1)?);
        }
    }
    tx.execute("DELETE FROM search_vocab_delta", [])?;
    if let (Some((stored_generation, _)), Some(through)) = (&stored, through)
        && through == max_doc
        && changes.is_empty()
    {
        if *stored_generation != generation {
            tx.prepare_cached("UPDATE search_vocab SET generation = ?1 WHERE id = 1")?
                .execute([generation])?;
        }
        return Ok(());
    }
    let previous = match (stored, through) {
        (Some((g, bytes)), Some(through)) => Vocab::from_bytes(g, bytes).map(|v| (v, through)),
        _ => None,
    };
    let vocab = match previous {
        Some((prev, through)) => {
            for (w, n) in Vocab::count_indexed_after(tx, through)? {
                *changes.entry(w).or_default() += i64::try_from(n).unwrap_or(i64::MAX);
            }
            prev.with_changes(generation, changes)
        }
        None => Vocab::build(tx, generation)?,
    };
    tx.prepare_cached(
        "INSERT INTO search_vocab(id, generation, fst) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET generation = excluded.generation, fst = excluded.fst",
    )?
    .execute(params![generation, vocab.as_bytes()])?;
    super::set_meta(tx, THROUGH_DOC, max_doc)
}

/// The in-memory vocabulary cache held by [`crate::Microlearn`]; safe to share across threads.
#[derive(Debug, Default)]
pub struct SearchCache {
    vocab: RwLock<Option<Arc<Vocab>>>,
    rebuilds: AtomicU64,
    /// Rows of recent statements (see [`super::rank::StatementMemo`]).
    pub(crate) memo: super::rank::StatementMemo,
}

impl SearchCache {
    /// The vocabulary for `generation`: the cached one, else the stored one, else (a database
    /// written without a stored vocabulary) built from the catalog on `conn`.
    pub fn vocab(&self, conn: &Connection, generation: i64) -> rusqlite::Result<Arc<Vocab>> {
        if let Ok(guard) = self.vocab.read()
            && let Some(v) = guard.as_ref()
            && v.generation == generation
        {
            return Ok(Arc::clone(v));
        }
        let loaded = match load(conn, generation)? {
            Some(v) => v,
            None => {
                self.rebuilds.fetch_add(1, Ordering::Relaxed);
                Vocab::build(conn, generation)?
            }
        };
        let loaded = Arc::new(loaded);
        if let Ok(mut guard) = self.vocab.write() {
            let newer = guard.as_ref().is_some_and(|v| v.generation > generation);
            if !newer {
                *guard = Some(Arc::clone(&loaded));
            }
        }
        Ok(loaded)
    }

    /// How many times a vocabulary had to be rebuilt from the catalog on the read path (0 when
    /// the stored one is always current).
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::Relaxed)
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
        let c = v.completions("re", 10, false);
        assert_eq!(c.len(), 4, "{c:?}");
        assert_eq!(v.prefix_stats("re", 100), (4, 22));
        assert!(!v.has_prefix("x"));
        assert_eq!(typo_budget(4), 0);
        assert_eq!(typo_budget(5), 1);
        assert_eq!(typo_budget(9), 2);
    }

    #[test]
    fn completions_fold_stems_and_merge_adds_counts() {
        let v = vocab(&[("file", 9), ("files", 8), ("filter", 3), ("fig", 1)]);
        let c = v.completions("fi", 3, true);
        assert_eq!(
            c.iter().map(|c| c.word.as_str()).collect::<Vec<_>>(),
            ["file", "filter", "fig"]
        );
        let mut card = Card::new("c1".to_owned(), "File a filing".to_owned());
        card.body = "files".to_owned();
        let mut counts = HashMap::new();
        count_card(&card, &mut Vec::new(), &mut counts);
        let v2 = v.with_changes(2, counts.into_iter().map(|(w, n)| (w, n as i64)).collect());
        assert_eq!(v2.generation, 2);
        assert_eq!(v2.df("file"), Some(10));
        assert_eq!(v2.df("files"), Some(9));
        assert_eq!(v2.df("filing"), Some(1));
        assert_eq!(v2.df("fig"), Some(1));
        let back = Vocab::from_bytes(2, v2.as_bytes().to_vec()).expect("fst");
        assert_eq!(back.len(), v2.len());
    }
}

#[cfg(test)]
mod stored_tests {
    use super::*;
    use crate::{Microlearn, search::SearchOptions};

    fn card(id: &str, title: &str, body: &str) -> Card {
        let mut c = Card::new(id, title);
        c.body = body.to_owned();
        c
    }

    fn stored(core: &Microlearn) -> Vocab {
        core.store()
            .read(|c| -> crate::Result<Vocab> {
                let g = crate::search::generation(c)?;
                Ok(load(c, g)?.expect("vocabulary stored for the current generation"))
            })
            .expect("read")
    }

    #[test]
    fn first_search_after_open_loads_the_stored_vocabulary() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let core = Microlearn::open(dir.path()).expect("open");
            core.import_cards(&[card("a", "Forklift checks", "Check the forks daily")])
                .expect("import");
        }
        let core = Microlearn::open(dir.path()).expect("reopen");
        let r = core
            .search("forklfit", &SearchOptions::default())
            .expect("search");
        assert_eq!(r.hits.first().map(|h| h.card_id.as_str()), Some("a"));
        // Neither the search after opening nor the one after a catalog change rebuilt it.
        core.import_cards(&[card("b", "Refund policy", "Refunds need a receipt")])
            .expect("import");
        let r = core
            .search("reciept", &SearchOptions::default())
            .expect("search");
        assert_eq!(r.hits.first().map(|h| h.card_id.as_str()), Some("b"));
        assert_eq!(core.search_cache.rebuilds(), 0);
    }

    #[test]
    fn stored_vocabulary_follows_additions_replacements_and_deletions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        core.import_cards(&[
            card("a", "Zebra crossing", "Stop at the zebra"),
            card("b", "Zebra care", "Feed the zebra"),
        ])
        .expect("import");
        assert_eq!(stored(&core).df("zebra"), Some(2));
        // Addition: merged.
        core.import_cards(&[card("c", "Zebra facts", "Stripes")])
            .expect("add");
        assert_eq!(stored(&core).df("zebra"), Some(3));
        assert_eq!(stored(&core).df("stripes"), Some(1));
        // Unchanged text (a new revision of the same words): nothing to do, still exact.
        core.import_cards(&[card("c", "Zebra facts", "Stripes")])
            .expect("same");
        assert_eq!(stored(&core).df("zebra"), Some(3));
        // Replacement and deletion: old words leave the vocabulary.
        core.import_cards(&[card("c", "Horse facts", "Manes")])
            .expect("replace");
        let v = stored(&core);
        assert_eq!(
            (v.df("zebra"), v.df("stripes"), v.df("manes")),
            (Some(2), None, Some(1))
        );
        core.store()
            .write(|tx| -> crate::Result<()> {
                Ok(crate::content::apply_changes(tx, &[], &["a".to_owned()])?)
            })
            .expect("delete");
        assert_eq!(stored(&core).df("zebra"), Some(1));
        assert_eq!(core.search_cache.rebuilds(), 0);
    }

    /// Every word and frequency of the stored vocabulary.
    fn entries(v: &Vocab) -> Vec<(String, u64)> {
        let mut out = vec![];
        let mut s = v.map.stream();
        while let Some((w, n)) = s.next() {
            out.push((String::from_utf8_lossy(w).into_owned(), n));
        }
        out
    }

    #[test]
    fn incremental_vocabulary_equals_a_rebuild_after_random_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        let words = [
            "refund", "receipt", "forklift", "ladder", "glove", "hygiene", "till", "customer",
            "allergen", "stock", "pallet", "badge",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _round in 0..60 {
            core.store()
                .write(|tx| -> crate::Result<()> {
                    // Several staged batches per transaction, as a sync does.
                    for _batch in 0..3 {
                        let mut upserts = vec![];
                        let mut deletes = vec![];
                        for _ in 0..4 {
                            let id = format!("c{}", next(12));
                            if next(4) == 0 {
                                deletes.push(id);
                            } else if !upserts.iter().any(|c: &Card| c.id == id) {
                                let body: Vec<&str> = (0..3).map(|_| words[next(12)]).collect();
                                upserts.push(card(&id, words[next(12)], &body.join(" ")));
                            }
                        }
                        deletes.retain(|d| !upserts.iter().any(|c| &c.id == d));
                        crate::content::stage_changes(tx, &upserts, &deletes)?;
                    }
                    Ok(crate::content::finish_changes(tx)?)
                })
                .expect("write");
            let incremental = stored(&core);
            let rebuilt = core
                .store()
                .read(|c| Ok::<_, crate::Error>(Vocab::build(c, incremental.generation)?))
                .expect("build");
            assert_eq!(entries(&incremental), entries(&rebuilt));
        }
        assert_eq!(core.search_cache.rebuilds(), 0);
    }

    #[test]
    fn staged_batches_settle_the_vocabulary_once_per_transaction() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        core.import_cards(&[
            card("a", "Zebra crossing", "Stop"),
            card("b", "Zebra care", "Feed"),
        ])
        .expect("import");
        let before = stored(&core).generation;
        core.store()
            .write(|tx| -> crate::Result<()> {
                // Two batches, as a sync stages them: a replacement, then an addition.
                crate::content::stage_changes(tx, &[card("a", "Horse crossing", "Stop")], &[])?;
                crate::content::stage_changes(tx, &[card("c", "Zebra facts", "Stripes")], &[])?;
                // Nothing per batch: the stored vocabulary is still the one before the change.
                let (g, bytes): (i64, Vec<u8>) = tx.query_row(
                    "SELECT generation, fst FROM search_vocab WHERE id = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                assert_eq!(g, before);
                assert_eq!(Vocab::from_bytes(g, bytes).expect("fst").df("horse"), None);
                Ok(crate::content::finish_changes(tx)?)
            })
            .expect("write");
        let v = stored(&core);
        assert!(v.generation > before);
        assert_eq!(
            (v.df("zebra"), v.df("horse"), v.df("stripes")),
            (Some(2), Some(1), Some(1))
        );
        // A later pure addition merges the new card only (and stays exact).
        core.import_cards(&[card("d", "Zebra stripes", "More")])
            .expect("add");
        let v = stored(&core);
        assert_eq!(
            (v.df("zebra"), v.df("stripes"), v.df("more")),
            (Some(3), Some(2), Some(1))
        );
        assert_eq!(core.search_cache.rebuilds(), 0);
    }
}
