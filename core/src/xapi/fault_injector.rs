//! **Fault injector** for tests and the bench: an HTTP/1.1 proxy on loopback that sits in front of
//! a real LRS and produces the failures a real LRS cannot be asked to produce on cue.
//!
//! *Why it exists:* exactly-once delivery is only proven by breaking things at the worst moment:
//! dropping the connection after the LRS stored a batch but before the client read the answer,
//! answering 5xx, 429 with `Retry-After`, 401, or stalling past the client's timeout. This proxy
//! does exactly that, by script ([`Fault`] queue) or at random (seeded).
//!
//! For pure-protocol unit tests that must run without PostgreSQL, it can instead answer from a
//! tiny in-memory statement store ([`Upstream::Memory`]). That stand-in is **not** an LRS: it only
//! stores statements by id with a chosen duplicate policy (LaRS-like 204 that drops the id, or a
//! 409 that rejects the batch), answers `GET ?statementId=` with a consistent-through header, and
//! refuses statements whose verb id contains `reject-me` (to exercise bisection). Every claim of
//! exactly-once delivery is also tested against LaRS itself (`tests/suites/20-xapi-lrs.sh`).
//!
//! In front of a real LRS it can also **play a stricter LRS** ([`Strict`]), because the one LRS
//! installable here (LaRS) answers a batch with an already stored id by storing the rest (200
//! without that id), while the spec lets an LRS refuse the whole batch: 409, or a 400 / 500 that
//! names the ids; some also refuse bodies over a size with 413 or a 400 "too large", or refuse
//! a whole batch for one statement they dislike. Which ids are "already stored" is asked of the
//! real LRS behind it (`GET ?statementId=`), so the answers follow the real LRS's state; only
//! their shape is faked.
//! Not used by the app; unused code is dropped by the linker.

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// One injected failure (applied to `POST /statements` requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward untouched.
    Pass,
    /// Forward, let the LRS store the batch, then drop the connection without answering.
    DropAfterForward,
    /// Drop the connection before forwarding.
    DropBeforeForward,
    /// Answer this status without forwarding (`Retry-After` seconds if given).
    Status(u16, Option<u32>),
    /// Forward, then hold the answer this many milliseconds (beyond the client's timeout).
    Stall(u64),
}

/// A stricter LRS's refusals, played in front of a real one (see the module docs). Checked in
/// this order before a `POST /statements` is forwarded; a refused batch is not forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strict {
    /// A body over `bytes` is refused with `status` (413, or a 400 saying "too large").
    MaxBody {
        /// Largest body accepted.
        bytes: usize,
        /// 413 or 400.
        status: u16,
    },
    /// A batch holding a statement whose JSON contains this text is refused whole with a 400
    /// that names no id (the LRS dislikes that one statement).
    Poison(String),
    /// A batch holding an id the real LRS already stores is refused whole with `status` (409,
    /// 400 or 500), its answer naming those ids when `name_ids`.
    Duplicates {
        /// 409, 400 or 500.
        status: u16,
        /// Whether the answer's text lists the stored ids.
        name_ids: bool,
    },
}

/// What the proxy forwards to.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// A real LRS at this address (`127.0.0.1:port`).
    Tcp(SocketAddr),
    /// The in-memory stand-in (see the module docs); `true` = answer duplicates with 409.
    Memory {
        /// Answer a batch holding an already stored id with 409 (else 204 dropping the id).
        conflict_409: bool,
    },
}

/// Random faults: each POST gets a fault with these per-mille odds.
#[derive(Debug, Clone, Copy)]
pub struct FaultOdds {
    /// Drop after the LRS stored the batch.
    pub drop_after: u32,
    /// Drop before forwarding.
    pub drop_before: u32,
    /// 500 / 502.
    pub server_error: u32,
    /// 429 with Retry-After: 1.
    pub too_many: u32,
    /// 401.
    pub unauthorized: u32,
    /// Stall past the client's timeout.
    pub stall: u32,
}

