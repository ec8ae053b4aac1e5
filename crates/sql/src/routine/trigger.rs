//! Firing triggers: matching a row change against a table's triggers, WHEN
//! conditions, and calling the trigger function with NEW / OLD and the `TG_*`
//! variables.

use helios_common::{Error, Result, SqlState};
use helios_storage::Transaction;
use helios_types::{DataType, Value};

use super::host::{RuntimeHost, StatementHost};
use super::plpgsql::exec::{call_trigger, TriggerCall};
use super::substitute::substitute;
use super::Runtime;
use crate::catalog::routine_defs::{Language, TriggerTiming};
use crate::catalog::{TableDef, TriggerDef};
use crate::exec::{Row, TriggerEvent, TxnRef};

thread_local! {
    static DEPTH: std::cell::Cell<i32> = const { std::cell::Cell::new(0) };
}

/// `pg_trigger_depth()`: the triggers running on this thread, one inside another.
pub fn trigger_depth() -> i32 {
    DEPTH.with(|d| d.get())
}

/// Runs `f` one trigger level deeper.
fn deeper<T>(f: impl FnOnce() -> T) -> T {
    DEPTH.with(|d| d.set(d.get() + 1));
    let out = f();
    DEPTH.with(|d| d.set(d.get() - 1));
    out
}

/// Whether `t` fires on `event`.
pub fn fires_on(t: &TriggerDef, event: TriggerEvent) -> bool {
    match event {
        TriggerEvent::Insert => t.on_insert,
        TriggerEvent::Update => t.on_update,
        TriggerEvent::Delete => t.on_delete,
    }
}

fn matching(
    rt: &Runtime<'_>,
    table: &TableDef,
    event: TriggerEvent,
    timing: TriggerTiming,
    row: bool,
) -> Vec<std::sync::Arc<TriggerDef>> {
    // A partition's rows also fire the row triggers of the partitioned tables above it,
    // all in name order (PostgreSQL clones those triggers onto the partition).
    let tables = if row { rt.catalog.with_ancestors(table.id) } else { vec![table.id] };
    let mut out: Vec<_> = tables
        .into_iter()
        .flat_map(|t| rt.catalog.triggers_of(t))
        .filter(|t| t.enabled && t.timing == timing && t.for_each_row == row && fires_on(t, event))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Fires the row triggers of `table` (see [`crate::exec::RoutineHost::fire_row`]).
#[allow(clippy::too_many_arguments)]
pub fn fire_row(
    rt: &Runtime<'_>,
    txn: &mut Transaction,
    table: &TableDef,
    event: TriggerEvent,
    timing: TriggerTiming,
    old: Option<&[Value]>,
    new: Option<Row>,
    update_targets: &[usize],
) -> Result<Option<Row>> {
    let columns: Vec<(String, DataType)> =
        table.columns.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect();
    let mut current = new;
    for t in matching(rt, table, event, timing, true) {
        if event == TriggerEvent::Update && !t.update_columns.is_empty() {
            let hit = update_targets
                .iter()
                .any(|&i| table.columns.get(i).is_some_and(|c| t.update_columns.contains(&c.name)));
            if !hit {
                continue;
            }
        }
        if let Some(when) = &t.when {
            if !when_holds(rt, txn, when, &columns, old, current.as_deref())? {
                continue;
            }
        }
        let func = rt.catalog.functions.get(&t.function).cloned().ok_or_else(|| {
            Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function of trigger \"{}\" does not exist", t.name),
            )
        })?;
        if func.language != Language::Plpgsql {
            return Err(Error::unsupported("trigger functions in a language other than plpgsql"));
        }
        let body = rt.compiled(&func)?;
        let call = TriggerCall {
            name: t.name.clone(),
            function: func.name.clone(),
            when: timing.name(),
            level: "ROW",
            op: event.name(),
            table: table.name.clone(),
            schema: table.schema.clone(),
            columns: columns.clone(),
            new: current.clone(),
            old: old.map(<[Value]>::to_vec),
            args: t.args.clone(),
            transition: transition_tables(&t, table.id, event),
        };
        let returned = deeper(|| {
            rt.nested(|| {
                let mut host = RuntimeHost { rt, txn: TxnRef::Write(&mut *txn) };
                call_trigger(&body, &mut host, call)
            })
        })?;
        if timing != TriggerTiming::After {
            match returned {
                None => return Ok(None),
                Some(r) => {
                    if r.len() != columns.len() {
                        return Err(Error::new(
                            SqlState::DATATYPE_MISMATCH,
                            "returned row structure does not match the structure of the triggering table",
                        ));
                    }
                    current = Some(r);
                }
            }
        }
    }
    match (timing, event, current) {
        // A BEFORE DELETE trigger's non-NULL result lets the delete go on.
        (_, TriggerEvent::Delete, None) => Ok(old.map(<[Value]>::to_vec)),
        (_, _, c) => Ok(c),
    }
}

