//! `microlearn search`: micro-moment search, one query or a batch from stdin.

use std::path::Path;

use clap::Args;

use crate::output::{CmdResult, Output};

/// `microlearn search QUERY`
#[derive(Args)]
pub struct SearchArgs {
    /// The query, as typed.
    pub query: Option<String>,
}

pub fn run(_data_dir: &Path, _args: SearchArgs, _out: &Output) -> CmdResult {
    Err("search: not implemented yet".into())
}
