//! SELECT ... FOR UPDATE / FOR SHARE: locking the rows a query's WHERE clause selects.
//!
//! The rows are found by the DELETE-shaped plan of the same table and WHERE clause (table
//! columns, then the key column) and each row key is locked in the storage lock table, the
//! same lock an UPDATE or DELETE of the row takes. A lock held by another open transaction
//! makes the statement wait; under READ COMMITTED a row that was changed meanwhile makes
//! the statement restart on a fresh snapshot (see `Session::write`).

use helios_common::{Error, Result};
use helios_storage::Transaction;
use helios_types::Value;

use super::dml::WriteEnv;
use crate::binder::BoundDelete;
use crate::encoding::keys;

/// Locks every row `rows` selects; returns how many.
pub fn lock_rows(txn: &mut Transaction, env: &WriteEnv<'_>, rows: &BoundDelete) -> Result<u64> {
    let table = rows.table.as_ref();
    let ncols = table.columns.len();
    let found = {
        let ctx = env.ctx(txn, &rows.source);
        super::execute(&rows.source.plan, &ctx, &[])?
    };
    let mut n = 0;
    for src in found {
        let Some(Value::Bytea(pk)) = src.get(ncols) else {
            return Err(Error::internal("row-lock scan lost its key column"));
        };
        txn.lock(&keys::row_key(table.id, pk))?;
        n += 1;
    }
    Ok(n)
}
