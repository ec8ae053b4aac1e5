//! Date/time input decoding with PostgreSQL's rules (`ParseDateTime`, `DecodeDateTime`,
//! `DecodeTimeOnly` of its `datetime.c`), written from their documented behaviour.
//!
//! The input is first cut into typed fields (numbers, `hh:mm:ss` times, dates with
//! delimiters, words, signed time zones); each field then fills parts of a broken-down
//! time, and a bit mask of the parts seen so far rejects duplicates (`2001 2002`) and
//! decides what an ambiguous number means: `01/02/03` follows the DateStyle field
//! order, a number of three or more digits is a year, `20011227` and `040506` are
//! run-together dates and times, `J2451545` is a Julian day, `y2001m02d04` uses field
//! labels.

use super::calendar::{
    civil_from_days, days_from_civil, days_in_month, now_micros, USECS_PER_DAY, USECS_PER_HOUR,
    USECS_PER_MINUTE, USECS_PER_SEC,
};
use super::datetime_fields::{Fields, Special};
use super::datetime_words::{
    decode_word, keyword, m, Token, Word, ALL_SECS_M, DATE_M, DAY, DOY, DTZ, DTZMOD, HOUR, MINUTE,
    MONTH, SECOND, TIME_M, TZ, YEAR,
};
use super::style::DateOrder;
use super::timezone::TimeZone;
use crate::error::{TypeError, TypeResult};

/// Why decoding failed (PostgreSQL's `DTERR_*` codes).
#[derive(Debug)]
enum Dterr {
    BadFormat,
    FieldOverflow,
    MdFieldOverflow,
    TzDispOverflow,
    /// An error reported as is (an unknown time zone name).
    Other(TypeError),
}

type DResult<T> = Result<T, Dterr>;

// Field kinds after tokenizing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Number,
    String,
    Date,
    Time,
    Tz,
    Special,
}

/// Cuts `input` into typed fields (PostgreSQL's `ParseDateTime`).
fn tokenize(input: &str) -> DResult<Vec<(String, Kind)>> {
    let b = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let lower = |c: u8| char::from(c.to_ascii_lowercase());
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let mut f = String::new();
        let kind;
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                f.push(char::from(b[i]));
                i += 1;
            }
            match b.get(i) {
                Some(b':') => {
                    kind = Kind::Time;
                    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b':' || b[i] == b'.') {
                        f.push(char::from(b[i]));
                        i += 1;
                    }
                }
                Some(&d @ (b'-' | b'/' | b'.')) => {
                    f.push(char::from(d));
                    i += 1;
                    if b.get(i).is_some_and(u8::is_ascii_digit) {
                        let mut k = if d == b'.' { Kind::Number } else { Kind::Date };
                        while i < b.len() && b[i].is_ascii_digit() {
                            f.push(char::from(b[i]));
                            i += 1;
                        }
                        if b.get(i) == Some(&d) {
                            k = Kind::Date;
                            while i < b.len() && (b[i].is_ascii_digit() || b[i] == d) {
                                f.push(char::from(b[i]));
                                i += 1;
                            }
                        }
                        kind = k;
                    } else {
                        kind = Kind::Date;
                        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == d) {
                            f.push(lower(b[i]));
                            i += 1;
                        }
                    }
                }
                _ => kind = Kind::Number,
            }
        } else if c == b'.' {
            f.push('.');
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                f.push(char::from(b[i]));
                i += 1;
            }
            kind = Kind::Number;
        } else if c.is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                f.push(lower(b[i]));
                i += 1;
            }
            let next = b.get(i).copied();
            let is_date = match next {
                Some(b'-' | b'/' | b'.') => true,
                Some(n) if n == b'+' || n.is_ascii_digit() => keyword(&f).is_none(),
                _ => false,
            };
            if is_date {
                kind = Kind::Date;
                loop {
                    f.push(lower(b[i]));
                    i += 1;
                    match b.get(i) {
                        Some(&n)
                            if n.is_ascii_alphanumeric()
                                || matches!(n, b'+' | b'-' | b'/' | b'_' | b'.' | b':') => {}
                        _ => break,
                    }
                }
            } else {
                kind = Kind::String;
            }
        } else if c == b'+' || c == b'-' {
            f.push(char::from(c));
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(n) if n.is_ascii_digit() => {
                    kind = Kind::Tz;
                    while i < b.len()
                        && (b[i].is_ascii_digit() || matches!(b[i], b':' | b'.' | b'-'))
                    {
                        f.push(char::from(b[i]));
                        i += 1;
                    }
                }
                Some(n) if n.is_ascii_alphabetic() => {
                    kind = Kind::Special;
                    while i < b.len() && b[i].is_ascii_alphabetic() {
                        f.push(lower(b[i]));
                        i += 1;
                    }
                }
                _ => return Err(Dterr::BadFormat),
            }
        } else if c.is_ascii_punctuation() {
            i += 1;
            continue;
        } else {
            return Err(Dterr::BadFormat);
        }
        out.push((f, kind));
    }
    Ok(out)
}

