//! The search query planner: any text a learner types (folding, stemming, typo expansion over a
//! vocabulary, the FTS5 expressions). Only quoted vocabulary terms may reach MATCH.
#![no_main]
use std::{collections::HashMap, sync::OnceLock};

use libfuzzer_sys::fuzz_target;
use microlearn_core::search::{normalize, query, vocab::Vocab};

fn vocab() -> &'static Vocab {
    static V: OnceLock<Vocab> = OnceLock::new();
    V.get_or_init(|| {
        let words = [
            "refund",
            "receipt",
            "refunds",
            "customer",
            "custom",
            "safety",
            "forklift",
            "allergen",
            "allergens",
            "cleaning",
            "clean",
            "register",
            "shift",
            "schedule",
            "a",
            "ab",
            "abc",
            "zebra",
            "café",
            "cafe",
            "straße",
            "strasse",
            "日本",
            "ñandú",
            "x",
            "xx",
            "xxx",
        ];
        let counts: HashMap<String, u64> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (normalize::fold(w), 1 + i as u64 * 7))
            .collect();
        Vocab::from_counts(1, counts)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let words = normalize::query_words(text);
    let plan = query::plan(&words, vocab());
    // Every MATCH term is one double-quoted FTS5 string (optionally a prefix `*`): no FTS5
    // syntax from the learner reaches MATCH.
    for g in &plan.groups {
        for t in &g.terms {
            let body = t.strip_suffix('*').unwrap_or(t);
            assert!(
                body.len() >= 2 && body.starts_with('"') && body.ends_with('"'),
                "{t:?}"
            );
            let inner = &body[1..body.len() - 1];
            assert!(
                !inner.replace("\"\"", "").contains('"'),
                "unescaped quote in {t:?}"
            );
        }
    }
    let _ = (plan.and_expr(), plan.or_expr());
    let _ = plan.highlight_terms();
    let _ = plan.did_you_mean();
    let _ = (plan.matchable(), plan.and_estimate(), plan.or_estimate());
});
