//! Bulk writes into redb: ascending runs go in through a cursor that packs whole leaves.
//!
//! A commit hands the engine its writes grouped by keyspace (the first key byte) and, within
//! a keyspace, mostly ascending: a bulk load, a serial primary key, the versions of one
//! commit. Inserting such keys one by one costs a descent of the tree per key, and redb
//! splits a full leaf in half, so an ascending stream leaves every leaf it passes about
//! half full. redb's mutable cursor ([`redb::Table::lower_bound_mut`]) instead buffers
//! inserts into one gap between existing entries and splices them in as freshly packed,
//! full leaves, one parent update per MiB of entries.
//!
//! The filler buffers the strictly ascending run of each keyspace (a key that does not
//! sort after the previous one of its keyspace first flushes that keyspace's buffer, so a
//! put and a later delete of the same key still apply in order; keys of different
//! keyspaces are always different keys). A flush walks the run gap by gap: it positions a
//! cursor before the run's next key, looks at the existing entry after that gap, and puts
//! every buffered key below that entry through the cursor. Gaps holding only a few
//! buffered keys (updates interleaved with existing versions) are cheaper as plain
//! inserts, which also overwrite a key that exists already; after such a gap the next
//! keys go in plainly for a while (doubling each time) before the filler looks again.
//!
//! A large commit builds its writes (reads its spilled runs, builds the versioned keys)
//! and redb packs them; neither needs the other's result, so
//! [`LeafFiller::write_from`] builds the runs on a second thread and flushes them on
//! the calling one as each is complete: with a spare core, the commit takes about as long
//! as the slower half instead of the sum. Emptied runs go back to the builder, so a long
//! stream reuses a few buffers.
//!
//! ```text
//!   builder thread:  produce ──▶ runs per keyspace ──▶ full run ──┐
//!   calling thread:                          ┌── emptied run ◀── flush into redb
//!                                            └──▶ (back to the builder)
//! ```

use std::ops::Bound;
use std::sync::mpsc;

use redb::{Error, Table};

use crate::kv::SinkFn;

/// Buffered bytes of one keyspace after which its run is flushed.
const RUN_BYTES: usize = 4 * 1024 * 1024;
/// Fewer buffered keys than this in one gap go in as plain inserts.
const MIN_CURSOR_KEYS: usize = 16;
/// Most keys inserted plainly after a small gap before the next look.
const MAX_PLAIN: usize = 1024;
/// Full runs [`LeafFiller::write_from`]'s builder may hand over ahead of the flushes.
const RUNS_AHEAD: usize = 2;

/// One buffered write: offsets into the run's byte buffer; no value deletes.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: (usize, usize),
    value: Option<(usize, usize)>,
}

/// An ascending run of one keyspace not inserted yet.
#[derive(Debug, Default)]
struct Run {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

/// How one keyspace's flushes treat small gaps (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
struct Gaps {
    /// Keys to insert plainly before the next look at a gap.
    plain: usize,
    /// The last number of plain inserts after a small gap; doubles while gaps stay small.
    backoff: usize,
}

impl Run {
    fn last_key(&self) -> Option<&[u8]> {
        self.entries.last().map(|e| self.key(e))
    }

    fn key(&self, e: &Entry) -> &[u8] {
        &self.bytes[e.key.0..e.key.0 + e.key.1]
    }

