//! The graph itself: per-node row id, level, state and neighbour lists per layer.
//!
//! Layer 0 holds every node and is where searches spend their time. Its lists live in
//! one arena of `u32` words: each node owns a block `header, id, id, ...` (the header
//! packs the list's length and the block's capacity) found through a per-node offset.
//! A block is as large as the list needs, not the `2·m` a list may reach: after a build
//! the average layer-0 degree is about half the cap (16 of 32 on MiniLM at `m = 16`), so
//! fixed `2·m` strides would spend half the graph's memory on empty cells. A list that
//! outgrows its block moves to a larger one at the end of the arena; the holes this
//! leaves are counted and squeezed out once they reach a third of the arena, and
//! [`Graph::shrink_to_fit`] (after a build or load) rewrites every block at its exact
//! length. Upper layers hold few nodes (about `1/m` of them), so their lists live in a
//! map from node id to one vector of fixed stride, costing nothing for layer-0-only nodes.

use std::collections::HashMap;

use crate::store::RowId;

/// Lifecycle of a node slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeState {
    /// Indexed and returned by searches.
    Live,
    /// Marked deleted: still traversed (it keeps the graph connected), never returned;
    /// removed and its neighbours repaired by vacuum.
    Deleted,
    /// A free slot left by vacuum, reused by the next insert.
    Vacant,
}

/// Offset of the shared empty block (capacity 0) every node without layer-0 links uses.
const EMPTY_BLOCK: u32 = 0;

/// Packs a block header: list length in the low 16 bits, block capacity above.
#[inline]
fn header(len: usize, cap: usize) -> u32 {
    (len as u32) | ((cap as u32) << 16)
}

/// Adjacency and bookkeeping of all nodes; ids are slot numbers.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    m: usize,
    m0: usize,
    pub rows: Vec<RowId>,
    pub levels: Vec<u8>,
    pub states: Vec<NodeState>,
    /// Layer-0 blocks; word 0 is the shared empty block.
    links0: Vec<u32>,
    /// Offset of each node's layer-0 block in `links0`.
    start0: Vec<u32>,
    /// Words of `links0` no node's block covers (left behind by moves and vacates).
    waste0: usize,
    upper: HashMap<u32, Vec<u32>>,
    /// Entry point of every search: a node on the top layer.
    pub entry: Option<u32>,
    /// Top layer number (meaningful when `entry` is set).
    pub max_level: usize,
    /// Vacant slots, reused last-in first-out.
    pub free: Vec<u32>,
}

impl Graph {
    /// An empty graph with `m` links per upper-layer node and `m0` on layer 0 (`m0` below
    /// 65 536: it shares a header word with the list length).
    pub fn new(m: usize, m0: usize) -> Graph {
        Graph {
            m,
            m0,
            rows: Vec::new(),
            levels: Vec::new(),
            states: Vec::new(),
            links0: vec![header(0, 0)],
            start0: Vec::new(),
            waste0: 0,
            upper: HashMap::new(),
            entry: None,
            max_level: 0,
            free: Vec::new(),
        }
    }

    /// Number of slots (live, deleted and vacant).
    pub fn slots(&self) -> usize {
        self.rows.len()
    }

    /// Whether one more node fits: layer-0 block offsets are `u32` word indices, so the
    /// slots times the largest block must stay well inside their range (at `m = 16`,
    /// about 65 million nodes).
    pub fn has_room(&self) -> bool {
        !self.free.is_empty() || (self.slots() + 1) * (self.m0 + 1) <= (u32::MAX / 2) as usize
    }

    /// Maximum links on `level`.
    pub fn cap(&self, level: usize) -> usize {
        if level == 0 {
            self.m0
        } else {
            self.m
        }
    }

    /// The neighbours of `id` on `level` (empty above the node's level).
    #[inline]
    pub fn neighbors(&self, id: u32, level: usize) -> &[u32] {
        if level == 0 {
            return self.neighbors0(id);
        }
        if level > usize::from(self.levels[id as usize]) {
            return &[];
        }
        let Some(lists) = self.upper.get(&id) else { return &[] };
        let start = (level - 1) * (self.m + 1);
        let block = &lists[start..start + self.m + 1];
        &block[1..1 + block[0] as usize]
    }

    /// The neighbours of `id` on layer 0: the search's inner loop.
    #[inline(always)]
    pub fn neighbors0(&self, id: u32) -> &[u32] {
        let start = self.start0[id as usize] as usize;
        let len = (self.links0[start] & 0xffff) as usize;
        self.links0.get(start + 1..start + 1 + len).unwrap_or(&[])
    }

