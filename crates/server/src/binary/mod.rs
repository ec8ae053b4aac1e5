//! PostgreSQL binary format (`send`/`recv`) of every supported type.
//!
//! Clients choose binary per parameter and per result column in `Bind`. The formats are
//! PostgreSQL's, byte for byte (network byte order):
//!
//! | type | bytes |
//! |---|---|
//! | bool | 1 byte, 0 or 1 |
//! | int2 / int4 / int8 | 2 / 4 / 8 bytes |
//! | float4 / float8 | IEEE 754, 4 / 8 bytes |
//! | numeric | base-10000 digits, see [`numeric`] |
//! | text, varchar, bpchar, json | UTF-8 bytes |
//! | jsonb | version byte `1`, then the JSON text |
//! | bytea | raw bytes |
//! | date | int4 days since 2000-01-01 |
//! | time | int8 microseconds since midnight |
//! | timestamp, timestamptz | int8 microseconds since 2000-01-01 00:00:00 (UTC) |
//! | interval | int8 microseconds, int4 days, int4 months |
//! | uuid | 16 bytes |
//! | inet, cidr, macaddr | see [`net`] |
//! | arrays | see [`array`] |
//! | ranges, multiranges | see [`range`] |
//! | tsvector, tsquery | see [`tsearch`] |
//!
//! Decoding never panics: truncated or malformed input is `22P03`
//! (invalid_binary_representation).

pub mod array;
pub mod datetime;
pub mod net;
pub mod numeric;
pub mod range;
pub mod scalar;
pub mod tsearch;

use bytes::{BufMut, BytesMut};
use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

/// Appends the binary form of a non-null `value` of type `ty` to `out`.
pub fn encode(value: &Value, ty: &DataType, out: &mut BytesMut) -> Result<()> {
    match (ty, value) {
        (DataType::Numeric(_), _) => numeric::encode(value, out),
        (
            DataType::Date
            | DataType::Time
            | DataType::TimeTz
            | DataType::Timestamp
            | DataType::TimestampTz
            | DataType::Interval,
            _,
        ) => datetime::encode(value, ty, out),
        (DataType::Array(elem), Value::Array(a)) => array::encode(a, elem, out),
        (DataType::Range(_) | DataType::Multirange(_), _) => range::encode(value, ty, out),
        (DataType::TsVector | DataType::TsQuery, _) => tsearch::encode(value, ty, out),
        (DataType::Inet | DataType::Cidr | DataType::MacAddr, _) => net::encode(value, ty, out),
        _ => scalar::encode(value, ty, out),
    }
}

/// Decodes the binary form of a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value> {
    match ty {
        DataType::Numeric(_) => numeric::decode(bytes),
        DataType::Date
        | DataType::Time
        | DataType::TimeTz
        | DataType::Timestamp
        | DataType::TimestampTz
        | DataType::Interval => datetime::decode(bytes, ty),
        DataType::Array(elem) => array::decode(bytes, elem),
        DataType::Range(_) | DataType::Multirange(_) => range::decode(bytes, ty),
        DataType::TsVector | DataType::TsQuery => tsearch::decode(bytes, ty),
        DataType::Inet | DataType::Cidr | DataType::MacAddr => net::decode(bytes, ty),
        _ => scalar::decode(bytes, ty),
    }
}

/// Encodes a value with its 4-byte length prefix (`-1` for `NULL`), as in `DataRow`.
pub fn encode_with_length(value: &Value, ty: &DataType, out: &mut BytesMut) -> Result<()> {
    if value.is_null() {
        out.put_i32(-1);
        return Ok(());
    }
    let start = out.len();
    out.put_i32(0);
    encode(value, ty, out)?;
    let len = i32::try_from(out.len() - start - 4)
        .map_err(|_| Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "value too large to send"))?;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// The `22P03` error for malformed binary input.
pub(crate) fn bad_binary(what: impl std::fmt::Display) -> Error {
    Error::new(SqlState::INVALID_BINARY_REPRESENTATION, format!("invalid binary data: {what}"))
}

/// The error for a value whose Rust variant does not match the column type.
pub(crate) fn mismatch(value: &Value, ty: &DataType) -> Error {
    Error::internal(format!("cannot send a {} value as type {ty}", value.data_type()))
}

/// Reads exactly `N` bytes or fails with `22P03`.
pub(crate) fn fixed<const N: usize>(bytes: &[u8], ty: &str) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| bad_binary(format!("{ty} needs {N} bytes, got {}", bytes.len())))
}

/// A cursor over input bytes that fails with `22P03` when it runs out.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(bad_binary("unexpected end of data"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(fixed(self.take(2)?, "int2")?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(fixed(self.take(2)?, "int2")?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(fixed(self.take(4)?, "int4")?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(fixed(self.take(8)?, "int8")?))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}
