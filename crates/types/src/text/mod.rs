//! PostgreSQL text I/O of values: what psql prints and what `'...'::type` accepts.
//!
//! One file per type family; this module dispatches on the value or the target type.
//! Output matches PostgreSQL's defaults (`DateStyle = ISO, MDY`, `IntervalStyle =
//! postgres`, `bytea_output = hex`, `extra_float_digits = 1`); errors carry PostgreSQL's
//! messages and SQLSTATEs (`22P02`, `22007`, `22008`, `22003`, ...).

pub mod array;
pub mod boolean;
pub mod bytea;
pub mod calendar;
pub mod datetime;
pub mod datetime_decode;
pub mod datetime_fields;
mod datetime_words;
pub mod float;
pub mod integer;
pub mod interval;
pub mod json;
pub mod json_syntax;
pub mod numeric;
pub mod strings;
pub mod style;
pub mod timezone;
pub mod tzfile;
pub mod uuid;
pub mod vector;

use std::sync::Arc;

use helios_common::Result;

use crate::error::TypeResult;
use crate::value::Array;
use crate::{DataType, Value};
pub use timezone::TimeZone;

impl Value {
    /// The value in PostgreSQL's text output format, `timestamptz` shown in UTC.
    /// `NULL` renders as the empty string (callers send NULL out of band).
    pub fn to_pg_text(&self) -> String {
        self.to_pg_text_tz(&TimeZone::UTC)
    }

    /// The value in PostgreSQL's text output format, `timestamptz` shown in `tz`.
    pub fn to_pg_text_tz(&self, tz: &TimeZone) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => boolean::format_bool(*b).to_string(),
            Value::Int2(v) => v.to_string(),
            Value::Int4(v) => v.to_string(),
            Value::Int8(v) => v.to_string(),
            Value::Float4(v) => float::format_f32(*v),
            Value::Float8(v) => float::format_f64(*v),
            Value::Numeric(n) => numeric::format_numeric(n),
            Value::Text(s) | Value::Json(s) => s.clone(),
            Value::Bytea(b) => bytea::format_bytea(b),
            Value::Date(d) => datetime::format_date_style(*d, &tz.style()),
            Value::Time(t) => datetime::format_time(*t),
            Value::TimeTz(t) => datetime::format_timetz(t),
            Value::Timestamp(t) => datetime::format_timestamp_style(*t, &tz.style()),
            Value::TimestampTz(t) => datetime::format_timestamptz(*t, tz),
            Value::Interval(iv) => interval::format_interval_style(iv, tz.style().interval),
            Value::Uuid(u) => uuid::format_uuid(u),
            Value::Inet(a) => crate::net::format::format_inet(a),
            Value::Cidr(a) => crate::net::format::format_cidr(a),
            Value::MacAddr(m) => m.to_string(),
            Value::Jsonb(doc) => json::format_jsonb(doc),
            Value::Array(a) => {
                let texts: Vec<Option<String>> = a
                    .elements
                    .iter()
                    .map(|e| (!e.is_null()).then(|| e.to_pg_text_tz(tz)))
                    .collect();
                format_array_value(a, &texts)
            }
            Value::Vector(v) => vector::format_vector(v),
            Value::Enum(e) => e.label().to_string(),
            Value::Record(r) => {
                let texts: Vec<Option<String>> =
                    r.fields.iter().map(|f| (!f.is_null()).then(|| f.to_pg_text_tz(tz))).collect();
                crate::record::format_record(texts.iter().map(Option::as_deref))
            }
            Value::Range(r) => crate::range::format_range(r, tz),
            Value::Multirange(m) => crate::range::format_multirange(m, tz),
        }
    }

    /// The value in PostgreSQL's text output format with `extra_float_digits` = `extra`
    /// (below 1, floats print rounded, as `%.{15 + extra}g`; see
    /// [`float::format_f64_extra`]).
    pub fn to_pg_text_extra(&self, extra: i32) -> String {
        match self {
            Value::Float4(v) => float::format_f32_extra(*v, extra),
            Value::Float8(v) => float::format_f64_extra(*v, extra),
            Value::Array(a) if extra <= 0 => {
                let texts: Vec<Option<String>> = a
                    .elements
                    .iter()
                    .map(|e| (!e.is_null()).then(|| e.to_pg_text_extra(extra)))
                    .collect();
                format_array_value(a, &texts)
            }
            other => other.to_pg_text(),
        }
    }

    /// Reads PostgreSQL text input of type `ty` (`timestamptz` without an offset is read
    /// in UTC).
    pub fn parse_pg_text(s: &str, ty: &DataType) -> Result<Value> {
        Ok(parse_text(s, ty, &TimeZone::UTC)?)
    }

    /// Reads PostgreSQL text input of type `ty`; `timestamptz` without an offset is read
    /// in `tz`.
    pub fn parse_pg_text_tz(s: &str, ty: &DataType, tz: &TimeZone) -> Result<Value> {
        Ok(parse_text(s, ty, tz)?)
    }
}

