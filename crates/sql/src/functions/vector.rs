//! pgvector's distance operators on `vector` values.

use helios_common::{Error, Result, SqlState};
use helios_types::Value;

use crate::expr::BinaryOp;

/// `<->` (L2), `<=>` (cosine distance), `<#>` (negative inner product).
pub fn distance(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    let (Value::Vector(a), Value::Vector(b)) = (l, r) else {
        return Err(Error::internal("vector distance on non-vector values"));
    };
    if a.len() != b.len() {
        return Err(Error::new(
            SqlState::DATA_EXCEPTION,
            format!("different vector dimensions {} and {}", a.len(), b.len()),
        ));
    }
    let pairs = a.iter().zip(b.iter()).map(|(x, y)| (f64::from(*x), f64::from(*y)));
    Ok(Value::Float8(match op {
        BinaryOp::L2Distance => pairs.map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt(),
        BinaryOp::NegInnerProduct => -pairs.map(|(x, y)| x * y).sum::<f64>(),
        _ => {
            let (mut dot, mut na, mut nb) = (0.0, 0.0, 0.0);
            for (x, y) in pairs {
                dot += x * y;
                na += x * x;
                nb += y * y;
            }
            if na == 0.0 || nb == 0.0 {
                f64::NAN
            } else {
                1.0 - dot / (na.sqrt() * nb.sqrt())
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn distances() {
        let a = Value::Vector(Arc::from(vec![1.0f32, 0.0]));
        let b = Value::Vector(Arc::from(vec![0.0f32, 1.0]));
        assert_eq!(distance(BinaryOp::L2Distance, &a, &b).ok(), Some(Value::Float8(2f64.sqrt())));
        assert_eq!(distance(BinaryOp::CosineDistance, &a, &b).ok(), Some(Value::Float8(1.0)));
        assert_eq!(distance(BinaryOp::NegInnerProduct, &a, &a).ok(), Some(Value::Float8(-1.0)));
    }
}
