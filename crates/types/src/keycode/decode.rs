//! Decoding side of the key format. Malformed bytes give `XX001`, never a panic.

use std::sync::Arc;

use helios_common::Result;

use super::{interval, jsonb, numeric, KeyColumn, NULL_FIRST, NULL_LAST, PRESENT};
use crate::error::{TypeError, TypeResult};
use crate::value::Array;
use crate::{DataType, Value};

fn bad(what: &str) -> TypeError {
    TypeError::Corrupted(format!("invalid key encoding: {what}"))
}

/// Decodes a whole key; trailing bytes are an error.
pub fn decode_key(bytes: &[u8], columns: &[KeyColumn]) -> Result<Vec<Value>> {
    let (values, used) = decode_key_prefix(bytes, columns)?;
    if used != bytes.len() {
        return Err(bad("trailing bytes after key").into());
    }
    Ok(values)
}

/// Decodes the key columns at the front of `bytes` and returns them with the number of
/// bytes consumed (for keys followed by more data, such as an index key + primary key).
pub fn decode_key_prefix(bytes: &[u8], columns: &[KeyColumn]) -> Result<(Vec<Value>, usize)> {
    let mut at = 0;
    let mut values = Vec::with_capacity(columns.len());
    for c in columns {
        let marker = *bytes.get(at).ok_or_else(|| bad("key too short"))?;
        at += 1;
        match marker {
            NULL_FIRST if c.nulls_first => values.push(Value::Null),
            NULL_LAST if !c.nulls_first => values.push(Value::Null),
            PRESENT => {
                let rest = &bytes[at..];
                let (v, used) = if c.descending {
                    let inverted: Vec<u8> = rest.iter().map(|b| !b).collect();
                    decode_asc(&inverted, &c.data_type, 0)?
                } else {
                    decode_asc(rest, &c.data_type, 0)?
                };
                values.push(v);
                at += used;
            }
            _ => return Err(bad("bad null marker").into()),
        }
    }
    Ok((values, at))
}

/// Reads an escaped byte string (see `encode_bytes`); returns the bytes and the count
/// consumed including the terminator.
pub(super) fn decode_bytes(bytes: &[u8]) -> TypeResult<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let b = *bytes.get(i).ok_or_else(|| bad("unterminated string"))?;
        if b != 0 {
            out.push(b);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(0xFF) => {
                out.push(0);
                i += 2;
            }
            Some(0x01) => return Ok((out, i + 2)),
            _ => return Err(bad("bad string escape")),
        }
    }
}

fn fixed<const N: usize>(bytes: &[u8]) -> TypeResult<[u8; N]> {
    bytes.get(..N).and_then(|s| s.try_into().ok()).ok_or_else(|| bad("value truncated"))
}

fn f64_from_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k ^ (1 << 63) } else { !k })
}

fn f32_from_key(k: u32) -> f32 {
    f32::from_bits(if k >> 31 == 1 { k ^ (1 << 31) } else { !k })
}

