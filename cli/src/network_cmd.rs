//! `microlearn network …`: the peer network on a Matrix homeserver from the terminal — sign in,
//! join topic rooms, post (works offline: items wait in the outbox), send, sync, read.
//!
//! The CLI is a shell like the apps: it keeps the access token in `<data-dir>/matrix-token`
//! (mode 0600, its stand-in for a keystore), never in the database. `--token` or
//! `MICROLEARN_MATRIX_TOKEN` override it.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use microlearn_core::{
    Microlearn,
    network::{DeliverOptions, SyncOptions, qa::QuestionSort},
    xapi::{Credentials, StaticCredentials},
};

use crate::output::{CmdResult, Output};

/// `microlearn network …`
#[derive(Subcommand)]
pub enum NetworkCmd {
    /// Sign in with a password (read from MICROLEARN_MATRIX_PASSWORD or --password).
    Login {
        /// Homeserver URL.
        #[arg(long)]
        homeserver: String,
        /// User name or id.
        #[arg(long)]
        user: String,
        /// Password (prefer the environment variable).
        #[arg(long, env = "MICROLEARN_MATRIX_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Join the rooms of catalog topics.
    Join {
        /// Topics.
        topics: Vec<String>,
    },
    /// Create the room of a topic (moderators).
    CreateRoom {
        /// Topic.
        topic: String,
    },
    /// Rooms with unread counts.
    Rooms,
    /// Ask a question.
    Ask(PostArgs),
    /// Answer a question (event id or local: id).
    Answer {
        #[command(flatten)]
        room: RoomArg,
        /// The question.
        question: String,
        /// The answer.
        text: String,
    },
    /// Comment on a card.
    Comment(PostArgs),
    /// Rate a card 1–5 (optionally flag it out of date).
    Rate {
        #[command(flatten)]
        room: RoomArg,
        /// Card id.
        card: String,
        /// Stars, 1–5.
        stars: u8,
        /// Flag the card as out of date / wrong.
        #[arg(long)]
        outdated: bool,
    },
    /// Vote a post up (or down with --down).
    Vote {
        #[command(flatten)]
        room: RoomArg,
        /// The post.
        target: String,
        /// Vote down.
        #[arg(long)]
        down: bool,
    },
    /// Accept an answer to a question.
    Accept {
        #[command(flatten)]
        room: RoomArg,
        /// The question.
        question: String,
        /// The answer.
        answer: String,
    },
    /// Report a post.
    Report {
        #[command(flatten)]
        room: RoomArg,
        /// The post.
        target: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Delete a post (collapses if still queued).
    Delete {
        #[command(flatten)]
        room: RoomArg,
        /// The post.
        post: String,
    },
    /// Share a tip with a media file.
    Tip {
        #[command(flatten)]
        room: RoomArg,
        /// Card id.
        card: String,
        /// The media file.
        #[arg(long)]
        file: PathBuf,
        /// Its MIME type.
        #[arg(long)]
        mime: String,
        /// The text.
        text: String,
    },
    /// Queue a custom event (namespaced type, JSON object content).
    Custom {
        #[command(flatten)]
        room: RoomArg,
        /// Event type, e.g. org.example.playlist.
        event_type: String,
        /// JSON content.
        content: String,
    },
    /// Queue COUNT questions, one transaction each, printing each id once committed.
    EnqueueMany {
        #[command(flatten)]
        room: RoomArg,
        /// How many.
        count: u32,
    },
    /// The outbox: every item with its state (pending / sent / failed).
    Outbox,
    /// Send what the outbox holds.
    Send {
        /// Most items in this run.
        #[arg(long, default_value_t = 10_000)]
        max_items: u64,
        /// Make items waiting on a back-off due now.
        #[arg(long)]
        now: bool,
    },
    /// Fetch new events.
    Sync {
        /// Most backfill pages in this run.
        #[arg(long, default_value_t = 100)]
        max_backfill_pages: u32,
    },
    /// A card's rating summary, top questions and best answers.
    Card {
        /// Card id.
        id: String,
    },
    /// Questions matching a query.
    Search {
        /// The query.
        query: String,
    },
    /// Questions of a room.
    Questions {
        #[command(flatten)]
        room: RoomArg,
        /// Newest first instead of most voted.
        #[arg(long)]
        recent: bool,
    },
    /// Unanswered questions in my topics.
    Unanswered,
}

/// Which room: a room id (`!…`) or a topic name.
#[derive(Args)]
pub struct RoomArg {
    /// Room id or topic.
    #[arg(long)]
    room: String,
}

/// A post about an optional card.
#[derive(Args)]
pub struct PostArgs {
    #[command(flatten)]
    room: RoomArg,
    /// Card id.
    #[arg(long)]
    card: Option<String>,
    /// The text.
    text: String,
}

fn token_file(dir: &Path) -> PathBuf {
    dir.join("matrix-token")
}

fn provider(dir: &Path) -> StaticCredentials {
    let token = std::env::var("MICROLEARN_MATRIX_TOKEN")
        .ok()
        .or_else(|| std::fs::read_to_string(token_file(dir)).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    StaticCredentials(token.map(|token| Credentials::Bearer { token }))
}

fn room(core: &Microlearn, r: &RoomArg) -> Result<String, Box<dyn std::error::Error>> {
    if r.room.starts_with('!') {
        return Ok(r.room.clone());
    }
    core.network_topic_room(&r.room)?
        .ok_or_else(|| format!("no joined room for topic {:?}", r.room).into())
}

fn runtime() -> Result<tokio::runtime::Runtime, std::io::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn print_id(out: &Output, id: &str) {
    out.print(&serde_json::json!({ "local_id": id }), || {
        format!("queued {id}")
    });
}

/// Runs one `network` subcommand.
pub fn run(dir: &Path, cmd: NetworkCmd, out: &Output) -> CmdResult {
    let core = Microlearn::open(dir)?;
    let creds = provider(dir);
    match cmd {
        NetworkCmd::Login {
            homeserver,
            user,
            password,
        } => {
            let s = runtime()?.block_on(core.network_login(&homeserver, &user, &password))?;
            write_token(dir, &s.access_token)?;
            out.print(
                &serde_json::json!({"user_id": s.user_id, "device_id": s.device_id}),
                || format!("signed in as {} (device {})", s.user_id, s.device_id),
            );
        }
        NetworkCmd::Join { topics } => {
            let r = runtime()?.block_on(core.network_join_topics(&topics, &creds))?;
            out.print(&r, || {
                format!("joined {:?}, no room yet for {:?}", r.joined, r.missing)
            });
        }
        NetworkCmd::CreateRoom { topic } => {
            let id = runtime()?.block_on(core.network_create_topic_room(&topic, &creds))?;
            out.print(&serde_json::json!({ "room_id": id }), || id.clone());
        }
        NetworkCmd::Rooms => {
            let rooms = core.network_rooms()?;
            out.print(&rooms, || {
                rooms
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} [{}] unread {}",
                            r.room_id,
                            r.topic.as_deref().unwrap_or("-"),
                            r.membership,
                            r.unread
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        NetworkCmd::Ask(a) => {
            let id = core.network_ask(&room(&core, &a.room)?, a.card.as_deref(), &a.text)?;
            print_id(out, &id);
        }
        NetworkCmd::Answer {
            room: r,
            question,
            text,
        } => print_id(
            out,
            &core.network_answer(&room(&core, &r)?, &question, &text)?,
        ),
        NetworkCmd::Comment(a) => {
            let card = a.card.ok_or("--card is required for a comment")?;
            print_id(
                out,
                &core.network_comment(&room(&core, &a.room)?, &card, &a.text)?,
            );
        }
        NetworkCmd::Rate {
            room: r,
            card,
            stars,
            outdated,
        } => print_id(
            out,
            &core.network_rate(&room(&core, &r)?, &card, stars, outdated)?,
        ),
        NetworkCmd::Vote {
            room: r,
            target,
            down,
        } => print_id(out, &core.network_vote(&room(&core, &r)?, &target, !down)?),
        NetworkCmd::Accept {
            room: r,
            question,
            answer,
        } => print_id(
            out,
            &core.network_accept(&room(&core, &r)?, &question, &answer)?,
        ),
        NetworkCmd::Report {
            room: r,
            target,
            reason,
        } => print_id(
            out,
            &core.network_report(&room(&core, &r)?, &target, &reason)?,
        ),
        NetworkCmd::Delete { room: r, post } => {
            let d = core.network_delete(&room(&core, &r)?, &post, "")?;
            out.print(&d, || format!("{d:?}"));
        }
        NetworkCmd::Tip {
            room: r,
            card,
            file,
            mime,
            text,
        } => print_id(
            out,
            &core.network_tip(
                &room(&core, &r)?,
                &card,
                &text,
                &file,
                &mime,
                microlearn_core::network::media::DEFAULT_UPLOAD_BUDGET,
            )?,
        ),
        NetworkCmd::Custom {
            room: r,
            event_type,
            content,
        } => print_id(
            out,
            &core.network_enqueue_custom(&room(&core, &r)?, &event_type, &content)?,
        ),
        NetworkCmd::EnqueueMany { room: r, count } => {
            let room = room(&core, &r)?;
            for i in 0..count {
                let id =
                    core.network_ask(&room, Some("crash-card"), &format!("crash question {i}"))?;
                println!("{id}");
            }
        }
        NetworkCmd::Outbox => {
            let items = core.network_outbox()?;
            out.print(&items, || {
                items
                    .iter()
                    .map(|i| {
                        format!(
                            "{} {:?} {} {} {}",
                            i.local_id,
                            i.state,
                            i.kind,
                            i.event_id.as_deref().unwrap_or("-"),
                            i.error.as_deref().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        NetworkCmd::Send { max_items, now } => {
            if now {
                core.network_retry_now()?;
            }
            let opts = DeliverOptions {
                max_items,
                ..Default::default()
            };
            let r = runtime()?.block_on(core.network_send(&creds, &opts))?;
            out.print(&r, || format!("{r:?}"));
        }
        NetworkCmd::Sync { max_backfill_pages } => {
            let opts = SyncOptions {
                max_backfill_pages,
                ..Default::default()
            };
            let r = runtime()?.block_on(core.network_sync(&creds, &opts))?;
            out.print(&r, || format!("{r:?}"));
        }
        NetworkCmd::Card { id } => {
            let v = core.network_card_view(&id, 5)?;
            out.print(&v, || serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        NetworkCmd::Search { query } => {
            let v = core.network_search(&query, 10)?;
            out.print(&v, || serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        NetworkCmd::Questions { room: r, recent } => {
            let sort = if recent {
                QuestionSort::Recent
            } else {
                QuestionSort::Votes
            };
            let v = core.network_questions(&room(&core, &r)?, sort, 50)?;
            out.print(&v, || serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        NetworkCmd::Unanswered => {
            let v = core.network_unanswered(50)?;
            out.print(&v, || serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    Ok(())
}

fn write_token(dir: &Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    let path = token_file(dir);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(token.as_bytes())
}
