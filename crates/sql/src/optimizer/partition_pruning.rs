//! Partition pruning: a scan of a partition whose filter (after predicate pushdown)
//! cannot hold for any row its bound admits is dropped from its `Append` (or, alone,
//! becomes an empty scan), so EXPLAIN does not show it and it is never read.
//!
//! Only conjuncts comparing a partition key column with a constant count: `=`, `<`,
//! `<=`, `>`, `>=` (BETWEEN binds to two of them) and `IN (...)`. Parameters are not
//! constants here, so a prepared statement's plan keeps every partition and stays
//! correct for any parameter value. Pruning is conservative: a partition is kept
//! whenever the conditions are not understood.

use std::cmp::Ordering;

use helios_types::Value;

use super::conjuncts::split;
use crate::binder::partition::{self as part, BoundLevel, Datum, TypedBound};
use crate::catalog::Catalog;
use crate::expr::{BinaryOp, Expr, SessionInfo};
use crate::planner::Plan;

/// Prunes the partition scans of `plan` (a no-op for a catalog without partitions).
pub fn apply(plan: Plan, catalog: &Catalog) -> Plan {
    if catalog.partitions.is_empty() {
        return plan;
    }
    let info = SessionInfo::default();
    prune(plan, catalog, &info)
}

fn prune(plan: Plan, catalog: &Catalog, info: &SessionInfo) -> Plan {
    // An Append drops its pruned inputs before they could turn into empty scans.
    let plan = match plan {
        Plan::Append { inputs, schema } => {
            let inputs: Vec<Plan> =
                inputs.into_iter().filter(|p| !excluded(p, catalog, info)).collect();
            if inputs.is_empty() {
                return Plan::Values { rows: Vec::new(), schema };
            }
            Plan::Append { inputs, schema }
        }
        other => other,
    };
    let plan = super::map_inputs(plan, &mut |p| prune(p, catalog, info));
    match plan {
        scan @ Plan::Scan { .. } if excluded(&scan, catalog, info) => {
            Plan::Values { rows: Vec::new(), schema: scan.schema() }
        }
        other => other,
    }
}

/// Whether `plan` is a scan of a partition that its filter rules out entirely.
fn excluded(plan: &Plan, catalog: &Catalog, info: &SessionInfo) -> bool {
    // A scan may sit under the projection adding `tableoid`.
    let plan = match plan {
        Plan::Project { input, .. } => input.as_ref(),
        other => other,
    };
    let Plan::Scan { table, filter: Some(filter), .. } = plan else { return false };
    // A time-travel scan may read a partition whose bound was another then.
    if table.time_travel.is_some() || catalog.partition_parent(table.id).is_none() {
        return false;
    }
    let Ok(Some(check)) = part::partition_check(catalog, info, table.id) else { return false };
    let mut conds = Vec::new();
    split(filter.clone(), &mut conds);
    let facts = Facts::from_conjuncts(&conds);
    if facts.is_empty() {
        return false;
    }
    check.levels.iter().any(|level| !level_possible(level, &facts))
}

/// What the conjuncts say about single columns.
#[derive(Default)]
struct Facts {
    /// (column, operator, constant); `Eq` also stands for each IN value alternative.
    cmps: Vec<(usize, BinaryOp, Value)>,
    /// (column, allowed values) from `IN` lists.
    sets: Vec<(usize, Vec<Value>)>,
}

impl Facts {
    fn is_empty(&self) -> bool {
        self.cmps.is_empty() && self.sets.is_empty()
    }

    fn from_conjuncts(conds: &[Expr]) -> Facts {
        let mut f = Facts::default();
        for c in conds {
            match c {
                Expr::Binary { op, left, right, .. } if is_cmp(*op) => {
                    if let (Some(col), Some(v)) = (column_of(left), constant(right)) {
                        f.cmps.push((col, *op, v));
                    } else if let (Some(v), Some(col)) = (constant(left), column_of(right)) {
                        f.cmps.push((col, flip(*op), v));
                    }
                }
                Expr::InList { expr, list, negated: false } => {
                    if let Some(col) = column_of(expr) {
                        let vals: Option<Vec<Value>> = list.iter().map(constant).collect();
                        if let Some(vals) = vals {
                            f.sets.push((col, vals.into_iter().filter(|v| !v.is_null()).collect()));
                        }
                    }
                }
                _ => {}
            }
        }
        f
    }

    /// Whether `v` meets every fact about column `col`.
    fn admits(&self, col: usize, v: &Value) -> bool {
        self.cmps.iter().filter(|(c, _, _)| *c == col).all(|(_, op, k)| match v.pg_cmp(k) {
            None => false,
            Some(o) => op_holds(*op, o),
        }) && self
            .sets
            .iter()
            .filter(|(c, _)| *c == col)
            .all(|(_, vals)| vals.iter().any(|k| v.pg_eq(k)))
    }

    fn constrains(&self, col: usize) -> bool {
        self.cmps.iter().any(|(c, _, _)| *c == col) || self.sets.iter().any(|(c, _)| *c == col)
    }