    fn value(&self, e: &Entry) -> Option<&[u8]> {
        e.value.map(|(at, len)| &self.bytes[at..at + len])
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a write of `len` bytes under `key` can join this run: it sorts after the
    /// run's last key and fits.
    fn takes(&self, key: &[u8], len: usize) -> bool {
        self.last_key().is_none_or(|last| key > last) && self.bytes.len() + len <= RUN_BYTES
    }

    /// Buffers a write whose value is the concatenation of `value`'s parts.
    fn push(&mut self, key: &[u8], value: Option<&[&[u8]]>) {
        let k = (self.bytes.len(), key.len());
        self.bytes.extend_from_slice(key);
        let value = value.map(|parts| {
            let at = self.bytes.len();
            parts.iter().for_each(|p| self.bytes.extend_from_slice(p));
            (at, self.bytes.len() - at)
        });
        self.entries.push(Entry { key: k, value });
    }

    /// Applies one write as a plain insert or removal.
    fn apply_plain(&self, table: &mut Table<&[u8], &[u8]>, e: &Entry) -> Result<(), Error> {
        let key = self.key(e);
        match self.value(e) {
            Some(v) => drop(table.insert(key, v)?),
            None => drop(table.remove(key)?),
        }
        Ok(())
    }

    /// Applies the buffered writes in order and empties the run.
    fn flush(&mut self, table: &mut Table<&[u8], &[u8]>, gaps: &mut Gaps) -> Result<(), Error> {
        let n = self.entries.len();
        let mut i = 0;
        while i < n {
            let e = self.entries[i];
            if gaps.plain > 0 || e.value.is_none() {
                gaps.plain = gaps.plain.saturating_sub(1);
                self.apply_plain(table, &e)?;
                i += 1;
                continue;
            }
            let mut cursor = table.lower_bound_mut(Bound::Included(self.key(&e)))?;
            let next = cursor.peek_next()?.map(|(k, _)| k.value().to_vec());
            // The buffered puts that sort below the existing entry after the gap.
            let mut end = i;
            while end < n {
                let f = &self.entries[end];
                if f.value.is_none() || next.as_deref().is_some_and(|nk| self.key(f) >= nk) {
                    break;
                }
                end += 1;
            }
            if end - i < MIN_CURSOR_KEYS {
                cursor.close()?;
                gaps.backoff = (gaps.backoff * 2).clamp(MIN_CURSOR_KEYS, MAX_PLAIN);
                // At least this key goes in plainly (it may equal the entry after the gap).
                gaps.plain = (end - i).max(1) + gaps.backoff;
                continue;
            }
            gaps.backoff = 0;
            for f in &self.entries[i..end] {
                let (key, value) = (self.key(f), self.value(f).unwrap_or_default());
                // The gap check above makes an unordered key impossible; if it happens
                // anyway it is an error, never a lost write.
                cursor.insert_before(key, value).map_err(Error::from)?;
            }
            cursor.close()?;
            i = end;
        }
        self.bytes.clear();
        self.entries.clear();
        Ok(())
    }
}

/// The open run of every keyspace (first key byte; the empty key counts as keyspace 0).
#[derive(Debug, Default)]
struct Runs {
    runs: Vec<Run>,
}

impl Runs {
    /// Buffers a write; a keyspace's run the write cannot join is first handed to `full`
    /// (which leaves an empty run in its place).
    fn push<E>(
        &mut self,
        key: &[u8],
        value: Option<&[&[u8]]>,
        full: &mut impl FnMut(usize, &mut Run) -> Result<(), E>,
    ) -> Result<(), E> {
        let space = usize::from(key.first().copied().unwrap_or(0));
        if self.runs.len() <= space {
            self.runs.resize_with(space + 1, Run::default);
        }
        let run = &mut self.runs[space];
        let len = key.len() + value.map_or(0, |parts| parts.iter().map(|p| p.len()).sum());
        if !run.takes(key, len) && !run.is_empty() {
            full(space, run)?;
        }
        run.push(key, value);
        Ok(())
    }

    /// Hands every non-empty run to `full`.
    fn drain<E>(
        &mut self,
        full: &mut impl FnMut(usize, &mut Run) -> Result<(), E>,
    ) -> Result<(), E> {
        for (space, run) in self.runs.iter_mut().enumerate() {
            if !run.is_empty() {
                full(space, run)?;
            }
        }
        Ok(())
    }
}

/// Writes into a redb table through ordered runs (see the module docs). Call
/// [`LeafFiller::finish`] at the end: writes still buffered are applied only then.
pub(super) struct LeafFiller<'a, 't> {
    table: &'a mut Table<'t, &'static [u8], &'static [u8]>,
    runs: Runs,
    /// Each keyspace's small-gap state, created on first use.
    gaps: Vec<Gaps>,
}

/// What failed in [`LeafFiller::write_from`].
#[derive(Debug)]
pub(super) enum FillError {
    /// Writing into redb.
    Redb(Error),
    /// The producer of the writes.
    Produce(helios_common::Error),
}

impl<'a, 't> LeafFiller<'a, 't> {
    /// A filler writing into `table`.
    pub(super) fn new(table: &'a mut Table<'t, &'static [u8], &'static [u8]>) -> Self {
        LeafFiller { table, runs: Runs::default(), gaps: Vec::new() }
    }

