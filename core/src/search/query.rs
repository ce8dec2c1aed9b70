//! Safe query building: from normalised words and the vocabulary to an FTS5 MATCH expression.
//!
//! *Why this shape:* every term in the expression is a quoted FTS5 string built from our own
//! tokens (letters and digits only, see [`normalize`]), so no user character can
//! act as FTS5 syntax (`"`, `*`, `NEAR`, `OR`, `-`, `^`, `:` …). Each query word becomes a *group*:
//! the word itself (stemmed by the index's Porter tokenizer), or, for the word being typed, its
//! most frequent completions as whole words (see [`MAX_PREFIX_COMPLETIONS`] for why not FTS5's
//! `"w"*`); when the vocabulary does not know the word, its closest known words (Damerau edits,
//! capped, closest and most frequent first). Exact words therefore outrank typo corrections: a
//! correction is only searched when the word as typed is unknown.

use super::{
    normalize::{self, QueryWords},
    vocab::{self, Vocab},
};

/// Typo corrections tried per word.
pub const MAX_CORRECTIONS: usize = 4;
/// Completions tried for a one- or two-letter prefix (most frequent words first).
pub const MAX_SHORT_COMPLETIONS: usize = 6;
/// Completions tried for a prefix typed with a typo.
pub const MAX_FUZZY_COMPLETIONS: usize = 6;
/// Completions tried for a prefix of three letters or more (most frequent first, one per light
/// stem). FTS5's own prefix query (`"w"*`) merges the doclists of every completion before
/// returning a row (1–4 ms for a common prefix at 50k cards, and the Porter tokenizer stems the
/// prefix itself: `"pas"*` searches `pa*`); whole words are read lazily and skip ahead in AND
/// queries. A prefix is a hint: the next keystroke narrows it to the rarer words.
pub const MAX_PREFIX_COMPLETIONS: usize = 5;
/// A completion is kept only if it is at most this many times rarer than the most frequent
/// one (see [`plan`]).
pub const PREFIX_DF_RATIO: u64 = 10;

/// One query word's alternatives, ORed together.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The word as typed (folded).
    pub word: String,
    /// FTS5 terms, already quoted (`"w"`; whole words only, prefixes are expanded).
    pub terms: Vec<String>,
    /// What to highlight: words, or for the word being typed the prefix itself (`true`).
    pub raw: Vec<(String, bool)>,
    /// Upper bound of the cards matching this group (sum of document frequencies).
    pub df_estimate: u64,
    /// Whether the word as typed is known (directly, by stem or as a prefix).
    pub known: bool,
    /// The best correction, when the word is unknown.
    pub correction: Option<String>,
    /// Whether this is the word being typed (the last word, no separator after it).
    pub typing: bool,
    /// Whether this is a one- or two-letter word being typed: its completions are too broad to
    /// score, so it only filters (see [`rank`](super::rank)).
    pub short_prefix: bool,
}

/// A query ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// One group per query word, in order.
    pub groups: Vec<Group>,
}

/// Quotes a token as an FTS5 string. Tokens come from [`normalize::words`] or the vocabulary, so
/// they hold only letters and digits; quotes are doubled anyway, as FTS5 requires.
pub fn quote(token: &str, prefix: bool) -> String {
    let mut s = String::with_capacity(token.len() + 3);
    s.push('"');
    for c in token.chars() {
        if c == '"' {
            s.push('"');
        }
        s.push(c);
    }
    s.push('"');
    if prefix {
        s.push('*');
    }
    s
}

fn push_term(g: &mut Group, word: &str, prefix: bool) {
    let term = quote(word, prefix);
    if !g.terms.contains(&term) {
        g.terms.push(term);
        g.raw.push((word.to_owned(), prefix));
    }
}

