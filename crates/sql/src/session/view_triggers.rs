//! INSERT, UPDATE and DELETE on a view with an `INSTEAD OF` trigger for that event.
//!
//! The view itself holds no rows: the statement computes the rows it would change and
//! hands each one to the view's INSTEAD OF row triggers (NEW for INSERT and UPDATE,
//! OLD for UPDATE and DELETE), which do the real work. A row counts as processed when
//! the triggers return non-NULL, and RETURNING reads what they returned. The view's
//! statement triggers fire before and after.
//!
//! ```text
//!   INSERT INTO v (cols) <query>          rows of <query>, missing columns NULL
//!   UPDATE v [AS a] SET c = e [FROM ...]  SELECT a.*, e... FROM v [AS a] [, ...] WHERE ...
//!   DELETE FROM v [AS a] [USING ...]      SELECT a.* FROM v [AS a] [, ...] WHERE ...
//!   RETURNING items                       SELECT items FROM (VALUES (returned row)) a(cols)
//! ```

use std::cell::RefCell;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::statement::{bind_statement, Bound};
use super::{Column, QueryResult, Session, StatementResult};
use crate::catalog::routine_defs::TriggerTiming;
use crate::catalog::{Catalog, Relation, TableDef};
use crate::exec::{self, DmlOutcome, Row, TriggerEvent};
use crate::expr::SessionInfo;
use crate::parser::{ident_name, object_name};

/// What the statement does to the view.
struct Plan {
    event: TriggerEvent,
    table: TableDef,
    /// The query giving the rows (INSERT: new rows; UPDATE: old row then the assigned
    /// values; DELETE: old rows).
    source: Option<ast::Statement>,
    /// INSERT: the view column each source column goes to.
    insert_columns: Vec<usize>,
    /// UPDATE: the view column each value after the old row goes to.
    update_columns: Vec<usize>,
    /// The name RETURNING reads the row by (the alias or the view's name).
    qualifier: String,
    returning: Option<Vec<ast::SelectItem>>,
}

impl Session {
    /// Runs `stmt` through the INSTEAD OF triggers of its target view; `None` when the
    /// target is not a view with such a trigger for the statement's event.
    pub(super) fn instead_of_dml(
        &mut self,
        catalog: &Catalog,
        info: &SessionInfo,
        stmt: &ast::Statement,
        params: &[Value],
    ) -> Result<Option<StatementResult>> {
        let Some(plan) = plan(catalog, &self.settings.search_path(), stmt)? else {
            return Ok(None);
        };
        let param_types: Vec<DataType> = params.iter().map(Value::data_type).collect();
        let returning_columns: RefCell<Vec<Column>> = RefCell::new(Vec::new());
        let out = self.write(catalog, info, params, &[], |txn, env| {
            let routines =
                env.routines.ok_or_else(|| Error::internal("triggers without runtime"))?;
            let ncols = plan.table.columns.len();
            routines.fire_statement(txn, &plan.table, plan.event, TriggerTiming::Before)?;
            let rows: Vec<Row> = match &plan.source {
                Some(q) => run_query(catalog, info, txn, env, q, params, &param_types)?,
                None => vec![Vec::new()],
            };
            let mut out = DmlOutcome::default();
            let mut done: Vec<Row> = Vec::new();
            for src in rows {
                let (old, new) = match plan.event {
                    TriggerEvent::Insert => {
                        let mut new = vec![Value::Null; ncols];
                        for (v, &c) in src.into_iter().zip(&plan.insert_columns) {
                            new[c] = fit(v, &plan.table.columns[c].data_type)?;
                        }
                        (None, Some(new))
                    }
                    TriggerEvent::Update => {
                        let old: Row = src[..ncols].to_vec();
                        let mut new = old.clone();
                        for (v, &c) in src[ncols..].iter().zip(&plan.update_columns) {
                            new[c] = fit(v.clone(), &plan.table.columns[c].data_type)?;
                        }
                        (Some(old), Some(new))
                    }
                    TriggerEvent::Delete => (Some(src[..ncols].to_vec()), None),
                };
                let returned = routines.fire_row(
                    txn,
                    &plan.table,
                    plan.event,
                    TriggerTiming::InsteadOf,
                    old.as_deref(),
                    new,
                    &[],
                )?;
                if let Some(r) = returned {
                    out.count += 1;
                    done.push(r);
                }
            }
            routines.fire_statement(txn, &plan.table, plan.event, TriggerTiming::After)?;
            if let Some(items) = &plan.returning {
                let (cols, rows) =
                    returning_rows(catalog, info, txn, env, &plan, items, &done, params)?;
                *returning_columns.borrow_mut() = cols;
                out.returned = rows;
            }
            Ok(out)
        })?;
        let tag = match plan.event {
            TriggerEvent::Insert => format!("INSERT 0 {}", out.count),
            TriggerEvent::Update => format!("UPDATE {}", out.count),
            TriggerEvent::Delete => format!("DELETE {}", out.count),
        };
        Ok(Some(match plan.returning {
            Some(_) => StatementResult::Rows(QueryResult {
                columns: returning_columns.into_inner(),
                rows: out.returned,
                tag,
            }),
            None => StatementResult::Command { tag: tag.into(), rows_affected: out.count },
        }))
    }
}

