//! `interval` text I/O.
//!
//! Output is PostgreSQL's default `IntervalStyle = postgres`:
//! `1 year 2 mons 3 days 04:05:06`, `-1 years -2 mons +3 days -04:05:06`, `00:00:00`.
//!
//! Input accepts the postgres style (`1 day 2 hours`, `@ 1 day ago`, `1.5 months`),
//! the SQL standard forms (`1-2` years-months, `3 4:05:06` days and time) and ISO 8601
//! durations (`P1Y2M3DT4H5M6.5S`, `P1W`).

use super::calendar::{USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC};
use super::datetime::push_fraction;
use super::style::IntervalStyle;
use crate::error::{TypeError, TypeResult};
use crate::Interval;

/// Formats an interval in the given IntervalStyle.
pub fn format_interval_style(iv: &Interval, style: IntervalStyle) -> String {
    match style {
        IntervalStyle::Postgres => format_interval(iv),
        IntervalStyle::PostgresVerbose => format_verbose(iv),
        IntervalStyle::SqlStandard => format_sql_standard(iv),
        IntervalStyle::Iso8601 => format_iso8601(iv),
    }
}

/// The fields PostgreSQL prints: years, months, days, hours, minutes, seconds and
/// microseconds, each carrying the sign of the field it comes from.
struct Parts {
    year: i64,
    mon: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    fsec: i64,
}

impl Parts {
    fn of(iv: &Interval) -> Parts {
        let t = iv.micros;
        Parts {
            year: i64::from(iv.months / 12),
            mon: i64::from(iv.months % 12),
            day: i64::from(iv.days),
            hour: t / USECS_PER_HOUR,
            min: t / USECS_PER_MINUTE % 60,
            sec: t / USECS_PER_SEC % 60,
            fsec: t % USECS_PER_SEC,
        }
    }

    fn time_is_zero(&self) -> bool {
        self.hour == 0 && self.min == 0 && self.sec == 0 && self.fsec == 0
    }
}

/// `|sec|` (zero-padded to two digits when `pad`) and the fraction without trailing
/// zeros.
fn push_seconds(out: &mut String, sec: i64, fsec: i64, pad: bool) {
    if pad {
        out.push_str(&format!("{:02}", sec.unsigned_abs()));
    } else {
        out.push_str(&sec.unsigned_abs().to_string());
    }
    push_fraction(out, fsec.abs());
}

fn format_verbose(iv: &Interval) -> String {
    let p = Parts::of(iv);
    let mut out = String::from("@");
    let mut is_zero = true;
    let mut is_before = false;
    for (value, unit) in
        [(p.year, "year"), (p.mon, "mon"), (p.day, "day"), (p.hour, "hour"), (p.min, "min")]
    {
        if value == 0 {
            continue;
        }
        let mut v = value;
        if is_zero {
            is_before = v < 0;
            v = v.abs();
        } else if is_before {
            v = -v;
        }
        out.push_str(&format!(" {v} {unit}{}", if v == 1 { "" } else { "s" }));
        is_zero = false;
    }
    if p.sec != 0 || p.fsec != 0 {
        out.push(' ');
        if p.sec < 0 || (p.sec == 0 && p.fsec < 0) {
            if is_zero {
                is_before = true;
            } else if !is_before {
                out.push('-');
            }
        } else if is_before {
            out.push('-');
        }
        push_seconds(&mut out, p.sec, p.fsec, false);
        out.push_str(if p.sec.abs() != 1 || p.fsec != 0 { " secs" } else { " sec" });
        is_zero = false;
    }
    if is_zero {
        out.push_str(" 0");
    }
    if is_before {
        out.push_str(" ago");
    }
    out
}

