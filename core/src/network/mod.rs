//! The network layer: conversations with peers and experts around cards and topics, on a Matrix
//! homeserver, offline first. The mapping (topic → room, card discussion → thread, question →
//! thread with votes and an accepted answer, rating → custom event, tip → media post) is in
//! `docs/network.md`.
//!
//! *Why this shape:* a learner on a shop floor posts with no signal, and the OS kills the app at
//! will; so every act is a row of the durable [`outbox`] (one SQLite transaction, together with
//! its xAPI statement), sent later with Matrix transaction ids so nothing is posted twice. Reading
//! is from SQLite only: [`sync`] stores incoming events, [`events`] turns them into posts, votes,
//! ratings and reports, and the views ([`qa`], [`ratings`], [`find`]) are queries on those tables.
//!
//! *Credentials:* the password is used for one `/login` call and never stored; the access token
//! is returned to the shell, which keeps it in its keystore and hands it back through the xAPI
//! module's [`CredentialProvider`] (`Credentials::Bearer`). SQLite holds the homeserver URL, the
//! user id and the device id only.
//!
//! Files: [`client`] (the HTTP API), [`outbox`], [`deliver`], [`sync`], [`events`], [`qa`], [`ratings`],
//! [`posting`], [`moderation`], [`media`], [`find`] (posts in search), [`custom`] (other modules' events),
//! [`contrib`] (answers and votes per author),
//! [`schema`], [`error`].

pub mod client;
pub mod contrib;
pub mod custom;
pub mod deliver;
pub mod error;
pub mod events;
pub mod find;
pub mod media;
pub mod moderation;
pub mod outbox;
pub mod posting;
pub mod qa;
pub mod ratings;
pub mod schema;
pub mod sync;

use std::time::Duration;

use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::json;

pub use client::MatrixClient;
pub use deliver::{DeliverOptions, SendReport};
pub use error::NetworkError;
pub use outbox::{OutboxItem, OutboxState};
pub use schema::SCHEMA;
pub use sync::{SyncOptions, SyncReport};

use crate::{Microlearn, xapi::CredentialProvider};

const SETTINGS: &str = "network_settings";

pub(crate) fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>, NetworkError> {
    Ok(crate::store::settings::get(conn, SETTINGS, key)?)
}

pub(crate) fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<(), NetworkError> {
    Ok(crate::store::settings::put(conn, SETTINGS, key, value)?)
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A signed-in session. The shell stores `access_token` in its keystore (never the core).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    /// The homeserver URL.
    pub homeserver: String,
    /// The Matrix user id, `@name:server`.
    pub user_id: String,
    /// The device id (reused at the next sign-in so transaction ids keep their scope).
    pub device_id: String,
    /// The access token, for the shell's keystore.
    pub access_token: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("homeserver", &self.homeserver)
            .field("user_id", &self.user_id)
            .field("device_id", &self.device_id)
            .field("access_token", &"***")
            .finish()
    }
}

/// A room as the shell lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomInfo {
    /// The Matrix room id.
    pub room_id: String,
    /// The catalog topic it belongs to, if any.
    pub topic: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// join, leave or ban.
    pub membership: String,
    /// Unread notifications (the homeserver's count at the last sync).
    pub unread: u64,
}

/// The room alias local part of a catalog topic: `ml-` + a lowercase slug.
pub fn topic_alias_local(topic: &str) -> String {
    let mut slug = String::new();
    for c in topic.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    format!("ml-{}", slug.trim_end_matches('-'))
}

/// The server name part of a user id (`@a:example.org` → `example.org`).
fn server_name(user_id: &str) -> Option<&str> {
    user_id.split_once(':').map(|(_, s)| s)
}

