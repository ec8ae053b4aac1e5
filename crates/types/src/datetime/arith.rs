//! Date and time arithmetic with PostgreSQL's rules (`timestamp.c`, `date.c`):
//! month arithmetic clamps to the end of the month, `timestamptz` adds months and days
//! in local time (so `+ '1 day'` keeps the wall clock across a DST change), and the
//! difference of two timestamps is justified into days and time.

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};
use crate::text::calendar::{
    civil_from_days, days_from_civil, days_in_month, END_TIMESTAMP, MAX_DATE_DAYS, MIN_DATE_DAYS,
    MIN_TIMESTAMP, USECS_PER_DAY, USECS_PER_SEC,
};
use crate::text::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY,
};
use crate::text::TimeZone;
use crate::Interval;

fn timestamp_range() -> TypeError {
    TypeError::DatetimeOverflow("timestamp out of range".into())
}

fn interval_range() -> TypeError {
    TypeError::DatetimeOverflow("interval out of range".into())
}

fn is_infinite(ts: i64) -> bool {
    ts == TIMESTAMP_INFINITY || ts == TIMESTAMP_NEG_INFINITY
}

fn check_ts(ts: i64) -> TypeResult<i64> {
    if (MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts) {
        Ok(ts)
    } else {
        Err(timestamp_range())
    }
}

/// Adds months and days to a wall-clock timestamp (months first, clamping the day to the
/// month's length, then days).
fn add_months_days(local: i64, months: i32, days: i32) -> TypeResult<i64> {
    let mut t = local;
    if months != 0 {
        let day = t.div_euclid(USECS_PER_DAY);
        let clock = t.rem_euclid(USECS_PER_DAY);
        let (y, m, d) = civil_from_days(day);
        let total = y * 12 + i64::from(m) - 1 + i64::from(months);
        let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
        let nd = d.min(days_in_month(ny, nm));
        let nday = days_from_civil(ny, nm, nd);
        t = nday
            .checked_mul(USECS_PER_DAY)
            .and_then(|x| x.checked_add(clock))
            .ok_or_else(timestamp_range)?;
    }
    if days != 0 {
        t = i64::from(days)
            .checked_mul(USECS_PER_DAY)
            .and_then(|d| t.checked_add(d))
            .ok_or_else(timestamp_range)?;
    }
    Ok(t)
}

/// `timestamp + interval`.
pub fn timestamp_add(ts: i64, iv: &Interval) -> TypeResult<i64> {
    if is_infinite(ts) {
        return Ok(ts);
    }
    let t = add_months_days(ts, iv.months, iv.days)?;
    check_ts(t.checked_add(iv.micros).ok_or_else(timestamp_range)?)
}

/// `timestamptz + interval` in the session time zone `tz`.
pub fn timestamptz_add(ts: i64, iv: &Interval, tz: &TimeZone) -> TypeResult<i64> {
    if is_infinite(ts) {
        return Ok(ts);
    }
    let mut t = ts;
    if iv.months != 0 || iv.days != 0 {
        let local = t
            .checked_add(i64::from(tz.offset_at(t)) * USECS_PER_SEC)
            .ok_or_else(timestamp_range)?;
        let moved = add_months_days(local, iv.months, iv.days)?;
        t = moved
            .checked_sub(i64::from(tz.offset_for_local(moved)) * USECS_PER_SEC)
            .ok_or_else(timestamp_range)?;
    }
    check_ts(t.checked_add(iv.micros).ok_or_else(timestamp_range)?)
}

/// `-interval`.
pub fn interval_negate(iv: &Interval) -> TypeResult<Interval> {
    Ok(Interval {
        months: iv.months.checked_neg().ok_or_else(interval_range)?,
        days: iv.days.checked_neg().ok_or_else(interval_range)?,
        micros: iv.micros.checked_neg().ok_or_else(interval_range)?,
    })
}

/// `timestamp - interval`.
pub fn timestamp_sub(ts: i64, iv: &Interval) -> TypeResult<i64> {
    timestamp_add(ts, &interval_negate(iv)?)
}

/// `timestamptz - interval`.
pub fn timestamptz_sub(ts: i64, iv: &Interval, tz: &TimeZone) -> TypeResult<i64> {
    timestamptz_add(ts, &interval_negate(iv)?, tz)
}

/// `interval + interval`, field by field.
pub fn interval_add(a: &Interval, b: &Interval) -> TypeResult<Interval> {
    Ok(Interval {
        months: a.months.checked_add(b.months).ok_or_else(interval_range)?,
        days: a.days.checked_add(b.days).ok_or_else(interval_range)?,
        micros: a.micros.checked_add(b.micros).ok_or_else(interval_range)?,
    })
}

