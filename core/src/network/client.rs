//! The Matrix client-server API, the few endpoints the core needs, over the `reqwest` client the
//! core already links (rustls, no HTTP/2): no `matrix-sdk`, which would add megabytes (its crypto,
//! its own store) to a phone binary for features this module does not use (end-to-end encryption
//! is out of scope for public topic rooms).
//!
//! Every answer is classified into [`Answer`] so the outbox and sync stay small state machines:
//! 2xx, 429 with `retry_after_ms`, 401 `M_UNKNOWN_TOKEN`, other 4xx (permanent), 5xx and no
//! answer at all (transient).

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use super::NetworkError;
use crate::util::percent_encode;

/// Longest server answer kept in errors and failed outbox rows.
const MAX_ANSWER: usize = 2048;

/// What a request's answer means.
#[derive(Debug)]
pub enum Answer {
    /// 2xx with its JSON body.
    Ok(Value),
    /// 429: wait this long.
    RateLimited(u64),
    /// 401 with `M_UNKNOWN_TOKEN` (or any 401): the token is gone.
    Unauthorized(String),
    /// A 4xx the server will answer again (403 not in room / banned, 413 too large, 404, 400).
    Refused {
        /// HTTP status.
        status: u16,
        /// Matrix `errcode`.
        errcode: String,
        /// Start of the body.
        body: String,
    },
    /// 5xx: the server is in trouble; back off.
    ServerError(u16, String),
    /// No answer (refused, reset, timeout): maybe done, maybe not.
    NoAnswer(String),
}

impl Answer {
    /// Turns anything but `Ok` into a typed error.
    pub fn into_result(self) -> Result<Value, NetworkError> {
        match self {
            Answer::Ok(v) => Ok(v),
            Answer::RateLimited(ms) => Err(NetworkError::RateLimited { retry_after_ms: ms }),
            Answer::Unauthorized(_) => Err(NetworkError::TokenRevoked),
            Answer::Refused {
                status,
                errcode,
                body,
            } => Err(NetworkError::Server {
                status,
                errcode,
                message: body,
            }),
            Answer::ServerError(status, body) => Err(NetworkError::Server {
                status,
                errcode: String::new(),
                message: body,
            }),
            Answer::NoAnswer(m) => Err(NetworkError::Unreachable(m)),
        }
    }
}

/// A client for one homeserver, with an optional access token.
#[derive(Debug, Clone)]
pub struct MatrixClient {
    base: String,
    token: Option<String>,
    http: Client,
}

impl MatrixClient {
    /// A client for `homeserver` (e.g. `https://matrix.example.org`), with request `timeout`.
    pub fn new(
        homeserver: &str,
        token: Option<String>,
        timeout: Duration,
    ) -> Result<Self, NetworkError> {
        let url = reqwest::Url::parse(homeserver)
            .map_err(|_| NetworkError::InvalidArgument(format!("homeserver URL {homeserver:?}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(NetworkError::InvalidArgument(format!(
                "homeserver URL {homeserver:?} is not http(s)"
            )));
        }
        let http = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(2)
            .user_agent(concat!("microlearn/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NetworkError::Unreachable(e.to_string()))?;
        Ok(Self {
            base: homeserver.trim_end_matches('/').to_owned(),
            token,
            http,
        })
    }

    /// The homeserver URL.
    pub fn homeserver(&self) -> &str {
        &self.base
    }

    /// Replaces the access token (after the provider refreshed it).
    pub fn set_token(&mut self, token: Option<String>) {
        self.token = token;
    }

    /// One request to `path` (under `/_matrix/…`), JSON in and out.
    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        classify(req.send().await).await
    }

    /// Uploads `bytes` to the media repository; returns the `mxc://` URI.
    pub async fn upload(&self, bytes: Vec<u8>, mime: &str, file_name: &str) -> Answer {
        let mut req = self
            .http
            .post(format!(
                "{}/_matrix/media/v3/upload?filename={}",
                self.base,
                percent_encode(file_name)
            ))
            .header(reqwest::header::CONTENT_TYPE, mime)
            .body(bytes);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        classify(req.send().await).await
    }