/// Builds the plan of `q` against `vocab`.
pub fn plan(q: &QueryWords, vocab: &Vocab) -> Plan {
    let n = q.words.len();
    let mut groups = Vec::with_capacity(n);
    for (i, w) in q.words.iter().enumerate() {
        let chars = w.chars().count();
        let is_prefix = q.last_is_prefix && i + 1 == n;
        let mut g = Group {
            word: w.clone(),
            terms: vec![],
            raw: vec![],
            df_estimate: 0,
            known: false,
            correction: None,
            typing: is_prefix,
            short_prefix: is_prefix && chars <= 2,
        };
        if is_prefix && chars <= 2 {
            // One or two letters: the most frequent completions, as whole words, keep it fast.
            for c in vocab.completions(w, MAX_SHORT_COMPLETIONS, true) {
                g.df_estimate += c.df;
                push_term(&mut g, &c.word, false);
                g.known = true;
            }
            g.raw = vec![(w.clone(), true)];
        } else if is_prefix && vocab.has_prefix(w) {
            g.known = true;
            // The word itself first if it is one ("dir" as typed), then the most frequent
            // completions.
            if let Some(df) = vocab.df(w) {
                g.df_estimate += df;
                push_term(&mut g, w, false);
            }
            let comps = vocab.completions(w, MAX_PREFIX_COMPLETIONS, true);
            let top_df = comps.first().map_or(0, |c| c.df);
            for c in comps {
                // Rare completions would outrank the common ones (bm25 gives each its own
                // IDF), so only those within PREFIX_DF_RATIO of the most frequent are kept;
                // the next keystroke reaches the rare ones.
                // A word of a single card is not a guess worth making while typing either.
                let rare = c.df * PREFIX_DF_RATIO < top_df || (c.df == 1 && top_df > 1);
                if g.terms.len() >= MAX_PREFIX_COMPLETIONS || rare {
                    break;
                }
                if c.word != *w {
                    g.df_estimate += c.df;
                    push_term(&mut g, &c.word, false);
                }
            }
            g.raw = vec![(w.clone(), true)];
        } else {
            let df = vocab
                .df(w)
                .or_else(|| vocab.df(normalize::light_stem(w)))
                .unwrap_or(0);
            let budget = vocab::typo_budget(chars);
            if df > 0 {
                g.known = true;
                g.df_estimate = df;
                push_term(&mut g, w, false);
                // A rare word that is one edit from a much more common one is likely a typo
                // that happens to be in the catalog (e.g. a misspelling inside a card).
                if df <= 2 && budget > 0 {
                    for c in vocab.fuzzy(w, 1, false, MAX_CORRECTIONS) {
                        if c.df >= 20 * df {
                            g.df_estimate += c.df;
                            g.correction.get_or_insert_with(|| c.word.clone());
                            push_term(&mut g, &c.word, false);
                        }
                    }
                }
            } else {
                // Unknown word: closest known words (or completions, if it is being typed).
                let mut cands = vocab.fuzzy(w, budget, false, MAX_CORRECTIONS);
                if is_prefix {
                    cands.extend(vocab.fuzzy(w, budget, true, MAX_FUZZY_COMPLETIONS));
                    cands.sort_by(|a, b| a.distance.cmp(&b.distance).then(b.df.cmp(&a.df)));
                }
                if let Some(best) = cands.first() {
                    g.correction = Some(best.word.clone());
                    let best_distance = best.distance;
                    // The closest tier, one word per stem ("command" covers "commands" in
                    // the stemmed index), at most MAX_CORRECTIONS: each term costs a full
                    // doclist read for bm25's IDF.
                    let mut kept: Vec<&str> = vec![];
                    for c in cands.iter().filter(|c| c.distance == best_distance) {
                        if kept.len() >= MAX_CORRECTIONS
                            || kept.iter().any(|k| vocab::same_stem(k, &c.word))
                        {
                            continue;
                        }
                        kept.push(&c.word);
                        g.df_estimate += c.df;
                        push_term(&mut g, &c.word, false);
                    }
                }
            }
        }
        groups.push(g);
    }
    Plan { groups }
}

impl Group {
    /// The group as an FTS5 expression, or `None` when nothing can match it.
    pub fn expr(&self) -> Option<String> {
        match self.terms.len() {
            0 => None,
            1 => Some(self.terms[0].clone()),
            _ => Some(format!("({})", self.terms.join(" OR "))),
        }
    }
}

