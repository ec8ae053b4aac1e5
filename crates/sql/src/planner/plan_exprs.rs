//! The expressions a plan node evaluates, each with the width of the row it is
//! evaluated on.
//!
//! The executor evaluates every expression over a local row followed by the enclosing
//! row (see [`crate::exec::ExecCtx::eval`]), so a column position at or past the local
//! width reads the enclosing query's row. Rewrites that move a plan to another place
//! (decorrelation) use these widths to tell local reads from outer ones.

use std::ops::Bound;

use super::{Access, KeyRange, Plan};
use crate::expr::Expr;

impl Plan {
    /// Calls `f` with every expression this node itself (not its inputs) evaluates and
    /// the width of the local row it is evaluated over.
    ///
    /// For a LATERAL join the right input additionally sees the left row in front of
    /// its enclosing row; callers walking inputs account for that themselves.
    pub fn for_each_expr(&self, f: &mut dyn FnMut(&Expr, usize)) {
        match self {
            Plan::Empty { .. }
            | Plan::CteScan { .. }
            | Plan::WorkTable { .. }
            | Plan::LockRows { .. }
            | Plan::SetOp { .. }
            | Plan::Append { .. }
            | Plan::RecursiveUnion { .. } => {}
            Plan::Values { rows, .. } => rows.iter().flatten().for_each(|e| f(e, 0)),
            Plan::Scan { access, filter, schema, .. } => {
                if let Some(e) = filter {
                    f(e, schema.len());
                }
                match access {
                    Access::Full => {}
                    Access::Primary(r) | Access::Index { range: r, .. } => range_exprs(r, f),
                    Access::Vector(v) => {
                        for e in [&v.query, &v.limit].into_iter().chain(&v.offset) {
                            f(e, 0);
                        }
                    }
                }
            }
            Plan::Filter { input, predicate } => f(predicate, input.width()),
            Plan::Project { input, exprs, .. } => {
                let w = input.width();
                exprs.iter().for_each(|e| f(e, w));
            }
            Plan::Aggregate { input, group_by, aggs, .. } => {
                let w = input.width();
                group_by.iter().for_each(|e| f(e, w));
                for c in aggs {
                    let order = c.order_by.iter().map(|s| &s.expr);
                    c.args.iter().chain(&c.filter).chain(order).for_each(|e| f(e, w));
                }
            }
            Plan::Window { input, calls, .. } => {
                let w = input.width();
                for c in calls {
                    let order = c.order_by.iter().map(|s| &s.expr);
                    let frame = c
                        .frame
                        .iter()
                        .flat_map(|fr| fr.start.offset().into_iter().chain(fr.end.offset()));
                    c.args
                        .iter()
                        .chain(&c.filter)
                        .chain(&c.partition_by)
                        .chain(order)
                        .chain(frame)
                        .for_each(|e| f(e, w));
                }
            }
            Plan::Join { left, right, on, equi, .. } => {
                let (lw, rw) = (left.width(), right.width());
                if let Some(e) = on {
                    f(e, lw + rw);
                }
                for (l, r) in equi {
                    f(l, lw);
                    f(r, rw);
                }
            }
            Plan::Sort { input, keys, .. } => {
                let w = input.width();
                keys.iter().for_each(|k| f(&k.expr, w));
            }
            Plan::Limit { limit, offset, .. } => limit.iter().chain(offset).for_each(|e| f(e, 0)),
            Plan::Distinct { input, on } => {
                let w = input.width();
                on.iter().flatten().for_each(|e| f(e, w));
            }
            Plan::TableFunction { func, .. } => func.args.iter().for_each(|e| f(e, 0)),
            Plan::Sequence { value, is_called, .. } => {
                value.iter().chain(is_called).for_each(|e| f(e, 0));
            }
        }
    }
}

fn range_exprs(r: &KeyRange, f: &mut dyn FnMut(&Expr, usize)) {
    for e in &r.eq {
        f(e, 0);
    }
    for b in [&r.lower, &r.upper] {
        if let Bound::Included(e) | Bound::Excluded(e) = b {
            f(e, 0);
        }
    }
}
