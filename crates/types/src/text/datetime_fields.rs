//! The decoded fields of a date/time input ([`Fields`]) and the small readers other
//! inputs share (`h:m:s` clocks, fractions, numeric UTC offsets). The decoding itself,
//! with PostgreSQL's rules, is in [`super::datetime_decode`]:
//!
//! - ISO 8601: `2024-01-02`, `2024-01-02 03:04:05.5+05:30`, `2024-01-02T03:04:05Z`
//! - run-together `YYYYMMDD`, `hhmmss`, ordinal `YYYY.DDD`, Julian days `J2451545`
//! - `MM/DD/YYYY`, `DD/MM/YYYY` or `YY/MM/DD` as DateStyle orders them, `YYYY.MM.DD`
//! - month names: `January 2, 2024`, `2 Jan 2024`, `02-Jan-2024`, `Jan-02-2024`
//! - labelled fields: `y2001m02d04h05mm06s07`
//! - `BC` / `AD`, `AM` / `PM`, weekday names (ignored)
//! - time zones: `+05`, `+0530`, `+05:30`, `-03:00:15`, abbreviations (`Z`, `UTC`,
//!   `PST`, `CEST`, `MET DST`) and names (`Europe/Berlin`, `PST8PDT`)
//! - special words: `epoch`, `infinity`, `-infinity`, `now`, `today`, `tomorrow`,
//!   `yesterday`, `allballs`

use super::calendar::{USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};
use crate::error::{TypeError, TypeResult};

/// A special date/time word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// `infinity`
    Infinity,
    /// `-infinity`
    NegInfinity,
    /// `epoch` (1970-01-01 00:00:00 UTC)
    Epoch,
    /// `now`
    Now,
    /// `today`
    Today,
    /// `tomorrow`
    Tomorrow,
    /// `yesterday`
    Yesterday,
    /// `allballs` (00:00:00)
    AllBalls,
}

/// The fields found in a date/time string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    /// Validated civil date (astronomical year, month, day).
    pub date: Option<(i64, u32, u32)>,
    /// Time of day in microseconds (`24:00:00` allowed).
    pub time: Option<i64>,
    /// Time zone offset east of UTC in seconds.
    pub tz: Option<i32>,
    /// A special word, if one was given.
    pub special: Option<Special>,
    /// A named time zone given in the input (`Europe/Berlin`).
    pub zone: Option<super::timezone::TimeZone>,
}

/// Splits and decodes `input` (DateStyle `MDY`, session zone UTC); `ty` names the
/// target type in syntax errors. See [`super::datetime_decode`].
pub fn parse_fields(input: &str, ty: &str) -> TypeResult<Fields> {
    parse_fields_in(input, ty, &super::timezone::TimeZone::UTC)
}

/// Decodes a date, timestamp or timestamptz input with the session zone `tz` (its
/// DateStyle field order, `today`).
pub fn parse_fields_in(
    input: &str,
    ty: &str,
    tz: &super::timezone::TimeZone,
) -> TypeResult<Fields> {
    super::datetime_decode::decode(input, ty, tz, ty == "time")
}

fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 9 {
        return None;
    }
    s.parse().ok()
}

/// Parses `h:m[:s[.frac]]` into microseconds. `None` is a syntax error, `Some(Err)` a
/// field out of range.
pub fn parse_clock(s: &str) -> Option<Result<i64, ()>> {
    let mut parts = s.split(':');
    let h = parse_u32(parts.next()?)?;
    let m = parse_u32(parts.next()?)?;
    let sec_text = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let (sec, frac) = match sec_text {
        None => (0, 0),
        Some(t) => {
            let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
            let sec = parse_u32(whole)?;
            (sec, parse_fraction(frac)?)
        }
    };
    if m > 59 || sec > 60 || h > 24 || (h == 24 && (m > 0 || sec > 0 || frac > 0)) {
        return Some(Err(()));
    }
    let t = i64::from(h) * USECS_PER_HOUR
        + i64::from(m) * USECS_PER_MINUTE
        + i64::from(sec) * USECS_PER_SEC
        + frac;
    if t > 24 * USECS_PER_HOUR {
        return Some(Err(()));
    }
    Some(Ok(t))
}

