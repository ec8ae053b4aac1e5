//! The vectors behind the graph: full float32 vectors, quantized codes, or both, and the
//! scorers that turn a query into distances to nodes.

use crate::metric::Metric;
use crate::pq::{DistanceTable, PqCodebook, Sq8Quantizer};

/// The trained compressor of a quantized index.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Quantizer {
    None,
    Pq(PqCodebook),
    Sq8(Sq8Quantizer),
}

impl Quantizer {
    fn code_len(&self, dim: usize) -> usize {
        match self {
            Quantizer::None => 0,
            Quantizer::Pq(cb) => cb.code_len(),
            Quantizer::Sq8(_) => dim,
        }
    }

    pub fn memory_bytes(&self) -> usize {
        match self {
            Quantizer::None => 0,
            Quantizer::Pq(cb) => cb.memory_bytes(),
            Quantizer::Sq8(q) => q.memory_bytes(),
        }
    }
}

/// Per-slot vectors (stride `dim`) and codes (stride `code_len`).
#[derive(Clone, Debug)]
pub(crate) struct VectorData {
    pub dim: usize,
    pub metric: Metric,
    pub quantizer: Quantizer,
    pub code_len: usize,
    /// Full vectors, when the index keeps them.
    pub full: Option<Vec<f32>>,
    pub codes: Vec<u8>,
}

