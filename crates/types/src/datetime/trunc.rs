//! `date_trunc` for `timestamp`, `timestamptz` and `interval`, as PostgreSQL does it
//! (ISO weeks start on Monday; centuries and millennia start at years 1, 101, 1001, ...).

use super::units::{not_recognized, not_supported, Unit};
use crate::error::{TypeError, TypeResult};
use crate::text::calendar::{
    civil_from_days, days_from_civil, END_TIMESTAMP, MIN_TIMESTAMP, USECS_PER_DAY, USECS_PER_HOUR,
    USECS_PER_MINUTE, USECS_PER_SEC,
};
use crate::text::datetime::{TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY};
use crate::text::TimeZone;
use crate::Interval;
use helios_common::SqlState;

/// Truncates a wall-clock timestamp; `None` when the unit does not apply, `Some(None)`
/// when the result falls outside the representable range.
fn trunc_local(unit: Unit, t: i64) -> Option<Option<i64>> {
    let at_day = |day: i64| Some(day.checked_mul(USECS_PER_DAY));
    let day = t.div_euclid(USECS_PER_DAY);
    let clock = t.rem_euclid(USECS_PER_DAY);
    let (y, m, _) = civil_from_days(day);
    let floor = |unit_us: i64| t - t.rem_euclid(unit_us);
    Some(Some(match unit {
        Unit::Microseconds => t,
        Unit::Milliseconds => floor(1000),
        Unit::Second => floor(USECS_PER_SEC),
        Unit::Minute => floor(USECS_PER_MINUTE),
        Unit::Hour => floor(USECS_PER_HOUR),
        Unit::Day => t - clock,
        // 2000-01-03 was a Monday.
        Unit::Week => return at_day(day - (day - 2).rem_euclid(7)),
        Unit::Month => return at_day(days_from_civil(y, m, 1)),
        Unit::Quarter => return at_day(days_from_civil(y, 3 * ((m - 1) / 3) + 1, 1)),
        Unit::Year => return at_day(days_from_civil(y, 1, 1)),
        Unit::Decade => {
            let dy = if y > 0 { (y / 10) * 10 } else { -((8 - (y - 1)) / 10) * 10 };
            return at_day(days_from_civil(dy, 1, 1));
        }
        Unit::Century => {
            let cy =
                if y > 0 { ((y + 99) / 100) * 100 - 99 } else { -((99 - (y - 1)) / 100) * 100 + 1 };
            return at_day(days_from_civil(cy, 1, 1));
        }
        Unit::Millennium => {
            let my = if y > 0 {
                ((y + 999) / 1000) * 1000 - 999
            } else {
                -((999 - (y - 1)) / 1000) * 1000 + 1
            };
            return at_day(days_from_civil(my, 1, 1));
        }
        _ => return None,
    }))
}

fn out_of_range() -> TypeError {
    TypeError::DatetimeOverflow("timestamp out of range".into())
}

/// `date_trunc(unit, timestamp)`.
pub fn trunc_timestamp(unit_name: &str, ts: i64) -> TypeResult<i64> {
    let ty = "timestamp without time zone";
    let unit = Unit::parse(unit_name, ty)?;
    if ts == TIMESTAMP_INFINITY || ts == TIMESTAMP_NEG_INFINITY {
        return trunc_local(unit, 0).map(|_| ts).ok_or_else(|| not_recognized(unit_name, ty));
    }
    trunc_local(unit, ts).ok_or_else(|| not_recognized(unit_name, ty))?.ok_or_else(out_of_range)
}

