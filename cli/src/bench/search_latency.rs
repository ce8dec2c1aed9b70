//! Latency side of `microlearn bench search`: keystroke replay (wall and CPU time per call), the
//! first search after opening the app, and a pathological catalog that bounds the work per query.
//!
//! *Why CPU time too:* the bench machine is a 2-core VM shared with other builds; a call's wall
//! time includes waiting for a core. The thread's own CPU time per call shows the work the search
//! does, independent of the neighbours; the targets are judged on wall time.

use std::time::{Duration, Instant};

use microlearn_core::{
    Microlearn,
    content::Card,
    search::{SearchOptions, rank},
};

use super::search_data::Rng;

/// CPU time consumed by the calling thread.
#[allow(unsafe_code)]
pub fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec (two 64-bit fields on 64-bit Linux) and the
    // clock id is a constant the kernel knows; the call writes only into `ts`.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Per-call timings of a keystroke replay, in milliseconds.
#[derive(Default)]
pub struct Replay {
    /// Wall time per call.
    pub wall: Vec<f64>,
    /// Thread CPU time per call.
    pub cpu: Vec<f64>,
    /// Wall time of calls with a 1–2 character query.
    pub short: Vec<f64>,
    /// Index rows read per call (see [`rank::take_rows_read`]).
    pub rows: Vec<u64>,
    /// The slowest calls (wall ms, query).
    pub slowest: Vec<(f64, String)>,
}

/// Replays every keystroke prefix of `queries` against `core`.
pub fn replay(core: &Microlearn, queries: &[&str]) -> Replay {
    let mut r = Replay::default();
    let opts = SearchOptions::default();
    let _ = rank::take_rows_read();
    for q in queries {
        let chars: Vec<char> = q.chars().collect();
        for n in 1..=chars.len() {
            let typed: String = chars[..n].iter().collect();
            let (t, c) = (Instant::now(), thread_cpu());
            let _ = core.search(&typed, &opts);
            let cpu = (thread_cpu().saturating_sub(c)).as_secs_f64() * 1000.0;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            r.wall.push(ms);
            r.cpu.push(cpu);
            r.rows.push(rank::take_rows_read());
            if n <= 2 {
                r.short.push(ms);
            }
            r.slowest.push((ms, typed));
        }
    }
    r.slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    r.slowest.truncate(25);
    for v in [&mut r.wall, &mut r.cpu, &mut r.short] {
        v.sort_by(f64::total_cmp);
    }
    r.rows.sort_unstable();
    r
}

/// Wall times (ms, sorted) of every keystroke prefix of `queries`, searched in a shuffled order:
/// no search follows the keystroke before it, so nothing is reused from it (the worst case of a
/// learner typing).
pub fn shuffled(core: &Microlearn, queries: &[&str], rng: &mut Rng) -> Vec<f64> {
    let mut keys: Vec<String> = queries
        .iter()
        .flat_map(|q| {
            let chars: Vec<char> = q.chars().collect();
            (1..=chars.len())
                .map(|n| chars[..n].iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect();
    for i in (1..keys.len()).rev() {
        keys.swap(i, rng.below(i + 1));
    }
    let opts = SearchOptions::default();
    let mut out: Vec<f64> = keys
        .iter()
        .map(|k| {
            let t = Instant::now();
            let _ = core.search(k, &opts);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// Percentile `p` (0–1) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Wall time of the first search after opening `dir` (a cold app start on a synced catalog),
/// in milliseconds.
pub fn first_search_after_open(
    dir: &std::path::Path,
    query: &str,
) -> Result<f64, microlearn_core::Error> {
    let core = Microlearn::open(dir)?;
    let t = Instant::now();
    core.search(query, &SearchOptions::default())?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

/// Figures of the pathological catalog.
pub struct Pathological {
    /// Cards in it.
    pub cards: usize,
    /// Distinct words in it.
    pub words: usize,
    /// Worst wall time of one call, ms.
    pub max_ms: f64,
    /// p99 wall time, ms.
    pub p99_ms: f64,
    /// Most index rows one call read.
    pub max_rows: u64,
}

/// A catalog where every card matches every query: `cards` cards whose text is drawn from a
/// vocabulary of 33 words (what made one call run for minutes in an earlier FFI bench), then
/// every keystroke of a few queries made of those words, with typos and prefixes.
pub fn pathological(
    dir: &std::path::Path,
    cards: usize,
    rng: &mut Rng,
) -> Result<Pathological, microlearn_core::Error> {
    // The same 33 words as the pathological search test/bench (one file, both read it).
    let words: Vec<&str> = include_str!("../../../core/tests/data/pathological-words.txt")
        .lines()
        .collect();
    let text = |n: usize, rng: &mut Rng| -> String {
        (0..n)
            .map(|_| words[rng.below(words.len())])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let all: Vec<Card> = (0..cards)
        .map(|i| {
            let mut c = Card::new(format!("patho-{i}"), text(4, rng));
            c.body = text(40, rng);
            c.summary = text(10, rng);
            c.tags = vec![words[i % words.len()].to_owned()];
            c
        })
        .collect();
    let core = Microlearn::open(dir)?;
    for chunk in all.chunks(5000) {
        core.import_cards(chunk)?;
    }
    let queries = [
        "safety check forklift",
        "refund receipt customer cash drawer",
        "fire evacuaton",
        "c",
        "first aid kit label stock rotation cold chain delivery return policy mask",
        "hygeine spill",
    ];
    let r = replay(&core, &queries);
    Ok(Pathological {
        cards,
        words: words.len(),
        max_ms: percentile(&r.wall, 1.0),
        p99_ms: percentile(&r.wall, 0.99),
        max_rows: r.rows.last().copied().unwrap_or(0),
    })
}
