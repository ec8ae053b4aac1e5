//! Index options, with pgvector's names, defaults and bounds.

use crate::error::{Result, VectorError};
use crate::metric::Metric;
use crate::pq::PqConfig;

/// How the graph stores vectors for traversal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantization {
    /// Full float32 vectors (`quantization` unset).
    None,
    /// Product quantization (`quantization = 'pq'`, `pq_m`, `pq_bits = 8`): search uses
    /// asymmetric distance tables and re-ranks the best candidates exactly.
    Pq(PqConfig),
    /// 8-bit scalar quantization (`quantization = 'sq8'`), re-ranked like PQ.
    Sq8,
}

/// Parameters of an HNSW index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HnswParams {
    /// Dimensions of the indexed vectors, 1..=16000.
    pub dim: usize,
    /// Distance metric (the operator class).
    pub metric: Metric,
    /// Links per node on the upper layers (layer 0 allows `2 m`), 2..=100, default 16.
    pub m: usize,
    /// Candidate list size while inserting, 4..=1000 and at least `2 m`, default 64.
    pub ef_construction: usize,
    /// Default candidate list size while searching (`hnsw.ef_search`), 1..=1000,
    /// default 40.
    pub ef_search: usize,
    /// Seed of the level draws.
    pub seed: u64,
    /// Vector compression of the graph.
    pub quantization: Quantization,
    /// Whether a quantized index also keeps the full vectors (for exact construction and
    /// re-ranking). When false, searches re-rank through [`super::SearchOptions::fetch`]
    /// and construction uses the quantized vectors. Ignored without quantization.
    pub keep_vectors: bool,
}

impl HnswParams {
    /// pgvector's defaults: `m = 16`, `ef_construction = 64`, `ef_search = 40`, no
    /// quantization.
    pub fn new(dim: usize, metric: Metric) -> HnswParams {
        HnswParams {
            dim,
            metric,
            m: 16,
            ef_construction: 64,
            ef_search: 40,
            seed: 0x5eed,
            quantization: Quantization::None,
            keep_vectors: true,
        }
    }

    /// Checks every option against its bounds, with pgvector's messages.
    pub fn validate(&self) -> Result<()> {
        bounds("dimensions", self.dim, 1, 16_000)?;
        bounds("m", self.m, 2, 100)?;
        bounds("ef_construction", self.ef_construction, 4, 1000)?;
        bounds("ef_search", self.ef_search, 1, 1000)?;
        if self.ef_construction < 2 * self.m {
            return Err(VectorError::InvalidArgument(
                "ef_construction must be greater than or equal to 2 * m".into(),
            ));
        }
        if let Quantization::Pq(pq) = self.quantization {
            bounds("pq_m", pq.pq_m, 1, self.dim as i64)?;
            if !self.dim.is_multiple_of(pq.pq_m) {
                return Err(VectorError::InvalidArgument(format!(
                    "pq_m must divide the number of dimensions ({}), got {}",
                    self.dim, pq.pq_m
                )));
            }
        }
        Ok(())
    }

    /// Whether full-precision vectors are stored in the index.
    pub(crate) fn stores_vectors(&self) -> bool {
        self.keep_vectors || self.quantization == Quantization::None
    }

    /// Maximum links of a node on `level`.
    pub(crate) fn max_links(&self, level: usize) -> usize {
        if level == 0 {
            2 * self.m
        } else {
            self.m
        }
    }
}

fn bounds(option: &'static str, value: usize, min: i64, max: i64) -> Result<()> {
    let v = i64::try_from(value).unwrap_or(i64::MAX);
    if v < min || v > max {
        return Err(VectorError::OptionOutOfBounds { option, value: v, min, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_like_pgvector() {
        let ok = HnswParams::new(3, Metric::L2);
        assert!(ok.validate().is_ok());
        let e = HnswParams { m: 1, ..ok }.validate().expect_err("m too small");
        assert_eq!(e.to_string(), "value 1 out of bounds for option \"m\"");
        let e = HnswParams { m: 40, ..ok }.validate().expect_err("ef_construction < 2m");
        assert_eq!(e.to_string(), "ef_construction must be greater than or equal to 2 * m");
        assert!(HnswParams { ef_search: 0, ..ok }.validate().is_err());
        assert!(HnswParams { dim: 0, ..ok }.validate().is_err());
        let pq = |m| HnswParams { quantization: Quantization::Pq(PqConfig::new(m)), ..ok };
        assert!(pq(3).validate().is_ok());
        assert!(pq(2).validate().is_err());
    }
}
