//! Index selection: a scan's conjuncts `col = const`, `col < const`, ... on the leading
//! columns of the primary key or a secondary index become a key range; so do
//! comparisons of an expression index's expressions (`lower(email) = $1`). A partial
//! index is considered only when the scan's conjuncts imply its predicate
//! ([`implies`]). A secondary
//! index scan keeps its whole filter, so the range only narrows what is read (index
//! columns may be NULL, which an open range includes). A primary-key range is exact
//! (key columns are never NULL and the compared values have the column's type), so the
//! conjuncts it was built from leave the filter.
//!
//! Inside a correlated subquery, a condition comparing a column with the enclosing row
//! (`i.unique1 = o.unique1`, kept in a filter above the scan) also gives a key range:
//! its value is read from the enclosing row each time the subquery runs, so the
//! subquery probes the index instead of reading the whole table per outer row. The
//! filter stays in place.

use std::ops::Bound;

use super::conjuncts::{column_span, has_subquery, is_row_free, join, split};
use super::map_inputs;
use helios_types::DataType;

use crate::planner::rewrite::shift_columns;

use crate::catalog::index_exprs::{implies, BoundIndex};
use crate::catalog::{IndexDef, TableDef};
use crate::expr::{BinaryOp, Expr};
use crate::planner::{Access, KeyRange, Plan};

/// Applies the rule bottom-up.
pub fn apply(plan: Plan) -> Plan {
    let plan = map_inputs(plan, &mut apply);
    match plan {
        Plan::Scan {
            table,
            access: Access::Full,
            filter: Some(filter),
            with_key,
            needed,
            schema,
        } => {
            let (access, filter) = match choose(&table, &filter, None) {
                Some((access @ Access::Primary(_), used)) => {
                    let mut parts = Vec::new();
                    split(filter, &mut parts);
                    let rest = parts
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| !used.contains(i))
                        .map(|(_, p)| p)
                        .collect();
                    (access, join(rest))
                }
                Some((access, _)) => (access, Some(filter)),
                None => (Access::Full, Some(filter)),
            };
            Plan::Scan { table, access, filter, with_key, needed, schema }
        }
        Plan::Filter { input, predicate } => match *input {
            Plan::Scan { table, access: Access::Full, filter, with_key, needed, schema }
                if table.time_travel.is_none() =>
            {
                let access = choose(&table, &predicate, Some(schema.len()))
                    .map_or(Access::Full, |(access, _)| access);
                let scan = Plan::Scan { table, access, filter, with_key, needed, schema };
                Plan::Filter { input: Box::new(scan), predicate }
            }
            input => Plan::Filter { input: Box::new(input), predicate },
        },
        other => other,
    }
}

/// Whether `v` reads only the enclosing row (columns at or above `width`), with
/// nothing that depends on the scanned row or may change between evaluations.
fn outer_only(v: &Expr, width: usize) -> bool {
    column_span(v).is_some_and(|(lo, _)| lo >= width)
        && !has_subquery(v)
        && !v.contains_aggregate()
        && !v.contains_window()
        && {
            let mut volatile = false;
            v.walk(&mut |n| {
                if let Expr::Function { func, .. } = n {
                    volatile |= func.volatile;
                }
            });
            !volatile
        }
}

