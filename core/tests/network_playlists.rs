//! Playlist sharing through a real Synapse: the owner shares a playlist to a topic room (outbox,
//! custom event), the follower syncs and follows it, the owner changes it and re-shares, and the
//! follower's followed copy updates while keeping its local overlay; and an accepted answer feeds
//! expertise finding for its author only because the author opted in. Skips without the Synapse
//! venv (fails with CI=true); see network_common.

mod network_common;

use chrono::Utc;
use microlearn_core::{
    content::Card,
    network::{DeliverOptions, OutboxState, SyncOptions},
    personal::PlaylistKind,
};
use network_common::{Device, device, synapse};

fn cards(d: &Device) {
    let cards: Vec<Card> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| Card::new(*id, format!("Card {id}")))
        .collect();
    d.core.import_cards(&cards).expect("import");
}

async fn send(d: &Device) {
    let r = d
        .core
        .network_send(&d.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!(r.failed, 0, "{r:?}");
}

async fn sync(d: &Device) {
    d.core
        .network_sync(&d.creds, &SyncOptions::default())
        .await
        .expect("sync");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_shares_follower_follows_and_receives_updates() {
    let Some(s) = synapse() else { return };
    let owner = device(s, "owner").await;
    let follower = device(s, "follower").await;
    cards(&owner);
    cards(&follower);
    let topic = format!("Playlists {}", std::process::id());
    let room = owner
        .core
        .network_create_topic_room(&topic, &owner.creds)
        .await
        .expect("room");
    follower
        .core
        .network_join_topics(std::slice::from_ref(&topic), &follower.creds)
        .await
        .expect("join");

    let pl = owner
        .core
        .create_playlist("Safety", &["a".into(), "b".into()], Utc::now())
        .expect("create");
    // By topic name: queued offline in the outbox, then sent.
    let id = owner
        .core
        .share_playlist_to_room(&pl.id, &topic)
        .expect("share");
    send(&owner).await;
    let sent = owner.core.network_outbox().expect("outbox");
    let item = sent.iter().find(|i| i.local_id == id).expect("item");
    assert_eq!(item.state, OutboxState::Sent);

    sync(&follower).await;
    let got = follower.core.received_playlists(Some(&room)).expect("recv");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].sender, owner.user.user_id);
    let f = follower
        .core
        .follow_received_playlist(&got[0].event_id, Utc::now())
        .expect("follow");
    assert_eq!(f.kind, PlaylistKind::Followed);
    assert_eq!(f.cards, vec!["a".to_string(), "b".to_string()]);
    // A local overlay edit made offline.
    follower
        .core
        .add_to_playlist(&f.id, "d", Utc::now())
        .expect("overlay add");

    owner
        .core
        .add_to_playlist(&pl.id, "c", Utc::now())
        .expect("owner edit");
    owner
        .core
        .share_playlist_to_room(&pl.id, &room)
        .expect("re-share");
    send(&owner).await;
    sync(&follower).await;
    let r = follower
        .core
        .apply_shared_playlists(Utc::now())
        .expect("apply");
    assert_eq!(r.updated, vec![f.id.clone()]);
    assert_eq!(r.rejected, 0);
    let now = follower.core.playlist(&f.id).expect("get");
    assert_eq!(now.cards, vec!["a", "b", "c", "d"]);
    assert_eq!(now.added, vec!["d".to_string()]);
    // Idempotent: a second apply changes nothing.
    let again = follower
        .core
        .apply_shared_playlists(Utc::now())
        .expect("again");
    assert!(again.updated.is_empty());
}

fn event_of(d: &Device, local_id: &str) -> String {
    d.core
        .network_outbox()
        .expect("outbox")
        .into_iter()
        .find(|i| i.local_id == local_id)
        .and_then(|i| i.event_id)
        .expect("sent event id")
}

/// Expertise from the network: an accepted, up-voted answer makes its author an expert for the
/// topic on the asker's device — only because the author published an opted-in profile; another
/// answerer who did not opt in is never listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_answers_feed_expertise_for_opted_in_peers_only() {
    let Some(s) = synapse() else { return };
    let asker = device(s, "asker").await;
    let expert = device(s, "expert").await;
    let quiet = device(s, "quiet").await;
    let topic = format!("Expertise {}", std::process::id());
    let room = asker
        .core
        .network_create_topic_room(&topic, &asker.creds)
        .await
        .expect("room");
    for d in [&expert, &quiet] {
        d.core
            .network_join_topics(std::slice::from_ref(&topic), &d.creds)
            .await
            .expect("join");
    }
    let q = asker
        .core
        .network_ask(&room, None, "Who knows the refund rules?")
        .expect("ask");
    send(&asker).await;
    let q = event_of(&asker, &q);
    sync(&expert).await;
    sync(&quiet).await;
    let a = expert
        .core
        .network_answer(&room, &q, "Store credit at the lowest recent price.")
        .expect("answer");
    expert
        .core
        .set_privacy_settings(&microlearn_core::personal::PrivacySettings {
            display_name: Some("Eve".into()),
            expertise: true,
            ..Default::default()
        })
        .expect("opt in");
    expert
        .core
        .publish_expertise_to_room(&topic, Utc::now())
        .expect("publish");
    send(&expert).await;
    quiet
        .core
        .network_answer(&room, &q, "No idea, ask a manager.")
        .expect("answer 2");
    send(&quiet).await;
    let a = event_of(&expert, &a);
    sync(&asker).await;
    asker.core.network_vote(&room, &a, true).expect("vote");
    asker.core.network_accept(&room, &q, &a).expect("accept");
    send(&asker).await;
    sync(&asker).await;
    let stored = asker
        .core
        .expertise_from_network(Utc::now())
        .expect("expertise");
    assert_eq!(stored, 1, "only the opted-in author");
    let experts = asker.core.who_can_help(&topic, 5).expect("who");
    assert_eq!(experts.len(), 1, "{experts:?}");
    assert_eq!(experts[0].display_name, "Eve");
    assert_eq!((experts[0].accepted_answers, experts[0].votes), (1, 1));
}
