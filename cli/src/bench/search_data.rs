//! Data of the search benchmark: tldr pages → cards, derived queries, real misspellings.
//!
//! Nobody here wrote this text or these queries: cards are the English tldr pages (one card per
//! example), queries are the example descriptions minus the command's own name and stop words,
//! and misspellings come from the `typos` project's dictionary (typo → correction, inverted to
//! correction → typos), chosen with a fixed seed.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    process::Command,
};

use microlearn_core::content::Card;

/// xorshift64: deterministic, good enough for sampling.
pub struct Rng(pub u64);

impl Rng {
    /// Next raw value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Finds the tldr archive: `explicit`, else `../shared/data/tldr-pages.tar.gz` from the current
/// directory, else `/work/shared/data/tldr-pages.tar.gz`.
pub fn find_archive(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return p
            .exists()
            .then(|| p.to_owned())
            .ok_or_else(|| format!("{} does not exist", p.display()));
    }
    for p in [
        PathBuf::from("../shared/data/tldr-pages.tar.gz"),
        PathBuf::from("/work/shared/data/tldr-pages.tar.gz"),
    ] {
        if p.exists() {
            return Ok(p);
        }
    }
    Err("tldr-pages.tar.gz not found (pass --tldr PATH)".to_owned())
}

/// One tldr example turned into a card, with the text its query is derived from.
pub struct Example {
    /// The card.
    pub card: Card,
    /// The example description (the query source).
    pub description: String,
    /// The command name (left out of the query).
    pub command: String,
}

fn id_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Unpacks the English `pages/` of `archive` into `dir` (with `tar`) and parses every example.
pub fn load_examples(archive: &Path, dir: &Path) -> Result<Vec<Example>, String> {
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(dir)
        .arg("pages")
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar failed on {}", archive.display()));
    }
    let mut files = vec![];
    let pages = dir.join("pages");
    for platform in std::fs::read_dir(&pages).map_err(|e| e.to_string())? {
        let platform = platform.map_err(|e| e.to_string())?.path();
        for f in std::fs::read_dir(&platform).map_err(|e| e.to_string())? {
            files.push(f.map_err(|e| e.to_string())?.path());
        }
    }
    files.sort();
    let mut out = vec![];
    for f in files {
        let platform = f
            .parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let mut name = String::new();
        let mut page_desc = String::new();
        let mut pending: Option<String> = None;
        let mut n = 0;
        for line in text.lines() {
            if let Some(t) = line.strip_prefix("# ") {
                name = t.trim().to_owned();
            } else if let Some(t) = line.strip_prefix("> ") {
                if !t.starts_with("More information") {
                    page_desc.push_str(t);
                    page_desc.push(' ');
                }
            } else if let Some(t) = line.strip_prefix("- ") {
                pending = Some(t.trim().trim_end_matches(':').to_owned());
            } else if line.starts_with('`')
                && let Some(desc) = pending.take()
            {
                n += 1;
                let cmd = line.trim_matches('`').to_owned();
                let mut card = Card::new(
                    format!("tldr-{}-{}-{n}", id_part(&platform), id_part(&name)),
                    desc.clone(),
                );
                card.body = format!("{cmd}\n{page_desc}");
                card.tags = vec![name.clone(), platform.clone()];
                card.summary = String::new();
                out.push(Example {
                    card,
                    description: desc,
                    command: name.clone(),
                });
            }
        }
    }
    // Ids must be unique (a few page names differ only in case or punctuation).
    let mut seen = HashSet::new();
    out.retain(|e| seen.insert(e.card.id.clone()) && e.card.id.len() <= 128);
    Ok(out)
}

const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "is",
    "are", "be", "it", "its", "as", "into", "this", "that", "these", "those", "my", "your", "i",
    "you", "we", "do", "does", "how", "what", "when", "where", "which", "who", "can", "if", "all",
    "any", "using", "use", "e", "g", "etc",
];

/// Lowercase words of letters and digits.
pub fn plain_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A query with the card it is about.
pub struct Query {
    /// Clean query text.
    pub text: String,
    /// The relevant card.
    pub card_id: String,
}

/// Queries derived from the examples: description words minus the command name and stop words,
/// at least two words; descriptions shared by several examples ("Display help") are skipped, since
/// they have no single right answer. `n` sampled with `rng`.
pub fn derive_queries(examples: &[Example], n: usize, rng: &mut Rng) -> Vec<Query> {
    let mut freq: HashMap<String, usize> = HashMap::new();
    for e in examples {
        *freq.entry(e.description.to_lowercase()).or_default() += 1;
    }
    let mut all = vec![];
    for e in examples {
        if freq.get(&e.description.to_lowercase()) != Some(&1) {
            continue;
        }
        let cmd: HashSet<String> = plain_words(&e.command).into_iter().collect();
        let words: Vec<String> = plain_words(&e.description)
            .into_iter()
            .filter(|w| !STOP.contains(&w.as_str()) && !cmd.contains(w))
            .collect();
        if words.len() >= 2 {
            all.push(Query {
                text: words.join(" "),
                card_id: e.card.id.clone(),
            });
        }
    }
    let mut out = vec![];
    while out.len() < n && !all.is_empty() {
        let i = rng.below(all.len());
        out.push(all.swap_remove(i));
    }
    out
}

/// correction → real misspellings, from the typos dictionary.
pub fn misspellings() -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for (typo, fixes) in typos_dict::WORD.map.entries() {
        let typo = typo.into_inner().to_lowercase();
        if !typo.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        for fix in fixes.iter() {
            m.entry(fix.to_lowercase()).or_default().push(typo.clone());
        }
    }
    for v in m.values_mut() {
        v.sort();
        v.dedup();
    }
    m
}

/// `q` with one word that has a known misspelling replaced by one of them (`None` if no word
/// has one).
pub fn misspell(q: &str, typos: &HashMap<String, Vec<String>>, rng: &mut Rng) -> Option<String> {
    let words: Vec<&str> = q.split(' ').collect();
    let eligible: Vec<usize> = (0..words.len())
        .filter(|&i| typos.contains_key(words[i]))
        .collect();
    if eligible.is_empty() {
        return None;
    }
    let i = eligible[rng.below(eligible.len())];
    let choices = &typos[words[i]];
    let typo = &choices[rng.below(choices.len())];
    let mut out: Vec<&str> = words.clone();
    out[i] = typo;
    Some(out.join(" "))
}

/// `q` with its last word cut to half its length (at least 3 letters), as if still typing.
pub fn as_prefix(q: &str) -> String {
    let mut words: Vec<String> = q.split(' ').map(str::to_owned).collect();
    if let Some(last) = words.last_mut() {
        let n = last.chars().count();
        let keep = n.div_ceil(2).max(3).min(n);
        *last = last.chars().take(keep).collect();
    }
    words.join(" ")
}
