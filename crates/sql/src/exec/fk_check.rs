//! Foreign key checks that wait: the end-of-statement and deferred queue.
//!
//! PostgreSQL checks a `NO ACTION` foreign key (both sides: the referencing row's key
//! exists; a removed referenced key is no longer referenced) after the whole statement
//! ran, and a `DEFERRABLE` constraint in `DEFERRED` mode only at commit. A statement
//! that inserts a row and the row it references, in any order, or shifts the keys of a
//! referenced table (`UPDATE pk SET id = id + 1`), therefore succeeds.
//!
//! ```text
//!   Session::write ──start()──► Collector (thread-local queue, one per statement)
//!        │  INSERT / UPDATE / DELETE push FkCheck { table, constraint, side, key }
//!        ▼
//!   take() ──► immediate ones: verify() now   deferred ones: kept by the session
//!                                             until SET CONSTRAINTS ... IMMEDIATE
//!                                             or COMMIT verifies them
//! ```
//!
//! A check is re-evaluated against the rows as they are when it runs, not against the
//! event that queued it: a referencing key is a violation only when the referenced key
//! is missing *and* some row still carries the referencing key; a removed referenced
//! key is a violation only when no row carries it again *and* some row still references
//! it. Writes outside a collector (COPY, fast paths) check at once. A `RESTRICT` action
//! is checked at the end of the statement too, but never deferred, and a row that
//! brings the key back does not satisfy it.
//!
//! # Concurrent writers
//!
//! A referencing row's check locks the referenced row `FOR KEY SHARE`; a DELETE or key
//! change of the referenced row takes its key lock, so the two wait for each other. The
//! removed key's side then looks for referencing rows as of the last commit, not the
//! snapshot ([`Transaction::visit_latest`]), as PostgreSQL's check reads a fresh
//! snapshot:
//!
//! ```text
//!   T1  snapshot ─────────────── key lock(parent) ── referencing rows as of latest ──►
//!   T2        INSERT child ── KEY SHARE(parent) ── COMMIT
//! ```
//!
//! Whether T1 had to wait for T2's lock or T2 was done before T1 got there, the child
//! is found: NO ACTION and RESTRICT fail with 23503, and the actions
//! (`dml::referenced_actions`) write it, which fails as any write of a row changed after
//! the snapshot does (40001; READ COMMITTED runs the statement again on a snapshot that
//! sees it).

use std::cell::RefCell;

use helios_common::{Error, Result, SqlState};
use helios_storage::{RowLockStrength, RowLockWait, Transaction};
use helios_types::Value;

use super::table_io::{self, unique_conflict};
use crate::catalog::{Catalog, ForeignKeyDef, TableDef};

/// Which side of a foreign key a queued check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FkSide {
    /// A referencing row was written with `key`: the referenced key must exist.
    Referencing,
    /// A referenced row with `key` went away or changed its key: nothing may still
    /// reference it, unless another row has that key again.
    Referenced,
    /// As `Referenced`, for a `RESTRICT` action: another row with the key does not
    /// help, and the check is never deferred.
    Restricted,
}

/// One queued foreign key check.
#[derive(Debug, Clone)]
pub struct FkCheck {
    /// The referencing table (the constraint's owner).
    pub table: u32,
    /// The constraint name.
    pub constraint: String,
    /// Which side changed.
    pub side: FkSide,
    /// The key values (referencing columns' order).
    pub key: Vec<Value>,
}

thread_local! {
    static QUEUE: RefCell<Option<Vec<FkCheck>>> = const { RefCell::new(None) };
}

/// Collects the checks of one statement while alive (see the module docs).
#[derive(Debug)]
pub struct Collector {
    owner: bool,
}

