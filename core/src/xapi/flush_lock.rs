//! Who may touch in-flight rows: the flush lock, and start-up recovery.
//!
//! *Why an OS file lock and not a lease in the database:* a row is `in-flight` while some request
//! may be carrying it. Returning it to pending is safe only when no live flush owns it — the
//! owner is dead (SIGKILLed, crashed, the OS reclaimed the app) or has finished. A lease
//! timestamp cannot tell a dead owner from a slow one without waiting out the lease (and trusts
//! the clock); a process id can be reused. An advisory lock on a file beside the database
//! (`<db>-xapi-flush.lock`, `flock` on Unix, `LockFileEx` on Windows, through
//! [`std::fs::File::try_lock`]) is held by a flush for its whole run and released by the OS the
//! instant the holder dies, so "can I take the lock?" answers "is a flush alive?" exactly, across
//! processes and across core instances in one process (the lock belongs to an open file
//! description, and every flush opens its own).
//!
//! So:
//! - a flush holds the lock from before it recovers stale rows until after its last batch
//!   settled (in-process flushes queue on a mutex first, other processes poll the lock);
//! - [`recover_on_open`] (called when the core opens) takes the lock without waiting: if it got
//!   it, every in-flight row belongs to a flush that is gone, and goes back to pending with its
//!   frozen body, id and `first_sent_at` (a re-send is idempotent); if a live flush holds it, its
//!   rows are left alone — that flush settles them itself.
//!
//! Where a file system cannot lock (some network mounts), flushes fall back to the in-process
//! mutex only and start-up recovery is skipped; the next flush still recovers stale rows.

use std::{
    fs::{File, OpenOptions, TryLockError},
    path::{Path, PathBuf},
    time::Duration,
};

use super::{XapiError, queue};
use crate::store::Store;

/// How often a flush waiting for another process's flush looks again.
const POLL: Duration = Duration::from_millis(100);

/// The lock file of the database at `db`.
pub(crate) fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-xapi-flush.lock");
    PathBuf::from(p)
}

/// A held flush lock (released when dropped, or by the OS when the process dies).
#[derive(Debug)]
pub(crate) struct FlushLock {
    /// `None` where the file system cannot lock.
    _file: Option<File>,
}

/// The result of trying to take the lock without waiting.
#[derive(Debug)]
pub(crate) enum TryLock {
    /// Taken: no other flush is alive.
    Acquired(FlushLock),
    /// A live flush (this process or another) holds it.
    Busy,
    /// The lock file cannot be created or locked here.
    Unsupported,
}

/// Tries to take the flush lock of the database at `db`, without waiting.
pub(crate) fn try_acquire(db: &Path) -> TryLock {
    let file = match OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(lock_path(db))
    {
        Ok(f) => f,
        Err(_) => return TryLock::Unsupported,
    };
    match file.try_lock() {
        Ok(()) => TryLock::Acquired(FlushLock { _file: Some(file) }),
        Err(TryLockError::WouldBlock) => TryLock::Busy,
        Err(TryLockError::Error(_)) => TryLock::Unsupported,
    }
}

/// Takes the flush lock, waiting (asynchronously) while another process's flush holds it.
/// Cancel by dropping the future.
pub(crate) async fn acquire(db: &Path) -> FlushLock {
    loop {
        match try_acquire(db) {
            TryLock::Acquired(l) => return l,
            TryLock::Unsupported => return FlushLock { _file: None },
            TryLock::Busy => tokio::time::sleep(POLL).await,
        }
    }
}

