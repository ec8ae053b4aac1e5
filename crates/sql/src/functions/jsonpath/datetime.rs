//! `.datetime()` and date/time items: recognising the ISO forms (or a template of
//! `yyyy yy mm Mon Month dd HH24 HH12 HH MI SS MS US FF1-FF6 TZH TZM AM PM` fields,
//! separators and quoted literals), comparing date/time items, and printing them into
//! `jsonb`.

use std::cmp::Ordering;

use helios_common::{Error, SqlState};
use helios_types::jsonpath::Accessor;
use helios_types::text::calendar::{civil_from_days, days_from_civil, days_in_month};
use helios_types::TimeZone;

use super::exec::{Exec, Found, Res};
use super::item::{soft, DateTime, Fail, Item, INVALID_DATETIME_ARGUMENT};
use crate::functions::to_char::MONTHS;

const DAY: i64 = 86_400_000_000;

impl<'a> Exec<'a> {
    /// `.datetime([template])` on `jb`.
    pub(super) fn datetime_method(
        &mut self,
        template: Option<&str>,
        rest: &[Accessor],
        jb: Item<'a>,
        found: Found<'_, 'a>,
        unwrap: bool,
    ) -> Res {
        if unwrap && jb.is_array() {
            let acc = Accessor::Datetime(template.map(str::to_string));
            return self.unwrap_array(Some((&acc, rest)), &jb, found, false);
        }
        let Some(s) = jb.as_str() else {
            return Err(soft(
                INVALID_DATETIME_ARGUMENT,
                "jsonpath item method .datetime() can only be applied to a string",
            ));
        };
        let value = match template {
            None => parse_iso(s).ok_or_else(|| {
                Fail::Soft(
                    Error::new(
                        INVALID_DATETIME_ARGUMENT,
                        format!("datetime format is not recognized: \"{s}\""),
                    )
                    .with_hint(
                        "Use a datetime template argument to specify the input data format.",
                    ),
                )
            })?,
            Some(t) => parse_template(s, t).map_err(Fail::Soft)?,
        };
        self.next(rest, Item::DateTime(value), found)
    }
}

#[derive(Default)]
struct Fields {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<i64>,
    minute: i64,
    second: i64,
    micros: i64,
    pm: Option<bool>,
    tz: Option<i32>,
}

impl Fields {
    fn build(self, input: &str) -> Result<DateTime, Error> {
        let bad = || {
            Error::new(
                SqlState::DATETIME_FIELD_OVERFLOW,
                format!("date/time field value out of range: \"{input}\""),
            )
        };
        let mut hour = self.hour;
        if let (Some(h), Some(pm)) = (hour, self.pm) {
            hour = Some(h % 12 + if pm { 12 } else { 0 });
        }
        let has_date = self.year.is_some() || self.month.is_some() || self.day.is_some();
        let has_time = hour.is_some();
        let date = if has_date {
            let year = self.year.unwrap_or(1);
            let month = self.month.unwrap_or(1);
            let day = self.day.unwrap_or(1);
            // PostgreSQL's date range ends in 5874897; beyond it the day count overflows.
            if !(1..=12).contains(&month)
                || day < 1
                || day > days_in_month(year, month)
                || !(-4713..=5_874_897).contains(&year)
            {
                return Err(bad());
            }
            Some(days_from_civil(year, month, day))
        } else {
            None
        };
        let time = match hour {
            Some(h) => {
                if !(0..=24).contains(&h)
                    || !(0..60).contains(&self.minute)
                    || !(0..=60).contains(&self.second)
                {
                    return Err(bad());
                }
                Some(((h * 60 + self.minute) * 60 + self.second) * 1_000_000 + self.micros)
            }
            None => None,
        };
        let stamp = |d: i64, t: Option<i64>, off: i64| {
            d.checked_mul(DAY)
                .and_then(|x| x.checked_add(t.unwrap_or(0) - off * 1_000_000))
                .ok_or_else(bad)
        };
        Ok(match (date, time, self.tz) {
            (Some(d), None, None) => DateTime::Date(i32::try_from(d).map_err(|_| bad())?),
            (Some(d), t, None) => DateTime::Timestamp(stamp(d, t, 0)?),
            (Some(d), t, Some(off)) => DateTime::TimestampTz(stamp(d, t, i64::from(off))?, off),
            (None, t, None) if has_time => DateTime::Time(t.unwrap_or(0)),
            (None, t, Some(off)) => DateTime::TimeTz(t.unwrap_or(0), off),
            (None, _, None) => DateTime::Time(0),
        })
    }
}

/// A cursor over the input string.
struct Input<'s> {
    s: &'s [u8],
    pos: usize,
}

