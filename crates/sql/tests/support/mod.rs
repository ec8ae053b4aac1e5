//! Helpers shared by the plan tests (`plan_subquery.rs`, `plan_expression_index.rs`),
//! which use all of them.

use helios_sql::{Session, StatementResult};
use helios_types::Value;

/// Runs `sql` (one or more statements); panics with the error if one fails.
pub fn run(s: &mut Session, sql: &str) {
    let (_, err) = s.execute_batch(sql);
    assert!(err.is_none(), "{sql}: {err:?}");
}

/// The rows of a query; panics if it fails or returns none.
pub fn rows(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e:?}")) {
        StatementResult::Rows(r) => r.rows,
        other => panic!("{sql}: {other:?}"),
    }
}

/// The EXPLAIN output of `sql`, one line per plan line.
pub fn plan(s: &mut Session, sql: &str) -> String {
    rows(s, &format!("EXPLAIN {sql}"))
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
