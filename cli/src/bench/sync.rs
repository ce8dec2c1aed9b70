//! Catalog sync benchmark: `microlearn bench sync --cards 50000`.
//!
//! Generates a catalog, publishes it with `catalog build`, serves it with a real nginx on
//! loopback, and measures, each in a FRESH process (so the generator's memory does not count):
//! a full sync into an empty data dir (time, peak RSS from `VmHWM`), a delta sync after 1% of
//! the cards changed and the catalog was rebuilt with `--previous` (bytes ratio, time), and
//! opening the core on the synced catalog and reading one card (`open_ms`).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use clap::Args;
use microlearn_core::{
    Microlearn,
    content::{
        Card, QuizQuestion,
        build::{BuildOptions, build_catalog},
        nginx::LocalNginx,
    },
};

use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct SyncBench {
    /// Cards in the generated catalog.
    #[arg(long, default_value_t = 50_000)]
    pub cards: usize,
    /// Percent of cards changed before the delta sync.
    #[arg(long, default_value_t = 1.0)]
    pub change_percent: f64,
    /// Keep the work folder (catalog, client data) afterwards.
    #[arg(long)]
    pub keep: bool,
    /// Internal: open the core on this data dir, read `--probe-id`, print the time as JSON.
    #[arg(long, hide = true)]
    pub open_probe: Option<PathBuf>,
    /// Internal: the card the open probe reads.
    #[arg(long, hide = true, default_value = "")]
    pub probe_id: String,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "customer",
    "refund",
    "receipt",
    "safety",
    "ladder",
    "shelf",
    "label",
    "allergen",
    "fridge",
    "temperature",
    "hygiene",
    "gloves",
    "manager",
    "shift",
    "delivery",
    "pallet",
    "scanner",
    "price",
    "discount",
    "loyalty",
    "complaint",
    "escalate",
    "policy",
    "incident",
    "report",
    "patient",
    "medication",
    "handover",
    "lifting",
    "posture",
    "fire",
    "exit",
    "alarm",
    "cash",
    "till",
    "count",
    "security",
    "badge",
    "visitor",
    "cleaning",
    "spill",
    "sign",
    "stock",
    "rotation",
    "expiry",
    "check",
    "weekly",
    "daily",
    "always",
    "never",
    "ask",
    "record",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len())]);
    }
    s.push('.');
    s
}

fn gen_card(i: usize, rng: &mut Rng) -> Card {
    let mut c = Card::new(format!("card-{i:06}"), sentence(rng, 5));
    c.summary = sentence(rng, 14);
    c.objective = sentence(rng, 10);
    c.body = (0..6)
        .map(|_| sentence(rng, 14))
        .collect::<Vec<_>>()
        .join(" ");
    c.duration_seconds = 30 + (rng.below(10) as u32) * 15;
    c.tags = (0..3)
        .map(|_| WORDS[rng.below(WORDS.len())].to_owned())
        .collect();
    c.tags.sort();
    c.tags.dedup();
    c.topics = vec![format!("topic-{}", i % 40)];
    if i.is_multiple_of(3) {
        c.questions.push(QuizQuestion {
            id: format!("q-{i:06}"),
            stem: sentence(rng, 8),
            choices: (0..3).map(|_| sentence(rng, 3)).collect(),
            correct: vec![rng.below(3) as u32],
            explanation: sentence(rng, 8),
        });
    }
    c
}

