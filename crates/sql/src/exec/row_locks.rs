//! SELECT ... FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE: locking rows as
//! the query returns them.
//!
//! The binder gives every locked table's scan a hidden row-key column and carries those
//! columns to the end of the query's output; [`Plan::LockRows`] sits after ORDER BY and
//! before LIMIT (PostgreSQL's LockRows), so a `LIMIT 1` locks one row. Each key is locked
//! in the storage lock table with the clause's strength, in the locks an UPDATE or DELETE
//! of the row takes (see `helios_storage::RowLockStrength`):
//!
//! - a row another open transaction holds is waited for, fails the statement with `55P03`
//!   (NOWAIT), or is left out of the result (SKIP LOCKED);
//! - a row changed and committed after the statement's snapshot fails with `40001`, and
//!   under READ COMMITTED restarts the statement on a fresh snapshot (`Session::write`),
//!   where PostgreSQL re-checks the newest version of the row.
//!
//! A NULL key (the null-extended side of an outer join) locks nothing.
//!
//! [`Plan::LockRows`]: crate::planner::Plan::LockRows

use helios_common::{Error, Result, SqlState};
use helios_storage::RowLockWait;
use helios_types::Value;

use super::context::ExecCtx;
use super::stream::{self, Sink};
use crate::encoding::keys;
use crate::planner::{LockTarget, Plan};

/// Streams `input`, locking the rows behind its trailing key columns (one per table of
/// `tables`) and passing on the first `width` columns of each row it keeps.
pub fn lock_each(
    ctx: &ExecCtx<'_>,
    input: &Plan,
    tables: &[LockTarget],
    width: usize,
    outer: &[Value],
    sink: &mut Sink<'_>,
) -> Result<bool> {
    stream::for_each(input, ctx, outer, &mut |mut row| {
        for (i, t) in tables.iter().enumerate() {
            let pk = match row.get(width + i) {
                Some(Value::Bytea(pk)) => pk,
                Some(Value::Null) => continue,
                _ => return Err(Error::internal("row-lock key column missing")),
            };
            let key = if t.full_key {
                std::borrow::Cow::Borrowed(pk.as_slice())
            } else {
                std::borrow::Cow::Owned(keys::row_key(t.table, pk))
            };
            let locked = ctx.txn.lock_row(&key, t.strength, t.wait).map_err(|e| {
                if t.wait == RowLockWait::NoWait && e.sqlstate() == SqlState::LOCK_NOT_AVAILABLE {
                    Error::new(
                        SqlState::LOCK_NOT_AVAILABLE,
                        format!("could not obtain lock on row in relation \"{}\"", t.name),
                    )
                } else {
                    e
                }
            })?;
            if !locked {
                return Ok(true);
            }
        }
        row.truncate(width);
        sink(row)
    })
}
