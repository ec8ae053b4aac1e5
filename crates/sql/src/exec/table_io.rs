//! Reading and writing table rows and their index entries.
//!
//! This is the only place that knows how a row becomes keys and bytes (the layout is in
//! [`crate::encoding::keys`]): primary keys and index keys use `helios_types`' key
//! encoding, row values its row format.

use std::ops::Bound;

use helios_common::{Error, Result};
use helios_storage::Transaction;
use helios_types::keycode::KeyColumn;
use helios_types::{DataType, Value};

use crate::catalog::{IndexDef, TableDef};
use crate::encoding::keys;
use crate::encoding::{prefix_range, ScanPages};

/// How many rows a scan reads from storage at a time (at most).
pub const SCAN_PAGE: usize = 1024;

/// The key encoding of a list of values of the given key columns.
pub fn encode_key(values: &[Value], columns: &[KeyColumn]) -> Result<Vec<u8>> {
    helios_types::keycode::encode_key(values, &columns[..values.len().min(columns.len())])
}

/// The key columns of an index (ascending, NULLS LAST).
pub fn index_key_columns(table: &TableDef, index: &IndexDef) -> Vec<KeyColumn> {
    if !index.expressions.is_empty() {
        // A key expression that does not bind fails in `index_key_values` too, with its
        // error; the column types are only a stand-in until then.
        if let Ok(b) = index.bound(table) {
            return b.types.iter().map(|t| KeyColumn::asc(t.clone())).collect();
        }
    }
    index.columns.iter().map(|c| KeyColumn::asc(table.columns[*c].data_type.clone())).collect()
}

/// The key columns of the hidden rowid.
pub fn rowid_key_columns() -> Vec<KeyColumn> {
    vec![KeyColumn::asc(DataType::Int8)]
}

/// The row bytes of a row.
pub fn encode_row(table: &TableDef, row: &[Value]) -> Result<Vec<u8>> {
    let types: Vec<DataType> = table.columns.iter().map(|c| c.data_type.clone()).collect();
    helios_types::row::encode_row(row, &types)
}

/// Decodes row bytes; rows written before a column was added are padded with NULL.
pub fn decode_row(table: &TableDef, bytes: &[u8]) -> Result<Vec<Value>> {
    table.row_decoder().decode(bytes)
}

/// The column types of `table`, in order (what [`decode_row_as`] takes).
pub fn column_types(table: &TableDef) -> Vec<DataType> {
    table.columns.iter().map(|c| c.data_type.clone()).collect()
}

/// [`decode_row`] with the table's column types computed once by the caller.
pub fn decode_row_as(types: &[DataType], bytes: &[u8]) -> Result<Vec<Value>> {
    let mut row = helios_types::row::decode_row(bytes, types)?;
    row.resize(types.len(), Value::Null);
    Ok(row)
}

/// The primary key bytes of a row: the key columns, or the given rowid.
pub fn primary_key(table: &TableDef, row: &[Value], rowid: Option<i64>) -> Result<Vec<u8>> {
    match table.primary_key() {
        Some(pk) => encode_key(&index_values(pk, row), &index_key_columns(table, pk)),
        None => match rowid {
            Some(id) => encode_key(&[Value::Int8(id)], &rowid_key_columns()),
            None => Err(Error::internal("a table without primary key needs a rowid")),
        },
    }
}

/// The values of an index's columns in a row.
pub fn index_values(index: &IndexDef, row: &[Value]) -> Vec<Value> {
    index.columns.iter().map(|c| row.get(*c).cloned().unwrap_or(Value::Null)).collect()
}

/// The key values of `row` in a secondary index (key expressions computed), or `None`
/// when the row is not in the index (a partial index whose predicate is not true).
pub fn index_key_values(
    table: &TableDef,
    index: &IndexDef,
    row: &[Value],
) -> Result<Option<Vec<Value>>> {
    if index.is_plain() {
        return Ok(Some(index_values(index, row)));
    }
    let bound = index.bound(table)?;
    if !bound.covers(row)? {
        return Ok(None);
    }
    bound.values(&index.columns, row).map(Some)
}

