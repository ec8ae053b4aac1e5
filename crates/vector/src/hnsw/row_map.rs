//! [`RowMap`]: from a row id to the node slot holding it.
//!
//! Row ids are the caller's. The SQL layer numbers its entries 1, 2, 3, ..., so a plain
//! array indexed by row id answers in one load and costs 4 bytes per row, against about
//! 17 bytes per bucket (at most 7/8 full) for a hash map. Ids that would make the array
//! much larger than the number of rows (a sparse or hostile numbering) go to a hash map
//! instead, so memory stays proportional to the rows whatever the ids.

use std::collections::HashMap;

use crate::store::RowId;

/// Marks an unused array cell.
const ABSENT: u32 = u32::MAX;

/// Row id → node slot, dense for small ids and hashed for the others.
#[derive(Clone, Debug, Default)]
pub(crate) struct RowMap {
    dense: Vec<u32>,
    sparse: HashMap<RowId, u32>,
    len: usize,
}

impl RowMap {
    /// Number of rows mapped.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no row is mapped.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn dense_index(&self, row: RowId) -> Option<usize> {
        usize::try_from(row.0).ok().filter(|&i| i < self.dense.len())
    }

    /// The slot of `row`.
    pub fn get(&self, row: RowId) -> Option<u32> {
        if let Some(slot) = self.dense_index(row).map(|i| self.dense[i]) {
            if slot != ABSENT {
                return Some(slot);
            }
        }
        if self.sparse.is_empty() {
            None
        } else {
            self.sparse.get(&row).copied()
        }
    }

    /// Whether `row` is mapped.
    pub fn contains(&self, row: RowId) -> bool {
        self.get(row).is_some()
    }

    /// Maps `row` to `slot`; returns the slot it had. A row lives in exactly one of the
    /// array and the hash map: a row hashed while its id was too large for the array
    /// stays hashed after the array has grown past it.
    pub fn insert(&mut self, row: RowId, slot: u32) -> Option<u32> {
        debug_assert_ne!(slot, ABSENT, "slot numbers stay below u32::MAX");
        let old = if let Some(s) = self.sparse.get_mut(&row) {
            Some(std::mem::replace(s, slot))
        } else if let Some(i) = self.dense_index(row) {
            Some(std::mem::replace(&mut self.dense[i], slot)).filter(|&s| s != ABSENT)
        } else if row.0 < (2 * (self.len as u64 + 1)).max(64) {
            // At most about twice as many cells as rows.
            let i = row.0 as usize;
            self.dense.resize(i + 1, ABSENT);
            self.dense[i] = slot;
            None
        } else {
            self.sparse.insert(row, slot)
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Unmaps `row`; returns its slot.
    pub fn remove(&mut self, row: RowId) -> Option<u32> {
        let dense = self.dense_index(row).filter(|&i| self.dense[i] != ABSENT);
        let old = match dense {
            Some(i) => Some(std::mem::replace(&mut self.dense[i], ABSENT)),
            None => self.sparse.remove(&row),
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// Bytes allocated: the array and the hash map's buckets (one control byte each).
    pub fn memory_bytes(&self) -> usize {
        self.dense.capacity() * 4
            + self.sparse.capacity() * (std::mem::size_of::<(RowId, u32)>() + 1)
    }

    /// Releases spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.dense.shrink_to_fit();
        self.sparse.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascending_ids_stay_dense_and_cost_four_bytes_each() {
        let mut m = RowMap::default();
        for i in 1..=10_000u64 {
            assert_eq!(m.insert(RowId(i), i as u32 * 3), None);
        }
        m.shrink_to_fit();
        assert_eq!(m.len(), 10_000);
        assert!(m.sparse.is_empty());
        assert!(m.memory_bytes() <= 4 * 10_001, "{}", m.memory_bytes());
        assert_eq!(m.get(RowId(77)), Some(231));
        assert_eq!(m.get(RowId(0)), None);
        assert_eq!(m.get(RowId(10_001)), None);
    }

    #[test]
    fn huge_or_sparse_ids_go_to_the_hash_map() {
        let mut m = RowMap::default();
        assert_eq!(m.insert(RowId(u64::MAX), 1), None);
        assert_eq!(m.insert(RowId(1 << 40), 2), None);
        assert_eq!(m.insert(RowId(5), 3), None);
        assert!(m.dense.len() <= 64, "no array sized by a large id");
        assert_eq!(m.get(RowId(u64::MAX)), Some(1));
        assert_eq!(m.get(RowId(1 << 40)), Some(2));
        assert_eq!(m.get(RowId(5)), Some(3));
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn behaves_like_a_hash_map() {
        // A model check over a mix of dense, sparse and repeated ids.
        let mut m = RowMap::default();
        let mut model: HashMap<RowId, u32> = HashMap::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let row = RowId(match x % 4 {
                0 => x % 100,
                1 => x % 5_000,
                2 => x,
                _ => u64::from(step),
            });
            if x.is_multiple_of(3) {
                assert_eq!(m.remove(row), model.remove(&row), "remove {row:?}");
            } else {
                assert_eq!(m.insert(row, step), model.insert(row, step), "insert {row:?}");
            }
            assert_eq!(m.len(), model.len());
        }
        for (row, slot) in &model {
            assert_eq!(m.get(*row), Some(*slot));
        }
        assert!(m.dense.len() <= 2 * 20_001, "array bounded by the row count");
    }
}
