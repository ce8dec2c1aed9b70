//! The single SQLite database behind every capability.
//!
//! *Why one database:* catalog changes and their search index must commit in one transaction, and
//! an xAPI statement must be durable the moment `enqueue` returns; one file in WAL mode gives both,
//! and lets readers (the UI thread showing a card) run while a sync writes.
//!
//! [`Store`] holds one writer connection behind a mutex (SQLite allows one writer at a time anyway)
//! and a small pool of reader connections, so local reads never wait for a long write.
//! Each module owns its tables through a [`schema::ModuleSchema`], versioned on its own.

pub mod cipher;
pub mod schema;
pub(crate) mod settings;

mod checkpoint;

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags, Transaction};

pub use cipher::DatabaseKey;

/// How many idle reader connections are kept open.
const MAX_IDLE_READERS: usize = 4;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// The device (or the data directory's filesystem) is full: the write did not happen, the
    /// transaction was rolled back, everything committed before is intact. Retry after space is
    /// freed (SQLITE_FULL, ENOSPC).
    #[error("storage full: {0}")]
    StorageFull(#[source] rusqlite::Error),
    /// The file is damaged (SQLITE_CORRUPT, or not a database although it has SQLite's header).
    /// See docs/security.md for the recovery path ([`crate::Microlearn::recover`]).
    #[error("database {path} is corrupt: {detail}")]
    Corrupt {
        /// The database file.
        path: String,
        /// What SQLite said.
        detail: String,
    },
    /// The file is encrypted and the key given does not open it (or it is damaged beyond its
    /// header). Nothing was written.
    #[error("database {path}: the key does not open it (wrong key, or a damaged file)")]
    WrongKey {
        /// The database file.
        path: String,
    },
    /// No key was given and the file is not plain SQLite: it is encrypted (open it with its key)
    /// or not a database at all. Nothing was written.
    #[error("database {path} is encrypted or not a database; open it with its key")]
    NotADatabase {
        /// The database file.
        path: String,
    },
    /// A key was given but the file is a plain (unencrypted) database: migrate it first with
    /// [`cipher::reencrypt`] (`Microlearn::change_key`). Nothing was written.
    #[error("database {path} is not encrypted; migrate it to the key first")]
    NotEncrypted {
        /// The database file.
        path: String,
    },
    /// A key must be exactly [`cipher::KEY_LEN`] bytes.
    #[error("a database key must be 32 bytes, got {len}")]
    InvalidKey {
        /// The length given.
        len: usize,
    },
    /// A key was given but this build has no SQLCipher (the `encryption` feature is off).
    #[error("this build has no encryption support (feature `encryption`)")]
    EncryptionUnavailable,
    /// Re-encryption produced a copy whose row counts differ: the original was kept.
    #[error("re-encrypting {path}: the copy's row counts differ; the original was kept")]
    ExportMismatch {
        /// The database file.
        path: String,
    },
    /// A file next to the database could not be read, written, renamed or removed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database was written by a newer version of Microlearn.
    #[error(
        "database schema `{module}` is at version {found}, newer than this build ({supported})"
    )]
    SchemaTooNew {
        /// Module whose schema is too new.
        module: String,
        /// Version found in the file.
        found: u32,
        /// Highest version this build understands.
        supported: u32,
    },
    /// The data directory could not be created or used.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A lock was poisoned by a panic in another thread.
    #[error("database lock poisoned")]
    Poisoned,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if is_sqlite_full(&e) {
            return Self::StorageFull(e);
        }
        match e.sqlite_error_code() {
            // Found while reading a page after open (random bytes mid-file, a truncated file).
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                Self::Corrupt {
                    path: "the database file".into(),
                    detail: e.to_string(),
                }
            }
            _ => Self::Sqlite(e),
        }
    }
}

/// Whether SQLite reports a full disk: `SQLITE_FULL`, or `SQLITE_IOERR_SHMSIZE`, which SQLite
/// raises when it cannot grow the WAL index (`-shm`) file — on a full disk, at open or at the
/// first write (seen in `core/tests/disk_full.rs`).
pub fn is_sqlite_full(e: &rusqlite::Error) -> bool {
    const SQLITE_IOERR_SHMSIZE: std::ffi::c_int = 10 | (19 << 8);
    match e {
        rusqlite::Error::SqliteFailure(f, _) => {
            f.code == rusqlite::ErrorCode::DiskFull || f.extended_code == SQLITE_IOERR_SHMSIZE
        }
        _ => false,
    }
}

