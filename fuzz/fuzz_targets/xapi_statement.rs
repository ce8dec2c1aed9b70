//! The xAPI statement validator (what `enqueue_statement` accepts from the app), both versions.
#![no_main]
use libfuzzer_sys::fuzz_target;
use microlearn_core::xapi::{model::XapiVersion, validate::validate_statement};

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = validate_statement(&v, XapiVersion::V2_0_0);
    let _ = validate_statement(&v, XapiVersion::V1_0_3);
});
