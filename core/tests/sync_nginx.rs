//! Catalog sync against a real nginx on loopback (ETag, gzip, Range), serving catalogs built by
//! `catalog build`.

mod sync_support;

use microlearn_core::{
    Error, Microlearn,
    content::{ContentError, http::NetOptions},
};
use sync_support::{Published, card};

#[tokio::test]
async fn full_sync_then_304_then_delta_then_compaction() {
    let mut cards: Vec<_> = (0..300).map(card).collect();
    let publ = Published::new(&cards);
    let data = tempfile::tempdir().expect("tmp");
    let core = Microlearn::open(data.path()).expect("open");
    let opts = NetOptions::default();

    // Full sync.
    let full = core
        .sync_catalog(&publ.index_url(), &opts)
        .await
        .expect("full sync");
    assert_eq!(full.mode, "full");
    assert_eq!(full.cards_added, 300);
    assert_eq!(full.cards_total, 300);
    assert!(full.shards_fetched > 3, "several shards: {full:?}");
    assert_eq!(
        core.card("card-00042").expect("card").title,
        "Card number 42"
    );
    // nginx gzipped the shards on the wire; the hash is of the decoded bytes.
    let log = publ.nginx.access_log();
    let shard_line = log
        .lines()
        .find(|l| l.contains("/shards/"))
        .expect("shard request logged");
    let sent: u64 = shard_line
        .split("\" 200 ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("body bytes in log");
    assert!(sent < 16 * 1024 / 2, "shard was not gzipped: {shard_line}");

    // Nothing changed: the ETag gets a 304.
    let again = core
        .sync_catalog(&publ.index_url(), &opts)
        .await
        .expect("resync");
    assert!(again.not_modified, "{again:?}");
    assert_eq!(again.bytes_fetched, 0);

    // 1% changed, one removed, one added: only the delta shard is fetched.
    cards[7].title = "Changed title".into();
    cards[8].revision = 2;
    cards[9].body.push_str(" More.");
    cards.remove(100);
    cards.push(card(999));
    let built = publ.republish(&cards);
    assert_eq!(built.mode, "delta");
    let log_before = publ.nginx.access_log().lines().count();
    let delta = core
        .sync_catalog(&publ.index_url(), &opts)
        .await
        .expect("delta sync");
    assert_eq!(delta.mode, "incremental");
    assert_eq!(delta.shards_fetched, 1);
    assert_eq!(
        (delta.cards_added, delta.cards_updated, delta.cards_deleted),
        (1, 3, 1)
    );
    assert!(
        delta.bytes_fetched * 10 < full.bytes_fetched,
        "delta {} vs full {}",
        delta.bytes_fetched,
        full.bytes_fetched
    );
    let requests: Vec<String> = publ
        .nginx
        .access_log()
        .lines()
        .skip(log_before)
        .map(str::to_owned)
        .collect();
    assert_eq!(requests.len(), 2, "index + one shard: {requests:?}");
    assert_eq!(
        core.card("card-00007").expect("card").title,
        "Changed title"
    );
    assert!(matches!(core.card("card-00100"), Err(Error::NotFound(_))));
    assert!(core.card("card-00999").is_ok());
    assert_eq!(delta.cards_total, 300);

    // A big change makes the publisher compact; the client rebuilds and deletes what is gone.
    cards.truncate(150);
    for c in cards.iter_mut().take(100) {
        c.revision += 1;
    }
    assert_eq!(publ.republish(&cards).mode, "compacted");
    let rebuilt = core
        .sync_catalog(&publ.index_url(), &opts)
        .await
        .expect("rebuild");
    assert_eq!(rebuilt.mode, "full");
    assert_eq!(rebuilt.cards_total, 150);
    assert_eq!(rebuilt.cards_deleted, 150);
    assert_eq!(rebuilt.cards_updated, 100);
    assert!(matches!(core.card("card-00999"), Err(Error::NotFound(_))));

    // Offline mode: no network at all.
    core.set_network_policy(microlearn_core::content::media::NetworkPolicy::Never)
        .expect("policy");
    let err = core
        .sync_catalog(&publ.index_url(), &opts)
        .await
        .expect_err("never");
    assert!(
        matches!(err, Error::Content(ContentError::NetworkPolicy(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_format_version_and_missing_index_are_typed_errors() {
    let cards: Vec<_> = (0..20).map(card).collect();
    let publ = Published::new(&cards);
    let data = tempfile::tempdir().expect("tmp");
    let core = Microlearn::open(data.path()).expect("open");
    let opts = NetOptions::default();
    core.sync_catalog(&publ.index_url(), &opts)
        .await
        .expect("sync");

    let idx = std::fs::read_to_string(publ.root().join("index.json")).expect("index");
    std::fs::write(
        publ.root().join("v9.json"),
        idx.replace("\"format_version\": 1", "\"format_version\": 9"),
    )
    .expect("write");
    let err = core
        .sync_catalog(&publ.nginx.url("v9.json"), &opts)
        .await
        .expect_err("v9");
    assert!(
        matches!(
            err,
            Error::Content(ContentError::UnsupportedFormatVersion { found: 9, .. })
        ),
        "{err:?}"
    );
    let err = core
        .sync_catalog(&publ.nginx.url("nope.json"), &opts)
        .await
        .expect_err("404");
    assert!(
        matches!(err, Error::Content(ContentError::Http { status: 404, .. })),
        "{err:?}"
    );
    assert_eq!(core.status().expect("status").cards, 20);
}