/// The key of a secondary index entry: index values, then the primary key bytes; `None`
/// when the row is not in the index (see [`index_key_values`]).
pub fn index_entry_key(
    table: &TableDef,
    index: &IndexDef,
    row: &[Value],
    pk: &[u8],
) -> Result<Option<Vec<u8>>> {
    let Some(values) = index_key_values(table, index, row)? else { return Ok(None) };
    let mut k = keys::index_prefix(table.id, index.id);
    k.extend_from_slice(&encode_key(&values, &index_key_columns(table, index))?);
    k.extend_from_slice(pk);
    Ok(Some(k))
}

/// Reads one row by primary key bytes, decoding it straight from the stored bytes.
pub fn get_row(txn: &Transaction, table: &TableDef, pk: &[u8]) -> Result<Option<Vec<Value>>> {
    txn.get_with(&keys::row_key(table.id, pk), |bytes| match bytes {
        None => Ok(None),
        Some(bytes) => Ok(Some(decode_row(table, bytes)?)),
    })
}

/// Reads rows whose primary key bytes lie in `range` (relative to the table's row
/// prefix), in key order; returns (primary key bytes, row).
pub fn scan_rows(
    txn: &Transaction,
    table: &TableDef,
    range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
    mut each: impl FnMut(Vec<u8>, Vec<Value>) -> Result<bool>,
) -> Result<()> {
    scan_rows_with(txn, table, range, None, |pk, row| each(pk.to_vec(), std::mem::take(row)))?;
    Ok(())
}

/// [`scan_rows`] decoding only the columns marked in `needed` (the others are NULL) and
/// lending the primary key bytes and the row. Rows are decoded straight from the bytes
/// storage lends ([`Transaction::visit`]), so a scan a LIMIT stops early reads no
/// further. Every row is decoded into the same vector: a consumer that only reads it
/// (or leaves it as it found it) lets the next row reuse its buffers, text included; one
/// that keeps the row takes it (`std::mem::take`) and the next row gets a new vector.
/// Returns false when `each` stopped the scan.
pub fn scan_rows_with(
    txn: &Transaction,
    table: &TableDef,
    range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
    needed: Option<&[bool]>,
    mut each: impl FnMut(&[u8], &mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    let prefix = keys::index_prefix(table.id, 0);
    let full = absolute_range(&prefix, range);
    let decoder = table.row_decoder();
    let mut row = Vec::with_capacity(table.columns.len());
    let mut more = true;
    txn.visit(&full, false, &mut |k, v| {
        decoder.decode_into(v, needed, &mut row)?;
        let pk = k
            .get(prefix.len()..)
            .ok_or_else(|| Error::corrupted("row key shorter than its table prefix"))?;
        more = each(pk, &mut row)?;
        Ok(more)
    })?;
    Ok(more)
}

/// Calls `each` with every row of `table` whose columns `cols` equal `vals` (`pg_eq`),
/// with its primary key bytes, until it returns false: read in the snapshot or, when
/// `latest`, as of the last commit, own writes included ([`Transaction::visit_latest`]).
///
/// How a removed referenced key finds the rows still referencing it (`fk_check`, the
/// foreign-key actions): through the primary key or a plain index that starts with
/// `cols` when the table has one, as PostgreSQL's check uses an index on the referencing
/// columns; by scanning the whole table otherwise. Reading as of the last commit finds a
/// referencing row committed after the snapshot.
pub fn rows_where_equal(
    txn: &Transaction,
    table: &TableDef,
    cols: &[usize],
    vals: &[Value],
    latest: bool,
    mut each: impl FnMut(&[u8], &mut Vec<Value>) -> Result<bool>,
) -> Result<()> {
    let visit = |range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
                 f: &mut helios_storage::kv::VisitFn<'_>| {
        if latest {
            txn.visit_latest(range, f)
        } else {
            txn.visit(range, false, f)
        }
    };
    let matches = |r: &[Value]| cols.iter().zip(vals).all(|(c, v)| r[*c].pg_eq(v));
    let rows = keys::index_prefix(table.id, 0);
    let decoder = table.row_decoder();
    let mut row = Vec::with_capacity(table.columns.len());
    let mut more = true;
    let mut visit_rows = |range: &(Bound<Vec<u8>>, Bound<Vec<u8>>), more: &mut bool| {
        visit(range, &mut |k, v| {
            decoder.decode_into(v, None, &mut row)?;
            if !matches(&row) {
                return Ok(true);
            }
            let pk = k
                .get(rows.len()..)
                .ok_or_else(|| Error::corrupted("row key shorter than its table prefix"))?;
            *more = each(pk, &mut row)?;
            Ok(*more)
        })
    };
    let Some((index, key)) = leading_index(table, cols, vals)? else {
        return visit_rows(&prefix_range(&rows), &mut more);
    };
    if index.primary {
        let mut prefix = rows.clone();
        prefix.extend_from_slice(&key);
        return visit_rows(&prefix_range(&prefix), &mut more);
    }
    let mut prefix = keys::index_prefix(table.id, index.id);
    prefix.extend_from_slice(&key);
    let mut pks = Vec::new();
    visit(&prefix_range(&prefix), &mut |_, pk| {
        pks.push(pk.to_vec());
        Ok(true)
    })?;
    for pk in pks {
        let at = keys::row_key(table.id, &pk);
        visit_rows(&(Bound::Included(at.clone()), Bound::Included(at)), &mut more)?;
        if !more {
            break;
        }
    }
    Ok(())
}

