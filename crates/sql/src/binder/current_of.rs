//! `UPDATE / DELETE ... WHERE CURRENT OF cursor`: the condition the parser left as a
//! marker call (see `crate::parser::CURRENT_OF_MARKER`).
//!
//! The binder only notes the cursor's name in [`BoundUpdate::current_of`] /
//! [`BoundDelete::current_of`] and binds the statement without a condition; the session
//! looks the cursor up each time the statement runs (the cursor may be fetched from
//! between two executions of a prepared statement) and narrows the statement's rows to
//! the one behind the cursor's current row with [`at_row`], read by its primary key.
//!
//! [`BoundUpdate::current_of`]: super::BoundUpdate::current_of
//! [`BoundDelete::current_of`]: super::BoundDelete::current_of

use std::ops::Bound;

use helios_common::{Error, Result, SqlState};
use helios_types::keycode::decode_key;
use helios_types::{DataType, Value};
use sqlparser::ast;

use crate::catalog::{Catalog, Relation, TableDef};
use crate::exec::table_io;
use crate::expr::{BinaryOp, Expr};
use crate::parser::{marker_string, object_name, CURRENT_OF_MARKER};
use crate::planner::{Access, KeyRange, Plan, PlannedQuery};

/// The cursor named by a `WHERE CURRENT OF cursor` condition (`None`: the condition is
/// an ordinary one). The condition must be `CURRENT OF` alone, as in PostgreSQL's
/// grammar: anything joined to it is a syntax error.
pub(super) fn cursor_of(selection: Option<&ast::Expr>) -> Result<Option<String>> {
    let Some(e) = selection else { return Ok(None) };
    if let Some(name) = marker_name(e) {
        return Ok(Some(name));
    }
    if !e.to_string().contains(CURRENT_OF_MARKER) {
        return Ok(None);
    }
    let near = match e {
        ast::Expr::BinaryOp { left, op, .. } if marker_name(left).is_some() => op.to_string(),
        _ => "OF".to_string(),
    };
    Err(Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{near}\"")))
}

/// The cursor name of a marker call.
fn marker_name(e: &ast::Expr) -> Option<String> {
    marker_string(e, CURRENT_OF_MARKER).map(str::to_string)
}

/// `0A000` when the target `name` of a `WHERE CURRENT OF` statement is a view, as in
/// PostgreSQL (the rows of a cursor are those of tables, not of views).
pub(super) fn refuse_view(
    catalog: &Catalog,
    search_path: &[String],
    name: &ast::ObjectName,
) -> Result<()> {
    let qn = object_name(name)?;
    match catalog.resolve(qn.schema.as_deref(), &qn.name, search_path) {
        Some((_, Relation::Table(_))) | None => Ok(()),
        Some(_) => Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            "WHERE CURRENT OF on a view is not implemented",
        )),
    }
}

/// The source of a DML statement narrowed to the row whose primary key bytes are `key`
/// (`None`: no row, the cursor's current row has none in this table). The key is the
/// hidden column after the table's columns in the source row. A full scan of `table` in
/// the source becomes a read of that one key.
pub fn at_row(source: &PlannedQuery, table: &TableDef, key: Option<Vec<u8>>) -> PlannedQuery {
    let mut plan = source.plan.clone();
    let predicate = match key {
        Some(key) => {
            if let Some(access) = key_access(table, &key) {
                point_the_scan(&mut plan, table.id, access);
            }
            Expr::Binary {
                op: BinaryOp::Eq,
                left: Box::new(Expr::Column(table.columns.len(), DataType::Bytea)),
                right: Box::new(Expr::Literal(Value::Bytea(key), DataType::Bytea)),
                ty: DataType::Bool,
            }
        }
        None => Expr::Literal(Value::Bool(false), DataType::Bool),
    };
    let plan = Plan::Filter { input: Box::new(plan), predicate };
    PlannedQuery { plan, ..source.clone() }
}

