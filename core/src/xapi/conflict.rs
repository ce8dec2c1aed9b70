//! Conflicts: an LRS that already holds some ids of a batch, in whichever way it says so.
//!
//! *Why:* a crash after the LRS committed a batch and before the local acknowledgement leaves
//! statements that are on the LRS and still in the queue. LRSs answer the re-send differently:
//! 204 or a 200 without those ids (LaRS), **409 rejecting the whole batch** (what the spec
//! allows), or a 400/500 whose text names the existing ids. None of these may lose or duplicate a
//! statement, and none may dead-letter a valid statement because another one in its batch was
//! refused. So the flush asks the LRS (`GET ?statementId=`) about the ids it can name — the ones
//! the answer names, or, for a bare 409, every id of a batch small enough
//! ([`MAX_CONFIRM`]; a larger one is halved first, which bounds the GETs) — acknowledges the
//! stored ones, and resends the rest.
//!
//! A stored copy that is *not* the statement we queued (same id, different content: another
//! client's id collision, or a tampered record) is neither delivered nor resent: it becomes a
//! dead letter (status 409) holding both versions — ours as the statement, the LRS's in the
//! answer — for a person to decide. "The same" follows the spec's statement comparison
//! ([`same_statement`]), so an LRS's own normalisation (stored, authority, version, default
//! `objectType`, number formatting, letter case) never counts as a difference.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{
    XapiError,
    flush::Flusher,
    lrs_http::{self, Presence},
    queue::{self, Batch},
};

/// Most ids a bare 409 is resolved by asking about each; a larger batch is halved first.
pub(crate) const MAX_CONFIRM: usize = 64;

/// The statement ids of `batch_ids` that an LRS answer's text names (UUIDs, any case).
pub(crate) fn named_ids(answer: &str, batch_ids: &[String]) -> Vec<String> {
    let wanted: HashSet<&str> = batch_ids.iter().map(String::as_str).collect();
    let lower = answer.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut out: Vec<String> = vec![];
    let mut i = 0;
    while i + 36 <= b.len() {
        let cand = &lower[i..i + 36];
        if looks_like_uuid(cand) && wanted.contains(cand) {
            if !out.iter().any(|o| o == cand) {
                out.push(cand.to_owned());
            }
            i += 36;
        } else {
            i += 1;
        }
    }
    out
}

fn looks_like_uuid(s: &str) -> bool {
    s.bytes().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

/// Whether the LRS's stored copy is the statement we queued, by the spec's statement comparison
/// (xAPI 2.0 §2.2.3 / 1.0.3 §2.3): `id`, `authority`, `stored`, `timestamp`, `version`,
/// `attachments` and referenced activity definitions are ignored, as are letter case, the order
/// of group members and default `objectType`s; numbers compare by value, durations by their
/// length to 0.01 s (the spec's comparison precision; LaRS stores `PT12.50S` as `PT12.5S`).
pub fn same_statement(local: &Value, stored: &Value) -> bool {
    normalise(local, Place::Statement) == normalise(stored, Place::Statement)
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Statement,
    Agent,
    Object,
    Other,
}

fn normalise(v: &Value, place: Place) -> Value {
    match v {
        Value::String(s) => Value::String(s.to_lowercase()),
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| v.clone(), Value::Number),
        Value::Array(items) => {
            let mut out: Vec<Value> = items.iter().map(|i| normalise(i, place)).collect();
            if place == Place::Agent {
                // Group members: order does not matter.
                out.sort_by_key(Value::to_string);
            }
            Value::Array(out)
        }
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, val) in m {
                let skip = match place {
                    Place::Statement => matches!(
                        k.as_str(),
                        "id" | "authority" | "stored" | "timestamp" | "version" | "attachments"
                    ),
                    _ => k == "definition",
                };
                if skip || val.is_null() {
                    continue;
                }
                if k == "duration"
                    && let Some(c) = val.as_str().and_then(duration_centis)
                {
                    out.insert(k.clone(), Value::from(c));
                    continue;
                }
                let inner = match k.as_str() {
                    "actor" | "member" | "instructor" | "team" | "agent" => Place::Agent,
                    "object" => Place::Object,
                    "parent" | "grouping" | "category" | "other" => {
                        // Context activities: 1.0.3 allowed one object where 2.0 has a list,
                        // and an LRS stores the list; each is an activity.
                        let list = match val {
                            Value::Array(_) => val.clone(),
                            one => Value::Array(vec![one.clone()]),
                        };
                        let mut items: Vec<Value> = list
                            .as_array()
                            .map(|a| a.iter().map(|i| normalise(i, Place::Object)).collect())
                            .unwrap_or_default();
                        items.sort_by_key(Value::to_string);
                        out.insert(k.to_lowercase(), Value::Array(items));
                        continue;
                    }
                    _ => Place::Other,
                };
                out.insert(k.to_lowercase(), normalise(val, inner));
            }
            let default_type = match place {
                Place::Agent => Some("agent"),
                Place::Object => Some("activity"),
                Place::Statement | Place::Other => None,
            };
            if let Some(t) = default_type {
                out.entry("objecttype")
                    .or_insert_with(|| Value::String(t.into()));
            }
            Value::Object(out)
        }
        _ => v.clone(),
    }
}

