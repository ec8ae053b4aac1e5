//! The error enum of the vector crate and its conversion into [`helios_common::Error`].
//!
//! Messages follow pgvector's wording where SQL users can see them (dimension mismatch,
//! NaN, option bounds).

use helios_common::{Error, SqlState};

use crate::store::RowId;

/// Result alias of this crate.
pub type Result<T, E = VectorError> = std::result::Result<T, E>;

/// Everything that can go wrong in vector search.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// A vector has the wrong number of dimensions for the index.
    #[error("expected {expected} dimensions, not {actual}")]
    DimensionMismatch {
        /// Dimensions of the index.
        expected: usize,
        /// Dimensions of the offending vector.
        actual: usize,
    },
    /// A vector holds NaN.
    #[error("NaN not allowed in vector")]
    NaN,
    /// A vector holds an infinite value.
    #[error("infinite value not allowed in vector")]
    Infinite,
    /// An index option is outside its valid range.
    #[error("value {value} out of bounds for option \"{option}\"")]
    OptionOutOfBounds {
        /// Option name as written in `WITH (...)`.
        option: &'static str,
        /// The rejected value.
        value: i64,
        /// Smallest valid value.
        min: i64,
        /// Largest valid value.
        max: i64,
    },
    /// Some other invalid argument.
    #[error("{0}")]
    InvalidArgument(String),
    /// The same row id was inserted twice.
    #[error("row {0} is already in the vector index")]
    DuplicateRow(RowId),
    /// Not enough vectors to train a quantizer.
    #[error("cannot train quantizer: need at least {needed} vectors, got {got}")]
    NotEnoughTrainingData {
        /// Vectors needed.
        needed: usize,
        /// Vectors supplied.
        got: usize,
    },
    /// Persisted index bytes do not decode.
    #[error("vector index is corrupted: {0}")]
    Corrupted(String),
    /// Reading a file failed.
    #[error("could not read file {0}")]
    Io(String),
    /// An error from the [`crate::NodeStore`] (the storage layer).
    #[error(transparent)]
    Store(#[from] Error),
}

impl From<VectorError> for Error {
    fn from(err: VectorError) -> Error {
        let state = match &err {
            VectorError::DimensionMismatch { .. } | VectorError::NaN | VectorError::Infinite => {
                SqlState::DATA_EXCEPTION
            }
            VectorError::OptionOutOfBounds { .. } | VectorError::InvalidArgument(_) => {
                SqlState::INVALID_PARAMETER_VALUE
            }
            VectorError::DuplicateRow(_) => SqlState::INTERNAL_ERROR,
            VectorError::NotEnoughTrainingData { .. } => SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
            VectorError::Corrupted(_) => SqlState::INDEX_CORRUPTED,
            VectorError::Io(_) => SqlState::IO_ERROR,
            VectorError::Store(inner) => return inner.clone(),
        };
        let detail = match &err {
            VectorError::OptionOutOfBounds { min, max, .. } => {
                Some(format!("Valid values are between \"{min}\" and \"{max}\"."))
            }
            _ => None,
        };
        let out = Error::new(state, err.to_string());
        match detail {
            Some(d) => out.with_detail(d),
            None => out,
        }
    }
}

/// Checks that `v` has `dim` components, none NaN or infinite (pgvector's rules).
pub fn check_vector(v: &[f32], dim: usize) -> Result<()> {
    if v.len() != dim {
        return Err(VectorError::DimensionMismatch { expected: dim, actual: v.len() });
    }
    for x in v {
        if x.is_nan() {
            return Err(VectorError::NaN);
        }
        if x.is_infinite() {
            return Err(VectorError::Infinite);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_with_pgvector_wording_and_sqlstate() {
        let e: Error = VectorError::DimensionMismatch { expected: 3, actual: 2 }.into();
        assert_eq!(e.sqlstate(), SqlState::DATA_EXCEPTION);
        assert_eq!(e.message(), "expected 3 dimensions, not 2");
        let e: Error =
            VectorError::OptionOutOfBounds { option: "m", value: 1, min: 2, max: 100 }.into();
        assert_eq!(e.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
        assert_eq!(e.message(), "value 1 out of bounds for option \"m\"");
        assert_eq!(e.detail(), Some("Valid values are between \"2\" and \"100\"."));
        let e: Error = VectorError::Corrupted("short record".into()).into();
        assert_eq!(e.sqlstate(), SqlState::INDEX_CORRUPTED);
    }

    #[test]
    fn rejects_bad_vectors() {
        assert!(check_vector(&[1.0, 2.0], 2).is_ok());
        assert!(matches!(check_vector(&[1.0], 2), Err(VectorError::DimensionMismatch { .. })));
        assert!(matches!(check_vector(&[f32::NAN, 0.0], 2), Err(VectorError::NaN)));
        assert!(matches!(check_vector(&[f32::INFINITY, 0.0], 2), Err(VectorError::Infinite)));
    }
}
