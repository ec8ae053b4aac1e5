//! [`RowDecoder`]: decodes many rows of one table, with the column slots computed once
//! and only the columns the caller reads.

use std::borrow::Cow;

use helios_common::Result;

use super::codec::{decode_fixed, decode_var};
use super::layout::{slots, Layout, Slot, HEADER_LEN};
use crate::{DataType, Value};

/// Decodes stored rows of a table with the given column types. The slots of a row with
/// every column are computed once; rows stored before `ADD COLUMN` (fewer columns) take
/// the general path.
#[derive(Debug, Clone)]
pub struct RowDecoder {
    types: Vec<DataType>,
    slots: Vec<Slot>,
    fixed_len: usize,
    var_count: usize,
}

/// The bytes of a fixed-width slot as an array (the slot has exactly `N` bytes).
fn fixed<const N: usize>(b: &[u8]) -> Result<[u8; N]> {
    b.try_into().map_err(|_| super::codec::corrupt("value truncated").into())
}

/// A text value's bytes as a `String`; invalid UTF-8 is corruption, as in `decode_var`.
fn text(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| super::codec::corrupt("invalid UTF-8 in text").into())
}

impl RowDecoder {
    /// A decoder for rows of `types`.
    pub fn new(types: &[DataType]) -> RowDecoder {
        let (slots, fixed_len, var_count) = slots(types);
        RowDecoder { types: types.to_vec(), slots, fixed_len, var_count }
    }

    /// The column types.
    pub fn types(&self) -> &[DataType] {
        &self.types
    }

    /// Decodes a row into `out` (cleared first): one value per column; a column whose
    /// entry in `needed` is false, or that the stored row lacks, is NULL without being
    /// decoded (`needed = None` decodes every column).
    pub fn decode_into(
        &self,
        bytes: &[u8],
        needed: Option<&[bool]>,
        out: &mut Vec<Value>,
    ) -> Result<()> {
        out.clear();
        let n = self.types.len();
        let count = super::stored_column_count(bytes)?;
        let layout =
            if count == n { self.full_layout(bytes)? } else { Layout::parse(bytes, &self.types)? };
        if needed.is_none() {
            layout.check_complete()?;
        }
        out.reserve(n);
        for i in 0..n {
            let want = needed.is_none_or(|m| m.get(i).copied().unwrap_or(true));
            if !want || i >= layout.count || layout.is_null(i) {
                out.push(Value::Null);
                continue;
            }
            let b = layout.column_bytes(i)?;
            out.push(match (layout.slots[i], &self.types[i]) {
                // The commonest types are built in place: a `Result<Value>` returned by
                // the general decoders costs more than decoding them.
                (Slot::Fixed { .. }, DataType::Int8) => Value::Int8(i64::from_le_bytes(fixed(b)?)),
                (Slot::Fixed { .. }, DataType::Int4) => Value::Int4(i32::from_le_bytes(fixed(b)?)),
                (Slot::Var { .. }, DataType::Text | DataType::Varchar(_) | DataType::Char(_)) => {
                    Value::Text(text(b)?)
                }
                (Slot::Fixed { .. }, ty) => decode_fixed(b, ty)?,
                (Slot::Var { .. }, ty) => decode_var(b, ty, 0)?,
            });
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
        let count = super::stored_column_count(bytes)?;
        let layout = if count == self.types.len() {
            self.full_layout(bytes)?
        } else {
            Layout::parse(bytes, &self.types)?
        };
        if i >= layout.count || layout.is_null(i) {
            return Ok(None);
        }
        // The layout borrows the decoder's slots too; give back the same bytes borrowed
        // from `bytes` alone.
        let col = layout.column_bytes(i)?;
        let start = col.as_ptr() as usize - bytes.as_ptr() as usize;
        Ok(bytes.get(start..start + col.len()))
    }

    /// The layout of a row that stores every column, from the precomputed slots.
    fn full_layout<'a>(&'a self, bytes: &'a [u8]) -> Result<Layout<'a>> {
        let count = self.types.len();
        let bitmap_at = HEADER_LEN;
        let fixed_at = bitmap_at + count.div_ceil(8);
        let offsets_at = fixed_at + self.fixed_len;
        let var_at = offsets_at + 4 * self.var_count;
        if var_at > bytes.len() {
            return Err(super::codec::corrupt("row shorter than its header says").into());
        }
        Ok(Layout {
            bytes,
            count,
            slots: Cow::Borrowed(&self.slots),
            bitmap_at,
            fixed_at,
            offsets_at,
            var_at,
            var_count: self.var_count,
        })
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
        // Break the UTF-8 of "héllo" (its two-byte 'é' loses its continuation byte).
        let at = bytes.windows(2).position(|w| w == "é".as_bytes()).expect("é stored");
        bytes[at + 1] = b'x';
        let e = decoder.decode(&bytes).expect_err("invalid UTF-8");
        assert_eq!(e.sqlstate().code(), "XX001");
    }
}