/// A value in a view column's type (assignment rules: a literal's text is read as it).
fn fit(v: Value, ty: &DataType) -> Result<Value> {
    if v.is_null() || *ty == DataType::Unknown {
        return Ok(v);
    }
    crate::expr::cast::cast_value(v.clone(), ty, false)
        .or_else(|_| crate::expr::cast::cast_value(v, ty, true))
}

/// Runs a query inside the statement's transaction.
fn run_query(
    catalog: &Catalog,
    info: &SessionInfo,
    txn: &helios_storage::Transaction,
    env: &exec::WriteEnv<'_>,
    stmt: &ast::Statement,
    params: &[Value],
    types: &[DataType],
) -> Result<Vec<Row>> {
    let (bound, _) = bind_statement(catalog, info, stmt, types)?;
    let Bound::Query { query, .. } = bound else {
        return Err(Error::internal("view trigger source is not a query"));
    };
    let ctx = exec::ExecCtx::new(txn, params, info, env.now, &query, env.cancel)
        .with_sequences(env.sequences)
        .with_routines(env.routines);
    exec::execute(&query.plan, &ctx, &[])
}

/// The RETURNING rows over the rows the triggers returned.
#[allow(clippy::too_many_arguments)]
fn returning_rows(
    catalog: &Catalog,
    info: &SessionInfo,
    txn: &helios_storage::Transaction,
    env: &exec::WriteEnv<'_>,
    plan: &Plan,
    items: &[ast::SelectItem],
    done: &[Row],
    params: &[Value],
) -> Result<(Vec<Column>, Vec<Row>)> {
    let quote = crate::functions::format::quote_ident;
    let base = params.len();
    let cols = &plan.table.columns;
    let values: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!("${}::{}", base + i + 1, crate::expr::types::pg_type_name(&c.data_type))
        })
        .collect();
    let names: Vec<String> = cols.iter().map(|c| quote(&c.name)).collect();
    let items: Vec<String> = items.iter().map(ToString::to_string).collect();
    let sql = format!(
        "SELECT {} FROM (VALUES ({})) AS {}({})",
        items.join(", "),
        values.join(", "),
        quote(&plan.qualifier),
        names.join(", ")
    );
    let stmt = parse_one(&sql)?;
    let mut types: Vec<DataType> = params.iter().map(Value::data_type).collect();
    types.extend(cols.iter().map(|c| c.data_type.clone()));
    let (bound, _) = bind_statement(catalog, info, &stmt, &types)?;
    let Bound::Query { query, columns, .. } = bound else {
        return Err(Error::internal("RETURNING is not a query"));
    };
    let mut out = Vec::with_capacity(done.len());
    for r in done {
        let mut all = params.to_vec();
        all.extend(r.iter().cloned());
        let ctx = exec::ExecCtx::new(txn, &all, info, env.now, &query, env.cancel)
            .with_sequences(env.sequences)
            .with_routines(env.routines);
        out.extend(exec::execute(&query.plan, &ctx, &[])?);
    }
    Ok((columns, out))
}

fn parse_one(sql: &str) -> Result<ast::Statement> {
    match crate::parser::parse(sql)?.pop() {
        Some(crate::parser::Statement::Sql(s)) => Ok(*s),
        _ => Err(Error::internal("generated statement did not parse")),
    }
}

/// The view `name` resolves to, when it has an INSTEAD OF trigger for `event`.
fn target_view(
    catalog: &Catalog,
    search_path: &[String],
    name: &ast::ObjectName,
    event: TriggerEvent,
) -> Result<Option<TableDef>> {
    let qn = object_name(name)?;
    let Some((_, Relation::View(id))) =
        catalog.resolve(qn.schema.as_deref(), &qn.name, search_path)
    else {
        return Ok(None);
    };
    let has = catalog.triggers.values().any(|t| {
        t.table == id
            && t.enabled
            && t.timing == TriggerTiming::InsteadOf
            && crate::routine::trigger_fires_on(t, event)
    });
    Ok(if has { catalog.views.get(&id).map(|v| v.as_table()) } else { None })
}

