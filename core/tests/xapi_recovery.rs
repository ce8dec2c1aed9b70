//! Start-up recovery across processes: rows a live flush in *another process* holds in flight are
//! not taken by a core that opens the same database, and come back to pending as soon as that
//! process dies (SIGKILL). The other process is this test binary re-run with one test selected;
//! its LRS is a real TCP listener that accepts and never answers (a stalled LRS).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use microlearn_core::{
    Microlearn,
    xapi::{
        FlushOptions, FlushOutcome, LrsEndpoint, StaticCredentials,
        fault_injector::{FaultInjector, Upstream},
        queue::waiting_statements,
    },
};
use serde_json::json;

const CHILD_ENV: &str = "MICROLEARN_XAPI_RECOVERY_CHILD_DIR";

fn statement(i: usize) -> String {
    json!({
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "u1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"objectType": "Activity", "id": format!("https://microlearn.example/cards/{i}")},
        "timestamp": "2026-01-01T00:00:00.000Z"
    })
    .to_string()
}

/// Kills the child if the test fails before it does (it would otherwise wait for its LRS).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn in_flight(core: &Microlearn) -> u64 {
    core.xapi_status().expect("status").in_flight
}

/// The other process: flushes the database named by the environment into an LRS that never
/// answers, so it holds a batch in flight until it is killed. Without the variable: nothing.
#[tokio::test]
async fn child_flushing_into_a_stalled_lrs() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = vec![];
        for conn in listener.incoming().flatten() {
            held.push(conn); // accept, read nothing, answer nothing
        }
    });
    let core = Microlearn::open(&dir).expect("open");
    let ep = LrsEndpoint {
        timeout_ms: 600_000,
        ..LrsEndpoint::new(format!("http://127.0.0.1:{port}/"))
    };
    let opts = FlushOptions {
        max_batch_statements: 3,
        ..Default::default()
    };
    let _ = core.flush_xapi(&ep, &StaticCredentials(None), &opts).await;
}

#[tokio::test]
async fn another_process_cannot_take_a_live_flushs_batch_and_gets_it_after_its_death() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let ids: Vec<String> = (0..7)
        .map(|i| core.enqueue_statement(&statement(i)).expect("enqueue"))
        .collect();
    drop(core);

    let exe = std::env::current_exe().expect("test binary");
    let mut child = Child(
        Command::new(exe)
            .args([
                "--exact",
                "child_flushing_into_a_stalled_lrs",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child"),
    );
    // Wait until the child has a batch in flight (its POST is stalled).
    let watcher = Microlearn::open(dir.path()).expect("open watcher");
    let deadline = Instant::now() + Duration::from_secs(120);
    while in_flight(&watcher) == 0 {
        assert!(
            child.0.try_wait().expect("child").is_none(),
            "child exited early"
        );
        assert!(Instant::now() < deadline, "child never claimed a batch");
        std::thread::sleep(Duration::from_millis(20));
    }
    let held = in_flight(&watcher);
    assert_eq!(held, 3);

    // A second core opening now must leave the live batch alone …
    let other = Microlearn::open(dir.path()).expect("open while the child flushes");
    assert_eq!(in_flight(&other), held);
    // … and its flush must wait for the child's flush rather than send the held rows.
    let stand_in = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("stand-in");
    let ep = LrsEndpoint::new(stand_in.url());
    let creds = StaticCredentials(None);
    let opts = FlushOptions::default();
    let waited = tokio::time::timeout(
        Duration::from_millis(700),
        other.flush_xapi(&ep, &creds, &opts),
    )
    .await;
    assert!(waited.is_err(), "flush must wait for the live flush");
    assert!(stand_in.log().is_empty(), "nothing may be sent meanwhile");
    assert_eq!(in_flight(&other), held);

    // The child dies with its batch in flight; the next open returns it to pending.
    child.0.kill().expect("SIGKILL");
    child.0.wait().expect("reap");
    let after = Microlearn::open(dir.path()).expect("open after the kill");
    let st = after.xapi_status().expect("status");
    assert_eq!((st.in_flight, st.pending), (0, 7));
    let queued: Vec<String> = after
        .store()
        .read(|c| waiting_statements(c).map_err(microlearn_core::Error::from))
        .expect("queue")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(queued, ids, "same ids, FIFO order kept");
    let r = after.flush_xapi(&ep, &creds, &opts).await.expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Drained, "{r:?}");
    let stored: Vec<String> = stand_in
        .memory_statements()
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(stored, ids);
}