/// Request timeout of network calls.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Microlearn {
    /// The stored homeserver and user id, or [`NetworkError::NotSignedIn`].
    pub fn network_account(&self) -> Result<(String, String), NetworkError> {
        self.store().read(
            |c| match (get_setting(c, "homeserver")?, get_setting(c, "user_id")?) {
                (Some(h), Some(u)) => Ok((h, u)),
                _ => Err(NetworkError::NotSignedIn),
            },
        )
    }

    /// A client for the stored homeserver with the provider's token.
    pub fn network_client(
        &self,
        provider: &dyn CredentialProvider,
    ) -> Result<(MatrixClient, String), NetworkError> {
        let (homeserver, user) = self.network_account()?;
        let token = deliver::require_token(provider)?;
        Ok((
            MatrixClient::new(&homeserver, Some(token), REQUEST_TIMEOUT)?,
            user,
        ))
    }

    /// Signs in with a password the shell provides now (never stored). Keeps the homeserver,
    /// user id and device id; returns the session, whose token the shell keeps in its keystore.
    pub async fn network_login(
        &self,
        homeserver: &str,
        user: &str,
        password: &str,
    ) -> Result<Session, NetworkError> {
        let client = MatrixClient::new(homeserver, None, REQUEST_TIMEOUT)?;
        let same_account = self.network_account().ok();
        let device = self.store().read(|c| get_setting(c, "device_id"))?;
        let v = client.login(user, password, device.as_deref()).await?;
        let session = Session {
            homeserver: client.homeserver().to_owned(),
            user_id: client::str_field(&v, "user_id")?,
            device_id: client::str_field(&v, "device_id")?,
            access_token: client::str_field(&v, "access_token")?,
        };
        self.store().write(|tx| {
            if same_account
                .as_ref()
                .is_some_and(|(h, u)| h != &session.homeserver || u != &session.user_id)
            {
                // Another account: its rooms and sync position are not this one's.
                tx.execute_batch(
                    "DELETE FROM network_settings WHERE key = 'next_batch';
                     UPDATE network_rooms SET backfill = NULL;",
                )?;
            }
            set_setting(tx, "homeserver", &session.homeserver)?;
            set_setting(tx, "user_id", &session.user_id)?;
            set_setting(tx, "device_id", &session.device_id)?;
            Ok::<_, NetworkError>(())
        })?;
        Ok(session)
    }

    /// Records the account of a session made elsewhere (tests, an SSO flow in the shell).
    pub fn network_set_account(
        &self,
        homeserver: &str,
        user_id: &str,
        device_id: &str,
    ) -> Result<(), NetworkError> {
        self.store().write(|tx| {
            set_setting(tx, "homeserver", homeserver)?;
            set_setting(tx, "user_id", user_id)?;
            set_setting(tx, "device_id", device_id)?;
            Ok::<_, NetworkError>(())
        })
    }

    /// Joins the room of each catalog topic (`#ml-<slug>:<server>`); topics without a room are
    /// returned in `missing`.
    pub async fn network_join_topics(
        &self,
        topics: &[String],
        provider: &dyn CredentialProvider,
    ) -> Result<JoinReport, NetworkError> {
        let (client, user) = self.network_client(provider)?;
        let server = server_name(&user)
            .ok_or(NetworkError::NotSignedIn)?
            .to_owned();
        let mut report = JoinReport::default();
        for topic in topics {
            let alias = format!("#{}:{server}", topic_alias_local(topic));
            match client.join(&alias).await {
                Ok(room_id) => {
                    self.remember_room(&room_id, Some(topic))?;
                    report.joined.push(room_id);
                }
                Err(NetworkError::Server { status: 404, .. }) => report.missing.push(topic.clone()),
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Joins a room by id or alias (no topic).
    pub async fn network_join(
        &self,
        room: &str,
        provider: &dyn CredentialProvider,
    ) -> Result<String, NetworkError> {
        let (client, _) = self.network_client(provider)?;
        let room_id = client.join(room).await?;
        self.remember_room(&room_id, None)?;
        Ok(room_id)
    }

    /// Creates the public room of a topic (for an L&D moderator; the creator holds power 100).
    pub async fn network_create_topic_room(
        &self,
        topic: &str,
        provider: &dyn CredentialProvider,
    ) -> Result<String, NetworkError> {
        let (client, _) = self.network_client(provider)?;
        let body = json!({
            "preset": "public_chat",
            "room_alias_name": topic_alias_local(topic),
            "name": topic,
            "topic": format!("Microlearn topic: {topic}"),
        });
        let v = client
            .request(
                reqwest::Method::POST,
                "/_matrix/client/v3/createRoom",
                Some(&body),
            )
            .await
            .into_result()?;
        let room_id = client::str_field(&v, "room_id")?;
        self.remember_room(&room_id, Some(topic))?;
        Ok(room_id)
    }

    fn remember_room(&self, room_id: &str, topic: Option<&str>) -> Result<(), NetworkError> {
        self.store().write(|tx| {
            tx.execute(
                "INSERT INTO network_rooms(room_id, topic) VALUES (?1, ?2)
                 ON CONFLICT(room_id) DO UPDATE SET topic = coalesce(excluded.topic, topic),
                     membership = 'join'",
                params![room_id, topic],
            )?;
            Ok::<_, NetworkError>(())
        })
    }

    /// The rooms known locally with their unread counts (from the last sync).
    pub fn network_rooms(&self) -> Result<Vec<RoomInfo>, NetworkError> {
        self.store().read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT room_id, topic, name, membership, unread FROM network_rooms ORDER BY topic, room_id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(RoomInfo {
                    room_id: r.get(0)?,
                    topic: r.get(1)?,
                    name: r.get(2)?,
                    membership: r.get(3)?,
                    unread: r.get::<_, i64>(4)?.max(0) as u64,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// The room of a catalog topic, if joined.
    pub fn network_topic_room(&self, topic: &str) -> Result<Option<String>, NetworkError> {
        use rusqlite::OptionalExtension;
        self.store().read(|c| {
            Ok(c.query_row(
                "SELECT room_id FROM network_rooms WHERE topic = ?1",
                [topic],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    /// Sends what the outbox holds (see [`outbox::deliver`]).
    pub async fn network_send(
        &self,
        provider: &dyn CredentialProvider,
        opts: &DeliverOptions,
    ) -> Result<SendReport, NetworkError> {
        let (mut client, _) = self.network_client(provider)?;
        deliver::deliver(self.store(), &mut client, provider, opts).await
    }

    /// Fetches new events into the local store (see [`sync::sync`]).
    pub async fn network_sync(
        &self,
        provider: &dyn CredentialProvider,
        opts: &SyncOptions,
    ) -> Result<SyncReport, NetworkError> {
        let (client, user) = self.network_client(provider)?;
        sync::sync(self.store(), &client, &user, opts).await
    }

    /// Every outbox item, oldest first, with its state (pending / sent / failed).
    pub fn network_outbox(&self) -> Result<Vec<OutboxItem>, NetworkError> {
        self.store().read(outbox::items)
    }

    /// Makes every pending outbox item due now (connectivity came back).
    pub fn network_retry_now(&self) -> Result<u64, NetworkError> {
        deliver::retry_now(self.store())
    }
}

/// What [`Microlearn::network_join_topics`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JoinReport {
    /// Room ids joined.
    pub joined: Vec<String>,
    /// Topics that have no room on the homeserver yet.
    pub missing: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_aliases_are_slugs() {
        assert_eq!(topic_alias_local("Refunds & Returns"), "ml-refunds-returns");
        assert_eq!(topic_alias_local("  Café/Bar "), "ml-café-bar");
        assert_eq!(topic_alias_local("!!!"), "ml-");
    }

    #[test]
    fn session_debug_hides_the_token() {
        let s = Session {
            homeserver: "h".into(),
            user_id: "@a:b".into(),
            device_id: "D".into(),
            access_token: "secret-token".into(),
        };
        assert!(!format!("{s:?}").contains("secret-token"));
    }
}