impl Input<'_> {
    fn digits(&mut self, max: usize) -> Option<i64> {
        let start = self.pos;
        while self.pos < self.s.len() && self.pos - start < max && self.s[self.pos].is_ascii_digit()
        {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.pos]).ok()?.parse().ok()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn fraction(&mut self) -> i64 {
        let start = self.pos;
        let mut micros = 0i64;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            if self.pos - start < 6 {
                micros = micros * 10 + i64::from(self.s[self.pos] - b'0');
            }
            self.pos += 1;
        }
        let n = (self.pos - start).min(6) as u32;
        micros * 10i64.pow(6 - n)
    }

    /// `+H[H][:MM]` / `-H[H][:MM]`.
    fn zone(&mut self) -> Option<i32> {
        let neg = match self.s.get(self.pos) {
            Some(b'+') => false,
            Some(b'-') => true,
            _ => return None,
        };
        self.pos += 1;
        let h = self.digits(2)?;
        let m = if self.eat(b':') { self.digits(2)? } else { 0 };
        let secs = i32::try_from(h * 3600 + m * 60).ok()?;
        Some(if neg { -secs } else { secs })
    }

    fn done(&self) -> bool {
        self.pos == self.s.len()
    }
}

/// The ISO forms `.datetime()` recognises without a template: a date, a time with an
/// optional zone, or both separated by a space or `T`.
fn parse_iso(s: &str) -> Option<DateTime> {
    let mut inp = Input { s: s.as_bytes(), pos: 0 };
    let mut f = Fields::default();
    let date_first = s.len() > 4
        && inp.s.iter().take_while(|c| c.is_ascii_digit()).count() >= 4
        && inp.s.get(inp.s.iter().take_while(|c| c.is_ascii_digit()).count()) == Some(&b'-');
    if date_first {
        f.year = Some(inp.digits(usize::MAX)?);
        inp.eat(b'-').then_some(())?;
        f.month = Some(u32::try_from(inp.digits(2)?).ok()?);
        inp.eat(b'-').then_some(())?;
        f.day = Some(u32::try_from(inp.digits(2)?).ok()?);
        if inp.done() {
            return f.build(s).ok();
        }
        if !(inp.eat(b' ') || inp.eat(b'T')) {
            return None;
        }
    }
    f.hour = Some(inp.digits(2)?);
    inp.eat(b':').then_some(())?;
    f.minute = inp.digits(2)?;
    inp.eat(b':').then_some(())?;
    f.second = inp.digits(2)?;
    if f.second > 59 {
        return None;
    }
    if inp.eat(b'.') {
        let start = inp.pos;
        f.micros = inp.fraction();
        if inp.pos - start > 6 {
            return None;
        }
    }
    if !inp.done() {
        while inp.eat(b' ') {}
        f.tz = Some(inp.zone()?);
    }
    if !inp.done() {
        return None;
    }
    f.build(s).ok()
}

fn invalid_value(value: &str, field: &str) -> Error {
    if value.is_empty() {
        return Error::new(
            SqlState::INVALID_DATETIME_FORMAT,
            "input string is too short for datetime format",
        );
    }
    Error::new(
        SqlState::INVALID_DATETIME_FORMAT,
        format!("invalid value \"{value}\" for \"{field}\""),
    )
    .with_detail("Value must be an integer.")
}

