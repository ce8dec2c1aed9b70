//! The `nudge` capability across the FFI. Conversions only; the rules live in
//! `microlearn_core::nudge`. Filled in as the core's `nudge` module lands.