/// A comparison of a key (a column or an expression over the scanned row) with a
/// row-free value of the same type: (key, op, value). With `outer` (the width of the
/// scanned row), values read from the enclosing row also count; they come back
/// rewritten to index that row alone.
fn comparison(e: &Expr, outer: Option<usize>) -> Option<(Expr, BinaryOp, Expr)> {
    let Expr::Binary { op, left, right, .. } = e else { return None };
    if !matches!(op, BinaryOp::Eq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq) {
        return None;
    }
    let value = |v: &Expr, t: &DataType| -> Option<Expr> {
        if v.data_type() != *t {
            return None;
        }
        match outer {
            None => is_row_free(v).then(|| v.clone()),
            Some(width) => outer_only(v, width).then(|| {
                let mut v = v.clone();
                shift_columns(&mut v, width, -(width as isize));
                v
            }),
        }
    };
    // A key reads the scanned row only (an index key expression never holds anything
    // else, so an equal expression cannot either).
    let key = |k: &Expr| column_span(k).is_some_and(|(_, hi)| outer.is_none_or(|w| hi < w));
    match (left.as_ref(), right.as_ref()) {
        (k, v) if key(k) => value(v, &k.data_type()).map(|v| (k.clone(), *op, v)),
        (v, k) if key(k) => value(v, &k.data_type()).map(|v| (k.clone(), op.commuted(), v)),
        _ => None,
    }
}

/// The key range implied by `col << net`, `col <<= net` (or `net >> col`, `net >>= col`)
/// with a row-free `net`: `col > network(net)` (`>=` for `<<=`) and `col <=` the
/// network's last host address, PostgreSQL's `network_subset_support` rewrite.
fn subnet_range(e: &Expr) -> Vec<(Expr, BinaryOp, Expr)> {
    let Expr::Function { func, args, .. } = e else { return Vec::new() };
    let (key, net, strict) = match (func.name, args.as_slice()) {
        ("network_sub", [k, n]) => (k, n, true),
        ("network_subeq", [k, n]) => (k, n, false),
        ("network_sup", [n, k]) => (k, n, true),
        ("network_supeq", [n, k]) => (k, n, false),
        _ => return Vec::new(),
    };
    // The key may sit under the implicit `cidr` to `inet` cast.
    let key = match key {
        Expr::Cast { expr, to: DataType::Inet, .. } if expr.data_type() == DataType::Cidr => {
            expr.as_ref()
        }
        k => k,
    };
    if column_span(key).is_none() || !is_row_free(net) {
        return Vec::new();
    }
    let ty = key.data_type();
    let bound = |first: bool| Expr::Function {
        func: crate::functions::inet::subnet_bound_function(first),
        args: vec![net.clone()],
        ty: ty.clone(),
    };
    let low = if strict { BinaryOp::Gt } else { BinaryOp::GtEq };
    vec![(key.clone(), low, bound(true)), (key.clone(), BinaryOp::LtEq, bound(false))]
}

/// A comparison usable for a key range and the position of its conjunct.
type Comparison = (usize, (Expr, BinaryOp, Expr));

/// Whether the comparison key `k` is key position `at` of `index` (`bound` holds the
/// key expressions of an index that has some).
fn is_key(index: &IndexDef, bound: Option<&BoundIndex>, at: usize, k: &Expr) -> bool {
    match bound.and_then(|b| b.keys.get(at)).and_then(Option::as_ref) {
        Some(e) => e == k,
        None => matches!(k, Expr::Column(i, _) if Some(i) == index.columns.get(at)),
    }
}

