//! Search correctness on the bundled sample catalog (real SQLite files, no timing assertions).

use microlearn_core::{
    Microlearn,
    content::{Card, CardFormat, MediaAsset},
    search::{SearchError, SearchOptions},
};

fn open_sample() -> (tempfile::TempDir, Microlearn) {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    let jsonl = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/sample/catalog.jsonl"))
        .expect("sample catalog");
    core.import_jsonl(jsonl.as_slice()).expect("import");
    (dir, core)
}

fn ids(core: &Microlearn, q: &str, opts: &SearchOptions) -> Vec<String> {
    core.search(q, opts)
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.card_id)
        .collect()
}

fn top(core: &Microlearn, q: &str, n: usize) -> Vec<String> {
    let mut v = ids(core, q, &SearchOptions::default());
    v.truncate(n);
    v
}

#[test]
fn typo_query_finds_card_in_top_three() {
    let (_d, core) = open_sample();
    let t = top(&core, "refund no reciept", 3);
    assert!(t.contains(&"refund-no-receipt".to_owned()), "{t:?}");
    let r = core
        .search("refund no reciept", &SearchOptions::default())
        .expect("search");
    assert_eq!(r.did_you_mean.as_deref(), Some("refund no receipt"));
    // Transposition in a short-ish word and a trailing typo while typing.
    let t = top(&core, "forklfit", 3);
    assert_eq!(
        t.first().map(String::as_str),
        Some("forklift-checks"),
        "{t:?}"
    );
    let t = top(&core, "evacuatoin", 3);
    assert_eq!(
        t.first().map(String::as_str),
        Some("fire-evacuation"),
        "{t:?}"
    );
}

#[test]
fn prefix_while_typing() {
    let (_d, core) = open_sample();
    let t = top(&core, "refu", 2);
    assert!(t.iter().all(|id| id.starts_with("refund")), "{t:?}");
    assert_eq!(t.len(), 2);
    let t = top(&core, "fork", 1);
    assert_eq!(t, ["forklift-checks"]);
    // One and two letters return something, fast path or not.
    assert!(!top(&core, "f", 10).is_empty());
    assert!(!top(&core, "sp", 10).is_empty());
    // A trailing space ends the word: "hand " is not a prefix of "handover" any more.
    let t = top(&core, "hand ", 10);
    assert!(t.contains(&"hand-hygiene".to_owned()), "{t:?}");
}

#[test]
fn exact_title_word_ranks_first_and_plurals_fold() {
    let (_d, core) = open_sample();
    assert_eq!(top(&core, "allergen", 1), ["allergen-info"]);
    assert_eq!(top(&core, "allergens questions ", 1), ["allergen-info"]);
    assert_eq!(top(&core, "spills", 1), ["spill-cleanup"]);
    // Missing word degrades instead of emptying.
    let t = top(&core, "cash drawer zebra ", 3);
    assert_eq!(t.first().map(String::as_str), Some("cash-drawer"), "{t:?}");
}

#[test]
fn accents_and_case_fold() {
    let (_d, core) = open_sample();
    let mut c = Card::new("fr-caisse", "Fermeture de la caisse enregistreuse");
    c.locale = "fr-FR".to_owned();
    c.body = "Compter les espèces, vérifier le fonds de caisse, clôturer la journée.".to_owned();
    core.import_cards(&[c]).expect("import");
    assert_eq!(top(&core, "VERIFIER", 1), ["fr-caisse"]);
    assert_eq!(top(&core, "clôturer ", 1), ["fr-caisse"]);
    assert_eq!(top(&core, "especes", 1), ["fr-caisse"]);
    assert_eq!(top(&core, "REFUND WITHOUT", 1), ["refund-no-receipt"]);
}

#[test]
fn filters() {
    let (_d, core) = open_sample();
    let video = SearchOptions {
        format: Some(CardFormat::Video),
        ..SearchOptions::default()
    };
    let t = ids(&core, "safety", &video);
    assert!(!t.is_empty());
    for id in &t {
        assert_eq!(core.card(id).expect("card").format, CardFormat::Video);
    }
    let short = SearchOptions {
        max_duration_seconds: Some(45),
        ..SearchOptions::default()
    };
    let t = ids(&core, "refund", &short);
    assert_eq!(t, ["refund-card-payment"]);
    let tag = SearchOptions {
        tag: Some("Warehouse".to_owned()),
        ..SearchOptions::default()
    };
    let t = ids(&core, "safety", &tag);
    assert!(t.contains(&"forklift-checks".to_owned()) && t.contains(&"manual-handling".to_owned()));
    assert!(!t.contains(&"fire-evacuation".to_owned()));

    let mut fr = Card::new("fr-secu", "Sécurité incendie");
    fr.locale = "fr-CH".to_owned();
    core.import_cards(&[fr]).expect("import");
    let fr_only = SearchOptions {
        locale: Some("fr".to_owned()),
        ..SearchOptions::default()
    };
    assert_eq!(ids(&core, "securite", &fr_only), ["fr-secu"]);
    let en_only = SearchOptions {
        locale: Some("en".to_owned()),
        ..SearchOptions::default()
    };
    assert!(ids(&core, "securite", &en_only).is_empty());
}

