//! Encryption at rest: SQLCipher keys, telling a wrong key from a corrupt file, and re-encrypting
//! a database (plain → encrypted, key rotation, encrypted → plain).
//!
//! *Why SQLCipher:* it encrypts every page of the database **and of its WAL** (AES-256-CBC with a
//! per-page HMAC-SHA512, so a tampered page is an error, not silently different data), it is
//! maintained by Zetetic and audited, used by Signal and many enterprise apps, and rusqlite
//! builds it from source, so the schema, FTS5 and every query stay exactly as they are.
//!
//! *Why a raw 32-byte key, not a passphrase:* the shell generates the key once with the platform's
//! CSPRNG and keeps it in the Android Keystore / iOS Keychain; a raw key skips SQLCipher's
//! PBKDF2 (256 000 iterations, ~100 ms on a phone) on every connection, and the store opens
//! one connection per reader.
//!
//! *Why re-encryption goes through `sqlcipher_export` into a new file:* the original stays
//! untouched until the copy is complete, row counts match, and it has been synced; then one atomic
//! rename swaps it in. A crash or a full disk at any point leaves the old database as it was.

use std::{
    fs,
    io::Read,
    path::{Path, PathBuf},
};

use rusqlite::{Connection, ErrorCode};

use super::StoreError;

/// Length of a database key, in bytes (AES-256).
pub const KEY_LEN: usize = 32;

/// A 32-byte database key. `Debug` never prints it; it is overwritten when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseKey([u8; KEY_LEN]);

impl DatabaseKey {
    /// Wraps exactly [`KEY_LEN`] random bytes (from the platform's key store).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let arr: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| StoreError::InvalidKey { len: bytes.len() })?;
        Ok(Self(arr))
    }

    /// The SQLCipher raw-key literal, `x'…'` (64 hex digits).
    fn pragma_value(&self) -> String {
        format!("x'{}'", hex::encode(self.0))
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(***)")
    }
}

impl Drop for DatabaseKey {
    fn drop(&mut self) {
        self.0 = [0; KEY_LEN];
        // Keep the compiler from eliding the overwrite as a dead store.
        std::hint::black_box(&mut self.0);
    }
}

/// Whether this build's SQLite is SQLCipher (built with the `encryption` feature).
pub fn encryption_available() -> bool {
    Connection::open_in_memory()
        .and_then(|c| {
            c.query_row("PRAGMA cipher_version", [], |r| r.get::<_, String>(0))
                .map(|_| true)
        })
        .unwrap_or(false)
}

/// Applies `key` to a fresh connection (must be its first statement). With `None` the file is
/// read as plain SQLite.
pub(crate) fn apply_key(conn: &Connection, key: Option<&DatabaseKey>) -> Result<(), StoreError> {
    let Some(key) = key else {
        return Ok(());
    };
    if !encryption_available() {
        return Err(StoreError::EncryptionUnavailable);
    }
    // The value is our own hex: no injection possible.
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.pragma_value()))?;
    Ok(())
}

/// Reads the schema once, so that a wrong key, a plain file opened with a key, or a file that is
/// not a database fails here, typed, before anything is written.
pub(crate) fn verify_readable(
    conn: &Connection,
    path: &Path,
    key: Option<&DatabaseKey>,
) -> Result<(), StoreError> {
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(e) => Err(classify_open_error(e, path, key)),
    }
}

/// Turns "file is not a database" into what it most likely means, from the file's header.
fn classify_open_error(e: rusqlite::Error, path: &Path, key: Option<&DatabaseKey>) -> StoreError {
    let code = e.sqlite_error_code();
    if !matches!(
        code,
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt)
    ) {
        return StoreError::from(e);
    }
    let path_s = path.display().to_string();
    match (has_plain_header(path), key) {
        (true, Some(_)) => StoreError::NotEncrypted { path: path_s },
        (true, None) => StoreError::Corrupt {
            path: path_s,
            detail: e.to_string(),
        },
        (false, Some(_)) => StoreError::WrongKey { path: path_s },
        (false, None) => StoreError::NotADatabase { path: path_s },
    }
}

/// Whether the file starts with SQLite's plain-text magic (an unencrypted database).
pub fn has_plain_header(path: &Path) -> bool {
    let mut head = [0u8; 16];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|()| &head == b"SQLite format 3\0")
        .unwrap_or(false)
}

/// Opens `path` with `key` and checks that the key opens it.
fn open_verified(path: &Path, key: Option<&DatabaseKey>) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    apply_key(&conn, key)?;
    verify_readable(&conn, path, key)?;
    Ok(conn)
}

/// Row counts of every real table (virtual tables are counted through their shadow tables).
fn row_counts(conn: &Connection, schema: &str) -> Result<Vec<(String, i64)>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT name FROM {schema}.sqlite_master
         WHERE type = 'table' AND rootpage > 0 AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ))?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let quoted = name.replace('"', "\"\"");
        let n: i64 = conn.query_row(
            &format!("SELECT count(*) FROM {schema}.\"{quoted}\""),
            [],
            |r| r.get(0),
        )?;
        out.push((name, n));
    }
    Ok(out)
}

/// Re-encrypts the (closed) database at `path` from key `from` to key `to` (`None` = plain):
/// migrates a plain database to an encrypted one, rotates the key, or decrypts. Returns the
/// number of rows copied. No [`super::Store`] may be open on `path` meanwhile.
///
/// The copy is written next to the database, checked (same row count in every table), synced,
/// then renamed over it: on any error, including a full disk, the original is unchanged.
pub fn reencrypt(
    path: &Path,
    from: Option<&DatabaseKey>,
    to: Option<&DatabaseKey>,
) -> Result<u64, StoreError> {
    if to.is_some() && !encryption_available() {
        return Err(StoreError::EncryptionUnavailable);
    }
    let tmp = sibling(path, ".rekey-tmp");
    remove_if_exists(&tmp)?;
    let result = export(path, &tmp, from, to);
    if result.is_err() {
        // Best effort: the original is untouched, the partial copy only takes space.
        let _ = fs::remove_file(&tmp);
    }
    let rows = result?;
    // The source was checkpointed (TRUNCATE) and closed: its WAL holds nothing. Remove it before
    // the rename so that an old WAL can never be replayed onto the new file.
    for suffix in ["-wal", "-shm"] {
        remove_if_exists(&sibling(path, suffix))?;
    }
    fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
    if let Some(dir) = path.parent()
        && let Ok(d) = fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(rows)
}

fn export(
    path: &Path,
    tmp: &Path,
    from: Option<&DatabaseKey>,
    to: Option<&DatabaseKey>,
) -> Result<u64, StoreError> {
    let conn = open_verified(path, from)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let target_key = to.map(DatabaseKey::pragma_value).unwrap_or_default();
    conn.execute(
        "ATTACH DATABASE ?1 AS target KEY ?2",
        rusqlite::params![tmp.to_string_lossy(), target_key],
    )?;
    conn.query_row("SELECT sqlcipher_export('target')", [], |_| Ok(()))?;
    let before = row_counts(&conn, "main")?;
    let after = row_counts(&conn, "target")?;
    conn.execute_batch("DETACH DATABASE target")?;
    if before != after {
        return Err(StoreError::ExportMismatch {
            path: path.display().to_string(),
        });
    }
    drop(conn);
    // Verify the copy opens with the new key, then make it durable before the rename.
    drop(open_verified(tmp, to)?);
    fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_err(tmp, e))?;
    Ok(before.iter().map(|(_, n)| *n as u64).sum())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_if_exists(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(path, e)),
        _ => Ok(()),
    }
}

fn io_err(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests;
