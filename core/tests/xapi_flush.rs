//! Flush protocol tests: every failure class of an LRS, injected by the fault injector in front of
//! its in-memory stand-in (no PostgreSQL needed). The same guarantees are checked against LaRS,
//! the real LRS, by `core/tests/xapi_lrs.rs` from `tests/suites/20-xapi-lrs.sh`.

use std::sync::{
    Arc,
    atomic::{AtomicU32, Ordering},
};

use microlearn_core::{
    Microlearn,
    xapi::{
        CredentialProvider, Credentials, FlushOptions, FlushOutcome, LrsEndpoint,
        StaticCredentials,
        fault_injector::{Fault, FaultInjector, Upstream},
    },
};
use serde_json::{Value, json};

fn statement(i: usize, verb: &str) -> String {
    json!({
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "u1"}},
        "verb": {"id": verb},
        "object": {"objectType": "Activity", "id": format!("https://microlearn.example/cards/{i}")},
        "result": {"response": format!("n{i}")},
        "timestamp": "2026-01-01T00:00:00.000Z"
    })
    .to_string()
}

const VERB: &str = "http://adlnet.gov/expapi/verbs/experienced";

fn core_with(n: usize) -> (tempfile::TempDir, Microlearn, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let ids = (0..n)
        .map(|i| {
            core.enqueue_statement(&statement(i, VERB))
                .expect("enqueue")
        })
        .collect();
    (dir, core, ids)
}

fn fast() -> FlushOptions {
    FlushOptions {
        max_batch_statements: 10,
        backoff_base_ms: 5,
        backoff_cap_ms: 40,
        max_inline_wait_ms: 2_000,
        max_attempts: 6,
        ..Default::default()
    }
}

fn endpoint(proxy: &FaultInjector) -> LrsEndpoint {
    LrsEndpoint {
        timeout_ms: 2_000,
        ..LrsEndpoint::new(proxy.url())
    }
}

fn none() -> StaticCredentials {
    StaticCredentials(Some(Credentials::Basic {
        user: "key".into(),
        password: "secret".into(),
    }))
}

/// The LRS holds exactly `ids`, each once, with the queued JSON (ids in queue order).
fn assert_exactly(proxy: &FaultInjector, ids: &[String]) {
    let stored = proxy.memory_statements();
    let got: Vec<String> = stored
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        got, ids,
        "LRS must hold every statement once, in FIFO order"
    );
    for (i, s) in stored.iter().enumerate() {
        assert_eq!(s["result"]["response"], Value::from(format!("n{i}")));
    }
}

#[tokio::test]
async fn delivers_in_batches_in_order() {
    let (_d, core, ids) = core_with(25);
    let proxy = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("proxy");
    let r = core
        .flush_xapi(&endpoint(&proxy), &none(), &fast())
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Drained);
    assert_eq!((r.delivered, r.posts, r.remaining), (25, 3, 0));
    assert_exactly(&proxy, &ids);
    let st = core.xapi_status().expect("status");
    assert_eq!((st.depth, st.delivered_total), (0, 25));
}

#[tokio::test]
async fn dropped_answer_is_resent_and_confirmed_for_both_duplicate_policies() {
    for conflict_409 in [false, true] {
        let (_d, core, ids) = core_with(25);
        let proxy = FaultInjector::start(Upstream::Memory { conflict_409 })
            .await
            .expect("proxy");
        proxy.script([
            Fault::Pass,
            Fault::DropAfterForward,
            Fault::DropAfterForward,
            Fault::DropBeforeForward,
        ]);
        let r = core
            .flush_xapi(&endpoint(&proxy), &none(), &fast())
            .await
            .expect("flush");
        assert_eq!(r.outcome, FlushOutcome::Drained, "{r:?}");
        assert_eq!(r.delivered, 25);
        assert!(r.confirmed_by_get >= 10, "{r:?}");
        assert_exactly(&proxy, &ids);
    }
}

#[tokio::test]
async fn stall_past_timeout_is_ambiguous() {
    let (_d, core, ids) = core_with(5);
    let proxy = FaultInjector::start(Upstream::Memory { conflict_409: true })
        .await
        .expect("proxy");
    proxy.script([Fault::Stall(1_500)]);
    let ep = LrsEndpoint {
        timeout_ms: 300,
        ..endpoint(&proxy)
    };
    let r = core.flush_xapi(&ep, &none(), &fast()).await.expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Drained, "{r:?}");
    assert_exactly(&proxy, &ids);
}

