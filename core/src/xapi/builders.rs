//! Statements for what the app emits, the learner's identity and the module's settings.
//!
//! *Why an [`Emitter`]:* every statement the app records needs the same actor, activity IRIs
//! under one configurable base, the platform and a timestamp; loading them once per transaction
//! and building with ADL vocabulary verbs keeps each `record_*` call to one line and keeps the
//! quiz module (which enqueues inside its own transaction) consistent with the rest.
//!
//! Privacy: by default the learner is an install-scoped account (a random UUID under the base
//! IRI), so no personal data leaves the device. A shell that knows the learner calls
//! [`crate::Microlearn::set_learner`]; an e-mail is sent as `mbox_sha1sum` (or turned into an
//! account) unless the app explicitly chooses the raw `mbox`.

use rusqlite::{Connection, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::util::percent_encode;

use super::{
    XapiError,
    model::{
        Activity, Actor, ActorKind, Context, ContextActivities, LanguageMap, Score, Statement,
        StatementObject, StatementResult, Verb, XapiVersion, iso_duration, now_timestamp,
    },
    queue::{get_meta, set_meta},
    validate,
};

/// ADL vocabulary verb IRIs (and the two community verbs the app needs).
pub mod verbs {
    /// Viewed / read a card.
    pub const EXPERIENCED: &str = "http://adlnet.gov/expapi/verbs/experienced";
    /// Started a quiz or card.
    pub const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";
    /// Answered a quiz question.
    pub const ANSWERED: &str = "http://adlnet.gov/expapi/verbs/answered";
    /// Finished a card or a session.
    pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
    /// Passed a quiz.
    pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
    /// Failed a quiz.
    pub const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
    /// Commented on a card.
    pub const COMMENTED: &str = "http://adlnet.gov/expapi/verbs/commented";
    /// Shared a card.
    pub const SHARED: &str = "http://adlnet.gov/expapi/verbs/shared";
    /// Voided an earlier statement.
    pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";
    /// Rated a card (TinCan registry verb, listed in the ADL vocabulary server).
    pub const RATED: &str = "http://id.tincanapi.com/verb/rated";
    /// Searched the catalog (ACRossX profile verb).
    pub const SEARCHED: &str = "https://w3id.org/xapi/acrossx/verbs/searched";
}

/// Activity type IRIs.
pub mod activity_types {
    /// A card (one learning objective).
    pub const CARD: &str = "http://adlnet.gov/expapi/activities/lesson";
    /// A quiz question.
    pub const QUESTION: &str = "http://adlnet.gov/expapi/activities/cmi.interaction";
    /// A quiz session.
    pub const ASSESSMENT: &str = "http://adlnet.gov/expapi/activities/assessment";
    /// The catalog search.
    pub const SEARCH: &str = "https://w3id.org/xapi/acrossx/activities/webpage";
}

/// The default base IRI for activity ids and the install account (set a real one per tenant).
pub const DEFAULT_BASE_IRI: &str = "https://microlearn.example/xapi/";

/// Module settings, kept in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XapiSettings {
    /// Base IRI for activity ids (`<base>cards/<card id>`); ends with `/`.
    pub activity_base: String,
    /// The xAPI version statements are validated against and sent with.
    pub version: XapiVersion,
    /// `context.platform` of every statement.
    pub platform: String,
    /// `context.language`, the content's language (RFC 5646), if known.
    pub language: Option<String>,
}

impl Default for XapiSettings {
    fn default() -> Self {
        XapiSettings {
            activity_base: DEFAULT_BASE_IRI.into(),
            version: XapiVersion::V2_0_0,
            platform: "Microlearn".into(),
            language: None,
        }
    }
}

impl XapiSettings {
    /// Reads the settings (defaults if never set).
    pub fn load(conn: &Connection) -> Result<Self, XapiError> {
        match get_meta(conn, "settings")? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| XapiError::Config(format!("stored settings unreadable: {e}"))),
            None => Ok(Self::default()),
        }
    }

    pub(crate) fn check(&mut self) -> Result<(), XapiError> {
        if !super::formats::is_iri(&self.activity_base) {
            return Err(XapiError::Config(format!(
                "activity base {:?} is not an absolute IRI",
                self.activity_base
            )));
        }
        if !self.activity_base.ends_with('/') {
            self.activity_base.push('/');
        }
        if let Some(lang) = &self.language
            && !super::formats::is_language_tag(lang)
        {
            return Err(XapiError::Config(format!("{lang:?} is not a language tag")));
        }
        Ok(())
    }
}

