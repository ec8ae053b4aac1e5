//! Asymmetric distance tables: a query's distances to every centroid of every subspace.

use crate::pq::codebook::KSUB;

/// Per-query look-up table: `distance(code) = bias + Σₛ table[s][code[s]]`.
#[derive(Clone, Debug)]
pub struct DistanceTable {
    m: usize,
    table: Vec<f32>,
    bias: f32,
}

impl DistanceTable {
    pub(crate) fn new(m: usize, table: Vec<f32>, bias: f32) -> DistanceTable {
        debug_assert_eq!(table.len(), m * KSUB);
        DistanceTable { m, table, bias }
    }

    /// The approximate index distance of the query to the vector coded as `code`.
    #[inline]
    pub fn distance(&self, code: &[u8]) -> f32 {
        let code = &code[..self.m];
        // Four independent sums let the look-ups overlap instead of forming one chain.
        let mut acc = [0f32; 4];
        let mut chunks = code.chunks_exact(4);
        let mut base = 0;
        for c in &mut chunks {
            for (lane, &byte) in c.iter().enumerate() {
                acc[lane] += self.table[base + lane * KSUB + usize::from(byte)];
            }
            base += 4 * KSUB;
        }
        for (lane, &byte) in chunks.remainder().iter().enumerate() {
            acc[lane] += self.table[base + lane * KSUB + usize::from(byte)];
        }
        self.bias + (acc[0] + acc[1]) + (acc[2] + acc[3])
    }
}
