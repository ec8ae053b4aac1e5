//! Deletion: mark now, repair in a batch later (vacuum).
//!
//! Why not remove and repair at once? A row deleted by a transaction stays visible to
//! older snapshots and other branches; the SQL layer therefore keeps it in the index and
//! hides it with the visibility filter, and calls [`HnswIndex::delete`] only when the row
//! version is garbage-collected. Even then, a marked node keeps serving as a stepping
//! stone, so searches stay as good as before; repairing the neighbourhoods of many deleted
//! nodes in one pass ([`HnswIndex::vacuum`], like pgvector's VACUUM) costs less than
//! repairing them one by one, because each affected node is re-linked once.

use std::collections::BTreeSet;

use super::graph::NodeState;
use super::index::HnswIndex;
use super::insert::select_neighbors;
use super::search::Cand;
use crate::store::RowId;

impl HnswIndex {
    /// Marks `row` deleted: it is never returned again, its node is still traversed until
    /// [`HnswIndex::vacuum`]. Returns false when the row is not in the index.
    pub fn delete(&mut self, row: RowId) -> bool {
        let Some(id) = self.row_map.remove(row) else {
            return false;
        };
        self.graph.states[id as usize] = NodeState::Deleted;
        self.deleted += 1;
        self.dirty.insert(id);
        true
    }

    /// Number of nodes marked deleted and not yet vacuumed.
    pub fn deleted_count(&self) -> usize {
        self.deleted
    }

    /// Whether deleted nodes exceed a fifth of the live ones: a hint to call vacuum.
    pub fn needs_vacuum(&self) -> bool {
        self.deleted > 0 && self.deleted * 5 >= self.row_map.len()
    }

    /// Removes every deleted node and repairs the lists that pointed at them: each such
    /// list is re-selected with the heuristic among its live members and the live
    /// neighbours of its deleted members (keeping its previous degree where candidates
    /// allow). Freed slots are reused by later inserts. Returns the nodes removed.
    pub fn vacuum(&mut self) -> usize {
        let dead: Vec<u32> = (0..self.graph.slots() as u32)
            .filter(|&id| self.graph.states[id as usize] == NodeState::Deleted)
            .collect();
        if dead.is_empty() {
            return 0;
        }
        let is_dead = |states: &[NodeState], id: u32| states[id as usize] == NodeState::Deleted;
        for u in 0..self.graph.slots() as u32 {
            if self.graph.states[u as usize] != NodeState::Live {
                continue;
            }
            for level in 0..=usize::from(self.graph.levels[u as usize]) {
                let current = self.graph.neighbors(u, level);
                if !current.iter().any(|&n| is_dead(&self.graph.states, n)) {
                    continue;
                }
                let mut pool = BTreeSet::new();
                for &n in current {
                    if is_dead(&self.graph.states, n) {
                        for &x in self.graph.neighbors(n, level) {
                            if x != u && self.graph.states[x as usize] == NodeState::Live {
                                pool.insert(x);
                            }
                        }
                    } else {
                        pool.insert(n);
                    }
                }
                let degree = current.len();
                let mut candidates: Vec<Cand> = pool
                    .into_iter()
                    .map(|x| Cand { dist: self.data.node_distance(u, x), id: x })
                    .collect();
                candidates.sort();
                let m = degree.min(self.graph.cap(level));
                let chosen = select_neighbors(&self.data, &candidates, m, true);
                let ids: Vec<u32> = chosen.iter().map(|c| c.id).collect();
                self.graph.set_neighbors(u, level, &ids);
                self.dirty.insert(u);
            }
        }
        for &d in &dead {
            self.graph.vacate(d);
            self.dirty.insert(d);
        }
        if self.graph.entry.is_some_and(|e| self.graph.states[e as usize] == NodeState::Vacant) {
            let best = (0..self.graph.slots() as u32)
                .filter(|&id| self.graph.states[id as usize] == NodeState::Live)
                .max_by_key(|&id| self.graph.levels[id as usize]);
            self.graph.entry = best;
            self.graph.max_level = best.map_or(0, |id| usize::from(self.graph.levels[id as usize]));
        }
        self.deleted = 0;
        self.meta_dirty = true;
        dead.len()
    }
}