/// A broken-down time being filled in.
#[derive(Default)]
struct Tm {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    fsec: i64,
    /// Day of the year (with `DOY` in the mask).
    yday: i64,
}

/// Leading decimal digits of `s` as a number and the rest (`strtoint`).
fn strtoint(s: &str) -> DResult<(i64, &str)> {
    let end = s.bytes().position(|c| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return Ok((0, s));
    }
    let v: i64 = s[..end].parse().map_err(|_| Dterr::FieldOverflow)?;
    if v > i64::from(i32::MAX) {
        return Err(Dterr::FieldOverflow);
    }
    Ok((v, &s[end..]))
}

/// `.ffffff` as rounded microseconds (`ParseFractionalSecond`).
fn fraction(s: &str) -> DResult<i64> {
    debug_assert!(s.starts_with('.'));
    let digits = &s[1..];
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Dterr::BadFormat);
    }
    let v: f64 = format!("0.{digits}0").parse().map_err(|_| Dterr::BadFormat)?;
    Ok((v * 1e6).round_ties_even() as i64)
}

/// A signed offset `+hh[:mm[:ss]]` / `-hhmm` in seconds east of UTC (`DecodeTimezone`).
fn decode_timezone(s: &str) -> DResult<i32> {
    let neg = match s.as_bytes().first() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return Err(Dterr::BadFormat),
    };
    let body = &s[1..];
    let (mut hr, mut rest) = strtoint(body).map_err(|_| Dterr::TzDispOverflow)?;
    if rest.len() == body.len() {
        return Err(Dterr::BadFormat);
    }
    let (mut min, mut sec) = (0, 0);
    if let Some(r) = rest.strip_prefix(':') {
        let (v, r2) = strtoint(r).map_err(|_| Dterr::TzDispOverflow)?;
        min = v;
        rest = r2;
        if let Some(r) = rest.strip_prefix(':') {
            let (v, r3) = strtoint(r).map_err(|_| Dterr::TzDispOverflow)?;
            sec = v;
            rest = r3;
        }
    } else if rest.is_empty() && s.len() > 3 {
        min = hr % 100;
        hr /= 100;
    }
    if !(0..=15).contains(&hr) || !(0..60).contains(&min) || !(0..60).contains(&sec) {
        return Err(Dterr::TzDispOverflow);
    }
    if !rest.is_empty() {
        return Err(Dterr::BadFormat);
    }
    let tz = (hr * 3600 + min * 60 + sec) as i32;
    Ok(if neg { -tz } else { tz })
}

/// The decoding state of one input.
struct Decoder {
    tm: Tm,
    fmask: u32,
    is2digits: bool,
    order: DateOrder,
}

impl Decoder {
    /// `hh:mm[:ss[.f]]` or `mm:ss.f` (`DecodeTime`).
    fn time(&mut self, s: &str) -> DResult<u32> {
        let (h, rest) = strtoint(s)?;
        let Some(rest) = rest.strip_prefix(':') else { return Err(Dterr::BadFormat) };
        let (mi, rest) = strtoint(rest)?;
        let tm = &mut self.tm;
        if rest.is_empty() {
            tm.hour = h;
            tm.min = mi;
            tm.sec = 0;
            tm.fsec = 0;
        } else if rest.starts_with('.') {
            tm.fsec = fraction(rest)?;
            tm.sec = mi;
            tm.min = h;
            tm.hour = 0;
        } else if let Some(r) = rest.strip_prefix(':') {
            let (sec, r) = strtoint(r)?;
            tm.hour = h;
            tm.min = mi;
            tm.sec = sec;
            tm.fsec = if r.is_empty() {
                0
            } else if r.starts_with('.') {
                fraction(r)?
            } else {
                return Err(Dterr::BadFormat);
            };
        } else {
            return Err(Dterr::BadFormat);
        }
        if tm.min > 59 || tm.sec > 60 || tm.fsec > USECS_PER_SEC {
            return Err(Dterr::FieldOverflow);
        }
        Ok(TIME_M)
    }

