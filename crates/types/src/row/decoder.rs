//! [`RowDecoder`]: decodes many rows of one table, with the column slots computed once
//! and only the columns the caller reads.

use helios_common::Result;

use super::codec::{decode_fixed, decode_var, text_str, unzigzag};
use super::layout::{
    column_span, header, read_varint, slots, span_v2, Layout, Slot, ROW_FORMAT_V2,
};
use crate::{DataType, Value};

/// Decodes stored rows of a table with the given column types. The slots of a row with
/// every column are computed once; rows stored before `ADD COLUMN` (fewer columns) take
/// the general path.
#[derive(Debug, Clone)]
pub struct RowDecoder {
    types: Vec<DataType>,
    /// How each column of a row storing every column is decoded.
    kinds: Vec<Kind>,
    fixed_len: usize,
    var_count: usize,
}

/// Where a column of a row storing every column lives and how it is decoded: the
/// commonest types are built in place (a `Result<Value>` returned by the general
/// decoders costs more than decoding them). Offsets are those of format 1; format 2 reads
/// the columns in order.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `bigint` at this offset of the fixed area.
    Int8(usize),
    /// `integer` at this offset of the fixed area.
    Int4(usize),
    /// `smallint` at this offset of the fixed area.
    Int2(usize),
    /// Another fixed-width type: offset and width in the fixed area.
    Fixed(usize, usize),
    /// `text`, `varchar` or `char`: the next variable-size value.
    Text,
    /// Another variable-size type.
    Var,
}

impl Kind {
    fn of(slot: Slot, ty: &DataType) -> Kind {
        match (slot, ty) {
            (Slot::Fixed { offset, width: 8 }, DataType::Int8) => Kind::Int8(offset),
            (Slot::Fixed { offset, width: 4 }, DataType::Int4) => Kind::Int4(offset),
            (Slot::Fixed { offset, width: 2 }, DataType::Int2) => Kind::Int2(offset),
            (Slot::Fixed { offset, width }, _) => Kind::Fixed(offset, width),
            (Slot::Var { .. }, DataType::Text | DataType::Varchar(_) | DataType::Char(_)) => {
                Kind::Text
            }
            (Slot::Var { .. }, _) => Kind::Var,
        }
    }
}

/// Whether column `i` is to be decoded (`needed` shorter than the row: yes).
#[inline]
fn wanted(needed: Option<&[bool]>, i: usize) -> bool {
    needed.is_none_or(|m| m.get(i).copied().unwrap_or(true))
}

/// The `N` bytes at `at` of a fixed area.
#[inline]
fn array<const N: usize>(area: &[u8], at: usize) -> Result<[u8; N]> {
    area.get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| super::codec::corrupt("value truncated").into())
}

/// Writes an integer into `slot` in place when it already holds one of that kind (the
/// row buffer of a scan), without dropping the old value first.
#[inline]
fn int8_into(slot: &mut Value, v: i64) {
    match slot {
        Value::Int8(x) => *x = v,
        other => *other = Value::Int8(v),
    }
}

/// Decodes a stored text value into `slot`, reusing the buffer of the text it holds.
#[inline]
fn text_into(b: &[u8], slot: &mut Value) -> Result<()> {
    let t = text_str(b)?;
    match slot {
        Value::Text(s) => {
            s.clear();
            s.push_str(t);
        }
        other => *other = Value::Text(t.to_owned()),
    }
    Ok(())
}

/// Decodes the stored bytes `b` of one non-NULL value of type `ty` into `slot` (the
/// general path, for rows stored before columns were added); text reuses the slot's buffer.
fn decode_value(layout: &Layout<'_>, ty: &DataType, b: &[u8], slot: &mut Value) -> Result<()> {
    match ty {
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) => text_into(b, slot)?,
        ty => *slot = super::decode_stored(layout.version, ty, b)?,
    }
    Ok(())
}

/// The varint at `*at` of a format-2 row as a signed integer.
#[inline]
fn int_at(bytes: &[u8], at: &mut usize) -> Result<i64> {
    Ok(unzigzag(read_varint(bytes, at)?))
}

/// An integer of a format-2 row that does not fit its column.
fn out_of_range() -> helios_common::Error {
    super::codec::corrupt("integer out of range for its column").into()
}

impl RowDecoder {
    /// A decoder for rows of `types`.
    pub fn new(types: &[DataType]) -> RowDecoder {
        let (slots, fixed_len, var_count) = slots(types);
        let kinds = slots.iter().zip(types).map(|(s, t)| Kind::of(*s, t)).collect();
        RowDecoder { types: types.to_vec(), kinds, fixed_len, var_count }
    }

