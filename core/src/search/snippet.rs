//! Hit details and highlighted snippets, computed only for the page returned.
//!
//! *Why in Rust and not FTS5's `snippet()`:* `snippet()` needs the MATCH expression, and FTS5
//! then loads the doclists of every query term again for each hit — with prefix terms that cost
//! more than the whole search; and the index is contentless (the text is stored once, in
//! `cards.json`). Here the card is read by id and the words the query
//! matched (same folding, light stems, the last word as a prefix) are marked. The passage comes
//! from the body if a query word is there, else the summary, quiz or title.

use rusqlite::{Connection, OptionalExtension, types::Type};

use super::{SearchHit, SearchOptions, normalize};
use crate::content::{Card, CardFormat};

/// Words of context in a snippet.
pub const SNIPPET_WORDS: usize = 14;
/// Bytes of a field scanned for a match.
const SCAN_BYTES: usize = 32 * 1024;

/// A term to highlight: folded word, and whether it is a prefix.
pub type Term = (String, bool);

fn matches(word: &str, terms: &[Term]) -> bool {
    let w = normalize::fold(word);
    let ws = normalize::light_stem(&w);
    terms.iter().any(|(t, prefix)| {
        if *prefix {
            w.starts_with(t.as_str())
        } else {
            w == *t || ws == normalize::light_stem(t)
        }
    })
}

/// Word spans (byte ranges) of `text`.
fn spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = vec![];
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, i));
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// A passage of `text` around its first matching word, matches marked; `None` if none matches
/// (or, with `fallback`, the opening words).
pub fn passage(text: &str, terms: &[Term], opts: &SearchOptions, fallback: bool) -> Option<String> {
    let mut end = text.len().min(SCAN_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    let words = spans(text);
    let first = words.iter().position(|&(s, e)| matches(&text[s..e], terms));
    let first = match first {
        Some(i) => i,
        None if fallback && !words.is_empty() => 0,
        None => return None,
    };
    let from = first.saturating_sub(3);
    let to = (from + SNIPPET_WORDS).min(words.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut pos = words[from].0;
    for &(s, e) in &words[from..to] {
        out.push_str(&text[pos..s]);
        let w = &text[s..e];
        if matches(w, terms) {
            out.push_str(&opts.highlight_start);
            out.push_str(w);
            out.push_str(&opts.highlight_end);
        } else {
            out.push_str(w);
        }
        pos = e;
    }
    if to < words.len() {
        out.push('…');
    } else {
        out.push_str(&text[pos..]);
    }
    Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The hit for index row `doc`, with a snippet marking `terms`.
pub fn hit(
    conn: &Connection,
    doc: i64,
    score: f64,
    terms: &[Term],
    opts: &SearchOptions,
) -> rusqlite::Result<Option<SearchHit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.json, d.format, d.duration_seconds
         FROM search_docs d JOIN cards c ON c.id = d.card_id
         WHERE d.doc = ?1",
    )?;
    let row = stmt
        .query_row([doc], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })
        .optional()?;
    let Some((json, format, duration_seconds)) = row else {
        return Ok(None);
    };
    let card: Card = serde_json::from_str(&json)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e)))?;
    let fields = [
        card.body.clone(),
        super::summary_text(&card),
        super::quiz_text(&card),
    ];
    let snippet = fields
        .iter()
        .find_map(|f| passage(f, terms, opts, false))
        .or_else(|| passage(&card.title, terms, opts, false))
        .or_else(|| fields.iter().find_map(|f| passage(f, terms, opts, true)))
        .unwrap_or_default();
    Ok(Some(SearchHit {
        card_id: card.id,
        title: card.title,
        snippet,
        score,
        format: CardFormat::parse(&format).unwrap_or_default(),
        duration_seconds,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_matches_in_a_window() {
        let opts = SearchOptions::default();
        let terms = vec![("receipt".to_owned(), false), ("ref".to_owned(), true)];
        let p = passage("Without a Receipt you cannot refund.", &terms, &opts, false);
        assert_eq!(
            p.as_deref(),
            Some("Without a [Receipt] you cannot [refund].")
        );
        let long = format!(
            "{} receipts here {}",
            "word ".repeat(30),
            "tail ".repeat(30)
        );
        let p = passage(&long, &terms, &opts, false).expect("passage");
        assert!(
            p.starts_with('…') && p.ends_with('…') && p.contains("[receipts]"),
            "{p}"
        );
        assert_eq!(passage("nothing", &terms, &opts, false), None);
        assert_eq!(
            passage("nothing", &terms, &opts, true).as_deref(),
            Some("nothing")
        );
    }
}
