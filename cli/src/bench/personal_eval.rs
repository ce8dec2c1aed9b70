//! The offline evaluation half of `microlearn bench personal`: recall@10 and NDCG@10 of the
//! device's recommendations against a popularity baseline, on MovieLens 100k.
//!
//! The data set is the copy shipped inside the `recbole` PyPI wheel
//! (`recbole/dataset_example/ml-100k/ml-100k.inter`), installed by `tests/setup.d/40-ml100k.sh`
//! under the tools dir; nothing is downloaded at run time. Protocol: each user's ratings are split
//! at random (seeded, per user and item) into 80% train and 20% test. The train part is turned
//! into a peer-signals aggregate exactly as the L&D side would publish it
//! (`build_peer_signals`, same k-anonymity floor), imported into a real temp database with one
//! card per movie, and each user's recommendations come from the same code the phone runs
//! (`recommend_for_history`, the user's 50 most recent train items) against `popular_cards` on the
//! same database. A hit is any held-out movie in the top 10, whatever its rating.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
};

use microlearn_core::{
    Microlearn,
    content::Card,
    personal::{HistoryItem, signals},
};

/// Figures of one evaluation run.
pub struct EvalFigures {
    pub users: usize,
    pub ratings: usize,
    pub recall10: f64,
    pub ndcg10: f64,
    pub baseline_recall10: f64,
    pub baseline_ndcg10: f64,
}

/// Where the setup script puts the data set.
pub fn default_path() -> PathBuf {
    let tools = std::env::var_os("MICROLEARN_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/microlearn-tools")
        });
    tools.join("ml-100k")
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

struct Rating {
    item: u32,
    stars: u8,
    ts: u64,
}

/// Ratings per user, and (title, genres) per movie.
type Loaded = (
    HashMap<u32, Vec<Rating>>,
    HashMap<u32, (String, Vec<String>)>,
);

fn load(dir: &Path) -> Result<Loaded, String> {
    let inter = dir.join("ml-100k.inter");
    let text = std::fs::read_to_string(&inter).map_err(|e| {
        format!(
            "{}: {e} (run tests/setup.d/40-ml100k.sh, or pass --ml100k DIR)",
            inter.display()
        )
    })?;
    let mut users: HashMap<u32, Vec<Rating>> = HashMap::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let parse = || -> Option<(u32, Rating)> {
            Some((
                f.first()?.parse().ok()?,
                Rating {
                    item: f.get(1)?.parse().ok()?,
                    stars: f.get(2)?.parse::<f32>().ok()?.round().clamp(1.0, 5.0) as u8,
                    ts: f.get(3)?.parse::<f64>().ok()? as u64,
                },
            ))
        };
        let (u, r) =
            parse().ok_or_else(|| format!("{}:{}: bad line {line:?}", inter.display(), n + 1))?;
        users.entry(u).or_default().push(r);
    }
    let mut items = HashMap::new();
    if let Ok(text) = std::fs::read_to_string(dir.join("ml-100k.item")) {
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split('\t').collect();
            if let (Some(id), Some(title)) = (f.first().and_then(|s| s.parse().ok()), f.get(1)) {
                let genres = f
                    .get(3)
                    .map(|g| {
                        g.split(' ')
                            .filter(|g| !g.is_empty())
                            .map(|g| g.to_lowercase())
                            .collect()
                    })
                    .unwrap_or_default();
                items.insert(id, (title.to_string(), genres));
            }
        }
    }
    Ok((users, items))
}

fn card_id(item: u32) -> String {
    format!("ml-{item}")
}

fn dcg(ranked: &[String], relevant: &HashSet<String>) -> (usize, f64) {
    let mut hits = 0;
    let mut dcg = 0.0;
    for (i, c) in ranked.iter().take(10).enumerate() {
        if relevant.contains(c) {
            hits += 1;
            dcg += 1.0 / ((i + 2) as f64).log2();
        }
    }
    (hits, dcg)
}

/// Runs the evaluation in a temp database under `work`.
pub fn run(dataset: &Path, work: &Path) -> Result<EvalFigures, Box<dyn std::error::Error>> {
    let (users, items) = load(dataset)?;
    let mut train: Vec<(u32, Vec<&Rating>)> = vec![];
    let mut test: HashMap<u32, HashSet<String>> = HashMap::new();
    let mut all_items: HashSet<u32> = HashSet::new();
    let mut ratings = 0;
    let mut ids: Vec<&u32> = users.keys().collect();
    ids.sort();
    for u in ids {
        let mut tr = vec![];
        for r in &users[u] {
            ratings += 1;
            all_items.insert(r.item);
            if splitmix(u64::from(*u) << 32 | u64::from(r.item)).is_multiple_of(5) {
                test.entry(*u).or_default().insert(card_id(r.item));
            } else {
                tr.push(r);
            }
        }
        tr.sort_by_key(|r| r.ts);
        train.push((*u, tr));
    }
    let learners: Vec<Vec<(String, Option<u8>)>> = train
        .iter()
        .map(|(_, tr)| {
            tr.iter()
                .map(|r| (card_id(r.item), Some(r.stars)))
                .collect()
        })
        .collect();
    let sig =
        signals::build_peer_signals(learners.iter().map(Vec::as_slice), signals::MIN_PAIR_COUNT);
    let _ = std::fs::remove_dir_all(work);
    let core = Microlearn::open(work)?;
    let mut all: Vec<u32> = all_items.into_iter().collect();
    all.sort();
    let cards: Vec<Card> = all
        .iter()
        .map(|i| {
            let (title, tags) = items
                .get(i)
                .cloned()
                .unwrap_or_else(|| (format!("Movie {i}"), vec![]));
            let mut c = Card::new(
                card_id(*i),
                if title.trim().is_empty() {
                    format!("Movie {i}")
                } else {
                    title
                },
            );
            c.tags = tags;
            c
        })
        .collect();
    core.import_cards(&cards)?;
    core.apply_peer_signals(&sig)?;
    let (mut n, mut rec_r, mut rec_n, mut pop_r, mut pop_n) = (0usize, 0.0, 0.0, 0.0, 0.0);
    for (u, tr) in &train {
        let Some(rel) = test.get(u) else { continue };
        let hist: Vec<HistoryItem> = tr
            .iter()
            .map(|r| HistoryItem {
                card_id: card_id(r.item),
                stars: Some(r.stars),
            })
            .collect();
        let seen: Vec<String> = hist.iter().map(|h| h.card_id.clone()).collect();
        let ours: Vec<String> = core
            .recommend_for_history(&hist, 10)?
            .into_iter()
            .map(|r| r.card_id)
            .collect();
        let base: Vec<String> = core
            .popular_cards(&seen, 10)?
            .into_iter()
            .map(|r| r.card_id)
            .collect();
        let ideal: f64 = (0..rel.len().min(10))
            .map(|i| 1.0 / ((i + 2) as f64).log2())
            .sum();
        let (h, d) = dcg(&ours, rel);
        rec_r += h as f64 / rel.len() as f64;
        rec_n += d / ideal;
        let (h, d) = dcg(&base, rel);
        pop_r += h as f64 / rel.len() as f64;
        pop_n += d / ideal;
        n += 1;
    }
    let n_f = n.max(1) as f64;
    Ok(EvalFigures {
        users: n,
        ratings,
        recall10: rec_r / n_f,
        ndcg10: rec_n / n_f,
        baseline_recall10: pop_r / n_f,
        baseline_ndcg10: pop_n / n_f,
    })
}
