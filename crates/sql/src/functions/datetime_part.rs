//! `extract(field FROM x)` (numeric result) and `date_part(field, x)` (double
//! precision) for dates, times, timestamps and intervals.

use bigdecimal::BigDecimal;
use helios_common::{Error, Result, SqlState};
use helios_types::text::calendar::{days_from_civil, USECS_PER_DAY};
use helios_types::{DataType, Interval, Numeric, Value};

use crate::expr::EvalContext;
use crate::functions::datetime::{split, text, to_local};
use crate::functions::registry::{p, Registry, ReturnType};

/// Registers extract and date_part.
pub(crate) fn register(r: &mut Registry) {
    use DataType::{Date, Float8, Interval as Iv, Text, Time, Timestamp, TimestampTz};
    for t in [Date, Time, Timestamp, TimestampTz, Iv] {
        r.add(
            "extract",
            vec![p(Text), p(t.clone())],
            ReturnType::Exact(DataType::Numeric(None)),
            |a, ctx| {
                let (n, scale) = part(&text(&a[0]), &a[1], ctx)?;
                Ok(Value::Numeric(to_numeric(n, scale)))
            },
        );
        r.add("date_part", vec![p(Text), p(t)], ReturnType::Exact(Float8), |a, ctx| {
            let (n, scale) = part(&text(&a[0]), &a[1], ctx)?;
            #[allow(clippy::cast_precision_loss)]
            let f = n as f64 / 10f64.powi(i32::try_from(scale).unwrap_or(0));
            Ok(Value::Float8(f))
        });
    }
}

/// A fixed-point result: `n / 10^scale`.
fn to_numeric(n: i128, scale: i64) -> Numeric {
    Numeric::finite(BigDecimal::new(n.into(), scale))
}

fn unsupported(field: &str, ty: &str) -> Error {
    Error::new(
        SqlState::FEATURE_NOT_SUPPORTED,
        format!("unit \"{field}\" not supported for type {ty}"),
    )
}

fn unknown(field: &str, ty: &str) -> Error {
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("unit \"{field}\" not recognized for type {ty}"),
    )
}

const PG_EPOCH_UNIX_SECS: i128 = 946_684_800;

/// The field as a fixed-point number (value, scale).
fn part(field: &str, v: &Value, ctx: &dyn EvalContext) -> Result<(i128, i64)> {
    let field = field.trim();
    let field = match field {
        "years" => "year",
        "months" | "mon" | "mons" => "month",
        "days" => "day",
        "hours" | "h" | "hr" | "hrs" => "hour",
        "minutes" | "m" | "min" | "mins" => "minute",
        "seconds" | "s" | "sec" | "secs" => "second",
        "millisecond" | "ms" | "msec" | "msecs" => "milliseconds",
        "microsecond" | "us" | "usec" | "usecs" => "microseconds",
        other => other,
    };
    match v {
        Value::Interval(i) => interval_part(field, *i),
        Value::Time(t) => time_part(field, *t, "time without time zone"),
        Value::Date(d) => {
            let ts = i64::from(*d) * USECS_PER_DAY;
            if matches!(
                field,
                "hour"
                    | "minute"
                    | "second"
                    | "milliseconds"
                    | "microseconds"
                    | "timezone"
                    | "timezone_hour"
                    | "timezone_minute"
            ) {
                return Err(unsupported(field, "date"));
            }
            if field == "epoch" {
                return Ok((i128::from(*d) * 86_400 + PG_EPOCH_UNIX_SECS, 0));
            }
            ts_part(field, ts, "date")
        }
        Value::Timestamp(t) => {
            if field == "epoch" {
                return Ok((i128::from(*t) + PG_EPOCH_UNIX_SECS * 1_000_000, 6));
            }
            if field.starts_with("timezone") {
                return Err(unsupported(field, "timestamp without time zone"));
            }
            ts_part(field, *t, "timestamp without time zone")
        }
        Value::TimestampTz(t) => {
            let offset = i128::from(ctx.time_zone().offset_at(*t));
            match field {
                "epoch" => Ok((i128::from(*t) + PG_EPOCH_UNIX_SECS * 1_000_000, 6)),
                "timezone" => Ok((offset, 0)),
                "timezone_hour" => Ok((offset / 3600, 0)),
                "timezone_minute" => Ok((offset / 60 % 60, 0)),
                _ => ts_part(field, to_local(*t, ctx), "timestamp with time zone"),
            }
        }
        _ => Err(Error::internal("extract from a non-datetime value")),
    }
}

