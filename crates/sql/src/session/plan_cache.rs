//! The session's plan cache for simple-protocol queries: a plain `SELECT` whose integer
//! comparison literals become parameters ([`crate::parser::parameterize`]) is parsed and
//! bound once per distinct text, so `WHERE aid = 12345` and `WHERE aid = 678` share one
//! plan (what a pgbench `-S` client sends).
//!
//! Entries are [`Prepared`] statements, so a schema change (a new catalog version)
//! re-binds them; the key holds the branch and `search_path`, the settings name
//! resolution depends on (the cached texts have no quotes or function calls, so no
//! other setting changes how they bind). A statement that fails to bind through the
//! cache is dropped from it and run again the ordinary way, which gives the error exactly
//! as the uncached path would; one that failed while executing is not re-run (its
//! effects, such as a lock or a cancellation, must not happen twice). `SELECT ... INTO`
//! and queries with data-modifying WITH are never cached.

use std::collections::HashMap;

use helios_common::{Error, SqlState};
use sqlparser::ast;

use super::{parse_one, Prepared, Session, StatementResult};
use crate::parser::{parameterize, Statement};

/// Entries kept before the cache starts over.
const CAPACITY: usize = 256;

/// Cached plans by key (see the module docs).
#[derive(Debug, Default)]
pub(super) struct PlanCache {
    entries: HashMap<String, Prepared>,
}

impl Session {
    /// Runs `sql` through the plan cache when it qualifies; `None` means the caller runs
    /// it the ordinary way.
    pub(super) fn run_cached(
        &mut self,
        sql: &str,
    ) -> Option<(Vec<StatementResult>, Option<Error>)> {
        let p = parameterize(sql)?;
        let search_path = self.settings.get("search_path").unwrap_or_default();
        let key = format!("{}\u{0}{search_path}\u{0}{:?}\u{0}{}", self.branch.0, p.types, p.text);
        let prepared = match self.plan_cache.entries.get(&key) {
            Some(prepared) => prepared.clone(),
            None => {
                let stmt = parse_one(&p.text).ok()??;
                let Statement::Sql(ast) = &stmt else { return None };
                match ast.as_ref() {
                    // Queries with effects outside the plan run their own way.
                    ast::Statement::Query(q)
                        if !super::writable_cte::has_dml_cte(q)
                            && !super::create_table_as::is_select_into(q) => {}
                    _ => return None,
                }
                if self.plan_cache.entries.len() >= CAPACITY {
                    self.plan_cache.entries.clear();
                }
                let prepared = Prepared::new(Some(stmt), p.types.clone());
                self.plan_cache.entries.insert(key.clone(), prepared.clone());
                prepared
            }
        };
        let stmt = prepared.statement()?;
        self.cancel.store(false, std::sync::atomic::Ordering::Relaxed);
        self.executing = false;
        match self.run(stmt, &p.values, Some(&prepared)) {
            Ok(r) => Some((vec![r], None)),
            Err(e) => {
                self.plan_cache.entries.remove(&key);
                if e.sqlstate() == SqlState::QUERY_CANCELED || self.executing {
                    // The statement ran (it may have advanced a sequence, say): running it
                    // again from the text would repeat that, and lose a cancellation.
                    self.fail();
                    return Some((Vec::new(), Some(e)));
                }
                // Binding the parameterized form failed where the literal form may not
                // (a literal's type decided by its text): run the text as written.
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use helios_types::Value;

    use super::super::Session;
    use super::StatementResult;
    use crate::engine::Engine;

    fn one(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
        let (mut results, error) = s.execute_batch(sql);
        assert!(error.is_none(), "{sql}: {error:?}");
        match results.pop() {
            Some(StatementResult::Rows(q)) => q.rows,
            other => panic!("expected rows, got {other:?}"),
        }
    }

    #[test]
    fn texts_differing_in_literals_share_an_entry() {
        let mut s = Session::new(Engine::open_memory().expect("engine"));
        let (_, e) = s.execute_batch(
            "CREATE TABLE t (a int PRIMARY KEY, b int); INSERT INTO t VALUES (1, 10), (2, 20)",
        );
        assert!(e.is_none(), "{e:?}");
        assert_eq!(one(&mut s, "SELECT b FROM t WHERE a = 1"), vec![vec![Value::Int4(10)]]);
        assert_eq!(one(&mut s, "SELECT b FROM t WHERE a = 2;"), vec![vec![Value::Int4(20)]]);
        assert_eq!(s.plan_cache.entries.len(), 1);
        // Another search_path is another entry; a failing statement leaves the cache.
        s.set_setting("search_path", "public, pg_catalog").expect("set");
        assert_eq!(one(&mut s, "SELECT b FROM t WHERE a = 2"), vec![vec![Value::Int4(20)]]);
        assert_eq!(s.plan_cache.entries.len(), 2);
        let (_, e) = s.execute_batch("SELECT nope FROM t WHERE a = 1");
        assert!(e.is_some());
        assert_eq!(s.plan_cache.entries.len(), 2);
        // Statements that do not qualify never enter it.
        assert_eq!(one(&mut s, "SELECT count(*) FROM t WHERE a = 1"), vec![vec![Value::Int8(1)]]);
        assert_eq!(s.plan_cache.entries.len(), 2);
    }
}