/// Parses `s` with a `to_timestamp`-style template (strict: every input character must
/// be consumed).
fn parse_template(s: &str, template: &str) -> Result<DateTime, Error> {
    let mut inp = Input { s: s.as_bytes(), pos: 0 };
    let mut f = Fields::default();
    let t = template.as_bytes();
    let mut i = 0;
    let upper = template.to_ascii_uppercase();
    let up = upper.as_bytes();
    while i < t.len() {
        let rest = &up[i..];
        let field = [
            "YYYY", "HH24", "HH12", "MONTH", "MON", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6",
            "TZH", "TZM", "MM", "DD", "HH", "MI", "SS", "MS", "US", "AM", "PM", "YY",
        ]
        .into_iter()
        .find(|k| rest.starts_with(k.as_bytes()));
        if let Some(k) = field {
            i += k.len();
            let near: String =
                s.get(inp.pos..).unwrap_or("").chars().take(k.len().min(2)).collect();
            match k {
                "YYYY" => f.year = Some(inp.digits(4).ok_or_else(|| invalid_value(&near, "yyyy"))?),
                "YY" => {
                    f.year = Some(2000 + inp.digits(2).ok_or_else(|| invalid_value(&near, "yy"))?)
                }
                "MM" => {
                    let v = inp.digits(2).ok_or_else(|| invalid_value(&near, "mm"))?;
                    f.month = Some(u32::try_from(v).unwrap_or(0));
                }
                "DD" => {
                    let v = inp.digits(2).ok_or_else(|| invalid_value(&near, "dd"))?;
                    f.day = Some(u32::try_from(v).unwrap_or(0));
                }
                "HH24" | "HH12" | "HH" => {
                    let name = &template[i - k.len()..i];
                    f.hour = Some(inp.digits(2).ok_or_else(|| invalid_value(&near, name))?);
                }
                "MI" => f.minute = inp.digits(2).ok_or_else(|| invalid_value(&near, "MI"))?,
                "SS" => f.second = inp.digits(2).ok_or_else(|| invalid_value(&near, "SS"))?,
                "MS" => f.micros = inp.digits(3).ok_or_else(|| invalid_value(&near, "MS"))? * 1000,
                "US" => f.micros = inp.digits(6).ok_or_else(|| invalid_value(&near, "US"))?,
                "MONTH" | "MON" => {
                    let rest = &s.get(inp.pos..).unwrap_or("");
                    let found = MONTHS.iter().enumerate().find_map(|(i, m)| {
                        let len = if k == "MON" { 3 } else { m.len() };
                        let head = rest.get(..len);
                        head.is_some_and(|h| h.eq_ignore_ascii_case(&m[..len])).then_some((i, len))
                    });
                    let Some((month, len)) = found else {
                        let word: String =
                            rest.chars().take_while(char::is_ascii_alphabetic).collect();
                        return Err(Error::new(
                            SqlState::INVALID_DATETIME_FORMAT,
                            format!("invalid value \"{word}\" for \"{}\"", &template[i - k.len()..i]),
                        )
                        .with_detail(
                            "The given value did not match any of the allowed values for this field.",
                        ));
                    };
                    f.month = Some(month as u32 + 1);
                    inp.pos += len;
                }
                "FF1" | "FF2" | "FF3" | "FF4" | "FF5" | "FF6" => {
                    let n = usize::from(k.as_bytes()[2] - b'0');
                    let start = inp.pos;
                    let v = inp.digits(n).ok_or_else(|| invalid_value(&near, k))?;
                    let read = u32::try_from(inp.pos - start).unwrap_or(6);
                    f.micros = v * 10i64.pow(6 - read);
                }
                "AM" | "PM" => {
                    let word: String = s.get(inp.pos..).unwrap_or("").chars().take(2).collect();
                    f.pm = Some(word.eq_ignore_ascii_case("pm"));
                    inp.pos += 2;
                }
                "TZH" => {
                    while inp.eat(b' ') {}
                    if inp.done() {
                        return Err(invalid_value("", "TZH"));
                    }
                    let neg = if inp.eat(b'-') {
                        true
                    } else {
                        inp.eat(b'+');
                        false
                    };
                    let h = inp.digits(2).ok_or_else(|| invalid_value(&near, "TZH"))?;
                    let secs = i32::try_from(h * 3600).unwrap_or(0);
                    f.tz = Some(if neg { -secs } else { secs });
                }
                _ => {
                    let m = inp.digits(2).ok_or_else(|| invalid_value(&near, "TZM"))?;
                    let m = i32::try_from(m * 60).unwrap_or(0);
                    f.tz = Some(match f.tz {
                        Some(h) if h < 0 => h - m,
                        Some(h) => h + m,
                        None => m,
                    });
                }
            }
            continue;
        }
        let c = t[i];
        if c == b'"' {
            let end = t[i + 1..].iter().position(|&b| b == b'"').map_or(t.len(), |p| i + 1 + p);
            for &lit in &t[i + 1..end] {
                match inp.s.get(inp.pos) {
                    Some(&b) if b == lit => inp.pos += 1,
                    _ => {
                        return Err(Error::new(
                            SqlState::INVALID_DATETIME_FORMAT,
                            "unmatched format character \"T\""
                                .replace('T', &(lit as char).to_string()),
                        ))
                    }
                }
            }
            i = end + 1;
            continue;
        }
        if c.is_ascii_alphanumeric() {
            return Err(Error::new(
                SqlState::INVALID_DATETIME_FORMAT,
                format!("invalid datetime format separator: \"{}\"", c as char),
            ));
        }
        match inp.s.get(inp.pos) {
            Some(&b) if !b.is_ascii_alphanumeric() => inp.pos += 1,
            _ if c == b' ' => {}
            _ => {
                return Err(Error::new(
                    SqlState::INVALID_DATETIME_FORMAT,
                    format!("unmatched format separator \"{}\"", c as char),
                ))
            }
        }
        i += 1;
    }
    if !inp.done() {
        return Err(Error::new(
            SqlState::INVALID_DATETIME_FORMAT,
            "trailing characters remain in input string after datetime format",
        ));
    }
    f.build(s)
}

