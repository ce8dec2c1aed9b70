//! Tips with media: a photo, video or audio clip posted with a short text. The file is checked
//! against the upload budget and copied into the data directory when the tip is queued (the
//! shell's temp file may vanish), uploaded to the media repository when the outbox sends the
//! row, and the `mxc://` URI is stored in the row before the message is sent — so a crash after
//! the upload resumes with the message, never re-uploading. (A crash *during* the upload may leave
//! one orphan file on the server: uploads have no transaction id.)
//!
//! Received media are fetched on demand with the authenticated media API, bounded by the budget,
//! hash-checked against the SHA-256 the sender put in the event, and stored in the content media
//! cache under their hash (never under a server-given name).

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    NetworkError,
    client::{Answer, MatrixClient},
    deliver::DeliverOptions,
    events::{CARD_KEY, KIND_KEY, types},
    outbox::{self, NewItem},
    posting::{check_body, record_xapi},
};
use crate::{Microlearn, store::Store, xapi};

/// Default largest media file of a tip: 8 MiB.
pub const DEFAULT_UPLOAD_BUDGET: u64 = 8 * 1024 * 1024;

/// Content key carrying the media's SHA-256 (hex), checked by receivers.
pub const SHA256_KEY: &str = "org.microlearn.sha256";

fn msgtype(mime: &str) -> &'static str {
    match mime.split('/').next() {
        Some("image") => "m.image",
        Some("video") => "m.video",
        Some("audio") => "m.audio",
        _ => "m.file",
    }
}

fn outbox_media_dir(core: &Microlearn) -> PathBuf {
    core.data_dir().join("network-outbox-media")
}

/// Uploads the file of outbox row `seq` and records the `mxc://` URI in the row.
pub(crate) async fn upload_for_row(
    store: &Store,
    client: &MatrixClient,
    seq: i64,
    path: &str,
    content: &Value,
    opts: &DeliverOptions,
) -> Result<String, NetworkError> {
    let bytes = tokio::fs::read(path).await?;
    if bytes.len() as u64 > opts.media_budget_bytes {
        return Err(NetworkError::MediaTooLarge {
            bytes: bytes.len() as u64,
            budget: opts.media_budget_bytes,
        });
    }
    let mime = content
        .get("info")
        .and_then(|i| i.get("mimetype"))
        .and_then(Value::as_str)
        .unwrap_or("application/octet-stream");
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("tip");
    let mxc = match client.upload(bytes, mime, name).await {
        Answer::Ok(v) => super::client::str_field(&v, "content_uri")?,
        Answer::Refused {
            status: 413, body, ..
        } => {
            return Err(NetworkError::Server {
                status: 413,
                errcode: "M_TOO_LARGE".into(),
                message: body,
            });
        }
        other => return other.into_result().map(|_| String::new()),
    };
    store.write(|tx| {
        tx.execute(
            "UPDATE network_outbox SET media_mxc = ?2 WHERE seq = ?1",
            params![seq, mxc],
        )?;
        Ok::<_, NetworkError>(())
    })?;
    Ok(mxc)
}

impl Microlearn {
    /// Queues a tip about `card_id` with a media file (image/video/audio, at most `budget`
    /// bytes). The file is copied into the data directory now; the upload happens at send.
    pub fn network_tip(
        &self,
        room: &str,
        card_id: &str,
        body: &str,
        file: &Path,
        mime: &str,
        budget: u64,
    ) -> Result<String, NetworkError> {
        check_body(body)?;
        let bytes = std::fs::read(file)?;
        if bytes.len() as u64 > budget {
            return Err(NetworkError::MediaTooLarge {
                bytes: bytes.len() as u64,
                budget,
            });
        }
        let sha = hex::encode(Sha256::digest(&bytes));
        let dir = outbox_media_dir(self);
        std::fs::create_dir_all(&dir)?;
        let copy = dir.join(&sha);
        if !copy.exists() {
            let tmp = dir.join(format!("{sha}.part"));
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &copy)?;
        }
        let copy_str = copy.to_string_lossy().into_owned();
        let content = json!({
            "msgtype": msgtype(mime),
            "body": body,
            KIND_KEY: "tip",
            CARD_KEY: card_id,
            SHA256_KEY: sha,
            "info": {"mimetype": mime, "size": bytes.len()},
        });
        self.store().write(|tx| {
            let x = record_xapi(tx, xapi::verbs::SHARED, Some(card_id), Some(body))?;
            outbox::enqueue_in(
                tx,
                &NewItem {
                    room_id: room,
                    kind: "tip",
                    event_type: types::MESSAGE,
                    content,
                    redacts: None,
                    media_path: Some(&copy_str),
                    xapi_id: Some(&x),
                },
            )
        })
    }

    /// The media of a received tip: downloaded (at most `budget` bytes), checked against the
    /// SHA-256 in the event, stored under its hash in `media/`; returns the local file.
    pub async fn network_tip_media(
        &self,
        event_id: &str,
        provider: &dyn xapi::CredentialProvider,
        budget: u64,
    ) -> Result<PathBuf, NetworkError> {
        let row: Option<(Option<String>, String)> = self.store().read(|c| {
            Ok::<_, NetworkError>(
                c.query_row(
                    "SELECT p.media_mxc, e.content FROM network_posts p
                     JOIN network_events e ON e.event_id = p.event_id WHERE p.event_id = ?1",
                    [event_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            )
        })?;
        let (Some(mxc), content) =
            row.ok_or_else(|| NetworkError::NotFound(format!("post {event_id}")))?
        else {
            return Err(NetworkError::NotFound(format!("media of {event_id}")));
        };
        let sha = serde_json::from_str::<Value>(&content)
            .ok()
            .and_then(|v| v.get(SHA256_KEY).and_then(Value::as_str).map(str::to_owned))
            .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| NetworkError::InvalidArgument("tip without a valid sha256".into()))?
            .to_ascii_lowercase();
        if let Some(p) = self.media_path(&sha).map_err(wrap)? {
            return Ok(p);
        }
        let (client, _) = self.network_client(provider)?;
        let bytes = client.download(&mxc, budget).await?;
        let got = hex::encode(Sha256::digest(&bytes));
        if got != sha {
            return Err(NetworkError::InvalidArgument(format!(
                "media hash mismatch: event says {sha}, file is {got}"
            )));
        }
        // Into the content media cache: counted in its budget, evicted least recently used.
        self.store_verified_media(&sha, &bytes).map_err(wrap)
    }
}

/// A core error from the media cache, as a network error.
fn wrap(e: crate::Error) -> NetworkError {
    match e {
        crate::Error::Store(s) => NetworkError::Store(s),
        crate::Error::Io(io) => NetworkError::Io(io),
        other => NetworkError::InvalidArgument(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgtypes_from_mime() {
        assert_eq!(msgtype("image/jpeg"), "m.image");
        assert_eq!(msgtype("video/mp4"), "m.video");
        assert_eq!(msgtype("audio/ogg"), "m.audio");
        assert_eq!(msgtype("nonsense"), "m.file");
    }
}
