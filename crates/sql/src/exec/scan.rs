//! Table scans: full, primary key range, secondary index range.

use std::ops::Bound;

use helios_common::{Error, Result};
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::table_io::{self, encode_key};
use crate::catalog::TableDef;
use crate::encoding::scan::prefix_end;
use crate::expr::Expr;
use crate::planner::{Access, KeyRange};
use helios_types::keycode::KeyColumn;

/// A range of key bytes.
type ByteRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Scans a table; `filter` is applied to every row read (the access path only narrows
/// what is read). With `with_key` each row ends with its primary key bytes.
pub fn scan_table(
    ctx: &ExecCtx<'_>,
    table: &TableDef,
    access: &Access,
    filter: Option<&Expr>,
    with_key: bool,
    outer: &[Value],
) -> Result<Vec<Row>> {
    if let Some(travel) = table.time_travel {
        return super::time_travel::scan(ctx, table, travel, access, filter, with_key, outer);
    }
    let mut out = Vec::new();
    let mut keep = |pk: Vec<u8>, mut row: Row| -> Result<bool> {
        if let Some(f) = filter {
            if !ctx.eval_true(f, &row, outer)? {
                return Ok(true);
            }
        }
        if with_key {
            row.push(Value::Bytea(pk));
        }
        out.push(row);
        Ok(true)
    };
    match access {
        Access::Full => {
            let mut n = 0usize;
            table_io::scan_rows(
                ctx.txn,
                table,
                (Bound::Unbounded, Bound::Unbounded),
                |pk, row| {
                    n += 1;
                    if n.is_multiple_of(1024) {
                        ctx.check_cancel()?;
                    }
                    keep(pk, row)
                },
            )?;
        }
        Access::Primary(range) => {
            let cols = match table.primary_key() {
                Some(pk) => table_io::index_key_columns(table, pk),
                None => table_io::rowid_key_columns(),
            };
            if let Some(r) = key_bytes_range(ctx, range, &cols, outer)? {
                table_io::scan_rows(ctx.txn, table, r, &mut keep)?;
            }
        }
        Access::Vector(v) => {
            for (pk, row) in super::vector_scan::scan(ctx, table, v, filter, outer)? {
                let mut row = row;
                if with_key {
                    row.push(Value::Bytea(pk));
                }
                out.push(row);
            }
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
                    if let Some(row) = table_io::get_row(ctx.txn, table, &pk)? {
                        keep(pk, row)?;
                    }
                }
            }
        }
    }
    Ok(out)
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
