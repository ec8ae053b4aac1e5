//! `pg_stat_progress_create_index`: one row per `CREATE INDEX ... USING hnsw` running in
//! the database, read when the statement runs (not when it is bound, so a cached plan
//! shows the builds of the moment). Columns follow PostgreSQL's view; the block and
//! locker counts are 0 (HNSW builds count rows).

use std::fmt;

use helios_common::Result;
use helios_types::{DataType, Value};

use crate::binder::pg_catalog::{index_oid, relation_oid};
use crate::expr::EvalContext;
use crate::functions::table::{RowIter, TableFunction};

/// The relation's function.
pub struct ProgressRelation {
    columns: Vec<(String, DataType)>,
}

impl fmt::Debug for ProgressRelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressRelation")
    }
}

impl Default for ProgressRelation {
    fn default() -> ProgressRelation {
        use DataType::{Int4, Int8, Text};
        let columns = [
            ("pid", Int4),
            ("datname", Text),
            ("relid", Int8),
            ("index_relid", Int8),
            ("command", Text),
            ("phase", Text),
            ("blocks_total", Int8),
            ("blocks_done", Int8),
            ("tuples_total", Int8),
            ("tuples_done", Int8),
        ];
        ProgressRelation { columns: columns.into_iter().map(|(n, t)| (n.to_string(), t)).collect() }
    }
}

impl TableFunction for ProgressRelation {
    fn name(&self) -> &str {
        "pg_stat_progress_create_index"
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, _args: &[Value], ctx: &dyn EvalContext) -> Result<RowIter> {
        let session = ctx.session();
        let builds = session.vectors.0.as_ref().map(|v| v.builds()).unwrap_or_default();
        let pid = i32::try_from(std::process::id()).unwrap_or(0);
        let database = session.database.clone();
        let count = |n: u64| Value::Int8(i64::try_from(n).unwrap_or(i64::MAX));
        let rows: Vec<Result<Vec<Value>>> = builds
            .into_iter()
            .map(|b| {
                Ok(vec![
                    Value::Int4(pid),
                    Value::Text(database.clone()),
                    Value::Int8(relation_oid(b.table)),
                    Value::Int8(index_oid(b.table, b.index)),
                    Value::Text("CREATE INDEX".into()),
                    Value::Text(b.phase.into()),
                    Value::Int8(0),
                    Value::Int8(0),
                    count(b.total),
                    count(b.done),
                ])
            })
            .collect();
        Ok(Box::new(rows.into_iter()))
    }
}
