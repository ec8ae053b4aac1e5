//! Aggregation fused with the hash join below it, for the common star-schema shape
//! `SELECT dim.x, agg(fact.y) FROM fact JOIN dim ON fact.k = dim.k GROUP BY dim.x`:
//! the group keys read only the build (right) side and the aggregate arguments only the
//! probe (left) side.
//!
//! Each build row's group key is computed once, when the hash table is built, and
//! numbered ("slot"); a probe row then finds its matching build rows by the join key and
//! feeds the aggregates of their slots' groups straight from its own values. No joined
//! row is built except the first of each group (the representative row the aggregate
//! outputs), so the build side's values (e.g. text) are not cloned per probe row and the
//! group keys are not hashed per probe row. Groups are numbered on first appearance in
//! the probe stream, so the output order and representative rows are those of the
//! unfused path.

use helios_common::Result;
use helios_types::Value;

use super::aggregate::{feed, AggregateSpec, Group};
use super::context::{ExecCtx, Row};
use super::join_index::JoinIndex;
use super::keyed::{KeyExprs, KeyTable};
use super::stream::for_each_lent;
use crate::expr::Expr;
use crate::planner::rewrite::shift_columns;
use crate::planner::{JoinKind, Plan};

/// Whether `e` can be evaluated on part of the joined row: no subquery, no volatile
/// function, and every column it reads in `lo..hi`.
fn reads_only(e: &Expr, lo: usize, hi: usize) -> bool {
    let mut ok = true;
    e.walk(&mut |n| {
        ok &= match n {
            Expr::Column(i, _) => (lo..hi).contains(i),
            Expr::Subquery { .. } | Expr::Window(_) => false,
            Expr::Function { func, .. } => !func.volatile,
            _ => true,
        }
    });
    ok
}

/// The inputs of a fusable join: (left, right plans, equi pairs).
type FusableJoin<'p> = (&'p Plan, &'p Plan, &'p [(Expr, Expr)]);

/// The join below an aggregate when the two can run fused (see the module docs): an
/// inner hash join without residual condition, at most one grouping set, group keys over
/// the right columns only, aggregate arguments, FILTERs and ORDER BYs over the left
/// columns only, and no enclosing row.
pub fn fusable<'p>(
    input: &'p Plan,
    spec: &AggregateSpec<'_>,
    outer: &[Value],
) -> Option<FusableJoin<'p>> {
    let Plan::Join { left, right, kind: JoinKind::Inner, on: None, equi, lateral: false, .. } =
        input
    else {
        return None;
    };
    if equi.is_empty() || !outer.is_empty() || spec.sets.len() > 1 {
        return None;
    }
    let (lw, total) = (left.width(), input.width());
    let keys_ok = spec.group_by.iter().all(|g| reads_only(g, lw, total));
    let args_ok = spec.aggs.iter().all(|c| {
        c.args.iter().chain(&c.filter).chain(c.order_by.iter().map(|s| &s.expr)).all(|e| {
            // The argument is evaluated on the left row alone.
            reads_only(e, 0, lw)
        })
    });
    (keys_ok && args_ok).then_some((left, right, equi.as_slice()))
}

