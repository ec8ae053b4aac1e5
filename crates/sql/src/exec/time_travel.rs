//! Scans of time-travel table references (see `binder::as_of`).
//!
//! `AS OF`: the ordinary scan, run in a read-only storage transaction at that
//! timestamp on the session's branch; the scan's filter is evaluated afterwards in the
//! statement's own context, so subqueries in it read current data. A k-NN scan through
//! an HNSW index evaluates the filter inside the search instead (in the statement's
//! context too), so that `LIMIT k` rows passing it are found.
//!
//! `VERSIONS BETWEEN`: every retained version of the table's rows from storage's
//! version history, decoded with the bound schema, followed by commit timestamp,
//! transaction id and operation.

use helios_common::{Error, Result};
use helios_storage::TxnOptions;
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::table_io::decode_row;
use crate::catalog::{TableDef, TimeTravel};
use crate::encoding::keys;
use crate::encoding::scan::prefix_range;
use crate::expr::Expr;
use crate::planner::Access;
use crate::session::HeliosCtx;

fn helios<'a>(ctx: &'a ExecCtx<'_>) -> Result<&'a HeliosCtx> {
    ctx.session.helios.as_ref().ok_or_else(|| Error::unsupported("time travel outside a session"))
}

/// Scans `table` at the time its reference names.
pub fn scan(
    ctx: &ExecCtx<'_>,
    table: &TableDef,
    travel: TimeTravel,
    access: &Access,
    filter: Option<&Expr>,
    with_key: bool,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let h = helios(ctx)?;
    let mut plain = table.clone();
    plain.time_travel = None;
    let mut rows = match travel {
        TimeTravel::AsOf(ts) => {
            let txn = h.engine.storage.begin(TxnOptions {
                branch: ctx.txn.branch(),
                read_only: true,
                as_of: Some(ts),
                ..TxnOptions::default()
            })?;
            let past = ExecCtx::new(&txn, ctx.params, ctx.session, ctx.now, ctx.query, ctx.cancel);
            if let Access::Vector(v) = access {
                // k-NN: the filter goes into the search (see `vector_scan::scan_in`).
                let found = super::vector_scan::scan_in(&past, ctx, &plain, v, filter, outer)?;
                drop(past);
                txn.rollback();
                return Ok(found
                    .into_iter()
                    .map(|(pk, mut row)| {
                        if with_key {
                            row.push(Value::Bytea(pk));
                        }
                        row
                    })
                    .collect());
            }
            let rows = super::scan::scan_table(&past, &plain, access, None, with_key, outer)?;
            drop(past);
            txn.rollback();
            rows
        }
        TimeTravel::Versions(from, to) => {
            let range = prefix_range(&keys::index_prefix(table.id, 0));
            let mut rows = Vec::new();
            for (n, v) in h
                .engine
                .storage
                .versions(ctx.txn.branch(), &range, from, to)?
                .into_iter()
                .enumerate()
            {
                if n % 1024 == 1023 {
                    ctx.check_cancel()?;
                }
                let Some(bytes) = v.value.as_deref().or(v.previous.as_deref()) else { continue };
                let op = match (&v.value, &v.previous) {
                    (None, _) => "delete",
                    (Some(_), None) => "insert",
                    _ => "update",
                };
                let mut row = decode_row(&plain, bytes)?;
                row.push(crate::session::to_sql_timestamp(v.ts));
                row.push(v.txn.map_or(Value::Null, |t| Value::Int8(t.0 as i64)));
                row.push(Value::Text(op.into()));
                if with_key {
                    row.push(Value::Bytea(v.key.get(9..).unwrap_or_default().to_vec()));
                }
                rows.push(row);
            }
            rows
        }
    };
    if let Some(f) = filter {
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            let width = if with_key { row.len() - 1 } else { row.len() };
            if ctx.eval_true(f, &row[..width], outer)? {
                kept.push(row);
            }
        }
        rows = kept;
    }
    Ok(rows)
}