impl Plan {
    /// Every matchable group, ANDed (`None` when no group can match).
    pub fn and_expr(&self) -> Option<String> {
        let parts: Vec<String> = self.groups.iter().filter_map(Group::expr).collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// Every matchable group, ORed (`None` when no group can match).
    pub fn or_expr(&self) -> Option<String> {
        let parts: Vec<String> = self.groups.iter().filter_map(Group::expr).collect();
        (!parts.is_empty()).then(|| parts.join(" OR "))
    }

    /// Every term of every group, unquoted, for highlighting.
    pub fn highlight_terms(&self) -> Vec<(String, bool)> {
        self.groups
            .iter()
            .flat_map(|g| g.raw.iter().cloned())
            .collect()
    }

    /// Matchable groups.
    pub fn matchable(&self) -> usize {
        self.groups.iter().filter(|g| !g.terms.is_empty()).count()
    }

    /// Upper bound of the cards the AND expression matches.
    pub fn and_estimate(&self) -> u64 {
        self.groups
            .iter()
            .filter(|g| !g.terms.is_empty())
            .map(|g| g.df_estimate)
            .min()
            .unwrap_or(0)
    }

    /// Upper bound of the cards the OR expression matches.
    pub fn or_estimate(&self) -> u64 {
        self.groups.iter().map(|g| g.df_estimate).sum()
    }

    /// The query with corrected words replaced, if any word was corrected: a word unknown to
    /// the catalog (so the query as typed matches nothing; a word still being typed counts only
    /// once no catalog word starts with it), or a rare word one edit from a far more common one
    /// (the query as typed matches almost nothing: a misspelling inside a card or two).
    pub fn did_you_mean(&self) -> Option<String> {
        if self.groups.iter().all(|g| g.correction.is_none()) {
            return None;
        }
        Some(
            self.groups
                .iter()
                .map(|g| g.correction.as_deref().unwrap_or(&g.word))
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::normalize::query_words;

    fn vocab() -> Vocab {
        Vocab::from_counts(
            1,
            [
                ("refund", 9),
                ("receipt", 5),
                ("no", 30),
                ("nothing", 3),
                ("without", 8),
            ]
            .iter()
            .map(|(w, n)| ((*w).to_owned(), *n))
            .collect(),
        )
    }

    #[test]
    fn typo_is_corrected_and_quoted() {
        let p = plan(&query_words("refund no reciept "), &vocab());
        assert_eq!(p.groups.len(), 3, "{p:?}");
        assert_eq!(p.groups[2].terms, ["\"receipt\""]);
        assert_eq!(
            p.and_expr().as_deref(),
            Some("\"refund\" AND \"no\" AND \"receipt\"")
        );
        assert_eq!(p.did_you_mean().as_deref(), Some("refund no receipt"));
        // Known words, and a word being typed that some catalog word starts with: no
        // suggestion (the query as typed matches).
        assert_eq!(
            plan(&query_words("refund no "), &vocab()).did_you_mean(),
            None
        );
        assert_eq!(
            plan(&query_words("refund rec"), &vocab()).did_you_mean(),
            None
        );
        // Being typed, but no catalog word starts with it: a typo.
        let p = plan(&query_words("refund reciep"), &vocab());
        assert_eq!(p.did_you_mean().as_deref(), Some("refund receipt"));
        // A rare word one edit from a far more common one: almost nothing matches as typed.
        let v = Vocab::from_counts(
            1,
            [("recieve", 1), ("receive", 40)]
                .iter()
                .map(|(w, n)| ((*w).to_owned(), *n))
                .collect(),
        );
        let p = plan(&query_words("recieve "), &v);
        assert_eq!(p.groups[0].terms, ["\"recieve\"", "\"receive\""]);
        assert_eq!(p.did_you_mean().as_deref(), Some("receive"));
    }

    #[test]
    fn last_word_is_prefix() {
        let p = plan(&query_words("refu"), &vocab());
        assert_eq!(p.groups[0].terms, ["\"refund\""]);
        // A broad prefix becomes its frequent completions as whole words (one per stem; the
        // rare ones wait for the next keystroke), highlighted as a prefix.
        let broad = Vocab::from_counts(
            1,
            [
                ("refund", 5000),
                ("refunds", 4000),
                ("refusal", 2000),
                ("refuel", 10),
            ]
            .iter()
            .map(|(w, n)| ((*w).to_owned(), *n))
            .collect(),
        );
        let p = plan(&query_words("refu"), &broad);
        assert_eq!(p.groups[0].terms, ["\"refund\"", "\"refusal\""]);
        assert_eq!(p.groups[0].raw, [("refu".to_owned(), true)]);
        let p = plan(&query_words("re"), &vocab());
        assert_eq!(p.groups[0].terms, ["\"refund\"", "\"receipt\""]);
    }

    #[test]
    fn quote_doubles_quotes() {
        assert_eq!(quote("a\"b", true), "\"a\"\"b\"*");
    }
}
