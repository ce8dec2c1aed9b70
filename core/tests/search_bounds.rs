//! Work per query is bounded whatever the catalog (real SQLite files, no timing assertions):
//! rows read from the index are counted by `search::rank::take_rows_read`.

use microlearn_core::{
    Microlearn,
    content::Card,
    search::{SearchOptions, rank},
};

/// Every card holds every word of a 33-word vocabulary (the catalog that once made one search
/// call run for minutes): every query matches every card.
fn pathological(n: usize) -> Vec<Card> {
    // The same 33 words as the pathological search test/bench (one file, both read it).
    let words: Vec<&str> = include_str!("data/pathological-words.txt")
        .lines()
        .collect();
    (0..n)
        .map(|i| {
            let mut c = Card::new(
                format!("p{i}"),
                format!(
                    "{} {}",
                    words[i % words.len()],
                    words[(i + 7) % words.len()]
                ),
            );
            let mut body: Vec<&str> = words.clone();
            body.rotate_left(i % 33);
            c.body = body.join(" ");
            c
        })
        .collect()
}

#[test]
fn rows_read_per_query_are_capped_when_every_card_matches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let n = 3 * rank::CAP;
    core.import_cards(&pathological(n)).expect("import");
    let bound = (rank::MAX_STATEMENTS * rank::CAP) as u64;
    let _ = rank::take_rows_read();
    for q in [
        "safety check forklift",
        "first aid kit label stock rotation cold chain delivery return policy mask",
        "fire evacuaton",
        "hygeine spill ",
        "c",
        "ch",
        "rec",
        "zebra unicorn",
    ] {
        for n in 1..=q.len() {
            let typed = &q[..n];
            let r = core
                .search(typed, &SearchOptions::default())
                .expect("search");
            let rows = rank::take_rows_read();
            assert!(rows <= bound, "{typed:?} read {rows} rows (bound {bound})");
            assert!(r.hits.len() <= 10);
        }
    }
    // The cap is what bounds it: a single broad word (not searched before, so not remembered)
    // matches all n cards, yet is read only up to the cap (plus the title tier).
    core.search("ladder ", &SearchOptions::default())
        .expect("search");
    let rows = rank::take_rows_read();
    assert!(rows < n as u64, "read {rows} of {n} matching rows");
}

#[test]
fn broad_query_keeps_the_card_whose_title_says_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    // Many cards mention the word in the body only, in index order before the one that is about
    // it; the cap reads only the first of them.
    let mut cards: Vec<Card> = (0..2 * rank::CAP)
        .map(|i| {
            let mut c = Card::new(format!("body-{i}"), format!("Shift handover note {i}"));
            c.body = "Remember the ladder inspection log before closing.".to_owned();
            c
        })
        .collect();
    let mut about = Card::new("ladder-safety", "Ladder inspection");
    about.body = "Check feet, rungs and locks before climbing.".to_owned();
    cards.push(about);
    core.import_cards(&cards).expect("import");
    for q in ["ladder", "ladder inspection", "ladder inspection "] {
        let r = core.search(q, &SearchOptions::default()).expect("search");
        assert_eq!(
            r.hits.first().map(|h| h.card_id.as_str()),
            Some("ladder-safety"),
            "{q:?}"
        );
    }
}

#[test]
fn remembered_statements_follow_catalog_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let mut a = Card::new("a", "Ladder inspection");
    a.body = "Check the rungs.".to_owned();
    core.import_cards(&[a]).expect("import");
    let ids = |q: &str| -> Vec<String> {
        core.search(q, &SearchOptions::default())
            .expect("search")
            .hits
            .into_iter()
            .map(|h| h.card_id)
            .collect()
    };
    assert_eq!(ids("ladder insp"), ["a"]);
    let mut b = Card::new("b", "Ladder inspection checklist");
    b.body = "Rungs, feet, locks.".to_owned();
    core.import_cards(&[b]).expect("import");
    let mut got = ids("ladder insp");
    got.sort();
    assert_eq!(got, ["a", "b"]);
    core.store()
        .write(|tx| -> microlearn_core::Result<()> {
            Ok(microlearn_core::content::apply_changes(
                tx,
                &[],
                &["a".to_owned()],
            )?)
        })
        .expect("delete");
    assert_eq!(ids("ladder insp"), ["b"]);
}
