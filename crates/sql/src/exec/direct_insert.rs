//! The one-row INSERT of a load, without the generic executor.
//!
//! `INSERT INTO t VALUES ($1, $2, ...)`, prepared once and run once per row, is the
//! commonest write there is. When its values are the parameters themselves (or
//! constants) and the table asks nothing of a row beyond its types, NOT NULL and unique
//! keys (no triggers, CHECK or foreign-key constraints, generated columns, row-level
//! security, view check options, partitions, vector indexes, ON CONFLICT or RETURNING),
//! the row is taken straight from the parameters and written: no execution context,
//! expression evaluation or trigger bookkeeping. [`direct_row`] decides, and
//! [`insert_row`] writes; everything else goes through [`super::dml::execute_insert`]'s
//! general path, which this must agree with (the same checks, in the same order).

use std::borrow::Cow;
use std::cell::RefCell;

use helios_common::Result;
use helios_storage::Transaction;
use helios_types::{DataType, Value};

use super::dml::{
    check_not_null, fill_serials, fit_columns, unique_violation_in, DmlOutcome, WriteEnv,
};
use super::row_writer::{RowKey, RowWriter};
use crate::binder::BoundInsert;
use crate::catalog::Catalog;
use crate::expr::{has_type, Expr};
use crate::planner::Plan;

/// How a one-row INSERT's values come from its parameters, worked out once per bound
/// plan ([`BoundInsert::direct`]).
#[derive(Debug, Clone)]
pub enum RowSource {
    /// `VALUES ($1, ..., $n)` in column order; the columns' types.
    InOrder(Vec<DataType>),
    /// Each column from a parameter of the column's type, or a constant.
    Mapped(Vec<Source>),
    /// The INSERT qualifies only for the general path.
    General,
}

/// Where one column's value comes from (see [`RowSource::Mapped`]).
#[derive(Debug, Clone)]
pub enum Source {
    /// Parameter `$n + 1`, which must be of this type (or NULL).
    Param(usize, DataType),
    /// A constant.
    Const(Value),
}

/// The row `ins` inserts with `params` when it qualifies for [`insert_row`] (see the
/// module docs), given the table's CHECK constraints `checks`; `None` when it must run
/// the general way. `VALUES ($1, ..., $n)` in column order is the parameters
/// themselves, borrowed.
///
/// `declared` are the parameters' declared types when they were not converted to them
/// yet (a prepared statement's raw parameters; empty otherwise): every parameter must
/// then already be of its declared type, or the general path converts it.
pub fn direct_row<'p>(
    ins: &BoundInsert,
    checks: &[(String, Expr)],
    catalog: &Catalog,
    params: &'p [Value],
    declared: &[DataType],
) -> Option<Cow<'p, [Value]>> {
    if !checks.is_empty() || !catalog.triggers.is_empty() || params.len() < declared.len() {
        return None;
    }
    let fits = |v: &Value, ty: &DataType| v.is_null() || has_type(v, ty);
    match ins.direct.get_or_init(|| row_source(ins)) {
        // Each `$n` was bound with its declared type, which is then the column's (another
        // declared type would have bound as a cast, not `InOrder`): a value of the column's
        // type is of the declared one too.
        RowSource::InOrder(types) => (params.len() == types.len()
            && params.iter().zip(types).all(|(v, t)| fits(v, t)))
        .then_some(Cow::Borrowed(params)),
        RowSource::Mapped(sources) => {
            if !params.iter().zip(declared).all(|(v, d)| fits_type(v, d)) {
                return None;
            }
            let mut row = Vec::with_capacity(sources.len());
            for s in sources {
                row.push(match s {
                    Source::Param(i, ty) => params.get(*i).filter(|v| fits(v, ty))?.clone(),
                    Source::Const(v) => v.clone(),
                });
            }
            Some(Cow::Owned(row))
        }
        RowSource::General => None,
    }
}

/// Whether a parameter value is already of its declared type `ty` (NULL and `unknown`
/// always are).
#[inline]
pub fn fits_type(v: &Value, ty: &DataType) -> bool {
    v.is_null() || matches!(ty, DataType::Unknown) || has_type(v, ty)
}

