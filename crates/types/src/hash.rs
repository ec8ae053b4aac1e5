//! Hashing consistent with [`Value::pg_cmp`] equality, for hash joins, hash aggregation
//! and `DISTINCT`.
//!
//! [`HashableValue`] wraps a value so it can key a `HashMap`: two wrapped values are equal
//! when they are in the same type family and `pg_cmp` says equal, and `NULL` equals
//! `NULL` (GROUP BY and DISTINCT put NULLs together). Families: integers of any width;
//! floats of any width; numeric; each other type on its own. The SQL layer coerces both
//! sides of a join key to one type first, so cross-family equality is never needed here.

use std::hash::{Hash, Hasher};

use bigdecimal::num_bigint::BigInt;
use bigdecimal::num_traits::Zero;
use serde_json::Value as Json;

use crate::compare::interval_span;
use crate::{Numeric, Value};

/// A value usable as a `HashMap` key with PostgreSQL equality (see the module docs).
#[derive(Clone, Debug)]
pub struct HashableValue(pub Value);

/// The type family deciding which values may be equal: values of different families
/// are never equal under [`HashableValue`] (integers of any width share one family,
/// floats another).
pub fn hash_family(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => 2,
        Value::Float4(_) | Value::Float8(_) => 3,
        Value::Numeric(_) => 4,
        Value::Text(_) => 5,
        Value::Bytea(_) => 6,
        Value::Date(_) => 7,
        Value::Time(_) => 8,
        Value::TimeTz(_) => 21,
        Value::Timestamp(_) => 9,
        Value::TimestampTz(_) => 10,
        Value::Interval(_) => 11,
        Value::Uuid(_) => 12,
        // `cidr` is binary-coercible to `inet`: the two compare and hash as one.
        Value::Inet(_) | Value::Cidr(_) => 22,
        Value::MacAddr(_) => 23,
        Value::Json(_) => 13,
        Value::Jsonb(_) => 14,
        Value::Array(_) => 15,
        Value::Vector(_) => 16,
        Value::Enum(_) => 17,
        Value::Record(_) => 20,
        Value::Range(_) => 18,
        Value::Multirange(_) => 19,
    }
}

impl PartialEq for HashableValue {
    fn eq(&self, other: &Self) -> bool {
        hash_eq(&self.0, &other.0)
    }
}

/// The equality [`HashableValue`] uses, on borrowed values: same type family and equal
/// by `pg_cmp`, with NULL equal to NULL.
pub fn hash_eq(a: &Value, b: &Value) -> bool {
    // The common same-type cases first (text compares bytewise, like `pg_cmp`).
    match (a, b) {
        (Value::Int8(x), Value::Int8(y)) => return x == y,
        (Value::Int4(x), Value::Int4(y)) => return x == y,
        (Value::Text(x), Value::Text(y)) => return x == y,
        (Value::Bool(x), Value::Bool(y)) => return x == y,
        (Value::Date(x), Value::Date(y)) => return x == y,
        _ => {}
    }
    if hash_family(a) != hash_family(b) {
        return false;
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Json(x), Value::Json(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.elements.len() == y.elements.len()
                && x.dims == y.dims
                && x.elements.iter().zip(&y.elements).all(|(p, q)| hash_eq(p, q))
        }
        (Value::Record(x), Value::Record(y)) => {
            x.fields.len() == y.fields.len()
                && x.fields.iter().zip(&y.fields).all(|(p, q)| hash_eq(p, q))
        }
        _ => a.pg_eq(b),
    }
}

impl Eq for HashableValue {}

impl Hash for HashableValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash_key(state);
    }
}

/// Hashes a finite decimal by its value: trailing zeros removed, so `1.50` and `1.5`
/// hash alike.
fn hash_decimal<H: Hasher>(int: &BigInt, scale: i64, state: &mut H) {
    if int.is_zero() {
        0u8.hash(state);
        return;
    }
    let mut digits = int.to_string();
    let mut scale = scale;
    while digits.ends_with('0') {
        digits.pop();
        scale -= 1;
    }
    digits.hash(state);
    scale.hash(state);
}

fn hash_json<H: Hasher>(doc: &Json, state: &mut H) {
    match doc {
        Json::Null => 0u8.hash(state),
        Json::Bool(b) => (1u8, b).hash(state),
        Json::Number(n) => {
            2u8.hash(state);
            match crate::text::numeric::parse_numeric(&n.to_string()) {
                Ok(Numeric::Finite(d)) => {
                    let (int, scale) = d.as_bigint_and_exponent();
                    hash_decimal(&int, scale, state);
                }
                _ => n.to_string().hash(state),
            }
        }
        Json::String(s) => (3u8, s).hash(state),
        Json::Array(items) => {
            (4u8, items.len()).hash(state);
            items.iter().for_each(|i| hash_json(i, state));
        }
        Json::Object(map) => {
            (5u8, map.len()).hash(state);
            for (k, v) in map {
                k.hash(state);
                hash_json(v, state);
            }
        }
    }
}

fn canonical_f64_bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

