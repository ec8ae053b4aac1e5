//! PostgreSQL text format of values on the wire: `DataRow` text columns, text-format
//! parameters and `COPY` data. The formats themselves live in `helios_types::text`;
//! this module adds the wire's NULL convention.

use helios_common::Result;
use helios_types::{DataType, TimeZone, Value};

/// The text form of a value, `None` for `NULL` (sent as length −1).
pub fn to_text(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| value.to_pg_text())
}

/// The session settings that shape text output: `extra_float_digits` for floats, and
/// the TimeZone with its DateStyle / IntervalStyle for date/time values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutputStyle {
    /// `extra_float_digits` (1 is PostgreSQL's default).
    pub extra_float_digits: i32,
    /// The session zone (carrying DateStyle and IntervalStyle).
    pub zone: TimeZone,
}

impl Default for OutputStyle {
    fn default() -> OutputStyle {
        OutputStyle { extra_float_digits: 1, zone: TimeZone::UTC }
    }
}

impl OutputStyle {
    /// The style for result columns of `types`, reading only the settings they need
    /// through `setting`.
    pub fn for_columns<'a>(
        types: impl IntoIterator<Item = &'a DataType>,
        setting: impl Fn(&str) -> Option<String>,
    ) -> OutputStyle {
        let (mut floats, mut dates) = (false, false);
        for ty in types {
            floats |= float_output(ty);
            dates |= datetime_output(ty);
        }
        let mut style = OutputStyle::default();
        if floats {
            style.extra_float_digits = extra_float_digits(setting("extra_float_digits").as_deref());
        }
        if dates {
            let zone =
                setting("TimeZone").and_then(|z| TimeZone::parse(&z).ok()).unwrap_or(TimeZone::UTC);
            let date_style = helios_types::DateStyle::from_settings(
                setting("DateStyle").as_deref(),
                setting("IntervalStyle").as_deref(),
            );
            style.zone = zone.with_style(date_style);
        }
        style
    }
}

impl OutputStyle {
    /// The style for result columns of any type: every setting that shapes text output,
    /// read through `setting`.
    pub fn from_settings(setting: impl Fn(&str) -> Option<String>) -> OutputStyle {
        OutputStyle::for_columns([&DataType::Float8, &DataType::TimestampTz], setting)
    }
}

/// The text form of a value under the session's output settings.
pub fn to_text_styled(value: &Value, style: &OutputStyle) -> Option<String> {
    if value.is_null() {
        return None;
    }
    if style.extra_float_digits <= 0 && float_output(&value.data_type()) {
        return Some(value.to_pg_text_extra(style.extra_float_digits));
    }
    Some(value.to_pg_text_tz(&style.zone))
}

/// Whether a result column's text output depends on TimeZone, DateStyle or
/// IntervalStyle.
pub fn datetime_output(ty: &DataType) -> bool {
    match ty {
        DataType::Date | DataType::Timestamp | DataType::TimestampTz | DataType::Interval => true,
        DataType::Array(inner) => datetime_output(inner),
        DataType::Range(t) | DataType::Multirange(t) => datetime_output(&t.subtype),
        _ => false,
    }
}

/// The session's `extra_float_digits` as a number (1, PostgreSQL's default, when it is
/// unset or unreadable).
pub fn extra_float_digits(setting: Option<&str>) -> i32 {
    setting.and_then(|s| s.trim().parse().ok()).unwrap_or(1)
}

/// Whether a result column's text output depends on `extra_float_digits`.
pub fn float_output(ty: &DataType) -> bool {
    match ty {
        DataType::Float4 | DataType::Float8 => true,
        DataType::Array(inner) => float_output(inner),
        _ => false,
    }
}

/// Parses text input for `ty`; `unknown` parameters are read as text.
pub fn from_text(s: &str, ty: &DataType) -> Result<Value> {
    match ty {
        DataType::Unknown => Ok(Value::Text(s.to_owned())),
        _ => Value::parse_pg_text(s, ty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_is_out_of_band() {
        assert_eq!(to_text(&Value::Null), None);
        assert_eq!(to_text(&Value::Bool(true)).as_deref(), Some("t"));
        assert_eq!(from_text("42", &DataType::Int4).unwrap(), Value::Int4(42));
        assert_eq!(from_text("x", &DataType::Unknown).unwrap(), Value::Text("x".into()));
        assert_eq!(from_text("x", &DataType::Int4).unwrap_err().sqlstate().code(), "22P02");
    }
}