/// Fires the statement triggers of `table`.
pub fn fire_statement(
    rt: &Runtime<'_>,
    txn: &mut Transaction,
    table: &TableDef,
    event: TriggerEvent,
    timing: TriggerTiming,
) -> Result<()> {
    for t in matching(rt, table, event, timing, false) {
        let func = rt.catalog.functions.get(&t.function).cloned().ok_or_else(|| {
            Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function of trigger \"{}\" does not exist", t.name),
            )
        })?;
        let body = rt.compiled(&func)?;
        let call = TriggerCall {
            name: t.name.clone(),
            function: func.name.clone(),
            when: timing.name(),
            level: "STATEMENT",
            op: event.name(),
            table: table.name.clone(),
            schema: table.schema.clone(),
            columns: table_columns(table),
            new: None,
            old: None,
            args: t.args.clone(),
            transition: transition_tables(&t, table.id, event),
        };
        deeper(|| {
            rt.nested(|| {
                let mut host = RuntimeHost { rt, txn: TxnRef::Write(&mut *txn) };
                call_trigger(&body, &mut host, call)
            })
        })?;
    }
    Ok(())
}

fn table_columns(table: &TableDef) -> Vec<(String, DataType)> {
    table.columns.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect()
}

/// The transition tables `t` names, with the rows of the statement firing it.
fn transition_tables(t: &TriggerDef, table: u32, event: TriggerEvent) -> Vec<(String, Vec<Row>)> {
    if t.old_table.is_none() && t.new_table.is_none() {
        return Vec::new();
    }
    let (old, new) = crate::exec::transition_rows(table, event).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(n) = &t.old_table {
        out.push((n.clone(), old));
    }
    if let Some(n) = &t.new_table {
        out.push((n.clone(), new));
    }
    out
}

/// Evaluates a trigger's WHEN condition over NEW / OLD.
fn when_holds(
    rt: &Runtime<'_>,
    txn: &mut Transaction,
    when: &str,
    columns: &[(String, DataType)],
    old: Option<&[Value]>,
    new: Option<&[Value]>,
) -> Result<bool> {
    let sql = super::plpgsql::parse::expr_sql(when)?;
    let mut stmt = sql.stmt;
    let mut params = Vec::new();
    let mut types = Vec::new();
    substitute(&mut stmt, &mut |parts| {
        let [rec, field] = parts else { return Ok(None) };
        let row = match rec.as_str() {
            "new" => new,
            "old" => old,
            _ => return Ok(None),
        };
        let Some(pos) = columns.iter().position(|(n, _)| n == field) else { return Ok(None) };
        params.push(row.map(|r| r[pos].clone()).unwrap_or(Value::Null));
        types.push(columns[pos].1.clone());
        Ok(Some(params.len() - 1))
    })?;
    let mut host = RuntimeHost { rt, txn: TxnRef::Write(txn) };
    let out = host.run(&stmt, &params, &types)?;
    Ok(matches!(out.rows.first().and_then(|r| r.first()), Some(Value::Bool(true))))
}