/// The primary key or a plain index of `table` whose leading columns are exactly `cols`
/// (in any order), and the key prefix `vals` give in it; `None` when there is none, a
/// value is NULL or one does not convert to its column's type (the caller then scans).
/// A converted value may find rows that are not equal to the original one (a rounded
/// numeric): the caller's equality check drops them.
fn leading_index<'t>(
    table: &'t TableDef,
    cols: &[usize],
    vals: &[Value],
) -> Result<Option<(&'t IndexDef, Vec<u8>)>> {
    if cols.is_empty() || vals.iter().any(Value::is_null) {
        return Ok(None);
    }
    let leads = |i: &&IndexDef| {
        i.vector.is_none()
            && i.is_plain()
            && i.columns.len() >= cols.len()
            && i.columns[..cols.len()].iter().all(|c| cols.contains(c))
    };
    let mut candidates = table.indexes.iter().filter(leads);
    let Some(index) = candidates.clone().find(|i| i.primary).or_else(|| candidates.next()) else {
        return Ok(None);
    };
    let mut key_vals = Vec::with_capacity(cols.len());
    for c in &index.columns[..cols.len()] {
        let v = cols.iter().position(|x| x == c).map(|p| &vals[p]);
        let v = v.ok_or_else(|| Error::internal("index column outside the key"))?;
        match crate::expr::cast::cast_value(v.clone(), &table.columns[*c].data_type, false) {
            Ok(v) => key_vals.push(v),
            Err(_) => return Ok(None),
        }
    }
    let columns = index_key_columns(table, index);
    Ok(Some((index, encode_key(&key_vals, &columns)?)))
}

