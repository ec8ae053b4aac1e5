//! 8-bit scalar quantization: each dimension mapped linearly onto 0..=255.
//!
//! Byte format: `dim` (u32 LE), then `dim` minimums and `dim` steps (f32 LE).

use crate::error::{Result, VectorError};
use crate::metric::Metric;

/// Per-dimension minimum and step learnt from training data.
#[derive(Clone, Debug, PartialEq)]
pub struct Sq8Quantizer {
    min: Vec<f32>,
    step: Vec<f32>,
}

impl Sq8Quantizer {
    /// Learns the range of each dimension from `data` (`data.len() / dim` vectors).
    pub fn train(data: &[f32], dim: usize) -> Result<Sq8Quantizer> {
        if dim == 0 || data.len() < dim {
            return Err(VectorError::NotEnoughTrainingData { needed: 1, got: 0 });
        }
        let mut min = vec![f32::INFINITY; dim];
        let mut max = vec![f32::NEG_INFINITY; dim];
        for v in data.chunks_exact(dim) {
            for i in 0..dim {
                min[i] = min[i].min(v[i]);
                max[i] = max[i].max(v[i]);
            }
        }
        let step = min.iter().zip(&max).map(|(lo, hi)| (hi - lo) / 255.0).collect();
        Ok(Sq8Quantizer { min, step })
    }

    /// Dimensions of the vectors.
    pub fn dim(&self) -> usize {
        self.min.len()
    }

    /// Bytes the quantizer's parameters take in memory.
    pub fn memory_bytes(&self) -> usize {
        (self.min.len() + self.step.len()) * 4
    }

    /// Writes the code of `v` into `code` (`dim` bytes); values outside the trained range
    /// are clamped.
    pub fn encode(&self, v: &[f32], code: &mut [u8]) {
        for (i, c) in code.iter_mut().enumerate().take(self.min.len()) {
            *c = if self.step[i] > 0.0 {
                ((v[i] - self.min[i]) / self.step[i]).round().clamp(0.0, 255.0) as u8
            } else {
                0
            };
        }
    }

    /// Writes the approximation of `code` into `out`.
    pub fn decode(&self, code: &[u8], out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate().take(self.min.len()) {
            *o = self.min[i] + f32::from(code[i]) * self.step[i];
        }
    }

    /// Index distance (see [`crate::Metric`]) from a prepared query to a code, decoding
    /// on the fly.
    pub fn distance(&self, metric: Metric, query: &[f32], code: &[u8]) -> f32 {
        let mut l2 = 0f32;
        let mut ip = 0f32;
        for i in 0..self.min.len() {
            let x = self.min[i] + f32::from(code[i]) * self.step[i];
            let d = query[i] - x;
            l2 += d * d;
            ip += query[i] * x;
        }
        match metric {
            Metric::L2 => l2,
            Metric::Cosine => 1.0 - ip,
            Metric::InnerProduct => -ip,
        }
    }

    /// The byte form (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.min.len() * 8);
        out.extend_from_slice(&(self.min.len() as u32).to_le_bytes());
        for x in self.min.iter().chain(&self.step) {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    }

    /// Parses [`Sq8Quantizer::to_bytes`] output; corrupt bytes give an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sq8Quantizer> {
        let corrupt = |what: &str| VectorError::Corrupted(format!("scalar quantizer: {what}"));
        if bytes.len() < 4 {
            return Err(corrupt("header too short"));
        }
        let dim = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if dim == 0 || (bytes.len() - 4) as u64 != dim as u64 * 8 {
            return Err(corrupt("wrong length"));
        }
        let floats: Vec<f32> = bytes[4..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if floats.iter().any(|x| !x.is_finite()) {
            return Err(corrupt("non-finite parameter"));
        }
        let (min, step) = floats.split_at(dim);
        Ok(Sq8Quantizer { min: min.to_vec(), step: step.to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_error_is_at_most_half_a_step() {
        let data: Vec<f32> = (0..400).map(|i| ((i * 37) % 101) as f32 / 10.0 - 5.0).collect();
        let q = Sq8Quantizer::train(&data, 4).expect("trains");
        let mut code = [0u8; 4];
        let mut out = [0f32; 4];
        for v in data.chunks_exact(4) {
            q.encode(v, &mut code);
            q.decode(&code, &mut out);
            for i in 0..4 {
                assert!((v[i] - out[i]).abs() <= q.step[i] / 2.0 + 1e-6);
            }
            let exact = Metric::L2.index_distance(&[0.5; 4], &out);
            assert!((q.distance(Metric::L2, &[0.5; 4], &code) - exact).abs() < 1e-4);
        }
        let bytes = q.to_bytes();
        assert_eq!(Sq8Quantizer::from_bytes(&bytes).expect("decodes"), q);
        assert!(Sq8Quantizer::from_bytes(&bytes[..bytes.len() - 2]).is_err());
    }
}
