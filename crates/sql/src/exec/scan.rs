//! Table scans: full, primary key range, secondary index range.

use std::ops::Bound;

use helios_common::{Error, Result};
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::stream::{LentSink, Sink};
use super::table_io::{self, encode_key};
use crate::catalog::TableDef;
use crate::encoding::scan::prefix_end;
use crate::expr::Expr;
use crate::planner::{Access, KeyRange};
use helios_types::keycode::KeyColumn;

/// A range of key bytes.
type ByteRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Scans a table into a vector of rows (see [`scan_each`]).
pub fn scan_table(
    ctx: &ExecCtx<'_>,
    table: &TableDef,
    access: &Access,
    filter: Option<&Expr>,
    with_key: bool,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    let scan = TableScan { table, access, filter, with_key, needed: None };
    scan_each(ctx, &scan, outer, &mut |row| {
        out.push(std::mem::take(row));
        Ok(true)
    })?;
    Ok(out)
}

/// What one scan node reads.
#[derive(Debug, Clone, Copy)]
pub struct TableScan<'p> {
    /// The table.
    pub table: &'p TableDef,
    /// How rows are found.
    pub access: &'p Access,
    /// A condition every row passed on must meet.
    pub filter: Option<&'p Expr>,
    /// Each row ends with its primary key bytes.
    pub with_key: bool,
    /// The columns to decode (`None`: all); the others are NULL.
    pub needed: Option<&'p [bool]>,
}

