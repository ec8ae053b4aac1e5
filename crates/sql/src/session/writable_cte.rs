//! Data-modifying WITH queries (`WITH ins AS (INSERT ... RETURNING ...) SELECT ...`).
//! Each data-modifying query runs once, first; its RETURNING rows then stand in for the
//! WITH query as a VALUES list, and the rest of the statement runs as usual. One without
//! RETURNING just runs (the binder refuses a reference to it, as PostgreSQL does).
//!
//! Unlike PostgreSQL, the main query sees the changes (it runs after them in the same
//! transaction); PostgreSQL's main query reads the snapshot taken before them.

use helios_common::{Error, Result};
use helios_types::Value;
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::parser::Statement;

/// Whether the query has a data-modifying WITH query.
pub fn has_dml_cte(q: &ast::Query) -> bool {
    q.with.as_ref().is_some_and(|w| {
        w.cte_tables.iter().any(|c| {
            matches!(
                c.query.body.as_ref(),
                ast::SetExpr::Insert(_) | ast::SetExpr::Update(_) | ast::SetExpr::Delete(_)
            )
        })
    })
}

fn literal(v: &Value, ty: &helios_types::DataType) -> String {
    if v.is_null() {
        format!("NULL::{ty}")
    } else {
        format!("'{}'::{ty}", v.to_pg_text().replace('\'', "''"))
    }
}

impl Session {
    /// Runs a query with data-modifying WITH queries.
    pub(super) fn run_writable_with(
        &mut self,
        q: &ast::Query,
        params: &[Value],
    ) -> Result<StatementResult> {
        let mut query = q.clone();
        let with = query.with.as_mut().ok_or_else(|| Error::internal("no WITH"))?;
        for cte in &mut with.cte_tables {
            let stmt = match cte.query.body.as_ref() {
                ast::SetExpr::Insert(s) | ast::SetExpr::Update(s) | ast::SetExpr::Delete(s) => {
                    s.clone()
                }
                _ => continue,
            };
            let result = self.run_in_txn(&Statement::Sql(Box::new(stmt)), params, None, None)?;
            let StatementResult::Rows(r) = result else {
                // Without RETURNING it only runs. It stays, in parentheses, so that the
                // binder refuses a reference to it and `has_dml_cte` passes it over.
                let ran = ast::SetExpr::Query(cte.query.clone());
                *cte.query.body = ran;
                continue;
            };
            let names: Vec<String> =
                r.columns.iter().map(|c| format!("\"{}\"", c.name.replace('"', "\"\""))).collect();
            let select = if r.rows.is_empty() {
                let cols: Vec<String> = r
                    .columns
                    .iter()
                    .zip(&names)
                    .map(|(c, n)| format!("NULL::{} AS {n}", c.data_type))
                    .collect();
                format!("SELECT {} WHERE false", cols.join(", "))
            } else {
                let rows: Vec<String> = r
                    .rows
                    .iter()
                    .map(|row| {
                        let vals: Vec<String> = row
                            .iter()
                            .zip(&r.columns)
                            .map(|(v, c)| literal(v, &c.data_type))
                            .collect();
                        format!("({})", vals.join(", "))
                    })
                    .collect();
                format!("SELECT * FROM (VALUES {}) AS v({})", rows.join(", "), names.join(", "))
            };
            *cte.query = crate::parser::parse_query(&select)?;
        }
        self.run_in_txn(
            &Statement::Sql(Box::new(ast::Statement::Query(Box::new(query)))),
            params,
            None,
            None,
        )
    }
}
