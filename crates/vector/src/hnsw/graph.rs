//! The graph itself: per-node row id, level, state and neighbour lists per layer.
//!
//! Layer 0 holds every node and is where searches spend their time, so its lists live in
//! one flat array with a fixed stride (`count, id, id, ...`), one cache-friendly block per
//! node. Upper layers hold few nodes (about `1/m` of them), so their lists live in a map
//! from node id to one vector with the same stride, costing nothing for layer-0-only nodes.

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

/// Adjacency and bookkeeping of all nodes; ids are slot numbers.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    m: usize,
    m0: usize,
    pub rows: Vec<RowId>,
    pub levels: Vec<u8>,
    pub states: Vec<NodeState>,
    links0: Vec<u32>,
    upper: HashMap<u32, Vec<u32>>,
    /// Entry point of every search: a node on the top layer.
    pub entry: Option<u32>,
    /// Top layer number (meaningful when `entry` is set).
    pub max_level: usize,
    /// Vacant slots, reused last-in first-out.
    pub free: Vec<u32>,
}

impl Graph {
    /// An empty graph with `m` links per upper-layer node and `m0` on layer 0.
    pub fn new(m: usize, m0: usize) -> Graph {
        Graph {
            m,
            m0,
            rows: Vec::new(),
            levels: Vec::new(),
            states: Vec::new(),
            links0: Vec::new(),
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

    /// Maximum links on `level`.
    pub fn cap(&self, level: usize) -> usize {
        if level == 0 {
            self.m0
        } else {
            self.m
        }
    }

    fn range(&self, id: u32, level: usize) -> (usize, usize) {
        if level == 0 {
            let start = id as usize * (self.m0 + 1);
            (start, start + self.m0 + 1)
        } else {
            let start = (level - 1) * (self.m + 1);
            (start, start + self.m + 1)
        }
    }

    /// The neighbours of `id` on `level` (empty above the node's level).
    #[inline]
    pub fn neighbors(&self, id: u32, level: usize) -> &[u32] {
        if level > usize::from(self.levels[id as usize]) {
            return &[];
        }
        let (start, end) = self.range(id, level);
        let block = if level == 0 {
            &self.links0[start..end]
        } else {
            match self.upper.get(&id) {
                Some(lists) => &lists[start..end],
                None => return &[],
            }
        };
        &block[1..1 + block[0] as usize]
    }

    /// Replaces the neighbours of `id` on `level` (at most [`Graph::cap`] are kept).
    pub fn set_neighbors(&mut self, id: u32, level: usize, ids: &[u32]) {
        let n = ids.len().min(self.cap(level));
        let (start, _) = self.range(id, level);
        let block = if level == 0 {
            &mut self.links0[start..]
        } else {
            let size = usize::from(self.levels[id as usize]) * (self.m + 1);
            &mut self.upper.entry(id).or_insert_with(|| vec![0; size])[start..]
        };
        block[0] = n as u32;
        block[1..1 + n].copy_from_slice(&ids[..n]);
    }

    /// Adds a live node of `level`, reusing a vacant slot if there is one.
    pub fn add_node(&mut self, row: RowId, level: usize) -> u32 {
        if let Some(id) = self.free.pop() {
            let i = id as usize;
            self.rows[i] = row;
            self.levels[i] = level as u8;
            self.states[i] = NodeState::Live;
            self.set_upper(id, level);
            let (start, end) = self.range(id, 0);
            self.links0[start..end].fill(0);
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
        self.set_upper((self.rows.len() - 1) as u32, level);
        self.links0.resize(self.links0.len() + self.m0 + 1, 0);
    }

    /// Turns `id` into a vacant slot with no links.
    pub fn vacate(&mut self, id: u32) {
        let i = id as usize;
        self.states[i] = NodeState::Vacant;
        self.levels[i] = 0;
        self.upper.remove(&id);
        let (start, end) = self.range(id, 0);
        self.links0[start..end].fill(0);
        self.free.push(id);
    }

    /// Bytes allocated for the adjacency and per-node bookkeeping (capacities, not
    /// lengths: spare room left by growth counts until [`Graph::shrink_to_fit`]).
    pub fn memory_bytes(&self) -> usize {
        let per_upper = std::mem::size_of::<(u32, Vec<u32>)>() + 1;
        self.links0.capacity() * 4
            + self.upper.values().map(|u| u.capacity() * 4).sum::<usize>()
            + self.upper.capacity() * per_upper
            + self.rows.capacity() * std::mem::size_of::<RowId>()
            + self.levels.capacity()
            + self.states.capacity() * std::mem::size_of::<NodeState>()
            + self.free.capacity() * 4
    }

    /// Releases spare capacity (after a bulk build or load).
    pub fn shrink_to_fit(&mut self) {
        self.links0.shrink_to_fit();
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
}
