//! `microlearn bench network`: the peer network against a real Synapse (`--homeserver`, with its
//! registration shared secret; `tests/network/run-bench.sh` starts one).
//!
//! Figures: durable offline enqueue of a post (`offline_post_p99_ms`), sending the seeded history
//! (`send_per_s`), the first sync of a room of `--events` events by a new device
//! (`sync_10k_events_s`), the card view from SQLite with those events stored
//! (`card_view_p99_ms`), card search keystroke latency on a `--cards` catalog before and after the
//! posts are stored (`search_p99_ms_*`) and the learner's combined search, and the exactly-once
//! counts after `--kills` SIGKILLs of `microlearn network send` processes (`outbox_lost`,
//! `outbox_duplicates`; see `network_crash.rs`).

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use clap::Args;
use microlearn_core::{
    Microlearn,
    content::Card,
    network::{DeliverOptions, SyncOptions},
    search::SearchOptions,
    xapi::{Credentials, StaticCredentials},
};
use serde_json::json;

use super::{
    network_admin::register,
    network_crash,
    search::latency::{percentile, replay, thread_cpu},
    search_data::{self, Rng},
};
use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct NetworkBench {
    /// The homeserver URL.
    #[arg(long, env = "SYNAPSE_URL")]
    pub homeserver: String,
    /// Synapse's registration shared secret (to create the bench users).
    #[arg(long, env = "SYNAPSE_SECRET", hide_env_values = true)]
    pub secret: String,
    /// Events of the seeded room history.
    #[arg(long, default_value_t = 10_000)]
    pub events: usize,
    /// Cards in the search catalog (tldr cards, replicated).
    #[arg(long, default_value_t = 50_000)]
    pub cards: usize,
    /// Queries whose keystrokes are replayed for the search figures.
    #[arg(long, default_value_t = 150)]
    pub latency_queries: usize,
    /// Alternating rounds of the card-search replay on the catalog without and with posts.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// A stripped release cdylib of the baseline (e.g. main) and of this build, for
    /// `cdylib_growth_bytes` (tests/network/run-bench.sh strips and passes both).
    #[arg(long, requires = "cdylib")]
    pub cdylib_baseline: Option<PathBuf>,
    /// This build's stripped release cdylib.
    #[arg(long)]
    pub cdylib: Option<PathBuf>,
    /// Devices seeding the history at once.
    #[arg(long, default_value_t = 8)]
    pub seeders: usize,
    /// SIGKILLs of `network send` processes in the crash run (0 skips it).
    #[arg(long, default_value_t = 200)]
    pub kills: usize,
    /// The tldr pages archive (as `bench search`).
    #[arg(long)]
    pub tldr: Option<PathBuf>,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

fn bearer(token: &str) -> StaticCredentials {
    StaticCredentials(Some(Credentials::Bearer {
        token: token.to_owned(),
    }))
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A signed-in device in `dir`: (core, credentials, user id).
pub(super) async fn signed_in(
    args: &NetworkBench,
    dir: &Path,
    name: &str,
) -> Result<(Microlearn, StaticCredentials, String), Box<dyn std::error::Error>> {
    let password = format!("pw-{name}");
    register(&args.homeserver, &args.secret, name, &password).await?;
    let core = Microlearn::open(dir)?;
    let s = core
        .network_login(&args.homeserver, name, &password)
        .await?;
    Ok((core, bearer(&s.access_token), s.access_token))
}

fn replicate(base: &[Card], total: usize) -> Vec<Card> {
    let mut out: Vec<Card> = base.to_vec();
    let mut k = 0;
    while out.len() < total && !base.is_empty() {
        k += 1;
        for c in base {
            if out.len() >= total {
                break;
            }
            let mut c = c.clone();
            c.id = format!("{}-r{k}", c.id);
            out.push(c);
        }
    }
    out
}

/// Runs the benchmark.
pub fn run(_data_dir: &Path, args: NetworkBench) -> CmdResult {
    let work =
        std::env::temp_dir().join(format!("microlearn-bench-network-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(run_in(&work, &args));
    let _ = std::fs::remove_dir_all(&work);
    result
}

async fn run_in(work: &Path, args: &NetworkBench) -> CmdResult {
    let tag = format!("b{}", std::process::id());
    let mut rng = Rng(args.seed.max(1));
    let archive = search_data::find_archive(args.tldr.as_deref())?;
    let tldr = work.join("tldr");
    std::fs::create_dir_all(&tldr)?;
    let examples = search_data::load_examples(&archive, &tldr)?;
    let base: Vec<Card> = examples.iter().map(|e| e.card.clone()).collect();
    let queries = search_data::derive_queries(&examples, args.latency_queries, &mut rng);
    let texts: Vec<&str> = examples.iter().map(|e| e.description.as_str()).collect();
    let card_ids: Vec<&str> = base.iter().take(500).map(|c| c.id.as_str()).collect();

    // 1. Seeders post the room history offline: questions, answers, votes, ratings. Several
    // devices send at once (Synapse on SQLite takes ~50 ms per event, one device sends in order).
    let (owner, owner_creds, _) =
        signed_in(args, &work.join("owner"), &format!("{tag}own")).await?;
    let room = owner
        .network_create_topic_room(&format!("Bench {tag}"), &owner_creds)
        .await?;
    let mut seeders = vec![];
    for k in 0..args.seeders.max(1) {
        let (core, creds, _) = signed_in(
            args,
            &work.join(format!("seeder{k}")),
            &format!("{tag}seed{k}"),
        )
        .await?;
        core.network_join(&room, &creds).await?;
        seeders.push((core, creds));
    }
    let mut enqueue_ms = Vec::with_capacity(args.events);
    let mut enqueue_cpu_ms = Vec::with_capacity(args.events);
    let mut questions: Vec<Vec<String>> = vec![vec![]; seeders.len()];
    // Until `events` distinct items are queued (a re-rating or a repeated vote collapses).
    let mut distinct = std::collections::HashSet::new();
    let mut i = 0;
    while distinct.len() < args.events {
        i += 1;
        let k = i % seeders.len();
        let (seeder, _) = &seeders[k];
        let qs = &mut questions[k];
        let card = card_ids[rng.below(card_ids.len())];
        let text = texts[rng.below(texts.len())];
        let (t, cpu) = (Instant::now(), thread_cpu());
        let id = match (i / seeders.len()) % 10 {
            0..=3 => {
                let id = seeder.network_ask(&room, Some(card), &format!("How do I {text}?"))?;
                qs.push(id.clone());
                id
            }
            4..=6 if !qs.is_empty() => {
                let q = &qs[rng.below(qs.len())];
                seeder.network_answer(&room, q, &format!("{text}: that is what worked for me"))?
            }
            7 if !qs.is_empty() => seeder.network_vote(&room, &qs[rng.below(qs.len())], true)?,
            _ => seeder.network_rate(&room, card, 1 + rng.below(5) as u8, rng.below(10) == 0)?,
        };
        enqueue_ms.push(ms(t));
        enqueue_cpu_ms.push(thread_cpu().saturating_sub(cpu).as_secs_f64() * 1000.0);
        distinct.insert(id);
    }
    enqueue_ms.sort_by(f64::total_cmp);
    enqueue_cpu_ms.sort_by(f64::total_cmp);
    let queued: usize = seeders
        .iter()
        .map(|(c, _)| c.network_outbox().map(|o| o.len()).unwrap_or(0))
        .sum();
    eprintln!("queued {queued} items offline on {} devices", seeders.len());
    let t = Instant::now();
    let sends = seeders.iter().map(|(core, creds)| async move {
        let mut sent = 0;
        loop {
            let r = core.network_send(creds, &DeliverOptions::default()).await?;
            sent += r.sent;
            if r.pending == 0 {
                return Ok::<_, microlearn_core::network::NetworkError>((sent, r.failed));
            }
            core.network_retry_now()?;
        }
    });
    let mut sent = 0;
    for r in futures_util::future::join_all(sends).await {
        sent += r?.0;
    }
    let send_s = t.elapsed().as_secs_f64();
    for (c, _) in &seeders {
        for i in c.network_outbox()? {
            if i.state == microlearn_core::network::OutboxState::Failed {
                eprintln!("failed: {} {:?} {:?}", i.kind, i.error_status, i.error);
            }
        }
    }
    eprintln!("sent {sent} events in {send_s:.1} s");

    // 2. A reader with the catalog: card search before any post is stored.
    let rdir = work.join("reader");
    let catalog = replicate(&base, args.cards);
    {
        let core = Microlearn::open(&rdir)?;
        for chunk in catalog.chunks(5000) {
            core.import_cards(chunk)?;
        }
    }
    let (reader, reader_creds, _) = signed_in(args, &rdir, &format!("{tag}read")).await?;
    let qs: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let _ = reader.search("warm up", &SearchOptions::default());
    // The same catalog without posts, for the comparison (a consistent copy of the file).
    let nodir = work.join("no-posts");
    std::fs::create_dir_all(&nodir)?;
    let copy = nodir.join("microlearn.db");
    reader.store().read(|c| {
        c.execute("VACUUM INTO ?1", [copy.to_string_lossy()])
            .map(|_| ())
            .map_err(microlearn_core::Error::from)
    })?;
    let no_posts = Microlearn::open(&nodir)?;

    // 3. First sync of the room's history.
    reader.network_join(&room, &reader_creds).await?;
    let t = Instant::now();
    let mut stored = 0;
    let mut pages = 0;
    let (mut server_ms, mut store_ms) = (0, 0);
    loop {
        let r = reader
            .network_sync(&reader_creds, &SyncOptions::default())
            .await?;
        stored += r.new_events;
        pages += r.sync_pages + r.backfill_pages;
        server_ms += r.server_ms;
        store_ms += r.store_ms;
        if r.rooms_backfilling == 0 {
            break;
        }
    }
    let sync_s = t.elapsed().as_secs_f64();
    eprintln!("first sync: {stored} events, {pages} pages, {sync_s:.2} s");

    // 4. With the posts stored: card search again, alternating rounds with the copy without
    // posts (same load for both), then the combined search and the card view.
    let _ = no_posts.search("warm up", &SearchOptions::default());
    let (mut before, mut after) = (replay(&no_posts, &[]), replay(&reader, &[]));
    let (mut p99_before, mut p99_after) = (vec![], vec![]);
    for _ in 0..args.rounds.max(1) {
        let b = replay(&no_posts, &qs);
        let a = replay(&reader, &qs);
        p99_before.push(percentile(&b.wall, 0.99));
        p99_after.push(percentile(&a.wall, 0.99));
        before.wall.extend(b.wall);
        before.cpu.extend(b.cpu);
        after.wall.extend(a.wall);
        after.cpu.extend(a.cpu);
    }
    for v in [
        &mut before.wall,
        &mut before.cpu,
        &mut after.wall,
        &mut after.cpu,
        &mut p99_before,
        &mut p99_after,
    ] {
        v.sort_by(f64::total_cmp);
    }
    let mut combined = vec![];
    let opts = SearchOptions::default();
    for q in &qs {
        let chars: Vec<char> = q.chars().collect();
        for n in 1..=chars.len() {
            let typed: String = chars[..n].iter().collect();
            let t = Instant::now();
            let _ = reader.search_with_posts(&typed, &opts, 3);
            combined.push(ms(t));
        }
    }
    combined.sort_by(f64::total_cmp);
    let found = reader.network_search("refund no receipt", 3)?.len();
    let mut view_ms = vec![];
    let mut view_cpu_ms = vec![];
    let mut questions_seen = 0;
    for _ in 0..2000 {
        let card = card_ids[rng.below(card_ids.len())];
        let (t, cpu) = (Instant::now(), thread_cpu());
        let v = reader.network_card_view(card, 5)?;
        view_ms.push(ms(t));
        view_cpu_ms.push(thread_cpu().saturating_sub(cpu).as_secs_f64() * 1000.0);
        questions_seen += v.questions.len();
    }
    view_ms.sort_by(f64::total_cmp);
    view_cpu_ms.sort_by(f64::total_cmp);
    let growth = match (&args.cdylib_baseline, &args.cdylib) {
        (Some(base), Some(now)) => {
            Some(std::fs::metadata(now)?.len() as i64 - std::fs::metadata(base)?.len() as i64)
        }
        _ => None,
    };
    let _ = found;

    // 5. SIGKILLs during send.
    let crash = if args.kills > 0 {
        Some(network_crash::run(args, work, &tag).await?)
    } else {
        None
    };

    println!("| figure | value |\n|---|---|");
    let result = json!({
        "events": args.events,
        "cards": args.cards,
        "offline_post_p50_ms": r3(percentile(&enqueue_ms, 0.5)),
        "offline_post_p99_ms": r3(percentile(&enqueue_ms, 0.99)),
        "offline_post_cpu_p99_ms": r3(percentile(&enqueue_cpu_ms, 0.99)),
        "send_per_s": r3(sent as f64 / send_s),
        "sync_10k_events_s": r3(sync_s),
        "sync_events_stored": stored,
        "sync_pages": pages,
        "sync_server_s": r3(server_ms as f64 / 1000.0),
        "sync_store_s": r3(store_ms as f64 / 1000.0),
        "card_view_p50_ms": r3(percentile(&view_ms, 0.5)),
        "card_view_p99_ms": r3(percentile(&view_ms, 0.99)),
        "card_view_cpu_p99_ms": r3(percentile(&view_cpu_ms, 0.99)),
        "card_view_questions_avg": r3(questions_seen as f64 / 2000.0),
        "search_p99_ms_without_posts": r3(percentile(&before.wall, 0.99)),
        "search_p99_ms_with_posts": r3(percentile(&after.wall, 0.99)),
        "search_p99_ms_median_round_without_posts": r3(percentile(&p99_before, 0.5)),
        "search_p99_ms_median_round_with_posts": r3(percentile(&p99_after, 0.5)),
        "search_p50_ms_without_posts": r3(percentile(&before.wall, 0.5)),
        "search_p50_ms_with_posts": r3(percentile(&after.wall, 0.5)),
        "search_cpu_p99_ms_without_posts": r3(percentile(&before.cpu, 0.99)),
        "search_cpu_p99_ms_with_posts": r3(percentile(&after.cpu, 0.99)),
        "search_with_posts_p50_ms": r3(percentile(&combined, 0.5)),
        "search_with_posts_p99_ms": r3(percentile(&combined, 0.99)),
        "keystrokes": before.wall.len(),
        "search_rounds": args.rounds,
        "kills": crash.as_ref().map(|c| c.kills),
        "kills_during_send": crash.as_ref().map(|c| c.kills_during_send),
        "outbox_committed": crash.as_ref().map(|c| c.committed),
        "outbox_lost": crash.as_ref().map(|c| c.lost),
        "outbox_duplicates": crash.as_ref().map(|c| c.duplicates),
        "outbox_phantoms": crash.as_ref().map(|c| c.phantoms),
        "cdylib_growth_bytes": growth,
    });
    if let Some(m) = result.as_object() {
        for (k, v) in m {
            println!("| {k} | {v} |");
        }
    }
    println!("{result}");
    Ok(())
}