    /// Puts `key` (`Some` value) or deletes it (`None`).
    pub(super) fn write(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), Error> {
        match value {
            Some(v) => self.write_parts(key, Some(&[v])),
            None => self.write_parts(key, None),
        }
    }

    /// [`LeafFiller::write`] of a value given as parts to concatenate.
    pub(super) fn write_parts(&mut self, key: &[u8], value: Option<&[&[u8]]>) -> Result<(), Error> {
        let (table, gaps) = (&mut *self.table, &mut self.gaps);
        self.runs.push(key, value, &mut |space, run| flush_run(table, gaps, space, run))
    }

    /// Writes what `produce` puts into its sink, building the runs on a second thread
    /// while this one flushes the complete ones (see the module docs); the same outcome
    /// as [`LeafFiller::write_parts`] of every write in order. Returns the first error of
    /// either side: a failed flush makes the producer's next hand-over fail, so it stops.
    pub(super) fn write_from<P>(&mut self, produce: P) -> Result<(), FillError>
    where
        P: FnOnce(&mut SinkFn<'_>) -> helios_common::Result<()> + Send,
    {
        // What was buffered before goes first, so the order of every key's writes holds.
        self.flush_all().map_err(FillError::Redb)?;
        let (full_tx, full_rx) = mpsc::sync_channel::<(usize, Run)>(RUNS_AHEAD);
        let (empty_tx, empty_rx) = mpsc::channel::<Run>();
        std::thread::scope(|scope| {
            let builder = scope.spawn(move || {
                let stopped = || helios_common::Error::internal("the commit's writer stopped");
                let mut hand_over = |space: usize, run: &mut Run| {
                    let fresh = empty_rx.try_recv().unwrap_or_default();
                    full_tx.send((space, std::mem::replace(run, fresh))).map_err(|_| stopped())
                };
                let mut runs = Runs::default();
                produce(&mut |key, value| runs.push(key, value, &mut hand_over))?;
                runs.drain(&mut hand_over)
            });
            let mut flushed = Ok(());
            for (space, mut run) in full_rx.iter() {
                flushed = flush_run(self.table, &mut self.gaps, space, &mut run);
                if flushed.is_err() {
                    break;
                }
                // The builder may have finished already; the run is then dropped.
                let _ = empty_tx.send(run);
            }
            // Dropping the receiver after a failed flush makes the builder's next
            // hand-over fail, so it stops.
            drop(full_rx);
            let built = builder.join().unwrap_or_else(|_| {
                Err(helios_common::Error::internal("the commit's writer thread panicked"))
            });
            // A failed flush is the cause; the builder's error is then its consequence.
            flushed.map_err(FillError::Redb)?;
            built.map_err(FillError::Produce)
        })
    }

    fn flush_all(&mut self) -> Result<(), Error> {
        let (table, gaps) = (&mut *self.table, &mut self.gaps);
        self.runs.drain(&mut |space, run| flush_run(table, gaps, space, run))
    }

    /// Applies every buffered write.
    pub(super) fn finish(mut self) -> Result<(), Error> {
        self.flush_all()
    }
}

/// Flushes `run` of keyspace `space` into `table`.
fn flush_run(
    table: &mut Table<'_, &'static [u8], &'static [u8]>,
    gaps: &mut Vec<Gaps>,
    space: usize,
    run: &mut Run,
) -> Result<(), Error> {
    if gaps.len() <= space {
        gaps.resize(space + 1, Gaps::default());
    }
    run.flush(table, &mut gaps[space])
}
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use redb::{ReadableDatabase, ReadableTable, TableDefinition};

    use super::*;

    /// Bytes of a redb leaf page.
    const LEAF_PAGE: usize = 4096;

    const T: TableDefinition<&[u8], &[u8]> = TableDefinition::new("t");

