//! Encoding side of the key format (see the module docs and `docs/storage-format.md`).

use helios_common::{Result, SqlState};

use super::{interval, jsonb, numeric, KeyColumn, NULL_FIRST, NULL_LAST, PRESENT};
use crate::compare::interval_span;
use crate::error::{TypeError, TypeResult};
use crate::{DataType, Value};

/// Encodes a composite key. `values` and `columns` must have the same length.
pub fn encode_key(values: &[Value], columns: &[KeyColumn]) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(values.len() * 9);
    encode_key_into(&mut buf, values, columns)?;
    Ok(buf)
}

/// Appends the encoding of a composite key to `buf`.
pub fn encode_key_into(buf: &mut Vec<u8>, values: &[Value], columns: &[KeyColumn]) -> Result<()> {
    if values.len() != columns.len() {
        return Err(helios_common::Error::internal(format!(
            "key has {} values for {} columns",
            values.len(),
            columns.len()
        )));
    }
    for (v, c) in values.iter().zip(columns) {
        encode_value(buf, v, c)?;
    }
    Ok(())
}

/// Appends the encoding of one column value (marker byte included).
pub fn encode_value(buf: &mut Vec<u8>, value: &Value, column: &KeyColumn) -> Result<()> {
    // A bigint key (the commonest primary key), without the general dispatch.
    if let (Value::Int8(x), DataType::Int8, false) = (value, &column.data_type, column.descending) {
        buf.push(PRESENT);
        buf.extend_from_slice(&((*x as u64) ^ (1 << 63)).to_be_bytes());
        return Ok(());
    }
    if value.is_null() {
        buf.push(if column.nulls_first { NULL_FIRST } else { NULL_LAST });
        return Ok(());
    }
    buf.push(PRESENT);
    let start = buf.len();
    encode_asc(buf, value, &column.data_type)?;
    if column.descending {
        for b in &mut buf[start..] {
            *b = !*b;
        }
    }
    Ok(())
}

fn mismatch(value: &Value, ty: &DataType) -> TypeError {
    TypeError::other(
        SqlState::DATATYPE_MISMATCH,
        format!("key column of type {ty} cannot hold a value of type {}", value.data_type()),
    )
}

/// Appends a string or bytea: `0x00` escaped as `0x00 0xFF`, closed by `0x00 0x01`.
pub(super) fn encode_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        buf.push(b);
        if b == 0 {
            buf.push(0xFF);
        }
    }
    buf.extend_from_slice(&[0x00, 0x01]);
}

fn f64_key(x: f64) -> u64 {
    let x = if x.is_nan() {
        f64::NAN
    } else if x == 0.0 {
        0.0
    } else {
        x
    };
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    }
}

fn f32_key(x: f32) -> u32 {
    let x = if x.is_nan() {
        f32::NAN
    } else if x == 0.0 {
        0.0
    } else {
        x
    };
    let bits = x.to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits ^ (1 << 31)
    }
}

fn int_of(value: &Value) -> Option<i64> {
    match value {
        Value::Int2(v) => Some(i64::from(*v)),
        Value::Int4(v) => Some(i64::from(*v)),
        Value::Int8(v) => Some(*v),
        _ => None,
    }
}

