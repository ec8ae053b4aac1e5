//! `extract(field from x)` (PostgreSQL 14+: the result is `numeric`) for `timestamp`,
//! `timestamptz`, `date`, `time` and `interval`.

use bigdecimal::BigDecimal;

use super::units::{not_supported, Unit};
use crate::error::TypeResult;
use crate::numeric_ops;
use crate::text::calendar::{
    civil_from_days, days_from_civil, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE,
    USECS_PER_SEC,
};
use crate::text::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY,
};
use crate::text::TimeZone;
use crate::{Interval, Numeric, Value};

/// Julian day number of 2000-01-01.
const JULIAN_2000: i64 = 2_451_545;
/// Seconds from 1970-01-01 to 2000-01-01.
const UNIX_TO_PG_SECS: i64 = 946_684_800;

fn num(int: i64, scale: i64) -> Value {
    Value::Numeric(Numeric::finite(BigDecimal::new(int.into(), scale)))
}

/// Weekday with 0 = Sunday.
fn dow(day: i64) -> i64 {
    (day + 6).rem_euclid(7)
}

/// ISO 8601 year and week of a day.
fn iso_week(day: i64) -> (i64, i64) {
    let monday_based = (dow(day) + 6) % 7;
    let thursday = day - monday_based + 3;
    let (iso_year, _, _) = civil_from_days(thursday);
    (iso_year, (thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1)
}

/// PostgreSQL's year numbering: no year zero (1 BC is -1).
fn display_year(y: i64) -> i64 {
    if y > 0 {
        y
    } else {
        y - 1
    }
}

/// Fields that depend on the date only.
fn date_field(unit: Unit, day: i64) -> Option<Value> {
    let (y, m, d) = civil_from_days(day);
    Some(match unit {
        Unit::Day => num(i64::from(d), 0),
        Unit::Month => num(i64::from(m), 0),
        Unit::Quarter => num(i64::from((m - 1) / 3 + 1), 0),
        Unit::Week => num(iso_week(day).1, 0),
        Unit::Year => num(display_year(y), 0),
        Unit::Decade => num(if y >= 0 { y / 10 } else { -((8 - (y - 1)) / 10) }, 0),
        Unit::Century => num(if y > 0 { (y + 99) / 100 } else { -((99 - (y - 1)) / 100) }, 0),
        Unit::Millennium => {
            num(if y > 0 { (y + 999) / 1000 } else { -((999 - (y - 1)) / 1000) }, 0)
        }
        Unit::IsoYear => num(display_year(iso_week(day).0), 0),
        Unit::Dow => num(dow(day), 0),
        Unit::IsoDow => num(if dow(day) == 0 { 7 } else { dow(day) }, 0),
        Unit::Doy => num(day - days_from_civil(y, 1, 1) + 1, 0),
        _ => return None,
    })
}

/// Fields of a time of day (microseconds since midnight).
fn clock_field(unit: Unit, t: i64) -> Option<Value> {
    let sec_us = t % USECS_PER_MINUTE;
    Some(match unit {
        Unit::Microseconds => num(sec_us, 0),
        Unit::Milliseconds => num(sec_us, 3),
        Unit::Second => num(sec_us, 6),
        Unit::Minute => num(t / USECS_PER_MINUTE % 60, 0),
        Unit::Hour => num(t / USECS_PER_HOUR, 0),
        _ => return None,
    })
}

/// Whether a field grows with time (so `±infinity` gives `±Infinity` rather than NULL).
fn monotonic(unit: Unit) -> bool {
    matches!(
        unit,
        Unit::Year
            | Unit::Decade
            | Unit::Century
            | Unit::Millennium
            | Unit::Julian
            | Unit::IsoYear
            | Unit::Epoch
    )
}

fn infinite(unit: Unit, positive: bool) -> Value {
    if !monotonic(unit) {
        return Value::Null;
    }
    Value::Numeric(if positive { Numeric::PosInf } else { Numeric::NegInf })
}

fn timestamp_fields(unit: Unit, local: i64) -> TypeResult<Option<Value>> {
    let day = local.div_euclid(USECS_PER_DAY);
    let clock = local.rem_euclid(USECS_PER_DAY);
    if let Some(v) = date_field(unit, day).or_else(|| clock_field(unit, clock)) {
        return Ok(Some(v));
    }
    Ok(match unit {
        Unit::Julian => {
            // As PostgreSQL computes it: the day number plus the day's fraction.
            let fraction = numeric_ops::div(
                &Numeric::finite(BigDecimal::from(clock)),
                &Numeric::finite(BigDecimal::from(USECS_PER_DAY)),
            )?;
            let julian = Numeric::finite(BigDecimal::from(day + JULIAN_2000));
            Some(Value::Numeric(numeric_ops::add(&julian, &fraction)?))
        }
        _ => None,
    })
}

fn epoch_of(ts: i64) -> Value {
    Value::Numeric(Numeric::finite(BigDecimal::new(
        (i128::from(ts) + i128::from(UNIX_TO_PG_SECS) * i128::from(USECS_PER_SEC)).into(),
        6,
    )))
}

/// `extract(field from timestamp)`.
pub fn extract_timestamp(field: &str, ts: i64) -> TypeResult<Value> {
    let ty = "timestamp without time zone";
    let unit = Unit::parse(field, ty)?;
    if matches!(unit, Unit::Timezone | Unit::TimezoneHour | Unit::TimezoneMinute) {
        return Err(not_supported(field, ty));
    }
    if ts == TIMESTAMP_INFINITY || ts == TIMESTAMP_NEG_INFINITY {
        return Ok(infinite(unit, ts == TIMESTAMP_INFINITY));
    }
    if unit == Unit::Epoch {
        return Ok(epoch_of(ts));
    }
    timestamp_fields(unit, ts)?.ok_or_else(|| not_supported(field, ty))
}

/// `extract(field from timestamptz)` in the session time zone.
pub fn extract_timestamptz(field: &str, ts: i64, tz: &TimeZone) -> TypeResult<Value> {
    let ty = "timestamp with time zone";
    let unit = Unit::parse(field, ty)?;
    if ts == TIMESTAMP_INFINITY || ts == TIMESTAMP_NEG_INFINITY {
        return Ok(infinite(unit, ts == TIMESTAMP_INFINITY));
    }
    let offset = i64::from(tz.offset_at(ts));
    match unit {
        Unit::Epoch => return Ok(epoch_of(ts)),
        Unit::Timezone => return Ok(num(offset, 0)),
        Unit::TimezoneHour => return Ok(num(offset / 3600, 0)),
        Unit::TimezoneMinute => return Ok(num(offset / 60 % 60, 0)),
        _ => {}
    }
    timestamp_fields(unit, ts.saturating_add(offset * USECS_PER_SEC))?
        .ok_or_else(|| not_supported(field, ty))
}

/// `extract(field from date)`.
pub fn extract_date(field: &str, days: i32) -> TypeResult<Value> {
    let ty = "date";
    let unit = Unit::parse(field, ty)?;
    if days == DATE_INFINITY || days == DATE_NEG_INFINITY {
        if date_field(unit, 0).is_none() && !matches!(unit, Unit::Julian | Unit::Epoch) {
            return Err(not_supported(field, ty));
        }
        return Ok(infinite(unit, days == DATE_INFINITY));
    }
    let day = i64::from(days);
    match unit {
        Unit::Julian => Ok(num(day + JULIAN_2000, 0)),
        Unit::Epoch => Ok(num(day * 86_400 + UNIX_TO_PG_SECS, 0)),
        _ => date_field(unit, day).ok_or_else(|| not_supported(field, ty)),
    }
}

/// `extract(field from time)`.
pub fn extract_time(field: &str, t: i64) -> TypeResult<Value> {
    let ty = "time without time zone";
    let unit = Unit::parse(field, ty)?;
    if unit == Unit::Epoch {
        return Ok(num(t, 6));
    }
    clock_field(unit, t).ok_or_else(|| not_supported(field, ty))
}

/// `extract(field from interval)`.
pub fn extract_interval(field: &str, iv: &Interval) -> TypeResult<Value> {
    let ty = "interval";
    let unit = Unit::parse(field, ty)?;
    let years = i64::from(iv.months / 12);
    let months = i64::from(iv.months % 12);
    let t = iv.micros;
    Ok(match unit {
        Unit::Microseconds => num(t % USECS_PER_MINUTE, 0),
        Unit::Milliseconds => num(t % USECS_PER_MINUTE, 3),
        Unit::Second => num(t % USECS_PER_MINUTE, 6),
        Unit::Minute => num(t / USECS_PER_MINUTE % 60, 0),
        Unit::Hour => num(t / USECS_PER_HOUR, 0),
        Unit::Day => num(i64::from(iv.days), 0),
        Unit::Month => num(months, 0),
        Unit::Quarter => {
            num(if months >= 0 { months / 3 + 1 } else { -((-months - 1) / 3 + 1) }, 0)
        }
        Unit::Year => num(years, 0),
        Unit::Decade => num(years / 10, 0),
        Unit::Century => num(years / 100, 0),
        Unit::Millennium => num(years / 1000, 0),
        Unit::Epoch => {
            // Years count as 365.25 days, months as 30, as PostgreSQL does.
            let day_secs = (365.25 * years as f64 * 86_400.0) as i64
                + (30 * months + i64::from(iv.days)) * 86_400;
            Value::Numeric(Numeric::finite(BigDecimal::new(
                (i128::from(t) + i128::from(day_secs) * i128::from(USECS_PER_SEC)).into(),
                6,
            )))
        }
        _ => return Err(not_supported(field, ty)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::datetime::{parse_date, parse_time, parse_timestamp};
    use crate::text::interval::parse_interval;

    fn ts(field: &str, s: &str) -> String {
        extract_timestamp(field, parse_timestamp(s).unwrap()).unwrap().to_pg_text()
    }

    #[test]
    fn extracts_like_postgres() {
        assert_eq!(ts("second", "2024-01-02 03:04:05.5"), "5.500000");
        assert_eq!(ts("epoch", "2024-01-02 03:04:05.5"), "1704164645.500000");
        assert_eq!(ts("milliseconds", "2024-01-02 03:04:05.123456"), "5123.456");
        assert_eq!(ts("julian", "2024-01-02 12:00"), "2460312.50000000000000000000");
        assert_eq!(
            ts("julian", "2024-01-02 00:00:00.000001"),
            "2460312.0000000000115740740740740741"
        );
        assert_eq!(ts("year", "0044-03-15 BC"), "-44");
        assert_eq!(ts("century", "0044-03-15 BC"), "-1");
        assert_eq!(ts("decade", "0044-03-15 BC"), "-5");
        assert_eq!(ts("isoyear", "0001-01-01 BC"), "-2");
        let d = |f: &str, s: &str| extract_date(f, parse_date(s).unwrap()).unwrap().to_pg_text();
        assert_eq!(d("dow", "2024-01-07"), "0");
        assert_eq!(d("week", "2024-01-01"), "1");
        assert_eq!(d("isoyear", "2021-01-01"), "2020");
        assert_eq!(d("julian", "2024-01-02"), "2460312");
        assert_eq!(d("epoch", "2024-01-02"), "1704153600");
        assert_eq!(d("year", "infinity"), "Infinity");
        assert_eq!(extract_date("day", parse_date("infinity").unwrap()), Ok(Value::Null));
        assert_eq!(
            extract_date("hour", 0).unwrap_err().to_string(),
            "unit \"hour\" not supported for type date"
        );
        assert_eq!(
            extract_time("microseconds", parse_time("03:04:05.5").unwrap()).unwrap().to_pg_text(),
            "5500000"
        );
        let i = |f: &str, s: &str| {
            extract_interval(f, &parse_interval(s).unwrap()).unwrap().to_pg_text()
        };
        assert_eq!(i("epoch", "1 mon 1 day"), "2678400.000000");
        assert_eq!(i("hour", "27 hours"), "27");
        assert_eq!(i("month", "14 mons"), "2");
        assert_eq!(i("year", "-14 mons"), "-1");
        assert_eq!(i("quarter", "-14 mons"), "-1");
        assert!(extract_timestamp("timezone", 0).is_err());
        assert!(extract_timestamp("foo", 0).is_err());
    }
}
