//! `microlearn network …` offline, end to end: posts queue in the outbox without a server or a
//! session, the outbox reports them, delete collapses, and sending without a sign-in is a typed
//! error that keeps every item. (The online flows run against Synapse in core/tests/network_*.)

use std::process::Command;

fn microlearn(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_microlearn"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("MICROLEARN_MATRIX_TOKEN")
        .output()
        .expect("run microlearn");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn offline_posts_wait_in_the_outbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let room = "!shopfloor:example.org";
    let (ok, out, err) = microlearn(
        d,
        &[
            "--json",
            "network",
            "ask",
            "--room",
            room,
            "--card",
            "refund-1",
            "Refund with no receipt?",
        ],
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    let q = v["local_id"].as_str().expect("local id").to_owned();
    assert!(q.starts_with("local:ml-"));
    let (ok, _, err) = microlearn(
        d,
        &[
            "network",
            "rate",
            "--room",
            room,
            "refund-1",
            "4",
            "--outdated",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = microlearn(d, &["network", "rate", "--room", room, "refund-1", "9"]);
    assert!(!ok);
    assert!(err.contains("stars must be 1 to 5"), "{err}");
    let (ok, out, _) = microlearn(d, &["--json", "network", "outbox"]);
    assert!(ok);
    let items: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    let items = items.as_array().expect("array");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["state"] == "pending"));
    // Topic names resolve only to joined rooms.
    let (ok, _, err) = microlearn(d, &["network", "ask", "--room", "Refunds", "x"]);
    assert!(!ok);
    assert!(err.contains("no joined room"), "{err}");
    // Sending needs a session: a typed error, nothing lost.
    let (ok, _, err) = microlearn(d, &["network", "send"]);
    assert!(!ok);
    assert!(err.contains("not signed in"), "{err}");
    let (ok, out, _) = microlearn(d, &["--json", "network", "delete", "--room", room, &q]);
    assert!(ok);
    assert!(out.contains("Collapsed"), "{out}");
    let (_, out, _) = microlearn(d, &["--json", "network", "outbox"]);
    let items: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(items.as_array().map(Vec::len), Some(1));
}
