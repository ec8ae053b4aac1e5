//! Writes to partitioned tables and partitions: INSERT routing rows to their leaf
//! partitions, a partition's bound check on direct writes, and UPDATE moving rows whose
//! new key belongs to another partition (deleted from the old one, inserted through the
//! parent's routing after every leaf was updated, so no row is updated twice).
//!
//! `dml.rs` hands statements here once per statement (`BoundInsert::partition` and
//! friends are `None` for plain tables), so plain tables pay nothing per row.

use helios_common::{Error, Result};
use helios_storage::Transaction;
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::dml::{self, DmlOutcome, MovedRow, WriteEnv};
use crate::binder::partition::{self as part, InsertPartition, PartitionCheck};
use crate::binder::{BoundInsert, BoundUpdate};

/// Runs an INSERT whose target is partitioned or is a partition.
pub(super) fn execute_insert(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    ins: &BoundInsert,
    p: &InsertPartition,
) -> Result<DmlOutcome> {
    let mut rows = {
        let ctx = env.ctx(txn, &ins.source);
        dml::source_rows(&ins.source.plan, &ctx)?.into_vec()
    };
    // Serial keys are drawn before routing: the key may be the serial column.
    for row in &mut rows {
        dml::fill_serials(env, &ins.table, &ins.sequence_fill, row)?;
        dml::fit_columns(&ins.table, row)?;
    }
    route_rows(txn, env, ins, p, rows)
}

/// Inserts finished rows (sequences drawn) through `p`.
fn route_rows(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    ins: &BoundInsert,
    p: &InsertPartition,
    rows: Vec<Row>,
) -> Result<DmlOutcome> {
    match p {
        InsertPartition::Check(check) => {
            {
                let ctx = env.ctx(txn, &ins.extra);
                for row in &rows {
                    require_admitted(&ctx, check, row)?;
                }
            }
            dml::insert_rows(txn, env, ins, rows)
        }
        InsertPartition::Route { tree, leaves, check } => {
            // Consecutive rows for one leaf go in together, in statement order.
            let mut runs: Vec<(u32, Vec<Row>)> = Vec::new();
            {
                let ctx = env.ctx(txn, &ins.extra);
                let eval = |e: &crate::expr::Expr, row: &[Value]| ctx.eval(e, row, &[]);
                for row in rows {
                    if let Some(c) = check {
                        require_admitted(&ctx, c, &row)?;
                    }
                    let leaf = tree.route(&row, &eval)?;
                    match runs.last_mut() {
                        Some((l, rs)) if *l == leaf => rs.push(row),
                        _ => runs.push((leaf, vec![row])),
                    }
                }
            }
            let mut out = DmlOutcome::default();
            for (leaf, rows) in runs {
                let target =
                    leaves.get(&leaf).ok_or_else(|| Error::internal("partition vanished"))?;
                let leaf_env = WriteEnv { checks: &target.checks, ..*env };
                let o = dml::insert_rows(txn, &leaf_env, &target.insert, rows)?;
                out.count += o.count;
                out.returned.extend(o.returned);
            }
            Ok(out)
        }
    }
}

/// ON CONFLICT DO UPDATE may not move the row to another partition (0A000, as in
/// PostgreSQL).
pub(super) fn conflict_update_stays(
    ctx: &ExecCtx<'_>,
    p: &InsertPartition,
    row: &[Value],
) -> Result<()> {
    let InsertPartition::Check(check) = p else { return Ok(()) };
    let eval = |e: &crate::expr::Expr, r: &[Value]| ctx.eval(e, r, &[]);
    if !check.admits(row, &eval)? {
        return Err(Error::new(
            helios_common::SqlState::FEATURE_NOT_SUPPORTED,
            "invalid ON UPDATE specification",
        )
        .with_detail(
            "The result tuple would appear in a different partition than the original tuple.",
        ));
    }
    Ok(())
}

fn require_admitted(ctx: &ExecCtx<'_>, check: &PartitionCheck, row: &[Value]) -> Result<()> {
    let eval = |e: &crate::expr::Expr, r: &[Value]| ctx.eval(e, r, &[]);
    if !check.admits(row, &eval)? {
        return Err(part::constraint_violation(&check.table, row));
    }
    Ok(())
}

/// An update in progress: (key, old row, new row, source row).
type Work = (Vec<u8>, Row, Row, Row);

/// Takes out of `work` the updated rows that no longer meet the partition's bound:
/// they move when the UPDATE came through the parent (`may_move`), else 23514.
pub(super) fn leaving_rows(
    ctx: &ExecCtx<'_>,
    check: &PartitionCheck,
    work: &mut Vec<Work>,
    may_move: bool,
) -> Result<Vec<Work>> {
    let eval = |e: &crate::expr::Expr, r: &[Value]| ctx.eval(e, r, &[]);
    let mut leaving = Vec::new();
    let mut kept = Vec::with_capacity(work.len());
    for w in work.drain(..) {
        if check.admits(&w.2, &eval)? {
            kept.push(w);
        } else if may_move {
            leaving.push(w);
        } else {
            return Err(part::constraint_violation(&check.table, &w.2));
        }
    }
    *work = kept;
    Ok(leaving)
}

/// Runs an UPDATE of a partitioned table: each leaf in turn, then the moved rows.
pub(super) fn execute_update(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    upd: &BoundUpdate,
    leaves: &[(BoundUpdate, part::Checks)],
    route: &InsertPartition,
) -> Result<DmlOutcome> {
    let mut out = DmlOutcome::default();
    let mut moved: Vec<MovedRow> = Vec::new();
    for (leaf, checks) in leaves {
        let leaf_env = WriteEnv { checks, ..*env };
        let o = dml::update_rows(txn, &leaf_env, leaf, Some(&mut moved))?;
        out.count += o.count;
        out.returned.extend(o.returned);
    }
    if moved.is_empty() {
        return Ok(out);
    }
    let ncols = upd.table.columns.len();
    let (news, srcs): (Vec<Row>, Vec<Row>) = moved.into_iter().unzip();
    let ins = match route {
        InsertPartition::Route { leaves, .. } => leaves.values().next().map(|l| &l.insert),
        InsertPartition::Check(_) => None,
    };
    let Some(template) = ins else {
        return Err(Error::internal("moved rows without a partition to go to"));
    };
    let mut parent_ins = template.clone();
    parent_ins.table = upd.table.clone();
    parent_ins.returning = None;
    let placed = route_rows(txn, env, &parent_ins, route, news.clone())?;
    out.count += placed.count;
    if let Some((exprs, _)) = &upd.returning {
        let ctx = env.ctx(txn, &upd.source);
        for (new, src) in news.iter().zip(srcs) {
            let mut r = src;
            r[..ncols].clone_from_slice(new);
            out.returned.push(exprs.iter().map(|e| ctx.eval(e, &r, &[])).collect::<Result<Row>>()?);
        }
    }
    Ok(out)
}
