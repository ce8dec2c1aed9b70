//! Search benchmark: `microlearn bench search --cards 50000`.
//!
//! Quality on the English tldr pages (one card per example, ~32k cards; queries derived from the
//! example descriptions, misspelled with real misspellings, fixed seed — see [`search_data`]),
//! for Microlearn's search and for a plain FTS5 bm25 baseline on the same index. Latency at
//! `--cards` cards (the tldr cards replicated with varied ids and word order), replaying every
//! keystroke prefix of a sample of queries. Prints a table, then one JSON line.
//!
//! [`search_data`]: super::search_data

use std::{path::PathBuf, time::Instant};

use clap::Args;
use microlearn_core::{
    Microlearn,
    search::{SearchOptions, SearchResults},
};
use serde_json::json;

use super::search_data::{self, Query, Rng};
use crate::output::CmdResult;

#[path = "search_latency.rs"]
pub(super) mod latency;
use latency::percentile;

/// Options of this benchmark.
#[derive(Args)]
pub struct SearchBench {
    /// Cards in the latency catalog (the tldr cards, replicated with varied ids and text).
    #[arg(long, default_value_t = 50_000)]
    pub cards: usize,
    /// The tldr pages archive (default `../shared/data/tldr-pages.tar.gz`, then
    /// `/work/shared/data/tldr-pages.tar.gz`).
    #[arg(long)]
    pub tldr: Option<PathBuf>,
    /// Queries for the quality figures.
    #[arg(long, default_value_t = 2000)]
    pub queries: usize,
    /// Queries whose every keystroke prefix is replayed for latency.
    #[arg(long, default_value_t = 300)]
    pub latency_queries: usize,
    /// Keep the work folder (databases) and print the slowest keystrokes to stderr.
    #[arg(long)]
    pub keep: bool,
    /// Write the bench data into this folder and stop: the quality catalog (`cards.jsonl`) and
    /// queries (`clean.tsv`, `typo.tsv`, `prefix.tsv`, `typo_prefix.tsv`: query, tab, relevant
    /// card id), to compare versions with `microlearn import` and `microlearn search --stdin`;
    /// and for the Kotlin FFI bench (`tests/bench-ffi`) the latency catalog of `--cards` cards
    /// (`ffi-cards.tsv`: id, title, body, tags; tabs, newlines and backslashes escaped) and every
    /// keystroke prefix of `--latency-queries` sampled queries (`keystrokes.txt`).
    #[arg(long)]
    pub dump: Option<PathBuf>,
    /// Latency only: skip the quality figures (for profiling).
    #[arg(long)]
    pub latency_only: bool,
    /// Cards in the pathological catalog (33 distinct words; every card matches every query);
    /// 0 skips it.
    #[arg(long, default_value_t = 20_000)]
    pub pathological_cards: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// 1-based rank of `id` in `ids`.
fn rank(ids: &[String], id: &str) -> Option<usize> {
    ids.iter().position(|x| x == id).map(|p| p + 1)
}

fn ours(core: &Microlearn, q: &str) -> Vec<String> {
    core.search(q, &SearchOptions::default())
        .map(|r: SearchResults| r.hits.into_iter().map(|h| h.card_id).collect())
        .unwrap_or_default()
}

/// Plain FTS5: the words as typed (quoted), implicitly ANDed, the last one a prefix unless
/// followed by a space, ranked by unweighted bm25.
fn baseline(core: &Microlearn, q: &str) -> Vec<String> {
    let words = search_data::plain_words(q);
    if words.is_empty() {
        return vec![];
    }
    let prefix = q.chars().last().is_some_and(char::is_alphanumeric);
    let n = words.len();
    let expr: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if prefix && i + 1 == n {
                format!("\"{w}\"*")
            } else {
                format!("\"{w}\"")
            }
        })
        .collect();
    let expr = expr.join(" ");
    core.store()
        .read(|c| -> Result<Vec<String>, microlearn_core::Error> {
            let docs: Vec<i64> = c
                .prepare_cached(
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH ?1
                     ORDER BY bm25(search_fts) LIMIT 10",
                )?
                .query_map([&expr], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut stmt = c.prepare_cached("SELECT card_id FROM search_docs WHERE doc = ?1")?;
            let mut ids = vec![];
            for d in docs {
                ids.push(stmt.query_row([d], |r| r.get(0))?);
            }
            Ok(ids)
        })
        .unwrap_or_default()
}

