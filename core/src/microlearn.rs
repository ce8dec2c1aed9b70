//! [`Microlearn`], the one object an app holds.

use std::{
    io::BufRead,
    path::{Path, PathBuf},
    sync::Arc,
};

use serde::Serialize;

use crate::{
    Error, Result,
    content::{self, Card, ImportReport},
    store::{Store, StoreError},
};

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "microlearn.db";

/// The Microlearn core, opened on a data directory.
///
/// `Send + Sync`: share one instance (e.g. in an `Arc`) across threads. Local reads never wait
/// for network work or for a long write.
#[derive(Debug, Clone)]
pub struct Microlearn {
    data_dir: PathBuf,
    store: Arc<Store>,
    /// Search's in-memory vocabulary cache (rebuilt lazily when the catalog changes).
    pub(crate) search_cache: Arc<crate::search::SearchCache>,
}

/// A snapshot of what the core holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The data directory.
    pub data_dir: String,
    /// Cards in the offline catalog.
    pub cards: u64,
    /// Size of the database file (without its WAL), in bytes.
    pub database_bytes: u64,
}

impl Microlearn {
    /// Opens the core on `data_dir`, creating the directory and database if needed and migrating
    /// an older schema.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_key(data_dir, None)
    }

    /// Like [`Microlearn::open`], with the database encrypted at rest by `key` (SQLCipher; see
    /// [`crate::store::cipher`]). A new database is created encrypted; an existing plain one
    /// fails with `NotEncrypted` until migrated with [`Microlearn::change_key`].
    pub fn open_with_key(
        data_dir: impl AsRef<Path>,
        key: Option<&crate::store::DatabaseKey>,
    ) -> Result<Self> {
        let data_dir = data_dir.as_ref().to_owned();
        std::fs::create_dir_all(&data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let store = Store::open_with_key(&data_dir.join(DATABASE_FILE), key)?;
        // xAPI rows a dead process left in flight go back to pending (unless a live flush owns them).
        crate::xapi::recover_on_open(&store)?;
        Ok(Self {
            data_dir,
            store: Arc::new(store),
            search_cache: Arc::default(),
        })
    }

    /// Re-encrypts the database in `data_dir` from key `from` to key `to` (`None` = plain):
    /// migrates a plain database to encryption, rotates the key, or decrypts, without losing a
    /// row (see [`crate::store::cipher::reencrypt`]). No core may be open on `data_dir`.
    /// Returns the number of rows copied.
    pub fn change_key(
        data_dir: impl AsRef<Path>,
        from: Option<&crate::store::DatabaseKey>,
        to: Option<&crate::store::DatabaseKey>,
    ) -> Result<u64> {
        let db = data_dir.as_ref().join(DATABASE_FILE);
        Ok(crate::store::cipher::reencrypt(&db, from, to)?)
    }

    /// The data directory this core was opened on.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The underlying database, for the modules.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Reads one card from the offline catalog.
    pub fn card(&self, id: &str) -> Result<Card> {
        self.store
            .read(|c| content::get_card(c, id).map_err(Error::from))?
            .ok_or_else(|| Error::NotFound(format!("card {id:?}")))
    }

    /// Imports cards from JSON Lines (one card per line), all or nothing.
    pub fn import_jsonl(&self, reader: impl BufRead) -> Result<ImportReport> {
        let cards = content::parse_jsonl(reader)?;
        self.import_cards(&cards)
    }

    /// Adds or updates validated `cards` in one transaction.
    pub fn import_cards(&self, cards: &[Card]) -> Result<ImportReport> {
        for card in cards {
            card.validate()?;
        }
        self.store
            .write(|tx| content::apply_changes(tx, cards, &[]).map_err(Error::from))?;
        Ok(ImportReport {
            imported: cards.len() as u64,
            skipped_blank: 0,
        })
    }

    /// What the core holds right now.
    pub fn status(&self) -> Result<Status> {
        let cards = self
            .store
            .read(|c| content::count_cards(c).map_err(Error::from))?;
        let database_bytes = std::fs::metadata(self.store.path())
            .map(|m| m.len())
            .unwrap_or(0);
        Ok(Status {
            data_dir: self.data_dir.display().to_string(),
            cards,
            database_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_show_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        let jsonl =
            "{\"id\":\"refund-1\",\"title\":\"Refund without a receipt\",\"tags\":[\"Refunds\"]}\n";
        let report = core.import_jsonl(jsonl.as_bytes()).expect("import");
        assert_eq!(report.imported, 1);
        drop(core);
        let core = Microlearn::open(dir.path()).expect("reopen");
        assert_eq!(
            core.card("refund-1").expect("card").title,
            "Refund without a receipt"
        );
        assert!(matches!(core.card("nope"), Err(Error::NotFound(_))));
        assert_eq!(core.status().expect("status").cards, 1);
    }

    #[test]
    fn failed_import_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        core.import_jsonl("{\"id\":\"a\",\"title\":\"A\"}\n".as_bytes())
            .expect("first");
        let bad = "{\"id\":\"b\",\"title\":\"B\"}\n{\"id\":\"c\",\"title\":\"\"}\n";
        assert!(core.import_jsonl(bad.as_bytes()).is_err());
        assert_eq!(core.status().expect("status").cards, 1);
        assert!(core.card("b").is_err());
    }

    #[test]
    fn shared_across_threads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Arc::new(Microlearn::open(dir.path()).expect("open"));
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let core = Arc::clone(&core);
                std::thread::spawn(move || {
                    for i in 0..20 {
                        let card = Card::new(format!("t{t}-{i}"), format!("Card {i}"));
                        core.import_cards(&[card]).expect("write");
                        core.card(&format!("t{t}-{i}")).expect("read back");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("thread");
        }
        assert_eq!(core.status().expect("status").cards, 160);
    }
}
