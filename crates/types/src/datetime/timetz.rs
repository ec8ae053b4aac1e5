//! `time with time zone` (`timetz`): a time of day together with the UTC offset it was
//! written in, with PostgreSQL's ordering, arithmetic and conversions.
//!
//! PostgreSQL stores the offset as seconds *west* of UTC (its `zone` field, also what
//! the binary wire format carries); we keep it as seconds *east* of UTC, the sign its
//! text output shows (`12:00:00-08` has offset `-28800`), and negate at the wire.
//!
//! Two values are equal only when both the time and the offset are equal: `12:00-08`
//! and `15:00-05` are the same instant but different values. Ordering compares the
//! instant (the time moved to UTC) first, then the offset, the greater offset east
//! sorting first (PostgreSQL's `timetz_cmp_internal`).

use std::cmp::Ordering;

use bigdecimal::BigDecimal;

use super::units::{not_supported, Unit};
use crate::error::{TypeError, TypeResult};
use crate::text::calendar::{
    now_micros, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC,
};
use crate::text::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY,
};
use crate::text::TimeZone;
use crate::{Interval, Numeric, Value};

/// Largest UTC offset PostgreSQL accepts in a `timetz` (`TZDISP_LIMIT`, 15:59:59).
pub const MAX_OFFSET_SECS: i32 = 15 * 3600 + 59 * 60 + 59;

/// A `timetz` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeTz {
    /// Microseconds since local midnight, `0..=24:00:00`.
    pub micros: i64,
    /// Seconds east of UTC (`-08` is `-28800`).
    pub offset: i32,
}

impl TimeTz {
    /// A value from its parts.
    pub const fn new(micros: i64, offset: i32) -> TimeTz {
        TimeTz { micros, offset }
    }

    /// The time of day at `offset` of an instant (microseconds since 2000-01-01 UTC).
    pub fn from_utc(utc_micros: i64, offset: i32) -> TimeTz {
        let local = utc_micros.saturating_add(i64::from(offset) * USECS_PER_SEC);
        TimeTz { micros: local.rem_euclid(USECS_PER_DAY), offset }
    }

    /// The time moved to UTC (may fall outside one day), PostgreSQL's sort key.
    pub fn utc_micros(&self) -> i64 {
        self.micros.saturating_sub(i64::from(self.offset) * USECS_PER_SEC)
    }

    /// Seconds west of UTC, PostgreSQL's internal `zone` and the wire format's field.
    pub fn zone_west(&self) -> i32 {
        -self.offset
    }

    /// The same instant shown at another offset east of UTC (`AT TIME ZONE`), wrapped
    /// into one day.
    pub fn at_offset(&self, offset: i32) -> TimeTz {
        let shift = i64::from(offset) - i64::from(self.offset);
        TimeTz {
            micros: wrap_day(i128::from(shift) * i128::from(USECS_PER_SEC), self.micros),
            offset,
        }
    }

    /// `timetz + interval`: only the interval's time part counts, wrapping around
    /// midnight; months and days are ignored as in PostgreSQL.
    pub fn add_interval(&self, iv: &Interval) -> TimeTz {
        TimeTz { micros: wrap_day(i128::from(iv.micros), self.micros), offset: self.offset }
    }

    /// `timetz - interval`.
    pub fn sub_interval(&self, iv: &Interval) -> TimeTz {
        TimeTz { micros: wrap_day(-i128::from(iv.micros), self.micros), offset: self.offset }
    }
}

/// `micros + delta` wrapped into one day (`24:00:00` plus nothing is `00:00:00`, as in
/// PostgreSQL); computed wide so that no input overflows.
fn wrap_day(delta: i128, micros: i64) -> i64 {
    let day = i128::from(USECS_PER_DAY);
    // The remainder lies in 0..day, so it fits an i64.
    (i128::from(micros) + delta).rem_euclid(day) as i64
}

impl Ord for TimeTz {
    fn cmp(&self, other: &TimeTz) -> Ordering {
        self.utc_micros()
            .cmp(&other.utc_micros())
            .then_with(|| self.zone_west().cmp(&other.zone_west()))
    }
}

