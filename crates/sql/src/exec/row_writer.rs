//! [`RowWriter`]: writes many new rows into one table with the per-table work done once.
//!
//! [`super::table_io::put_row`] and [`super::table_io::primary_key`] recompute the column
//! types and key columns of the table for every row they write; an INSERT of a million
//! rows spends noticeable time there. A `RowWriter` computes them once per statement and
//! builds each row's storage key in one buffer (row prefix, then the primary key), so a
//! row costs one key encoding, one row encoding, the uniqueness probes and the puts.
//!
//! The byte layout is the one [`super::table_io`] reads and writes (see
//! [`crate::encoding::keys`]); both must stay in step.

use helios_common::{Error, Result};
use helios_storage::Transaction;
use helios_types::keycode::{encode_key_into, KeyColumn};
use helios_types::{DataType, Value};

use super::table_io::{index_key_columns, put_index_entry, rowid_key_columns, unique_conflict};
use crate::catalog::{IndexDef, TableDef};
use crate::encoding::keys;

/// A new row's storage key: the table's row prefix followed by its primary key bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowKey {
    key: Vec<u8>,
    prefix: usize,
}

impl RowKey {
    /// The full storage key of the row.
    pub fn storage_key(&self) -> &[u8] {
        &self.key
    }

    /// The primary key bytes (relative to the table's row prefix).
    pub fn pk(&self) -> &[u8] {
        &self.key[self.prefix..]
    }

    /// Frees the buffer of a huge key, so that a reused `RowKey` does not pin it.
    pub fn release_large(&mut self) {
        if self.key.capacity() > 64 * 1024 {
            *self = RowKey::default();
        }
    }
}

/// What [`RowWriter`] precomputes for a table: column types, the primary key's position
/// and key columns, the row key prefix. A bound INSERT keeps one, so a prepared INSERT
/// run once per row computes it once, not per row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowLayout {
    /// The table it was computed for.
    table_id: u32,
    types: Vec<DataType>,
    /// Position of the primary key in the table's indexes, and its key columns.
    primary: Option<(usize, Vec<KeyColumn>)>,
    prefix: Vec<u8>,
    /// Whether assigning a value of a column's own type may change it (a length,
    /// precision or scale limit): see [`super::dml::fit_columns`].
    fits_values: bool,
}

impl RowLayout {
    /// The layout of `table`.
    pub fn new(table: &TableDef) -> RowLayout {
        RowLayout {
            table_id: table.id,
            types: table.columns.iter().map(|c| c.data_type.clone()).collect(),
            primary: table
                .indexes
                .iter()
                .position(|i| i.primary)
                .map(|at| (at, index_key_columns(table, &table.indexes[at]))),
            prefix: keys::index_prefix(table.id, 0),
            fits_values: table
                .columns
                .iter()
                .any(|c| c.precision.is_some() || super::dml::has_typmod(&c.data_type)),
        }
    }

    /// Whether [`super::dml::fit_columns`] may change a row of the table.
    pub fn fits_values(&self) -> bool {
        self.fits_values
    }
}

/// Per-statement write state of one table (see the module docs).
#[derive(Debug)]
pub struct RowWriter<'t> {
    table: &'t TableDef,
    types: &'t [DataType],
    primary: Option<(&'t IndexDef, &'t [KeyColumn])>,
    prefix: &'t [u8],
}

impl<'t> RowWriter<'t> {
    /// A writer for `table` with its precomputed `layout`.
    pub fn new(table: &'t TableDef, layout: &'t RowLayout) -> Result<RowWriter<'t>> {
        let primary = match &layout.primary {
            Some((at, cols)) => match table.indexes.get(*at) {
                Some(pk) if pk.primary => Some((pk, cols.as_slice())),
                _ => return Err(Error::internal("row layout of another table")),
            },
            None => None,
        };
        if layout.table_id != table.id || layout.types.len() != table.columns.len() {
            return Err(Error::internal("row layout of another table"));
        }
        Ok(RowWriter { table, types: &layout.types, primary, prefix: &layout.prefix })
    }

    /// Whether the table has a primary key (otherwise rows need a rowid).
    pub fn has_primary_key(&self) -> bool {
        self.primary.is_some()
    }

    /// Builds the storage key of `row` in `out` (reusing its buffer): its primary key
    /// columns, or `rowid` for a table without a primary key.
    pub fn row_key(&self, out: &mut RowKey, row: &[Value], rowid: Option<i64>) -> Result<()> {
        let key = &mut out.key;
        key.clear();
        // Room for the usual key at once (a one-row INSERT builds one key per statement).
        key.reserve(self.prefix.len() + 16);
        key.extend_from_slice(self.prefix);
        match (&self.primary, rowid) {
            (Some((pk, cols)), _) => {
                if let [c] = pk.columns.as_slice() {
                    encode_key_into(key, std::slice::from_ref(&row[*c]), cols)?;
                } else {
                    let values: Vec<Value> = pk.columns.iter().map(|c| row[*c].clone()).collect();
                    encode_key_into(key, &values, cols)?;
                }
            }
            (None, Some(id)) => encode_key_into(key, &[Value::Int8(id)], &rowid_key_columns())?,
            (None, None) => {
                return Err(Error::internal("a table without primary key needs a rowid"))
            }
        }
        out.prefix = self.prefix.len();
        Ok(())
    }

    /// The first unique index (primary key included, in the table's index order) that
    /// `row`, to be stored under `key`, conflicts with, with the conflicting row's
    /// primary key. The primary key costs one `get`; NULLs never conflict.
    pub fn find_conflict(
        &self,
        txn: &Transaction,
        row: &[Value],
        key: &RowKey,
    ) -> Result<Option<(u32, Vec<u8>)>> {
        for index in self.table.indexes.iter().filter(|i| i.unique) {
            if index.primary {
                if index.columns.iter().any(|c| row[*c].is_null()) {
                    continue;
                }
                if txn.get(key.storage_key())?.is_some() {
                    return Ok(Some((index.id, key.pk().to_vec())));
                }
            } else if let Some(pk) = unique_conflict(txn, self.table, index, row, None)? {
                return Ok(Some((index.id, pk)));
            }
        }
        Ok(None)
    }

    /// Writes a new row and its secondary index entries.
    pub fn put(&self, txn: &mut Transaction, key: &RowKey, row: &[Value]) -> Result<()> {
        // One encoding buffer per thread, reused by every row (the write set copies it).
        thread_local! {
            static ROW_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        ROW_BUF.with(|buf| {
            let mut buf = buf.try_borrow_mut().map_err(|_| Error::internal("row buffer in use"))?;
            helios_types::row::encode_row_into(&mut buf, row, self.types)?;
            let put = txn.put(key.storage_key(), &buf);
            if buf.capacity() > 64 * 1024 {
                // A huge row does not pin its buffer for the life of the thread.
                *buf = Vec::new();
            }
            put
        })?;
        for index in self.table.indexes.iter().filter(|i| !i.primary) {
            if index.vector.is_some() {
                super::vector_index::note_put(txn, self.table, index, key.pk(), row);
                continue;
            }
            put_index_entry(txn, self.table, index, row, key.pk())?;
        }
        Ok(())
    }
}
