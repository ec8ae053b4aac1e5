//! Exact (brute-force) search: the oracle HNSW recall is measured against, and a fine
//! index for small tables.

use crate::error::{check_vector, Result};
use crate::hnsw::Hit;
use crate::metric::Metric;
use crate::store::RowId;

/// Every vector in one contiguous array, scanned in full for each query.
#[derive(Debug, Clone)]
pub struct FlatIndex {
    dim: usize,
    metric: Metric,
    rows: Vec<RowId>,
    vectors: Vec<f32>,
}

impl FlatIndex {
    /// An empty index of `dim`-dimensional vectors.
    pub fn new(dim: usize, metric: Metric) -> FlatIndex {
        FlatIndex { dim, metric, rows: Vec::new(), vectors: Vec::new() }
    }

    /// Adds a vector (no duplicate check: the same row may be added twice).
    pub fn insert(&mut self, row: RowId, vector: &[f32]) -> Result<()> {
        check_vector(vector, self.dim)?;
        self.rows.push(row);
        self.vectors.extend_from_slice(vector);
        Ok(())
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The exact `k` nearest rows accepted by `filter`, nearest first (ties by row id).
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        filter: &dyn Fn(RowId) -> bool,
    ) -> Result<Vec<Hit>> {
        check_vector(query, self.dim)?;
        let mut hits: Vec<Hit> = self
            .rows
            .iter()
            .zip(self.vectors.chunks_exact(self.dim.max(1)))
            .filter(|(row, _)| filter(**row))
            .map(|(row, v)| Hit { row: *row, distance: self.metric.distance(query, v) })
            .collect();
        hits.sort_by(|a, b| a.distance.total_cmp(&b.distance).then(a.row.cmp(&b.row)));
        hits.truncate(k);
        Ok(hits)
    }
}