/// How the learner's e-mail (if any) appears in statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LearnerPrivacy {
    /// `mbox_sha1sum`: the LRS can match the learner, nobody can read the address (default).
    #[default]
    MboxSha1sum,
    /// An account (`homePage` + `name`); the e-mail is not sent at all.
    Account,
    /// The raw `mbox` (only when the organisation requires it).
    Mbox,
}

/// Who the learner is, as the shell knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LearnerConfig {
    /// Display name (sent as `name`; leave empty to send none).
    pub name: Option<String>,
    /// E-mail address, sent according to `privacy`.
    pub email: Option<String>,
    /// Account home page (IRL of the identity system), for `Account` privacy.
    pub account_home_page: Option<String>,
    /// Account name (the learner's id in that system), for `Account` privacy.
    pub account_name: Option<String>,
    /// How to identify the learner.
    pub privacy: LearnerPrivacy,
}

impl LearnerConfig {
    /// The actor this configuration sends. The raw e-mail appears only with `Mbox` privacy.
    pub fn to_actor(&self) -> Result<Actor, XapiError> {
        let mut actor = match (self.privacy, &self.email) {
            (LearnerPrivacy::Account, _) | (_, None) => {
                match (&self.account_home_page, &self.account_name) {
                    (Some(home), Some(name)) => Actor::account(home.clone(), name.clone()),
                    _ => {
                        return Err(XapiError::Config(
                            "learner needs an e-mail or an account (home page and name)".into(),
                        ));
                    }
                }
            }
            (LearnerPrivacy::MboxSha1sum, Some(email)) => Actor::mbox_sha1(email),
            (LearnerPrivacy::Mbox, Some(email)) => Actor {
                object_type: Some(ActorKind::Agent),
                mbox: Some(format!("mailto:{}", email.trim())),
                ..Default::default()
            },
        };
        actor.name = self.name.clone().filter(|n| !n.is_empty());
        let mut probe = Map::new();
        probe.insert(
            "actor".into(),
            serde_json::to_value(&actor).map_err(|e| XapiError::Config(e.to_string()))?,
        );
        validate::validate_actor_value(&probe["actor"], "actor")?;
        Ok(actor)
    }
}

/// Everything needed to build statements, loaded once per transaction.
#[derive(Debug, Clone)]
pub struct Emitter {
    /// The learner.
    pub actor: Actor,
    /// The module settings.
    pub settings: XapiSettings,
}

