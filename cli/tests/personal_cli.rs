//! `microlearn demo` and the personal commands end to end: every demo section appears (twice on
//! the same data dir), and a playlist shared by one data dir is followed and updated in another.

use std::{
    path::Path,
    process::{Command, Stdio},
};

fn microlearn(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_microlearn"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run microlearn");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SECTIONS: &[&str] = &[
    "1. Catalog",
    "2. Search with a typo",
    "3. Quiz, day",
    "4. Quiz, day",
    "5. Nudges for the week",
    "6. Playlist",
    "7. Recommendations",
    "8. Privacy",
    "9. xAPI queue",
    "10. Network outbox",
];

#[test]
fn demo_shows_every_section_and_reruns() {
    let dir = tempfile::tempdir().expect("tempdir");
    for run in 1..=2 {
        let (ok, out, err) = microlearn(dir.path(), &["demo"]);
        assert!(ok, "run {run}: {err}");
        for s in SECTIONS {
            assert!(out.contains(s), "run {run}: missing section {s:?}\n{out}");
        }
        assert!(out.contains("did you mean"), "{out}");
        assert!(
            out.contains("because you"),
            "explained recommendations\n{out}"
        );
        assert!(out.contains(&format!("run {run}")), "{out}");
        // The network section: offline, the question and the playlist share wait in the
        // outbox with their transaction ids, and a re-run does not queue them twice.
        assert!(
            out.contains("Outbox for this room: 2 pending, 0 sent, 0 failed"),
            "{out}"
        );
        assert!(out.contains("pending question"), "{out}");
        assert!(out.contains("org.microlearn.playlist"), "{out}");
        assert!(out.contains("txn "), "{out}");
    }
}

#[test]
fn share_follow_update_across_two_devices() {
    let owner = tempfile::tempdir().expect("owner");
    let me = tempfile::tempdir().expect("me");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/sample/catalog.jsonl");
    for d in [owner.path(), me.path()] {
        assert!(microlearn(d, &["import", sample]).0);
    }
    let (ok, out, err) = microlearn(
        owner.path(),
        &[
            "--json",
            "playlist",
            "create",
            "Safety",
            "fire-evacuation",
            "spill-cleanup",
        ],
    );
    assert!(ok, "{err}");
    let pl: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    let id = pl["id"].as_str().expect("id").to_owned();
    let (ok, payload, _) = microlearn(owner.path(), &["playlist", "share", &id]);
    assert!(ok);
    let file = me.path().join("v1.json");
    std::fs::write(&file, payload.trim()).expect("write");
    let (ok, out, err) = microlearn(
        me.path(),
        &["--json", "playlist", "follow", file.to_str().expect("utf8")],
    );
    assert!(ok, "{err}");
    let f: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(f["kind"], "followed");
    let fid = f["id"].as_str().expect("id").to_owned();
    let (ok, _, err) = microlearn(me.path(), &["playlist", "rename", &fid, "Mine"]);
    assert!(!ok && err.contains("read-only"), "{err}");
    assert!(microlearn(owner.path(), &["playlist", "add", &id, "manual-handling"]).0);
    let (_, v2, _) = microlearn(owner.path(), &["playlist", "share", &id]);
    std::fs::write(&file, v2.trim()).expect("write");
    let (ok, _, err) = microlearn(
        me.path(),
        &["playlist", "apply", file.to_str().expect("utf8")],
    );
    assert!(ok, "{err}");
    let (_, out, _) = microlearn(me.path(), &["--json", "playlist", "show", &fid]);
    let f: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(f["cards"].as_array().map(Vec::len), Some(3));
    // Bad input: typed errors, non-zero exit.
    let (ok, _, err) = microlearn(me.path(), &["recs", "rate", "fire-evacuation", "9"]);
    assert!(!ok && err.contains("stars"), "{err}");
    let (ok, out, _) = microlearn(me.path(), &["recs", "next", "--limit", "3"]);
    assert!(ok && out.contains("Next for you"), "{out}");
}