#[tokio::test]
async fn server_errors_back_off_then_succeed_and_give_up_persistently() {
    let (_d, core, ids) = core_with(5);
    let proxy = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("proxy");
    proxy.script([Fault::Status(500, None), Fault::Status(502, None)]);
    let r = core
        .flush_xapi(&endpoint(&proxy), &none(), &fast())
        .await
        .expect("flush");
    assert_eq!((r.outcome, r.posts), (FlushOutcome::Drained, 3));
    assert_exactly(&proxy, &ids);

    core.enqueue_statement(&statement(99, VERB))
        .expect("enqueue");
    proxy.script(vec![Fault::Status(500, None); 10]);
    let opts = FlushOptions {
        max_attempts: 3,
        ..fast()
    };
    let r = core
        .flush_xapi(&endpoint(&proxy), &none(), &opts)
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::BackingOff);
    let st = core.xapi_status().expect("status");
    assert_eq!((st.pending, st.in_flight), (1, 0));
    assert!(st.next_attempt_at_ms.is_some() && st.last_error.is_some());
    assert!(st.consecutive_failures >= 3);
}

#[tokio::test]
async fn retry_after_pauses_the_queue() {
    let (_d, core, ids) = core_with(3);
    let proxy = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("proxy");
    proxy.script([Fault::Status(429, Some(120))]);
    let r = core
        .flush_xapi(&endpoint(&proxy), &none(), &fast())
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Paused);
    let st = core.xapi_status().expect("status");
    assert_eq!(st.pause_reason.as_deref(), Some("retry-after"));
    let until = st.paused_until_ms.expect("paused");
    assert!(until > chrono::Utc::now().timestamp_millis() + 100_000);
    // The pause is persisted: a scheduled flush does nothing until it expires.
    let r = core
        .flush_xapi(&endpoint(&proxy), &none(), &fast())
        .await
        .expect("flush");
    assert_eq!((r.outcome, r.posts), (FlushOutcome::NotYet, 0));
    // The user's "sync now" overrides it; a short Retry-After is waited inline.
    proxy.script([Fault::Status(503, Some(0))]);
    let r = core
        .flush_xapi(
            &endpoint(&proxy),
            &none(),
            &FlushOptions {
                ignore_backoff: true,
                ..fast()
            },
        )
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Drained);
    assert_exactly(&proxy, &ids);
    assert!(
        core.xapi_status()
            .expect("status")
            .paused_until_ms
            .is_none()
    );
}

/// A provider that counts refreshes and hands out a new token each time.
struct Refreshing(AtomicU32);

impl CredentialProvider for Refreshing {
    fn credentials(&self, rejected: bool) -> Option<Credentials> {
        let n = if rejected {
            self.0.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            self.0.load(Ordering::SeqCst)
        };
        Some(Credentials::Bearer {
            token: format!("token-{n}"),
        })
    }
}

#[tokio::test]
async fn unauthorized_asks_for_fresh_credentials_or_pauses() {
    let (_d, core, ids) = core_with(3);
    let proxy = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("proxy");
    proxy.script([Fault::Status(401, None)]);
    let provider = Arc::new(Refreshing(AtomicU32::new(0)));
    let r = core
        .flush_xapi(&endpoint(&proxy), provider.as_ref(), &fast())
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Drained);
    assert_eq!(provider.0.load(Ordering::SeqCst), 1);
    assert_exactly(&proxy, &ids);

    core.enqueue_statement(&statement(3, VERB))
        .expect("enqueue");
    proxy.script([Fault::Status(403, None)]);
    let r = core
        .flush_xapi(&endpoint(&proxy), &none(), &fast())
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::NeedsCredentials);
    let st = core.xapi_status().expect("status");
    assert_eq!((st.pending, st.pause_reason.as_deref()), (1, Some("auth")));
    // An LRS that answers 400 when no credentials are sent is an auth problem too.
    proxy.script([Fault::Status(400, None)]);
    let r = core
        .flush_xapi(&endpoint(&proxy), &StaticCredentials(None), &fast())
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::NeedsCredentials);
    assert_eq!(core.dead_letters().expect("dead").len(), 0);
}

