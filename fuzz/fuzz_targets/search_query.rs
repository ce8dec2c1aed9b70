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
            "refund", "receipt", "refunds", "customer", "custom", "safety", "forklift", "allergen",
            "allergens", "cleaning", "clean", "register", "shift", "schedule", "a", "ab", "abc",
            "zebra", "café", "cafe", "straße", "strasse", "日本", "ñandú", "x", "xx", "xxx",
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
    for expr in [plan.expr(), plan.and_expr(), plan.or_expr()].into_iter().flatten() {
        // Every MATCH term is a double-quoted string: no FTS5 syntax from the learner.
        assert!(!expr.contains('\0'));
    }
    let _ = plan.highlight_terms();
    let _ = plan.did_you_mean();
    let _ = (plan.matchable(), plan.and_estimate(), plan.or_estimate());
});
