//! Test users for `bench network`: Synapse's shared-secret registration
//! (`/_synapse/admin/v1/register`, HMAC-SHA1 over nonce, user, password, admin flag).

use serde_json::{Value, json};
use sha1::{Digest, Sha1};

fn hmac_sha1(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha1::new().chain_update(&ipad).chain_update(msg).finalize();
    hex::encode(
        Sha1::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize(),
    )
}

/// Registers `name` with `password`; returns the user id.
pub async fn register(
    homeserver: &str,
    secret: &str,
    name: &str,
    password: &str,
) -> Result<String, String> {
    let http = reqwest::Client::new();
    let url = format!(
        "{}/_synapse/admin/v1/register",
        homeserver.trim_end_matches('/')
    );
    let nonce: Value = http
        .get(&url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let nonce = nonce["nonce"].as_str().ok_or("no nonce")?.to_owned();
    let mac = hmac_sha1(
        secret.as_bytes(),
        format!("{nonce}\0{name}\0{password}\0notadmin").as_bytes(),
    );
    let v: Value = http
        .post(&url)
        .json(&json!({"nonce": nonce, "username": name, "password": password, "admin": false, "mac": mac}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    v["user_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("register {name}: {v}"))
}

/// Every event of `room` as `token` sees it (paging back), for the exactly-once count.
pub async fn room_events(homeserver: &str, token: &str, room: &str) -> Result<Vec<Value>, String> {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let http = reqwest::Client::new();
    let mut out = vec![];
    let mut from: Option<String> = None;
    loop {
        let mut url = format!(
            "{}/_matrix/client/v3/rooms/{}/messages?dir=b&limit=1000",
            homeserver.trim_end_matches('/'),
            enc(room)
        );
        if let Some(f) = &from {
            url.push_str(&format!("&from={}", enc(f)));
        }
        let v: Value = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let chunk = v["chunk"].as_array().cloned().unwrap_or_default();
        if chunk.is_empty() {
            break;
        }
        out.extend(chunk);
        match v["end"].as_str() {
            Some(e) => from = Some(e.to_owned()),
            None => break,
        }
    }
    Ok(out)
}