#[derive(Default)]
struct State {
    latency_ms: u64,
    strict: Vec<Strict>,
    script: VecDeque<Fault>,
    random: Option<(StdRng, FaultOdds, u64)>,
    log: Vec<(String, String, Fault)>,
    versions: Vec<String>,
    memory: HashMap<String, Value>,
    memory_order: Vec<String>,
}

/// A running fault injector; stops when dropped.
pub struct FaultInjector {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultInjector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultInjector {
    /// Starts the proxy on a free loopback port (inside the current tokio runtime).
    pub async fn start(upstream: Upstream) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let st = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let st = Arc::clone(&st);
                let up = upstream.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, up, st).await;
                });
            }
        });
        Ok(FaultInjector { addr, state, task })
    }

    /// The xAPI base URL to give the client (`http://127.0.0.1:port/`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Queues faults for the next POSTs, in order (then `Pass`, or random if set).
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().script.extend(faults);
    }

    /// Random faults from now on (seeded); `stall_ms` is used for `Stall`.
    pub fn randomize(&self, seed: u64, odds: FaultOdds, stall_ms: u64) {
        self.lock().random = Some((StdRng::seed_from_u64(seed), odds, stall_ms));
    }

    /// Adds this delay to every request (a mobile network's round trip), faults or not.
    pub fn set_latency(&self, ms: u64) {
        self.lock().latency_ms = ms;
    }

    /// Plays a stricter LRS from now on (replacing earlier rules; empty: forward as is).
    pub fn set_strict(&self, rules: Vec<Strict>) {
        self.lock().strict = rules;
    }

    /// Stops random faults.
    pub fn calm(&self) {
        let mut s = self.lock();
        s.random = None;
        s.script.clear();
    }

    /// Every request seen: (method, path, fault applied).
    pub fn log(&self) -> Vec<(String, String, Fault)> {
        self.lock().log.clone()
    }

    /// The `X-Experience-API-Version` header of every request seen ("" when absent).
    pub fn versions_seen(&self) -> Vec<String> {
        self.lock().versions.clone()
    }

    /// The in-memory store's statements, in arrival order (empty for a TCP upstream).
    pub fn memory_statements(&self) -> Vec<Value> {
        let s = self.lock();
        s.memory_order
            .iter()
            .filter_map(|id| s.memory.get(id).cloned())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Request {
    method: String,
    target: String,
    head: Vec<u8>,
    body: Vec<u8>,
}

async fn read_request(sock: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let len: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(Request {
        method,
        target,
        head: buf[..head_end].to_vec(),
        body,
    }))
}

fn pick(state: &Mutex<State>, req: &Request) -> Fault {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let is_post = req.method == "POST" && req.target.split('?').next() == Some("/statements");
    let fault = if !is_post {
        Fault::Pass
    } else if let Some(f) = s.script.pop_front() {
        f
    } else if let Some((rng, odds, stall)) = &mut s.random {
        let roll = rng.random_range(0..1000u32);
        let mut acc = 0;
        let mut choose = |p: u32| {
            acc += p;
            roll < acc
        };
        if choose(odds.drop_after) {
            Fault::DropAfterForward
        } else if choose(odds.drop_before) {
            Fault::DropBeforeForward
        } else if choose(odds.server_error) {
            Fault::Status(500, None)
        } else if choose(odds.too_many) {
            Fault::Status(429, Some(1))
        } else if choose(odds.unauthorized) {
            Fault::Status(401, None)
        } else if choose(odds.stall) {
            Fault::Stall(*stall)
        } else {
            Fault::Pass
        }
    } else {
        Fault::Pass
    };
    s.log
        .push((req.method.clone(), req.target.clone(), fault.clone()));
    let version = String::from_utf8_lossy(&req.head)
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("x-experience-api-version"))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    s.versions.push(version);
    fault
}

