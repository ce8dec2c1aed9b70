//! A real Synapse for the network tests. `synapse()` returns the homeserver of this test binary:
//! the one named by `MICROLEARN_SYNAPSE_URL` + `MICROLEARN_SYNAPSE_SECRET` (the suite script's),
//! or one started here with `tests/lib/synapse-env.sh run` (free loopback port, SQLite in a temp
//! dir). The script stays in the foreground reading its stdin; when this process exits the pipe
//! closes and it stops the homeserver, so no server outlives the tests.
//!
//! Without the Synapse venv the tests skip, saying so, except with `CI=true`, where they fail:
//! CI must run them.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::Duration,
};

use microlearn_core::{
    Microlearn,
    xapi::{Credentials, StaticCredentials},
};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

/// A running homeserver.
pub struct Synapse {
    pub url: String,
    secret: String,
    _child: Option<Mutex<(Child, ChildStdin)>>,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn venv_exists() -> bool {
    let tools = std::env::var("MICROLEARN_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/microlearn-tools")
        });
    tools.join("synapse-venv/bin/python").exists()
}

static SYNAPSE: OnceLock<Option<Synapse>> = OnceLock::new();

/// The homeserver, or `None` (skip) when Synapse is not installed outside CI.
pub fn synapse() -> Option<&'static Synapse> {
    SYNAPSE
        .get_or_init(|| {
            if let (Ok(url), Ok(secret)) = (
                std::env::var("MICROLEARN_SYNAPSE_URL"),
                std::env::var("MICROLEARN_SYNAPSE_SECRET"),
            ) {
                return Some(Synapse {
                    url,
                    secret,
                    _child: None,
                });
            }
            if !venv_exists() {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true but Synapse is not installed: run tests/setup.sh"
                );
                eprintln!("SKIP: Synapse venv not installed (tests/setup.d/40-synapse.sh)");
                return None;
            }
            Some(start())
        })
        .as_ref()
}

fn start() -> Synapse {
    let mut child = Command::new("bash")
        .arg(repo_root().join("tests/lib/synapse-env.sh"))
        .arg("run")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tests/lib/synapse-env.sh");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read synapse line");
    let mut url = None;
    let mut secret = None;
    for part in line.split_whitespace() {
        if let Some(u) = part.strip_prefix("SYNAPSE_URL=") {
            url = Some(u.to_owned());
        }
        if let Some(s) = part.strip_prefix("SYNAPSE_SECRET=") {
            secret = Some(s.to_owned());
        }
    }
    let stdin = child.stdin.take().expect("stdin");
    Synapse {
        url: url.unwrap_or_else(|| panic!("Synapse did not start: {line:?}")),
        secret: secret.expect("secret"),
        _child: Some(Mutex::new((child, stdin))),
    }
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha1::new().chain_update(&ipad).chain_update(msg).finalize();
    hex::encode(
        Sha1::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize(),
    )
}

/// A registered user.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub user_id: String,
    pub password: String,
    /// A token of a separate device (for admin calls and server-side checks).
    pub token: String,
}

static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Synapse {
    fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    }

    /// Registers a fresh user (unique name from `prefix`) through the shared-secret admin API.
    pub async fn register(&self, prefix: &str, admin: bool) -> User {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("{prefix}{}x{n}", std::process::id());
        let password = format!("pw-{name}");
        let http = self.http();
        let url = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: Value = http
            .get(&url)
            .send()
            .await
            .expect("nonce")
            .json()
            .await
            .expect("json");
        let nonce = nonce["nonce"].as_str().expect("nonce str").to_owned();
        let msg = format!(
            "{nonce}\0{name}\0{password}\0{}",
            if admin { "admin" } else { "notadmin" }
        );
        let mac = hmac_sha1(self.secret.as_bytes(), msg.as_bytes());
        let v: Value = http
            .post(&url)
            .json(&json!({"nonce": nonce, "username": name, "password": password, "admin": admin, "mac": mac}))
            .send()
            .await
            .expect("register")
            .json()
            .await
            .expect("register json");
        User {
            user_id: v["user_id"]
                .as_str()
                .unwrap_or_else(|| panic!("register: {v}"))
                .to_owned(),
            token: v["access_token"].as_str().expect("token").to_owned(),
            name,
            password,
        }
    }

    /// A raw client-server request with `token`.
    pub async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Every event of `room` (as `token` sees it), oldest first, paging back from now.
    pub async fn room_events(&self, token: &str, room: &str) -> Vec<Value> {
        let enc = |s: &str| {
            s.replace('!', "%21")
                .replace(':', "%3A")
                .replace('$', "%24")
        };
        let mut out = vec![];
        let mut from: Option<String> = None;
        loop {
            let mut path = format!(
                "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=1000",
                enc(room)
            );
            if let Some(f) = &from {
                path.push_str(&format!("&from={}", urlencode(f)));
            }
            let (status, v) = self.call(token, reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "messages: {v}");
            let chunk = v["chunk"].as_array().cloned().unwrap_or_default();
            if chunk.is_empty() {
                break;
            }
            out.extend(chunk);
            match v["end"].as_str() {
                Some(e) => from = Some(e.to_owned()),
                None => break,
            }
        }
        out.reverse();
        out
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A learner's device: its own data dir and core, signed in.
pub struct Device {
    pub dir: tempfile::TempDir,
    pub core: Microlearn,
    pub user: User,
    pub creds: StaticCredentials,
}

impl Device {
    /// The device's database file opened directly, to look at what the core stored.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(
            self.dir
                .path()
                .join(microlearn_core::microlearn::DATABASE_FILE),
        )
        .expect("open the device's database")
    }

    /// The one text value `sql` selects from the device's database.
    pub fn stored_text(&self, sql: &str, params: impl rusqlite::Params) -> String {
        self.db()
            .query_row(sql, params, |r| r.get::<_, String>(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn creds_for(token: &str) -> StaticCredentials {
        StaticCredentials(Some(Credentials::Bearer {
            token: token.to_owned(),
        }))
    }
}

/// Registers a user and signs a new device in with its password through the core.
pub async fn device(s: &Synapse, prefix: &str) -> Device {
    let user = s.register(prefix, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let session = core
        .network_login(&s.url, &user.name, &user.password)
        .await
        .expect("login");
    assert_eq!(session.user_id, user.user_id);
    Device {
        dir,
        core,
        creds: Device::creds_for(&session.access_token),
        user,
    }
}

/// Events of `room` carrying a given outbox id, counted per id.
pub fn outbox_ids(events: &[Value]) -> std::collections::HashMap<String, u32> {
    let mut m = std::collections::HashMap::new();
    for e in events {
        if let Some(id) = e["content"]["org.microlearn.outbox_id"].as_str() {
            *m.entry(id.to_owned()).or_insert(0) += 1;
        }
    }
    m
}
