//! Value casts as the evaluator needs them.
//!
//! Conversions between types belong to `helios-types`; this module is the one place the
//! expression evaluator calls them, so the binder and evaluator never convert values
//! any other way. Until `helios-types` exposes its casts and text I/O, only conversions
//! between numeric types, booleans and text representations of numbers are available
//! here; other casts report 0A000.

use bigdecimal::BigDecimal;
use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Numeric, Value};

use crate::expr::num::{float_to_int, numeric_to_i64, out_of_range, to_f64, to_i64, to_numeric};

/// Casts `value` to `to`. `explicit` selects CAST semantics (e.g. truncating a varchar
/// silently) over assignment semantics (an error on overflow of the length).
pub fn cast_value(value: Value, to: &DataType, explicit: bool) -> Result<Value> {
    let _ = explicit;
    if value.is_null() {
        return Ok(Value::Null);
    }
    let from = value.data_type();
    if crate::expr::types::same_base(&from, to) && !has_modifier(to) {
        return Ok(value);
    }
    match to {
        DataType::Int2 => int_cast(&value, i64::from(i16::MIN), i64::from(i16::MAX), "smallint")
            .map(|i| Value::Int2(i16::try_from(i).unwrap_or_default())),
        DataType::Int4 => int_cast(&value, i64::from(i32::MIN), i64::from(i32::MAX), "integer")
            .map(|i| Value::Int4(i32::try_from(i).unwrap_or_default())),
        DataType::Int8 => int_cast(&value, i64::MIN, i64::MAX, "bigint").map(Value::Int8),
        DataType::Float8 => float_cast(&value).map(Value::Float8),
        DataType::Float4 => {
            let f = float_cast(&value)?;
            #[allow(clippy::cast_possible_truncation)]
            let g = f as f32;
            if g.is_infinite() && f.is_finite() {
                return Err(out_of_range("value").with_hint("real"));
            }
            Ok(Value::Float4(g))
        }
        DataType::Numeric(_) => match &value {
            Value::Text(s) => parse_numeric(s).map(Value::Numeric),
            Value::Bool(_) => Err(no_cast(&from, to)),
            v => to_numeric(v).map(Value::Numeric).ok_or_else(|| no_cast(&from, to)),
        },
        DataType::Bool => match &value {
            Value::Text(s) => parse_bool(s).map(Value::Bool),
            Value::Int4(i) => Ok(Value::Bool(*i != 0)),
            _ => Err(no_cast(&from, to)),
        },
        DataType::Text | DataType::Varchar(None) => match &value {
            Value::Text(_) => Ok(value),
            Value::Bool(b) => Ok(Value::Text(if *b { "true" } else { "false" }.into())),
            Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => {
                Ok(Value::Text(to_i64(&value).unwrap_or_default().to_string()))
            }
            Value::Numeric(Numeric::Finite(d)) => Ok(Value::Text(d.to_string())),
            _ => Err(Error::unsupported(format!("cast from {from} to {to}"))),
        },
        _ => Err(Error::unsupported(format!("cast from {from} to {to}"))),
    }
}

fn has_modifier(ty: &DataType) -> bool {
    matches!(ty, DataType::Numeric(Some(_)) | DataType::Varchar(Some(_)) | DataType::Char(Some(_)))
}

fn no_cast(from: &DataType, to: &DataType) -> Error {
    Error::new(SqlState::CANNOT_COERCE, format!("cannot cast type {from} to {to}"))
}

fn invalid_input(type_name: &str, input: &str) -> Error {
    Error::new(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {type_name}: \"{input}\""),
    )
}

fn int_cast(value: &Value, min: i64, max: i64, type_name: &str) -> Result<i64> {
    let i = match value {
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => to_i64(value).unwrap_or_default(),
        Value::Float4(f) => float_to_int(f64::from(*f), min, max, type_name)?,
        Value::Float8(f) => float_to_int(*f, min, max, type_name)?,
        Value::Numeric(n) => numeric_to_i64(n, type_name)?,
        Value::Bool(b) if type_name == "integer" => i64::from(*b),
        Value::Text(s) => s.trim().parse::<i64>().map_err(|_| {
            if s.trim().bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
                && !s.trim().is_empty()
            {
                out_of_range(&format!("value \"{}\" is out of range for type", s.trim()))
            } else {
                invalid_input(type_name, s)
            }
        })?,
        other => return Err(no_cast(&other.data_type(), &int_type(type_name))),
    };
    if i < min || i > max {
        return Err(out_of_range(type_name));
    }
    Ok(i)
}

fn int_type(name: &str) -> DataType {
    match name {
        "smallint" => DataType::Int2,
        "integer" => DataType::Int4,
        _ => DataType::Int8,
    }
}

fn float_cast(value: &Value) -> Result<f64> {
    match value {
        Value::Text(s) => {
            let t = s.trim();
            match t.to_ascii_lowercase().as_str() {
                "nan" => Ok(f64::NAN),
                "infinity" | "+infinity" | "inf" => Ok(f64::INFINITY),
                "-infinity" | "-inf" => Ok(f64::NEG_INFINITY),
                _ => t.parse::<f64>().map_err(|_| invalid_input("double precision", s)),
            }
        }
        v => to_f64(v).ok_or_else(|| no_cast(&v.data_type(), &DataType::Float8)),
    }
}

fn parse_numeric(s: &str) -> Result<Numeric> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => return Ok(Numeric::NaN),
        "infinity" | "+infinity" | "inf" => return Ok(Numeric::PosInf),
        "-infinity" | "-inf" => return Ok(Numeric::NegInf),
        _ => {}
    }
    t.parse::<BigDecimal>().map(Numeric::Finite).map_err(|_| invalid_input("numeric", s))
}

fn parse_bool(s: &str) -> Result<bool> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(invalid_input("boolean", s));
    }
    let matches = |word: &str| word.starts_with(t.as_str());
    if t == "1" || t == "on" || matches("true") || matches("yes") {
        Ok(true)
    } else if t == "0" || t == "off" || matches("false") || matches("no") {
        Ok(false)
    } else {
        Err(invalid_input("boolean", s))
    }
}