/// Distances from one query to stored nodes.
pub(crate) enum Scorer<'a> {
    Exact { data: &'a VectorData, vectors: &'a [f32], query: &'a [f32] },
    Pq { data: &'a VectorData, table: DistanceTable },
    Sq8 { data: &'a VectorData, quantizer: &'a Sq8Quantizer, query: &'a [f32] },
}

impl Scorer<'_> {
    /// Index distance from the query to node `id`.
    #[inline]
    pub fn dist(&self, id: u32) -> f32 {
        match self {
            Scorer::Exact { data, vectors, query } => {
                let start = id as usize * data.dim;
                data.metric.index_distance(query, &vectors[start..start + data.dim])
            }
            Scorer::Pq { data, table } => table.distance(data.code(id)),
            Scorer::Sq8 { data, quantizer, query } => {
                quantizer.distance(data.metric, query, data.code(id))
            }
        }
    }

    /// Starts loading node `id`'s vector or code into the cache.
    #[inline]
    pub fn prefetch(&self, id: u32) {
        match self {
            Scorer::Exact { data, vectors, .. } => {
                crate::distance::prefetch(&vectors[id as usize * data.dim..]);
            }
            Scorer::Pq { data, .. } | Scorer::Sq8 { data, .. } => {
                crate::distance::prefetch(data.code(id));
            }
        }
    }

    /// Whether distances are exact (no re-ranking needed).
    pub fn is_exact(&self) -> bool {
        matches!(self, Scorer::Exact { .. })
    }
}

impl VectorData {
    pub fn new(dim: usize, metric: Metric, quantizer: Quantizer, keep_full: bool) -> VectorData {
        let code_len = quantizer.code_len(dim);
        let full = (keep_full || quantizer == Quantizer::None).then(Vec::new);
        VectorData { dim, metric, quantizer, code_len, full, codes: Vec::new() }
    }

    /// Stores the (prepared) vector `v` in slot `id`, growing the arrays as needed.
    pub fn set(&mut self, id: u32, v: &[f32]) {
        let i = id as usize;
        if let Some(full) = &mut self.full {
            if full.len() < (i + 1) * self.dim {
                full.resize((i + 1) * self.dim, 0.0);
            }
            full[i * self.dim..(i + 1) * self.dim].copy_from_slice(v);
        }
        if self.code_len > 0 {
            if self.codes.len() < (i + 1) * self.code_len {
                self.codes.resize((i + 1) * self.code_len, 0);
            }
            let code = &mut self.codes[i * self.code_len..(i + 1) * self.code_len];
            match &self.quantizer {
                Quantizer::None => {}
                Quantizer::Pq(cb) => cb.encode(v, code),
                Quantizer::Sq8(q) => q.encode(v, code),
            }
        }
    }

    /// Stores an already prepared full vector and/or an existing code in slot `id`
    /// (used when loading; codes are not recomputed).
    pub fn set_raw(&mut self, id: u32, full: Option<&[f32]>, code: Option<&[u8]>) {
        let i = id as usize;
        if let (Some(store), Some(v)) = (&mut self.full, full) {
            if store.len() < (i + 1) * self.dim {
                store.resize((i + 1) * self.dim, 0.0);
            }
            store[i * self.dim..(i + 1) * self.dim].copy_from_slice(v);
        }
        if let Some(c) = code {
            if self.codes.len() < (i + 1) * self.code_len {
                self.codes.resize((i + 1) * self.code_len, 0);
            }
            self.codes[i * self.code_len..(i + 1) * self.code_len].copy_from_slice(c);
        }
    }

    /// The full vector of slot `id`, if kept.
    pub fn full(&self, id: u32) -> Option<&[f32]> {
        let start = id as usize * self.dim;
        self.full.as_ref().map(|f| &f[start..start + self.dim])
    }

    /// The code of slot `id` (empty without quantization).
    pub fn code(&self, id: u32) -> &[u8] {
        let start = id as usize * self.code_len;
        &self.codes[start..start + self.code_len]
    }

    /// The vector of slot `id` as the index best knows it: full, else decoded.
    pub fn vector(&self, id: u32) -> Vec<f32> {
        if let Some(v) = self.full(id) {
            return v.to_vec();
        }
        let mut out = vec![0.0; self.dim];
        match &self.quantizer {
            Quantizer::None => {}
            Quantizer::Pq(cb) => cb.decode(self.code(id), &mut out),
            Quantizer::Sq8(q) => q.decode(self.code(id), &mut out),
        }
        out
    }

    /// Index distance between two stored nodes (exact when full vectors are kept).
    pub fn node_distance(&self, a: u32, b: u32) -> f32 {
        match (self.full(a), self.full(b)) {
            (Some(x), Some(y)) => self.metric.index_distance(x, y),
            _ => self.metric.index_distance(&self.vector(a), &self.vector(b)),
        }
    }

    /// The scorer used to traverse the graph: quantized when the index is quantized.
    pub fn search_scorer<'a>(&'a self, query: &'a [f32]) -> Scorer<'a> {
        match &self.quantizer {
            Quantizer::Pq(cb) => {
                Scorer::Pq { data: self, table: cb.distance_table(query, self.metric) }
            }
            Quantizer::Sq8(q) => Scorer::Sq8 { data: self, quantizer: q, query },
            Quantizer::None => self.exact_scorer(query).expect("unquantized indexes keep vectors"),
        }
    }

    /// An exact scorer, if full vectors are kept.
    pub fn exact_scorer<'a>(&'a self, query: &'a [f32]) -> Option<Scorer<'a>> {
        self.full.as_deref().map(|vectors| Scorer::Exact { data: self, vectors, query })
    }

    /// The scorer used while inserting: exact when possible, for the best graph.
    pub fn insert_scorer<'a>(&'a self, query: &'a [f32]) -> Scorer<'a> {
        self.exact_scorer(query).unwrap_or_else(|| self.search_scorer(query))
    }

    /// Bytes allocated for full vectors and for codes.
    pub fn memory_bytes(&self) -> (usize, usize) {
        (self.full.as_ref().map_or(0, |f| f.capacity() * 4), self.codes.capacity())
    }

    /// Releases spare capacity.
    pub fn shrink_to_fit(&mut self) {
        if let Some(f) = &mut self.full {
            f.shrink_to_fit();
        }
        self.codes.shrink_to_fit();
    }
}