/// [`scan_rows_with`] for a consumer that does not read the primary keys: storage then
/// does not decode them ([`Transaction::visit_values`]).
pub fn scan_values_with(
    txn: &Transaction,
    table: &TableDef,
    range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
    needed: Option<&[bool]>,
    mut each: impl FnMut(&mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    let full = absolute_range(&keys::index_prefix(table.id, 0), range);
    let decoder = table.row_decoder();
    let mut row = Vec::with_capacity(table.columns.len());
    let mut more = true;
    txn.visit_values(&full, &mut |v| {
        decoder.decode_into(v, needed, &mut row)?;
        more = each(&mut row)?;
        Ok(more)
    })?;
    Ok(more)
}

/// Primary keys found through a secondary index range (relative to the index prefix).
pub fn scan_index(
    txn: &Transaction,
    table: &TableDef,
    index: &IndexDef,
    range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
) -> Result<Vec<Vec<u8>>> {
    let prefix = keys::index_prefix(table.id, index.id);
    let full = absolute_range(&prefix, range);
    let pairs = ScanPages::new(full, false, SCAN_PAGE).collect_all(txn)?;
    Ok(pairs.into_iter().map(|(_, v)| v).collect())
}

/// Turns a range relative to `prefix` into an absolute key range.
pub fn absolute_range(
    prefix: &[u8],
    range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let whole = prefix_range(prefix);
    let join = |b: Vec<u8>| {
        let mut k = prefix.to_vec();
        k.extend_from_slice(&b);
        k
    };
    let lower = match range.0 {
        Bound::Unbounded => whole.0,
        Bound::Included(b) => Bound::Included(join(b)),
        Bound::Excluded(b) => Bound::Excluded(join(b)),
    };
    let upper = match range.1 {
        Bound::Unbounded => whole.1,
        Bound::Included(b) => Bound::Included(join(b)),
        Bound::Excluded(b) => Bound::Excluded(join(b)),
    };
    (lower, upper)
}

/// Writes a row and its secondary index entries.
pub fn put_row(txn: &mut Transaction, table: &TableDef, pk: &[u8], row: &[Value]) -> Result<()> {
    txn.put(&keys::row_key(table.id, pk), &encode_row(table, row)?)?;
    for index in table.indexes.iter().filter(|i| !i.primary) {
        if index.vector.is_some() {
            super::vector_index::note_put(txn, table, index, pk, row);
            continue;
        }
        put_index_entry(txn, table, index, row, pk)?;
    }
    Ok(())
}

/// Writes `row`'s entry in the B-tree index `index` (and its uniqueness claim), if the
/// row is in the index.
pub fn put_index_entry(
    txn: &mut Transaction,
    table: &TableDef,
    index: &IndexDef,
    row: &[Value],
    pk: &[u8],
) -> Result<()> {
    let Some(values) = index_key_values(table, index, row)? else { return Ok(()) };
    let cols = index_key_columns(table, index);
    let mut key = keys::index_prefix(table.id, index.id);
    key.extend_from_slice(&encode_key(&values, &cols)?);
    if index.unique && !values.iter().any(Value::is_null) {
        // See `claim_unique`.
        txn.delete(&key)?;
    }
    key.extend_from_slice(pk);
    txn.put(&key, pk)
}

/// Claims `row`'s values of the unique secondary index `index` for this transaction by
/// writing a tombstone at the key of the values alone. The index entries also carry the
/// primary key, so two transactions inserting the same values under different primary
/// keys would otherwise write different keys and both commit. With the claim, the second
/// one waits for the first like any writer of the same key; once the first commits, a
/// READ COMMITTED statement runs again on a new snapshot and its uniqueness check sees
/// the committed row (23505), and REPEATABLE READ fails with 40001. NULLs claim nothing.
pub fn claim_unique(
    txn: &mut Transaction,
    table: &TableDef,
    index: &IndexDef,
    row: &[Value],
) -> Result<()> {
    let Some(values) = index_key_values(table, index, row)? else { return Ok(()) };
    if values.iter().any(Value::is_null) {
        return Ok(());
    }
    let mut key = keys::index_prefix(table.id, index.id);
    key.extend_from_slice(&encode_key(&values, &index_key_columns(table, index))?);
    txn.delete(&key)
}

/// Deletes a row: removes it and its secondary index entries and takes its key lock
/// (a DELETE locks the row `FOR UPDATE`, see `helios_storage::RowLockStrength`).
pub fn delete_row(txn: &mut Transaction, table: &TableDef, pk: &[u8], row: &[Value]) -> Result<()> {
    delete_version(txn, table, pk, row)?;
    txn.lock_key(&keys::row_key(table.id, pk))
}

/// The row locks an UPDATE of `old` to `new` takes beyond the row lock of its write: the
/// key lock too when a key column changes (PostgreSQL's `FOR UPDATE` instead of `FOR NO
/// KEY UPDATE`), so that a `FOR KEY SHARE` holder, e.g. a referencing row's check,
/// blocks only such updates.
pub fn lock_for_update(
    txn: &mut Transaction,
    table: &TableDef,
    pk: &[u8],
    old: &[Value],
    new: &[Value],
) -> Result<()> {
    if key_columns_change(table, old, new) {
        txn.lock_key(&keys::row_key(table.id, pk))?;
    }
    Ok(())
}

/// Whether `new` differs from `old` in a key column: one of a unique index without
/// expressions or predicate (PostgreSQL's key columns, those a foreign key can
/// reference).
pub fn key_columns_change(table: &TableDef, old: &[Value], new: &[Value]) -> bool {
    table
        .indexes
        .iter()
        .filter(|i| {
            (i.unique || i.primary)
                && i.predicate.is_none()
                && i.vector.is_none()
                && i.expressions.iter().all(Option::is_none)
        })
        .flat_map(|i| i.columns.iter())
        .any(|&c| old.get(c) != new.get(c))
}

/// Removes a version of a row and its secondary index entries (an UPDATE's old version,
/// or the row of a DELETE, see [`delete_row`]).
pub fn delete_version(
    txn: &mut Transaction,
    table: &TableDef,
    pk: &[u8],
    row: &[Value],
) -> Result<()> {
    txn.delete(&keys::row_key(table.id, pk))?;
    // HNSW entries stay: older snapshots may still see the version (see vector_index).
    for index in table.indexes.iter().filter(|i| !i.primary && i.vector.is_none()) {
        if let Some(key) = index_entry_key(table, index, row, pk)? {
            txn.delete(&key)?;
        }
    }
    Ok(())
}

/// The primary key of a visible row that has the same values as `row` in the unique
/// index `index` (other than `exclude`); NULLs never conflict.
pub fn unique_conflict(
    txn: &Transaction,
    table: &TableDef,
    index: &IndexDef,
    row: &[Value],
    exclude: Option<&[u8]>,
) -> Result<Option<Vec<u8>>> {
    let Some(values) = index_key_values(table, index, row)? else { return Ok(None) };
    if values.iter().any(Value::is_null) {
        return Ok(None);
    }
    if index.primary {
        let pk = encode_key(&values, &index_key_columns(table, index))?;
        if exclude == Some(pk.as_slice()) {
            return Ok(None);
        }
        return Ok(txn.get(&keys::row_key(table.id, &pk))?.map(|_| pk));
    }
    let mut prefix = keys::index_prefix(table.id, index.id);
    prefix.extend_from_slice(&encode_key(&values, &index_key_columns(table, index))?);
    let pairs = ScanPages::new(prefix_range(&prefix), false, 4).collect_all(txn)?;
    Ok(pairs.into_iter().map(|(_, v)| v).find(|pk| Some(pk.as_slice()) != exclude))
}

/// Removes every row and index entry of a table.
pub fn clear_table(txn: &mut Transaction, table_id: u32) -> Result<u64> {
    let pairs = ScanPages::new(prefix_range(&keys::table_prefix(table_id)), false, SCAN_PAGE)
        .collect_all(txn)?;
    let rows_prefix = keys::index_prefix(table_id, 0);
    let mut rows = 0;
    for (k, _) in pairs {
        if k.starts_with(&rows_prefix) {
            rows += 1;
        }
        txn.delete(&k)?;
    }
    Ok(rows)
}

/// Removes every entry of one index.
pub fn clear_index(txn: &mut Transaction, table_id: u32, index_id: u32) -> Result<()> {
    let pairs =
        ScanPages::new(prefix_range(&keys::index_prefix(table_id, index_id)), false, SCAN_PAGE)
            .collect_all(txn)?;
    for (k, _) in pairs {
        txn.delete(&k)?;
    }
    Ok(())
}
