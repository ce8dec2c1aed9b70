//! `microlearn demo`: a newcomer's tour of every capability in one run, on the bundled sample
//! catalog, with no server: a typo'd search, two days of quiz sessions answered automatically,
//! the week's nudge plan, a playlist and recommendations, the privacy rules, the xAPI queue and
//! the network outbox.
//!
//! *Re-runnable:* the demo keeps a run counter in the data dir and each run plays two new days
//! (run 1: days 1–2, run 2: days 3–4, …) on a fixed demo calendar, so the append-only quiz log
//! stays consistent and the output stays deterministic for a given run number.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use microlearn_core::{
    Microlearn,
    network::{DeliverOptions, OutboxState},
    nudge::{Schedule, ShiftStart},
    personal::PlaylistKind,
    quiz::ItemKind,
    search::SearchOptions,
    xapi::{Credentials, StaticCredentials},
};

use crate::{
    content_cmd::SAMPLE_CATALOG,
    output::{CmdResult, Output},
    personal_cmd::recs_text,
};

/// The sample peer-signals file (what the L&D team would publish next to the catalog).
pub const SAMPLE_PEER_SIGNALS: &str = include_str!("../../core/sample/peer-signals.jsonl");
const RUNS_FILE: &str = "demo-runs";
const PLAYLIST_TITLE: &str = "Demo: my first week";

/// The section titles, in order (the CLI test checks they all appear).
pub const SECTIONS: &[&str] = &[
    "1. Catalog",
    "2. Search with a typo",
    "3. Quiz, day",
    "4. Quiz, day",
    "5. Nudges for the week",
    "6. Playlist",
    "7. Recommendations",
    "8. Privacy",
    "9. xAPI queue",
    "10. Network outbox",
];

struct Tour {
    lines: Vec<String>,
}

impl Tour {
    fn section(&mut self, title: &str) {
        self.lines.push(String::new());
        self.lines.push(title.to_owned());
        self.lines.push("-".repeat(title.chars().count()));
    }
    fn say(&mut self, s: impl Into<String>) {
        self.lines.push(s.into());
    }
}

fn run_number(data_dir: &Path) -> u32 {
    let path = data_dir.join(RUNS_FILE);
    let n = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    // Best effort: a demo that cannot write its counter still runs.
    let _ = std::fs::write(&path, n.to_string());
    n
}

