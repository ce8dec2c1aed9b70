//! `uniffi-bindgen`: generates the Kotlin and Swift sources from the built `microlearn-ffi`
//! library, e.g. `uniffi-bindgen generate --library target/debug/libmicrolearn_ffi.so --language
//! kotlin --out-dir out/`. Pinned to the same uniffi version as the library (`=0.32.2`), because
//! generated code and scaffolding must match exactly.

fn main() {
    uniffi::uniffi_bindgen_main()
}