/// An array's text from its elements' texts (`None` for NULL), nested by its shape.
fn format_array_value(a: &Array, texts: &[Option<String>]) -> String {
    let items = texts.iter().map(Option::as_deref);
    match &a.dims {
        None => array::format_array(items),
        Some(dims) => array::format_array_dims(dims, items),
    }
}

/// Parses text input of type `ty` (crate-internal form with [`TypeResult`]).
pub fn parse_text(s: &str, ty: &DataType, tz: &TimeZone) -> TypeResult<Value> {
    use strings::LengthMode::Strict;
    Ok(match ty {
        DataType::Bool => Value::Bool(boolean::parse_bool(s)?),
        DataType::Int2 => {
            Value::Int2(integer::parse_int(s, "smallint", i16::MIN.into(), i16::MAX.into())? as i16)
        }
        DataType::Int4 => {
            Value::Int4(integer::parse_int(s, "integer", i32::MIN.into(), i32::MAX.into())? as i32)
        }
        DataType::Int8 => Value::Int8(integer::parse_int(s, "bigint", i64::MIN, i64::MAX)?),
        DataType::Float4 => Value::Float4(float::parse_f32(s)?),
        DataType::Float8 => Value::Float8(float::parse_f64(s)?),
        DataType::Numeric(typmod) => {
            let n = numeric::parse_numeric(s)?;
            Value::Numeric(match typmod {
                Some((p, sc)) => numeric::apply_typmod(&n, *p, *sc)?,
                None => n,
            })
        }
        DataType::Text | DataType::Unknown | DataType::Pseudo(_) => Value::Text(s.to_string()),
        DataType::Varchar(n) => Value::Text(strings::to_varchar(s, *n, Strict)?),
        DataType::Char(n) => Value::Text(strings::to_char(s, *n, Strict)?),
        DataType::Bytea => Value::Bytea(bytea::parse_bytea(s)?),
        DataType::Date => Value::Date(datetime::parse_date_tz(s, tz)?),
        DataType::Time => Value::Time(datetime::parse_time_tz(s, tz)?),
        DataType::TimeTz => Value::TimeTz(datetime::parse_timetz(s, tz)?),
        DataType::Timestamp => Value::Timestamp(datetime::parse_timestamp_tz(s, tz)?),
        DataType::TimestampTz => Value::TimestampTz(datetime::parse_timestamptz(s, tz)?),
        DataType::Interval => Value::Interval(interval::parse_interval_in(s, tz.style().interval)?),
        DataType::Uuid => Value::Uuid(uuid::parse_uuid(s)?),
        DataType::Inet => Value::Inet(crate::net::parse::parse_inet(s, false)?),
        DataType::Cidr => Value::Cidr(crate::net::parse::parse_inet(s, true)?),
        DataType::MacAddr => Value::MacAddr(crate::MacAddr::parse(s)?),
        DataType::Json => Value::Json(json::parse_json(s)?),
        DataType::Jsonb => Value::Jsonb(Arc::new(json::parse_jsonb(s)?)),
        DataType::JsonPath => Value::Text(crate::jsonpath::canonical(s)?),
        DataType::TsVector => Value::Text(crate::tsearch::TsVector::parse(s)?.to_string()),
        DataType::TsQuery => Value::Text(crate::tsearch::TsQuery::parse(s)?.to_string()),
        DataType::Array(elem) => {
            let (texts, dims) = array::parse_array(s)?;
            let elements = texts
                .into_iter()
                .map(|e| match e {
                    None => Ok(Value::Null),
                    Some(text) => parse_text(&text, elem, tz),
                })
                .collect::<TypeResult<Vec<_>>>()?;
            Value::Array(Arc::new(Array::with_dims((**elem).clone(), elements, &dims)?))
        }
        DataType::Vector(dims) => Value::Vector(vector::parse_vector(s, *dims)?.into()),
        DataType::Enum(t) => parse_enum(s, t)?,
        DataType::Record(t) => {
            let texts = crate::record::split_record(s, t.fields.len())?;
            let fields = texts
                .into_iter()
                .zip(&t.fields)
                .map(|(text, f)| match text {
                    None => Ok(Value::Null),
                    Some(text) => parse_text(&text, &f.ty, tz),
                })
                .collect::<TypeResult<Vec<_>>>()?;
            Value::Record(Arc::new(crate::record::Record::new(t.clone(), fields)))
        }
        DataType::Range(t) => Value::Range(Arc::new(crate::range::parse_range(s, t, tz)?)),
        DataType::Multirange(t) => {
            Value::Multirange(Arc::new(crate::range::parse_multirange(s, t, tz)?))
        }
    })
}

