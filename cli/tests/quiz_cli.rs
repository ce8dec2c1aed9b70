//! `microlearn quiz` and `microlearn progress` end to end: a session as JSON, answers piped on
//! stdin, progress and mastery afterwards, and typed errors for a bad time zone, an unknown
//! question and an out-of-range choice.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
};

fn microlearn(dir: &Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_microlearn"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run microlearn");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin");
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

const NOW: &str = "2026-11-02T07:30:00Z";

#[test]
fn scripted_session_then_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/sample/catalog.jsonl");
    let (ok, _, err) = microlearn(d, &["import", sample], "");
    assert!(ok, "{err}");

    let (ok, out, err) = microlearn(d, &["--json", "quiz", "--now", NOW], "");
    assert!(ok, "{err}");
    let session = json(&out);
    let items = session["items"].as_array().expect("items").clone();
    assert!(!items.is_empty(), "{out}");
    assert!(
        items
            .iter()
            .all(|i| i["answered"] == false && i["kind"] == "new")
    );
    let estimated: u64 = items
        .iter()
        .filter_map(|i| i["estimated_seconds"].as_u64())
        .sum();
    assert!(estimated <= session["budget_seconds"].as_u64().expect("budget"));

    // Answer every question with choice 1; a nonsense line is refused and asked again.
    let answers = format!("banana\n{}", "1\n".repeat(items.len()));
    let (ok, out, err) = microlearn(d, &["quiz", "--now", NOW], &answers);
    assert!(ok, "{err}");
    assert!(out.contains("not a choice number"), "{out}");
    assert!(out.contains("Session complete"), "{out}");

    // The same session is not offered again: everything in it was answered.
    let (ok, out, err) = microlearn(d, &["--json", "quiz", "--now", NOW], "");
    assert!(ok, "{err}");
    let again = json(&out);
    let unanswered = again["items"]
        .as_array()
        .map_or(0, |a| a.iter().filter(|i| i["answered"] == false).count());
    assert!(unanswered < items.len(), "{out}");

    let (ok, out, err) = microlearn(
        d,
        &["--json", "progress", "--now", "2026-11-02T09:00:00Z"],
        "",
    );
    assert!(ok, "{err}");
    let v = json(&out);
    assert_eq!(
        v["progress"]["answered_today"].as_u64(),
        Some(items.len() as u64),
        "{out}"
    );
    assert_eq!(v["progress"]["streak_days"].as_u64(), Some(1), "{out}");
    assert!(
        v["progress"]["points_total"]
            .as_u64()
            .is_some_and(|p| p > 0),
        "{out}"
    );
    let topics = v["mastery"]["topics"].as_array().expect("topics");
    let seen: u64 = topics.iter().filter_map(|t| t["seen"].as_u64()).sum();
    assert_eq!(seen, items.len() as u64, "{out}");
}

#[test]
fn bad_input_gets_typed_errors_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/sample/catalog.jsonl");
    assert!(microlearn(d, &["import", sample], "").0);

    let (ok, _, err) = microlearn(d, &["quiz", "settings", "--time-zone", "Mars/Base"], "");
    assert!(!ok);
    assert!(err.contains("unknown time zone"), "{err}");
    let (ok, out, _) = microlearn(d, &["--json", "quiz", "settings"], "");
    assert!(ok);
    assert_ne!(json(&out)["time_zone"], "Mars/Base", "{out}");

    let (ok, _, err) = microlearn(
        d,
        &["quiz", "answer", "no-such-question", "1", "--now", NOW],
        "",
    );
    assert!(!ok);
    assert!(err.contains("unknown question"), "{err}");

    let (ok, out, _) = microlearn(d, &["--json", "quiz", "--now", NOW], "");
    assert!(ok);
    let qid = json(&out)["items"][0]["question_id"]
        .as_str()
        .expect("qid")
        .to_string();
    let (ok, _, err) = microlearn(d, &["quiz", "answer", &qid, "9", "--now", NOW], "");
    assert!(!ok);
    assert!(err.contains("invalid choice"), "{err}");

    let (ok, out, err) = microlearn(d, &["--json", "progress", "--now", NOW], "");
    assert!(ok, "{err}");
    assert_eq!(
        json(&out)["progress"]["answered_today"].as_u64(),
        Some(0),
        "{out}"
    );
}