impl Collector {
    /// Starts collecting on this thread; a collector started while another is alive
    /// leaves the queue to the outer one.
    pub fn start() -> Collector {
        QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            if q.is_some() {
                Collector { owner: false }
            } else {
                *q = Some(Vec::new());
                Collector { owner: true }
            }
        })
    }

    /// The checks queued so far (emptying the queue).
    pub fn take(&self) -> Vec<FkCheck> {
        if !self.owner {
            return Vec::new();
        }
        QUEUE.with(|q| q.borrow_mut().as_mut().map(std::mem::take).unwrap_or_default())
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if self.owner {
            QUEUE.with(|q| *q.borrow_mut() = None);
        }
    }
}

/// Queues `check` when a collector is alive, else verifies it at once.
pub(super) fn queue_or_verify(txn: &Transaction, catalog: &Catalog, check: FkCheck) -> Result<()> {
    let queued = QUEUE.with(|q| match q.borrow_mut().as_mut() {
        Some(v) => {
            v.push(check.clone());
            true
        }
        None => false,
    });
    if queued {
        Ok(())
    } else {
        verify(txn, catalog, &check)
    }
}

/// The `SET CONSTRAINTS` state of a transaction.
#[derive(Debug, Clone, Default)]
pub struct ConstraintModes {
    /// `SET CONSTRAINTS ALL ...`: `Some(true)` deferred, `Some(false)` immediate.
    all: Option<bool>,
    /// Per constraint (by table id and name), set after `all`.
    named: Vec<((u32, String), bool)>,
}

impl ConstraintModes {
    /// Whether `fk` of table `table` is checked at commit.
    pub fn deferred(&self, table: u32, fk: &ForeignKeyDef) -> bool {
        if !fk.deferrable {
            return false;
        }
        if let Some((_, d)) =
            self.named.iter().rev().find(|((t, n), _)| *t == table && *n == fk.name)
        {
            return *d;
        }
        self.all.unwrap_or(fk.initially_deferred)
    }

    /// `SET CONSTRAINTS ALL DEFERRED | IMMEDIATE`.
    pub fn set_all(&mut self, deferred: bool) {
        self.all = Some(deferred);
        self.named.clear();
    }

    /// `SET CONSTRAINTS name DEFERRED | IMMEDIATE` for one constraint.
    pub fn set_one(&mut self, table: u32, name: &str, deferred: bool) {
        self.named.push(((table, name.to_string()), deferred));
    }
}

/// Verifies one check against the rows `txn` sees now.
pub fn verify(txn: &Transaction, catalog: &Catalog, check: &FkCheck) -> Result<()> {
    let Some(child) = catalog.table(check.table) else { return Ok(()) };
    let Some(fk) = child.foreign_keys.iter().find(|f| f.name == check.constraint) else {
        return Ok(());
    };
    let Some(parent) = catalog.table(fk.ref_table) else { return Ok(()) };
    if check.side != FkSide::Restricted
        && referenced_exists_in(txn, catalog, parent, &fk.ref_columns, &check.key)?
    {
        return Ok(());
    }
    // A removed referenced key must not be referenced by a row committed after the
    // snapshot either (`dml::referenced_actions` took the key lock that orders those
    // commits first): that side reads as of the last commit, as PostgreSQL's check
    // reads a fresh snapshot.
    let latest = check.side != FkSide::Referencing;
    if !still_referenced(txn, child, &fk.columns, &check.key, latest)? {
        return Ok(());
    }
    let (cols, vals) = key_text(child, &fk.columns, &check.key);
    Err(match check.side {
        FkSide::Referencing => referencing_violation(child, fk, parent, &cols, &vals),
        FkSide::Referenced | FkSide::Restricted => {
            // A partition's copy of its parent's key reports as the partitioned table's.
            let mut owner = child.clone();
            while let Some((up, _)) = catalog.partition_parent(owner.id) {
                match catalog.table(up) {
                    Some(t) if t.foreign_keys.iter().any(|f| f.name == fk.name) => {
                        owner = t.clone()
                    }
                    _ => break,
                }
            }
            referenced_violation(&owner, fk, parent, &vals)
        }
    })
}

