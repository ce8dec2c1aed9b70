//! Catalog publishing, sync and the media cache: `catalog build`, `sync`, `pin`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::output::{CmdResult, Output};

/// `microlearn catalog …`
#[derive(Subcommand)]
pub enum CatalogCmd {
    /// Build a publishable catalog (index + shards) from cards.
    Build {
        /// A .jsonl file or a folder of card .json files.
        input: PathBuf,
        /// Output folder to copy to any static host.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `microlearn sync URL`
#[derive(Args)]
pub struct SyncArgs {
    /// URL of the catalog index.
    pub url: String,
}

/// `microlearn pin ID…`
#[derive(Args)]
pub struct PinArgs {
    /// Card ids to keep offline.
    pub ids: Vec<String>,
}

pub fn catalog(_data_dir: &Path, _cmd: CatalogCmd, _out: &Output) -> CmdResult {
    Err("catalog build: not implemented yet".into())
}

pub fn sync(_data_dir: &Path, _args: SyncArgs, _out: &Output) -> CmdResult {
    Err("sync: not implemented yet".into())
}

pub fn pin(_data_dir: &Path, _args: PinArgs, _out: &Output) -> CmdResult {
    Err("pin: not implemented yet".into())
}
