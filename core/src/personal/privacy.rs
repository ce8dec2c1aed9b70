//! What the learner shares, enforced where payloads are built.
//!
//! *Why in the core:* the network layer only posts what the core hands it, so a setting checked
//! here cannot be forgotten by one shell. Defaults share the least: ratings go out anonymously,
//! mastery, leaderboard points and expertise are not shared until the learner opts in, and the
//! learner is known to peers only by a random pseudonymous id (made on first use) plus the
//! display name they chose, if any.

use serde::{Deserialize, Serialize};

use super::{PersonalError, clean_text, schema::SETTINGS_TABLE};
use crate::store::settings;

/// How the learner's card ratings leave the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RatingSharing {
    /// Never: ratings stay on the device (they still shape the learner's own recommendations).
    Off,
    /// In the anonymous aggregate only: no id, no name (the default).
    #[default]
    Anonymous,
    /// With the learner's id and display name (also shown on playlists they share).
    Named,
}

/// The learner's sharing choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrivacySettings {
    /// Name shown to colleagues on shared playlists, expertise and leaderboards (`None` = none).
    pub display_name: Option<String>,
    /// Team used for team leaderboards and expertise ("" = none).
    pub team: String,
    /// How ratings are shared.
    pub ratings: RatingSharing,
    /// Whether per-topic mastery may appear in the learner's expertise profile.
    pub share_mastery: bool,
    /// Whether the learner appears on leaderboards (and their weekly points leave the device).
    pub leaderboard: bool,
    /// Whether the learner can be found in "who can help with X".
    pub expertise: bool,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self {
            display_name: None,
            team: String::new(),
            ratings: RatingSharing::Anonymous,
            share_mastery: false,
            leaderboard: false,
            expertise: false,
        }
    }
}

impl PrivacySettings {
    /// Checks the name and team.
    pub fn validate(&self) -> Result<(), PersonalError> {
        if let Some(n) = &self.display_name {
            clean_text("display name", n)?;
        }
        if !self.team.is_empty() {
            clean_text("team", &self.team)?;
        }
        Ok(())
    }

    /// The name peers see, or a neutral label.
    pub fn shown_name(&self) -> String {
        self.display_name
            .clone()
            .unwrap_or_else(|| "a colleague".to_owned())
    }
}

pub(crate) fn load(conn: &rusqlite::Connection) -> crate::Result<PrivacySettings> {
    match settings::get(conn, SETTINGS_TABLE, "privacy")? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| PersonalError::Corrupt(format!("privacy: {e}")).into()),
        None => Ok(PrivacySettings::default()),
    }
}

/// The learner's pseudonymous id, made once (random, not derived from anything personal).
pub(crate) fn learner_id(tx: &rusqlite::Connection) -> crate::Result<String> {
    if let Some(id) = settings::get(tx, SETTINGS_TABLE, "learner_id")? {
        return Ok(id);
    }
    let id = format!("learner-{}", uuid::Uuid::new_v4().simple());
    settings::put(tx, SETTINGS_TABLE, "learner_id", &id)?;
    Ok(id)
}

impl crate::Microlearn {
    /// The learner's privacy settings (least sharing until changed).
    pub fn privacy_settings(&self) -> crate::Result<PrivacySettings> {
        self.store().read(load)
    }

    /// Validates and stores the learner's privacy settings. Takes effect on the next payload.
    pub fn set_privacy_settings(&self, s: &PrivacySettings) -> crate::Result<()> {
        s.validate()?;
        let mut s = s.clone();
        s.display_name = s.display_name.map(|n| n.trim().to_owned());
        s.team = s.team.trim().to_owned();
        let json = serde_json::to_string(&s).map_err(|e| PersonalError::Corrupt(e.to_string()))?;
        self.store().write(|tx| {
            settings::put(tx, SETTINGS_TABLE, "privacy", &json)?;
            Ok(())
        })
    }

    /// The learner's pseudonymous id as peers know it (made on first call).
    pub fn learner_id(&self) -> crate::Result<String> {
        self.store().write(|tx| learner_id(tx))
    }
}

#[cfg(test)]
mod tests {
    use crate::Microlearn;

    use super::*;

    #[test]
    fn defaults_share_least_and_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        let s = core.privacy_settings().expect("get");
        assert_eq!(s.ratings, RatingSharing::Anonymous);
        assert!(!s.share_mastery && !s.leaderboard && !s.expertise);
        let id = core.learner_id().expect("id");
        assert_eq!(core.learner_id().expect("again"), id);
        let bad = PrivacySettings {
            display_name: Some("  ".into()),
            ..Default::default()
        };
        assert!(core.set_privacy_settings(&bad).is_err());
        let good = PrivacySettings {
            display_name: Some(" Ana ".into()),
            leaderboard: true,
            ..Default::default()
        };
        core.set_privacy_settings(&good).expect("set");
        let back = core.privacy_settings().expect("get");
        assert_eq!(back.display_name.as_deref(), Some("Ana"));
        assert!(back.leaderboard);
    }
}
