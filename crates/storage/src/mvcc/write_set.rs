//! A transaction's buffered writes and its savepoints.
//!
//! Writes are kept in an ordered in-memory index until commit, so reads and scans can
//! merge them over the snapshot (a `BTreeMap` with an ascending tail that takes a load's
//! ascending keys without a search, [`entries`]). Savepoints are marks in an undo log: each write records
//! the entry it replaced, and rolling back to a mark replays the log backwards down to it.
//!
//! Memory layout: values are appended to an arena of large chunks, and keys up to
//! [`INLINE_KEY`] bytes are stored inside the index entry. A transaction writing millions
//! of rows therefore makes a few large allocations instead of two small ones per row
//! (freeing millions of small allocations at commit fragments the heap and makes the next
//! large allocation anywhere in the process pay for consolidating it). Overwritten values
//! stay in the arena until the transaction ends.
//!
//! Large transactions spill: once the in-memory part passes its threshold, it is frozen
//! into a sorted run in a temporary file ([`crate::mvcc::spill`], encrypted when the
//! database is) and memory starts over. Reads merge memory and runs, newest first.
//!
//! Savepoints work across spills through sequence numbers: every write gets the next
//! number, a savepoint is the number at the time, and rolling back to it drops newer
//! versions from memory and marks the interval dead for the runs, whose records are
//! skipped at read time. Memory therefore keeps, per key, the versions a live savepoint
//! may return to (usually one).

mod entries;

use std::borrow::{Borrow, Cow};
use std::ops::Bound;
use std::sync::Arc;

use helios_common::{Result, Timestamp};

use self::entries::Entries;
use crate::mvcc::spill::{Run, RunIter, RunWriter, SpillSettings};
use crate::prefault::{NextChunk, Prefaulter};

/// Keys up to this many bytes live inside the index entry (no allocation of their own).
pub(crate) const INLINE_KEY: usize = 30;

/// Size of one value arena chunk; larger values get a chunk of their own.
const CHUNK: usize = 1 << 20;

/// A user key: inline when short, boxed otherwise. Ordered and compared as bytes.
#[derive(Clone)]
pub(crate) enum SetKey {
    /// `(length, bytes)`.
    Inline(u8, [u8; INLINE_KEY]),
    /// A longer key.
    Heap(Box<[u8]>),
}

impl SetKey {
    fn new(key: &[u8]) -> SetKey {
        if key.len() <= INLINE_KEY {
            let mut buf = [0u8; INLINE_KEY];
            buf[..key.len()].copy_from_slice(key);
            SetKey::Inline(key.len() as u8, buf)
        } else {
            SetKey::Heap(key.into())
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            SetKey::Inline(n, buf) => &buf[..*n as usize],
            SetKey::Heap(b) => b,
        }
    }
}

impl Borrow<[u8]> for SetKey {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SetKey {
    fn eq(&self, other: &SetKey) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SetKey {}

impl PartialOrd for SetKey {
    fn partial_cmp(&self, other: &SetKey) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SetKey {
    fn cmp(&self, other: &SetKey) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::fmt::Debug for SetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", crate::error::show_key(self.as_slice()))
    }
}

/// Where a value sits in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    chunk: u32,
    offset: u32,
    len: u32,
}

/// One buffered version of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ver {
    /// The write's sequence number.
    seq: u64,
    /// The read timestamp of the statement that first wrote the key in this transaction:
    /// a version committed after it is a write-write conflict.
    since: Timestamp,
    /// The new value; `None` deletes.
    value: Option<Slot>,
}

/// The in-memory versions of one key, oldest first (one, unless savepoints need more).
#[derive(Clone, Debug)]
enum Vers {
    One(Ver),
    Many(Vec<Ver>),
}

impl Vers {
    fn as_slice(&self) -> &[Ver] {
        match self {
            Vers::One(v) => std::slice::from_ref(v),
            Vers::Many(v) => v,
        }
    }

    fn newest(&self) -> Ver {
        match self {
            Vers::One(v) => *v,
            Vers::Many(v) => v[v.len() - 1],
        }
    }

    fn oldest(&self) -> Ver {
        self.as_slice()[0]
    }
}

/// Append-only value storage in large chunks.
///
/// After a spill the arena is [`reset`](Arena::reset) rather than dropped: its chunks are
/// filled again from the first, so a large transaction does not hand its memory back and
/// fault fresh pages in for every run.
#[derive(Debug, Default)]
struct Arena {
    chunks: Vec<Vec<u8>>,
    /// The chunk being filled; the ones after it are empty, kept for reuse.
    cur: usize,
    /// The next new chunk, being faulted in by the write set's helper.
    next: NextChunk<u8>,
}

