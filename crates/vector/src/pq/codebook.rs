//! The product-quantization codebook: training, encoding, decoding, distance tables and
//! its byte format.
//!
//! Byte format (little-endian), as stored in the index metadata record:
//!
//! | offset | size | meaning |
//! |---|---|---|
//! | 0 | 4 | `dim` (u32) |
//! | 4 | 4 | `pq_m`, sub-vectors per vector (u32), divides `dim` |
//! | 8 | `pq_m × 256 × dim/pq_m × 4` | centroids (f32), subspace-major |

use crate::error::{Result, VectorError};
use crate::metric::Metric;
use crate::pq::kmeans::{argmin, dot_to_all, kmeans, l2_to_all, transpose};
use crate::pq::table::DistanceTable;
use crate::rng::SplitMix64;

/// Centroids per subspace: codes are one byte.
pub const KSUB: usize = 256;

/// How a codebook is trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PqConfig {
    /// Sub-vectors per vector (pgvector-style option `pq_m`); must divide the dimension.
    pub pq_m: usize,
    /// Lloyd iterations of k-means per subspace.
    pub iterations: usize,
    /// Seed of k-means++ seeding and of the training sample.
    pub seed: u64,
    /// At most this many vectors (a random sample) are used for training.
    pub max_training_vectors: usize,
}

impl PqConfig {
    /// `pq_m` sub-vectors with default training settings (15 iterations, seed 42, at most
    /// 16 384 training vectors).
    pub fn new(pq_m: usize) -> PqConfig {
        PqConfig { pq_m, iterations: 15, seed: 42, max_training_vectors: 16_384 }
    }
}

/// A trained product quantizer: `pq_m` subspaces of 256 centroids each.
#[derive(Clone, Debug, PartialEq)]
pub struct PqCodebook {
    dim: usize,
    m: usize,
    dsub: usize,
    /// `m` blocks of `dsub × KSUB` floats: per subspace, coordinate `d` of centroid `c`
    /// is at `d·KSUB + c`, so distances to all centroids vectorise over centroids.
    transposed: Vec<f32>,
}

impl PqCodebook {
    /// Trains on `data`, `data.len() / dim` vectors laid end to end (already normalised
    /// when the metric is cosine). Needs at least 256 vectors.
    pub fn train(data: &[f32], dim: usize, config: &PqConfig) -> Result<PqCodebook> {
        let m = config.pq_m;
        if m == 0 || dim == 0 || m > dim || !dim.is_multiple_of(m) {
            return Err(VectorError::InvalidArgument(format!(
                "pq_m must divide the number of dimensions ({dim}), got {m}"
            )));
        }
        let n = data.len() / dim;
        if n < KSUB {
            return Err(VectorError::NotEnoughTrainingData { needed: KSUB, got: n });
        }
        let mut rng = SplitMix64::new(config.seed);
        let mut sample: Vec<usize> = (0..n).collect();
        let take = n.min(config.max_training_vectors.max(KSUB));
        for i in 0..take {
            let j = i + rng.below(n - i);
            sample.swap(i, j);
        }
        sample.truncate(take);

        let dsub = dim / m;
        let mut centroids = Vec::with_capacity(m * KSUB * dsub);
        let mut sub = Vec::with_capacity(take * dsub);
        for s in 0..m {
            sub.clear();
            for &i in &sample {
                sub.extend_from_slice(&data[i * dim + s * dsub..i * dim + (s + 1) * dsub]);
            }
            centroids.extend(kmeans(&sub, dsub, KSUB, config.iterations, &mut rng)?);
        }
        Ok(PqCodebook::from_centroids(dim, m, centroids))
    }

    fn from_centroids(dim: usize, m: usize, centroids: Vec<f32>) -> PqCodebook {
        let dsub = dim / m;
        let transposed =
            centroids.chunks_exact(KSUB * dsub).flat_map(|block| transpose(block, dsub)).collect();
        PqCodebook { dim, m, dsub, transposed }
    }

    /// Dimensions of the vectors.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Bytes per code (= `pq_m`).
    pub fn code_len(&self) -> usize {
        self.m
    }

    /// Bytes the centroids take in memory.
    pub fn memory_bytes(&self) -> usize {
        self.transposed.len() * 4
    }

    fn transposed(&self, sub: usize) -> &[f32] {
        let block = KSUB * self.dsub;
        &self.transposed[sub * block..(sub + 1) * block]
    }

    /// Coordinate `d` of centroid `c` of subspace `sub`.
    fn coord(&self, sub: usize, c: usize, d: usize) -> f32 {
        self.transposed[(sub * self.dsub + d) * KSUB + c]
    }

    /// Writes the code of `v` (`dim` floats) into `code` (`pq_m` bytes).
    pub fn encode(&self, v: &[f32], code: &mut [u8]) {
        let mut dists = [0f32; KSUB];
        for (s, c) in code.iter_mut().enumerate().take(self.m) {
            l2_to_all(&v[s * self.dsub..(s + 1) * self.dsub], self.transposed(s), &mut dists);
            *c = argmin(&dists).0 as u8;
        }
    }

    /// Writes the approximation of `code` into `out` (`dim` floats).
    pub fn decode(&self, code: &[u8], out: &mut [f32]) {
        for (s, &c) in code.iter().enumerate().take(self.m) {
            for (d, o) in out[s * self.dsub..(s + 1) * self.dsub].iter_mut().enumerate() {
                *o = self.coord(s, usize::from(c), d);
            }
        }
    }

