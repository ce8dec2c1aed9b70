//! Catalog sync benchmark.

use std::path::Path;

use clap::Args;

use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct SyncBench {}

pub fn run(_data_dir: &Path, _args: SyncBench) -> CmdResult {
    Err("bench sync: not implemented yet".into())
}
