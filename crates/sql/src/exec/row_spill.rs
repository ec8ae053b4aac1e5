//! Rows on their way to a temporary file and back: a lossless byte form for any list of
//! values, and an estimate of the memory a row holds.
//!
//! An operator that outgrows `work_mem` (the external sort, [`super::external_sort`])
//! writes rows whose types the plan may not pin down: a column of `unknown` type, an
//! expression of a user enum or record type. Each list of values is written in the
//! table row format (`helios_types::row`, `docs/storage-format.md`) under the types of
//! its own values, and those types are kept here, in memory, in a small dictionary:
//!
//! ```text
//!   values = [type list number: varint][row format 2 bytes under those types]
//! ```
//!
//! A NULL is a bit in the row's NULL bitmap whatever its column's type, so rows that
//! differ only in where their NULLs are share a type list. The types (enum labels,
//! record fields, range subtypes) never reach the file; the dictionary lives as long
//! as the operator's runs.

use std::cell::RefCell;

use helios_common::{Error, Result};
use helios_types::{row, DataType, Numeric, Value};

/// Writes and reads lists of values, keeping the type lists of those written so far.
#[derive(Debug, Default)]
pub struct RowCodec {
    types: RefCell<Vec<Vec<DataType>>>,
    /// The list the previous row used (most rows of an operator share one).
    last: std::cell::Cell<usize>,
}

/// Whether `v` can be written under `t` and read back as itself (any `t` holds NULL).
fn fits(v: &Value, t: &DataType) -> bool {
    match (v, t) {
        (Value::Null, _) => true,
        (Value::Bool(_), DataType::Bool)
        | (Value::Int2(_), DataType::Int2)
        | (Value::Int4(_), DataType::Int4)
        | (Value::Int8(_), DataType::Int8)
        | (Value::Float4(_), DataType::Float4)
        | (Value::Float8(_), DataType::Float8)
        | (Value::Numeric(_), DataType::Numeric(None))
        | (Value::Text(_), DataType::Text)
        | (Value::Bytea(_), DataType::Bytea)
        | (Value::Date(_), DataType::Date)
        | (Value::Time(_), DataType::Time)
        | (Value::TimeTz(_), DataType::TimeTz)
        | (Value::Timestamp(_), DataType::Timestamp)
        | (Value::TimestampTz(_), DataType::TimestampTz)
        | (Value::Interval(_), DataType::Interval)
        | (Value::Uuid(_), DataType::Uuid)
        | (Value::Json(_), DataType::Json)
        | (Value::Jsonb(_), DataType::Jsonb) => true,
        (v, t) => v.data_type() == *t,
    }
}

/// The type a value is written under (`unknown` for NULL: only the bitmap holds it).
fn type_of(v: &Value) -> DataType {
    v.data_type()
}

impl RowCodec {
    /// The number of a type list `values` fit, added when none does.
    fn list_for(&self, values: &[Value]) -> usize {
        let fits_list = |types: &[DataType]| {
            types.len() == values.len() && values.iter().zip(types).all(|(v, t)| fits(v, t))
        };
        let mut lists = self.types.borrow_mut();
        let last = self.last.get();
        if lists.get(last).is_some_and(|t| fits_list(t)) {
            return last;
        }
        let found = lists.iter().position(|t| fits_list(t));
        let n = found.unwrap_or_else(|| {
            lists.push(values.iter().map(type_of).collect());
            lists.len() - 1
        });
        self.last.set(n);
        n
    }

    /// Appends `values` to `out`.
    pub fn encode(&self, values: &[Value], out: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Result<()> {
        let n = self.list_for(values);
        let lists = self.types.borrow();
        row::encode_row_into(scratch, values, &lists[n])?;
        helios_common::varint::put(out, n as u64);
        helios_common::varint::put(out, scratch.len() as u64);
        out.extend_from_slice(scratch);
        Ok(())
    }

    /// Reads the values at `*at` in `bytes` (written by [`RowCodec::encode`] of this
    /// codec), moving past them.
    pub fn decode(&self, bytes: &[u8], at: &mut usize) -> Result<Vec<Value>> {
        let n = get_varint(bytes, at)?;
        let len = get_varint(bytes, at)?;
        let lists = self.types.borrow();
        let types = usize::try_from(n).ok().and_then(|n| lists.get(n)).ok_or_else(corrupt)?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| at.checked_add(l))
            .filter(|&e| e <= bytes.len())
            .ok_or_else(corrupt)?;
        let values = row::decode_row(&bytes[*at..end], types)?;
        *at = end;
        Ok(values)
    }
}

fn corrupt() -> Error {
    Error::corrupted("a temporary row does not decode")
}

/// Reads the varint at `*at`, moving past it.
#[inline]
fn get_varint(d: &[u8], at: &mut usize) -> Result<u64> {
    helios_common::varint::get(d, at).ok_or_else(corrupt)
}

/// The bytes a row of values holds in memory, estimated: the vector, every value's
/// fixed size, and the heap bytes of text, bytea, JSON, numeric digits, arrays,
/// vectors, records and ranges (shared values are counted once per row holding them).
pub fn row_bytes(values: &[Value]) -> usize {
    std::mem::size_of::<Vec<Value>>() + values.iter().map(value_bytes).sum::<usize>()
}

/// The bytes one value holds, estimated (see [`row_bytes`]).
pub fn value_bytes(v: &Value) -> usize {
    std::mem::size_of::<Value>() + heap_bytes(v)
}

