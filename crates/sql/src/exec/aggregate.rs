//! Hash aggregation with grouping sets, and the per-call DISTINCT / FILTER / ORDER BY
//! handling of aggregate calls (shared with aggregates used as window functions).

use std::collections::HashSet;

use helios_common::{Error, Result};
use helios_types::{DataType, HashableValue, Value};

use super::context::{ExecCtx, Row};
use super::keyed::{KeyExprs, KeyTable};
use super::sort::compare_rows;
use crate::expr::{AggregateCall, Expr, UserAggregate};
use crate::functions::accumulator::Aggregate;
use crate::planner::{Plan, SortKey};

/// What an aggregate node computes.
#[derive(Debug, Clone, Copy)]
pub struct AggregateSpec<'p> {
    /// Group keys.
    pub group_by: &'p [Expr],
    /// Grouping sets as positions in `group_by` (empty: one set of every key).
    pub sets: &'p [Vec<usize>],
    /// The aggregate calls.
    pub aggs: &'p [AggregateCall],
    /// Width of the input rows.
    pub width: usize,
}

/// The running state of one aggregate call in one group.
pub(super) enum CallState {
    /// Arguments go straight into the accumulator (no DISTINCT or ORDER BY).
    Streaming(Box<dyn Aggregate>),
    /// The (arguments, ORDER BY values) of the rows that passed FILTER and NULL skipping,
    /// for DISTINCT / ORDER BY at the end.
    Buffered(Vec<(Vec<Value>, Vec<Value>)>),
}

/// One group of one grouping set.
pub(super) struct Group {
    /// The first input row of the group.
    pub(super) first: Row,
    /// The group key values (NULL for keys outside the grouping set).
    pub(super) keys: Vec<Value>,
    /// One state per aggregate call.
    pub(super) states: Vec<CallState>,
}

/// Groups the rows of `input` by each grouping set and computes the aggregates, one
/// input row at a time. Output rows are a representative input row of the group (its
/// first), the group keys (NULL for keys outside the row's grouping set), the aggregate
/// values, and the grouping set's index; groups come in order of first appearance.
pub fn aggregate(
    ctx: &ExecCtx<'_>,
    input: &Plan,
    spec: &AggregateSpec<'_>,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let all: Vec<usize> = (0..spec.group_by.len()).collect();
    let default_sets = [all];
    let sets: &[Vec<usize>] = if spec.sets.is_empty() { &default_sets } else { spec.sets };
    let arg_types: Vec<Vec<DataType>> =
        spec.aggs.iter().map(|c| c.args.iter().map(Expr::data_type).collect()).collect();
    let new_states = || -> Vec<CallState> {
        spec.aggs.iter().zip(&arg_types).map(|(call, types)| new_state(call, types)).collect()
    };
    let groups = match (super::join_aggregate::fusable(input, spec, outer), sets) {
        (Some(join), [set]) => {
            let new_group =
                |first: Row, keys: Vec<Value>| Group { first, keys, states: new_states() };
            vec![super::join_aggregate::aggregate_join(ctx, join, spec, set, &new_group)?]
        }
        _ => group_rows(ctx, input, spec, sets, &new_states, outer)?,
    };
    let mut out = Vec::new();
    for (s, (set, set_groups)) in sets.iter().zip(groups).enumerate() {
        let mut set_groups = set_groups;
        if set.is_empty() && set_groups.is_empty() {
            set_groups.push(Group {
                first: vec![Value::Null; spec.width],
                keys: vec![Value::Null; spec.group_by.len()],
                states: new_states(),
            });
        }
        for group in set_groups {
            ctx.check_cancel()?;
            let mut row = group.first;
            row.extend(group.keys);
            for ((call, state), types) in spec.aggs.iter().zip(group.states).zip(&arg_types) {
                row.push(finish(ctx, call, state, types)?);
            }
            row.push(Value::Int4(i32::try_from(s).unwrap_or(i32::MAX)));
            out.push(row);
        }
    }
    Ok(out)
}

