//! `microlearn xapi …`: the statement queue's status, flush, dead letters and enqueue.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
};

use clap::{Args, Subcommand};
use microlearn_core::{
    Microlearn,
    xapi::{
        Credentials, FlushOptions, FlushOutcome, LrsEndpoint, StaticCredentials, XapiStatus,
        XapiVersion,
    },
};

use crate::output::{CmdResult, Output};

/// `microlearn xapi …`
#[derive(Subcommand)]
pub enum XapiCmd {
    /// Queue depth, oldest pending age, in flight, dead letters, last error, pause.
    Status,
    /// Send the queued statements to an LRS.
    Flush(FlushArgs),
    /// List the statements the LRS refused, with its answers.
    DeadLetters,
    /// Queue statements from a file of JSON statements, one per line (`-` = standard input);
    /// each line is its own durable transaction. Prints each id as it is committed.
    Enqueue {
        /// The file (`-` for standard input).
        file: PathBuf,
    },
}

/// Where to flush, and with which credentials.
#[derive(Args)]
pub struct FlushArgs {
    /// The LRS's xAPI base URL (e.g. `http://127.0.0.1:9000/`).
    #[arg(long, env = "MICROLEARN_LRS_URL")]
    pub endpoint: String,
    /// Basic-auth user (the LRS key).
    #[arg(long, env = "MICROLEARN_LRS_USER")]
    pub user: Option<String>,
    /// Basic-auth password (the LRS secret).
    #[arg(long, env = "MICROLEARN_LRS_PASSWORD")]
    pub password: Option<String>,
    /// Bearer token instead of Basic.
    #[arg(long, env = "MICROLEARN_LRS_TOKEN", conflicts_with = "user")]
    pub token: Option<String>,
    /// xAPI version to speak: 2.0.0 or 1.0.3.
    #[arg(long, default_value = "2.0.0")]
    pub xapi_version: String,
    /// Per-request timeout in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub timeout_ms: u64,
    /// Most statements per POST.
    #[arg(long, default_value_t = 500)]
    pub batch: u32,
    /// Most bytes per POST body (lowered on its own, and remembered, when the LRS answers 413 or
    /// a 400 "too large").
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_batch_bytes: u32,
    /// Flush even if a backoff or pause is running.
    #[arg(long)]
    pub force: bool,
    /// Batches in flight at once (1 keeps strict queue order).
    #[arg(long, default_value_t = 1)]
    pub in_flight: u32,
}

impl FlushArgs {
    /// The endpoint, credentials and options these arguments describe.
    pub fn parts(&self) -> Result<(LrsEndpoint, StaticCredentials, FlushOptions), String> {
        let version = XapiVersion::parse(&self.xapi_version)
            .ok_or_else(|| format!("unknown xAPI version {:?}", self.xapi_version))?;
        let creds = match (&self.user, &self.password, &self.token) {
            (_, _, Some(token)) => Some(Credentials::Bearer {
                token: token.clone(),
            }),
            (Some(user), password, None) => Some(Credentials::Basic {
                user: user.clone(),
                password: password.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        Ok((
            LrsEndpoint {
                url: self.endpoint.clone(),
                version,
                timeout_ms: self.timeout_ms,
            },
            StaticCredentials(creds),
            FlushOptions {
                max_batch_statements: self.batch,
                max_batch_bytes: self.max_batch_bytes,
                ignore_backoff: self.force,
                max_in_flight: self.in_flight,
                ..Default::default()
            },
        ))
    }
}

pub fn run(data_dir: &Path, cmd: XapiCmd, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    match cmd {
        XapiCmd::Status => {
            let st = core.xapi_status()?;
            out.print(&st, || status_text(&st));
        }
        XapiCmd::Flush(args) => {
            let (endpoint, creds, opts) = args.parts()?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let report = rt.block_on(core.flush_xapi(&endpoint, &creds, &opts))?;
            out.print(&report, || {
                format!(
                    "{:?}: delivered {} ({} confirmed by GET), dead-lettered {}, {} POSTs, {} \
                     remaining{}",
                    report.outcome,
                    report.delivered,
                    report.confirmed_by_get,
                    report.dead_lettered,
                    report.posts,
                    report.remaining,
                    report
                        .last_error
                        .as_ref()
                        .map(|e| format!("\nlast error: {e}"))
                        .unwrap_or_default()
                )
            });
            match report.outcome {
                FlushOutcome::Drained => {}
                FlushOutcome::NotYet | FlushOutcome::Paused | FlushOutcome::BackingOff => {
                    return Err(format!(
                        "not drained ({:?}); retry after {}",
                        report.outcome,
                        report
                            .retry_at_ms
                            .and_then(chrono_like)
                            .unwrap_or_else(|| "later".into())
                    )
                    .into());
                }
                FlushOutcome::NeedsCredentials => {
                    return Err("the LRS refused the credentials".into());
                }
                FlushOutcome::Failed => return Err("flush failed".into()),
            }
        }
        XapiCmd::DeadLetters => {
            let dead = core.dead_letters()?;
            out.print(&dead, || {
                if dead.is_empty() {
                    return "no dead letters".into();
                }
                dead.iter()
                    .map(|d| {
                        format!(
                            "{}  HTTP {}  {}\n  {}",
                            d.id, d.status, d.answer, d.statement
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        XapiCmd::Enqueue { file } => {
            let reader: Box<dyn BufRead> = if file == Path::new("-") {
                Box::new(std::io::stdin().lock())
            } else {
                Box::new(BufReader::new(std::fs::File::open(&file)?))
            };
            let mut n = 0u64;
            for (i, line) in reader.lines().enumerate() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                let id = core
                    .enqueue_statement(&line)
                    .map_err(|e| format!("line {}: {e}", i + 1))?;
                n += 1;
                if !out.json {
                    println!("{id}");
                }
            }
            out.print(&serde_json::json!({ "enqueued": n }), || {
                format!("enqueued {n}")
            });
        }
    }
    Ok(())
}

fn chrono_like(ms: i64) -> Option<String> {
    let secs = ms.div_euclid(1000);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    Some(format!("{}s", (secs - now).max(0)))
}

fn status_text(st: &XapiStatus) -> String {
    let mut s = format!(
        "xAPI queue\n  waiting:        {} ({} pending, {} in flight)\n  dead letters:   {}\n  \
         delivered:      {}\n",
        st.depth, st.pending, st.in_flight, st.dead_letters, st.delivered_total
    );
    if let Some(age) = st.oldest_pending_age_ms {
        s.push_str(&format!("  oldest waiting: {:.1} s\n", age as f64 / 1000.0));
    }
    if let Some(e) = &st.last_error {
        s.push_str(&format!("  last error:     {e}\n"));
    }
    if let Some(reason) = &st.pause_reason {
        s.push_str(&format!("  paused:         {reason}\n"));
    }
    if let Some(t) = st.paused_until_ms.max(st.next_attempt_at_ms)
        && let Some(wait) = chrono_like(t)
    {
        s.push_str(&format!("  next attempt in {wait}\n"));
    }
    s.trim_end().to_owned()
}
