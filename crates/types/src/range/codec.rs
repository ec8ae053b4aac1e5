//! Byte encodings of ranges and multiranges: in rows (compact) and in index keys
//! (order-preserving). Both formats are in `docs/storage-format.md`.
//!
//! Row body of a range: one flag byte (`0x01` empty, `0x02` lower inclusive, `0x04`
//! upper inclusive, `0x08` lower infinite, `0x10` upper infinite), then each finite
//! bound as the subtype's fixed-width bytes or `len:u32le` + its variable-size bytes.
//! A multirange: `count:u32le`, then each range as `len:u32le` + its range body.
//!
//! Key of a range: `0x00` when empty; else `0x01`, the lower bound (`0x00` for
//! -infinity, or `0x01` + the subtype key + `0x00` inclusive / `0x01` exclusive) and the
//! upper bound (`0x01` + subtype key + `0x00` exclusive / `0x01` inclusive, or `0x02`
//! for +infinity). A multirange: `0x01` + range key per range, closed by `0x00`, so a
//! prefix sorts first as in PostgreSQL's `multirange_cmp`.

use std::sync::Arc;

use super::bound::RangeBound;
use super::{MultirangeValue, RangeType, RangeValue};
use crate::error::{TypeError, TypeResult};
use crate::row::codec::{decode_fixed, decode_var, encode_fixed, encode_var, fixed_width};
use crate::Value;

/// Flag bits of a range's first byte, in rows and on the wire (PostgreSQL's
/// `range_send`): empty, lower / upper bound inclusive, lower / upper bound infinite.
pub const EMPTY: u8 = 0x01;
/// Lower bound inclusive.
pub const LB_INC: u8 = 0x02;
/// Upper bound inclusive.
pub const UB_INC: u8 = 0x04;
/// Lower bound infinite.
pub const LB_INF: u8 = 0x08;
/// Upper bound infinite.
pub const UB_INF: u8 = 0x10;

impl RangeValue {
    /// The range's flag byte ([`EMPTY`], [`LB_INC`], ...).
    pub fn flags(&self) -> u8 {
        if self.empty {
            return EMPTY;
        }
        let mut flags = 0;
        if self.lower.inclusive {
            flags |= LB_INC;
        }
        if self.upper.inclusive {
            flags |= UB_INC;
        }
        if self.lower.is_infinite() {
            flags |= LB_INF;
        }
        if self.upper.is_infinite() {
            flags |= UB_INF;
        }
        flags
    }
}

/// Appends a subtype value's key.
pub type KeyWriter<'a> = dyn FnMut(&mut Vec<u8>, &Value) -> TypeResult<()> + 'a;

/// Reads a subtype value's key, returning it with the bytes used.
pub type KeyReader<'a> = dyn FnMut(&[u8]) -> TypeResult<(Value, usize)> + 'a;

fn corrupt(what: &str) -> TypeError {
    TypeError::Corrupted(format!("invalid range encoding: {what}"))
}

