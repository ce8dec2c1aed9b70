//! `microlearn bench …`: the benchmarks. Each prints a human table and, as its last line, one
//! JSON object with its figures (recorded in `docs/BENCHMARKS.md`). One file per benchmark.

mod cipher;
mod network;
mod network_admin;
mod network_crash;
mod personal;
mod personal_eval;
mod quiz;
mod quiz_plan;
mod search;
mod search_data;
mod sync;
mod xapi;
mod xapi_conflicts;
mod xapi_lrs;

use std::path::Path;

use clap::Subcommand;

use crate::output::CmdResult;

/// `microlearn bench …`
#[derive(Subcommand)]
pub enum BenchCmd {
    /// Catalog sync from nginx on loopback.
    Sync(sync::SyncBench),
    /// Search quality and latency on the tldr pages.
    Search(search::SearchBench),
    /// Search latency with encryption at rest (SQLCipher) over without.
    Cipher(cipher::CipherBench),
    /// Daily session building, nudge planning and a learner simulation.
    Quiz(quiz::QuizBench),
    /// xAPI enqueue and flush against a real LRS.
    Xapi(xapi::XapiBench),
    /// The peer network (outbox, sync, card view, search with posts, SIGKILLs) against Synapse.
    Network(network::NetworkBench),
    /// Recommendation quality (MovieLens 100k) and latency, playlist operations.
    Personal(personal::PersonalBench),
}

/// Runs one benchmark.
pub fn run(data_dir: &Path, which: BenchCmd) -> CmdResult {
    match which {
        BenchCmd::Sync(args) => sync::run(data_dir, args),
        BenchCmd::Search(args) => search::run(data_dir, args),
        BenchCmd::Cipher(args) => cipher::run(data_dir, args),
        BenchCmd::Quiz(args) => quiz::run(data_dir, args),
        BenchCmd::Xapi(args) => xapi::run(data_dir, args),
        BenchCmd::Network(args) => network::run(data_dir, args),
        BenchCmd::Personal(args) => personal::run(data_dir, args),
    }
}