async fn serve(mut sock: TcpStream, up: Upstream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some(req) = read_request(&mut sock).await? else {
        return Ok(());
    };
    let fault = pick(&state, &req);
    let latency = state.lock().map_or(0, |s| s.latency_ms);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    match fault {
        Fault::DropBeforeForward => return Ok(()),
        Fault::Status(code, retry) => {
            let extra = retry.map_or(String::new(), |s| format!("Retry-After: {s}\r\n"));
            // An injected 400 plays an LRS that wants credentials (bad statements get their
            // 400 from the upstream).
            let body = match code {
                400 => "{\"injected\":400,\"error\":\"missing Authorization header\"}".to_owned(),
                _ => format!("{{\"injected\":{code}}}"),
            };
            let resp = format!(
                "HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(resp.as_bytes()).await?;
            return sock.shutdown().await;
        }
        _ => {}
    }
    if fault == Fault::Pass {
        let rules = state.lock().map(|s| s.strict.clone()).unwrap_or_default();
        let addr = match &up {
            Upstream::Tcp(a) => Some(*a),
            Upstream::Memory { .. } => None,
        };
        if let Some(resp) = strict_refusal(&rules, addr, &req).await {
            sock.write_all(&resp).await?;
            return sock.shutdown().await;
        }
    }
    let resp = match &up {
        Upstream::Tcp(addr) => forward(*addr, &req).await?,
        Upstream::Memory { conflict_409 } => memory_answer(&state, &req, *conflict_409),
    };
    match fault {
        Fault::DropAfterForward => Ok(()),
        Fault::Stall(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            sock.write_all(&resp).await?;
            sock.shutdown().await
        }
        _ => {
            sock.write_all(&resp).await?;
            sock.shutdown().await
        }
    }
}

/// The refusal a [`Strict`] rule makes of this request, if any.
/// `Duplicates` needs a real LRS behind (`addr`); the in-memory stand-in has its own policy.
async fn strict_refusal(
    rules: &[Strict],
    addr: Option<SocketAddr>,
    req: &Request,
) -> Option<Vec<u8>> {
    let is_post = req.method == "POST" && req.target.split('?').next() == Some("/statements");
    if !is_post || rules.is_empty() {
        return None;
    }
    for rule in rules {
        match rule {
            Strict::MaxBody { bytes, status } if req.body.len() > *bytes => {
                let body = format!(
                    "{{\"error\":\"Request body too large: {} bytes, the limit is {bytes}\"}}",
                    req.body.len()
                );
                return Some(http(*status, "", &body));
            }
            Strict::Poison(marker) => {
                let Ok(Value::Array(batch)) = serde_json::from_slice::<Value>(&req.body) else {
                    continue;
                };
                if batch
                    .iter()
                    .any(|st| st.to_string().contains(marker.as_str()))
                {
                    return Some(http(
                        400,
                        "",
                        "{\"error\":\"a statement of the batch was rejected\"}",
                    ));
                }
            }
            Strict::Duplicates { status, name_ids } => {
                let Some(addr) = addr else {
                    continue;
                };
                let Ok(Value::Array(batch)) = serde_json::from_slice::<Value>(&req.body) else {
                    continue;
                };
                let ids: Vec<String> = batch
                    .iter()
                    .filter_map(|st| st["id"].as_str().map(str::to_ascii_lowercase))
                    .collect();
                let found =
                    futures_util::future::join_all(ids.iter().map(|id| upstream_has(addr, id)))
                        .await;
                let stored: Vec<&String> = ids
                    .iter()
                    .zip(found)
                    .filter(|(_, f)| *f)
                    .map(|(id, _)| id)
                    .collect();
                if stored.is_empty() {
                    continue;
                }
                let body = if *name_ids {
                    let list: Vec<String> = stored.iter().map(|s| s.to_string()).collect();
                    format!(
                        "{{\"error\":\"duplicate key value violates unique constraint: statement id(s) {} already exist\"}}",
                        list.join(", ")
                    )
                } else {
                    "{\"error\":\"Conflict\"}".to_owned()
                };
                return Some(http(*status, "", &body));
            }
            Strict::MaxBody { .. } => {}
        }
    }
    None
}

/// Whether the real LRS holds this statement id (`GET ?statementId=` answers 200).
async fn upstream_has(addr: SocketAddr, id: &str) -> bool {
    let ask = async {
        let mut up = TcpStream::connect(addr).await?;
        let req = format!(
            "GET /statements?statementId={id} HTTP/1.1\r\nHost: {addr}\r\nX-Experience-API-Version: 2.0.0\r\nConnection: close\r\n\r\n"
        );
        up.write_all(req.as_bytes()).await?;
        let mut resp = Vec::new();
        up.read_to_end(&mut resp).await?;
        Ok::<_, std::io::Error>(resp.starts_with(b"HTTP/1.1 200"))
    };
    ask.await.unwrap_or(false)
}

async fn forward(addr: SocketAddr, req: &Request) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(addr).await?;
    let head = String::from_utf8_lossy(&req.head);
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if line.is_empty() {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("connection:") || lower.starts_with("keep-alive:")) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    up.write_all(out.as_bytes()).await?;
    up.write_all(&req.body).await?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await?;
    Ok(resp)
}

