//! Quiz and nudge benchmark.

use std::path::Path;

use clap::Args;

use crate::output::CmdResult;

/// Options of this benchmark.
#[derive(Args)]
pub struct QuizBench {}

pub fn run(_data_dir: &Path, _args: QuizBench) -> CmdResult {
    Err("bench quiz: not implemented yet".into())
}
