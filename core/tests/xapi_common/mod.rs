//! Helpers shared by the tests that run against LaRS, the real LRS (`MICROLEARN_LRS_URL`, set by
//! `tests/suites/20-xapi-lrs.sh`). Without that variable those tests say so and pass vacuously;
//! `cargo test` alone never needs PostgreSQL.

#![allow(dead_code)]

use serde_json::{Value, json};

/// The LRS base URL, or `None` (and a note on stderr) when the suite did not start one.
pub fn lrs_url(test: &str) -> Option<String> {
    match std::env::var("MICROLEARN_LRS_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!("{test}: MICROLEARN_LRS_URL not set; run tests/suites/20-xapi-lrs.sh");
            None
        }
    }
}

/// A statement for test run `registration`, number `i` (its response says which).
pub fn statement(registration: &str, i: usize) -> String {
    json!({
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "u1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"objectType": "Activity", "id": format!("https://microlearn.example/cards/c{}", i % 7),
                   "definition": {"name": {"en-US": "A card"}, "type": "http://adlnet.gov/expapi/activities/lesson"}},
        "result": {"response": format!("n{i}"), "duration": "PT1.5S", "completion": true},
        "context": {"registration": registration, "platform": "Microlearn test"},
        "timestamp": "2026-01-01T00:00:00.000Z"
    })
    .to_string()
}

/// Every statement the LRS holds for `registration`, following `more` links.
pub async fn statements_for(base: &str, registration: &str) -> Vec<Value> {
    let client = reqwest::Client::new();
    let origin = {
        let after_scheme = base.find("://").map_or(0, |p| p + 3);
        let end = base[after_scheme..]
            .find('/')
            .map_or(base.len(), |p| p + after_scheme);
        base[..end].to_owned()
    };
    let mut url = format!(
        "{}/statements?registration={registration}&limit=500",
        base.trim_end_matches('/')
    );
    let mut out = vec![];
    loop {
        let resp = client
            .get(&url)
            .header("X-Experience-API-Version", "2.0.0")
            .send()
            .await
            .expect("GET statements");
        assert!(resp.status().is_success(), "GET {url}: {}", resp.status());
        let page: Value = resp.json().await.expect("json");
        out.extend(page["statements"].as_array().cloned().unwrap_or_default());
        match page["more"].as_str() {
            Some(more) if !more.is_empty() => {
                url = if more.starts_with("http") {
                    more.to_owned()
                } else {
                    format!("{origin}{more}")
                };
            }
            _ => break,
        }
    }
    out
}

/// The statement as the LRS returns it, minus what the LRS adds (`stored`, `authority`,
/// `version`), to compare with what was queued.
pub fn without_lrs_fields(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for k in ["stored", "authority", "version"] {
            m.remove(k);
        }
    }
    v
}

/// Asserts the LRS holds exactly `expected` (id → frozen JSON): each once, same content.
pub fn assert_exactly_once(stored: &[Value], expected: &std::collections::HashMap<String, String>) {
    let mut seen = std::collections::HashMap::new();
    for s in stored {
        let id = s["id"].as_str().expect("id").to_ascii_lowercase();
        *seen.entry(id.clone()).or_insert(0u32) += 1;
        let want: Value = serde_json::from_str(
            expected
                .get(&id)
                .unwrap_or_else(|| panic!("LRS holds {id}, which was never committed")),
        )
        .expect("frozen json");
        assert_eq!(
            without_lrs_fields(s.clone()),
            want,
            "content of {id} differs from what was queued"
        );
    }
    let dups: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "duplicates on the LRS: {dups:?}");
    let lost: Vec<_> = expected
        .keys()
        .filter(|id| !seen.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "{} statements lost: {lost:?}", lost.len());
    assert_eq!(stored.len(), expected.len());
}
