//! Corrupt and foreign database files: truncated, random bytes in the middle, a newer schema, a
//! lost WAL, a zero-length file, a foreign file, a damaged header, the wrong key. Each is opened
//! and used (every card read, the xAPI queue, a search): each step either works or fails with a
//! typed error (`Corrupt`, `NotADatabase`, `WrongKey`, `SchemaTooNew`), never a panic, and a
//! file that had data never opens as an empty database. Where the file is damaged,
//! `Microlearn::recover` keeps it aside and salvages the queued xAPI statements it can read.
//!
//! Figures: with `MICROLEARN_FAULTS_OUT` set, writes `corrupt.json` there (`corrupt_cases`,
//! `panics`, `silently_emptied`, `salvaged_statements`) for `tests/faults/run`.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::Path,
};

use microlearn_core::{
    Error, Microlearn,
    content::Card,
    microlearn::DATABASE_FILE,
    search::SearchOptions,
    store::{DatabaseKey, StoreError},
};

const CARDS: usize = 1500;
const STATEMENTS: u64 = 200;

fn key(b: u8) -> DatabaseKey {
    DatabaseKey::from_bytes(&[b; 32]).expect("key")
}

fn statement(i: u64) -> String {
    serde_json::json!({
        "actor": {"mbox": "mailto:learner@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": format!("https://microlearn.example/cards/{i}")},
        "timestamp": "2026-01-01T00:00:00.000Z"
    })
    .to_string()
}

/// A data directory with queued statements (written first, so they sit in the first pages) and
/// a catalog; closed, so everything is checkpointed into the main file.
fn populated(key: Option<&DatabaseKey>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open_with_key(dir.path(), key).expect("open");
    for i in 0..STATEMENTS {
        core.enqueue_statement(&statement(i)).expect("enqueue");
    }
    let cards: Vec<Card> = (0..CARDS)
        .map(|i| {
            let mut c = Card::new(format!("card-{i:05}"), format!("Card number {i}"));
            c.body = "Lorem ipsum dolor sit amet, consectetur adipiscing. ".repeat(10);
            c
        })
        .collect();
    core.import_cards(&cards).expect("import");
    drop(core);
    dir
}

fn db(dir: &Path) -> std::path::PathBuf {
    dir.join(DATABASE_FILE)
}

/// The typed errors a damaged or foreign file may give.
fn typed(e: &Error) -> bool {
    e.is_corrupt()
        || matches!(
            e,
            Error::Store(
                StoreError::NotADatabase { .. }
                    | StoreError::WrongKey { .. }
                    | StoreError::SchemaTooNew { .. }
                    | StoreError::Corrupt { .. }
            )
        )
}

/// What using a damaged store gave.
#[derive(Debug, Default)]
struct Probe {
    opened: bool,
    cards_seen: usize,
    typed_errors: usize,
}

/// Opens and uses the store; panics (in the test) on an untyped error.
fn probe(dir: &Path, key: Option<&DatabaseKey>) -> Probe {
    let mut p = Probe::default();
    let core = match Microlearn::open_with_key(dir, key) {
        Ok(c) => c,
        Err(e) => {
            assert!(typed(&e), "untyped open error: {e:?}");
            p.typed_errors += 1;
            return p;
        }
    };
    p.opened = true;
    let mut check = |r: Result<(), Error>| {
        if let Err(e) = r {
            assert!(typed(&e), "untyped error: {e:?}");
            p.typed_errors += 1;
        }
    };
    let mut seen = 0;
    for i in 0..CARDS {
        check(core.card(&format!("card-{i:05}")).map(|_| seen += 1));
    }
    check(core.status().map(drop));
    check(core.xapi_status().map(drop));
    check(
        core.search("lorem ipsum", &SearchOptions::default())
            .map(drop),
    );
    check(core.enqueue_statement(&statement(99_999)).map(drop));
    p.cards_seen = seen;
    p
}

struct Tally {
    cases: u32,
    panics: u32,
    silently_emptied: u32,
    salvaged: u64,
    log: Vec<String>,
}