/// Works out [`BoundInsert::direct`]: what the table and statement allow, and the shape
/// of the one `VALUES` row the source plan projects.
fn row_source(ins: &BoundInsert) -> RowSource {
    let table = ins.table.as_ref();
    let plain = ins.partition.is_none()
        && ins.on_conflict.is_none()
        && ins.returning.is_none()
        && ins.generated.is_empty()
        && ins.policy_check.is_none()
        && ins.view_checks.is_empty()
        && table.foreign_keys.is_empty()
        && table.indexes.iter().all(|i| i.vector.is_none());
    let shape = plain.then(|| sources(&ins.source.plan)).flatten();
    let Some(sources) = shape else { return RowSource::General };
    let in_order: Option<Vec<DataType>> = sources
        .iter()
        .enumerate()
        .map(|(at, s)| match s {
            Source::Param(i, ty) if *i == at => Some(ty.clone()),
            _ => None,
        })
        .collect();
    if let Some(types) = in_order {
        return RowSource::InOrder(types);
    }
    RowSource::Mapped(sources)
}

/// Each column's source in a one-row `VALUES` projected by `plan`, when every value is a
/// parameter or a constant of the column's type; `None` when anything needs evaluating.
fn sources(plan: &Plan) -> Option<Vec<Source>> {
    let Plan::Project { input, exprs, .. } = plan else { return None };
    let Plan::Values { rows, .. } = input.as_ref() else { return None };
    let [values] = rows.as_slice() else { return None };
    let source = |e: &Expr| match e {
        Expr::Param(i, ty) => Some(Source::Param(*i, ty.clone())),
        Expr::Literal(v, ty) if v.is_null() || has_type(v, ty) => Some(Source::Const(v.clone())),
        _ => None,
    };
    exprs
        .iter()
        .map(|e| match e {
            Expr::Column(c, ty) => match values.get(*c)? {
                e @ (Expr::Param(_, t) | Expr::Literal(_, t)) if t == ty => source(e),
                _ => None,
            },
            other => source(other),
        })
        .collect()
}

/// Inserts `row`, which [`direct_row`] gave for `ins`: one row, checked as the general
/// path checks it.
pub fn insert_row(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    ins: &BoundInsert,
    mut row: Cow<'_, [Value]>,
) -> Result<DmlOutcome> {
    super::check_cancel(env.cancel)?;
    let table = ins.table.as_ref();
    // The parameters themselves are the row unless a value must change.
    if ins.sequence_fill.iter().any(|(c, _)| row[*c].is_null()) {
        fill_serials(env, table, &ins.sequence_fill, row.to_mut())?;
    }
    if ins.layout.fits_values() {
        fit_columns(table, row.to_mut())?;
    }
    check_not_null(table, &row)?;
    let writer = RowWriter::new(table, &ins.layout)?;
    let rowid = (!writer.has_primary_key()).then(|| (env.rowid)());
    // One key buffer per thread, reused by every row.
    thread_local! {
        static KEY: RefCell<RowKey> = RefCell::new(RowKey::default());
    }
    KEY.with(|key| {
        let mut fresh = RowKey::default();
        let mut held = key.try_borrow_mut();
        let key = held.as_deref_mut().unwrap_or(&mut fresh);
        writer.row_key(key, &row, rowid)?;
        if let Some((index, _)) = writer.find_conflict(txn, &row, key)? {
            return Err(unique_violation_in(table, index, &row));
        }
        let put = writer.put(txn, key, &row);
        key.release_large();
        put
    })?;
    Ok(DmlOutcome { count: 1, returned: Vec::new() })
}

/// Runs `ins` directly when it qualifies; `None` leaves it to the general path.
pub(super) fn try_insert(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    ins: &BoundInsert,
) -> Result<Option<DmlOutcome>> {
    match direct_row(ins, env.checks, env.catalog, env.params, &[]) {
        Some(row) => insert_row(txn, env, ins, row).map(Some),
        None => Ok(None),
    }
}
