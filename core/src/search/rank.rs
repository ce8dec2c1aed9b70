//! Running a plan: bm25 ranking with column weights, filters, the missing-word fallback, and the
//! hook for learner signals.
//!
//! *Ranking:* FTS5 bm25 with weights title 10, tags 6, summary/objective 2, body 1, quiz 1. Cards
//! matching every word rank above cards matching all but one (the query is relaxed one word at a
//! time, most frequent word first, only when all words leave the page short), so a missing or
//! unknown word degrades the ranking instead of emptying it.
//!
//! *Speed:* bm25 is computed for every matching row before sorting, which is what makes very
//! broad queries (a one-letter prefix) slow. When the vocabulary says a query may match more than
//! [`BROAD`] cards, the first [`SAMPLE`] matches are scored instead of all of them: a one- or
//! two-letter prefix is a hint, not yet a question, and the next keystroke narrows it.
//!
//! *Learner signals:* `search_boosts(card_id, boost)` holds an additive boost per card (recently
//! opened, popular …), applied to the candidates before the page is cut. It is empty until a
//! module fills it; [`set_boosts`] is the documented entry point.

use rusqlite::{Connection, Transaction, params};

use super::{
    SearchCache, SearchOptions, SearchResults, generation,
    normalize::QueryWords,
    query::{self, Plan},
    snippet,
};

/// Estimated matches above which a query is scored on a sample (see the module docs).
pub const BROAD: u64 = 3000;
/// Matches scored for a broad query.
pub const SAMPLE: u32 = 300;
/// Score bonus per word-count tier: a card matching every query word outranks one found only
/// after dropping a word.
pub const ALL_WORDS_BONUS: f64 = 100.0;
/// Words dropped at most, one at a time, when all words together leave the page short.
pub const MAX_RELAXATIONS: usize = 2;

const BM25: &str = "bm25(search_fts, 10.0, 6.0, 2.0, 1.0, 1.0)";

fn sql(filtered: bool, ordered: bool) -> String {
    let mut s = format!("SELECT search_fts.rowid, {BM25} AS s FROM search_fts");
    if filtered {
        s.push_str(
            " JOIN search_docs d ON d.doc = search_fts.rowid
             WHERE search_fts MATCH ?1
               AND (?3 IS NULL OR d.format = ?3)
               AND (?4 IS NULL OR d.duration_seconds <= ?4)
               AND (?5 IS NULL OR d.locale = ?5 OR substr(d.locale, 1, length(?5) + 1) = ?5 || '-')
               AND (?6 IS NULL OR EXISTS (SELECT 1 FROM card_tags t
                                          WHERE t.card_id = d.card_id AND t.tag = ?6))
               AND (?7 = 0 OR NOT EXISTS (SELECT 1 FROM card_media m
                                          WHERE m.card_id = d.card_id AND NOT EXISTS
                                             (SELECT 1 FROM media_files f
                                              WHERE f.sha256 = m.sha256)))",
        );
    } else {
        s.push_str(" WHERE search_fts MATCH ?1");
    }
    if ordered {
        s.push_str(" ORDER BY s");
    }
    s.push_str(" LIMIT ?2");
    s
}

fn is_filtered(opts: &SearchOptions) -> bool {
    opts.format.is_some()
        || opts.max_duration_seconds.is_some()
        || opts.tag.is_some()
        || opts.locale.is_some()
        || opts.downloaded_only
}

/// Runs one MATCH expression; returns `(doc, score)` best first, at most `fetch`.
fn run(
    conn: &Connection,
    expr: &str,
    estimate: u64,
    opts: &SearchOptions,
    fetch: usize,
) -> rusqlite::Result<Vec<(i64, f64)>> {
    let filtered = is_filtered(opts);
    let ordered = estimate <= BROAD;
    let mut stmt = conn.prepare_cached(&sql(filtered, ordered))?;
    let limit = if ordered {
        fetch as i64
    } else {
        i64::from(SAMPLE)
    };
    let map = |r: &rusqlite::Row<'_>| Ok((r.get::<_, i64>(0)?, -r.get::<_, f64>(1)?));
    let mut out: Vec<(i64, f64)> = if filtered {
        stmt.query_map(
            params![
                expr,
                limit,
                opts.format.map(|f| f.as_str()),
                opts.max_duration_seconds,
                opts.locale.as_ref().map(|l| l.trim().to_lowercase()),
                opts.tag.as_ref().map(|t| t.trim().to_lowercase()),
                opts.downloaded_only
            ],
            map,
        )?
        .collect::<rusqlite::Result<_>>()?
    } else {
        stmt.query_map(params![expr, limit], map)?
            .collect::<rusqlite::Result<_>>()?
    };
    if !ordered {
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out.truncate(fetch);
    }
    Ok(out)
}

