//! pgvector `vector` text I/O: `[1,2.5,3]`.

use helios_common::SqlState;

use super::float::format_f32;
use crate::error::{TypeError, TypeResult};

/// pgvector's dimension limit.
pub const MAX_DIMENSIONS: usize = 16_000;

/// Formats a vector as pgvector does.
pub fn format_vector(v: &[f32]) -> String {
    let mut out = String::from("[");
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format_f32(*x));
    }
    out.push(']');
    out
}

/// Parses `[x, y, ...]`, checking the dimension against `dims` when given.
pub fn parse_vector(input: &str, dims: Option<u32>) -> TypeResult<Vec<f32>> {
    let bad = || TypeError::syntax("vector", input);
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let body = s.strip_prefix('[').and_then(|b| b.strip_suffix(']')).ok_or_else(bad)?;
    if body.trim().is_empty() {
        return Err(TypeError::other(
            SqlState::DATA_EXCEPTION,
            "vector must have at least 1 dimension",
        ));
    }
    let mut out = Vec::new();
    for part in body.split(',') {
        let p = part.trim_matches(|c: char| c.is_ascii_whitespace());
        let x: f32 = match super::float::parse_f32_trimmed(p) {
            Ok(Some(x)) => x,
            // pgvector keeps values that underflow `real` (as zero) and rejects overflow.
            Ok(None) if p.parse::<f64>().is_ok_and(|w| w.abs() < 1.0) => {
                if p.starts_with('-') {
                    -0.0
                } else {
                    0.0
                }
            }
            Ok(None) => {
                return Err(TypeError::out_of_range(format!(
                    "\"{p}\" is out of range for type vector"
                )))
            }
            Err(()) => return Err(bad()),
        };
        if x.is_nan() {
            return Err(TypeError::other(SqlState::DATA_EXCEPTION, "NaN not allowed in vector"));
        }
        if x.is_infinite() {
            return Err(TypeError::other(
                SqlState::DATA_EXCEPTION,
                "infinite value not allowed in vector",
            ));
        }
        out.push(x);
    }
    if out.len() > MAX_DIMENSIONS {
        return Err(TypeError::other(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            format!("vector cannot have more than {MAX_DIMENSIONS} dimensions"),
        ));
    }
    check_dims(out.len(), dims)?;
    Ok(out)
}

/// Fails with pgvector's `expected N dimensions, not M` when the length does not match.
pub fn check_dims(len: usize, dims: Option<u32>) -> TypeResult<()> {
    match dims {
        Some(d) if d as usize != len => Err(TypeError::other(
            SqlState::DATA_EXCEPTION,
            format!("expected {d} dimensions, not {len}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgvector_format() {
        assert_eq!(format_vector(&[1.0, 2.5, -3.0]), "[1,2.5,-3]");
        assert_eq!(parse_vector(" [1, 2.5 ,-3e0] ", Some(3)), Ok(vec![1.0, 2.5, -3.0]));
        assert_eq!(
            parse_vector("[1,2]", Some(3)).unwrap_err().to_string(),
            "expected 3 dimensions, not 2"
        );
        assert_eq!(parse_vector("[]", None).unwrap_err().sqlstate().code(), "22000");
        assert_eq!(
            parse_vector("[1,NaN]", None).unwrap_err().to_string(),
            "NaN not allowed in vector"
        );
        assert_eq!(
            parse_vector("[1,1e39]", None).unwrap_err().to_string(),
            "\"1e39\" is out of range for type vector"
        );
        for s in ["1,2", "[1,,2]", "[a]", "[1 2]"] {
            assert_eq!(
                parse_vector(s, None).unwrap_err().to_string(),
                format!("invalid input syntax for type vector: \"{s}\"")
            );
        }
    }
}
