//! The binary row format: how a table row's values are stored as a key-value value.
//!
//! Rows are written in format 2, the compact layout:
//!
//! ```text
//! +--------+-------------+-------------+---------------------------------------------+
//! | format | count       | null bitmap | each non-NULL column, in order:              |
//! | u8 = 2 | varint      | ceil(n/8) B | ints: zigzag varint; other fixed-size types: |
//! |        |             |             | their slot; variable-size: varint length,    |
//! |        |             |             | bytes                                        |
//! +--------+-------------+-------------+---------------------------------------------+
//! ```
//!
//! Format 1 (fixed-width slots for every fixed-size column, zeroed when NULL, and an
//! offset table for the variable-size ones) is still read: databases written before
//! format 2 keep their rows until they are rewritten. Format 2 stores an integer in one
//! to ten bytes instead of its full width and drops the four-byte offset per text column,
//! at the cost of reaching column `i` by stepping over the columns before it, which
//! [`RowReader`] does once per row and [`RowDecoder`] does on its way through the row.
//!
//! A row stored before `ALTER TABLE ... ADD COLUMN` has a smaller count: the missing
//! trailing columns read as NULL ([`decode_row`]) or as the given defaults
//! ([`decode_row_with_defaults`]). Malformed bytes give `XX001`, never a panic.
//! The byte layouts are documented in `docs/storage-format.md` ("Row format").

pub(crate) mod codec;
mod decoder;
mod layout;
#[cfg(test)]
mod proptests;

pub use codec::fixed_width;
pub use decoder::RowDecoder;
pub use layout::{HEADER_LEN, ROW_FORMAT_V1, ROW_FORMAT_V2};

use helios_common::{Error, Result};

use crate::error::TypeResult;
use crate::{DataType, Value};
use codec::{
    decode_fixed, decode_int_varint, decode_var, encode_fixed, encode_int_varint, encode_var,
    plain_bytes, varint_len, write_varint, zigzag,
};
use layout::{is_varint, Layout};

/// Encodes a row; `values[i]` must be NULL or a value of `types[i]`.
pub fn encode_row(values: &[Value], types: &[DataType]) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    encode_row_into(&mut buf, values, types)?;
    Ok(buf)
}

/// [`encode_row`] into `buf` (cleared first), so a caller writing many rows can reuse one
/// buffer.
pub fn encode_row_into(buf: &mut Vec<u8>, values: &[Value], types: &[DataType]) -> Result<()> {
    if values.len() != types.len() {
        return Err(Error::internal(format!(
            "row has {} values for {} columns",
            values.len(),
            types.len()
        )));
    }
    let count = values.len();
    let var_len: usize = values
        .iter()
        .map(|v| match v {
            Value::Text(s) | Value::Json(s) => s.len(),
            Value::Bytea(b) => b.len(),
            _ => 0,
        })
        .sum();
    buf.clear();
    // Room for the largest encoding of every integer and length, so the buffer is
    // allocated at most once.
    buf.reserve(1 + 10 + count.div_ceil(8) + 17 * count + var_len);
    buf.push(ROW_FORMAT_V2);
    write_varint(buf, count as u64);
    let bitmap_at = buf.len();
    buf.resize(bitmap_at + count.div_ceil(8), 0);
    for (i, (v, ty)) in values.iter().zip(types).enumerate() {
        // The commonest columns first, without the general dispatch below.
        match (v, ty) {
            (Value::Int8(x), DataType::Int8) => {
                write_varint(buf, zigzag(*x));
                continue;
            }
            (Value::Text(s), DataType::Text) => {
                write_varint(buf, s.len() as u64);
                buf.extend_from_slice(s.as_bytes());
                continue;
            }
            _ => {}
        }
        if v.is_null() {
            buf[bitmap_at + i / 8] |= 1 << (i % 8);
        } else if is_varint(ty) {
            encode_int_varint(buf, v, ty)?;
        } else if fixed_width(ty).is_some() {
            encode_fixed(buf, v, ty)?;
        } else if let Some(bytes) = plain_bytes(v, ty) {
            write_varint(buf, bytes.len() as u64);
            buf.extend_from_slice(bytes);
        } else {
            encode_var_prefixed(buf, v, ty)?;
        }
    }
    Ok(())
}

