//! The xAPI version a flush speaks, the byte cap it learns, and a bare 409 on a large batch,
//! against the fault injector's in-memory stand-in (no PostgreSQL needed; the same answer shapes
//! against LaRS are the conflict cases of `microlearn bench xapi`, run by
//! tests/suites/21-xapi-mobile-link.sh).

use microlearn_core::{
    Microlearn,
    xapi::{
        FlushOptions, FlushOutcome, LrsEndpoint, StaticCredentials, XapiError, XapiSettings,
        XapiVersion,
        fault_injector::{FaultInjector, Strict, Upstream},
    },
};
use serde_json::{Value, json};

fn statement(i: usize) -> Value {
    json!({
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "u1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"objectType": "Activity", "id": format!("https://microlearn.example/cards/{i}")},
        "result": {"response": format!("n{i}")},
        "timestamp": "2026-01-01T00:00:00.000Z"
    })
}

/// A statement only xAPI 2.0 allows (`context.contextAgents`).
fn two_only(i: usize) -> Value {
    let mut s = statement(i);
    s["context"] = json!({"contextAgents": [{"objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:coach@example.com"}}]});
    s
}

fn fast() -> FlushOptions {
    FlushOptions {
        backoff_base_ms: 5,
        backoff_cap_ms: 40,
        ..Default::default()
    }
}

fn memory_ids(proxy: &FaultInjector) -> Vec<String> {
    proxy
        .memory_statements()
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_1_0_3_endpoint_gets_its_header_and_never_a_statement_only_2_0_allows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let mut ok = vec![];
    for i in 0..5 {
        ok.push(
            core.enqueue_statement(&statement(i).to_string())
                .expect("enqueue"),
        );
    }
    let two = core
        .enqueue_statement(&two_only(9).to_string())
        .expect("valid 2.0");
    let proxy = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("proxy");
    let ep = LrsEndpoint {
        version: XapiVersion::V1_0_3,
        ..LrsEndpoint::new(proxy.url())
    };
    let r = core
        .flush_xapi(&ep, &StaticCredentials(None), &fast())
        .await
        .expect("flush");
    assert_eq!(
        (r.outcome, r.delivered, r.dead_lettered),
        (FlushOutcome::Drained, 5, 1)
    );
    assert_eq!(memory_ids(&proxy), ok);
    assert!(proxy.versions_seen().iter().all(|v| v == "1.0.3"));
    let dead = core.dead_letters().expect("dead");
    assert_eq!((dead[0].id.as_str(), dead[0].status), (two.as_str(), 400));
    assert!(dead[0].answer.contains("1.0.3") && dead[0].answer.contains("contextAgents"));

    // With the settings at 1.0.3 as well, the same statement is refused at the door.
    let mut settings = XapiSettings::load(&core.store().writer().expect("db")).expect("settings");
    settings.version = XapiVersion::V1_0_3;
    core.set_xapi_settings(&settings).expect("settings");
    let err = core
        .enqueue_statement(&two_only(10).to_string())
        .expect_err("1.0.3 forbids it");
    assert!(
        matches!(err, microlearn_core::Error::Xapi(XapiError::Invalid(_))),
        "{err:?}"
    );
    // And the 2.0.0 default sends the 2.0.0 header.
    core.enqueue_statement(&statement(11).to_string())
        .expect("enqueue");
    let r = core
        .flush_xapi(
            &LrsEndpoint::new(proxy.url()),
            &StaticCredentials(None),
            &fast(),
        )
        .await
        .expect("flush");
    assert_eq!(r.delivered, 1);
    assert_eq!(
        proxy.versions_seen().last().map(String::as_str),
        Some("2.0.0")
    );
}

#[tokio::test]
async fn a_body_refused_as_too_large_is_not_tried_again_by_later_flushes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let proxy = FaultInjector::start(Upstream::Memory {
        conflict_409: false,
    })
    .await
    .expect("proxy");
    proxy.set_strict(vec![Strict::MaxBody {
        bytes: 2_000,
        status: 400,
    }]);
    let mut ids = vec![];
    let mut flush = async |from: usize| {
        for i in from..from + 40 {
            ids.push(
                core.enqueue_statement(&statement(i).to_string())
                    .expect("enqueue"),
            );
        }
        core.flush_xapi(
            &LrsEndpoint::new(proxy.url()),
            &StaticCredentials(None),
            &fast(),
        )
        .await
        .expect("flush")
    };
    let first = flush(0).await;
    let second = flush(100).await;
    assert_eq!(
        (first.outcome, first.delivered),
        (FlushOutcome::Drained, 40)
    );
    assert_eq!(
        (second.outcome, second.delivered),
        (FlushOutcome::Drained, 40)
    );
    // The first flush paid for refused bodies; the second sends only bodies that fit.
    assert!(second.posts < first.posts, "{first:?} {second:?}");
    let per_post = 40_u64.div_ceil(second.posts);
    assert!(per_post >= 4, "{second:?}");
    assert_eq!(memory_ids(&proxy), ids);
}

#[tokio::test]
async fn a_bare_409_on_a_large_batch_is_halved_before_asking_and_delivers_everything_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let all: Vec<Value> = (0..200)
        .map(|i| {
            let mut s = statement(i);
            s["id"] = json!(uuid::Uuid::new_v4().to_string());
            s
        })
        .collect();
    for s in &all {
        core.enqueue_statement(&s.to_string()).expect("enqueue");
    }
    let proxy = FaultInjector::start(Upstream::Memory { conflict_409: true })
        .await
        .expect("proxy");
    // Another install (a crash's earlier life) already delivered three of them.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = Microlearn::open(other_dir.path()).expect("open");
    for i in [10, 120, 121] {
        other
            .enqueue_statement(&all[i].to_string())
            .expect("enqueue");
    }
    let pre = other
        .flush_xapi(
            &LrsEndpoint::new(proxy.url()),
            &StaticCredentials(None),
            &fast(),
        )
        .await
        .expect("flush");
    assert_eq!(pre.delivered, 3);
    let gets_before = proxy.log().iter().filter(|(m, _, _)| m == "GET").count();
    let r = core
        .flush_xapi(
            &LrsEndpoint::new(proxy.url()),
            &StaticCredentials(None),
            &fast(),
        )
        .await
        .expect("flush");
    assert_eq!(
        (r.outcome, r.delivered, r.confirmed_by_get, r.dead_lettered),
        (FlushOutcome::Drained, 200, 3, 0),
        "{r:?}"
    );
    let gets = proxy.log().iter().filter(|(m, _, _)| m == "GET").count() - gets_before;
    // Two conflicting batches of at most 64 each were asked about, never the 200 or 500.
    assert!(gets <= 2 * 64, "{gets} GETs");
    let mut stored = memory_ids(&proxy);
    stored.sort();
    let mut want: Vec<String> = all
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    want.sort();
    assert_eq!(stored, want);
}
