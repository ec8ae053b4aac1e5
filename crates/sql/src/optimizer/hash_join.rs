//! Hash join: equality conjuncts of a join condition whose sides each read only one
//! input become hash keys. A key whose hash-table equality is exactly SQL `=` (see
//! [`exact_key`]) leaves the residual condition; the other conjuncts stay in it and are
//! checked on every candidate pair.
//!
//! A key may also read the enclosing row (a join inside a correlated subquery, or the
//! condition of a decorrelated `NOT EXISTS` that reads rows further out): such columns
//! are constants for one run of the join, so `c.id + o.id = d.id` still keys `c` to `d`.
//!
//! The null-aware anti join of `NOT IN` also keys on its `(x = y) IS NOT FALSE`
//! conjunct, as its last key (see `exec/join.rs`); the conjunct stays in the condition.

use helios_types::DataType;

use super::conjuncts::{has_subquery, join, split};
use super::map_inputs;
use crate::expr::{BinaryOp, Expr};
use crate::planner::rewrite::shift_columns;
use crate::planner::{JoinKind, Plan};

/// Applies the rule bottom-up.
pub fn apply(plan: Plan) -> Plan {
    let plan = map_inputs(plan, &mut apply);
    match plan {
        Plan::Join { left, right, kind, on: Some(on), equi, lateral: false, schema }
            if equi.is_empty() =>
        {
            let lw = left.width();
            let total = lw + right.width();
            let mut parts = Vec::new();
            split(on.clone(), &mut parts);
            let mut pairs = Vec::new();
            let mut residual = Vec::new();
            let mut exact = 0;
            // Which input a key reads (besides the enclosing row): `Some(true)` left.
            let side = |e: &Expr| {
                let (mut l, mut r) = (false, false);
                e.walk(&mut |n| {
                    if let Expr::Column(i, _) = n {
                        l |= *i < lw;
                        r |= (lw..total).contains(i);
                    }
                });
                match (l, r) {
                    (true, false) => Some(true),
                    (false, true) => Some(false),
                    _ => None,
                }
            };
            for p in parts {
                if has_subquery(&p) {
                    residual.push(p);
                    continue;
                }
                let Expr::Binary { op: BinaryOp::Eq, left: a, right: b, .. } = &p else {
                    residual.push(p);
                    continue;
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
                // Each key is evaluated over its own input's row followed by the
                // enclosing row.
                let (mut l, mut r) = (l, r);
                shift_columns(&mut l, total, -((total - lw) as isize));
                shift_columns(&mut r, lw, -(lw as isize));
                pairs.push((l, r));
            }
            let mut kind = kind;
            if kind == JoinKind::NullAwareAnti {
                // Its `NOT IN` comparison is the last key, probed null-aware; it stays in
                // the condition, which alone tells NULL from a match. Without one the
                // join is an ordinary anti join on that condition.
                let null_aware = residual.iter().find_map(|p| match p {
                    Expr::IsBool { expr, value: Some(false), negated: true } => match &**expr {
                        Expr::Binary { op: BinaryOp::Eq, left: a, right: b, .. } => {
                            match (side(a), side(b)) {
                                (Some(true), Some(false)) => Some(((**a).clone(), (**b).clone())),
                                (Some(false), Some(true)) => Some(((**b).clone(), (**a).clone())),
                                _ => None,
                            }
                        }
                        _ => None,
                    },
                    _ => None,
                });
                match null_aware {
                    Some((mut l, mut r)) => {
                        shift_columns(&mut l, total, -((total - lw) as isize));
                        shift_columns(&mut r, lw, -(lw as isize));
                        pairs.push((l, r));
                    }
                    None => kind = JoinKind::Anti,
                }
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
pub(super) fn exact_key(l: &DataType, r: &DataType) -> bool {
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
