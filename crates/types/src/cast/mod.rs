//! Casts between types with PostgreSQL's behaviour.
//!
//! [`Value::cast_explicit`] is `CAST(x AS t)` / `x::t`; [`Value::cast_assignment`] is the
//! conversion applied when storing into a column (INSERT/UPDATE). They differ in string
//! length handling: an explicit cast to `varchar(n)`/`char(n)` truncates, an assignment
//! fails with `22001 value too long for type character varying(n)` unless the excess is
//! spaces. Which casts a context may apply *implicitly* is the binder's decision; this
//! module only performs them.
//!
//! Covered: numbers among themselves (rounding half to even from floats, half away from
//! zero from numeric, overflow `22003`), `integer ↔ boolean`, text ↔ every type through
//! text I/O, date/time types among themselves, `json ↔ jsonb`, jsonb scalars to
//! bool/numbers, arrays element by element, `vector ↔ real[]`, and typmods
//! (`numeric(p,s)`, `varchar(n)`, `char(n)`, `vector(n)`). Other pairs fail with
//! `42846 cannot cast type x to y`.

pub mod datetime;
pub mod number;

use std::sync::Arc;

use serde_json::Value as Json;

use helios_common::{Result, SqlState};

use crate::error::{TypeError, TypeResult};
use crate::text::strings::{to_char, to_varchar, LengthMode};
use crate::text::{json, parse_text, vector, TimeZone};
use crate::value::Array;
use crate::{DataType, Value};

/// The context a cast runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CastMode {
    /// `CAST(x AS t)`: strings are truncated to the target length.
    Explicit,
    /// Storing into a column: too-long strings are an error.
    Assignment,
}

impl Value {
    /// `CAST(self AS to)` with PostgreSQL semantics (alias of [`Value::cast_explicit`]).
    pub fn cast(&self, to: &DataType) -> Result<Value> {
        self.cast_explicit(to)
    }

    /// `CAST(self AS to)`: explicit-cast semantics, session time zone UTC.
    pub fn cast_explicit(&self, to: &DataType) -> Result<Value> {
        Ok(cast_value(self, to, CastMode::Explicit, &TimeZone::UTC)?)
    }

    /// The conversion applied when assigning to a column of type `to`.
    pub fn cast_assignment(&self, to: &DataType) -> Result<Value> {
        Ok(cast_value(self, to, CastMode::Assignment, &TimeZone::UTC)?)
    }

    /// A cast from a value known to be of type `from`: like [`Value::cast_with`], and a
    /// `character(n)` source loses its trailing spaces on the way to `text` or
    /// `varchar`, as in PostgreSQL.
    pub fn cast_from(
        &self,
        from: &DataType,
        to: &DataType,
        mode: CastMode,
        tz: &TimeZone,
    ) -> Result<Value> {
        match (from, to, self) {
            (DataType::Char(_), DataType::Text | DataType::Varchar(_), Value::Text(s)) => {
                Ok(cast_value(&Value::Text(s.trim_end_matches(' ').to_string()), to, mode, tz)?)
            }
            _ => self.cast_with(to, mode, tz),
        }
    }

    /// A cast in the given mode and session time zone (used for `timestamptz`).
    pub fn cast_with(&self, to: &DataType, mode: CastMode, tz: &TimeZone) -> Result<Value> {
        Ok(cast_value(self, to, mode, tz)?)
    }
}

fn length_mode(mode: CastMode) -> LengthMode {
    match mode {
        CastMode::Explicit => LengthMode::Truncate,
        CastMode::Assignment => LengthMode::Strict,
    }
}

/// Text of a value as a cast to text produces it (`boolean` gives `true`/`false`).
fn cast_text(v: &Value, tz: &TimeZone) -> String {
    match v {
        Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        // `text(inet)` always shows the mask length.
        Value::Inet(a) => crate::net::format::format_cidr(a),
        _ => v.to_pg_text_tz(tz),
    }
}

