//! `REINDEX`: rebuilds indexes from their tables' rows, in the statement's transaction.
//!
//! A B-tree index's entries are deleted and written again from the rows the transaction
//! sees (a unique index fails with 23505 if its rows no longer satisfy it); an HNSW index
//! loses its stored graph and in-memory cache, and the next use builds it again from the
//! table. A primary key is the table's own storage (rows live under its key), so there is
//! nothing to rebuild for it. The system catalogs have no indexes of their own:
//! `REINDEX SYSTEM` checks its database name and rebuilds nothing.
//!
//! As in PostgreSQL, `REINDEX SCHEMA / DATABASE / SYSTEM` and every `CONCURRENTLY` form
//! refuse to run inside a transaction block (25001); `CONCURRENTLY` otherwise rebuilds the
//! same way, without blocking readers (which never wait for writers here).

use helios_common::{Error, Result, SqlState};

use super::{Mode, Session, StatementResult};
use crate::catalog::{Relation, TableDef};
use crate::parser::object_name;
use crate::parser::reindex::{Reindex, ReindexTarget};
use crate::routine::{Notice, NoticeLevel};

impl Session {
    /// Runs `REINDEX`.
    pub(super) fn reindex(&mut self, r: &Reindex) -> Result<StatementResult> {
        let whole = matches!(
            r.target,
            ReindexTarget::Schema | ReindexTarget::Database | ReindexTarget::System
        );
        if (r.concurrently || whole) && self.mode != Mode::Autocommit {
            let what = if r.concurrently { "REINDEX CONCURRENTLY" } else { r.target.statement() };
            return Err(Error::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                format!("{what} cannot run inside a transaction block"),
            ));
        }
        if let Some(ts) = r.tablespace.as_deref().filter(|t| *t != "pg_default") {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("tablespace \"{ts}\" does not exist"),
            ));
        }
        let (catalog, _) = self.ddl_parts()?;
        let qn = object_name(&r.name)?;
        let search_path = self.settings.search_path();
        // (table, index ids to rebuild: every index when None)
        let mut work: Vec<(u32, Option<u32>)> = Vec::new();
        match r.target {
            ReindexTarget::Index => {
                match catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path) {
                    Some((_, Relation::Index(table, index))) => work.push((table, Some(index))),
                    Some(_) => return Err(wrong_kind(&qn.name, "an index")),
                    None => return Err(crate::binder::undefined_table(&qn.schema, &qn.name)),
                }
            }
            ReindexTarget::Table => {
                let table = match catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path) {
                    Some((_, Relation::Table(id))) => id,
                    Some(_) => return Err(wrong_kind(&qn.name, "a table or materialized view")),
                    None => return Err(crate::binder::undefined_table(&qn.schema, &qn.name)),
                };
                let tree = catalog.partition_tree(table);
                let has_indexes =
                    tree.iter().filter_map(|t| catalog.table(*t)).any(|t| !t.indexes.is_empty());
                if !has_indexes && !catalog.is_partitioned(table) {
                    self.notices.lock().push(Notice {
                        level: NoticeLevel::Notice,
                        code: "00000".into(),
                        message: format!("table \"{}\" has no indexes to reindex", qn.name),
                        detail: None,
                        hint: None,
                    });
                }
                work.extend(tree.into_iter().map(|t| (t, None)));
            }
            ReindexTarget::Schema => {
                if !catalog.schemas.contains_key(&qn.name) {
                    return Err(Error::new(
                        SqlState::INVALID_SCHEMA_NAME,
                        format!("schema \"{}\" does not exist", qn.name),
                    ));
                }
                let mut ids: Vec<u32> =
                    catalog.tables.values().filter(|t| t.schema == qn.name).map(|t| t.id).collect();
                ids.sort_unstable();
                work.extend(ids.into_iter().map(|t| (t, None)));
            }
            ReindexTarget::Database | ReindexTarget::System => {
                if qn.name != self.settings.database().unwrap_or("postgres") {
                    return Err(Error::new(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "can only reindex the currently open database",
                    ));
                }
                if r.target == ReindexTarget::Database {
                    let mut ids: Vec<u32> = catalog.tables.keys().copied().collect();
                    ids.sort_unstable();
                    work.extend(ids.into_iter().map(|t| (t, None)));
                }
            }
        }
        for (table_id, only) in work {
            let Some(table) = catalog.table(table_id).cloned() else { continue };
            // Tables one does not own are skipped by the multi-table forms, as in
            // PostgreSQL; naming one is an error.
            if let Err(e) = self.require_table_owner(&catalog, &table) {
                if matches!(r.target, ReindexTarget::Index | ReindexTarget::Table) {
                    return Err(e);
                }
                continue;
            }
            self.rebuild_indexes(&table, only, r.verbose)?;
        }
        Ok(StatementResult::command("REINDEX"))
    }

    /// Rebuilds the indexes of `table` (only index `only` when given).
    fn rebuild_indexes(
        &mut self,
        table: &TableDef,
        only: Option<u32>,
        verbose: bool,
    ) -> Result<()> {
        for index in table.indexes.iter().filter(|i| only.is_none_or(|o| o == i.id)) {
            if !index.primary {
                let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                crate::exec::table_io::clear_index(txn, table.id, index.id)?;
                if index.vector.is_some() {
                    crate::exec::vector_index::forget(&self.engine.vectors, index);
                } else {
                    super::ddl::build_index(txn, table, index)?;
                }
            }
            if verbose {
                self.notices.lock().push(Notice {
                    level: NoticeLevel::Info,
                    code: "00000".into(),
                    message: format!("index \"{}\" was reindexed", index.name),
                    detail: None,
                    hint: None,
                });
            }
        }
        Ok(())
    }
}

