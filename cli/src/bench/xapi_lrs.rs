//! LRS helpers for the xAPI bench: reachability, the one-PUT-per-statement baseline, and reading
//! back what the LRS holds for a registration.

use std::collections::HashMap;

use serde_json::Value;

/// `GET about`: the LRS answers, or the bench stops with a clear error.
pub async fn check_reachable(client: &reqwest::Client, base: &str) -> Result<String, String> {
    let url = format!("{}/about", base.trim_end_matches('/'));
    let resp = client
        .get(&url)
        .header("X-Experience-API-Version", "2.0.0")
        .send()
        .await
        .map_err(|e| format!("LRS not reachable at {url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("LRS at {url} answered HTTP {}", resp.status()));
    }
    Ok(resp.text().await.unwrap_or_default())
}

/// Median time of `samples` TCP connects to `addr`, in ms: one round trip of the link (a
/// handshake lost to packet loss shows as an outlier, which the median ignores).
pub async fn connect_rtt_ms(addr: std::net::SocketAddr, samples: usize) -> Result<f64, String> {
    let mut t = vec![];
    for _ in 0..samples.max(1) {
        let start = std::time::Instant::now();
        let s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        t.push(start.elapsed().as_secs_f64() * 1000.0);
        drop(s);
    }
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

/// The 7taps way: one `PUT statements?statementId=` per statement, sequentially.
pub async fn put_one(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    body: &str,
) -> Result<(), String> {
    let resp = client
        .put(format!("{}/statements", base.trim_end_matches('/')))
        .query(&[("statementId", id)])
        .header("X-Experience-API-Version", "2.0.0")
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if resp.status().as_u16() != 204 {
        return Err(format!("PUT answered HTTP {}", resp.status()));
    }
    Ok(())
}

/// How many times the LRS holds each statement id of `registration` (following `more`).
pub async fn counts_for(
    client: &reqwest::Client,
    base: &str,
    registration: &str,
) -> Result<HashMap<String, u32>, String> {
    let after_scheme = base.find("://").map_or(0, |p| p + 3);
    let origin_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |p| p + after_scheme);
    let origin = &base[..origin_end];
    let mut url = format!(
        "{}/statements?registration={registration}&limit=500",
        base.trim_end_matches('/')
    );
    let mut counts = HashMap::new();
    loop {
        let page: Value = client
            .get(&url)
            .header("X-Experience-API-Version", "2.0.0")
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        for s in page["statements"].as_array().into_iter().flatten() {
            if let Some(id) = s["id"].as_str() {
                *counts.entry(id.to_ascii_lowercase()).or_insert(0) += 1;
            }
        }
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
    Ok(counts)
}

/// CPU time spent by the LRS (LaRS and its PostgreSQL), read from the cgroup the harness put
/// them in (`MICROLEARN_LRS_CPU_USAGE`: a cgroup v1 `cpuacct.usage` in nanoseconds or a cgroup v2
/// `cpu.stat`). It tells LRS work from waiting, whatever else the machine is doing.
pub struct LrsCpu(Option<std::path::PathBuf>);

impl LrsCpu {
    /// From the environment; reads `None` when unset or unreadable.
    pub fn from_env() -> Self {
        LrsCpu(std::env::var_os("MICROLEARN_LRS_CPU_USAGE").map(Into::into))
    }

    /// Cumulative CPU time in milliseconds.
    pub fn read(&self) -> Option<f64> {
        let text = std::fs::read_to_string(self.0.as_ref()?).ok()?;
        if let Some(line) = text.lines().find(|l| l.starts_with("usage_usec ")) {
            return line[11..].trim().parse::<f64>().ok().map(|us| us / 1e3);
        }
        text.trim().parse::<f64>().ok().map(|ns| ns / 1e6)
    }
}
