//! `extract(field FROM x)` (numeric result) and `date_part(field, x)` (double
//! precision) for dates, times, timestamps and intervals. The fields themselves are
//! computed by `helios_types::datetime::extract_*` (with PostgreSQL's answers for
//! infinite values: `±Infinity` for the growing fields, NULL for the others).

use helios_common::Result;
use helios_types::text::calendar::days_from_civil;
use helios_types::{datetime as dt, DataType, Value};

use crate::expr::EvalContext;
use crate::functions::datetime::text;
use crate::functions::registry::{p, Registry, ReturnType};

/// Registers extract and date_part.
pub(crate) fn register(r: &mut Registry) {
    use DataType::{Date, Float8, Interval as Iv, Text, Time, TimeTz, Timestamp, TimestampTz};
    for t in [Date, Time, TimeTz, Timestamp, TimestampTz, Iv] {
        r.add(
            "extract",
            vec![p(Text), p(t.clone())],
            ReturnType::Exact(DataType::Numeric(None)),
            |a, ctx| part(&text(&a[0]), &a[1], ctx),
        );
        r.add("date_part", vec![p(Text), p(t)], ReturnType::Exact(Float8), |a, ctx| {
            let n = part(&text(&a[0]), &a[1], ctx)?;
            if n.is_null() {
                return Ok(Value::Null);
            }
            n.cast(&Float8)
        });
    }
}

/// The field of a date/time value as a numeric (NULL for a field an infinite value
/// does not have).
fn part(field: &str, v: &Value, ctx: &dyn EvalContext) -> Result<Value> {
    let field = field.trim();
    Ok(match v {
        Value::Date(d) => dt::extract_date(field, *d)?,
        Value::Time(t) => dt::extract_time(field, *t)?,
        Value::TimeTz(t) => dt::timetz::extract(field, t)?,
        Value::Timestamp(t) => dt::extract_timestamp(field, *t)?,
        Value::TimestampTz(t) => dt::extract_timestamptz(field, *t, &ctx.time_zone())?,
        Value::Interval(i) => dt::extract_interval(field, i)?,
        _ => Value::Null,
    })
}

/// ISO 8601 (year, week) of a day number.
pub(crate) fn iso_week(days: i64) -> (i64, i64) {
    let isodow = (days + 5).rem_euclid(7) + 1; // Monday = 1
    let thursday = days - isodow + 4;
    let (year, _, _) = helios_types::text::calendar::civil_from_days(thursday);
    let jan1 = days_from_civil(year, 1, 1);
    (year, (thursday - jan1) / 7 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks() {
        // 2021-01-03 (Sunday) is in ISO week 53 of 2020.
        assert_eq!(iso_week(days_from_civil(2021, 1, 3)), (2020, 53));
        assert_eq!(iso_week(days_from_civil(2024, 12, 30)), (2025, 1));
    }
}
