//! Where each column of a stored row lives: the two row formats' headers, parsed.

use super::codec::{corrupt, fixed_width};
use crate::error::TypeResult;
use crate::DataType;

/// Format byte of the first row layout: fixed-width slots and an offset table.
pub const ROW_FORMAT_V1: u8 = 1;
/// Format byte of the compact row layout every row is written in now: the non-NULL values
/// back to back, integers as varints, variable-size values length-prefixed.
pub const ROW_FORMAT_V2: u8 = 2;
/// Bytes before the null bitmap in format 1: format byte and column count.
pub const HEADER_LEN: usize = 3;

/// Where one column's bytes are found in a format-1 row.
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

/// Computes the format-1 slots of `types`; returns them with the fixed-area size and the
/// number of variable-size columns.
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

/// Whether format 2 stores values of `ty` as zigzag varints.
#[inline]
pub fn is_varint(ty: &DataType) -> bool {
    matches!(ty, DataType::Int2 | DataType::Int4 | DataType::Int8)
}

/// Reads the LEB128 varint at `*at`, moving `*at` past it.
#[inline]
pub fn read_varint(bytes: &[u8], at: &mut usize) -> TypeResult<u64> {
    // One byte (a value below 128) is the common case, two bytes (below 16,384) the next.
    match bytes.get(*at..) {
        Some(&[b, ..]) if b < 0x80 => {
            *at += 1;
            Ok(u64::from(b))
        }
        Some(&[lo, hi, ..]) if hi < 0x80 => {
            *at += 2;
            Ok(u64::from(lo & 0x7F) | u64::from(hi) << 7)
        }
        // Three bytes (below 2,097,152): keys and counts of a million-row table.
        Some(&[lo, mid, hi, ..]) if mid >= 0x80 && hi < 0x80 => {
            *at += 3;
            Ok(u64::from(lo & 0x7F) | u64::from(mid & 0x7F) << 7 | u64::from(hi) << 14)
        }
        _ => read_long_varint(bytes, at),
    }
}

/// [`read_varint`] for a varint of any length.
fn read_long_varint(bytes: &[u8], at: &mut usize) -> TypeResult<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*at).ok_or_else(|| corrupt("varint truncated"))?;
        *at += 1;
        if shift == 63 && b > 1 {
            return Err(corrupt("varint too long"));
        }
        value |= u64::from(b & 0x7F) << shift;
        if b < 0x80 {
            return Ok(value);
        }
        shift += 7;
    }
}

/// The column count of a stored row and where its null bitmap starts.
pub fn header(bytes: &[u8]) -> TypeResult<(u8, usize, usize)> {
    match bytes {
        [ROW_FORMAT_V1, lo, hi, ..] => {
            Ok((ROW_FORMAT_V1, u16::from_le_bytes([*lo, *hi]) as usize, HEADER_LEN))
        }
        [ROW_FORMAT_V2, ..] => {
            let mut at = 1;
            let count = read_varint(bytes, &mut at)?;
            let count = usize::try_from(count).map_err(|_| corrupt("absurd column count"))?;
            Ok((ROW_FORMAT_V2, count, at))
        }
        [] => Err(corrupt("empty row")),
        [version, ..] if *version != ROW_FORMAT_V1 => {
            Err(corrupt(&format!("unknown row format {version}")))
        }
        _ => Err(corrupt("row header truncated")),
    }
}

/// Where the bytes of a format-2 column of type `ty` that starts at `at` are (empty when
/// `null`), and where the next column starts.
#[inline]
pub(super) fn span_v2(
    bytes: &[u8],
    ty: &DataType,
    null: bool,
    at: usize,
) -> TypeResult<((usize, usize), usize)> {
    let truncated = || corrupt("value truncated");
    if null {
        return Ok(((at, at), at));
    }
    let mut end = at;
    if is_varint(ty) {
        read_varint(bytes, &mut end)?;
        return Ok(((at, end), end));
    }
    if let Some(width) = fixed_width(ty) {
        end = at + width;
        return if end > bytes.len() { Err(truncated()) } else { Ok(((at, end), end)) };
    }
    let len = read_varint(bytes, &mut end)?;
    let start = end;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| start.checked_add(len))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(truncated)?;
    Ok(((start, end), end))
}