/// Runs `plan`: ranked `(doc, score)` candidates, best first, at most `fetch`.
///
/// All words first. If that leaves the page (`want`) short, the query is relaxed by dropping
/// one word at a time, the least informative (most frequent) first, up to [`MAX_RELAXATIONS`]
/// times; each relaxed AND stays narrow, unlike an OR of everything. Cards found by a query with
/// fewer words score lower ([`ALL_WORDS_BONUS`] per tier). Only if nothing at all matched is the
/// OR of all words tried.
pub fn candidates(
    conn: &Connection,
    plan: &Plan,
    opts: &SearchOptions,
    want: usize,
    fetch: usize,
) -> rusqlite::Result<Vec<(i64, f64)>> {
    let mut found = match plan.and_expr() {
        Some(expr) => run(conn, &expr, plan.and_estimate(), opts, fetch)?,
        None => return Ok(vec![]),
    };
    let tiers = MAX_RELAXATIONS as f64 + 1.0;
    for hit in &mut found {
        hit.1 += tiers * ALL_WORDS_BONUS;
    }
    let matchable: Vec<usize> = (0..plan.groups.len())
        .filter(|&i| !plan.groups[i].terms.is_empty())
        .collect();
    let mut drop_order = matchable.clone();
    drop_order.sort_by(|&a, &b| plan.groups[b].df_estimate.cmp(&plan.groups[a].df_estimate));
    let mut dropped: Vec<usize> = vec![];
    for (tier, &d) in drop_order.iter().take(MAX_RELAXATIONS).enumerate() {
        if found.len() >= want || matchable.len() - dropped.len() < 2 {
            break;
        }
        dropped.push(d);
        let keep: Vec<&query::Group> = matchable
            .iter()
            .filter(|i| !dropped.contains(i))
            .map(|&i| &plan.groups[i])
            .collect();
        let expr = keep
            .iter()
            .filter_map(|g| g.expr())
            .collect::<Vec<_>>()
            .join(" AND ");
        let estimate = keep.iter().map(|g| g.df_estimate).min().unwrap_or(0);
        let bonus = (tiers - 1.0 - tier as f64) * ALL_WORDS_BONUS;
        for mut hit in run(conn, &expr, estimate, opts, fetch)? {
            if found.len() >= fetch {
                break;
            }
            if !found.iter().any(|f| f.0 == hit.0) {
                hit.1 += bonus;
                found.push(hit);
            }
        }
    }
    if found.is_empty()
        && matchable.len() > 1
        && let Some(expr) = plan.or_expr()
    {
        found = run(conn, &expr, plan.or_estimate(), opts, fetch)?;
    }
    found.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(found)
}

/// Adds learner-signal boosts to `found` and re-sorts it.
fn apply_boosts(conn: &Connection, found: &mut [(i64, f64)]) -> rusqlite::Result<()> {
    let any: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM search_boosts)")?
        .query_row([], |r| r.get(0))?;
    if !any {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT b.boost FROM search_docs d JOIN search_boosts b ON b.card_id = d.card_id
         WHERE d.doc = ?1",
    )?;
    for hit in found.iter_mut() {
        let boost: Option<f64> = stmt.query_row([hit.0], |r| r.get(0)).ok();
        hit.1 += boost.unwrap_or(0.0);
    }
    found.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(())
}

/// Replaces the learner-signal boosts (card id → additive score, e.g. 0–5; bm25 scores are
/// typically 1–30). The hook for re-ranking by recently opened or popular cards.
pub fn set_boosts(tx: &Transaction<'_>, boosts: &[(String, f64)]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM search_boosts", [])?;
    let mut put = tx.prepare_cached(
        "INSERT INTO search_boosts(card_id, boost) VALUES (?1, ?2)
         ON CONFLICT(card_id) DO UPDATE SET boost = excluded.boost",
    )?;
    for (id, b) in boosts {
        if b.is_finite() {
            put.execute(params![id, b])?;
        }
    }
    Ok(())
}

/// The whole search on one read connection.
pub fn search(
    conn: &Connection,
    cache: &SearchCache,
    words: &QueryWords,
    opts: &SearchOptions,
) -> rusqlite::Result<SearchResults> {
    // One snapshot for the generation, the vocabulary and the query.
    conn.execute_batch("BEGIN")?;
    let out = search_in_snapshot(conn, cache, words, opts);
    let end = conn.execute_batch("COMMIT");
    let out = out?;
    end?;
    Ok(out)
}

fn search_in_snapshot(
    conn: &Connection,
    cache: &SearchCache,
    words: &QueryWords,
    opts: &SearchOptions,
) -> rusqlite::Result<SearchResults> {
    let vocab = cache.vocab(conn, generation(conn)?)?;
    let plan = query::plan(words, &vocab);
    let want = opts.limit as usize;
    let fetch = (want * 2).max(20);
    let mut found = candidates(conn, &plan, opts, want, fetch)?;
    apply_boosts(conn, &mut found)?;
    found.truncate(want);
    let highlight = plan.highlight_terms();
    let mut hits = Vec::with_capacity(found.len());
    for (doc, score) in found {
        if let Some(hit) = snippet::hit(conn, doc, score, &highlight, opts)? {
            hits.push(hit);
        }
    }
    let did_you_mean = plan.did_you_mean();
    Ok(SearchResults { hits, did_you_mean })
}