    /// The finite set of values column `col` may take, when equalities pin it.
    fn points(&self, col: usize) -> Option<Vec<Value>> {
        let mut cands: Option<Vec<Value>> = None;
        for (c, op, k) in &self.cmps {
            if *c == col && *op == BinaryOp::Eq {
                cands = Some(vec![k.clone()]);
            }
        }
        if cands.is_none() {
            cands = self.sets.iter().find(|(c, _)| *c == col).map(|(_, v)| v.clone());
        }
        cands.map(|vs| vs.into_iter().filter(|v| self.admits(col, v)).collect())
    }

    /// Whether some value in `[lo, hi]` (inclusive ends, `None` unbounded) meets the
    /// facts about `col`.
    fn interval_possible(
        &self,
        col: usize,
        lo: Option<&Value>,
        hi: Option<&Value>,
        hi_incl: bool,
    ) -> bool {
        let inside = |v: &Value| {
            lo.is_none_or(|l| v.pg_cmp(l).is_some_and(|o| o.is_ge()))
                && hi.is_none_or(|h| {
                    v.pg_cmp(h).is_some_and(|o| if hi_incl { o.is_le() } else { o.is_lt() })
                })
        };
        if let Some(points) = self.points(col) {
            return points.iter().any(inside);
        }
        // Only range facts: intersect them with the interval.
        for (c, op, k) in &self.cmps {
            if *c != col {
                continue;
            }
            let ok = match op {
                // The facts want values below k: the interval must start below it.
                BinaryOp::Lt => lo.is_none_or(|l| l.pg_cmp(k).is_some_and(|o| o.is_lt())),
                BinaryOp::LtEq => lo.is_none_or(|l| l.pg_cmp(k).is_some_and(|o| o.is_le())),
                BinaryOp::Gt => hi.is_none_or(|h| h.pg_cmp(k).is_some_and(|o| o.is_gt())),
                BinaryOp::GtEq => hi.is_none_or(|h| {
                    h.pg_cmp(k).is_some_and(|o| if hi_incl { o.is_ge() } else { o.is_gt() })
                }),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

fn level_possible(level: &BoundLevel, facts: &Facts) -> bool {
    let cols = &level.key.columns;
    match &level.bound {
        TypedBound::Range { lo, hi } => {
            let Some(Some(c0)) = cols.first() else { return true };
            if !facts.constrains(*c0) {
                return true;
            }
            let lo0 = match lo.first() {
                Some(Datum::Val(v)) => Some(v),
                Some(Datum::Max) => return false,
                _ => None,
            };
            let (hi0, hi_incl) = match hi.first() {
                Some(Datum::Val(v)) => {
                    // With more key columns, rows equal to the upper bound's first value
                    // may still be inside (unless everything after it is MINVALUE).
                    let incl = hi.len() > 1 && !matches!(hi.get(1), Some(Datum::Min));
                    (Some(v), incl)
                }
                Some(Datum::Min) => return false,
                _ => (None, true),
            };
            facts.interval_possible(*c0, lo0, hi0, hi_incl)
        }
        TypedBound::List { values, .. } => {
            let Some(Some(c)) = cols.first() else { return true };
            if !facts.constrains(*c) {
                return true;
            }
            // Any comparison rules NULL out, so only the listed values count.
            values.iter().any(|v| facts.admits(*c, v))
        }
        TypedBound::Hash { .. } => {
            let mut key = Vec::new();
            for c in cols {
                let Some(c) = c else { return true };
                match facts.points(*c) {
                    Some(p) if p.len() == 1 => key.push(p[0].clone()),
                    Some(p) if p.is_empty() => return false,
                    _ => return true,
                }
            }
            let key: Vec<Value> = key
                .into_iter()
                .zip(&level.key.types)
                .map(|(v, ty)| v.cast(ty).unwrap_or(v))
                .collect();
            level.bound.contains(&key)
        }
        TypedBound::Default => {
            // Pruned only when the key is pinned to values the siblings all take.
            let [Some(c)] = cols.as_slice() else { return true };
            match facts.points(*c) {
                Some(points) => points
                    .iter()
                    .any(|v| !level.siblings.iter().any(|s| s.contains(std::slice::from_ref(v)))),
                None => true,
            }
        }
    }
}

fn is_cmp(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Eq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq)
}

fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

fn op_holds(op: BinaryOp, o: Ordering) -> bool {
    match op {
        BinaryOp::Eq => o.is_eq(),
        BinaryOp::Lt => o.is_lt(),
        BinaryOp::LtEq => o.is_le(),
        BinaryOp::Gt => o.is_gt(),
        BinaryOp::GtEq => o.is_ge(),
        _ => true,
    }
}

/// The column an operand reads, directly or through an implicit cast.
fn column_of(e: &Expr) -> Option<usize> {
    match e {
        Expr::Column(i, _) => Some(*i),
        Expr::Cast { expr, explicit: false, .. } => match expr.as_ref() {
            Expr::Column(i, _) => Some(*i),
            _ => None,
        },
        _ => None,
    }
}

/// A constant operand's value (a literal, or a cast of one).
fn constant(e: &Expr) -> Option<Value> {
    match e {
        Expr::Literal(v, _) => Some(v.clone()),
        Expr::Cast { expr, to, .. } => match expr.as_ref() {
            Expr::Literal(v, _) => v.cast(to).ok(),
            _ => None,
        },
        _ => None,
    }
}