fn tz_needed(from: &str, to: &str) -> Fail {
    Fail::Hard(
        Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("cannot convert value from {from} to {to} without time zone usage"),
        )
        .with_hint("Use *_tz() function for time zone support."),
    )
}

/// Compares two date/time items as PostgreSQL's `compareDatetime` does: `None` when
/// the types are not comparable; an error when a comparison needs the session time
/// zone and `use_tz` is off.
pub fn compare_datetimes(
    a: &DateTime,
    b: &DateTime,
    use_tz: bool,
    tz: &TimeZone,
) -> Result<Option<Ordering>, Fail> {
    use DateTime::*;
    let local_to_utc = |local: i128| -> i128 {
        let off = tz.offset_for_local(i64::try_from(local).unwrap_or(i64::MAX));
        local - i128::from(off) * 1_000_000
    };
    let ts_of_date = |d: i32| i128::from(d) * i128::from(DAY);
    let timetz_of_time = |t: i64| -> (i128, i32) {
        let off = tz.offset_at(helios_types::text::calendar::now_micros());
        (i128::from(t), off)
    };
    let cmp_timetz = |(t1, o1): (i128, i32), (t2, o2): (i128, i32)| {
        let u1 = t1 - i128::from(o1) * 1_000_000;
        let u2 = t2 - i128::from(o2) * 1_000_000;
        u1.cmp(&u2).then(o2.cmp(&o1))
    };
    Ok(Some(match (a, b) {
        (Date(x), Date(y)) => x.cmp(y),
        (Date(x), Timestamp(y)) => ts_of_date(*x).cmp(&i128::from(*y)),
        (Timestamp(x), Date(y)) => i128::from(*x).cmp(&ts_of_date(*y)),
        (Date(x), TimestampTz(y, _)) => {
            if !use_tz {
                return Err(tz_needed("date", "timestamptz"));
            }
            local_to_utc(ts_of_date(*x)).cmp(&i128::from(*y))
        }
        (TimestampTz(x, _), Date(y)) => {
            if !use_tz {
                return Err(tz_needed("date", "timestamptz"));
            }
            i128::from(*x).cmp(&local_to_utc(ts_of_date(*y)))
        }
        (Timestamp(x), Timestamp(y)) => x.cmp(y),
        (TimestampTz(x, _), TimestampTz(y, _)) => x.cmp(y),
        (Timestamp(x), TimestampTz(y, _)) => {
            if !use_tz {
                return Err(tz_needed("timestamp", "timestamptz"));
            }
            local_to_utc(i128::from(*x)).cmp(&i128::from(*y))
        }
        (TimestampTz(x, _), Timestamp(y)) => {
            if !use_tz {
                return Err(tz_needed("timestamp", "timestamptz"));
            }
            i128::from(*x).cmp(&local_to_utc(i128::from(*y)))
        }
        (Time(x), Time(y)) => x.cmp(y),
        (Time(x), TimeTz(y, o)) => {
            if !use_tz {
                return Err(tz_needed("time", "timetz"));
            }
            cmp_timetz(timetz_of_time(*x), (i128::from(*y), *o))
        }
        (TimeTz(x, o), Time(y)) => {
            if !use_tz {
                return Err(tz_needed("time", "timetz"));
            }
            cmp_timetz((i128::from(*x), *o), timetz_of_time(*y))
        }
        (TimeTz(x, o1), TimeTz(y, o2)) => cmp_timetz((i128::from(*x), *o1), (i128::from(*y), *o2)),
        _ => return Ok(None),
    }))
}

fn time_text(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        let f = format!("{frac:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out
}

fn date_text(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    if y <= 0 {
        format!("{:04}-{m:02}-{d:02} BC", 1 - y)
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

fn offset_text(off: i32) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s != 0 {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    } else {
        format!("{sign}{h:02}:{m:02}")
    }
}

/// The ISO text a date/time item becomes inside `jsonb` (PostgreSQL's
/// `JsonEncodeDateTime`).
pub fn datetime_text(d: &DateTime) -> String {
    match *d {
        DateTime::Date(days) => date_text(i64::from(days)),
        DateTime::Time(t) => time_text(t),
        DateTime::TimeTz(t, off) => format!("{}{}", time_text(t), offset_text(off)),
        DateTime::Timestamp(ts) => {
            format!("{}T{}", date_text(ts.div_euclid(DAY)), time_text(ts.rem_euclid(DAY)))
        }
        DateTime::TimestampTz(ts, off) => {
            let local = ts.saturating_add(i64::from(off) * 1_000_000);
            format!(
                "{}T{}{}",
                date_text(local.div_euclid(DAY)),
                time_text(local.rem_euclid(DAY)),
                offset_text(off)
            )
        }
    }
}
