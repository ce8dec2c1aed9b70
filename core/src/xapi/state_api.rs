//! The xAPI State API (`activities/state`): quiz progress and bookmarks kept on the LRS.
//!
//! *Why with ETags:* the same learner may use two devices; a blind PUT from one would erase what
//! the other saved. xAPI 2.0 concurrency is used as the spec intends: create with
//! `If-None-Match: *`, update with `If-Match: <etag>`; when the LRS answers 412 (or 409) the
//! document changed meanwhile, so it is fetched again, merged with ours, and the write retried.
//! Documents are JSON objects; the default merge keeps the server's keys and lets ours win on
//! conflicts, recursively ([`merge_json`]).

use reqwest::{StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use super::{
    XapiError,
    builders::Emitter,
    flush::LrsEndpoint,
    lrs_http,
    model::{Actor, CredentialProvider, Credentials},
};

/// Attempts of one save before giving up with [`XapiError::Conflict`].
const MAX_TRIES: usize = 6;

/// Which state document: activity, agent, state id and optional registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateKey {
    /// The activity IRI (a card, a quiz).
    pub activity_id: String,
    /// The learner.
    pub agent: Actor,
    /// The document's name (`progress`, `bookmark` …).
    pub state_id: String,
    /// Ties the document to one registration (attempt), if given.
    pub registration: Option<String>,
}

/// A state document and its ETag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateDocument {
    /// The JSON document.
    pub document: Value,
    /// Its ETag on the LRS (for `If-Match`).
    pub etag: Option<String>,
}

/// The write precondition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Create only: `If-None-Match: *`.
    Create,
    /// Update only this version: `If-Match: <etag>`.
    Match(String),
}

/// Merges `ours` into `theirs`: objects key by key (recursively), anything else: ours wins.
pub fn merge_json(theirs: &Value, ours: &Value) -> Value {
    match (theirs, ours) {
        (Value::Object(t), Value::Object(o)) => {
            let mut out = t.clone();
            for (k, v) in o {
                let merged = match t.get(k) {
                    Some(tv) => merge_json(tv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, o) => o.clone(),
    }
}

/// A State API client for one endpoint.
pub struct StateClient<'a> {
    endpoint: &'a LrsEndpoint,
    provider: &'a dyn CredentialProvider,
    client: reqwest::Client,
}

impl<'a> StateClient<'a> {
    /// A client for `endpoint`, with credentials from `provider` at each call.
    pub fn new(
        endpoint: &'a LrsEndpoint,
        provider: &'a dyn CredentialProvider,
    ) -> Result<Self, XapiError> {
        Ok(StateClient {
            endpoint,
            provider,
            client: lrs_http::client(endpoint).map_err(XapiError::Network)?,
        })
    }

    fn request(
        &self,
        method: reqwest::Method,
        key: &StateKey,
        creds: Option<&Credentials>,
    ) -> Result<reqwest::RequestBuilder, XapiError> {
        let agent =
            serde_json::to_string(&key.agent).map_err(|e| XapiError::Config(e.to_string()))?;
        let mut q = vec![
            ("activityId", key.activity_id.as_str()),
            ("agent", agent.as_str()),
            ("stateId", key.state_id.as_str()),
        ];
        if let Some(r) = &key.registration {
            q.push(("registration", r.as_str()));
        }
        let url = format!(
            "{}/activities/state",
            self.endpoint.url.trim_end_matches('/')
        );
        let mut req = self
            .client
            .request(method, url)
            .query(&q)
            .header("X-Experience-API-Version", self.endpoint.version.header());
        if let Some(c) = creds {
            req = req.header(header::AUTHORIZATION, lrs_http::auth_header(c));
        }
        Ok(req)
    }

    async fn send(
        &self,
        build: impl Fn(Option<&Credentials>) -> Result<reqwest::RequestBuilder, XapiError>,
    ) -> Result<reqwest::Response, XapiError> {
        let mut creds = self.provider.credentials(false);
        for attempt in 0..2 {
            let resp = build(creds.as_ref())?
                .send()
                .await
                .map_err(|e| XapiError::Network(e.to_string()))?;
            let s = resp.status().as_u16();
            if (s == 401 || s == 403) && attempt == 0 {
                creds = self.provider.credentials(true);
                if creds.is_some() {
                    continue;
                }
            }
            if s == 401 || s == 403 {
                return Err(XapiError::AuthRequired { status: s });
            }
            return Ok(resp);
        }
        Err(XapiError::AuthRequired { status: 401 })
    }

    /// Reads a document (`None` if there is none).
    pub async fn get(&self, key: &StateKey) -> Result<Option<StateDocument>, XapiError> {
        let resp = self
            .send(|c| self.request(reqwest::Method::GET, key, c))
            .await?;
        match resp.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let etag = resp
                    .headers()
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let text = resp
                    .text()
                    .await
                    .map_err(|e| XapiError::Network(e.to_string()))?;
                let document = serde_json::from_str(&text).unwrap_or(Value::String(text));
                Ok(Some(StateDocument { document, etag }))
            }
            s => Err(lrs_error(resp, s).await),
        }
    }

    /// Writes `doc` under `precondition`. `Ok(false)` when the precondition failed (409/412):
    /// the document changed, read it again.
    pub async fn put(
        &self,
        key: &StateKey,
        doc: &Value,
        precondition: &Precondition,
    ) -> Result<bool, XapiError> {
        let body = doc.to_string();
        let resp = self
            .send(|c| {
                let req = self
                    .request(reqwest::Method::PUT, key, c)?
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                Ok(match precondition {
                    Precondition::Create => req.header(header::IF_NONE_MATCH, "*"),
                    Precondition::Match(etag) => req.header(header::IF_MATCH, etag.as_str()),
                })
            })
            .await?;
        match resp.status().as_u16() {
            s if (200..300).contains(&s) => Ok(true),
            409 | 412 => Ok(false),
            s => Err(lrs_error(
                resp,
                StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_REQUEST),
            )
            .await),
        }
    }

    /// Saves `ours`, merging with whatever the LRS holds (`merge(theirs, ours)`), retrying when
    /// another device wrote in between. Returns the document as written.
    pub async fn save(
        &self,
        key: &StateKey,
        ours: &Value,
        merge: impl Fn(&Value, &Value) -> Value,
    ) -> Result<Value, XapiError> {
        for _ in 0..MAX_TRIES {
            let (doc, pre) = match self.get(key).await? {
                None => (ours.clone(), Precondition::Create),
                Some(current) => {
                    let Some(etag) = current.etag else {
                        return Err(XapiError::Config(
                            "the LRS sent a state document without an ETag".into(),
                        ));
                    };
                    (merge(&current.document, ours), Precondition::Match(etag))
                }
            };
            if self.put(key, &doc, &pre).await? {
                return Ok(doc);
            }
        }
        Err(XapiError::Conflict(key.state_id.clone()))
    }

    /// Deletes a document (idempotent).
    pub async fn delete(&self, key: &StateKey) -> Result<(), XapiError> {
        let resp = self
            .send(|c| self.request(reqwest::Method::DELETE, key, c))
            .await?;
        match resp.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(lrs_error(resp, s).await),
        }
    }
}

