//! [`EntryMap`]: the SQL layer's state per HNSW graph entry — which row version an entry
//! stands for — held compactly next to the graph.
//!
//! Every entry (a row version: primary key and the hash of its vector, see
//! [`super::vector_index`]) is numbered 1, 2, 3, ... So the map is a set of dense arrays
//! indexed by entry number, without per-entry allocations:
//!
//! ```text
//!   hashes:  [h1, h2, h3, ...]           8 bytes per entry
//!   ends:    [e1, e2, e3, ...]           4 bytes: entry i's key is keys[e(i-1)..e(i)]
//!   keys:    k1 k2 k3 ...                the primary keys' bytes, end to end
//!   present: bit per entry               numbers with no entry (gaps after a load)
//!   table:   open addressing, u32 slots  entry numbers, keyed by hash(key, vector hash)
//! ```
//!
//! The table answers "has this (key, vector) an entry already?" by comparing the bytes
//! stored in the arrays, so no key is held twice. At 40 000 rows with 9-byte keys the
//! whole map is about 1 MB, against about 6 MB for two hash maps of owned keys.
//!
//! Numbers should be dense: a number skipped costs 12 bytes and a bit. Numbers are given
//! in order by the index itself, so gaps only come from records lost with a rolled-back
//! statement; a load that finds the numbers too sparse rebuilds the index instead, which
//! numbers from 1 again.

use helios_common::{Error, Result, SqlState};

/// A free table slot (entry numbers start at 1).
const EMPTY: u32 = 0;

/// Entry number → (vector hash, primary key), and (primary key, vector hash) → entry.
#[derive(Debug, Default)]
pub struct EntryMap {
    hashes: Vec<u64>,
    ends: Vec<u32>,
    keys: Vec<u8>,
    present: Vec<u64>,
    len: usize,
    table: Vec<u32>,
}

impl EntryMap {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// One more than the largest entry number (1 when empty).
    pub fn next_id(&self) -> u64 {
        self.hashes.len() as u64 + 1
    }

