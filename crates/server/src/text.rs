//! PostgreSQL text format of values: what `DataRow` carries for text-format columns and
//! what clients send for text-format parameters and `COPY` data.
//!
//! Output follows PostgreSQL's defaults (`DateStyle = ISO, MDY`, `IntervalStyle =
//! postgres`, `bytea_output = hex`, `extra_float_digits = 1`); `timestamptz` is shown in
//! UTC (`+00`), the only `TimeZone` of this first version.

use std::fmt::Write as _;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Interval, Numeric, Value};

const MICROS_PER_SEC: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SEC;

/// The PostgreSQL text form of a non-null value (`None` for `NULL`).
pub fn to_text(value: &Value) -> Option<String> {
    let mut out = String::new();
    match value {
        Value::Null => return None,
        _ => write_value(value, &mut out),
    }
    Some(out)
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("NULL"),
        Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Value::Int2(v) => push_display(out, v),
        Value::Int4(v) => push_display(out, v),
        Value::Int8(v) => push_display(out, v),
        Value::Float4(v) => out.push_str(&format_float(f64::from(*v), 6, true)),
        Value::Float8(v) => out.push_str(&format_float(*v, 15, false)),
        Value::Numeric(n) => out.push_str(&format_numeric(n)),
        Value::Text(s) | Value::Json(s) => out.push_str(s),
        Value::Bytea(b) => {
            out.push_str("\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
        }
        Value::Date(d) => write_date(*d, out),
        Value::Time(t) => write_time(*t, out),
        Value::Timestamp(ts) => write_timestamp(*ts, out),
        Value::TimestampTz(ts) => {
            write_timestamp(*ts, out);
            out.push_str("+00");
        }
        Value::Interval(iv) => write_interval(iv, out),
        Value::Uuid(u) => out.push_str(&format_uuid(u)),
        Value::Jsonb(j) => write_jsonb(j, out),
        Value::Array(a) => {
            out.push('{');
            for (i, e) in a.elements.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match e {
                    Value::Null => out.push_str("NULL"),
                    _ => {
                        let mut s = String::new();
                        write_value(e, &mut s);
                        push_array_element(&s, out);
                    }
                }
            }
            out.push('}');
        }
        Value::Vector(v) => {
            out.push('[');
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format_float(f64::from(*x), 6, true));
            }
            out.push(']');
        }
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