impl Arena {
    /// Stores `value`; a new chunk comes from `helper` when it has one ready.
    fn push(&mut self, value: &[u8], helper: Option<&Prefaulter>) -> Slot {
        let fits = self.chunks.get(self.cur).is_some_and(|c| c.capacity() - c.len() >= value.len());
        if !fits {
            if !self.chunks.is_empty() {
                self.cur += 1;
            }
            match self.chunks.get_mut(self.cur) {
                Some(c) if c.capacity() >= value.len() => c.clear(),
                Some(c) => *c = Vec::with_capacity(CHUNK.max(value.len())),
                None => {
                    let chunk = self.new_chunk(value.len(), helper);
                    self.chunks.push(chunk);
                }
            }
        }
        let chunk = self.cur;
        let c = &mut self.chunks[chunk];
        let offset = c.len();
        c.extend_from_slice(value);
        Slot { chunk: chunk as u32, offset: offset as u32, len: value.len() as u32 }
    }

    /// A new chunk for a value of `len` bytes (one of its own when it is larger).
    fn new_chunk(&mut self, len: usize, helper: Option<&Prefaulter>) -> Vec<u8> {
        if len > CHUNK {
            return Vec::with_capacity(len);
        }
        self.next.take(CHUNK, helper)
    }

    fn get(&self, slot: Slot) -> &[u8] {
        let start = slot.offset as usize;
        &self.chunks[slot.chunk as usize][start..start + slot.len as usize]
    }

    /// Forgets every value, keeping the chunks of the usual size for reuse.
    fn reset(&mut self) {
        self.chunks.retain(|c| c.capacity() == CHUNK);
        for c in &mut self.chunks {
            c.clear();
        }
        self.cur = 0;
    }
}

/// Bytes a write set holds before a helper thread faults in the memory it grows into.
const PREFAULT_FROM: usize = 4 << 20;

/// Estimated memory of one buffered version besides its key and value bytes.
const VERSION_OVERHEAD: usize = 64;

/// Pushes every in-memory version into `w`, in run order.
fn write_run(w: &mut RunWriter, entries: &Entries, arena: &Arena) -> Result<()> {
    for (k, vers) in entries.iter() {
        for v in vers.as_slice().iter().rev() {
            w.push(k.as_slice(), v.seq, v.since, v.value.map(|s| arena.get(s)))?;
        }
    }
    Ok(())
}

/// A resolved buffered write: the newest live value, and the oldest live `since`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WriteEntry<'a> {
    /// The key.
    pub key: Cow<'a, [u8]>,
    /// The value; `None` deletes.
    pub value: Option<Cow<'a, [u8]>>,
    /// Conflicts are versions committed after this.
    pub since: Timestamp,
}

/// An iterator of resolved writes.
pub(crate) type WriteIter<'a> = Box<dyn Iterator<Item = Result<WriteEntry<'a>>> + 'a>;

/// Receives one resolved write, lent: `(key, value, since)`; a `None` value deletes.
pub(crate) type EntryFn<'a> = dyn FnMut(&[u8], Option<&[u8]>, Timestamp) -> Result<()> + 'a;

/// One sorted source of buffered writes: the in-memory part or a run.
#[derive(Clone, Copy)]
enum Source {
    Memory,
    Run(usize),
}

/// The write buffer of one transaction.
#[derive(Debug, Default)]
pub(crate) struct WriteSet {
    entries: Entries,
    arena: Arena,
    /// Estimated bytes held by `entries` and `arena`.
    mem_bytes: usize,
    /// Spilled runs, oldest first.
    runs: Vec<Run>,
    /// The next write's sequence number.
    seq: u64,
    /// Live savepoints (sequence numbers), ascending.
    marks: Vec<u64>,
    /// Rolled-back sequence intervals `[from, to)`: run records inside are dead.
    dead: Vec<(u64, u64)>,
    spill: Option<Arc<SpillSettings>>,
    /// Faults in the memory a large write set grows into (see [`crate::prefault`]), started
    /// once the set holds [`PREFAULT_FROM`] bytes.
    helper: Option<Prefaulter>,
    /// Whether the helper was started (or failed to start).
    helper_tried: bool,
}

