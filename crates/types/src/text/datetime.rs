//! `date`, `time`, `timetz`, `timestamp` and `timestamptz` text I/O in PostgreSQL's ISO DateStyle.
//!
//! Output: `2024-01-02`, `0044-03-15 BC`, `03:04:05.123456` (trailing fraction zeros
//! dropped), `2024-01-02 03:04:05`, `2024-01-02 03:04:05+05:30`, `infinity`.
//! Input: see [`super::datetime_fields`] for the accepted forms.

use super::calendar::{
    civil_from_days, days_from_civil, now_micros, END_TIMESTAMP, MAX_DATE_DAYS, MIN_DATE_DAYS,
    MIN_TIMESTAMP, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC,
};
use super::datetime_decode::decode;
use super::datetime_fields::{Fields, Special};
use super::style::{DateFormat, DateOrder, DateStyle};
use super::timezone::{format_offset, TimeZone};
use crate::datetime::timetz::{self, TimeTz};
use crate::error::{TypeError, TypeResult};

/// Days since 2000-01-01 of 1970-01-01.
const EPOCH_DAYS: i64 = -10_957;

/// `date 'infinity'` is stored as `i32::MAX`, `-infinity` as `i32::MIN`.
pub const DATE_INFINITY: i32 = i32::MAX;
/// `date '-infinity'`.
pub const DATE_NEG_INFINITY: i32 = i32::MIN;
/// `timestamp 'infinity'` is stored as `i64::MAX`.
pub const TIMESTAMP_INFINITY: i64 = i64::MAX;
/// `timestamp '-infinity'`.
pub const TIMESTAMP_NEG_INFINITY: i64 = i64::MIN;

const MONTH_ABBREVS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY_ABBREVS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Year as printed (`0044` for 44 BC) and whether it is BC.
fn display_year(y: i64) -> (i64, bool) {
    if y <= 0 {
        (1 - y, true)
    } else {
        (y, false)
    }
}

/// Appends the date part in the given style; returns whether the year is BC.
fn push_date_style(out: &mut String, days: i64, style: &DateStyle) -> bool {
    let (y, m, d) = civil_from_days(days);
    let (year, bc) = display_year(y);
    let dmy = style.order == DateOrder::Dmy;
    match style.format {
        DateFormat::Iso => out.push_str(&format!("{year:04}-{m:02}-{d:02}")),
        DateFormat::Sql if dmy => out.push_str(&format!("{d:02}/{m:02}/{year:04}")),
        DateFormat::Sql => out.push_str(&format!("{m:02}/{d:02}/{year:04}")),
        DateFormat::German => out.push_str(&format!("{d:02}.{m:02}.{year:04}")),
        DateFormat::Postgres if dmy => out.push_str(&format!("{d:02}-{m:02}-{year:04}")),
        DateFormat::Postgres => out.push_str(&format!("{m:02}-{d:02}-{year:04}")),
    }
    bc
}

/// Appends `HH:MM:SS[.ffffff]` with trailing fraction zeros dropped.
pub fn push_clock(out: &mut String, micros: i64) {
    let h = micros / USECS_PER_HOUR;
    let m = micros / USECS_PER_MINUTE % 60;
    let s = micros / USECS_PER_SEC % 60;
    let frac = micros % USECS_PER_SEC;
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    push_fraction(out, frac);
}

