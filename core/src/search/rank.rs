//! Running a plan: bm25 ranking with column weights, filters, the missing-word fallback, and the
//! hook for learner signals.
//!
//! *Ranking:* FTS5 bm25 with weights title 10, tags 6, summary/objective 2, body 1, quiz 1. Cards
//! matching every word rank above cards matching all but one (the query is relaxed one word at a
//! time, uncertain words first, only when all words leave the page short), then above cards
//! holding any of the rarest words, so a missing or unknown word degrades the ranking instead of
//! emptying it.
//!
//! *Across keystrokes:* [`StatementMemo`] keeps the rows of recent statements per index
//! generation, so the statements about the words before the one being typed run once per word.
//!
//! *Bounded work:* no statement sorts in SQL. `ORDER BY bm25` scores every matching row before
//! returning the first (5–40 ms for a common word at 50k cards, minutes on a catalog where every
//! card matches every query); instead each statement reads at most [`CAP`] matches in index order
//! with their bm25 score and Rust sorts them. When a statement is cut at the cap (a broad query),
//! the same words restricted to titles and tags are read too (also capped) and rank first, so the
//! card whose title says it is not lost behind the first [`CAP`] body matches. A query runs at most
//! [`MAX_STATEMENTS`] statements, so its rows read are bounded by `MAX_STATEMENTS * CAP`
//! whatever the catalog; [`take_rows_read`] counts them for tests and benches.
//!
//! *One- and two-letter words being typed* expand to their most frequent completions, whose
//! doclists cover much of the catalog: scoring them (bm25 reads every doclist in full for its
//! IDF) would cost milliseconds and say little. They only filter: cards that also match the
//! completions get [`PREFIX_BONUS`]; alone, they list title matches in index order.
//!
//! *Learner signals:* `search_boosts(card_id, boost)` holds an additive boost per card (recently
//! opened, popular …), applied to the candidates before the page is cut. It is empty until a
//! module fills it; [`set_boosts`] is the documented entry point.

use std::{
    cell::Cell,
    collections::HashMap,
    sync::{Arc, Mutex},
};

use rusqlite::{Connection, Transaction, params};

use super::{
    SearchCache, SearchOptions, SearchResults, generation,
    normalize::QueryWords,
    query::{self, Group, Plan},
    snippet,
};

/// Matches read per statement at most.
pub const CAP: usize = 400;
/// Statements one query runs at most (all words, title tier, two relaxations, the rare-words OR,
/// the short-prefix filter).
pub const MAX_STATEMENTS: usize = 6;
/// Score bonus per word-count tier: a card matching every query word outranks one found only
/// after dropping a word.
pub const ALL_WORDS_BONUS: f64 = 100.0;
/// Score bonus of a title or tags match when a query was cut at [`CAP`].
pub const TITLE_BONUS: f64 = 50.0;
/// Score bonus of a card that also matches a one- or two-letter word being typed.
pub const PREFIX_BONUS: f64 = 50.0;
/// Words dropped at most, one at a time, when all words together leave the page short.
pub const MAX_RELAXATIONS: usize = 2;

const BM25: &str = "bm25(search_fts, 10.0, 6.0, 2.0, 1.0, 1.0)";

thread_local! {
    static ROWS_READ: Cell<u64> = const { Cell::new(0) };
}

/// Index rows read by searches on this thread since the last call (instrumentation: proves the
/// work per query is bounded; see the module docs).
pub fn take_rows_read() -> u64 {
    ROWS_READ.with(|c| c.replace(0))
}

fn sql(filtered: bool, scored: bool) -> String {
    let mut s = if scored {
        format!("SELECT search_fts.rowid, {BM25} FROM search_fts")
    } else {
        "SELECT search_fts.rowid, 0.0 FROM search_fts".to_owned()
    };
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

/// The rows of one statement: `(doc, score)` best first, and whether it was cut at the cap.
#[derive(Debug, Clone)]
struct Matches {
    rows: Vec<(i64, f64)>,
    capped: bool,
}

/// Entries kept by [`StatementMemo`] before it starts over.
const MEMO_ENTRIES: usize = 64;

/// The rows of recent statements, for one index generation. Typing one more letter of a word
/// re-runs the same statements for the words before it (the relaxations that drop the word
/// being typed, the title tier, the rare-words OR), so each is read once per word rather than
/// once per keystroke. Keyed by the statement kind, the filters and the MATCH text; emptied when
/// the catalog changes (new generation) or when full. Everything a statement reads changes with
/// the generation except the media cache, so downloaded-only searches bypass it.
#[derive(Debug, Default)]
pub struct StatementMemo {
    inner: Mutex<(i64, HashMap<String, Arc<Matches>>)>,
}

impl StatementMemo {
    fn get(&self, generation: i64, key: &str) -> Option<Matches> {
        let guard = self.inner.lock().ok()?;
        if guard.0 != generation {
            return None;
        }
        guard.1.get(key).map(|m| Matches::clone(m))
    }

    fn put(&self, generation: i64, key: String, m: &Matches) {
        if let Ok(mut guard) = self.inner.lock() {
            if guard.0 != generation || guard.1.len() >= MEMO_ENTRIES {
                guard.0 = generation;
                guard.1.clear();
            }
            guard.1.insert(key, Arc::new(m.clone()));
        }
    }
}

/// What every statement of one search shares.
struct Runner<'a> {
    conn: &'a Connection,
    opts: &'a SearchOptions,
    memo: &'a StatementMemo,
    generation: i64,
}