/// Performs a cast (crate-internal form).
pub fn cast_value(v: &Value, to: &DataType, mode: CastMode, tz: &TimeZone) -> TypeResult<Value> {
    let cannot = || TypeError::CannotCast { from: v.data_type().to_string(), to: to.to_string() };
    if v.is_null() {
        return Ok(Value::Null);
    }
    match to {
        DataType::Unknown => return Ok(v.clone()),
        DataType::Text => return Ok(Value::Text(cast_text(v, tz))),
        DataType::Varchar(n) => {
            return Ok(Value::Text(to_varchar(&cast_text(v, tz), *n, length_mode(mode))?))
        }
        DataType::Char(n) => {
            return Ok(Value::Text(to_char(&cast_text(v, tz), *n, length_mode(mode))?))
        }
        _ => {}
    }
    if let Value::Text(s) = v {
        return parse_text(s, to, tz);
    }
    if let Some(out) = number::cast_number(v, to)? {
        return Ok(out);
    }
    if let Some(out) = datetime::cast_datetime(v, to, tz)? {
        return Ok(out);
    }
    Ok(match (v, to) {
        (Value::Bool(b), DataType::Bool) => Value::Bool(*b),
        (Value::Bool(b), DataType::Int4) => Value::Int4(i32::from(*b)),
        (Value::Bytea(b), DataType::Bytea) => Value::Bytea(b.clone()),
        (Value::Uuid(u), DataType::Uuid) => Value::Uuid(*u),
        (Value::Inet(a) | Value::Cidr(a), DataType::Inet) => Value::Inet(*a),
        // `cidr(inet)` clears the host bits.
        (Value::Inet(a) | Value::Cidr(a), DataType::Cidr) => Value::Cidr(a.network()),
        (Value::MacAddr(m), DataType::MacAddr) => Value::MacAddr(*m),
        (Value::Enum(e), DataType::Enum(t)) if e.ty.oid == t.oid => {
            // Re-read against the target's definition (it may be a newer version).
            match t.position_of_key(e.key()).and_then(|i| crate::EnumValue::new(t.clone(), i)) {
                Some(v) => Value::Enum(v),
                None => Value::Enum(e.clone()),
            }
        }
        (Value::Range(r), DataType::Range(t)) if r.ty.oid == t.oid => Value::Range(r.clone()),
        (Value::Range(r), DataType::Multirange(t)) if r.ty.oid == t.oid => {
            Value::Multirange(Arc::new(r.to_multirange()))
        }
        (Value::Multirange(m), DataType::Multirange(t)) if m.ty.oid == t.oid => {
            Value::Multirange(m.clone())
        }
        (Value::Json(s), DataType::Json) => Value::Json(s.clone()),
        (Value::Json(s), DataType::Jsonb) => Value::Jsonb(Arc::new(json::parse_jsonb(s)?)),
        (Value::Jsonb(doc), DataType::Jsonb) => Value::Jsonb(doc.clone()),
        (Value::Jsonb(doc), DataType::Json) => Value::Json(json::format_jsonb(doc)),
        (Value::Jsonb(doc), _) => jsonb_scalar(doc, to, mode, tz)?,
        (Value::Array(a), DataType::Array(elem)) => {
            let elements = a
                .elements
                .iter()
                .map(|e| cast_value(e, elem, mode, tz))
                .collect::<TypeResult<Vec<_>>>()?;
            Value::Array(Arc::new(a.reshaped((**elem).clone(), elements)))
        }
        (Value::Record(r), DataType::Record(t))
            if t.is_anonymous() && (t.fields.is_empty() || t.fields.len() != r.fields.len()) =>
        {
            v.clone()
        }
        (Value::Record(r), DataType::Record(t)) if t.is_anonymous() => {
            // A relabelling: the anonymous type names the fields (a FROM item's columns).
            Value::Record(Arc::new(crate::record::Record::new(t.clone(), r.fields.clone())))
        }
        (Value::Record(r), DataType::Record(t)) => {
            if r.fields.len() != t.fields.len() {
                let few = r.fields.len() < t.fields.len();
                return Err(TypeError::other(
                    SqlState::CANNOT_COERCE,
                    format!("cannot cast type {} to {}", r.ty.name, t.name),
                )
                .with_detail(if few {
                    "Input has too few columns."
                } else {
                    "Input has too many columns."
                }));
            }
            let fields = r
                .fields
                .iter()
                .zip(&t.fields)
                .map(|(x, f)| cast_value(x, &f.ty, mode, tz))
                .collect::<TypeResult<Vec<_>>>()?;
            Value::Record(Arc::new(crate::record::Record::new(t.clone(), fields)))
        }
        (Value::Array(a), DataType::Vector(dims)) => {
            let mut out = Vec::with_capacity(a.elements.len());
            for e in &a.elements {
                match cast_value(e, &DataType::Float4, mode, tz)? {
                    Value::Float4(x) if x.is_finite() => out.push(x),
                    Value::Null => {
                        return Err(TypeError::other(
                            SqlState::NULL_VALUE_NOT_ALLOWED,
                            "array must not contain nulls",
                        ))
                    }
                    _ => {
                        return Err(TypeError::other(
                            SqlState::DATA_EXCEPTION,
                            "NaN not allowed in vector",
                        ))
                    }
                }
            }
            if out.is_empty() {
                return Err(TypeError::other(
                    SqlState::DATA_EXCEPTION,
                    "vector must have at least 1 dimension",
                ));
            }
            vector::check_dims(out.len(), *dims)?;
            Value::Vector(out.into())
        }
        (Value::Vector(x), DataType::Vector(dims)) => {
            vector::check_dims(x.len(), *dims)?;
            Value::Vector(x.clone())
        }
        (Value::Vector(x), DataType::Array(elem)) if **elem == DataType::Float4 => Value::Array(
            Arc::new(Array::new(DataType::Float4, x.iter().map(|f| Value::Float4(*f)).collect())),
        ),
        _ => return Err(cannot()),
    })
}