/// Appends `.ffffff` without trailing zeros, nothing when `frac` is zero.
pub fn push_fraction(out: &mut String, frac: i64) {
    if frac != 0 {
        let f = format!("{:06}", frac.abs());
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// Formats a `date` (days since 2000-01-01) in the ISO DateStyle.
pub fn format_date(days: i32) -> String {
    format_date_style(days, &DateStyle::default())
}

/// Formats a `date` in the given DateStyle.
pub fn format_date_style(days: i32, style: &DateStyle) -> String {
    match days {
        DATE_INFINITY => "infinity".into(),
        DATE_NEG_INFINITY => "-infinity".into(),
        _ => {
            let mut out = String::with_capacity(13);
            if push_date_style(&mut out, i64::from(days), style) {
                out.push_str(" BC");
            }
            out
        }
    }
}

/// Formats a `time` (microseconds since midnight).
pub fn format_time(micros: i64) -> String {
    let mut out = String::with_capacity(15);
    push_clock(&mut out, micros);
    out
}

/// Formats a `timestamp` (microseconds since 2000-01-01) in the ISO DateStyle.
pub fn format_timestamp(micros: i64) -> String {
    format_ts(micros, None, &DateStyle::default())
}

/// Formats a `timestamp` in the given DateStyle.
pub fn format_timestamp_style(micros: i64, style: &DateStyle) -> String {
    format_ts(micros, None, style)
}

/// Formats a `timestamptz` (microseconds since 2000-01-01 UTC) in the given zone and
/// the DateStyle it carries.
pub fn format_timestamptz(micros: i64, tz: &TimeZone) -> String {
    format_ts(micros, Some(tz), &tz.style())
}

fn format_ts(micros: i64, tz: Option<&TimeZone>, style: &DateStyle) -> String {
    match micros {
        TIMESTAMP_INFINITY => return "infinity".into(),
        TIMESTAMP_NEG_INFINITY => return "-infinity".into(),
        _ => {}
    }
    let offset = tz.map(|z| z.offset_at(micros));
    let local = micros.saturating_add(i64::from(offset.unwrap_or(0)) * USECS_PER_SEC);
    let days = local.div_euclid(USECS_PER_DAY);
    let clock = local.rem_euclid(USECS_PER_DAY);
    let mut out = String::with_capacity(32);
    let abbrev = || tz.map(|z| z.abbrev_at(micros));
    let bc = if style.format == DateFormat::Postgres {
        let (y, m, d) = civil_from_days(days);
        let (year, bc) = display_year(y);
        let dow = DAY_ABBREVS[(days + 6).rem_euclid(7) as usize];
        let mon = MONTH_ABBREVS[(m - 1) as usize];
        if style.order == DateOrder::Dmy {
            out.push_str(&format!("{dow} {d:02} {mon} "));
        } else {
            out.push_str(&format!("{dow} {mon} {d:02} "));
        }
        push_clock(&mut out, clock);
        out.push_str(&format!(" {year:04}"));
        if let Some(name) = abbrev() {
            out.push(' ');
            out.push_str(&name);
        }
        bc
    } else {
        let bc = push_date_style(&mut out, days, style);
        out.push(' ');
        push_clock(&mut out, clock);
        match (style.format, offset) {
            (_, None) => {}
            (DateFormat::Iso, Some(off)) => out.push_str(&format_offset(off)),
            (_, Some(_)) => {
                out.push(' ');
                out.push_str(&abbrev().unwrap_or_default());
            }
        }
        bc
    };
    if bc {
        out.push_str(" BC");
    }
    out
}

fn today_days(tz: &TimeZone) -> i64 {
    let now = now_micros();
    (now + i64::from(tz.offset_at(now)) * USECS_PER_SEC).div_euclid(USECS_PER_DAY)
}

/// Parses `date` input (DateStyle `MDY`, `today` in UTC).
pub fn parse_date(input: &str) -> TypeResult<i32> {
    parse_date_tz(input, &TimeZone::UTC)
}

/// Parses `date` input in the session zone `tz` (`today`) and its DateStyle order.
pub fn parse_date_tz(input: &str, tz: &TimeZone) -> TypeResult<i32> {
    let f = decode(input, "date", tz, false)?;
    let days = match f.special {
        Some(Special::Infinity) => return Ok(DATE_INFINITY),
        Some(Special::NegInfinity) => return Ok(DATE_NEG_INFINITY),
        Some(Special::Epoch) => EPOCH_DAYS,
        Some(Special::Now | Special::Today) => today_days(tz),
        Some(Special::Tomorrow) => today_days(tz) + 1,
        Some(Special::Yesterday) => today_days(tz) - 1,
        Some(Special::AllBalls) => return Err(TypeError::datetime("date", input)),
        None => {
            let (y, m, d) = f.date.ok_or_else(|| TypeError::datetime("date", input))?;
            days_from_civil(y, m, d)
        }
    };
    if !(MIN_DATE_DAYS..=MAX_DATE_DAYS).contains(&days) {
        return Err(TypeError::DatetimeOverflow(format!("date out of range: \"{input}\"")));
    }
    Ok(days as i32)
}

/// Parses `time` input (a date part, if present, is ignored as in PostgreSQL).
pub fn parse_time(input: &str) -> TypeResult<i64> {
    parse_time_tz(input, &TimeZone::UTC)
}

/// Parses `time` input in the session zone `tz` (`now`) and its DateStyle order.
pub fn parse_time_tz(input: &str, tz: &TimeZone) -> TypeResult<i64> {
    let f = decode(input, "time", tz, true)?;
    match f.special {
        Some(Special::AllBalls) => Ok(0),
        Some(Special::Now) => {
            let now = now_micros();
            Ok((now + i64::from(tz.offset_at(now)) * USECS_PER_SEC).rem_euclid(USECS_PER_DAY))
        }
        Some(_) => Err(TypeError::datetime("time", input)),
        // A zone name whose offset has changed over time needs a date, even though a
        // `time` drops the offset (PostgreSQL rejects `15:36:39 America/New_York`).
        None if f.zone.as_ref().is_some_and(|z| z.fixed_offset().is_none()) && f.date.is_none() => {
            Err(TypeError::datetime("time", input))
        }
        None => f.time.ok_or_else(|| TypeError::datetime("time", input)),
    }
}

/// Formats a `timetz`: the time of day and its offset, `12:00:00-08`.
pub fn format_timetz(t: &TimeTz) -> String {
    let mut out = String::with_capacity(20);
    push_clock(&mut out, t.micros);
    out.push_str(&format_offset(t.offset));
    out
}

/// Parses `timetz` input. The offset is the one written (`-08`, `PST`), a named zone's
/// (which needs a date unless the zone never changes offset), or the session zone's on
/// the date given or today; a date part is otherwise ignored.
pub fn parse_timetz(input: &str, tz: &TimeZone) -> TypeResult<TimeTz> {
    let ty = "time with time zone";
    let f = decode(input, ty, tz, true)?;
    let bad = || TypeError::datetime(ty, input);
    match f.special {
        Some(Special::AllBalls) => return Ok(TimeTz::new(0, 0)),
        Some(Special::Now) => {
            let now = now_micros();
            let offset = f.tz.unwrap_or_else(|| tz.offset_at(now));
            return Ok(TimeTz::from_utc(now, offset));
        }
        Some(_) => return Err(bad()),
        None => {}
    }
    let micros = f.time.ok_or_else(bad)?;
    let offset = match f.tz {
        Some(off) => off,
        None => timetz::resolve_offset(f.date, micros, f.zone.as_ref(), tz).ok_or_else(bad)?,
    };
    Ok(TimeTz::new(micros, offset))
}

/// Local (wall-clock) microseconds since 2000-01-01 and the explicit offset, if any.
fn local_timestamp(f: &Fields, input: &str, ty: &str, tz: &TimeZone) -> TypeResult<i64> {
    let bad = || TypeError::datetime(ty, input);
    let local = match f.special {
        Some(Special::Infinity) => return Ok(TIMESTAMP_INFINITY),
        Some(Special::NegInfinity) => return Ok(TIMESTAMP_NEG_INFINITY),
        Some(Special::Epoch) => EPOCH_DAYS * USECS_PER_DAY,
        Some(Special::Now) => {
            let now = now_micros();
            now + i64::from(tz.offset_at(now)) * USECS_PER_SEC
        }
        Some(Special::Today) => today_days(tz) * USECS_PER_DAY,
        Some(Special::Tomorrow) => (today_days(tz) + 1) * USECS_PER_DAY,
        Some(Special::Yesterday) => (today_days(tz) - 1) * USECS_PER_DAY,
        Some(Special::AllBalls) => return Err(bad()),
        None => {
            let (y, m, d) = f.date.ok_or_else(bad)?;
            let days = days_from_civil(y, m, d);
            // One day of slack either side so that a time zone offset can still bring
            // the value into range; `check_timestamp` has the last word.
            let lo = MIN_TIMESTAMP / USECS_PER_DAY - 1;
            let hi = END_TIMESTAMP / USECS_PER_DAY + 1;
            if !(lo..=hi).contains(&days) {
                return Err(TypeError::DatetimeOverflow(format!(
                    "timestamp out of range: \"{input}\""
                )));
            }
            days * USECS_PER_DAY + f.time.unwrap_or(0)
        }
    };
    Ok(local)
}

fn check_timestamp(micros: i64, input: &str) -> TypeResult<i64> {
    if micros == TIMESTAMP_INFINITY
        || micros == TIMESTAMP_NEG_INFINITY
        || (MIN_TIMESTAMP..END_TIMESTAMP).contains(&micros)
    {
        Ok(micros)
    } else {
        Err(TypeError::DatetimeOverflow(format!("timestamp out of range: \"{input}\"")))
    }
}

/// Parses `timestamp` input; a time zone in the input is ignored, as in PostgreSQL.
pub fn parse_timestamp(input: &str) -> TypeResult<i64> {
    parse_timestamp_tz(input, &TimeZone::UTC)
}

/// Parses `timestamp` input with the session zone `tz` (`now`, `today`) and its
/// DateStyle order.
pub fn parse_timestamp_tz(input: &str, tz: &TimeZone) -> TypeResult<i64> {
    let f = decode(input, "timestamp", tz, false)?;
    let local = local_timestamp(&f, input, "timestamp", tz)?;
    check_timestamp(local, input)
}

/// Parses `timestamptz` input; without an explicit offset the value is read in `tz`.
pub fn parse_timestamptz(input: &str, tz: &TimeZone) -> TypeResult<i64> {
    let ty = "timestamp with time zone";
    let f = decode(input, ty, tz, false)?;
    let local = local_timestamp(&f, input, ty, tz)?;
    if local == TIMESTAMP_INFINITY || local == TIMESTAMP_NEG_INFINITY {
        return Ok(local);
    }
    let zone = f.zone.as_ref().unwrap_or(tz);
    let utc = match (f.special, f.tz) {
        (Some(Special::Now), _) => now_micros(),
        (Some(Special::Epoch), _) => EPOCH_DAYS * USECS_PER_DAY,
        (_, Some(off)) => local - i64::from(off) * USECS_PER_SEC,
        (_, None) => local - i64::from(zone.offset_for_local(local)) * USECS_PER_SEC,
    };
    check_timestamp(utc, input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_like_postgres() {
        assert_eq!(format_date(0), "2000-01-01");
        assert_eq!(format_date(days_from_civil(2024, 1, 2) as i32), "2024-01-02");
        assert_eq!(format_date(days_from_civil(-43, 3, 15) as i32), "0044-03-15 BC");
        assert_eq!(format_date(DATE_INFINITY), "infinity");
        assert_eq!(
            format_time(3 * USECS_PER_HOUR + 4 * USECS_PER_MINUTE + 5_123_456),
            "03:04:05.123456"
        );
        assert_eq!(format_time(5_120_000), "00:00:05.12");
        assert_eq!(format_time(24 * USECS_PER_HOUR), "24:00:00");
        let ts = days_from_civil(2024, 1, 2) * USECS_PER_DAY
            + 3 * USECS_PER_HOUR
            + 4 * USECS_PER_MINUTE
            + 5 * USECS_PER_SEC;
        assert_eq!(format_timestamp(ts), "2024-01-02 03:04:05");
        assert_eq!(format_timestamptz(ts, &TimeZone::UTC), "2024-01-02 03:04:05+00");
        let ist = TimeZone::fixed(19_800).unwrap();
        assert_eq!(format_timestamptz(ts, &ist), "2024-01-02 08:34:05+05:30");
        assert_eq!(format_timestamp(-USECS_PER_SEC), "1999-12-31 23:59:59");
        let bc = days_from_civil(-43, 3, 15) * USECS_PER_DAY;
        assert_eq!(format_timestamptz(bc, &TimeZone::UTC), "0044-03-15 00:00:00+00 BC");
        assert_eq!(format_timestamp(TIMESTAMP_NEG_INFINITY), "-infinity");
    }

    #[test]
    fn formats_in_every_datestyle() {
        use crate::text::style::apply_datestyle;
        let ts = days_from_civil(1997, 2, 10) * USECS_PER_DAY + 17 * USECS_PER_HOUR + 1_500_000;
        let style = |s: &str| apply_datestyle(s, DateStyle::default()).unwrap();
        let d = days_from_civil(1997, 2, 10) as i32;
        let cases = [
            ("ISO, MDY", "1997-02-10", "1997-02-10 17:00:01.5"),
            ("SQL, MDY", "02/10/1997", "02/10/1997 17:00:01.5"),
            ("SQL, DMY", "10/02/1997", "10/02/1997 17:00:01.5"),
            ("Postgres, MDY", "02-10-1997", "Mon Feb 10 17:00:01.5 1997"),
            ("Postgres, DMY", "10-02-1997", "Mon 10 Feb 17:00:01.5 1997"),
            ("German", "10.02.1997", "10.02.1997 17:00:01.5"),
        ];
        for (name, date, stamp) in cases {
            assert_eq!(format_date_style(d, &style(name)), date, "{name}");
            assert_eq!(format_timestamp_style(ts, &style(name)), stamp, "{name}");
        }
        let pst = TimeZone::parse("PST8PDT").unwrap().with_style(style("Postgres, MDY"));
        assert_eq!(format_timestamptz(ts, &pst), "Mon Feb 10 09:00:01.5 1997 PST");
        let july = days_from_civil(1997, 7, 10) * USECS_PER_DAY;
        assert_eq!(format_timestamptz(july, &pst), "Wed Jul 09 17:00:00 1997 PDT");
        let sql = TimeZone::fixed(5 * 3600).unwrap().with_style(style("SQL"));
        assert_eq!(format_timestamptz(ts, &sql), "02/10/1997 22:00:01.5 +05");
        let bc = days_from_civil(-43, 3, 15) * USECS_PER_DAY;
        assert_eq!(format_timestamp_style(bc, &style("Postgres")), "Fri Mar 15 00:00:00 0044 BC");
        let dmy = TimeZone::UTC.with_style(style("DMY"));
        assert_eq!(parse_date_tz("1/2/2003", &dmy), Ok(days_from_civil(2003, 2, 1) as i32));
        let ymd = TimeZone::UTC.with_style(style("YMD"));
        assert_eq!(parse_date_tz("03/02/01", &ymd), Ok(days_from_civil(2003, 2, 1) as i32));
    }

    #[test]
    fn parses_like_postgres() {
        assert_eq!(parse_date("2024-01-02"), Ok(days_from_civil(2024, 1, 2) as i32));
        assert_eq!(parse_date("epoch"), Ok(-10_957));
        assert_eq!(parse_date("2024-01-02 03:04:05"), Ok(days_from_civil(2024, 1, 2) as i32));
        assert_eq!(parse_date("4714-11-24 BC"), Ok(MIN_DATE_DAYS as i32));
        assert_eq!(parse_date("4714-11-23 BC").unwrap_err().sqlstate().code(), "22008");
        assert_eq!(
            parse_date("abc").unwrap_err().to_string(),
            "invalid input syntax for type date: \"abc\""
        );
        assert_eq!(
            parse_time("03:04:05.5"),
            Ok(3 * USECS_PER_HOUR + 4 * USECS_PER_MINUTE + 5_500_000)
        );
        assert_eq!(parse_time("allballs"), Ok(0));
        assert_eq!(parse_time("04:05 PM"), Ok(16 * USECS_PER_HOUR + 5 * USECS_PER_MINUTE));
        assert!(parse_time("2024-01-02").is_err());
        let base = days_from_civil(2024, 1, 2) * USECS_PER_DAY + 3 * USECS_PER_HOUR;
        assert_eq!(parse_timestamp("2024-01-02 03:00:00+05"), Ok(base));
        assert_eq!(parse_timestamp("2024-01-02T03:00"), Ok(base));
        assert_eq!(
            parse_timestamptz("2024-01-02 03:00:00+05", &TimeZone::UTC),
            Ok(base - 5 * USECS_PER_HOUR)
        );
        assert_eq!(parse_timestamptz("2024-01-02 08:30:00+05:30", &TimeZone::UTC), Ok(base));
        assert_eq!(parse_timestamptz("2024-01-02 03:00 UTC", &TimeZone::UTC), Ok(base));
        let ist = TimeZone::fixed(19_800).unwrap();
        assert_eq!(parse_timestamptz("2024-01-02 08:30", &ist), Ok(base));
        assert_eq!(parse_timestamp("infinity"), Ok(TIMESTAMP_INFINITY));
        assert_eq!(parse_timestamp("294277-01-01").unwrap_err().sqlstate().code(), "22008");
        for far in ["5874897-12-31", "5874897-12-31 23:59:59+15"] {
            assert_eq!(
                parse_timestamptz(far, &TimeZone::UTC).unwrap_err().to_string(),
                format!("timestamp out of range: \"{far}\"")
            );
        }
        assert_eq!(
            parse_timestamptz("x", &TimeZone::UTC).unwrap_err().to_string(),
            "invalid input syntax for type timestamp with time zone: \"x\""
        );
    }

    #[test]
    fn timetz_text() {
        let h = USECS_PER_HOUR;
        let p = |s: &str| parse_timetz(s, &TimeZone::UTC).map(|t| format_timetz(&t));
        assert_eq!(p("04:05:06.789-8"), Ok("04:05:06.789-08".into()));
        assert_eq!(p("040506+07:30"), Ok("04:05:06+07:30".into()));
        assert_eq!(p("04:05 PST"), Ok("04:05:00-08".into()));
        assert_eq!(p("2003-07-07 15:36:39 America/New_York"), Ok("15:36:39-04".into()));
        assert_eq!(p("10:00 Etc/GMT+3"), Ok("10:00:00-03".into()));
        assert_eq!(p("allballs"), Ok("00:00:00+00".into()));
        for bad in ["15:36:39 America/New_York", "15:36:39 m2", "15:36:39 Asia/Kolkata"] {
            assert_eq!(
                p(bad).unwrap_err().to_string(),
                format!("invalid input syntax for type time with time zone: \"{bad}\"")
            );
        }
        assert_eq!(p("24:00:00.01+00").unwrap_err().sqlstate().code(), "22008");
        let ist = TimeZone::fixed(19_800).unwrap();
        assert_eq!(
            parse_timetz("04:05", &ist),
            Ok(TimeTz::new(4 * h + 5 * USECS_PER_MINUTE, 19_800))
        );
        assert_eq!(parse_time("15:36:39 America/New_York").unwrap_err().sqlstate().code(), "22007");
    }

    proptest! {
        #[test]
        fn timetz_round_trips(t in 0i64..=USECS_PER_DAY, off in -57_599i32..=57_599) {
            let v = TimeTz::new(t, off);
            prop_assert_eq!(parse_timetz(&format_timetz(&v), &TimeZone::UTC), Ok(v));
        }

        #[test]
        fn date_round_trips(days in MIN_DATE_DAYS..=MAX_DATE_DAYS) {
            let d = days as i32;
            prop_assert_eq!(parse_date(&format_date(d)), Ok(d));
        }

        #[test]
        fn timestamp_round_trips(ts in MIN_TIMESTAMP + USECS_PER_DAY..END_TIMESTAMP - USECS_PER_DAY, off in -15i32*3600..15*3600) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(ts)), Ok(ts));
            let tz = TimeZone::fixed(off).unwrap();
            prop_assert_eq!(parse_timestamptz(&format_timestamptz(ts, &tz), &TimeZone::UTC), Ok(ts));
        }

        #[test]
        fn time_round_trips(t in 0i64..=USECS_PER_DAY) {
            prop_assert_eq!(parse_time(&format_time(t)), Ok(t));
        }
    }
}
