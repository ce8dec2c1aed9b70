//! The validator agrees with every statement case of the ADL LRS conformance suite.
//!
//! The cases live in the team's shared data (`../shared/data/xapi-conformance/`, beside the
//! workspace, or `$MICROLEARN_SHARED`): for each statement, the status an LRS must answer (400 or
//! 200). A statement the validator accepts must be one an LRS accepts, and vice versa. No case
//! needs server state or authentication: the suite's statement cases are all self-contained.

use std::{io::Read, path::PathBuf};

use microlearn_core::xapi::{XapiVersion, validate_statement};
use serde_json::Value;

/// `$MICROLEARN_SHARED`, else `shared/` beside the workspace (CI), else beside its parent (a
/// git worktree under `wt/`).
fn shared_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("MICROLEARN_SHARED") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    [root.join("../shared"), root.join("../../shared")]
        .into_iter()
        .find(|p| p.join("data/xapi-conformance").is_dir())
        .unwrap_or_else(|| root.join("../shared"))
}

fn cases(file: &str) -> Vec<Value> {
    let path = shared_dir().join("data/xapi-conformance").join(file);
    let gz = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .expect("gunzip");
    match serde_json::from_str(&text).expect("json") {
        Value::Array(a) => a,
        _ => panic!("cases file is not an array"),
    }
}

fn check(file: &str, version: XapiVersion, expected_len: usize) {
    let cases = cases(file);
    assert_eq!(cases.len(), expected_len, "case count of {file}");
    let mut disagreements = vec![];
    for c in &cases {
        let expect = c["expect"][0].as_u64().expect("expect status");
        let verdict = validate_statement(&c["statement"], version);
        let ok = match expect {
            200 => verdict.is_ok(),
            400 => verdict.is_err(),
            other => panic!("unexpected status {other}"),
        };
        if !ok {
            disagreements.push(format!(
                "[{}] {} — expected {expect}, got {:?}",
                c["file"].as_str().unwrap_or(""),
                c["name"].as_str().unwrap_or(""),
                verdict.err().map(|e| e.to_string())
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}

#[test]
fn agrees_with_every_2_0_case() {
    check("cases-v2_0.json.gz", XapiVersion::V2_0_0, 972);
}

#[test]
fn agrees_with_every_1_0_3_case() {
    check("cases-v1_0_3.json.gz", XapiVersion::V1_0_3, 950);
}
