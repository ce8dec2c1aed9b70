//! Hostile queries: FTS5 syntax, control characters, emoji, huge input. Every query must return
//! results or a typed error — never an SQLite syntax error, never a panic.

use microlearn_core::{Microlearn, search::SearchOptions};
use proptest::prelude::*;

fn open_sample() -> (tempfile::TempDir, Microlearn) {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let jsonl = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/sample/catalog.jsonl"))
        .expect("sample catalog");
    core.import_jsonl(jsonl.as_slice()).expect("import");
    (dir, core)
}

#[test]
fn fts5_syntax_is_inert() {
    let (_d, core) = open_sample();
    let opts = SearchOptions::default();
    for q in [
        "\"",
        "\"refund",
        "refund\"",
        "*",
        "refund*",
        "NEAR(refund receipt, 2)",
        "refund OR",
        "OR",
        "AND",
        "NOT",
        "refund NOT receipt",
        "-refund",
        "^refund",
        "title:refund",
        "title : refund",
        "(refund",
        "refund)",
        "{title tags}: refund",
        "😀",
        "refund 😀 receipt",
        "\u{0}\u{1}\u{7f}refund",
        "\u{202e}refund",
        "\u{fffd}",
        "   ",
        "",
        "'; DROP TABLE cards; --",
        "a\"b*c:d^e(f)g-h",
    ] {
        let r = core.search(q, &opts);
        assert!(r.is_ok(), "{q:?}: {r:?}");
    }
    // The operators are matched as plain words when the catalog has them.
    let r = core.search("refund receipt", &opts).expect("search");
    assert!(!r.hits.is_empty());
    assert_eq!(
        core.status().expect("status").cards,
        15,
        "nothing was dropped"
    );
}

#[test]
fn ten_kilobytes_of_text() {
    let (_d, core) = open_sample();
    let big = "refund receipt \"*^:() NEAR OR AND NOT -".repeat(300);
    assert!(big.len() > 10_000);
    let r = core
        .search(&big, &SearchOptions::default())
        .expect("search");
    assert!(!r.hits.is_empty());
    let one_word = "a".repeat(20_000);
    core.search(&one_word, &SearchOptions::default())
        .expect("search");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]
    #[test]
    fn never_a_syntax_error_or_panic(q in "\\PC{0,60}|[\"*^:()\\-+{} a-zA-Z]{0,40}|(NEAR|OR|AND|NOT|\"|\\*|refund|re|receipt| |:)*") {
        thread_local! {
            static CORE: (tempfile::TempDir, Microlearn) = open_sample();
        }
        CORE.with(|(_d, core)| {
            let r = core.search(&q, &SearchOptions::default());
            prop_assert!(r.is_ok(), "{:?}: {:?}", q, r);
            Ok(())
        })?;
    }
}
