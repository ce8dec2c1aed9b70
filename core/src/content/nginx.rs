//! A real nginx on loopback, serving a folder the way a CDN would (ETag, Range, gzip), for the
//! sync tests and `microlearn bench sync`.
//!
//! *Why real nginx and not a Rust test server:* the catalog must work from any static host, so the
//! tests exercise a real one: its ETag/`If-None-Match`, its `Range` handling and its gzip encoding.
//! Each instance runs from its own temp prefix (config, pid, logs, temp paths) on a free port,
//! with `daemon off`, and is stopped when dropped. Not for production use.

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A running nginx serving one folder on `127.0.0.1`.
#[derive(Debug)]
pub struct LocalNginx {
    child: Child,
    port: u16,
    prefix: PathBuf,
}

/// The nginx binary: `$MICROLEARN_NGINX`, else `/usr/sbin/nginx`, else `nginx` on `PATH`.
pub fn nginx_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MICROLEARN_NGINX") {
        return PathBuf::from(p);
    }
    let debian = Path::new("/usr/sbin/nginx");
    if debian.exists() {
        return debian.to_owned();
    }
    PathBuf::from("nginx")
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

impl LocalNginx {
    /// Starts nginx serving `root`. Fails with a message if nginx is missing or does not come up.
    pub fn start(root: &Path) -> Result<Self, String> {
        let root = std::fs::canonicalize(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let mut last_err = String::new();
        for _ in 0..5 {
            match Self::try_start(&root) {
                Ok(n) => return Ok(n),
                Err(e) => last_err = e,
            }
        }
        Err(last_err)
    }

    fn try_start(root: &Path) -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let prefix =
            std::env::temp_dir().join(format!("microlearn-nginx-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(prefix.join("tmp")).map_err(|e| e.to_string())?;
        let p = prefix.display();
        let user = if running_as_root() { "user root;" } else { "" };
        let conf = format!(
            "{user}
worker_processes 1;
daemon off;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {p}/access.log;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    types {{
        application/json json;
        application/x-ndjson jsonl;
        video/mp4 mp4;
        audio/mpeg mp3;
        application/pdf pdf;
    }}
    default_type application/octet-stream;
    sendfile on;
    etag on;
    gzip on;
    gzip_comp_level 1;
    gzip_min_length 256;
    gzip_types application/json application/x-ndjson;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
",
            root = root.display()
        );
        let conf_path = prefix.join("nginx.conf");
        std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(&prefix)
            .arg("-e")
            .arg(prefix.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", nginx_binary().display()))?;
        let mut me = LocalNginx {
            child,
            port,
            prefix,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = me.child.try_wait() {
                let log = std::fs::read_to_string(me.prefix.join("error.log")).unwrap_or_default();
                return Err(format!("nginx exited with {status}: {log}"));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(me);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("nginx did not start listening within 10 s".into())
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// The access log so far (one line per request), to check what a client fetched.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("access.log")).unwrap_or_default()
    }
}

impl Drop for LocalNginx {
    fn drop(&mut self) {
        // SIGTERM via `nginx -s stop` makes the master stop its workers too; SIGKILL would not.
        let _ = Command::new(nginx_binary())
            .arg("-p")
            .arg(&self.prefix)
            .arg("-e")
            .arg(self.prefix.join("error.log"))
            .arg("-c")
            .arg(self.prefix.join("nginx.conf"))
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}
