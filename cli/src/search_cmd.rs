//! `microlearn search`: micro-moment search, one query or a batch from stdin.
//!
//! Batch mode (`--stdin`) reads one query per line and prints one line per query (with `--json`:
//! `{"query": …, "ids": [...]}`), so that scripts can score search quality.

use std::{io::BufRead, path::Path};

use clap::Args;
use microlearn_core::{
    Microlearn,
    content::CardFormat,
    search::{SearchOptions, SearchResults},
};

use crate::output::{CmdResult, Output};

/// `microlearn search QUERY`
#[derive(Args)]
pub struct SearchArgs {
    /// The query, as typed (the last word is matched as a prefix unless followed by a space).
    #[arg(required_unless_present = "stdin")]
    pub query: Option<String>,
    /// Read one query per line from standard input instead.
    #[arg(long, conflicts_with = "query")]
    pub stdin: bool,
    /// Most hits.
    #[arg(long, default_value_t = 10)]
    pub limit: u32,
    /// Only this format: text, video, audio, pdf, link, quiz.
    #[arg(long)]
    pub format: Option<String>,
    /// Only cards taking at most this many seconds.
    #[arg(long)]
    pub max_duration: Option<u32>,
    /// Only cards with this tag or topic.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only cards in this locale (`en` matches `en-GB` too).
    #[arg(long)]
    pub locale: Option<String>,
    /// Only cards whose media are all downloaded.
    #[arg(long)]
    pub downloaded: bool,
}

fn options(args: &SearchArgs) -> Result<SearchOptions, String> {
    let format = match &args.format {
        None => None,
        Some(f) => Some(CardFormat::parse(&f.to_lowercase()).ok_or_else(|| {
            format!("unknown format {f:?} (text, video, audio, pdf, link, quiz)")
        })?),
    };
    Ok(SearchOptions {
        limit: args.limit,
        format,
        max_duration_seconds: args.max_duration,
        tag: args.tag.clone(),
        locale: args.locale.clone(),
        downloaded_only: args.downloaded,
        ..SearchOptions::default()
    })
}

fn human(query: &str, r: &SearchResults) -> String {
    let mut s = String::new();
    if r.hits.is_empty() {
        s.push_str(&format!("no cards match {query:?}"));
    }
    for (i, h) in r.hits.iter().enumerate() {
        s.push_str(&format!(
            "{:>2}. {}  ({}, {} s, {}, score {:.2})\n    {}\n",
            i + 1,
            h.title,
            h.card_id,
            h.duration_seconds,
            h.format.as_str(),
            h.score,
            h.snippet.replace('\n', " ")
        ));
    }
    if let Some(d) = &r.did_you_mean {
        s.push_str(&format!("did you mean: {d}"));
    }
    s.trim_end().to_owned()
}

pub fn run(data_dir: &Path, args: SearchArgs, out: &Output) -> CmdResult {
    let opts = options(&args)?;
    let core = Microlearn::open(data_dir)?;
    if args.stdin {
        for line in std::io::stdin().lock().lines() {
            let query = line?;
            let ids: Vec<String> = match core.search(&query, &opts) {
                Ok(r) => r.hits.into_iter().map(|h| h.card_id).collect(),
                Err(e) => {
                    out.print(
                        &serde_json::json!({ "query": query, "error": e.to_string() }),
                        || format!("{query}\terror: {e}"),
                    );
                    continue;
                }
            };
            out.print(&serde_json::json!({ "query": query, "ids": ids }), || {
                format!("{query}\t{}", ids.join(" "))
            });
        }
        return Ok(());
    }
    let query = args.query.unwrap_or_default();
    let r = core.search(&query, &opts)?;
    out.print(&r, || human(&query, &r));
    Ok(())
}
