//! The xAPI statement model (xAPI 2.0 / IEEE 9274.1.1, with 1.0.3 as a fallback).
//!
//! *Why typed structs and raw JSON side by side:* the builders and the shells want types they can
//! fill in safely, but what goes to the LRS is the statement exactly as it was recorded. So a
//! typed [`Statement`] is serialized once at enqueue, validated as JSON (the same code path as a
//! statement handed over as a string), and then frozen; the queue never re-serializes it.
//!
//! The records are plain data (strings, numbers, options, vectors) so they cross the FFI easily.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A language map: language tag → text (`{"en-US": "completed"}`).
pub type LanguageMap = std::collections::BTreeMap<String, String>;

/// Which xAPI version the client speaks (header `X-Experience-API-Version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum XapiVersion {
    /// xAPI 2.0.0 (IEEE 9274.1.1), the default.
    #[default]
    #[serde(rename = "2.0.0")]
    V2_0_0,
    /// xAPI 1.0.3, for LRSs that do not speak 2.0 yet.
    #[serde(rename = "1.0.3")]
    V1_0_3,
}

impl XapiVersion {
    /// The value of the `X-Experience-API-Version` header.
    pub fn header(self) -> &'static str {
        match self {
            XapiVersion::V2_0_0 => "2.0.0",
            XapiVersion::V1_0_3 => "1.0.3",
        }
    }

    /// Parses `"2.0.0"` / `"1.0.3"` (also `"2.0"`, `"1.0"`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "2.0.0" | "2.0" => Some(Self::V2_0_0),
            "1.0.3" | "1.0" => Some(Self::V1_0_3),
            _ => None,
        }
    }
}

/// The `objectType` of an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorKind {
    /// One person or system.
    Agent,
    /// A group of agents (identified or anonymous).
    Group,
}

/// An account on some system (`{"homePage": …, "name": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// IRL of the system that holds the account.
    #[serde(rename = "homePage")]
    pub home_page: String,
    /// The account's unique name on that system.
    pub name: String,
}

/// An Agent or Group. Exactly one inverse functional identifier (mbox, mbox_sha1sum, openid,
/// account) identifies an agent; a group has one too, or is anonymous and lists its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Actor {
    /// `Agent` (default when absent) or `Group`.
    #[serde(rename = "objectType", skip_serializing_if = "Option::is_none")]
    pub object_type: Option<ActorKind>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `mailto:` IRI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mbox: Option<String>,
    /// Hex SHA-1 of the `mailto:` IRI, for privacy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mbox_sha1sum: Option<String>,
    /// An OpenID URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// An account on some system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// Members of a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<Vec<Actor>>,
}

impl Actor {
    /// An agent identified by an account.
    pub fn account(home_page: impl Into<String>, name: impl Into<String>) -> Self {
        Actor {
            object_type: Some(ActorKind::Agent),
            account: Some(Account {
                home_page: home_page.into(),
                name: name.into(),
            }),
            ..Default::default()
        }
    }

    /// An agent identified by the SHA-1 of its `mailto:` IRI (the raw address is not kept).
    pub fn mbox_sha1(email: &str) -> Self {
        Actor {
            object_type: Some(ActorKind::Agent),
            mbox_sha1sum: Some(mbox_sha1sum(email)),
            ..Default::default()
        }
    }
}

/// Hex SHA-1 of `mailto:<email>` (lower-cased, trimmed), as xAPI's `mbox_sha1sum`.
pub fn mbox_sha1sum(email: &str) -> String {
    use sha1::{Digest, Sha1};
    let iri = format!("mailto:{}", email.trim().to_lowercase());
    hex::encode(Sha1::digest(iri.as_bytes()))
}

/// What the actor did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verb {
    /// The verb's IRI (e.g. `http://adlnet.gov/expapi/verbs/completed`).
    pub id: String,
    /// Human-readable names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<LanguageMap>,
}

/// How an activity is described.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ActivityDefinition {
    /// Names by language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<LanguageMap>,
    /// Descriptions by language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LanguageMap>,
    /// The activity type IRI.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    /// A page about the activity.
    #[serde(rename = "moreInfo", skip_serializing_if = "Option::is_none")]
    pub more_info: Option<String>,
    /// For `cmi.interaction` activities: `choice`, `true-false`, `fill-in` …
    #[serde(rename = "interactionType", skip_serializing_if = "Option::is_none")]
    pub interaction_type: Option<String>,
    /// Correct responses pattern of an interaction.
    #[serde(
        rename = "correctResponsesPattern",
        skip_serializing_if = "Option::is_none"
    )]
    pub correct_responses_pattern: Option<Vec<String>>,
    /// Choices of a `choice` interaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<InteractionComponent>>,
    /// Extensions, keyed by IRI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
}