/// Groups the rows of `input` by each grouping set and feeds the aggregates; returns
/// the groups of each set in order of first appearance.
fn group_rows(
    ctx: &ExecCtx<'_>,
    input: &Plan,
    spec: &AggregateSpec<'_>,
    sets: &[Vec<usize>],
    new_states: &dyn Fn() -> Vec<CallState>,
    outer: &[Value],
) -> Result<Vec<Vec<Group>>> {
    let mut index: Vec<KeyTable<usize>> = sets.iter().map(|_| KeyTable::default()).collect();
    let mut keys: Vec<KeyExprs<'_>> = sets
        .iter()
        .map(|set| KeyExprs::new(set.iter().map(|p| &spec.group_by[*p]), spec.width))
        .collect();
    let mut groups: Vec<Vec<Group>> = sets.iter().map(|_| Vec::new()).collect();
    let mut args: Vec<Value> = Vec::new();
    let mut n = 0usize;
    let last = sets.len() - 1;
    // Rows are lent: only the first row of each group is kept.
    super::stream::for_each_lent(input, ctx, outer, &mut |row| {
        n += 1;
        if n.is_multiple_of(1024) {
            ctx.check_cancel()?;
        }
        let mut row = Some(row);
        for (s, set) in sets.iter().enumerate() {
            let r: &Row = row.as_deref().ok_or_else(|| Error::internal("aggregate row moved"))?;
            let key = &mut keys[s];
            key.load(ctx, r, outer)?;
            let h = index[s].hash(key.values(r));
            let (g, is_new) = match index[s].get(h, key, r) {
                Some(g) => (*g, false),
                None => {
                    let mut vals = vec![Value::Null; spec.group_by.len()];
                    for (p, v) in set.iter().zip(key.values(r)) {
                        vals[*p] = v.clone();
                    }
                    groups[s].push(Group { first: Vec::new(), keys: vals, states: new_states() });
                    index[s].insert_new(h, key.to_owned(r), groups[s].len() - 1);
                    (groups[s].len() - 1, true)
                }
            };
            let group = &mut groups[s][g];
            for (call, state) in spec.aggs.iter().zip(&mut group.states) {
                feed(ctx, call, state, r, outer, &mut args)?;
            }
            if is_new {
                // The last grouping set takes the row itself.
                group.first = if s == last {
                    row.take().map(std::mem::take).unwrap_or_default()
                } else {
                    r.clone()
                };
            }
        }
        Ok(true)
    })?;
    Ok(groups)
}

/// Feeds one input row to one call's state: FILTER, arguments, NULL skipping.
pub(super) fn feed(
    ctx: &ExecCtx<'_>,
    call: &AggregateCall,
    state: &mut CallState,
    row: &[Value],
    outer: &[Value],
    args: &mut Vec<Value>,
) -> Result<()> {
    if let Some(f) = &call.filter {
        if !ctx.eval_true(f, row, outer)? {
            return Ok(());
        }
    }
    if let ([Expr::Column(i, _)], CallState::Streaming(acc)) = (call.args.as_slice(), &mut *state) {
        // A plain column argument of the row is passed in place: no evaluation, no clone.
        if let Some(v) = row.get(*i) {
            if call.func.skips_nulls() && v.is_null() {
                return Ok(());
            }
            return acc.accumulate(std::slice::from_ref(v));
        }
    }
    args.clear();
    for a in &call.args {
        args.push(ctx.eval(a, row, outer)?);
    }
    if call.func.skips_nulls() && args.iter().any(Value::is_null) {
        return Ok(());
    }
    match state {
        CallState::Streaming(acc) => acc.accumulate(args),
        CallState::Buffered(inputs) => {
            let mut order = Vec::with_capacity(call.order_by.len());
            for s in &call.order_by {
                order.push(ctx.eval(&s.expr, row, outer)?);
            }
            inputs.push((std::mem::take(args), order));
            Ok(())
        }
    }
}

