//! Byte encodings of single values inside a row: fixed-width little-endian fields for
//! fixed-size types, self-delimited-by-slot bytes for variable-size types.

use std::sync::Arc;

use bigdecimal::num_bigint::BigInt;
use bigdecimal::BigDecimal;
use helios_common::SqlState;

use crate::array::{too_many_dims, ArrayDim, MAX_DIMS};
use crate::error::{TypeError, TypeResult};
use crate::record::{Record, RecordType};
use crate::value::Array;
use crate::{DataType, Interval, Numeric, Value};

/// Largest absolute numeric scale a row may store (far beyond PostgreSQL's limits; it
/// only stops damaged bytes from describing absurd numbers).
const MAX_SCALE: u32 = 1 << 20;

/// The width of a fixed-size type in the fixed area, `None` for variable-size types.
pub fn fixed_width(ty: &DataType) -> Option<usize> {
    Some(match ty {
        DataType::Bool => 1,
        DataType::Int2 => 2,
        DataType::Int4 | DataType::Float4 | DataType::Date => 4,
        DataType::Int8
        | DataType::Float8
        | DataType::Time
        | DataType::Timestamp
        | DataType::TimestampTz => 8,
        DataType::Interval | DataType::Uuid => 16,
        DataType::TimeTz => 12,
        DataType::MacAddr => 6,
        _ => return None,
    })
}

pub(super) fn corrupt(what: &str) -> TypeError {
    TypeError::Corrupted(format!("invalid row encoding: {what}"))
}

fn mismatch(value: &Value, ty: &DataType) -> TypeError {
    TypeError::other(
        SqlState::DATATYPE_MISMATCH,
        format!("column of type {ty} cannot hold a value of type {}", value.data_type()),
    )
}

fn int_of(value: &Value) -> Option<i64> {
    match value {
        Value::Int2(v) => Some(i64::from(*v)),
        Value::Int4(v) => Some(i64::from(*v)),
        Value::Int8(v) => Some(*v),
        _ => None,
    }
}

/// Appends a non-NULL fixed-width value of type `ty`.
pub fn encode_fixed(buf: &mut Vec<u8>, value: &Value, ty: &DataType) -> TypeResult<()> {
    let width = fixed_width(ty).ok_or_else(|| mismatch(value, ty))?;
    let at = buf.len();
    buf.resize(at + width, 0);
    write_fixed(&mut buf[at..], value, ty).inspect_err(|_| buf.truncate(at))
}

/// Writes a non-NULL fixed-width value of type `ty` into `out`, which is exactly
/// [`fixed_width`] of `ty` bytes long (a row's slot).
pub(crate) fn write_fixed(out: &mut [u8], value: &Value, ty: &DataType) -> TypeResult<()> {
    let bad = || mismatch(value, ty);
    match (ty, value) {
        (DataType::Bool, Value::Bool(b)) => out[0] = u8::from(*b),
        (DataType::Int2, v) => {
            let x = i16::try_from(int_of(v).ok_or_else(bad)?).map_err(|_| bad())?;
            out.copy_from_slice(&x.to_le_bytes());
        }
        (DataType::Int4, v) => {
            let x = i32::try_from(int_of(v).ok_or_else(bad)?).map_err(|_| bad())?;
            out.copy_from_slice(&x.to_le_bytes());
        }
        (DataType::Int8, v) => out.copy_from_slice(&int_of(v).ok_or_else(bad)?.to_le_bytes()),
        (DataType::Float4, Value::Float4(x)) => out.copy_from_slice(&x.to_le_bytes()),
        (DataType::Float8, Value::Float8(x)) => out.copy_from_slice(&x.to_le_bytes()),
        (DataType::Float8, Value::Float4(x)) => out.copy_from_slice(&f64::from(*x).to_le_bytes()),
        (DataType::Date, Value::Date(d)) => out.copy_from_slice(&d.to_le_bytes()),
        (DataType::Time, Value::Time(t))
        | (DataType::Timestamp, Value::Timestamp(t))
        | (DataType::TimestampTz, Value::TimestampTz(t)) => out.copy_from_slice(&t.to_le_bytes()),
        (DataType::TimeTz, Value::TimeTz(t)) => {
            out[..8].copy_from_slice(&t.micros.to_le_bytes());
            out[8..].copy_from_slice(&t.offset.to_le_bytes());
        }
        (DataType::Interval, Value::Interval(iv)) => {
            out[..4].copy_from_slice(&iv.months.to_le_bytes());
            out[4..8].copy_from_slice(&iv.days.to_le_bytes());
            out[8..].copy_from_slice(&iv.micros.to_le_bytes());
        }
        (DataType::Uuid, Value::Uuid(u)) => out.copy_from_slice(u),
        (DataType::MacAddr, Value::MacAddr(m)) => out.copy_from_slice(&m.0),
        _ => return Err(bad()),
    }
    Ok(())
}

