//! The operator dispatcher: runs one plan node over the rows of its inputs.

use helios_common::{Error, Result, SqlState};
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::{aggregate, join, setop, stream, window};
use crate::planner::{Plan, SequenceOp};

/// Runs `plan` and returns its rows. `outer` is the enclosing row for a correlated
/// subquery or a LATERAL item (empty otherwise).
pub fn execute(plan: &Plan, ctx: &ExecCtx<'_>, outer: &[Value]) -> Result<Vec<Row>> {
    ctx.check_cancel()?;
    match plan {
        Plan::Empty { rows } => Ok(vec![Vec::new(); *rows]),
        Plan::Values { rows, .. } => rows
            .iter()
            .map(|r| r.iter().map(|e| ctx.eval(e, &[], outer)).collect::<Result<Row>>())
            .collect(),
        Plan::Scan { .. }
        | Plan::Filter { .. }
        | Plan::Project { .. }
        | Plan::Limit { .. }
        | Plan::LockRows { .. }
        | Plan::Join { lateral: false, .. }
        | Plan::CteScan { .. }
        | Plan::RecursiveUnion { .. }
        | Plan::Sort { .. } => stream::collect(plan, ctx, outer),
        Plan::Aggregate { input, group_by, sets, aggs, .. } => {
            let spec = aggregate::AggregateSpec { group_by, sets, aggs, width: input.width() };
            aggregate::aggregate(ctx, input, &spec, outer)
        }
        Plan::Window { input, calls, .. } => {
            let rows = execute(input, ctx, outer)?;
            window::window(ctx, rows, calls, outer)
        }
        Plan::Join { left, right, kind, on, .. } => {
            // Only LATERAL joins get here (the others stream).
            let l = execute(left, ctx, outer)?;
            join::lateral_join(ctx, l, right, *kind, on.as_ref(), outer)
        }
        Plan::Distinct { input, on } => {
            let rows = execute(input, ctx, outer)?;
            setop::distinct(ctx, rows, on.as_deref(), outer)
        }
        Plan::Append { .. } => stream::collect(plan, ctx, outer),
        Plan::SetOp { left, right, op, all, .. } => {
            let l = execute(left, ctx, outer)?;
            let r = execute(right, ctx, outer)?;
            Ok(setop::set_operation(l, r, *op, *all))
        }
        Plan::TableFunction { func, .. } => {
            let mut args = Vec::with_capacity(func.args.len());
            for a in &func.args {
                args.push(ctx.eval(a, &[], outer)?);
            }
            let mut out = Vec::new();
            for (i, row) in func.func.call(&args, ctx)?.enumerate() {
                if i % 1024 == 1023 {
                    ctx.check_cancel()?;
                }
                out.push(row?);
            }
            Ok(out)
        }
        Plan::Sequence { op, sequence, value, is_called, .. } => {
            let seqs = ctx
                .sequences
                .ok_or_else(|| Error::unsupported("sequence functions in this context"))?;
            let v = match op {
                SequenceOp::Next => seqs.next(*sequence)?,
                SequenceOp::Current => seqs.current(*sequence)?,
                SequenceOp::Set => {
                    let v = match value {
                        Some(e) => ctx.eval(e, &[], outer)?,
                        None => Value::Null,
                    };
                    let called = match is_called {
                        Some(e) => !matches!(ctx.eval(e, &[], outer)?, Value::Bool(false)),
                        None => true,
                    };
                    match v {
                        Value::Null => return Ok(vec![vec![Value::Null]]),
                        Value::Int8(n) => seqs.set(*sequence, n, called)?,
                        other => return Err(Error::internal(format!("setval got {other:?}"))),
                    }
                }
            };
            Ok(vec![vec![Value::Int8(v)]])
        }
        Plan::WorkTable { id, .. } => {
            Ok(ctx.work.borrow().get(id).map(|r| r.as_ref().clone()).unwrap_or_default())
        }
    }
}

/// A LIMIT/OFFSET value: NULL means no limit; negative is an error.
pub(super) fn count_value(v: Value, clause: &str) -> Result<Option<usize>> {
    let n = match v {
        Value::Null => return Ok(None),
        Value::Int8(n) => n,
        Value::Int4(n) => i64::from(n),
        Value::Int2(n) => i64::from(n),
        other => {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!("argument of {clause} must be type bigint, not type {}", other.data_type()),
            ))
        }
    };
    if n < 0 {
        let state = if clause == "OFFSET" {
            SqlState::INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE
        } else {
            SqlState::INVALID_ROW_COUNT_IN_LIMIT_CLAUSE
        };
        return Err(Error::new(state, format!("{clause} must not be negative")));
    }
    Ok(Some(usize::try_from(n).unwrap_or(usize::MAX)))
}