/// An ISO 8601 duration's length in hundredths of a second (years of 365 days, months of 30:
/// only ever compared with itself rewritten).
fn duration_centis(s: &str) -> Option<i64> {
    let rest = s.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = 0.0f64;
    for (part, units) in [
        (
            date,
            [
                ("Y", 365.0 * 86_400.0),
                ("M", 30.0 * 86_400.0),
                ("W", 7.0 * 86_400.0),
                ("D", 86_400.0),
            ]
            .as_slice(),
        ),
        (time, [("H", 3_600.0), ("M", 60.0), ("S", 1.0)].as_slice()),
    ] {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                num.push(if c == ',' { '.' } else { c });
                continue;
            }
            let (_, secs) = units.iter().find(|(u, _)| u.starts_with(c))?;
            total += num.parse::<f64>().ok()? * secs;
            num.clear();
        }
        if !num.is_empty() {
            return None;
        }
    }
    Some((total * 100.0 + 1e-6).floor() as i64)
}

/// The dead-letter answer for a stored copy that differs: both versions, ours being the row's
/// statement already.
pub(crate) fn differing_answer(stored: &Value) -> String {
    serde_json::json!({
        "conflict": "the LRS holds a different statement under this id; ours was not sent again",
        "stored": stored,
    })
    .to_string()
}