/// The primary-key access that reads exactly the row of `key` (`None`: the key does not
/// decode under the table's key columns, or not back to itself; the filter alone then
/// finds the row in a full scan).
fn key_access(table: &TableDef, key: &[u8]) -> Option<Access> {
    let cols = match table.primary_key() {
        Some(pk) => table_io::index_key_columns(table, pk),
        None => table_io::rowid_key_columns(),
    };
    let values = decode_key(key, &cols).ok()?;
    // Read by value only where the values encode back to the very bytes (a numeric's
    // scale, say, might not survive the trip); the filter alone finds the row otherwise.
    if table_io::encode_key(&values, &cols).ok()?.as_slice() != key {
        return None;
    }
    let eq = values.into_iter().zip(&cols).map(|(v, c)| Expr::Literal(v, c.data_type.clone()));
    Some(Access::Primary(KeyRange {
        eq: eq.collect(),
        lower: Bound::Unbounded,
        upper: Bound::Unbounded,
    }))
}

/// Replaces the access of the full scan of table `id` that `plan` reads through filters
/// and projections with `access`.
fn point_the_scan(plan: &mut Plan, id: u32, access: Access) {
    match plan {
        Plan::Scan { table, access: a @ Access::Full, with_key: true, .. } if table.id == id => {
            *a = access;
        }
        Plan::Filter { input, .. } | Plan::Project { input, .. } => {
            point_the_scan(input, id, access);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use helios_storage::TxnOptions;

    use super::*;
    use crate::engine::Engine;
    use crate::session::Session;

    /// The table `name` after running `ddl` on a fresh in-memory engine.
    fn table(ddl: &str, name: &str) -> Arc<TableDef> {
        let engine = Engine::open_memory().expect("engine");
        let mut s = Session::new(engine.clone());
        let (_, error) = s.execute_batch(ddl);
        assert!(error.is_none(), "{error:?}");
        let txn = engine.storage.begin(TxnOptions::default()).expect("begin");
        let catalog = engine.catalogs.get(&txn).expect("catalog");
        let found = catalog.tables.values().find(|t| t.name == name).cloned();
        found.expect("table")
    }

    fn full_scan(t: &Arc<TableDef>) -> Plan {
        Plan::Scan {
            table: t.clone(),
            access: Access::Full,
            filter: None,
            with_key: true,
            needed: None,
            schema: Vec::new(),
        }
    }

    #[test]
    fn the_cursor_row_is_read_by_its_primary_key() {
        let t = table("CREATE TABLE t (a text, b int, v text, PRIMARY KEY (a, b))", "t");
        let cols = table_io::index_key_columns(&t, t.primary_key().expect("pk"));
        let values = vec![Value::Text("k1".into()), Value::Int4(7)];
        let key = table_io::encode_key(&values, &cols).expect("key");
        let mut plan =
            Plan::Project { input: Box::new(full_scan(&t)), exprs: Vec::new(), schema: Vec::new() };
        point_the_scan(&mut plan, t.id, key_access(&t, &key).expect("decodes"));
        let Plan::Project { input, .. } = &plan else { panic!("{plan:?}") };
        let Plan::Scan { access: Access::Primary(range), .. } = input.as_ref() else {
            panic!("not a key read: {input:?}")
        };
        let eq: Vec<Value> = range
            .eq
            .iter()
            .map(|e| match e {
                Expr::Literal(v, _) => v.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(eq, values);
        // Another table's scan is left alone.
        let mut other = full_scan(&t);
        point_the_scan(&mut other, t.id + 1, key_access(&t, &key).expect("decodes"));
        assert!(matches!(other, Plan::Scan { access: Access::Full, .. }));
    }

    #[test]
    fn keys_that_do_not_decode_back_keep_the_scan() {
        let t = table("CREATE TABLE t (a int PRIMARY KEY)", "t");
        assert!(key_access(&t, b"\xff\x00garbage").is_none());
        // Without a primary key the hidden rowid is the key.
        let r = table("CREATE TABLE r (a int)", "r");
        let key = table_io::encode_key(&[Value::Int8(42)], &table_io::rowid_key_columns());
        assert!(matches!(key_access(&r, &key.expect("key")), Some(Access::Primary(_))));
    }
}
