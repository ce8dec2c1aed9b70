//! The `record_*` helpers and learner / settings methods on [`crate::Microlearn`]: one call per
//! thing the app emits, each one durable transaction that builds the statement with the
//! [`Emitter`] and queues it.

use rusqlite::Transaction;

use super::{
    XapiError,
    builders::{Emitter, LearnerConfig, XapiSettings},
    model::{Actor, Statement},
    queue::{self, StatementId, set_meta},
};

fn card_title(tx: &Transaction<'_>, card_id: &str) -> Option<String> {
    crate::content::get_card(tx, card_id)
        .ok()
        .flatten()
        .map(|c| c.title)
}

impl crate::Microlearn {
    /// Sets who the learner is; statements recorded from now on use this actor. Only the derived
    /// actor is stored (never a raw e-mail unless `Mbox` privacy is chosen).
    pub fn set_learner(&self, learner: &LearnerConfig) -> crate::Result<()> {
        let actor = learner.to_actor()?;
        let json = serde_json::to_string(&actor).map_err(|e| XapiError::Config(e.to_string()))?;
        self.store()
            .write(|tx| set_meta(tx, "learner_actor", &json).map_err(crate::Error::from))
    }

    /// The actor statements are recorded with (the install account if no learner was set).
    pub fn learner_actor(&self) -> crate::Result<Actor> {
        self.store().write(|tx| Ok(Emitter::load(tx)?.actor))
    }

    /// Changes the module settings (activity base IRI, xAPI version, platform, language).
    pub fn set_xapi_settings(&self, settings: &XapiSettings) -> crate::Result<()> {
        let mut settings = settings.clone();
        settings.check()?;
        let json =
            serde_json::to_string(&settings).map_err(|e| XapiError::Config(e.to_string()))?;
        self.store()
            .write(|tx| set_meta(tx, "settings", &json).map_err(crate::Error::from))
    }

    /// The module settings.
    pub fn xapi_settings(&self) -> crate::Result<XapiSettings> {
        self.store()
            .read(|c| XapiSettings::load(c).map_err(crate::Error::from))
    }

    fn emit(
        &self,
        build: impl FnOnce(&Transaction<'_>, &Emitter) -> Statement,
    ) -> crate::Result<String> {
        self.store().write(|tx| {
            let em = Emitter::load(tx)?;
            let st = build(tx, &em);
            let id: StatementId = queue::enqueue_in(tx, &st)?;
            Ok(id.0)
        })
    }

    /// Records that the learner viewed a card for `seconds` (`experienced`); returns the id.
    pub fn record_card_viewed(&self, card_id: &str, seconds: f64) -> crate::Result<String> {
        self.emit(|tx, em| {
            em.experienced(card_id, card_title(tx, card_id).as_deref(), Some(seconds))
        })
    }

    /// Records that the learner finished a card (`completed`); returns the id.
    pub fn record_card_completed(
        &self,
        card_id: &str,
        seconds: Option<f64>,
    ) -> crate::Result<String> {
        self.emit(|tx, em| em.completed(card_id, card_title(tx, card_id).as_deref(), seconds))
    }

    /// Records a catalog search and how many cards it found (`searched`); returns the id.
    pub fn record_search(&self, query: &str, results: u64) -> crate::Result<String> {
        self.emit(|_, em| em.searched(query, results))
    }

    /// Records a rating of a card, `rating` of `max` (`rated`); returns the id.
    pub fn record_card_rated(&self, card_id: &str, rating: f64, max: f64) -> crate::Result<String> {
        self.emit(|_, em| em.rated(card_id, rating, max))
    }

    /// Records a quiz answer (`answered`, the card as parent); returns the id. The quiz module,
    /// which saves the answer itself, enqueues in its own transaction with [`Emitter::answered`].
    pub fn record_answer(
        &self,
        card_id: &str,
        question_id: &str,
        response: &str,
        correct: bool,
        seconds: Option<f64>,
    ) -> crate::Result<String> {
        self.emit(|_, em| em.answered(card_id, question_id, response, correct, seconds))
    }

    /// Records the end of a quiz session: `passed` or `failed` with `raw` of `max`.
    pub fn record_quiz_result(
        &self,
        session_id: &str,
        raw: f64,
        max: f64,
        passed: bool,
    ) -> crate::Result<String> {
        self.emit(|_, em| {
            if passed {
                em.passed(session_id, raw, max)
            } else {
                em.failed(session_id, raw, max)
            }
        })
    }

    /// Records a comment on a card (`commented`); returns the id.
    pub fn record_card_commented(&self, card_id: &str, text: &str) -> crate::Result<String> {
        self.emit(|_, em| em.commented(card_id, text))
    }

    /// Records that a card was shared (`shared`); returns the id.
    pub fn record_card_shared(
        &self,
        card_id: &str,
        channel: Option<&str>,
    ) -> crate::Result<String> {
        self.emit(|_, em| em.shared(card_id, channel))
    }
}