/// Appends `v` as an unsigned LEB128 varint (7 bits per byte, low bits first).
#[inline]
pub(crate) fn write_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push(v as u8 | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Bytes [`write_varint`] takes for `v`.
#[inline]
pub(crate) fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// A signed integer mapped to an unsigned one with small magnitudes small (zigzag:
/// 0, -1, 1, -2, ... become 0, 1, 2, 3, ...), for a short varint.
#[inline]
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// The inverse of [`zigzag`].
#[inline]
pub(crate) fn unzigzag(u: u64) -> i64 {
    (u >> 1) as i64 ^ -((u & 1) as i64)
}

/// Appends a non-NULL integer of type `ty` (`smallint`, `integer` or `bigint`) as the
/// zigzag varint of the compact row format, checking that it fits the type.
#[inline]
pub(crate) fn encode_int_varint(buf: &mut Vec<u8>, value: &Value, ty: &DataType) -> TypeResult<()> {
    let bad = || mismatch(value, ty);
    let v = int_of(value).ok_or_else(bad)?;
    let fits = match ty {
        DataType::Int2 => i16::try_from(v).is_ok(),
        DataType::Int4 => i32::try_from(v).is_ok(),
        _ => true,
    };
    if !fits {
        return Err(bad());
    }
    write_varint(buf, zigzag(v));
    Ok(())
}

/// The integer of type `ty` stored as a zigzag varint (exactly the bytes `b`).
pub(crate) fn decode_int_varint(b: &[u8], ty: &DataType) -> TypeResult<Value> {
    let mut at = 0;
    let v = unzigzag(super::layout::read_varint(b, &mut at)?);
    let range = || corrupt("integer out of range for its column");
    Ok(match ty {
        DataType::Int2 => Value::Int2(i16::try_from(v).map_err(|_| range())?),
        DataType::Int4 => Value::Int4(i32::try_from(v).map_err(|_| range())?),
        _ => Value::Int8(v),
    })
}

fn arr<const N: usize>(b: &[u8]) -> TypeResult<[u8; N]> {
    b.get(..N).and_then(|s| s.try_into().ok()).ok_or_else(|| corrupt("value truncated"))
}

/// Decodes a fixed-width value from exactly its slot.
pub fn decode_fixed(b: &[u8], ty: &DataType) -> TypeResult<Value> {
    Ok(match ty {
        DataType::Bool => match b.first() {
            Some(0) => Value::Bool(false),
            Some(1) => Value::Bool(true),
            _ => return Err(corrupt("bad boolean")),
        },
        DataType::Int2 => Value::Int2(i16::from_le_bytes(arr(b)?)),
        DataType::Int4 => Value::Int4(i32::from_le_bytes(arr(b)?)),
        DataType::Int8 => Value::Int8(i64::from_le_bytes(arr(b)?)),
        DataType::Float4 => Value::Float4(f32::from_le_bytes(arr(b)?)),
        DataType::Float8 => Value::Float8(f64::from_le_bytes(arr(b)?)),
        DataType::Date => Value::Date(i32::from_le_bytes(arr(b)?)),
        DataType::Time => Value::Time(i64::from_le_bytes(arr(b)?)),
        DataType::Timestamp => Value::Timestamp(i64::from_le_bytes(arr(b)?)),
        DataType::TimeTz => Value::TimeTz(crate::TimeTz::new(
            i64::from_le_bytes(arr(b)?),
            i32::from_le_bytes(arr(b.get(8..).unwrap_or(&[]))?),
        )),
        DataType::TimestampTz => Value::TimestampTz(i64::from_le_bytes(arr(b)?)),
        DataType::Interval => Value::Interval(Interval {
            months: i32::from_le_bytes(arr(b)?),
            days: i32::from_le_bytes(arr(b.get(4..).unwrap_or(&[]))?),
            micros: i64::from_le_bytes(arr(b.get(8..).unwrap_or(&[]))?),
        }),
        DataType::Uuid => Value::Uuid(arr(b)?),
        DataType::MacAddr => Value::MacAddr(crate::MacAddr(arr(b)?)),
        _ => return Err(corrupt("not a fixed-width type")),
    })
}

/// The stored bytes of a variable-size value that is stored as it is (text of the
/// text-like types, JSON, bytea), so a row writer can put its length in front at once.
#[inline]
pub(crate) fn plain_bytes<'v>(value: &'v Value, ty: &DataType) -> Option<&'v [u8]> {
    match (ty, value) {
        (
            DataType::Text
            | DataType::Varchar(_)
            | DataType::Char(_)
            | DataType::Unknown
            | DataType::JsonPath
            | DataType::TsVector
            | DataType::TsQuery,
            Value::Text(s),
        )
        | (DataType::Json, Value::Json(s)) => Some(s.as_bytes()),
        (DataType::Bytea, Value::Bytea(b)) => Some(b),
        _ => None,
    }
}