/// One choice (or scale step, source, target …) of an interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionComponent {
    /// The component's id, unique within the list.
    pub id: String,
    /// Its text by language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LanguageMap>,
}

/// An activity: a card, a quiz question, the search box …
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Always `Activity` when serialized by us.
    #[serde(rename = "objectType", skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    /// The activity's IRI.
    pub id: String,
    /// Its metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<ActivityDefinition>,
}

impl Activity {
    /// An activity with an id, a name in `lang` and a type IRI.
    pub fn new(id: impl Into<String>, name: Option<(&str, &str)>, kind: Option<&str>) -> Self {
        let definition = if name.is_some() || kind.is_some() {
            Some(ActivityDefinition {
                name: name.map(|(lang, text)| LanguageMap::from([(lang.into(), text.into())])),
                activity_type: kind.map(str::to_owned),
                ..Default::default()
            })
        } else {
            None
        };
        Activity {
            object_type: Some("Activity".into()),
            id: id.into(),
            definition,
        }
    }
}

/// A reference to another statement by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementRef {
    /// Always `StatementRef`.
    #[serde(rename = "objectType")]
    pub object_type: String,
    /// The referenced statement's UUID.
    pub id: String,
}

/// The object of a statement. Serialized untagged: each variant carries its own `objectType`;
/// read back by `objectType` (absent = Activity).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StatementObject {
    /// An activity (the usual case).
    Activity(Activity),
    /// A reference to another statement (e.g. for voiding).
    StatementRef(StatementRef),
    /// An agent or group.
    Actor(Actor),
    /// A sub-statement, kept as JSON (rare; validated like any statement part).
    SubStatement(Map<String, Value>),
}

impl<'de> Deserialize<'de> for StatementObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = Value::deserialize(d)?;
        let kind = v
            .get("objectType")
            .and_then(Value::as_str)
            .unwrap_or("Activity");
        Ok(match kind {
            "Agent" | "Group" => {
                StatementObject::Actor(serde_json::from_value(v).map_err(D::Error::custom)?)
            }
            "StatementRef" => {
                StatementObject::StatementRef(serde_json::from_value(v).map_err(D::Error::custom)?)
            }
            "SubStatement" => match v {
                Value::Object(m) => StatementObject::SubStatement(m),
                _ => return Err(D::Error::custom("a sub-statement must be an object")),
            },
            _ => StatementObject::Activity(serde_json::from_value(v).map_err(D::Error::custom)?),
        })
    }
}

/// A score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Score {
    /// Between -1 and 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaled: Option<f64>,
    /// Between min and max.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<f64>,
    /// Lowest possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// The outcome of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatementResult {
    /// The score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// Whether the attempt succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// Whether the activity was completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion: Option<bool>,
    /// The learner's response (e.g. a choice id, a search query).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// ISO 8601 duration (`PT12.5S`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Extensions, keyed by IRI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
}

/// Activities that give a statement its context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContextActivities {
    /// The activity this one is part of (a card for a question, a course for a card).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Vec<Activity>>,
    /// Broader grouping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grouping: Option<Vec<Activity>>,
    /// Tags such as the xAPI profile used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Vec<Activity>>,
    /// Anything else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<Vec<Activity>>,
}

/// Context of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Context {
    /// UUID tying statements of one attempt or enrolment together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
    /// The instructor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructor: Option<Actor>,
    /// The team (a group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<Actor>,
    /// Related activities.
    #[serde(rename = "contextActivities", skip_serializing_if = "Option::is_none")]
    pub context_activities: Option<ContextActivities>,
    /// 2.0 only: agents with a relevance.
    #[serde(rename = "contextAgents", skip_serializing_if = "Option::is_none")]
    pub context_agents: Option<Vec<Value>>,
    /// 2.0 only: groups with a relevance.
    #[serde(rename = "contextGroups", skip_serializing_if = "Option::is_none")]
    pub context_groups: Option<Vec<Value>>,
    /// Revision of the learning activity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The platform (`Microlearn Android` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// RFC 5646 language tag of the content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// A statement this one relates to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementRef>,
    /// Extensions, keyed by IRI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
}