#[derive(Default, Clone, Copy)]
struct Quality {
    n: usize,
    rr: f64,
    at3: usize,
    at10: usize,
}

impl Quality {
    fn add(&mut self, r: Option<usize>) {
        self.n += 1;
        if let Some(r) = r.filter(|&r| r <= 10) {
            self.rr += 1.0 / r as f64;
            self.at10 += 1;
            if r <= 3 {
                self.at3 += 1;
            }
        }
    }
    fn mrr(&self) -> f64 {
        self.rr / self.n.max(1) as f64
    }
    fn r10(&self) -> f64 {
        self.at10 as f64 / self.n.max(1) as f64
    }
    fn r3(&self) -> f64 {
        self.at3 as f64 / self.n.max(1) as f64
    }
}

fn quality(
    core: &Microlearn,
    qs: &[(String, String)],
    f: fn(&Microlearn, &str) -> Vec<String>,
) -> Quality {
    let mut q = Quality::default();
    for (text, id) in qs {
        q.add(rank(&f(core, text), id));
    }
    q
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Escapes a TSV field: backslash, tab and newline as `\\`, `\t`, `\n`.
fn tsv_field(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "")
}

/// Writes the files described at [`SearchBench::dump`].
fn dump(
    dir: &std::path::Path,
    cards: &[microlearn_core::content::Card],
    all: &[microlearn_core::content::Card],
    sets: [&Vec<(String, String)>; 4],
    args: &SearchBench,
) -> CmdResult {
    std::fs::create_dir_all(dir)?;
    let mut jsonl = String::new();
    for c in cards {
        jsonl.push_str(&serde_json::to_string(c)?);
        jsonl.push('\n');
    }
    std::fs::write(dir.join("cards.jsonl"), jsonl)?;
    for (name, qs) in ["clean", "typo", "prefix", "typo_prefix"].iter().zip(sets) {
        let tsv: String = qs.iter().map(|(q, id)| format!("{q}\t{id}\n")).collect();
        std::fs::write(dir.join(format!("{name}.tsv")), tsv)?;
    }
    let mut tsv = String::new();
    for c in all {
        let fields = [&c.id, &c.title, &c.body, &c.tags.join(",")];
        let line: Vec<String> = fields.iter().map(|f| tsv_field(f)).collect();
        tsv.push_str(&line.join("\t"));
        tsv.push('\n');
    }
    std::fs::write(dir.join("ffi-cards.tsv"), tsv)?;
    // Clean and misspelled learner queries, typed one keystroke at a time (own seed, so the
    // sample does not depend on the rest of the bench).
    let mut rng = Rng(args.seed.wrapping_add(1).max(1));
    let mut pool: Vec<&str> = sets[0]
        .iter()
        .chain(sets[1])
        .map(|(q, _)| q.as_str())
        .collect();
    let mut keys = String::new();
    for _ in 0..args.latency_queries {
        if pool.is_empty() {
            break;
        }
        let q = pool.swap_remove(rng.below(pool.len()));
        let chars: Vec<char> = q.chars().collect();
        for n in 1..=chars.len() {
            keys.extend(&chars[..n]);
            keys.push('\n');
        }
    }
    std::fs::write(dir.join("keystrokes.txt"), keys)?;
    println!(
        "{}",
        json!({"bench": "search", "dump": dir.display().to_string(), "cards": all.len()})
    );
    Ok(())
}

/// Share of `qs` for which the search suggests a "did you mean".
fn did_you_mean_rate(core: &Microlearn, qs: &[(String, String)]) -> f64 {
    let n = qs
        .iter()
        .filter(|(q, _)| {
            core.search(q, &SearchOptions::default())
                .is_ok_and(|r| r.did_you_mean.is_some())
        })
        .count();
    n as f64 / qs.len().max(1) as f64
}