/// Appends a variable-size value with its varint length in front: one byte is set aside
/// for the length (values under 128 bytes), and a longer value is moved up to make room.
fn encode_var_prefixed(buf: &mut Vec<u8>, v: &Value, ty: &DataType) -> Result<()> {
    let at = buf.len();
    buf.push(0);
    encode_var(buf, v, ty)?;
    let len = buf.len() - at - 1;
    let width = varint_len(len as u64);
    if width > 1 {
        buf.resize(buf.len() + width - 1, 0);
        buf.copy_within(at + 1..at + 1 + len, at + width);
    }
    let mut rest = len as u64;
    for b in &mut buf[at..at + width] {
        *b = rest as u8 & 0x7F | if rest >= 0x80 { 0x80 } else { 0 };
        rest >>= 7;
    }
    Ok(())
}

fn read(layout: &Layout<'_>, types: &[DataType], i: usize) -> TypeResult<Value> {
    if layout.is_null(i) {
        return Ok(Value::Null);
    }
    decode_stored(layout.version, &types[i], layout.column_bytes(i))
}

/// Decodes the stored bytes of one non-NULL value of type `ty` in a row of format
/// `version`: a varint (format-2 integers), a fixed-width slot or variable-size bytes.
pub(crate) fn decode_stored(version: u8, ty: &DataType, bytes: &[u8]) -> TypeResult<Value> {
    if version == ROW_FORMAT_V2 && is_varint(ty) {
        decode_int_varint(bytes, ty)
    } else if fixed_width(ty).is_some() {
        decode_fixed(bytes, ty)
    } else {
        decode_var(bytes, ty, 0)
    }
}

/// Reads columns of one stored row, parsing its header once (for scans that project a
/// few columns of many rows).
#[derive(Debug)]
pub struct RowReader<'a> {
    layout: Layout<'a>,
    types: &'a [DataType],
}

impl<'a> RowReader<'a> {
    /// Parses and bounds-checks the row's header against the table's column types.
    pub fn new(bytes: &'a [u8], types: &'a [DataType]) -> Result<RowReader<'a>> {
        Ok(RowReader { layout: Layout::parse(bytes, types)?, types })
    }

    /// Number of columns the stored row holds (fewer than the table has when columns
    /// were added after it was written).
    pub fn stored_columns(&self) -> usize {
        self.layout.count
    }

    /// Column `i`; NULL for a column the stored row does not have.
    pub fn column(&self, i: usize) -> Result<Value> {
        if i >= self.types.len() {
            return Err(Error::internal(format!(
                "column {i} out of range for {} columns",
                self.types.len()
            )));
        }
        if i >= self.layout.count {
            return Ok(Value::Null);
        }
        Ok(read(&self.layout, self.types, i)?)
    }

    /// Whether column `i` is NULL (or missing from the stored row), without decoding it.
    pub fn is_null(&self, i: usize) -> bool {
        i >= self.layout.count || self.layout.is_null(i)
    }
}

/// Decodes column `i` of a stored row without decoding the others. A column the stored
/// row does not have (added later) reads as NULL.
pub fn decode_column(bytes: &[u8], types: &[DataType], i: usize) -> Result<Value> {
    if i >= types.len() {
        return Err(Error::internal(format!(
            "column {i} out of range for {} columns",
            types.len()
        )));
    }
    let layout = Layout::parse(bytes, types)?;
    if i >= layout.count {
        return Ok(Value::Null);
    }
    Ok(read(&layout, types, i)?)
}

/// Decodes a whole row; columns the stored row does not have read as NULL.
pub fn decode_row(bytes: &[u8], types: &[DataType]) -> Result<Vec<Value>> {
    decode_row_with_defaults(bytes, types, &[])
}

/// Decodes a whole row; a column the stored row does not have takes `defaults[i]` (NULL
/// when `defaults` is shorter).
pub fn decode_row_with_defaults(
    bytes: &[u8],
    types: &[DataType],
    defaults: &[Value],
) -> Result<Vec<Value>> {
    let layout = Layout::parse(bytes, types)?;
    layout.check_complete()?;
    let mut out = Vec::with_capacity(types.len());
    for i in 0..types.len() {
        out.push(if i < layout.count {
            read(&layout, types, i)?
        } else {
            defaults.get(i).cloned().unwrap_or(Value::Null)
        });
    }
    Ok(out)
}

/// The number of columns a stored row holds.
pub fn stored_column_count(bytes: &[u8]) -> Result<usize> {
    Ok(layout::header(bytes)?.1)
}
