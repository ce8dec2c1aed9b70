//! Hit details and highlighted snippets, computed only for the page returned.
//!
//! *Why separately:* FTS5's `snippet()` is costly; computed in the ranking query it would run for
//! every matching card before the sort. Here it runs once per returned hit, looked up by rowid.
//! The passage comes from the body if a query word is there, else the summary, quiz or title.

use rusqlite::{Connection, OptionalExtension, params};

use super::{SearchHit, SearchOptions};
use crate::content::CardFormat;

/// Tokens of context in a snippet.
pub const SNIPPET_TOKENS: i64 = 12;

/// The hit for index row `doc`, with a snippet highlighting the terms of `expr`.
pub fn hit(
    conn: &Connection,
    doc: i64,
    score: f64,
    expr: &str,
    opts: &SearchOptions,
) -> rusqlite::Result<Option<SearchHit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.card_id, search_fts.title, d.format, d.duration_seconds,
                snippet(search_fts, 3, ?2, ?3, '…', ?5), snippet(search_fts, 2, ?2, ?3, '…', ?5),
                snippet(search_fts, 4, ?2, ?3, '…', ?5), snippet(search_fts, 0, ?2, ?3, '…', ?5)
         FROM search_fts JOIN search_docs d ON d.doc = search_fts.rowid
         WHERE search_fts MATCH ?1 AND search_fts.rowid = ?4",
    )?;
    stmt.query_row(
        params![
            expr,
            opts.highlight_start,
            opts.highlight_end,
            doc,
            SNIPPET_TOKENS
        ],
        |r| {
            // Prefer a passage of the body, then the summary, then the quiz, then the title:
            // the title is shown anyway, and tags make poor reading.
            let mut snippet = String::new();
            for col in 4..8 {
                let s: String = r.get(col)?;
                if !opts.highlight_start.is_empty() && s.contains(&opts.highlight_start) {
                    snippet = s;
                    break;
                }
                if snippet.is_empty() {
                    snippet = s;
                }
            }
            Ok(SearchHit {
                card_id: r.get(0)?,
                title: r.get(1)?,
                snippet,
                score,
                format: CardFormat::parse(&r.get::<_, String>(2)?).unwrap_or_default(),
                duration_seconds: r.get(3)?,
            })
        },
    )
    .optional()
}
