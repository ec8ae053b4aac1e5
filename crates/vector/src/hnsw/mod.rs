//! HNSW: Hierarchical Navigable Small World graphs (Malkov & Yashunin, 2016/2018).
//!
//! # The idea
//!
//! A k-NN graph lets a greedy walk reach a query's neighbourhood: from any node, step to
//! whichever neighbour is closer to the query until none is. On a single graph such walks
//! take many short steps. HNSW stacks graphs like a skip list: every node is on layer 0,
//! and each node also appears on layers `1..=L` where `L` is drawn with probability
//! falling by a factor of `m` per layer. Upper layers are sparse, so their links are long;
//! a search zooms in layer by layer.
//!
//! ```text
//!   layer 2   E ─────────────────────────── B                 few nodes, long links
//!             │                             │
//!   layer 1   E ────── C ───────── D ────── B ─── F           ~n/m nodes
//!             │        │           │        │     │
//!   layer 0   E ─ a ─ C ─ b ─ c ─ D ─ d ─ e B ─ f F ─ g       every node, ≤ 2m links
//!
//!   search(q): start at the entry point E on the top layer; on each upper layer move
//!   greedily to the closest node (ef = 1); on layer 0 run a best-first search keeping the
//!   ef closest candidates; return the best k of them.
//! ```
//!
//! # Insertion ([`insert`](HnswIndex::insert))
//!
//! Draw the new node's level `l = ⌊−ln U · 1/ln m⌋`; descend greedily to layer `l`; on each
//! layer from `l` down to 0 find `ef_construction` candidates and link the node to `m` of
//! them chosen by the *heuristic* (keep a candidate only if it is closer to the new node
//! than to every neighbour already kept), which favours links in diverse directions and
//! keeps clustered data navigable. Links are made both ways; a neighbour whose list
//! overflows (`m` on upper layers, `2m` on layer 0) re-selects its list with the same
//! heuristic.
//!
//! # Filtered search and widening
//!
//! The SQL layer passes a filter: rows invisible to the transaction's snapshot or branch,
//! or failing the query's other predicates, must not be returned. Filtered-out nodes are
//! still walked through (they hold the graph together) but not collected; every node whose
//! distance is computed may be collected, not only the final `ef`. When fewer than `k`
//! rows pass, the search restarts with twice the candidate list (like pgvector 0.8's
//! iterative scans) until `k` rows pass or the reachable graph is exhausted.
//!
//! # Deletion
//!
//! Mark and skip, with batched repair by [`vacuum`](HnswIndex::vacuum); see the `delete`
//! module for why.
//!
//! # Quantization
//!
//! With product or scalar quantization the graph is walked with approximate distances from
//! codes; the best `rerank` candidates are then re-ranked with exact distances from the
//! full vectors, kept in the index or fetched through a callback. Construction uses exact
//! distances when full vectors are kept.
//!
//! # Persistence
//!
//! Nodes and metadata serialise to byte records (see `codec`) written through a
//! [`crate::NodeStore`] by [`flush`](HnswIndex::flush) and read back by
//! [`load`](HnswIndex::load).

mod codec;
mod delete;
mod graph;
mod index;
mod insert;
mod params;
mod row_map;
mod search;
mod stats;
mod vectors;

pub use index::{FetchFn, Hit, HnswIndex, SearchOptions};
pub use params::{HnswParams, Quantization};
pub use stats::MemoryStats;