/// The byte range of stored column `i` of a row, `None` when it is NULL or the row
/// predates the column. Format-2 rows are stepped through up to the column without
/// allocating (vector searches read one column of many rows).
pub fn column_span(
    bytes: &[u8],
    types: &[DataType],
    i: usize,
) -> TypeResult<Option<(usize, usize)>> {
    let (version, count, bitmap_at) = header(bytes)?;
    if version == ROW_FORMAT_V1 {
        let layout = Layout::parse(bytes, types)?;
        return Ok((i < layout.count && !layout.is_null(i)).then(|| layout.spans[i]));
    }
    if count > types.len() {
        return Err(corrupt(&format!("row has {count} columns but the table has {}", types.len())));
    }
    let mut at = bitmap_at + count.div_ceil(8);
    let bitmap =
        bytes.get(bitmap_at..at).ok_or_else(|| corrupt("row shorter than its header says"))?;
    let null = |j: usize| bitmap[j / 8] & (1 << (j % 8)) != 0;
    if i >= count || null(i) {
        return Ok(None);
    }
    for (j, ty) in types[..i].iter().enumerate() {
        at = span_v2(bytes, ty, null(j), at)?.1;
    }
    Ok(Some(span_v2(bytes, &types[i], false, at)?.0))
}

/// The parsed, bounds-checked header of a stored row in either format: the byte range of
/// each stored column.
#[derive(Debug)]
pub struct Layout<'a> {
    /// The whole row.
    pub bytes: &'a [u8],
    /// The row's format byte.
    pub version: u8,
    /// Columns stored in the row (may be fewer than the table has now).
    pub count: usize,
    /// Start of the null bitmap.
    bitmap_at: usize,
    /// `start..end` of each stored column's bytes (empty for NULL).
    spans: Vec<(usize, usize)>,
    /// Where the last column's bytes end.
    end: usize,
}

impl<'a> Layout<'a> {
    /// Parses and bounds-checks the header of `bytes` against the table's `types`.
    pub fn parse(bytes: &'a [u8], types: &[DataType]) -> TypeResult<Layout<'a>> {
        let (version, count, bitmap_at) = header(bytes)?;
        if count > types.len() {
            return Err(corrupt(&format!(
                "row has {count} columns but the table has {}",
                types.len()
            )));
        }
        let data_at = bitmap_at + count.div_ceil(8);
        if data_at > bytes.len() {
            return Err(corrupt("row shorter than its header says"));
        }
        let mut layout = Layout { bytes, version, count, bitmap_at, spans: Vec::new(), end: 0 };
        layout.spans.reserve(count);
        if version == ROW_FORMAT_V1 {
            layout.spans_v1(&types[..count], data_at)?;
        } else {
            layout.spans_v2(&types[..count], data_at)?;
        }
        Ok(layout)
    }

    fn spans_v1(&mut self, types: &[DataType], fixed_at: usize) -> TypeResult<()> {
        let (slots, fixed_len, var_count) = slots(types);
        let offsets_at = fixed_at + fixed_len;
        let var_at = offsets_at + 4 * var_count;
        if var_at > self.bytes.len() {
            return Err(corrupt("row shorter than its header says"));
        }
        let mut var_start = var_at;
        self.end = var_at;
        for slot in slots {
            match slot {
                Slot::Fixed { offset, width } => {
                    let at = fixed_at + offset;
                    self.spans.push((at, at + width));
                }
                Slot::Var { index } => {
                    let at = offsets_at + 4 * index;
                    let b = &self.bytes[at..at + 4];
                    let end = var_at + u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                    if end < var_start || end > self.bytes.len() {
                        return Err(corrupt("variable-size column out of bounds"));
                    }
                    self.spans.push((var_start, end));
                    var_start = end;
                    self.end = end;
                }
            }
        }
        Ok(())
    }

    fn spans_v2(&mut self, types: &[DataType], mut at: usize) -> TypeResult<()> {
        for (i, ty) in types.iter().enumerate() {
            let (span, next) = span_v2(self.bytes, ty, self.is_null(i), at)?;
            self.spans.push(span);
            at = next;
        }
        self.end = at;
        Ok(())
    }

    /// Whether stored column `i` is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.bytes[self.bitmap_at + i / 8] & (1 << (i % 8)) != 0
    }

    /// The bytes of stored column `i`: its fixed-width slot, its varint (format 2
    /// integers) or its variable-size value.
    pub fn column_bytes(&self, i: usize) -> &'a [u8] {
        let (start, end) = self.spans[i];
        &self.bytes[start..end]
    }

    /// Checks that the stored columns end exactly at the end of the row.
    pub fn check_complete(&self) -> TypeResult<()> {
        if self.end != self.bytes.len() {
            return Err(corrupt("row length does not match its offsets"));
        }
        Ok(())
    }
}
