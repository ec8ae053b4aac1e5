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
        let x: f32 = if p.is_empty()
            || p.bytes().any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E'))
        {
            match p.to_ascii_lowercase().as_str() {
                "nan" | "+nan" | "-nan" => f32::NAN,
                "inf" | "+inf" | "infinity" | "+infinity" => f32::INFINITY,
                "-inf" | "-infinity" => f32::NEG_INFINITY,
                _ => return Err(bad()),
            }
        } else {
            p.parse().map_err(|_| bad())?
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
            "infinite value not allowed in vector"
        );
        for s in ["1,2", "[1,,2]", "[a]", "[1 2]"] {
            assert_eq!(
                parse_vector(s, None).unwrap_err().to_string(),
                format!("invalid input syntax for type vector: \"{s}\"")
            );
        }
    }
}
