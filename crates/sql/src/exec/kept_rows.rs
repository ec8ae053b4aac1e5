//! Rows kept to be read later, in any order: a cursor's result, the rest of a portal
//! that a row limit suspended.
//!
//! Like PostgreSQL's tuplestore, the rows stay in memory up to a budget (the session's
//! `work_mem`) and past it move to a temporary run file ([`helios_storage::TempRun`],
//! sealed when the database is encrypted), so a client that reads a large result a
//! few rows at a time through a cursor (psycopg's named cursors, SQLAlchemy's
//! `stream_results`, Django's `iterator()`) or a row-limited `Execute` (JDBC's
//! `fetchSize`) holds one block of it in memory rather than all of it.
//!
//! ```text
//!   push ──▶ memory ──(past the budget: every row so far, then each new one)──▶ run file
//!   get(i) ◀── memory, or the run's block holding row i (one block read, then in order)
//! ```
//!
//! Rows are written with [`RowCodec`]: any list of values, whatever the plan's types.

use std::sync::atomic::{AtomicU64, Ordering};

use helios_common::{Error, Result};
use helios_storage::{TempRunReader, TempRunWriter};
use helios_types::Value;

use super::row_spill::{row_bytes, RowCodec};

/// Stores of kept rows that moved to a temporary file, in this process.
static SPILLS: AtomicU64 = AtomicU64::new(0);

/// An append-only list of rows read back by position; see the module docs.
#[derive(Debug)]
pub struct KeptRows {
    budget: usize,
    seal: bool,
    len: usize,
    store: Store,
}

#[derive(Debug)]
enum Store {
    /// Every row, with the bytes they hold (estimated).
    Memory(Vec<Vec<Value>>, usize),
    /// Rows written to a run so far.
    Writing(Spilled<TempRunWriter>),
    /// The run, read back.
    Reading(Spilled<TempRunReader>),
    /// Transiently, while moving between the others.
    Moving,
}

#[derive(Debug)]
struct Spilled<T> {
    run: T,
    codec: RowCodec,
    /// A record being written, and the codec's scratch space.
    buf: (Vec<u8>, Vec<u8>),
}

impl KeptRows {
    /// An empty list that moves to a temporary file past `budget` bytes, sealed under a
    /// random key when `seal` is set.
    pub fn new(budget: usize, seal: bool) -> KeptRows {
        KeptRows { budget, seal, len: 0, store: Store::Memory(Vec::new(), 0) }
    }

    /// Rows that are kept in memory whatever their size (computed in full already).
    pub fn from_rows(rows: Vec<Vec<Value>>) -> KeptRows {
        KeptRows { budget: usize::MAX, seal: true, len: rows.len(), store: Store::Memory(rows, 0) }
    }

    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many stores moved their rows to a temporary file in this process so far (for
    /// tests and diagnostics).
    pub fn spills() -> u64 {
        SPILLS.load(Ordering::Relaxed)
    }

    /// Whether the rows went to a temporary file.
    pub fn spilled(&self) -> bool {
        matches!(self.store, Store::Writing(_) | Store::Reading(_))
    }

    /// Appends `row`. Rows are appended before any is read.
    pub fn push(&mut self, row: Vec<Value>) -> Result<()> {
        match &mut self.store {
            Store::Memory(rows, bytes) => {
                *bytes += row_bytes(&row);
                rows.push(row);
                if *bytes > self.budget {
                    self.spill()?;
                }
            }
            Store::Writing(w) => write_row(w, &row)?,
            Store::Reading(_) | Store::Moving => {
                return Err(Error::internal("a row kept after reading began"))
            }
        }
        self.len += 1;
        Ok(())
    }

    /// Moves the rows in memory to a new run.
    fn spill(&mut self) -> Result<()> {
        let Store::Memory(rows, _) = std::mem::replace(&mut self.store, Store::Moving) else {
            return Err(Error::internal("kept rows spilled twice"));
        };
        let run = TempRunWriter::new(self.seal)?;
        let mut w = Spilled { run, codec: RowCodec::default(), buf: Default::default() };
        for row in &rows {
            write_row(&mut w, row)?;
        }
        self.store = Store::Writing(w);
        SPILLS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Row `i` (counted from 0), copied out; `i` must be below [`len`](KeptRows::len).
    pub fn get(&mut self, i: usize) -> Result<Vec<Value>> {
        if i >= self.len {
            return Err(Error::internal("kept row out of range"));
        }
        if matches!(self.store, Store::Writing(_)) {
            let Store::Writing(w) = std::mem::replace(&mut self.store, Store::Moving) else {
                unreachable!("matched above")
            };
            let run = w.run.finish()?.into_reader();
            self.store = Store::Reading(Spilled { run, codec: w.codec, buf: Default::default() });
        }
        match &mut self.store {
            Store::Memory(rows, _) => Ok(rows[i].clone()),
            Store::Reading(r) => {
                r.run.seek(i as u64)?;
                let bytes = r.run.next_record()?.ok_or_else(|| Error::internal("kept row lost"))?;
                r.codec.decode(bytes, &mut 0)
            }
            Store::Writing(_) | Store::Moving => Err(Error::internal("kept rows mid-move")),
        }
    }
}

fn write_row(w: &mut Spilled<TempRunWriter>, row: &[Value]) -> Result<()> {
    let (record, scratch) = &mut w.buf;
    record.clear();
    w.codec.encode(row, record, scratch)?;
    w.run.push(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize) -> Vec<Value> {
        let note = if i.is_multiple_of(7) {
            Value::Null
        } else {
            Value::Text(format!("row {i} {}", "x".repeat(i % 50)))
        };
        vec![Value::Int8(i as i64), note, Value::Bool(i.is_multiple_of(2))]
    }

    #[test]
    fn rows_past_the_budget_read_back_in_any_order() {
        for seal in [false, true] {
            let mut kept = KeptRows::new(16 * 1024, seal);
            for i in 0..5000 {
                kept.push(row(i)).expect("push");
            }
            assert!(kept.spilled());
            assert_eq!(kept.len(), 5000);
            // Forward, backward, jumping: each row is the one pushed at its position.
            let order =
                (0..5000).step_by(3).chain((0..5000).rev().step_by(7)).chain([4999, 0, 2500]);
            for i in order {
                assert_eq!(kept.get(i).expect("get"), row(i), "row {i}");
            }
            assert!(kept.get(5000).is_err());
            assert!(kept.push(row(0)).is_err(), "no push after reading began");
        }
    }

    #[test]
    fn rows_within_the_budget_stay_in_memory() {
        let mut kept = KeptRows::new(1 << 20, true);
        for i in 0..100 {
            kept.push(row(i)).expect("push");
        }
        assert!(!kept.spilled());
        assert_eq!(kept.get(42).expect("get"), row(42));
        let mut given = KeptRows::from_rows(vec![row(1), row(2)]);
        assert_eq!((given.len(), given.get(1).expect("get")), (2, row(2)));
    }
}
