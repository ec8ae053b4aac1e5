//! PostgreSQL text format of values on the wire: `DataRow` text columns, text-format
//! parameters and `COPY` data. The formats themselves live in `helios_types::text`;
//! this module adds the wire's NULL convention.

use helios_common::Result;
use helios_types::{DataType, Value};

/// The text form of a value, `None` for `NULL` (sent as length −1).
pub fn to_text(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| value.to_pg_text())
}

/// The text form of a value under the session's `extra_float_digits` (which only
/// changes `real` and `double precision` values, and arrays of them).
pub fn to_text_extra(value: &Value, extra_float_digits: i32) -> Option<String> {
    if extra_float_digits > 0 {
        return to_text(value);
    }
    (!value.is_null()).then(|| value.to_pg_text_extra(extra_float_digits))
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
