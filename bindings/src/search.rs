//! The `search` capability across the FFI. Conversions only; the rules live in
//! `microlearn_core::search`. Filled in as the core's `search` module lands.
