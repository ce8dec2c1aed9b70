//! xAPI benchmark: enqueue latency and throughput, flush throughput to a real LRS against the
//! one-PUT-per-statement baseline, disk use, and a fault run that counts lost and duplicated
//! statements, and the conflict cases ([`super::xapi_conflicts`]). Needs a running LRS
//! (`--endpoint`); `tests/xapi/run-bench.sh` starts LaRS, on loopback or (`--rtt-ms`,
//! `--loss-pct`) behind an emulated mobile link (`tests/xapi/mobile-link.sh`). With `--rtt-ms`
//! the bench first checks that the endpoint really is that far away (TCP connect times), so a
//! figure is never labelled with a link it was not measured on.

use std::{path::Path, time::Instant};

use clap::Args;
use microlearn_core::{
    Microlearn,
    xapi::{
        FlushOptions, FlushOutcome, LrsEndpoint, StaticCredentials,
        fault_injector::{FaultInjector, FaultOdds, Upstream},
        queue::waiting_statements,
    },
};
use serde_json::json;

use super::{
    xapi_conflicts,
    xapi_lrs::{LrsCpu, check_reachable, connect_rtt_ms, counts_for, put_one},
};
use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct XapiBench {
    /// The LRS's xAPI base URL (e.g. `http://127.0.0.1:9000/`).
    #[arg(long, env = "MICROLEARN_LRS_URL")]
    pub endpoint: String,
    /// Single durable enqueues timed for the latency percentiles.
    #[arg(long, default_value_t = 2_000)]
    pub single: usize,
    /// Statements enqueued in batches, then flushed to the LRS.
    #[arg(long, default_value_t = 20_000)]
    pub statements: usize,
    /// Statements sent one PUT each (the baseline).
    #[arg(long, default_value_t = 1_000)]
    pub puts: usize,
    /// Rounds the baseline and the batched flush alternate in (same load, same table sizes).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Statements pushed through the fault injector.
    #[arg(long, default_value_t = 2_000)]
    pub fault_statements: usize,
    /// Delays added by the injector in front of the LRS for a loopback network comparison, in
    /// ms per request (comma-separated; the first one fills the `proxy_rtt_*` keys; 0 = skip;
    /// not run with `--rtt-ms`).
    #[arg(long, value_delimiter = ',', default_values_t = [50, 10])]
    pub proxy_rtt_ms: Vec<u64>,
    /// The round trip of the emulated link the endpoint sits behind, in ms (checked, reported).
    #[arg(long)]
    pub rtt_ms: Option<u64>,
    /// That link's jitter, in ms (reported).
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// That link's packet loss in each direction, in percent (reported).
    #[arg(long, default_value_t = 0.0)]
    pub loss_pct: f64,
    /// Concurrent batches (`max_in_flight`) to measure besides the default strict-order flush.
    #[arg(long, value_delimiter = ',', default_values_t = [4, 8])]
    pub lanes: Vec<u32>,
    /// Statements flushed (batched) over that round trip; a tenth of them are PUT one by one.
    #[arg(long, default_value_t = 5_000)]
    pub rtt_statements: usize,
}