fn format_sql_standard(iv: &Interval) -> String {
    let mut p = Parts::of(iv);
    let fields = [p.year, p.mon, p.day, p.hour, p.min, p.sec, p.fsec];
    let has_negative = fields.iter().any(|v| *v < 0);
    let has_positive = fields.iter().any(|v| *v > 0);
    let has_year_month = p.year != 0 || p.mon != 0;
    let has_day_time = p.day != 0 || !p.time_is_zero();
    let standard = !((has_negative && has_positive) || (has_year_month && has_day_time));
    let mut out = String::new();
    if has_negative && standard {
        out.push('-');
        for v in
            [&mut p.year, &mut p.mon, &mut p.day, &mut p.hour, &mut p.min, &mut p.sec, &mut p.fsec]
        {
            *v = -*v;
        }
    }
    if !has_negative && !has_positive {
        out.push('0');
    } else if !standard {
        let year_sign = if p.year < 0 || p.mon < 0 { '-' } else { '+' };
        let day_sign = if p.day < 0 { '-' } else { '+' };
        let sec_sign = if p.hour < 0 || p.min < 0 || p.sec < 0 || p.fsec < 0 { '-' } else { '+' };
        out.push_str(&format!(
            "{year_sign}{}-{} {day_sign}{} {sec_sign}{}:{:02}:",
            p.year.abs(),
            p.mon.abs(),
            p.day.abs(),
            p.hour.abs(),
            p.min.abs()
        ));
        push_seconds(&mut out, p.sec, p.fsec, true);
    } else if has_year_month {
        out.push_str(&format!("{}-{}", p.year, p.mon));
    } else if p.day != 0 {
        out.push_str(&format!("{} {}:{:02}:", p.day, p.hour, p.min));
        push_seconds(&mut out, p.sec, p.fsec, true);
    } else {
        out.push_str(&format!("{}:{:02}:", p.hour, p.min));
        push_seconds(&mut out, p.sec, p.fsec, true);
    }
    out
}

fn format_iso8601(iv: &Interval) -> String {
    let p = Parts::of(iv);
    if p.year == 0 && p.mon == 0 && p.day == 0 && p.time_is_zero() {
        return "PT0S".into();
    }
    let mut out = String::from("P");
    let part = |out: &mut String, v: i64, c: char| {
        if v != 0 {
            out.push_str(&format!("{v}{c}"));
        }
    };
    part(&mut out, p.year, 'Y');
    part(&mut out, p.mon, 'M');
    part(&mut out, p.day, 'D');
    if !p.time_is_zero() {
        out.push('T');
    }
    part(&mut out, p.hour, 'H');
    part(&mut out, p.min, 'M');
    if p.sec != 0 || p.fsec != 0 {
        if p.sec < 0 || p.fsec < 0 {
            out.push('-');
        }
        push_seconds(&mut out, p.sec, p.fsec, false);
        out.push('S');
    }
    out
}

/// Formats an interval in the `postgres` IntervalStyle.
pub fn format_interval(iv: &Interval) -> String {
    let mut out = String::new();
    let mut is_zero = true;
    let mut is_before = false;
    let years = iv.months / 12;
    let months = iv.months % 12;
    for (value, unit) in
        [(i64::from(years), "year"), (i64::from(months), "mon"), (i64::from(iv.days), "day")]
    {
        if value == 0 {
            continue;
        }
        if !is_zero {
            out.push(' ');
        }
        if is_before && value > 0 {
            out.push('+');
        }
        out.push_str(&format!("{value} {unit}"));
        if value != 1 {
            out.push('s');
        }
        is_before = value < 0;
        is_zero = false;
    }
    let t = iv.micros;
    if is_zero || t != 0 {
        if !is_zero {
            out.push(' ');
        }
        if t < 0 {
            out.push('-');
        } else if is_before {
            out.push('+');
        }
        let a = t.unsigned_abs();
        let h = a / USECS_PER_HOUR as u64;
        let m = a / USECS_PER_MINUTE as u64 % 60;
        let s = a / USECS_PER_SEC as u64 % 60;
        out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
        push_fraction(&mut out, (a % USECS_PER_SEC as u64) as i64);
    }
    out
}

/// Accumulates interval fields with overflow checks.
#[derive(Default)]
struct Acc {
    /// Whole years (from years, decades, centuries, millennia and `Y-M`).
    years: i64,
    months: i64,
    days: i64,
    micros: i128,
    frac_days: f64,
    /// A month or day number that does not fit its 32-bit field.
    field_overflow: bool,
}

