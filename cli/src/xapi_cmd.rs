//! `microlearn xapi …`: the statement queue's status and flush.

use std::path::Path;

use clap::Subcommand;

use crate::output::{CmdResult, Output};

/// `microlearn xapi …`
#[derive(Subcommand)]
pub enum XapiCmd {
    /// Queue depth, oldest pending age, last error, dead letters.
    Status,
}

pub fn run(_data_dir: &Path, _cmd: XapiCmd, _out: &Output) -> CmdResult {
    Err("xapi: not implemented yet".into())
}
