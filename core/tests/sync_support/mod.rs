//! Shared helpers for the sync tests: generated cards, published catalogs, real nginx.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use microlearn_core::content::{
    Card, MediaAsset,
    build::{BuildOptions, BuildReport, build_catalog},
    nginx::LocalNginx,
};

/// A card with a body big enough to make shards of a realistic size.
pub fn card(i: usize) -> Card {
    let mut c = Card::new(format!("card-{i:05}"), format!("Card number {i}"));
    c.summary = format!("Summary of card {i}");
    c.body = format!(
        "Body of card {i}. {}",
        "Lorem ipsum dolor sit amet. ".repeat(8)
    );
    c.tags = vec![format!("topic-{}", i % 7)];
    c
}

/// Writes `cards` as JSON Lines to `path`.
pub fn write_jsonl(path: &Path, cards: &[Card]) {
    let mut s = String::new();
    for c in cards {
        s.push_str(&serde_json::to_string(c).expect("json"));
        s.push('\n');
    }
    std::fs::write(path, s).expect("write jsonl");
}

/// A published catalog folder served by a real nginx.
pub struct Published {
    pub dir: tempfile::TempDir,
    pub nginx: LocalNginx,
}

impl Published {
    /// Publishes `cards` (small shards so there are several) and starts nginx on it.
    pub fn new(cards: &[Card]) -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let me_dir = dir.path().to_owned();
        build(&me_dir, cards, false);
        let nginx = LocalNginx::start(&me_dir.join("pub"))
            .expect("nginx must be installed (tests/setup.d/10-nginx.sh)");
        Published { dir, nginx }
    }

    /// The folder nginx serves.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("pub")
    }

    /// Republishes `cards` incrementally on the previous catalog.
    pub fn republish(&self, cards: &[Card]) -> BuildReport {
        build(self.dir.path(), cards, true)
    }

    /// The index URL.
    pub fn index_url(&self) -> String {
        self.nginx.url("index.json")
    }
}

fn build(dir: &Path, cards: &[Card], incremental: bool) -> BuildReport {
    let input = dir.join("cards.jsonl");
    write_jsonl(&input, cards);
    let out = dir.join("pub");
    let opts = BuildOptions {
        previous: incremental.then(|| out.clone()),
        shard_bytes: 16 * 1024,
        ..Default::default()
    };
    build_catalog(&input, &out, &opts).expect("build catalog")
}

/// A media asset for `bytes`, served at `url`.
pub fn media_asset(url: &str, bytes: &[u8], mime: &str) -> MediaAsset {
    use sha2::Digest;
    MediaAsset {
        url: url.into(),
        mime_type: mime.into(),
        bytes: bytes.len() as u64,
        sha256: hex::encode(sha2::Sha256::digest(bytes)),
    }
}

/// Deterministic pseudo-random bytes.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
