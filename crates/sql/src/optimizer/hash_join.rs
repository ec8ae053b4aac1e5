//! Hash join: equality conjuncts of a join condition whose sides each read only one
//! input become hash keys. The whole condition stays as the residual check.

use super::conjuncts::{column_span, has_subquery, split};
use super::map_inputs;
use crate::expr::{BinaryOp, Expr};
use crate::planner::rewrite::shift_columns;
use crate::planner::{JoinKind, Plan};

/// Applies the rule bottom-up.
pub fn apply(plan: Plan) -> Plan {
    let plan = map_inputs(plan, &mut apply);
    match plan {
        Plan::Join { left, right, kind, on: Some(on), equi, lateral: false, schema }
            if equi.is_empty() && !matches!(kind, JoinKind::Semi | JoinKind::Anti) =>
        {
            let lw = left.width();
            let total = lw + right.width();
            let mut parts = Vec::new();
            split(on.clone(), &mut parts);
            let mut pairs = Vec::new();
            for p in &parts {
                if has_subquery(p) {
                    continue;
                }
                let Expr::Binary { op: BinaryOp::Eq, left: a, right: b, .. } = p else { continue };
                let side = |e: &Expr| match column_span(e) {
                    Some((_, hi)) if hi < lw => Some(true),
                    Some((lo, hi)) if lo >= lw && hi < total => Some(false),
                    _ => None,
                };
                let (l, r) = match (side(a), side(b)) {
                    (Some(true), Some(false)) => ((**a).clone(), (**b).clone()),
                    (Some(false), Some(true)) => ((**b).clone(), (**a).clone()),
                    _ => continue,
                };
                let mut r = r;
                shift_columns(&mut r, lw, -(lw as isize));
                pairs.push((l, r));
            }
            Plan::Join { left, right, kind, on: Some(on), equi: pairs, lateral: false, schema }
        }
        other => other,
    }
}
