//! Talking to the LRS: one request, and what its answer means for the queue.
//!
//! *Why a classification step:* real LRSs answer the same situation differently (an already
//! stored id is a 204 that drops the id for one, a 409 that rejects the whole batch for another; a
//! missing credential is a 401 for most and a 400 for some). [`classify`] maps every answer to the
//! one action the spec justifies, so [`super::flush`] stays a small state machine.

use std::time::Duration;

use reqwest::{Client, Response, StatusCode, header};
use serde_json::Value;

use super::{
    batch_size::is_too_large_complaint,
    conflict::named_ids,
    flush::LrsEndpoint,
    model::{CredentialProvider, Credentials},
};

/// What an answer to `POST /statements` means.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// 200: the LRS stored the batch; these are the ids it listed (maybe not all of them).
    Stored(Vec<String>),
    /// 204, or a 200 without a list: the LRS says some ids were already there; ask it which.
    AlreadyThere,
    /// 409, or a 400 / 5xx naming ids of the batch: the whole batch was refused, perhaps because
    /// some ids are already stored ([`super::conflict`]). `named`: the batch ids the answer names.
    Conflict {
        /// HTTP status.
        status: u16,
        /// Batch ids named by the answer (empty for a bare 409).
        named: Vec<String>,
        /// Start of the answer's body.
        answer: String,
    },
    /// No answer (timeout, reset, refused): maybe stored, maybe not. Resend the same batch.
    Ambiguous(String),
    /// 5xx other than 503: back off exponentially and retry.
    ServerError(u16, String),
    /// 429 / 503: wait as long as the LRS asks.
    RetryAfter(Duration, u16),
    /// 401 / 403, or a 400 that is about credentials: get fresh credentials.
    Auth(u16),
    /// 400: something in the batch is bad (bisect to find it).
    BadRequest(String),
    /// 413: the batch is too large (shrink it).
    TooLarge(String),
    /// Any other status: the endpoint is wrong; stop and report.
    Unexpected(u16, String),
}

/// Longest LRS answer kept (in dead letters and errors).
const MAX_ANSWER: usize = 4096;

pub(crate) fn auth_header(c: &Credentials) -> String {
    use base64_lite::encode;
    match c {
        Credentials::Basic { user, password } => {
            format!("Basic {}", encode(format!("{user}:{password}").as_bytes()))
        }
        Credentials::Bearer { token } => format!("Bearer {token}"),
    }
}