fn time_part(field: &str, t: i64, ty: &str) -> Result<(i128, i64)> {
    let t = i128::from(t);
    Ok(match field {
        "hour" => (t / 3_600_000_000, 0),
        "minute" => (t / 60_000_000 % 60, 0),
        "second" => (t % 60_000_000, 6),
        "milliseconds" => (t % 60_000_000, 3),
        "microseconds" => (t % 60_000_000, 0),
        "epoch" => (t, 6),
        _ => return Err(unknown(field, ty)),
    })
}

fn ts_part(field: &str, ts: i64, ty: &str) -> Result<(i128, i64)> {
    let p = split(ts);
    let days = ts.div_euclid(USECS_PER_DAY);
    let year = i128::from(p.year);
    // Years before 1 AD are shown as negative years without a year zero.
    let shown_year = if p.year <= 0 { year - 1 } else { year };
    Ok(match field {
        "year" => (shown_year, 0),
        "month" => (i128::from(p.month), 0),
        "day" => (i128::from(p.day), 0),
        "quarter" => (i128::from((p.month - 1) / 3 + 1), 0),
        "decade" => (year.div_euclid(10), 0),
        "century" => (if year > 0 { (year + 99) / 100 } else { -((99 - year) / 100) }, 0),
        "millennium" => (if year > 0 { (year + 999) / 1000 } else { -((999 - year) / 1000) }, 0),
        "dow" => (i128::from((days + 6).rem_euclid(7)), 0),
        "isodow" => (i128::from((days + 5).rem_euclid(7) + 1), 0),
        "doy" => (i128::from(days - days_from_civil(p.year, 1, 1) + 1), 0),
        "week" => (i128::from(iso_week(days).1), 0),
        "isoyear" => (i128::from(iso_week(days).0), 0),
        "julian" => {
            let jd = i128::from(days) + 2_451_545;
            if p.time == 0 {
                (jd, 0)
            } else {
                ((jd * 86_400_000_000 + i128::from(p.time)) * 1_000_000 / 86_400_000_000, 6)
            }
        }
        "hour" | "minute" | "second" | "milliseconds" | "microseconds" => {
            time_part(field, p.time, ty)?
        }
        _ => return Err(unknown(field, ty)),
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

fn interval_part(field: &str, i: Interval) -> Result<(i128, i64)> {
    let months = i128::from(i.months);
    let micros = i128::from(i.micros);
    Ok(match field {
        "year" => (months / 12, 0),
        "month" => (months % 12, 0),
        "day" => (i128::from(i.days), 0),
        "quarter" => ((months % 12) / 3 + 1, 0),
        "decade" => (months / 120, 0),
        "century" => (months / 1200, 0),
        "millennium" => (months / 12000, 0),
        "hour" => (micros / 3_600_000_000, 0),
        "minute" => (micros / 60_000_000 % 60, 0),
        "second" => (micros % 60_000_000, 6),
        "milliseconds" => (micros % 60_000_000, 3),
        "microseconds" => (micros % 60_000_000, 0),
        "epoch" => {
            // Years are 365.25 days, months 30 days.
            let secs_micros = (months / 12) * 31_557_600_000_000
                + (months % 12) * 2_592_000_000_000
                + i128::from(i.days) * 86_400_000_000
                + micros;
            (secs_micros, 6)
        }
        _ => return Err(unknown(field, "interval")),
    })
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
