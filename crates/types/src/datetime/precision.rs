//! Rounding to a declared fractional-second precision (`timestamp(2)`, `time(0)`, `timetz(1)`,
//! `interval(3)`), as PostgreSQL's `AdjustTimestampForTypmod` and friends do: half
//! away from zero, infinities untouched.

use crate::text::datetime::{TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY};
use crate::Value;

/// Rounds `micros` to `precision` fractional digits of a second (half away from zero).
pub fn round_micros(micros: i64, precision: u8) -> i64 {
    if precision >= 6 {
        return micros;
    }
    let scale = 10i64.pow(6 - u32::from(precision));
    let round = |t: i64| t.saturating_add(scale / 2) / scale * scale;
    if micros >= 0 {
        round(micros)
    } else {
        -round(micros.saturating_neg())
    }
}

/// Rounds a `time`, `timestamp`, `timestamptz` or `interval` value in place; other
/// values are left as they are.
pub fn round_to_precision(v: &mut Value, precision: u8) {
    match v {
        Value::Timestamp(t) | Value::TimestampTz(t)
            if *t != TIMESTAMP_INFINITY && *t != TIMESTAMP_NEG_INFINITY =>
        {
            *t = round_micros(*t, precision);
        }
        Value::Time(t) => *t = round_micros(*t, precision),
        Value::TimeTz(t) => t.micros = round_micros(t.micros, precision),
        Value::Interval(iv) => iv.micros = round_micros(iv.micros, precision),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_micros(1_000_001, 2), 1_000_000);
        assert_eq!(round_micros(1_999_999, 2), 2_000_000);
        assert_eq!(round_micros(1_005_000, 2), 1_010_000);
        assert_eq!(round_micros(-1_005_000, 2), -1_010_000);
        assert_eq!(round_micros(123_456, 6), 123_456);
        assert_eq!(round_micros(499_999, 0), 0);
        let mut v = Value::Timestamp(TIMESTAMP_INFINITY);
        round_to_precision(&mut v, 0);
        assert_eq!(v, Value::Timestamp(TIMESTAMP_INFINITY));
        let mut t = Value::Time(86_399_999_999);
        round_to_precision(&mut t, 2);
        assert_eq!(t, Value::Time(86_400_000_000));
    }
}