impl Acc {
    /// Adds `value` (possibly fractional) of a unit, spilling fractions downward the way
    /// PostgreSQL does (fractional months to 30-day days, fractional days to 24 hours).
    fn add(&mut self, value: f64, unit: Unit) {
        match unit {
            Unit::Months(m) => {
                // As PostgreSQL: the number must fit 32 bits, and so must the years and
                // the months fields it adds to; the total of months is checked last.
                let whole = value.trunc();
                if !(-2_147_483_648.0..=2_147_483_647.0).contains(&whole) {
                    self.field_overflow = true;
                    return;
                }
                let frac = value - whole;
                if m == 1 {
                    self.months += whole as i64;
                    self.add_days(frac, 30.0);
                } else {
                    self.years += whole as i64 * i64::from(m / 12);
                    // Fractional years become whole months, rounded.
                    self.months += (frac * f64::from(m)).round_ties_even() as i64;
                }
                let fits = |v: i64| i32::try_from(v).is_ok();
                if !fits(self.years) || !fits(self.months) {
                    self.field_overflow = true;
                }
            }
            Unit::Days(d) => self.add_days(value, f64::from(d)),
            Unit::Micros(us) => self.micros += (value * us as f64).round_ties_even() as i128,
        }
    }

    fn add_days(&mut self, value: f64, per: f64) {
        let total = value * per;
        let whole = total.trunc();
        self.days += whole as i64;
        self.frac_days += total - whole;
    }