/// `date_trunc(unit, timestamptz)` in the session time zone.
pub fn trunc_timestamptz(unit_name: &str, ts: i64, tz: &TimeZone) -> TypeResult<i64> {
    let ty = "timestamp with time zone";
    let unit = Unit::parse(unit_name, ty)?;
    if ts == TIMESTAMP_INFINITY || ts == TIMESTAMP_NEG_INFINITY {
        return trunc_local(unit, 0).map(|_| ts).ok_or_else(|| not_recognized(unit_name, ty));
    }
    let offset = i64::from(tz.offset_at(ts)) * USECS_PER_SEC;
    let local = trunc_local(unit, ts.checked_add(offset).ok_or_else(out_of_range)?)
        .ok_or_else(|| not_recognized(unit_name, ty))?
        .ok_or_else(out_of_range)?;
    // Units of a day and more start at local midnight, whose offset may differ.
    let redo = !matches!(
        unit,
        Unit::Microseconds | Unit::Milliseconds | Unit::Second | Unit::Minute | Unit::Hour
    );
    let offset = if redo { i64::from(tz.offset_for_local(local)) * USECS_PER_SEC } else { offset };
    local.checked_sub(offset).ok_or_else(out_of_range)
}

/// `date_trunc(unit, interval)`.
pub fn trunc_interval(unit_name: &str, iv: &Interval) -> TypeResult<Interval> {
    let ty = "interval";
    let unit = Unit::parse(unit_name, ty)?;
    let years = iv.months / 12;
    let months = iv.months % 12;
    let hours = iv.micros / USECS_PER_HOUR;
    let mins = iv.micros / USECS_PER_MINUTE % 60;
    let secs = iv.micros / USECS_PER_SEC % 60;
    let us = iv.micros % USECS_PER_SEC;
    let build = |years: i32, months: i32, days: i32, micros: i64| Interval {
        months: years * 12 + months,
        days,
        micros,
    };
    let hms = |h: i64, m: i64, s: i64, u: i64| {
        h * USECS_PER_HOUR + m * USECS_PER_MINUTE + s * USECS_PER_SEC + u
    };
    Ok(match unit {
        Unit::Millennium => build(years / 1000 * 1000, 0, 0, 0),
        Unit::Century => build(years / 100 * 100, 0, 0, 0),
        Unit::Decade => build(years / 10 * 10, 0, 0, 0),
        Unit::Year => build(years, 0, 0, 0),
        Unit::Quarter => build(years, 3 * (months / 3), 0, 0),
        Unit::Month => build(years, months, 0, 0),
        Unit::Day => build(years, months, iv.days, 0),
        Unit::Hour => build(years, months, iv.days, hms(hours, 0, 0, 0)),
        Unit::Minute => build(years, months, iv.days, hms(hours, mins, 0, 0)),
        Unit::Second => build(years, months, iv.days, hms(hours, mins, secs, 0)),
        Unit::Milliseconds => {
            build(years, months, iv.days, hms(hours, mins, secs, us / 1000 * 1000))
        }
        Unit::Microseconds => *iv,
        Unit::Week => {
            return Err(match not_supported(unit_name, ty) {
                TypeError::Other { state, message, .. } => TypeError::Other {
                    state,
                    message,
                    detail: Some("Months usually have fractional weeks.".into()),
                },
                other => other,
            })
        }
        _ => return Err(not_supported(unit_name, ty)),
    })
}