impl Runner<'_> {
    /// [`run`], through the memo. Not for downloaded-only searches: media downloads change
    /// their answer without a new index generation.
    fn run(&self, expr: &str, scored: bool, cap: usize) -> rusqlite::Result<Matches> {
        let o = self.opts;
        if o.downloaded_only {
            return run(self.conn, expr, o, scored, cap);
        }
        let key = format!(
            "{scored}|{cap}|{:?}|{:?}|{:?}|{:?}|{}|{expr}",
            o.format, o.max_duration_seconds, o.locale, o.tag, o.downloaded_only
        );
        if let Some(m) = self.memo.get(self.generation, &key) {
            return Ok(m);
        }
        let m = run(self.conn, expr, o, scored, cap)?;
        self.memo.put(self.generation, key, &m);
        Ok(m)
    }
}

/// Runs one MATCH expression, reading at most `cap` rows; with `scored`, each row's bm25
/// (negated: higher is better) and sorted best first, else in index order with score 0.
fn run(
    conn: &Connection,
    expr: &str,
    opts: &SearchOptions,
    scored: bool,
    cap: usize,
) -> rusqlite::Result<Matches> {
    let filtered = is_filtered(opts);
    let mut stmt = conn.prepare_cached(&sql(filtered, scored))?;
    let limit = cap as i64;
    let map = |r: &rusqlite::Row<'_>| Ok((r.get::<_, i64>(0)?, -r.get::<_, f64>(1)?));
    let mut rows: Vec<(i64, f64)> = if filtered {
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
    ROWS_READ.with(|c| c.set(c.get() + rows.len() as u64));
    if scored {
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    }
    Ok(Matches {
        capped: rows.len() >= cap,
        rows,
    })
}

fn and_of(groups: &[&Group]) -> Option<String> {
    let parts: Vec<String> = groups.iter().filter_map(|g| g.expr()).collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// Adds `rows` to `found` with `bonus`, skipping cards already there, up to `fetch` cards.
fn merge(found: &mut Vec<(i64, f64)>, rows: Vec<(i64, f64)>, bonus: f64, fetch: usize) {
    for (doc, score) in rows {
        if found.len() >= fetch {
            break;
        }
        if !found.iter().any(|f| f.0 == doc) {
            found.push((doc, score + bonus));
        }
    }
}

/// Runs `plan`: ranked `(doc, score)` candidates, best first, at most `fetch`.
///
/// All words first. If that leaves the page (`want`) short, the query is relaxed by dropping
/// one word at a time, uncertain words (typo corrections, the word being typed) first, then the
/// least informative (most frequent), up to [`MAX_RELAXATIONS`]
/// times; each relaxed AND stays narrow, unlike an OR of everything. Cards found by a query with
/// fewer words score lower ([`ALL_WORDS_BONUS`] per tier). If the page is still short, the OR of
/// the rarest words (as many as the cap can score in full) fills it, lowest tier.
fn candidates(
    r: &Runner<'_>,
    plan: &Plan,
    want: usize,
    fetch: usize,
) -> rusqlite::Result<Vec<(i64, f64)>> {
    let matchable: Vec<&Group> = plan.groups.iter().filter(|g| !g.terms.is_empty()).collect();
    let short: Option<&Group> = matchable.iter().copied().find(|g| g.short_prefix);
    let scoring: Vec<&Group> = matchable
        .iter()
        .copied()
        .filter(|g| !g.short_prefix)
        .collect();
    if scoring.is_empty() {
        // Only a one- or two-letter word being typed: title matches of its most frequent
        // completions, in index order (plus learner boosts); the next keystroke decides.
        return match short.and_then(Group::expr) {
            Some(expr) => {
                let title = format!("{{title tags}} : {expr}");
                let mut m = r.run(&title, false, fetch)?;
                if m.rows.is_empty() {
                    m = r.run(&expr, false, fetch)?;
                }
                Ok(m.rows)
            }
            None => Ok(vec![]),
        };
    }
    let tiers = MAX_RELAXATIONS as f64 + 1.0;
    let mut found: Vec<(i64, f64)> = vec![];
    let Some(all) = and_of(&scoring) else {
        return Ok(vec![]);
    };
    let m = r.run(&all, true, CAP)?;
    if m.capped {
        // Broad: the cap saw only the first matches in index order; the words in titles and
        // tags rank first so the card named by the query is not among the ones left unread.
        let title = r.run(&format!("{{title tags}} : ({all})"), true, CAP)?;
        merge(
            &mut found,
            title.rows,
            tiers * ALL_WORDS_BONUS + TITLE_BONUS,
            CAP,
        );
    }
    merge(&mut found, m.rows, tiers * ALL_WORDS_BONUS, CAP);

    // Uncertain words go first (a typo correction may be the wrong word; a word still being
    // typed may be mistyped), then the least informative (most frequent).
    let mut drop_order: Vec<usize> = (0..scoring.len()).collect();
    let uncertain = |g: &Group| g.correction.is_some() || g.typing;
    drop_order.sort_by(|&a, &b| {
        let (ga, gb) = (scoring[a], scoring[b]);
        uncertain(gb)
            .cmp(&uncertain(ga))
            .then(gb.df_estimate.cmp(&ga.df_estimate))
    });
    let mut dropped: Vec<usize> = vec![];
    for (tier, &d) in drop_order.iter().take(MAX_RELAXATIONS).enumerate() {
        if found.len() >= want || scoring.len() - dropped.len() < 2 {
            break;
        }
        dropped.push(d);
        let keep: Vec<&Group> = (0..scoring.len())
            .filter(|i| !dropped.contains(i))
            .map(|i| scoring[i])
            .collect();
        let Some(expr) = and_of(&keep) else {
            break;
        };
        let bonus = (tiers - 1.0 - tier as f64) * ALL_WORDS_BONUS;
        let rows = r.run(&expr, true, CAP)?.rows;
        merge(&mut found, rows, bonus, CAP);
    }
    if found.len() < want && scoring.len() > 1 {
        // Still short (a wrong word, or a correction that is not the right one): any of the
        // rarest words, as many as fit in the cap together, so every card holding them is
        // scored (bm25 ranks cards with more of them first). An OR of every word would match
        // most of the catalog and leave the best card among the rows the cap does not read.
        let mut by_df: Vec<&Group> = scoring.clone();
        by_df.sort_by_key(|g| g.df_estimate);
        let mut budget = 0;
        let mut rare: Vec<String> = vec![];
        for g in by_df {
            if !rare.is_empty() && budget + g.df_estimate > CAP as u64 {
                break;
            }
            budget += g.df_estimate;
            rare.extend(g.expr());
        }
        let rows = r.run(&rare.join(" OR "), true, CAP)?.rows;
        merge(&mut found, rows, 0.0, CAP);
    }
    if let Some(short) = short
        && let Some(with_short) = and_of(&[scoring.as_slice(), &[short]].concat())
    {
        // The one- or two-letter word being typed: cards that also match it come first.
        let also = r.run(&with_short, false, CAP)?.rows;
        for (doc, _) in also {
            match found.iter_mut().find(|f| f.0 == doc) {
                Some(f) => f.1 += PREFIX_BONUS,
                None => found.push((doc, tiers * ALL_WORDS_BONUS + PREFIX_BONUS)),
            }
        }
    }
    found.sort_by(|a, b| b.1.total_cmp(&a.1));
    found.truncate(fetch);
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
    conn.prepare_cached("BEGIN")?.execute([])?;
    let out = search_in_snapshot(conn, cache, words, opts);
    let end = conn
        .prepare_cached("COMMIT")
        .and_then(|mut s| s.execute([]));
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
    let runner = Runner {
        conn,
        opts,
        memo: &cache.memo,
        generation: vocab.generation,
    };
    let mut found = candidates(&runner, &plan, want, fetch)?;
    apply_boosts(conn, &mut found)?;
    found.truncate(want);
    let highlight = plan.highlight_terms();
    let mut hits = Vec::with_capacity(found.len());
    for (doc, score) in found {
        if let Some(hit) = snippet::hit(conn, doc, score, &highlight, opts)? {
            hits.push(hit);
        }
    }
    // Only when the query as typed matches nothing or almost nothing (see `Plan::did_you_mean`).
    let did_you_mean = plan.did_you_mean();
    Ok(SearchResults { hits, did_you_mean })
}