    /// The asymmetric distance table of `query` (prepared: normalised for cosine), giving
    /// index distances (see [`crate::Metric`]) to codes.
    pub fn distance_table(&self, query: &[f32], metric: Metric) -> DistanceTable {
        let mut table = vec![0f32; self.m * KSUB];
        for (s, row) in table.chunks_exact_mut(KSUB).enumerate() {
            let q = &query[s * self.dsub..(s + 1) * self.dsub];
            match metric {
                Metric::L2 => l2_to_all(q, self.transposed(s), row),
                Metric::Cosine | Metric::InnerProduct => {
                    dot_to_all(q, self.transposed(s), row);
                    row.iter_mut().for_each(|x| *x = -*x);
                }
            }
        }
        let bias = if metric == Metric::Cosine { 1.0 } else { 0.0 };
        DistanceTable::new(self.m, table, bias)
    }

    /// The byte form (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.transposed.len() * 4);
        out.extend_from_slice(&(self.dim as u32).to_le_bytes());
        out.extend_from_slice(&(self.m as u32).to_le_bytes());
        for s in 0..self.m {
            for c in 0..KSUB {
                for d in 0..self.dsub {
                    out.extend_from_slice(&self.coord(s, c, d).to_le_bytes());
                }
            }
        }
        out
    }

    /// Parses [`PqCodebook::to_bytes`] output; corrupt bytes give an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<PqCodebook> {
        let corrupt = |what: &str| VectorError::Corrupted(format!("product quantizer: {what}"));
        if bytes.len() < 8 {
            return Err(corrupt("header too short"));
        }
        let dim = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let m = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        if m == 0 || dim == 0 || m > dim || !dim.is_multiple_of(m) {
            return Err(corrupt("bad dimensions"));
        }
        let body = &bytes[8..];
        if body.len() as u64 != dim as u64 * KSUB as u64 * 4 {
            return Err(corrupt("wrong length"));
        }
        let centroids: Vec<f32> =
            body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        if centroids.iter().any(|x| !x.is_finite()) {
            return Err(corrupt("non-finite centroid"));
        }
        Ok(PqCodebook::from_centroids(dim, m, centroids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::l2_squared;

    fn random_data(n: usize, dim: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        (0..n * dim).map(|_| rng.next_f64() as f32 * 2.0 - 1.0).collect()
    }

    #[test]
    fn table_distance_equals_distance_to_decoded_vector() {
        let dim = 16;
        let data = random_data(600, dim, 1);
        let cb = PqCodebook::train(&data, dim, &PqConfig::new(4)).expect("trains");
        assert_eq!(cb.code_len(), 4);
        let query = &random_data(1, dim, 2)[..];
        let mut code = vec![0u8; 4];
        let mut decoded = vec![0f32; dim];
        for metric in [Metric::L2, Metric::InnerProduct, Metric::Cosine] {
            let table = cb.distance_table(query, metric);
            for v in data.chunks_exact(dim).take(50) {
                cb.encode(v, &mut code);
                cb.decode(&code, &mut decoded);
                let exact = metric.index_distance(query, &decoded);
                assert!((table.distance(&code) - exact).abs() < 1e-4, "{metric:?}");
            }
        }
    }

    #[test]
    fn quantization_error_is_small_relative_to_spread() {
        let dim = 8;
        let data = random_data(2000, dim, 5);
        let cb = PqCodebook::train(&data, dim, &PqConfig::new(4)).expect("trains");
        let mut code = vec![0u8; 4];
        let mut decoded = vec![0f32; dim];
        let mut err = 0.0;
        let mut spread = 0.0;
        for v in data.chunks_exact(dim) {
            cb.encode(v, &mut code);
            cb.decode(&code, &mut decoded);
            err += l2_squared(v, &decoded);
            spread += l2_squared(v, &[0.0; 8]);
        }
        // 256 centroids in 2-d subspaces of the uniform square: error far below the variance.
        assert!(err < spread * 0.02, "error {err} vs spread {spread}");
    }

    #[test]
    fn round_trips_and_rejects_corrupt_bytes() {
        let dim = 8;
        let data = random_data(300, dim, 7);
        let cb = PqCodebook::train(&data, dim, &PqConfig::new(2)).expect("trains");
        let bytes = cb.to_bytes();
        assert_eq!(PqCodebook::from_bytes(&bytes).expect("decodes"), cb);
        assert!(PqCodebook::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(PqCodebook::from_bytes(&bytes[..5]).is_err());
        let mut bad = bytes.clone();
        bad[4] = 3; // pq_m = 3 does not divide 8
        assert!(PqCodebook::from_bytes(&bad).is_err());
        let mut nan = bytes;
        nan[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(PqCodebook::from_bytes(&nan).is_err());
    }

    #[test]
    fn rejects_bad_configuration() {
        let data = random_data(300, 8, 1);
        assert!(PqCodebook::train(&data, 8, &PqConfig::new(3)).is_err());
        assert!(PqCodebook::train(&data, 8, &PqConfig::new(0)).is_err());
        assert!(matches!(
            PqCodebook::train(&data[..8 * 100], 8, &PqConfig::new(2)),
            Err(VectorError::NotEnoughTrainingData { needed: 256, got: 100 })
        ));
    }
}
