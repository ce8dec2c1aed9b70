//! `microlearn`: drives the Microlearn core from a terminal.
//!
//! Every command prints a human-readable result by default and one JSON document with `--json`,
//! for scripts. Each group of commands lives in its own module.

mod bench;
mod content_cmd;
mod demo;
mod network_cmd;
mod nudge_cmd;
mod output;
mod personal_cmd;
mod quiz_cmd;
mod search_cmd;
mod sync_cmd;
mod xapi_cmd;

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
    Demo {
        /// Homeserver URL: send the network outbox there (otherwise it stays queued offline).
        #[arg(long, requires_all = ["user", "password"])]
        homeserver: Option<String>,
        /// Matrix user name (with --homeserver).
        #[arg(long)]
        user: Option<String>,
        /// Matrix password (with --homeserver; used for one login, never stored).
        #[arg(long)]
        password: Option<String>,
    },
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
    /// Publish a catalog: build an index and shards for any static host.
    Catalog {
        #[command(subcommand)]
        cmd: sync_cmd::CatalogCmd,
    },
    /// Sync the offline catalog from a published index URL.
    Sync(sync_cmd::SyncArgs),
    /// Keep cards (and their media) available offline.
    Pin(sync_cmd::PinArgs),
    /// Search the offline catalog.
    Search(search_cmd::SearchArgs),
    /// Take today's quiz session in the terminal.
    Quiz(quiz_cmd::QuizArgs),
    /// Streak, points, badges and topic mastery.
    Progress(quiz_cmd::ProgressArgs),
    /// Push-nudge planning.
    Nudges {
        #[command(subcommand)]
        cmd: nudge_cmd::NudgesCmd,
    },
    /// The xAPI statement queue.
    Xapi {
        #[command(subcommand)]
        cmd: xapi_cmd::XapiCmd,
    },
    /// The peer network on a Matrix homeserver: sign in, post (offline outbox), send, sync, read.
    Network {
        #[command(subcommand)]
        cmd: network_cmd::NetworkCmd,
    },
    /// Playlists: create, edit, progress, share, follow, copy.
    Playlist {
        #[command(subcommand)]
        cmd: personal_cmd::PlaylistCmd,
    },
    /// Recommendations, ratings, completions, peer signals.
    Recs {
        #[command(subcommand)]
        cmd: personal_cmd::RecsCmd,
    },
    /// What the learner shares with colleagues.
    Privacy(personal_cmd::PrivacyArgs),
    /// Who can help with a topic (colleagues who opted in).
    Experts {
        /// The topic.
        topic: String,
    },
    /// This week's leaderboard (people who opted in only).
    Leaderboard {
        /// Team scope.
        #[arg(long)]
        team: Option<String>,
        /// Topic scope.
        #[arg(long)]
        topic: Option<String>,
    },
    /// Benchmarks; each prints a table and, last, one JSON line.
    Bench {
        #[command(subcommand)]
        which: bench::BenchCmd,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let out = output::Output { json: cli.json };
    let result = match cli.command {
        Command::Demo {
            homeserver,
            user,
            password,
        } => {
            let net = match (homeserver, user, password) {
                (Some(homeserver), Some(user), Some(password)) => Some(demo::DemoNet {
                    homeserver,
                    user,
                    password,
                }),
                _ => None,
            };
            demo::run(&cli.data_dir, net.as_ref(), &out)
        }
        Command::Import { file } => content_cmd::import(&cli.data_dir, &file, &out),
        Command::Show { id } => content_cmd::show(&cli.data_dir, &id, &out),
        Command::Status => content_cmd::status(&cli.data_dir, &out),
        Command::Catalog { cmd } => sync_cmd::catalog(&cli.data_dir, cmd, &out),
        Command::Sync(args) => sync_cmd::sync(&cli.data_dir, args, &out),
        Command::Pin(args) => sync_cmd::pin(&cli.data_dir, args, &out),
        Command::Search(args) => search_cmd::run(&cli.data_dir, args, &out),
        Command::Quiz(args) => quiz_cmd::quiz(&cli.data_dir, args, &out),
        Command::Progress(args) => quiz_cmd::progress(&cli.data_dir, args, &out),
        Command::Nudges { cmd } => nudge_cmd::run(&cli.data_dir, cmd, &out),
        Command::Xapi { cmd } => xapi_cmd::run(&cli.data_dir, cmd, &out),
        Command::Network { cmd } => network_cmd::run(&cli.data_dir, cmd, &out),
        Command::Playlist { cmd } => personal_cmd::playlist(&cli.data_dir, cmd, &out),
        Command::Recs { cmd } => personal_cmd::recs(&cli.data_dir, cmd, &out),
        Command::Privacy(args) => personal_cmd::privacy(&cli.data_dir, args, &out),
        Command::Experts { topic } => personal_cmd::experts(&cli.data_dir, &topic, &out),
        Command::Leaderboard { team, topic } => {
            personal_cmd::leaderboard(&cli.data_dir, team, topic, &out)
        }
        Command::Bench { which } => bench::run(&cli.data_dir, which),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            std::process::ExitCode::FAILURE
        }
    }
}
