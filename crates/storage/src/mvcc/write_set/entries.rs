//! The ordered index of a write set's in-memory keys: a `BTreeMap` plus an ascending tail.
//!
//! A load writes its keys in ascending order, and a `BTreeMap` pays a full search for
//! each of them (dozens of key comparisons at a million entries) to find the right edge
//! it always ends on. Keys above every key held go to the *tail* instead, a vector in
//! ascending order, where appending costs one comparison. Every tail key is above every
//! map key, so the index in key order is the map followed by the tail. A write that lands
//! inside the tail's span on a key the tail does not hold moves the tail into the map
//! first (each key moves at most once, so no write costs more than with the map alone).
//!
//! The tail is kept in chunks of [`TAIL_CHUNK`] entries rather than one vector: it never
//! moves as it grows, and the write set's helper thread faults in the next chunk's memory
//! while the current one fills (see [`crate::prefault`]).

use std::collections::BTreeMap;
use std::ops::Bound;

use super::{SetKey, Vers};
use crate::prefault::{NextChunk, Prefaulter};

/// Entries per tail chunk (about a megabyte).
#[cfg(not(test))]
const TAIL_CHUNK: usize = 16 * 1024;
/// A few entries per chunk in tests, so that they cross chunk boundaries.
#[cfg(test)]
const TAIL_CHUNK: usize = 4;

type Entry = (SetKey, Vers);

/// The in-memory keys of a write set and their versions, in key order.
#[derive(Debug, Default)]
pub(super) struct Entries {
    map: BTreeMap<SetKey, Vers>,
    /// Strictly ascending; every key above every key of `map`.
    tail: Tail,
}

impl Entries {
    /// The versions of `key`, or `None` after inserting `new` for it. A new tail chunk
    /// comes from `helper` when it has one ready.
    pub(super) fn get_or_insert(
        &mut self,
        key: &[u8],
        new: Vers,
        helper: Option<&Prefaulter>,
    ) -> Option<&mut Vers> {
        let past = match self.tail.last() {
            Some((last, _)) => key > last.as_slice(),
            None => self.map.last_key_value().is_none_or(|(last, _)| key > last.as_slice()),
        };
        if past {
            self.tail.push((SetKey::new(key), new), helper);
            return None;
        }
        if self.tail.first().is_some_and(|(first, _)| key >= first.as_slice()) {
            match self.tail.find(key) {
                Ok(at) => return Some(&mut self.tail.at_mut(at).1),
                Err(_) => self.fold_tail(),
            }
        }
        match self.map.entry(SetKey::new(key)) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(new);
                None
            }
            std::collections::btree_map::Entry::Occupied(e) => Some(e.into_mut()),
        }
    }

    /// Moves the tail into the map.
    fn fold_tail(&mut self) {
        for (k, v) in self.tail.take_all() {
            self.map.insert(k, v);
        }
    }

    /// The versions of `key`.
    pub(super) fn get(&self, key: &[u8]) -> Option<&Vers> {
        if self.tail.first().is_some_and(|(first, _)| key >= first.as_slice()) {
            let at = self.tail.find(key).ok()?;
            return Some(&self.tail.at(at).1);
        }
        self.map.get(key)
    }

    /// The smallest key.
    pub(super) fn first_key(&self) -> Option<&SetKey> {
        self.map.first_key_value().map(|(k, _)| k).or_else(|| self.tail.first().map(|(k, _)| k))
    }

    /// The largest key.
    pub(super) fn last_key(&self) -> Option<&SetKey> {
        self.tail.last().map(|(k, _)| k).or_else(|| self.map.last_key_value().map(|(k, _)| k))
    }

    /// The entries inside `range`, in key order.
    pub(super) fn range<'a>(
        &'a self,
        range: (Bound<&[u8]>, Bound<&[u8]>),
    ) -> impl DoubleEndedIterator<Item = (&'a SetKey, &'a Vers)> + 'a {
        let map = (!self.map.is_empty()).then(|| self.map.range::<[u8], _>(range));
        let lo = match range.0 {
            Bound::Included(k) => self.tail.partition_point(|t| t.as_slice() < k),
            Bound::Excluded(k) => self.tail.partition_point(|t| t.as_slice() <= k),
            Bound::Unbounded => 0,
        };
        let hi = match range.1 {
            Bound::Included(k) => self.tail.partition_point(|t| t.as_slice() <= k),
            Bound::Excluded(k) => self.tail.partition_point(|t| t.as_slice() < k),
            Bound::Unbounded => self.tail.len(),
        };
        map.into_iter().flatten().chain(self.tail.slice(lo, hi.max(lo)).map(|(k, v)| (k, v)))
    }

    /// Every entry, in key order.
    pub(super) fn iter(&self) -> impl DoubleEndedIterator<Item = (&SetKey, &Vers)> {
        self.range((Bound::Unbounded, Bound::Unbounded))
    }

    /// The number of keys.
    pub(super) fn len(&self) -> usize {
        self.map.len() + self.tail.len()
    }

    /// Whether no key is held.
    pub(super) fn is_empty(&self) -> bool {
        self.map.is_empty() && self.tail.len() == 0
    }

    /// Removes every entry, keeping the tail's memory for the next keys.
    pub(super) fn clear(&mut self) {
        self.map.clear();
        self.tail.clear();
    }

    /// Keeps the entries for which `keep` returns `true` (it may change their versions).
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&mut Vers) -> bool) {
        self.map.retain(|_, v| keep(v));
        self.tail.retain(|(_, v)| keep(v));
    }
}

