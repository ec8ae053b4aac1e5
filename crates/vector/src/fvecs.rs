//! Readers for the `.fvecs` / `.ivecs` files of ANN benchmarks, used by tests and the
//! benchmark on real embeddings (and handy for bulk loads).
//!
//! Each record is a little-endian `i32` dimension `d` followed by `d` little-endian `f32`
//! (`.fvecs`) or `i32` (`.ivecs`) values. Malformed files give an error, not a panic.

use std::path::Path;

use crate::error::{Result, VectorError};

/// Vectors read from a file: `data.len() / dim` rows laid end to end.
#[derive(Clone, Debug, PartialEq)]
pub struct VecFile<T> {
    /// Dimensions of every row.
    pub dim: usize,
    /// The rows.
    pub data: Vec<T>,
}

impl<T> VecFile<T> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// Reads at most `limit` rows of an `.fvecs` file.
pub fn read_fvecs(path: &Path, limit: Option<usize>) -> Result<VecFile<f32>> {
    read(path, limit, f32::from_le_bytes)
}

/// Reads at most `limit` rows of an `.ivecs` file.
pub fn read_ivecs(path: &Path, limit: Option<usize>) -> Result<VecFile<i32>> {
    read(path, limit, i32::from_le_bytes)
}

fn read<T>(path: &Path, limit: Option<usize>, conv: fn([u8; 4]) -> T) -> Result<VecFile<T>> {
    let bytes =
        std::fs::read(path).map_err(|e| VectorError::Io(format!("{}: {e}", path.display())))?;
    parse(&bytes, limit, conv).map_err(|what| {
        VectorError::InvalidArgument(format!(
            "malformed vector file \"{}\": {what}",
            path.display()
        ))
    })
}

fn parse<T>(
    bytes: &[u8],
    limit: Option<usize>,
    conv: fn([u8; 4]) -> T,
) -> Result<VecFile<T>, String> {
    let word = |at: usize| -> [u8; 4] { [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]] };
    let mut dim = None;
    let mut data = Vec::new();
    let mut pos = 0;
    let mut rows = 0;
    while pos < bytes.len() && limit.is_none_or(|l| rows < l) {
        if pos + 4 > bytes.len() {
            return Err("truncated dimension".into());
        }
        let d = i32::from_le_bytes(word(pos));
        let d = usize::try_from(d).ok().filter(|&d| d > 0).ok_or("bad dimension")?;
        if *dim.get_or_insert(d) != d {
            return Err(format!("row {rows} has {d} dimensions, expected {}", dim.unwrap_or(d)));
        }
        pos += 4;
        if bytes.len() - pos < d * 4 {
            return Err("truncated row".into());
        }
        data.extend((0..d).map(|i| conv(word(pos + 4 * i))));
        pos += d * 4;
        rows += 1;
    }
    Ok(VecFile { dim: dim.unwrap_or(0), data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(values: &[f32]) -> Vec<u8> {
        let mut out = (values.len() as i32).to_le_bytes().to_vec();
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    #[test]
    fn parses_and_rejects() {
        let mut bytes = record(&[1.0, 2.0]);
        bytes.extend(record(&[3.0, 4.0]));
        let f = parse(&bytes, None, f32::from_le_bytes).expect("valid");
        assert_eq!((f.dim, f.len(), f.row(1)), (2, 2, &[3.0f32, 4.0][..]));
        assert_eq!(parse(&bytes, Some(1), f32::from_le_bytes).expect("valid").len(), 1);
        assert!(parse(&bytes[..bytes.len() - 1], None, f32::from_le_bytes).is_err());
        let mut mixed = record(&[1.0, 2.0]);
        mixed.extend(record(&[1.0]));
        assert!(parse(&mixed, None, f32::from_le_bytes).is_err());
        assert!(parse(&(-1i32).to_le_bytes(), None, f32::from_le_bytes).is_err());
    }
}
