//! WAL checkpoints off the callers' threads.
//!
//! SQLite's automatic checkpoint (every 1000 WAL pages) runs inside the commit that crosses the
//! threshold and fsyncs the database file there: about one enqueue in 140 paid it (p99 8.7 ms on
//! a VM disk against 0.8 ms CPU). The writer's WAL hook replaces it (installing a hook turns the
//! automatic checkpoint off) and only wakes a background thread, which checkpoints PASSIVE on
//! its own connection (never blocking writers or readers), or RESTART when it has fallen far
//! behind, to bound the WAL. Durability is unchanged: commits are durable in the WAL
//! (`synchronous=NORMAL`); a checkpoint only moves pages into the database file.
//!
//! The thread is stopped and joined before the store's other connections close, so the writer
//! still closes last and removes the WAL.

use std::{
    sync::{Arc, Condvar, Mutex},
    thread::JoinHandle,
};

use rusqlite::Connection;

use super::StoreError;

/// WAL pages after which the background thread checkpoints (SQLite's automatic default).
pub(crate) const CHECKPOINT_PAGES: i32 = 1000;
/// WAL pages beyond which a PASSIVE checkpoint is not enough (readers or a busy writer kept it
/// from completing) and a RESTART one is run, which waits for readers to move on.
pub(crate) const RESTART_PAGES: i32 = 10_000;

/// How long the checkpointer waits for the write lock or for readers.
const RESTART_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

#[derive(Default)]
struct State {
    /// WAL pages at the last commit (from the writer's hook).
    wal_pages: i32,
    /// The thread checkpoints once `wal_pages` reaches this.
    next_at: i32,
    stop: bool,
    /// Checkpoints run (for tests).
    runs: u64,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// The background checkpointer of one [`super::Store`].
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Installs the WAL hook on `writer` (turning its automatic checkpoint off) and starts the
    /// thread, which owns `conn` (a read-write connection, already keyed and configured).
    pub(crate) fn start(writer: &mut Connection, conn: Connection) -> Result<Self, StoreError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_at: CHECKPOINT_PAGES,
                ..State::default()
            }),
            wake: Condvar::new(),
        });
        // A RESTART checkpoint holds the write lock while it waits for readers: wait briefly,
        // so that a caller's commit is never held for the writer's 5 s busy timeout (a busy
        // checkpoint is retried once the WAL grew a little more).
        conn.busy_timeout(RESTART_WAIT)?;
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("microlearn-checkpoint".into())
                .spawn(move || run(conn, &shared))
                .map_err(|e| StoreError::File {
                    path: "checkpointer thread".into(),
                    source: e,
                })?
        };
        // Dropped (stopping and joining the thread) if the hook cannot be installed.
        let me = Self {
            shared: Arc::clone(&shared),
            thread: Some(thread),
        };
        let hook_shared = shared;
        // Called inside every commit on the writer: only a lock and a notify, no I/O.
        writer.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages| {
            if let Ok(mut st) = hook_shared.state.lock() {
                if pages < st.wal_pages {
                    // The WAL restarted from its start (a checkpoint completed).
                    st.next_at = CHECKPOINT_PAGES;
                }
                st.wal_pages = pages;
                if pages >= st.next_at {
                    hook_shared.wake.notify_one();
                }
            }
            Ok(())
        }))?;
        Ok(me)
    }

    /// Stops the thread and waits for it (its connection is closed when this returns).
    pub(crate) fn stop(&mut self) {
        if let Ok(mut st) = self.shared.state.lock() {
            st.stop = true;
        }
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Checkpoints the thread has run.
    #[cfg(test)]
    pub(crate) fn runs(&self) -> u64 {
        self.shared.state.lock().map_or(0, |st| st.runs)
    }

    /// WAL pages at the last commit.
    #[cfg(test)]
    pub(crate) fn wal_pages(&self) -> i32 {
        self.shared.state.lock().map_or(0, |st| st.wal_pages)
    }

    /// A handle that dies with the thread and the writer's hook (for tests).
    #[cfg(test)]
    pub(crate) fn shared(&self) -> std::sync::Weak<Shared> {
        Arc::downgrade(&self.shared)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(conn: Connection, shared: &Shared) {
    loop {
        let pages = {
            let Ok(mut st) = shared.state.lock() else {
                return;
            };
            while !st.stop && st.wal_pages < st.next_at {
                st = match shared.wake.wait(st) {
                    Ok(st) => st,
                    Err(_) => return,
                };
            }
            if st.stop {
                return;
            }
            st.wal_pages
        };
        let mode = if pages >= RESTART_PAGES {
            "RESTART"
        } else {
            "PASSIVE"
        };
        // An error (a full disk) is retried at the next threshold; the writer's close
        // checkpoints in any case.
        let _ = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()));
        let Ok(mut st) = shared.state.lock() else {
            return;
        };
        st.runs += 1;
        // The hook lowers `next_at` back to `CHECKPOINT_PAGES` when the WAL restarts (the next
        // commit after a complete checkpoint); until then (readers still on old frames, or
        // commits meanwhile), try again once the WAL has grown a little more.
        st.next_at = st.wal_pages.max(pages).saturating_add(CHECKPOINT_PAGES / 4);
    }
}