/// The ascending tail: every chunk but the last holds exactly [`TAIL_CHUNK`] entries, so
/// entry `i` is entry `i % TAIL_CHUNK` of chunk `i / TAIL_CHUNK`.
#[derive(Debug, Default)]
struct Tail {
    chunks: Vec<Vec<Entry>>,
    len: usize,
    /// Emptied chunks, reused before new ones.
    spare: Vec<Vec<Entry>>,
    /// The next new chunk, being faulted in by the helper.
    next: NextChunk<Entry>,
}

impl Tail {
    fn len(&self) -> usize {
        self.len
    }

    fn first(&self) -> Option<&Entry> {
        self.chunks.first().and_then(|c| c.first())
    }

    fn last(&self) -> Option<&Entry> {
        self.chunks.last().and_then(|c| c.last())
    }

    fn at(&self, i: usize) -> &Entry {
        &self.chunks[i / TAIL_CHUNK][i % TAIL_CHUNK]
    }

    fn at_mut(&mut self, i: usize) -> &mut Entry {
        &mut self.chunks[i / TAIL_CHUNK][i % TAIL_CHUNK]
    }

    fn push(&mut self, e: Entry, helper: Option<&Prefaulter>) {
        if self.chunks.last().is_none_or(|c| c.len() == TAIL_CHUNK) {
            let chunk = self.new_chunk(helper);
            self.chunks.push(chunk);
        }
        if let Some(c) = self.chunks.last_mut() {
            c.push(e);
            self.len += 1;
        }
    }

    /// An empty chunk: a spare one, the helper's when ready, or a new allocation; asks
    /// `helper` for the one after once the tail is past its first chunk.
    fn new_chunk(&mut self, helper: Option<&Prefaulter>) -> Vec<Entry> {
        if let Some(c) = self.spare.pop() {
            return c;
        }
        let helper = helper.filter(|_| !self.chunks.is_empty());
        self.next.take(TAIL_CHUNK, helper)
    }

    /// The position of the entry with `key`, or where it would go.
    fn find(&self, key: &[u8]) -> Result<usize, usize> {
        let c = self.chunks.partition_point(|c| c.last().is_some_and(|(k, _)| k.as_slice() < key));
        let Some(chunk) = self.chunks.get(c) else { return Err(self.len) };
        chunk
            .binary_search_by(|(k, _)| k.as_slice().cmp(key))
            .map(|i| c * TAIL_CHUNK + i)
            .map_err(|i| c * TAIL_CHUNK + i)
    }

    /// The number of leading entries whose key satisfies `pred` (which must hold for a
    /// prefix of the tail).
    fn partition_point(&self, pred: impl Fn(&SetKey) -> bool) -> usize {
        let c = self.chunks.partition_point(|c| c.last().is_some_and(|(k, _)| pred(k)));
        match self.chunks.get(c) {
            Some(chunk) => c * TAIL_CHUNK + chunk.partition_point(|(k, _)| pred(k)),
            None => self.len,
        }
    }

