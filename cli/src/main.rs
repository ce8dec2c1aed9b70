//! `microlearn`: drives the Microlearn core from a terminal.
//!
//! Every command prints a human-readable result by default and one JSON document with `--json`,
//! for scripts. Each group of commands lives in its own module.

mod content_cmd;
mod output;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Offline-first microlearning core, from the terminal.
#[derive(Parser)]
#[command(name = "microlearn", version, about)]
struct Cli {
    /// Data directory holding the database and media cache.
    #[arg(
        long,
        global = true,
        env = "MICROLEARN_DATA_DIR",
        default_value = "microlearn-data"
    )]
    data_dir: PathBuf,
    /// Print JSON instead of human-readable text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load the bundled sample catalog and walk through the main features.
    Demo,
    /// Import cards from a JSON Lines file (one card per line), all or nothing.
    Import {
        /// The .jsonl file (`-` for standard input).
        file: PathBuf,
    },
    /// Show one card.
    Show {
        /// Card id.
        id: String,
    },
    /// Show what the local store holds.
    Status,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let out = output::Output { json: cli.json };
    let result = match cli.command {
        Command::Demo => content_cmd::demo(&cli.data_dir, &out),
        Command::Import { file } => content_cmd::import(&cli.data_dir, &file, &out),
        Command::Show { id } => content_cmd::show(&cli.data_dir, &id, &out),
        Command::Status => content_cmd::status(&cli.data_dir, &out),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            std::process::ExitCode::FAILURE
        }
    }
}