/// Minimal base64 (standard alphabet, padded) for the Basic header; no extra dependency.
mod base64_lite {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(input: &[u8]) -> String {
        let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

fn url(endpoint: &LrsEndpoint, path: &str) -> String {
    let base = endpoint.url.trim_end_matches('/');
    format!("{base}/{path}")
}

/// Builds the HTTP client for one flush (rustls, timeouts from the endpoint).
pub(crate) fn client(endpoint: &LrsEndpoint) -> Result<Client, String> {
    Client::builder()
        .timeout(Duration::from_millis(endpoint.timeout_ms.max(1)))
        .connect_timeout(Duration::from_millis(endpoint.timeout_ms.clamp(1, 10_000)))
        .pool_max_idle_per_host(2)
        .build()
        .map_err(|e| e.to_string())
}

/// Sends one frozen batch; returns the outcome and the server's clock skew if it answered.
pub(crate) async fn post_batch(
    client: &Client,
    endpoint: &LrsEndpoint,
    creds: Option<&Credentials>,
    body: &str,
    ids: &[String],
) -> (Outcome, Option<i64>) {
    let mut req = client
        .post(url(endpoint, "statements"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Experience-API-Version", endpoint.version.header())
        .body(body.to_owned());
    if let Some(c) = creds {
        req = req.header(header::AUTHORIZATION, auth_header(c));
    }
    match req.send().await {
        Err(e) => (Outcome::Ambiguous(describe(&e)), None),
        Ok(resp) => {
            let skew = skew_ms(&resp);
            (classify(resp, ids).await, skew)
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// Server clock minus ours, from the `Date` header (1 s resolution).
fn skew_ms(resp: &Response) -> Option<i64> {
    let date = resp.headers().get(header::DATE)?.to_str().ok()?;
    let server = chrono::DateTime::parse_from_rfc2822(date).ok()?;
    Some(server.timestamp_millis() - super::now_ms())
}

async fn classify(resp: Response, ids: &[String]) -> Outcome {
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(parse_retry_after);
    // Reading the body can fail too: the connection dropped mid-answer. For a 200 that is still
    // ambiguous (we do not know which ids it listed), so confirm rather than trust.
    let body = match resp.text().await {
        Ok(b) => b,
        Err(e) if status.is_success() => return Outcome::Ambiguous(describe(&e)),
        Err(_) => String::new(),
    };
    let short: String = body.chars().take(MAX_ANSWER).collect();
    match status.as_u16() {
        200 => match serde_json::from_str::<Value>(&body) {
            Ok(Value::Array(ids)) => Outcome::Stored(
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect(),
            ),
            _ => Outcome::AlreadyThere,
        },
        204 => Outcome::AlreadyThere,
        409 => Outcome::Conflict {
            status: 409,
            named: named_ids(&body, ids),
            answer: short,
        },
        429 | 503 => Outcome::RetryAfter(
            retry_after.flatten().unwrap_or(Duration::from_secs(30)),
            status.as_u16(),
        ),
        401 | 403 => Outcome::Auth(status.as_u16()),
        400 if is_auth_complaint(&short) => Outcome::Auth(400),
        400 if is_too_large_complaint(&short) => Outcome::TooLarge(short),
        413 => Outcome::TooLarge(short),
        s => {
            let named = if s == 400 || s >= 500 {
                named_ids(&body, ids)
            } else {
                vec![]
            };
            if !named.is_empty() {
                Outcome::Conflict {
                    status: s,
                    named,
                    answer: short,
                }
            } else if s == 400 {
                Outcome::BadRequest(short)
            } else if StatusCode::from_u16(s).is_ok_and(|c| c.is_server_error()) {
                Outcome::ServerError(s, short)
            } else {
                Outcome::Unexpected(s, short)
            }
        }
    }
}

/// Some LRSs answer 400 when credentials are missing: treat a 400 as an auth problem when its
/// text is about authorization (a 400 about a statement must bisect, credentials or not).
fn is_auth_complaint(body: &str) -> bool {
    let b = body.to_ascii_lowercase();
    b.contains("authoriz") || b.contains("authentic") || b.contains("credential")
}

/// `Retry-After`: delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let ms = at.timestamp_millis() - super::now_ms();
    Some(Duration::from_millis(ms.max(0) as u64))
}

/// What the LRS says about one statement id.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    /// It holds it: its copy, when the answer parsed as JSON.
    Stored(Option<Value>),
    /// It does not, and it is consistent past the time we sent it: safe to resend.
    NotStored,
    /// It does not yet, but it may still be making it visible: ask again later.
    Unsure,
    /// The question failed (network, 5xx, auth …).
    Failed(String),
}

/// `GET statements?statementId=` for one id. "Not stored" is trusted only once the LRS's
/// `X-Experience-API-Consistent-Through` is past `sent_at` (our clock, corrected by `skew`);
/// with no `sent_at` (no copy was ever accepted by the LRS) at once.
pub(crate) async fn presence(
    client: &Client,
    endpoint: &LrsEndpoint,
    creds: Option<&Credentials>,
    id: &str,
    sent_at: Option<i64>,
    skew: i64,
) -> Presence {
    let mut req = client
        .get(url(endpoint, "statements"))
        .query(&[("statementId", id)])
        .header("X-Experience-API-Version", endpoint.version.header());
    if let Some(c) = creds {
        req = req.header(header::AUTHORIZATION, auth_header(c));
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return Presence::Failed(describe(&e)),
    };
    let consistent = resp
        .headers()
        .get("X-Experience-API-Consistent-Through")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.timestamp_millis());
    match resp.status().as_u16() {
        200 => Presence::Stored(resp.json::<Value>().await.ok()),
        404 => match (sent_at, consistent) {
            (None, _) => Presence::NotStored,
            // One second of margin for the Date header's resolution.
            (Some(t), Some(ct)) if ct >= t + skew + 1000 => Presence::NotStored,
            _ => Presence::Unsure,
        },
        s => Presence::Failed(format!("GET statementId answered HTTP {s}")),
    }
}

/// Asks the provider for credentials (fresh ones when `rejected`).
pub(crate) fn credentials(p: &dyn CredentialProvider, rejected: bool) -> Option<Credentials> {
    p.credentials(rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_retry_after() {
        assert_eq!(base64_lite::encode(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64_lite::encode(b"a"), "YQ==");
        assert_eq!(base64_lite::encode(b"ab"), "YWI=");
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
