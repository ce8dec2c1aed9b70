//! The network layer against a real Synapse: learners with separate data dirs ask, answer, vote,
//! accept, rate, comment, report and delete through the outbox and read each other through
//! `/sync`. Skips without the Synapse venv (fails with CI=true); see network_common.

mod network_common;

use microlearn_core::network::{
    DeliverOptions, OutboxState, SyncOptions, moderation::Deleted, qa::QuestionSort,
};
use network_common::{Device, device, outbox_ids, synapse};

async fn send_all(d: &Device) -> microlearn_core::network::SendReport {
    d.core
        .network_send(&d.creds, &DeliverOptions::default())
        .await
        .expect("send")
}

async fn sync(d: &Device) -> microlearn_core::network::SyncReport {
    d.core
        .network_sync(&d.creds, &SyncOptions::default())
        .await
        .expect("sync")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_ask_answer_vote_accept_rate_and_search() {
    let Some(s) = synapse() else { return };
    let moderator = device(s, "mod").await;
    let asker = device(s, "asker").await;
    let expert = device(s, "expert").await;
    let topic = format!("Refunds {}", std::process::id());
    let room = moderator
        .core
        .network_create_topic_room(&topic, &moderator.creds)
        .await
        .expect("create room");
    for d in [&asker, &expert] {
        let r = d
            .core
            .network_join_topics(&[topic.clone(), "No such topic".into()], &d.creds)
            .await
            .expect("join");
        assert_eq!(r.joined, vec![room.clone()]);
        assert_eq!(r.missing, vec!["No such topic".to_string()]);
    }

    // Offline: the question and a rating wait in the outbox, durable, before any network call.
    let q_local = asker
        .core
        .network_ask(
            &room,
            Some("refund-1"),
            "How do I refund a customer with no receipt?",
        )
        .expect("ask");
    asker
        .core
        .network_rate(&room, "refund-1", 2, true)
        .expect("rate");
    // Re-rating while queued replaces the queued rating (one per learner per card).
    asker
        .core
        .network_rate(&room, "refund-1", 3, true)
        .expect("re-rate");
    let outbox = asker.core.network_outbox().expect("outbox");
    assert_eq!(outbox.len(), 2, "{outbox:?}");
    assert!(outbox.iter().all(|i| i.state == OutboxState::Pending));
    // A question queued and then edited before sending goes out with the new text only.
    let typo = asker
        .core
        .network_ask(&room, None, "Wher is the till key?")
        .expect("ask 2");
    asker
        .core
        .network_edit(&room, &typo, "Where is the till key kept?")
        .expect("edit queued");
    // A question deleted while queued never reaches the server.
    let oops = asker
        .core
        .network_ask(&room, None, "posted by mistake")
        .expect("ask 3");
    assert_eq!(
        asker
            .core
            .network_delete(&room, &oops, "")
            .expect("delete queued"),
        Deleted::Collapsed { removed: 1 }
    );

    let r = send_all(&asker).await;
    assert_eq!((r.sent, r.failed, r.pending), (3, 0, 0), "{r:?}");
    let q_event = asker
        .core
        .network_outbox()
        .expect("outbox")
        .into_iter()
        .find(|i| i.local_id == q_local)
        .and_then(|i| i.event_id)
        .expect("question sent");

    // The expert sees it, unanswered, and answers; unread counts moved.
    let rep = sync(&expert).await;
    assert!(rep.new_events >= 3, "{rep:?}");
    let unanswered = expert.core.network_unanswered(10).expect("unanswered");
    assert_eq!(unanswered.len(), 2, "{unanswered:?}");
    assert!(
        unanswered
            .iter()
            .any(|p| p.body == "Where is the till key kept?")
    );
    assert!(!unanswered.iter().any(|p| p.body.contains("mistake")));
    let rooms = expert.core.network_rooms().expect("rooms");
    assert!(
        rooms.iter().any(|r| r.room_id == room && r.unread >= 2),
        "{rooms:?}"
    );
    let a1 = expert
        .core
        .network_answer(
            &room,
            &q_event,
            "Offer store credit after a manager checks the item; no cash refund without a receipt.",
        )
        .expect("answer");
    let a2 = moderator
        .core
        .network_answer(&room, &q_event, "Ask for the card statement.")
        .expect("answer 2");
    send_all(&expert).await;
    send_all(&moderator).await;
    expert
        .core
        .network_rate(&room, "refund-1", 5, true)
        .expect("expert rates");
    send_all(&expert).await;
    let _ = (a1, a2);

    // The asker votes the expert's answer up and accepts it.
    sync(&asker).await;
    let view = asker
        .core
        .network_card_view("refund-1", 5)
        .expect("card view");
    assert_eq!(view.questions.len(), 1);
    assert_eq!(view.questions[0].answers, 2);
    let answers: Vec<_> = asker
        .core
        .network_questions(&room, QuestionSort::Recent, 10)
        .expect("questions");
    assert_eq!(answers.len(), 2);
    let expert_answer = asker.stored_text(
        "SELECT event_id FROM network_posts WHERE kind='answer' AND sender=?1",
        [&expert.user.user_id],
    );
    asker
        .core
        .network_vote(&room, &expert_answer, true)
        .expect("vote");
    asker
        .core
        .network_accept(&room, &q_event, &expert_answer)
        .expect("accept");
    // A peer who neither asked nor moderates cannot accept.
    sync(&expert).await;
    assert!(
        expert
            .core
            .network_accept(&room, &q_event, &expert_answer)
            .is_err()
    );
    send_all(&asker).await;

    // Everyone reads the same card view offline after a sync.
    for d in [&expert, &moderator] {
        sync(d).await;
        let v = d.core.network_card_view("refund-1", 5).expect("view");
        let q = &v.questions[0];
        assert!(q.accepted, "{v:?}");
        let best = q.best_answer.as_ref().expect("best");
        assert_eq!(best.event_id, expert_answer);
        assert_eq!(best.votes, 1);
        assert_eq!(v.rating.count, 2, "{v:?}");
        assert_eq!(v.rating.average, 4.0);
        assert_eq!(v.rating.histogram, [0, 0, 1, 0, 1]);
        assert_eq!(v.rating.outdated_flags, 2);
        // Search: the learner's words find the best answered question.
        let hits = d
            .core
            .network_search("refund no receipt", 5)
            .expect("search");
        assert_eq!(
            hits.first().map(|h| h.question.event_id.as_str()),
            Some(q_event.as_str())
        );
        assert!(hits[0].accepted);
    }

    // Exactly once on the server: every outbox item is one event.
    let events = s.room_events(&moderator.user.token, &room).await;
    let ids = outbox_ids(&events);
    assert!(ids.values().all(|&n| n == 1), "{ids:?}");
    assert!(!events.iter().any(|e| {
        e["content"]["body"]
            .as_str()
            .is_some_and(|b| b.contains("mistake"))
    }));
    assert!(
        events
            .iter()
            .any(|e| e["content"]["body"] == "Where is the till key kept?")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_reports_redactions_and_custom_events() {
    let Some(s) = synapse() else { return };
    let moderator = device(s, "mod").await;
    let a = device(s, "a").await;
    let b = device(s, "b").await;
    let topic = format!("Safety {}", std::process::id());
    let room = moderator
        .core
        .network_create_topic_room(&topic, &moderator.creds)
        .await
        .expect("room");
    for d in [&a, &b] {
        d.core
            .network_join_topics(std::slice::from_ref(&topic), &d.creds)
            .await
            .expect("join");
        d.core.network_set_flag_threshold(2).expect("threshold");
        d.core.network_set_report_threshold(2).expect("threshold");
    }
    moderator
        .core
        .network_set_report_threshold(2)
        .expect("threshold");

    // Two learners flag the card: marked for L&D, with one xAPI statement per device.
    a.core
        .network_rate(&room, "ladder-1", 1, true)
        .expect("rate");
    b.core
        .network_rate(&room, "ladder-1", 2, true)
        .expect("rate");
    send_all(&a).await;
    send_all(&b).await;
    let xapi_before = a.core.xapi_status().expect("xapi").pending;
    let rep = sync(&a).await;
    assert_eq!(rep.newly_flagged, vec!["ladder-1".to_string()]);
    assert_eq!(
        a.core.network_flagged_cards().expect("flagged"),
        vec![("ladder-1".to_string(), 2)]
    );
    assert_eq!(a.core.xapi_status().expect("xapi").pending, xapi_before + 1);
    // A second sync does not flag again.
    assert!(sync(&a).await.newly_flagged.is_empty());

    // A spam post reported by two learners is hidden for everyone.
    let spam = moderator
        .core
        .network_ask(&room, Some("ladder-1"), "cheap watches ladder spam")
        .expect("spam");
    send_all(&moderator).await;
    let spam_ev = moderator
        .core
        .network_outbox()
        .expect("o")
        .into_iter()
        .find(|i| i.local_id == spam)
        .and_then(|i| i.event_id)
        .expect("sent");
    sync(&a).await;
    assert_eq!(a.core.network_search("ladder spam", 5).expect("s").len(), 1);
    a.core
        .network_report(&room, &spam_ev, "spam")
        .expect("report");
    b.core
        .network_report(&room, &spam_ev, "spam")
        .expect("report");
    send_all(&a).await;
    send_all(&b).await;
    sync(&a).await;
    assert!(
        a.core
            .network_search("ladder spam", 5)
            .expect("s")
            .is_empty()
    );
    assert!(
        a.core
            .network_card_view("ladder-1", 5)
            .expect("v")
            .questions
            .is_empty()
    );

    // The author deletes a sent post: the text leaves the local store at once, and the peers'
    // store and index after their sync.
    let q = b
        .core
        .network_ask(&room, Some("ladder-1"), "Which ladder for the top shelf?")
        .expect("ask");
    send_all(&b).await;
    sync(&a).await;
    assert_eq!(
        a.core
            .network_search("top shelf ladder", 5)
            .expect("s")
            .len(),
        1
    );
    let d = b
        .core
        .network_delete(&room, &q, "asked elsewhere")
        .expect("delete");
    assert!(matches!(d, Deleted::Redaction { .. }), "{d:?}");
    assert!(
        b.core
            .network_search("top shelf ladder", 5)
            .expect("s")
            .is_empty()
    );
    send_all(&b).await;
    sync(&a).await;
    assert!(
        a.core
            .network_search("top shelf ladder", 5)
            .expect("s")
            .is_empty()
    );
    let conn = a.db();
    let left: i64 = conn
        .query_row(
            "SELECT count(*) FROM network_events WHERE content LIKE '%top shelf%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(left, 0, "redacted text must leave the store");

    // Custom events for other modules: queued offline, received by type.
    let content = r#"{"name":"Week 1","cards":["ladder-1","refund-1"]}"#;
    a.core
        .network_enqueue_custom(&room, "org.microlearn.playlist", content)
        .expect("custom");
    assert!(
        a.core
            .network_enqueue_custom(&room, "m.room.message", "{}")
            .is_err()
    );
    assert!(
        a.core
            .network_enqueue_custom(&room, "org.x.y", "[1]")
            .is_err()
    );
    send_all(&a).await;
    sync(&b).await;
    let got = b
        .core
        .network_custom_events("org.microlearn.playlist", Some(&room), 10)
        .expect("custom");
    assert_eq!(got.len(), 1);
    let v: serde_json::Value = serde_json::from_str(&got[0].content).expect("json");
    assert_eq!(
        v,
        serde_json::json!({"name": "Week 1", "cards": ["ladder-1", "refund-1"]})
    );
    assert_eq!(got[0].sender, a.user.user_id);
}
