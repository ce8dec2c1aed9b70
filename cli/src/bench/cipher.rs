//! `microlearn bench cipher`: the cost of encryption at rest on search, the call a learner makes
//! on every keystroke. The same synthetic catalog goes into a plain and a SQLCipher store in the
//! same process; the same keystroke replay then runs against both, interleaved query by query
//! (so a noisy neighbour on the shared machine hits both alike). Last line: one JSON object with
//! `encrypted_search_p99_ratio` (encrypted p99 over plain p99; target ≤ 1.3).

use std::time::Instant;

use clap::Args;
use microlearn_core::{
    Microlearn,
    content::Card,
    search::SearchOptions,
    store::{DatabaseKey, cipher::KEY_LEN},
};

use super::search_data::Rng;
use crate::output::CmdResult;

/// Options of `bench cipher`.
#[derive(Args)]
pub struct CipherBench {
    /// Cards in the synthetic catalog.
    #[arg(long, default_value_t = 50_000)]
    cards: usize,
    /// Queries replayed (each keystroke prefix is one search).
    #[arg(long, default_value_t = 400)]
    queries: usize,
}

const WORDS: &[&str] = &[
    "refund",
    "receipt",
    "customer",
    "manager",
    "safety",
    "forklift",
    "allergen",
    "cleaning",
    "register",
    "shift",
    "schedule",
    "inventory",
    "delivery",
    "return",
    "exchange",
    "voucher",
    "discount",
    "loyalty",
    "card",
    "payment",
    "cash",
    "drawer",
    "opening",
    "closing",
    "store",
    "shelf",
    "label",
    "price",
    "promotion",
    "complaint",
    "greeting",
    "uniform",
    "hygiene",
    "temperature",
    "fridge",
    "freezer",
    "storage",
    "expiry",
    "waste",
    "recycling",
    "ladder",
    "lifting",
    "injury",
    "report",
    "incident",
    "fire",
    "exit",
    "alarm",
    "evacuation",
    "first",
    "aid",
    "kit",
    "glove",
    "mask",
    "knife",
    "slicer",
    "oven",
    "fryer",
    "oil",
    "spill",
    "floor",
];

fn sentence(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.below(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn catalog(n: usize) -> Vec<Card> {
    let mut rng = Rng(0x5eed);
    (0..n)
        .map(|i| {
            let mut c = Card::new(format!("card-{i}"), sentence(&mut rng, 5));
            c.summary = sentence(&mut rng, 12);
            c.body = sentence(&mut rng, 60);
            c
        })
        .collect()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the benchmark in a temporary directory.
pub fn run(_data_dir: &std::path::Path, args: CipherBench) -> CmdResult {
    let work = std::env::temp_dir().join(format!("microlearn-bench-cipher-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = run_in(&work, &args);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn run_in(work: &std::path::Path, args: &CipherBench) -> CmdResult {
    let cards = catalog(args.cards);
    let key = DatabaseKey::from_bytes(&[0x42; KEY_LEN])?;
    let t = Instant::now();
    let plain = Microlearn::open(work.join("plain"))?;
    for chunk in cards.chunks(5_000) {
        plain.import_cards(chunk)?;
    }
    let import_plain_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let enc = Microlearn::open_with_key(work.join("enc"), Some(&key))?;
    for chunk in cards.chunks(5_000) {
        enc.import_cards(chunk)?;
    }
    let import_enc_s = t.elapsed().as_secs_f64();
    // Reopen both (closing checkpoints the WAL; not timed), then time the opens alone.
    drop(enc);
    drop(plain);
    let t = Instant::now();
    let plain = Microlearn::open(work.join("plain"))?;
    let open_plain_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let enc = Microlearn::open_with_key(work.join("enc"), Some(&key))?;
    let open_enc_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut rng = Rng(7);
    let queries: Vec<String> = (0..args.queries)
        .map(|_| {
            let n = 1 + rng.below(3);
            sentence(&mut rng, n)
        })
        .collect();
    let opts = SearchOptions::default();
    // Warm both (vocabulary caches, page caches) alike.
    for q in queries.iter().take(20) {
        let _ = plain.search(q, &opts)?;
        let _ = enc.search(q, &opts)?;
    }
    let (mut wp, mut we) = (vec![], vec![]);
    let mut plain_first = true;
    for q in &queries {
        let chars: Vec<char> = q.chars().collect();
        for n in 1..=chars.len() {
            let typed: String = chars[..n].iter().collect();
            // Alternate which store goes first, so neither gains from the other's warm caches.
            plain_first = !plain_first;
            let mut pair = [(&plain, &mut wp), (&enc, &mut we)];
            if !plain_first {
                pair.reverse();
            }
            for (core, out) in pair {
                let t = Instant::now();
                let _ = core.search(&typed, &opts)?;
                out.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    wp.sort_by(f64::total_cmp);
    we.sort_by(f64::total_cmp);
    let (p50p, p99p, p50e, p99e) = (pct(&wp, 0.5), pct(&wp, 0.99), pct(&we, 0.5), pct(&we, 0.99));
    let ratio = if p99p > 0.0 { p99e / p99p } else { 0.0 };
    println!("cards {}, searches {} per store", args.cards, wp.len());
    println!("import  plain {import_plain_s:.2} s, encrypted {import_enc_s:.2} s");
    println!("search  plain p50 {p50p:.3} ms p99 {p99p:.3} ms");
    println!("search  encrypted p50 {p50e:.3} ms p99 {p99e:.3} ms (ratio p99 {ratio:.3})");
    println!("open    plain {open_plain_ms:.2} ms, encrypted {open_enc_ms:.2} ms");
    println!(
        "{}",
        serde_json::json!({
            "cards": args.cards,
            "searches": wp.len(),
            "plain_p50_ms": p50p, "plain_p99_ms": p99p,
            "encrypted_p50_ms": p50e, "encrypted_p99_ms": p99e,
            "encrypted_search_p99_ratio": ratio,
            "encrypted_search_p50_ratio": if p50p > 0.0 { p50e / p50p } else { 0.0 },
            "import_plain_s": import_plain_s, "import_encrypted_s": import_enc_s,
            "open_plain_ms": open_plain_ms, "open_encrypted_ms": open_enc_ms,
        })
    );
    Ok(())
}
