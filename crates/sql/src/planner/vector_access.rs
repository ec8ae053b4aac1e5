//! The access path of a k-nearest-neighbour scan through an HNSW index.

use crate::expr::Expr;

/// `ORDER BY col <op> query LIMIT k [OFFSET o]` answered by an HNSW index: the scan
/// returns the nearest `k + o` rows visible to the statement that pass the scan's filter;
/// the sort above it orders them by exact distance.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorAccess {
    /// The index id.
    pub index: u32,
    /// The query vector (a constant or a parameter).
    pub query: Expr,
    /// The LIMIT expression.
    pub limit: Expr,
    /// The OFFSET expression.
    pub offset: Option<Expr>,
    /// The ORDER BY key as EXPLAIN prints it (`embedding <-> '[1,2,3]'`).
    pub order_by: String,
}
