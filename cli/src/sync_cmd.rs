//! Catalog publishing, sync and the media cache: `catalog build`, `sync`, `pin`.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use clap::{Args, Subcommand};
use microlearn_core::{
    Microlearn,
    content::{
        build::{BuildOptions, build_catalog, build_catalog_from_cards},
        http::{NetOptions, Progress},
        media::NetworkPolicy,
    },
};

use crate::output::{CmdResult, Output};

/// `microlearn catalog …`
#[derive(Subcommand)]
pub enum CatalogCmd {
    /// Build a publishable catalog (index + shards) from cards.
    Build {
        /// A .jsonl file or a folder of card .json / .jsonl files.
        #[arg(required_unless_present = "sample")]
        input: Option<PathBuf>,
        /// Build from the sample catalog bundled with the binary instead of INPUT.
        #[arg(long, conflicts_with = "input")]
        sample: bool,
        /// Output folder to copy to any static host.
        #[arg(long)]
        out: PathBuf,
        /// The previously published catalog folder (may equal --out): keep its shards and append
        /// one delta shard, so clients download only the change.
        #[arg(long)]
        previous: Option<PathBuf>,
        /// Catalog id of a fresh catalog.
        #[arg(long)]
        catalog_id: Option<String>,
    },
}

/// `microlearn sync URL`
#[derive(Args)]
pub struct SyncArgs {
    /// URL of the catalog index.
    pub url: String,
    /// Give up when the server sends nothing for this many seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Internal (benchmarks): add `elapsed_s` and `peak_rss_mb` to the JSON report.
    #[arg(long, hide = true)]
    pub report_rss: bool,
}

/// `microlearn pin ID…`
#[derive(Args)]
pub struct PinArgs {
    /// Card ids to keep offline (their media is downloaded now).
    pub ids: Vec<String>,
    /// Unpin these cards instead (their media becomes evictable).
    #[arg(long)]
    pub unpin: bool,
    /// Set the media byte budget first.
    #[arg(long)]
    pub budget: Option<u64>,
    /// Set the network policy first: any, wifi_only or never.
    #[arg(long)]
    pub policy: Option<String>,
    /// Tell the core whether the link is metered.
    #[arg(long)]
    pub metered: Option<bool>,
}

/// Peak resident set size of this process in MiB (`VmHWM` from `/proc/self/status`).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

pub fn catalog(_data_dir: &Path, cmd: CatalogCmd, out: &Output) -> CmdResult {
    match cmd {
        CatalogCmd::Build {
            input,
            sample,
            out: dir,
            previous,
            catalog_id,
        } => {
            let opts = BuildOptions {
                previous,
                catalog_id,
                ..Default::default()
            };
            let r = match input {
                Some(input) if !sample => build_catalog(&input, &dir, &opts)?,
                _ => {
                    let cards = microlearn_core::content::parse_jsonl(
                        crate::content_cmd::SAMPLE_CATALOG.as_bytes(),
                    )?;
                    build_catalog_from_cards(cards, &dir, &opts)?
                }
            };
            out.print(&r, || {
                format!(
                    "built {} ({}): {} cards in {} shards, {} bytes; wrote {} shards ({} bytes); \
                     +{} ~{} -{}",
                    r.index_path,
                    r.mode,
                    r.cards,
                    r.shards,
                    r.total_bytes,
                    r.shards_written,
                    r.bytes_written,
                    r.added,
                    r.updated,
                    r.deleted
                )
            });
            Ok(())
        }
    }
}

pub fn sync(data_dir: &Path, args: SyncArgs, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let mut opts = NetOptions {
        read_timeout: Duration::from_secs(args.timeout.max(1)),
        ..Default::default()
    };
    if !out.json && std::io::stderr().is_terminal() {
        opts.progress = Some(Arc::new(|p: &Progress| {
            eprint!(
                "\r{:<7} {}/{} ({} bytes)   ",
                format!("{:?}", p.phase).to_lowercase(),
                p.done,
                p.total,
                p.bytes
            );
        }));
    }
    let t = std::time::Instant::now();
    let r = runtime()?.block_on(core.sync_catalog(&args.url, &opts));
    if opts.progress.is_some() {
        eprintln!();
    }
    let r = r?;
    let mut json = serde_json::to_value(&r)?;
    if args.report_rss
        && let Some(obj) = json.as_object_mut()
    {
        obj.insert("elapsed_s".into(), t.elapsed().as_secs_f64().into());
        obj.insert("peak_rss_mb".into(), peak_rss_mb().into());
    }
    out.print(&json, || {
        if r.not_modified {
            format!("catalog not modified ({} cards)", r.cards_total)
        } else {
            format!(
                "{} sync: {} shards, {} bytes; +{} ~{} -{} cards; {} cards in total",
                r.mode,
                r.shards_fetched,
                r.bytes_fetched,
                r.cards_added,
                r.cards_updated,
                r.cards_deleted,
                r.cards_total
            )
        }
    });
    Ok(())
}

pub fn pin(data_dir: &Path, args: PinArgs, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    if let Some(b) = args.budget {
        core.set_media_budget(b)?;
    }
    if let Some(p) = &args.policy {
        let policy = NetworkPolicy::parse(p)
            .ok_or_else(|| format!("--policy must be any, wifi_only or never, not {p:?}"))?;
        core.set_network_policy(policy)?;
    }
    if let Some(m) = args.metered {
        core.set_network_state(m)?;
    }
    if args.unpin {
        let n = core.unpin_cards(&args.ids)?;
        let st = core.media_status()?;
        out.print(&serde_json::json!({ "unpinned": n, "media": st }), || {
            format!("unpinned {n} cards; {} cards still pinned", st.pinned_cards)
        });
        return Ok(());
    }
    let r = if args.ids.is_empty() {
        None
    } else {
        Some(runtime()?.block_on(core.pin_cards(&args.ids, &NetOptions::default()))?)
    };
    let st = core.media_status()?;
    out.print(&serde_json::json!({ "pin": r, "media": st }), || {
        let mut s = String::new();
        if let Some(r) = &r {
            s.push_str(&format!(
                "pinned {} cards ({} media files, {} bytes); downloaded {} files, {} bytes\n",
                r.pinned_cards, r.media_files, r.pinned_bytes, r.downloaded, r.bytes_downloaded
            ));
        }
        s.push_str(&format!(
            "media cache: {} files, {} of {} bytes; policy {}{}",
            st.files,
            st.bytes,
            st.budget_bytes,
            st.policy.as_str(),
            if st.metered { " (metered)" } else { "" }
        ));
        s
    });
    Ok(())
}