/// 42809 `"x" is not an index` (or `a table or materialized view`).
fn wrong_kind(name: &str, what: &str) -> Error {
    Error::new(SqlState::WRONG_OBJECT_TYPE, format!("\"{name}\" is not {what}"))
}

#[cfg(test)]
mod tests {
    use helios_storage::TxnOptions;
    use helios_types::Value;

    use super::super::{Session, StatementResult};
    use crate::engine::Engine;

    fn rows(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
        let (mut results, error) = s.execute_batch(sql);
        assert!(error.is_none(), "{sql}: {error:?}");
        match results.pop() {
            Some(StatementResult::Rows(q)) => q.rows,
            other => panic!("expected rows, got {other:?}"),
        }
    }

    /// Deletes every stored entry of index `name` of table `t` behind the SQL layer's back.
    fn wipe_index(s: &Session, name: &str) {
        let mut txn = s.engine.storage.begin(TxnOptions::default()).expect("begin");
        let catalog = s.engine.catalogs.get(&txn).expect("catalog");
        let table = catalog.tables.values().find(|t| t.name == "t").expect("table").clone();
        let index = table.indexes.iter().find(|i| i.name == name).expect("index");
        crate::exec::table_io::clear_index(&mut txn, table.id, index.id).expect("clear");
        txn.commit().expect("commit");
    }

    #[test]
    fn reindex_writes_the_entries_again() {
        let mut s = Session::new(Engine::open_memory().expect("engine"));
        let (_, e) = s.execute_batch(
            "CREATE TABLE t (a int PRIMARY KEY, b int); CREATE INDEX t_b ON t (b);
             INSERT INTO t SELECT g, g * 10 FROM generate_series(1, 20) g",
        );
        assert!(e.is_none(), "{e:?}");
        let probe = "SELECT a FROM t WHERE b = 70";
        let plan = rows(&mut s, &format!("EXPLAIN {probe}"));
        assert!(format!("{plan:?}").contains("t_b"), "the probe reads the index: {plan:?}");
        assert_eq!(rows(&mut s, probe), vec![vec![Value::Int4(7)]]);
        // With its entries gone the index finds nothing; REINDEX writes them again.
        wipe_index(&s, "t_b");
        assert_eq!(rows(&mut s, probe), Vec::<Vec<Value>>::new());
        let (_, e) = s.execute_batch("REINDEX INDEX t_b");
        assert!(e.is_none(), "{e:?}");
        assert_eq!(rows(&mut s, probe), vec![vec![Value::Int4(7)]]);
        // The same through REINDEX TABLE, and rolled back with its transaction.
        wipe_index(&s, "t_b");
        let (_, e) = s.execute_batch("BEGIN; REINDEX TABLE t");
        assert!(e.is_none(), "{e:?}");
        assert_eq!(rows(&mut s, probe), vec![vec![Value::Int4(7)]]);
        let (_, e) = s.execute_batch("ROLLBACK");
        assert!(e.is_none(), "{e:?}");
        assert_eq!(rows(&mut s, probe), Vec::<Vec<Value>>::new());
        let (_, e) = s.execute_batch("REINDEX DATABASE postgres");
        assert!(e.is_none(), "{e:?}");
        assert_eq!(rows(&mut s, probe), vec![vec![Value::Int4(7)]]);
        // SYSTEM rebuilds no user index.
        wipe_index(&s, "t_b");
        let (_, e) = s.execute_batch("REINDEX SYSTEM postgres");
        assert!(e.is_none(), "{e:?}");
        assert_eq!(rows(&mut s, probe), Vec::<Vec<Value>>::new());
    }
}
