//! UniFFI skin over `microlearn-core`. Filled in by the bindings issue.
uniffi::setup_scaffolding!();
