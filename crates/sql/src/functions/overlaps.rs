//! `(start1, end1) OVERLAPS (start2, end2)` for `time`, `timetz`, `timestamp` and `timestamptz`
//! periods, as PostgreSQL's `overlaps(...)` functions. The binder turns the operator
//! (and a period given as a start and an interval) into a call of `overlaps` over four
//! values of one type; see `Binder::bind_overlaps`.
//!
//! A period's endpoints may come in either order. NULL endpoints give NULL unless the
//! answer is known without them (SQL's rule): a period with one NULL endpoint is the
//! instant at the other one, open-ended.

use helios_common::Result;
use helios_types::{DataType, Value};

use crate::expr::EvalContext;
use crate::functions::registry::{p, Registry, ReturnType};

/// Registers `overlaps` for the time and timestamp types.
pub(crate) fn register(r: &mut Registry) {
    for t in [DataType::TimestampTz, DataType::Timestamp, DataType::Time, DataType::TimeTz] {
        r.add("overlaps", vec![p(t.clone()); 4], ReturnType::Exact(DataType::Bool), overlaps)
            .lenient();
    }
}

/// A key ordering a time value as PostgreSQL compares its type: the microsecond count,
/// for `timetz` the instant and then the zone west of UTC; `None` for NULL.
fn micros(v: &Value) -> Option<i128> {
    match v {
        Value::Time(n) | Value::Timestamp(n) | Value::TimestampTz(n) => Some(i128::from(*n)),
        Value::TimeTz(t) => Some((i128::from(t.utc_micros()) << 32) + i128::from(t.zone_west())),
        _ => None,
    }
}

/// One period: its lesser endpoint and its other endpoint (`None`: NULL). `None` when
/// both endpoints are NULL.
fn period(start: &Value, end: &Value) -> Option<(i128, Option<i128>)> {
    match (micros(start), micros(end)) {
        (None, None) => None,
        (Some(s), None) | (None, Some(s)) => Some((s, None)),
        (Some(s), Some(e)) => Some((s.min(e), Some(s.max(e)))),
    }
}

fn overlaps(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let (Some((s1, e1)), Some((s2, e2))) = (period(&a[0], &a[1]), period(&a[2], &a[3])) else {
        return Ok(Value::Null);
    };
    // The period that starts later overlaps the other when it starts before the other
    // ends; with equal starts they overlap whenever both ends are known.
    let answer = match s1.cmp(&s2) {
        std::cmp::Ordering::Greater => later_starts_inside(s1, e1, e2),
        std::cmp::Ordering::Less => later_starts_inside(s2, e2, e1),
        std::cmp::Ordering::Equal => e1.and(e2).map(|_| true),
    };
    Ok(answer.map_or(Value::Null, Value::Bool))
}

/// Whether a period starting at `later` (ending at `later_end`) overlaps one that
/// started earlier and ends at `earlier_end`: true when `later` is before
/// `earlier_end`; false when not and `later_end` is known; NULL otherwise.
fn later_starts_inside(
    later: i128,
    later_end: Option<i128>,
    earlier_end: Option<i128>,
) -> Option<bool> {
    match earlier_end {
        None => None,
        Some(end) if later < end => Some(true),
        Some(_) => later_end.map(|_| false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::SimpleContext;

    fn ts(n: i64) -> Value {
        Value::Timestamp(n)
    }

    fn call(v: [Value; 4]) -> Value {
        overlaps(&v, &SimpleContext::default()).expect("overlaps never fails")
    }

    #[test]
    fn overlapping_and_disjoint_periods() {
        assert_eq!(call([ts(0), ts(10), ts(5), ts(20)]), Value::Bool(true));
        assert_eq!(call([ts(10), ts(0), ts(20), ts(5)]), Value::Bool(true));
        assert_eq!(call([ts(0), ts(10), ts(10), ts(20)]), Value::Bool(false));
        assert_eq!(call([ts(5), ts(5), ts(5), ts(9)]), Value::Bool(true));
    }

    #[test]
    fn null_endpoints() {
        assert_eq!(call([ts(0), Value::Null, ts(0), ts(3)]), Value::Null);
        assert_eq!(call([ts(0), ts(10), ts(5), Value::Null]), Value::Bool(true));
        assert_eq!(call([ts(20), Value::Null, ts(0), ts(10)]), Value::Null);
        assert_eq!(call([ts(20), ts(30), ts(0), ts(10)]), Value::Bool(false));
        assert_eq!(call([Value::Null, Value::Null, ts(0), ts(10)]), Value::Null);
    }

    #[test]
    fn timetz_periods_compare_instants() {
        let h = 3_600_000_000;
        let tz = |hours: i64, off: i32| Value::TimeTz(helios_types::TimeTz::new(hours * h, off));
        // 10:00-12:00 UTC against 13:00+02 (11:00 UTC) to 15:00+02, and against 15:00+02
        // (13:00 UTC) to 16:00+02.
        assert_eq!(call([tz(10, 0), tz(12, 0), tz(13, 7200), tz(15, 7200)]), Value::Bool(true));
        assert_eq!(call([tz(10, 0), tz(12, 0), tz(15, 7200), tz(16, 7200)]), Value::Bool(false));
    }
}