impl WriteSet {
    /// An empty write set that spills as `settings` say.
    pub(crate) fn with_spill(settings: Arc<SpillSettings>) -> WriteSet {
        WriteSet { spill: Some(settings), ..WriteSet::default() }
    }

    /// Buffers a write of `key` made by a statement reading at `read_ts`. Fails only when
    /// spilling fails.
    pub(crate) fn write(
        &mut self,
        key: &[u8],
        value: Option<&[u8]>,
        read_ts: Timestamp,
    ) -> Result<()> {
        self.write_version(key, value, read_ts, false);
        self.maybe_spill()
    }

    fn write_version(
        &mut self,
        key: &[u8],
        value: Option<&[u8]>,
        read_ts: Timestamp,
        force_since: bool,
    ) {
        if self.mem_bytes >= PREFAULT_FROM && !self.helper_tried {
            self.helper_tried = true;
            self.helper = Prefaulter::start();
        }
        let helper = self.helper.as_ref();
        let slot = value.map(|v| self.arena.push(v, helper));
        let seq = self.seq;
        self.seq += 1;
        self.mem_bytes += value.map_or(0, <[u8]>::len) + VERSION_OVERHEAD;
        let last_mark = self.marks.last().copied();
        // The key's first write may be in a run: its `since` is resolved when reading.
        let new = Ver { seq, since: read_ts, value: slot };
        let Some(vers) = self.entries.get_or_insert(key, Vers::One(new), helper) else {
            self.mem_bytes += key.len();
            return;
        };
        // Only the oldest version's `since` counts; every version carries it.
        let since = if force_since { read_ts } else { vers.oldest().since };
        let new = Ver { since, ..new };
        // A version written after the last savepoint is never returned to.
        let replace = last_mark.is_none_or(|m| vers.newest().seq >= m);
        match vers {
            Vers::One(v) if replace => *v = new,
            Vers::One(v) => {
                let old = *v;
                *vers = Vers::Many(vec![old, new]);
            }
            Vers::Many(list) => {
                if replace {
                    list.pop();
                }
                list.push(new);
            }
        }
    }

    /// Buffers a write of `key` checked for conflicts against versions after `since`.
    pub(crate) fn write_since(&mut self, key: &[u8], value: Option<&[u8]>, since: Timestamp) {
        self.write_version(key, value, since, true);
    }

    /// Freezes memory into a run once it passes the threshold.
    fn maybe_spill(&mut self) -> Result<()> {
        let Some(threshold) = self.spill.as_ref().map(|s| s.threshold) else { return Ok(()) };
        if self.mem_bytes < threshold || self.entries.is_empty() {
            return Ok(());
        }
        let Some(settings) = self.spill.clone() else { return Ok(()) };
        // One run is written at a time (its error, if any, surfaces here).
        if let Some(last) = self.runs.last() {
            last.wait()?;
        }
        if self.mem_bytes >= settings.background {
            // Written on a thread of its own from the frozen memory, which then starts
            // over empty (see `spill`).
            let (entries, arena) =
                (std::mem::take(&mut self.entries), std::mem::take(&mut self.arena));
            let bounds = match (entries.first_key(), entries.last_key()) {
                (Some(lo), Some(hi)) => (lo.as_slice().into(), hi.as_slice().into()),
                _ => return Ok(()),
            };
            let run = Run::write_in_background(&settings, bounds, move |w| {
                write_run(w, &entries, &arena)
            })?;
            self.runs.push(run);
        } else {
            let mut w = RunWriter::new(&settings)?;
            write_run(&mut w, &self.entries, &self.arena)?;
            self.runs.push(w.finish()?);
            self.entries.clear();
            self.arena.reset();
        }
        self.mem_bytes = 0;
        Ok(())
    }

    /// Whether a run record with sequence number `seq` was rolled back.
    fn is_dead(&self, seq: u64) -> bool {
        self.dead.iter().any(|&(a, b)| a <= seq && seq < b)
    }

    fn value(&self, v: &Ver) -> Option<&[u8]> {
        v.value.map(|s| self.arena.get(s))
    }

    /// Whether anything spilled.
    pub(crate) fn spilled(&self) -> bool {
        !self.runs.is_empty()
    }

    /// Whether the write set is large enough to be committed on its own, streamed to
    /// the engine: it spilled, or its memory holds at least `bytes` (estimated).
    pub(crate) fn is_large(&self, bytes: usize) -> bool {
        self.spilled() || self.mem_bytes >= bytes
    }