    /// A run-together date `yyyymmdd` or time `hhmmss` / `hhmm`, with an optional
    /// fraction (`DecodeNumberField`); returns the mask and whether it was a date.
    fn number_field(&mut self, s: &str, fmask: u32) -> DResult<u32> {
        let mut s = s;
        if let Some(dot) = s.find('.') {
            let frac: f64 = s[dot..].parse().map_err(|_| Dterr::BadFormat)?;
            self.tm.fsec = (frac * 1e6).round_ties_even() as i64;
            s = &s[..dot];
        } else if fmask & DATE_M != DATE_M && s.len() >= 6 {
            let n = s.len();
            let num = |t: &str| t.parse::<i64>().map_err(|_| Dterr::FieldOverflow);
            self.tm.mday = num(&s[n - 2..])?;
            self.tm.mon = num(&s[n - 4..n - 2])?;
            self.tm.year = num(&s[..n - 4])?;
            if n - 4 == 2 {
                self.is2digits = true;
            }
            return Ok(DATE_M);
        }
        if fmask & TIME_M != TIME_M {
            let num = |t: &str| t.parse::<i64>().map_err(|_| Dterr::BadFormat);
            if s.len() == 6 {
                self.tm.hour = num(&s[..2])?;
                self.tm.min = num(&s[2..4])?;
                self.tm.sec = num(&s[4..])?;
                return Ok(TIME_M);
            }
            if s.len() == 4 {
                self.tm.hour = num(&s[..2])?;
                self.tm.min = num(&s[2..])?;
                self.tm.sec = 0;
                return Ok(TIME_M);
            }
        }
        Err(Dterr::BadFormat)
    }

    /// One number of a date (`DecodeNumber`).
    fn number(&mut self, s: &str, text_month: bool, fmask: u32) -> DResult<u32> {
        let flen = s.len();
        let (val, rest) = strtoint(s)?;
        if rest.len() == s.len() {
            return Err(Dterr::BadFormat);
        }
        if rest.starts_with('.') {
            if flen - rest.len() > 2 {
                return self.number_field(s, fmask | DATE_M);
            }
            self.tm.fsec = fraction(rest)?;
        } else if !rest.is_empty() {
            return Err(Dterr::BadFormat);
        }
        if flen == 3 && fmask & DATE_M == m(YEAR) && (1..=366).contains(&val) {
            self.tm.yday = val;
            return Ok(m(DOY) | m(MONTH) | m(DAY));
        }
        let tmask = match fmask & DATE_M {
            0 => {
                if flen >= 3 || self.order == DateOrder::Ymd {
                    self.tm.year = val;
                    m(YEAR)
                } else if self.order == DateOrder::Dmy {
                    self.tm.mday = val;
                    m(DAY)
                } else {
                    self.tm.mon = val;
                    m(MONTH)
                }
            }
            x if x == m(YEAR) => {
                self.tm.mon = val;
                m(MONTH)
            }
            x if x == m(MONTH) => {
                if text_month && (flen >= 3 || self.order == DateOrder::Ymd) {
                    self.tm.year = val;
                    m(YEAR)
                } else {
                    self.tm.mday = val;
                    m(DAY)
                }
            }
            x if x == m(YEAR) | m(MONTH) => {
                if text_month && flen >= 3 && self.is2digits {
                    self.tm.mday = self.tm.year;
                    self.tm.year = val;
                    self.is2digits = false;
                } else {
                    self.tm.mday = val;
                }
                m(DAY)
            }
            x if x == m(DAY) => {
                self.tm.mon = val;
                m(MONTH)
            }
            x if x == m(MONTH) | m(DAY) => {
                self.tm.year = val;
                m(YEAR)
            }
            DATE_M => return self.number_field(s, fmask),
            _ => return Err(Dterr::BadFormat),
        };
        if tmask == m(YEAR) {
            self.is2digits = flen <= 2;
        }
        Ok(tmask)
    }