    fn index(&self, id: u64) -> Option<usize> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        (i < self.hashes.len() && self.present[i / 64] & (1 << (i % 64)) != 0).then_some(i)
    }

    fn key_at(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.keys[start..self.ends[i] as usize]
    }

    /// The vector hash and primary key of entry `id`.
    #[inline]
    pub fn get(&self, id: u64) -> Option<(u64, &[u8])> {
        self.index(id).map(|i| (self.hashes[i], self.key_at(i)))
    }

    /// Whether entry `id` exists.
    pub fn contains(&self, id: u64) -> bool {
        self.index(id).is_some()
    }

    /// The entry of primary key `pk` with vector hash `hash`, if any.
    pub fn find(&self, pk: &[u8], hash: u64) -> Option<u64> {
        if self.table.is_empty() {
            return None;
        }
        let mut slot = self.home(pk, hash);
        loop {
            let id = self.table[slot];
            if id == EMPTY {
                return None;
            }
            let i = id as usize - 1;
            if self.hashes[i] == hash && self.key_at(i) == pk {
                return Some(u64::from(id));
            }
            slot = (slot + 1) % self.table.len();
        }
    }

    /// Adds entry `id` (above every number so far): the row version with primary key
    /// `pk` and vector hash `hash`. Numbers skipped over stay without an entry.
    pub fn push(&mut self, id: u64, hash: u64, pk: &[u8]) -> Result<()> {
        let next = self.next_id();
        if id < next {
            return Err(Error::internal(format!("vector index entry {id} added out of order")));
        }
        let i = usize::try_from(id - 1)
            .ok()
            .filter(|&i| i < (u32::MAX - 1) as usize)
            .ok_or_else(|| Error::corrupted(format!("vector index entry number {id} too large")))?;
        let end = u32::try_from(self.keys.len() + pk.len()).map_err(|_| {
            Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "vector index primary keys exceed 4 GB")
        })?;
        let gap_end = self.ends.last().copied().unwrap_or(0);
        while self.hashes.len() < i {
            self.hashes.push(0);
            self.ends.push(gap_end);
        }
        self.hashes.push(hash);
        self.keys.extend_from_slice(pk);
        self.ends.push(end);
        self.present.resize(self.hashes.len().div_ceil(64), 0);
        self.present[i / 64] |= 1 << (i % 64);
        self.len += 1;
        if (self.len + 1) * 5 > self.table.len() * 4 {
            self.rehash(2 * self.len + 16);
        } else {
            self.place(i);
        }
        Ok(())
    }

    /// The table slot where the search for (`pk`, `hash`) starts.
    fn home(&self, pk: &[u8], hash: u64) -> usize {
        let mut h = hash ^ 0x9e37_79b9_7f4a_7c15;
        for chunk in pk.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h ^= h >> 31;
        }
        h = (h ^ pk.len() as u64).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 29;
        // Multiply-shift maps the hash onto any table size, not only powers of two.
        ((u128::from(h) * self.table.len() as u128) >> 64) as usize
    }

    /// Puts entry index `i` into the table (the table has a free slot).
    fn place(&mut self, i: usize) {
        let mut slot = self.home(self.key_at(i), self.hashes[i]);
        while self.table[slot] != EMPTY {
            slot = (slot + 1) % self.table.len();
        }
        self.table[slot] = (i + 1) as u32;
    }

    fn rehash(&mut self, slots: usize) {
        self.table = vec![EMPTY; slots.max(self.len + 1)];
        for i in 0..self.hashes.len() {
            if self.present[i / 64] & (1 << (i % 64)) != 0 {
                self.place(i);
            }
        }
    }

    /// Bytes allocated (capacities).
    pub fn memory_bytes(&self) -> usize {
        self.hashes.capacity() * 8
            + self.ends.capacity() * 4
            + self.keys.capacity()
            + self.present.capacity() * 8
            + self.table.capacity() * 4
    }

    /// Releases spare capacity after a bulk build or load: the arrays to their length,
    /// the table to two thirds full.
    pub fn shrink_to_fit(&mut self) {
        self.hashes.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.keys.shrink_to_fit();
        self.present.shrink_to_fit();
        self.rehash(self.len + self.len / 2 + 16);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn finds_entries_by_number_and_by_key_and_hash() {
        let mut m = EntryMap::default();
        m.push(1, 10, b"alpha").expect("push");
        m.push(2, 20, b"alpha").expect("push");
        m.push(5, 30, b"").expect("push after a gap");
        assert_eq!(m.len(), 3);
        assert_eq!(m.next_id(), 6);
        assert_eq!(m.get(1), Some((10, &b"alpha"[..])));
        assert_eq!(m.get(5), Some((30, &b""[..])));
        assert_eq!(m.get(3), None, "a gap has no entry");
        assert_eq!(m.get(0), None);
        assert_eq!(m.get(6), None);
        assert_eq!(m.find(b"alpha", 20), Some(2));
        assert_eq!(m.find(b"alpha", 30), None);
        assert_eq!(m.find(b"", 30), Some(5));
        assert!(m.push(4, 1, b"x").is_err(), "numbers only grow");
        assert!(m.push(1 << 40, 1, b"x").is_err(), "beyond u32 numbers");
    }

    #[test]
    fn behaves_like_two_hash_maps_and_stays_small() {
        let mut m = EntryMap::default();
        let mut by_id: HashMap<u64, (u64, Vec<u8>)> = HashMap::new();
        let mut by_key: HashMap<(Vec<u8>, u64), u64> = HashMap::new();
        let mut x = 0x853c_49e6_748f_ea9bu64;
        let mut id = 0u64;
        for _ in 0..40_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Keys of 1 to 12 bytes, often repeated with another hash (an UPDATE).
            let pk: Vec<u8> = (x % 5_000).to_be_bytes()[(x % 8) as usize..].to_vec();
            let hash = (x >> 40) % 3;
            if by_key.contains_key(&(pk.clone(), hash)) {
                assert_eq!(m.find(&pk, hash), by_key.get(&(pk.clone(), hash)).copied());
                continue;
            }
            assert_eq!(m.find(&pk, hash), None);
            id += 1 + u64::from(x.is_multiple_of(10));
            m.push(id, hash, &pk).expect("push");
            by_id.insert(id, (hash, pk.clone()));
            by_key.insert((pk, hash), id);
        }
        m.shrink_to_fit();
        assert_eq!(m.len(), by_id.len());
        for n in 1..m.next_id() {
            assert_eq!(m.get(n), by_id.get(&n).map(|(h, k)| (*h, k.as_slice())), "entry {n}");
        }
        for ((pk, hash), n) in &by_key {
            assert_eq!(m.find(pk, *hash), Some(*n));
        }
        // Per entry: 8 (hash) + 4 (end) + 8 (key) + 6 (table at 2/3) + 10% gaps.
        let key_bytes: usize = by_id.values().map(|(_, k)| k.len()).sum();
        let bound = key_bytes + m.len() * 22;
        assert!(m.memory_bytes() <= bound, "{} > {bound}", m.memory_bytes());
    }
}
