//! The three distance metrics of pgvector's operator classes.
//!
//! An index orders candidates by an *index distance* that is cheap and monotone in the
//! user-visible distance: squared L2 for L2, `1 − a·b` on unit vectors for cosine (the
//! index normalises stored vectors and the query), `−a·b` for inner product. Only the final
//! hits are converted to what the SQL operator returns.

use crate::distance;

/// How vectors are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Euclidean distance, `<->`, operator class `vector_l2_ops`.
    L2,
    /// Cosine distance, `<=>`, operator class `vector_cosine_ops`. The index stores unit
    /// vectors; a zero vector (whose cosine distance pgvector reports as NaN) is stored as
    /// zero and sits at distance 1 from everything, so the SQL layer should skip zero
    /// vectors when indexing, as pgvector does.
    Cosine,
    /// Negative inner product, `<#>`, operator class `vector_ip_ops`.
    InnerProduct,
}

impl Metric {
    /// The metric of a pgvector operator class name (`vector_l2_ops`, ...).
    pub fn from_opclass(name: &str) -> Option<Metric> {
        match name {
            "vector_l2_ops" => Some(Metric::L2),
            "vector_cosine_ops" => Some(Metric::Cosine),
            "vector_ip_ops" => Some(Metric::InnerProduct),
            _ => None,
        }
    }

    /// The pgvector operator class name.
    pub fn opclass(self) -> &'static str {
        match self {
            Metric::L2 => "vector_l2_ops",
            Metric::Cosine => "vector_cosine_ops",
            Metric::InnerProduct => "vector_ip_ops",
        }
    }

    /// The distance the SQL operator returns (`<->`, `<=>`, `<#>`).
    pub fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::L2 => distance::l2(a, b),
            Metric::Cosine => distance::cosine_distance(a, b),
            Metric::InnerProduct => -distance::dot(a, b),
        }
    }

    /// Whether the index stores unit vectors (and normalises queries) for this metric.
    pub(crate) fn normalizes(self) -> bool {
        self == Metric::Cosine
    }

    /// The index distance between a (prepared) query and a stored vector.
    #[inline]
    pub(crate) fn index_distance(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::L2 => distance::l2_squared(a, b),
            Metric::Cosine => 1.0 - distance::dot(a, b),
            Metric::InnerProduct => -distance::dot(a, b),
        }
    }

    /// Converts an index distance into the SQL operator's distance.
    #[inline]
    pub(crate) fn to_user_distance(self, d: f32) -> f32 {
        match self {
            Metric::L2 => d.max(0.0).sqrt(),
            Metric::Cosine => d.clamp(0.0, 2.0),
            Metric::InnerProduct => d,
        }
    }

    /// One-byte tag for persisted indexes.
    pub(crate) fn tag(self) -> u8 {
        match self {
            Metric::L2 => 1,
            Metric::Cosine => 2,
            Metric::InnerProduct => 3,
        }
    }

    /// Inverse of [`Metric::tag`].
    pub(crate) fn from_tag(tag: u8) -> Option<Metric> {
        match tag {
            1 => Some(Metric::L2),
            2 => Some(Metric::Cosine),
            3 => Some(Metric::InnerProduct),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_distance_orders_like_user_distance() {
        let q = [0.6f32, 0.8];
        let near = [0.8f32, 0.6];
        let far = [-0.6f32, 0.8];
        for m in [Metric::L2, Metric::Cosine, Metric::InnerProduct] {
            assert!(m.index_distance(&q, &near) < m.index_distance(&q, &far), "{m:?}");
            let user = m.to_user_distance(m.index_distance(&q, &near));
            assert!((user - m.distance(&q, &near)).abs() < 1e-6, "{m:?}");
            assert_eq!(Metric::from_tag(m.tag()), Some(m));
            assert_eq!(Metric::from_opclass(m.opclass()), Some(m));
        }
        assert_eq!(Metric::from_tag(0), None);
    }
}