/// DISTINCT, ORDER BY and the accumulator over buffered inputs.
fn finish_buffered(
    ctx: &ExecCtx<'_>,
    call: &AggregateCall,
    mut inputs: Vec<(Vec<Value>, Vec<Value>)>,
    arg_types: &[DataType],
) -> Result<Value> {
    if call.distinct {
        let mut seen = HashSet::new();
        inputs
            .retain(|(a, _)| seen.insert(a.iter().cloned().map(HashableValue).collect::<Vec<_>>()));
    }
    if !call.order_by.is_empty() {
        let keys: Vec<SortKey> = call
            .order_by
            .iter()
            .map(|s| SortKey { expr: s.expr.clone(), asc: s.asc, nulls_first: s.nulls_first })
            .collect();
        super::pg_sort::pg_sort_by(&mut inputs, |a, b| compare_rows(&a.1, &b.1, &keys));
    }
    if let Some(user) = &call.user {
        return fold_user(ctx, user, inputs.into_iter().map(|(args, _)| args));
    }
    let mut acc = call.func.create(arg_types);
    for (args, _) in &inputs {
        acc.accumulate(args)?;
    }
    acc.finalize()
}

/// Computes one aggregate call over `rows`: FILTER, then NULL skipping, DISTINCT and
/// ORDER BY, then the accumulator.
pub fn run_aggregate(
    ctx: &ExecCtx<'_>,
    call: &AggregateCall,
    rows: &[&Row],
    outer: &[Value],
) -> Result<Value> {
    let arg_types: Vec<DataType> = call.args.iter().map(Expr::data_type).collect();
    let mut state = new_state(call, &arg_types);
    let mut args = Vec::with_capacity(call.args.len());
    for r in rows {
        feed(ctx, call, &mut state, r, outer, &mut args)?;
    }
    finish(ctx, call, state, &arg_types)
}

/// A fresh state for one call.
fn new_state(call: &AggregateCall, arg_types: &[DataType]) -> CallState {
    // A user-defined aggregate's functions need the executor's context, which the
    // accumulator interface does not carry: its inputs are buffered and folded at the end.
    if call.distinct || !call.order_by.is_empty() || call.user.is_some() {
        CallState::Buffered(Vec::new())
    } else {
        CallState::Streaming(call.func.create(arg_types))
    }
}

/// The call's result from its state.
fn finish(
    ctx: &ExecCtx<'_>,
    call: &AggregateCall,
    state: CallState,
    arg_types: &[DataType],
) -> Result<Value> {
    match state {
        CallState::Streaming(acc) => acc.finalize(),
        CallState::Buffered(inputs) => finish_buffered(ctx, call, inputs, arg_types),
    }
}

/// Folds the argument rows of a user-defined aggregate through its transition
/// function, then applies its final function.
fn fold_user(
    ctx: &ExecCtx<'_>,
    user: &UserAggregate,
    inputs: impl Iterator<Item = Vec<Value>>,
) -> Result<Value> {
    let mut row: Vec<Value> = vec![user.init.clone()];
    for (n, args) in inputs.enumerate() {
        if n % 1024 == 1023 {
            ctx.check_cancel()?;
        }
        if user.strict {
            if args.iter().any(Value::is_null) {
                continue;
            }
            if row[0].is_null() {
                // A strict transition function with no first state starts from the first
                // row's value (CREATE AGGREGATE checked that the types agree).
                if let Some(first) = args.into_iter().next() {
                    row[0] = first;
                }
                continue;
            }
        }
        row.truncate(1);
        row.extend(args);
        let next = ctx.eval(&user.transition, &row, &[])?;
        row[0] = next;
    }
    row.truncate(1);
    match &user.final_ {
        Some(f) => ctx.eval(f, &row, &[]),
        None => Ok(row.swap_remove(0)),
    }
}