    /// Replaces the neighbours of `id` on `level` (at most [`Graph::cap`] are kept).
    pub fn set_neighbors(&mut self, id: u32, level: usize, ids: &[u32]) {
        let n = ids.len().min(self.cap(level));
        if level == 0 {
            self.set_neighbors0(id, &ids[..n]);
            return;
        }
        let start = (level - 1) * (self.m + 1);
        let size = usize::from(self.levels[id as usize]) * (self.m + 1);
        let block = &mut self.upper.entry(id).or_insert_with(|| vec![0; size])[start..];
        block[0] = n as u32;
        block[1..1 + n].copy_from_slice(&ids[..n]);
    }

    fn set_neighbors0(&mut self, id: u32, ids: &[u32]) {
        let mut start = self.start0[id as usize] as usize;
        let cap = (self.links0[start] >> 16) as usize;
        if ids.len() > cap {
            // Lists grow one back-link at a time: leave room for a few more.
            let new_cap = (ids.len() + ids.len() / 2).max(4).min(self.m0).max(ids.len());
            self.release0(id);
            start = self.alloc0(new_cap);
            self.start0[id as usize] = start as u32;
        }
        let cap = (self.links0[start] >> 16) as usize;
        self.links0[start] = header(ids.len(), cap);
        self.links0[start + 1..start + 1 + ids.len()].copy_from_slice(ids);
    }

    /// Gives up `id`'s layer-0 block (its words become waste); the node is left on the
    /// shared empty block.
    fn release0(&mut self, id: u32) {
        let start = self.start0[id as usize];
        if start != EMPTY_BLOCK {
            self.waste0 += 1 + (self.links0[start as usize] >> 16) as usize;
            self.start0[id as usize] = EMPTY_BLOCK;
        }
    }

    /// A new block of capacity `cap` at the end of the arena (squeezing the holes out
    /// first when they are a third of it); returns its offset.
    fn alloc0(&mut self, cap: usize) -> usize {
        if self.waste0 > 1024 && self.waste0 * 3 > self.links0.len() {
            self.compact0(false);
        }
        let start = self.links0.len();
        self.links0.push(header(0, cap));
        self.links0.resize(start + 1 + cap, 0);
        start
    }

    /// Rewrites the arena without holes, in node order; with `exact`, every block
    /// shrinks to its list's length.
    fn compact0(&mut self, exact: bool) {
        let live = self.links0.len() - self.waste0;
        let mut out = Vec::with_capacity(if exact { live } else { live + live / 4 });
        out.push(header(0, 0));
        for start in &mut self.start0 {
            let old = *start as usize;
            let head = self.links0[old];
            let (len, cap) = ((head & 0xffff) as usize, (head >> 16) as usize);
            let cap = if exact { len } else { cap };
            if cap == 0 {
                *start = EMPTY_BLOCK;
                continue;
            }
            *start = out.len() as u32;
            out.push(header(len, cap));
            out.extend_from_slice(&self.links0[old + 1..old + 1 + len]);
            out.resize(out.len() + cap - len, 0);
        }
        self.links0 = out;
        self.waste0 = 0;
    }

    /// Adds a live node of `level`, reusing a vacant slot if there is one.
    pub fn add_node(&mut self, row: RowId, level: usize) -> u32 {
        if let Some(id) = self.free.pop() {
            let i = id as usize;
            self.rows[i] = row;
            self.levels[i] = level as u8;
            self.states[i] = NodeState::Live;
            self.set_upper(id, level);
            self.release0(id);
            return id;
        }
        let id = self.rows.len() as u32;
        self.push_slot(row, level, NodeState::Live);
        id
    }

    fn set_upper(&mut self, id: u32, level: usize) {
        if level == 0 {
            self.upper.remove(&id);
        } else {
            self.upper.insert(id, vec![0; level * (self.m + 1)]);
        }
    }

    /// Appends a slot without links or free-list reuse (used when loading).
    pub fn push_slot(&mut self, row: RowId, level: usize, state: NodeState) {
        self.rows.push(row);
        self.levels.push(level as u8);
        self.states.push(state);
        self.start0.push(EMPTY_BLOCK);
        self.set_upper((self.rows.len() - 1) as u32, level);
    }

    /// Turns `id` into a vacant slot with no links.
    pub fn vacate(&mut self, id: u32) {
        let i = id as usize;
        self.states[i] = NodeState::Vacant;
        self.levels[i] = 0;
        self.upper.remove(&id);
        self.release0(id);
        self.free.push(id);
    }

    /// Bytes allocated for the adjacency and per-node bookkeeping (capacities, not
    /// lengths: spare room left by growth counts until [`Graph::shrink_to_fit`]).
    pub fn memory_bytes(&self) -> usize {
        let per_upper = std::mem::size_of::<(u32, Vec<u32>)>() + 1;
        self.links0.capacity() * 4
            + self.start0.capacity() * 4
            + self.upper.values().map(|u| u.capacity() * 4).sum::<usize>()
            + self.upper.capacity() * per_upper
            + self.rows.capacity() * std::mem::size_of::<RowId>()
            + self.levels.capacity()
            + self.states.capacity() * std::mem::size_of::<NodeState>()
            + self.free.capacity() * 4
    }

