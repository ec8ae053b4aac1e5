//! Hash join: equality conjuncts of a join condition whose sides each read only one
//! input become hash keys. A key whose hash-table equality is exactly SQL `=` (see
//! [`exact_key`]) leaves the residual condition; the other conjuncts stay in it and are
//! checked on every candidate pair.

use helios_types::DataType;

use super::conjuncts::{column_span, has_subquery, join, split};
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
            let mut residual = Vec::new();
            let mut exact = 0;
            for p in parts {
                if has_subquery(&p) {
                    residual.push(p);
                    continue;
                }
                let Expr::Binary { op: BinaryOp::Eq, left: a, right: b, .. } = &p else {
                    residual.push(p);
                    continue;
                };
                let side = |e: &Expr| match column_span(e) {
                    Some((_, hi)) if hi < lw => Some(true),
                    Some((lo, hi)) if lo >= lw && hi < total => Some(false),
                    _ => None,
                };
                let (l, r) = match (side(a), side(b)) {
                    (Some(true), Some(false)) => ((**a).clone(), (**b).clone()),
                    (Some(false), Some(true)) => ((**b).clone(), (**a).clone()),
                    _ => {
                        residual.push(p);
                        continue;
                    }
                };
                if exact_key(&l.data_type(), &r.data_type()) {
                    exact += 1;
                } else {
                    residual.push(p);
                }
                let mut r = r;
                shift_columns(&mut r, lw, -(lw as isize));
                pairs.push((l, r));
            }
            // The condition is rebuilt only when a conjunct left it (EXPLAIN shows it as written).
            let on = if exact == 0 { Some(on) } else { join(residual) };
            Plan::Join { left, right, kind, on, equi: pairs, lateral: false, schema }
        }
        other => other,
    }
}

/// Whether a hash key pair of these types matches exactly the pairs SQL `=` accepts, so
/// the conjunct need not be checked again: the hash table compares non-NULL keys with
/// [`helios_types::hash::hash_eq`], which is `=` for integers of any width and for
/// booleans, `text`/`varchar` (bytewise, the "C" collation), `bytea`, `date` and `uuid`
/// of the same type. Others (floats, numeric, `char(n)`, time zones, json, arrays, mixed
/// families) keep the conjunct as a residual check.
fn exact_key(l: &DataType, r: &DataType) -> bool {
    use DataType as T;
    let int = |t: &DataType| matches!(t, T::Int2 | T::Int4 | T::Int8);
    let text = |t: &DataType| matches!(t, T::Text | T::Varchar(_));
    (int(l) && int(r))
        || (text(l) && text(r))
        || matches!(
            (l, r),
            (T::Bool, T::Bool) | (T::Bytea, T::Bytea) | (T::Date, T::Date) | (T::Uuid, T::Uuid)
        )
}
