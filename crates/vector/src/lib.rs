//! Vector search for HeliosDB Nano: SIMD distance kernels, an HNSW graph index, product
//! (and scalar) quantization, and an exact flat index used as the oracle for recall.
//!
//! This crate knows no SQL and no storage engine. The SQL engine (`helios-sql`) owns the
//! `VECTOR(n)` type, the operators and the planner rule; it drives this crate through:
//!
//! ```text
//!   helios-sql ──insert/delete/search──▶ HnswIndex ──flush/load──▶ dyn NodeStore
//!                      ▲                     │                      (memory now, KV later)
//!                      └── filter(RowId) ◀───┘ visibility: snapshot, branch, predicates
//! ```
//!
//! - [`distance`]: L2², L2, inner product and cosine distance on `&[f32]`, with AVX2+FMA /
//!   SSE kernels picked at run time and a scalar fallback.
//! - [`hnsw`]: the Hierarchical Navigable Small World graph (Malkov & Yashunin), with
//!   filtered search that widens until `k` accepted rows are found.
//! - [`pq`]: k-means, product-quantization codebooks with asymmetric distance tables, and
//!   8-bit scalar quantization.
//! - [`store`]: the byte records an index is persisted as, and the [`NodeStore`] trait the
//!   storage layer implements to hold them.
//! - [`flat`]: exact brute-force search.
//! - [`fvecs`]: readers for the `.fvecs` / `.ivecs` files of ANN benchmarks.
//!
//! Errors are [`VectorError`], which converts into [`helios_common::Error`] with
//! pgvector's messages and SQLSTATEs.

pub mod distance;
pub mod error;
pub mod flat;
pub mod fvecs;
pub mod hnsw;
pub mod metric;
pub mod pq;
pub mod rng;
pub mod store;

pub use error::{check_vector, Result, VectorError};
pub use flat::FlatIndex;
pub use hnsw::{FetchFn, Hit, HnswIndex, HnswParams, MemoryStats, Quantization, SearchOptions};
pub use metric::Metric;
pub use store::{MemoryNodeStore, NodeId, NodeStore, RowId};
