//! PostgreSQL ordering of values (`pg_cmp`), the order B-tree indexes and `ORDER BY` use.
//!
//! - `NULL` compares as unknown (`None`); callers apply NULLS FIRST/LAST themselves.
//! - Integers of any width compare with each other, floats with each other (and with
//!   integers, as PostgreSQL promotes them to `double precision`), numerics with all
//!   numbers. Floats: `-0 = 0`, `NaN` is greater than everything and equal to itself;
//!   numeric `NaN` likewise, `-Infinity` and `Infinity` at the ends.
//! - Text and bytea compare bytewise (the C collation).
//! - `date` compares with `timestamp` (midnight); intervals compare by their span with
//!   30-day months and 24-hour days, as PostgreSQL does.
//! - `jsonb` follows PostgreSQL's documented order: Object > Array > Boolean > Number >
//!   String > Null, bigger containers after smaller ones, then element by element; as in
//!   PostgreSQL, a top-level empty array sorts below every scalar.
//! - Arrays compare element by element (a NULL element after any value), then by shape
//!   (see [`crate::array::Array::compare`]).
//! - Values of unrelated types and `json` do not compare (`None`).

use std::cmp::Ordering;

use bigdecimal::BigDecimal;
use serde_json::Value as Json;

use crate::text::calendar::USECS_PER_DAY;
use crate::text::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY,
};
use crate::text::json::sorted_entries;
use crate::text::numeric::parse_numeric;
use crate::{Interval, Numeric, Value};

/// Compares two floats the PostgreSQL way: NaN greatest and equal to itself, -0 = 0.
pub fn cmp_f64(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// Rank of a numeric's kind in PostgreSQL order.
fn numeric_rank(n: &Numeric) -> u8 {
    match n {
        Numeric::NegInf => 0,
        Numeric::Finite(_) => 1,
        Numeric::PosInf => 2,
        Numeric::NaN => 3,
    }
}

/// Compares two numerics: `-Infinity` < finite < `Infinity` < `NaN`.
pub fn cmp_numeric(a: &Numeric, b: &Numeric) -> Ordering {
    match (a, b) {
        (Numeric::Finite(x), Numeric::Finite(y)) => x.cmp(y),
        _ => numeric_rank(a).cmp(&numeric_rank(b)),
    }
}

/// The span of an interval in microseconds, with 30-day months and 24-hour days.
pub fn interval_span(iv: &Interval) -> i128 {
    i128::from(iv.months) * 30 * i128::from(USECS_PER_DAY)
        + i128::from(iv.days) * i128::from(USECS_PER_DAY)
        + i128::from(iv.micros)
}

/// A date as a timestamp at midnight, widened so that no date overflows.
fn date_as_timestamp(d: i32) -> i128 {
    match d {
        DATE_INFINITY => i128::from(TIMESTAMP_INFINITY),
        DATE_NEG_INFINITY => i128::from(TIMESTAMP_NEG_INFINITY),
        _ => i128::from(d) * i128::from(USECS_PER_DAY),
    }
}

/// A numeric-family value widened for comparison.
enum Num {
    Int(i64),
    Float(f64),
    Dec(Numeric),
}

fn as_num(v: &Value) -> Option<Num> {
    Some(match v {
        Value::Int2(x) => Num::Int(i64::from(*x)),
        Value::Int4(x) => Num::Int(i64::from(*x)),
        Value::Int8(x) => Num::Int(*x),
        Value::Float4(x) => Num::Float(f64::from(*x)),
        Value::Float8(x) => Num::Float(*x),
        Value::Numeric(n) => Num::Dec(n.clone()),
        _ => return None,
    })
}

/// A numeric as `f64` (PostgreSQL's numeric → float8 conversion).
pub fn numeric_to_f64(n: &Numeric) -> f64 {
    match n {
        Numeric::NaN => f64::NAN,
        Numeric::PosInf => f64::INFINITY,
        Numeric::NegInf => f64::NEG_INFINITY,
        Numeric::Finite(d) => crate::text::numeric::format_decimal(d).parse().unwrap_or(f64::NAN),
    }
}

fn cmp_num(a: Num, b: Num) -> Ordering {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Dec(x), Num::Dec(y)) => cmp_numeric(&x, &y),
        (Num::Dec(x), Num::Int(y)) => cmp_numeric(&x, &Numeric::finite(BigDecimal::from(y))),
        (Num::Int(x), Num::Dec(y)) => cmp_numeric(&Numeric::finite(BigDecimal::from(x)), &y),
        (Num::Float(x), Num::Float(y)) => cmp_f64(x, y),
        (Num::Float(x), Num::Int(y)) => cmp_f64(x, y as f64),
        (Num::Int(x), Num::Float(y)) => cmp_f64(x as f64, y),
        (Num::Float(x), Num::Dec(y)) => cmp_f64(x, numeric_to_f64(&y)),
        (Num::Dec(x), Num::Float(y)) => cmp_f64(numeric_to_f64(&x), y),
    }
}