impl Tally {
    /// Runs one case, counting a panic instead of unwinding through the tally.
    fn case(&mut self, name: &str, f: impl FnOnce() -> (String, bool)) {
        self.cases += 1;
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok((what, emptied)) => {
                if emptied {
                    self.silently_emptied += 1;
                }
                self.log.push(format!("{name}: {what}"));
            }
            Err(_) => {
                self.panics += 1;
                self.log.push(format!("{name}: PANICKED"));
            }
        }
    }
}

/// After a damaging fault: the probe either found errors or all the data; never "opened fine,
/// no data".
fn judged(p: &Probe) -> (String, bool) {
    let emptied = p.opened && p.typed_errors == 0 && p.cards_seen < CARDS;
    let what = if !p.opened {
        "open failed typed".to_string()
    } else if p.typed_errors > 0 {
        format!(
            "opened; {} typed errors while reading, {} cards readable",
            p.typed_errors, p.cards_seen
        )
    } else {
        format!("opened, all {} cards readable", p.cards_seen)
    };
    (what, emptied)
}

fn recover_and_count(dir: &Path, key: Option<&DatabaseKey>) -> u64 {
    let (core, report) = Microlearn::recover(dir, key).expect("recover");
    assert!(report.kept_aside.is_some(), "the broken file is kept aside");
    let queued = core.xapi_status().expect("status").depth;
    core.enqueue_statement(&statement(123_456))
        .expect("the recovered store works");
    queued
}