#[test]
fn downloaded_only() {
    let (_d, core) = open_sample();
    let sha = "ab".repeat(32);
    let mut c = Card::new("video-lift", "Lifting with a trolley");
    c.format = CardFormat::Video;
    c.media = vec![MediaAsset {
        url: "media/lift.mp4".to_owned(),
        mime_type: "video/mp4".to_owned(),
        bytes: 10,
        sha256: sha.clone(),
    }];
    core.import_cards(&[c]).expect("import");
    let dl = SearchOptions {
        downloaded_only: true,
        ..SearchOptions::default()
    };
    let t = ids(&core, "lifting", &dl);
    assert!(t.contains(&"manual-handling".to_owned()), "{t:?}");
    assert!(
        !t.contains(&"video-lift".to_owned()),
        "media not cached yet: {t:?}"
    );
    assert!(ids(&core, "lifting", &SearchOptions::default()).contains(&"video-lift".to_owned()));
    // The media cache records the file (as the downloader does once it is verified).
    core.store()
        .write(|tx| {
            tx.execute(
                "INSERT INTO media_files(sha256, bytes, last_used) VALUES (?1, 10, 0)",
                [&sha],
            )
            .map_err(microlearn_core::Error::from)
        })
        .expect("media row");
    let t = ids(&core, "lifting", &dl);
    assert!(t.contains(&"video-lift".to_owned()), "{t:?}");
}

#[test]
fn snippets_highlight_and_hit_fields() {
    let (_d, core) = open_sample();
    let r = core
        .search("reciept", &SearchOptions::default())
        .expect("search");
    let hit = r.hits.first().expect("hit");
    assert!(
        hit.snippet.contains("[receipt]") || hit.snippet.contains("[Receipt]"),
        "{hit:?}"
    );
    assert!(hit.score > 0.0);
    assert_eq!(hit.format, CardFormat::Text);
    assert!(hit.duration_seconds > 0);
    let custom = SearchOptions {
        highlight_start: "<b>".to_owned(),
        highlight_end: "</b>".to_owned(),
        ..SearchOptions::default()
    };
    let r = core.search("forklift", &custom).expect("search");
    assert!(r.hits[0].snippet.contains("<b>"), "{:?}", r.hits[0]);
}

#[test]
fn did_you_mean_when_nothing_matches() {
    let (_d, core) = open_sample();
    let r = core
        .search("qwertyuiop zxcv", &SearchOptions::default())
        .expect("search");
    assert!(r.hits.is_empty());
    assert_eq!(r.did_you_mean, None);
    let r = core
        .search("hygeine ", &SearchOptions::default())
        .expect("search");
    assert_eq!(r.did_you_mean.as_deref(), Some("hygiene"));
    assert_eq!(r.hits[0].card_id, "hand-hygiene");
}

#[test]
fn index_follows_updates_and_deletes() {
    let (_d, core) = open_sample();
    assert!(top(&core, "zeppelin", 5).is_empty());
    let mut c = Card::new("airship", "Zeppelin mooring");
    core.import_cards(&[c.clone()]).expect("import");
    assert_eq!(top(&core, "zeppelin", 5), ["airship"]);
    // The vocabulary follows too: a typo of the new word is corrected.
    assert_eq!(top(&core, "zepelin", 5), ["airship"]);
    c.title = "Balloon mooring".to_owned();
    c.revision = 2;
    core.import_cards(&[c]).expect("update");
    assert!(top(&core, "zeppelin", 5).is_empty());
    assert_eq!(top(&core, "balloon", 5), ["airship"]);
    core.store()
        .write(|tx| {
            microlearn_core::content::apply_changes(tx, &[], &["airship".to_owned()])
                .map_err(microlearn_core::Error::from)
        })
        .expect("delete");
    assert!(top(&core, "balloon", 5).is_empty());
}

#[test]
fn bad_options_are_typed_errors() {
    let (_d, core) = open_sample();
    let zero = SearchOptions {
        limit: 0,
        ..SearchOptions::default()
    };
    assert!(matches!(
        core.search("refund", &zero),
        Err(microlearn_core::Error::Search(SearchError::InvalidLimit(0)))
    ));
    let empty_tag = SearchOptions {
        tag: Some(" ".to_owned()),
        ..SearchOptions::default()
    };
    assert!(matches!(
        core.search("refund", &empty_tag),
        Err(microlearn_core::Error::Search(
            SearchError::InvalidFilter { .. }
        ))
    ));
    assert!(
        core.search("", &SearchOptions::default())
            .expect("empty")
            .hits
            .is_empty()
    );
}