async fn lrs_error(resp: reqwest::Response, status: StatusCode) -> XapiError {
    let body: String = resp
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(1024)
        .collect();
    XapiError::Lrs {
        status: status.as_u16(),
        body,
    }
}

impl crate::Microlearn {
    /// The state key of `state_id` for `activity_iri` and the current learner.
    pub fn state_key(
        &self,
        activity_iri: &str,
        state_id: &str,
        registration: Option<&str>,
    ) -> crate::Result<StateKey> {
        let agent = self
            .store()
            .write(|tx| Ok::<_, crate::Error>(Emitter::load(tx)?.actor))?;
        Ok(StateKey {
            activity_id: activity_iri.into(),
            agent,
            state_id: state_id.into(),
            registration: registration.map(str::to_owned),
        })
    }

    /// Saves a state document (quiz progress, bookmark) for the current learner, merging with
    /// the LRS's copy on concurrent change ([`merge_json`]). Returns the document as written.
    pub async fn save_state(
        &self,
        endpoint: &LrsEndpoint,
        credentials: &dyn CredentialProvider,
        activity_iri: &str,
        state_id: &str,
        document: &Value,
    ) -> crate::Result<Value> {
        let key = self.state_key(activity_iri, state_id, None)?;
        Ok(StateClient::new(endpoint, credentials)?
            .save(&key, document, merge_json)
            .await?)
    }

    /// Reads a state document of the current learner (`None` if there is none).
    pub async fn load_state(
        &self,
        endpoint: &LrsEndpoint,
        credentials: &dyn CredentialProvider,
        activity_iri: &str,
        state_id: &str,
    ) -> crate::Result<Option<Value>> {
        let key = self.state_key(activity_iri, state_id, None)?;
        Ok(StateClient::new(endpoint, credentials)?
            .get(&key)
            .await?
            .map(|d| d.document))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_keeps_theirs_and_ours_wins_on_conflict() {
        let theirs = json!({"a": 1, "nested": {"x": 1, "y": 2}, "list": [1]});
        let ours = json!({"b": 2, "nested": {"y": 3}, "list": [2]});
        assert_eq!(
            merge_json(&theirs, &ours),
            json!({"a": 1, "b": 2, "nested": {"x": 1, "y": 3}, "list": [2]})
        );
    }
}
