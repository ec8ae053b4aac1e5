//! The sort of `ORDER BY` without a limit, bounded by `work_mem` like PostgreSQL's
//! external merge sort.
//!
//! Rows arrive with their evaluated sort keys and are buffered while the estimated
//! bytes of rows and keys ([`super::row_spill::row_bytes`]) stay within the budget.
//!
//! ```text
//!   input ─▶ buffer ──(over work_mem)──▶ quicksort ─▶ run 0, run 1, ... (temp files)
//!              │                                          │
//!              └──(end)──▶ quicksort ─▶ in-memory run ────┴─▶ k-way merge ─▶ sink
//! ```
//!
//! - Nothing spilled: the buffer is sorted with PostgreSQL's quicksort
//!   ([`super::pg_sort`]) and handed out, as a sort without a budget would.
//! - Otherwise every full buffer was sorted and written as a *run* (keys stored with the
//!   row, so volatile key expressions are evaluated once), the last buffer is sorted in
//!   memory, and all runs are merged through a binary heap. Keys that tie are broken by
//!   run order, so tied rows leave in the order of the input chunks they came in.
//! - More runs than one merge may read at once (`work_mem` over the block size, at
//!   least 6, as PostgreSQL's minimum merge order) are first merged in passes, groups of
//!   consecutive runs into one longer run, which keeps that tie order.
//!
//! Runs are [`helios_storage::TempRun`]s (anonymous temporary files, sealed under a
//! random key when the database is encrypted); their rows are written losslessly by
//! [`super::row_spill::RowCodec`]. Merged rows go to the sink one at a time, so a
//! streamed query never holds the whole result.

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::atomic::AtomicBool;

use helios_common::Result;
use helios_storage::{TempRun, TempRunReader, TempRunWriter};
use helios_types::Value;

use super::context::Row;
use super::pg_sort::pg_sort_by;
use super::row_spill::{row_bytes, RowCodec};
use super::sort::compare_rows;
use crate::planner::SortKey;

/// A row with its evaluated sort keys.
pub type Keyed = (Vec<Value>, Row);

/// Bytes a buffered row costs besides its values: its slot in the buffer.
const SLOT_BYTES: usize = std::mem::size_of::<Keyed>();

/// The smallest number of runs one merge reads at once (PostgreSQL's minimum order).
const MIN_MERGE_ORDER: usize = 6;

thread_local! {
    /// Runs written by sorts on this thread (for tests and diagnostics).
    static RUNS_WRITTEN: Cell<u64> = const { Cell::new(0) };
}

/// How many sort runs have been written to temporary files on this thread (a session
/// runs its statements on the calling thread).
pub fn runs_written() -> u64 {
    RUNS_WRITTEN.with(Cell::get)
}

/// The sort of one `Plan::Sort` without a limit (see the module docs).
pub struct ExternalSort<'k> {
    keys: &'k [SortKey],
    budget: usize,
    seal: bool,
    block_size: usize,
    buffer: Vec<Keyed>,
    held: usize,
    runs: Vec<TempRun>,
    codec: RowCodec,
    record: Vec<u8>,
    scratch: Vec<u8>,
    cancel: Option<&'k AtomicBool>,
}

impl std::fmt::Debug for ExternalSort<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalSort")
            .field("budget", &self.budget)
            .field("buffered", &self.buffer.len())
            .field("runs", &self.runs.len())
            .finish_non_exhaustive()
    }
}