impl PartialOrd for TimeTz {
    fn partial_cmp(&self, other: &TimeTz) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The offset a zone has today at local time `micros` (PostgreSQL's `time` →
/// `timetz` cast and input without a zone both use the current date).
pub fn offset_today(micros: i64, tz: &TimeZone) -> i32 {
    let now = now_micros();
    let today = (now + i64::from(tz.offset_at(now)) * USECS_PER_SEC).div_euclid(USECS_PER_DAY);
    tz.offset_for_local((today * USECS_PER_DAY).saturating_add(micros))
}

/// `time` → `timetz`: the session zone's offset today.
pub fn from_time(micros: i64, tz: &TimeZone) -> TimeTz {
    TimeTz { micros, offset: offset_today(micros, tz) }
}

/// `timestamptz` → `timetz`: the local time of day and offset in `tz`.
pub fn from_timestamptz(ts: i64, tz: &TimeZone) -> TypeResult<TimeTz> {
    if ts == TIMESTAMP_INFINITY || ts == TIMESTAMP_NEG_INFINITY {
        return Err(TypeError::DatetimeOverflow("timestamp out of range".into()));
    }
    Ok(TimeTz::from_utc(ts, tz.offset_at(ts)))
}

/// `date + timetz` → `timestamptz` (±infinity dates stay infinite).
pub fn date_add(days: i32, t: &TimeTz) -> TypeResult<i64> {
    match days {
        DATE_INFINITY => return Ok(TIMESTAMP_INFINITY),
        DATE_NEG_INFINITY => return Ok(TIMESTAMP_NEG_INFINITY),
        _ => {}
    }
    let ts = (i64::from(days) * USECS_PER_DAY).saturating_add(t.utc_micros());
    if !(crate::text::calendar::MIN_TIMESTAMP..crate::text::calendar::END_TIMESTAMP).contains(&ts) {
        return Err(TypeError::DatetimeOverflow("timestamp out of range".into()));
    }
    Ok(ts)
}

/// The offset `AT TIME ZONE zone` moves a `timetz` to: a fixed zone's offset, or a
/// named zone's offset now (PostgreSQL uses the current time for zones with rules).
pub fn zone_offset_now(tz: &TimeZone) -> i32 {
    tz.offset_at(now_micros())
}

/// The offset `AT TIME ZONE interval` means: the interval east of UTC, whole seconds;
/// months and days are rejected (22023), as in PostgreSQL.
pub fn interval_offset(iv: &Interval) -> TypeResult<i32> {
    if iv.months != 0 || iv.days != 0 {
        return Err(TypeError::other(
            helios_common::SqlState::INVALID_PARAMETER_VALUE,
            format!(
                "interval time zone \"{}\" must not include months or days",
                crate::text::interval::format_interval(iv)
            ),
        ));
    }
    // PostgreSQL puts no limit on the offset here (`+20` is accepted).
    i32::try_from(iv.micros / USECS_PER_SEC)
        .map_err(|_| TypeError::DatetimeOverflow("time zone displacement out of range".into()))
}

fn num(int: i64, scale: i64) -> Value {
    Value::Numeric(Numeric::finite(BigDecimal::new(int.into(), scale)))
}

/// `extract(field from timetz)`: the clock fields, `epoch` (seconds since midnight UTC)
/// and the `timezone`, `timezone_hour` and `timezone_minute` of the offset.
pub fn extract(field: &str, t: &TimeTz) -> TypeResult<Value> {
    let ty = "time with time zone";
    let unit = Unit::parse(field, ty)?;
    let sec_us = t.micros % USECS_PER_MINUTE;
    let off = i64::from(t.offset);
    let epoch = i128::from(t.micros) - i128::from(off) * i128::from(USECS_PER_SEC);
    Ok(match unit {
        Unit::Microseconds => num(sec_us, 0),
        Unit::Milliseconds => num(sec_us, 3),
        Unit::Second => num(sec_us, 6),
        Unit::Minute => num(t.micros / USECS_PER_MINUTE % 60, 0),
        Unit::Hour => num(t.micros / USECS_PER_HOUR, 0),
        Unit::Epoch => Value::Numeric(Numeric::finite(BigDecimal::new(epoch.into(), 6))),
        Unit::Timezone => num(off, 0),
        Unit::TimezoneHour => num(off / 3600, 0),
        Unit::TimezoneMinute => num(off / 60 % 60, 0),
        _ => return Err(not_supported(field, ty)),
    })
}

/// The offset a `timetz` text input without an explicit numeric offset gets: a named
/// zone's (which needs a date unless the zone never changes offset), else the session
/// zone's on the given date or today. `None` means the input is malformed.
pub fn resolve_offset(
    date: Option<(i64, u32, u32)>,
    micros: i64,
    zone: Option<&TimeZone>,
    session: &TimeZone,
) -> Option<i32> {
    let local_on = |days: i64| (days * USECS_PER_DAY).saturating_add(micros);
    match (zone, date) {
        (Some(z), _) if z.fixed_offset().is_some() => z.fixed_offset(),
        (Some(z), Some((y, m, d))) => {
            Some(z.offset_for_local(local_on(crate::text::calendar::days_from_civil(y, m, d))))
        }
        (Some(_), None) => None,
        (None, Some((y, m, d))) => Some(
            session.offset_for_local(local_on(crate::text::calendar::days_from_civil(y, m, d))),
        ),
        (None, None) => Some(offset_today(micros, session)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = USECS_PER_HOUR;

    #[test]
    fn orders_by_instant_then_offset() {
        let noon_pst = TimeTz::new(12 * H, -8 * 3600);
        let three_est = TimeTz::new(15 * H, -5 * 3600);
        assert_eq!(noon_pst.utc_micros(), three_est.utc_micros());
        assert_ne!(noon_pst, three_est);
        // Same instant: the zone further west (greater `zone`) sorts last.
        assert_eq!(noon_pst.cmp(&three_est), Ordering::Greater);
        assert!(TimeTz::new(H, 0) < TimeTz::new(2 * H, 0));
        // 10:00+12 is 22:00 UTC the day before.
        assert!(TimeTz::new(0, 0) > TimeTz::new(10 * H, 3600 * 12));
    }

    #[test]
    fn arithmetic_wraps_around_midnight() {
        let t = TimeTz::new(H + 30 * USECS_PER_MINUTE, -8 * 3600);
        let iv = Interval { months: 0, days: 0, micros: 2 * H + USECS_PER_MINUTE };
        assert_eq!(t.sub_interval(&iv).micros, 23 * H + 29 * USECS_PER_MINUTE);
        let long = Interval { months: 1, days: 3, micros: 36 * H + USECS_PER_MINUTE };
        let t2 = TimeTz::new(2 * H + 30 * USECS_PER_MINUTE, -8 * 3600);
        assert_eq!(t2.add_interval(&long).micros, 14 * H + 31 * USECS_PER_MINUTE);
        assert_eq!(TimeTz::new(10 * H, -3600).at_offset(3600), TimeTz::new(12 * H, 3600));
        assert_eq!(TimeTz::new(H, 0).at_offset(-2 * 3600), TimeTz::new(23 * H, -7200));
    }

    #[test]
    fn extracts_offset_fields() {
        let t = TimeTz::new(13 * H, -(4 * 3600 + 30 * 60));
        assert_eq!(extract("timezone", &t).unwrap(), num(-16_200, 0));
        assert_eq!(extract("timezone_hour", &t).unwrap(), num(-4, 0));
        assert_eq!(extract("timezone_minute", &t).unwrap(), num(-30, 0));
        assert_eq!(extract("epoch", &t).unwrap(), num(17 * H + 30 * USECS_PER_MINUTE, 6));
        assert_eq!(extract("day", &t).unwrap_err().sqlstate().code(), "0A000");
    }

    #[test]
    fn interval_zones_reject_days() {
        let iv = Interval { months: 0, days: 1, micros: 0 };
        assert_eq!(interval_offset(&iv).unwrap_err().sqlstate().code(), "22023");
        assert_eq!(interval_offset(&Interval { months: 0, days: 0, micros: -10 * H }), Ok(-36_000));
    }
}
