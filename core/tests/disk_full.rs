//! A really full disk: the data directory lives on a small tmpfs this test mounts itself (root
//! only; skipped loudly otherwise). Each operation runs with the filesystem filled to the last
//! byte: it must complete or fail with a typed storage-full error (`Error::is_storage_full`),
//! never panic, never lose what was committed before; after the filler is deleted the same
//! operation works again, without any repair step.
//!
//! Figures: with `MICROLEARN_FAULTS_OUT` set, writes `disk_full.json` there
//! (`disk_full_cases`, `storage_full_errors`, `lost`, `panics`) for `tests/faults/run`.

mod sync_support;

use std::{
    collections::BTreeSet,
    io::Write,
    panic::{AssertUnwindSafe, catch_unwind},
    path::{Path, PathBuf},
    process::Command,
};

use chrono::{TimeZone, Utc};
use microlearn_core::{
    Error, Microlearn,
    content::{Card, http::NetOptions},
    nudge::NudgePrefs,
    store::{DatabaseKey, StoreError},
};
use sync_support::{Published, card, media_asset, noise};

/// A tmpfs mounted for the test; unmounted when dropped (also when the test panics).
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    fn mount(size: &str) -> Option<Self> {
        // tests/faults/run names a base it unmounts on exit, should this process be killed.
        let dir = match std::env::var_os("MICROLEARN_FAULTS_MNT_BASE") {
            Some(base) => tempfile::tempdir_in(base),
            None => tempfile::tempdir(),
        }
        .expect("tempdir");
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Fills the filesystem of `dir` to the last byte with one file; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0xAA; 64 * 1024];
    loop {
        if f.write_all(&chunk).is_err() {
            break;
        }
    }
    // Then byte by byte, so not even a small page fits.
    while f.write_all(&[0]).is_ok() {}
    let _ = f.sync_all();
    path
}

/// What the learner has committed so far; must all still be there after every fault.
#[derive(Default)]
struct Committed {
    cards: BTreeSet<String>,
    statements: BTreeSet<String>,
    reviews: u64,
}

struct Run {
    rt: tokio::runtime::Runtime,
    cases: u32,
    full_errors: u32,
    lost: u64,
    panics: u32,
    log: Vec<String>,
}

enum Outcome {
    Done,
    Full,
}

impl Run {
    /// Runs `op` on a full disk, then again after freeing space (where it must succeed).
    fn case(
        &mut self,
        name: &str,
        fs: &Path,
        mut op: impl FnMut(&tokio::runtime::Runtime) -> Result<(), Error>,
    ) {
        self.cases += 1;
        let filler = fill(fs);
        let full = self.attempt(name, "full", &mut op);
        std::fs::remove_file(&filler).expect("free space");
        let freed = self.attempt(name, "freed", &mut op);
        if matches!(full, Some(Outcome::Full)) {
            self.full_errors += 1;
        }
        assert!(
            matches!(freed, Some(Outcome::Done)),
            "{name}: must work again once space is freed"
        );
        self.log.push(format!(
            "{name}: on a full disk {}",
            match full {
                Some(Outcome::Done) => "completed",
                Some(Outcome::Full) => "failed typed StorageFull",
                None => "PANICKED",
            }
        ));
    }

    fn attempt(
        &mut self,
        name: &str,
        phase: &str,
        op: &mut impl FnMut(&tokio::runtime::Runtime) -> Result<(), Error>,
    ) -> Option<Outcome> {
        let rt = &self.rt;
        match catch_unwind(AssertUnwindSafe(|| op(rt))) {
            Ok(Ok(())) => Some(Outcome::Done),
            Ok(Err(e)) if e.is_storage_full() => Some(Outcome::Full),
            Ok(Err(e)) => panic!("{name} ({phase}): untyped error on a full disk: {e:?}"),
            Err(_) => {
                self.panics += 1;
                None
            }
        }
    }