impl<'k> ExternalSort<'k> {
    /// A sort by `keys` holding about `budget` bytes in memory; runs are sealed when
    /// `seal` is set.
    pub fn new(keys: &'k [SortKey], budget: usize, seal: bool) -> ExternalSort<'k> {
        // Blocks small enough that a merge of several runs stays near the budget.
        let block_size = (budget / 8).clamp(4 * 1024, helios_storage::temp_run::DEFAULT_BLOCK_SIZE);
        ExternalSort {
            keys,
            budget,
            seal,
            block_size,
            buffer: Vec::new(),
            held: 0,
            runs: Vec::new(),
            codec: RowCodec::default(),
            record: Vec::new(),
            scratch: Vec::new(),
            cancel: None,
        }
    }

    /// The same sort, checking `cancel` while it merges (57014 when set).
    pub fn with_cancel(mut self, cancel: &'k AtomicBool) -> ExternalSort<'k> {
        self.cancel = Some(cancel);
        self
    }

    /// Adds one row; writes a run when the buffer passes the budget.
    pub fn push(&mut self, keys: Vec<Value>, row: Row) -> Result<()> {
        self.held += SLOT_BYTES + row_bytes(&keys) + row_bytes(&row);
        self.buffer.push((keys, row));
        if self.held > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the buffer and writes it as a run.
    fn spill(&mut self) -> Result<()> {
        let keys = self.keys;
        pg_sort_by(&mut self.buffer, |a, b| compare_rows(&a.0, &b.0, keys));
        let mut w = self.writer()?;
        for (k, r) in self.buffer.drain(..) {
            let r = Payload::Row(r);
            write_record(&self.codec, &mut w, &k, &r, &mut self.record, &mut self.scratch)?;
        }
        self.runs.push(w.finish()?);
        // The buffer's slots stay allocated for the next run, unless they take much of
        // the budget themselves.
        if self.buffer.capacity() * SLOT_BYTES > self.budget / 2 {
            self.buffer = Vec::new();
        }
        self.held = self.buffer.capacity() * SLOT_BYTES;
        RUNS_WRITTEN.with(|c| c.set(c.get() + 1));
        Ok(())
    }

    fn writer(&self) -> Result<TempRunWriter> {
        TempRunWriter::with_options(None, self.seal, self.block_size)
    }

    /// How many runs one merge reads at once.
    fn merge_order(&self) -> usize {
        (self.budget / self.block_size).max(MIN_MERGE_ORDER)
    }

    /// Hands the rows out in order; false when the sink stopped them.
    pub fn finish(mut self, sink: &mut dyn FnMut(Row) -> Result<bool>) -> Result<bool> {
        let keys = self.keys;
        if self.runs.is_empty() {
            pg_sort_by(&mut self.buffer, |a, b| compare_rows(&a.0, &b.0, keys));
            for (_, r) in self.buffer {
                if !sink(r)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        let order = self.merge_order();
        if self.runs.len() + 1 > order {
            if !self.buffer.is_empty() {
                self.spill()?;
            }
            while self.runs.len() > order {
                self.merge_pass(order)?;
            }
        } else {
            pg_sort_by(&mut self.buffer, |a, b| compare_rows(&a.0, &b.0, keys));
        }
        let mut sources: Vec<Source> = std::mem::take(&mut self.runs)
            .into_iter()
            .map(|r| Source::Run(r.into_reader()))
            .collect();
        sources.push(Source::Memory(std::mem::take(&mut self.buffer).into_iter()));
        let codec = &self.codec;
        merge(sources, keys, codec, true, self.cancel, &mut |_, row| sink(row.into_row(codec)?))
    }

    /// Merges groups of `order` consecutive runs into one run each.
    fn merge_pass(&mut self, order: usize) -> Result<()> {
        let mut merged = Vec::with_capacity(self.runs.len().div_ceil(order));
        let mut runs = std::mem::take(&mut self.runs).into_iter().peekable();
        while runs.peek().is_some() {
            let group: Vec<Source> =
                runs.by_ref().take(order).map(|r| Source::Run(r.into_reader())).collect();
            let mut w = self.writer()?;
            let (codec, record, scratch) = (&self.codec, &mut self.record, &mut self.scratch);
            merge(group, self.keys, codec, false, self.cancel, &mut |k, r| {
                write_record(codec, &mut w, &k, &r, record, scratch)?;
                Ok(true)
            })?;
            merged.push(w.finish()?);
            RUNS_WRITTEN.with(|c| c.set(c.get() + 1));
        }
        self.runs = merged;
        Ok(())
    }
}

/// A row in a merge: its values, or its encoding as read from a run (a merge pass
/// copies the bytes of the rows it moves to its output run without decoding them).
enum Payload {
    Row(Row),
    Stored(Vec<u8>),
}

impl Payload {
    fn into_row(self, codec: &RowCodec) -> Result<Row> {
        match self {
            Payload::Row(r) => Ok(r),
            Payload::Stored(bytes) => codec.decode(&bytes, &mut 0),
        }
    }
}

/// Writes one keyed row as a run record: the keys, then the row.
fn write_record(
    codec: &RowCodec,
    w: &mut TempRunWriter,
    keys: &[Value],
    row: &Payload,
    record: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Result<()> {
    record.clear();
    codec.encode(keys, record, scratch)?;
    match row {
        Payload::Row(r) => codec.encode(r, record, scratch)?,
        Payload::Stored(bytes) => record.extend_from_slice(bytes),
    }
    w.push(record)
}

/// Where a merge takes sorted rows from.
enum Source {
    Run(TempRunReader),
    Memory(std::vec::IntoIter<Keyed>),
}

impl Source {
    /// The next keyed row; a row read from a run is decoded when `decode` is set, else
    /// carried as its bytes.
    fn next(&mut self, codec: &RowCodec, decode: bool) -> Result<Option<(Vec<Value>, Payload)>> {
        match self {
            Source::Memory(rows) => Ok(rows.next().map(|(k, r)| (k, Payload::Row(r)))),
            Source::Run(reader) => {
                let Some(bytes) = reader.next_record()? else { return Ok(None) };
                let mut at = 0;
                let keys = codec.decode(bytes, &mut at)?;
                let row = if decode {
                    Payload::Row(codec.decode(bytes, &mut at)?)
                } else {
                    Payload::Stored(bytes[at..].to_vec())
                };
                Ok(Some((keys, row)))
            }
        }
    }
}

/// The next row of one source, waiting in the merge heap.
struct Head<'k> {
    keys: Vec<Value>,
    row: Payload,
    source: usize,
    order: &'k [SortKey],
}

impl Ord for Head<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        // `BinaryHeap` pops its greatest element: the smallest key, then the earliest run.
        compare_rows(&self.keys, &other.keys, self.order)
            .then(self.source.cmp(&other.source))
            .reverse()
    }
}

impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head<'_> {}

/// Merges sorted sources into `out` (keys, row); false when `out` stopped it. Rows
/// read from runs are decoded when `decode` is set (the final merge), else carried as
/// their bytes (a merge pass).
fn merge(
    mut sources: Vec<Source>,
    order: &[SortKey],
    codec: &RowCodec,
    decode: bool,
    cancel: Option<&AtomicBool>,
    out: &mut dyn FnMut(Vec<Value>, Payload) -> Result<bool>,
) -> Result<bool> {
    let mut merged = 0u32;
    let mut heap = BinaryHeap::with_capacity(sources.len());
    for (i, s) in sources.iter_mut().enumerate() {
        if let Some((keys, row)) = s.next(codec, decode)? {
            heap.push(Head { keys, row, source: i, order });
        }
    }
    while let Some(mut head) = heap.peek_mut() {
        let (keys, row) = match sources[head.source].next(codec, decode)? {
            Some((keys, row)) => {
                // Replace the head in place and let the heap sift it down.
                let keys = std::mem::replace(&mut head.keys, keys);
                (keys, std::mem::replace(&mut head.row, row))
            }
            None => {
                let head = std::collections::binary_heap::PeekMut::pop(head);
                (head.keys, head.row)
            }
        };
        if !out(keys, row)? {
            return Ok(false);
        }
        merged = merged.wrapping_add(1);
        if merged.is_multiple_of(1024) {
            if let Some(c) = cancel {
                super::context::check_cancel(c)?;
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;

    fn key(asc: bool, nulls_first: bool) -> SortKey {
        SortKey { expr: Expr::Column(0, helios_types::DataType::Int4), asc, nulls_first }
    }

    /// Sorts `(key, tag)` rows with a tiny budget and returns the tags.
    fn sort_tags(rows: &[(Value, i32)], keys: &[SortKey], budget: usize) -> (Vec<i32>, u64) {
        let before = runs_written();
        let mut s = ExternalSort::new(keys, budget, true);
        for (k, tag) in rows {
            s.push(vec![k.clone()], vec![Value::Int4(*tag)]).expect("push");
        }
        let mut out = Vec::new();
        s.finish(&mut |r| {
            out.push(match r[0] {
                Value::Int4(t) => t,
                _ => unreachable!("tags are ints"),
            });
            Ok(true)
        })
        .expect("finish");
        (out, runs_written() - before)
    }

    #[test]
    fn spilled_sorts_match_the_in_memory_order_of_distinct_keys() {
        let rows: Vec<(Value, i32)> = (0..5000)
            .map(|i| {
                let k = if i % 17 == 0 { Value::Null } else { Value::Int4((i * 7919) % 10007) };
                (k, i)
            })
            .collect();
        for keys in [[key(true, false)], [key(false, true)]] {
            let (big, no_runs) = sort_tags(&rows, &keys, usize::MAX);
            assert_eq!(no_runs, 0);
            let (small, runs) = sort_tags(&rows, &keys, 16 * 1024);
            // Enough runs for merge passes (order 6 at this budget).
            assert!(runs > 12, "{runs} runs");
            // NULL keys tie (and the quicksort is not stable): compare the keys' order.
            let key_of = |t: i32| rows[t as usize].0.clone();
            let ks = |v: &[i32]| v.iter().map(|&t| format!("{:?}", key_of(t))).collect::<Vec<_>>();
            assert_eq!(ks(&small), ks(&big));
            let (mut a, mut b) = (small.clone(), big.clone());
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn ties_leave_in_the_order_of_their_runs() {
        // The quicksort leaves equal keys where they are within a run; across runs the
        // merge takes the earlier run's row first, so all ties keep the input order.
        let rows: Vec<(Value, i32)> = (0..3000).map(|i| (Value::Int4(1), i)).collect();
        let (out, runs) = sort_tags(&rows, &[key(true, false)], 8 * 1024);
        assert!(runs > 1);
        assert_eq!(out, (0..3000).collect::<Vec<_>>());
    }

    #[test]
    fn a_stopping_sink_stops_the_merge() {
        let rows: Vec<(Value, i32)> = (0..2000).map(|i| (Value::Int4(-i), i)).collect();
        let keys = [key(true, false)];
        let mut s = ExternalSort::new(&keys, 8 * 1024, false);
        for (k, tag) in &rows {
            s.push(vec![k.clone()], vec![Value::Int4(*tag)]).expect("push");
        }
        let mut seen = Vec::new();
        let done = s
            .finish(&mut |r| {
                seen.push(r[0].clone());
                Ok(seen.len() < 3)
            })
            .expect("finish");
        assert!(!done);
        assert_eq!(seen, vec![Value::Int4(1999), Value::Int4(1998), Value::Int4(1997)]);
    }
}