/// `jsonb` scalar to `boolean` or a number type, as PostgreSQL 11+ allows.
fn jsonb_scalar(doc: &Json, to: &DataType, mode: CastMode, tz: &TimeZone) -> TypeResult<Value> {
    let kind = match doc {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "numeric",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    };
    let wrong = || {
        TypeError::other(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("cannot cast jsonb {kind} to type {to}"),
        )
    };
    match (doc, to) {
        (Json::Null, _) => Ok(Value::Null),
        (Json::Bool(b), DataType::Bool) => Ok(Value::Bool(*b)),
        (
            Json::Number(n),
            DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Float4
            | DataType::Float8
            | DataType::Numeric(_),
        ) => {
            let num = Value::Numeric(crate::text::numeric::parse_numeric(&n.to_string())?);
            cast_value(&num, to, mode, tz)
        }
        (
            _,
            DataType::Bool
            | DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Float4
            | DataType::Float8
            | DataType::Numeric(_),
        ) => Err(wrong()),
        _ => Err(TypeError::CannotCast { from: "jsonb".into(), to: to.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, ty: DataType) -> Value {
        Value::parse_pg_text(s, &ty).unwrap()
    }

    #[test]
    fn integer_narrowing_and_bool() {
        assert_eq!(
            Value::Int4(70000).cast(&DataType::Int2).unwrap_err().message(),
            "smallint out of range"
        );
        assert_eq!(
            Value::Int4(70000).cast(&DataType::Int2).unwrap_err().sqlstate(),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        assert_eq!(Value::Int8(5).cast(&DataType::Int2), Ok(Value::Int2(5)));
        assert_eq!(Value::Int4(0).cast(&DataType::Bool), Ok(Value::Bool(false)));
        assert_eq!(Value::Int4(-3).cast(&DataType::Bool), Ok(Value::Bool(true)));
        assert_eq!(Value::Bool(true).cast(&DataType::Int4), Ok(Value::Int4(1)));
        assert_eq!(
            Value::Int8(1).cast(&DataType::Bool).unwrap_err().message(),
            "cannot cast type bigint to boolean"
        );
        assert_eq!(Value::Float8(2.5).cast(&DataType::Int4), Ok(Value::Int4(2)));
        assert_eq!(Value::Float8(-0.5).cast(&DataType::Int8), Ok(Value::Int8(0)));
    }

    #[test]
    fn numeric_typmods() {
        let v = p("123.456", DataType::Numeric(None));
        assert_eq!(v.cast(&DataType::Numeric(Some((5, 2)))).unwrap().to_pg_text(), "123.46");
        let e = v.cast(&DataType::Numeric(Some((4, 2)))).unwrap_err();
        assert_eq!(e.message(), "numeric field overflow");
        assert_eq!(e.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(
            Value::Int4(7).cast(&DataType::Numeric(Some((5, 2)))).unwrap().to_pg_text(),
            "7.00"
        );
        assert_eq!(Value::Float8(0.1).cast(&DataType::Numeric(None)).unwrap().to_pg_text(), "0.1");
        assert_eq!(p("2.5", DataType::Numeric(None)).cast(&DataType::Int4), Ok(Value::Int4(3)));
        assert_eq!(
            p("1.5", DataType::Numeric(None)).cast(&DataType::Float8),
            Ok(Value::Float8(1.5))
        );
    }

    #[test]
    fn string_lengths_by_mode() {
        let v = Value::Text("abcdef".into());
        assert_eq!(v.cast_explicit(&DataType::Varchar(Some(3))), Ok(Value::Text("abc".into())));
        let e = v.cast_assignment(&DataType::Varchar(Some(3))).unwrap_err();
        assert_eq!(e.message(), "value too long for type character varying(3)");
        assert_eq!(e.sqlstate(), SqlState::STRING_DATA_RIGHT_TRUNCATION);
        assert_eq!(
            Value::Text("ab".into()).cast_assignment(&DataType::Char(Some(4))),
            Ok(Value::Text("ab  ".into()))
        );
        assert_eq!(
            Value::Int4(12345).cast_explicit(&DataType::Varchar(Some(2))),
            Ok(Value::Text("12".into()))
        );
    }

    #[test]
    fn char_loses_padding_on_the_way_to_text() {
        let v = Value::Text("ab  ".into());
        let c4 = DataType::Char(Some(4));
        let to_text = v.cast_from(&c4, &DataType::Text, CastMode::Explicit, &TimeZone::UTC);
        assert_eq!(to_text, Ok(Value::Text("ab".into())));
        let to_char =
            v.cast_from(&c4, &DataType::Char(Some(5)), CastMode::Explicit, &TimeZone::UTC);
        assert_eq!(to_char, Ok(Value::Text("ab   ".into())));
        assert_eq!(v.cast(&DataType::Text), Ok(Value::Text("ab  ".into())));
    }

    #[test]
    fn text_round_trips_and_others() {
        assert_eq!(Value::Bool(true).cast(&DataType::Text), Ok(Value::Text("true".into())));
        assert_eq!(Value::Text("42".into()).cast(&DataType::Int8), Ok(Value::Int8(42)));
        assert_eq!(
            Value::Text("x".into()).cast(&DataType::Int8).unwrap_err().sqlstate(),
            SqlState::INVALID_TEXT_REPRESENTATION
        );
        let j = Value::Json("{\"b\":1,\"a\":[1,2]}".into());
        let jb = j.cast(&DataType::Jsonb).unwrap();
        assert_eq!(jb.to_pg_text(), "{\"a\": [1, 2], \"b\": 1}");
        assert_eq!(
            jb.cast(&DataType::Json).unwrap(),
            Value::Json("{\"a\": [1, 2], \"b\": 1}".into())
        );
        assert_eq!(p("12", DataType::Jsonb).cast(&DataType::Int4), Ok(Value::Int4(12)));
        assert_eq!(
            p("\"x\"", DataType::Jsonb).cast(&DataType::Int4).unwrap_err().message(),
            "cannot cast jsonb string to type integer"
        );
        let arr = p("{1,2,NULL}", DataType::Array(Box::new(DataType::Int4)));
        assert_eq!(
            arr.cast(&DataType::Array(Box::new(DataType::Text))).unwrap().to_pg_text(),
            "{1,2,NULL}"
        );
        assert!(arr.cast(&DataType::Array(Box::new(DataType::Int2))).is_ok());
        let big = p("{1,70000}", DataType::Array(Box::new(DataType::Int4)));
        assert_eq!(
            big.cast(&DataType::Array(Box::new(DataType::Int2))).unwrap_err().message(),
            "smallint out of range"
        );
        let fl = p("{1,2.5}", DataType::Array(Box::new(DataType::Float4)));
        assert_eq!(fl.cast(&DataType::Vector(Some(2))).unwrap().to_pg_text(), "[1,2.5]");
        assert!(fl.cast(&DataType::Vector(Some(3))).is_err());
        assert_eq!(
            Value::Uuid([0; 16]).cast(&DataType::Int4).unwrap_err().sqlstate(),
            SqlState::CANNOT_COERCE
        );
        assert_eq!(Value::Null.cast(&DataType::Int4), Ok(Value::Null));
        assert_eq!(
            p("2024-01-02", DataType::Date).cast(&DataType::Timestamp).unwrap().to_pg_text(),
            "2024-01-02 00:00:00"
        );
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use bigdecimal::BigDecimal;
    use proptest::prelude::*;

    use crate::{Interval, Numeric};

    fn arb_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            any::<i16>().prop_map(Value::Int2),
            any::<i32>().prop_map(Value::Int4),
            any::<i64>().prop_map(Value::Int8),
            any::<f32>().prop_map(Value::Float4),
            any::<f64>().prop_map(Value::Float8),
            (any::<i64>(), -30i64..30)
                .prop_map(|(i, s)| Value::Numeric(Numeric::finite(BigDecimal::new(i.into(), s)))),
            Just(Value::Numeric(Numeric::NaN)),
            any::<i32>().prop_map(Value::Date),
            any::<i64>().prop_map(Value::Time),
            (any::<i64>(), any::<i32>()).prop_map(|(t, o)| Value::TimeTz(crate::TimeTz::new(t, o))),
            any::<i64>().prop_map(Value::Timestamp),
            any::<i64>().prop_map(Value::TimestampTz),
            (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(months, days, micros)| {
                Value::Interval(Interval { months, days, micros })
            }),
            "[0-9a-z .:{}-]{0,12}".prop_map(Value::Text),
            "[0-9\\[\\]{}\":, ]{0,12}".prop_map(Value::Json),
        ]
    }

    fn targets() -> Vec<DataType> {
        vec![
            DataType::Bool,
            DataType::Int2,
            DataType::Int4,
            DataType::Int8,
            DataType::Float4,
            DataType::Float8,
            DataType::Numeric(None),
            DataType::Numeric(Some((4, 1))),
            DataType::Text,
            DataType::Varchar(Some(2)),
            DataType::Char(Some(2)),
            DataType::Date,
            DataType::Time,
            DataType::TimeTz,
            DataType::Timestamp,
            DataType::TimestampTz,
            DataType::Interval,
            DataType::Jsonb,
            DataType::Json,
            DataType::Uuid,
            DataType::Array(Box::new(DataType::Int4)),
            DataType::Vector(None),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn casts_never_panic(v in arb_value(), i in 0..22usize, tz in -15i32 * 3600..15 * 3600) {
            let to = &targets()[i];
            let zone = TimeZone::fixed(tz).expect("in range");
            for mode in [CastMode::Explicit, CastMode::Assignment] {
                if let Ok(out) = cast_value(&v, to, mode, &zone) {
                    let _ = out.to_pg_text_tz(&zone);
                }
            }
            let _ = v.pg_cmp(&v);
            let _ = v.to_pg_text_tz(&zone);
        }
    }
}
