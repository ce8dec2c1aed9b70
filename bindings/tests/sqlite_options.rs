//! The bundled SQLite is built with the size options of `.cargo/config.toml` (`LIBSQLITE3_FLAGS`):
//! this fails if the `[env]` setting stops reaching libsqlite3-sys's build script, or if an option
//! the core needs (FTS5, JSON, dbstat) is turned off by mistake.

use microlearn_core::{Microlearn, store::StoreError};

fn compile_options() -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = Microlearn::open(dir.path()).expect("open");
    core.store()
        .read(|c| -> Result<Vec<String>, StoreError> {
            let mut stmt = c.prepare("PRAGMA compile_options")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .expect("compile options")
}

#[test]
fn sqlite_is_built_with_the_size_options() {
    let opts = compile_options();
    let has = |o: &str| {
        opts.iter()
            .any(|x| x == o || x.starts_with(&format!("{o}=")))
    };
    for needed in ["ENABLE_FTS5", "ENABLE_DBSTAT_VTAB", "THREADSAFE=1"] {
        assert!(has(needed), "{needed} missing from {opts:?}");
    }
    for omitted in [
        "OMIT_LOAD_EXTENSION",
        "OMIT_DEPRECATED",
        "OMIT_SHARED_CACHE",
        "OMIT_UTF16",
    ] {
        assert!(
            has(omitted),
            "{omitted} missing: LIBSQLITE3_FLAGS not applied? {opts:?}"
        );
    }
    for dropped in ["ENABLE_FTS3", "ENABLE_RTREE", "ENABLE_STAT4", "SOUNDEX"] {
        assert!(!has(dropped), "{dropped} still compiled in: {opts:?}");
    }
    assert!(!has("OMIT_JSON"), "JSON must stay: {opts:?}");
}