impl Emitter {
    /// Loads the learner and settings; creates the install-scoped account on first use.
    pub fn load(tx: &Transaction<'_>) -> Result<Self, XapiError> {
        let settings = XapiSettings::load(tx)?;
        let actor = match get_meta(tx, "learner_actor")? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| XapiError::Config(format!("stored learner unreadable: {e}")))?,
            None => {
                let install = match get_meta(tx, "install_id")? {
                    Some(id) => id,
                    None => {
                        let id = uuid::Uuid::new_v4().to_string();
                        set_meta(tx, "install_id", &id)?;
                        id
                    }
                };
                Actor::account(format!("{}installs", settings.activity_base), install)
            }
        };
        Ok(Emitter { actor, settings })
    }

    /// The IRI of a card activity.
    pub fn card_iri(&self, card_id: &str) -> String {
        format!(
            "{}cards/{}",
            self.settings.activity_base,
            percent_encode(card_id)
        )
    }

    /// The IRI of a question of a card.
    pub fn question_iri(&self, card_id: &str, question_id: &str) -> String {
        format!(
            "{}/questions/{}",
            self.card_iri(card_id),
            percent_encode(question_id)
        )
    }

    /// A statement with this learner, `verb`, `object`, the platform context and `now`.
    pub fn statement(&self, verb: &str, object: Activity) -> Statement {
        Statement {
            id: None,
            actor: self.actor.clone(),
            verb: Verb {
                id: verb.into(),
                display: Some(LanguageMap::from([(
                    "en-US".into(),
                    verb.rsplit('/').next().unwrap_or(verb).into(),
                )])),
            },
            object: StatementObject::Activity(object),
            result: None,
            context: Some(Context {
                platform: Some(self.settings.platform.clone()),
                language: self.settings.language.clone(),
                ..Default::default()
            }),
            timestamp: Some(now_timestamp()),
            attachments: None,
        }
    }

    fn card(&self, card_id: &str, title: Option<&str>) -> Activity {
        Activity::new(
            self.card_iri(card_id),
            title.map(|t| ("en-US", t)),
            Some(activity_types::CARD),
        )
    }

    /// `experienced` a card, for `seconds`.
    pub fn experienced(
        &self,
        card_id: &str,
        title: Option<&str>,
        seconds: Option<f64>,
    ) -> Statement {
        let mut s = self.statement(verbs::EXPERIENCED, self.card(card_id, title));
        s.result = seconds.map(|sec| StatementResult {
            duration: Some(iso_duration(sec)),
            ..Default::default()
        });
        s
    }

    /// `attempted` a card or quiz.
    pub fn attempted(&self, card_id: &str, title: Option<&str>) -> Statement {
        self.statement(verbs::ATTEMPTED, self.card(card_id, title))
    }

    /// `completed` a card, after `seconds`.
    pub fn completed(&self, card_id: &str, title: Option<&str>, seconds: Option<f64>) -> Statement {
        let mut s = self.statement(verbs::COMPLETED, self.card(card_id, title));
        s.result = Some(StatementResult {
            completion: Some(true),
            duration: seconds.map(iso_duration),
            ..Default::default()
        });
        s
    }

    /// `answered` a question of a card: the response (choice ids joined by `[,]`), correctness
    /// and time taken; the card is the parent activity.
    pub fn answered(
        &self,
        card_id: &str,
        question_id: &str,
        response: &str,
        correct: bool,
        seconds: Option<f64>,
    ) -> Statement {
        let mut question = Activity::new(
            self.question_iri(card_id, question_id),
            None,
            Some(activity_types::QUESTION),
        );
        if let Some(def) = &mut question.definition {
            def.interaction_type = Some("choice".into());
        }
        let mut s = self.statement(verbs::ANSWERED, question);
        s.result = Some(StatementResult {
            success: Some(correct),
            response: Some(response.into()),
            duration: seconds.map(iso_duration),
            ..Default::default()
        });
        if let Some(ctx) = &mut s.context {
            ctx.context_activities = Some(ContextActivities {
                parent: Some(vec![Activity::new(self.card_iri(card_id), None, None)]),
                ..Default::default()
            });
        }
        s
    }

    fn scored(
        &self,
        verb: &str,
        activity: Activity,
        raw: f64,
        max: f64,
        success: bool,
    ) -> Statement {
        let mut s = self.statement(verb, activity);
        let scaled = if max > 0.0 {
            (raw / max).clamp(0.0, 1.0)
        } else {
            0.0
        };
        s.result = Some(StatementResult {
            score: Some(Score {
                scaled: Some((scaled * 10_000.0).round() / 10_000.0),
                raw: Some(raw),
                min: Some(0.0),
                max: Some(max),
            }),
            success: Some(success),
            completion: Some(true),
            ..Default::default()
        });
        s
    }

    /// `passed` a quiz session (`session_id` under `<base>quizzes/`) with `raw` of `max`.
    pub fn passed(&self, session_id: &str, raw: f64, max: f64) -> Statement {
        self.scored(verbs::PASSED, self.quiz(session_id), raw, max, true)
    }

    /// `failed` a quiz session with `raw` of `max`.
    pub fn failed(&self, session_id: &str, raw: f64, max: f64) -> Statement {
        self.scored(verbs::FAILED, self.quiz(session_id), raw, max, false)
    }

    fn quiz(&self, session_id: &str) -> Activity {
        Activity::new(
            format!(
                "{}quizzes/{}",
                self.settings.activity_base,
                percent_encode(session_id)
            ),
            None,
            Some(activity_types::ASSESSMENT),
        )
    }

    /// `rated` a card `rating` out of `max` (e.g. 4 of 5 stars).
    pub fn rated(&self, card_id: &str, rating: f64, max: f64) -> Statement {
        let mut s = self.statement(verbs::RATED, self.card(card_id, None));
        s.result = Some(StatementResult {
            score: Some(Score {
                raw: Some(rating.clamp(0.0, max)),
                min: Some(0.0),
                max: Some(max),
                scaled: None,
            }),
            ..Default::default()
        });
        s
    }

    /// `commented` on a card.
    pub fn commented(&self, card_id: &str, text: &str) -> Statement {
        let mut s = self.statement(verbs::COMMENTED, self.card(card_id, None));
        s.result = Some(StatementResult {
            response: Some(text.into()),
            ..Default::default()
        });
        s
    }

    /// `shared` a card (optionally naming the channel, e.g. `email`).
    pub fn shared(&self, card_id: &str, channel: Option<&str>) -> Statement {
        let mut s = self.statement(verbs::SHARED, self.card(card_id, None));
        if let Some(ch) = channel {
            s.result = Some(StatementResult {
                response: Some(ch.into()),
                ..Default::default()
            });
        }
        s
    }

    /// `searched` the catalog for `query`, which found `results` cards.
    pub fn searched(&self, query: &str, results: u64) -> Statement {
        let search = Activity::new(
            format!("{}search", self.settings.activity_base),
            Some(("en-US", "Catalog search")),
            Some(activity_types::SEARCH),
        );
        let mut s = self.statement(verbs::SEARCHED, search);
        let mut ext = Map::new();
        ext.insert(
            format!("{}extensions/results", self.settings.activity_base),
            Value::from(results),
        );
        s.result = Some(StatementResult {
            response: Some(query.into()),
            extensions: Some(ext),
            ..Default::default()
        });
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Microlearn;
    use crate::xapi::model::{Account, mbox_sha1sum};
    use crate::xapi::queue;

    #[test]
    fn default_learner_is_an_install_account_and_stable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        let a = core.learner_actor().expect("actor");
        let acc: &Account = a.account.as_ref().expect("account");
        assert!(acc.home_page.starts_with(DEFAULT_BASE_IRI));
        assert_eq!(core.learner_actor().expect("again"), a);
        assert!(a.mbox.is_none());
    }

    #[test]
    fn email_is_hashed_unless_raw_is_chosen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        core.set_learner(&LearnerConfig {
            name: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .expect("set");
        let id = core.record_card_viewed("card-1", 12.0).expect("record");
        let queued = core
            .store()
            .read(|c| queue::waiting_statements(c).map_err(crate::Error::from))
            .expect("read");
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].0, id);
        assert!(!queued[0].1.contains("ada@example.com"), "{}", queued[0].1);
        assert!(queued[0].1.contains(&mbox_sha1sum("ada@example.com")));
        assert!(queued[0].1.contains(verbs::EXPERIENCED));
        assert!(queued[0].1.contains("PT12S"));
        let bad = LearnerConfig {
            privacy: LearnerPrivacy::Account,
            email: Some("x@y.z".into()),
            ..Default::default()
        };
        assert!(core.set_learner(&bad).is_err());
    }

    #[test]
    fn every_builder_makes_a_valid_statement() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = Microlearn::open(dir.path()).expect("open");
        let ids = core
            .store()
            .write(|tx| {
                let em = Emitter::load(tx)?;
                let all = [
                    em.experienced("c/1 ü", Some("Title"), Some(3.5)),
                    em.attempted("c1", None),
                    em.completed("c1", None, Some(60.0)),
                    em.answered("c1", "q1", "b", true, Some(4.0)),
                    em.passed("s1", 4.0, 5.0),
                    em.failed("s2", 1.0, 5.0),
                    em.rated("c1", 4.0, 5.0),
                    em.commented("c1", "nice"),
                    em.shared("c1", Some("email")),
                    em.searched("refund", 3),
                ];
                all.iter()
                    .map(|s| queue::enqueue_in(tx, s).map_err(crate::Error::from))
                    .collect::<crate::Result<Vec<_>>>()
            })
            .expect("enqueue all");
        assert_eq!(ids.len(), 10);
        assert_eq!(core.xapi_status().expect("status").pending, 10);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        /// Whatever ids and texts the app passes, the builders make statements the validator
        /// (and so an LRS) accepts: ids are percent-encoded into the IRIs.
        #[test]
        fn builders_accept_any_ids_and_texts(card in ".{0,40}", q in ".{0,20}", text in ".{0,80}") {
            let dir = tempfile::tempdir().expect("tempdir");
            let core = Microlearn::open(dir.path()).expect("open");
            core.store()
                .write(|tx| {
                    let em = Emitter::load(tx)?;
                    for st in [
                        em.experienced(&card, Some(&text), Some(1.0)),
                        em.answered(&card, &q, &text, false, None),
                        em.commented(&card, &text),
                        em.searched(&text, 0),
                        em.passed(&q, 1.0, 2.0),
                    ] {
                        queue::enqueue_in(tx, &st)?;
                    }
                    Ok::<_, crate::Error>(())
                })
                .expect("every statement valid");
        }
    }
}