    fn finish(self, negate: bool, input: &str) -> TypeResult<Interval> {
        let mut micros =
            self.micros + (self.frac_days * USECS_PER_DAY as f64).round_ties_even() as i128;
        let (mut months, mut days) =
            (i128::from(self.years) * 12 + i128::from(self.months), i128::from(self.days));
        if negate {
            months = -months;
            days = -days;
            micros = -micros;
        }
        let overflow = || {
            TypeError::other(
                helios_common::SqlState::from_code("22015"),
                format!("interval field value out of range: \"{input}\""),
            )
        };
        if self.field_overflow {
            return Err(overflow());
        }
        Ok(Interval {
            // Months summed from years, decades, ... overflow the interval itself.
            months: i32::try_from(months)
                .map_err(|_| TypeError::DatetimeOverflow("interval out of range".into()))?,
            days: i32::try_from(days).map_err(|_| overflow())?,
            micros: i64::try_from(micros).map_err(|_| overflow())?,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit {
    Months(u32),
    Days(u32),
    Micros(i64),
}

fn unit_from_word(w: &str) -> Option<Unit> {
    // PostgreSQL compares the first 10 characters only (`millenniums`, `milliseconds`).
    let w = w.get(..10).unwrap_or(w);
    Some(match w {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "microsecon" => Unit::Micros(1),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "millisecon" => {
            Unit::Micros(1000)
        }
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Micros(USECS_PER_SEC),
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Micros(USECS_PER_MINUTE),
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Micros(USECS_PER_HOUR),
        "day" | "days" | "d" => Unit::Days(1),
        "week" | "weeks" | "w" => Unit::Days(7),
        "month" | "months" | "mon" | "mons" => Unit::Months(1),
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Months(12),
        "decade" | "decades" | "dec" | "decs" => Unit::Months(120),
        "century" | "centuries" | "c" | "cent" => Unit::Months(1200),
        "millennium" | "millennia" | "mil" | "mils" => Unit::Months(12_000),
        _ => return None,
    })
}

/// The field a unit word sets (PostgreSQL rejects a field given twice).
fn unit_mask(w: &str) -> u32 {
    match unit_from_word(w) {
        Some(Unit::Micros(1)) => 1 << 0,
        Some(Unit::Micros(1000)) => 1 << 1,
        Some(Unit::Micros(USECS_PER_SEC)) => 1 << 2,
        Some(Unit::Micros(USECS_PER_MINUTE)) => 1 << 3,
        Some(Unit::Micros(_)) => 1 << 4,
        Some(Unit::Days(1)) => 1 << 5,
        Some(Unit::Days(_)) => 1 << 6,
        Some(Unit::Months(1)) => 1 << 7,
        Some(Unit::Months(12)) => 1 << 8,
        Some(Unit::Months(120)) => 1 << 9,
        Some(Unit::Months(1200)) => 1 << 10,
        Some(Unit::Months(_)) => 1 << 11,
        None => 0,
    }
}

/// The fields an `h:m:s` token sets: hour, minute and second.
const TIME_MASK: u32 = (1 << 2) | (1 << 3) | (1 << 4);

/// Milliseconds and microseconds, which a fraction of a second also sets.
const FRACTION_MASK: u32 = (1 << 0) | (1 << 1);

fn parse_number(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || body == "." || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if body.bytes().filter(|b| *b == b'.').count() > 1 {
        return None;
    }
    s.parse().ok()
}

/// Parses `[-]h:m[:s[.f]]` into signed microseconds (`m:s` when `minute_second`).
fn parse_time_token(s: &str, minute_second: bool) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let parts: Vec<&str> = body.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let int = |p: &str| -> Option<i128> {
        (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten()
    };
    if parts.len() == 2 && (parts[1].contains('.') || minute_second) {
        // `mm:ss.f`: with a fraction, two fields are minutes and seconds.
        let (w, f) = parts[1].split_once('.').unwrap_or((parts[1], ""));
        let frac = super::datetime_fields::parse_fraction(f)?;
        let secs = int(w)? * i128::from(USECS_PER_SEC) + i128::from(frac);
        let t = int(parts[0])? * i128::from(USECS_PER_MINUTE) + secs;
        return Some(if neg { -t } else { t });
    }
    let h = int(parts[0])?;
    let m = int(parts[1])?;
    let secs = match parts.get(2) {
        Some(p) => {
            let (w, f) = p.split_once('.').unwrap_or((p, ""));
            let frac = super::datetime_fields::parse_fraction(f)?;
            int(w)? * i128::from(USECS_PER_SEC) + i128::from(frac)
        }
        None => 0,
    };
    if m > 59 || secs >= 60 * i128::from(USECS_PER_SEC) {
        return None;
    }
    let t = h * i128::from(USECS_PER_HOUR) + m * i128::from(USECS_PER_MINUTE) + secs;
    Some(if neg { -t } else { t })
}

/// A field of an interval qualifier (`YEAR`, `DAY TO MINUTE`, `SECOND(3)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IntervalField {
    /// `YEAR`
    Year,
    /// `MONTH`
    Month,
    /// `DAY`
    Day,
    /// `HOUR`
    Hour,
    /// `MINUTE`
    Minute,
    /// `SECOND`
    Second,
}

/// An interval qualifier: which fields an `interval '...' DAY TO MINUTE` literal keeps,
/// and the fractional-second precision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntervalRange {
    /// The leading field (`DAY` of `DAY TO MINUTE`).
    pub leading: Option<IntervalField>,
    /// The last field (`MINUTE` of `DAY TO MINUTE`).
    pub last: Option<IntervalField>,
    /// Fractional digits of the seconds (0 to 6).
    pub precision: Option<u32>,
    /// The session's IntervalStyle: under `sql_standard` a leading minus sign applies to
    /// every field (`-1 2:03:04` is minus one day, two hours, ...).
    pub style: IntervalStyle,
}

impl IntervalRange {
    fn rightmost(&self) -> Option<IntervalField> {
        self.last.or(self.leading)
    }

    /// The unit of a number written without one.
    fn default_unit(&self) -> &'static str {
        match self.rightmost() {
            Some(IntervalField::Year) => "year",
            Some(IntervalField::Month) => "month",
            Some(IntervalField::Day) => "day",
            Some(IntervalField::Hour) => "hour",
            Some(IntervalField::Minute) => "minute",
            Some(IntervalField::Second) | None => "second",
        }
    }

    /// `MINUTE TO SECOND` reads `2:03` as minutes and seconds.
    fn minute_to_second(&self) -> bool {
        self.leading == Some(IntervalField::Minute) && self.last == Some(IntervalField::Second)
    }

    /// Drops the fields right of the qualifier's last field and rounds the seconds to
    /// its precision (PostgreSQL's `AdjustIntervalForTypmod`).
    pub fn apply(&self, iv: Interval) -> Interval {
        let Interval { mut months, mut days, mut micros } = iv;
        match self.rightmost() {
            Some(IntervalField::Year) => {
                months = months / 12 * 12;
                days = 0;
                micros = 0;
            }
            Some(IntervalField::Month) => {
                days = 0;
                micros = 0;
            }
            Some(IntervalField::Day) => micros = 0,
            Some(IntervalField::Hour) => micros = micros / USECS_PER_HOUR * USECS_PER_HOUR,
            Some(IntervalField::Minute) => micros = micros / USECS_PER_MINUTE * USECS_PER_MINUTE,
            Some(IntervalField::Second) | None => {}
        }
        if let Some(p) = self.precision.filter(|p| *p < 6) {
            let scale = 10i64.pow(6 - p);
            let round = |t: i64| (t + scale / 2) / scale * scale;
            micros = if micros >= 0 { round(micros) } else { -round(-micros) };
        }
        Interval { months, days, micros }
    }
}

/// Parses `interval` input (postgres, SQL standard and ISO 8601 forms).
pub fn parse_interval(input: &str) -> TypeResult<Interval> {
    parse_interval_range(input, &IntervalRange::default())
}

/// Parses `interval` input under a qualifier (`interval '1 2' DAY TO HOUR`): a number
/// without a unit takes the qualifier's last field, and the fields right of it are
/// dropped.
pub fn parse_interval_range(input: &str, range: &IntervalRange) -> TypeResult<Interval> {
    let bad = || TypeError::datetime("interval", input);
    if !input.is_ascii() {
        return Err(bad());
    }
    let lower = input.trim().to_ascii_lowercase();
    if let Some(iso) = lower.strip_prefix('p') {
        return parse_iso(iso, input);
    }
    let mut tokens: Vec<String> = Vec::new();
    for word in lower.split_ascii_whitespace() {
        // Split `1day` / `2h` into number and unit.
        let split = word.find(|c: char| c.is_ascii_alphabetic()).filter(|&i| {
            i > 0 && word[..i].bytes().all(|b| b.is_ascii_digit() || b"+-.".contains(&b))
        });
        match split {
            Some(i) => {
                tokens.push(word[..i].to_string());
                tokens.push(word[i..].to_string());
            }
            None => tokens.push(word.to_string()),
        }
    }
    // A sign written apart from its number (`- 1 day`) belongs to the number.
    let mut merged: Vec<String> = Vec::with_capacity(tokens.len());
    let mut pending_sign: Option<String> = None;
    for t in tokens {
        if (t == "-" || t == "+") && pending_sign.is_none() {
            pending_sign = Some(t);
            continue;
        }
        merged.push(match pending_sign.take() {
            Some(sign) => format!("{sign}{t}"),
            None => t,
        });
    }
    if pending_sign.is_some() {
        return Err(bad());
    }
    let mut tokens: &[String] = &merged;
    if tokens.first().is_some_and(|t| t == "@") {
        tokens = &tokens[1..];
    }
    let mut negate = false;
    if tokens.last().is_some_and(|t| t == "ago") {
        negate = true;
        tokens = &tokens[..tokens.len() - 1];
    }
    if tokens.is_empty() {
        return Err(bad());
    }
    let mut acc = Acc::default();
    // Each field may be given once, as in PostgreSQL (`1 day 1 day` is an error).
    let mut seen = 0u32;
    let mut mark = |mask: u32| -> TypeResult<()> {
        if seen & mask != 0 {
            return Err(bad());
        }
        seen |= mask;
        Ok(())
    };
    // Read right to left, as PostgreSQL does: a number takes the unit written after
    // it, else the unit the field after it implies (a day before `h:m:s` or before an
    // hour), else the rightmost field of the qualifier (seconds without one).
    // Under IntervalStyle sql_standard a leading minus applies to every field when no
    // other field has a sign of its own (`-1 2:03:04` is all negative).
    let signed = |t: &String| t.starts_with(['-', '+']);
    let force_negative = range.style == IntervalStyle::SqlStandard
        && tokens.first().is_some_and(|t| t.starts_with('-'))
        && !tokens.iter().skip(1).any(signed);
    let flip = |tok: &str| force_negative && !tok.starts_with('-');
    let mut unit_word: Option<&str> = None;
    // A unit word no number has taken yet.
    let mut pending = false;
    let mut i = tokens.len();
    while i > 0 {
        i -= 1;
        let tok = tokens[i].as_str();
        if unit_from_word(tok).is_some() {
            if pending {
                return Err(bad());
            }
            unit_word = Some(tok);
            pending = true;
            continue;
        }
        if pending && (tok.contains(':') || year_month(tok).is_some()) {
            return Err(bad());
        }
        pending = false;
        if tok.contains(':') {
            mark(TIME_MASK | FRACTION_MASK)?;
            let t = parse_time_token(tok, range.minute_to_second()).ok_or_else(bad)?;
            acc.micros += if flip(tok) { -t } else { t };
            unit_word = Some("day");
            continue;
        }
        if let Some((y, m)) = year_month(tok) {
            mark(unit_mask("year") | unit_mask("month"))?;
            let (y, m) = if flip(tok) { (-y, -m) } else { (y, m) };
            acc.years += y;
            acc.months += m;
            continue;
        }
        let sign = if flip(tok) { -1.0 } else { 1.0 };
        let value = sign * parse_number(tok).ok_or_else(bad)?;
        let word = unit_word.unwrap_or_else(|| range.default_unit());
        let unit = unit_from_word(word).ok_or_else(bad)?;
        let mut mask = unit_mask(word);
        if unit == Unit::Micros(USECS_PER_SEC) && value.fract() != 0.0 {
            mask |= FRACTION_MASK;
        }
        mark(mask)?;
        match (unit, tok.parse::<i128>()) {
            // Whole numbers of a time unit are added exactly (no float rounding).
            (Unit::Micros(per), Ok(n)) => acc.micros += sign as i128 * n * i128::from(per),
            (Unit::Months(1) | Unit::Days(1), Ok(n)) if i32::try_from(n).is_err() => {
                acc.field_overflow = true;
            }
            _ => acc.add(value, unit),
        }
        if unit == Unit::Micros(USECS_PER_HOUR) {
            unit_word = Some("day");
        }
    }
    if pending {
        return Err(bad());
    }
    let iv = acc.finish(negate, input)?;
    Ok(range.apply(iv))
}

/// Parses `interval` input under the session's IntervalStyle (see
/// [`IntervalRange::style`]).
pub fn parse_interval_in(input: &str, style: IntervalStyle) -> TypeResult<Interval> {
    parse_interval_range(input, &IntervalRange { style, ..IntervalRange::default() })
}

/// `Y-M` (SQL standard year-month), with an optional leading sign applying to both.
fn year_month(tok: &str) -> Option<(i64, i64)> {
    let (neg, body) = match tok.as_bytes().first()? {
        b'-' => (true, &tok[1..]),
        b'+' => (false, &tok[1..]),
        _ => (false, tok),
    };
    let (y, m) = body.split_once('-')?;
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.len() < 12 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m) = (num(y)?, num(m)?);
    if m > 11 {
        return None;
    }
    Some(if neg { (-y, -m) } else { (y, m) })
}

