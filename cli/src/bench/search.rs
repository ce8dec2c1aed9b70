//! Search benchmark.

use std::path::Path;

use clap::Args;

use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct SearchBench {}

pub fn run(_data_dir: &Path, _args: SearchBench) -> CmdResult {
    Err("bench search: not implemented yet".into())
}
