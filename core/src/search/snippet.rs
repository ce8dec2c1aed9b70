//! Hit details and highlighted snippets, computed only for the page returned.
//!
//! *Why separately:* FTS5's `snippet()` is costly; computed in the ranking query it would run for
//! every matching card before the sort. Here it runs once per returned hit, looked up by rowid.

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
        "SELECT d.card_id, search_fts.title, snippet(search_fts, -1, ?2, ?3, '…', ?5),
                d.format, d.duration_seconds
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
            Ok(SearchHit {
                card_id: r.get(0)?,
                title: r.get(1)?,
                snippet: r.get(2)?,
                score,
                format: CardFormat::parse(&r.get::<_, String>(3)?).unwrap_or_default(),
                duration_seconds: r.get(4)?,
            })
        },
    )
    .optional()
}