/// Metadata of an attachment (the bytes themselves are not queued by Microlearn; use `fileUrl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// Why it is attached (IRI).
    #[serde(rename = "usageType")]
    pub usage_type: String,
    /// Title by language.
    pub display: LanguageMap,
    /// Description by language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LanguageMap>,
    /// MIME type.
    #[serde(rename = "contentType")]
    pub content_type: String,
    /// Size in bytes.
    pub length: u64,
    /// Hex SHA-256 of the content.
    pub sha2: String,
    /// Where the content can be fetched.
    #[serde(rename = "fileUrl", skip_serializing_if = "Option::is_none")]
    pub file_url: Option<String>,
}

/// One xAPI statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Client-generated UUID; assigned at enqueue when missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Who.
    pub actor: Actor,
    /// Did what.
    pub verb: Verb,
    /// To what.
    pub object: StatementObject,
    /// With what outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<StatementResult>,
    /// In what context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// When (UTC, `Z`, milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Attachment metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

impl Statement {
    /// The statement as a JSON value.
    pub fn to_value(&self) -> Value {
        // Serializing plain data into a Value cannot fail (string keys, finite numbers are the
        // caller's business; NaN becomes null and is then refused by the validator).
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The current time as an xAPI timestamp: UTC, `Z`, millisecond precision.
pub fn now_timestamp() -> String {
    format_timestamp(chrono::Utc::now())
}

/// Formats a time as an xAPI timestamp: UTC, `Z`, millisecond precision.
pub fn format_timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An ISO 8601 duration for a number of seconds (`PT12.5S`), hundredths as 1.0.3 asks.
pub fn iso_duration(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds
    } else {
        0.0
    };
    let centis = (s * 100.0).round() as u64;
    let (h, rest) = (centis / 360_000, centis % 360_000);
    let (m, c) = (rest / 6000, rest % 6000);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if c % 100 == 0 {
        out.push_str(&format!("{}S", c / 100));
    } else {
        out.push_str(&format!("{}.{:02}S", c / 100, c % 100));
    }
    out
}

/// Credentials for the LRS, handed over by the shell at flush time and never stored.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic (the LRS's key and secret).
    Basic {
        /// User (key).
        user: String,
        /// Password (secret).
        password: String,
    },
    /// An OAuth / bearer token.
    Bearer {
        /// The token.
        token: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Credentials::Bearer { .. } => write!(f, "Bearer(***)"),
        }
    }
}

/// Supplies credentials at call time (the shell's keystore / token refresh).
pub trait CredentialProvider: Send + Sync {
    /// Current credentials, or `None` to send none. `rejected` is true when the LRS refused the
    /// previous ones (401/403): the provider should refresh them, or return `None` to pause.
    fn credentials(&self, rejected: bool) -> Option<Credentials>;
}

/// A provider with fixed credentials (the CLI's `--user/--password`), that cannot refresh.
#[derive(Debug, Clone)]
pub struct StaticCredentials(pub Option<Credentials>);

impl CredentialProvider for StaticCredentials {
    fn credentials(&self, rejected: bool) -> Option<Credentials> {
        if rejected { None } else { self.0.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_timestamps() {
        assert_eq!(iso_duration(12.5), "PT12.50S");
        assert_eq!(iso_duration(3725.0), "PT1H2M5S");
        assert_eq!(iso_duration(-3.0), "PT0S");
        let t = now_timestamp();
        assert!(t.ends_with('Z') && t.len() == 24, "{t}");
    }

    #[test]
    fn objects_read_back_by_object_type() {
        let sub = r#"{"objectType":"SubStatement","actor":{"mbox":"mailto:a@b.c"}}"#;
        let agent = r#"{"objectType":"Agent","mbox":"mailto:a@b.c"}"#;
        let act = r#"{"id":"http://x.example/a"}"#;
        let parse = |s: &str| serde_json::from_str::<StatementObject>(s).expect("parse");
        assert!(matches!(parse(sub), StatementObject::SubStatement(_)));
        assert!(matches!(parse(agent), StatementObject::Actor(_)));
        assert!(matches!(parse(act), StatementObject::Activity(_)));
    }

    #[test]
    fn sha1_of_mailto() {
        // sha1("mailto:test@example.com"), computed independently with `sha1sum`.
        assert_eq!(
            mbox_sha1sum(" Test@Example.com"),
            "53d04bc579b8b4d082ca4a530642845e2c0bfe74"
        );
    }
}
