//! The `quiz` capability across the FFI. Conversions only; the rules live in
//! `microlearn_core::quiz`. Filled in as the core's `quiz` module lands.
