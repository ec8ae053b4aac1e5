//! Binary string functions: `substring` / `substr`, `btrim` / `ltrim` / `rtrim` with a
//! byte set, `get_byte` / `set_byte`, `get_bit` / `set_bit`, `bit_count`, `bit_length`
//! and the SHA-2 digests `sha224` ... `sha512`. (`length`, `octet_length`, `md5`,
//! `encode` and `decode` live with the string functions.)
//!
//! Bits are numbered as PostgreSQL does: bit `n` is bit `n % 8` (from the least
//! significant) of byte `n / 8`.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use crate::functions::registry::{p, Registry, ReturnType};
use crate::functions::string::i;

use DataType::{Bytea, Int4, Int8};

/// Registers the binary string functions.
pub(crate) fn register(r: &mut Registry) {
    let bytea = || ReturnType::Exact(Bytea);
    for name in ["substr", "substring"] {
        r.add(name, vec![p(Bytea), p(Int4)], bytea(), |a, _| {
            substring(bytes(&a[0]), i(&a[1]), None)
        });
        r.add(name, vec![p(Bytea), p(Int4), p(Int4)], bytea(), |a, _| {
            substring(bytes(&a[0]), i(&a[1]), Some(i(&a[2])))
        });
    }
    r.add("btrim", vec![p(Bytea), p(Bytea)], bytea(), |a, _| Ok(trim(&a[0], &a[1], true, true)));
    r.add("ltrim", vec![p(Bytea), p(Bytea)], bytea(), |a, _| Ok(trim(&a[0], &a[1], true, false)));
    r.add("rtrim", vec![p(Bytea), p(Bytea)], bytea(), |a, _| Ok(trim(&a[0], &a[1], false, true)));
    r.add("get_byte", vec![p(Bytea), p(Int4)], ReturnType::Exact(Int4), |a, _| {
        let b = bytes(&a[0]);
        Ok(Value::Int4(i32::from(b[index(i(&a[1]), b.len())?])))
    });
    r.add("set_byte", vec![p(Bytea), p(Int4), p(Int4)], bytea(), |a, _| {
        let mut b = bytes(&a[0]).to_vec();
        let at = index(i(&a[1]), b.len())?;
        // PostgreSQL keeps the low eight bits of the new value.
        b[at] = i(&a[2]) as u8;
        Ok(Value::Bytea(b))
    });
    r.add("get_bit", vec![p(Bytea), p(Int8)], ReturnType::Exact(Int4), |a, _| {
        let b = bytes(&a[0]);
        let n = index(i(&a[1]), b.len() * 8)?;
        Ok(Value::Int4(i32::from((b[n / 8] >> (n % 8)) & 1)))
    });
    r.add("set_bit", vec![p(Bytea), p(Int8), p(Int4)], bytea(), |a, _| {
        let mut b = bytes(&a[0]).to_vec();
        let n = index(i(&a[1]), b.len() * 8)?;
        let mask = 1u8 << (n % 8);
        match i(&a[2]) {
            0 => b[n / 8] &= !mask,
            1 => b[n / 8] |= mask,
            _ => {
                return Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "new bit must be 0 or 1"))
            }
        }
        Ok(Value::Bytea(b))
    });
    r.add("bit_count", vec![p(Bytea)], ReturnType::Exact(Int8), |a, _| {
        Ok(Value::Int8(bytes(&a[0]).iter().map(|b| i64::from(b.count_ones())).sum()))
    });
    r.add("bit_length", vec![p(Bytea)], ReturnType::Exact(Int4), |a, _| {
        Ok(Value::Int4(i32::try_from(bytes(&a[0]).len() * 8).unwrap_or(i32::MAX)))
    });
    r.add("sha224", vec![p(Bytea)], bytea(), |a, _| Ok(digest::<Sha224>(&a[0])));
    r.add("sha256", vec![p(Bytea)], bytea(), |a, _| Ok(digest::<Sha256>(&a[0])));
    r.add("sha384", vec![p(Bytea)], bytea(), |a, _| Ok(digest::<Sha384>(&a[0])));
    r.add("sha512", vec![p(Bytea)], bytea(), |a, _| Ok(digest::<Sha512>(&a[0])));
}

fn bytes(v: &Value) -> &[u8] {
    match v {
        Value::Bytea(b) => b,
        _ => &[],
    }
}

fn digest<D: Digest>(v: &Value) -> Value {
    Value::Bytea(D::digest(bytes(v)).to_vec())
}

/// A 0-based position below `len`, or 2202E as PostgreSQL words it.
fn index(n: i64, len: usize) -> Result<usize> {
    match usize::try_from(n) {
        Ok(at) if at < len => Ok(at),
        _ => Err(Error::new(
            SqlState::from_code("2202E"),
            format!("index {n} out of valid range, 0..{}", len as i64 - 1),
        )),
    }
}

/// `substring(bytes FROM start [FOR count])` with SQL's rules: positions before the
/// first byte shorten the count, a negative count is an error.
fn substring(b: &[u8], start: i64, count: Option<i64>) -> Result<Value> {
    let end = match count {
        Some(c) if c < 0 => {
            return Err(Error::new(
                SqlState::from_code("22011"),
                "negative substring length not allowed",
            ))
        }
        Some(c) => start.saturating_add(c),
        None => i64::MAX,
    };
    let clamp = |x: i64| usize::try_from((x - 1).clamp(0, b.len() as i64)).unwrap_or(0);
    let (from, to) = (clamp(start), clamp(end));
    Ok(Value::Bytea(b[from..to.max(from)].to_vec()))
}

/// Strips bytes found in `set` from the start (`left`) and / or the end (`right`).
fn trim(v: &Value, set: &Value, left: bool, right: bool) -> Value {
    let (b, set) = (bytes(v), bytes(set));
    let keep = |x: &u8| !set.contains(x);
    let from = if left { b.iter().position(keep).unwrap_or(b.len()) } else { 0 };
    let to = if right { b.iter().rposition(keep).map_or(from, |p| p + 1) } else { b.len() };
    Value::Bytea(b[from..to.max(from)].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_clamps_like_sql() {
        let b = [1u8, 2, 3];
        assert_eq!(substring(&b, 0, Some(2)).ok(), Some(Value::Bytea(vec![1])));
        assert_eq!(substring(&b, 2, None).ok(), Some(Value::Bytea(vec![2, 3])));
        assert_eq!(substring(&b, 5, Some(1)).ok(), Some(Value::Bytea(vec![])));
        assert!(substring(&b, 1, Some(-1)).is_err());
    }

    #[test]
    fn trims_each_side() {
        let v = Value::Bytea(vec![0, 1, 0, 2, 0]);
        let set = Value::Bytea(vec![0]);
        assert_eq!(trim(&v, &set, true, true), Value::Bytea(vec![1, 0, 2]));
        assert_eq!(trim(&v, &set, false, true), Value::Bytea(vec![0, 1, 0, 2]));
        assert_eq!(trim(&Value::Bytea(vec![0, 0]), &set, true, true), Value::Bytea(vec![]));
    }
}