/// Appends a non-NULL variable-size value of type `ty` (its length is kept by the
/// caller: the row's offset table or an array's length prefix).
pub fn encode_var(buf: &mut Vec<u8>, value: &Value, ty: &DataType) -> TypeResult<()> {
    if let Some(bytes) = plain_bytes(value, ty) {
        buf.extend_from_slice(bytes);
        return Ok(());
    }
    let bad = || mismatch(value, ty);
    match (ty, value) {
        (DataType::Numeric(_), Value::Numeric(n)) => match n {
            Numeric::NaN => buf.push(1),
            Numeric::PosInf => buf.push(2),
            Numeric::NegInf => buf.push(3),
            Numeric::Finite(d) => {
                let (int, scale) = d.as_bigint_and_exponent();
                let scale = i32::try_from(scale)
                    .ok()
                    .filter(|s| s.unsigned_abs() <= MAX_SCALE)
                    .ok_or_else(|| TypeError::out_of_range("value overflows numeric format"))?;
                buf.push(0);
                buf.extend_from_slice(&scale.to_le_bytes());
                buf.extend_from_slice(&int.to_signed_bytes_le());
            }
        },
        (DataType::Enum(_), Value::Enum(e)) => buf.extend_from_slice(e.key()),
        // `bits:u8` then the address (4 bytes for IPv4, 16 for IPv6).
        (DataType::Inet, Value::Inet(a) | Value::Cidr(a))
        | (DataType::Cidr, Value::Cidr(a) | Value::Inet(a)) => {
            buf.push(a.bits());
            buf.extend_from_slice(a.addr());
        }
        (DataType::Jsonb, Value::Jsonb(doc)) => buf.extend_from_slice(doc.to_string().as_bytes()),
        (DataType::Vector(_), Value::Vector(v)) => {
            v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes()))
        }
        (DataType::Array(elem), Value::Array(a)) => {
            encode_array(buf, &a.elements, a.dims.as_deref(), elem)?
        }
        (DataType::Record(t), Value::Record(r)) if r.fields.len() == t.fields.len() => {
            encode_record(buf, &r.fields, t)?
        }
        (DataType::Range(t), Value::Range(r)) if t.oid == r.ty.oid => {
            crate::range::codec::encode_range_row(buf, r)?
        }
        (DataType::Multirange(t), Value::Multirange(m)) if t.oid == m.ty.oid => {
            crate::range::codec::encode_multirange_row(buf, m)?
        }
        _ => return Err(bad()),
    }
    Ok(())
}