/// Decodes an ascending-encoded value of type `ty` from the front of `bytes`.
pub(super) fn decode_asc(bytes: &[u8], ty: &DataType, depth: usize) -> TypeResult<(Value, usize)> {
    if depth > 64 {
        return Err(bad("nesting too deep"));
    }
    Ok(match ty {
        DataType::Bool => match bytes.first() {
            Some(0) => (Value::Bool(false), 1),
            Some(1) => (Value::Bool(true), 1),
            _ => return Err(bad("bad boolean")),
        },
        DataType::Int2 => (Value::Int2((u16::from_be_bytes(fixed(bytes)?) ^ 0x8000) as i16), 2),
        DataType::Int4 => {
            (Value::Int4((u32::from_be_bytes(fixed(bytes)?) ^ 0x8000_0000) as i32), 4)
        }
        DataType::Int8 => (Value::Int8((u64::from_be_bytes(fixed(bytes)?) ^ (1 << 63)) as i64), 8),
        DataType::Float4 => (Value::Float4(f32_from_key(u32::from_be_bytes(fixed(bytes)?))), 4),
        DataType::Float8 => (Value::Float8(f64_from_key(u64::from_be_bytes(fixed(bytes)?))), 8),
        DataType::Numeric(_) => {
            let (n, used) = numeric::decode(bytes)?;
            (Value::Numeric(n), used)
        }
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Char(_)
        | DataType::JsonPath
        | DataType::TsVector
        | DataType::TsQuery => {
            let (raw, used) = decode_bytes(bytes)?;
            (Value::Text(String::from_utf8(raw).map_err(|_| bad("invalid UTF-8"))?), used)
        }
        DataType::Bytea => {
            let (raw, used) = decode_bytes(bytes)?;
            (Value::Bytea(raw), used)
        }
        DataType::Range(t) => {
            let (r, used) = crate::range::codec::decode_range_key(bytes, t, &mut |b| {
                decode_asc(b, &t.subtype, depth + 1)
            })?;
            (Value::Range(Arc::new(r)), used)
        }
        DataType::Multirange(t) => {
            let (m, used) = crate::range::codec::decode_multirange_key(bytes, t, &mut |b| {
                decode_asc(b, &t.subtype, depth + 1)
            })?;
            (Value::Multirange(Arc::new(m)), used)
        }
        DataType::Enum(t) => {
            let (raw, used) = decode_bytes(bytes)?;
            let value = t
                .position_of_key(&raw)
                .and_then(|i| crate::EnumValue::new(t.clone(), i))
                .ok_or_else(|| bad("unknown enum order key"))?;
            (Value::Enum(value), used)
        }
        DataType::Date => {
            (Value::Date((u32::from_be_bytes(fixed(bytes)?) ^ 0x8000_0000) as i32), 4)
        }
        DataType::Time => (Value::Time((u64::from_be_bytes(fixed(bytes)?) ^ (1 << 63)) as i64), 8),
        DataType::TimeTz => {
            let utc = (u64::from_be_bytes(fixed(bytes)?) ^ (1 << 63)) as i64;
            let west =
                (u32::from_be_bytes(fixed(bytes.get(8..).unwrap_or(&[]))?) ^ 0x8000_0000) as i32;
            let offset = west.checked_neg().ok_or_else(|| bad("timetz offset out of range"))?;
            let micros = utc
                .checked_add(i64::from(offset) * 1_000_000)
                .ok_or_else(|| bad("timetz out of range"))?;
            (Value::TimeTz(crate::TimeTz::new(micros, offset)), 12)
        }
        DataType::Timestamp => {
            (Value::Timestamp((u64::from_be_bytes(fixed(bytes)?) ^ (1 << 63)) as i64), 8)
        }
        DataType::TimestampTz => {
            (Value::TimestampTz((u64::from_be_bytes(fixed(bytes)?) ^ (1 << 63)) as i64), 8)
        }
        DataType::Interval => {
            let span = (u128::from_be_bytes(fixed(bytes)?) ^ (1 << 127)) as i128;
            (
                Value::Interval(
                    interval::from_span(span).ok_or_else(|| bad("interval out of range"))?,
                ),
                16,
            )
        }
        DataType::Uuid => (Value::Uuid(fixed(bytes)?), 16),
        DataType::Inet | DataType::Cidr => {
            let family = bytes
                .first()
                .and_then(|c| crate::net::Family::from_wire_code(*c))
                .ok_or_else(|| bad("bad inet family"))?;
            let len = family.addr_len();
            let used = 1 + len + 1 + len;
            let bits = *bytes.get(1 + len).ok_or_else(|| bad("truncated"))?;
            let addr = bytes.get(2 + len..used).ok_or_else(|| bad("truncated"))?;
            let a = crate::Inet::new(family, bits, addr).ok_or_else(|| bad("bad inet"))?;
            (if *ty == DataType::Cidr { Value::Cidr(a) } else { Value::Inet(a) }, used)
        }
        DataType::MacAddr => (Value::MacAddr(crate::MacAddr(fixed(bytes)?)), 6),
        DataType::Jsonb => {
            let (doc, used) = jsonb::decode_top(bytes)?;
            (Value::Jsonb(Arc::new(doc)), used)
        }
        DataType::Array(elem) => {
            let mut at = 0;
            let mut elements = Vec::new();
            let mut dims = Vec::new();
            loop {
                match bytes.get(at) {
                    Some(0x00) => break,
                    Some(0x03) => {
                        let nd = usize::from(*bytes.get(at + 1).ok_or_else(|| bad("truncated"))?);
                        let word = |k: usize| -> Result<[u8; 4], TypeError> {
                            fixed(bytes.get(at + 2 + 4 * k..).unwrap_or(&[]))
                        };
                        for k in 0..nd {
                            let len = i32::from_be_bytes(word(k)?);
                            let lower = (u32::from_be_bytes(word(nd + k)?) ^ (1 << 31)) as i32;
                            dims.push(crate::array::ArrayDim { lower, len });
                        }
                        at += 1 + 8 * nd;
                        break;
                    }
                    Some(0x01) => {
                        let (v, used) = decode_asc(&bytes[at + 1..], elem, depth + 1)?;
                        elements.push(v);
                        at += 1 + used;
                    }
                    Some(0x02) => {
                        elements.push(Value::Null);
                        at += 1;
                    }
                    _ => return Err(bad("bad array element marker")),
                }
            }
            let a = if dims.is_empty() {
                Array::new((**elem).clone(), elements)
            } else {
                Array::with_dims((**elem).clone(), elements, &dims)
                    .map_err(|_| bad("array shape does not match its elements"))?
            };
            (Value::Array(Arc::new(a)), at + 1)
        }
        DataType::Record(t) => {
            let mut at = 0;
            let mut fields = Vec::with_capacity(t.fields.len());
            loop {
                let field = t.fields.get(fields.len());
                match (bytes.get(at), field) {
                    (Some(0x00), _) => break,
                    (Some(0x01), Some(f)) => {
                        let (v, used) = decode_asc(&bytes[at + 1..], &f.ty, depth + 1)?;
                        fields.push(v);
                        at += 1 + used;
                    }
                    (Some(0x02), Some(_)) => {
                        fields.push(Value::Null);
                        at += 1;
                    }
                    _ => return Err(bad("bad record field marker")),
                }
            }
            fields.resize(t.fields.len(), Value::Null);
            (Value::Record(Arc::new(crate::record::Record::new(t.clone(), fields))), at + 1)
        }
        DataType::Json | DataType::Vector(_) | DataType::Unknown | DataType::Pseudo(_) => {
            return Err(bad("type cannot appear in a key"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keycode::encode_key;

    #[test]
    fn malformed_keys_are_errors() {
        let cols = [KeyColumn::asc(DataType::Int4), KeyColumn::asc(DataType::Text)];
        let good = encode_key(&[Value::Int4(5), Value::Text("ab".into())], &cols).unwrap();
        for cut in 0..good.len() {
            let e = decode_key(&good[..cut], &cols).unwrap_err();
            assert_eq!(e.sqlstate().code(), "XX001");
        }
        let mut extra = good.clone();
        extra.push(0);
        assert!(decode_key(&extra, &cols).is_err());
        assert!(decode_key(&[0x07], &cols).is_err());
        assert!(decode_key(&[NULL_FIRST, NULL_LAST], &cols).is_err());
        let (vals, used) = decode_key_prefix(&extra, &cols).unwrap();
        assert_eq!(used, good.len());
        assert_eq!(vals, vec![Value::Int4(5), Value::Text("ab".into())]);
    }
}