fn referenced_violation(
    child: &TableDef,
    fk: &ForeignKeyDef,
    parent: &TableDef,
    vals: &str,
) -> Error {
    Error::new(
            SqlState::FOREIGN_KEY_VIOLATION,
            format!(
                "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
                parent.name, fk.name, child.name
            ),
        )
        .with_detail(format!(
            "Key ({})=({vals}) is still referenced from table \"{}\".",
            fk.ref_columns
                .iter()
                .map(|c| parent.columns[*c].name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            child.name
        ))
}

/// The column names and values of a key as a DETAIL line shows them.
pub fn key_text(table: &TableDef, cols: &[usize], vals: &[Value]) -> (String, String) {
    let names: Vec<&str> = cols.iter().map(|c| table.columns[*c].name.as_str()).collect();
    let vals: Vec<String> =
        vals.iter().map(|v| if v.is_null() { "null".into() } else { v.to_pg_text() }).collect();
    (names.join(", "), vals.join(", "))
}

/// The error of a referencing key whose referenced key is missing.
pub fn referencing_violation(
    child: &TableDef,
    fk: &ForeignKeyDef,
    parent: &TableDef,
    cols: &str,
    vals: &str,
) -> Error {
    Error::new(
        SqlState::FOREIGN_KEY_VIOLATION,
        format!(
            "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
            child.name, fk.name
        ),
    )
    .with_detail(format!("Key ({cols})=({vals}) is not present in table \"{}\".", parent.name))
}

/// Whether `parent` (a partitioned table: one of its leaf partitions) has a row whose
/// `cols` equal `vals`.
pub fn referenced_exists_in(
    txn: &Transaction,
    catalog: &Catalog,
    parent: &TableDef,
    cols: &[usize],
    vals: &[Value],
) -> Result<bool> {
    if !catalog.is_partitioned(parent.id) {
        return referenced_exists(txn, parent, cols, vals);
    }
    // Partitions have their parent's columns in its order.
    for leaf in catalog.partition_tree(parent.id) {
        if catalog.is_partitioned(leaf) {
            continue;
        }
        if let Some(t) = catalog.table(leaf) {
            if referenced_exists(txn, t, cols, vals)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Whether `parent` has a row whose `cols` equal `vals`.
pub fn referenced_exists(
    txn: &Transaction,
    parent: &TableDef,
    cols: &[usize],
    vals: &[Value],
) -> Result<bool> {
    let index = parent.indexes.iter().find(|i| i.unique && i.is_plain() && i.columns == cols);
    match index {
        Some(idx) => {
            let mut probe = vec![Value::Null; parent.columns.len()];
            for (c, v) in cols.iter().zip(vals) {
                // A key of another type of the same family (int8 → int4, int → numeric)
                // is looked up as the referenced column's type; a value it cannot hold
                // is not there.
                let ty = &parent.columns[*c].data_type;
                probe[*c] = match crate::expr::cast::cast_value(v.clone(), ty, false) {
                    Ok(v) => v,
                    Err(_) => return Ok(false),
                };
            }
            let Some(pk) = unique_conflict(txn, parent, idx, &probe, None)? else {
                return Ok(false);
            };
            // `FOR KEY SHARE` on the referenced row, as PostgreSQL's check takes: a
            // concurrent DELETE or key change of it waits for this transaction, and one
            // that committed since the snapshot fails this statement (READ COMMITTED runs
            // it again on a snapshot that sees the change).
            let row = crate::encoding::keys::row_key(parent.id, &pk);
            txn.lock_row(&row, RowLockStrength::KeyShare, RowLockWait::Wait)?;
            Ok(true)
        }
        None => still_referenced(txn, parent, cols, vals, false),
    }
}

/// Whether some row of `table` has `cols` equal to `vals`, in the snapshot or, when
/// `latest`, as of the last commit ([`table_io::rows_where_equal`]).
fn still_referenced(
    txn: &Transaction,
    table: &TableDef,
    cols: &[usize],
    vals: &[Value],
    latest: bool,
) -> Result<bool> {
    let mut found = false;
    table_io::rows_where_equal(txn, table, cols, vals, latest, |_, _| {
        found = true;
        Ok(false)
    })?;
    Ok(found)
}
