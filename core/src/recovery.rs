//! Recovery from a database file that can no longer be used (corrupt, truncated, random bytes
//! written over it): keep the broken file aside, start a fresh database, and salvage the
//! learner's own rows that can still be read.
//!
//! *Why this split:* the catalog (cards, search index, media index) is the server's and comes
//! back with one full sync, so it is not salvaged — a half-read catalog would be worse than a
//! clean re-sync. What exists only on this phone is salvaged row by row: queued xAPI statements
//! (not yet at the LRS), quiz reviews and memory (the learner's answers), settings and pins.
//! A row on a damaged page is skipped and counted, the rest still comes across. The broken file
//! is never deleted by the core: it stays under `broken/<time>/` for support to look at, and the
//! app may delete it (see docs/security.md).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, types::Value};
use serde::Serialize;

use crate::{
    Microlearn, Result,
    microlearn::DATABASE_FILE,
    store::{DatabaseKey, StoreError, cipher},
};

/// Tables holding data that exists only on this device, in the order they are copied.
pub const SALVAGED_TABLES: &[&str] = &[
    "xapi_queue",
    "xapi_meta",
    "quiz_questions",
    "quiz_reviews",
    "quiz_memory",
    "quiz_settings",
    "nudge_settings",
    "nudge_log",
    "content_settings",
    "pinned_cards",
];

/// After this many unreadable rows in a row, a table is given up (the rest of it is unreachable).
const MAX_CONSECUTIVE_FAILURES: u32 = 64;

/// What [`Microlearn::recover`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// Where the broken files were moved (none if there was no database).
    pub kept_aside: Option<String>,
    /// Rows copied into the fresh database, per table.
    pub salvaged: Vec<(String, u64)>,
    /// Rows (or row ranges) that could not be read.
    pub unreadable: u64,
    /// Tables that could not be read at all (or do not exist in the broken file).
    pub lost_tables: Vec<String>,
}

impl Microlearn {
    /// Recovers `data_dir` whose database cannot be opened or read (a `Corrupt`, `WrongKey`-less
    /// damaged, truncated file): moves `microlearn.db` and its WAL/SHM aside under
    /// `broken/<unix-ms>/`, creates a fresh database (encrypted with `key` when given), copies
    /// what can be read of [`SALVAGED_TABLES`], and returns the open core and a report. The
    /// catalog comes back with the next sync. No core may be open on `data_dir`.
    pub fn recover(
        data_dir: impl AsRef<Path>,
        key: Option<&DatabaseKey>,
    ) -> Result<(Microlearn, RecoveryReport)> {
        let data_dir = data_dir.as_ref();
        let db = data_dir.join(DATABASE_FILE);
        let mut report = RecoveryReport::default();
        let aside = if db.exists() {
            let dir = data_dir
                .join("broken")
                .join(crate::xapi::now_ms().to_string());
            std::fs::create_dir_all(&dir).map_err(|e| file_err(&dir, e))?;
            for suffix in ["", "-wal", "-shm"] {
                let from = sibling(&db, suffix);
                if from.exists() {
                    let to = dir.join(format!("{DATABASE_FILE}{suffix}"));
                    std::fs::rename(&from, &to).map_err(|e| file_err(&from, e))?;
                }
            }
            report.kept_aside = Some(dir.display().to_string());
            Some(dir.join(DATABASE_FILE))
        } else {
            None
        };
        let core = Microlearn::open_with_key(data_dir, key)?;
        if let Some(broken) = aside {
            salvage(&core, &broken, key, &mut report)?;
        }
        Ok((core, report))
    }
}

fn salvage(
    core: &Microlearn,
    broken: &Path,
    key: Option<&DatabaseKey>,
    report: &mut RecoveryReport,
) -> Result<()> {
    let src = match open_broken(broken, key) {
        Ok(c) => c,
        Err(_) => {
            report.lost_tables = SALVAGED_TABLES.iter().map(|t| t.to_string()).collect();
            return Ok(());
        }
    };
    let mut w = core.store().writer()?;
    // Salvaged rows may point at catalog rows the next sync brings back.
    w.pragma_update(None, "foreign_keys", "OFF")
        .map_err(StoreError::from)?;
    let tx = w.transaction().map_err(StoreError::from)?;
    for table in SALVAGED_TABLES {
        match copy_table(&src, &tx, table, report) {
            Ok(n) => report.salvaged.push((table.to_string(), n)),
            Err(_) => report.lost_tables.push(table.to_string()),
        }
    }
    tx.commit().map_err(StoreError::from)?;
    w.pragma_update(None, "foreign_keys", "ON")
        .map_err(StoreError::from)?;
    Ok(())
}

fn open_broken(path: &Path, key: Option<&DatabaseKey>) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(StoreError::from)?;
    cipher::apply_key(&conn, key)?;
    // Tolerate what can be tolerated while reading a damaged file.
    let _ = conn.pragma_update(None, "writable_schema", "ON");
    Ok(conn)
}

/// Copies one table row by row (by rowid, so a damaged page only loses its own rows); only the
/// columns both schemas have.
fn copy_table(
    src: &Connection,
    dst: &rusqlite::Transaction<'_>,
    table: &str,
    report: &mut RecoveryReport,
) -> rusqlite::Result<u64> {
    let cols_of = |c: &Connection| -> rusqlite::Result<Vec<String>> {
        let mut s = c.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
        let v = s.query_map([], |r| r.get::<_, String>(0))?;
        v.collect()
    };
    let src_cols = cols_of(src)?;
    if src_cols.is_empty() {
        return Err(rusqlite::Error::QueryReturnedNoRows);
    }
    let cols: Vec<String> = cols_of(dst)?
        .into_iter()
        .filter(|c| src_cols.contains(c))
        .collect();
    let list = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",");
    let marks = vec!["?"; cols.len()].join(",");
    let mut read = src.prepare(&format!(
        "SELECT rowid, {list} FROM \"{table}\" WHERE rowid > ?1 ORDER BY rowid LIMIT 1"
    ))?;
    let mut insert = dst.prepare(&format!(
        "INSERT OR IGNORE INTO \"{table}\"({list}) VALUES ({marks})"
    ))?;
    let (mut last, mut copied, mut failures) = (i64::MIN, 0u64, 0u32);
    loop {
        let row = read.query_row([last], |r| {
            let rowid: i64 = r.get(0)?;
            let vals = (1..=cols.len())
                .map(|i| r.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((rowid, vals))
        });
        match row {
            Ok((rowid, vals)) => {
                failures = 0;
                last = rowid;
                copied += insert.execute(rusqlite::params_from_iter(vals))? as u64;
            }
            Err(rusqlite::Error::QueryReturnedNoRows) => break,
            Err(_) => {
                report.unreadable += 1;
                failures += 1;
                if failures >= MAX_CONSECUTIVE_FAILURES || last == i64::MAX {
                    break;
                }
                // Step over the damaged row; a damaged page costs a bounded number of tries.
                last = if last == i64::MIN {
                    0
                } else {
                    last.saturating_add(1)
                };
            }
        }
    }
    Ok(copied)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn file_err(path: &Path, source: std::io::Error) -> crate::Error {
    StoreError::File {
        path: path.to_owned(),
        source,
    }
    .into()
}
