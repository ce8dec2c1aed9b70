//! Network posts in search: a learner who types "refund no receipt" also sees the best answered
//! question about it, next to the cards.
//!
//! *Why a separate index:* posts live in their own FTS5 table (`network_posts_fts`, same tokenizer
//! as the cards), not in `search_fts`: card search keeps its statements, vocabulary and row
//! bounds untouched (its p99 must not regress), and a redaction deletes one row here without
//! invalidating the cards' vocabulary. The query text goes through the search module's
//! normalisation and quoting, so no user text reaches FTS5 syntax. A matching answer surfaces its
//! question; hidden (reported) posts never appear.

use std::collections::HashSet;

use rusqlite::Connection;
use serde::Serialize;

use super::{
    NetworkError,
    moderation::report_threshold,
    qa::{self, QuestionView},
};
use crate::{
    Microlearn,
    search::{SearchOptions, SearchResults, normalize, query},
};

/// Most posts one search reads from the index before ranking.
const MAX_ROWS: u32 = 60;

/// Most threads turned into views per search (each costs a few indexed queries).
const MAX_THREADS: usize = 12;

/// Cards and posts for one query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchWithPosts {
    /// The card search, unchanged.
    pub cards: SearchResults,
    /// Questions whose text or answers match, answered (accepted, then most voted) first.
    pub questions: Vec<QuestionView>,
}

fn fts_expr(q: &normalize::QueryWords, joiner: &str) -> Option<String> {
    let n = q.words.len();
    let parts: Vec<String> = q
        .words
        .iter()
        .enumerate()
        .map(|(i, w)| query::quote(w, q.last_is_prefix && i + 1 == n))
        .collect();
    (!parts.is_empty()).then(|| parts.join(joiner))
}

/// Questions matching `raw`, best first, at most `limit`.
pub fn search_posts(
    conn: &Connection,
    raw: &str,
    limit: u32,
) -> Result<Vec<QuestionView>, NetworkError> {
    let mut words = normalize::query_words(raw);
    // A word being typed with one or two letters would match most posts: like the card search,
    // it does not widen the query (it is dropped; alone, the query waits for more letters).
    if words.last_is_prefix && words.words.last().is_some_and(|w| w.chars().count() < 3) {
        words.words.pop();
        words.last_is_prefix = false;
    }
    let threshold = report_threshold(conn)?;
    let mut seen = HashSet::new();
    let mut roots: Vec<(String, f64)> = vec![];
    for joiner in [" AND ", " OR "] {
        if roots.len() >= limit as usize {
            break;
        }
        let Some(expr) = fts_expr(&words, joiner) else {
            return Ok(vec![]);
        };
        let mut stmt = conn.prepare_cached(
            "SELECT CASE WHEN p.kind = 'question' THEN p.event_id ELSE p.thread_root END AS root,
                    bm25(network_posts_fts) AS rank
             FROM network_posts_fts f JOIN network_posts p ON p.id = f.rowid
             WHERE network_posts_fts MATCH ?1 AND p.kind IN ('question', 'answer')
               AND (SELECT count(*) FROM network_reports r WHERE r.target = p.event_id) < ?2
             ORDER BY rank LIMIT ?3",
        )?;
        let rows = stmt.query_map(rusqlite::params![expr, threshold, MAX_ROWS], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, f64>(1)?))
        })?;
        for row in rows {
            let (root, rank) = row?;
            if let Some(root) = root
                && seen.insert(root.clone())
            {
                roots.push((root, -rank));
            }
        }
    }
    roots.sort_by(|a, b| b.1.total_cmp(&a.1));
    roots.truncate(MAX_THREADS.max(limit as usize));
    let mut out = vec![];
    for (root, score) in roots {
        let views = qa::questions_by_id(conn, &root, threshold)?;
        for v in views {
            // Answered questions first: an accepted answer doubles the text score, any answer adds half.
            let boost = if v.accepted {
                2.0
            } else if v.best_answer.is_some() {
                1.5
            } else {
                1.0
            };
            out.push((score * boost + v.question.votes.max(0) as f64 * 0.01, v));
        }
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(out
        .into_iter()
        .take(limit as usize)
        .map(|(_, v)| v)
        .collect())
}

impl Microlearn {
    /// Questions (with their best answer) matching `query`, from the local store.
    pub fn network_search(
        &self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<QuestionView>, NetworkError> {
        self.store()
            .read(|c| search_posts(c, query, limit.clamp(1, 100)))
    }

    /// The card search plus matching questions: what the learner's search screen shows.
    pub fn search_with_posts(
        &self,
        query: &str,
        opts: &SearchOptions,
        max_questions: u32,
    ) -> crate::Result<SearchWithPosts> {
        let cards = self.search(query, opts)?;
        let questions = self
            .network_search(query, max_questions)
            .map_err(crate::Error::from)?;
        Ok(SearchWithPosts { cards, questions })
    }
}