#[test]
fn damaged_and_foreign_files_give_typed_errors_or_recover_never_panic() {
    let mut t = Tally {
        cases: 0,
        panics: 0,
        silently_emptied: 0,
        salvaged: 0,
        log: vec![],
    };

    t.case("truncated to 60%", || {
        let dir = populated(None);
        let len = std::fs::metadata(db(dir.path())).expect("len").len();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(db(dir.path()))
            .expect("open");
        f.set_len(len * 6 / 10).expect("truncate");
        drop(f);
        let p = probe(dir.path(), None);
        let r = judged(&p);
        assert!(p.typed_errors > 0, "a truncated file must be noticed");
        let n = recover_and_count(dir.path(), None);
        assert!(n >= STATEMENTS, "xAPI queue salvaged: {n}");
        (format!("{}; recover salvaged {n} statements", r.0), r.1)
    });
    let salvaged_after_truncation = t.log.len();
    let _ = salvaged_after_truncation;

    for (name, enc) in [
        ("random bytes mid-file", None),
        ("random bytes mid-file, encrypted", Some(key(1))),
    ] {
        t.case(name, || {
            let dir = populated(enc.as_ref());
            let bytes = std::fs::read(db(dir.path())).expect("read");
            let mut bytes = bytes;
            let mid = bytes.len() / 2;
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            for b in &mut bytes[mid..mid + 16 * 1024] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            std::fs::write(db(dir.path()), &bytes).expect("write");
            let p = probe(dir.path(), enc.as_ref());
            let r = judged(&p);
            let n = recover_and_count(dir.path(), enc.as_ref());
            (format!("{}; recover salvaged {n} statements", r.0), r.1)
        });
    }

    t.case("newer schema", || {
        let dir = populated(None);
        {
            let c = rusqlite::Connection::open(db(dir.path())).expect("raw");
            c.execute(
                "UPDATE schema_versions SET version = 999 WHERE module = 'xapi'",
                [],
            )
            .expect("bump");
        }
        let before = std::fs::read(db(dir.path())).expect("bytes");
        match Microlearn::open(dir.path()) {
            Err(Error::Store(StoreError::SchemaTooNew { found: 999, .. })) => {}
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
        assert!(
            std::fs::read(db(dir.path())).expect("bytes") == before,
            "file changed"
        );
        (
            "open failed typed SchemaTooNew, file unchanged".into(),
            false,
        )
    });

    t.case("missing WAL", || {
        // Committed rows sit in the WAL while the core is open; the WAL is then lost (a crash and
        // a backup tool that copied only the main file). The main file opens as of its last
        // checkpoint: everything checkpointed is there.
        let dir = populated(None);
        let copy = tempfile::tempdir().expect("copy");
        {
            let core = Microlearn::open(dir.path()).expect("open");
            core.import_cards(&[Card::new("late", "Only in the WAL")])
                .expect("late");
            std::fs::copy(db(dir.path()), db(copy.path())).expect("copy main file only");
        }
        let p = probe(copy.path(), None);
        assert!(p.opened && p.cards_seen == CARDS, "{p:?}");
        let core = Microlearn::open(copy.path()).expect("open");
        assert!(core.card("late").is_err(), "the lost WAL's row is gone");
        assert_eq!(core.xapi_status().expect("s").pending, STATEMENTS + 1);
        (
            "opened as of the last checkpoint, all checkpointed rows there".into(),
            false,
        )
    });

    t.case("zero-length file", || {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(db(dir.path()), b"").expect("empty");
        let core = Microlearn::open(dir.path()).expect("an empty file is an empty database");
        assert_eq!(core.status().expect("s").cards, 0);
        core.enqueue_statement(&statement(1)).expect("usable");
        (
            "opened as a new empty database (there was no data to lose)".into(),
            false,
        )
    });

    t.case("foreign file", || {
        let dir = tempfile::tempdir().expect("tempdir");
        let png = b"\x89PNG\r\n\x1a\n"
            .iter()
            .copied()
            .cycle()
            .take(8192)
            .collect::<Vec<_>>();
        std::fs::write(db(dir.path()), &png).expect("png");
        match Microlearn::open(dir.path()) {
            Err(Error::Store(StoreError::NotADatabase { .. })) => {}
            other => panic!("expected NotADatabase, got {other:?}"),
        }
        assert!(
            std::fs::read(db(dir.path())).expect("bytes") == png,
            "file changed"
        );
        (
            "open failed typed NotADatabase, file unchanged".into(),
            false,
        )
    });

    t.case("damaged header", || {
        let dir = populated(None);
        let mut bytes = std::fs::read(db(dir.path())).expect("read");
        bytes[..100].fill(0);
        std::fs::write(db(dir.path()), &bytes).expect("write");
        let p = probe(dir.path(), None);
        assert!(!p.opened);
        let n = recover_and_count(dir.path(), None);
        (
            format!("open failed typed; recover salvaged {n} statements"),
            false,
        )
    });

    t.case("wrong key", || {
        let dir = populated(Some(&key(1)));
        let before = std::fs::read(db(dir.path())).expect("bytes");
        match Microlearn::open_with_key(dir.path(), Some(&key(2))) {
            Err(Error::Store(StoreError::WrongKey { .. })) => {}
            other => panic!("expected WrongKey, got {other:?}"),
        }
        assert!(
            std::fs::read(db(dir.path())).expect("bytes") == before,
            "file changed"
        );
        let p = probe(dir.path(), Some(&key(1)));
        assert_eq!(p.cards_seen, CARDS);
        (
            "open failed typed WrongKey, file unchanged, right key opens all".into(),
            false,
        )
    });

    t.case("garbage shared-memory file", || {
        let dir = populated(None);
        std::fs::write(
            dir.path().join(format!("{DATABASE_FILE}-shm")),
            vec![0xEE; 32 * 1024],
        )
        .expect("shm");
        let p = probe(dir.path(), None);
        assert!(p.opened && p.cards_seen == CARDS, "{p:?}");
        (
            "opened; SQLite rebuilt the index file, all data there".into(),
            false,
        )
    });

    for l in &t.log {
        eprintln!("  {l}");
    }
    t.salvaged = t
        .log
        .iter()
        .filter_map(|l| l.split("salvaged ").nth(1))
        .filter_map(|s| s.split(' ').next()?.parse::<u64>().ok())
        .sum();
    eprintln!(
        "corrupt files: {} cases, panics {}, silently emptied {}",
        t.cases, t.panics, t.silently_emptied
    );
    if let Some(dir) = std::env::var_os("MICROLEARN_FAULTS_OUT") {
        let json = serde_json::json!({
            "corrupt_cases": t.cases,
            "panics": t.panics,
            "silently_emptied": t.silently_emptied,
            "salvaged_statements": t.salvaged,
            "cases": t.log,
        });
        std::fs::write(Path::new(&dir).join("corrupt.json"), json.to_string()).expect("out");
    }
    assert_eq!(t.panics, 0, "{:#?}", t.log);
    assert_eq!(t.silently_emptied, 0, "{:#?}", t.log);
}
