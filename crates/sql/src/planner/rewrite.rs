//! Rewriting bound expressions in place: the planner replaces aggregate calls, window
//! calls and group keys with columns of the operator below, and shifts column indexes
//! when rows are laid out differently.

use crate::expr::{Expr, SubqueryTest};

/// The direct children of a node, mutably (the same children as `Expr::children`).
pub fn children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    let mut out: Vec<&mut Expr> = Vec::new();
    match e {
        Expr::Literal(..) | Expr::Column(..) | Expr::Param(..) | Expr::CaseOperand(_) => {}
        Expr::Cast { expr, .. }
        | Expr::DomainCheck { expr, .. }
        | Expr::Unary { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::Field { expr, .. }
        | Expr::IsBool { expr, .. } => out.push(expr),
        Expr::Binary { left, right, .. }
        | Expr::IsDistinct { left, right, .. }
        | Expr::AnyAll { left, right, .. } => {
            out.push(left);
            out.push(right);
        }
        Expr::UserCall(call) => out.extend(call.args.iter_mut()),
        Expr::Function { args, .. }
        | Expr::Coalesce(args, _)
        | Expr::MinMax { args, .. }
        | Expr::Array { elements: args, .. }
        | Expr::Row(args) => out.extend(args.iter_mut()),
        Expr::Case { operand, whens, else_result, .. } => {
            if let Some(o) = operand.as_deref_mut() {
                out.push(o);
            }
            for (w, t) in whens.iter_mut() {
                out.push(w);
                out.push(t);
            }
            if let Some(x) = else_result.as_deref_mut() {
                out.push(x);
            }
        }
        Expr::NullIf { left, eq, .. } => {
            out.push(left);
            out.push(eq);
        }
        Expr::InList { expr, list, .. } => {
            out.push(expr);
            out.extend(list.iter_mut());
        }
        Expr::Like { expr, pattern, escape, .. }
        | Expr::SimilarTo { expr, pattern, escape, .. } => {
            out.push(expr);
            out.push(pattern);
            if let Some(x) = escape.as_deref_mut() {
                out.push(x);
            }
        }
        Expr::Subscript { expr, indexes, .. } => {
            out.push(expr);
            out.extend(indexes.iter_mut());
        }
        Expr::Slice { expr, bounds, .. } => {
            out.push(expr);
            for (l, u) in bounds {
                out.extend(l.as_mut());
                out.extend(u.as_mut());
            }
        }
        Expr::RowCompare { left, right, .. } => {
            out.extend(left.iter_mut());
            out.extend(right.iter_mut());
        }
        Expr::Subquery { kind, .. } => match kind {
            SubqueryTest::Quantified { lhs: keys, .. } | SubqueryTest::ExistsKeys { keys, .. } => {
                out.extend(keys.iter_mut());
            }
            _ => {}
        },
        Expr::Aggregate(call) => {
            out.extend(call.args.iter_mut());
            if let Some(f) = call.filter.as_mut() {
                out.push(f);
            }
            out.extend(call.order_by.iter_mut().map(|s| &mut s.expr));
        }
        Expr::Window(call) => {
            out.extend(call.args.iter_mut());
            if let Some(f) = call.filter.as_mut() {
                out.push(f);
            }
            out.extend(call.partition_by.iter_mut());
            out.extend(call.order_by.iter_mut().map(|s| &mut s.expr));
            if let Some(f) = call.frame.as_mut() {
                out.extend(f.start.offset_mut());
                out.extend(f.end.offset_mut());
            }
        }
    }
    out
}

/// Pre-order rewrite: where `f` returns a replacement the node is replaced and its
/// children are not visited; otherwise the children are visited.
pub fn transform(e: &mut Expr, f: &mut dyn FnMut(&Expr) -> Option<Expr>) {
    if let Some(new) = f(e) {
        *e = new;
        return;
    }
    for child in children_mut(e) {
        transform(child, f);
    }
}

/// Adds `delta` to every column index at or above `from`.
pub fn shift_columns(e: &mut Expr, from: usize, delta: isize) {
    transform(e, &mut |node| match node {
        Expr::Column(i, ty) if *i >= from => {
            Some(Expr::Column((*i as isize + delta) as usize, ty.clone()))
        }
        _ => None,
    });
}

/// Whether the expression reads any column at or above `from` (outer references when
/// `from` is the width of the local row).
pub fn uses_columns_from(e: &Expr, from: usize) -> bool {
    let mut found = false;
    e.walk(&mut |n| {
        if let Expr::Column(i, _) = n {
            found |= *i >= from;
        }
    });
    found
}

/// Whether the expression reads any column below `to`.
pub fn uses_columns_below(e: &Expr, to: usize) -> bool {
    let mut found = false;
    e.walk(&mut |n| {
        if let Expr::Column(i, _) = n {
            found |= *i < to;
        }
    });
    found
}
