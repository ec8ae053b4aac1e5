//! SQL data types and values of HeliosDB Nano, and their byte encodings.
//!
//! - [`DataType`]: the PostgreSQL types the engine knows, with their type OIDs.
//! - [`Value`]: one SQL value, `NULL` included.
//! - [`text`]: PostgreSQL text input/output of every type (`Value::to_pg_text`,
//!   `Value::parse_pg_text`).
//! - [`compare`] and [`hash`]: PostgreSQL ordering (`Value::pg_cmp`) and hashing
//!   consistent with it ([`HashableValue`]).
//! - [`cast`]: casts with PostgreSQL semantics (`Value::cast_explicit`,
//!   `Value::cast_assignment`).
//! - [`keycode`]: order-preserving encoding of composite index keys.
//! - [`datetime`], [`numeric_ops`] and [`float_ops`]: date/time, `numeric`, float and
//!   integer arithmetic with PostgreSQL's rules and errors (for the SQL engine's
//!   operators and functions); [`jsonb_ops`]: the `jsonb` operators; [`jsonpath`]: the
//!   SQL/JSON path language's parser and canonical text.
//! - [`range`]: range and multirange types, their operators and encodings.
//! - [`net`]: the network address types `inet`, `cidr` and `macaddr`.
//! - [`row`]: the compact binary row format with single-column decoding.
//!
//! This crate knows nothing of storage or SQL statements: it only says what a value is,
//! how it compares, and how it is written as bytes (key encoding, row format) and text.

pub mod array;
pub mod cast;
pub mod compare;
pub mod datatype;
pub mod datetime;
pub mod enum_type;
pub mod error;
pub mod float_ops;
pub mod hash;
pub mod jsonb_ops;
pub mod jsonpath;
pub mod keycode;
pub mod net;
pub mod numeric_ops;
pub mod pseudo;
pub mod range;
pub mod record;
pub mod row;
pub mod text;
pub mod tsearch;
pub mod value;

pub use cast::CastMode;
pub use datatype::DataType;
pub use datetime::TimeTz;
pub use enum_type::{EnumLabel, EnumType, EnumValue};
pub use error::TypeError;
pub use hash::{hash_family, HashableValue};
pub use net::{Inet, MacAddr};
pub use pseudo::Pseudo;
pub use range::{MultirangeValue, RangeBound, RangeType, RangeValue};
pub use record::{Record, RecordField, RecordType};
pub use text::style::{DateFormat, DateOrder, DateStyle, IntervalStyle};
pub use text::TimeZone;
pub use value::{Array, ArrayDim, Interval, Numeric, Value};