/// Appends the ascending encoding of a non-NULL value of type `ty`.
pub(super) fn encode_asc(buf: &mut Vec<u8>, value: &Value, ty: &DataType) -> TypeResult<()> {
    let bad = || mismatch(value, ty);
    match (ty, value) {
        (DataType::Bool, Value::Bool(b)) => buf.push(u8::from(*b)),
        (DataType::Int2, v) => {
            let x = i16::try_from(int_of(v).ok_or_else(bad)?).map_err(|_| bad())?;
            buf.extend_from_slice(&((x as u16) ^ 0x8000).to_be_bytes());
        }
        (DataType::Int4, v) => {
            let x = i32::try_from(int_of(v).ok_or_else(bad)?).map_err(|_| bad())?;
            buf.extend_from_slice(&((x as u32) ^ 0x8000_0000).to_be_bytes());
        }
        (DataType::Int8, v) => {
            let x = int_of(v).ok_or_else(bad)?;
            buf.extend_from_slice(&((x as u64) ^ (1 << 63)).to_be_bytes());
        }
        (DataType::Float4, Value::Float4(x)) => buf.extend_from_slice(&f32_key(*x).to_be_bytes()),
        (DataType::Float8, Value::Float8(x)) => buf.extend_from_slice(&f64_key(*x).to_be_bytes()),
        (DataType::Float8, Value::Float4(x)) => {
            buf.extend_from_slice(&f64_key(f64::from(*x)).to_be_bytes())
        }
        (DataType::Numeric(_), Value::Numeric(n)) => numeric::encode(buf, n)?,
        (
            DataType::Text
            | DataType::Varchar(_)
            | DataType::JsonPath
            | DataType::TsVector
            | DataType::TsQuery,
            Value::Text(s),
        ) => encode_bytes(buf, s.as_bytes()),
        (DataType::Char(_), Value::Text(s)) => {
            encode_bytes(buf, s.trim_end_matches(' ').as_bytes())
        }
        (DataType::Bytea, Value::Bytea(b)) => encode_bytes(buf, b),
        (DataType::Enum(_), Value::Enum(e)) => encode_bytes(buf, e.key()),
        (DataType::Date, Value::Date(d)) => {
            buf.extend_from_slice(&((*d as u32) ^ 0x8000_0000).to_be_bytes())
        }
        (DataType::Time, Value::Time(t))
        | (DataType::Timestamp, Value::Timestamp(t))
        | (DataType::TimestampTz, Value::TimestampTz(t)) => {
            buf.extend_from_slice(&((*t as u64) ^ (1 << 63)).to_be_bytes())
        }
        (DataType::TimeTz, Value::TimeTz(t)) => {
            // The instant first, then the zone west of UTC: PostgreSQL's order.
            buf.extend_from_slice(&((t.utc_micros() as u64) ^ (1 << 63)).to_be_bytes());
            buf.extend_from_slice(&((t.zone_west() as u32) ^ 0x8000_0000).to_be_bytes());
        }
        (DataType::Interval, Value::Interval(iv)) => {
            let span = interval_span(iv);
            // Spans of valid intervals fit easily; the check keeps decode's split exact.
            if interval::from_span(span).is_none() {
                return Err(bad());
            }
            buf.extend_from_slice(&((span as u128) ^ (1 << 127)).to_be_bytes());
        }
        (DataType::Uuid, Value::Uuid(u)) => buf.extend_from_slice(u),
        (DataType::Inet | DataType::Cidr, Value::Inet(a) | Value::Cidr(a)) => encode_inet(buf, a),
        (DataType::MacAddr, Value::MacAddr(m)) => buf.extend_from_slice(&m.0),
        (DataType::Jsonb, Value::Jsonb(doc)) => jsonb::encode_top(buf, doc)?,
        (DataType::Array(elem), Value::Array(a)) => {
            for e in &a.elements {
                if e.is_null() {
                    buf.push(0x02);
                } else {
                    buf.push(0x01);
                    encode_asc(buf, e, elem)?;
                }
            }
            match a.dims.as_deref() {
                None => buf.push(0x00),
                Some(dims) => {
                    // A shape other than one dimension from 1: `0x03`, the count of
                    // dimensions, every length, then every lower bound.
                    buf.push(0x03);
                    buf.push(u8::try_from(dims.len()).map_err(|_| bad())?);
                    for d in dims {
                        buf.extend_from_slice(&d.len.to_be_bytes());
                    }
                    for d in dims {
                        buf.extend_from_slice(&((d.lower as u32) ^ (1 << 31)).to_be_bytes());
                    }
                }
            }
        }
        (DataType::Record(t), Value::Record(r)) => {
            for (e, f) in r.fields.iter().zip(&t.fields) {
                if e.is_null() {
                    buf.push(0x02);
                } else {
                    buf.push(0x01);
                    encode_asc(buf, e, &f.ty)?;
                }
            }
            buf.push(0x00);
        }
        (DataType::Range(t), Value::Range(r)) if t.oid == r.ty.oid => {
            crate::range::codec::encode_range_key(buf, r, &mut |b, v| encode_asc(b, v, &t.subtype))?
        }
        (DataType::Multirange(t), Value::Multirange(m)) if t.oid == m.ty.oid => {
            crate::range::codec::encode_multirange_key(buf, m, &mut |b, v| {
                encode_asc(b, v, &t.subtype)
            })?
        }
        (DataType::Json | DataType::Vector(_) | DataType::Unknown, _) => {
            return Err(TypeError::other(
                SqlState::UNDEFINED_OBJECT,
                format!("data type {ty} has no default operator class for access method \"btree\""),
            ))
        }
        _ => return Err(bad()),
    }
    Ok(())
}

