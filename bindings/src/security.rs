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