/// Answers a day's session automatically: every third question wrong, the others right.
fn quiz_day(core: &Microlearn, t: &mut Tour, day: u32, at: DateTime<Utc>) -> CmdResult {
    let session = core.daily_session(Some(120), at)?;
    t.say(format!(
        "{} questions picked for a 2-minute session ({} reviews due, {} new):",
        session.items.len(),
        session
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::Review)
            .count(),
        session
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::New)
            .count(),
    ));
    for (k, item) in session.items.iter().enumerate() {
        if item.answered {
            continue;
        }
        // The demo peeks at the card's answer key to play a learner who gets most right.
        let right: Vec<u32> = core
            .card(&item.card_id)?
            .questions
            .into_iter()
            .find(|q| q.id == item.question_id)
            .map(|q| q.correct)
            .unwrap_or_default();
        let wrong_choice: Vec<u32> = (0..item.choices.len() as u32)
            .filter(|c| !right.contains(c))
            .take(1)
            .collect();
        let pick = if k % 3 == 2 && !wrong_choice.is_empty() {
            wrong_choice
        } else {
            right
        };
        let o = core.answer(
            &item.question_id,
            &pick,
            6000,
            None,
            at + Duration::seconds(20 * k as i64),
        )?;
        t.say(format!(
            "  {} [{}] {} → next review in {:.1} days",
            if o.correct { "✓" } else { "✗" },
            if item.kind == ItemKind::Review {
                "review"
            } else {
                "new"
            },
            item.stem,
            o.interval_days
        ));
    }
    let p = core.progress(at + Duration::minutes(10))?;
    t.say(format!(
        "Day {day}: streak {} day(s), {} points in all, badges: {}",
        p.streak_days,
        p.points_total,
        if p.badges.is_empty() {
            "none".into()
        } else {
            p.badges
                .iter()
                .map(|b| b.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    Ok(())
}

/// Where the demo sends (`microlearn demo --homeserver URL --user U --password P`).
pub struct DemoNet {
    /// Homeserver URL.
    pub homeserver: String,
    /// User name.
    pub user: String,
    /// Password (used for one login call, never stored).
    pub password: String,
}

/// The room the offline demo queues into when no topic room is joined: a placeholder that is
/// never sent (the online demo collapses what waits there first).
const OFFLINE_ROOM: &str = "!demo-outbox:offline.invalid";
const DEMO_CARD: &str = "refund-no-receipt";
const DEMO_TOPIC: &str = "refunds";
const DEMO_QUESTION: &str = "How do I refund a customer with no receipt?";

fn state(s: OutboxState) -> &'static str {
    match s {
        OutboxState::Pending => "pending",
        OutboxState::Sent => "sent",
        OutboxState::Failed => "failed",
    }
}

/// Queues the demo question and the playlist share in `room` unless they already wait there
/// (so re-runs do not grow the outbox).
fn queue_demo_items(core: &Microlearn, room: &str, playlist_id: &str) -> CmdResult {
    let waiting = core
        .network_outbox()?
        .into_iter()
        .any(|i| i.room_id == room && i.state == OutboxState::Pending && i.kind == "question");
    if !waiting {
        core.network_ask(room, Some(DEMO_CARD), DEMO_QUESTION)?;
        core.share_playlist_to_room(playlist_id, room)?;
    }
    Ok(())
}

fn show_outbox(core: &Microlearn, t: &mut Tour, room: &str) -> CmdResult {
    let items: Vec<_> = core
        .network_outbox()?
        .into_iter()
        .filter(|i| i.room_id == room)
        .collect();
    let count = |s| items.iter().filter(|i| i.state == s).count();
    t.say(format!(
        "Outbox for this room: {} pending, {} sent, {} failed (durable in SQLite, sent in order with Matrix transaction ids).",
        count(OutboxState::Pending),
        count(OutboxState::Sent),
        count(OutboxState::Failed)
    ));
    for i in items.iter().rev().take(4).rev() {
        t.say(format!(
            "  {:<7} {:<8} {:<24} txn {}{}",
            state(i.state),
            i.kind,
            i.event_type,
            i.txn_id,
            i.event_id
                .as_deref()
                .map(|e| format!(" -> {e}"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

/// The network outbox: a question on the demo card and the playlist share are queued in the
/// durable outbox; with a homeserver they are sent (sign in, join or create the topic room,
/// send), otherwise they wait offline and are shown with their transaction ids.
fn network_outbox_section(
    core: &Microlearn,
    t: &mut Tour,
    playlist_id: &str,
    net: Option<&DemoNet>,
) -> CmdResult {
    let Some(net) = net else {
        let room = core
            .network_topic_room(DEMO_TOPIC)?
            .unwrap_or_else(|| OFFLINE_ROOM.to_owned());
        queue_demo_items(core, &room, playlist_id)?;
        t.say(format!(
            "Offline: a question on {DEMO_CARD:?} and the playlist share wait in the outbox."
        ));
        show_outbox(core, t, &room)?;
        t.say("Send them with `microlearn demo --homeserver URL --user U --password P`.");
        return Ok(());
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let session = rt.block_on(core.network_login(&net.homeserver, &net.user, &net.password))?;
    let creds = StaticCredentials(Some(Credentials::Bearer {
        token: session.access_token.clone(),
    }));
    let joined = rt.block_on(core.network_join_topics(&[DEMO_TOPIC.to_owned()], &creds))?;
    let room = match joined.joined.first() {
        Some(r) => r.clone(),
        None => rt.block_on(core.network_create_topic_room(DEMO_TOPIC, &creds))?,
    };
    // What the offline runs queued for the placeholder room collapses locally, unsent.
    for i in core.network_outbox()? {
        if i.room_id == OFFLINE_ROOM && i.state == OutboxState::Pending {
            core.network_delete(OFFLINE_ROOM, &i.local_id, "demo went online")?;
        }
    }
    queue_demo_items(core, &room, playlist_id)?;
    let sent = rt.block_on(core.network_send(&creds, &DeliverOptions::default()))?;
    t.say(format!(
        "Signed in as {} and joined {room} (topic {DEMO_TOPIC:?}); sent {}, failed {}, pending {}.",
        session.user_id, sent.sent, sent.failed, sent.pending
    ));
    show_outbox(core, t, &room)?;
    Ok(())
}

/// Runs the tour.
pub fn run(data_dir: &Path, net: Option<&DemoNet>, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let run = run_number(data_dir);
    let base = Utc
        .with_ymd_and_hms(2026, 11, 2, 8, 0, 0)
        .single()
        .ok_or("demo calendar")?;
    let day1 = base + Duration::days(2 * i64::from(run - 1));
    let day2 = day1 + Duration::days(1);
    let mut t = Tour { lines: vec![] };
    t.say(format!(
        "Microlearn demo (run {run}; data in {})",
        data_dir.display()
    ));

    t.section(SECTIONS[0]);
    let report = core.import_jsonl(SAMPLE_CATALOG.as_bytes())?;
    let status = core.status()?;
    t.say(format!(
        "Imported {} sample cards (retail, safety, care); the store holds {} cards in one SQLite file.",
        report.imported, status.cards
    ));

    t.section(SECTIONS[1]);
    let query = "refnd recipt";
    let r = core.search(
        query,
        &SearchOptions {
            limit: 3,
            ..SearchOptions::default()
        },
    )?;
    t.say(format!(
        "You typed {query:?}{}:",
        r.did_you_mean
            .as_ref()
            .map(|d| format!(" (did you mean {d:?}?)"))
            .unwrap_or_default()
    ));
    for h in &r.hits {
        t.say(format!("  {} [{}]", h.title, h.card_id));
    }

    t.section(&format!("{} {}", SECTIONS[2], 2 * run - 1));
    quiz_day(&core, &mut t, 2 * run - 1, day1)?;
    t.section(&format!(
        "{} {} (differs: yesterday's misses come back first)",
        SECTIONS[3],
        2 * run
    ));
    quiz_day(&core, &mut t, 2 * run, day2)?;

    t.section(SECTIONS[4]);
    if core.nudge_schedule()?.is_none() {
        core.set_nudge_schedule(&Schedule {
            time_zone: "Europe/London".into(),
            shifts: (0..5)
                .map(|weekday| ShiftStart {
                    weekday,
                    start_min: 9 * 60,
                })
                .collect(),
            shift_minutes: 8 * 60,
        })?;
    }
    let plan = core.plan_nudges(day2 + Duration::hours(2), 7)?;
    t.say(format!(
        "{} nudges planned for the OS (Mon–Fri shifts from 09:00, Europe/London; quiet hours and caps applied):",
        plan.nudges.len()
    ));
    for n in plan.nudges.iter().take(7) {
        t.say(format!("  {}  {}", n.local_start, n.title));
    }

    t.section(SECTIONS[5]);
    let existing = core
        .playlists()?
        .into_iter()
        .find(|p| p.kind == PlaylistKind::Own && p.title == PLAYLIST_TITLE);
    let pl = match existing {
        Some(p) => p,
        None => {
            let cards: Vec<String> = [
                "fire-evacuation",
                "refund-no-receipt",
                "angry-customer",
                "spill-cleanup",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            core.create_playlist(PLAYLIST_TITLE, &cards, day2)?
        }
    };
    core.mark_card_completed("fire-evacuation", day2)?;
    let prog = core.playlist_progress(&pl.id)?;
    t.say(format!(
        "\"{}\": {} of {} cards done, next: {}, about {} min left.",
        pl.title,
        prog.done,
        prog.total,
        prog.next_card.as_deref().unwrap_or("nothing"),
        prog.minutes_left
    ));
    t.say(format!(
        "Shared as a versioned payload (revision {}); colleagues can follow it (read-only mirror + their own hidden/added cards) or copy it (a fork).",
        pl.revision
    ));

    t.section(SECTIONS[6]);
    let sig = core.import_peer_signals(SAMPLE_PEER_SIGNALS.as_bytes())?;
    core.rate_card("fire-evacuation", 5, day2)?;
    t.say(format!(
        "Peer signals from the catalog side: {} cards, {} co-completion pairs (anonymous aggregate).",
        sig.cards, sig.pairs
    ));
    let next = core.next_for_you(5, day2)?;
    t.say("Next for you:");
    t.say(recs_text(&core, &next));
    let liked = core.if_you_liked("refund-no-receipt", 3)?;
    t.say("If you liked \"Refund without a receipt\":");
    t.say(recs_text(&core, &liked));

    t.section(SECTIONS[7]);
    let p = core.privacy_settings()?;
    t.say(format!(
        "Ratings shared: {:?}; mastery shared: {}; on leaderboards: {}; findable as an expert: {}.",
        p.ratings, p.share_mastery, p.leaderboard, p.expertise
    ));
    t.say("Change with `microlearn privacy --ratings named --leaderboard true …`; payloads follow at once.");

    t.section(SECTIONS[8]);
    let x = core.xapi_status()?;
    t.say(format!(
        "{} statements queued durably for the LRS ({} delivered so far); `microlearn xapi flush --endpoint URL` sends them.",
        x.depth, x.delivered_total
    ));

    t.section(SECTIONS[9]);
    network_outbox_section(&core, &mut t, &pl.id, net)?;

    t.say(String::new());
    t.say(format!(
        "Run the demo again to play days {} and {}.",
        2 * run + 1,
        2 * run + 2
    ));
    let text = t.lines.join("\n");
    out.print(&serde_json::json!({ "run": run, "text": text }), || {
        text.clone()
    });
    Ok(())
}