/// Set in an array's count word when a shape follows it.
const ARRAY_SHAPED: u32 = 1 << 31;

/// Array body: `count:u32le`, null bitmap of `ceil(count/8)` bytes, then each non-NULL
/// element: fixed-width bytes, or `len:u32le` + bytes for variable-size elements.
/// An array whose shape is not one dimension from 1 sets [`ARRAY_SHAPED`] in the count
/// word and writes `ndims:u8` and `ndims` pairs `lower:i32le, len:i32le` after it (before
/// the bitmap); arrays written before shapes existed read as one-dimensional.
fn encode_array(
    buf: &mut Vec<u8>,
    elements: &[Value],
    dims: Option<&[ArrayDim]>,
    elem: &DataType,
) -> TypeResult<()> {
    let n = u32::try_from(elements.len())
        .ok()
        .filter(|n| n & ARRAY_SHAPED == 0)
        .ok_or_else(|| TypeError::out_of_range("array too large"))?;
    match dims {
        None => buf.extend_from_slice(&n.to_le_bytes()),
        Some(dims) => {
            buf.extend_from_slice(&(n | ARRAY_SHAPED).to_le_bytes());
            buf.push(u8::try_from(dims.len()).map_err(|_| too_many_dims(dims.len()))?);
            for d in dims {
                buf.extend_from_slice(&d.lower.to_le_bytes());
                buf.extend_from_slice(&d.len.to_le_bytes());
            }
        }
    }
    let bitmap_at = buf.len();
    buf.resize(bitmap_at + elements.len().div_ceil(8), 0);
    for (i, e) in elements.iter().enumerate() {
        if e.is_null() {
            buf[bitmap_at + i / 8] |= 1 << (i % 8);
            continue;
        }
        if fixed_width(elem).is_some() {
            encode_fixed(buf, e, elem)?;
        } else {
            let len_at = buf.len();
            buf.extend_from_slice(&[0; 4]);
            encode_var(buf, e, elem)?;
            let len = u32::try_from(buf.len() - len_at - 4)
                .map_err(|_| TypeError::out_of_range("array element too large"))?;
            buf[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
        }
    }
    Ok(())
}

/// Record body: `count:u32le`, null bitmap of `ceil(count/8)` bytes, then each non-NULL
/// field like an array element of the field's type.
fn encode_record(buf: &mut Vec<u8>, fields: &[Value], ty: &RecordType) -> TypeResult<()> {
    let n = u32::try_from(fields.len()).map_err(|_| TypeError::out_of_range("record too large"))?;
    buf.extend_from_slice(&n.to_le_bytes());
    let bitmap_at = buf.len();
    buf.resize(bitmap_at + fields.len().div_ceil(8), 0);
    for (i, (e, f)) in fields.iter().zip(&ty.fields).enumerate() {
        if e.is_null() {
            buf[bitmap_at + i / 8] |= 1 << (i % 8);
            continue;
        }
        if fixed_width(&f.ty).is_some() {
            encode_fixed(buf, e, &f.ty)?;
        } else {
            let len_at = buf.len();
            buf.extend_from_slice(&[0; 4]);
            encode_var(buf, e, &f.ty)?;
            let len = u32::try_from(buf.len() - len_at - 4)
                .map_err(|_| TypeError::out_of_range("record field too large"))?;
            buf[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
        }
    }
    Ok(())
}

/// Decodes a record body; fields the type gained after the value was written
/// (`ALTER TYPE ... ADD ATTRIBUTE`) read as NULL.
fn decode_record(b: &[u8], ty: &Arc<RecordType>, depth: usize) -> TypeResult<Value> {
    if depth > 16 {
        return Err(corrupt("record nesting too deep"));
    }
    let n = u32::from_le_bytes(arr(b)?) as usize;
    if n > ty.fields.len() {
        return Err(corrupt("record has more fields than its type"));
    }
    let bitmap_len = n.div_ceil(8);
    let bitmap = b.get(4..4 + bitmap_len).ok_or_else(|| corrupt("record bitmap truncated"))?;
    let mut at = 4 + bitmap_len;
    let mut fields = Vec::with_capacity(ty.fields.len());
    for (i, f) in ty.fields.iter().enumerate().take(n) {
        if bitmap[i / 8] & (1 << (i % 8)) != 0 {
            fields.push(Value::Null);
            continue;
        }
        let (slot, len) = match fixed_width(&f.ty) {
            Some(w) => (b.get(at..at + w), w),
            None => {
                let len = u32::from_le_bytes(arr(b.get(at..).unwrap_or(&[]))?) as usize;
                at += 4;
                (at.checked_add(len).and_then(|end| b.get(at..end)), len)
            }
        };
        let slot = slot.ok_or_else(|| corrupt("record field truncated"))?;
        fields.push(match fixed_width(&f.ty) {
            Some(_) => decode_fixed(slot, &f.ty)?,
            None => decode_var(slot, &f.ty, depth + 1)?,
        });
        at += len;
    }
    if at != b.len() {
        return Err(corrupt("trailing bytes in record"));
    }
    fields.resize(ty.fields.len(), Value::Null);
    Ok(Value::Record(Arc::new(Record::new(ty.clone(), fields))))
}

fn utf8(b: &[u8]) -> TypeResult<String> {
    text_str(b).map(str::to_owned)
}

/// The stored bytes of a text value as a string. Short ASCII text, the common case, is
/// checked a word at a time (`from_utf8` costs several times as much on a short string).
#[inline]
pub(super) fn text_str(b: &[u8]) -> TypeResult<&str> {
    if b.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(b) });
    }
    std::str::from_utf8(b).map_err(|_| corrupt("invalid UTF-8 in text"))
}