fn jsonb_rank(v: &Json) -> u8 {
    match v {
        Json::Null => 0,
        Json::String(_) => 1,
        Json::Number(_) => 2,
        Json::Bool(_) => 3,
        Json::Array(_) => 4,
        Json::Object(_) => 5,
    }
}

fn json_number(n: &serde_json::Number) -> Numeric {
    parse_numeric(&n.to_string()).unwrap_or(Numeric::NaN)
}

/// Compares two top-level `jsonb` documents as PostgreSQL does: its documented order,
/// plus PostgreSQL's anomaly that a top-level empty array sorts below every scalar.
pub fn cmp_jsonb_top(a: &Json, b: &Json) -> Ordering {
    let empty = |j: &Json| matches!(j, Json::Array(items) if items.is_empty());
    let scalar = |j: &Json| !matches!(j, Json::Array(_) | Json::Object(_));
    if empty(a) && scalar(b) {
        Ordering::Less
    } else if scalar(a) && empty(b) {
        Ordering::Greater
    } else {
        cmp_jsonb(a, b)
    }
}

/// Compares two `jsonb` values in PostgreSQL's documented order (nested values; use
/// [`cmp_jsonb_top`] for whole documents).
pub fn cmp_jsonb(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::String(x), Json::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Json::Number(x), Json::Number(y)) => cmp_numeric(&json_number(x), &json_number(y)),
        (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
        (Json::Array(x), Json::Array(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|(p, q)| cmp_jsonb(p, q))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        (Json::Object(x), Json::Object(y)) => x.len().cmp(&y.len()).then_with(|| {
            let (ex, ey) = (sorted_entries(x), sorted_entries(y));
            for ((kx, vx), (ky, vy)) in ex.iter().zip(&ey) {
                let o = kx.len().cmp(&ky.len()).then_with(|| kx.as_bytes().cmp(ky.as_bytes()));
                if o.is_ne() {
                    return o;
                }
                let o = cmp_jsonb(vx, vy);
                if o.is_ne() {
                    return o;
                }
            }
            Ordering::Equal
        }),
        _ => jsonb_rank(a).cmp(&jsonb_rank(b)),
    }
}

