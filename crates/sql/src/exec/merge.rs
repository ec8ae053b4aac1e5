//! MERGE: runs the first fitting WHEN clause for every row of source LEFT JOIN target
//! (see `binder/merge.rs` for the row layout).
//!
//! The join is computed first, on the statement's snapshot, so rows the MERGE inserts
//! or changes are never matched again by it. A target row that a second source row
//! would update or delete again is 21000, as in PostgreSQL. Writes go through the same
//! checks as INSERT, UPDATE and DELETE (generated columns, type modifiers, NOT NULL,
//! CHECK, unique indexes, foreign keys and their actions, row-level security), and take
//! the same row locks.

use std::collections::HashSet;

use helios_common::{Error, Result, SqlState};
use helios_storage::Transaction;
use helios_types::Value;

use super::context::Row;
use super::dml::{
    check_references, complete_row, find_conflict, referenced_actions, unique_violation_in,
    update_one, DmlOutcome, WriteEnv,
};
use super::table_io::{delete_row, primary_key, put_row};
use crate::binder::{BoundMerge, MergeAction};
use crate::expr::Expr;

fn second_time() -> Error {
    Error::new(SqlState::CARDINALITY_VIOLATION, "MERGE command cannot affect row a second time")
        .with_hint("Ensure that not more than one source row matches any one target row.")
}

fn using_violation(table: &str) -> Error {
    Error::new(
        SqlState::INSUFFICIENT_PRIVILEGE,
        format!(
            "target row violates row-level security policy (USING expression) for table \"{table}\""
        ),
    )
}

/// Runs a MERGE.
pub fn execute_merge(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    m: &BoundMerge,
) -> Result<DmlOutcome> {
    let table = m.table.as_ref();
    let ncols = table.columns.len();
    let sw = m.source_width;
    let rows = {
        let ctx = env.ctx(txn, &m.source);
        super::execute(&m.source.plan, &ctx, &[])?
    };
    let mut out = DmlOutcome::default();
    let mut touched: HashSet<Vec<u8>> = HashSet::new();
    for joined in rows {
        let key = match joined.get(sw + ncols) {
            Some(Value::Bytea(k)) => Some(k.clone()),
            Some(Value::Null) => None,
            _ => return Err(Error::internal("MERGE join lost the target key")),
        };
        let chosen = {
            let ctx = env.ctx(txn, &m.source);
            let mut chosen = None;
            for c in m.clauses.iter().filter(|c| c.matched == key.is_some()) {
                let fits = match &c.condition {
                    Some(p) => ctx.eval_true(p, &joined, &[])?,
                    None => true,
                };
                if fits {
                    chosen = Some(c);
                    break;
                }
            }
            chosen
        };
        let Some(clause) = chosen else { continue };
        match (&clause.action, key) {
            (MergeAction::Nothing, _) => {}
            (MergeAction::Delete, Some(pk)) => {
                if !touched.insert(pk.clone()) {
                    return Err(second_time());
                }
                let old: Row = joined[sw..sw + ncols].to_vec();
                if let Some(u) = &m.delete_using {
                    if !env.ctx(txn, &m.source).eval_true(u, &old, &[])? {
                        return Err(using_violation(&table.name));
                    }
                }
                delete_row(txn, table, &pk, &old)?;
                referenced_actions(txn, env, table, &old, None, 0)?;
                out.count += 1;
            }
            (MergeAction::Update(assignments), Some(pk)) => {
                if !touched.insert(pk.clone()) {
                    return Err(second_time());
                }
                let old: Row = joined[sw..sw + ncols].to_vec();
                let new = {
                    let ctx = env.ctx(txn, &m.source);
                    if let Some(u) = &m.update_using {
                        if !ctx.eval_true(u, &old, &[])? {
                            return Err(using_violation(&table.name));
                        }
                    }
                    let mut new = old.clone();
                    for (ci, e) in assignments {
                        new[*ci] = ctx.eval(e, &joined, &[])?;
                    }
                    let policy = m.update_check.as_ref();
                    complete_row(&ctx, table, &m.generated, policy, env.checks, &mut new)?;
                    new
                };
                update_one(txn, env, table, &pk, &old, &new)?;
                out.count += 1;
            }
            (MergeAction::Insert { values, sequence_fill }, None) => {
                let row = insert_row(txn, env, m, values, sequence_fill, &joined)?;
                let rowid = table.primary_key().is_none().then(|| (env.rowid)());
                let pk = primary_key(table, &row, rowid)?;
                if let Some((index, _)) = find_conflict(txn, table, &row, None)? {
                    return Err(unique_violation_in(table, index, &row));
                }
                check_references(txn, env, table, &row, None)?;
                put_row(txn, table, &pk, &row)?;
                out.count += 1;
            }
            _ => return Err(Error::internal("MERGE clause of the wrong kind")),
        }
    }
    Ok(out)
}

/// The row a `WHEN NOT MATCHED THEN INSERT` writes, checked.
fn insert_row(
    txn: &Transaction,
    env: &WriteEnv<'_>,
    m: &BoundMerge,
    values: &[Expr],
    sequence_fill: &[(usize, u32)],
    joined: &[Value],
) -> Result<Row> {
    let table = m.table.as_ref();
    let ctx = env.ctx(txn, &m.source);
    let mut row: Row = values.iter().map(|e| ctx.eval(e, joined, &[])).collect::<Result<_>>()?;
    super::dml::fill_serials(env, table, sequence_fill, &mut row)?;
    complete_row(&ctx, table, &m.generated, m.insert_check.as_ref(), env.checks, &mut row)?;
    Ok(row)
}