/// Parses the digits after a decimal point as microseconds, rounding half to even as
/// PostgreSQL's `rint` does.
pub fn parse_fraction(frac: &str) -> Option<i64> {
    if frac.is_empty() {
        return Some(0);
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: f64 = format!("0.{frac}").parse().ok()?;
    Some((v * 1e6).round_ties_even() as i64)
}

/// Parses a numeric UTC offset such as `+05`, `-0530`, `+05:30`, `+5:30:15`. `None` is a
/// syntax error; `Some(Err)` reports an out-of-range displacement.
pub fn parse_offset(s: &str, input: &str) -> Option<TypeResult<i32>> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => return None,
    };
    let (h, m, sec) = if body.contains(':') {
        let mut it = body.split(':');
        let h = parse_u32(it.next()?)?;
        let m = parse_u32(it.next()?)?;
        let sec = match it.next() {
            Some(x) => parse_u32(x)?,
            None => 0,
        };
        if it.next().is_some() {
            return None;
        }
        (h, m, sec)
    } else {
        let n = parse_u32(body)?;
        match body.len() {
            1 | 2 => (n, 0, 0),
            3 | 4 => (n / 100, n % 100, 0),
            5 | 6 => (n / 10_000, n / 100 % 100, n % 100),
            _ => return None,
        }
    };
    if m > 59 || sec > 59 {
        return Some(Err(TypeError::field_range(input)));
    }
    if h > 15 {
        return Some(Err(TypeError::other(
            helios_common::SqlState::INVALID_TIME_ZONE_DISPLACEMENT_VALUE,
            format!("time zone displacement out of range: \"{input}\""),
        )));
    }
    let total = (h * 3600 + m * 60 + sec) as i32;
    Some(Ok(if neg { -total } else { total }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Fields {
        parse_fields(s, "timestamp").unwrap()
    }

    #[test]
    fn reads_common_forms() {
        assert_eq!(f("2024-01-02").date, Some((2024, 1, 2)));
        assert_eq!(f("20240102").date, Some((2024, 1, 2)));
        assert_eq!(f("1/2/2024").date, Some((2024, 1, 2)));
        assert_eq!(f("01-02-2024").date, Some((2024, 1, 2)));
        assert_eq!(f("2024.01.02").date, Some((2024, 1, 2)));
        assert_eq!(f("January 2, 2024").date, Some((2024, 1, 2)));
        assert_eq!(f("2 Jan 2024").date, Some((2024, 1, 2)));
        assert_eq!(f("02-Jan-2024").date, Some((2024, 1, 2)));
        assert_eq!(f("Jan-02-2024").date, Some((2024, 1, 2)));
        assert_eq!(f("Tue Jan 2 2024").date, Some((2024, 1, 2)));
        assert_eq!(f("1/2/24").date, Some((2024, 1, 2)));
        assert_eq!(f("1/2/99").date, Some((1999, 1, 2)));
        assert_eq!(f("0044-03-15 BC").date, Some((-43, 3, 15)));
        assert_eq!(f("2024-060").date, Some((2024, 2, 29)));
        assert_eq!(f("J2451545").date, Some((2000, 1, 1)));
        assert_eq!(
            f("20240102 040506").time,
            Some(4 * USECS_PER_HOUR + 5 * USECS_PER_MINUTE + 6_000_000)
        );
        assert_eq!(
            parse_fields("T04:05:06", "time").unwrap().time,
            Some(4 * USECS_PER_HOUR + 5 * USECS_PER_MINUTE + 6_000_000)
        );
        assert_eq!(
            parse_fields("040506", "time").unwrap().time,
            Some(4 * USECS_PER_HOUR + 5 * USECS_PER_MINUTE + 6_000_000)
        );
        let t = f("2024-01-02T03:04:05.5Z");
        assert_eq!(t.time, Some(3 * USECS_PER_HOUR + 4 * USECS_PER_MINUTE + 5_500_000));
        assert_eq!(t.tz, Some(0));
        assert_eq!(f("2024-01-02 03:04:05+05:30").tz, Some(19_800));
        assert_eq!(f("2024-01-02 03:04:05 -0800").tz, Some(-28_800));
        assert_eq!(f("2024-01-02 03:04 UTC").tz, Some(0));
        assert_eq!(f("2024-01-02 12:30 am").time, Some(30 * USECS_PER_MINUTE));
        assert_eq!(f("2024-01-02 1:00pm").time, Some(13 * USECS_PER_HOUR));
        assert_eq!(f("infinity").special, Some(Special::Infinity));
        assert_eq!(f("-INFINITY").special, Some(Special::NegInfinity));
        let t = |s: &str| parse_fields(s, "time").unwrap().time;
        assert_eq!(t("24:00:00"), Some(24 * USECS_PER_HOUR));
        assert_eq!(t("00:00:00.0000005"), Some(0));
        assert_eq!(t("00:00:00.0000015"), Some(2));
        assert!(parse_fields("24:00:00", "timestamp").is_err());
    }

    #[test]
    fn rejects_bad_input() {
        for s in ["", "abc", "2024-01", "2024-01-02 03:04:05 extra", "1:2:3:4", "2024-01-02 x"] {
            let e = parse_fields(s, "timestamp").unwrap_err();
            assert_eq!(e.sqlstate().code(), "22007", "{s}");
        }
        for s in ["2024-13-01", "2024-02-30", "2023-02-29", "25:00", "12:60", "24:00:01"] {
            let e = parse_fields(s, "timestamp").unwrap_err();
            assert_eq!(e.sqlstate().code(), "22008", "{s}");
            assert_eq!(e.to_string(), format!("date/time field value out of range: \"{s}\""));
        }
        assert_eq!(
            parse_fields("2024-01-01 00:00+16", "timestamp").unwrap_err().sqlstate().code(),
            "22009"
        );
    }
}