fn push_len(buf: &mut Vec<u8>, len: usize) -> TypeResult<()> {
    let n = u32::try_from(len).map_err(|_| TypeError::out_of_range("range value too large"))?;
    buf.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

fn read_len(b: &[u8], at: usize) -> TypeResult<usize> {
    let bytes = b.get(at..at + 4).ok_or_else(|| corrupt("truncated length"))?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
}

fn encode_element(buf: &mut Vec<u8>, v: &Value, ty: &RangeType) -> TypeResult<()> {
    if fixed_width(&ty.subtype).is_some() {
        encode_fixed(buf, v, &ty.subtype)
    } else {
        let at = buf.len();
        buf.extend_from_slice(&[0; 4]);
        encode_var(buf, v, &ty.subtype)?;
        let len = u32::try_from(buf.len() - at - 4)
            .map_err(|_| TypeError::out_of_range("range bound too large"))?;
        buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
        Ok(())
    }
}

fn decode_element(b: &[u8], at: usize, ty: &RangeType, depth: usize) -> TypeResult<(Value, usize)> {
    match fixed_width(&ty.subtype) {
        Some(w) => {
            let slot = b.get(at..at + w).ok_or_else(|| corrupt("truncated bound"))?;
            Ok((decode_fixed(slot, &ty.subtype)?, at + w))
        }
        None => {
            let len = read_len(b, at)?;
            let slot = b.get(at + 4..at + 4 + len).ok_or_else(|| corrupt("truncated bound"))?;
            Ok((decode_var(slot, &ty.subtype, depth + 1)?, at + 4 + len))
        }
    }
}

/// Appends the row body of a range.
pub fn encode_range_row(buf: &mut Vec<u8>, r: &RangeValue) -> TypeResult<()> {
    buf.push(r.flags());
    if r.empty {
        return Ok(());
    }
    for v in [&r.lower.value, &r.upper.value].into_iter().flatten() {
        encode_element(buf, v, &r.ty)?;
    }
    Ok(())
}

/// Decodes a range row body of type `ty`; returns the range and the bytes used.
fn decode_range_at(b: &[u8], ty: &Arc<RangeType>, depth: usize) -> TypeResult<(RangeValue, usize)> {
    let flags = *b.first().ok_or_else(|| corrupt("missing flags"))?;
    if flags & EMPTY != 0 {
        return Ok((RangeValue::empty(ty.clone()), 1));
    }
    let mut at = 1;
    let mut bound = |inf: u8, inc: u8, lower: bool| -> TypeResult<RangeBound> {
        if flags & inf != 0 {
            return Ok(RangeBound::infinite(lower));
        }
        let (v, next) = decode_element(b, at, ty, depth)?;
        at = next;
        Ok(RangeBound::finite(v, flags & inc != 0, lower))
    };
    let lower = bound(LB_INF, LB_INC, true)?;
    let upper = bound(UB_INF, UB_INC, false)?;
    Ok((RangeValue { ty: ty.clone(), lower, upper, empty: false }, at))
}

/// Decodes a range from exactly its row bytes.
pub fn decode_range_row(b: &[u8], ty: &Arc<RangeType>, depth: usize) -> TypeResult<RangeValue> {
    let (r, used) = decode_range_at(b, ty, depth)?;
    if used != b.len() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(r)
}

/// Appends the row body of a multirange.
pub fn encode_multirange_row(buf: &mut Vec<u8>, m: &MultirangeValue) -> TypeResult<()> {
    push_len(buf, m.ranges.len())?;
    for r in &m.ranges {
        let at = buf.len();
        buf.extend_from_slice(&[0; 4]);
        encode_range_row(buf, r)?;
        let len = u32::try_from(buf.len() - at - 4)
            .map_err(|_| TypeError::out_of_range("multirange too large"))?;
        buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }
    Ok(())
}

/// Decodes a multirange from exactly its row bytes.
pub fn decode_multirange_row(
    b: &[u8],
    ty: &Arc<RangeType>,
    depth: usize,
) -> TypeResult<MultirangeValue> {
    let n = read_len(b, 0)?;
    if n > b.len() {
        return Err(corrupt("range count too large"));
    }
    let mut at = 4;
    let mut ranges = Vec::with_capacity(n);
    for _ in 0..n {
        let len = read_len(b, at)?;
        let slot = b.get(at + 4..at + 4 + len).ok_or_else(|| corrupt("truncated range"))?;
        ranges.push(decode_range_row(slot, ty, depth)?);
        at += 4 + len;
    }
    if at != b.len() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(MultirangeValue { ty: ty.clone(), ranges })
}

/// Appends the order-preserving key of a range; `sub` appends a subtype value's key.
pub fn encode_range_key(
    buf: &mut Vec<u8>,
    r: &RangeValue,
    sub: &mut KeyWriter<'_>,
) -> TypeResult<()> {
    if r.empty {
        buf.push(0x00);
        return Ok(());
    }
    buf.push(0x01);
    match &r.lower.value {
        None => buf.push(0x00),
        Some(v) => {
            buf.push(0x01);
            sub(buf, v)?;
            buf.push(u8::from(!r.lower.inclusive));
        }
    }
    match &r.upper.value {
        None => buf.push(0x02),
        Some(v) => {
            buf.push(0x01);
            sub(buf, v)?;
            buf.push(u8::from(r.upper.inclusive));
        }
    }
    Ok(())
}

/// Reads a range key; `sub` reads a subtype key and returns it with the bytes used.
pub fn decode_range_key(
    b: &[u8],
    ty: &Arc<RangeType>,
    sub: &mut KeyReader<'_>,
) -> TypeResult<(RangeValue, usize)> {
    match b.first() {
        Some(0x00) => return Ok((RangeValue::empty(ty.clone()), 1)),
        Some(0x01) => {}
        _ => return Err(corrupt("bad range key marker")),
    }
    let mut at = 1;
    let mut bound = |lower: bool| -> TypeResult<RangeBound> {
        let marker = *b.get(at).ok_or_else(|| corrupt("truncated key"))?;
        at += 1;
        match marker {
            0x00 if lower => Ok(RangeBound::infinite(true)),
            0x02 if !lower => Ok(RangeBound::infinite(false)),
            0x01 => {
                let (v, used) = sub(b.get(at..).unwrap_or(&[]))?;
                at += used;
                let flag = *b.get(at).ok_or_else(|| corrupt("truncated key"))?;
                at += 1;
                let inclusive = match (flag, lower) {
                    (0x00, true) | (0x01, false) => true,
                    (0x01, true) | (0x00, false) => false,
                    _ => return Err(corrupt("bad bound flag")),
                };
                Ok(RangeBound::finite(v, inclusive, lower))
            }
            _ => Err(corrupt("bad bound marker")),
        }
    };
    let lower = bound(true)?;
    let upper = bound(false)?;
    Ok((RangeValue { ty: ty.clone(), lower, upper, empty: false }, at))
}

/// Appends the order-preserving key of a multirange.
pub fn encode_multirange_key(
    buf: &mut Vec<u8>,
    m: &MultirangeValue,
    sub: &mut KeyWriter<'_>,
) -> TypeResult<()> {
    for r in &m.ranges {
        buf.push(0x01);
        encode_range_key(buf, r, sub)?;
    }
    buf.push(0x00);
    Ok(())
}

/// Reads a multirange key.
pub fn decode_multirange_key(
    b: &[u8],
    ty: &Arc<RangeType>,
    sub: &mut KeyReader<'_>,
) -> TypeResult<(MultirangeValue, usize)> {
    let mut at = 0;
    let mut ranges = Vec::new();
    loop {
        match b.get(at) {
            Some(0x00) => return Ok((MultirangeValue { ty: ty.clone(), ranges }, at + 1)),
            Some(0x01) => {
                let (r, used) = decode_range_key(b.get(at + 1..).unwrap_or(&[]), ty, sub)?;
                ranges.push(r);
                at += 1 + used;
            }
            _ => return Err(corrupt("bad multirange key marker")),
        }
    }
}