    fn db() -> redb::Database {
        redb::Builder::new()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory redb")
    }

    /// Writes `ops` in one transaction through the filler; returns the table's contents.
    fn apply(db: &redb::Database, ops: &[(Vec<u8>, Option<Vec<u8>>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let txn = db.begin_write().expect("begin");
        {
            let mut table = txn.open_table(T).expect("table");
            let mut filler = LeafFiller::new(&mut table);
            for (k, v) in ops {
                filler.write(k, v.as_deref()).expect("write");
            }
            filler.finish().expect("finish");
        }
        txn.commit().expect("commit");
        let read = db.begin_read().expect("read");
        let table = read.open_table(T).expect("table");
        table
            .iter()
            .expect("iter")
            .map(|r| {
                let (k, v) = r.expect("row");
                (k.value().to_vec(), v.value().to_vec())
            })
            .collect()
    }

    type Pair = (Vec<u8>, Vec<u8>);

    /// [`apply`] with the writes after the first `direct` given through
    /// [`LeafFiller::write_from`].
    fn apply_from(
        db: &redb::Database,
        ops: &[(Vec<u8>, Option<Vec<u8>>)],
        direct: usize,
    ) -> Result<Vec<Pair>, FillError> {
        let (before, streamed) = ops.split_at(direct.min(ops.len()));
        let txn = db.begin_write().expect("begin");
        {
            let mut table = txn.open_table(T).expect("table");
            let mut filler = LeafFiller::new(&mut table);
            for (k, v) in before {
                filler.write(k, v.as_deref()).expect("write");
            }
            filler.write_from(|sink: &mut SinkFn<'_>| {
                for (k, v) in streamed {
                    // In two parts, as the MVCC layer gives a value.
                    match v {
                        Some(v) => sink(k, Some(&[&v[..v.len() / 2], &v[v.len() / 2..]]))?,
                        None => sink(k, None)?,
                    }
                }
                Ok(())
            })?;
            filler.finish().expect("finish");
        }
        txn.commit().expect("commit");
        let read = db.begin_read().expect("read");
        let table = read.open_table(T).expect("table");
        let rows = table.iter().expect("iter");
        Ok(rows
            .map(|r| r.map(|(k, v)| (k.value().to_vec(), v.value().to_vec())).expect("row"))
            .collect())
    }

    #[test]
    fn a_load_built_on_another_thread_fills_leaves_in_order() {
        let db = db();
        apply(&db, &[(b"\x02meta".to_vec(), Some(b"x".to_vec()))]);
        // More than a few runs' worth, with a second keyspace interleaved as the change
        // index is.
        let mut ops = Vec::new();
        for i in 0..120_000u32 {
            ops.push((format!("\x01key{i:08}").into_bytes(), Some(vec![(i % 251) as u8; 100])));
            if i % 1000 == 0 {
                ops.push((format!("\x05chg{i:08}").into_bytes(), Some(vec![1; 10])));
            }
        }
        let got = apply_from(&db, &ops, 10).expect("write_from");
        let mut want: BTreeMap<_, _> = ops.into_iter().map(|(k, v)| (k, v.unwrap())).collect();
        want.insert(b"\x02meta".to_vec(), b"x".to_vec());
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
        let stats = db.begin_write().expect("begin").stats().expect("stats");
        let fill = stats.stored_bytes() as f64 / (stats.leaf_pages() * LEAF_PAGE as u64) as f64;
        assert!(fill > 0.8, "leaves only {:.0}% full", fill * 100.0);
    }

    #[test]
    fn a_failed_producer_fails_the_write() {
        let db = db();
        let txn = db.begin_write().expect("begin");
        let mut table = txn.open_table(T).expect("table");
        let mut filler = LeafFiller::new(&mut table);
        let r = filler.write_from(|sink: &mut SinkFn<'_>| {
            for i in 0..100_000u32 {
                sink(&i.to_be_bytes(), Some(&[&[7u8; 100]]))?;
            }
            Err(helios_common::Error::internal("spill run damaged"))
        });
        match r {
            Err(FillError::Produce(e)) => assert!(e.to_string().contains("spill run damaged")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ascending_loads_fill_leaves() {
        let db = db();
        // As in the MVCC layout, other keyspaces sort after the data (redb packs leaves
        // itself only for keys past the end of the whole tree).
        apply(&db, &[(b"\x02meta".to_vec(), Some(b"x".to_vec()))]);
        let ops: Vec<_> = (0..20_000u32)
            .map(|i| (format!("\x01key{i:08}").into_bytes(), Some(vec![7u8; 100])))
            .collect();
        assert_eq!(apply(&db, &ops).len(), 20_001);
        let stats = db.begin_write().expect("begin").stats().expect("stats");
        let fill = stats.stored_bytes() as f64 / (stats.leaf_pages() * LEAF_PAGE as u64) as f64;
        // Ascending inserts in key order leave these leaves about 55% full.
        assert!(fill > 0.8, "leaves only {:.0}% full", fill * 100.0);
    }

    fn op() -> impl Strategy<Value = (Vec<u8>, Option<Vec<u8>>)> {
        (
            prop::collection::vec(0u8..3, 1..4),
            prop::option::weighted(0.8, prop::collection::vec(any::<u8>(), 0..300)),
        )
    }

    /// Ascending runs of puts and deletes over a wider key range, so that gaps between
    /// existing keys hold enough buffered keys to go through the cursor.
    fn runs() -> impl Strategy<Value = Vec<(Vec<u8>, Option<Vec<u8>>)>> {
        let run =
            (1u8..3, 0u16..3000, 1usize..300, 1u16..4, prop::option::weighted(0.9, 0usize..200));
        prop::collection::vec(run, 0..8).prop_map(|runs| {
            let mut ops = Vec::new();
            for (space, start, len, step, value) in runs {
                for i in 0..len {
                    let k = start.saturating_add(step.saturating_mul(i as u16));
                    let mut key = vec![space];
                    key.extend_from_slice(&k.to_be_bytes());
                    ops.push((key, value.map(|n| vec![(k % 251) as u8; n])));
                }
            }
            ops
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Ascending runs into a table holding other runs end exactly as applying them in
        /// order would: gaps filled through the cursor, overwrites, deletes.
        #[test]
        fn runs_into_existing_keys_match_the_model(
            batches in prop::collection::vec(runs(), 1..4),
        ) {
            let db = db();
            let mut model = BTreeMap::new();
            for batch in &batches {
                for (k, v) in batch {
                    match v {
                        Some(v) => model.insert(k.clone(), v.clone()),
                        None => model.remove(k),
                    };
                }
                let got = apply(&db, batch);
                let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                prop_assert_eq!(got, want);
            }
        }

        /// Writes given partly directly and then through a builder thread end exactly
        /// as applying them in order would.
        #[test]
        fn writes_built_on_another_thread_match_the_model(
            before in prop::collection::vec(op(), 0..40),
            ops in prop::collection::vec(op(), 0..400),
            direct in 0usize..400,
        ) {
            let db = db();
            let mut model = BTreeMap::new();
            for (k, v) in before.iter().chain(&ops) {
                match v {
                    Some(v) => model.insert(k.clone(), v.clone()),
                    None => model.remove(k),
                };
            }
            apply(&db, &before);
            let got = apply_from(&db, &ops, direct).expect("write_from");
            let want: Vec<_> = model.into_iter().collect();
            prop_assert_eq!(got, want);
        }

        /// Any sequence of puts and deletes (repeated keys, runs, keyspaces, large values)
        /// ends exactly as applying it in order would.
        #[test]
        fn reordering_never_changes_the_outcome(
            before in prop::collection::vec(op(), 0..40),
            ops in prop::collection::vec(op(), 0..400),
            big in prop::option::of(3000usize..9000),
        ) {
            let db = db();
            let mut model = BTreeMap::new();
            let mut ops = ops;
            if let Some(n) = big {
                ops.insert(ops.len() / 2, (vec![1, 1], Some(vec![5; n])));
            }
            for batch in [&before, &ops] {
                for (k, v) in batch.iter() {
                    match v {
                        Some(v) => model.insert(k.clone(), v.clone()),
                        None => model.remove(k),
                    };
                }
                let got = apply(&db, batch);
                let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}