/// `interval - interval`.
pub fn interval_sub(a: &Interval, b: &Interval) -> TypeResult<Interval> {
    interval_add(a, &interval_negate(b)?)
}

/// `timestamp - timestamp` (also `timestamptz - timestamptz`): the difference as days
/// and time (`justify_hours`).
pub fn timestamp_diff(a: i64, b: i64) -> TypeResult<Interval> {
    if is_infinite(a) || is_infinite(b) {
        return Err(TypeError::DatetimeOverflow("cannot subtract infinite timestamps".into()));
    }
    let micros = a.checked_sub(b).ok_or_else(interval_range)?;
    justify_hours(&Interval { months: 0, days: 0, micros })
}

/// `date + integer`.
pub fn date_add_days(d: i32, n: i32) -> TypeResult<i32> {
    if d == DATE_INFINITY || d == DATE_NEG_INFINITY {
        return Ok(d);
    }
    let r = i64::from(d) + i64::from(n);
    if !(MIN_DATE_DAYS..=MAX_DATE_DAYS).contains(&r) {
        return Err(TypeError::DatetimeOverflow("date out of range".into()));
    }
    Ok(r as i32)
}

/// `date - date`: the number of days.
pub fn date_diff(a: i32, b: i32) -> TypeResult<i32> {
    if [a, b].iter().any(|d| *d == DATE_INFINITY || *d == DATE_NEG_INFINITY) {
        return Err(TypeError::DatetimeOverflow("cannot subtract infinite dates".into()));
    }
    i32::try_from(i64::from(a) - i64::from(b))
        .map_err(|_| TypeError::out_of_range("integer out of range"))
}

/// `justify_hours`: whole 24-hour periods become days (22008 `interval out of range`
/// when the days overflow).
pub fn justify_hours(iv: &Interval) -> TypeResult<Interval> {
    let mut micros = iv.micros % USECS_PER_DAY;
    let whole = iv.micros / USECS_PER_DAY;
    let mut days = i32::try_from(whole)
        .ok()
        .and_then(|w| iv.days.checked_add(w))
        .ok_or_else(interval_range)?;
    if days > 0 && micros < 0 {
        micros += USECS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= USECS_PER_DAY;
        days += 1;
    }
    Ok(Interval { months: iv.months, days, micros })
}

/// Moves whole 30-day periods of `days` into `months`.
fn days_to_months(months: i32, days: i32) -> TypeResult<(i32, i32)> {
    let whole = days / 30;
    let months = months.checked_add(whole).ok_or_else(interval_range)?;
    Ok((months, days - whole * 30))
}

/// `justify_days`: whole 30-day periods become months.
pub fn justify_days(iv: &Interval) -> TypeResult<Interval> {
    let (mut months, mut days) = days_to_months(iv.months, iv.days)?;
    if months > 0 && days < 0 {
        days += 30;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= 30;
        months += 1;
    }
    Ok(Interval { months, days, micros: iv.micros })
}

/// `justify_interval`: both justifications with consistent signs.
pub fn justify_interval(iv: &Interval) -> TypeResult<Interval> {
    let (mut months, mut days, mut micros) = (iv.months, iv.days, iv.micros);
    // Moving days into months first may avoid an overflow of the days.
    if (days > 0 && micros > 0) || (days < 0 && micros < 0) {
        (months, days) = days_to_months(months, days)?;
    }
    let whole = micros / USECS_PER_DAY;
    micros -= whole * USECS_PER_DAY;
    days =
        i32::try_from(whole).ok().and_then(|w| days.checked_add(w)).ok_or_else(interval_range)?;
    (months, days) = days_to_months(months, days)?;
    if months > 0 && (days < 0 || (days == 0 && micros < 0)) {
        days += 30;
        months -= 1;
    } else if months < 0 && (days > 0 || (days == 0 && micros > 0)) {
        days -= 30;
        months += 1;
    }
    if days > 0 && micros < 0 {
        micros += USECS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= USECS_PER_DAY;
        days += 1;
    }
    Ok(Interval { months, days, micros })
}

/// PostgreSQL's `TSROUND`: rounds to microsecond precision.
fn tsround(x: f64) -> f64 {
    (x * 1e6).round_ties_even() / 1e6
}

