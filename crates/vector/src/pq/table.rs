//! Asymmetric distance tables: a query's distances to every centroid of every subspace.

use crate::pq::codebook::KSUB;

/// Per-query look-up table: `distance(code) = bias + Σₛ table[s][code[s]]`.
#[derive(Clone, Debug)]
pub struct DistanceTable {
    /// One row of 256 distances per subspace; a `u8` index into a 256-array needs no
    /// bounds check.
    rows: Vec<[f32; KSUB]>,
    bias: f32,
}

impl DistanceTable {
    pub(crate) fn new(m: usize, table: Vec<f32>, bias: f32) -> DistanceTable {
        debug_assert_eq!(table.len(), m * KSUB);
        let rows = table
            .chunks_exact(KSUB)
            .map(|c| {
                let mut row = [0f32; KSUB];
                row.copy_from_slice(c);
                row
            })
            .collect();
        DistanceTable { rows, bias }
    }

    /// The approximate index distance of the query to the vector coded as `code`
    /// (`pq_m` bytes).
    #[inline]
    pub fn distance(&self, code: &[u8]) -> f32 {
        // Four independent sums let the look-ups overlap instead of forming one chain.
        let mut acc = [0f32; 4];
        let mut rows = self.rows.chunks_exact(4);
        let mut codes = code.chunks_exact(4);
        for (r, c) in (&mut rows).zip(&mut codes) {
            acc[0] += r[0][usize::from(c[0])];
            acc[1] += r[1][usize::from(c[1])];
            acc[2] += r[2][usize::from(c[2])];
            acc[3] += r[3][usize::from(c[3])];
        }
        for (r, &c) in rows.remainder().iter().zip(codes.remainder()) {
            acc[0] += r[usize::from(c)];
        }
        self.bias + (acc[0] + acc[1]) + (acc[2] + acc[3])
    }
}