/// Runs the aggregate of `spec` over the fused join; returns the groups of the single
/// grouping set in order of first appearance (what the unfused path collects).
pub fn aggregate_join(
    ctx: &ExecCtx<'_>,
    (left, right, equi): FusableJoin<'_>,
    spec: &AggregateSpec<'_>,
    set: &[usize],
    new_group: &dyn Fn(Row, Vec<Value>) -> Group,
) -> Result<Vec<Group>> {
    let (lw, rw) = (left.width(), right.width());
    let right_rows = super::execute(right, ctx, &[])?;

    // The group key expressions of the set, moved onto the right row.
    let key_exprs: Vec<Expr> = set
        .iter()
        .map(|p| {
            let mut e = spec.group_by[*p].clone();
            shift_columns(&mut e, lw, -(lw as isize));
            e
        })
        .collect();
    let mut group_key = KeyExprs::new(key_exprs.iter(), rw);
    let mut slots: KeyTable<usize> = KeyTable::default();
    // Per slot: the full group key (NULL outside the set) and its group, once seen.
    let mut slot_keys: Vec<Vec<Value>> = Vec::new();
    let mut slot_group: Vec<Option<usize>> = Vec::new();
    // Per build row: its slot.
    let mut slot_of: Vec<usize> = Vec::with_capacity(right_rows.len());

    for r in &right_rows {
        group_key.load(ctx, r, &[])?;
        let h = slots.hash(group_key.values(r));
        let slot = match slots.get(h, &group_key, r) {
            Some(s) => *s,
            None => {
                let mut vals = vec![Value::Null; spec.group_by.len()];
                for (p, v) in set.iter().zip(group_key.values(r)) {
                    vals[*p] = v.clone();
                }
                slot_keys.push(vals);
                slot_group.push(None);
                slots.insert_new(h, group_key.to_owned(r), slot_keys.len() - 1);
                slot_keys.len() - 1
            }
        };
        slot_of.push(slot);
    }
    let mut index = JoinIndex::build(ctx, &right_rows, equi, (lw, rw), &[])?;

    let mut groups: Vec<Group> = Vec::new();
    if index.is_empty() {
        // Nothing can match: the left side need not be read.
        return Ok(groups);
    }
    let mut matches = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    let mut n = 0usize;
    // The probe rows are only read: lent, they reuse the scan's row buffer.
    for_each_lent(left, ctx, &[], &mut |l| {
        n += 1;
        if n.is_multiple_of(1024) {
            ctx.check_cancel()?;
        }
        let l: &Row = l;
        index.probe(ctx, l, &[], &mut matches)?;
        for &ri in &matches {
            let slot = slot_of[ri];
            let g = match slot_group[slot] {
                Some(g) => g,
                None => {
                    let mut first = Vec::with_capacity(lw + rw);
                    first.extend_from_slice(l);
                    first.extend_from_slice(&right_rows[ri]);
                    groups.push(new_group(first, slot_keys[slot].clone()));
                    slot_group[slot] = Some(groups.len() - 1);
                    groups.len() - 1
                }
            };
            let group = &mut groups[g];
            for (call, state) in spec.aggs.iter().zip(&mut group.states) {
                feed(ctx, call, state, l, &[], &mut args)?;
            }
        }
        Ok(true)
    })?;
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use helios_types::DataType;

    use super::*;
    use crate::expr::AggregateCall;
    use crate::functions::aggregate::AggregateFunc;
    use crate::planner::Field;

    fn col(i: usize) -> Expr {
        Expr::Column(i, DataType::Int8)
    }

    fn values(width: usize) -> Plan {
        let schema = (0..width).map(|_| Field::new("x", DataType::Int8)).collect();
        Plan::Values { rows: Vec::new(), schema }
    }

    /// `left (2 columns) JOIN right (2 columns) ON left.0 = right.0`.
    fn join(kind: JoinKind, on: Option<Expr>) -> Plan {
        let schema = (0..4).map(|_| Field::new("x", DataType::Int8)).collect();
        Plan::Join {
            left: Box::new(values(2)),
            right: Box::new(values(2)),
            kind,
            on,
            equi: vec![(col(0), col(0))],
            lateral: false,
            schema,
        }
    }

    fn call(func: AggregateFunc, args: Vec<Expr>) -> AggregateCall {
        AggregateCall {
            func,
            args,
            distinct: false,
            filter: None,
            order_by: Vec::new(),
            ty: DataType::Int8,
            user: None,
        }
    }

    fn fuses(input: &Plan, keys: &[Expr], aggs: &[AggregateCall], sets: &[Vec<usize>]) -> bool {
        let spec = AggregateSpec { group_by: keys, sets, aggs, width: input.width() };
        fusable(input, &spec, &[]).is_some()
    }

    #[test]
    fn build_side_keys_and_probe_side_arguments_fuse() {
        let aggs = [call(AggregateFunc::CountStar, vec![]), call(AggregateFunc::Sum, vec![col(1)])];
        let inner = join(JoinKind::Inner, None);
        assert!(fuses(&inner, &[col(3)], &aggs, &[]));
        assert!(fuses(&inner, &[col(2), col(3)], &aggs, &[vec![0, 1]]));
        // No GROUP BY at all.
        assert!(fuses(&inner, &[], &aggs, &[]));
        // Not with an enclosing row.
        let spec = AggregateSpec { group_by: &[col(3)], sets: &[], aggs: &aggs, width: 4 };
        assert!(fusable(&inner, &spec, &[Value::Int8(1)]).is_none());
    }

    #[test]
    fn other_shapes_do_not_fuse() {
        let count = [call(AggregateFunc::CountStar, vec![])];
        let inner = join(JoinKind::Inner, None);
        // A group key or an argument on the wrong side.
        assert!(!fuses(&inner, &[col(1)], &count, &[]));
        assert!(!fuses(&inner, &[col(3)], &[call(AggregateFunc::Sum, vec![col(2)])], &[]));
        // Grouping sets, outer joins, residual conditions.
        assert!(!fuses(&inner, &[col(2), col(3)], &count, &[vec![0], vec![1]]));
        assert!(!fuses(&join(JoinKind::Left, None), &[col(3)], &count, &[]));
        assert!(!fuses(&join(JoinKind::Inner, Some(col(1))), &[col(3)], &count, &[]));
        // Not a join.
        assert!(!fuses(&values(4), &[col(3)], &count, &[]));
    }
}