impl Value {
    /// Feeds a hash of the value into `state`, consistent with [`HashableValue`]
    /// equality: values equal under PostgreSQL semantics within a type family hash alike
    /// (`1::int2` and `1::int8`, `-0.0` and `0.0`, `1.5` and `1.50`, `1 mon` and
    /// `30 days`).
    pub fn hash_key<H: Hasher>(&self, state: &mut H) {
        hash_family(self).hash(state);
        match self {
            Value::Null => {}
            Value::Bool(b) => b.hash(state),
            Value::Int2(v) => i64::from(*v).hash(state),
            Value::Int4(v) => i64::from(*v).hash(state),
            Value::Int8(v) => v.hash(state),
            Value::Float4(v) => canonical_f64_bits(f64::from(*v)).hash(state),
            Value::Float8(v) => canonical_f64_bits(*v).hash(state),
            Value::Numeric(n) => match n {
                Numeric::Finite(d) => {
                    let (int, scale) = d.as_bigint_and_exponent();
                    hash_decimal(&int, scale, state);
                }
                other => std::mem::discriminant(other).hash(state),
            },
            Value::Text(s) | Value::Json(s) => s.hash(state),
            Value::Bytea(b) => b.hash(state),
            Value::Date(d) => d.hash(state),
            Value::Time(t) | Value::Timestamp(t) | Value::TimestampTz(t) => t.hash(state),
            Value::TimeTz(t) => t.hash(state),
            Value::Interval(iv) => interval_span(iv).hash(state),
            Value::Uuid(u) => u.hash(state),
            Value::Inet(a) | Value::Cidr(a) => a.hash(state),
            Value::MacAddr(m) => m.hash(state),
            Value::Jsonb(doc) => hash_json(doc, state),
            Value::Array(a) => {
                a.elements.len().hash(state);
                a.dims.hash(state);
                a.elements.iter().for_each(|e| e.hash_key(state));
            }
            Value::Record(r) => {
                r.fields.len().hash(state);
                r.fields.iter().for_each(|e| e.hash_key(state));
            }
            Value::Enum(e) => {
                e.ty.oid.hash(state);
                e.key().hash(state);
            }
            Value::Range(r) => hash_range(r, state),
            Value::Multirange(m) => {
                m.ty.oid.hash(state);
                m.ranges.len().hash(state);
                m.ranges.iter().for_each(|r| hash_range(r, state));
            }
            Value::Vector(v) => {
                v.len().hash(state);
                v.iter().for_each(|x| canonical_f64_bits(f64::from(*x)).hash(state));
            }
        }
    }
}

/// Hashes a range consistently with its equality: type, emptiness, then each bound's
/// value (or infinity) and inclusivity.
fn hash_range<H: Hasher>(r: &crate::RangeValue, state: &mut H) {
    r.ty.oid.hash(state);
    r.empty.hash(state);
    if r.empty {
        return;
    }
    for b in [&r.lower, &r.upper] {
        b.inclusive.hash(state);
        match &b.value {
            Some(v) => v.hash_key(state),
            None => 0xFFu8.hash(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataType;
    use std::collections::hash_map::DefaultHasher;
    use std::collections::HashSet;

    fn h(v: &Value) -> u64 {
        let mut s = DefaultHasher::new();
        v.hash_key(&mut s);
        s.finish()
    }

    fn p(s: &str, ty: DataType) -> Value {
        Value::parse_pg_text(s, &ty).unwrap()
    }

    #[test]
    fn hash_eq_fast_paths_agree_with_pg_eq() {
        let vals = [
            Value::Null,
            Value::Int4(1),
            Value::Int8(1),
            Value::Int8(2),
            Value::Text("a".into()),
            Value::Text("a ".into()),
            Value::Bool(true),
            Value::Date(3),
        ];
        for a in &vals {
            for b in &vals {
                let want = match (a, b) {
                    (Value::Null, Value::Null) => true,
                    _ => hash_family(a) == hash_family(b) && a.pg_eq(b),
                };
                assert_eq!(hash_eq(a, b), want, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn equal_values_hash_alike() {
        let pairs = [
            (Value::Int2(7), Value::Int8(7)),
            (Value::Float8(-0.0), Value::Float8(0.0)),
            (Value::Float8(f64::NAN), Value::Float8(-f64::NAN)),
            (Value::Float4(0.5), Value::Float8(0.5)),
            (p("1.50", DataType::Numeric(None)), p("1.5", DataType::Numeric(None))),
            (p("100", DataType::Numeric(None)), p("1e2", DataType::Numeric(None))),
            (p("1 mon", DataType::Interval), p("30 days", DataType::Interval)),
            (p(r#"{"a": 1.0}"#, DataType::Jsonb), p(r#"{"a": 1}"#, DataType::Jsonb)),
        ];
        for (a, b) in pairs {
            assert_eq!(HashableValue(a.clone()), HashableValue(b.clone()), "{a:?} {b:?}");
            assert_eq!(h(&a), h(&b), "{a:?} {b:?}");
        }
        assert_ne!(HashableValue(Value::Int4(1)), HashableValue(Value::Float8(1.0)));
        assert_ne!(HashableValue(Value::Int4(1)), HashableValue(Value::Int4(2)));
    }

    #[test]
    fn groups_nulls_together() {
        let mut set = HashSet::new();
        for v in [Value::Null, Value::Null, Value::Int4(1), Value::Int8(1), Value::Text("a".into())]
        {
            set.insert(HashableValue(v));
        }
        assert_eq!(set.len(), 3);
        let arr = |s| HashableValue(p(s, DataType::Array(Box::new(DataType::Int4))));
        assert_eq!(arr("{1,NULL}"), arr("{1,NULL}"));
        assert_ne!(arr("{1,NULL}"), arr("{1,2}"));
    }
}
