//! Insertion (the paper's Algorithm 1) and the neighbour-selection heuristic (Algorithm 4).

use super::graph::{Graph, NodeState};
use super::index::HnswIndex;
use super::search::{greedy_closest, search_layer, Cand, Visited};
use super::vectors::VectorData;
use crate::error::{check_vector, Result, VectorError};
use crate::store::{NodeId, RowId};

/// Levels are capped so a pathological draw cannot build a tall, empty tower.
const MAX_LEVEL: usize = 16;

impl HnswIndex {
    /// Indexes `vector` for `row`. A row id may be live in the index only once; after
    /// [`HnswIndex::delete`] it may be inserted again.
    pub fn insert(&mut self, row: RowId, vector: &[f32]) -> Result<NodeId> {
        check_vector(vector, self.params.dim)?;
        if self.row_map.contains(row) {
            return Err(VectorError::DuplicateRow(row));
        }
        if !self.graph.has_room() {
            return Err(VectorError::InvalidArgument(format!(
                "vector index is full: {} nodes at m = {}",
                self.graph.slots(),
                self.params.m
            )));
        }
        let v = self.prepare(vector);
        let level = self.random_level();
        let id = self.graph.add_node(row, level);
        self.data.set(id, &v);
        self.row_map.insert(row, id);
        self.dirty.insert(id);
        self.meta_dirty = true;

        let Some(entry) = self.graph.entry else {
            self.graph.entry = Some(id);
            self.graph.max_level = level;
            return Ok(NodeId(id));
        };
        let ef = self.params.ef_construction;
        let m = self.params.m;
        let (graph, data, dirty) = (&mut self.graph, &self.data, &mut self.dirty);
        let scorer = data.insert_scorer(&v);
        let mut ep = Cand { dist: scorer.dist(entry), id: entry };
        for l in (level + 1..=graph.max_level).rev() {
            ep = greedy_closest(graph, &scorer, ep, l);
        }
        let mut entries = vec![ep];
        for l in (0..=level.min(graph.max_level)).rev() {
            let mut visited = Visited::new(graph.slots());
            let found = search_layer(graph, &scorer, &entries, ef, l, &mut visited, &mut |_| {});
            // Link to live nodes only (deleted ones will be vacuumed), unless only deleted
            // ones were found: then link through them, or the new node would be unreachable.
            let mut candidates: Vec<Cand> = found
                .nearest
                .iter()
                .filter(|c| c.id != id && graph.states[c.id as usize] == NodeState::Live)
                .copied()
                .collect();
            if candidates.is_empty() {
                candidates = found.nearest.iter().filter(|c| c.id != id).copied().collect();
            }
            let chosen = select_neighbors(data, &candidates, m, false);
            let ids: Vec<u32> = chosen.iter().map(|c| c.id).collect();
            graph.set_neighbors(id, l, &ids);
            for c in &chosen {
                add_link(graph, data, c.id, Cand { dist: c.dist, id }, l);
                dirty.insert(c.id);
            }
            entries = found.nearest;
        }
        if level > graph.max_level {
            graph.entry = Some(id);
            graph.max_level = level;
        }
        Ok(NodeId(id))
    }

    /// Draws a level from the paper's distribution: `⌊−ln(U) · mL⌋` with `mL = 1 / ln m`,
    /// so each layer holds about `1/m` of the nodes of the layer below.
    fn random_level(&mut self) -> usize {
        let ml = 1.0 / (self.params.m as f64).ln();
        let u = 1.0 - self.rng.next_f64(); // in (0, 1]
        ((-u.ln() * ml).floor() as usize).min(MAX_LEVEL)
    }
}

/// Adds `new` to the neighbours of `target` on `level`; a full list is re-selected with
/// the heuristic among its live members and `new`.
pub(crate) fn add_link(graph: &mut Graph, data: &VectorData, target: u32, new: Cand, level: usize) {
    let current = graph.neighbors(target, level);
    if current.contains(&new.id) {
        return;
    }
    if current.len() < graph.cap(level) {
        let mut ids = current.to_vec();
        ids.push(new.id);
        graph.set_neighbors(target, level, &ids);
        return;
    }
    let mut candidates: Vec<Cand> = current
        .iter()
        .filter(|&&n| graph.states[n as usize] == NodeState::Live)
        .map(|&n| Cand { dist: data.node_distance(target, n), id: n })
        .collect();
    candidates.push(new);
    candidates.sort();
    let chosen = select_neighbors(data, &candidates, graph.cap(level), false);
    let ids: Vec<u32> = chosen.iter().map(|c| c.id).collect();
    graph.set_neighbors(target, level, &ids);
}

/// The paper's heuristic: walk `candidates` (sorted by distance to the base node) and keep
/// one only if it is closer to the base than to every neighbour kept so far, so links
/// spread in all directions instead of piling into one cluster. With `keep_pruned`, the
/// nearest rejected candidates fill the list up to `m` (used by repair, to keep degree).
pub(crate) fn select_neighbors(
    data: &VectorData,
    candidates: &[Cand],
    m: usize,
    keep_pruned: bool,
) -> Vec<Cand> {
    let mut chosen: Vec<Cand> = Vec::with_capacity(m);
    let mut pruned = Vec::new();
    for &c in candidates {
        if chosen.len() >= m {
            break;
        }
        if chosen.iter().all(|r| data.node_distance(c.id, r.id) >= c.dist) {
            chosen.push(c);
        } else if keep_pruned {
            pruned.push(c);
        }
    }
    if keep_pruned {
        chosen.extend(pruned.into_iter().take(m - chosen.len()));
    }
    chosen
}
