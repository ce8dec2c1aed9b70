//! `microlearn nudges …` end to end: set, plan (JSON, idempotent), respond, errors.

use std::process::Command;

fn microlearn(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_microlearn"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run microlearn");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn set_plan_respond() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (ok, _, err) = microlearn(d, &["nudges", "plan"]);
    assert!(!ok);
    assert!(err.contains("no schedule set"), "{err}");
    let (ok, _, err) = microlearn(d, &["nudges", "set", "--tz", "Mars/Base"]);
    assert!(!ok);
    assert!(err.contains("unknown time zone"), "{err}");
    let (ok, out, err) = microlearn(
        d,
        &[
            "--json",
            "nudges",
            "set",
            "--tz",
            "Australia/Lord_Howe",
            "--shift",
            "mon=09:00",
            "--shift",
            "fri=13:30",
            "--quiet",
            "22:00-07:00",
            "--max-per-day",
            "2",
            "--platform",
            "android",
        ],
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["schedule"]["time_zone"], "Australia/Lord_Howe");
    assert_eq!(v["platform"], "android");
    let args = [
        "--json",
        "nudges",
        "plan",
        "--days",
        "14",
        "--now",
        "2026-09-30T00:00:00Z",
    ];
    let (ok, out, err) = microlearn(d, &args);
    assert!(ok, "{err}");
    let (_, again, _) = microlearn(d, &args);
    assert_eq!(out, again, "same state, same plan");
    let plan: serde_json::Value = serde_json::from_str(&out).expect("json");
    let nudges = plan["nudges"].as_array().expect("nudges");
    assert!(!nudges.is_empty());
    // Lord Howe springs forward on 2026-10-04: offsets +10:30 before, +11:00 after.
    let offsets: Vec<&str> = nudges
        .iter()
        .map(|n| &n["local_start"].as_str().expect("local")[19..])
        .collect();
    assert!(
        offsets.contains(&"+10:30") && offsets.contains(&"+11:00"),
        "{offsets:?}"
    );
    let id = nudges[0]["id"].as_str().expect("id");
    let (ok, _, err) = microlearn(d, &["nudges", "respond", id, "--opened"]);
    assert!(ok, "{err}");
    let (ok, _, err) = microlearn(d, &["nudges", "respond", "n-nope", "--ignored"]);
    assert!(!ok);
    assert!(err.contains("unknown nudge id"), "{err}");
    let (ok, _, _) = microlearn(d, &["nudges", "plan", "--days", "61"]);
    assert!(!ok);
}
