//! Where each column of a stored row lives, computed from the column types.

use std::borrow::Cow;

use super::codec::{corrupt, fixed_width};
use crate::error::TypeResult;
use crate::DataType;

/// Format byte of the current row layout.
pub const ROW_FORMAT_V1: u8 = 1;
/// Bytes before the null bitmap: format byte and column count.
pub const HEADER_LEN: usize = 3;

/// Where one column's bytes are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// In the fixed area at this offset from its start, with this width.
    Fixed {
        /// Offset from the start of the fixed area.
        offset: usize,
        /// Width in bytes.
        width: usize,
    },
    /// The `index`-th variable-size column (position in the offset table).
    Var {
        /// Index into the offset table.
        index: usize,
    },
}

/// The parsed header of a stored row plus the slots of its columns.
#[derive(Debug)]
pub struct Layout<'a> {
    /// The whole row.
    pub bytes: &'a [u8],
    /// Columns stored in the row (may be fewer than the table has now).
    pub count: usize,
    /// Slot of each stored column.
    pub slots: Cow<'a, [Slot]>,
    /// Start of the null bitmap.
    pub bitmap_at: usize,
    /// Start of the fixed area.
    pub fixed_at: usize,
    /// Start of the offset table.
    pub offsets_at: usize,
    /// Start of the variable area.
    pub var_at: usize,
    /// Number of variable-size columns stored.
    pub var_count: usize,
}

/// Computes the slots of the first `count` columns of `types`; returns them with the
/// fixed-area size and the number of variable-size columns.
pub fn slots(types: &[DataType]) -> (Vec<Slot>, usize, usize) {
    let mut out = Vec::with_capacity(types.len());
    let (mut fixed, mut vars) = (0usize, 0usize);
    for ty in types {
        match fixed_width(ty) {
            Some(width) => {
                out.push(Slot::Fixed { offset: fixed, width });
                fixed += width;
            }
            None => {
                out.push(Slot::Var { index: vars });
                vars += 1;
            }
        }
    }
    (out, fixed, vars)
}

impl<'a> Layout<'a> {
    /// Parses and bounds-checks the header of `bytes` against the table's `types`.
    pub fn parse(bytes: &'a [u8], types: &[DataType]) -> TypeResult<Layout<'a>> {
        let version = *bytes.first().ok_or_else(|| corrupt("empty row"))?;
        if version != ROW_FORMAT_V1 {
            return Err(corrupt(&format!("unknown row format {version}")));
        }
        let count = u16::from_le_bytes([
            *bytes.get(1).ok_or_else(|| corrupt("row header truncated"))?,
            *bytes.get(2).ok_or_else(|| corrupt("row header truncated"))?,
        ]) as usize;
        if count > types.len() {
            return Err(corrupt(&format!(
                "row has {count} columns but the table has {}",
                types.len()
            )));
        }
        let (slots, fixed_len, var_count) = slots(&types[..count]);
        let bitmap_at = HEADER_LEN;
        let fixed_at = bitmap_at + count.div_ceil(8);
        let offsets_at = fixed_at + fixed_len;
        let var_at = offsets_at + 4 * var_count;
        if var_at > bytes.len() {
            return Err(corrupt("row shorter than its header says"));
        }
        Ok(Layout {
            bytes,
            count,
            slots: Cow::Owned(slots),
            bitmap_at,
            fixed_at,
            offsets_at,
            var_at,
            var_count,
        })
    }

    /// Whether stored column `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.bytes[self.bitmap_at + i / 8] & (1 << (i % 8)) != 0
    }

    fn var_end(&self, index: usize) -> usize {
        let at = self.offsets_at + 4 * index;
        u32::from_le_bytes([
            self.bytes[at],
            self.bytes[at + 1],
            self.bytes[at + 2],
            self.bytes[at + 3],
        ]) as usize
    }

    /// The bytes of stored column `i`.
    pub fn column_bytes(&self, i: usize) -> TypeResult<&'a [u8]> {
        match self.slots[i] {
            Slot::Fixed { offset, width } => {
                let at = self.fixed_at + offset;
                Ok(&self.bytes[at..at + width])
            }
            Slot::Var { index } => {
                let start = if index == 0 { 0 } else { self.var_end(index - 1) };
                let end = self.var_end(index);
                let var = &self.bytes[self.var_at..];
                if start > end || end > var.len() {
                    return Err(corrupt("variable-size column out of bounds"));
                }
                Ok(&var[start..end])
            }
        }
    }

    /// Checks that the offset table ends exactly at the end of the row.
    pub fn check_complete(&self) -> TypeResult<()> {
        let end = if self.var_count == 0 { 0 } else { self.var_end(self.var_count - 1) };
        if self.var_at + end != self.bytes.len() {
            return Err(corrupt("row length does not match its offsets"));
        }
        Ok(())
    }
}