fn statement(reg: &str, i: usize) -> String {
    json!({
        "actor": {"objectType": "Agent", "account": {"homePage": "https://microlearn.example/xapi/installs", "name": "bench"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"objectType": "Activity", "id": format!("https://microlearn.example/xapi/cards/card-{}", i % 500),
                   "definition": {"name": {"en-US": "Refund without a receipt"}, "type": "http://adlnet.gov/expapi/activities/lesson"}},
        "result": {"duration": "PT42.5S", "completion": true},
        "context": {"registration": reg, "platform": "Microlearn bench", "language": "en-US"},
        "timestamp": "2026-11-23T08:00:00.000Z"
    })
    .to_string()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn db_bytes(dir: &Path) -> u64 {
    ["microlearn.db", "microlearn.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

pub fn run(data_dir: &Path, args: XapiBench) -> CmdResult {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Fresh databases under <data-dir>/bench-xapi/, removed afterwards.
    let root = data_dir.join("bench-xapi");
    let _ = std::fs::remove_dir_all(&root);
    let out = rt.block_on(bench(&root, args));
    let _ = std::fs::remove_dir_all(&root);
    out
}

struct Dir(std::path::PathBuf);

impl Dir {
    fn path(&self) -> &Path {
        &self.0
    }
}

fn fresh(root: &Path, name: &str) -> std::io::Result<Dir> {
    let p = root.join(name);
    std::fs::create_dir_all(&p)?;
    Ok(Dir(p))
}

async fn bench(root: &Path, args: XapiBench) -> CmdResult {
    let client = reqwest::Client::new();
    check_reachable(&client, &args.endpoint).await?;
    let url = args.endpoint.clone();
    let creds = StaticCredentials(None);
    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("")
        .parse()
        .map_err(|e| format!("the bench needs an http://IP:port/ endpoint: {e}"))?;
    // 0. The link: a median TCP connect is one round trip.
    let link_connect_ms = connect_rtt_ms(addr, 11).await?;
    if let Some(rtt) = args.rtt_ms
        && link_connect_ms < rtt as f64 * 0.5
    {
        return Err(format!(
            "--rtt-ms {rtt}: the endpoint answers a TCP connect in {link_connect_ms:.1} ms, so it \
             is not behind such a link; run tests/xapi/run-bench.sh --rtt-ms {rtt} --loss-pct {}",
            args.loss_pct
        )
        .into());
    }
    let link_mode = args.rtt_ms.is_some();

    // 1. Single durable enqueues (one committed transaction each).
    let dir = fresh(root, "single")?;
    let core = Microlearn::open(dir.path())?;
    let reg = uuid::Uuid::new_v4().to_string();
    let mut lat = Vec::with_capacity(args.single);
    for i in 0..args.single {
        let s = statement(&reg, i);
        let t = Instant::now();
        core.enqueue_statement(&s)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));

    // 2. Batched enqueue (1,000 per transaction), and disk use per 1,000 queued statements.
    let dir2 = fresh(root, "batch")?;
    let core2 = Microlearn::open(dir2.path())?;
    let reg2 = uuid::Uuid::new_v4().to_string();
    let before = db_bytes(dir2.path());
    let all: Vec<String> = (0..args.statements).map(|i| statement(&reg2, i)).collect();
    let t = Instant::now();
    for chunk in all.chunks(1000) {
        core2.store().write(|tx| {
            for s in chunk {
                microlearn_core::xapi::queue::enqueue_json_in(tx, s)?;
            }
            Ok::<_, microlearn_core::Error>(())
        })?;
    }
    let enqueue_batch_per_s = args.statements as f64 / t.elapsed().as_secs_f64();
    core2
        .store()
        .writer()?
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    let disk_bytes_per_1k =
        (db_bytes(dir2.path()).saturating_sub(before)) as f64 / (args.statements as f64 / 1000.0);

    // 3. The baseline (one PUT per statement, sequentially) and the batched flush, interleaved
    // in rounds so that both see the same machine load and the same LRS table sizes; LRS CPU
    // (LaRS + PostgreSQL) per statement each way when the harness accounts for it.
    drop(core2);
    let reg3 = uuid::Uuid::new_v4().to_string();
    let cpu = LrsCpu::from_env();
    let rounds = args.rounds.max(1);
    let (mut put_secs, mut flush_secs, mut delivered) = (0.0, 0.0, 0u64);
    let (mut put_cpu, mut flush_cpu) = (Some(0.0), Some(0.0));
    let add = |acc: &mut Option<f64>, a: Option<f64>, b: Option<f64>| {
        *acc = acc.zip(b.zip(a)).map(|(s, (b, a))| s + b - a);
    };
    for round in 0..rounds {
        let dir = fresh(root, &format!("round{round}"))?;
        let core = Microlearn::open(dir.path())?;
        let mine = all
            .iter()
            .skip(round * all.len() / rounds)
            .take((round + 1) * all.len() / rounds - round * all.len() / rounds);
        core.store().write(|tx| {
            for s in mine {
                microlearn_core::xapi::queue::enqueue_json_in(tx, s)?;
            }
            Ok::<_, microlearn_core::Error>(())
        })?;
        let c0 = cpu.read();
        let t = Instant::now();
        for i in round * args.puts / rounds..(round + 1) * args.puts / rounds {
            let id = uuid::Uuid::new_v4().to_string();
            put_one(&client, &url, &id, &statement(&reg3, i)).await?;
        }
        put_secs += t.elapsed().as_secs_f64();
        let c1 = cpu.read();
        let t = Instant::now();
        let r = core
            .flush_xapi(&LrsEndpoint::new(&url), &creds, &FlushOptions::default())
            .await?;
        flush_secs += t.elapsed().as_secs_f64();
        let c2 = cpu.read();
        if r.outcome != FlushOutcome::Drained {
            return Err(format!("flush did not drain: {r:?}").into());
        }
        delivered += r.delivered;
        add(&mut put_cpu, c0, c1);
        add(&mut flush_cpu, c1, c2);
    }
    let flush_one_put_per_s = args.puts as f64 / put_secs;
    let flush_per_s = delivered as f64 / flush_secs;
    let lrs_cpu_ms_per_put = put_cpu.map(|c| c / args.puts as f64);
    let lrs_cpu_ms_per_batched = flush_cpu.map(|c| c / delivered as f64);
    // How much of one core the LRS got while the batched flush waited on it: well under 1 on a
    // quiet machine means the LRS was not the limit; on a loaded machine it shows how much CPU
    // the other work left it (the batched flush is LRS-bound, the PUT loop round-trip-bound, so
    // load lowers the ratio).
    let lrs_cores_batched = flush_cpu.map(|c| c / (flush_secs * 1000.0));

    // 3c. Batched flush with several batches in flight (disjoint statements, order not kept).
    let mut lanes_per_s = vec![];
    for &lanes in args.lanes.iter().filter(|_| !link_mode) {
        let dir6 = fresh(root, &format!("lanes{lanes}"))?;
        let core6 = Microlearn::open(dir6.path())?;
        core6.store().write(|tx| {
            for s in &all {
                microlearn_core::xapi::queue::enqueue_json_in(tx, s)?;
            }
            Ok::<_, microlearn_core::Error>(())
        })?;
        let t = Instant::now();
        let opts = FlushOptions {
            max_in_flight: lanes,
            ..Default::default()
        };
        let r6 = core6
            .flush_xapi(&LrsEndpoint::new(&url), &creds, &opts)
            .await?;
        if r6.outcome != FlushOutcome::Drained {
            return Err(format!("{lanes}-lane flush did not drain: {r6:?}").into());
        }
        lanes_per_s.push((lanes, r6.delivered as f64 / t.elapsed().as_secs_f64()));
    }

    // 3b. The client's own ceiling: the same flush to the fault injector's in-memory stand-in
    // (no LRS work), to tell client cost from LRS cost.
    let dir5 = fresh(root, "ceiling")?;
    let core5 = Microlearn::open(dir5.path())?;
    core5.store().write(|tx| {
        for s in &all {
            microlearn_core::xapi::queue::enqueue_json_in(tx, s)?;
        }
        Ok::<_, microlearn_core::Error>(())
    })?;
    let stand_in = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await?;
    let t = Instant::now();
    let r5 = core5
        .flush_xapi(
            &LrsEndpoint::new(stand_in.url()),
            &creds,
            &FlushOptions::default(),
        )
        .await?;
    let flush_stand_in_per_s = r5.delivered as f64 / t.elapsed().as_secs_f64();
    // … and one PUT per statement to the same stand-in: what batching saves in protocol and
    // client work alone, when the server does (almost) nothing per statement.
    let t = Instant::now();
    for i in 0..args.puts {
        let id = uuid::Uuid::new_v4().to_string();
        put_one(&client, &stand_in.url(), &id, &statement(&reg3, i)).await?;
    }
    let stand_in_one_put_per_s = args.puts as f64 / t.elapsed().as_secs_f64();
    drop(stand_in);

    // 4. The conflict cases (every answer shape of a stricter LRS), against the real LRS.
    let conflict_results = xapi_conflicts::run_all(&client, &url, addr, root).await?;
    let conflict_cases = conflict_results.len();
    let conflict_cases_delivered = conflict_results.iter().filter(|c| c.ok).count();

    // 5. Fault run: random drops after the LRS stored a batch, 5xx, 429, 401, stalls.
    let proxy = FaultInjector::start(Upstream::Tcp(addr)).await?;
    proxy.randomize(
        7,
        FaultOdds {
            drop_after: 150,
            drop_before: 50,
            server_error: 100,
            too_many: 50,
            unauthorized: 50,
            stall: 30,
        },
        1_500,
    );
    let dir4 = fresh(root, "fault")?;
    let core4 = Microlearn::open(dir4.path())?;
    let reg4 = uuid::Uuid::new_v4().to_string();
    for chunk in (0..args.fault_statements)
        .map(|i| statement(&reg4, i))
        .collect::<Vec<_>>()
        .chunks(500)
    {
        core4.store().write(|tx| {
            for s in chunk {
                microlearn_core::xapi::queue::enqueue_json_in(tx, s)?;
            }
            Ok::<_, microlearn_core::Error>(())
        })?;
    }
    let expected: Vec<String> = core4
        .store()
        .read(|c| waiting_statements(c).map_err(microlearn_core::Error::from))?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let ep = LrsEndpoint {
        // Past the stalls, and past a round trip plus a retransmission on a lossy link.
        timeout_ms: if link_mode { 1_400 } else { 1_000 },
        ..LrsEndpoint::new(proxy.url())
    };
    let opts = FlushOptions {
        max_batch_statements: 50,
        backoff_base_ms: 10,
        backoff_cap_ms: 200,
        max_inline_wait_ms: 1_500,
        ignore_backoff: true,
        ..Default::default()
    };
    let mut fault_flushes = 0;
    loop {
        fault_flushes += 1;
        let r = core4.flush_xapi(&ep, &creds, &opts).await?;
        if r.outcome == FlushOutcome::Drained || fault_flushes > 500 {
            break;
        }
    }
    let faults = proxy
        .log()
        .iter()
        .filter(|(_, _, f)| *f != microlearn_core::xapi::fault_injector::Fault::Pass)
        .count();
    let counts = counts_for(&client, &url, &reg4).await?;
    let lost = expected
        .iter()
        .filter(|id| !counts.contains_key(*id))
        .count();
    let duplicates: u32 = counts.values().map(|n| n.saturating_sub(1)).sum::<u32>()
        + counts.keys().filter(|id| !expected.contains(id)).count() as u32;

    // 6. The same comparison over network round trips (latency injected in front of the LRS).
    let mut rtt = vec![];
    for &rtt_ms in args.proxy_rtt_ms.iter().filter(|&&ms| ms > 0 && !link_mode) {
        proxy.calm();
        proxy.set_latency(rtt_ms);
        let dir7 = fresh(root, &format!("rtt{rtt_ms}"))?;
        let core7 = Microlearn::open(dir7.path())?;
        let reg7 = uuid::Uuid::new_v4().to_string();
        core7.store().write(|tx| {
            for i in 0..args.rtt_statements {
                microlearn_core::xapi::queue::enqueue_json_in(tx, &statement(&reg7, i))?;
            }
            Ok::<_, microlearn_core::Error>(())
        })?;
        let puts = (args.rtt_statements / 10).max(1);
        let t = Instant::now();
        for i in 0..puts {
            let id = uuid::Uuid::new_v4().to_string();
            put_one(&client, &proxy.url(), &id, &statement(&reg7, i)).await?;
        }
        let put_per_s = puts as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let r = core7
            .flush_xapi(
                &LrsEndpoint::new(proxy.url()),
                &creds,
                &FlushOptions::default(),
            )
            .await?;
        if r.outcome != FlushOutcome::Drained {
            return Err(format!("flush over {rtt_ms} ms RTT did not drain: {r:?}").into());
        }
        let flush_per_s = r.delivered as f64 / t.elapsed().as_secs_f64();
        rtt.push((rtt_ms, flush_per_s, put_per_s));
    }
    let (proxy_rtt_ms, rtt_flush_per_s, rtt_put_per_s) = rtt.first().copied().unwrap_or_default();

    let ratio = flush_per_s / flush_one_put_per_s;
    let rtt_ratio = if rtt_put_per_s > 0.0 {
        rtt_flush_per_s / rtt_put_per_s
    } else {
        0.0
    };
    println!("xAPI bench against {url}");
    match args.rtt_ms {
        Some(rtt) => println!(
            "over an emulated link ({}): RTT {rtt} ms ± {} ms, {}% loss each way; TCP connect p50 {link_connect_ms:.1} ms",
            std::env::var("MICROLEARN_LINK_KIND").unwrap_or_else(|_| "unknown kind".into()),
            args.jitter_ms,
            args.loss_pct
        ),
        None => println!("TCP connect p50 {link_connect_ms:.2} ms (no emulated link)"),
    }
    println!("{:<28} {:>12}  target", "metric", "value");
    println!("{:<28} {:>12.3}", "enqueue_p50_ms", p50);
    println!("{:<28} {:>12.3}  <= 2", "enqueue_p99_ms", p99);
    println!(
        "{:<28} {:>12.0}  >= 20000",
        "enqueue_batch_per_s", enqueue_batch_per_s
    );
    println!("{:<28} {:>12.0}", "flush_per_s", flush_per_s);
    println!(
        "{:<28} {:>12.1}",
        "flush_one_put_per_s", flush_one_put_per_s
    );
    println!("{:<28} {:>12.1}  >= 10", "flush_speedup", ratio);
    for (lanes, per_s) in &lanes_per_s {
        println!(
            "{:<28} {:>12.0}  (max_in_flight = {lanes}, order not kept)",
            format!("flush_{lanes}_in_flight_per_s"),
            per_s
        );
    }
    if let (Some(put), Some(batched)) = (lrs_cpu_ms_per_put, lrs_cpu_ms_per_batched) {
        println!(
            "{:<28} {:>12.3}  (LaRS + PostgreSQL)",
            "lrs_cpu_ms_per_put", put
        );
        println!(
            "{:<28} {:>12.3}  (LaRS + PostgreSQL)",
            "lrs_cpu_ms_per_batched", batched
        );
        println!(
            "{:<28} {:>12.2}  (best speedup a CPU-bound LRS allows)",
            "lrs_cpu_speedup_bound",
            put / batched
        );
        if let Some(cores) = lrs_cores_batched {
            println!(
                "{:<28} {:>12.2}  (LRS CPU / wall time during the batched flush)",
                "lrs_cores_batched", cores
            );
        }
    }
    println!(
        "{:<28} {:>12.0}  (client ceiling, no LRS)",
        "flush_stand_in_per_s", flush_stand_in_per_s
    );
    println!(
        "{:<28} {:>12.0}  (one PUT each, no LRS)",
        "stand_in_one_put_per_s", stand_in_one_put_per_s
    );
    println!(
        "{:<28} {:>12}  = 0 ({faults} faults, {fault_flushes} flushes)",
        "lost", lost
    );
    println!("{:<28} {:>12}  = 0", "duplicates", duplicates);
    println!("{:<28} {:>12.0}", "disk_bytes_per_1k", disk_bytes_per_1k);
    for c in &conflict_results {
        println!(
            "  conflict case {:<28} {:>4}  {}/{} once, {} dead letters, {} POSTs {}",
            c.name,
            if c.ok { "ok" } else { "FAIL" },
            c.once,
            c.expected,
            c.dead_letters,
            c.posts,
            c.problem
        );
    }
    println!(
        "{:<28} {:>12}  = conflict_cases ({conflict_cases})",
        "conflict_cases_delivered", conflict_cases_delivered
    );
    for (ms, flush, put) in &rtt {
        println!("{ms} ms per request injected by the proxy in front of the LRS (loopback):");
        println!("{:<28} {:>12.0}", "  flush_per_s", flush);
        println!("{:<28} {:>12.1}", "  one_put_per_s", put);
        println!("{:<28} {:>12.1}  >= 10", "  speedup", flush / put);
    }
    println!(
        "{}",
        json!({
            "enqueue_p50_ms": p50,
            "enqueue_p99_ms": p99,
            "enqueue_batch_per_s": enqueue_batch_per_s.round(),
            "flush_per_s": flush_per_s.round(),
            "flush_one_put_per_s": (flush_one_put_per_s * 10.0).round() / 10.0,
            "flush_speedup": (ratio * 10.0).round() / 10.0,
            "flush_stand_in_per_s": flush_stand_in_per_s.round(),
            "flush_in_flight_per_s": lanes_per_s.iter().map(|(l, v)| json!({"max_in_flight": l, "per_s": v.round()})).collect::<Vec<_>>(),
            "flush_4_in_flight_per_s": lanes_per_s.iter().find(|(l, _)| *l == 4).map(|(_, v)| v.round()),
            "stand_in_one_put_per_s": stand_in_one_put_per_s.round(),
            "stand_in_speedup": ((flush_stand_in_per_s / stand_in_one_put_per_s) * 10.0).round() / 10.0,
            "lrs_cpu_ms_per_put": lrs_cpu_ms_per_put.map(|v| (v * 1000.0).round() / 1000.0),
            "lrs_cpu_ms_per_batched": lrs_cpu_ms_per_batched.map(|v| (v * 1000.0).round() / 1000.0),
            "lrs_cores_batched": lrs_cores_batched.map(|v| (v * 100.0).round() / 100.0),
            "load_avg_1m": std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| l.split_whitespace().next().and_then(|v| v.parse::<f64>().ok())),
            "lrs_cpu_speedup_bound": lrs_cpu_ms_per_put.zip(lrs_cpu_ms_per_batched).map(|(p, b)| ((p / b) * 100.0).round() / 100.0),
            "rounds": rounds,
            "rtt_sweep": rtt.iter().map(|(ms, f, p)| json!({"rtt_ms": ms, "flush_per_s": f.round(), "one_put_per_s": (p * 10.0).round() / 10.0, "speedup": ((f / p) * 10.0).round() / 10.0})).collect::<Vec<_>>(),
            "lost": lost,
            "duplicates": duplicates,
            "faults_injected": faults,
            "disk_bytes_per_1k": disk_bytes_per_1k.round(),
            "proxy_rtt_ms": proxy_rtt_ms,
            "proxy_rtt_flush_per_s": rtt_flush_per_s.round(),
            "proxy_rtt_flush_one_put_per_s": (rtt_put_per_s * 10.0).round() / 10.0,
            "proxy_rtt_flush_speedup": (rtt_ratio * 10.0).round() / 10.0,
            "link": {
                "kind": std::env::var("MICROLEARN_LINK_KIND").ok(),
                "rtt_ms": args.rtt_ms,
                "jitter_ms": args.rtt_ms.map(|_| args.jitter_ms),
                "loss_pct": args.rtt_ms.map(|_| args.loss_pct),
                "tcp_connect_p50_ms": (link_connect_ms * 100.0).round() / 100.0,
            },
            "conflict_cases": conflict_cases,
            "conflict_cases_delivered": conflict_cases_delivered,
            "conflict_case_results": conflict_results.iter().map(|c| c.json()).collect::<Vec<_>>(),
            "statements": args.statements,
            "puts": args.puts,
            "fault_statements": args.fault_statements,
        })
    );
    if lost > 0 || duplicates > 0 {
        return Err(format!("fault run: {lost} lost, {duplicates} duplicated").into());
    }
    if conflict_cases_delivered != conflict_cases {
        return Err(format!(
            "conflict cases: {conflict_cases_delivered} of {conflict_cases} delivered exactly"
        )
        .into());
    }
    Ok(())
}