fn write_jsonl(path: &Path, cards: &[Card]) -> CmdResult {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    for c in cards {
        serde_json::to_writer(&mut w, c)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

/// Runs the current executable with `args` and parses the last line of its stdout as JSON.
fn child_json(args: &[&str]) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe).args(args).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    if !out.status.success() {
        return Err(format!(
            "child {args:?} failed: {last} {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(serde_json::from_str(last)?)
}

fn num(v: &serde_json::Value, key: &str) -> f64 {
    v.get(key)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.0)
}

fn open_probe(dir: &Path, id: &str) -> CmdResult {
    let t = Instant::now();
    let core = Microlearn::open(dir)?;
    let card = core.card(id)?;
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{}",
        serde_json::json!({ "open_ms": open_ms, "title_len": card.title.len() })
    );
    Ok(())
}

pub fn run(data_dir: &Path, args: SyncBench) -> CmdResult {
    if let Some(dir) = &args.open_probe {
        return open_probe(dir, &args.probe_id);
    }
    let work = data_dir.join("bench-sync");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let (input, publ, client) = (
        work.join("cards.jsonl"),
        work.join("pub"),
        work.join("client"),
    );

    let t = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut cards: Vec<Card> = (0..args.cards).map(|i| gen_card(i, &mut rng)).collect();
    write_jsonl(&input, &cards)?;
    let built = build_catalog(&input, &publ, &BuildOptions::default())?;
    let build_s = t.elapsed().as_secs_f64();

    let nginx = LocalNginx::start(&publ)?;
    let url = nginx.url("index.json");
    let client_s = client.to_string_lossy().into_owned();
    let sync_args = [
        "--data-dir",
        &client_s,
        "--json",
        "sync",
        &url,
        "--report-rss",
    ];
    let full = child_json(&sync_args)?;

    // Change `change_percent`% of the cards at random and republish incrementally.
    let n_change = ((args.cards as f64) * args.change_percent / 100.0).round() as usize;
    for _ in 0..n_change {
        let i = rng.below(cards.len());
        cards[i].revision += 1;
        cards[i].body = format!("{} {}", sentence(&mut rng, 12), cards[i].body);
    }
    write_jsonl(&input, &cards)?;
    let t = Instant::now();
    let rebuilt = build_catalog(
        &input,
        &publ,
        &BuildOptions {
            previous: Some(publ.clone()),
            ..Default::default()
        },
    )?;
    let rebuild_s = t.elapsed().as_secs_f64();
    let probe_id = cards[cards.len() / 2].id.clone();
    drop(cards);
    let delta = child_json(&sync_args)?;

    let probe = child_json(&[
        "bench",
        "sync",
        "--open-probe",
        &client_s,
        "--probe-id",
        &probe_id,
    ])?;
    drop(nginx);

    let full_bytes = num(&full, "bytes_fetched");
    let delta_bytes = num(&delta, "bytes_fetched");
    let ratio = if full_bytes > 0.0 {
        delta_bytes / full_bytes
    } else {
        0.0
    };
    let result = serde_json::json!({
        "cards": args.cards,
        "shards": built.shards,
        "catalog_bytes": built.total_bytes,
        "build_s": round(build_s),
        "full_sync_s": round(num(&full, "elapsed_s")),
        "full_peak_rss_mb": round(num(&full, "peak_rss_mb")),
        "full_bytes": full_bytes,
        "changed_cards": n_change,
        "rebuild_mode": rebuilt.mode,
        "rebuild_s": round(rebuild_s),
        "delta_bytes": delta_bytes,
        "delta_bytes_ratio": (ratio * 10_000.0).round() / 10_000.0,
        "delta_sync_s": round(num(&delta, "elapsed_s")),
        "delta_mode": delta.get("mode").cloned().unwrap_or_default(),
        "delta_cards_updated": num(&delta, "cards_updated"),
        "open_ms": round(num(&probe, "open_ms")),
    });
    println!("Catalog sync benchmark (nginx on loopback, each sync in a fresh process)");
    println!("{:<28} {:>14}", "metric", "value");
    for (k, target) in [
        ("cards", ""),
        ("shards", ""),
        ("catalog_bytes", ""),
        ("build_s", ""),
        ("full_sync_s", "<= 10"),
        ("full_peak_rss_mb", "<= 150"),
        ("changed_cards", ""),
        ("rebuild_mode", ""),
        ("delta_bytes", ""),
        ("delta_bytes_ratio", "<= 0.05"),
        ("delta_sync_s", ""),
        ("open_ms", "<= 50"),
    ] {
        println!("{k:<28} {:>14} {target}", result[k].to_string());
    }
    if !args.keep {
        let _ = std::fs::remove_dir_all(&work);
    }
    println!("{result}");
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