    /// The buffered write of `key`: `Some(None)` is a buffered delete.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Option<Vec<u8>>>> {
        // A key past the largest one in memory (a load probing each new, ascending key)
        // is found absent by walking the right edge of the map, without comparing keys
        // on the way down.
        let past_memory = self.entries.last_key().is_none_or(|k| key > k.as_slice());
        if !past_memory {
            if let Some(vers) = self.entries.get(key) {
                return Ok(Some(self.value(&vers.newest()).map(<[u8]>::to_vec)));
            }
        }
        for run in self.runs.iter().rev() {
            // A run holds no key outside its bounds: do not read a block of it (a bulk
            // load probing each new, ascending key would otherwise read one per run).
            if run.key_bounds().is_some_and(|(lo, hi)| key < lo || key > hi) {
                continue;
            }
            for rec in run.iter_from(Bound::Included(key)) {
                let rec = rec?;
                if rec.key.as_slice() != key {
                    break;
                }
                if !self.is_dead(rec.seq) {
                    return Ok(Some(rec.value));
                }
            }
        }
        Ok(None)
    }

    /// Whether any write may fall inside `range`.
    pub(crate) fn may_have(&self, range: &(Bound<Vec<u8>>, Bound<Vec<u8>>)) -> bool {
        self.spilled() || self.mem_range(range).next().is_some()
    }

    fn mem_range<'a>(
        &'a self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
    ) -> impl DoubleEndedIterator<Item = (&'a SetKey, &'a Vers)> + 'a {
        let r = crate::mvcc::keys::as_kv_range(range);
        let empty = crate::kv::range_is_empty(&r) || self.entries.is_empty();
        let iter = if empty { None } else { Some(self.entries.range(r)) };
        iter.into_iter().flatten()
    }

    /// The buffered writes inside `range`, ascending (descending when `reverse`).
    pub(crate) fn scan<'a>(
        &'a self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        reverse: bool,
    ) -> Result<WriteIter<'a>> {
        if !self.spilled() {
            let it = self.mem_range(range).map(|(k, vers)| Ok(self.mem_entry(k, vers)));
            return Ok(if reverse { Box::new(it.rev()) } else { Box::new(it) });
        }
        let merged = self.merged(range)?;
        if reverse {
            // Runs are read forwards only: a reverse scan of a spilled write set collects
            // the range first.
            let all: Vec<_> = merged.collect::<Result<_>>()?;
            Ok(Box::new(all.into_iter().rev().map(Ok)))
        } else {
            Ok(merged)
        }
    }

    fn mem_entry<'a>(&'a self, k: &'a SetKey, vers: &Vers) -> WriteEntry<'a> {
        WriteEntry {
            key: Cow::Borrowed(k.as_slice()),
            value: self.value(&vers.newest()).map(Cow::Borrowed),
            since: vers.oldest().since,
        }
    }

    /// Memory and runs merged and resolved, ascending, inside `range`.
    fn merged<'a>(&'a self, range: &(Bound<Vec<u8>>, Bound<Vec<u8>>)) -> Result<WriteIter<'a>> {
        let lo = range.0.as_ref().map(Vec::as_slice);
        let hi = range.1.clone();
        let mut runs: Vec<std::iter::Peekable<RunIter<'a>>> =
            self.runs.iter().map(|r| r.iter_from(lo).peekable()).collect();
        let mut mem = self.mem_range(range).peekable();
        let within = move |k: &[u8]| match &hi {
            Bound::Included(h) => k <= h.as_slice(),
            Bound::Excluded(h) => k < h.as_slice(),
            Bound::Unbounded => true,
        };
        let iter = std::iter::from_fn(move || -> Option<Result<WriteEntry<'a>>> {
            loop {
                // The smallest key at the head of any source.
                let mut min: Option<Vec<u8>> = None;
                for r in runs.iter_mut() {
                    if let Some(Err(_)) = r.peek() {
                        if let Some(Err(e)) = r.next() {
                            return Some(Err(e));
                        }
                    }
                    if let Some(Ok(rec)) = r.peek() {
                        if min.as_ref().is_none_or(|m| rec.key < *m) {
                            min = Some(rec.key.clone());
                        }
                    }
                }
                if let Some((k, _)) = mem.peek() {
                    if min.as_ref().is_none_or(|m| k.as_slice() < m.as_slice()) {
                        min = Some(k.as_slice().to_vec());
                    }
                }
                let key = min?;
                if !within(&key) {
                    return None;
                }
                // Oldest live `since` and newest live value: runs oldest to newest, then
                // memory.
                let mut since = None;
                let mut value: Option<Option<Cow<'a, [u8]>>> = None;
                for r in runs.iter_mut() {
                    let mut run_newest: Option<Option<Vec<u8>>> = None;
                    let mut run_oldest_since = None;
                    while let Some(Ok(rec)) = r.peek() {
                        if rec.key != key {
                            break;
                        }
                        let Some(Ok(rec)) = r.next() else { break };
                        if self.is_dead(rec.seq) {
                            continue;
                        }
                        if run_newest.is_none() {
                            run_newest = Some(rec.value);
                        }
                        run_oldest_since = Some(rec.since);
                    }
                    if since.is_none() {
                        since = run_oldest_since;
                    }
                    if let Some(v) = run_newest {
                        value = Some(v.map(Cow::Owned));
                    }
                }
                if matches!(mem.peek(), Some((k, _)) if k.as_slice() == key.as_slice()) {
                    if let Some((_, vers)) = mem.next() {
                        since = since.or(Some(vers.oldest().since));
                        value = Some(self.value(&vers.newest()).map(Cow::Borrowed));
                    }
                }
                if let (Some(value), Some(since)) = (value, since) {
                    return Some(Ok(WriteEntry { key: Cow::Owned(key), value, since }));
                }
                // Every version of the key was rolled back: next key.
            }
        });
        Ok(Box::new(iter))
    }

    /// The smallest and largest key written (bounds only, once spilled: some may have
    /// been rolled back).
    pub(crate) fn key_bounds(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let mem = self.entries.first_key().zip(self.entries.last_key());
        let mut lo = mem.map(|(a, _)| a.as_slice().to_vec());
        let mut hi = mem.map(|(_, b)| b.as_slice().to_vec());
        for run in &self.runs {
            if let Some((a, b)) = run.key_bounds() {
                if lo.as_ref().is_none_or(|l| a < l.as_slice()) {
                    lo = Some(a.to_vec());
                }
                if hi.as_ref().is_none_or(|h| b > h.as_slice()) {
                    hi = Some(b.to_vec());
                }
            }
        }
        lo.zip(hi)
    }

    /// Calls `f` with every resolved write, ascending, lending keys and values.
    ///
    /// When memory and the runs hold disjoint key ranges (a load of ascending keys spills
    /// runs that follow each other), the sources are read one after the other, a run
    /// straight from its decoded blocks, without allocating per key; otherwise this is
    /// [`iter`](WriteSet::iter) with its merge.
    pub(crate) fn visit(&self, f: &mut EntryFn<'_>) -> Result<()> {
        let Some(order) = self.disjoint_sources() else {
            for e in self.iter()? {
                let e = e?;
                f(&e.key, e.value.as_deref(), e.since)?;
            }
            return Ok(());
        };
        for source in order {
            match source {
                Source::Memory => {
                    for (k, vers) in self.entries.iter() {
                        f(k.as_slice(), self.value(&vers.newest()), vers.oldest().since)?;
                    }
                }
                Source::Run(i) => self.visit_run(i, f)?,
            }
        }
        Ok(())
    }

    /// The sources in key order when no two of them overlap; `None` when some do.
    fn disjoint_sources(&self) -> Option<Vec<Source>> {
        let mut bounds: Vec<(&[u8], &[u8], Source)> = Vec::with_capacity(self.runs.len() + 1);
        if let Some((lo, hi)) = self.entries.first_key().zip(self.entries.last_key()) {
            bounds.push((lo.as_slice(), hi.as_slice(), Source::Memory));
        }
        for (i, run) in self.runs.iter().enumerate() {
            if let Some((lo, hi)) = run.key_bounds() {
                bounds.push((lo, hi, Source::Run(i)));
            }
        }
        bounds.sort_by(|a, b| a.0.cmp(b.0));
        if bounds.windows(2).any(|w| w[0].1 >= w[1].0) {
            return None;
        }
        Some(bounds.into_iter().map(|(_, _, s)| s).collect())
    }

    /// Resolves the records of run `i` (newest live value, oldest live `since` per key)
    /// and passes them to `f`; the pending key and value are copied into reused buffers.
    fn visit_run(&self, i: usize, f: &mut EntryFn<'_>) -> Result<()> {
        let (mut key, mut value) = (Vec::new(), Vec::new());
        let mut pending: Option<(bool, Timestamp)> = None;
        self.runs[i].visit(&mut |k, seq, since, v| {
            if self.is_dead(seq) {
                return Ok(());
            }
            if let Some((_, s)) = pending.as_mut().filter(|_| key.as_slice() == k) {
                // An older version of the same key: only its `since` counts.
                *s = since;
                return Ok(());
            }
            if let Some((live, s)) = pending {
                f(&key, live.then_some(value.as_slice()), s)?;
            }
            key.clear();
            key.extend_from_slice(k);
            value.clear();
            value.extend_from_slice(v.unwrap_or_default());
            pending = Some((v.is_some(), since));
            Ok(())
        })?;
        if let Some((live, s)) = pending {
            f(&key, live.then_some(value.as_slice()), s)?;
        }
        Ok(())
    }

    /// Every buffered write, ascending.
    pub(crate) fn iter(&self) -> Result<WriteIter<'_>> {
        self.scan(&(Bound::Unbounded, Bound::Unbounded), false)
    }

    /// The number of keys written (an upper bound once spilled).
    pub(crate) fn len(&self) -> usize {
        self.entries.len() + if self.spilled() { 1 << 20 } else { 0 }
    }

    /// A mark to roll back to.
    pub(crate) fn mark(&mut self) -> usize {
        self.marks.push(self.seq);
        self.seq as usize
    }

    /// Forgets the newest mark equal to `mark` (the writes after it stay).
    pub(crate) fn release(&mut self, mark: usize) {
        if let Some(pos) = self.marks.iter().rposition(|&x| x == mark as u64) {
            self.marks.remove(pos);
        }
    }

    /// Undoes every write made after `mark`; `false` when the mark is gone.
    pub(crate) fn rollback_to(&mut self, mark: usize) -> bool {
        let m = mark as u64;
        if !self.marks.contains(&m) {
            return false;
        }
        self.marks.retain(|&x| x <= m);
        if self.seq > m {
            if self.spilled() {
                self.dead.retain(|&(a, _)| a < m);
                self.dead.push((m, self.seq));
            }
            self.entries.retain(|vers| match vers {
                Vers::One(v) => v.seq < m,
                Vers::Many(list) => {
                    list.retain(|v| v.seq < m);
                    !list.is_empty()
                }
            });
        }
        true
    }

    /// Whether nothing was written.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty() && !self.spilled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(w: &WriteSet, k: &[u8]) -> Option<Option<Vec<u8>>> {
        w.get(k).expect("get")
    }

    fn entries(w: &WriteSet) -> Vec<(Vec<u8>, Option<Vec<u8>>, Timestamp)> {
        w.iter()
            .expect("iter")
            .map(|e| {
                let e = e.expect("entry");
                (e.key.into_owned(), e.value.map(Cow::into_owned), e.since)
            })
            .collect()
    }

    fn savepoints_nest_and_stay_usable(mut w: WriteSet) {
        w.write(b"a", Some(b"1"), Timestamp(5)).expect("write");
        let sp1 = w.mark();
        w.write(b"a", Some(b"2"), Timestamp(6)).expect("write");
        w.write(b"b", None, Timestamp(6)).expect("write");
        let sp2 = w.mark();
        w.write(b"c", Some(b"3"), Timestamp(7)).expect("write");
        assert!(w.rollback_to(sp2));
        assert_eq!(get(&w, b"c"), None);
        assert_eq!(get(&w, b"b"), Some(None));
        assert_eq!(get(&w, b"a"), Some(Some(b"2".to_vec())));
        assert!(w.rollback_to(sp1));
        assert_eq!(get(&w, b"a"), Some(Some(b"1".to_vec())));
        assert_eq!(get(&w, b"b"), None);
        assert!(!w.rollback_to(sp2), "sp2 was released by rolling back past it");
        w.write(b"d", Some(&[]), Timestamp(8)).expect("write");
        assert!(w.rollback_to(sp1), "sp1 stays usable");
        assert_eq!(get(&w, b"d"), None);
        // The first write's read timestamp is the one conflicts are checked against.
        assert_eq!(entries(&w), vec![(b"a".to_vec(), Some(b"1".to_vec()), Timestamp(5))]);
    }

    #[test]
    fn savepoints_nest_and_stay_usable_in_memory() {
        savepoints_nest_and_stay_usable(WriteSet::default());
    }

    /// A write set spilling past `threshold` bytes, its runs written on this thread or
    /// (`background`) each on a thread of its own.
    fn spilling(threshold: usize, background: bool) -> WriteSet {
        let background = if background { 0 } else { usize::MAX };
        let settings = SpillSettings { threshold, background, ..SpillSettings::default() };
        WriteSet::with_spill(Arc::new(settings))
    }

    #[test]
    fn savepoints_nest_and_stay_usable_when_every_write_spills() {
        for background in [false, true] {
            savepoints_nest_and_stay_usable(spilling(1, background));
        }
    }

    #[test]
    fn gets_across_runs_with_disjoint_and_overlapping_key_ranges() {
        for background in [false, true] {
            gets_across_runs(spilling(64, background));
        }
    }

    fn gets_across_runs(mut w: WriteSet) {
        // Ascending keys over several runs, then overwrites that land in a later run.
        for i in 10u32..60 {
            w.write(&i.to_be_bytes(), Some(&i.to_le_bytes()), Timestamp(1)).expect("write");
        }
        w.write(&12u32.to_be_bytes(), Some(b"new"), Timestamp(1)).expect("write");
        w.write(&40u32.to_be_bytes(), None, Timestamp(1)).expect("write");
        assert!(w.spilled());
        for i in 10u32..60 {
            let want = match i {
                12 => Some(Some(b"new".to_vec())),
                40 => Some(None),
                _ => Some(Some(i.to_le_bytes().to_vec())),
            };
            assert_eq!(get(&w, &i.to_be_bytes()), want, "key {i}");
        }
        for absent in [0u32, 9, 60, 1000] {
            assert_eq!(get(&w, &absent.to_be_bytes()), None, "key {absent}");
        }
        assert_eq!(get(&w, b""), None);
    }

    fn visited(w: &WriteSet) -> Vec<(Vec<u8>, Option<Vec<u8>>, Timestamp)> {
        let mut out = Vec::new();
        w.visit(&mut |k, v, since| {
            out.push((k.to_vec(), v.map(<[u8]>::to_vec), since));
            Ok(())
        })
        .expect("visit");
        out
    }

    #[test]
    fn visit_resolves_like_iter_with_disjoint_and_overlapping_runs() {
        for background in [false, true] {
            // Spills between keys, never between two writes of one key (checked below).
            visit_resolves_like_iter(spilling(700, background));
        }
    }

    fn visit_resolves_like_iter(mut w: WriteSet) {
        // Ascending keys: runs that follow each other, then memory after them. Several
        // versions of one key inside a run, a delete, and rolled-back writes.
        for i in 0u32..40 {
            w.write(&i.to_be_bytes(), Some(&[i as u8; 3]), Timestamp(u64::from(i))).expect("w");
            if i % 7 == 0 {
                let sp = w.mark();
                w.write(&i.to_be_bytes(), Some(b"again"), Timestamp(99)).expect("w");
                if i % 14 == 0 {
                    assert!(w.rollback_to(sp));
                } else {
                    w.release(sp);
                }
            }
            if i == 20 {
                w.write(&i.to_be_bytes(), None, Timestamp(98)).expect("w");
            }
        }
        assert!(w.runs.len() > 2, "the test needs several runs");
        assert!(w.disjoint_sources().is_some());
        let want = entries(&w);
        assert_eq!(want.len(), 40);
        assert_eq!(want[20], (20u32.to_be_bytes().to_vec(), None, Timestamp(20)));
        assert_eq!(want[7].1.as_deref(), Some(&b"again"[..]));
        assert_eq!(want[14].1.as_deref(), Some(&[14u8; 3][..]));
        assert_eq!(visited(&w), want);
        // Keys written after a savepoint and spilled, then rolled back: dead run records.
        let runs = w.runs.len();
        let sp = w.mark();
        for i in 50u32..80 {
            w.write(&i.to_be_bytes(), Some(b"gone"), Timestamp(5)).expect("w");
        }
        assert!(w.runs.len() > runs);
        assert!(w.rollback_to(sp));
        assert!(w.disjoint_sources().is_some());
        assert_eq!(entries(&w), want);
        assert_eq!(visited(&w), want);
        // An overwrite of an early key makes memory overlap the runs: the merge path.
        w.write(&3u32.to_be_bytes(), Some(b"late"), Timestamp(7)).expect("w");
        assert!(w.disjoint_sources().is_none());
        let want = entries(&w);
        assert_eq!(want[3], (3u32.to_be_bytes().to_vec(), Some(b"late".to_vec()), Timestamp(3)));
        assert_eq!(visited(&w), want);
        // Only memory.
        let mut m = WriteSet::default();
        for i in [5u32, 1, 9, 3] {
            m.write(&i.to_be_bytes(), Some(b"v"), Timestamp(1)).expect("w");
        }
        assert_eq!(visited(&m), entries(&m));
        assert_eq!(visited(&WriteSet::default()), vec![]);
    }

    #[test]
    fn arena_reuses_its_chunks_after_a_reset() {
        let mut a = Arena::default();
        let big = vec![1u8; CHUNK + 1];
        let s1 = a.push(b"abc", None);
        let s2 = a.push(&big, None);
        let s3 = a.push(b"def", None);
        assert_eq!((a.get(s1), a.get(s2), a.get(s3)), (&b"abc"[..], &big[..], &b"def"[..]));
        a.reset();
        assert_eq!(a.chunks.len(), 2, "the oversized chunk is dropped");
        let s = a.push(b"xyz", None);
        assert_eq!((s.chunk, s.offset), (0, 0));
        let filler = vec![2u8; CHUNK - 3];
        let f = a.push(&filler, None);
        let n = a.push(b"next", None);
        assert_eq!((f.chunk, n.chunk, n.offset), (0, 1, 0));
        assert_eq!((a.get(s), a.get(f), a.get(n)), (&b"xyz"[..], &filler[..], &b"next"[..]));
    }

    #[test]
    fn a_large_write_set_grows_into_prepared_memory_and_reads_back_whole() {
        let mut w = WriteSet::default();
        let value = |i: u32| vec![(i % 251) as u8; 100 + (i % 7) as usize];
        let n = 60_000u32;
        for i in 0..n {
            // Ascending keys (the tail), with every 1000th key written twice.
            w.write(&(2 * i).to_be_bytes(), Some(&value(i)), Timestamp(1)).expect("write");
            if i.is_multiple_of(1000) {
                w.write(&(2 * i).to_be_bytes(), Some(&value(i + 1)), Timestamp(1)).expect("write");
            }
        }
        assert!(w.helper.is_some(), "the helper starts past {PREFAULT_FROM} bytes");
        assert!(w.arena.chunks.len() > 2 && w.entries.len() == n as usize);
        let want = |i: u32| if i.is_multiple_of(1000) { value(i + 1) } else { value(i) };
        for i in (0..n).step_by(997) {
            assert_eq!(get(&w, &(2 * i).to_be_bytes()), Some(Some(want(i))));
            assert_eq!(get(&w, &(2 * i + 1).to_be_bytes()), None);
        }
        let all = entries(&w);
        assert_eq!(all.len(), n as usize);
        assert!(all.iter().enumerate().all(|(i, e)| e.0 == (2 * i as u32).to_be_bytes()
            && e.1.as_deref() == Some(&want(i as u32)[..])));
        let r = (
            Bound::Included(2000u32.to_be_bytes().to_vec()),
            Bound::Excluded(4000u32.to_be_bytes().to_vec()),
        );
        let back: Vec<Vec<u8>> =
            w.scan(&r, true).expect("scan").map(|e| e.expect("entry").key.into_owned()).collect();
        let expected: Vec<Vec<u8>> =
            (1000..2000u32).rev().map(|i| (2 * i).to_be_bytes().to_vec()).collect();
        assert_eq!(back, expected);
    }

    #[test]
    fn long_keys_large_values_and_order() {
        let mut w = WriteSet::default();
        let long = vec![7u8; INLINE_KEY + 5];
        let big = vec![9u8; CHUNK + 10];
        w.write(&long, Some(&big), Timestamp(1)).expect("write");
        w.write(b"\x07", Some(b"short"), Timestamp(1)).expect("write");
        w.write(&[7u8; INLINE_KEY], Some(b"edge"), Timestamp(1)).expect("write");
        assert_eq!(get(&w, &long), Some(Some(big.clone())));
        let keys: Vec<Vec<u8>> = entries(&w).into_iter().map(|e| e.0).collect();
        assert_eq!(keys, vec![vec![7u8], vec![7u8; INLINE_KEY], long.clone()]);
        let r = (Bound::Excluded(vec![7u8]), Bound::Unbounded);
        let back: Vec<_> = w
            .scan(&r, true)
            .expect("scan")
            .map(|e| {
                let e = e.expect("entry");
                (e.key.into_owned(), e.value.map(|v| v.len()))
            })
            .collect();
        assert_eq!(back, vec![(long, Some(big.len())), (vec![7u8; INLINE_KEY], Some(4))]);
        assert_eq!(w.len(), 3);
    }
}