    /// The column types.
    pub fn types(&self) -> &[DataType] {
        &self.types
    }

    /// Decodes a row into `out`: one value per column; a column whose entry in `needed`
    /// is false, or that the stored row lacks, is NULL without being decoded
    /// (`needed = None` decodes every column).
    ///
    /// A vector that already holds one value per column is overwritten in place, and a
    /// text value in it keeps its buffer for the text decoded there, so a scan that
    /// decodes every row into the same vector allocates nothing per row. Any other
    /// vector is cleared first. After an error `out` holds some values of the row.
    pub fn decode_into(
        &self,
        bytes: &[u8],
        needed: Option<&[bool]>,
        out: &mut Vec<Value>,
    ) -> Result<()> {
        let n = self.types.len();
        if out.len() != n {
            out.clear();
            out.extend(std::iter::repeat_with(|| Value::Null).take(n));
        }
        let (version, count, bitmap_at) = header(bytes)?;
        if count == n {
            return if version == ROW_FORMAT_V2 {
                self.decode_full_v2(bytes, bitmap_at, needed, out)
            } else {
                self.decode_full(bytes, bitmap_at, needed, out)
            };
        }
        let layout = Layout::parse(bytes, &self.types)?;
        if needed.is_none() {
            layout.check_complete()?;
        }
        for (i, (slot, ty)) in out.iter_mut().zip(&self.types).enumerate() {
            if !wanted(needed, i) || i >= layout.count || layout.is_null(i) {
                *slot = Value::Null;
                continue;
            }
            decode_value(&layout, ty, layout.column_bytes(i), slot)?;
        }
        Ok(())
    }

    /// [`RowDecoder::decode_into`] for a format-2 row that stores every column (the
    /// common case): one pass over the values, stepping over the unneeded ones.
    fn decode_full_v2(
        &self,
        bytes: &[u8],
        bitmap_at: usize,
        needed: Option<&[bool]>,
        out: &mut [Value],
    ) -> Result<()> {
        let short = || super::codec::corrupt("row shorter than its header says");
        let mut at = bitmap_at + self.types.len().div_ceil(8);
        let bitmap = bytes.get(bitmap_at..at).ok_or_else(short)?;
        for (i, (slot, kind)) in out.iter_mut().zip(&self.kinds).enumerate() {
            if bitmap[i / 8] & (1 << (i % 8)) != 0 {
                *slot = Value::Null;
                continue;
            }
            let want = wanted(needed, i);
            match *kind {
                Kind::Int8(_) => {
                    let v = int_at(bytes, &mut at)?;
                    if want {
                        int8_into(slot, v);
                    } else {
                        *slot = Value::Null;
                    }
                }
                Kind::Int4(_) => {
                    let v = int_at(bytes, &mut at)?;
                    *slot = if want {
                        Value::Int4(i32::try_from(v).map_err(|_| out_of_range())?)
                    } else {
                        Value::Null
                    };
                }
                Kind::Int2(_) => {
                    let v = int_at(bytes, &mut at)?;
                    *slot = if want {
                        Value::Int2(i16::try_from(v).map_err(|_| out_of_range())?)
                    } else {
                        Value::Null
                    };
                }
                Kind::Fixed(..) | Kind::Text | Kind::Var => {
                    let ((start, end), next) = span_v2(bytes, &self.types[i], false, at)?;
                    let b = &bytes[start..end];
                    at = next;
                    match kind {
                        _ if !want => *slot = Value::Null,
                        Kind::Fixed(..) => *slot = decode_fixed(b, &self.types[i])?,
                        Kind::Text => text_into(b, slot)?,
                        _ => *slot = decode_var(b, &self.types[i], 0)?,
                    }
                }
            }
        }
        if needed.is_none() && at != bytes.len() {
            return Err(super::codec::corrupt("row length does not match its offsets").into());
        }
        Ok(())
    }

