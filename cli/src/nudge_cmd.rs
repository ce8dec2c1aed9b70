//! `microlearn nudges …`: the notification plan.

use std::path::Path;

use clap::Subcommand;

use crate::output::{CmdResult, Output};

/// `microlearn nudges …`
#[derive(Subcommand)]
pub enum NudgesCmd {
    /// Plan the next days' nudges.
    Plan {
        /// How many days ahead.
        #[arg(long, default_value_t = 14)]
        days: u32,
    },
}

pub fn run(_data_dir: &Path, _cmd: NudgesCmd, _out: &Output) -> CmdResult {
    Err("nudges: not implemented yet".into())
}