/// Decodes a variable-size value from exactly its bytes.
pub fn decode_var(b: &[u8], ty: &DataType, depth: usize) -> TypeResult<Value> {
    Ok(match ty {
        DataType::Numeric(_) => Value::Numeric(match b.first() {
            Some(0) => {
                let scale = i32::from_le_bytes(arr(&b[1..])?);
                if scale.unsigned_abs() > MAX_SCALE {
                    return Err(corrupt("numeric scale out of range"));
                }
                let digits = b
                    .get(5..)
                    .filter(|d| !d.is_empty())
                    .ok_or_else(|| corrupt("numeric truncated"))?;
                Numeric::finite(BigDecimal::new(
                    BigInt::from_signed_bytes_le(digits),
                    i64::from(scale),
                ))
            }
            Some(1) if b.len() == 1 => Numeric::NaN,
            Some(2) if b.len() == 1 => Numeric::PosInf,
            Some(3) if b.len() == 1 => Numeric::NegInf,
            _ => return Err(corrupt("bad numeric")),
        }),
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Char(_)
        | DataType::Unknown
        | DataType::JsonPath
        | DataType::TsVector
        | DataType::TsQuery => Value::Text(utf8(b)?),
        DataType::Json => Value::Json(utf8(b)?),
        DataType::Inet | DataType::Cidr => {
            let family = match b.len() {
                5 => crate::net::Family::V4,
                17 => crate::net::Family::V6,
                _ => return Err(corrupt("bad inet length")),
            };
            let a = crate::Inet::new(family, b[0], &b[1..]).ok_or_else(|| corrupt("bad inet"))?;
            if *ty == DataType::Cidr {
                Value::Cidr(a)
            } else {
                Value::Inet(a)
            }
        }
        DataType::Bytea => Value::Bytea(b.to_vec()),
        DataType::Enum(t) => Value::Enum(
            t.position_of_key(b)
                .and_then(|i| crate::EnumValue::new(t.clone(), i))
                .ok_or_else(|| corrupt("unknown enum order key"))?,
        ),
        DataType::Jsonb => {
            let doc = serde_json::from_slice(b).map_err(|_| corrupt("bad jsonb"))?;
            Value::Jsonb(Arc::new(doc))
        }
        DataType::Vector(_) => {
            if !b.len().is_multiple_of(4) {
                return Err(corrupt("bad vector length"));
            }
            let v: Vec<f32> =
                b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            Value::Vector(v.into())
        }
        DataType::Array(elem) => decode_array(b, elem, depth)?,
        DataType::Record(t) => decode_record(b, t, depth)?,
        DataType::Range(t) => {
            if depth > 16 {
                return Err(corrupt("range nesting too deep"));
            }
            Value::Range(Arc::new(crate::range::codec::decode_range_row(b, t, depth)?))
        }
        DataType::Multirange(t) => {
            if depth > 16 {
                return Err(corrupt("range nesting too deep"));
            }
            Value::Multirange(Arc::new(crate::range::codec::decode_multirange_row(b, t, depth)?))
        }
        _ => return Err(corrupt("not a variable-size type")),
    })
}