/// Start-up recovery: if no flush is alive, returns every in-flight row (left by a process that
/// died or a flush that was cancelled) to pending. Returns how many rows it returned.
pub fn recover_on_open(store: &Store) -> Result<u64, XapiError> {
    match try_acquire(store.path()) {
        TryLock::Acquired(_lock) => store.write(queue::recover_in_flight),
        TryLock::Busy | TryLock::Unsupported => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Microlearn};

    fn st(i: u32) -> String {
        serde_json::json!({
            "actor": {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": format!("https://microlearn.example/cards/{i}")},
            "timestamp": "2026-01-01T00:00:00.000Z"
        })
        .to_string()
    }

    fn in_flight_rows(core: &Microlearn) -> Vec<(String, String, Option<i64>)> {
        core.store()
            .read(|c| {
                let mut q = c.prepare(
                    "SELECT id, body, first_sent_at FROM xapi_queue WHERE state = 1 ORDER BY seq",
                )?;
                let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok::<_, Error>(
                    rows.collect::<Result<Vec<_>, _>>()
                        .map_err(XapiError::from)?,
                )
            })
            .expect("rows")
    }

    /// Claims a batch of `n` and marks it sent, as a flush does before its POST.
    fn claim(core: &Microlearn, n: usize) -> i64 {
        core.store()
            .write(|tx| {
                let b = queue::claim_batch(tx, n, 1 << 20)?.expect("a batch");
                queue::mark_sending(tx, b.id, 1_000)?;
                Ok::<_, Error>(b.id)
            })
            .expect("claim")
    }

    #[test]
    fn opening_returns_a_dead_flushs_rows_to_pending_with_their_frozen_bodies() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        for i in 0..5 {
            core.enqueue_statement(&st(i)).expect("enqueue");
        }
        // A flush claimed 3 rows and sent them, then its process died (no lock is held now).
        claim(&core, 3);
        let before = in_flight_rows(&core);
        assert_eq!(before.len(), 3);
        drop(core);
        let core = Microlearn::open(dir.path()).expect("reopen");
        let st = core.xapi_status().expect("status");
        assert_eq!((st.in_flight, st.pending, st.depth), (0, 5, 5));
        // Same ids, same bytes, the send time kept; FIFO order unchanged; no batch left.
        let waiting = core
            .store()
            .read(|c| queue::waiting_statements(c).map_err(Error::from))
            .expect("waiting");
        for (id, body, _) in &before {
            assert!(waiting.contains(&(id.clone(), body.clone())));
        }
        assert_eq!(waiting[..3].iter().map(|w| &w.0).collect::<Vec<_>>(), {
            before.iter().map(|b| &b.0).collect::<Vec<_>>()
        });
        let (sent, batches): (i64, i64) = core
            .store()
            .read(|c| {
                c.query_row(
                    "SELECT (SELECT count(*) FROM xapi_queue WHERE first_sent_at = 1000),
                            (SELECT count(*) FROM xapi_batches)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(|e| Error::from(XapiError::from(e)))
            })
            .expect("counts");
        assert_eq!((sent, batches), (3, 0));
    }

    #[test]
    fn a_live_flush_keeps_its_batch_when_another_instance_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Microlearn::open(dir.path()).expect("open a");
        for i in 0..4 {
            a.enqueue_statement(&st(i)).expect("enqueue");
        }
        // Instance `a` is flushing: it holds the lock and has a batch in flight.
        let lock = match try_acquire(a.store().path()) {
            TryLock::Acquired(l) => l,
            other => panic!("lock: {other:?}"),
        };
        claim(&a, 2);
        let held = in_flight_rows(&a);
        // A second live instance in this process opens the same database: hands off.
        let b = Microlearn::open(dir.path()).expect("open b");
        assert_eq!(in_flight_rows(&b), held);
        assert!(matches!(try_acquire(b.store().path()), TryLock::Busy));
        assert_eq!(recover_on_open(b.store()).expect("recover"), 0);
        // Once `a`'s flush is gone, the next opener recovers the rows.
        drop(lock);
        let c = Microlearn::open(dir.path()).expect("open c");
        assert_eq!(c.xapi_status().expect("status").in_flight, 0);
        assert_eq!(c.xapi_status().expect("status").pending, 4);
    }
}