fn column_of(table: &TableDef, name: &str) -> Result<usize> {
    table.column_index(name).ok_or_else(|| {
        Error::new(
            SqlState::UNDEFINED_COLUMN,
            format!("column \"{name}\" of relation \"{}\" does not exist", table.name),
        )
    })
}

fn plan(catalog: &Catalog, search_path: &[String], stmt: &ast::Statement) -> Result<Option<Plan>> {
    match stmt {
        ast::Statement::Insert(ins) => {
            let ast::TableObject::TableName(name) = &ins.table else { return Ok(None) };
            let Some(table) = target_view(catalog, search_path, name, TriggerEvent::Insert)? else {
                return Ok(None);
            };
            if ins.on.is_some() {
                return Err(Error::unsupported("ON CONFLICT on a view with INSTEAD OF triggers"));
            }
            let insert_columns = if ins.columns.is_empty() {
                (0..table.columns.len()).collect()
            } else {
                ins.columns
                    .iter()
                    .map(|c| {
                        let n = c.0.last().and_then(|p| p.as_ident()).map(ident_name);
                        column_of(&table, n.as_deref().unwrap_or_default())
                    })
                    .collect::<Result<Vec<_>>>()?
            };
            let qualifier = ins
                .table_alias
                .as_ref()
                .map(|a| ident_name(&a.alias))
                .unwrap_or_else(|| table.name.clone());
            Ok(Some(Plan {
                event: TriggerEvent::Insert,
                source: ins.source.as_ref().map(|q| ast::Statement::Query(q.clone())),
                insert_columns,
                update_columns: Vec::new(),
                qualifier,
                returning: ins.returning.clone(),
                table,
            }))
        }
        ast::Statement::Update(upd) => {
            let ast::TableFactor::Table { name, alias, .. } = &upd.table.relation else {
                return Ok(None);
            };
            let Some(table) = target_view(catalog, search_path, name, TriggerEvent::Update)? else {
                return Ok(None);
            };
            let qualifier =
                alias.as_ref().map(|a| ident_name(&a.name)).unwrap_or_else(|| table.name.clone());
            let mut update_columns = Vec::new();
            let mut values = Vec::new();
            for a in &upd.assignments {
                let ast::AssignmentTarget::ColumnName(c) = &a.target else {
                    return Err(Error::unsupported("tuple assignment on a view with triggers"));
                };
                let n = c.0.last().and_then(|p| p.as_ident()).map(ident_name).unwrap_or_default();
                update_columns.push(column_of(&table, &n)?);
                values.push(a.value.to_string());
            }
            let mut from = upd.table.to_string();
            if let Some(f) = &upd.from {
                let tables = match f {
                    ast::UpdateTableFromKind::BeforeSet(t)
                    | ast::UpdateTableFromKind::AfterSet(t) => t,
                };
                for t in tables {
                    from.push_str(", ");
                    from.push_str(&t.to_string());
                }
            }
            let quote = crate::functions::format::quote_ident;
            let mut sql = format!("SELECT {}.*", quote(&qualifier));
            for v in &values {
                sql.push_str(", ");
                sql.push_str(v);
            }
            sql.push_str(&format!(" FROM {from}"));
            if let Some(w) = &upd.selection {
                sql.push_str(&format!(" WHERE {w}"));
            }
            Ok(Some(Plan {
                event: TriggerEvent::Update,
                source: Some(parse_one(&sql)?),
                insert_columns: Vec::new(),
                update_columns,
                qualifier,
                returning: upd.returning.clone(),
                table,
            }))
        }
        ast::Statement::Delete(del) => {
            let tables = match &del.from {
                ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
            };
            let Some(first) = tables.first() else { return Ok(None) };
            let ast::TableFactor::Table { name, alias, .. } = &first.relation else {
                return Ok(None);
            };
            let Some(table) = target_view(catalog, search_path, name, TriggerEvent::Delete)? else {
                return Ok(None);
            };
            let qualifier =
                alias.as_ref().map(|a| ident_name(&a.name)).unwrap_or_else(|| table.name.clone());
            let quote = crate::functions::format::quote_ident;
            let mut from: Vec<String> = tables.iter().map(ToString::to_string).collect();
            if let Some(u) = &del.using {
                from.extend(u.iter().map(ToString::to_string));
            }
            let mut sql = format!("SELECT {}.* FROM {}", quote(&qualifier), from.join(", "));
            if let Some(w) = &del.selection {
                sql.push_str(&format!(" WHERE {w}"));
            }
            Ok(Some(Plan {
                event: TriggerEvent::Delete,
                source: Some(parse_one(&sql)?),
                insert_columns: Vec::new(),
                update_columns: Vec::new(),
                qualifier,
                returning: del.returning.clone(),
                table,
            }))
        }
        _ => Ok(None),
    }
}
