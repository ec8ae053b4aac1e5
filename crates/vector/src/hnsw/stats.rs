//! Memory accounting of an index.

/// Bytes an index holds in memory, by part (capacity of the arrays, not counting
/// allocator overhead).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Live rows.
    pub live: usize,
    /// Rows marked deleted, awaiting vacuum.
    pub deleted: usize,
    /// Node slots allocated (live, deleted and free for reuse).
    pub slots: usize,
    /// Adjacency lists, per-node bookkeeping and the row-id map.
    pub graph_bytes: usize,
    /// Full float32 vectors (0 for a quantized index that does not keep them).
    pub vector_bytes: usize,
    /// Quantized codes.
    pub code_bytes: usize,
    /// PQ centroids or SQ8 ranges.
    pub codebook_bytes: usize,
}

impl MemoryStats {
    /// Sum of all parts.
    pub fn total_bytes(&self) -> usize {
        self.graph_bytes + self.vector_bytes + self.code_bytes + self.codebook_bytes
    }
}