    /// A delimited date such as `1997-02-10`, `02/10/97`, `10-feb-1997`
    /// (`DecodeDate`).
    fn date(&mut self, s: &str, fmask: u32) -> DResult<u32> {
        let mut fields: Vec<&str> = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && !b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i == b.len() {
                return Err(Dterr::BadFormat);
            }
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            } else {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
            }
            fields.push(&s[start..i]);
            if i < b.len() {
                i += 1;
            }
        }
        let mut fmask = fmask;
        let mut tmask = 0;
        let mut text_month = false;
        let mut numeric = Vec::new();
        for f in fields {
            if f.as_bytes()[0].is_ascii_alphabetic() {
                match keyword(f) {
                    Some(Token::Ignore) => continue,
                    Some(Token::Month(mon)) => {
                        self.tm.mon = i64::from(mon);
                        text_month = true;
                        if fmask & m(MONTH) != 0 {
                            return Err(Dterr::BadFormat);
                        }
                        fmask |= m(MONTH);
                        tmask |= m(MONTH);
                    }
                    _ => return Err(Dterr::BadFormat),
                }
            } else {
                numeric.push(f);
            }
        }
        for f in numeric {
            let dmask = self.number(f, text_month, fmask)?;
            if fmask & dmask != 0 {
                return Err(Dterr::BadFormat);
            }
            fmask |= dmask;
            tmask |= dmask;
        }
        if fmask & !(m(DOY) | m(TZ)) != DATE_M {
            return Err(Dterr::BadFormat);
        }
        Ok(tmask)
    }

    /// Final year/month/day checks and adjustments (`ValidateDate`).
    fn validate_date(&mut self, julian: bool, bc: bool) -> DResult<()> {
        let fmask = self.fmask;
        let tm = &mut self.tm;
        if fmask & m(YEAR) != 0 {
            if julian {
                // The year is astronomical already.
            } else if bc {
                if tm.year <= 0 {
                    return Err(Dterr::FieldOverflow);
                }
                tm.year = -(tm.year - 1);
            } else if self.is2digits {
                if tm.year < 70 {
                    tm.year += 2000;
                } else if tm.year < 100 {
                    tm.year += 1900;
                }
            } else if tm.year <= 0 {
                return Err(Dterr::FieldOverflow);
            }
        }
        if fmask & m(DOY) != 0 {
            let (y, mo, d) = civil_from_days(days_from_civil(tm.year, 1, 1) + tm.yday - 1);
            tm.year = y;
            tm.mon = i64::from(mo);
            tm.mday = i64::from(d);
        }
        if fmask & m(MONTH) != 0 && !(1..=12).contains(&tm.mon) {
            return Err(Dterr::MdFieldOverflow);
        }
        if fmask & m(DAY) != 0 && !(1..=31).contains(&tm.mday) {
            return Err(Dterr::MdFieldOverflow);
        }
        if fmask & DATE_M == DATE_M && tm.mday > i64::from(days_in_month(tm.year, tm.mon as u32)) {
            return Err(Dterr::FieldOverflow);
        }
        Ok(())
    }
}

/// Whether a time of day is out of range (`time_overflows`; 24:00:00 is allowed).
fn time_overflows(tm: &Tm) -> bool {
    if !(0..=24).contains(&tm.hour)
        || !(0..60).contains(&tm.min)
        || !(0..=60).contains(&tm.sec)
        || !(0..=USECS_PER_SEC).contains(&tm.fsec)
    {
        return true;
    }
    clock(tm) > USECS_PER_DAY
}

fn clock(tm: &Tm) -> i64 {
    tm.hour * USECS_PER_HOUR + tm.min * USECS_PER_MINUTE + tm.sec * USECS_PER_SEC + tm.fsec
}

/// Today's date in `tz` as (year, month, day).
fn today(tz: &TimeZone, shift: i64) -> (i64, i64, i64) {
    let now = now_micros();
    let days = (now + i64::from(tz.offset_at(now)) * USECS_PER_SEC).div_euclid(USECS_PER_DAY);
    let (y, mo, d) = civil_from_days(days + shift);
    (y, i64::from(mo), i64::from(d))
}