/// Scans a table, lending each row to `sink` until it returns false; `filter` is
/// applied to every row read (the access path only narrows what is read). Rows read by
/// a key range are decoded into one buffer (see [`table_io::scan_rows_with`]). Returns
/// false when the sink stopped the scan.
pub fn scan_each(
    ctx: &ExecCtx<'_>,
    scan: &TableScan<'_>,
    outer: &[Value],
    sink: &mut LentSink<'_>,
) -> Result<bool> {
    let TableScan { table, access, filter, with_key, needed } = *scan;
    if let Some(travel) = table.time_travel {
        let rows = super::time_travel::scan(ctx, table, travel, access, filter, with_key, outer)?;
        return feed_lent(rows, sink);
    }
    let width = table.columns.len();
    let mut n = 0usize;
    let mut keep = |pk: &[u8], row: &mut Row| -> Result<bool> {
        n += 1;
        if n.is_multiple_of(1024) {
            ctx.check_cancel()?;
        }
        if let Some(f) = filter {
            if !ctx.eval_true(f, row, outer)? {
                return Ok(true);
            }
        }
        if !with_key {
            return sink(row);
        }
        row.push(Value::Bytea(pk.to_vec()));
        let more = sink(row)?;
        // The key goes with this row only: the buffer keeps the width the next row is
        // decoded into.
        row.truncate(width);
        Ok(more)
    };
    // A range of rows; their keys are decoded only when the rows carry them.
    let mut rows = |range: ByteRange| {
        if with_key {
            table_io::scan_rows_with(ctx.txn, table, range, needed, &mut keep)
        } else {
            table_io::scan_values_with(ctx.txn, table, range, needed, |row| keep(&[], row))
        }
    };
    match access {
        Access::Full => rows((Bound::Unbounded, Bound::Unbounded)),
        Access::Primary(range) => {
            let cols = match table.primary_key() {
                Some(pk) => table_io::index_key_columns(table, pk),
                None => table_io::rowid_key_columns(),
            };
            match point_key(ctx, range, &cols, outer)? {
                // Every key column is fixed: one row at most, read directly.
                Point::Key(pk) => match table_io::get_row(ctx.txn, table, &pk)? {
                    Some(mut row) => keep(&pk, &mut row),
                    None => Ok(true),
                },
                Point::Null => Ok(true),
                Point::No => match key_bytes_range(ctx, range, &cols, outer)? {
                    Some(r) => rows(r),
                    None => Ok(true),
                },
            }
        }
        Access::Vector(v) => {
            for (pk, mut row) in super::vector_scan::scan(ctx, table, v, filter, outer)? {
                if with_key {
                    row.push(Value::Bytea(pk));
                }
                if !sink(&mut row)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Access::Index { index, range } => {
            let idx = table
                .indexes
                .iter()
                .find(|i| i.id == *index)
                .ok_or_else(|| Error::internal("index vanished from table"))?;
            let cols = table_io::index_key_columns(table, idx);
            if let Some(r) = key_bytes_range(ctx, range, &cols, outer)? {
                for pk in table_io::scan_index(ctx.txn, table, idx, r)? {
                    if let Some(mut row) = table_io::get_row(ctx.txn, table, &pk)? {
                        if !keep(&pk, &mut row)? {
                            return Ok(false);
                        }
                    }
                }
            }
            Ok(true)
        }
    }
}

/// Passes materialized rows to a sink; false when it stopped.
pub fn feed(rows: Vec<Row>, sink: &mut Sink<'_>) -> Result<bool> {
    for r in rows {
        if !sink(r)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Lends materialized rows to a sink; false when it stopped.
pub fn feed_lent(rows: Vec<Row>, sink: &mut LentSink<'_>) -> Result<bool> {
    for mut r in rows {
        if !sink(&mut r)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What [`point_key`] found.
enum Point {
    /// The range does not fix every key column by equality alone.
    No,
    /// A key value is NULL: nothing can match.
    Null,
    /// The whole key.
    Key(Vec<u8>),
}

/// The whole key when `range` fixes every key column by equality and has no other bounds.
fn point_key(
    ctx: &ExecCtx<'_>,
    range: &KeyRange,
    cols: &[KeyColumn],
    outer: &[Value],
) -> Result<Point> {
    let point = range.eq.len() == cols.len()
        && matches!(range.lower, Bound::Unbounded)
        && matches!(range.upper, Bound::Unbounded);
    if !point {
        return Ok(Point::No);
    }
    let mut eq = Vec::with_capacity(cols.len());
    for (e, c) in range.eq.iter().zip(cols) {
        let v = ctx.eval(e, &[], outer)?;
        if v.is_null() {
            return Ok(Point::Null);
        }
        eq.push(if v.data_type() != c.data_type { v.cast(&c.data_type)? } else { v });
    }
    Ok(Point::Key(encode_key(&eq, cols)?))
}

/// The byte range of a [`KeyRange`], or `None` when it cannot match (a NULL value).
fn key_bytes_range(
    ctx: &ExecCtx<'_>,
    range: &KeyRange,
    cols: &[KeyColumn],
    outer: &[Value],
) -> Result<Option<ByteRange>> {
    let value = |e: &Expr, i: usize| -> Result<Value> {
        let v = ctx.eval(e, &[], outer)?;
        match cols.get(i) {
            Some(c) if !v.is_null() && v.data_type() != c.data_type => v.cast(&c.data_type),
            _ => Ok(v),
        }
    };
    let mut eq = Vec::with_capacity(range.eq.len());
    for (i, e) in range.eq.iter().enumerate() {
        let v = value(e, i)?;
        if v.is_null() {
            return Ok(None);
        }
        eq.push(v);
    }
    let n = eq.len();
    let prefix = encode_key(&eq, cols)?;
    let with = |v: Value| {
        let mut all = eq.clone();
        all.push(v);
        encode_key(&all, cols)
    };
    let lower = match &range.lower {
        Bound::Unbounded => Bound::Included(prefix.clone()),
        Bound::Included(e) | Bound::Excluded(e) => {
            let v = value(e, n)?;
            if v.is_null() {
                return Ok(None);
            }
            let k = with(v)?;
            if matches!(range.lower, Bound::Included(_)) {
                Bound::Included(k)
            } else {
                match prefix_end(&k) {
                    Bound::Excluded(end) => Bound::Included(end),
                    other => other,
                }
            }
        }
    };
    let upper = match &range.upper {
        Bound::Unbounded => prefix_end(&prefix),
        Bound::Included(e) | Bound::Excluded(e) => {
            let v = value(e, n)?;
            if v.is_null() {
                return Ok(None);
            }
            let k = with(v)?;
            if matches!(range.upper, Bound::Included(_)) {
                prefix_end(&k)
            } else {
                Bound::Excluded(k)
            }
        }
    };
    Ok(Some((lower, upper)))
}
