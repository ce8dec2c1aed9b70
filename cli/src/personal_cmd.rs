//! `microlearn playlist …`, `microlearn recs …`, `microlearn privacy`, `microlearn experts`,
//! `microlearn leaderboard`: the personal layer from the terminal.

use std::{
    fs::File,
    io::{BufReader, Read},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use microlearn_core::{
    Microlearn,
    personal::{LeaderboardScope, Playlist, PrivacySettings, RatingSharing, Recommendation},
};

use crate::output::{CmdResult, Output};

/// `microlearn playlist …`
#[derive(Subcommand)]
pub enum PlaylistCmd {
    /// List every playlist.
    List,
    /// Create an own playlist.
    Create {
        /// Title.
        title: String,
        /// Card ids, in order.
        cards: Vec<String>,
    },
    /// Show one playlist with its progress.
    Show {
        /// Playlist id.
        id: String,
    },
    /// Add a card at the end (a local overlay edit on a followed playlist).
    Add {
        /// Playlist id.
        id: String,
        /// Card id.
        card: String,
    },
    /// Remove a card (hides it on a followed playlist).
    Remove {
        /// Playlist id.
        id: String,
        /// Card id.
        card: String,
    },
    /// Put the cards in this order (all of them, each once).
    Reorder {
        /// Playlist id.
        id: String,
        /// Card ids in the new order.
        cards: Vec<String>,
    },
    /// Rename an own playlist or copy.
    Rename {
        /// Playlist id.
        id: String,
        /// New title.
        title: String,
    },
    /// Delete (or unfollow) a playlist.
    Delete {
        /// Playlist id.
        id: String,
    },
    /// Print the share payload (JSON) the network layer posts.
    Share {
        /// Playlist id.
        id: String,
    },
    /// Follow a shared playlist from a payload file (`-` = stdin).
    Follow {
        /// Payload file.
        file: PathBuf,
    },
    /// Copy (fork) a shared playlist from a payload file (`-` = stdin).
    Copy {
        /// Payload file.
        file: PathBuf,
    },
    /// Apply an owner's update from a payload file (`-` = stdin).
    Apply {
        /// Payload file.
        file: PathBuf,
    },
}

/// `microlearn recs …`
#[derive(Subcommand)]
pub enum RecsCmd {
    /// "Next for you".
    Next {
        /// Most results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// "If you liked this".
    Liked {
        /// The card.
        card: String,
        /// Most results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Rate a card 1–5 stars.
    Rate {
        /// The card.
        card: String,
        /// Stars, 1–5.
        stars: u8,
    },
    /// Mark a card completed.
    Done {
        /// The card.
        card: String,
    },
    /// Import the catalog-side peer-signals file (JSON Lines, `docs/personal.md`).
    Import {
        /// The file (`-` = stdin).
        file: PathBuf,
    },
    /// What leaves the device for peers' aggregate (under the privacy settings).
    Payload,
}

/// `microlearn privacy`
#[derive(Args)]
pub struct PrivacyArgs {
    /// Name shown to colleagues ("" = none).
    #[arg(long)]
    name: Option<String>,
    /// Team.
    #[arg(long)]
    team: Option<String>,
    /// Ratings: off, anonymous or named.
    #[arg(long)]
    ratings: Option<String>,
    /// Share topic mastery in the expertise profile (true/false).
    #[arg(long)]
    mastery: Option<bool>,
    /// Appear on leaderboards (true/false).
    #[arg(long)]
    leaderboard: Option<bool>,
    /// Be findable in "who can help" (true/false).
    #[arg(long)]
    expertise: Option<bool>,
}

fn read_input(file: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let mut s = String::new();
    if file == Path::new("-") {
        std::io::stdin().read_to_string(&mut s)?;
    } else {
        File::open(file)?.read_to_string(&mut s)?;
    }
    Ok(s)
}

fn playlist_text(core: &Microlearn, p: &Playlist) -> String {
    let mut s = format!(
        "{} [{}] ({}, rev {})",
        p.title,
        p.id,
        p.kind.as_str(),
        p.revision
    );
    if let Some(owner) = &p.owner_name {
        s.push_str(&format!(" by {owner}"));
    }
    if let Ok(prog) = core.playlist_progress(&p.id) {
        s.push_str(&format!(
            "\n  {} of {} done, ~{} min left{}",
            prog.done,
            prog.total,
            prog.minutes_left,
            prog.next_card
                .map(|c| format!(", next: {c}"))
                .unwrap_or_default()
        ));
    }
    for (i, c) in p.cards.iter().enumerate() {
        s.push_str(&format!("\n  {}. {c}", i + 1));
    }
    s
}

/// One line per recommendation: title and why.
pub fn recs_text(core: &Microlearn, recs: &[Recommendation]) -> String {
    let title = |id: &str| {
        core.card(id)
            .map(|c| c.title)
            .unwrap_or_else(|_| id.to_owned())
    };
    recs.iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "  {}. {} [{}] — {}",
                i + 1,
                r.title,
                r.card_id,
                r.explanation(title)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn playlist(data_dir: &Path, cmd: PlaylistCmd, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let now = Utc::now();
    let show = |core: &Microlearn, p: &Playlist| out.print(p, || playlist_text(core, p));
    match cmd {
        PlaylistCmd::List => {
            let all = core.playlists()?;
            out.print(&all, || {
                if all.is_empty() {
                    "no playlists".into()
                } else {
                    all.iter()
                        .map(|p| playlist_text(&core, p))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            });
        }
        PlaylistCmd::Create { title, cards } => {
            show(&core, &core.create_playlist(&title, &cards, now)?)
        }
        PlaylistCmd::Show { id } => show(&core, &core.playlist(&id)?),
        PlaylistCmd::Add { id, card } => {
            core.add_to_playlist(&id, &card, now)?;
            show(&core, &core.playlist(&id)?)
        }
        PlaylistCmd::Remove { id, card } => {
            core.remove_from_playlist(&id, &card, now)?;
            show(&core, &core.playlist(&id)?)
        }
        PlaylistCmd::Reorder { id, cards } => {
            core.reorder_playlist(&id, &cards, now)?;
            show(&core, &core.playlist(&id)?)
        }
        PlaylistCmd::Rename { id, title } => {
            core.rename_playlist(&id, &title, now)?;
            show(&core, &core.playlist(&id)?)
        }
        PlaylistCmd::Delete { id } => {
            core.delete_playlist(&id)?;
            out.print(&serde_json::json!({ "deleted": id }), || {
                format!("deleted {id}")
            });
        }
        PlaylistCmd::Share { id } => println!("{}", core.share_payload(&id)?),
        PlaylistCmd::Follow { file } => show(&core, &core.follow_shared(&read_input(&file)?, now)?),
        PlaylistCmd::Copy { file } => show(&core, &core.copy_shared(&read_input(&file)?, now)?),
        PlaylistCmd::Apply { file } => {
            let o = core.apply_shared(&read_input(&file)?, now)?;
            out.print(&o, || format!("{o:?}"));
        }
    }
    Ok(())
}

pub fn recs(data_dir: &Path, cmd: RecsCmd, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let now: DateTime<Utc> = Utc::now();
    match cmd {
        RecsCmd::Next { limit } => {
            let r = core.next_for_you(limit, now)?;
            out.print(&r, || format!("Next for you:\n{}", recs_text(&core, &r)));
        }
        RecsCmd::Liked { card, limit } => {
            let r = core.if_you_liked(&card, limit)?;
            out.print(&r, || {
                format!("If you liked {card}:\n{}", recs_text(&core, &r))
            });
        }
        RecsCmd::Rate { card, stars } => {
            core.rate_card(&card, stars, now)?;
            out.print(
                &serde_json::json!({ "rated": card, "stars": stars }),
                || format!("rated {card} {stars}★"),
            );
        }
        RecsCmd::Done { card } => {
            core.mark_card_completed(&card, now)?;
            out.print(&serde_json::json!({ "completed": card }), || {
                format!("completed {card}")
            });
        }
        RecsCmd::Import { file } => {
            let r = if file == Path::new("-") {
                core.import_peer_signals(std::io::stdin().lock())?
            } else {
                core.import_peer_signals(BufReader::new(File::open(&file)?))?
            };
            out.print(&r, || {
                format!("peer signals: {} cards, {} pairs", r.cards, r.pairs)
            });
        }
        RecsCmd::Payload => {
            let p = core.ratings_payload()?;
            out.print(&p, || match &p {
                None => "ratings are not shared (privacy: ratings off)".into(),
                Some(p) => serde_json::to_string_pretty(p).unwrap_or_default(),
            });
        }
    }
    Ok(())
}

pub fn privacy(data_dir: &Path, a: PrivacyArgs, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let mut s: PrivacySettings = core.privacy_settings()?;
    if let Some(n) = a.name {
        s.display_name = (!n.trim().is_empty()).then_some(n);
    }
    if let Some(t) = a.team {
        s.team = t;
    }
    if let Some(r) = a.ratings {
        s.ratings = match r.as_str() {
            "off" => RatingSharing::Off,
            "anonymous" => RatingSharing::Anonymous,
            "named" => RatingSharing::Named,
            other => return Err(format!("--ratings {other:?}: use off, anonymous or named").into()),
        };
    }
    s.share_mastery = a.mastery.unwrap_or(s.share_mastery);
    s.leaderboard = a.leaderboard.unwrap_or(s.leaderboard);
    s.expertise = a.expertise.unwrap_or(s.expertise);
    core.set_privacy_settings(&s)?;
    out.print(&s, || format!("{s:#?}"));
    Ok(())
}

pub fn experts(data_dir: &Path, topic: &str, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let e = core.who_can_help(topic, 10)?;
    out.print(&e, || {
        if e.is_empty() {
            format!("nobody who opted in knows about {topic} yet")
        } else {
            e.iter()
                .map(|x| {
                    format!(
                        "  {} ({}): {} accepted answers, {} votes",
                        x.display_name, x.team, x.accepted_answers, x.votes
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
    });
    Ok(())
}

pub fn leaderboard(
    data_dir: &Path,
    team: Option<String>,
    topic: Option<String>,
    out: &Output,
) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let scope = match (team, topic) {
        (_, Some(t)) => LeaderboardScope::Topic(t),
        (Some(t), None) => LeaderboardScope::Team(t),
        (None, None) => LeaderboardScope::Team(core.privacy_settings()?.team),
    };
    let b = core.leaderboard(&scope, Utc::now(), 20)?;
    out.print(&b, || {
        b.iter()
            .map(|e| {
                format!(
                    "  {}. {}{} — {} points",
                    e.rank,
                    e.display_name,
                    if e.is_me { " (you)" } else { "" },
                    e.points
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