    /// Entries `lo..hi`, in order.
    fn slice(&self, lo: usize, hi: usize) -> impl DoubleEndedIterator<Item = &Entry> {
        let (first, last) = (lo / TAIL_CHUNK, hi.div_ceil(TAIL_CHUNK));
        let chunks = self.chunks.get(first..last.max(first)).unwrap_or_default();
        chunks.iter().enumerate().flat_map(move |(j, c)| {
            let base = (first + j) * TAIL_CHUNK;
            let from = lo.saturating_sub(base).min(c.len());
            let to = hi.saturating_sub(base).min(c.len());
            c[from..to.max(from)].iter()
        })
    }

    /// Removes and returns every entry, in order.
    fn take_all(&mut self) -> impl Iterator<Item = Entry> {
        self.len = 0;
        std::mem::take(&mut self.chunks).into_iter().flatten()
    }

    /// Removes every entry, keeping the chunks for reuse.
    fn clear(&mut self) {
        for mut c in self.chunks.drain(..) {
            c.clear();
            self.spare.push(c);
        }
        self.len = 0;
    }

    /// Keeps the entries for which `keep` returns `true`, packed again into full chunks.
    fn retain(&mut self, mut keep: impl FnMut(&mut Entry) -> bool) {
        let old = std::mem::take(&mut self.chunks);
        self.len = 0;
        for mut chunk in old {
            for mut e in chunk.drain(..) {
                if keep(&mut e) {
                    self.push(e, None);
                }
            }
            self.spare.push(chunk);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::super::Ver;
    use super::*;
    use helios_common::Timestamp;

    fn ver(seq: u64) -> Vers {
        Vers::One(Ver { seq, since: Timestamp(0), value: None })
    }

    proptest! {
        /// Any sequence of writes (ascending stretches, keys inside the tail, below it,
        /// repeats) reads back exactly like a `BTreeMap`, by key and by range.
        #[test]
        fn behaves_like_a_map(
            writes in prop::collection::vec(prop_oneof![
                (0u16..500).prop_map(|k| vec![k]),
                (0u16..500, 1u16..20).prop_map(|(s, n)| (s..s.saturating_add(n)).collect()),
            ], 0..60),
            lo in 0u16..520, hi in 0u16..520, drop_odd in any::<bool>(),
        ) {
            let mut e = Entries::default();
            let mut model: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            let mut seq = 0u64;
            for k in writes.into_iter().flatten() {
                let key = k.to_be_bytes().to_vec();
                seq += 1;
                match e.get_or_insert(&key, ver(seq), None) {
                    Some(v) => *v = ver(seq),
                    None => prop_assert!(!model.contains_key(&key)),
                }
                model.insert(key, seq);
            }
            if drop_odd {
                e.retain(|v| v.newest().seq % 2 == 0);
                model.retain(|_, s| *s % 2 == 0);
            }
            let seqs = |it: &mut dyn Iterator<Item = (&SetKey, &Vers)>| -> Vec<(Vec<u8>, u64)> {
                it.map(|(k, v)| (k.as_slice().to_vec(), v.newest().seq)).collect()
            };
            let all: Vec<_> = model.iter().map(|(k, s)| (k.clone(), *s)).collect();
            prop_assert_eq!(seqs(&mut e.iter()), all.clone());
            prop_assert_eq!(seqs(&mut e.iter().rev()), all.iter().rev().cloned().collect::<Vec<_>>());
            prop_assert_eq!(e.len(), model.len());
            prop_assert_eq!(e.first_key().map(|k| k.as_slice().to_vec()), model.keys().next().cloned());
            prop_assert_eq!(e.last_key().map(|k| k.as_slice().to_vec()), model.keys().last().cloned());
            for k in 0u16..520 {
                let key = k.to_be_bytes();
                prop_assert_eq!(e.get(&key).map(|v| v.newest().seq), model.get(key.as_slice()).copied());
            }
            let (l, h) = (lo.to_be_bytes(), hi.to_be_bytes());
            if lo <= hi {
                for r in [
                    (Bound::Included(&l[..]), Bound::Included(&h[..])),
                    (Bound::Excluded(&l[..]), Bound::Excluded(&h[..])),
                    (Bound::Included(&l[..]), Bound::Unbounded),
                    (Bound::Unbounded, Bound::Excluded(&h[..])),
                ] {
                    if lo == hi && matches!(r, (Bound::Excluded(_), Bound::Excluded(_))) {
                        continue;
                    }
                    let want: Vec<_> = model
                        .range::<[u8], _>(r)
                        .map(|(k, s)| (k.clone(), *s))
                        .collect();
                    prop_assert_eq!(seqs(&mut e.range(r)), want);
                }
            }
        }
    }
}
