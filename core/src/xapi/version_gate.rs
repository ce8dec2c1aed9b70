//! Sending under the endpoint's xAPI version.
//!
//! *Why:* statements are validated at enqueue against the version in the settings, but a shell
//! may point the flush at an LRS speaking another one (`LrsEndpoint::version`: 1.0.3 or 2.0.0,
//! sent as `X-Experience-API-Version`). A statement using what only 2.0 allows (`contextAgents`,
//! `contextGroups`, …) is then invalid for that LRS, which would refuse its whole batch; rather
//! than bisecting that out of the LRS one request at a time, the flush checks each claimed
//! statement against the endpoint's version (only when it differs from the settings') and
//! dead-letters what that version forbids, with the validator's reason, before anything is sent.
//! The other statements of the batch go on. `retry_dead_letter` brings one back after the
//! endpoint changed.

use serde_json::Value;

use super::{
    XapiError,
    model::XapiVersion,
    queue::{self, Batch},
    validate::validate_statement,
};
use crate::store::Store;

/// Dead-letters the statements of `batch` that `version` forbids; returns how many. The caller
/// releases the batch and claims again when this is not 0 (its frozen body changed).
pub(crate) fn screen(store: &Store, batch: &Batch, version: XapiVersion) -> Result<u64, XapiError> {
    let mut refused = vec![];
    for id in &batch.ids {
        let Some(body) = store.read(|c| queue::body_of(c, id))? else {
            continue;
        };
        let value: Value =
            serde_json::from_str(&body).map_err(|e| XapiError::NotJson(e.to_string()))?;
        if let Err(e) = validate_statement(&value, version) {
            refused.push((id.clone(), e.to_string()));
        }
    }
    if refused.is_empty() {
        return Ok(0);
    }
    store.write(|tx| {
        for (id, reason) in &refused {
            let answer = serde_json::json!({
                "local": format!("not a valid xAPI {} statement, not sent", version.header()),
                "reason": reason,
            });
            queue::dead_letter(tx, id, 400, &answer.to_string())?;
        }
        queue::release(tx, batch.id)
    })?;
    Ok(refused.len() as u64)
}