impl StoreError {
    /// Whether this is a full disk (the operation can be retried once space is freed).
    pub fn is_storage_full(&self) -> bool {
        matches!(self, Self::StorageFull(_))
    }

    /// Whether the database file is damaged or cannot be opened with the key given (the cases
    /// [`crate::Microlearn::recover`] is for).
    pub fn is_unreadable_file(&self) -> bool {
        matches!(
            self,
            Self::Corrupt { .. } | Self::WrongKey { .. } | Self::NotADatabase { .. }
        )
    }
}

/// The database: one writer, a pool of readers. `Send + Sync`.
pub struct Store {
    path: PathBuf,
    /// The SQLCipher key every connection (writer and readers) is opened with.
    key: Option<DatabaseKey>,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Checkpoints the WAL off the callers' threads (the writer's automatic checkpoint is off).
    checkpointer: checkpoint::Checkpointer,
}

impl Drop for Store {
    /// Stops and joins the checkpointer (closing its connection), then closes the readers, so
    /// that the writer closes last: the last connection to close checkpoints the WAL into the
    /// database and removes it, which a read-only reader cannot do.
    fn drop(&mut self) {
        self.checkpointer.stop();
        if let Ok(mut pool) = self.readers.lock() {
            pool.clear();
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings every module schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_key(path, None)
    }

    /// Like [`Store::open`], encrypted with `key` when given (a new file is created encrypted).
    /// A wrong key, a plain file given a key, or an encrypted file given none fails typed
    /// ([`StoreError::WrongKey`], [`StoreError::NotEncrypted`], [`StoreError::NotADatabase`])
    /// before anything is written.
    pub fn open_with_key(path: &Path, key: Option<&DatabaseKey>) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path)?;
        configure(&writer, path, key)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        schema::migrate(&mut writer, schema::ALL)?;
        let ckpt_conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&ckpt_conn, path, key)?;
        let checkpointer = checkpoint::Checkpointer::start(&mut writer, ckpt_conn)?;
        Ok(Self {
            path: path.to_owned(),
            key: key.cloned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(vec![]),
            checkpointer,
        })
    }

    /// Whether the store was opened with a key (encrypted at rest).
    pub fn is_encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one write transaction; commits if `f` returns `Ok`, rolls back otherwise.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.writer.lock().map_err(|_| StoreError::Poisoned)?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Runs `f` on a read-only connection (a consistent snapshot while `f` runs inside a
    /// transaction it opens itself, or per statement otherwise). Never waits for the writer.
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let conn = self.take_reader()?;
        let out = f(&conn);
        if let Ok(mut pool) = self.readers.lock()
            && pool.len() < MAX_IDLE_READERS
        {
            pool.push(conn);
        }
        out
    }

    /// Direct access to the writer connection, for code that manages its own transactions.
    pub fn writer(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.writer.lock().map_err(|_| StoreError::Poisoned)
    }

    fn take_reader(&self) -> Result<Connection, StoreError> {
        if let Some(conn) = self.readers.lock().map_err(|_| StoreError::Poisoned)?.pop() {
            return Ok(conn);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn, &self.path, self.key.as_ref())?;
        Ok(conn)
    }
}