    /// [`RowDecoder::decode_into`] for a format-1 row that stores every column: the
    /// areas of the row come from the precomputed slots, and the offsets of the
    /// variable-size columns are read once each, in order.
    fn decode_full(
        &self,
        bytes: &[u8],
        bitmap_at: usize,
        needed: Option<&[bool]>,
        out: &mut [Value],
    ) -> Result<()> {
        let short = || super::codec::corrupt("row shorter than its header says");
        let fixed_at = bitmap_at + self.types.len().div_ceil(8);
        let offsets_at = fixed_at + self.fixed_len;
        let var_at = offsets_at + 4 * self.var_count;
        let bitmap = bytes.get(bitmap_at..fixed_at).ok_or_else(short)?;
        let fixed_area = bytes.get(fixed_at..offsets_at).ok_or_else(short)?;
        let offsets = bytes.get(offsets_at..var_at).ok_or_else(short)?;
        let var = &bytes[var_at..];
        let mut ends =
            offsets.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize);
        if needed.is_none() && ends.clone().next_back().unwrap_or(0) != var.len() {
            return Err(super::codec::corrupt("row length does not match its offsets").into());
        }
        let mut start = 0usize;
        let bad_var = || super::codec::corrupt("variable-size column out of bounds");
        for (i, (slot, kind)) in out.iter_mut().zip(&self.kinds).enumerate() {
            let want = bitmap[i / 8] & (1 << (i % 8)) == 0 && wanted(needed, i);
            // A variable-size column's bytes end where the next one's start, NULL or not.
            let var_bytes = match kind {
                Kind::Text | Kind::Var => {
                    let end = ends.next().ok_or_else(short)?;
                    let begin = std::mem::replace(&mut start, end);
                    var.get(begin..end)
                }
                _ => None,
            };
            if !want {
                *slot = Value::Null;
                continue;
            }
            match *kind {
                Kind::Int8(at) => int8_into(slot, i64::from_le_bytes(array(fixed_area, at)?)),
                Kind::Int4(at) => *slot = Value::Int4(i32::from_le_bytes(array(fixed_area, at)?)),
                Kind::Int2(at) => *slot = Value::Int2(i16::from_le_bytes(array(fixed_area, at)?)),
                Kind::Fixed(at, width) => {
                    let b = fixed_area.get(at..at + width).ok_or_else(short)?;
                    *slot = decode_fixed(b, &self.types[i])?;
                }
                Kind::Text => text_into(var_bytes.ok_or_else(bad_var)?, slot)?,
                Kind::Var => *slot = decode_var(var_bytes.ok_or_else(bad_var)?, &self.types[i], 0)?,
            }
        }
        Ok(())
    }

    /// Decodes a whole row ([`RowDecoder::decode_into`] with every column).
    pub fn decode(&self, bytes: &[u8]) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(self.types.len());
        self.decode_into(bytes, None, &mut out)?;
        Ok(out)
    }

    /// The stored bytes of column `i` of a row, without decoding any value (a vector
    /// column's bytes are its little-endian `f32`s): `None` when the value is NULL or the
    /// stored row predates the column.
    pub fn column_bytes<'b>(&self, bytes: &'b [u8], i: usize) -> Result<Option<&'b [u8]>> {
        if i >= self.types.len() {
            return Err(helios_common::Error::internal(format!(
                "column {i} out of range for {} columns",
                self.types.len()
            )));
        }
        Ok(column_span(bytes, &self.types, i)?.map(|(start, end)| &bytes[start..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_types_decode_in_place_and_bad_text_is_an_error() {
        let types = [DataType::Int8, DataType::Int4, DataType::Text, DataType::Varchar(Some(9))];
        let row = [
            Value::Int8(-5_000_000_000),
            Value::Int4(-7),
            Value::Text("héllo".into()),
            Value::Text("v".into()),
        ];
        let mut bytes = super::super::encode_row(&row, &types).expect("encode");
        let decoder = RowDecoder::new(&types);
        assert_eq!(decoder.decode(&bytes).expect("decode"), row.to_vec());
        let mut some = Vec::new();
        decoder.decode_into(&bytes, Some(&[false, true, true, false]), &mut some).expect("some");
        assert_eq!(some, vec![Value::Null, Value::Int4(-7), row[2].clone(), Value::Null]);
        // A vector of the row's width is overwritten in place; its text keeps its buffer.
        let mut reused = vec![
            Value::Null,
            Value::Text("old".into()),
            Value::Text(String::with_capacity(64)),
            Value::Int8(3),
        ];
        let buffer = match &reused[2] {
            Value::Text(t) => t.as_ptr(),
            _ => unreachable!(),
        };
        decoder.decode_into(&bytes, None, &mut reused).expect("in place");
        assert_eq!(reused, row.to_vec());
        assert!(matches!(&reused[2], Value::Text(t) if t.as_ptr() == buffer));
        decoder.decode_into(&bytes, Some(&[true, false, true, true]), &mut reused).expect("mask");
        assert_eq!(reused[0], row[0]);
        assert_eq!(reused[1], Value::Null);
        assert_eq!(reused[3], row[3]);
        // Break the UTF-8 of "héllo" (its two-byte 'é' loses its continuation byte).
        let at = bytes.windows(2).position(|w| w == "é".as_bytes()).expect("é stored");
        bytes[at + 1] = b'x';
        let e = decoder.decode(&bytes).expect_err("invalid UTF-8");
        assert_eq!(e.sqlstate().code(), "XX001");
    }
}
