//! Faults nginx cannot produce, from a FAULT INJECTOR: a tiny in-process HTTP/1.1 server (tokio
//! TCP) that serves a real published catalog but breaks the shard responses on purpose —
//! connection dropped mid-body, a body whose hash is wrong, HTTP 500, a stalled server, a
//! malformed shard. After each, the previously synced catalog (from real nginx) must be intact.

mod sync_support;

use std::{path::PathBuf, sync::Arc, time::Duration};

use microlearn_core::{
    Error, Microlearn,
    content::{
        ContentError,
        http::{CancelToken, NetOptions},
    },
};
use sha2::Digest;
use sync_support::{Published, card};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Announce the full Content-Length, send half, close.
    DropMidBody,
    /// Send a body of the right length with one byte flipped.
    WrongHash,
    /// Answer 500.
    ServerError,
    /// Send headers and a little body, then stall forever.
    Stall,
    /// Serve a shard with a malformed line, and an index that lists it with its correct hash.
    MalformedShard,
    /// Serve a shard with the same id twice (correct hash).
    DuplicateIds,
}

/// Starts the fault injector serving `root` (a published catalog); shard requests get `fault`.
async fn fault_injector(root: PathBuf, fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let root = root.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&buf);
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, body) = respond(&root, &path, fault);
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    match fault {
                        Fault::DropMidBody | Fault::Stall if path.contains("shards/") =>
                            body.len() * 2,
                        _ => body.len(),
                    }
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                if matches!(fault, Fault::Stall) && path.contains("shards/") {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}/index.json")
}

const BAD_SHARD: &[u8] = b"{\"id\":\"ok-1\",\"title\":\"fine\"}\n{\"id\":\"broken\",\n";
const DUP_SHARD: &[u8] = b"{\"id\":\"d\",\"title\":\"one\"}\n{\"id\":\"d\",\"title\":\"two\"}\n";

fn respond(root: &std::path::Path, path: &str, fault: Fault) -> (&'static str, Vec<u8>) {
    let special = match fault {
        Fault::MalformedShard => Some(BAD_SHARD),
        Fault::DuplicateIds => Some(DUP_SHARD),
        _ => None,
    };
    if path == "/index.json" {
        let Ok(text) = std::fs::read_to_string(root.join("index.json")) else {
            return ("404 Not Found", vec![]);
        };
        let Some(extra) = special else {
            return ("200 OK", text.into_bytes());
        };
        // Append a shard with the given body, listed with its true hash and size.
        let mut index: serde_json::Value = serde_json::from_str(&text).expect("index");
        let sha = hex::encode(sha2::Sha256::digest(extra));
        index["shards"]
            .as_array_mut()
            .expect("shards")
            .push(serde_json::json!({
                "sha256": sha, "bytes": extra.len(), "cards": 2, "kind": "delta",
                "path": format!("shards/{sha}.jsonl")
            }));
        return ("200 OK", serde_json::to_vec(&index).expect("json"));
    }
    let file = root.join(path.trim_start_matches('/'));
    let body = match special {
        Some(extra) if path.contains(&hex::encode(sha2::Sha256::digest(extra))) => extra.to_vec(),
        _ => std::fs::read(file).unwrap_or_default(),
    };
    match fault {
        Fault::DropMidBody | Fault::Stall => ("200 OK", body[..body.len() / 2].to_vec()),
        Fault::WrongHash => {
            let mut b = body;
            if let Some(x) = b.get_mut(10) {
                *x ^= 0x20;
            }
            ("200 OK", b)
        }
        Fault::ServerError => ("500 Internal Server Error", b"oops".to_vec()),
        Fault::MalformedShard | Fault::DuplicateIds => ("200 OK", body),
    }
}

/// Syncs v1 from nginx, publishes v2 (a delta), then syncs v2 through the fault injector.
async fn run(fault: Fault) -> (Error, Microlearn, tempfile::TempDir) {
    let mut cards: Vec<_> = (0..120).map(card).collect();
    let publ = Published::new(&cards);
    let data = tempfile::tempdir().expect("tmp");
    let core = Microlearn::open(data.path()).expect("open");
    core.sync_catalog(&publ.index_url(), &NetOptions::default())
        .await
        .expect("good sync");
    cards[0].title = "Version two".into();
    cards.remove(5);
    publ.republish(&cards);
    let url = fault_injector(publ.root(), fault).await;
    let opts = NetOptions {
        read_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let err = core.sync_catalog(&url, &opts).await.expect_err("must fail");
    // The previous catalog is intact: same cards, same content, no temp files left.
    assert_eq!(core.status().expect("status").cards, 120);
    assert_eq!(
        core.card("card-00000").expect("card").title,
        "Card number 0"
    );
    assert!(core.card("card-00005").is_ok());
    assert!(core.card("ok-1").is_err() && core.card("d").is_err());
    let tmp = data.path().join("tmp");
    let leftovers = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "temp shards cleaned up");
    assert_eq!(
        core.last_sync().expect("state").expect("synced").url,
        publ.index_url()
    );
    (err, core, data)
}

#[tokio::test]
async fn connection_dropped_mid_body() {
    let (err, ..) = run(Fault::DropMidBody).await;
    assert!(
        matches!(err, Error::Content(ContentError::Network { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_hash() {
    let (err, ..) = run(Fault::WrongHash).await;
    assert!(
        matches!(err, Error::Content(ContentError::HashMismatch { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_error() {
    let (err, ..) = run(Fault::ServerError).await;
    assert!(
        matches!(err, Error::Content(ContentError::Http { status: 500, .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn stalled_server_times_out() {
    let (err, ..) = run(Fault::Stall).await;
    assert!(
        matches!(err, Error::Content(ContentError::Timeout { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_shard_rolls_back() {
    let (err, ..) = run(Fault::MalformedShard).await;
    assert!(
        matches!(err, Error::Content(ContentError::Shard { line: 2, .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn duplicate_ids_in_a_shard_roll_back() {
    let (err, ..) = run(Fault::DuplicateIds).await;
    assert!(
        matches!(err, Error::Content(ContentError::DuplicateId(ref id)) if id == "d"),
        "{err:?}"
    );
}

#[tokio::test]
async fn cancelled_sync_changes_nothing() {
    let cards: Vec<_> = (0..50).map(card).collect();
    let publ = Published::new(&cards);
    let data = tempfile::tempdir().expect("tmp");
    let core = Microlearn::open(data.path()).expect("open");
    let cancel = CancelToken::new();
    let trigger = cancel.clone();
    let opts = NetOptions {
        cancel: Some(cancel),
        progress: Some(Arc::new(move |_| trigger.cancel())),
        ..Default::default()
    };
    let err = core
        .sync_catalog(&publ.index_url(), &opts)
        .await
        .expect_err("cancelled");
    assert!(
        matches!(err, Error::Content(ContentError::Cancelled)),
        "{err:?}"
    );
    assert_eq!(core.status().expect("status").cards, 0);
    assert!(core.last_sync().expect("state").is_none());
}

#[test]
fn sync_and_pin_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let data = tempfile::tempdir().expect("tmp");
    let core = Microlearn::open(data.path()).expect("open");
    let opts = NetOptions::default();
    let ids: Vec<String> = vec![];
    assert_send(&core.sync_catalog("http://127.0.0.1:1/index.json", &opts));
    assert_send(&core.pin_cards(&ids, &opts));
    assert_send(&core.fetch_media("x", &opts));
}