fn configure(conn: &Connection, path: &Path, key: Option<&DatabaseKey>) -> Result<(), StoreError> {
    // The key must come first, before anything reads a page; then one read of the schema
    // tells a wrong key or a foreign file apart (typed), before any statement writes. Until
    // then the connection must not checkpoint when closed: a wrong-key connection that closed
    // last would otherwise copy the WAL into the file it cannot read.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    cipher::apply_key(conn, key)?;
    cipher::verify_readable(conn, path, key)?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        false,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Query planner stability: otherwise the planner peeks at bound values (a search's MATCH
    // text, a LIMIT), so every new value expired cached statements and each call re-parsed
    // them. Measured by search at 50k cards: p50 0.45 -> 0.33 ms per keystroke; ~20% of a
    // search's CPU when STAT4 was compiled in. Set once per connection, for every module.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_in_wal_mode_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        {
            let store = Store::open(&path).expect("open");
            let mode: String = store
                .read(|c| {
                    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                        .map_err(StoreError::from)
                })
                .expect("mode");
            assert_eq!(mode, "wal");
        }
        let store = Store::open(&path).expect("reopen");
        let n: i64 = store
            .read(|c| {
                c.query_row("SELECT count(*) FROM schema_versions", [], |r| r.get(0))
                    .map_err(StoreError::from)
            })
            .expect("count");
        assert_eq!(n as usize, schema::ALL.len());
    }

    #[test]
    fn closing_after_reads_checkpoints_and_removes_the_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let store = Store::open(&path).expect("open");
        store
            .write(|tx| {
                tx.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1)")
                    .map_err(StoreError::from)
            })
            .expect("write");
        let n: i64 = store
            .read(|c| {
                c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .map_err(StoreError::from)
            })
            .expect("read");
        assert_eq!(n, 1);
        drop(store);
        assert!(
            !dir.path().join("m.db-wal").exists(),
            "the WAL was left behind"
        );
    }

    #[test]
    fn failed_write_rolls_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("m.db")).expect("open");
        let r: Result<(), StoreError> = store.write(|tx| {
            tx.execute("CREATE TABLE t(x)", [])?;
            Err(StoreError::Poisoned)
        });
        assert!(r.is_err());
        let exists: i64 = store
            .read(|c| {
                c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name='t'",
                    [],
                    |r| r.get(0),
                )
                .map_err(StoreError::from)
            })
            .expect("q");
        assert_eq!(exists, 0);
    }

    /// Commits `n` transactions of about one page each.
    fn commit_pages(store: &Store, n: usize) {
        store
            .write(|tx| {
                tx.execute_batch("CREATE TABLE IF NOT EXISTS big(x BLOB)")
                    .map_err(StoreError::from)
            })
            .expect("create");
        for _ in 0..n {
            store
                .write(|tx| {
                    tx.execute("INSERT INTO big VALUES (zeroblob(3000))", [])
                        .map_err(StoreError::from)
                })
                .expect("insert");
        }
    }

    /// Polls `ok` for up to 20 s.
    fn eventually(mut ok: impl FnMut() -> bool) -> bool {
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < until {
            if ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn check_background_checkpoints(store: &Store) {
        let n = 3 * checkpoint::CHECKPOINT_PAGES as usize;
        commit_pages(store, n);
        // The automatic checkpoint is off on the writer: only the background thread bounds
        // the WAL; without it, it would hold all `n` pages and more.
        assert!(
            eventually(|| store.checkpointer.runs() > 0),
            "no background checkpoint"
        );
        // Once a checkpoint completed, the next commit restarts the WAL from its start.
        assert!(
            eventually(|| {
                commit_pages(store, 1);
                store.checkpointer.wal_pages() < checkpoint::CHECKPOINT_PAGES
            }),
            "the WAL kept growing: {} pages",
            store.checkpointer.wal_pages()
        );
        let rows: i64 = store
            .read(|c| {
                c.query_row("SELECT count(*) FROM big", [], |r| r.get(0))
                    .map_err(StoreError::from)
            })
            .expect("count");
        assert!(rows as usize > n);
    }

    #[test]
    fn background_thread_checkpoints_and_drop_joins_it_and_removes_the_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let store = Store::open(&path).expect("open");
        let auto: i64 = store
            .writer()
            .expect("writer")
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(auto, 0, "the writer still checkpoints inside commits");
        check_background_checkpoints(&store);
        let shared = store.checkpointer.shared();
        drop(store);
        assert!(
            shared.upgrade().is_none(),
            "the checkpointer outlived the store"
        );
        assert!(
            !dir.path().join("m.db-wal").exists(),
            "the WAL was left behind"
        );
        // Opened and dropped many times (the bindings' leak tests): nothing piles up.
        for _ in 0..50 {
            let store = Store::open(&path).expect("reopen");
            commit_pages(&store, 1);
        }
        assert!(
            !dir.path().join("m.db-wal").exists(),
            "the WAL was left behind"
        );
    }

    #[cfg(feature = "encryption")]
    #[test]
    fn encrypted_store_checkpoints_in_the_background() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let key = DatabaseKey::from_bytes(&[7; cipher::KEY_LEN]).expect("key");
        let store = Store::open_with_key(&path, Some(&key)).expect("open");
        check_background_checkpoints(&store);
        drop(store);
        assert!(
            !dir.path().join("m.db-wal").exists(),
            "the WAL was left behind"
        );
        let store = Store::open_with_key(&path, Some(&key)).expect("reopen");
        let rows: i64 = store
            .read(|c| {
                c.query_row("SELECT count(*) FROM big", [], |r| r.get(0))
                    .map_err(StoreError::from)
            })
            .expect("count");
        assert!(rows > 0);
        drop(store);
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::NotADatabase { .. })
        ));
    }
}
