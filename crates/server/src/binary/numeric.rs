//! PostgreSQL's binary `numeric`: base-10000 digits.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | `ndigits`: number of base-10000 digits that follow |
//! | 2 | 2 | `weight`: power of 10000 of the first digit |
//! | 4 | 2 | `sign`: `0x0000` +, `0x4000` −, `0xC000` NaN, `0xD000` +∞, `0xF000` −∞ |
//! | 6 | 2 | `dscale`: digits shown after the decimal point |
//! | 8 | 2·ndigits | the digits, each 0..=9999 |
//!
//! The value is Σ digit[i] · 10000^(weight − i). Leading and trailing zero digits are
//! not sent.

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::BigDecimal;
use bytes::{BufMut, BytesMut};
use helios_common::Result;
use helios_types::{Numeric, Value};

use super::{bad_binary, Reader};

const POS: u16 = 0x0000;
const NEG: u16 = 0x4000;
const NAN: u16 = 0xC000;
const PINF: u16 = 0xD000;
const NINF: u16 = 0xF000;

/// Appends the binary form of a numeric (integer values are accepted too).
pub fn encode(value: &Value, out: &mut BytesMut) -> Result<()> {
    let n = match value {
        Value::Numeric(n) => n.clone(),
        Value::Int2(v) => Numeric::finite(BigDecimal::from(*v)),
        Value::Int4(v) => Numeric::finite(BigDecimal::from(*v)),
        Value::Int8(v) => Numeric::finite(BigDecimal::from(*v)),
        other => return Err(super::mismatch(other, &helios_types::DataType::Numeric(None))),
    };
    let d = match n {
        Numeric::NaN => return put_special(out, NAN),
        Numeric::PosInf => return put_special(out, PINF),
        Numeric::NegInf => return put_special(out, NINF),
        Numeric::Finite(d) => d,
    };
    let (int, scale) = d.as_bigint_and_exponent();
    // A negative scale means trailing zeros of the integer part.
    let (int, scale) = if scale < 0 {
        let factor =
            BigInt::from(10u8).pow(u32::try_from(-scale).map_err(|_| bad_binary("numeric scale"))?);
        (int * factor, 0i64)
    } else {
        (int, scale)
    };
    let dscale = u16::try_from(scale).map_err(|_| bad_binary("numeric scale out of range"))?;
    let sign = if int.sign() == Sign::Minus { NEG } else { POS };
    let digits = int.magnitude().to_string();
    let scale = usize::from(dscale);
    let (int_part, frac_part) = if digits.len() > scale {
        digits.split_at(digits.len() - scale)
    } else {
        ("", digits.as_str())
    };
    let frac = format!("{frac_part:0>scale$}");
    let int_pad = (4 - int_part.len() % 4) % 4;
    let int_str = format!("{}{int_part}", "0".repeat(int_pad));
    let frac_pad = (4 - frac.len() % 4) % 4;
    let frac_str = format!("{frac}{}", "0".repeat(frac_pad));
    let mut groups: Vec<i16> = Vec::new();
    for chunk in int_str.as_bytes().chunks(4).chain(frac_str.as_bytes().chunks(4)) {
        let text = std::str::from_utf8(chunk).map_err(|_| bad_binary("numeric digits"))?;
        groups.push(text.parse().map_err(|_| bad_binary("numeric digits"))?);
    }
    let mut weight =
        i32::try_from(int_str.len() / 4).map_err(|_| bad_binary("numeric too large"))? - 1;
    let mut start = 0;
    while start < groups.len() && groups[start] == 0 {
        start += 1;
        weight -= 1;
    }
    let mut end = groups.len();
    while end > start && groups[end - 1] == 0 {
        end -= 1;
    }
    let groups = &groups[start..end];
    if groups.is_empty() {
        weight = 0;
    }
    out.put_i16(i16::try_from(groups.len()).map_err(|_| bad_binary("numeric too large"))?);
    out.put_i16(i16::try_from(weight).map_err(|_| bad_binary("numeric too large"))?);
    out.put_u16(if groups.is_empty() { POS } else { sign });
    out.put_u16(dscale);
    for g in groups {
        out.put_i16(*g);
    }
    Ok(())
}

fn put_special(out: &mut BytesMut, sign: u16) -> Result<()> {
    out.put_i16(0);
    out.put_i16(0);
    out.put_u16(sign);
    out.put_u16(0);
    Ok(())
}

