//! Helpers shared by the SQL integration tests (`sql_core.rs`, `sql_more.rs`), which use
//! all of them.

use heliosdb_nano::{Connection, Database};

/// A connection to a fresh in-memory database.
pub fn conn() -> Connection {
    Database::open_in_memory().expect("open").connect()
}

/// Runs `sql` (one or more statements); panics with the error if one fails.
pub fn run(c: &mut Connection, sql: &str) {
    if let Some(e) = c.execute_batch(sql).error {
        panic!("{sql}: {e:?}");
    }
}

/// The rows of a query as text, columns joined with `|`, NULL as "NULL".
pub fn rows(c: &mut Connection, sql: &str) -> Vec<String> {
    let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    r.rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| if v.is_null() { "NULL".to_string() } else { v.to_pg_text() })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// The SQLSTATE `sql` fails with; panics if it succeeds.
pub fn err(c: &mut Connection, sql: &str) -> String {
    match c.execute(sql, &[]) {
        Ok(_) => panic!("{sql}: expected an error"),
        Err(e) => e.sqlstate().code().to_string(),
    }
}
