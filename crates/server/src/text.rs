//! PostgreSQL text format of values on the wire: `DataRow` text columns, text-format
//! parameters and `COPY` data. The formats themselves live in `helios_types::text`;
//! this module adds the wire's NULL convention.

use helios_common::Result;
use helios_types::{DataType, Value};

/// The text form of a value, `None` for `NULL` (sent as length −1).
pub fn to_text(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| value.to_pg_text())
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
