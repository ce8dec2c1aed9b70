//! `microlearn bench personal`: recommendation quality on MovieLens 100k against popularity
//! (`personal_eval.rs`), recommendation latency at 50k cards, and playlist operation latency.
//!
//! Latency runs on a real database of `--cards` synthetic cards (tags from a 400-word
//! vocabulary, 10 per card) with a synthetic peer-signals aggregate of 100 co-completed
//! neighbours per card (the file format's cap), for a learner with 50 rated or completed cards
//! and wrong quiz answers (the full "next for you" path: quiz gaps, co-occurrence, tags,
//! popular). The database is built once under the data dir and reused.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use chrono::{Duration, TimeZone, Utc};
use clap::Args;
use microlearn_core::{Microlearn, content::Card, personal::CardSignals};

use super::personal_eval;
use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct PersonalBench {
    /// Cards in the latency database.
    #[arg(long, default_value_t = 50_000)]
    cards: usize,
    /// Timed recommendation calls (each of "next for you" and "if you liked this").
    #[arg(long, default_value_t = 500)]
    calls: usize,
    /// Timed playlist operations.
    #[arg(long, default_value_t = 1000)]
    playlist_ops: usize,
    /// Directory holding ml-100k.inter / ml-100k.item (default: the tools dir's ml-100k).
    #[arg(long)]
    ml100k: Option<PathBuf>,
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn build_latency_db(dir: &Path, n: usize) -> Result<Microlearn, Box<dyn std::error::Error>> {
    let core = Microlearn::open(dir)?;
    if core.status()?.cards as usize >= n {
        return Ok(core);
    }
    let mut seed = 0x5eed_u64;
    let cards: Vec<Card> = (0..n)
        .map(|i| {
            let tags: Vec<String> = (0..10)
                .map(|_| format!("tag-{}", rng(&mut seed) % 400))
                .collect();
            let mut tags_dedup = tags;
            tags_dedup.sort();
            tags_dedup.dedup();
            serde_json::from_value(serde_json::json!({
                "id": format!("pc-{i:05}"),
                "title": format!("Personal bench card {i}"),
                "topics": [format!("topic-{:02}", i % 20)],
                "tags": tags_dedup,
                "questions": if i < 200 { serde_json::json!([{
                    "id": format!("pq-{i:05}"),
                    "stem": format!("Question {i}?"),
                    "choices": ["wrong", "right"],
                    "correct": [1],
                    "explanation": "Because."
                }]) } else { serde_json::json!([]) }
            }))
        })
        .collect::<Result<_, _>>()?;
    for chunk in cards.chunks(5000) {
        core.import_cards(chunk)?;
    }
    // Popularity ~ Zipf; neighbours mostly near in id (clusters) plus random ones.
    let signals: Vec<CardSignals> = (0..n)
        .map(|i| {
            let completions = (100_000 / (i + 10)) as u32 + 5;
            let mut co: Vec<(String, u32)> = (0..100)
                .map(|k| {
                    let j = if k % 2 == 0 {
                        (i + 1 + (rng(&mut seed) % 200) as usize) % n
                    } else {
                        (rng(&mut seed) % n as u64) as usize
                    };
                    (format!("pc-{j:05}"), 3 + (rng(&mut seed) % 40) as u32)
                })
                .filter(|(id, _)| *id != format!("pc-{i:05}"))
                .collect();
            co.sort();
            co.dedup_by(|a, b| a.0 == b.0);
            CardSignals {
                card: format!("pc-{i:05}"),
                completions,
                rating_count: completions / 3,
                rating_sum: f64::from(completions / 3) * 4.1,
                co,
            }
        })
        .collect();
    core.apply_peer_signals(&signals)?;
    let t = Utc
        .with_ymd_and_hms(2026, 11, 2, 8, 0, 0)
        .single()
        .ok_or("time")?;
    for k in 0..50usize {
        let id = format!("pc-{:05}", (k * 997) % n);
        if k % 2 == 0 {
            core.rate_card(&id, 1 + (k % 5) as u8, t + Duration::minutes(k as i64))?;
        } else {
            core.mark_card_completed(&id, t + Duration::minutes(k as i64))?;
        }
    }
    for i in 0..20 {
        core.answer(&format!("pq-{i:05}"), &[(i % 2) as u32], 5000, None, t)?;
    }
    Ok(core)
}

/// Runs the benchmark.
pub fn run(data_dir: &Path, args: PersonalBench) -> CmdResult {
    let dataset = args
        .ml100k
        .clone()
        .unwrap_or_else(personal_eval::default_path);
    let t = Instant::now();
    let eval = personal_eval::run(&dataset, &data_dir.join("personal-ml100k"))?;
    let eval_s = t.elapsed().as_secs_f64();
    println!(
        "MovieLens 100k ({} ratings, {} test users, 80/20 random split per user), {eval_s:.1} s",
        eval.ratings, eval.users
    );
    println!("  {:<28} {:>9} {:>9}", "", "recall@10", "NDCG@10");
    println!(
        "  {:<28} {:>9.4} {:>9.4}",
        "co-occurrence + shrinkage", eval.recall10, eval.ndcg10
    );
    println!(
        "  {:<28} {:>9.4} {:>9.4}",
        "popularity baseline", eval.baseline_recall10, eval.baseline_ndcg10
    );
    let t = Instant::now();
    let core = build_latency_db(
        &data_dir.join(format!("personal-{}", args.cards)),
        args.cards,
    )?;
    println!(
        "latency database: {} cards ready in {:.1} s",
        args.cards,
        t.elapsed().as_secs_f64()
    );
    let now = Utc
        .with_ymd_and_hms(2026, 11, 3, 8, 0, 0)
        .single()
        .ok_or("time")?;
    for _ in 0..20 {
        core.next_for_you(10, now)?;
    }
    let (mut next_ms, mut liked_ms) = (vec![], vec![]);
    let mut seed = 7u64;
    let mut empty = 0;
    for _ in 0..args.calls {
        let s = Instant::now();
        let r = core.next_for_you(10, now)?;
        next_ms.push(s.elapsed().as_secs_f64() * 1e3);
        empty += usize::from(r.len() < 10);
        let card = format!("pc-{:05}", rng(&mut seed) % args.cards as u64);
        let s = Instant::now();
        let r = core.if_you_liked(&card, 10)?;
        liked_ms.push(s.elapsed().as_secs_f64() * 1e3);
        empty += usize::from(r.len() < 10);
    }
    let mut all: Vec<f64> = next_ms.iter().chain(&liked_ms).copied().collect();
    let recs_p99 = percentile(&mut all, 0.99);
    let next_p50 = percentile(&mut next_ms, 0.5);
    let next_p99 = percentile(&mut next_ms, 0.99);
    let liked_p50 = percentile(&mut liked_ms, 0.5);
    let liked_p99 = percentile(&mut liked_ms, 0.99);
    println!(
        "recommendations at {} cards: next_for_you p50 {next_p50:.2} ms p99 {next_p99:.2} ms; \
         if_you_liked p50 {liked_p50:.2} ms p99 {liked_p99:.2} ms ({} calls each, {empty} short lists)",
        args.cards, args.calls
    );
    // Playlist operations on the same database.
    let ids: Vec<String> = (0..30).map(|i| format!("pc-{:05}", i * 13)).collect();
    let pl = core.create_playlist("Bench playlist", &ids[..20], now)?;
    let mut ops = vec![];
    let mut order = ids[..20].to_vec();
    for k in 0..args.playlist_ops {
        let s = Instant::now();
        match k % 5 {
            0 => core.add_to_playlist(&pl.id, &ids[20 + k % 10], now)?,
            1 => core.remove_from_playlist(&pl.id, &ids[20 + (k - 1) % 10], now)?,
            2 => {
                order.rotate_left(1);
                core.reorder_playlist(&pl.id, &order, now)?
            }
            3 => core.rename_playlist(&pl.id, &format!("Bench playlist {k}"), now)?,
            _ => {
                core.playlist_progress(&pl.id)?;
            }
        }
        ops.push(s.elapsed().as_secs_f64() * 1e3);
    }
    let ops_p50 = percentile(&mut ops, 0.5);
    let ops_p99 = percentile(&mut ops, 0.99);
    println!(
        "playlist ops (add, remove, reorder, rename, progress; 20 cards): p50 {ops_p50:.3} ms p99 {ops_p99:.3} ms"
    );
    core.delete_playlist(&pl.id)?;
    println!(
        "{}",
        serde_json::json!({
            "bench": "personal",
            "cards": args.cards,
            "recs_p99_ms": round(recs_p99),
            "next_for_you_p50_ms": round(next_p50),
            "if_you_liked_p50_ms": round(liked_p50),
            "recall10": round(eval.recall10),
            "baseline_recall10": round(eval.baseline_recall10),
            "ndcg10": round(eval.ndcg10),
            "baseline_ndcg10": round(eval.baseline_ndcg10),
            "recall10_ratio": round(eval.recall10 / eval.baseline_recall10),
            "eval_users": eval.users,
            "playlist_ops_p99_ms": round(ops_p99),
        })
    );
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
