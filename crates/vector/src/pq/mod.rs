//! Quantization: compressing vectors into a few bytes so more of the index fits in memory.
//!
//! **Product quantization** (Jégou, Douze & Schmid, 2011) splits a `dim`-dimensional vector
//! into `pq_m` sub-vectors of `dim / pq_m` floats and replaces each by the index of its
//! nearest centroid among 256 learnt by k-means on that subspace: one byte per sub-vector.
//!
//! ```text
//!   vector  [ x0 x1 x2 x3 | x4 x5 x6 x7 | ... | x380 .. x383 ]   384 × f32 = 1536 B
//!               subspace 0    subspace 1          subspace 47
//!   code    [     17      |     203     | ... |      5       ]   48 × u8   =   48 B
//! ```
//!
//! A query is not quantized (*asymmetric* distance): for each subspace the distance from
//! the query's sub-vector to all 256 centroids is computed once into a table, and the
//! distance to a code is then `pq_m` table look-ups and additions. The result is an
//! approximation, so the index re-ranks its best candidates with exact distances.
//!
//! **Scalar quantization** ([`Sq8Quantizer`]) maps each dimension linearly onto 0..=255
//! between the training minimum and maximum: 4× smaller, more accurate, slower to scan.
//!
//! What is not here: the choice of when to train (the SQL layer trains at `CREATE INDEX`
//! from the table's rows) and re-training when data drifts.

pub mod codebook;
pub mod kmeans;
pub mod sq8;
pub mod table;

pub use codebook::{PqCodebook, PqConfig};
pub use sq8::Sq8Quantizer;
pub use table::DistanceTable;
