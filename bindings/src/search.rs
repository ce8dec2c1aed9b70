//! Micro-moment search across the FFI: one coarse call per keystroke returning a list of hits
//! (one JNA crossing, not one per hit). Conversions only; the engine (FTS5 + typo-tolerant
//! vocabulary) lives in `microlearn_core::search`. User text never reaches a query syntax raw:
//! the core quotes every token, so any string (quotes, `*`, `NEAR`, emoji, 10 kB) is safe.

use microlearn_core::search as ms;

use crate::{Microlearn, content::CardFormat, error::Result};

/// Filters and limits of one search; `SearchOptions()` in Kotlin gives the core's defaults.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SearchOptions {
    /// Most hits returned (1–100).
    #[uniffi(default = 10)]
    pub limit: u32,
    /// Only cards of this format.
    #[uniffi(default = None)]
    pub format: Option<CardFormat>,
    /// Only cards that take at most this many seconds.
    #[uniffi(default = None)]
    pub max_duration_seconds: Option<u32>,
    /// Only cards with this tag or topic (case-insensitive).
    #[uniffi(default = None)]
    pub tag: Option<String>,
    /// Only cards in this locale: `en` matches `en` and `en-GB`.
    #[uniffi(default = None)]
    pub locale: Option<String>,
    /// Only cards whose media are all in the local cache (usable offline now).
    #[uniffi(default = false)]
    pub downloaded_only: bool,
    /// Marker put before each highlighted word in snippets.
    #[uniffi(default = "[")]
    pub highlight_start: String,
    /// Marker put after each highlighted word in snippets.
    #[uniffi(default = "]")]
    pub highlight_end: String,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SearchHit {
    /// The card's id.
    pub card_id: String,
    /// The card's title.
    pub title: String,
    /// A short extract with the matched words between the highlight markers.
    pub snippet: String,
    /// Relevance, higher is better (comparable within one result list only).
    pub score: f64,
    /// The card's format.
    pub format: CardFormat,
    /// Estimated time to complete.
    pub duration_seconds: u32,
}

/// The answer to one search.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SearchResults {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// A corrected query, set only when the query as typed matches nothing or almost nothing: a
    /// word unknown to the catalog (or, still being typed, that no catalog word starts with), or
    /// a word in one or two cards one edit from a far more common one. The hits were searched
    /// with the correction already.
    pub did_you_mean: Option<String>,
}

impl From<SearchOptions> for ms::SearchOptions {
    fn from(o: SearchOptions) -> Self {
        Self {
            limit: o.limit,
            format: o.format.map(Into::into),
            max_duration_seconds: o.max_duration_seconds,
            tag: o.tag,
            locale: o.locale,
            downloaded_only: o.downloaded_only,
            highlight_start: o.highlight_start,
            highlight_end: o.highlight_end,
            ..Default::default()
        }
    }
}

impl From<ms::SearchHit> for SearchHit {
    fn from(h: ms::SearchHit) -> Self {
        Self {
            card_id: h.card_id,
            title: h.title,
            snippet: h.snippet,
            score: h.score,
            format: h.format.into(),
            duration_seconds: h.duration_seconds,
        }
    }
}

impl From<ms::SearchResults> for SearchResults {
    fn from(r: ms::SearchResults) -> Self {
        Self {
            hits: r.hits.into_iter().map(Into::into).collect(),
            did_you_mean: r.did_you_mean,
        }
    }
}

#[uniffi::export]
impl Microlearn {
    /// Searches the offline catalog; meant for every keystroke (the last word is a prefix).
    /// An empty query returns no hits; a bad limit or filter is `InvalidArgument`/`Search`.
    #[uniffi::method(default(options = None))]
    pub fn search(&self, query: String, options: Option<SearchOptions>) -> Result<SearchResults> {
        let opts: ms::SearchOptions = options.map(Into::into).unwrap_or_default();
        Ok(self.core()?.search(&query, &opts)?.into())
    }
}