impl Flusher<'_> {
    /// Asks the LRS about each id: acknowledges the stored copies that are ours, dead-letters
    /// the ones that differ. `since`: the earliest time a copy of these rows may have reached
    /// the LRS (`None`: never, so "not found" is final without waiting for consistency). `None` if all were stored; otherwise the reason, and whether to
    /// re-batch what is left (`true`: the LRS is consistent and does not hold them, so a new
    /// batch without the stored ones is sent; `false`: it could not tell yet, so the same batch
    /// is resent after a backoff).
    pub(crate) async fn confirm(
        &mut self,
        batch: &Batch,
        ids: &[String],
        since: Option<i64>,
    ) -> Result<Option<(String, bool)>, XapiError> {
        use futures_util::StreamExt;
        let first_sent = since.map(|s| batch.first_sent_at.map_or(s, |t| t.min(s)));
        let answers: Vec<(String, Presence)> = futures_util::stream::iter(ids.iter().cloned())
            .map(|id| {
                let client = &self.client;
                let endpoint = self.endpoint;
                let creds = self.creds.as_ref();
                let skew = self.skew;
                async move {
                    let p =
                        lrs_http::presence(client, endpoint, creds, &id, first_sent, skew).await;
                    (id, p)
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let mut ours = vec![];
        let mut differing = vec![];
        for (id, p) in &answers {
            if let Presence::Stored(copy) = p {
                let local = self
                    .store
                    .read(|c| queue::body_of(c, id))?
                    .and_then(|b| serde_json::from_str::<Value>(&b).ok());
                match (local, copy) {
                    (Some(l), Some(s)) if !same_statement(&l, s) => {
                        differing.push((id.clone(), s.clone()))
                    }
                    _ => ours.push(id.clone()),
                }
            }
        }
        self.store.write(|tx| {
            queue::acknowledge(tx, &ours)?;
            for (id, s) in &differing {
                queue::dead_letter(tx, id, 409, &differing_answer(s))?;
            }
            Ok::<_, XapiError>(())
        })?;
        let settled = ours.len() + differing.len();
        self.report.delivered += ours.len() as u64;
        self.report.confirmed_by_get += ours.len() as u64;
        self.report.dead_lettered += differing.len() as u64;
        if settled == answers.len() {
            return Ok(None);
        }
        if let Some((id, p)) = answers
            .iter()
            .find(|(_, p)| !matches!(p, Presence::Stored(_) | Presence::NotStored))
        {
            return Ok(Some((
                format!("cannot tell whether the LRS holds {id}: {p:?}"),
                false,
            )));
        }
        Ok(Some((
            format!(
                "{} statement(s) of the batch are not on the LRS; re-batching them",
                answers.len() - settled
            ),
            true,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_batch_ids_an_answer_names() {
        let ids = vec![
            "0b6c1c6e-7a43-4a6b-9d6e-1f1d2b3c4d5e".to_owned(),
            "9f0e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c".to_owned(),
        ];
        let answer = "duplicate key: Key (statement_id)=(0B6C1C6E-7A43-4A6B-9D6E-1F1D2B3C4D5E) \
                      already exists; also 11111111-2222-4333-8444-555555555555 and again \
                      0b6c1c6e-7a43-4a6b-9d6e-1f1d2b3c4d5e";
        assert_eq!(named_ids(answer, &ids), vec![ids[0].clone()]);
        assert!(named_ids("409 Conflict", &ids).is_empty());
        assert!(named_ids("", &ids).is_empty());
        assert!(named_ids("ü0b6c1c6e-7a43", &ids).is_empty());
    }

    #[test]
    fn an_lrs_normalisation_is_not_a_difference() {
        let local = json!({
            "id": "0b6c1c6e-7a43-4a6b-9d6e-1f1d2b3c4d5e",
            "actor": {"mbox": "mailto:Ada@Example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
            "object": {"id": "https://microlearn.example/xapi/cards/a", "definition": {"name": {"en-US": "A"}}},
            "result": {"duration": "PT42.5S", "score": {"scaled": 1}},
            "timestamp": "2026-11-23T08:00:00.000Z"
        });
        let stored = json!({
            "id": "0B6C1C6E-7A43-4A6B-9D6E-1F1D2B3C4D5E",
            "actor": {"objectType": "Agent", "mbox": "mailto:ada@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-us": "experienced"}},
            "object": {"objectType": "Activity", "id": "https://microlearn.example/xapi/cards/a",
                       "definition": {"name": {"en-US": "A (merged)"}, "type": "x"}},
            "result": {"duration": "PT42.5S", "score": {"scaled": 1.0}},
            "timestamp": "2026-11-23T08:00:00Z",
            "stored": "2026-11-23T08:00:01.123Z",
            "authority": {"mbox": "mailto:admin@microlearn.example"},
            "version": "2.0.0"
        });
        assert!(same_statement(&local, &stored));
        let group_a = json!({"actor": {"objectType": "Group", "member": [{"mbox": "mailto:a@x.org"}, {"mbox": "mailto:b@x.org"}]}});
        let group_b = json!({"actor": {"objectType": "Group", "member": [{"mbox": "mailto:b@x.org"}, {"objectType": "Agent", "mbox": "mailto:a@x.org"}]}});
        assert!(same_statement(&group_a, &group_b));
        let one = json!({"context": {"contextActivities": {"parent": {"id": "https://x.org/p"}}}});
        let list = json!({"context": {"contextActivities": {"parent": [
            {"objectType": "Activity", "id": "https://x.org/p", "definition": {"name": {"en": "P"}}}]}}});
        assert!(same_statement(&one, &list));
        let d = |t: &str| json!({"result": {"duration": t}});
        assert!(same_statement(&d("PT12.50S"), &d("PT12.5S")));
        assert!(same_statement(&d("PT90S"), &d("PT1M30S")));
        assert!(same_statement(&d("PT1.234S"), &d("PT1.23S")));
        assert!(!same_statement(&d("PT1.5S"), &d("PT1.6S")));
        assert!(!same_statement(&d("P1D"), &d("PT1H")));
    }

    #[test]
    fn a_different_record_under_the_same_id_is_a_difference() {
        let a = json!({"actor": {"mbox": "mailto:ada@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
                       "object": {"id": "https://x.org/a"}, "result": {"score": {"scaled": 0.9}}});
        let mut b = a.clone();
        b["result"]["score"]["scaled"] = json!(0.4);
        assert!(!same_statement(&a, &b));
        let mut c = a.clone();
        c["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
        assert!(!same_statement(&a, &c));
        let mut d = a.clone();
        d["object"] = json!({"objectType": "Agent", "mbox": "mailto:bob@example.com"});
        assert!(!same_statement(&a, &d));
    }
}