fn http(status: u16, extra: &str, body: &str) -> Vec<u8> {
    let ct = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nX-Experience-API-Version: 2.0.0\r\nX-Experience-API-Consistent-Through: {ct}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The in-memory stand-in (see the module docs).
fn memory_answer(state: &Mutex<State>, req: &Request, conflict_409: bool) -> Vec<u8> {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let path = req.target.split('?').next().unwrap_or("");
    if path != "/statements" {
        return http(404, "", "{}");
    }
    if req.method == "GET" {
        let id = req
            .target
            .split_once("statementId=")
            .map(|(_, v)| v.split('&').next().unwrap_or("").to_ascii_lowercase())
            .unwrap_or_default();
        return match s.memory.get(&id) {
            Some(v) => http(200, "", &v.to_string()),
            None => http(404, "", "{\"error\":\"not found\"}"),
        };
    }
    if req.method == "PUT" {
        // One statement under `?statementId=` (the one-PUT-per-statement baseline).
        let id = req
            .target
            .split_once("statementId=")
            .map(|(_, v)| v.split('&').next().unwrap_or("").to_ascii_lowercase())
            .unwrap_or_default();
        let Ok(st @ Value::Object(_)) = serde_json::from_slice::<Value>(&req.body) else {
            return http(400, "", "{\"error\":\"not a JSON object\"}");
        };
        if !s.memory.contains_key(&id) {
            s.memory_order.push(id.clone());
            s.memory.insert(id, st);
        }
        return http(204, "", "");
    }
    let Ok(Value::Array(batch)) = serde_json::from_slice::<Value>(&req.body) else {
        return http(400, "", "{\"error\":\"not a JSON array\"}");
    };
    let mut new = vec![];
    let mut dup = false;
    for st in &batch {
        let id = st["id"].as_str().unwrap_or("").to_ascii_lowercase();
        if st["verb"]["id"]
            .as_str()
            .unwrap_or("")
            .contains("reject-me")
        {
            return http(
                400,
                "",
                &format!("{{\"error\":\"statement {id} rejected\"}}"),
            );
        }
        if s.memory.contains_key(&id) {
            dup = true;
        } else {
            new.push((id, st.clone()));
        }
    }
    if dup && conflict_409 {
        return http(409, "", "{\"error\":\"id already stored\"}");
    }
    let ids: Vec<String> = new.iter().map(|(id, _)| id.clone()).collect();
    for (id, st) in new {
        s.memory_order.push(id.clone());
        s.memory.insert(id, st);
    }
    if ids.is_empty() {
        return http(204, "", "");
    }
    http(200, "", &serde_json::to_string(&ids).unwrap_or_default())
}