fn push_array_element(s: &str, out: &mut String) {
    let needs_quotes = s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
    if !needs_quotes {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Shortest round-trip digits, written the way PostgreSQL's `float8out`/`float4out` do:
/// exponent form when the decimal exponent is below -4 or at least `max_exp`.
fn format_float(v: f64, max_exp: i32, single: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // `{:e}` gives the shortest digits that round-trip, as `d.ddde±x`.
    let sci = if single { format!("{:e}", v as f32) } else { format!("{v:e}") };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exp < -4 || exp >= max_exp {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = usize::try_from(exp).unwrap_or(0) + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

fn format_numeric(n: &Numeric) -> String {
    match n {
        Numeric::NaN => "NaN".into(),
        Numeric::PosInf => "Infinity".into(),
        Numeric::NegInf => "-Infinity".into(),
        Numeric::Finite(d) => {
            let (_, scale) = d.as_bigint_and_exponent();
            if scale < 0 {
                d.with_scale(0).to_plain_string()
            } else {
                d.to_plain_string()
            }
        }
    }
}

fn format_uuid(u: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// jsonb output as PostgreSQL prints it: `{"a": 1, "b": [1, 2]}`.
fn write_jsonb(j: &serde_json::Value, out: &mut String) {
    match j {
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_jsonb(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_jsonb(v, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Days since 2000-01-01 to a proleptic Gregorian (year, month, day).
pub(crate) fn civil_from_days(days_since_2000: i64) -> (i64, u32, u32) {
    // Days since 0000-03-01, using 400-year eras (Howard Hinnant's algorithm).
    let z = days_since_2000 + 730_425 + 60;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A proleptic Gregorian date to days since 2000-01-01.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 730_425 - 60
}

fn write_date(days: i32, out: &mut String) {
    let (y, m, d) = civil_from_days(i64::from(days));
    if y <= 0 {
        let _ = write!(out, "{:04}-{m:02}-{d:02} BC", 1 - y);
    } else {
        let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    }
}

fn write_time(micros: i64, out: &mut String) {
    let secs = micros / MICROS_PER_SEC;
    let frac = micros % MICROS_PER_SEC;
    let _ = write!(out, "{:02}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60);
    write_fraction(frac, out);
}

fn write_fraction(frac: i64, out: &mut String) {
    if frac != 0 {
        let s = format!("{:06}", frac.abs());
        out.push('.');
        out.push_str(s.trim_end_matches('0'));
    }
}

fn write_timestamp(micros: i64, out: &mut String) {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let time = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let bc = y <= 0;
    let _ = write!(out, "{:04}-{m:02}-{d:02} ", if bc { 1 - y } else { y });
    write_time(time, out);
    if bc {
        out.push_str(" BC");
    }
}

fn write_interval(iv: &Interval, out: &mut String) {
    let mut parts: Vec<String> = Vec::new();
    let years = iv.months / 12;
    let months = iv.months % 12;
    let plural = |n: i64, unit: &str, units: &str| {
        if n == 1 || n == -1 {
            format!("{n} {unit}")
        } else {
            format!("{n} {units}")
        }
    };
    if years != 0 {
        parts.push(plural(i64::from(years), "year", "years"));
    }
    if months != 0 {
        parts.push(plural(i64::from(months), "mon", "mons"));
    }
    if iv.days != 0 {
        parts.push(plural(i64::from(iv.days), "day", "days"));
    }
    if iv.micros != 0 || parts.is_empty() {
        let mut t = String::new();
        if iv.micros < 0 {
            t.push('-');
        }
        let abs = iv.micros.unsigned_abs();
        let secs = abs / 1_000_000;
        let _ = write!(t, "{:02}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60);
        write_fraction((abs % 1_000_000) as i64, &mut t);
        parts.push(t);
    }
    out.push_str(&parts.join(" "));
}

fn invalid(ty: &DataType, s: &str) -> Error {
    Error::new(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {ty}: \"{s}\""),
    )
}

/// Parses PostgreSQL's text input format for `ty`.
pub fn from_text(s: &str, ty: &DataType) -> Result<Value> {
    let t = s.trim();
    Ok(match ty {
        DataType::Bool => match t.to_ascii_lowercase().as_str() {
            "t" | "true" | "yes" | "y" | "on" | "1" => Value::Bool(true),
            "f" | "false" | "no" | "n" | "off" | "0" => Value::Bool(false),
            _ => return Err(invalid(ty, s)),
        },
        DataType::Int2 => Value::Int2(parse_int(t, ty, s)?),
        DataType::Int4 => Value::Int4(parse_int(t, ty, s)?),
        DataType::Int8 => Value::Int8(parse_int(t, ty, s)?),
        DataType::Float4 => Value::Float4(parse_float(t).map(|v| v as f32).ok_or_else(|| invalid(ty, s))?),
        DataType::Float8 => Value::Float8(parse_float(t).ok_or_else(|| invalid(ty, s))?),
        DataType::Numeric(_) => Value::Numeric(match t.to_ascii_lowercase().as_str() {
            "nan" => Numeric::NaN,
            "infinity" | "+infinity" | "inf" => Numeric::PosInf,
            "-infinity" | "-inf" => Numeric::NegInf,
            _ => Numeric::Finite(BigDecimal::from_str(t).map_err(|_| invalid(ty, s))?),
        }),
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Unknown => {
            Value::Text(s.to_owned())
        }
        DataType::Bytea => Value::Bytea(parse_bytea(s).ok_or_else(|| invalid(ty, s))?),
        DataType::Uuid => Value::Uuid(parse_uuid(t).ok_or_else(|| invalid(ty, s))?),
        DataType::Json => {
            serde_json::from_str::<serde_json::Value>(s).map_err(|e| json_error(s, &e))?;
            Value::Json(s.to_owned())
        }
        DataType::Jsonb => Value::Jsonb(std::sync::Arc::new(
            serde_json::from_str(s).map_err(|e| json_error(s, &e))?,
        )),
        DataType::Date => Value::Date(
            parse_date(t).and_then(|d| i32::try_from(d).ok()).ok_or_else(|| datetime_error(ty, s))?,
        ),
        DataType::Time => Value::Time(parse_time(t).ok_or_else(|| datetime_error(ty, s))?),
        DataType::Timestamp | DataType::TimestampTz => {
            let micros = parse_timestamp(t, matches!(ty, DataType::TimestampTz))
                .ok_or_else(|| datetime_error(ty, s))?;
            if matches!(ty, DataType::TimestampTz) {
                Value::TimestampTz(micros)
            } else {
                Value::Timestamp(micros)
            }
        }
        DataType::Interval | DataType::Array(_) | DataType::Vector(_) => {
            return Err(Error::unsupported(format!("text input of type {ty} over the wire")))
        }
    })
}

fn parse_int<T: FromStr>(t: &str, ty: &DataType, s: &str) -> Result<T> {
    t.parse::<T>().map_err(|_| {
        if !t.is_empty() && t.trim_start_matches(['-', '+']).bytes().all(|b| b.is_ascii_digit()) {
            Error::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("value \"{s}\" is out of range for type {ty}"),
            )
        } else {
            invalid(ty, s)
        }
    })
}

fn parse_float(t: &str) -> Option<f64> {
    match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "+infinity" | "inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

fn json_error(s: &str, e: &serde_json::Error) -> Error {
    Error::new(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type json")
        .with_detail(format!("{e} in \"{s}\""))
}

fn datetime_error(ty: &DataType, s: &str) -> Error {
    Error::new(
        SqlState::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type {ty}: \"{s}\""),
    )
}

fn parse_bytea(s: &str) -> Option<Vec<u8>> {
    if let Some(hex) = s.strip_prefix("\\x") {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if digits.len() % 2 != 0 {
            return None;
        }
        return digits
            .chunks(2)
            .map(|p| {
                let hi = (p[0] as char).to_digit(16)?;
                let lo = (p[1] as char).to_digit(16)?;
                u8::try_from(hi * 16 + lo).ok()
            })
            .collect();
    }
    // Escape format: backslash-octal and doubled backslashes.
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
            } else {
                let oct = bytes.get(i + 1..i + 4)?;
                let v = std::str::from_utf8(oct).ok().and_then(|o| u8::from_str_radix(o, 8).ok())?;
                out.push(v);
                i += 4;
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

fn parse_uuid(t: &str) -> Option<[u8; 16]> {
    let t = t.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(t);
    let hex: Vec<u8> = t.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, p) in hex.chunks(2).enumerate() {
        let hi = (p[0] as char).to_digit(16)?;
        let lo = (p[1] as char).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

fn parse_date(t: &str) -> Option<i64> {
    let (body, bc) = match t.strip_suffix(" BC") {
        Some(b) => (b, true),
        None => (t, false),
    };
    let mut it = body.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let y = if bc { 1 - y } else { y };
    Some(days_from_civil(y, m, d))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn parse_time(t: &str) -> Option<i64> {
    let (hms, frac) = match t.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    let mut it = hms.split(':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let s: i64 = it.next().map_or(Some(0), |x| x.parse().ok())?;
    if it.next().is_some() || h > 24 || m > 59 || s > 60 {
        return None;
    }
    let mut micros = 0;
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = format!("{f:0<6}");
        micros = digits[..6].parse::<i64>().ok()?;
    }
    Some(((h * 60 + m) * 60 + s) * MICROS_PER_SEC + micros)
}

fn parse_timestamp(t: &str, with_tz: bool) -> Option<i64> {
    let (date, rest) = t.split_once([' ', 'T']).unwrap_or((t, "00:00:00"));
    let days = parse_date(date)?;
    let mut time = rest.trim();
    let mut offset_secs = 0i64;
    if let Some(stripped) = time.strip_suffix('Z') {
        time = stripped;
    } else if let Some(pos) = time.rfind(['+', '-']) {
        if pos > 0 {
            let (clock, tz) = time.split_at(pos);
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            let mut parts = tz[1..].split(':');
            let h: i64 = parts.next()?.parse().ok()?;
            let m: i64 = parts.next().map_or(Some(0), |x| x.parse().ok())?;
            offset_secs = sign * (h * 3600 + m * 60);
            time = clock;
        }
    }
    if !with_tz {
        offset_secs = 0;
    }
    let micros = parse_time(time)?;
    Some(days * MICROS_PER_DAY + micros - offset_secs * MICROS_PER_SEC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_postgres() {
        assert_eq!(to_text(&Value::Float8(1.5)).unwrap(), "1.5");
        assert_eq!(to_text(&Value::Float8(1e20)).unwrap(), "1e+20");
        assert_eq!(to_text(&Value::Float8(0.0001)).unwrap(), "0.0001");
        assert_eq!(to_text(&Value::Float8(1e-5)).unwrap(), "1e-05");
        assert_eq!(to_text(&Value::Float8(100.0)).unwrap(), "100");
        assert_eq!(to_text(&Value::Float4(0.1)).unwrap(), "0.1");
        assert_eq!(to_text(&Value::Float8(f64::NEG_INFINITY)).unwrap(), "-Infinity");
    }

    #[test]
    fn dates_and_timestamps_round_trip() {
        for (days, text) in [(0, "2000-01-01"), (-1, "1999-12-31"), (8766, "2024-01-01"), (59, "2000-02-29")] {
            assert_eq!(to_text(&Value::Date(days)).unwrap(), text);
            assert_eq!(from_text(text, &DataType::Date).unwrap(), Value::Date(days));
        }
        let ts = from_text("2024-01-02 03:04:05.25", &DataType::Timestamp).unwrap();
        assert_eq!(to_text(&ts).unwrap(), "2024-01-02 03:04:05.25");
        let tz = from_text("2024-01-02 03:04:05+02", &DataType::TimestampTz).unwrap();
        assert_eq!(to_text(&tz).unwrap(), "2024-01-02 01:04:05+00");
        assert!(from_text("2024-02-30", &DataType::Date).is_err());
    }

    #[test]
    fn intervals_arrays_and_bytes() {
        let iv = Value::Interval(Interval { months: 14, days: 3, micros: 4 * 3_600_000_000 + 500_000 });
        assert_eq!(to_text(&iv).unwrap(), "1 year 2 mons 3 days 04:00:00.5");
        let arr = Value::Array(std::sync::Arc::new(helios_types::value::Array {
            element_type: DataType::Text,
            elements: vec![Value::Text("a b".into()), Value::Null, Value::Text("c".into())],
        }));
        assert_eq!(to_text(&arr).unwrap(), "{\"a b\",NULL,c}");
        assert_eq!(to_text(&Value::Bytea(vec![0xde, 0xad])).unwrap(), "\\xdead");
        assert_eq!(from_text("\\xdead", &DataType::Bytea).unwrap(), Value::Bytea(vec![0xde, 0xad]));
    }

    #[test]
    fn bad_input_has_the_right_sqlstate() {
        let e = from_text("12x", &DataType::Int4).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
        let e = from_text("99999", &DataType::Int2).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(from_text(" 42 ", &DataType::Int8).unwrap(), Value::Int8(42));
    }
}
