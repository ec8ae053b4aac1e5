//! Helpers shared by the integration tests: synthetic data and recall.

#![allow(dead_code)] // each test binary uses a different subset

use helios_vector::rng::SplitMix64;
use helios_vector::{FlatIndex, Hit, Metric, RowId};

/// `n` vectors of `dim` uniform components in [-1, 1), laid end to end.
pub fn uniform(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n * dim).map(|_| rng.next_f64() as f32 * 2.0 - 1.0).collect()
}

/// `n` vectors around 20 random centres (Gaussian-ish noise), laid end to end.
pub fn clustered(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let centres = uniform(20, dim, seed ^ 0xabc);
    let mut out = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let c = rng.below(20);
        for d in 0..dim {
            let noise: f64 = (0..4).map(|_| rng.next_f64() - 0.5).sum::<f64>() * 0.3;
            out.push(centres[c * dim + d] + noise as f32);
        }
    }
    out
}

/// A flat index over `data` with row ids 0..n.
pub fn flat(data: &[f32], dim: usize, metric: Metric) -> FlatIndex {
    let mut f = FlatIndex::new(dim, metric);
    for (i, v) in data.chunks_exact(dim).enumerate() {
        f.insert(RowId(i as u64), v).expect("valid vector");
    }
    f
}

/// |found ∩ truth| / |truth|.
pub fn recall(found: &[Hit], truth: &[Hit]) -> f64 {
    if truth.is_empty() {
        return 1.0;
    }
    let hits = found.iter().filter(|h| truth.iter().any(|t| t.row == h.row)).count();
    hits as f64 / truth.len() as f64
}
