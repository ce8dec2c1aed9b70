//! Faults against the real Synapse: a lost answer (resend with the same transaction id), server
//! down, 429 (Synapse's own rate limiter, switched on per user with the admin API), revoked token
//! (401 M_UNKNOWN_TOKEN after a real logout), banned user and unknown room (403), media over the
//! server's upload limit (413). Nothing is lost, nothing is posted twice, each a typed outcome.
//!
//! `FaultProxy` is a FAKE, used only for what Synapse cannot be made to do on demand: answer 502,
//! or process a request and lose its answer on the way back.

mod network_common;

use std::{sync::Arc, time::Duration};

use microlearn_core::network::{DeliverOptions, NetworkError, OutboxState, SyncOptions};
use network_common::{Device, device, outbox_ids, synapse};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::Mutex,
};

/// What the fake proxy does with each request.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Forward and return the answer.
    Pass,
    /// Answer 502 without forwarding.
    BadGateway,
    /// Forward, let Synapse process it, then close the connection without answering.
    DropAnswer,
}

/// FAKE: a one-request-per-connection HTTP proxy in front of Synapse that injects faults.
struct FaultProxy {
    url: String,
    mode: Arc<Mutex<Mode>>,
}

async fn read_http(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = vec![];
    let mut tmp = [0u8; 8192];
    loop {
        let n = s.read(&mut tmp).await.ok()?;
        if n == 0 {
            return if buf.is_empty() { None } else { Some(buf) };
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut tmp).await.ok()?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&tmp[..n]);
            }
            return Some(buf);
        }
    }
}

impl FaultProxy {
    async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let up = upstream.trim_start_matches("http://").to_owned();
        let mode = Arc::new(Mutex::new(Mode::Pass));
        let m = Arc::clone(&mode);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let up = up.clone();
                let mode = *m.lock().await;
                tokio::spawn(async move {
                    let Some(req) = read_http(&mut client).await else {
                        return;
                    };
                    if mode == Mode::BadGateway {
                        let body = r#"{"errcode":"M_UNKNOWN","error":"bad gateway (fake)"}"#;
                        let resp = format!(
                            "HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = client.write_all(resp.as_bytes()).await;
                        return;
                    }
                    let Ok(mut server) = TcpStream::connect(&up).await else {
                        return;
                    };
                    // One request per connection: ask both sides to close after it.
                    let req = String::from_utf8_lossy(&req).replacen(
                        "\r\n",
                        "\r\nconnection: close\r\n",
                        1,
                    );
                    if server.write_all(req.as_bytes()).await.is_err() {
                        return;
                    }
                    let Some(resp) = read_http(&mut server).await else {
                        return;
                    };
                    if mode == Mode::Pass {
                        let _ = client.write_all(&resp).await;
                    }
                    // DropAnswer: Synapse did the work; the client never hears of it.
                });
            }
        });
        FaultProxy { url, mode }
    }

    async fn set(&self, m: Mode) {
        *self.mode.lock().await = m;
    }
}

async fn room_with(
    s: &network_common::Synapse,
    owner: &Device,
    members: &[&Device],
    name: &str,
) -> String {
    let topic = format!("{name} {}", std::process::id());
    let room = owner
        .core
        .network_create_topic_room(&topic, &owner.creds)
        .await
        .expect("room");
    for d in members {
        d.core
            .network_join_topics(std::slice::from_ref(&topic), &d.creds)
            .await
            .expect("join");
    }
    let _ = s;
    room
}

