//! String functions.

use helios_types::{DataType, Value};

use crate::functions::registry::{p, Registry, ReturnType};

/// Registers the string functions.
pub(crate) fn register(r: &mut Registry) {
    use DataType::{Int4, Text};
    r.add("length", vec![p(Text)], ReturnType::Exact(Int4), |a, _| {
        Ok(Value::Int4(i32::try_from(text(&a[0]).chars().count()).unwrap_or(i32::MAX)))
    });
    r.add("lower", vec![p(Text)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(text(&a[0]).to_lowercase()))
    });
    r.add("upper", vec![p(Text)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(text(&a[0]).to_uppercase()))
    });
}

/// The text of a value known to be text.
pub(crate) fn text(v: &Value) -> &str {
    match v {
        Value::Text(s) => s,
        _ => "",
    }
}
