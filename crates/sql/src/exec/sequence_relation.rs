//! A sequence read as a relation (`SELECT last_value, is_called FROM seq`): one row with
//! PostgreSQL's columns `last_value`, `log_cnt` and `is_called`, read from the
//! sequence's value key through the statement's transaction.

use std::fmt;

use helios_common::{Error, Result};
use helios_types::{DataType, Value};

use crate::catalog::SequenceDef;
use crate::encoding::keys;
use crate::expr::EvalContext;
use crate::functions::table::{RowIter, TableFunction};

/// The one-row relation of a sequence.
pub struct SequenceRelation {
    sequence: SequenceDef,
    columns: Vec<(String, DataType)>,
}

impl SequenceRelation {
    /// The relation of `sequence`.
    pub fn new(sequence: SequenceDef) -> SequenceRelation {
        let columns = vec![
            ("last_value".to_string(), DataType::Int8),
            ("log_cnt".to_string(), DataType::Int8),
            ("is_called".to_string(), DataType::Bool),
        ];
        SequenceRelation { sequence, columns }
    }
}

impl fmt::Debug for SequenceRelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SequenceRelation").field("sequence", &self.sequence.name).finish()
    }
}

/// The stored state of a sequence: the last value and whether `nextval` returned it
/// (`None` when the sequence was never advanced or set).
pub fn decode_state(bytes: Option<&[u8]>) -> Result<Option<(i64, bool)>> {
    let Some(bytes) = bytes else { return Ok(None) };
    let arr: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::corrupted("sequence value is not 8 bytes"))?;
    // A ninth byte 0 marks `setval(..., false)`: the next nextval returns the value.
    Ok(Some((i64::from_be_bytes(arr), bytes.get(8) != Some(&0))))
}

impl TableFunction for SequenceRelation {
    fn name(&self) -> &str {
        &self.sequence.name
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, _args: &[Value], ctx: &dyn EvalContext) -> Result<RowIter> {
        let txn = ctx
            .transaction()
            .ok_or_else(|| Error::internal("sequence read without a transaction"))?;
        let stored = txn.get(&keys::sequence_value(self.sequence.id))?;
        let (last, called) =
            decode_state(stored.as_deref())?.unwrap_or((self.sequence.start, false));
        let row = vec![Value::Int8(last), Value::Int8(0), Value::Bool(called)];
        Ok(Box::new(std::iter::once(Ok(row))))
    }
}
