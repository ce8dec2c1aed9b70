//! The SIGKILL part of `bench network`: a device with a growing outbox, and `microlearn network
//! send` / `network enqueue-many` child processes killed (SIGKILL) at random moments, `--kills`
//! times during a send. Then one clean send, and the room on Synapse is compared with what the
//! outbox committed: every committed item must be there exactly once (`lost`, `duplicates`), and
//! nothing that was never committed (`phantoms`).

use std::{collections::HashMap, path::Path, process::Command, time::Duration};

use microlearn_core::network::DeliverOptions;

use super::{
    network::{NetworkBench, signed_in},
    network_admin::room_events,
    search_data::Rng,
};

/// Counts of the crash run.
pub struct CrashCounts {
    pub kills: usize,
    pub kills_during_send: usize,
    pub committed: usize,
    pub lost: usize,
    pub duplicates: usize,
    pub phantoms: usize,
}

pub async fn run(
    args: &NetworkBench,
    work: &Path,
    tag: &str,
) -> Result<CrashCounts, Box<dyn std::error::Error>> {
    let dir = work.join("crash");
    let (core, creds, token) = signed_in(args, &dir, &format!("{tag}crash")).await?;
    let room = core
        .network_create_topic_room(&format!("Crash {tag}"), &creds)
        .await?;
    drop(core);
    let exe = std::env::current_exe()?;
    let mut rng = Rng(args.seed.wrapping_mul(31).max(1));
    let (mut kills, mut during_send) = (0, 0);
    let mut rounds = 0;
    while during_send < args.kills && rounds < args.kills * 4 {
        rounds += 1;
        let send = rounds % 3 != 1;
        let mut cmd = Command::new(&exe);
        cmd.arg("--data-dir").arg(&dir).arg("network");
        if send {
            cmd.arg("send").arg("--now");
        } else {
            cmd.args(["enqueue-many", "--room", &room, "40"]);
        }
        let mut child = cmd
            .env("MICROLEARN_MATRIX_TOKEN", &token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let delay = 5 + rng.below(if send { 250 } else { 60 }) as u64;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if child.try_wait()?.is_none() {
            child.kill()?; // SIGKILL on Unix
            kills += 1;
            if send {
                during_send += 1;
            }
        }
        child.wait()?;
    }
    // One clean delivery of what is left.
    let core = microlearn_core::Microlearn::open(&dir)?;
    core.network_retry_now()?;
    loop {
        let r = core
            .network_send(&creds, &DeliverOptions::default())
            .await?;
        if r.pending == 0 {
            break;
        }
        core.network_retry_now()?;
    }
    let committed: Vec<String> = core
        .network_outbox()?
        .into_iter()
        .map(|i| i.txn_id)
        .collect();
    let events = room_events(&args.homeserver, &token, &room).await?;
    let mut on_server: HashMap<String, usize> = HashMap::new();
    for e in &events {
        if let Some(id) = e["content"]["org.microlearn.outbox_id"].as_str() {
            *on_server.entry(id.to_owned()).or_insert(0) += 1;
        }
    }
    let lost = committed
        .iter()
        .filter(|t| !on_server.contains_key(*t))
        .count();
    let duplicates = on_server.values().map(|n| n - 1).sum();
    let phantoms = on_server.keys().filter(|k| !committed.contains(k)).count();
    eprintln!(
        "crash run: {kills} kills ({during_send} during send), {} committed, {lost} lost, {duplicates} duplicated",
        committed.len()
    );
    Ok(CrashCounts {
        kills,
        kills_during_send: during_send,
        committed: committed.len(),
        lost,
        duplicates,
        phantoms,
    })
}