fn heap_bytes(v: &Value) -> usize {
    match v {
        Value::Text(s) | Value::Json(s) => s.capacity(),
        Value::Bytea(b) => b.capacity(),
        Value::Numeric(Numeric::Finite(d)) => {
            // The boxed decimal and its digits (about 3.3 bits per decimal digit).
            let (int, _) = d.as_bigint_and_scale();
            std::mem::size_of_val(&**d) + (int.bits() as usize).div_ceil(8)
        }
        Value::Jsonb(doc) => json_bytes(doc),
        Value::Array(a) => {
            std::mem::size_of_val(&**a) + a.elements.iter().map(value_bytes).sum::<usize>()
        }
        Value::Vector(v) => 16 + v.len() * 4,
        Value::Record(r) => {
            std::mem::size_of_val(&**r) + r.fields.iter().map(value_bytes).sum::<usize>()
        }
        // Two bounds and flags; a multirange is a few of those.
        Value::Range(_) => 96,
        Value::Multirange(m) => 32 + 96 * m.ranges.len(),
        _ => 0,
    }
}

fn json_bytes(doc: &serde_json::Value) -> usize {
    let own = std::mem::size_of::<serde_json::Value>();
    own + match doc {
        serde_json::Value::String(s) => s.capacity(),
        serde_json::Value::Array(items) => items.iter().map(json_bytes).sum(),
        serde_json::Value::Object(map) => {
            map.iter().map(|(k, v)| 2 * own + k.capacity() + json_bytes(v)).sum()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::sync::Arc;

    use bigdecimal::BigDecimal;
    use helios_types::{Array, EnumLabel, EnumType, EnumValue, Interval};

    use super::*;

    fn round_trip(rows: &[Vec<Value>]) {
        let codec = RowCodec::default();
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        for r in rows {
            codec.encode(r, &mut out, &mut scratch).expect("encode");
        }
        let mut at = 0;
        for r in rows {
            let back = codec.decode(&out, &mut at).expect("decode");
            assert_eq!(format!("{back:?}"), format!("{r:?}"));
        }
        assert_eq!(at, out.len());
    }

    #[test]
    fn every_kind_of_value_comes_back_as_itself() {
        let num = |s: &str| Value::Numeric(Numeric::finite(BigDecimal::from_str(s).expect("num")));
        let mood = Arc::new(EnumType {
            oid: 90_001,
            schema: "public".into(),
            name: "mood".into(),
            labels: vec![
                EnumLabel { label: "sad".into(), key: vec![1] },
                EnumLabel { label: "ok".into(), key: vec![1, 128] },
                EnumLabel { label: "happy".into(), key: vec![2] },
            ],
        });
        let arr = Array::new(DataType::Int4, vec![Value::Int4(1), Value::Null, Value::Int4(3)]);
        let text_arr = Array::new(DataType::Text, vec![Value::Text("a".into()), Value::Null]);
        let rows = vec![
            vec![
                Value::Null,
                Value::Bool(true),
                Value::Int2(-3),
                Value::Int4(i32::MIN),
                Value::Int8(i64::MAX),
                Value::Float4(-0.0),
                Value::Float8(f64::NAN),
                num("1.500"),
                Value::Numeric(Numeric::NaN),
                Value::Numeric(Numeric::NegInf),
                Value::Text("héllo".into()),
                Value::Bytea(vec![0, 255, 7]),
            ],
            vec![
                Value::Date(-1),
                Value::Time(3_600_000_000),
                Value::Timestamp(-5),
                Value::TimestampTz(123_456_789),
                Value::Interval(Interval { months: 14, days: -3, micros: 7 }),
                Value::Uuid([7; 16]),
                Value::Json("{\"b\": 1,  \"a\": [1, 2]}".into()),
                Value::Jsonb(Arc::new(serde_json::json!({"k": [1, "x", null, 2.5]}))),
                Value::Array(Arc::new(arr)),
                Value::Array(Arc::new(text_arr)),
                Value::Vector(vec![1.0f32, -2.5].into()),
                Value::Enum(EnumValue::new(mood.clone(), 2).expect("label")),
            ],
            // The same shapes with NULLs elsewhere, and a type change in one column.
            vec![Value::Int4(1), Value::Null, Value::Text("x".into())],
            vec![Value::Null, Value::Int8(2), Value::Null],
            vec![Value::Int4(1), Value::Int8(2), Value::Text("y".into())],
            vec![Value::Text("1".into()), Value::Int8(2), Value::Null],
            vec![],
        ];
        round_trip(&rows);
    }

    #[test]
    fn damaged_bytes_are_errors() {
        let codec = RowCodec::default();
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        codec
            .encode(&[Value::Text("abc".into()), Value::Int4(5)], &mut out, &mut scratch)
            .expect("encode");
        for cut in 0..out.len() {
            assert!(codec.decode(&out[..cut], &mut 0).is_err(), "cut at {cut}");
        }
        let mut bad = out.clone();
        bad[0] = 9;
        assert!(codec.decode(&bad, &mut 0).is_err());
    }

    #[test]
    fn estimates_grow_with_the_data() {
        let small = row_bytes(&[Value::Text("a".into())]);
        let big = row_bytes(&[Value::Text("a".repeat(1000))]);
        assert!(big >= small + 999);
        assert!(row_bytes(&[Value::Int4(1), Value::Null]) >= 2 * std::mem::size_of::<Value>());
    }
}
