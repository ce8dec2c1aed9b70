//! `microlearn search`: one query, filters, and the `--stdin --json` batch mode, on the sample
//! catalog in a temporary data dir.

use std::{
    io::Write,
    process::{Command, Stdio},
};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_microlearn"))
}

fn import_sample(dir: &std::path::Path) {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/sample/catalog.jsonl");
    let st = bin()
        .arg("--data-dir")
        .arg(dir)
        .args(["import", sample])
        .output()
        .expect("run import");
    assert!(st.status.success(), "{st:?}");
}

#[test]
fn batch_mode_prints_one_json_line_per_query() {
    let dir = tempfile::tempdir().expect("tempdir");
    import_sample(dir.path());
    let mut child = bin()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["search", "--stdin", "--json", "--limit", "3"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"refund no reciept\n\"NEAR*\nforklfit\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["query"], "refund no reciept");
    let ids = lines[0]["ids"].as_array().expect("ids");
    assert!(ids.len() <= 3 && ids.contains(&serde_json::json!("refund-no-receipt")));
    assert_eq!(lines[1]["ids"], serde_json::json!([]));
    assert_eq!(lines[2]["ids"][0], "forklift-checks");
}

#[test]
fn single_query_with_filters_and_bad_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    import_sample(dir.path());
    let out = bin()
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "search", "--json", "safety", "--format", "video", "--limit", "5",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let hits = v["hits"].as_array().expect("hits");
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["format"] == "video"));
    let bad = bin()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["search", "safety", "--format", "hologram"])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown format"));
}