    /// Downloads an `mxc://server/id` media file (authenticated media, Matrix 1.11).
    pub async fn download(&self, mxc: &str, max_bytes: u64) -> Result<Vec<u8>, NetworkError> {
        let rest = mxc
            .strip_prefix("mxc://")
            .filter(|r| r.split('/').count() == 2 && !r.contains(".."))
            .ok_or_else(|| NetworkError::InvalidArgument(format!("media URI {mxc:?}")))?;
        let mut req = self.http.get(format!(
            "{}/_matrix/client/v1/media/download/{rest}",
            self.base
        ));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| NetworkError::Unreachable(describe(&e)))?;
        if !resp.status().is_success() {
            return classify(Ok(resp)).await.into_result().map(|_| vec![]);
        }
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(NetworkError::MediaTooLarge {
                bytes: resp.content_length().unwrap_or(0),
                budget: max_bytes,
            });
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| NetworkError::Unreachable(describe(&e)))?;
        if bytes.len() as u64 > max_bytes {
            return Err(NetworkError::MediaTooLarge {
                bytes: bytes.len() as u64,
                budget: max_bytes,
            });
        }
        Ok(bytes.to_vec())
    }

    /// `POST /login` with a password; `device_id` keeps the same device (and so Matrix's
    /// transaction-id scope) across sign-ins.
    pub async fn login(
        &self,
        user: &str,
        password: &str,
        device_id: Option<&str>,
    ) -> Result<Value, NetworkError> {
        let mut body = json!({
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": password,
            "initial_device_display_name": "Microlearn",
        });
        if let Some(d) = device_id {
            body["device_id"] = json!(d);
        }
        match self
            .request(Method::POST, "/_matrix/client/v3/login", Some(&body))
            .await
        {
            Answer::Refused { errcode, body, .. } => Err(NetworkError::LoginRefused {
                errcode,
                message: body,
            }),
            Answer::Unauthorized(body) => Err(NetworkError::LoginRefused {
                errcode: "M_FORBIDDEN".into(),
                message: body,
            }),
            other => other.into_result(),
        }
    }

    /// `PUT /rooms/{room}/send/{type}/{txn}`: idempotent per device and transaction id.
    pub async fn send(&self, room: &str, event_type: &str, txn: &str, content: &Value) -> Answer {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/send/{}/{}",
            percent_encode(room),
            percent_encode(event_type),
            percent_encode(txn)
        );
        self.request(Method::PUT, &path, Some(content)).await
    }

    /// `PUT /rooms/{room}/redact/{event}/{txn}`.
    pub async fn redact(&self, room: &str, event_id: &str, txn: &str, reason: &str) -> Answer {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/redact/{}/{}",
            percent_encode(room),
            percent_encode(event_id),
            percent_encode(txn)
        );
        let body = if reason.is_empty() {
            json!({})
        } else {
            json!({ "reason": reason })
        };
        self.request(Method::PUT, &path, Some(&body)).await
    }

    /// `POST /join/{room id or alias}`; returns the room id.
    pub async fn join(&self, room_or_alias: &str) -> Result<String, NetworkError> {
        let path = format!("/_matrix/client/v3/join/{}", percent_encode(room_or_alias));
        let v = self
            .request(Method::POST, &path, Some(&json!({})))
            .await
            .into_result()?;
        str_field(&v, "room_id")
    }

    /// `GET /sync` with an inline filter, never long-polling (`timeout=0`).
    pub async fn sync(&self, since: Option<&str>, filter: &Value) -> Answer {
        let mut path = format!(
            "/_matrix/client/v3/sync?timeout=0&set_presence=offline&filter={}",
            percent_encode(&filter.to_string())
        );
        if let Some(s) = since {
            path.push_str("&since=");
            path.push_str(&percent_encode(s));
        }
        self.request(Method::GET, &path, None).await
    }

    /// `GET /rooms/{room}/messages` backwards from `from`.
    pub async fn messages_back(&self, room: &str, from: &str, limit: u32) -> Answer {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/messages?dir=b&limit={limit}&from={}",
            percent_encode(room),
            percent_encode(from)
        );
        self.request(Method::GET, &path, None).await
    }
}

/// A string field of a JSON answer, or a typed error saying which is missing.
pub(crate) fn str_field(v: &Value, key: &str) -> Result<String, NetworkError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| NetworkError::Server {
            status: 200,
            errcode: String::new(),
            message: format!("answer without {key:?}"),
        })
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

async fn classify(resp: Result<reqwest::Response, reqwest::Error>) -> Answer {
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return Answer::NoAnswer(describe(&e)),
    };
    let status = resp.status();
    let retry_after_header = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| s * 1000);
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) => return Answer::NoAnswer(describe(&e)),
    };
    let json: Option<Value> = serde_json::from_str(&text).ok();
    if status.is_success() {
        return match json {
            Some(v) => Answer::Ok(v),
            None => Answer::ServerError(status.as_u16(), truncate(&text)),
        };
    }
    let errcode = json
        .as_ref()
        .and_then(|v| v.get("errcode"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if status == StatusCode::TOO_MANY_REQUESTS || errcode == "M_LIMIT_EXCEEDED" {
        let ms = json
            .as_ref()
            .and_then(|v| v.get("retry_after_ms"))
            .and_then(Value::as_u64)
            .or(retry_after_header)
            .unwrap_or(1000);
        return Answer::RateLimited(ms);
    }
    if status == StatusCode::UNAUTHORIZED {
        return Answer::Unauthorized(truncate(&text));
    }
    if status.is_server_error() {
        return Answer::ServerError(status.as_u16(), truncate(&text));
    }
    Answer::Refused {
        status: status.as_u16(),
        errcode,
        body: truncate(&text),
    }
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_ANSWER {
        return s.to_owned();
    }
    let mut end = MAX_ANSWER;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_http_homeservers() {
        for bad in ["ftp://x", "not a url", "file:///etc/passwd"] {
            assert!(matches!(
                MatrixClient::new(bad, None, Duration::from_secs(1)),
                Err(NetworkError::InvalidArgument(_))
            ));
        }
        assert!(MatrixClient::new("http://127.0.0.1:1/", None, Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn truncates_on_char_boundaries() {
        let s = "é".repeat(MAX_ANSWER);
        let t = truncate(&s);
        assert!(t.len() <= MAX_ANSWER && t.chars().all(|c| c == 'é'));
    }

    #[tokio::test]
    async fn no_server_is_no_answer() {
        // Port 1 on loopback: nothing listens there.
        let c =
            MatrixClient::new("http://127.0.0.1:1", None, Duration::from_secs(2)).expect("client");
        let a = c.sync(None, &json!({})).await;
        assert!(matches!(a, Answer::NoAnswer(_)), "{a:?}");
        assert!(matches!(a.into_result(), Err(NetworkError::Unreachable(_))));
    }
}
