//! Crash test: SIGKILL `microlearn network send` (and `network enqueue-many`) processes at seeded
//! random moments against the real Synapse, many times, then deliver what is left and check the
//! room: every item the outbox committed is there exactly once, and nothing it never committed.
//! A kill can land between the homeserver storing an event and the outbox recording its
//! acknowledgement: the resend with the row's transaction id must not post twice.
//!
//! Needs `MICROLEARN_BIN` (tests/suites/40-network.sh sets it; skipped otherwise);
//! `MICROLEARN_NETWORK_CRASH_RUNS` (default 60) and `MICROLEARN_CRASH_SEED` tune it.

mod network_common;

use std::{collections::HashMap, process::Command, time::Duration};

use microlearn_core::{Microlearn, network::DeliverOptions};
use network_common::{device, outbox_ids, synapse};
use rand::{Rng, SeedableRng, rngs::StdRng};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_send_never_loses_or_duplicates() {
    let Ok(bin) = std::env::var("MICROLEARN_BIN") else {
        eprintln!("MICROLEARN_BIN not set; skipped (run tests/suites/40-network.sh)");
        return;
    };
    let Some(s) = synapse() else { return };
    let runs: u32 = std::env::var("MICROLEARN_NETWORK_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let seed: u64 = std::env::var("MICROLEARN_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11);
    let d = device(s, "crash").await;
    let topic = format!("Crash {}", std::process::id());
    let room = d
        .core
        .network_create_topic_room(&topic, &d.creds)
        .await
        .expect("room");
    let token = match &d.creds.0 {
        Some(microlearn_core::xapi::Credentials::Bearer { token }) => token.clone(),
        _ => unreachable!("bearer"),
    };
    let dir = d.dir.path().to_owned();
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut kills, mut send_kills) = (0, 0);
    for run in 0..runs {
        let send = run % 3 != 0;
        let mut cmd = Command::new(&bin);
        cmd.arg("--data-dir").arg(&dir).arg("network");
        if send {
            cmd.args(["send", "--now"]);
        } else {
            cmd.args(["enqueue-many", "--room", &room, "25"]);
        }
        let mut child = cmd
            .env("MICROLEARN_MATRIX_TOKEN", &token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn microlearn");
        let delay = rng.random_range(2..if send { 300 } else { 60 });
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if child.try_wait().expect("try_wait").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
            send_kills += u32::from(send);
        }
        child.wait().expect("wait");
    }
    let core = Microlearn::open(&dir).expect("reopen");
    core.network_retry_now().expect("due");
    loop {
        let r = core
            .network_send(&d.creds, &DeliverOptions::default())
            .await
            .expect("send");
        assert_eq!(r.failed, 0, "{r:?}");
        if r.pending == 0 {
            break;
        }
        core.network_retry_now().expect("due");
    }
    let committed: Vec<String> = core
        .network_outbox()
        .expect("outbox")
        .into_iter()
        .map(|i| i.txn_id)
        .collect();
    let on_server: HashMap<String, u32> = outbox_ids(&s.room_events(&token, &room).await);
    let lost: Vec<_> = committed
        .iter()
        .filter(|t| !on_server.contains_key(*t))
        .collect();
    let dups: Vec<_> = on_server.iter().filter(|(_, n)| **n > 1).collect();
    let phantoms: Vec<_> = on_server
        .keys()
        .filter(|k| !committed.contains(k))
        .collect();
    eprintln!(
        "{runs} runs, {kills} SIGKILLs ({send_kills} during send), {} committed items",
        committed.len()
    );
    assert!(send_kills > 0, "no kill landed during a send");
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(dups.is_empty(), "posted twice: {dups:?}");
    assert!(
        phantoms.is_empty(),
        "never committed but posted: {phantoms:?}"
    );
}
