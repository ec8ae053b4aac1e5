//! Predicate pushdown: WHERE conjuncts over a join move to the side they read (or into
//! an inner join's condition); conditions over a table scan become the scan's filter.

use super::conjuncts::{column_span, has_subquery, join, split};
use super::map_inputs;
use crate::planner::rewrite::shift_columns;
use crate::planner::{JoinKind, Plan};

/// Applies the rule bottom-up.
pub fn apply(plan: Plan) -> Plan {
    let plan = map_inputs(plan, &mut apply);
    match plan {
        Plan::Filter { input, predicate } => push(*input, predicate),
        other => other,
    }
}

fn push(input: Plan, predicate: crate::expr::Expr) -> Plan {
    match input {
        Plan::Scan { table, access, filter, with_key, needed, schema } => {
            let width = schema.len();
            if column_span(&predicate).is_some_and(|(_, hi)| hi >= width)
                || has_subquery(&predicate)
            {
                let scan = Plan::Scan { table, access, filter, with_key, needed, schema };
                return Plan::Filter { input: Box::new(scan), predicate };
            }
            let mut parts = Vec::new();
            if let Some(f) = filter {
                split(f, &mut parts);
            }
            split(predicate, &mut parts);
            Plan::Scan { table, access, filter: join(parts), with_key, needed, schema }
        }
        Plan::Join { left, right, kind, on, equi, lateral, schema }
            if matches!(kind, JoinKind::Inner | JoinKind::Left) && !lateral =>
        {
            let lw = left.width();
            let total = schema.len();
            let mut parts = Vec::new();
            split(predicate, &mut parts);
            let (mut to_left, mut to_right, mut to_on, mut keep) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for p in parts {
                let span = column_span(&p);
                if has_subquery(&p) || span.is_some_and(|(_, hi)| hi >= total) {
                    keep.push(p);
                    continue;
                }
                match span {
                    Some((_, hi)) if hi < lw => to_left.push(p),
                    Some((lo, _)) if lo >= lw && kind == JoinKind::Inner => {
                        let mut p = p;
                        shift_columns(&mut p, lw, -(lw as isize));
                        to_right.push(p);
                    }
                    Some(_) if kind == JoinKind::Inner => to_on.push(p),
                    _ => keep.push(p),
                }
            }
            let left = match join(to_left) {
                Some(p) => Box::new(push(*left, p)),
                None => left,
            };
            let right = match join(to_right) {
                Some(p) => Box::new(push(*right, p)),
                None => right,
            };
            let mut on_parts = Vec::new();
            if let Some(o) = on {
                split(o, &mut on_parts);
            }
            on_parts.extend(to_on);
            let joined =
                Plan::Join { left, right, kind, on: join(on_parts), equi, lateral, schema };
            match join(keep) {
                Some(p) => Plan::Filter { input: Box::new(joined), predicate: p },
                None => joined,
            }
        }
        Plan::Append { inputs, schema }
            if !has_subquery(&predicate)
                && column_span(&predicate).is_none_or(|(_, hi)| hi < schema.len()) =>
        {
            let inputs = inputs.into_iter().map(|p| push(p, predicate.clone())).collect();
            Plan::Append { inputs, schema }
        }
        Plan::Filter { input, predicate: inner } => {
            let mut parts = Vec::new();
            split(inner, &mut parts);
            split(predicate, &mut parts);
            match join(parts) {
                Some(p) => push(*input, p),
                None => *input,
            }
        }
        other => Plan::Filter { input: Box::new(other), predicate },
    }
}
