//! Hash aggregation with grouping sets, and the per-call DISTINCT / FILTER / ORDER BY
//! handling of aggregate calls (shared with aggregates used as window functions).

use std::collections::{HashMap, HashSet};

use helios_common::Result;
use helios_types::{HashableValue, Value};

use super::context::{ExecCtx, Row};
use super::sort::compare_rows;
use crate::expr::{AggregateCall, Expr};
use crate::planner::SortKey;

/// Groups `rows` (of `width` columns) by each grouping set and computes the aggregates.
/// Output rows are a representative input row of the group, the group keys (NULL for
/// keys outside the row's grouping set), then the aggregate values.
pub fn aggregate(
    ctx: &ExecCtx<'_>,
    rows: Vec<Row>,
    group_by: &[Expr],
    sets: &[Vec<usize>],
    aggs: &[AggregateCall],
    width: usize,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let mut keys: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut k = Vec::with_capacity(group_by.len());
        for g in group_by {
            k.push(ctx.eval(g, r, outer)?);
        }
        keys.push(k);
    }
    let all: Vec<usize> = (0..group_by.len()).collect();
    let default_sets = [all];
    let sets: &[Vec<usize>] = if sets.is_empty() { &default_sets } else { sets };
    let mut out = Vec::new();
    for set in sets {
        let mut index: HashMap<Vec<HashableValue>, usize> = HashMap::new();
        let mut groups: Vec<(Vec<Value>, Vec<usize>)> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let hk: Vec<HashableValue> = set.iter().map(|p| HashableValue(k[*p].clone())).collect();
            let g = *index.entry(hk).or_insert_with(|| {
                let mut vals = vec![Value::Null; group_by.len()];
                for p in set {
                    vals[*p] = k[*p].clone();
                }
                groups.push((vals, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
        if set.is_empty() && groups.is_empty() {
            groups.push((vec![Value::Null; group_by.len()], Vec::new()));
        }
        for (vals, members) in groups {
            ctx.check_cancel()?;
            let mut row = match members.first() {
                Some(i) => rows[*i].clone(),
                None => vec![Value::Null; width],
            };
            row.extend(vals);
            let group_rows: Vec<&Row> = members.iter().map(|i| &rows[*i]).collect();
            for call in aggs {
                row.push(run_aggregate(ctx, call, &group_rows, outer)?);
            }
            out.push(row);
        }
    }
    Ok(out)
}

/// Computes one aggregate call over `rows`: FILTER, then NULL skipping, DISTINCT and
/// ORDER BY, then the accumulator.
pub fn run_aggregate(
    ctx: &ExecCtx<'_>,
    call: &AggregateCall,
    rows: &[&Row],
    outer: &[Value],
) -> Result<Value> {
    let mut inputs: Vec<(Vec<Value>, Vec<Value>)> = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(f) = &call.filter {
            if !ctx.eval_true(f, r, outer)? {
                continue;
            }
        }
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            args.push(ctx.eval(a, r, outer)?);
        }
        if call.func.skips_nulls() && args.iter().any(Value::is_null) {
            continue;
        }
        let mut order = Vec::with_capacity(call.order_by.len());
        for s in &call.order_by {
            order.push(ctx.eval(&s.expr, r, outer)?);
        }
        inputs.push((args, order));
    }
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
        inputs.sort_by(|a, b| compare_rows(&a.1, &b.1, &keys));
    }
    let arg_types: Vec<helios_types::DataType> = call.args.iter().map(Expr::data_type).collect();
    let mut acc = call.func.create(&arg_types);
    for (args, _) in &inputs {
        acc.accumulate(args)?;
    }
    acc.finalize()
}
