//! Order-preserving encoding of `numeric`.
//!
//! ```text
//! 0x01                      -Infinity
//! 0x02 !exp !digits... !0x00  negative finite (all bytes after the tag inverted)
//! 0x03                      zero
//! 0x04 exp digits... 0x00   positive finite
//! 0x05                      Infinity
//! 0x06                      NaN
//! ```
//!
//! A finite non-zero value is `0.d1 d2 ... dn × 10^exp` with `d1 != 0` and no trailing
//! zero digits; `exp` is an `i32` stored big-endian with its sign bit flipped; the digits
//! are packed two per byte as `10*a + b + 1` (1..=100), an odd last digit padded with 0,
//! and closed by `0x00`.

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::BigDecimal;

use crate::error::{TypeError, TypeResult};
use crate::text::numeric::pow10;
use crate::Numeric;

/// Largest decimal exponent a key may carry (far beyond PostgreSQL's numeric range; it
/// stops damaged bytes from describing absurd numbers).
const MAX_EXPONENT: u32 = 1 << 20;

const NEG_INF: u8 = 0x01;
const NEGATIVE: u8 = 0x02;
const ZERO: u8 = 0x03;
const POSITIVE: u8 = 0x04;
const POS_INF: u8 = 0x05;
const NAN: u8 = 0x06;

/// Appends the encoding of `n` (ascending).
pub fn encode(buf: &mut Vec<u8>, n: &Numeric) -> TypeResult<()> {
    let d = match n {
        Numeric::NegInf => return push(buf, NEG_INF),
        Numeric::PosInf => return push(buf, POS_INF),
        Numeric::NaN => return push(buf, NAN),
        Numeric::Finite(d) => d,
    };
    let (int, scale) = d.as_bigint_and_exponent();
    if int.sign() == Sign::NoSign {
        return push(buf, ZERO);
    }
    let neg = int.sign() == Sign::Minus;
    let mut digits = int.magnitude().to_string();
    let len = digits.len() as i64;
    while digits.ends_with('0') {
        digits.pop();
    }
    let exp = i32::try_from(len - scale)
        .ok()
        .filter(|e| e.unsigned_abs() <= MAX_EXPONENT)
        .ok_or_else(|| TypeError::out_of_range("value overflows numeric format"))?;
    let start = buf.len();
    buf.push(if neg { NEGATIVE } else { POSITIVE });
    buf.extend_from_slice(&((exp as u32) ^ 0x8000_0000).to_be_bytes());
    for pair in digits.as_bytes().chunks(2) {
        let a = pair[0] - b'0';
        let b = pair.get(1).map_or(0, |c| c - b'0');
        buf.push(10 * a + b + 1);
    }
    buf.push(0x00);
    if neg {
        for byte in &mut buf[start + 1..] {
            *byte = !*byte;
        }
    }
    Ok(())
}

fn push(buf: &mut Vec<u8>, b: u8) -> TypeResult<()> {
    buf.push(b);
    Ok(())
}

/// Decodes a numeric from the front of `bytes`, returning it and the bytes consumed.
pub fn decode(bytes: &[u8]) -> TypeResult<(Numeric, usize)> {
    let bad = || TypeError::Corrupted("invalid numeric key encoding".into());
    let tag = *bytes.first().ok_or_else(bad)?;
    let neg = match tag {
        NEG_INF => return Ok((Numeric::NegInf, 1)),
        POS_INF => return Ok((Numeric::PosInf, 1)),
        NAN => return Ok((Numeric::NaN, 1)),
        ZERO => return Ok((Numeric::finite(BigDecimal::from(0)), 1)),
        NEGATIVE => true,
        POSITIVE => false,
        _ => return Err(bad()),
    };
    let get = |i: usize| bytes.get(i).map(|b| if neg { !*b } else { *b }).ok_or_else(bad);
    let mut e = [0u8; 4];
    for (k, slot) in e.iter_mut().enumerate() {
        *slot = get(1 + k)?;
    }
    let exp = (u32::from_be_bytes(e) ^ 0x8000_0000) as i32;
    if exp.unsigned_abs() > MAX_EXPONENT {
        return Err(bad());
    }
    let exp = i64::from(exp);
    let mut digits = String::new();
    let mut i = 5;
    loop {
        let b = get(i)?;
        i += 1;
        if b == 0 {
            break;
        }
        if b > 100 {
            return Err(bad());
        }
        let v = b - 1;
        digits.push((b'0' + v / 10) as char);
        digits.push((b'0' + v % 10) as char);
    }
    while digits.ends_with('0') {
        digits.pop();
    }
    if digits.is_empty() || digits.starts_with('0') {
        return Err(bad());
    }
    let mut int: BigInt = digits.parse().map_err(|_| bad())?;
    let mut scale = digits.len() as i64 - exp;
    if scale < 0 {
        int *= pow10(scale.unsigned_abs());
        scale = 0;
    }
    if neg {
        int = -int;
    }
    Ok((Numeric::finite(BigDecimal::new(int, scale)), i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::numeric::{format_numeric, parse_numeric};

    fn enc(s: &str) -> Vec<u8> {
        let mut b = Vec::new();
        encode(&mut b, &parse_numeric(s).unwrap()).unwrap();
        b
    }

    #[test]
    fn orders_and_round_trips() {
        let order = [
            "-Infinity",
            "-1000",
            "-1.5",
            "-1.25",
            "-0.001",
            "0",
            "0.001",
            "0.1",
            "0.1001",
            "1",
            "1.5",
            "10",
            "99.99",
            "100",
            "1e30",
            "Infinity",
            "NaN",
        ];
        for w in order.windows(2) {
            assert!(enc(w[0]) < enc(w[1]), "{w:?}");
        }
        assert_eq!(enc("1.50"), enc("1.5"));
        assert_eq!(enc("-0.0"), enc("0"));
        for s in order {
            let (n, used) = decode(&enc(s)).unwrap();
            assert_eq!(used, enc(s).len());
            assert_eq!(n, parse_numeric(s).unwrap(), "{s}");
        }
        assert_eq!(format_numeric(&decode(&enc("1.50")).unwrap().0), "1.5");
        assert_eq!(format_numeric(&decode(&enc("1000")).unwrap().0), "1000");
        assert!(decode(&[POSITIVE, 0x80]).is_err());
        assert!(decode(&[0x09]).is_err());
        assert!(decode(&[POSITIVE, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0]).is_err());
    }
}