fn fits_i32(x: f64) -> bool {
    !x.is_nan() && x >= f64::from(i32::MIN) && x < -(f64::from(i32::MIN))
}

/// Spreads fractional months and days down to days and microseconds as PostgreSQL's
/// `interval_mul` / `interval_div` do.
fn cascade(months_f: f64, days_f: f64, micros_f: f64) -> TypeResult<Interval> {
    if !fits_i32(months_f) || !fits_i32(days_f) {
        return Err(interval_range());
    }
    let months = months_f as i32;
    let mut days = days_f as i32;
    let month_remainder_days = tsround((months_f - f64::from(months)) * 30.0);
    let mut sec_remainder = tsround(
        (days_f - f64::from(days) + month_remainder_days - month_remainder_days.trunc()) * 86_400.0,
    );
    if sec_remainder.abs() >= 86_400.0 {
        let whole = (sec_remainder / 86_400.0).trunc();
        days = days.checked_add(whole as i32).ok_or_else(interval_range)?;
        sec_remainder -= whole * 86_400.0;
    }
    days = days.checked_add(month_remainder_days as i32).ok_or_else(interval_range)?;
    let micros = (micros_f + sec_remainder * 1e6).round_ties_even();
    if micros.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&micros) {
        return Err(interval_range());
    }
    Ok(Interval { months, days, micros: micros as i64 })
}

/// `interval * float8`.
pub fn interval_mul(iv: &Interval, factor: f64) -> TypeResult<Interval> {
    cascade(f64::from(iv.months) * factor, f64::from(iv.days) * factor, iv.micros as f64 * factor)
}

/// `interval / float8`.
pub fn interval_div(iv: &Interval, divisor: f64) -> TypeResult<Interval> {
    if divisor == 0.0 {
        return Err(TypeError::other(SqlState::DIVISION_BY_ZERO, "division by zero"));
    }
    cascade(
        f64::from(iv.months) / divisor,
        f64::from(iv.days) / divisor,
        iv.micros as f64 / divisor,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::datetime::{format_timestamp, parse_timestamp};
    use crate::text::interval::{format_interval, parse_interval};

    fn ts(s: &str) -> i64 {
        parse_timestamp(s).unwrap()
    }

    fn iv(s: &str) -> Interval {
        parse_interval(s).unwrap()
    }

    #[test]
    fn month_arithmetic_clamps() {
        assert_eq!(
            format_timestamp(timestamp_add(ts("2024-01-31 10:00"), &iv("1 mon")).unwrap()),
            "2024-02-29 10:00:00"
        );
        assert_eq!(
            format_timestamp(timestamp_sub(ts("2024-03-31"), &iv("1 mon")).unwrap()),
            "2024-02-29 00:00:00"
        );
        assert_eq!(
            format_timestamp(timestamp_add(ts("2024-12-31"), &iv("-13 mons")).unwrap()),
            "2023-11-30 00:00:00"
        );
        assert_eq!(timestamp_add(TIMESTAMP_INFINITY, &iv("1 day")), Ok(TIMESTAMP_INFINITY));
        assert!(timestamp_add(ts("294276-12-31"), &iv("1 day")).is_err());
    }

    #[test]
    fn differences_and_justification() {
        let d = timestamp_diff(ts("2024-01-02 12:00"), ts("2023-12-30 13:30")).unwrap();
        assert_eq!(format_interval(&d), "2 days 22:30:00");
        assert_eq!(format_interval(&justify_hours(&iv("50 hours")).unwrap()), "2 days 02:00:00");
        assert_eq!(format_interval(&justify_days(&iv("35 days")).unwrap()), "1 mon 5 days");
        assert!(justify_days(&iv("2147483647 months 30 days")).is_err());
        assert!(justify_interval(&iv("-2147483648 months -30 days")).is_err());
        assert_eq!(
            format_interval(&justify_interval(&iv("2147483647 days 24 hrs")).unwrap()),
            "5965232 years 4 mons 8 days"
        );
        assert_eq!(
            format_interval(&justify_interval(&iv("1 mon -1 hour")).unwrap()),
            "29 days 23:00:00"
        );
        assert_eq!(format_interval(&interval_mul(&iv("1 mon"), 1.5).unwrap()), "1 mon 15 days");
        assert_eq!(format_interval(&interval_div(&iv("1 day"), 3.0).unwrap()), "08:00:00");
        assert!(interval_div(&iv("1 day"), 0.0).is_err());
        assert_eq!(date_add_days(0, -1), Ok(-1));
        assert_eq!(date_diff(10, 3), Ok(7));
    }
}
