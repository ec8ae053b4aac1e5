//! Full-text search functions and operators: `to_tsvector`, `to_tsquery` and its
//! variants, `@@`, `ts_rank`/`ts_rank_cd`, `ts_headline` and the `tsvector`/`tsquery`
//! manipulation functions.
//!
//! Values are the canonical texts of [`helios_types::tsearch`]; each function parses its
//! arguments, works on [`TsVector`]/[`TsQuery`] and prints the result. Documents are
//! split by a simplified default parser ([`parser`]) and normalised by the `simple` or
//! `english` configuration ([`config`]). Dictionaries, custom configurations,
//! `ts_debug`/`ts_lexize`/`ts_parse` and `ts_rewrite` are not provided.

pub mod config;
mod convert;
mod headline;
mod json_doc;
pub mod matching;
mod ops;
pub mod parser;
mod rank;
pub mod stem;

use helios_common::{Error, Result};
use helios_types::tsearch::{TsQuery, TsVector};
use helios_types::Value;

use crate::functions::registry::Registry;

/// `unnest(tsvector)`: one row per lexeme with its positions and weights (both NULL
/// for a lexeme without positions).
pub(crate) fn unnest_vector(a: &[Value]) -> Result<crate::functions::table::RowIter> {
    use helios_types::tsearch::vector::weight_letter;
    use helios_types::{Array, DataType};
    let v = vector(&a[0])?;
    let rows = v.lexemes.into_iter().map(|l| {
        let (pos, weights) = if l.positions.is_empty() {
            (Value::Null, Value::Null)
        } else {
            let array = |element_type, elements| {
                Value::Array(std::sync::Arc::new(Array::new(element_type, elements)))
            };
            (
                array(
                    DataType::Int2,
                    l.positions.iter().map(|p| Value::Int2(p.pos as i16)).collect(),
                ),
                array(
                    DataType::Text,
                    l.positions
                        .iter()
                        .map(|p| Value::Text(weight_letter(p.weight).to_string()))
                        .collect(),
                ),
            )
        };
        Ok(vec![Value::Text(l.word), pos, weights])
    });
    Ok(Box::new(rows.collect::<Vec<_>>().into_iter()))
}

/// Registers the text search functions.
pub(crate) fn register(r: &mut Registry) {
    convert::register(r);
    ops::register(r);
    rank::register(r);
    headline::register(r);
    json_doc::register(r);
}

/// The text of a text-like argument.
fn text(v: &Value) -> Result<&str> {
    match v {
        Value::Text(s) => Ok(s),
        other => Err(Error::internal(format!("text search argument is not text: {other:?}"))),
    }
}

/// A `tsvector` argument.
fn vector(v: &Value) -> Result<TsVector> {
    Ok(TsVector::parse(text(v)?)?)
}

/// A `tsquery` argument.
fn query(v: &Value) -> Result<TsQuery> {
    Ok(TsQuery::parse(text(v)?)?)
}

/// A `tsvector` result.
fn vector_value(v: &TsVector) -> Value {
    Value::Text(v.to_string())
}

/// A `tsquery` result.
fn query_value(q: &TsQuery) -> Value {
    Value::Text(q.to_string())
}
