//! Encryption tests on real SQLCipher files on disk.

use std::path::Path;

use super::*;
use crate::{Error, Microlearn, microlearn::DATABASE_FILE, store::Store};

/// A marker that must never appear in an encrypted file.
const SECRET_TITLE: &str = "Zebracorn refund procedure";
const SECRET_ACTOR: &str = "mailto:zebracorn.learner@example.com";

fn key(b: u8) -> DatabaseKey {
    DatabaseKey::from_bytes(&[b; KEY_LEN]).expect("key")
}

fn statement(i: u32) -> String {
    serde_json::json!({
        "actor": {"mbox": SECRET_ACTOR},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": format!("https://microlearn.example/cards/{i}")},
        "timestamp": "2026-01-01T00:00:00.000Z"
    })
    .to_string()
}

/// Fills a core with cards and queued statements; leaves the WAL un-checkpointed.
fn fill(core: &Microlearn, n: u32) {
    let jsonl: String = (0..n)
        .map(|i| format!("{{\"id\":\"c{i}\",\"title\":\"{SECRET_TITLE} {i}\"}}\n"))
        .collect();
    core.import_jsonl(jsonl.as_bytes()).expect("import");
    for i in 0..5 {
        core.enqueue_statement(&statement(i)).expect("enqueue");
    }
}

/// Occurrences of any marker in the database, its WAL and its shared-memory file.
pub(crate) fn plaintext_hits(dir: &Path, markers: &[&str]) -> usize {
    let mut hits = 0;
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("{DATABASE_FILE}{suffix}"));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        for m in markers {
            hits += bytes
                .windows(m.len())
                .filter(|w| *w == m.as_bytes())
                .count();
        }
    }
    hits
}

#[test]
fn this_build_has_sqlcipher() {
    assert!(encryption_available());
}

#[test]
fn encrypted_files_hold_no_plaintext_database_nor_wal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open_with_key(dir.path(), Some(&key(7))).expect("open");
    fill(&core, 50);
    // While open: the data sits in the WAL too.
    assert!(
        std::fs::metadata(dir.path().join(format!("{DATABASE_FILE}-wal")))
            .expect("wal")
            .len()
            > 0
    );
    // A reader connection (pool) must see it: the key reached the readers.
    assert_eq!(
        core.card("c3").expect("read").title,
        format!("{SECRET_TITLE} 3")
    );
    let markers = [SECRET_TITLE, SECRET_ACTOR, "SQLite format 3"];
    let open_hits = plaintext_hits(dir.path(), &markers);
    drop(core);
    let closed_hits = plaintext_hits(dir.path(), &markers);
    if let Some(out) = std::env::var_os("MICROLEARN_FAULTS_OUT") {
        let json = serde_json::json!({"plaintext_hits": open_hits + closed_hits});
        std::fs::write(Path::new(&out).join("plaintext.json"), json.to_string()).expect("out");
    }
    assert_eq!(open_hits, 0, "plaintext in the open store's files");
    assert_eq!(closed_hits, 0, "plaintext in the closed store's files");
    // The same data in a plain store is found by the same grep (the grep works).
    let plain = tempfile::tempdir().expect("tempdir");
    fill(&Microlearn::open(plain.path()).expect("plain"), 50);
    assert!(plaintext_hits(plain.path(), &[SECRET_TITLE]) > 0);
}

#[test]
fn wrong_or_missing_key_is_typed_and_overwrites_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    fill(
        &Microlearn::open_with_key(dir.path(), Some(&key(1))).expect("open"),
        10,
    );
    let db = dir.path().join(DATABASE_FILE);
    let before = std::fs::read(&db).expect("bytes");
    match Microlearn::open_with_key(dir.path(), Some(&key(2))) {
        Err(Error::Store(StoreError::WrongKey { .. })) => {}
        other => panic!("expected WrongKey, got {other:?}"),
    }
    match Microlearn::open(dir.path()) {
        Err(Error::Store(StoreError::NotADatabase { .. })) => {}
        other => panic!("expected NotADatabase, got {other:?}"),
    }
    assert!(std::fs::read(&db).expect("bytes") == before, "file changed");
    let core = Microlearn::open_with_key(dir.path(), Some(&key(1))).expect("right key");
    assert_eq!(core.status().expect("status").cards, 10);
    assert_eq!(core.xapi_status().expect("xapi").pending, 5);
}