/// An `inet`/`cidr` key: the family code, the address with its host bits cleared, the
/// mask length, then the whole address. Comparing these bytes orders values as
/// PostgreSQL's `network_cmp` does: when the networks agree over the shorter mask, the
/// shorter mask's cleared host bits sort it first, as the mask length would.
fn encode_inet(buf: &mut Vec<u8>, a: &crate::Inet) {
    buf.push(a.family().wire_code());
    buf.extend_from_slice(a.network().addr());
    buf.push(a.bits());
    buf.extend_from_slice(a.addr());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keycode::KeyColumn;

    #[test]
    fn floats_order_like_postgres() {
        let col = KeyColumn::asc(DataType::Float8);
        let enc = |x: f64| encode_key(&[Value::Float8(x)], std::slice::from_ref(&col)).unwrap();
        let order =
            [f64::NEG_INFINITY, -1e300, -1.0, -1e-300, 0.0, 1e-300, 1.0, f64::INFINITY, f64::NAN];
        for w in order.windows(2) {
            assert!(enc(w[0]) < enc(w[1]), "{w:?}");
        }
        assert_eq!(enc(-0.0), enc(0.0));
        assert_eq!(enc(f64::NAN), enc(-f64::NAN));
    }

    #[test]
    fn nulls_and_directions() {
        let v = |x: i32| Value::Int4(x);
        let asc = KeyColumn::asc(DataType::Int4);
        let e = |val: &Value, c: &KeyColumn| {
            encode_key(std::slice::from_ref(val), std::slice::from_ref(c)).unwrap()
        };
        assert!(e(&v(i32::MAX), &asc) < e(&Value::Null, &asc));
        let asc_nf = asc.clone().nulls_first(true);
        assert!(e(&Value::Null, &asc_nf) < e(&v(i32::MIN), &asc_nf));
        let desc = KeyColumn::desc(DataType::Int4);
        assert!(e(&Value::Null, &desc) < e(&v(5), &desc));
        assert!(e(&v(5), &desc) < e(&v(4), &desc));
        let desc_nl = desc.nulls_first(false);
        assert!(e(&v(i32::MIN), &desc_nl) < e(&Value::Null, &desc_nl));
    }

    #[test]
    fn rejects_wrong_types_and_unindexable() {
        let err =
            encode_key(&[Value::Text("x".into())], &[KeyColumn::asc(DataType::Int4)]).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::DATATYPE_MISMATCH);
        let err =
            encode_key(&[Value::Json("1".into())], &[KeyColumn::asc(DataType::Json)]).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::UNDEFINED_OBJECT);
        assert!(encode_key(&[], &[KeyColumn::asc(DataType::Int4)]).is_err());
        assert!(encode_key(&[Value::Int8(70_000)], &[KeyColumn::asc(DataType::Int2)]).is_err());
    }

    #[test]
    fn documented_example() {
        let cols = [
            KeyColumn::asc(DataType::Int4),
            KeyColumn::desc(DataType::Text),
            KeyColumn::asc(DataType::Int4),
        ];
        let key =
            encode_key(&[Value::Int4(42), Value::Text("ab".into()), Value::Null], &cols).unwrap();
        assert_eq!(key, [0x01, 0x80, 0, 0, 0x2a, 0x01, 0x9e, 0x9d, 0xff, 0xfe, 0x02]);
    }

    #[test]
    fn strings_escape_zero_bytes() {
        let col = [KeyColumn::asc(DataType::Text)];
        let e = |s: &str| encode_key(&[Value::Text(s.into())], &col).unwrap();
        assert_eq!(e("a"), vec![PRESENT, b'a', 0, 1]);
        assert_eq!(e("a\0"), vec![PRESENT, b'a', 0, 0xFF, 0, 1]);
        assert!(e("a") < e("a\0") && e("a\0") < e("a\x01") && e("a\x01") < e("ab"));
        let ch = [KeyColumn::asc(DataType::Char(Some(4)))];
        assert_eq!(
            encode_key(&[Value::Text("ab  ".into())], &ch).unwrap(),
            encode_key(&[Value::Text("ab".into())], &ch).unwrap()
        );
    }
}
