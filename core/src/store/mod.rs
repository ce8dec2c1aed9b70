//! The single SQLite database behind every capability.
//!
//! *Why one database:* catalog changes and their search index must commit in one transaction, and
//! an xAPI statement must be durable the moment `enqueue` returns; one file in WAL mode gives both,
//! and lets readers (the UI thread showing a card) run while a sync writes.
//!
//! [`Store`] holds one writer connection behind a mutex (SQLite allows one writer at a time anyway)
//! and a small pool of reader connections, so local reads never wait for a long write.
//! Each module owns its tables through a [`schema::ModuleSchema`], versioned on its own.

pub mod schema;
pub(crate) mod settings;

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags, Transaction};

/// How many idle reader connections are kept open.
const MAX_IDLE_READERS: usize = 4;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
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

/// The database: one writer, a pool of readers. `Send + Sync`.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings every module schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        schema::migrate(&mut writer, schema::ALL)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(vec![]),
        })
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
        configure(&conn)?;
        Ok(conn)
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
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
}
