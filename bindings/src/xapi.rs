//! The `xapi` capability across the FFI. Conversions only; the rules live in
//! `microlearn_core::xapi`. Filled in as the core's `xapi` module lands.
