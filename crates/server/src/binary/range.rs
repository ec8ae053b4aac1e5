//! Binary format of ranges and multiranges, as PostgreSQL's `range_send` /
//! `multirange_send`:
//!
//! - range: a flags byte (`0x01` empty, `0x02` lower inclusive, `0x04` upper inclusive,
//!   `0x08` lower infinite, `0x10` upper infinite), then each finite bound as `int4`
//!   length + the subtype's binary form;
//! - multirange: `int4` range count, then each range as `int4` length + range bytes.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use helios_common::Result;
use helios_types::{DataType, MultirangeValue, RangeBound, RangeType, RangeValue, Value};

use super::{bad_binary, mismatch, Reader};

use helios_types::range::codec::{EMPTY, LB_INC, LB_INF, UB_INC, UB_INF};

fn encode_range(r: &RangeValue, out: &mut BytesMut) -> Result<()> {
    out.put_u8(r.flags());
    if r.empty {
        return Ok(());
    }
    for v in [&r.lower.value, &r.upper.value].into_iter().flatten() {
        super::encode_with_length(v, &r.ty.subtype, out)?;
    }
    Ok(())
}

/// Appends the binary form of a range or multirange value.
pub fn encode(value: &Value, ty: &DataType, out: &mut BytesMut) -> Result<()> {
    match value {
        Value::Range(r) => encode_range(r, out),
        Value::Multirange(m) => {
            let n = i32::try_from(m.ranges.len()).map_err(|_| mismatch(value, ty))?;
            out.put_i32(n);
            for r in &m.ranges {
                let start = out.len();
                out.put_i32(0);
                encode_range(r, out)?;
                let len = i32::try_from(out.len() - start - 4).map_err(|_| mismatch(value, ty))?;
                out[start..start + 4].copy_from_slice(&len.to_be_bytes());
            }
            Ok(())
        }
        _ => Err(mismatch(value, ty)),
    }
}

fn decode_range(bytes: &[u8], t: &Arc<RangeType>) -> Result<RangeValue> {
    let mut r = Reader::new(bytes);
    let flags = r.take(1)?[0];
    if flags & EMPTY != 0 {
        if !r.is_empty() {
            return Err(bad_binary("trailing bytes after empty range"));
        }
        return Ok(RangeValue::empty(t.clone()));
    }
    let mut bound = |inf: u8, inc: u8, lower: bool| -> Result<RangeBound> {
        if flags & inf != 0 {
            return Ok(RangeBound::infinite(lower));
        }
        let len = usize::try_from(r.i32()?).map_err(|_| bad_binary("negative bound length"))?;
        let v = super::decode(r.take(len)?, &t.subtype)?;
        Ok(RangeBound::finite(v, flags & inc != 0, lower))
    };
    let lower = bound(LB_INF, LB_INC, true)?;
    let upper = bound(UB_INF, UB_INC, false)?;
    if !r.is_empty() {
        return Err(bad_binary("trailing bytes after range"));
    }
    Ok(RangeValue::new(t.clone(), lower, upper)?)
}

/// Decodes a range or multirange of type `ty`.
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value> {
    match ty {
        DataType::Range(t) => Ok(Value::Range(Arc::new(decode_range(bytes, t)?))),
        DataType::Multirange(t) => {
            let mut r = Reader::new(bytes);
            let n = usize::try_from(r.i32()?).map_err(|_| bad_binary("negative range count"))?;
            let mut ranges = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                let len = usize::try_from(r.i32()?).map_err(|_| bad_binary("negative length"))?;
                ranges.push(decode_range(r.take(len)?, t)?);
            }
            if !r.is_empty() {
                return Err(bad_binary("trailing bytes after multirange"));
            }
            Ok(Value::Multirange(Arc::new(MultirangeValue::new(t.clone(), ranges)?)))
        }
        other => Err(bad_binary(format!("no binary input for type {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, ty: DataType) {
        let v = Value::parse_pg_text(text, &ty).unwrap();
        let mut out = BytesMut::new();
        encode(&v, &ty, &mut out).unwrap();
        assert_eq!(decode(&out, &ty).unwrap(), v, "{text}");
    }

    #[test]
    fn ranges_round_trip() {
        let int4 = RangeType::builtin("int4range").unwrap();
        let num = RangeType::builtin("numrange").unwrap();
        round_trip("[1,5)", DataType::Range(int4.clone()));
        round_trip("empty", DataType::Range(int4.clone()));
        round_trip("(,5)", DataType::Range(int4.clone()));
        round_trip("[1.5,2.25]", DataType::Range(num.clone()));
        round_trip("{[1,2),[5,)}", DataType::Multirange(int4.clone()));
        round_trip("{}", DataType::Multirange(num));
        // PostgreSQL's bytes for '[1,5)'::int4range.
        let mut out = BytesMut::new();
        let v = Value::parse_pg_text("[1,5)", &DataType::Range(int4.clone())).unwrap();
        encode(&v, &DataType::Range(int4.clone()), &mut out).unwrap();
        assert_eq!(&out[..], &[2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5]);
        assert!(decode(&[2, 0, 0], &DataType::Range(int4)).is_err());
    }
}
