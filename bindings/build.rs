//! Link flags for the shipped cdylib.
//!
//! *Why:* static tables full of pointers (string tables, vtables, rustls/ring constants; until
//! 2026-11 also chrono-tz's time-zone tables, now read from the OS) need one relative relocation
//! each, 24 bytes apiece in `.rela.dyn`. Packed relocations store them in a few kB. Android's
//! linker reads `--pack-dyn-relocs=android` (API 23+, our minSdk is 24); glibc >= 2.36 reads RELR
//! (`-z pack-relative-relocs`, binutils >= 2.38 / lld). Apple targets already use compact chained
//! fixups.

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("android") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--pack-dyn-relocs=android");
    } else if target.contains("linux-gnu") && std::env::var_os("MICROLEARN_NO_RELR").is_none() {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-env-changed=MICROLEARN_NO_RELR");
}
