//! `to_char` for timestamps, intervals and numbers, with the common template patterns
//! (YYYY, MM, DD, HH24, MI, SS, MS, US, Mon, Month, Day, Dy, AM/PM, Q, DDD, D, WW, IW, TZ,
//! FM, quoted text; numeric 9, 0, '.', ',', D, G, S, FM, MI, PL, SG). The reverse
//! `to_date` / `to_timestamp` are registered here and read by `from_char`.

use helios_common::{Error, Result, SqlState};
use helios_types::text::calendar::{
    days_from_civil, END_TIMESTAMP, MAX_DATE_DAYS, MIN_DATE_DAYS, MIN_TIMESTAMP, USECS_PER_DAY,
    USECS_PER_SEC,
};
use helios_types::{DataType, Interval, Value};

use crate::expr::num::to_numeric;
use crate::functions::datetime::{from_local, split, to_local};
use crate::functions::datetime_part::iso_week;
use crate::functions::registry::{p, Registry, ReturnType};
use crate::functions::string::s;

/// Month names as to_char prints them (and the date readers match, ignoring case).
pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Weekday names from Sunday, as to_char prints them.
pub(crate) const DAYS: [&str; 7] =
    ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Registers to_char, to_date and to_timestamp.
pub(crate) fn register(r: &mut Registry) {
    use DataType::{Date, Float8, Int4, Int8, Text, Timestamp, TimestampTz};
    let text = || ReturnType::Exact(Text);
    r.add("to_char", vec![p(Timestamp), p(Text)], text(), |a, _| {
        let Value::Timestamp(t) = a[0] else { return Ok(Value::Null) };
        if matches!(t, i64::MIN | i64::MAX) {
            // PostgreSQL formats no infinite timestamp.
            return Ok(Value::Null);
        }
        Ok(Value::Text(format_ts(t, s(&a[1]), None)))
    });
    r.add("to_char", vec![p(TimestampTz), p(Text)], text(), |a, ctx| {
        let Value::TimestampTz(t) = a[0] else { return Ok(Value::Null) };
        if matches!(t, i64::MIN | i64::MAX) {
            return Ok(Value::Null);
        }
        let offset = ctx.time_zone().offset_at(t);
        Ok(Value::Text(format_ts(to_local(t, ctx), s(&a[1]), Some(offset))))
    });
    r.add("to_char", vec![p(DataType::Interval), p(Text)], text(), |a, _| {
        let Value::Interval(i) = a[0] else { return Ok(Value::Null) };
        Ok(Value::Text(format_interval(i, s(&a[1]))))
    });
    for t in [Int4, Int8, DataType::Numeric(None), Float8] {
        r.add("to_char", vec![p(t), p(Text)], text(), |a, _| {
            format_number(&a[0], s(&a[1])).map(Value::Text)
        });
    }
    r.add("to_date", vec![p(Text), p(Text)], ReturnType::Exact(Date), |a, _| {
        let input = s(&a[0]);
        let parsed = super::from_char::parse(input, s(&a[1]))?;
        match i32::try_from(parsed.days) {
            Ok(d) if (MIN_DATE_DAYS..=MAX_DATE_DAYS).contains(&i64::from(d)) => Ok(Value::Date(d)),
            _ => Err(Error::new(
                SqlState::DATETIME_FIELD_OVERFLOW,
                format!("date out of range: \"{input}\""),
            )),
        }
    });
    r.add("to_timestamp", vec![p(Text), p(Text)], ReturnType::Exact(TimestampTz), |a, ctx| {
        let parsed = super::from_char::parse(s(&a[0]), s(&a[1]))?;
        let out_of_range =
            || Error::new(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range");
        // Beyond the timestamp range by more than any offset: refused before the zone
        // is looked up.
        let local = parsed
            .local()
            .filter(|l| (MIN_TIMESTAMP - USECS_PER_DAY..END_TIMESTAMP + USECS_PER_DAY).contains(l))
            .ok_or_else(out_of_range)?;
        let mut ts = match parsed.offset {
            Some(offset) => local - offset * USECS_PER_SEC,
            None => from_local(local, ctx),
        };
        if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts) {
            return Err(out_of_range());
        }
        if let Some(precision) = parsed.precision {
            ts = super::from_char::round_to_precision(ts, precision);
        }
        Ok(Value::TimestampTz(ts))
    });
    r.add("to_timestamp", vec![p(Float8)], ReturnType::Exact(TimestampTz), |a, _| {
        let Value::Float8(f) = a[0] else { return Ok(Value::Null) };
        if !f.is_finite() {
            return Err(Error::new(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range"));
        }
        #[allow(clippy::cast_possible_truncation)]
        let us = ((f - 946_684_800.0) * 1e6).round() as i64;
        Ok(Value::TimestampTz(us))
    });
}

/// Tokens of a template, longest patterns first.
const PATTERNS: &[&str] = &[
    "HH24", "HH12", "YYYY", "MONTH", "Month", "month", "DDD", "MON", "Mon", "mon", "DAY", "Day",
    "day", "IYYY", "YYY", "A.M.", "P.M.", "a.m.", "p.m.", "HH", "MI", "SS", "MS", "US", "YY", "MM",
    "DD", "DY", "Dy", "dy", "AM", "PM", "am", "pm", "IW", "WW", "TZ", "tz", "Q", "D", "Y", "J",
];

/// The fields a template can show.
struct Fields {
    year: i64,
    month: u32,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    usec: i64,
    /// Day number since 2000-01-01 (for weekdays, day of year, ISO weeks).
    days: i64,
}

fn format_ts(ts: i64, fmt: &str, offset: Option<i32>) -> String {
    let p = split(ts);
    let f = Fields {
        year: if p.year <= 0 { 1 - p.year } else { p.year },
        month: p.month,
        day: i64::from(p.day),
        hour: p.time / 3_600_000_000,
        minute: p.time / 60_000_000 % 60,
        second: p.time / 1_000_000 % 60,
        usec: p.time % 1_000_000,
        days: ts.div_euclid(USECS_PER_DAY),
    };
    format_fields(&f, fmt, offset)
}

fn format_fields(f: &Fields, fmt: &str, offset: Option<i32>) -> String {
    let (year, days, hour, minute, second, usec) =
        (f.year, f.days, f.hour, f.minute, f.second, f.usec);
    let dow = usize::try_from((days + 6).rem_euclid(7)).unwrap_or(0);
    let month_name = MONTHS[usize::try_from(f.month.clamp(1, 12) - 1).unwrap_or(0)];
    let p_year = year;
    let mut out = String::new();
    let mut rest = fmt;
    while !rest.is_empty() {
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            out.push_str(&q[..end]);
            rest = q.get(end + 1..).unwrap_or("");
            continue;
        }
        let (fm, body) = match rest.strip_prefix("FM") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let Some(pat) = PATTERNS.iter().find(|pat| body.starts_with(**pat)) else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let num = |v: i64, width: usize| if fm { v.to_string() } else { format!("{v:0width$}") };
        let name = |full: &str, upper: bool, lower: bool, abbrev: bool| {
            let base = if abbrev { full[..3].to_string() } else { full.to_string() };
            let base = if upper {
                base.to_uppercase()
            } else if lower {
                base.to_lowercase()
            } else {
                base
            };
            if fm || abbrev {
                base
            } else {
                format!("{base:<9}")
            }
        };
        let piece = match *pat {
            "YYYY" | "IYYY" => num(if *pat == "IYYY" { iso_week(days).0 } else { year }, 4),
            "YYY" => num(year % 1000, 3),
            "YY" => num(year % 100, 2),
            "Y" => num(year % 10, 1),
            "MM" => num(i64::from(f.month), 2),
            "MONTH" => name(month_name, true, false, false),
            "Month" => name(month_name, false, false, false),
            "month" => name(month_name, false, true, false),
            "MON" => name(month_name, true, false, true),
            "Mon" => name(month_name, false, false, true),
            "mon" => name(month_name, false, true, true),
            "DAY" => name(DAYS[dow], true, false, false),
            "Day" => name(DAYS[dow], false, false, false),
            "day" => name(DAYS[dow], false, true, false),
            "DY" => name(DAYS[dow], true, false, true),
            "Dy" => name(DAYS[dow], false, false, true),
            "dy" => name(DAYS[dow], false, true, true),
            "DDD" => num(days - days_from_civil(p_year, 1, 1) + 1, 3),
            "DD" => num(f.day, 2),
            "D" => (dow + 1).to_string(),
            "HH24" => num(hour, 2),
            "HH" | "HH12" => num(if hour % 12 == 0 { 12 } else { hour % 12 }, 2),
            "MI" => num(minute, 2),
            "SS" => num(second, 2),
            "MS" => num(usec / 1000, 3),
            "US" => num(usec, 6),
            "AM" | "PM" => (if hour < 12 { "AM" } else { "PM" }).to_string(),
            "am" | "pm" => (if hour < 12 { "am" } else { "pm" }).to_string(),
            "A.M." | "P.M." => (if hour < 12 { "A.M." } else { "P.M." }).to_string(),
            "a.m." | "p.m." => (if hour < 12 { "a.m." } else { "p.m." }).to_string(),
            "Q" => ((f.month.max(1) - 1) / 3 + 1).to_string(),
            "WW" => num((days - days_from_civil(p_year, 1, 1)) / 7 + 1, 2),
            "IW" => num(iso_week(days).1, 2),
            "J" => (days + 2_451_545).to_string(),
            "TZ" | "tz" => {
                let z = match offset {
                    None | Some(0) => "UTC".to_string(),
                    Some(o) => helios_types::text::timezone::format_offset(o),
                };
                if *pat == "tz" {
                    z.to_lowercase()
                } else {
                    z
                }
            }
            _ => String::new(),
        };
        out.push_str(&piece);
        rest = &body[pat.len()..];
    }
    out
}

fn format_interval(i: Interval, fmt: &str) -> String {
    // Hours are not wrapped at 24 and days not folded into months, as in PostgreSQL.
    let f = Fields {
        year: i64::from(i.months / 12),
        month: u32::try_from(i.months % 12).unwrap_or(0),
        day: i64::from(i.days),
        hour: i.micros / 3_600_000_000,
        minute: i.micros / 60_000_000 % 60,
        second: i.micros / 1_000_000 % 60,
        usec: i.micros % 1_000_000,
        days: 0,
    };
    format_fields(&f, fmt, None)
}

/// `to_char(number, template)`.
fn format_number(v: &Value, fmt: &str) -> Result<String> {
    let n = to_numeric(v).ok_or_else(|| Error::internal("to_char on a non-number"))?;
    let helios_types::Numeric::Finite(d) = n else {
        return Ok("NaN".into());
    };
    let fm = fmt.contains("FM");
    let body: String = fmt.replace("FM", "");
    let int_digits = body
        .split(['.', 'D'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| *c == '9' || *c == '0')
        .count();
    let frac_digits = body
        .split_once(['.', 'D'])
        .map_or(0, |(_, f)| f.chars().filter(|c| *c == '9' || *c == '0').count());
    let rounded = d.with_scale_round(
        i64::try_from(frac_digits).unwrap_or(0),
        bigdecimal::RoundingMode::HalfUp,
    );
    let neg = rounded.sign() == bigdecimal::num_bigint::Sign::Minus;
    let abs = rounded.abs();
    let text = abs.to_string();
    let (ip, fp) = text.split_once('.').unwrap_or((&text, ""));
    if ip.len() > int_digits && int_digits > 0 {
        let hashes: String =
            body.chars().map(|c| if c == '9' || c == '0' { '#' } else { c }).collect();
        return Ok(format!(" {hashes}"));
    }
    // Lay out the integer part right to left over the template's integer section.
    let int_tpl: Vec<char> = body.split(['.', 'D']).next().unwrap_or("").chars().collect();
    let mut digits: Vec<char> = ip.chars().collect();
    if ip == "0" && int_tpl.iter().all(|c| *c != '0') && frac_digits > 0 {
        digits.clear();
    }
    let mut out_int = Vec::new();
    for c in int_tpl.iter().rev() {
        match c {
            '9' | '0' => {
                if let Some(dch) = digits.pop() {
                    out_int.push(dch);
                } else if *c == '0' {
                    out_int.push('0');
                } else if !fm {
                    out_int.push(' ');
                }
            }
            ',' | 'G' => {
                if !digits.is_empty()
                    || int_tpl.iter().rev().skip_while(|x| **x != *c).any(|x| *x == '0')
                {
                    out_int.push(',');
                } else if !fm {
                    out_int.push(' ');
                }
            }
            _ => {}
        }
    }
    out_int.reverse();
    let mut int_str: String = out_int.into_iter().collect();
    if fm {
        int_str = int_str.trim_start().to_string();
    }
    let mut out = String::new();
    let sign = if neg { '-' } else { ' ' };
    if body.contains('S') || body.contains("SG") {
        if !neg {
            out.push('+');
        } else {
            out.push('-');
        }
    } else if !fm || neg {
        // Sign goes immediately before the first digit, as PostgreSQL does.
        let trimmed = int_str.trim_start();
        let pad = int_str.len() - trimmed.len();
        let sign_text = if fm && !neg { String::new() } else { sign.to_string() };
        int_str = format!("{}{sign_text}{trimmed}", " ".repeat(pad));
        if fm {
            int_str = int_str.trim_start().to_string();
        }
    }
    out.push_str(&int_str);
    if frac_digits > 0 || body.contains('.') {
        out.push('.');
        let mut f: String = fp.chars().collect();
        while f.len() < frac_digits {
            f.push('0');
        }
        if fm {
            f = f.trim_end_matches('0').to_string();
        }
        out.push_str(&f);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i64, m: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
        days_from_civil(y, m, d) * USECS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1_000_000
    }

    #[test]
    fn timestamp_templates() {
        let t = ts(2024, 3, 5, 14, 7, 9);
        assert_eq!(format_ts(t, "YYYY-MM-DD HH24:MI:SS", None), "2024-03-05 14:07:09");
        assert_eq!(format_ts(t, "FMMonth DD, YYYY HH12:MI AM", None), "March 05, 2024 02:07 PM");
        assert_eq!(format_ts(t, "Dy Mon \"of\" YYYY", None), "Tue Mar of 2024");
    }

    #[test]
    fn number_templates() {
        let n = |v: Value, f: &str| format_number(&v, f).ok();
        assert_eq!(n(Value::Int4(1234), "9999"), Some(" 1234".into()));
        assert_eq!(n(Value::Int4(-12), "9999"), Some("  -12".into()));
        assert_eq!(n(Value::Int4(42), "FM9999"), Some("42".into()));
        assert_eq!(n(Value::Int4(7), "000"), Some(" 007".into()));
    }
}