fn named_zone(name: &str) -> DResult<TimeZone> {
    TimeZone::parse(name).map_err(|_| {
        Dterr::Other(TypeError::other(
            helios_common::SqlState::INVALID_PARAMETER_VALUE,
            format!("time zone \"{name}\" not recognized"),
        ))
    })
}

/// Decodes `input` into [`Fields`]: a date/time (`time_only` false, for `date`,
/// `timestamp` and `timestamptz`) or a time of day (`time_only`, for `time`).
pub fn decode(input: &str, ty: &str, tz: &TimeZone, time_only: bool) -> TypeResult<Fields> {
    decode_inner(input, tz, time_only).map_err(|e| match e {
        Dterr::BadFormat => TypeError::datetime(ty, input),
        Dterr::FieldOverflow => TypeError::field_range(input),
        Dterr::MdFieldOverflow => TypeError::DatetimeOrderOverflow(input.to_string()),
        Dterr::TzDispOverflow => TypeError::other(
            helios_common::SqlState::INVALID_TIME_ZONE_DISPLACEMENT_VALUE,
            format!("time zone displacement out of range: \"{input}\""),
        ),
        Dterr::Other(e) => e,
    })
}

fn decode_inner(input: &str, tz: &TimeZone, time_only: bool) -> DResult<Fields> {
    if !input.is_ascii() {
        return Err(Dterr::BadFormat);
    }
    let fields = tokenize(input)?;
    let nf = fields.len();
    let mut d = Decoder { tm: Tm::default(), fmask: 0, is2digits: false, order: tz.style().order };
    let mut out = Fields::default();
    let mut ptype: Option<Word> = None;
    let mut text_month = false;
    let mut julian = false;
    let mut bc = false;
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut special: Option<Special> = None;
    for (i, (field, kind)) in fields.iter().enumerate() {
        let f = field.as_str();
        let fmask = d.fmask;
        let tmask: u32 = match kind {
            Kind::Date if ptype == Some(Word::UnitJulian) && !time_only => {
                let (jday, rest) = strtoint(f)?;
                let (y, mo, dd) = civil_from_days(jday - 2_451_545);
                d.tm.year = y;
                d.tm.mon = i64::from(mo);
                d.tm.mday = i64::from(dd);
                julian = true;
                offset = Some(decode_timezone(rest)?);
                ptype = None;
                DATE_M | TIME_M | m(TZ)
            }
            Kind::Date
                if (time_only
                    && !(i == 0
                        && nf >= 2
                        && (fields[nf - 1].1 == Kind::Date || fields[1].1 == Kind::Time)))
                    || (!time_only
                        && (ptype.is_some()
                            || fmask & (m(MONTH) | m(DAY)) == m(MONTH) | m(DAY))) =>
            {
                if f.as_bytes()[0].is_ascii_digit() || ptype.is_some() {
                    if ptype.is_some() {
                        if ptype != Some(Word::IsoTime) {
                            return Err(Dterr::BadFormat);
                        }
                        ptype = None;
                    }
                    if fmask & TIME_M == TIME_M {
                        return Err(Dterr::BadFormat);
                    }
                    let Some(dash) = f.find('-') else { return Err(Dterr::BadFormat) };
                    offset = Some(decode_timezone(&f[dash..])?);
                    let base = if time_only { fmask | DATE_M } else { fmask };
                    d.number_field(&f[..dash], base)? | m(TZ)
                } else {
                    out.zone = Some(named_zone(f)?);
                    m(TZ)
                }
            }
            Kind::Date => d.date(f, fmask)?,
            Kind::Time => {
                if ptype.is_some() {
                    if ptype != Some(Word::IsoTime) {
                        return Err(Dterr::BadFormat);
                    }
                    ptype = None;
                }
                let t = d.time(f)?;
                if time_overflows(&d.tm) {
                    return Err(Dterr::FieldOverflow);
                }
                t
            }
            Kind::Tz => {
                offset = Some(decode_timezone(f)?);
                m(TZ)
            }
            Kind::Number if ptype.is_some() => {
                let p = ptype.take().unwrap_or(Word::UnitOther);
                let (value, rest) = strtoint(f)?;
                if rest.starts_with('.') {
                    if !matches!(p, Word::UnitJulian | Word::IsoTime | Word::UnitSecond) {
                        return Err(Dterr::BadFormat);
                    }
                } else if !rest.is_empty() {
                    return Err(Dterr::BadFormat);
                }
                match p {
                    Word::UnitYear => {
                        d.tm.year = value;
                        m(YEAR)
                    }
                    Word::UnitMonth => {
                        if fmask & m(MONTH) != 0 && fmask & m(HOUR) != 0 {
                            d.tm.min = value;
                            m(MINUTE)
                        } else {
                            d.tm.mon = value;
                            m(MONTH)
                        }
                    }
                    Word::UnitDay => {
                        d.tm.mday = value;
                        m(DAY)
                    }
                    Word::UnitHour => {
                        d.tm.hour = value;
                        m(HOUR)
                    }
                    Word::UnitMinute => {
                        d.tm.min = value;
                        m(MINUTE)
                    }
                    Word::UnitSecond => {
                        d.tm.sec = value;
                        if rest.starts_with('.') {
                            d.tm.fsec = fraction(rest)?;
                            ALL_SECS_M
                        } else {
                            m(SECOND)
                        }
                    }
                    Word::UnitJulian => {
                        let (y, mo, dd) = civil_from_days(value - 2_451_545);
                        d.tm.year = y;
                        d.tm.mon = i64::from(mo);
                        d.tm.mday = i64::from(dd);
                        julian = true;
                        let mut t = DATE_M;
                        if rest.starts_with('.') {
                            let frac: f64 =
                                format!("0{rest}").parse().map_err(|_| Dterr::BadFormat)?;
                            let micros = (frac * USECS_PER_DAY as f64) as i64;
                            d.tm.hour = micros / USECS_PER_HOUR;
                            d.tm.min = micros / USECS_PER_MINUTE % 60;
                            d.tm.sec = micros / USECS_PER_SEC % 60;
                            d.tm.fsec = micros % USECS_PER_SEC;
                            t |= TIME_M;
                        }
                        t
                    }
                    Word::IsoTime => {
                        let t = d.number_field(f, fmask | DATE_M)?;
                        if t != TIME_M {
                            return Err(Dterr::BadFormat);
                        }
                        t
                    }
                    _ => return Err(Dterr::BadFormat),
                }
            }
            Kind::Number if time_only => {
                let dot = f.find('.');
                match dot {
                    Some(_) if i == 0 && nf >= 2 && fields[nf - 1].1 == Kind::Date => {
                        d.date(f, fmask)?
                    }
                    Some(p) if p > 2 => d.number_field(f, fmask | DATE_M)?,
                    Some(_) => return Err(Dterr::BadFormat),
                    None if f.len() > 4 => d.number_field(f, fmask | DATE_M)?,
                    None => d.number(f, false, fmask | DATE_M)?,
                }
            }
            Kind::Number => {
                let dot = f.find('.');
                if dot.is_some() && fmask & DATE_M == 0 {
                    d.date(f, fmask)?
                } else if dot.is_some_and(|p| p > 2)
                    || (f.len() >= 6 && (fmask & DATE_M == 0 || fmask & TIME_M == 0))
                {
                    d.number_field(f, fmask)?
                } else {
                    d.number(f, text_month, fmask)?
                }
            }
            Kind::String | Kind::Special => {
                let token = match decode_word(f) {
                    Some(t) => t,
                    None if *kind == Kind::String => {
                        out.zone = Some(named_zone(f).map_err(|_| Dterr::BadFormat)?);
                        let t = m(TZ);
                        if t & d.fmask != 0 {
                            return Err(Dterr::BadFormat);
                        }
                        d.fmask |= t;
                        continue;
                    }
                    None => return Err(Dterr::BadFormat),
                };
                let mut tmask = m(token.kind());
                match token {
                    Token::Ignore => continue,
                    Token::Reserved(w) => match (w, time_only) {
                        (Word::Now, _) => {
                            tmask = DATE_M | TIME_M | m(TZ);
                            special = Some(Special::Now);
                        }
                        (Word::Zulu, _) => {
                            tmask = TIME_M | m(TZ);
                            d.tm.hour = 0;
                            d.tm.min = 0;
                            d.tm.sec = 0;
                            d.tm.fsec = 0;
                            offset = Some(0);
                        }
                        (_, true) => return Err(Dterr::BadFormat),
                        (Word::Today | Word::Tomorrow | Word::Yesterday, false) => {
                            tmask = DATE_M;
                            let shift = match w {
                                Word::Tomorrow => 1,
                                Word::Yesterday => -1,
                                _ => 0,
                            };
                            let (y, mo, dd) = today(tz, shift);
                            d.tm.year = y;
                            d.tm.mon = mo;
                            d.tm.mday = dd;
                            julian = true;
                        }
                        (Word::Epoch | Word::Late | Word::Early, false) => {
                            tmask = DATE_M | TIME_M | m(TZ);
                            special = Some(match w {
                                Word::Epoch => Special::Epoch,
                                Word::Late => Special::Infinity,
                                _ => Special::NegInfinity,
                            });
                        }
                        _ => return Err(Dterr::BadFormat),
                    },
                    Token::Month(mon) => {
                        if time_only {
                            return Err(Dterr::BadFormat);
                        }
                        if fmask & m(MONTH) != 0
                            && !text_month
                            && fmask & m(DAY) == 0
                            && (1..=31).contains(&d.tm.mon)
                        {
                            d.tm.mday = d.tm.mon;
                            tmask = m(DAY);
                        }
                        text_month = true;
                        d.tm.mon = i64::from(mon);
                    }
                    Token::DstModifier => {
                        tmask |= m(DTZ);
                        offset = Some(offset.unwrap_or(0) + 3600);
                    }
                    Token::Zone(off, dst) => {
                        if dst {
                            tmask |= m(TZ);
                        }
                        offset = Some(off);
                    }
                    Token::Ampm(p) => pm = Some(p),
                    Token::Bc(b) => bc = b,
                    Token::Dow => {
                        if time_only {
                            return Err(Dterr::BadFormat);
                        }
                    }
                    Token::Units(w) => {
                        tmask = 0;
                        if ptype.is_some() {
                            return Err(Dterr::BadFormat);
                        }
                        ptype = Some(w);
                    }
                    Token::IsoTime => {
                        tmask = 0;
                        if !time_only && fmask & DATE_M != DATE_M {
                            return Err(Dterr::BadFormat);
                        }
                        match fields.get(i + 1) {
                            Some((_, Kind::Number | Kind::Time | Kind::Date)) => {}
                            _ => return Err(Dterr::BadFormat),
                        }
                        ptype = Some(Word::IsoTime);
                    }
                }
                tmask
            }
        };
        if tmask & d.fmask != 0 {
            return Err(Dterr::BadFormat);
        }
        d.fmask |= tmask;
    }
    if ptype.is_some() {
        return Err(Dterr::BadFormat);
    }
    if let Some(s) = special {
        // `now` is the current time (the caller reads the clock); other special
        // values ignore the remaining fields.
        out.special = Some(s);
        if s == Special::Now {
            out.tz = offset;
        }
        return Ok(out);
    }
    d.validate_date(julian, bc)?;
    if let Some(p) = pm {
        if d.tm.hour > 12 {
            return Err(Dterr::FieldOverflow);
        }
        if !p && d.tm.hour == 12 {
            d.tm.hour = 0;
        } else if p && d.tm.hour != 12 {
            d.tm.hour += 12;
        }
    }
    if time_overflows(&d.tm) {
        return Err(Dterr::FieldOverflow);
    }
    if time_only {
        // A time of day may come with a whole date (which can decide a zone's offset),
        // never with part of one (`15:36:39 m2`).
        let date_bits = d.fmask & DATE_M;
        if d.fmask & TIME_M != TIME_M || (date_bits != 0 && date_bits != DATE_M) {
            return Err(Dterr::BadFormat);
        }
    } else if d.fmask & DATE_M != DATE_M {
        return Err(Dterr::BadFormat);
    }
    if d.fmask & m(DTZMOD) != 0 && (out.zone.is_some() || d.fmask & m(TZ) == 0) {
        // `DST` modifies an abbreviation, not a zone name or the session zone.
        return Err(Dterr::BadFormat);
    }
    if d.fmask & DATE_M == DATE_M {
        out.date = Some((d.tm.year, d.tm.mon as u32, d.tm.mday as u32));
    }
    out.time = Some(clock(&d.tm));
    out.tz = offset;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::style::{apply_datestyle, DateStyle};

    fn zone(style: &str) -> TimeZone {
        TimeZone::UTC.with_style(apply_datestyle(style, DateStyle::default()).unwrap())
    }

    fn date(s: &str, style: &str) -> Result<(i64, u32, u32), String> {
        decode(s, "date", &zone(style), false)
            .map(|f| f.date.expect("a date"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn dates_follow_the_datestyle_order() {
        assert_eq!(date("1/8/1999", "MDY"), Ok((1999, 1, 8)));
        assert_eq!(date("1/8/1999", "DMY"), Ok((1999, 8, 1)));
        assert_eq!(
            date("1/8/1999", "YMD"),
            Err("date/time field value out of range: \"1/8/1999\"".into())
        );
        assert_eq!(date("99-01-08", "YMD"), Ok((1999, 1, 8)));
        assert_eq!(date("January 8, 99 BC", "MDY"), Ok((-98, 1, 8)));
        assert_eq!(date("08-Jan-99", "MDY"), Ok((1999, 1, 8)));
        assert_eq!(date("Jan-08-99", "DMY"), Ok((1999, 1, 8)));
        assert_eq!(date("99-Jan-08", "YMD"), Ok((1999, 1, 8)));
        assert_eq!(date("1999 Jan 08", "MDY"), Ok((1999, 1, 8)));
        assert_eq!(date("990108", "MDY"), Ok((1999, 1, 8)));
        assert_eq!(date("1999.008", "MDY"), Ok((1999, 1, 8)));
        assert_eq!(date("J2451187", "MDY"), Ok((1999, 1, 8)));
        assert_eq!(date("99 01 08", "YMD"), Ok((1999, 1, 8)));
        assert!(date("99 01 08", "MDY").is_err());
        assert_eq!(date("Y2001M12D27", "MDY"), Ok((2001, 12, 27)));
        assert!(date("2001-02-30", "MDY").is_err());
        assert!(date("04:05", "MDY").is_err());
    }

    #[test]
    fn timestamps_with_zones_and_times() {
        let f = |s: &str| decode(s, "timestamp", &zone("MDY"), false).unwrap();
        let t = f("20011227T040506.789+08");
        assert_eq!(t.date, Some((2001, 12, 27)));
        assert_eq!(t.time, Some(4 * USECS_PER_HOUR + 5 * USECS_PER_MINUTE + 6_789_000));
        assert_eq!(t.tz, Some(8 * 3600));
        assert_eq!(f("J2452271.5-08").time, Some(12 * USECS_PER_HOUR));
        assert_eq!(f("Feb 10 5:32PM 1997").time, Some(17 * USECS_PER_HOUR + 32 * USECS_PER_MINUTE));
        assert_eq!(f("1997-02-10 17:32:01 PST").tz, Some(-8 * 3600));
        assert_eq!(f("1997-02-10 17:32:01 MET DST").tz, Some(2 * 3600));
        assert!(f("19970210 173201 America/New_York").zone.is_some());
        assert_eq!(f("epoch").special, Some(Special::Epoch));
        assert_eq!(f("-infinity").special, Some(Special::NegInfinity));
        assert_eq!(f("2001-01-01 allballs").time, Some(0));
        assert_eq!(f("now").special, Some(Special::Now));
        assert_eq!(
            f("today").date,
            Some(today(&TimeZone::UTC, 0)).map(|(y, m, d)| (y, m as u32, d as u32))
        );
        let e = decode("Feb 16 17:32:01 -0097", "timestamp", &zone("MDY"), false).unwrap_err();
        assert_eq!(e.sqlstate().code(), "22009");
        let e = decode("19970710 173201 America/Does_not_exist", "timestamp", &zone("MDY"), false)
            .unwrap_err();
        assert_eq!(e.to_string(), "time zone \"america/does_not_exist\" not recognized");
    }

    #[test]
    fn times_of_day() {
        let t = |s: &str| decode(s, "time", &zone("MDY"), true).map(|f| f.time.unwrap());
        assert_eq!(t("040506.789+08"), Ok(4 * USECS_PER_HOUR + 5 * USECS_PER_MINUTE + 6_789_000));
        assert_eq!(t("T040506.789 -08"), t("040506.789"));
        assert_eq!(t("allballs"), Ok(0));
        assert_eq!(t("2001-02-03 04:05"), Ok(4 * USECS_PER_HOUR + 5 * USECS_PER_MINUTE));
        assert!(t("24:00:01").is_err());
        assert_eq!(t("24:00:00"), Ok(USECS_PER_DAY));
        assert!(t("today").is_err());
    }
}
