//! Key/value settings tables. Several modules keep small settings in a table of their own,
//! `CREATE TABLE <module>_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`; these two
//! functions read and write any of them, so the SQL exists once. The table name is a constant of
//! the owning module (`&'static str`), never input.

use rusqlite::{Connection, OptionalExtension, params};

/// The value stored under `key` in `table`, if any.
pub(crate) fn get(
    conn: &Connection,
    table: &'static str,
    key: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(&format!("SELECT value FROM {table} WHERE key = ?1"))?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// Stores `value` under `key` in `table`, replacing what was there. Call it inside a write
/// transaction (`Transaction` derefs to `Connection`).
pub(crate) fn put(
    conn: &Connection,
    table: &'static str,
    key: &str,
    value: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO {table}(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value"
    ))?
    .execute(params![key, value])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_replaces_and_get_reads_back() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .expect("table");
        assert_eq!(get(&conn, "t_settings", "k").expect("get"), None);
        put(&conn, "t_settings", "k", "1").expect("put");
        put(&conn, "t_settings", "k", "2").expect("put again");
        put(&conn, "t_settings", "other", "x").expect("put other");
        assert_eq!(
            get(&conn, "t_settings", "k").expect("get").as_deref(),
            Some("2")
        );
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM t_settings", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, 2);
    }
}
