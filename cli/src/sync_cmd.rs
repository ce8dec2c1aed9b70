//! Catalog publishing, sync and the media cache: `catalog build`, `sync`, `pin`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use microlearn_core::content::build::{BuildOptions, build_catalog};

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
        /// The previously published catalog folder (may equal --out): keep its shards and append
        /// one delta shard, so clients download only the change.
        #[arg(long)]
        previous: Option<PathBuf>,
        /// Catalog id of a fresh catalog.
        #[arg(long)]
        catalog_id: Option<String>,
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

pub fn catalog(_data_dir: &Path, cmd: CatalogCmd, out: &Output) -> CmdResult {
    match cmd {
        CatalogCmd::Build {
            input,
            out: dir,
            previous,
            catalog_id,
        } => {
            let opts = BuildOptions {
                previous,
                catalog_id,
                ..Default::default()
            };
            let r = build_catalog(&input, &dir, &opts)?;
            out.print(&r, || {
                format!(
                    "built {} ({}): {} cards in {} shards, {} bytes; wrote {} shards ({} bytes); \
                     +{} ~{} -{}",
                    r.index_path,
                    r.mode,
                    r.cards,
                    r.shards,
                    r.total_bytes,
                    r.shards_written,
                    r.bytes_written,
                    r.added,
                    r.updated,
                    r.deleted
                )
            });
            Ok(())
        }
    }
}

pub fn sync(_data_dir: &Path, _args: SyncArgs, _out: &Output) -> CmdResult {
    Err("sync: not implemented yet".into())
}

pub fn pin(_data_dir: &Path, _args: PinArgs, _out: &Output) -> CmdResult {
    Err("pin: not implemented yet".into())
}