/// Reads an enum label: 22P02 `invalid input value for enum mood: "x"` when the type
/// has no such label.
fn parse_enum(s: &str, ty: &Arc<crate::EnumType>) -> TypeResult<Value> {
    ty.position(s).and_then(|i| crate::EnumValue::new(ty.clone(), i)).map(Value::Enum).ok_or_else(
        || {
            crate::TypeError::other(
                helios_common::SqlState::INVALID_TEXT_REPRESENTATION,
                format!("invalid input value for enum {}: \"{s}\"", ty.name),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use helios_common::SqlState;

    fn rt(s: &str, ty: DataType) -> String {
        Value::parse_pg_text(s, &ty).unwrap().to_pg_text()
    }

    #[test]
    fn every_type_round_trips_through_text() {
        assert_eq!(rt("yes", DataType::Bool), "t");
        assert_eq!(rt(" -12 ", DataType::Int4), "-12");
        assert_eq!(rt("1e20", DataType::Float8), "1e+20");
        assert_eq!(rt("1.50", DataType::Numeric(None)), "1.50");
        assert_eq!(rt("1.555", DataType::Numeric(Some((5, 2)))), "1.56");
        assert_eq!(rt("ab", DataType::Char(Some(3))), "ab ");
        assert_eq!(rt("\\x0A", DataType::Bytea), "\\x0a");
        assert_eq!(rt("January 2, 2024", DataType::Date), "2024-01-02");
        assert_eq!(rt("3:04:05.120", DataType::Time), "03:04:05.12");
        assert_eq!(rt("2024-01-02 03:04:05", DataType::Timestamp), "2024-01-02 03:04:05");
        assert_eq!(rt("2024-01-02 03:04:05+02", DataType::TimestampTz), "2024-01-02 01:04:05+00");
        assert_eq!(rt("P1Y2M3D", DataType::Interval), "1 year 2 mons 3 days");
        assert_eq!(
            rt("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", DataType::Uuid),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        );
        assert_eq!(rt("{\"b\":1,  \"a\":2}", DataType::Json), "{\"b\":1,  \"a\":2}");
        assert_eq!(rt("{\"b\":1,  \"a\":2}", DataType::Jsonb), "{\"a\": 2, \"b\": 1}");
        assert_eq!(rt("{1, 2 ,NULL}", DataType::Array(Box::new(DataType::Int4))), "{1,2,NULL}");
        assert_eq!(
            rt(r#"{"a b","x\"y",NULL}"#, DataType::Array(Box::new(DataType::Text))),
            r#"{"a b","x\"y",NULL}"#
        );
        assert_eq!(rt("{2024-01-02}", DataType::Array(Box::new(DataType::Date))), "{2024-01-02}");
        assert_eq!(rt("[1,2,3]", DataType::Vector(Some(3))), "[1,2,3]");
        assert_eq!(Value::Null.to_pg_text(), "");
    }

    #[test]
    fn errors_carry_postgres_codes() {
        let e = Value::parse_pg_text("99999", &DataType::Int2).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(e.message(), "value \"99999\" is out of range for type smallint");
        let e = Value::parse_pg_text("abc", &DataType::Int4).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
        let e =
            Value::parse_pg_text("{1,x}", &DataType::Array(Box::new(DataType::Int4))).unwrap_err();
        assert_eq!(e.message(), "invalid input syntax for type integer: \"x\"");
        let e = Value::parse_pg_text("abcd", &DataType::Varchar(Some(3))).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::STRING_DATA_RIGHT_TRUNCATION);
        let e = Value::parse_pg_text("2024-02-30", &DataType::Date).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::DATETIME_FIELD_OVERFLOW);
        let e = Value::parse_pg_text("[1,2", &DataType::Vector(None)).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
    }

    #[test]
    fn timestamptz_uses_the_given_zone() {
        let tz = TimeZone::fixed(-5 * 3600).unwrap();
        let v =
            Value::parse_pg_text_tz("2024-01-02 03:04:05", &DataType::TimestampTz, &tz).unwrap();
        assert_eq!(v.to_pg_text(), "2024-01-02 08:04:05+00");
        assert_eq!(v.to_pg_text_tz(&tz), "2024-01-02 03:04:05-05");
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn all_types() -> Vec<DataType> {
        let scalars = vec![
            DataType::Bool,
            DataType::Int2,
            DataType::Int4,
            DataType::Int8,
            DataType::Float4,
            DataType::Float8,
            DataType::Numeric(None),
            DataType::Numeric(Some((5, 2))),
            DataType::Varchar(Some(3)),
            DataType::Char(Some(3)),
            DataType::Bytea,
            DataType::Date,
            DataType::Time,
            DataType::Timestamp,
            DataType::TimestampTz,
            DataType::Interval,
            DataType::Uuid,
            DataType::Json,
            DataType::Jsonb,
            DataType::Vector(Some(2)),
        ];
        let mut all = scalars.clone();
        all.extend(scalars.into_iter().map(|t| DataType::Array(Box::new(t))));
        all
    }

    /// Text built from the characters date, number and array parsers care about, plus
    /// multi-byte characters at any position.
    fn tricky() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[0-9 :.,+\\-/TtZzjJpPxXeE{}\\[\\]\"\\\\é€ab]{0,24}",
            "(é|€|[0-9]){0,4}[-/.:](é|[0-9a-z]){0,4}[-/.:][0-9é]{0,4}",
            "[0-9]{1,8}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?( ?[+-][0-9]{1,2}(:[0-9]{2})?)?)?( BC)?",
            "-?[0-9]{1,12}(\\.[0-9]{0,3})? (years|mons|days|hours|ago|[0-9]{1,3}:[0-9]{2}:[0-9]{2})",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn parsing_never_panics(s in tricky(), i in 0..40usize) {
            let ty = &all_types()[i];
            if let Ok(v) = parse_text(&s, ty, &TimeZone::UTC) {
                // Whatever parses must print and parse back to the same text.
                let text = v.to_pg_text();
                let again = parse_text(&text, ty, &TimeZone::UTC);
                prop_assert!(again.is_ok(), "{:?} as {} printed {:?} which does not parse", s, ty, text);
                prop_assert_eq!(again.map(|v| v.to_pg_text()).ok(), Some(text));
            }
        }
    }
}
