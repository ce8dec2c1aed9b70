//! How big a batch may be: a count cap and a byte cap, the byte cap learned down from the LRS.
//!
//! *Why:* LRSs and the proxies in front of them cap request bodies (1 MiB, 2.5 MiB, 4 MiB …) and
//! say so with 413 — or with a 400 whose text says "too large". Halving on such an answer finds
//! a size that passes, but growing back to the configured cap after every success would pay one
//! refused request per couple of batches, forever (on a 200 ms mobile link, plus the upload of
//! the refused body). So the largest body refused as too large is remembered per endpoint in
//! `xapi_meta` (`max_bytes_refused:<url>`) and batches stay below it from then on, across
//! flushes. The count cap still halves on a whole-batch 400 (to isolate the bad statement) and
//! grows back after each settled batch.

use rusqlite::Connection;

use super::{XapiError, flush::FlushOptions, queue};

/// Smallest byte cap ever used (one statement is always sent, whatever its size).
const MIN_BYTES: usize = 1024;

/// The caps for the next batch.
#[derive(Debug, Clone)]
pub(crate) struct BatchSizer {
    max_count: usize,
    max_bytes: usize,
    count: usize,
    bytes: usize,
    refused: Option<usize>,
}

fn refused_key(url: &str) -> String {
    format!("max_bytes_refused:{url}")
}

impl BatchSizer {
    /// Caps from the options, below what this endpoint refused before.
    pub(crate) fn load(
        conn: &Connection,
        opts: &FlushOptions,
        url: &str,
    ) -> Result<Self, XapiError> {
        let refused = queue::get_meta(conn, &refused_key(url))?.and_then(|v| v.parse().ok());
        let mut s = BatchSizer {
            max_count: opts.max_batch_statements.max(1) as usize,
            max_bytes: (opts.max_batch_bytes as usize).max(MIN_BYTES),
            count: 0,
            bytes: 0,
            refused,
        };
        s.count = s.max_count;
        s.bytes = s.ceiling();
        Ok(s)
    }

    fn ceiling(&self) -> usize {
        match self.refused {
            Some(r) => self.max_bytes.min(r.saturating_sub(1)).max(MIN_BYTES),
            None => self.max_bytes,
        }
    }

    /// (most statements, most bytes) for the next batch.
    pub(crate) fn caps(&self) -> (usize, usize) {
        (self.count, self.bytes)
    }

    /// The LRS refused a body of `bytes` (`count` statements) as too large: halve, and
    /// remember (the caller persists [`Self::persist`]).
    pub(crate) fn too_large(&mut self, count: usize, bytes: usize) {
        self.refused = Some(self.refused.map_or(bytes, |r| r.min(bytes)));
        self.count = (count / 2).max(1);
        self.bytes = (bytes / 2).max(MIN_BYTES).min(self.ceiling());
    }

    /// A whole batch of `count` was refused (400): halve the count to isolate the bad one.
    pub(crate) fn bisect(&mut self, count: usize) {
        self.count = (count / 2).max(1);
    }

    /// A batch was settled: grow back towards the caps, never past a refused size.
    pub(crate) fn settled(&mut self) {
        self.count = (self.count * 2).min(self.max_count);
        self.bytes = (self.bytes * 2).min(self.ceiling());
    }

    /// Stores the refused size for later flushes to `url`.
    pub(crate) fn persist(&self, conn: &Connection, url: &str) -> Result<(), XapiError> {
        match self.refused {
            Some(r) => queue::set_meta(conn, &refused_key(url), &r.to_string()),
            None => Ok(()),
        }
    }
}

/// A 400 that means "the body is too large" (some LRSs and proxies answer so instead of 413).
/// Narrow on purpose: a statement's own complaint ("score exceeds max") must bisect, not shrink
/// the learned byte cap.
pub(crate) fn is_too_large_complaint(body: &str) -> bool {
    let b = body.to_ascii_lowercase();
    let sized = [
        "body",
        "payload",
        "request",
        "entity",
        "content-length",
        "bytes",
    ]
    .iter()
    .any(|w| b.contains(w));
    b.contains("too large")
        || b.contains("too big")
        || (sized && (b.contains("limit") || b.contains("maximum size")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, crate::store::Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join("t.db")).expect("open");
        (dir, store)
    }

    #[test]
    fn a_refused_size_is_never_reached_again_and_is_remembered() {
        let (_d, store) = db();
        let opts = FlushOptions::default();
        let url = "http://lrs.example/xapi/";
        let mut s = store
            .read(|c| BatchSizer::load(c, &opts, url))
            .expect("load");
        assert_eq!(s.caps(), (500, 1024 * 1024));
        s.too_large(500, 600_000);
        assert_eq!(s.caps(), (250, 300_000));
        for _ in 0..10 {
            s.settled();
        }
        assert_eq!(s.caps(), (500, 599_999));
        store.write(|tx| s.persist(tx, url)).expect("persist");
        let again = store
            .read(|c| BatchSizer::load(c, &opts, url))
            .expect("load");
        assert_eq!(again.caps(), (500, 599_999));
        let other = store
            .read(|c| BatchSizer::load(c, &opts, "http://other.example/"))
            .expect("load");
        assert_eq!(other.caps(), (500, 1024 * 1024));
    }

    #[test]
    fn bisect_halves_the_count_only() {
        let (_d, store) = db();
        let opts = FlushOptions::default();
        let mut s = store
            .read(|c| BatchSizer::load(c, &opts, "u"))
            .expect("load");
        s.bisect(500);
        s.bisect(250);
        assert_eq!(s.caps(), (125, 1024 * 1024));
        s.settled();
        assert_eq!(s.caps().0, 250);
    }

    #[test]
    fn too_large_answers() {
        assert!(is_too_large_complaint(
            "Request body too large (limit 2.5 MiB)"
        ));
        assert!(is_too_large_complaint(
            "{\"error\":\"Payload exceeds the limit\"}"
        ));
        assert!(!is_too_large_complaint("statement 123: invalid verb"));
        assert!(!is_too_large_complaint(
            "result.score.raw exceeds score.max"
        ));
        assert!(is_too_large_complaint(
            "JSON body exceeds the 2.5 MiB limit"
        ));
    }
}
