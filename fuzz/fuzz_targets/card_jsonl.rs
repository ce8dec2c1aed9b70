//! The JSON Lines card import (`import_jsonl`, `microlearn import`): parse, then validate.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cards) = microlearn_core::content::import::parse_jsonl(data) {
        for c in &cards {
            let _ = c.validate();
        }
    }
});
