//! Durable single-enqueue latency without an LRS (the first phase of `bench xapi`, alone):
//! `cargo run -p microlearn-core --profile bench-fast --example enqueue_p99 -- DIR [N]`.
use std::time::Instant;

use microlearn_core::Microlearn;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: enqueue_p99 DIR [N]")?);
    let n: usize = args.next().map_or(Ok(5000), |s| s.parse())?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let core = Microlearn::open(&dir)?;
    let reg = uuid::Uuid::new_v4().to_string();
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let s = serde_json::json!({
            "actor": {"mbox": "mailto:learner@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": format!("https://microlearn.example/cards/{i}")},
            "context": {"registration": reg},
            "result": {"success": true, "response": "x".repeat(200)},
            "timestamp": "2026-01-01T00:00:00.000Z"
        })
        .to_string();
        let t = Instant::now();
        core.enqueue_statement(&s)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "enqueues {n}  p50_ms {:.3}  p99_ms {:.3}  p999_ms {:.3}  max_ms {:.3}",
        p(0.5),
        p(0.99),
        p(0.999),
        p(1.0)
    );
    Ok(())
}