#[tokio::test]
async fn bad_statement_is_isolated_by_bisection_and_dead_lettered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let mut good = vec![];
    let mut bad = String::new();
    for i in 0..20 {
        if i == 13 {
            bad = core
                .enqueue_statement(&statement(i, "https://lrs.example/verbs/reject-me"))
                .expect("enqueue");
        } else {
            good.push(
                core.enqueue_statement(&statement(i, VERB))
                    .expect("enqueue"),
            );
        }
    }
    let proxy = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("proxy");
    let opts = FlushOptions {
        max_batch_statements: 16,
        ..fast()
    };
    let r = core
        .flush_xapi(&endpoint(&proxy), &none(), &opts)
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Drained, "{r:?}");
    assert_eq!((r.delivered, r.dead_lettered), (19, 1));
    let stored: Vec<String> = proxy
        .memory_statements()
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(stored, good);
    let dead = core.dead_letters().expect("dead");
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].id.as_str(), dead[0].status), (bad.as_str(), 400));
    assert!(dead[0].answer.contains("rejected"), "{}", dead[0].answer);
    assert_eq!(core.xapi_status().expect("status").dead_letters, 1);
}

#[tokio::test]
async fn too_large_shrinks_the_batch() {
    let (_d, core, ids) = core_with(12);
    let proxy = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("proxy");
    proxy.script([Fault::Status(413, None), Fault::Status(413, None)]);
    let r = core
        .flush_xapi(&endpoint(&proxy), &none(), &fast())
        .await
        .expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Drained);
    assert_exactly(&proxy, &ids);
    // 10 refused, 5 refused, then batches of at most 5 (growing back): 2 + 3 posts at least.
    let posts = proxy.log().iter().filter(|(m, _, _)| m == "POST").count();
    assert_eq!(r.posts as usize, posts);
    assert!(posts >= 5, "shrunk batches: {posts}");
}

#[tokio::test]
async fn cancelled_flush_leaves_rows_in_flight_and_the_next_flush_recovers_them() {
    let (_d, core, ids) = core_with(8);
    let proxy = FaultInjector::start(Upstream::Memory { conflict_409: true })
        .await
        .expect("proxy");
    proxy.script([Fault::Stall(4_000)]);
    let ep = LrsEndpoint {
        timeout_ms: 10_000,
        ..endpoint(&proxy)
    };
    let opts = fast();
    let cancelled = tokio::time::timeout(
        std::time::Duration::from_millis(1_000),
        core.flush_xapi(&ep, &none(), &opts),
    )
    .await;
    assert!(cancelled.is_err(), "flush should have been cancelled");
    let st = core.xapi_status().expect("status");
    assert_eq!((st.in_flight, st.depth), (8, 8));
    // The stalled POST still reaches the store; the next flush must not duplicate it.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let r = core.flush_xapi(&ep, &none(), &opts).await.expect("flush");
    assert_eq!(r.outcome, FlushOutcome::Drained, "{r:?}");
    assert_exactly(&proxy, &ids);
}

#[tokio::test]
async fn unreachable_lrs_backs_off_without_losing_anything() {
    let (_d, core, _ids) = core_with(4);
    // A port nobody listens on: bind then drop.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let ep = LrsEndpoint {
        timeout_ms: 500,
        ..LrsEndpoint::new(format!("http://127.0.0.1:{port}/"))
    };
    let opts = FlushOptions {
        max_attempts: 2,
        ..fast()
    };
    let r = core.flush_xapi(&ep, &none(), &opts).await.expect("flush");
    assert_eq!((r.outcome, r.remaining), (FlushOutcome::BackingOff, 4));
    assert!(r.last_error.expect("error").contains("no answer"));
}

#[tokio::test]
async fn concurrent_lanes_under_random_faults_deliver_each_statement_once() {
    use microlearn_core::xapi::fault_injector::FaultOdds;
    for conflict_409 in [false, true] {
        let (_d, core, ids) = core_with(300);
        let proxy = FaultInjector::start(Upstream::Memory { conflict_409 })
            .await
            .expect("proxy");
        proxy.randomize(
            42,
            FaultOdds {
                drop_after: 200,
                drop_before: 50,
                server_error: 100,
                too_many: 50,
                unauthorized: 0,
                stall: 50,
            },
            800,
        );
        let ep = LrsEndpoint {
            timeout_ms: 300,
            ..endpoint(&proxy)
        };
        let opts = FlushOptions {
            max_in_flight: 4,
            max_batch_statements: 20,
            ignore_backoff: true,
            ..fast()
        };
        let mut flushes = 0;
        loop {
            flushes += 1;
            assert!(flushes < 100, "never drained");
            let r = core.flush_xapi(&ep, &none(), &opts).await.expect("flush");
            if r.outcome == FlushOutcome::Drained {
                break;
            }
        }
        let mut got: Vec<String> = proxy
            .memory_statements()
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect();
        got.sort();
        let mut want = ids.clone();
        want.sort();
        assert_eq!(got, want, "each statement exactly once");
        assert!(
            proxy
                .log()
                .iter()
                .any(|(_, _, f)| *f == Fault::DropAfterForward)
        );
    }
}
