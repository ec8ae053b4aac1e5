//! The binary row format: how a table row's values are stored as a key-value value.
//!
//! ```text
//! +--------+-----------+-------------+------------------+-----------------+-----------+
//! | format | count     | null bitmap | fixed area       | offset table    | var area  |
//! | u8 = 1 | u16 LE    | ceil(n/8) B | fixed-size cols  | u32 LE per var  | var bytes |
//! +--------+-----------+-------------+------------------+-----------------+-----------+
//! ```
//!
//! Every fixed-size column (bool, ints, floats, date, time, timestamps, interval, uuid)
//! has a slot in the fixed area, zeroed when NULL, so its offset follows from the types
//! alone. Variable-size columns have an entry in the offset table holding the *end* of
//! their bytes relative to the var area (the start is the previous entry's end), so
//! [`decode_column`] reads one column without decoding the others; [`RowReader`] parses
//! the header once to read several; [`RowDecoder`] computes the slots once per table and
//! decodes many rows, skipping the columns a scan does not need.
//!
//! A row stored before `ALTER TABLE ... ADD COLUMN` has a smaller count: the missing
//! trailing columns read as NULL ([`decode_row`]) or as the given defaults
//! ([`decode_row_with_defaults`]). Malformed bytes give `XX001`, never a panic.
//! The byte layout is documented in `docs/storage-format.md` ("Row format").

pub(crate) mod codec;
mod decoder;
mod layout;
#[cfg(test)]
mod proptests;

pub use codec::fixed_width;
pub use decoder::RowDecoder;
pub use layout::{HEADER_LEN, ROW_FORMAT_V1};

use helios_common::{Error, Result};

use crate::error::{TypeError, TypeResult};
use crate::{DataType, Value};
use codec::{decode_fixed, decode_var, encode_var, write_fixed};
use layout::{Layout, Slot};

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
    let count = u16::try_from(values.len())
        .map_err(|_| Error::from(TypeError::out_of_range("too many columns in a row")))?;
    // The slots of `layout::slots`, computed on the way (no vector per row).
    let (mut fixed_len, mut var_count, mut var_len) = (0usize, 0usize, 0usize);
    for (v, ty) in values.iter().zip(types) {
        match fixed_width(ty) {
            Some(w) => fixed_len += w,
            None => var_count += 1,
        }
        var_len += match v {
            Value::Text(s) | Value::Json(s) => s.len(),
            Value::Bytea(b) => b.len(),
            _ => 0,
        };
    }
    let bitmap_len = values.len().div_ceil(8);
    let fixed_at = layout::HEADER_LEN + bitmap_len;
    let offsets_at = fixed_at + fixed_len;
    let var_at = offsets_at + 4 * var_count;
    buf.clear();
    // Room for the variable-size values too, so the buffer is allocated at most once.
    buf.reserve(var_at + var_len + 16);
    // The header, the null bitmap, the fixed area and the offset table have known sizes:
    // they are written in place (zeroed first, the encoding of NULL slots).
    buf.resize(var_at, 0);
    let head = &mut buf[..var_at];
    head[0] = ROW_FORMAT_V1;
    head[1..3].copy_from_slice(&count.to_le_bytes());
    let mut at = fixed_at;
    for (i, (v, ty)) in values.iter().zip(types).enumerate() {
        let null = v.is_null();
        if null {
            head[layout::HEADER_LEN + i / 8] |= 1 << (i % 8);
        }
        if let Some(width) = fixed_width(ty) {
            if !null {
                write_fixed(&mut head[at..at + width], v, ty)?;
            }
            at += width;
        }
    }
    let mut index = 0;
    for (v, ty) in values.iter().zip(types) {
        if fixed_width(ty).is_none() {
            if !v.is_null() {
                encode_var(buf, v, ty)?;
            }
            let end = u32::try_from(buf.len() - var_at)
                .map_err(|_| Error::from(TypeError::out_of_range("row too large")))?;
            buf[offsets_at + 4 * index..offsets_at + 4 * index + 4]
                .copy_from_slice(&end.to_le_bytes());
            index += 1;
        }
    }
    Ok(())
}

fn read(layout: &Layout<'_>, types: &[DataType], i: usize) -> TypeResult<Value> {
    if layout.is_null(i) {
        return Ok(Value::Null);
    }
    let bytes = layout.column_bytes(i)?;
    match layout.slots[i] {
        Slot::Fixed { .. } => decode_fixed(bytes, &types[i]),
        Slot::Var { .. } => decode_var(bytes, &types[i], 0),
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
    match bytes {
        [ROW_FORMAT_V1, lo, hi, ..] => Ok(u16::from_le_bytes([*lo, *hi]) as usize),
        _ => Err(codec::corrupt("bad row header").into()),
    }
}