/// Decodes a binary numeric.
pub fn decode(bytes: &[u8]) -> Result<Value> {
    let mut r = Reader::new(bytes);
    let ndigits = r.i16()?;
    let weight = r.i16()?;
    let sign = r.u16()?;
    let dscale = r.u16()?;
    if ndigits < 0 {
        return Err(bad_binary("negative numeric digit count"));
    }
    let special = match sign {
        NAN => Some(Numeric::NaN),
        PINF => Some(Numeric::PosInf),
        NINF => Some(Numeric::NegInf),
        POS | NEG => None,
        _ => return Err(bad_binary("invalid sign in external \"numeric\" value")),
    };
    if let Some(s) = special {
        return Ok(Value::Numeric(s));
    }
    if dscale > 0x3FFF {
        return Err(bad_binary("invalid scale in external \"numeric\" value"));
    }
    let mut acc = BigInt::from(0u8);
    for _ in 0..ndigits {
        let d = r.i16()?;
        if !(0..10_000).contains(&d) {
            return Err(bad_binary("invalid digit in external \"numeric\" value"));
        }
        acc = acc * 10_000u32 + BigInt::from(d);
    }
    if !r.is_empty() {
        return Err(bad_binary("trailing bytes after numeric"));
    }
    if sign == NEG {
        acc = -acc;
    }
    // acc · 10000^(weight − ndigits + 1) = acc · 10^(−scale) with scale as below.
    let scale = -4 * (i64::from(weight) - i64::from(ndigits) + 1);
    let d = BigDecimal::new(acc, scale).with_scale(i64::from(dscale));
    Ok(Value::Numeric(Numeric::finite(d)))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn num(s: &str) -> Value {
        Value::Numeric(Numeric::finite(BigDecimal::from_str(s).unwrap()))
    }

    fn enc(v: &Value) -> Vec<u8> {
        let mut b = BytesMut::new();
        encode(v, &mut b).unwrap();
        b.to_vec()
    }

    #[test]
    fn matches_postgres_bytes() {
        // SELECT numeric_send(12345.678): ndigits 3, weight 1, +, dscale 3, 1 2345 6780
        assert_eq!(enc(&num("12345.678")), [0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]);
        // SELECT numeric_send(-0.0001): ndigits 1, weight -1, -, dscale 4, 1
        assert_eq!(enc(&num("-0.0001")), [0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1]);
        // SELECT numeric_send(0.00): no digits, dscale 2
        assert_eq!(enc(&num("0.00")), [0, 0, 0, 0, 0, 0, 0, 2]);
        // SELECT numeric_send(20000): one digit 2 at weight 1
        assert_eq!(enc(&num("20000")), [0, 1, 0, 1, 0, 0, 0, 0, 0, 2]);
        assert_eq!(enc(&Value::Numeric(Numeric::NaN)), [0, 0, 0, 0, 0xc0, 0, 0, 0]);
    }

    #[test]
    fn round_trips_keep_scale() {
        for s in [
            "0",
            "1",
            "-1",
            "1.50",
            "123456789012345678901234567890.0001",
            "-0.000001",
            "10000",
            "9999.9999",
        ] {
            let v = num(s);
            let back = decode(&enc(&v)).unwrap();
            let Value::Numeric(Numeric::Finite(d)) = &back else { panic!("{back:?}") };
            assert_eq!(d.to_string(), BigDecimal::from_str(s).unwrap().to_string(), "{s}");
        }
        for special in [Numeric::NaN, Numeric::PosInf, Numeric::NegInf] {
            let v = Value::Numeric(special);
            assert_eq!(decode(&enc(&v)).unwrap(), v);
        }
        let e = num("1E+5");
        assert_eq!(decode(&enc(&e)).unwrap(), num("100000"));
    }

    #[test]
    fn rejects_bad_digits_and_truncation() {
        assert!(decode(&[0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10]).is_err()); // digit 10000
        assert!(decode(&[0, 2, 0, 0, 0, 0, 0, 0, 0, 1]).is_err()); // one digit missing
        assert!(decode(&[0, 0, 0, 0, 0x12, 0x34, 0, 0]).is_err()); // bad sign
        assert!(decode(&[0, 0]).is_err());
    }
}