/// The key range `index` gets from the comparisons, its score, and the positions of the
/// conjuncts it was built from.
fn range_for(
    index: &IndexDef,
    bound: Option<&BoundIndex>,
    comps: &[Comparison],
) -> Option<(usize, KeyRange, Vec<usize>)> {
    let mut eq = Vec::new();
    let mut used = Vec::new();
    for at in 0..index.columns.len() {
        match comps
            .iter()
            .find(|(_, (k, op, _))| *op == BinaryOp::Eq && is_key(index, bound, at, k))
        {
            Some((pos, (_, _, v))) => {
                eq.push(v.clone());
                used.push(*pos);
            }
            None => break,
        }
    }
    if index.hash && eq.len() < index.columns.len() {
        // A hash index finds equal keys only.
        return None;
    }
    let mut lower = Bound::Unbounded;
    let mut upper = Bound::Unbounded;
    let (mut lower_at, mut upper_at) = (None, None);
    let mut score = eq.len() * 2;
    if eq.len() < index.columns.len() {
        let next = eq.len();
        for (at, (k, op, v)) in comps {
            if !is_key(index, bound, next, k) {
                continue;
            }
            match op {
                BinaryOp::Gt => (lower, lower_at) = (Bound::Excluded(v.clone()), Some(*at)),
                BinaryOp::GtEq => (lower, lower_at) = (Bound::Included(v.clone()), Some(*at)),
                BinaryOp::Lt => (upper, upper_at) = (Bound::Excluded(v.clone()), Some(*at)),
                BinaryOp::LtEq => (upper, upper_at) = (Bound::Included(v.clone()), Some(*at)),
                _ => {}
            }
        }
        used.extend(lower_at);
        used.extend(upper_at);
        if !matches!(lower, Bound::Unbounded) {
            score += 1;
        }
        if !matches!(upper, Bound::Unbounded) {
            score += 1;
        }
    }
    if score == 0 {
        return None;
    }
    // A full-key equality on a unique index beats everything.
    if eq.len() == index.columns.len() && index.unique {
        score += 100;
    }
    Some((score, KeyRange { eq, lower, upper }, used))
}

/// The best access path for a filter, with the positions of the conjuncts its key
/// range was built from; with `outer`, from its comparisons with the enclosing row
/// (see [`comparison`]). An expression index matches comparisons of its expressions; a
/// partial index is a candidate only when the filter implies its predicate.
fn choose(table: &TableDef, filter: &Expr, outer: Option<usize>) -> Option<(Access, Vec<usize>)> {
    let mut parts = Vec::new();
    split(filter.clone(), &mut parts);
    let mut comps: Vec<Comparison> = parts
        .iter()
        .enumerate()
        .filter_map(|(i, p)| comparison(p, outer).map(|c| (i, c)))
        .collect();
    if outer.is_none() {
        // Derived bounds stand for no conjunct (`usize::MAX`): the containment test
        // stays in the filter.
        for p in &parts {
            comps.extend(subnet_range(p).into_iter().map(|c| (usize::MAX, c)));
        }
    }
    if comps.is_empty() {
        return None;
    }
    let mut best: Option<(usize, Access, Vec<usize>)> = None;
    for index in &table.indexes {
        let bound = if index.is_plain() {
            None
        } else {
            // An index whose expressions do not bind is left to the writers to report.
            let Ok(b) = index.bound(table) else { continue };
            if b.predicate.as_ref().is_some_and(|p| !implies(&parts, p)) {
                continue;
            }
            Some(b)
        };
        if let Some((score, range, used)) = range_for(index, bound.as_deref(), &comps) {
            // Prefer the primary key on ties (it reads rows directly), then a partial
            // index (it is smaller).
            let score =
                score * 4 + 2 * usize::from(index.predicate.is_some()) + usize::from(index.primary);
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                let access = if index.primary {
                    Access::Primary(range)
                } else {
                    Access::Index { index: index.id, range }
                };
                // Only conjuncts whose key encoding orders exactly like the comparison
                // may leave the filter.
                let exact = used
                    .into_iter()
                    .filter(|at| {
                        comps.iter().any(|(i, (_, _, v))| i == at && exact_key_type(&v.data_type()))
                    })
                    .collect();
                best = Some((score, access, exact));
            }
        }
    }
    best.map(|(_, a, used)| (a, used))
}

/// Types whose key encoding is equal exactly for equal values and ordered like `pg_cmp`
/// (floats have -0 and NaN, numerics scales, intervals and char several spellings of
/// one value: their conjuncts stay in the filter).
fn exact_key_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Bool
            | DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Text
            | DataType::Varchar(_)
            | DataType::Bytea
            | DataType::Date
            | DataType::Time
            | DataType::TimeTz
            | DataType::Timestamp
            | DataType::TimestampTz
            | DataType::Uuid
            | DataType::Inet
            | DataType::Cidr
            | DataType::MacAddr
    )
}