/// `date_bin(stride, source, origin)` for `timestamp` and `timestamptz` (both counted
/// in microseconds since 2000-01-01): the start of the stride-long bin, counted from
/// `origin`, that holds `source` (bins before the origin round down).
pub fn date_bin(stride: &Interval, source: i64, origin: i64) -> TypeResult<i64> {
    if source == TIMESTAMP_INFINITY || source == TIMESTAMP_NEG_INFINITY {
        return Ok(source);
    }
    if origin == TIMESTAMP_INFINITY || origin == TIMESTAMP_NEG_INFINITY {
        return Err(TypeError::other(SqlState::DATETIME_FIELD_OVERFLOW, "origin out of range"));
    }
    if stride.months != 0 {
        return Err(TypeError::other(
            SqlState::FEATURE_NOT_SUPPORTED,
            "timestamps cannot be binned into intervals containing months or years",
        ));
    }
    let range = || TypeError::DatetimeOverflow("interval out of range".into());
    let stride_us = i64::from(stride.days)
        .checked_mul(USECS_PER_DAY)
        .and_then(|d| d.checked_add(stride.micros))
        .ok_or_else(range)?;
    if stride_us <= 0 {
        return Err(TypeError::other(
            SqlState::DATETIME_FIELD_OVERFLOW,
            "stride must be greater than zero",
        ));
    }
    let diff = source.checked_sub(origin).ok_or_else(range)?;
    let mut start = origin + (diff - diff % stride_us);
    if diff < 0 && diff % stride_us != 0 {
        start -= stride_us;
    }
    if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&start) {
        return Err(TypeError::DatetimeOverflow("timestamp out of range".into()));
    }
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_bin_rounds_down_from_the_origin() {
        let h = Interval { months: 0, days: 0, micros: USECS_PER_HOUR };
        assert_eq!(date_bin(&h, 30 * USECS_PER_MINUTE, USECS_PER_HOUR), Ok(0));
        assert_eq!(date_bin(&h, 90 * USECS_PER_MINUTE, 0), Ok(USECS_PER_HOUR));
        assert_eq!(date_bin(&h, TIMESTAMP_INFINITY, 0), Ok(TIMESTAMP_INFINITY));
        let month = Interval { months: 1, days: 0, micros: 0 };
        assert_eq!(date_bin(&month, 0, 0).unwrap_err().sqlstate().code(), "0A000");
        let zero = Interval { months: 0, days: 0, micros: 0 };
        assert_eq!(
            date_bin(&zero, 0, 0).unwrap_err().to_string(),
            "stride must be greater than zero"
        );
        assert!(date_bin(&h, 0, TIMESTAMP_INFINITY).is_err());
    }
    use crate::text::datetime::{
        format_timestamp, format_timestamptz, parse_timestamp, parse_timestamptz,
    };
    use crate::text::interval::{format_interval, parse_interval};

    #[test]
    fn truncates_like_postgres() {
        let t = |u: &str, s: &str| {
            format_timestamp(trunc_timestamp(u, parse_timestamp(s).unwrap()).unwrap())
        };
        assert_eq!(t("week", "2024-01-03 10:00"), "2024-01-01 00:00:00");
        assert_eq!(t("week", "2024-01-07 10:00"), "2024-01-01 00:00:00");
        assert_eq!(t("quarter", "2024-05-03 10:00"), "2024-04-01 00:00:00");
        assert_eq!(t("century", "2000-05-03"), "1901-01-01 00:00:00");
        assert_eq!(t("millennium", "2001-05-03"), "2001-01-01 00:00:00");
        assert_eq!(t("decade", "1999-05-03"), "1990-01-01 00:00:00");
        assert_eq!(t("HOUR", "2024-01-02 03:04:05.5"), "2024-01-02 03:00:00");
        assert_eq!(t("ms", "2024-01-02 03:04:05.123456"), "2024-01-02 03:04:05.123");
        assert_eq!(
            trunc_timestamp("dow", 0).unwrap_err().to_string(),
            "unit \"dow\" not recognized for type timestamp without time zone"
        );
        let ny = TimeZone::parse("America/New_York");
        if let Ok(ny) = ny {
            let v =
                trunc_timestamptz("day", parse_timestamptz("2024-03-10 12:00", &ny).unwrap(), &ny)
                    .unwrap();
            assert_eq!(format_timestamptz(v, &ny), "2024-03-10 00:00:00-05");
        }
        let i = |u: &str, s: &str| {
            format_interval(&trunc_interval(u, &parse_interval(s).unwrap()).unwrap())
        };
        assert_eq!(i("hour", "1 year 2 mons 3 days 04:05:06"), "1 year 2 mons 3 days 04:00:00");
        assert_eq!(i("quarter", "1 year 5 mons"), "1 year 3 mons");
        assert!(trunc_interval("week", &Interval::default()).is_err());
    }
}
