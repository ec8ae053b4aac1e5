//! Splitting and joining AND-ed conditions, and facts about which columns an
//! expression reads.

use helios_types::DataType;

use crate::expr::{BinaryOp, Expr};

/// The AND-ed parts of a condition.
pub fn split(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Binary { op: BinaryOp::And, left, right, .. } => {
            split(*left, out);
            split(*right, out);
        }
        other => out.push(other),
    }
}

/// The AND of conditions (`None` for none).
pub fn join(parts: Vec<Expr>) -> Option<Expr> {
    parts.into_iter().reduce(|a, b| Expr::Binary {
        op: BinaryOp::And,
        left: Box::new(a),
        right: Box::new(b),
        ty: DataType::Bool,
    })
}

/// The smallest and largest column index read (`None` when no column is read).
pub fn column_span(e: &Expr) -> Option<(usize, usize)> {
    let mut span: Option<(usize, usize)> = None;
    e.walk(&mut |n| {
        if let Expr::Column(i, _) = n {
            span = Some(match span {
                None => (*i, *i),
                Some((a, b)) => (a.min(*i), b.max(*i)),
            });
        }
    });
    span
}

/// Whether the expression contains a subquery (which sees the row it is evaluated on,
/// so it must not move to another row layout).
pub fn has_subquery(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |n| found |= matches!(n, Expr::Subquery { .. }));
    found
}

/// Whether the expression can be evaluated without a row: constants and parameters.
pub fn is_row_free(e: &Expr) -> bool {
    column_span(e).is_none()
        && !has_subquery(e)
        && !e.contains_aggregate()
        && !e.contains_window()
        && {
            let mut volatile = false;
            e.walk(&mut |n| {
                if let Expr::Function { func, .. } = n {
                    volatile |= func.volatile;
                }
            });
            !volatile
        }
}
