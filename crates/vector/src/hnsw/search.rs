//! Graph traversal: greedy descent through the upper layers, the best-first layer search
//! of the paper (Algorithm 2), and the filtered k-NN search that widens its candidate list
//! until enough accepted rows are found.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::graph::{Graph, NodeState};
use super::vectors::Scorer;

/// A node and its index distance to the query; ordered by distance, then id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cand {
    pub dist: f32,
    pub id: u32,
}

impl Eq for Cand {}

impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist.total_cmp(&other.dist).then(self.id.cmp(&other.id))
    }
}

/// One bit per slot: has the node been evaluated in this search?
pub(crate) struct Visited {
    bits: Vec<u64>,
}

impl Visited {
    pub fn new(slots: usize) -> Visited {
        Visited { bits: vec![0; slots.div_ceil(64)] }
    }

    /// Marks `id`; true if it was not marked before.
    #[inline]
    pub fn insert(&mut self, id: u32) -> bool {
        let (word, bit) = ((id / 64) as usize, 1u64 << (id % 64));
        let fresh = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        fresh
    }
}

/// Follows the single nearest neighbour on `level` until no neighbour is closer
/// (the paper's search with `ef = 1`).
pub(crate) fn greedy_closest(
    graph: &Graph,
    scorer: &Scorer<'_>,
    mut best: Cand,
    level: usize,
) -> Cand {
    loop {
        let mut improved = false;
        for &n in graph.neighbors(best.id, level) {
            let d = scorer.dist(n);
            if d < best.dist {
                best = Cand { dist: d, id: n };
                improved = true;
            }
        }
        if !improved {
            return best;
        }
    }
}

/// Output of [`search_layer`].
pub(crate) struct LayerResult {
    /// The `ef` nearest nodes found, nearest first.
    pub nearest: Vec<Cand>,
    /// True when no node was dropped for the `ef` bound: every node reachable from the
    /// entry points was evaluated.
    pub exhausted: bool,
}

/// Best-first search on one layer (the paper's SEARCH-LAYER). `on_eval` sees every node
/// whose distance is computed, entry points included, so callers can collect results that
/// are not among the `ef` nearest navigation candidates.
pub(crate) fn search_layer(
    graph: &Graph,
    scorer: &Scorer<'_>,
    entry: &[Cand],
    ef: usize,
    level: usize,
    visited: &mut Visited,
    on_eval: &mut dyn FnMut(Cand),
) -> LayerResult {
    let mut candidates: BinaryHeap<Reverse<Cand>> = BinaryHeap::with_capacity(ef * 2);
    let mut nearest: BinaryHeap<Cand> = BinaryHeap::with_capacity(ef + 1);
    for &c in entry {
        if visited.insert(c.id) {
            on_eval(c);
            candidates.push(Reverse(c));
            nearest.push(c);
            if nearest.len() > ef {
                nearest.pop();
            }
        }
    }
    let mut exhausted = true;
    let mut fresh: Vec<u32> = Vec::with_capacity(graph.cap(0));
    while let Some(Reverse(c)) = candidates.pop() {
        let worst = nearest.peek().map_or(f32::INFINITY, |w| w.dist);
        if c.dist > worst && nearest.len() >= ef {
            exhausted = false;
            break;
        }
        // Collect the unvisited neighbours first and prefetch their vectors, so the memory
        // loads overlap instead of each distance waiting for its own.
        fresh.clear();
        let neighbors =
            if level == 0 { graph.neighbors0(c.id) } else { graph.neighbors(c.id, level) };
        for &n in neighbors {
            if visited.insert(n) {
                scorer.prefetch(n);
                fresh.push(n);
            }
        }
        for &n in &fresh {
            let cand = Cand { dist: scorer.dist(n), id: n };
            on_eval(cand);
            let worst = nearest.peek().map_or(f32::INFINITY, |w| w.dist);
            if nearest.len() < ef || cand.dist < worst {
                candidates.push(Reverse(cand));
                nearest.push(cand);
                if nearest.len() > ef {
                    nearest.pop();
                }
            } else {
                // Not expanded: its neighbours may hold nodes never evaluated.
                exhausted = false;
            }
        }
    }
    LayerResult { nearest: nearest.into_sorted_vec(), exhausted }
}

/// Descends from the entry point to layer 0 and searches it, returning up to `want`
/// accepted nodes, nearest first.
///
/// The candidate list starts at `ef` and doubles (pgvector 0.8's iterative scan) while
/// fewer than `k` accepted nodes were seen, until the layer search is exhausted or `ef`
/// reaches `ef_cap` (the number of live nodes). Rejected nodes are still traversed: a
/// filter must not cut the graph. The walk itself asks nothing: every node whose distance
/// was computed is kept, and only afterwards is `accept` asked about them nearest first,
/// until `want` are accepted. So an expensive visibility check (a row read) runs exactly
/// for the nodes that make the result and the rejected ones nearer than them, never for
/// a node that merely passed through the candidate list early in the walk.
pub(crate) fn knn(
    graph: &Graph,
    scorer: &Scorer<'_>,
    k: usize,
    ef: usize,
    want: usize,
    ef_cap: usize,
    accept: &mut dyn FnMut(u32) -> bool,
) -> Vec<Cand> {
    let Some(entry) = graph.entry else {
        return Vec::new();
    };
    let mut ep = Cand { dist: scorer.dist(entry), id: entry };
    for level in (1..=graph.max_level).rev() {
        ep = greedy_closest(graph, scorer, ep, level);
    }
    let want = want.max(k);
    let mut ef = ef.max(k).max(1);
    loop {
        let mut visited = Visited::new(graph.slots());
        let mut evaluated: Vec<Reverse<Cand>> =
            Vec::with_capacity((ef * graph.cap(0) / 2).min(graph.slots()));
        let result = search_layer(graph, scorer, &[ep], ef, 0, &mut visited, &mut |c| {
            evaluated.push(Reverse(c));
        });
        if result.exhausted {
            // Everything reachable was seen. Deletions and vacuums can leave a node with no
            // link leading to it; such nodes are still rows, so offer them by exact scan
            // (rare and small: only nodes the walk could not reach are scored).
            for id in 0..graph.slots() as u32 {
                if graph.states[id as usize] != NodeState::Vacant && visited.insert(id) {
                    evaluated.push(Reverse(Cand { dist: scorer.dist(id), id }));
                }
            }
        }
        // Nearest first: heapify once (linear), then pop only as many as it takes.
        let mut order = BinaryHeap::from(evaluated);
        let mut accepted: Vec<Cand> = Vec::with_capacity(want);
        while let Some(Reverse(c)) = order.pop() {
            if accept(c.id) {
                accepted.push(c);
                if accepted.len() >= want {
                    break;
                }
            }
        }
        if accepted.len() >= k || result.exhausted || ef >= ef_cap {
            return accepted;
        }
        ef = (ef * 2).min(ef_cap.max(1));
    }
}