#[test]
fn a_wrong_key_never_checkpoints_a_left_over_wal() {
    // A crash leaves a full WAL next to the database (copied here while the core is open).
    let dir = tempfile::tempdir().expect("tempdir");
    let crashed = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open_with_key(dir.path(), Some(&key(1))).expect("open");
    fill(&core, 30);
    for suffix in ["", "-wal"] {
        let name = format!("{DATABASE_FILE}{suffix}");
        std::fs::copy(dir.path().join(&name), crashed.path().join(&name)).expect("copy");
    }
    drop(core);
    let db = crashed.path().join(DATABASE_FILE);
    let wal = crashed.path().join(format!("{DATABASE_FILE}-wal"));
    let (before, wal_before) = (
        std::fs::read(&db).expect("db"),
        std::fs::read(&wal).expect("wal"),
    );
    assert!(!wal_before.is_empty());
    assert!(Microlearn::open_with_key(crashed.path(), Some(&key(2))).is_err());
    assert!(Microlearn::open(crashed.path()).is_err());
    assert_eq!(
        std::fs::read(&db).expect("db"),
        before,
        "database file changed"
    );
    assert!(
        std::fs::read(&wal).expect("wal") == wal_before,
        "WAL changed"
    );
    let core = Microlearn::open_with_key(crashed.path(), Some(&key(1))).expect("right key");
    assert_eq!(
        core.status().expect("status").cards,
        30,
        "the WAL's rows are there"
    );
}

#[test]
fn a_plain_database_given_a_key_is_not_encrypted_then_migrates_without_losing_a_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let core = Microlearn::open(dir.path()).expect("plain");
        fill(&core, 200);
        // Keep the WAL un-checkpointed on purpose: the migration must include it.
    }
    match Microlearn::open_with_key(dir.path(), Some(&key(3))) {
        Err(Error::Store(StoreError::NotEncrypted { .. })) => {}
        other => panic!("expected NotEncrypted, got {other:?}"),
    }
    let rows = Microlearn::change_key(dir.path(), None, Some(&key(3))).expect("migrate");
    assert!(rows >= 205, "{rows}");
    assert_eq!(plaintext_hits(dir.path(), &[SECRET_TITLE, SECRET_ACTOR]), 0);
    let core = Microlearn::open_with_key(dir.path(), Some(&key(3))).expect("encrypted");
    assert_eq!(core.status().expect("status").cards, 200);
    assert_eq!(core.xapi_status().expect("xapi").pending, 5);
    // The search index (FTS5 virtual table + shadow tables) came along.
    let hits = core
        .search("zebracorn", &crate::search::SearchOptions::default())
        .expect("search");
    assert!(!hits.hits.is_empty());
}

#[test]
fn rekey_rotates_and_decrypt_restores_plain() {
    let dir = tempfile::tempdir().expect("tempdir");
    fill(
        &Microlearn::open_with_key(dir.path(), Some(&key(4))).expect("open"),
        20,
    );
    // Wrong old key: typed, nothing changes.
    assert!(matches!(
        Microlearn::change_key(dir.path(), Some(&key(9)), Some(&key(5))),
        Err(Error::Store(StoreError::WrongKey { .. }))
    ));
    Microlearn::change_key(dir.path(), Some(&key(4)), Some(&key(5))).expect("rekey");
    assert!(matches!(
        Microlearn::open_with_key(dir.path(), Some(&key(4))),
        Err(Error::Store(StoreError::WrongKey { .. }))
    ));
    let core = Microlearn::open_with_key(dir.path(), Some(&key(5))).expect("new key");
    assert_eq!(core.status().expect("status").cards, 20);
    drop(core);
    Microlearn::change_key(dir.path(), Some(&key(5)), None).expect("decrypt");
    assert!(has_plain_header(&dir.path().join(DATABASE_FILE)));
    assert_eq!(
        Microlearn::open(dir.path())
            .expect("plain")
            .status()
            .expect("s")
            .cards,
        20
    );
}

#[test]
fn key_must_be_32_bytes_and_debug_hides_it() {
    assert!(matches!(
        DatabaseKey::from_bytes(&[1; 16]),
        Err(StoreError::InvalidKey { len: 16 })
    ));
    assert_eq!(format!("{:?}", key(0xab)), "DatabaseKey(***)");
}

#[test]
fn store_readers_open_with_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let store = Store::open_with_key(&path, Some(&key(8))).expect("open");
    assert!(store.is_encrypted());
    store
        .write(|tx| {
            tx.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES ('hello')")
                .map_err(StoreError::from)
        })
        .expect("write");
    let x: String = store
        .read(|c| {
            c.query_row("SELECT x FROM t", [], |r| r.get(0))
                .map_err(StoreError::from)
        })
        .expect("read");
    assert_eq!(x, "hello");
}
