//! Flushing the queue to an LRS (filled in below).

use serde::{Deserialize, Serialize};

use super::model::XapiVersion;

/// Where and how to send statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LrsEndpoint {
    /// Base URL of the LRS's xAPI endpoint (`https://lrs.example/xapi/`).
    pub url: String,
    /// Version header to send.
    pub version: XapiVersion,
}

/// Flush tuning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FlushOptions {}

/// What a flush did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FlushReport {}
