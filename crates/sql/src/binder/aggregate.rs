//! Aggregation and window planning: extracting aggregate and window calls from bound
//! expressions and rewriting the expressions to read the operator's output columns.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use crate::expr::{AggregateCall, Expr, WindowCall};
use crate::planner::rewrite::transform;
use crate::planner::Field;

/// Whether two calls are the same call. `==` is false for calls with a NaN constant
/// (NaN is not equal to itself), so the structure is compared too; otherwise such a
/// call would not find its own output column.
pub(super) fn same<T: PartialEq + std::fmt::Debug>(a: &T, b: &T) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// The aggregate calls one SELECT being bound received from its subqueries: calls
/// written in a subquery whose arguments read only this SELECT's columns (see
/// `BindScope::outer_aggregate`).
///
/// Above its aggregation such a SELECT's row is laid out as
///
/// ```text
/// FROM row | GROUPING markers | these calls | group keys | aggregates | set index
///          ^ base
/// ```
///
/// so a subquery reads call `k` at `base + k` of the row it is evaluated for.
#[derive(Debug)]
pub(super) struct OuterAggregates {
    /// The number of enclosing rows (`Binder::outer`) while the SELECT binds: the index
    /// of its own row in `outer` for its subqueries.
    pub level: usize,
    /// The clause being bound when aggregates are not allowed there (`"WHERE"`).
    pub clause: Option<&'static str>,
    /// Where the calls' values start in the SELECT's row above its aggregation.
    pub base: usize,
    /// The calls, bound over the SELECT's FROM row.
    pub calls: Vec<AggregateCall>,
}

impl OuterAggregates {
    /// The slot of `call`, added when new.
    pub fn slot(&mut self, call: AggregateCall) -> usize {
        match self.calls.iter().position(|c| same(c, &call)) {
            Some(k) => k,
            None => {
                self.calls.push(call);
                self.calls.len() - 1
            }
        }
    }
}

/// Adds `call` to `out` unless it is there already.
pub fn add_aggregate(out: &mut Vec<AggregateCall>, call: &AggregateCall) {
    if !out.iter().any(|c| same(c, call)) {
        out.push(call.clone());
    }
}

/// Collects the outermost aggregate calls of `e` (without duplicates).
pub fn collect_aggregates(e: &Expr, out: &mut Vec<AggregateCall>) {
    if let Expr::Aggregate(call) = e {
        add_aggregate(out, call);
        return;
    }
    for c in e.children() {
        collect_aggregates(c, out);
    }
}

/// Collects the outermost window calls of `e` (without duplicates).
pub fn collect_windows(e: &Expr, out: &mut Vec<WindowCall>) {
    if let Expr::Window(call) = e {
        if !out.iter().any(|c| same(c, call.as_ref())) {
            out.push((**call).clone());
        }
        return;
    }
    for c in e.children() {
        collect_windows(c, out);
    }
}

/// Rewrites an expression evaluated above an Aggregate (whose output is the input row,
/// the group keys, then the aggregates): group keys and aggregate calls become output
/// columns; input columns functionally dependent on the group keys (`dependent[i]`) read
/// the group's representative row; other input columns are an error (42803); outer
/// references are shifted to follow the aggregate's output row.
pub fn rewrite_after_aggregate(
    e: &mut Expr,
    group_by: &[Expr],
    aggs: &[AggregateCall],
    input: &[Field],
    dependent: &[bool],
    markers: &[Expr],
    out_width: usize,
) -> Result<()> {
    let mut err: Option<Error> = None;
    let in_width = input.len();
    let local_width = in_width + markers.len();
    transform(e, &mut |node| {
        if let Some(k) = group_by.iter().position(|g| g == node) {
            return Some(Expr::Column(in_width + k, node.data_type()));
        }
        match node {
            Expr::Aggregate(call) => {
                let j = aggs.iter().position(|a| same(a, call.as_ref())).unwrap_or(0);
                Some(Expr::Column(in_width + group_by.len() + j, call.ty.clone()))
            }
            Expr::Column(i, ty) if *i < in_width && dependent.get(*i) == Some(&true) => {
                Some(Expr::Column(*i, ty.clone()))
            }
            Expr::Column(i, ty) if *i < in_width => {
                if err.is_none() {
                    let f = &input[*i];
                    let name = match &f.qualifier {
                        Some(q) => format!("{q}.{}", f.name),
                        None => f.name.clone(),
                    };
                    err = Some(Error::new(
                        SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                        format!("column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"),
                    ));
                }
                Some(Expr::Column(*i, ty.clone()))
            }
            Expr::Column(i, _) if *i < local_width => Some(markers[*i - in_width].clone()),
            Expr::Column(i, ty) => Some(Expr::Column(*i - local_width + out_width, ty.clone())),
            _ => None,
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Rewrites an expression evaluated above a Window operator: window calls become the
/// columns appended after the `in_width` input columns; outer references shift.
pub fn rewrite_after_window(e: &mut Expr, calls: &[WindowCall], in_width: usize) {
    transform(e, &mut |node| match node {
        Expr::Window(call) => {
            let j = calls.iter().position(|c| same(c, call.as_ref())).unwrap_or(0);
            Some(Expr::Column(in_width + j, call.ty.clone()))
        }
        Expr::Column(i, ty) if *i >= in_width => Some(Expr::Column(*i + calls.len(), ty.clone())),
        _ => None,
    });
}

/// Expands one GROUP BY element into its grouping sets, as lists of expressions.
pub fn expand_grouping(e: &ast::Expr) -> Option<Vec<Vec<ast::Expr>>> {
    match e {
        ast::Expr::Rollup(lists) => {
            let mut sets = Vec::new();
            for n in (0..=lists.len()).rev() {
                sets.push(lists[..n].iter().flatten().cloned().collect());
            }
            Some(sets)
        }
        ast::Expr::Cube(lists) => {
            let n = lists.len();
            let mut sets = Vec::new();
            for mask in (0..(1u32 << n)).rev() {
                let set: Vec<ast::Expr> = (0..n)
                    .filter(|i| mask & (1 << (n - 1 - i)) != 0)
                    .flat_map(|i| lists[i].iter().cloned())
                    .collect();
                sets.push(set);
            }
            Some(sets)
        }
        ast::Expr::GroupingSets(lists) => Some(lists.clone()),
        _ => None,
    }
}
