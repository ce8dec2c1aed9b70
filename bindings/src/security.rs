//! Encryption at rest through the FFI: open with a key the shell keeps in the Android Keystore
//! or the iOS Keychain, and change it (migrate a plain database, rotate, decrypt).
//!
//! *Why an explicit key argument, not the credentials provider:* the key is needed once, before
//! the database opens, while the provider is asked at request time for LRS credentials. The shell
//! reads (or on first run generates, 32 bytes from `SecureRandom` / `SecRandomCopyBytes`) the key
//! and passes it here; the core keeps it only in memory for the reader connections it opens, and
//! never logs it. See docs/security.md.

use std::sync::Arc;

use microlearn_core as ml;

use crate::{
    core::Microlearn,
    error::{MicrolearnError, Result},
};

fn key(bytes: &[u8]) -> Result<ml::store::DatabaseKey> {
    ml::store::DatabaseKey::from_bytes(bytes).map_err(|e| ml::Error::from(e).into())
}

fn check_dir(data_dir: &str) -> Result<()> {
    if data_dir.is_empty() || data_dir.contains('\0') {
        return Err(MicrolearnError::InvalidArgument(format!(
            "invalid argument: data directory {data_dir:?} is empty or contains NUL"
        )));
    }
    Ok(())
}

#[uniffi::export]
impl Microlearn {
    /// Opens the core on `data_dir` with its database encrypted at rest by `key` (32 bytes,
    /// SQLCipher). A new database is created encrypted. Fails with `Encryption` for a wrong key,
    /// a key that is not 32 bytes, or a plain database (migrate it with
    /// [`change_database_key`] first), and nothing on disk is changed.
    #[uniffi::constructor]
    pub fn open_encrypted(data_dir: String, key: Vec<u8>) -> Result<Arc<Self>> {
        check_dir(&data_dir)?;
        let key = self::key(&key)?;
        let core = ml::Microlearn::open_with_key(&data_dir, Some(&key))?;
        Ok(Self::wrap(core, data_dir))
    }

    /// Whether this core's database is encrypted at rest.
    pub fn is_encrypted(&self) -> Result<bool> {
        Ok(self.core()?.store().is_encrypted())
    }
}

/// Re-encrypts the database in `data_dir` from `old_key` to `new_key` (null = plain): migrates a
/// plain database to encryption, rotates the key, or decrypts, without losing a row. No core may
/// be open on `data_dir` (call `shutdown()` first). A wrong `old_key` or a full disk fails typed
/// and leaves the database as it was. Returns the number of rows copied.
#[uniffi::export]
pub fn change_database_key(
    data_dir: String,
    old_key: Option<Vec<u8>>,
    new_key: Option<Vec<u8>>,
) -> Result<u64> {
    check_dir(&data_dir)?;
    let old = old_key.as_deref().map(key).transpose()?;
    let new = new_key.as_deref().map(key).transpose()?;
    Ok(ml::Microlearn::change_key(
        &data_dir,
        old.as_ref(),
        new.as_ref(),
    )?)
}

/// Whether this build can encrypt (SQLCipher compiled in).
#[uniffi::export]
pub fn encryption_available() -> bool {
    ml::store::cipher::encryption_available()
}

/// What [`recover_data_dir`] did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecoveryReport {
    /// Where the broken database files were moved (null if there was none).
    pub kept_aside: Option<String>,
    /// Rows salvaged into the fresh database, over all tables.
    pub salvaged_rows: u64,
    /// Queued xAPI statements salvaged (they were not at the LRS yet).
    pub salvaged_statements: u64,
    /// Rows that could not be read.
    pub unreadable: u64,
}

/// After a `Corrupt` error: moves the broken database aside (`broken/<time>/` in `data_dir`),
/// starts a fresh one (encrypted with `key` when given), salvages the learner's rows that can
/// still be read (xAPI queue, quiz reviews, settings, pins) and returns the open core with a
/// report. The catalog comes back with the next sync. No core may be open on `data_dir`.
#[uniffi::export]
pub fn recover_data_dir(data_dir: String, key: Option<Vec<u8>>) -> Result<RecoveredCore> {
    check_dir(&data_dir)?;
    let key = key.as_deref().map(self::key).transpose()?;
    let (core, r) = ml::Microlearn::recover(&data_dir, key.as_ref())?;
    let statements = r
        .salvaged
        .iter()
        .find(|(t, _)| t == "xapi_queue")
        .map(|(_, n)| *n)
        .unwrap_or(0);
    Ok(RecoveredCore {
        core: Microlearn::wrap(core, data_dir),
        report: RecoveryReport {
            kept_aside: r.kept_aside,
            salvaged_rows: r.salvaged.iter().map(|(_, n)| n).sum(),
            salvaged_statements: statements,
            unreadable: r.unreadable,
        },
    })
}

/// The core [`recover_data_dir`] opened, and what it salvaged.
#[derive(uniffi::Record)]
pub struct RecoveredCore {
    /// The core, open on the fresh database.
    pub core: Arc<Microlearn>,
    /// What was kept aside and salvaged.
    pub report: RecoveryReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_key_through_the_ffi_is_typed_and_changes_no_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_string_lossy().into_owned();
        let key = vec![7u8; 32];
        let core = Microlearn::open_encrypted(d.clone(), key.clone()).expect("open");
        core.import_cards(vec![crate::content::new_card("a".into(), "A title".into())])
            .expect("import");
        core.shutdown();
        drop(core);
        let db = dir.path().join(ml::microlearn::DATABASE_FILE);
        let before = std::fs::read(&db).expect("bytes");
        assert!(matches!(
            Microlearn::open_encrypted(d.clone(), vec![8u8; 32]),
            Err(MicrolearnError::Encryption(_))
        ));
        assert!(matches!(
            Microlearn::open(d.clone()),
            Err(MicrolearnError::Encryption(_))
        ));
        assert!(matches!(
            Microlearn::open_encrypted(d.clone(), vec![8u8; 16]),
            Err(MicrolearnError::Encryption(_))
        ));
        assert!(std::fs::read(&db).expect("bytes") == before, "file changed");
        let again = Microlearn::open_encrypted(d, key).expect("right key");
        assert_eq!(again.status().expect("status").cards, 1);
    }
}
