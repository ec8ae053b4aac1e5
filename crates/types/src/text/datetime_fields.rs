//! Splits date/time input text into fields the way PostgreSQL's `ParseDateTime` /
//! `DecodeDateTime` do, for the forms clients send in practice:
//!
//! - ISO 8601: `2024-01-02`, `2024-01-02 03:04:05.5+05:30`, `2024-01-02T03:04:05Z`
//! - `YYYYMMDD`, `MM/DD/YYYY` and `MM-DD-YYYY` (DateStyle `ISO, MDY`), `YYYY.MM.DD`
//! - month names: `January 2, 2024`, `2 Jan 2024`, `02-Jan-2024`, `Jan-02-2024`
//! - `BC` / `AD`, `AM` / `PM`, weekday names (ignored)
//! - time zones: `+05`, `+0530`, `+05:30`, `-03:00:15`, `Z`, `UTC`, `GMT`
//! - special words: `epoch`, `infinity`, `-infinity`, `now`, `today`, `tomorrow`,
//!   `yesterday`, `allballs`
//!
//! Named zones (`Europe/Berlin`) and common abbreviations (`PST`, `CEST`) are accepted.

use super::calendar::{days_in_month, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};
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

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const WEEKDAY_NAMES: [&str; 7] =
    ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

fn month_from_name(word: &str) -> Option<u32> {
    let pos = MONTHS
        .iter()
        .position(|m| *m == word)
        .or_else(|| MONTH_NAMES.iter().position(|m| *m == word))
        .or_else(|| (word == "sept").then_some(8))?;
    Some(pos as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    WEEKDAYS.contains(&word)
        || WEEKDAY_NAMES.contains(&word)
        || matches!(word, "tues" | "wednes" | "thur" | "thurs")
}

/// The state collected while reading the chunks of one input.
#[derive(Default)]
struct Reader {
    fields: Fields,
    ymd: Option<(String, u32, String)>,
    month_name: Option<u32>,
    numbers: Vec<String>,
    bc: bool,
    pm: Option<bool>,
    /// The year in `ymd` is astronomical already (from a Julian day number).
    ymd_astronomical: bool,
}

/// Splits and decodes `input`; `ty` names the target type in syntax errors.
pub fn parse_fields(input: &str, ty: &str) -> TypeResult<Fields> {
    let bad = || TypeError::datetime(ty, input);
    if !input.is_ascii() {
        return Err(bad());
    }
    let lower = input.trim().to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut text = String::with_capacity(lower.len());
    for (i, c) in lower.char_indices() {
        let iso_t = c == 't'
            && i > 0
            && bytes[i - 1].is_ascii_digit()
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        text.push(if iso_t { ' ' } else { c });
    }
    let mut r = Reader::default();
    for chunk in text.split(|c: char| c.is_ascii_whitespace() || c == ',').filter(|c| !c.is_empty())
    {
        r.chunk(chunk, input, ty)?;
    }
    r.finish(input, ty)?;
    if r.fields.date.is_none() && r.fields.time.is_none() && r.fields.special.is_none() {
        return Err(bad());
    }
    Ok(r.fields)
}

impl Reader {
    fn chunk(&mut self, c: &str, input: &str, ty: &str) -> TypeResult<()> {
        let bad = || TypeError::datetime(ty, input);
        let special = match c {
            "infinity" | "+infinity" => Some(Special::Infinity),
            "-infinity" => Some(Special::NegInfinity),
            "epoch" => Some(Special::Epoch),
            "now" => Some(Special::Now),
            "today" => Some(Special::Today),
            "tomorrow" => Some(Special::Tomorrow),
            "yesterday" => Some(Special::Yesterday),
            "allballs" => Some(Special::AllBalls),
            _ => None,
        };
        if let Some(s) = special {
            if self.fields.special.replace(s).is_some() {
                return Err(bad());
            }
            return Ok(());
        }
        match c {
            "bc" => self.bc = true,
            "ad" => {}
            "am" | "a.m." => self.pm = Some(false),
            "pm" | "p.m." => self.pm = Some(true),
            "z" | "utc" | "gmt" | "zulu" | "ut" => self.set_tz(0, input, ty)?,
            _ if (c.starts_with('+') || c.starts_with('-'))
                && c.as_bytes().get(1).is_some_and(u8::is_ascii_digit)
                && (self.fields.time.is_some()
                    || self.fields.date.is_some()
                    || self.ymd.is_some()) =>
            {
                let off = parse_offset(c, input).ok_or_else(bad)??;
                self.set_tz(off, input, ty)?;
            }
            _ if c.as_bytes()[0].is_ascii_alphabetic() && c.contains('/') => {
                let zone = super::timezone::TimeZone::parse(c).map_err(|_| {
                    TypeError::other(
                        helios_common::SqlState::INVALID_PARAMETER_VALUE,
                        format!("time zone \"{c}\" not recognized"),
                    )
                })?;
                if self.fields.zone.replace(zone).is_some() || self.fields.tz.is_some() {
                    return Err(bad());
                }
            }
            _ if c.contains(':') && c.starts_with('t') => self.time_chunk(&c[1..], input, ty)?,
            _ if c.contains(':') => self.time_chunk(c, input, ty)?,
            _ if c.len() > 1
                && c.starts_with('j')
                && c[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                if self.ymd.is_some() || self.fields.date.is_some() {
                    return Err(bad());
                }
                let jd: i64 = c[1..].parse().map_err(|_| bad())?;
                let (y, m, d) = super::calendar::civil_from_days(jd - 2_451_545);
                self.ymd = Some((y.to_string(), m, d.to_string()));
                self.ymd_astronomical = true;
            }
            _ if c.len() == 6
                && c.bytes().all(|b| b.is_ascii_digit())
                && self.fields.time.is_none()
                && (self.ymd.is_some() || ty == "time") =>
            {
                let clock = format!("{}:{}:{}", &c[..2], &c[2..4], &c[4..]);
                self.fields.time = Some(
                    parse_clock(&clock)
                        .ok_or_else(bad)?
                        .map_err(|_| TypeError::field_range(input))?,
                );
            }
            _ if c.len() > 1 && c[1..].contains(['-', '/', '.']) => {
                self.date_chunk(c, input, ty)?
            }
            _ if c.bytes().all(|b| b.is_ascii_digit()) => {
                if c.len() == 8 && self.ymd.is_none() && self.fields.date.is_none() {
                    self.ymd = Some((
                        c[..4].to_string(),
                        parse_u32(&c[4..6]).ok_or_else(bad)?,
                        c[6..].to_string(),
                    ));
                } else {
                    self.numbers.push(c.to_string());
                }
            }
            _ if c.bytes().all(|b| b.is_ascii_alphabetic() || b == b'.') => {
                let word = c.trim_end_matches('.');
                if let Some(off) = super::timezone::abbreviation_offset(word) {
                    self.set_tz(off, input, ty)?;
                } else if let Some(m) = month_from_name(word) {
                    if self.month_name.replace(m).is_some() {
                        return Err(bad());
                    }
                } else if !is_weekday(word) {
                    return Err(bad());
                }
            }
            _ => return Err(bad()),
        }
        Ok(())
    }

    fn set_tz(&mut self, off: i32, input: &str, ty: &str) -> TypeResult<()> {
        if self.fields.tz.replace(off).is_some() || self.fields.zone.is_some() {
            return Err(TypeError::datetime(ty, input));
        }
        Ok(())
    }

    fn time_chunk(&mut self, c: &str, input: &str, ty: &str) -> TypeResult<()> {
        let bad = || TypeError::datetime(ty, input);
        if self.fields.time.is_some() {
            return Err(bad());
        }
        let mut body = c;
        for (suffix, pm) in [("am", false), ("pm", true)] {
            if let Some(b) = body.strip_suffix(suffix) {
                body = b;
                self.pm = Some(pm);
            }
        }
        if let Some(b) = body.strip_suffix('z') {
            body = b;
            self.set_tz(0, input, ty)?;
        } else if let Some(pos) = body.rfind(['+', '-']) {
            let off = parse_offset(&body[pos..], input).ok_or_else(bad)??;
            self.set_tz(off, input, ty)?;
            body = &body[..pos];
        }
        self.fields.time =
            Some(parse_clock(body).ok_or_else(bad)?.map_err(|_| TypeError::field_range(input))?);
        Ok(())
    }

    fn date_chunk(&mut self, c: &str, input: &str, ty: &str) -> TypeResult<()> {
        let bad = || TypeError::datetime(ty, input);
        if self.ymd.is_some() || self.fields.date.is_some() {
            return Err(bad());
        }
        let sep = c[1..].chars().find(|ch| matches!(ch, '-' | '/' | '.')).ok_or_else(bad)?;
        let parts: Vec<&str> = c.split(sep).collect();
        if let [y, doy] = parts[..] {
            // ISO 8601 ordinal date `YYYY-DDD`.
            let year: i64 = y.parse().map_err(|_| bad())?;
            let doy: u32 =
                parse_u32(doy).filter(|_| doy.len() == 3 && y.len() == 4).ok_or_else(bad)?;
            let max = if super::calendar::is_leap(year) { 366 } else { 365 };
            if doy == 0 || doy > max {
                return Err(TypeError::field_range(input));
            }
            let days = super::calendar::days_from_civil(year, 1, 1) + i64::from(doy) - 1;
            let (_, m, d) = super::calendar::civil_from_days(days);
            self.ymd = Some((y.to_string(), m, d.to_string()));
            return Ok(());
        }
        let [a, b, d] = parts[..] else { return Err(bad()) };
        let num = |s: &str| s.bytes().all(|x| x.is_ascii_digit()) && !s.is_empty();
        let ymd = match (month_from_name(a), month_from_name(b)) {
            (Some(m), None) if num(b) && num(d) => (d.to_string(), m, b.to_string()),
            (None, Some(m)) if num(a) && num(d) && a.len() > 2 => (a.to_string(), m, d.to_string()),
            (None, Some(m)) if num(a) && num(d) => (d.to_string(), m, a.to_string()),
            (None, None) if num(a) && num(b) && num(d) && a.len() > 2 => {
                (a.to_string(), parse_u32(b).ok_or_else(bad)?, d.to_string())
            }
            (None, None) if num(a) && num(b) && num(d) => {
                (d.to_string(), parse_u32(a).ok_or_else(bad)?, b.to_string())
            }
            _ => return Err(bad()),
        };
        self.ymd = Some(ymd);
        Ok(())
    }

    fn finish(&mut self, input: &str, ty: &str) -> TypeResult<()> {
        let bad = || TypeError::datetime(ty, input);
        let ymd = match (self.ymd.take(), self.month_name) {
            (Some(_), Some(_)) => return Err(bad()),
            (Some(ymd), None) => Some(ymd),
            (None, Some(m)) => {
                let [x, y] = &self.numbers[..] else { return Err(bad()) };
                if x.len() > 2 {
                    Some((x.clone(), m, y.clone()))
                } else {
                    Some((y.clone(), m, x.clone()))
                }
            }
            (None, None) if self.numbers.is_empty() => None,
            (None, None) => return Err(bad()),
        };
        if ymd.is_some() && self.month_name.is_none() && !self.numbers.is_empty() {
            return Err(bad());
        }
        if let Some((year, month, day)) = ymd {
            let y_raw: i64 = year.parse().map_err(|_| bad())?;
            let day: u32 = parse_u32(&day).ok_or_else(bad)?;
            let mut y = y_raw;
            if self.ymd_astronomical {
                if self.bc {
                    return Err(bad());
                }
                if !(1..=12).contains(&month) || day < 1 || day > days_in_month(y, month) {
                    return Err(TypeError::field_range(input));
                }
                self.fields.date = Some((y, month, day));
                return self.finish_time(input, ty);
            }
            if year.len() <= 2 && !self.bc {
                y += if y < 70 { 2000 } else { 1900 };
            }
            if (y == 0 && year.len() > 2) || y > 10_000_000 {
                return Err(TypeError::field_range(input));
            }
            if self.bc {
                if y == 0 {
                    return Err(TypeError::field_range(input));
                }
                y = 1 - y;
            }
            if !(1..=12).contains(&month) || day < 1 || day > days_in_month(y, month) {
                return Err(TypeError::field_range(input));
            }
            self.fields.date = Some((y, month, day));
        } else if self.bc {
            return Err(bad());
        }
        self.finish_time(input, ty)
    }

    fn finish_time(&mut self, input: &str, ty: &str) -> TypeResult<()> {
        let bad = || TypeError::datetime(ty, input);
        if let Some(pm) = self.pm {
            let t = self.fields.time.ok_or_else(bad)?;
            let hour = t / USECS_PER_HOUR;
            if hour > 12 {
                return Err(TypeError::field_range(input));
            }
            let t = match (pm, hour) {
                (false, 12) => t - 12 * USECS_PER_HOUR,
                (true, h) if h < 12 => t + 12 * USECS_PER_HOUR,
                _ => t,
            };
            self.fields.time = Some(t);
        }
        if self.fields.special.is_some()
            && (self.fields.date.is_some() || self.fields.time.is_some())
        {
            // PostgreSQL allows `today 03:00` style combinations only for a few words;
            // keep the rules simple and reject mixing.
            return Err(bad());
        }
        Ok(())
    }
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
        assert_eq!(f("24:00:00").time, Some(24 * USECS_PER_HOUR));
        assert_eq!(f("00:00:00.0000005").time, Some(0));
        assert_eq!(f("00:00:00.0000015").time, Some(2));
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
