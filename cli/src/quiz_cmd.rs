//! `microlearn quiz` and `microlearn progress`: today's session in the terminal, streaks and mastery.

use std::path::Path;

use clap::Args;

use crate::output::{CmdResult, Output};

/// `microlearn quiz`
#[derive(Args)]
pub struct QuizArgs {}

/// `microlearn progress`
#[derive(Args)]
pub struct ProgressArgs {}

pub fn quiz(_data_dir: &Path, _args: QuizArgs, _out: &Output) -> CmdResult {
    Err("quiz: not implemented yet".into())
}

pub fn progress(_data_dir: &Path, _args: ProgressArgs, _out: &Output) -> CmdResult {
    Err("progress: not implemented yet".into())
}