/// ISO 8601 duration after the leading `P`.
fn parse_iso(s: &str, input: &str) -> TypeResult<Interval> {
    let bad = || TypeError::datetime("interval", input);
    let mut acc = Acc::default();
    let mut in_time = false;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('t') {
            if in_time || r.is_empty() {
                return Err(bad());
            }
            in_time = true;
            rest = r;
            continue;
        }
        let end = rest.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
        let value = parse_number(&rest[..end]).ok_or_else(bad)?;
        let unit = match (in_time, &rest[end..=end]) {
            (false, "y") => Unit::Months(12),
            (false, "m") => Unit::Months(1),
            (false, "w") => Unit::Days(7),
            (false, "d") => Unit::Days(1),
            (true, "h") => Unit::Micros(USECS_PER_HOUR),
            (true, "m") => Unit::Micros(USECS_PER_MINUTE),
            (true, "s") => Unit::Micros(USECS_PER_SEC),
            _ => return Err(bad()),
        };
        acc.add(value, unit);
        rest = &rest[end + 1..];
    }
    acc.finish(false, input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_pick_units_and_truncate() {
        use IntervalField::*;
        let q = |s: &str, leading, last, precision| {
            parse_interval_range(
                s,
                &IntervalRange { leading, last, precision, style: IntervalStyle::Postgres },
            )
            .map(|v| format_interval(&v))
            .map_err(|e| e.to_string())
        };
        assert_eq!(q("1", Some(Year), Some(Month), None).as_deref(), Ok("1 mon"));
        assert_eq!(q("1 2", Some(Day), Some(Hour), None).as_deref(), Ok("1 day 02:00:00"));
        assert_eq!(q("123 11", Some(Day), Some(Hour), None).as_deref(), Ok("123 days 11:00:00"));
        assert!(q("123 11", Some(Day), None, None).is_err());
        assert!(q("1 2", Some(Day), Some(Minute), None).is_err());
        assert_eq!(q("1 2:03:04", Some(Day), Some(Minute), None).as_deref(), Ok("1 day 02:03:00"));
        assert_eq!(q("1 2:03", Some(Minute), Some(Second), None).as_deref(), Ok("1 day 00:02:03"));
        assert_eq!(
            q("1 -2:03", Some(Minute), Some(Second), None).as_deref(),
            Ok("1 day -00:02:03")
        );
        assert_eq!(q("999", Some(Month), None, None).as_deref(), Ok("83 years 3 mons"));
        assert_eq!(
            q("1 day 01:23:45.6789", Some(Day), Some(Second), Some(2)).as_deref(),
            Ok("1 day 01:23:45.68")
        );
        assert_eq!(
            q("1 2:03:04.5678", Some(Hour), Some(Second), Some(2)).as_deref(),
            Ok("1 day 02:03:04.57")
        );
        assert!(parse_interval("5.5 seconds 3 milliseconds").is_err());
        assert!(parse_interval("1:20:05 5 microseconds").is_err());
        assert!(parse_interval("day").is_err());
        let sql =
            |s: &str| parse_interval_in(s, IntervalStyle::SqlStandard).map(|v| format_interval(&v));
        assert_eq!(sql("-1 23:45:12.34").as_deref(), Ok("-1 days -23:45:12.34"));
        assert_eq!(sql("-1 +23:45:12.34").as_deref(), Ok("-1 days +23:45:12.34"));
        assert_eq!(sql("-1-2").as_deref(), Ok("-1 years -2 mons"));
        assert_eq!(sql("-23 hours 45 min 12.34 sec").as_deref(), Ok("-23:45:12.34"));
        assert_eq!(
            sql("-1 year 2 months 1 day 23 hours 45 min 12.34 sec").as_deref(),
            Ok("-1 years -2 mons -1 days -23:45:12.34")
        );
        let err = |s: &str| parse_interval(s).unwrap_err().to_string();
        assert_eq!(err("178956971 years"), "interval out of range");
        assert_eq!(parse_interval("-2147483648 months").map(|v| v.months), Ok(i32::MIN));
        assert_eq!(err("2147483647 years"), "interval out of range");
        assert_eq!(
            err("2147483647 decades"),
            "interval field value out of range: \"2147483647 decades\""
        );
        assert_eq!(
            err("0.1 millennium 2147483647 months"),
            "interval field value out of range: \"0.1 millennium 2147483647 months\""
        );
        assert_eq!(
            err("2147483648 days"),
            "interval field value out of range: \"2147483648 days\""
        );
        assert_eq!(
            parse_interval("9223372036854775807 microseconds").map(|v| v.micros),
            Ok(i64::MAX)
        );
        assert_eq!(
            parse_interval("3 millenniums 2 centuries 1 decades")
                .map(|v| format_interval(&v))
                .as_deref(),
            Ok("3210 years")
        );
        assert_eq!(
            parse_interval("1 day 2 hours").map(|v| format_interval(&v)).as_deref(),
            Ok("1 day 02:00:00")
        );
    }

    #[test]
    fn formats_in_every_intervalstyle() {
        let iv = |s: &str| parse_interval(s).unwrap();
        let all = |s: &str| {
            let v = iv(s);
            [
                IntervalStyle::Postgres,
                IntervalStyle::PostgresVerbose,
                IntervalStyle::SqlStandard,
                IntervalStyle::Iso8601,
            ]
            .map(|st| format_interval_style(&v, st))
        };
        assert_eq!(
            all("1 year 2 mons 3 days 04:05:06.5"),
            [
                "1 year 2 mons 3 days 04:05:06.5",
                "@ 1 year 2 mons 3 days 4 hours 5 mins 6.5 secs",
                "+1-2 +3 +4:05:06.5",
                "P1Y2M3DT4H5M6.5S",
            ]
        );
        assert_eq!(all("0"), ["00:00:00", "@ 0", "0", "PT0S"]);
        assert_eq!(
            all("-1 day -02:00:00"),
            ["-1 days -02:00:00", "@ 1 day 2 hours ago", "-1 2:00:00", "P-1DT-2H",]
        );
        assert_eq!(all("1-2"), ["1 year 2 mons", "@ 1 year 2 mons", "1-2", "P1Y2M"]);
        assert_eq!(all("-14 secs"), ["-00:00:14", "@ 14 secs ago", "-0:00:14", "PT-14S"]);
        assert_eq!(all("1 day -1 sec")[1], "@ 1 day -1 sec");
    }
    use proptest::prelude::*;

    fn iv(months: i32, days: i32, micros: i64) -> Interval {
        Interval { months, days, micros }
    }

    #[test]
    fn formats_postgres_style() {
        let h = USECS_PER_HOUR;
        assert_eq!(
            format_interval(&iv(14, 3, 4 * h + 5 * 60_000_000 + 6_000_000)),
            "1 year 2 mons 3 days 04:05:06"
        );
        assert_eq!(format_interval(&iv(0, 0, -1_000_000)), "-00:00:01");
        assert_eq!(format_interval(&iv(0, 0, 0)), "00:00:00");
        assert_eq!(format_interval(&iv(-14, 3, -4 * h)), "-1 years -2 mons +3 days -04:00:00");
        assert_eq!(format_interval(&iv(1, 1, 0)), "1 mon 1 day");
        assert_eq!(format_interval(&iv(0, -1, 1_500_000)), "-1 days +00:00:01.5");
        assert_eq!(format_interval(&iv(0, 0, 30 * h)), "30:00:00");
        assert_eq!(format_interval(&iv(24, 0, 0)), "2 years");
    }

    #[test]
    fn parses_all_styles() {
        let h = USECS_PER_HOUR;
        let m = USECS_PER_MINUTE;
        let cases: &[(&str, Interval)] = &[
            ("1 day", iv(0, 1, 0)),
            ("2 hours 3 minutes", iv(0, 0, 2 * h + 3 * m)),
            ("1-2", iv(14, 0, 0)),
            ("-1-2", iv(-14, 0, 0)),
            ("3 4:05:06", iv(0, 3, 4 * h + 5 * m + 6_000_000)),
            ("-1 2:03:04", iv(0, -1, 2 * h + 3 * m + 4_000_000)),
            ("- 1 day", iv(0, -1, 0)),
            ("1 year 2 mons 3 days 04:05:06", iv(14, 3, 4 * h + 5 * m + 6_000_000)),
            ("-1 years -2 mons +3 days -04:05:06", iv(-14, 3, -(4 * h + 5 * m + 6_000_000))),
            ("@ 1 day ago", iv(0, -1, 0)),
            ("1.5 months", iv(1, 15, 0)),
            ("1.5 days", iv(0, 1, 12 * h)),
            ("1.5 years", iv(18, 0, 0)),
            ("2 weeks", iv(0, 14, 0)),
            ("10", iv(0, 0, 10_000_000)),
            ("1day 2h", iv(0, 1, 2 * h)),
            ("-00:00:01", iv(0, 0, -1_000_000)),
            ("00:00:00.5", iv(0, 0, 500_000)),
            ("P1Y2M", iv(14, 0, 0)),
            ("P1Y2M3DT4H5M6.5S", iv(14, 3, 4 * h + 5 * m + 6_500_000)),
            ("PT1.5H", iv(0, 0, h + 30 * m)),
            ("P1W", iv(0, 7, 0)),
            ("1 millisecond", iv(0, 0, 1000)),
            ("1 century", iv(1200, 0, 0)),
            ("1 day 2", iv(0, 1, 2_000_000)),
            ("1:30.5", iv(0, 0, 90_500_000)),
            ("4:05", iv(0, 0, 4 * h + 5 * m)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_interval(s).as_ref(), Ok(want), "{s}");
        }
        for s in [
            "",
            "abc",
            "1 fortnight",
            "P",
            "PT",
            "1 day x",
            "1:2:3:4",
            "P1H",
            "1 day 1 day",
            "1 hour 01:00",
            "-",
            "1 2 3",
        ] {
            let e = parse_interval(s).unwrap_err();
            assert_eq!(e.to_string(), format!("invalid input syntax for type interval: \"{s}\""));
            assert_eq!(e.sqlstate().code(), "22007");
        }
        assert_eq!(parse_interval("3000000000 days").unwrap_err().sqlstate().code(), "22015");
    }

    proptest! {
        #[test]
        fn round_trips(months in any::<i32>(), days in any::<i32>(), micros in any::<i64>()) {
            let v = iv(months, days, micros);
            prop_assert_eq!(parse_interval(&format_interval(&v)), Ok(v));
        }
    }
}