/// Bytes of the search tables (dbstat when compiled in, else summed lengths).
fn index_bytes(core: &Microlearn) -> u64 {
    core.store()
        .read(|c| -> Result<u64, microlearn_core::Error> {
            let dbstat: Option<i64> = c
                .query_row(
                    "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search%'
                        OR name LIKE 'sqlite_autoindex_search%'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .ok();
            if let Some(b) = dbstat {
                return Ok(b as u64);
            }
            let sum: i64 = c.query_row(
                "SELECT (SELECT coalesce(sum(length(block)), 0) FROM search_fts_data)
                      + (SELECT coalesce(sum(length(c0) + length(c1) + length(c2) + length(c3)
                                + length(c4)), 0) FROM search_fts_content)
                      + (SELECT coalesce(sum(length(sz)), 0) FROM search_fts_docsize)
                      + (SELECT coalesce(sum(length(card_id) + 24), 0) FROM search_docs)",
                [],
                |r| r.get(0),
            )?;
            Ok(sum as u64)
        })
        .unwrap_or(0)
}

/// Replicas of the tldr cards: new ids, title words rotated, so the copies are not identical.
fn replicate(
    base: &[microlearn_core::content::Card],
    total: usize,
    rng: &mut Rng,
) -> Vec<microlearn_core::content::Card> {
    let mut out = vec![];
    let mut k = 0;
    while base.len() + out.len() < total && !base.is_empty() {
        k += 1;
        for c in base {
            if base.len() + out.len() >= total {
                break;
            }
            let mut c = c.clone();
            c.id = format!("{}-r{k}", c.id);
            let mut words: Vec<&str> = c.title.split(' ').collect();
            let n = words.len();
            if n > 1 {
                words.rotate_left(1 + rng.below(n - 1));
            }
            c.title = words.join(" ");
            out.push(c);
        }
    }
    out
}

pub fn run(_data_dir: &std::path::Path, args: SearchBench) -> CmdResult {
    let archive = search_data::find_archive(args.tldr.as_deref())?;
    let work = std::env::temp_dir().join(format!("microlearn-bench-search-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = run_in(&work, &archive, &args);
    if args.keep {
        eprintln!("kept {}", work.display());
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

fn run_in(work: &std::path::Path, archive: &std::path::Path, args: &SearchBench) -> CmdResult {
    let mut rng = Rng(args.seed.max(1));
    let examples = search_data::load_examples(archive, work)?;
    let cards: Vec<_> = examples.iter().map(|e| e.card.clone()).collect();
    eprintln!("{} tldr example cards", cards.len());

    // Queries: clean, misspelled (real typos), prefix (still typing), both.
    let queries: Vec<Query> = search_data::derive_queries(&examples, args.queries, &mut rng);
    let typos = search_data::misspellings();
    let clean: Vec<(String, String)> = queries
        .iter()
        .map(|q| (q.text.clone(), q.card_id.clone()))
        .collect();
    let typo: Vec<(String, String)> = queries
        .iter()
        .filter_map(|q| {
            search_data::misspell(&q.text, &typos, &mut rng).map(|t| (t, q.card_id.clone()))
        })
        .collect();
    let prefix: Vec<(String, String)> = clean
        .iter()
        .map(|(t, id)| (search_data::as_prefix(t), id.clone()))
        .collect();
    let typo_prefix: Vec<(String, String)> = typo
        .iter()
        .map(|(t, id)| (search_data::as_prefix(t), id.clone()))
        .collect();

    // The latency catalog: the tldr cards and replicas up to --cards.
    let mut all = cards.clone();
    all.extend(replicate(&cards, args.cards, &mut rng));
    if let Some(dir) = &args.dump {
        return dump(
            dir,
            &cards,
            &all,
            [&clean, &typo, &prefix, &typo_prefix],
            args,
        );
    }
    // Quality on the tldr cards themselves.
    let (mut q_clean, mut q_typo, mut q_prefix, mut q_typo_prefix) = Default::default();
    let (mut b_clean, mut b_typo, mut b_prefix) = Default::default();
    let (mut dym_clean, mut dym_typo) = (0.0, 0.0);
    if !args.latency_only {
        let qdir = work.join("quality");
        let core = Microlearn::open(&qdir)?;
        core.import_cards(&cards)?;
        let _ = ours(&core, "warm up");
        q_clean = quality(&core, &clean, ours);
        q_typo = quality(&core, &typo, ours);
        q_prefix = quality(&core, &prefix, ours);
        q_typo_prefix = quality(&core, &typo_prefix, ours);
        b_clean = quality(&core, &clean, baseline);
        b_typo = quality(&core, &typo, baseline);
        b_prefix = quality(&core, &prefix, baseline);
        dym_clean = did_you_mean_rate(&core, &clean);
        dym_typo = did_you_mean_rate(&core, &typo);
    }

    // Latency at --cards cards.
    let raw_bytes: u64 = all
        .iter()
        .map(|c| {
            (c.title.len() + c.body.len() + c.tags.iter().map(|t| t.len() + 1).sum::<usize>())
                as u64
        })
        .sum();
    let ldir = work.join("latency");
    let core = Microlearn::open(&ldir)?;
    let t = Instant::now();
    for chunk in all.chunks(5000) {
        core.import_cards(chunk)?;
    }
    let import_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let _ = ours(&core, "warm up");
    let vocab_s = t.elapsed().as_secs_f64();
    let build_s = import_s + vocab_s;
    let index = index_bytes(&core);
    // A sync that replaces the text of 100 indexed cards: index optimised, vocabulary rebuilt.
    let changed: Vec<_> = all[..100.min(all.len())]
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.body.push_str("\nRevised.");
            c
        })
        .collect();
    let t = Instant::now();
    core.import_cards(&changed)?;
    let update_100_ms = t.elapsed().as_secs_f64() * 1000.0;
    // A sync that adds 100 cards: merged into the stored vocabulary.
    let extra = replicate(
        &cards[..100.min(cards.len())],
        200.min(cards.len() * 2),
        &mut rng,
    );
    let extra: Vec<_> = extra
        .into_iter()
        .map(|mut c| {
            c.id = format!("{}-extra", c.id);
            c
        })
        .collect();
    let t = Instant::now();
    core.import_cards(&extra)?;
    let add_100_ms = t.elapsed().as_secs_f64() * 1000.0;
    drop(core);
    // The app is launched again on the synced catalog.
    let first_after_open_ms = latency::first_search_after_open(&ldir, "list files")?;
    let core = Microlearn::open(&ldir)?;

    let mut sample: Vec<&str> = clean.iter().chain(&typo).map(|(t, _)| t.as_str()).collect();
    let mut picked = vec![];
    while picked.len() < args.latency_queries && !sample.is_empty() {
        let i = rng.below(sample.len());
        picked.push(sample.swap_remove(i));
    }
    let _ = microlearn_core::search::rank::take_rows_read();
    let rep = latency::replay(&core, &picked);
    let shuffled = latency::shuffled(&core, &picked, &mut Rng(args.seed.wrapping_add(2).max(1)));
    let mut base_lat = vec![];
    for q in &picked {
        let chars: Vec<char> = q.chars().collect();
        for n in 1..=chars.len() {
            let typed: String = chars[..n].iter().collect();
            let t = Instant::now();
            let _ = baseline(&core, &typed);
            base_lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    base_lat.sort_by(f64::total_cmp);
    if args.keep {
        for (ms, q) in &rep.slowest {
            eprintln!("slow: {ms:8.3} ms  {q:?}");
        }
    }
    let patho = if args.pathological_cards > 0 {
        Some(latency::pathological(
            &work.join("pathological"),
            args.pathological_cards,
            &mut rng,
        )?)
    } else {
        None
    };
    let (lat, short) = (&rep.wall, &rep.short);

    let figures = json!({
        "bench": "search",
        "cards_quality": cards.len(),
        "cards_latency": all.len(),
        "queries_clean": clean.len(),
        "queries_typo": typo.len(),
        "latency_queries": picked.len(),
        "latency_keystrokes": lat.len(),
        "mrr10_clean": r3(q_clean.mrr()),
        "recall10_clean": r3(q_clean.r10()),
        "recall10_typo": r3(q_typo.r10()),
        "recall3_typo": r3(q_typo.r3()),
        "recall10_prefix": r3(q_prefix.r10()),
        "recall10_typo_prefix": r3(q_typo_prefix.r10()),
        "p50_ms": r3(percentile(lat, 0.5)),
        "p99_ms": r3(percentile(lat, 0.99)),
        "max_ms": r3(percentile(lat, 1.0)),
        "p99_short_prefix_ms": r3(percentile(short, 0.99)),
    });
    let more = json!({
        "cpu_p50_ms": r3(percentile(&rep.cpu, 0.5)),
        "shuffled_p50_ms": r3(percentile(&shuffled, 0.5)),
        "shuffled_p99_ms": r3(percentile(&shuffled, 0.99)),
        "cpu_p99_ms": r3(percentile(&rep.cpu, 0.99)),
        "max_rows_read": rep.rows.last().copied().unwrap_or(0),
        "first_search_after_open_ms": r3(first_after_open_ms),
        "update_100_cards_ms": r3(update_100_ms),
        "add_100_cards_ms": r3(add_100_ms),
        "did_you_mean_rate_clean": r3(dym_clean),
        "did_you_mean_rate_typo": r3(dym_typo),
        "pathological_cards": patho.as_ref().map(|p| p.cards),
        "pathological_words": patho.as_ref().map(|p| p.words),
        "pathological_p99_ms": patho.as_ref().map(|p| r3(p.p99_ms)),
        "pathological_max_ms": patho.as_ref().map(|p| r3(p.max_ms)),
        "pathological_max_rows_read": patho.as_ref().map(|p| p.max_rows),
    });
    let rest = json!({
        "load_avg_1m": std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next().and_then(|x| x.parse::<f64>().ok())),
        "index_bytes": index,
        "raw_text_bytes": raw_bytes,
        "index_ratio": r3(index as f64 / raw_bytes.max(1) as f64),
        "build_s": r3(build_s),
        "import_s": r3(import_s),
        "vocab_build_s": r3(vocab_s),
        "baseline_mrr10_clean": r3(b_clean.mrr()),
        "baseline_recall10_clean": r3(b_clean.r10()),
        "baseline_recall10_typo": r3(b_typo.r10()),
        "baseline_recall10_prefix": r3(b_prefix.r10()),
        "baseline_p50_ms": r3(percentile(&base_lat, 0.5)),
        "baseline_p99_ms": r3(percentile(&base_lat, 0.99)),
    });
    let mut figures = figures;
    if let Some(f) = figures.as_object_mut() {
        for part in [more, rest] {
            if let serde_json::Value::Object(m) = part {
                f.extend(m);
            }
        }
    }
    println!(
        "search bench: {} quality cards, {} latency cards",
        cards.len(),
        all.len()
    );
    println!("{:<28} {:>12} {:>12}", "metric", "microlearn", "plain bm25");
    let row = |name: &str, a: f64, b: Option<f64>| {
        println!(
            "{name:<28} {a:>12.3} {:>12}",
            b.map(|b| format!("{b:.3}"))
                .unwrap_or_else(|| "-".to_owned())
        )
    };
    row("mrr10_clean", q_clean.mrr(), Some(b_clean.mrr()));
    row("recall10_clean", q_clean.r10(), Some(b_clean.r10()));
    row("recall10_typo", q_typo.r10(), Some(b_typo.r10()));
    row("recall3_typo", q_typo.r3(), None);
    row("recall10_prefix", q_prefix.r10(), Some(b_prefix.r10()));
    row("recall10_typo_prefix", q_typo_prefix.r10(), None);
    row(
        "p50_ms",
        percentile(lat, 0.5),
        Some(percentile(&base_lat, 0.5)),
    );
    row(
        "p99_ms",
        percentile(lat, 0.99),
        Some(percentile(&base_lat, 0.99)),
    );
    row(
        "p99_short_prefix_ms (1-2 ch)",
        percentile(short, 0.99),
        None,
    );
    row("cpu_p99_ms", percentile(&rep.cpu, 0.99), None);
    row("shuffled_p99_ms", percentile(&shuffled, 0.99), None);
    row("first_search_after_open_ms", first_after_open_ms, None);
    if let Some(p) = &patho {
        row("pathological_max_ms", p.max_ms, None);
    }
    row("index_MB", index as f64 / 1e6, None);
    row("raw_text_MB", raw_bytes as f64 / 1e6, None);
    row("build_s", build_s, None);
    println!("{figures}");
    Ok(())
}