    /// Releases spare capacity (after a bulk build or load): every layer-0 block is
    /// rewritten at its list's exact length.
    pub fn shrink_to_fit(&mut self) {
        self.compact0(true);
        self.links0.shrink_to_fit();
        self.start0.shrink_to_fit();
        self.rows.shrink_to_fit();
        self.levels.shrink_to_fit();
        self.states.shrink_to_fit();
        self.free.shrink_to_fit();
        self.upper.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_lists_per_layer_and_reuses_slots() {
        let mut g = Graph::new(2, 4);
        let a = g.add_node(RowId(10), 1);
        let b = g.add_node(RowId(11), 0);
        g.set_neighbors(a, 0, &[b, 7, 8, 9, 6]);
        g.set_neighbors(a, 1, &[b]);
        assert_eq!(g.neighbors(a, 0), &[b, 7, 8, 9], "capped at m0");
        assert_eq!(g.neighbors(a, 1), &[b]);
        assert_eq!(g.neighbors(b, 1), &[] as &[u32], "above the node's level");
        g.vacate(a);
        assert_eq!(g.neighbors(a, 0), &[] as &[u32]);
        let c = g.add_node(RowId(12), 0);
        assert_eq!(c, a, "vacant slot reused");
        assert_eq!(g.rows[c as usize], RowId(12));
        assert_eq!(g.slots(), 2);
    }

    #[test]
    fn blocks_shrink_to_their_lists_and_grow_again() {
        let mut g = Graph::new(16, 32);
        for i in 0..1000u64 {
            g.add_node(RowId(i), 0);
        }
        let fixed_stride = 1000 * 33 * 4;
        for id in 0..1000u32 {
            let ids: Vec<u32> = (0..id % 9).map(|k| (id + k + 1) % 1000).collect();
            g.set_neighbors(id, 0, &ids);
        }
        g.shrink_to_fit();
        // 4 lengths of 0..8 links on average: 5 words per block plus the offset.
        assert!(g.memory_bytes() < fixed_stride / 3, "{} bytes", g.memory_bytes());
        assert_eq!(
            g.links0.len(),
            1 + (0..1000u32).filter(|i| i % 9 > 0).map(|i| 1 + (i % 9) as usize).sum::<usize>()
        );
        for id in 0..1000u32 {
            let want: Vec<u32> = (0..id % 9).map(|k| (id + k + 1) % 1000).collect();
            assert_eq!(g.neighbors(id, 0), want.as_slice());
        }
        // A list at its exact length grows by moving; the others are untouched.
        g.set_neighbors(8, 0, &(0..32).collect::<Vec<u32>>());
        assert_eq!(g.neighbors(8, 0), (0..32).collect::<Vec<u32>>().as_slice());
        assert_eq!(g.neighbors(7, 0), &[8, 9, 10, 11, 12, 13, 14]);
        assert_eq!(g.neighbors(0, 0), &[] as &[u32]);
    }

    #[test]
    fn behaves_like_fixed_lists_through_moves_and_compactions() {
        // A model check: random list replacements, vacates and slot reuse, with enough
        // moves to trigger several compactions, against plain vectors.
        let mut g = Graph::new(4, 8);
        let mut model: Vec<Vec<u32>> = Vec::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for step in 0..50_000u32 {
            let r = next();
            if model.len() < 300 || r % 50 == 0 {
                let id = g.add_node(RowId(u64::from(step)), 0);
                if id as usize == model.len() {
                    model.push(Vec::new());
                } else {
                    model[id as usize].clear();
                }
            } else if r % 97 == 0 {
                let id = (next() % model.len() as u64) as u32;
                if g.states[id as usize] != NodeState::Vacant {
                    g.vacate(id);
                    model[id as usize].clear();
                }
            } else {
                let id = (next() % model.len() as u64) as u32;
                if g.states[id as usize] == NodeState::Vacant {
                    continue;
                }
                let n = (next() % 12) as usize;
                let ids: Vec<u32> = (0..n).map(|_| (next() % 300) as u32).collect();
                g.set_neighbors(id, 0, &ids);
                model[id as usize] = ids[..n.min(8)].to_vec();
            }
            if step % 10_000 == 9_999 {
                g.shrink_to_fit();
            }
            assert!(g.waste0 * 3 <= g.links0.len() + 1024 + 3 * 9, "holes are squeezed out");
        }
        for (id, want) in model.iter().enumerate() {
            assert_eq!(g.neighbors(id as u32, 0), want.as_slice(), "node {id}");
        }
    }
}
