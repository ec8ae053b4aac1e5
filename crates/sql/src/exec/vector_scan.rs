//! The k-nearest-neighbour scan through an HNSW index ([`Access::Vector`]).
//!
//! The query vector, `LIMIT` and `OFFSET` are evaluated, the graph is searched with a
//! filter that accepts only rows visible to the statement's transaction that pass the
//! scan's filter (see [`super::vector_index`]), and the found rows are returned nearest
//! first. When the graph cannot serve the statement's snapshot (time travel before the
//! graph was loaded), every visible row passing the filter is returned instead and the
//! sort above the scan picks the nearest: the exact answer, just slower.
//!
//! [`Access::Vector`]: crate::planner::Access::Vector

use std::ops::Bound;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use super::context::ExecCtx;
use super::table_io;
use crate::catalog::TableDef;
use crate::expr::Expr;
use crate::planner::VectorAccess;

/// The rows (primary key bytes, values) the scan returns.
pub fn scan(
    ctx: &ExecCtx<'_>,
    table: &TableDef,
    access: &VectorAccess,
    filter: Option<&Expr>,
    outer: &[Value],
) -> Result<Vec<(Vec<u8>, Vec<Value>)>> {
    scan_in(ctx, ctx, table, access, filter, outer)
}

/// [`scan`] reading rows through `read`'s transaction while evaluating the query vector,
/// `LIMIT`, `OFFSET` and the filter in `eval` (an `AS OF` scan reads the past but
/// evaluates its expressions, subqueries included, in the statement's own context). The
/// filter must go into the search: applied after it, a search that stopped at `k`
/// nearest rows would return fewer than `k` rows passing the filter.
pub fn scan_in(
    read: &ExecCtx<'_>,
    eval: &ExecCtx<'_>,
    table: &TableDef,
    access: &VectorAccess,
    filter: Option<&Expr>,
    outer: &[Value],
) -> Result<Vec<(Vec<u8>, Vec<Value>)>> {
    let ctx = read;
    let index = table
        .indexes
        .iter()
        .find(|i| i.id == access.index)
        .ok_or_else(|| Error::internal("vector index vanished from table"))?;
    let count = |e: &Expr| -> Result<Option<usize>> {
        match eval.eval(e, &[], outer)?.cast(&DataType::Int8)? {
            Value::Null => Ok(None),
            Value::Int8(n) if n >= 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
            _ => Ok(Some(0)),
        }
    };
    let limit = count(&access.limit)?;
    let offset = match &access.offset {
        Some(o) => count(o)?.unwrap_or(0),
        None => 0,
    };
    let accept = |row: &[Value]| -> Result<bool> {
        match filter {
            Some(f) => eval.eval_true(f, row, outer),
            None => Ok(true),
        }
    };
    let search_filter = filter.is_some().then_some(&accept as &super::vector_index::RowFilter<'_>);
    let query = eval.eval(&access.query, &[], outer)?;
    let query = match query {
        Value::Null => return Ok(Vec::new()),
        Value::Vector(v) => v,
        other => match other.cast(&DataType::Vector(None))? {
            Value::Vector(v) => v,
            _ => return Err(Error::internal("vector scan query is not a vector")),
        },
    };
    if let (Some(k), Some(vectors)) = (limit, ctx.session.vectors.0.as_ref()) {
        let k = k.saturating_add(offset);
        if k == 0 {
            return Ok(Vec::new());
        }
        let ef = ef_search(ctx)?;
        let rerank = ctx
            .session
            .settings
            .get("helios.hnsw_rerank")
            .and_then(|t| t.trim().parse::<usize>().ok())
            .filter(|&n| n > 0);
        let knn = super::vector_index::Knn { query: &query, k, ef_search: ef, rerank };
        if let Some(hits) =
            super::vector_index::search(vectors, ctx.txn, table, index, &knn, search_filter)?
        {
            return Ok(hits);
        }
    }
    // Exact path: every visible row with a vector passing the filter.
    let col = index.columns.first().copied().unwrap_or(0);
    let mut out = Vec::new();
    table_io::scan_rows(ctx.txn, table, (Bound::Unbounded, Bound::Unbounded), |pk, row| {
        if row.get(col).is_none_or(Value::is_null) || !accept(&row)? {
            return Ok(true);
        }
        out.push((pk, row));
        Ok(true)
    })?;
    Ok(out)
}

/// `SET hnsw.ef_search`: 1..=1000 like pgvector; unset means the index default (40).
fn ef_search(ctx: &ExecCtx<'_>) -> Result<Option<usize>> {
    let Some(text) = ctx.session.settings.get("hnsw.ef_search") else { return Ok(None) };
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(Some(usize::try_from(n).unwrap_or(40))),
        Ok(n) => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("{n} is outside the valid range for parameter \"hnsw.ef_search\" (1 .. 1000)"),
        )),
        Err(_) => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"hnsw.ef_search\": \"{text}\""),
        )),
    }
}
