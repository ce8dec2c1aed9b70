//! xAPI benchmark.

use std::path::Path;

use clap::Args;

use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct XapiBench {}

pub fn run(_data_dir: &Path, _args: XapiBench) -> CmdResult {
    Err("bench xapi: not implemented yet".into())
}