fn decode_array(b: &[u8], elem: &DataType, depth: usize) -> TypeResult<Value> {
    if depth > 16 {
        return Err(corrupt("array nesting too deep"));
    }
    let word = u32::from_le_bytes(arr(b)?);
    let n = (word & !ARRAY_SHAPED) as usize;
    let mut at = 4;
    let mut dims = Vec::new();
    if word & ARRAY_SHAPED != 0 {
        let nd = usize::from(*b.get(at).ok_or_else(|| corrupt("array shape truncated"))?);
        at += 1;
        if nd > MAX_DIMS {
            return Err(corrupt("too many array dimensions"));
        }
        for _ in 0..nd {
            let field = |at: usize| -> TypeResult<i32> {
                Ok(i32::from_le_bytes(arr(b.get(at..).unwrap_or(&[]))?))
            };
            dims.push(ArrayDim { lower: field(at)?, len: field(at + 4)? });
            at += 8;
        }
    }
    let bitmap_len = n.div_ceil(8);
    let bitmap = b.get(at..at + bitmap_len).ok_or_else(|| corrupt("array bitmap truncated"))?;
    at += bitmap_len;
    if n > b.len() * 8 {
        return Err(corrupt("array count too large"));
    }
    let mut elements = Vec::with_capacity(n);
    for i in 0..n {
        if bitmap[i / 8] & (1 << (i % 8)) != 0 {
            elements.push(Value::Null);
            continue;
        }
        let (slot, len) = match fixed_width(elem) {
            Some(w) => (b.get(at..at + w), w),
            None => {
                let len = u32::from_le_bytes(arr(b.get(at..).unwrap_or(&[]))?) as usize;
                at += 4;
                (at.checked_add(len).and_then(|end| b.get(at..end)), len)
            }
        };
        let slot = slot.ok_or_else(|| corrupt("array element truncated"))?;
        elements.push(match fixed_width(elem) {
            Some(_) => decode_fixed(slot, elem)?,
            None => decode_var(slot, elem, depth + 1)?,
        });
        at += len;
    }
    if at != b.len() {
        return Err(corrupt("trailing bytes in array"));
    }
    if dims.is_empty() {
        return Ok(Value::Array(Arc::new(Array::new(elem.clone(), elements))));
    }
    let a = Array::with_dims(elem.clone(), elements, &dims)
        .map_err(|_| corrupt("array shape does not match its elements"))?;
    Ok(Value::Array(Arc::new(a)))
}