    /// Counts committed rows that are missing.
    fn check(&mut self, core: &Microlearn, c: &Committed) {
        for id in &c.cards {
            if core.card(id).is_err() {
                self.lost += 1;
            }
        }
        let queued: BTreeSet<String> = core
            .store()
            .read(|conn| {
                let mut s = conn.prepare("SELECT id FROM xapi_queue")?;
                let v = s.query_map([], |r| r.get::<_, String>(0))?;
                v.collect::<Result<_, _>>().map_err(Error::from)
            })
            .expect("queue");
        self.lost += c.statements.difference(&queued).count() as u64;
        let reviews: i64 = core
            .store()
            .read(|conn| {
                conn.query_row("SELECT count(*) FROM quiz_reviews", [], |r| r.get(0))
                    .map_err(Error::from)
            })
            .expect("reviews");
        self.lost += c.reviews.saturating_sub(reviews as u64);
    }
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

fn quiz_card(i: usize) -> Card {
    serde_json::from_value(serde_json::json!({
        "id": format!("quiz-{i:04}"),
        "title": format!("Quiz card {i}"),
        "format": "quiz",
        "topics": ["till"],
        "questions": [{
            "id": format!("q-{i:04}"),
            "stem": format!("Which option is right for situation {i}?"),
            "choices": ["Wrong", "Right", "Also wrong"],
            "correct": [1]
        }]
    }))
    .expect("quiz card")
}

fn write_out(run: &Run) {
    if let Some(dir) = std::env::var_os("MICROLEARN_FAULTS_OUT") {
        let json = serde_json::json!({
            "disk_full_cases": run.cases,
            "storage_full_errors": run.full_errors,
            "lost": run.lost,
            "panics": run.panics,
            "cases": run.log,
        });
        std::fs::write(Path::new(&dir).join("disk_full.json"), json.to_string()).expect("out");
    }
}

#[test]
fn every_operation_on_a_full_disk_completes_or_fails_typed_and_loses_nothing() {
    if !is_root() {
        eprintln!("SKIPPED disk_full: mounting a tmpfs needs root");
        return;
    }
    let Some(fs) = SmallFs::mount("12m") else {
        eprintln!("SKIPPED disk_full: mount -t tmpfs failed");
        return;
    };
    let data = fs.path().join("data");
    let mut run = Run {
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
        cases: 0,
        full_errors: 0,
        lost: 0,
        panics: 0,
        log: vec![],
    };

    // A published catalog (off the small filesystem) with one 1 MiB video and quiz cards.
    let video = noise(1024 * 1024, 9);
    let mut cards: Vec<Card> = (0..300).map(card).collect();
    cards[0]
        .media
        .push(media_asset("media/intro.mp4", &video, "video/mp4"));
    cards.extend((0..20).map(quiz_card));
    let publ = Published::new(&cards);
    std::fs::create_dir_all(publ.root().join("media")).expect("mkdir");
    std::fs::write(publ.root().join("media/intro.mp4"), &video).expect("video");
    let video_sha = cards[0].media[0].sha256.clone();

    let core = Microlearn::open(&data).expect("open");
    let mut committed = Committed::default();
    let net = NetOptions::default();
    // The previous catalog, committed before the disk fills.
    run.rt
        .block_on(core.sync_catalog(&publ.index_url(), &net))
        .expect("first sync");
    committed.cards.extend(cards.iter().map(|c| c.id.clone()));

    // 1. Catalog sync of a new revision (more shards to apply).
    let mut next = cards.clone();
    next.extend((1000..1400).map(card));
    publ.republish(&next);
    run.case("catalog sync", fs.path(), |rt| {
        rt.block_on(core.sync_catalog(&publ.index_url(), &net))
            .map(|_| ())
    });
    committed.cards.extend(next.iter().map(|c| c.id.clone()));
    run.check(&core, &committed);

    // 2. Media download (1 MiB).
    run.case("media download", fs.path(), |rt| {
        rt.block_on(core.fetch_media(&video_sha, &net)).map(|_| ())
    });
    // 3. Pinning cards (downloads their media, records pins).
    run.case("pin cards", fs.path(), |rt| {
        rt.block_on(core.pin_cards(&[cards[0].id.clone()], &net))
            .map(|_| ())
    });
    // Under pressure the pinned file stays: eviction only ever takes unpinned files.
    core.set_media_budget(512 * 1024)
        .expect_err("budget below the pinned set is refused");
    assert!(
        core.media_path(&video_sha).expect("media").is_some(),
        "pinned media kept"
    );
    // 4. A quiz answer.
    let session = core
        .daily_session(
            Some(600),
            Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap(),
        )
        .expect("session");
    let mut items = session.items.iter().cycle();
    run.case("quiz answer", fs.path(), |_| {
        let item = items.next().expect("an item");
        let r = core.answer(
            &item.question_id,
            &[1],
            4_000,
            None,
            Utc.with_ymd_and_hms(2026, 11, 2, 8, 1, 0).unwrap(),
        );
        r.map(|_| ())
    });
    committed.reviews = 1;
    // 5. One xAPI statement.
    let mut n = 0u64;
    let mut queued = BTreeSet::new();
    run.case("xapi enqueue", fs.path(), |_| {
        n += 1;
        core.enqueue_statement(&statement(n)).map(|id| {
            queued.insert(id);
        })
    });
    // 6. A batch of 300 xAPI statements, all or nothing.
    run.case("xapi enqueue batch", fs.path(), |_| {
        let batch: Vec<_> = (0..300)
            .map(|i| serde_json::from_str(&statement(10_000 + i)).expect("st"))
            .collect();
        core.enqueue_statements(&batch)
            .map(|ids| queued.extend(ids))
    });
    committed.statements.extend(queued.iter().cloned());
    // 7. A large JSONL import (2 000 cards, ~1.5 MB of text).
    let big: String = (5000..7000)
        .map(|i| serde_json::to_string(&card(i)).expect("json") + "\n")
        .collect();
    run.case("large import", fs.path(), |_| {
        core.import_jsonl(big.as_bytes()).map(|_| ())
    });
    committed.cards.extend((5000..7000).map(|i| card(i).id));
    // 8. One card.
    run.case("single card import", fs.path(), |_| {
        core.import_cards(&[Card::new("one-more", "One more card")])
            .map(|_| ())
    });
    committed.cards.insert("one-more".into());
    // 9. Settings: nudge preferences, media budget.
    run.case("nudge prefs", fs.path(), |_| {
        core.set_nudge_prefs(&NudgePrefs::default())
    });
    run.case("media budget", fs.path(), |_| {
        core.set_media_budget(64 * 1024 * 1024)
    });
    // 10. Search (a read; a vocabulary rebuild may want temp space).
    run.case("search", fs.path(), |_| {
        core.search("card number", &Default::default()).map(|_| ())
    });
    run.check(&core, &committed);

    // 11. Migrating a plain database to encryption needs room for a copy.
    drop(core);
    let key = DatabaseKey::from_bytes(&[5; 32]).expect("key");
    let mut encrypted = false;
    run.case("encrypt database", fs.path(), |_| {
        Microlearn::change_key(&data, None, Some(&key)).map(|_| encrypted = true)
    });
    assert!(encrypted);
    // 12. Opening on a full disk (the WAL and -shm are created at open).
    run.case("open encrypted", fs.path(), |_| {
        Microlearn::open_with_key(&data, Some(&key)).map(drop)
    });
    let core = Microlearn::open_with_key(&data, Some(&key)).expect("reopen");
    run.check(&core, &committed);

    // 13. Filling up gradually: statements one at a time until the disk is full; every id that
    // was returned must be there after a reopen.
    let filler = fs.path().join("filler");
    {
        let mut f = std::fs::File::create(&filler).expect("filler");
        let free = free_bytes(fs.path());
        let chunk = vec![0x55; 64 * 1024];
        let mut written = 0;
        while written + 256 * 1024 < free {
            f.write_all(&chunk).expect("fill");
            written += chunk.len() as u64;
        }
    }
    run.cases += 1;
    let mut hit_full = false;
    for i in 0..200_000u64 {
        match catch_unwind(AssertUnwindSafe(|| {
            core.enqueue_statement(&statement(100_000 + i))
        })) {
            Ok(Ok(id)) => {
                committed.statements.insert(id);
            }
            Ok(Err(e)) if e.is_storage_full() => {
                hit_full = true;
                break;
            }
            Ok(Err(e)) => panic!("gradual fill: untyped error {e:?}"),
            Err(_) => {
                run.panics += 1;
                break;
            }
        }
    }
    assert!(hit_full, "the gradual fill never reached a full disk");
    run.full_errors += 1;
    run.log
        .push("gradual xapi fill: stopped with typed StorageFull".into());
    drop(core);
    std::fs::remove_file(&filler).expect("free");
    let core = Microlearn::open_with_key(&data, Some(&key)).expect("reopen after fill");
    run.check(&core, &committed);
    core.enqueue_statement(&statement(1))
        .expect("works again without repair");

    for l in &run.log {
        eprintln!("  {l}");
    }
    eprintln!(
        "disk full: {} cases, {} typed StorageFull, lost {}, panics {}",
        run.cases, run.full_errors, run.lost, run.panics
    );
    write_out(&run);
    assert_eq!(run.lost, 0, "committed rows lost");
    assert_eq!(run.panics, 0);
    assert!(
        run.full_errors >= 5,
        "too few operations reached the full disk"
    );
    // Not a StoreError::Sqlite in disguise: the store's own variant is used.
    let _ = StoreError::is_storage_full;
}

/// Free bytes on the filesystem of `path` (from `df`, to avoid unsafe statvfs here).
fn free_bytes(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .expect("df");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0)
}
