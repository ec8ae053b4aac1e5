//! One SQL value.
//!
//! Dates and times use PostgreSQL's internal representations, so conversions to and from
//! the wire's binary format are plain arithmetic:
//!
//! | type          | representation                                         |
//! |---------------|--------------------------------------------------------|
//! | `date`        | days since 2000-01-01                                  |
//! | `time`        | microseconds since midnight                            |
//! | `timetz`      | microseconds since midnight and seconds east of UTC    |
//! | `timestamp`   | microseconds since 2000-01-01 00:00:00                 |
//! | `timestamptz` | microseconds since 2000-01-01 00:00:00 UTC             |
//! | `interval`    | months, days and microseconds, kept apart as in PG     |

use std::sync::Arc;

use bigdecimal::BigDecimal;

pub use crate::array::{Array, ArrayDim};
use crate::enum_type::EnumValue;
use crate::range::{MultirangeValue, RangeValue};
use crate::DataType;

/// An arbitrary-precision `numeric`, including PostgreSQL's special values.
///
/// The decimal is boxed: a `BigDecimal` is 40 bytes, and held inline it would make every
/// [`Value`] (and so every row of every type) that large; boxed, a `Value` is 32 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Numeric {
    /// A finite decimal number.
    Finite(Box<BigDecimal>),
    /// `NaN`, which PostgreSQL sorts above every other value.
    NaN,
    /// `Infinity`
    PosInf,
    /// `-Infinity`
    NegInf,
}

impl Numeric {
    /// A finite `numeric`.
    pub fn finite(d: BigDecimal) -> Numeric {
        Numeric::Finite(Box::new(d))
    }
}

impl From<BigDecimal> for Numeric {
    fn from(d: BigDecimal) -> Numeric {
        Numeric::finite(d)
    }
}

/// A PostgreSQL `interval`: months, days and microseconds are separate fields because a
/// month has no fixed number of days and a day no fixed number of microseconds (DST).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Interval {
    /// Whole months.
    pub months: i32,
    /// Whole days.
    pub days: i32,
    /// Microseconds.
    pub micros: i64,
}

/// One SQL value, `NULL` included.
///
/// `varchar(n)` and `char(n)` values are held as [`Value::Text`]; the column's
/// [`DataType`] carries the length limit.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// `boolean`
    Bool(bool),
    /// `smallint`
    Int2(i16),
    /// `integer`
    Int4(i32),
    /// `bigint`
    Int8(i64),
    /// `real`
    Float4(f32),
    /// `double precision`
    Float8(f64),
    /// `numeric`
    Numeric(Numeric),
    /// `text`, `varchar`, `char`
    Text(String),
    /// `bytea`
    Bytea(Vec<u8>),
    /// `date`: days since 2000-01-01.
    Date(i32),
    /// `time`: microseconds since midnight.
    Time(i64),
    /// `timetz`: time of day with its UTC offset (see [`crate::datetime::timetz`]).
    TimeTz(crate::TimeTz),
    /// `timestamp`: microseconds since 2000-01-01 00:00:00.
    Timestamp(i64),
    /// `timestamptz`: microseconds since 2000-01-01 00:00:00 UTC.
    TimestampTz(i64),
    /// `interval`
    Interval(Interval),
    /// `uuid`
    Uuid([u8; 16]),
    /// `inet`
    Inet(crate::Inet),
    /// `cidr` (an [`crate::Inet`] with no bits set right of its mask)
    Cidr(crate::Inet),
    /// `macaddr`
    MacAddr(crate::MacAddr),
    /// `json`: the text as the user wrote it.
    Json(String),
    /// `jsonb`: the parsed document.
    Jsonb(Arc<serde_json::Value>),
    /// An array (any number of dimensions, see [`crate::array`]); elements may be `NULL`.
    Array(Arc<Array>),
    /// pgvector `vector`
    Vector(Arc<[f32]>),
    /// A value of a user-defined enum type.
    Enum(EnumValue),
    /// A composite value (see [`crate::record`]).
    Record(Arc<crate::record::Record>),
    /// A range (`int4range`, `tstzrange`, a user-defined range type, ...).
    Range(Arc<RangeValue>),
    /// A multirange (`int4multirange`, ...).
    Multirange(Arc<MultirangeValue>),
}

impl Value {
    /// Whether this is SQL `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The natural data type of the value (`Unknown` for `NULL`).
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Unknown,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::Numeric(None),
            Value::Text(_) => DataType::Text,
            Value::Bytea(_) => DataType::Bytea,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::TimeTz(_) => DataType::TimeTz,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::TimestampTz(_) => DataType::TimestampTz,
            Value::Interval(_) => DataType::Interval,
            Value::Uuid(_) => DataType::Uuid,
            Value::Inet(_) => DataType::Inet,
            Value::Cidr(_) => DataType::Cidr,
            Value::MacAddr(_) => DataType::MacAddr,
            Value::Json(_) => DataType::Json,
            Value::Jsonb(_) => DataType::Jsonb,
            Value::Array(a) => DataType::Array(Box::new(a.element_type.clone())),
            Value::Vector(v) => DataType::Vector(u32::try_from(v.len()).ok()),
            Value::Enum(e) => DataType::Enum(e.ty.clone()),
            Value::Record(r) => DataType::Record(r.ty.clone()),
            Value::Range(r) => DataType::Range(r.ty.clone()),
            Value::Multirange(m) => DataType::Multirange(m.ty.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        // Rows are vectors of values: every byte here is paid once per column of every
        // row a query returns. A variant holding a large type inline (a `BigDecimal`, an
        // array) must box it.
        assert!(
            std::mem::size_of::<Value>() <= 32,
            "Value is {} bytes",
            std::mem::size_of::<Value>()
        );
        assert!(std::mem::size_of::<Numeric>() <= 16);
        let n = Numeric::finite(BigDecimal::from(12));
        assert_eq!(Numeric::from(BigDecimal::from(12)), n);
        assert_eq!(Value::Numeric(n).data_type(), DataType::Numeric(None));
    }
}
