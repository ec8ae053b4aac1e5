//! The session's plan cache for simple-protocol statements: a plain `SELECT`, `INSERT`,
//! `UPDATE` or `DELETE` whose integer literals become parameters
//! ([`crate::parser::parameterize`]) is parsed and bound once per distinct text, so
//! `WHERE aid = 12345` and `WHERE aid = 678` share one plan, and so do the `UPDATE`s and
//! `INSERT`s of a pgbench TPC-B client.
//!
//! Entries are [`Prepared`] statements, so a schema change (a new catalog version)
//! re-binds them; the key holds the branch and `search_path`, the settings name
//! resolution depends on (the cached texts have no quotes or function calls, so no
//! other setting changes how they bind). A statement runs through the cache exactly as
//! a prepared statement of the extended protocol does.
//!
//! A statement that fails before it starts executing (binding the parameterized form,
//! say) is dropped from the cache and run again the ordinary way, which gives the error
//! exactly as the uncached path would. One that failed while executing is never re-run:
//! its effects (rows written before a constraint failed, a sequence advanced, a lock, a
//! cancellation) must not happen twice; its plan stays cached, as nothing was wrong with
//! it. `SELECT ... INTO` and queries with data-modifying WITH are never cached.

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
    /// The cache key of a parameterized text: branch, `search_path`, parameter types
    /// (all `integer` or `bigint`) and the text.
    fn cache_key(&self, p: &crate::parser::Parameterized) -> String {
        let search_path = self.settings.all().get("search_path").map_or("", String::as_str);
        let mut key = String::with_capacity(p.text.len() + search_path.len() + p.types.len() + 16);
        key.push_str(&self.branch.0.to_string());
        key.push('\u{0}');
        key.push_str(search_path);
        key.push('\u{0}');
        for t in &p.types {
            key.push(match t {
                helios_types::DataType::Int4 => 'i',
                helios_types::DataType::Int8 => 'l',
                _ => '?',
            });
        }
        key.push('\u{0}');
        key.push_str(&p.text);
        key
    }

    /// Runs `sql` through the plan cache when it qualifies; `None` means the caller runs
    /// it the ordinary way.
    pub(super) fn run_cached(
        &mut self,
        sql: &str,
        sink: Option<&mut super::RowSink<'_>>,
    ) -> Option<(Vec<StatementResult>, Option<Error>)> {
        let p = parameterize(sql)?;
        let key = self.cache_key(&p);
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
                    ast::Statement::Insert(_)
                    | ast::Statement::Update(_)
                    | ast::Statement::Delete(_) => {}
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
        // A statement that passed rows to `sink` ran, whatever `executing` says: the
        // client has them, and running the text again would send them twice.
        let mut passed = false;
        let r = match sink {
            Some(sink) => {
                let mut counting = |c: &[super::Column], v: &[helios_types::Value]| {
                    passed = true;
                    sink(c, v)
                };
                self.run_to(stmt, &p.values, Some(&prepared), Some(&mut counting))
            }
            None => self.run_to(stmt, &p.values, Some(&prepared), None),
        };
        match r {
            Ok(r) => Some((vec![r], None)),
            Err(e) => {
                let aborted = e.sqlstate() == SqlState::IN_FAILED_SQL_TRANSACTION;
                let ran = self.executing || passed;
                if !ran && !aborted {
                    self.plan_cache.entries.remove(&key);
                }
                if ran || aborted || e.sqlstate() == SqlState::QUERY_CANCELED {
                    // The statement ran (it may have written rows or advanced a sequence):
                    // running it again from the text would repeat that, and lose a
                    // cancellation. In a failed block the text would fail the same way.
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

    /// Runs `sql` on `cached` through the simple protocol (the plan cache) and on
    /// `plain` as an uncached single statement; both must answer alike.
    fn same(
        cached: &mut Session,
        plain: &mut Session,
        sql: &str,
    ) -> Result<StatementResult, String> {
        let (mut results, error) = cached.execute_batch(sql);
        let via_cache = match error {
            Some(e) => Err(format!("{} {e}", e.sqlstate().code())),
            None => Ok(results.pop().expect("a result")),
        };
        let uncached = plain.execute(sql, &[]).map_err(|e| format!("{} {e}", e.sqlstate().code()));
        assert_eq!(via_cache, uncached, "{sql}");
        assert_eq!(cached.transaction_status(), plain.transaction_status(), "{sql}");
        via_cache
    }

    fn pair() -> (Session, Session) {
        let setup = "CREATE TABLE p (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, s smallint,
                         t text, b bool, ts timestamp, f float8, nm numeric);
                     CREATE TABLE c (id serial PRIMARY KEY,
                         pid int REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE,
                         v int CHECK (v > 0));
                     CREATE UNIQUE INDEX c_v ON c (v)";
        let mut sessions = [0, 1].map(|_| Session::new(Engine::open_memory().expect("engine")));
        for s in &mut sessions {
            let (_, e) = s.execute_batch(setup);
            assert!(e.is_none(), "{e:?}");
        }
        let [a, b] = sessions;
        (a, b)
    }

    #[test]
    fn cached_dml_answers_as_uncached() {
        let (mut c, mut u) = pair();
        let ok = |r: Result<StatementResult, String>| r.expect("statement succeeds");
        let err = |r: Result<StatementResult, String>, code: &str| {
            let e = r.expect_err("statement fails");
            assert!(e.starts_with(code), "{e}");
        };
        ok(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (1, 10)"));
        ok(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (2, 20);"));
        ok(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (3, -30), (4, 40) RETURNING id, n"));
        ok(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (5, 50), (6, -60) RETURNING id, n"));
        // Constraint violations, range and type errors, assignment casts.
        err(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (1, 5)"), "23505");
        err(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (7, NULL)"), "23502");
        err(same(&mut c, &mut u, "INSERT INTO p (id, s) VALUES (7, 100000)"), "22003");
        err(same(&mut c, &mut u, "INSERT INTO p (id, b) VALUES (7, 1)"), "42804");
        err(same(&mut c, &mut u, "INSERT INTO p (id, ts) VALUES (7, 1)"), "42804");
        err(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (7, 2147483648)"), "22003");
        ok(same(&mut c, &mut u, "INSERT INTO p (id, t, f, nm, s) VALUES (7, 7, 2, -3, 4)"));
        ok(same(&mut c, &mut u, "INSERT INTO p VALUES (8, 1, 2, 3)"));
        ok(same(&mut c, &mut u, "INSERT INTO p VALUES (9, -1, -2, 3) RETURNING t, n = -1"));
        // pgbench's UPDATE shape, with both signs, and other arithmetic.
        ok(same(&mut c, &mut u, "UPDATE p SET n = n + -5 WHERE id = 1 RETURNING n"));
        ok(same(&mut c, &mut u, "UPDATE p SET n = n + 7 WHERE id = 2 RETURNING n"));
        ok(same(&mut c, &mut u, "UPDATE p SET n = n * 2 WHERE id > 5"));
        ok(same(&mut c, &mut u, "UPDATE p SET n = n - 3, s = 9 WHERE id >= 2 AND id <= 4"));
        ok(same(&mut c, &mut u, "UPDATE p SET s = 9 WHERE id = 999"));
        err(same(&mut c, &mut u, "UPDATE p SET s = 100000 WHERE id = 999"), "22003");
        ok(same(&mut c, &mut u, "UPDATE p SET n = n + 1 WHERE s = 100000 OR id = 2147483648"));
        ok(same(&mut c, &mut u, "UPDATE p SET n = n + 1 WHERE s > -100000 AND id < 3"));
        err(same(&mut c, &mut u, "UPDATE p SET s = 100000 WHERE id = 1"), "22003");
        err(same(&mut c, &mut u, "UPDATE p SET n = n / 0 WHERE id = 1"), "22012");
        err(same(&mut c, &mut u, "UPDATE p SET n = n + 2147483647 WHERE id = 2"), "22003");
        err(same(&mut c, &mut u, "UPDATE p SET id = 2 WHERE id = 1"), "23505");
        // A CHECK failure after the serial default advanced: the sequence moves once.
        err(same(&mut c, &mut u, "INSERT INTO c (pid, v) VALUES (1, -1)"), "23514");
        ok(same(&mut c, &mut u, "INSERT INTO c (pid, v) VALUES (1, 1) RETURNING id"));
        ok(same(&mut c, &mut u, "INSERT INTO c (pid, v) VALUES (2, 2) RETURNING id"));
        ok(same(&mut c, &mut u, "INSERT INTO c (pid, v) VALUES (3, 3) RETURNING id"));
        err(same(&mut c, &mut u, "INSERT INTO c (pid, v) VALUES (42, 4)"), "23503");
        err(same(&mut c, &mut u, "INSERT INTO c (pid, v) VALUES (2, 3)"), "23505");
        // Foreign-key cascades on UPDATE and DELETE.
        ok(same(&mut c, &mut u, "UPDATE p SET id = 100 WHERE id = 2"));
        ok(same(&mut c, &mut u, "DELETE FROM p WHERE id = 3"));
        ok(same(&mut c, &mut u, "DELETE FROM p WHERE id = 4 RETURNING id, n"));
        err(same(&mut c, &mut u, "DELETE FROM p WHERE id = -1 OR n = 1 / 0"), "22012");
        // A failing statement inside a block: the block fails, nothing runs twice.
        ok(same(&mut c, &mut u, "BEGIN"));
        ok(same(&mut c, &mut u, "UPDATE p SET n = n + 1 WHERE id = 1"));
        err(same(&mut c, &mut u, "INSERT INTO c (pid, v) VALUES (1, 1)"), "23505");
        err(same(&mut c, &mut u, "UPDATE p SET n = n + 1 WHERE id = 1"), "25P02");
        ok(same(&mut c, &mut u, "ROLLBACK"));
        ok(same(&mut c, &mut u, "INSERT INTO c (pid, v) VALUES (1, 9) RETURNING id"));
        for q in ["SELECT * FROM p ORDER BY id", "SELECT * FROM c ORDER BY id"] {
            let (mut r, e) = c.execute_batch(q);
            assert!(e.is_none(), "{e:?}");
            assert_eq!(r.pop(), Some(u.execute(q, &[]).expect(q)), "{q}");
        }
        let c_ids = one(&mut c, "SELECT id FROM c ORDER BY id");
        assert_eq!(c_ids, [2, 3, 8].map(|i| vec![Value::Int4(i)]).to_vec());
        // The DML shapes went through the cache.
        assert!(c.plan_cache.entries.keys().any(|k| k.ends_with("SET n = n + $1 WHERE id = $2")));
        assert!(c.plan_cache.entries.keys().any(|k| k.ends_with("VALUES ($1, $2) RETURNING id")));
    }

    #[test]
    fn catalog_changes_rebind_cached_dml() {
        let (mut c, mut u) = pair();
        let ok = |r: Result<StatementResult, String>| r.expect("statement succeeds");
        ok(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (1, 10)"));
        ok(same(&mut c, &mut u, "UPDATE p SET n = n + 1 WHERE id = 1 RETURNING n"));
        for s in [&mut c, &mut u] {
            s.execute("ALTER TABLE p ADD COLUMN extra int DEFAULT 5", &[]).expect("alter");
        }
        // `RETURNING *` and a column-less INSERT see the new column.
        ok(same(&mut c, &mut u, "INSERT INTO p VALUES (2, 20) RETURNING *"));
        ok(same(&mut c, &mut u, "UPDATE p SET n = n + 1 WHERE id = 1 RETURNING *"));
        for s in [&mut c, &mut u] {
            s.execute("ALTER TABLE p DROP COLUMN n", &[]).expect("alter");
        }
        let e = same(&mut c, &mut u, "UPDATE p SET n = n + 1 WHERE id = 2").expect_err("no n");
        assert!(e.starts_with("42703"), "{e}");
        for s in [&mut c, &mut u] {
            s.execute_batch("DROP TABLE c; DROP TABLE p; CREATE TABLE p (id int, n text)");
        }
        let e = same(&mut c, &mut u, "UPDATE p SET n = n + 1 WHERE id = 2").expect_err("text");
        assert!(e.starts_with("42883"), "{e}");
        ok(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (3, 4) RETURNING n"));
        ok(same(&mut c, &mut u, "INSERT INTO p (id, n) VALUES (4, 5) RETURNING n"));
        ok(same(&mut c, &mut u, "DELETE FROM p WHERE id = 3 RETURNING n"));
        for s in [&mut c, &mut u] {
            let (_, e) = s.execute_batch("DROP TABLE p");
            assert!(e.is_none(), "{e:?}");
        }
        let e = same(&mut c, &mut u, "DELETE FROM p WHERE id = 4").expect_err("no table");
        assert!(e.starts_with("42P01"), "{e}");
    }

    #[test]
    fn cached_inserts_take_the_time_of_their_transaction() {
        let mut s = Session::new(Engine::open_memory().expect("engine"));
        let (_, e) = s.execute_batch("CREATE TABLE h (id int, at timestamptz)");
        assert!(e.is_none(), "{e:?}");
        for id in 1..=2 {
            let (_, e) = s
                .execute_batch(&format!("INSERT INTO h (id, at) VALUES ({id}, CURRENT_TIMESTAMP)"));
            assert!(e.is_none(), "{e:?}");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert_eq!(s.plan_cache.entries.len(), 1);
        let rows = one(&mut s, "SELECT count(DISTINCT at) FROM h");
        assert_eq!(rows, vec![vec![Value::Int8(2)]]);
    }
}