impl Value {
    /// PostgreSQL's comparison of two non-NULL values of compatible types; `None` when
    /// either is NULL or the types do not compare.
    pub fn pg_cmp(&self, other: &Value) -> Option<Ordering> {
        use Value as V;
        Some(match (self, other) {
            (V::Null, _) | (_, V::Null) => return None,
            (V::Int4(a), V::Int4(b)) => a.cmp(b),
            (V::Int8(a), V::Int8(b)) => a.cmp(b),
            (V::Float8(a), V::Float8(b)) => cmp_f64(*a, *b),
            (V::Numeric(a), V::Numeric(b)) => cmp_numeric(a, b),
            (V::Bool(a), V::Bool(b)) => a.cmp(b),
            (V::Text(a), V::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (V::Bytea(a), V::Bytea(b)) => a.cmp(b),
            (V::Enum(a), V::Enum(b)) => return a.compare(b),
            (V::Record(a), V::Record(b)) => return a.compare(b),
            (V::Range(a), V::Range(b)) if a.ty.oid == b.ty.oid => a.compare(b),
            (V::Multirange(a), V::Multirange(b)) if a.ty.oid == b.ty.oid => a.compare(b),
            (V::Date(a), V::Date(b)) => a.cmp(b),
            (V::Date(a), V::Timestamp(b)) => date_as_timestamp(*a).cmp(&i128::from(*b)),
            (V::Timestamp(a), V::Date(b)) => i128::from(*a).cmp(&date_as_timestamp(*b)),
            (V::Time(a), V::Time(b)) => a.cmp(b),
            (V::TimeTz(a), V::TimeTz(b)) => a.cmp(b),
            (V::Timestamp(a), V::Timestamp(b)) | (V::TimestampTz(a), V::TimestampTz(b)) => a.cmp(b),
            (V::Interval(a), V::Interval(b)) => interval_span(a).cmp(&interval_span(b)),
            (V::Uuid(a), V::Uuid(b)) => a.cmp(b),
            (V::Inet(a) | V::Cidr(a), V::Inet(b) | V::Cidr(b)) => a.cmp(b),
            (V::MacAddr(a), V::MacAddr(b)) => a.cmp(b),
            (V::Jsonb(a), V::Jsonb(b)) => cmp_jsonb_top(a, b),
            (V::Array(a), V::Array(b)) => a.compare(b)?,
            (V::Vector(a), V::Vector(b)) => a
                .iter()
                .zip(b.iter())
                .map(|(x, y)| cmp_f64(f64::from(*x), f64::from(*y)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.len().cmp(&b.len())),
            _ => cmp_num(as_num(self)?, as_num(other)?),
        })
    }

    /// Whether two values are equal under [`Value::pg_cmp`]; NULLs are never equal.
    pub fn pg_eq(&self, other: &Value) -> bool {
        self.pg_cmp(other) == Some(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataType;
    use proptest::prelude::*;

    fn p(s: &str, ty: DataType) -> Value {
        Value::parse_pg_text(s, &ty).unwrap()
    }

    #[test]
    fn floats_follow_postgres() {
        let order = [f64::NEG_INFINITY, -1.0, -0.0, 1e-300, 1.0, f64::INFINITY, f64::NAN];
        for w in order.windows(2) {
            assert_eq!(Value::Float8(w[0]).pg_cmp(&Value::Float8(w[1])), Some(Ordering::Less));
        }
        assert!(Value::Float8(-0.0).pg_eq(&Value::Float8(0.0)));
        assert!(Value::Float8(f64::NAN).pg_eq(&Value::Float8(f64::NAN)));
        assert!(Value::Float4(0.5).pg_eq(&Value::Float8(0.5)));
        assert!(Value::Int2(3).pg_eq(&Value::Int8(3)));
        assert!(Value::Int4(3).pg_eq(&Value::Float8(3.0)));
    }

    #[test]
    fn numerics_and_specials() {
        let n = |s| p(s, DataType::Numeric(None));
        let order = ["-Infinity", "-5", "0", "1.5", "Infinity", "NaN"];
        for w in order.windows(2) {
            assert_eq!(n(w[0]).pg_cmp(&n(w[1])), Some(Ordering::Less), "{w:?}");
        }
        assert!(n("1.50").pg_eq(&n("1.5")));
        assert!(n("NaN").pg_eq(&n("NaN")));
        assert!(n("2").pg_eq(&Value::Int4(2)));
        assert_eq!(n("2.5").pg_cmp(&Value::Int8(2)), Some(Ordering::Greater));
    }

    #[test]
    fn other_types() {
        assert_eq!(Value::Null.pg_cmp(&Value::Null), None);
        assert_eq!(Value::Int4(1).pg_cmp(&Value::Text("1".into())), None);
        assert_eq!(Value::Text("B".into()).pg_cmp(&Value::Text("a".into())), Some(Ordering::Less));
        let iv = |s| p(s, DataType::Interval);
        assert!(iv("1 mon").pg_eq(&iv("30 days")));
        assert!(iv("1 day").pg_eq(&iv("24 hours")));
        assert_eq!(iv("1 mon").pg_cmp(&iv("29 days")), Some(Ordering::Greater));
        assert!(p("2024-01-02", DataType::Date).pg_eq(&p("2024-01-02 00:00", DataType::Timestamp)));
        let j = |s| p(s, DataType::Jsonb);
        assert!(j("1.0").pg_eq(&j("1")));
        assert_eq!(j("{}").pg_cmp(&j("[1,2,3]")), Some(Ordering::Greater));
        assert_eq!(j("[1,2]").pg_cmp(&j("[3]")), Some(Ordering::Greater));
        assert_eq!(j("true").pg_cmp(&j("1000")), Some(Ordering::Greater));
        assert_eq!(j("null").pg_cmp(&j("\"a\"")), Some(Ordering::Less));
        assert_eq!(j("[]").pg_cmp(&j("null")), Some(Ordering::Less));
        assert_eq!(j("[[]]").pg_cmp(&j("[null]")), Some(Ordering::Greater));
        let a = |s| p(s, DataType::Array(Box::new(DataType::Int4)));
        assert_eq!(a("{1,2}").pg_cmp(&a("{1,2,0}")), Some(Ordering::Less));
        assert_eq!(a("{1,NULL}").pg_cmp(&a("{1,5}")), Some(Ordering::Greater));
        assert!(a("{NULL}").pg_eq(&a("{NULL}")));
        assert_eq!(a("{2}").pg_cmp(&a("{1,9}")), Some(Ordering::Greater));
    }

    proptest! {
        #[test]
        fn int_order_matches_rust(a in any::<i64>(), b in any::<i64>()) {
            prop_assert_eq!(Value::Int8(a).pg_cmp(&Value::Int8(b)), Some(a.cmp(&b)));
        }
    }
}
