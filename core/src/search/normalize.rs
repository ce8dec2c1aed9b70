//! Query and text normalisation: case and accent folding, word splitting, light stemming.
//!
//! *Why our own:* the query must never reach FTS5's syntax raw, so we split it into plain words
//! ourselves (letters and digits only) and emit every term as a quoted FTS5 string. The folding
//! matches what the index tokenizer (`unicode61 remove_diacritics 2`) does, so a word we look up
//! in the vocabulary is the word the index holds.

use unicode_normalization::UnicodeNormalization;

/// Most words taken from one query; the rest is ignored (a 10 kB paste must stay fast).
pub const MAX_QUERY_WORDS: usize = 12;
/// Longest word kept, in characters; longer runs are cut (nobody types 40-letter words).
pub const MAX_WORD_CHARS: usize = 40;
/// Most bytes of a query looked at; a longer query is cut before any work.
pub const MAX_QUERY_BYTES: usize = 1024;

/// Lowercases and strips accents (NFKD, combining marks dropped).
pub fn fold(s: &str) -> String {
    // Fast path: ASCII needs no decomposition (most catalog text; keeps vocabulary builds and
    // snippets cheap).
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.nfkd()
        .filter(|c| !is_combining(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F)
}

/// Splits folded text into words of letters and digits (everything else separates words,
/// like the index tokenizer).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
        .flat_map(|w| {
            // Folding can introduce separators (e.g. ligatures); split again.
            w.split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
}

/// A query split into words, ready to be matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWords {
    /// Folded words, in order, stop words dropped unless they are all there is.
    pub words: Vec<String>,
    /// Whether the last word is still being typed (no separator after it): match it as a prefix.
    pub last_is_prefix: bool,
}

/// Normalises a raw query: cut to [`MAX_QUERY_BYTES`], folded, split, capped at
/// [`MAX_QUERY_WORDS`] words of at most [`MAX_WORD_CHARS`] characters, stop words dropped
/// (kept if the query has nothing else).
pub fn query_words(raw: &str) -> QueryWords {
    let mut end = raw.len().min(MAX_QUERY_BYTES);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    let raw = &raw[..end];
    let last_is_prefix = raw.chars().last().is_some_and(char::is_alphanumeric);
    let all: Vec<String> = words(raw)
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect::<String>())
        .take(MAX_QUERY_WORDS * 4)
        .collect();
    let n = all.len();
    let typed_last = all.last().cloned();
    let mut kept: Vec<String> = all
        .iter()
        .enumerate()
        // The word being typed is kept even if it looks like a stop word ("th" → "the…").
        .filter(|(i, w)| !is_stop_word(w) || (last_is_prefix && *i + 1 == n))
        .map(|(_, w)| w.clone())
        .collect();
    if kept.is_empty() {
        kept = all;
    }
    kept.truncate(MAX_QUERY_WORDS);
    let last_is_prefix = last_is_prefix && kept.last() == typed_last.as_ref();
    QueryWords {
        words: kept,
        last_is_prefix,
    }
}

/// Common English function words, which say nothing about what a learner wants.
pub fn is_stop_word(w: &str) -> bool {
    matches!(
        w,
        "a" | "an"
            | "the"
            | "and"
            | "or"
            | "of"
            | "to"
            | "in"
            | "on"
            | "at"
            | "for"
            | "with"
            | "by"
            | "from"
            | "is"
            | "are"
            | "be"
            | "it"
            | "its"
            | "as"
            | "into"
            | "this"
            | "that"
            | "these"
            | "those"
            | "my"
            | "your"
            | "i"
            | "you"
            | "we"
            | "do"
            | "does"
            | "how"
            | "what"
            | "when"
            | "where"
            | "which"
            | "who"
            | "can"
            | "if"
            | "all"
            | "any"
            | "using"
            | "use"
    )
}

/// Light English stemming (plural and common verb endings), used to decide whether a query word
/// is known to the vocabulary in some form; the index itself stems with Porter.
pub fn light_stem(w: &str) -> &str {
    let n = w.len();
    if n > 4 && w.ends_with("ies") {
        return &w[..n - 2]; // policies → polici (Porter's form: close enough for a lookup)
    }
    for suffix in ["ing", "ed", "es", "s"] {
        if n > suffix.len() + 2 && w.ends_with(suffix) && !w.ends_with("ss") {
            return &w[..n - suffix.len()];
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Crème BRÛLÉE"), "creme brulee");
        assert_eq!(
            words("Café-au-lait, naïve!").collect::<Vec<_>>(),
            ["cafe", "au", "lait", "naive"]
        );
    }

    #[test]
    fn query_words_drop_syntax_and_stop_words() {
        let q = query_words("how to \"refund\" NEAR(receipt*) -cash ^x: OR");
        assert_eq!(q.words, ["refund", "near", "receipt", "cash", "x", "or"]);
        assert!(q.last_is_prefix);
        let q = query_words("refu");
        assert_eq!(q.words, ["refu"]);
        assert!(q.last_is_prefix);
        let q = query_words("refund ");
        assert!(!q.last_is_prefix);
        assert_eq!(query_words("the").words, ["the"]);
        assert!(query_words("  \"*^:() ").words.is_empty());
    }

    #[test]
    fn caps_huge_input() {
        let big = "word ".repeat(5000);
        let q = query_words(&big);
        assert!(q.words.len() <= MAX_QUERY_WORDS);
        let long = "é".repeat(10_000);
        let q = query_words(&long);
        assert!(q.words.iter().all(|w| w.chars().count() <= MAX_WORD_CHARS));
    }

    #[test]
    fn light_stems() {
        assert_eq!(light_stem("receipts"), "receipt");
        assert_eq!(light_stem("refunding"), "refund");
        assert_eq!(light_stem("glass"), "glass");
        assert_eq!(light_stem("bus"), "bus");
    }
}