fn states(d: &Device) -> Vec<OutboxState> {
    d.core
        .network_outbox()
        .expect("outbox")
        .into_iter()
        .map(|i| i.state)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_and_502_never_lose_or_duplicate() {
    let Some(s) = synapse() else { return };
    let a = device(s, "proxy").await;
    let room = room_with(s, &a, &[], "Proxy").await;
    let proxy = FaultProxy::start(&s.url).await;
    let (_, user) = a.core.network_account().expect("account");
    let device_id = a.stored_text(
        "SELECT value FROM network_settings WHERE key='device_id'",
        [],
    );
    a.core
        .network_set_account(&proxy.url, &user, &device_id)
        .expect("through proxy");
    for i in 0..5 {
        a.core
            .network_ask(&room, None, &format!("question {i}"))
            .expect("ask");
    }
    // Synapse stores the first event but its answer is lost: the row stays pending.
    proxy.set(Mode::DropAnswer).await;
    let r = a
        .core
        .network_send(&a.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!((r.sent, r.pending), (0, 5), "{r:?}");
    assert!(r.stopped_by.is_some());
    // 502 from a gateway: still pending, backing off.
    proxy.set(Mode::BadGateway).await;
    a.core.network_retry_now().expect("due");
    let r = a
        .core
        .network_send(&a.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!((r.sent, r.pending), (0, 5), "{r:?}");
    assert!(
        r.stopped_by.as_deref().is_some_and(|m| m.contains("502")),
        "{r:?}"
    );
    let items = a.core.network_outbox().expect("outbox");
    assert_eq!(items[0].attempts, 2);
    assert_eq!(items[0].error_status, Some(502));
    // Not due yet (backoff): a send now does nothing.
    proxy.set(Mode::Pass).await;
    let r = a
        .core
        .network_send(&a.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!(r.sent, 0, "backoff must hold: {r:?}");
    a.core.network_retry_now().expect("due");
    let r = a
        .core
        .network_send(&a.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!((r.sent, r.pending), (5, 0), "{r:?}");
    let events = s.room_events(&a.user.token, &room).await;
    let ids = outbox_ids(&events);
    assert_eq!(ids.len(), 5);
    assert!(
        ids.values().all(|&n| n == 1),
        "the resent first question was posted twice: {ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_then_back() {
    let Some(s) = synapse() else { return };
    let a = device(s, "down").await;
    let room = room_with(s, &a, &[], "Down").await;
    let (_, user) = a.core.network_account().expect("account");
    a.core
        .network_set_account("http://127.0.0.1:1", &user, "X")
        .expect("dead server");
    a.core
        .network_ask(&room, None, "anyone there?")
        .expect("ask");
    let r = a
        .core
        .network_send(&a.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!((r.sent, r.pending), (0, 1));
    assert!(matches!(
        a.core.network_sync(&a.creds, &SyncOptions::default()).await,
        Err(NetworkError::Unreachable(_))
    ));
    a.core
        .network_login(&s.url, &a.user.name, &a.user.password)
        .await
        .expect("login again");
    a.core.network_retry_now().expect("due");
    let r = a
        .core
        .network_send(&a.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!((r.sent, r.pending), (1, 0), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synapse_429_waits_and_resumes() {
    let Some(s) = synapse() else { return };
    let admin = s.register("admin", true).await;
    let a = device(s, "limited").await;
    let room = room_with(s, &a, &[], "Limited").await;
    let path = format!(
        "/_synapse/admin/v1/users/{}/override_ratelimit",
        a.user.user_id
    );
    let (st, v) = s
        .call(
            &admin.token,
            reqwest::Method::POST,
            &path,
            Some(json!({"messages_per_second": 1, "burst_count": 1})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    for i in 0..4 {
        a.core
            .network_ask(&room, None, &format!("limited {i}"))
            .expect("ask");
    }
    // A call that may not wait: stops at the first 429 with Synapse's retry_after_ms.
    let no_wait = DeliverOptions {
        max_inline_wait: Duration::ZERO,
        ..Default::default()
    };
    let r = a.core.network_send(&a.creds, &no_wait).await.expect("send");
    assert!(
        r.retry_after_ms.is_some_and(|ms| ms > 0 && ms <= 2000),
        "{r:?}"
    );
    assert!(r.sent < 4 && r.pending == 4 - r.sent, "{r:?}");
    // A call that may wait (up to 5 s per 429) sends the rest.
    tokio::time::sleep(Duration::from_millis(r.retry_after_ms.unwrap_or(1000))).await;
    a.core.network_retry_now().expect("due");
    let r2 = a
        .core
        .network_send(&a.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!(r.sent + r2.sent, 4, "{r:?} {r2:?}");
    let ids = outbox_ids(&s.room_events(&a.user.token, &room).await);
    assert_eq!(ids.len(), 4);
    assert!(ids.values().all(|&n| n == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_token_pauses_then_resumes_after_sign_in() {
    let Some(s) = synapse() else { return };
    let a = device(s, "revoked").await;
    let room = room_with(s, &a, &[], "Revoked").await;
    a.core
        .network_ask(&room, None, "before logout")
        .expect("ask");
    // The session is revoked on the server (a real logout of this device's token).
    let token = match &a.creds.0 {
        Some(microlearn_core::xapi::Credentials::Bearer { token }) => token.clone(),
        _ => unreachable!("bearer"),
    };
    let (st, _) = s
        .call(
            &token,
            reqwest::Method::POST,
            "/_matrix/client/v3/logout",
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 200);
    let err = a
        .core
        .network_send(&a.creds, &DeliverOptions::default())
        .await
        .expect_err("401");
    assert!(matches!(err, NetworkError::TokenRevoked), "{err:?}");
    assert!(matches!(
        a.core.network_sync(&a.creds, &SyncOptions::default()).await,
        Err(NetworkError::TokenRevoked)
    ));
    assert_eq!(states(&a), vec![OutboxState::Pending]);
    // Sign in again (the shell asks for the password): delivery resumes, once.
    let session = a
        .core
        .network_login(&s.url, &a.user.name, &a.user.password)
        .await
        .expect("login");
    let creds = Device::creds_for(&session.access_token);
    let r = a
        .core
        .network_send(&creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!((r.sent, r.pending), (1, 0));
    // Wrong password: a typed refusal.
    assert!(matches!(
        a.core.network_login(&s.url, &a.user.name, "wrong").await,
        Err(NetworkError::LoginRefused { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn banned_unknown_room_and_oversized_media_are_kept_as_failed() {
    let Some(s) = synapse() else { return };
    let m = device(s, "banmod").await;
    let b = device(s, "banned").await;
    let room = room_with(s, &m, &[&b], "Ban").await;
    b.core
        .network_ask(&room, None, "ok before the ban")
        .expect("ask");
    let r = b
        .core
        .network_send(&b.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!(r.sent, 1);
    let path = format!(
        "/_matrix/client/v3/rooms/{}/ban",
        room.replace('!', "%21").replace(':', "%3A")
    );
    let (st, v) = s
        .call(
            &m.user.token,
            reqwest::Method::POST,
            &path,
            Some(json!({"user_id": b.user.user_id})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    b.core
        .network_ask(&room, None, "after the ban")
        .expect("ask");
    b.core
        .network_ask("!nosuchroom:localhost", None, "into the void")
        .expect("ask");
    let dir = tempfile::tempdir().expect("tmp");
    let big = dir.path().join("big.mp4");
    std::fs::write(&big, vec![7u8; 3 * 1024 * 1024]).expect("write");
    let small = dir.path().join("small.jpg");
    std::fs::write(&small, b"\xff\xd8\xff tiny jpeg").expect("write");
    // Over Synapse's max_upload_size (2 MiB) but within the app's budget: the server says 413.
    m.core
        .network_tip(
            &room,
            "ladder-1",
            "how we stack",
            &big,
            "video/mp4",
            8 << 20,
        )
        .expect("tip");
    m.core
        .network_tip(
            &room,
            "ladder-1",
            "photo of the label",
            &small,
            "image/jpeg",
            8 << 20,
        )
        .expect("tip");
    // Over the app's own budget: refused at the door.
    assert!(matches!(
        m.core
            .network_tip(&room, "ladder-1", "x", &big, "video/mp4", 1 << 20),
        Err(NetworkError::MediaTooLarge { .. })
    ));
    let r = b
        .core
        .network_send(&b.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!((r.sent, r.failed, r.pending), (0, 2, 0), "{r:?}");
    let failed: Vec<_> = b
        .core
        .network_outbox()
        .expect("o")
        .into_iter()
        .filter(|i| i.state == OutboxState::Failed)
        .collect();
    assert!(
        failed
            .iter()
            .all(|i| i.error_status == Some(403)
                && i.error.as_deref().is_some_and(|e| !e.is_empty())),
        "{failed:?}"
    );
    let r = m
        .core
        .network_send(&m.creds, &DeliverOptions::default())
        .await
        .expect("send");
    assert_eq!((r.sent, r.failed), (1, 1), "{r:?}");
    let tips = m.core.network_outbox().expect("o");
    let too_big = tips
        .iter()
        .find(|i| i.state == OutboxState::Failed)
        .expect("failed tip");
    assert_eq!(too_big.error_status, Some(413), "{too_big:?}");
    // The banned learner's sync sees the ban; the moderator's peers receive the small tip's media.
    b.core
        .network_sync(&b.creds, &SyncOptions::default())
        .await
        .expect("sync");
    let rooms = b.core.network_rooms().expect("rooms");
    assert_eq!(
        rooms
            .iter()
            .find(|r| r.room_id == room)
            .map(|r| r.membership.as_str()),
        Some("ban")
    );
    let c = device(s, "viewer").await;
    c.core.network_join(&room, &c.creds).await.expect("join");
    c.core
        .network_sync(&c.creds, &SyncOptions::default())
        .await
        .expect("sync");
    let tip_ev = c.stored_text("SELECT event_id FROM network_posts WHERE kind='tip'", []);
    let file = c
        .core
        .network_tip_media(&tip_ev, &c.creds, 1 << 20)
        .await
        .expect("media");
    assert_eq!(
        std::fs::read(&file).expect("read"),
        b"\xff\xd8\xff tiny jpeg"
    );
    assert!(file.starts_with(c.dir.path().join("media")));
    // It is in the content media cache (counted in its budget), found again without a download.
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        b"\xff\xd8\xff tiny jpeg",
    ));
    assert_eq!(
        c.core.media_path(&sha).expect("media_path"),
        Some(file.clone())
    );
    assert_eq!(c.core.media_status().expect("status").files, 1);
}
