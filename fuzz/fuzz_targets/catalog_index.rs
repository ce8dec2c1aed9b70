//! The catalog index (`index.json`) as a server sends it: any bytes must parse or fail typed.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = microlearn_core::content::catalog::parse_index(data) {
        let _ = index.total_bytes();
    }
});
