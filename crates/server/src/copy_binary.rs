//! PostgreSQL's binary COPY format, both directions.
//!
//! | part      | bytes                                                     |
//! |-----------|-----------------------------------------------------------|
//! | signature | `PGCOPY\n\xff\r\n\0` (11 bytes)                           |
//! | flags     | int32; bit 16 set means OIDs are included (refused)       |
//! | extension | int32 length, then that many bytes (skipped)              |
//! | tuple     | int16 field count, then per field int32 length (-1: NULL) |
//! |           | and the value in the type's binary send format            |
//! | trailer   | int16 -1                                                  |
//!
//! All integers are big-endian. Values use the same binary formats as the extended
//! protocol ([`crate::binary`]).

use bytes::{BufMut, BytesMut};
use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

/// The 11-byte signature every binary COPY stream starts with.
pub const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

fn bad(msg: impl Into<String>) -> Error {
    Error::new(SqlState::from_code("22P04"), msg)
}

/// The file header: signature, flags, empty extension area.
pub fn header() -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out
}

/// The file trailer.
pub fn trailer() -> Vec<u8> {
    (-1i16).to_be_bytes().to_vec()
}

/// One tuple.
pub fn encode_row(row: &[Value], types: &[DataType]) -> Result<Vec<u8>> {
    let mut out = BytesMut::new();
    out.put_i16(i16::try_from(row.len()).map_err(|_| bad("too many columns"))?);
    for (v, t) in row.iter().zip(types) {
        crate::binary::encode_with_length(v, t, &mut out)?;
    }
    Ok(out.to_vec())
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// A read ran past the end of `data` (the data may just not be all there yet).
    truncated: bool,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        let Some(end) = end else {
            self.truncated = true;
            return Err(bad("unexpected EOF in COPY data"));
        };
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn i16(&mut self) -> Result<i16> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Decodes a whole binary COPY stream into rows of `types`.
pub fn decode(data: &[u8], types: &[DataType]) -> Result<Vec<Vec<Value>>> {
    let mut d = BinaryDecoder::default();
    d.decode(data, types, true).map(|(rows, _)| rows)
}

/// Decodes a binary COPY stream as it arrives, a batch at a time: the header once, then
/// every whole tuple of each batch (a tuple cut by the batch's end waits for the next).
#[derive(Debug, Default)]
pub struct BinaryDecoder {
    header_done: bool,
    ended: bool,
}

impl BinaryDecoder {
    /// Whether the trailer was read (nothing may follow it).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Decodes the whole tuples at the start of `data`; returns them and the bytes they
    /// took. With `last`, `data` is the rest of the stream: it must end with the trailer.
    pub fn decode(
        &mut self,
        data: &[u8],
        types: &[DataType],
        last: bool,
    ) -> Result<(Vec<Vec<Value>>, usize)> {
        let mut r = Reader { data, pos: 0, truncated: false };
        let mut rows = Vec::new();
        if self.ended {
            if !data.is_empty() {
                return Err(bad("received copy data after EOF marker"));
            }
            return Ok((rows, 0));
        }
        if !self.header_done {
            match read_header(&mut r) {
                Ok(()) => self.header_done = true,
                Err(_) if !last && r.truncated => return Ok((rows, 0)),
                Err(e) => return Err(e),
            }
        }
        let mut done = r.pos;
        loop {
            if !last && r.pos == data.len() {
                return Ok((rows, done));
            }
            match read_tuple(&mut r, types) {
                Ok(Some(row)) => {
                    rows.push(row);
                    done = r.pos;
                }
                Ok(None) => {
                    self.ended = true;
                    if r.pos != data.len() {
                        return Err(bad("received copy data after EOF marker"));
                    }
                    return Ok((rows, r.pos));
                }
                // A tuple cut by the end of the batch: the next batch completes it.
                Err(_) if !last && r.truncated => return Ok((rows, done)),
                Err(e) => return Err(e),
            }
        }
    }
}

/// The end of the whole parts of a binary COPY stream in `buf` from `at`, a part
/// boundary: the header (while `header_done` is false; set once it is whole), then
/// whole tuples. A part cut by the end of `buf` is left out. At the trailer, or at a
/// length that cannot be right, the rest of `buf` is handed over whole (its decoder then
/// rejects what follows the trailer, or the malformed part).
pub fn whole_parts_end(buf: &[u8], mut at: usize, header_done: &mut bool) -> usize {
    let end = |from: usize, n: usize| from.checked_add(n).filter(|e| *e <= buf.len());
    let int = |from: usize, n: usize| -> Option<i64> {
        let e = end(from, n)?;
        Some(buf[from..e].iter().fold(0i64, |v, b| (v << 8) | i64::from(*b)))
    };
    if !*header_done {
        let Some(ext) = int(at + SIGNATURE.len() + 4, 4) else { return at };
        let Ok(ext) = usize::try_from(ext as i32) else { return buf.len() };
        let Some(e) = end(at + SIGNATURE.len() + 8, ext) else { return at };
        at = e;
        *header_done = true;
    }
    loop {
        let Some(count) = int(at, 2) else { return at };
        let count = count as i16;
        if count < 0 {
            // -1 is the trailer; other negative counts are malformed.
            return buf.len();
        }
        let mut p = at + 2;
        for _ in 0..count {
            let Some(len) = int(p, 4) else { return at };
            p += 4;
            match len as i32 {
                -1 => {}
                n if n < 0 => return buf.len(),
                n => match end(p, n as usize) {
                    Some(e) => p = e,
                    None => return at,
                },
            }
        }
        at = p;
    }
}

/// Reads the signature, flags and extension area.
fn read_header(r: &mut Reader<'_>) -> Result<()> {
    if r.take(SIGNATURE.len()).ok() != Some(&SIGNATURE[..]) {
        return Err(bad("COPY file signature not recognized"));
    }
    let flags = r.i32()?;
    if flags & (1 << 16) != 0 {
        return Err(bad("OIDs in binary COPY data are not supported"));
    }
    if flags & !0xffff & !(1 << 16) != 0 {
        return Err(bad("unrecognized critical flags in COPY file header"));
    }
    let ext =
        usize::try_from(r.i32()?).map_err(|_| bad("invalid COPY file header (missing length)"))?;
    r.take(ext)?;
    Ok(())
}

/// Reads one tuple; `None` at the trailer.
fn read_tuple(r: &mut Reader<'_>, types: &[DataType]) -> Result<Option<Vec<Value>>> {
    let n = r.i16()?;
    if n == -1 {
        return Ok(None);
    }
    if usize::try_from(n).ok() != Some(types.len()) {
        return Err(bad(format!("row field count is {n}, expected {}", types.len())));
    }
    let mut row = Vec::with_capacity(types.len());
    for t in types {
        let len = r.i32()?;
        if len == -1 {
            row.push(Value::Null);
            continue;
        }
        let len = usize::try_from(len).map_err(|_| bad("invalid field size"))?;
        row.push(crate::binary::decode(r.take(len)?, t)?);
    }
    Ok(Some(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let types = [DataType::Int4, DataType::Text, DataType::Float8];
        let rows = vec![
            vec![Value::Int4(1), Value::Text("a\tb".into()), Value::Float8(1.5)],
            vec![Value::Int4(-7), Value::Null, Value::Null],
        ];
        let mut data = header();
        for r in &rows {
            data.extend(encode_row(r, &types).unwrap());
        }
        data.extend(trailer());
        assert_eq!(decode(&data, &types).unwrap(), rows);
    }

    #[test]
    fn malformed_streams_are_errors() {
        let types = [DataType::Int4];
        assert!(decode(b"PGCOPY", &types).is_err());
        let mut data = header();
        data.extend(encode_row(&[Value::Int4(1)], &types).unwrap());
        assert!(decode(&data, &types).is_err(), "missing trailer");
        let mut two = header();
        two.extend(
            encode_row(&[Value::Int4(1), Value::Int4(2)], &[DataType::Int4, DataType::Int4])
                .unwrap(),
        );
        two.extend(trailer());
        assert!(decode(&two, &types).is_err(), "field count");
        let mut short = header();
        short.extend_from_slice(&1i16.to_be_bytes());
        short.extend_from_slice(&4i32.to_be_bytes());
        short.extend_from_slice(&[0, 0]);
        assert!(decode(&short, &types).is_err(), "truncated value");
        let mut huge = header();
        huge.extend_from_slice(&1i16.to_be_bytes());
        huge.extend_from_slice(&i32::MAX.to_be_bytes());
        assert!(decode(&huge, &types).is_err(), "oversized length");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(100))]
        /// A binary stream decodes to the same rows whole and in batches of whole parts
        /// however it arrives (the header and tuples cut anywhere).
        #[test]
        fn batches_decode_like_the_whole(
            values in proptest::collection::vec((proptest::option::of(proptest::prelude::any::<i32>()), "[a-z]{0,9}"), 0..20),
            cuts in proptest::collection::vec(0usize..400, 0..10),
        ) {
            let types = [DataType::Int4, DataType::Text];
            let rows: Vec<Vec<Value>> = values
                .iter()
                .map(|(i, t)| vec![i.map_or(Value::Null, Value::Int4), Value::Text(t.clone())])
                .collect();
            let mut data = header();
            for r in &rows {
                data.extend(encode_row(r, &types).unwrap());
            }
            data.extend(trailer());
            let mut cuts = cuts;
            cuts.sort_unstable();
            // As the server does: the splitter cuts whole parts, the decoder takes them all.
            let mut d = BinaryDecoder::default();
            let (mut got, mut pending, mut at) = (Vec::new(), Vec::new(), 0);
            let mut header_done = false;
            for cut in cuts {
                let cut = cut.clamp(at, data.len());
                pending.extend_from_slice(&data[at..cut]);
                at = cut;
                let whole = whole_parts_end(&pending, 0, &mut header_done);
                let (batch, took) = d.decode(&pending[..whole], &types, false).unwrap();
                proptest::prop_assert_eq!(took, whole);
                got.extend(batch);
                pending.drain(..took);
            }
            pending.extend_from_slice(&data[at..]);
            let (batch, _) = d.decode(&pending, &types, true).unwrap();
            got.extend(batch);
            proptest::prop_assert!(d.ended());
            proptest::prop_assert_eq!(got, rows);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Any bytes, however they arrive: the splitter never panics or cuts past the data,
        /// and the decoder gives rows or an error.
        #[test]
        fn damaged_streams_never_panic(
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            with_header in proptest::prelude::any::<bool>(),
            cuts in proptest::collection::vec(0usize..400, 0..6),
        ) {
            let types = [DataType::Int4, DataType::Text];
            let mut data = if with_header { header() } else { Vec::new() };
            data.extend(tail);
            let mut cuts = cuts;
            cuts.sort_unstable();
            let (mut d, mut header_done, mut from) = (BinaryDecoder::default(), false, 0);
            for cut in cuts.into_iter().chain([data.len()]) {
                let cut = cut.clamp(from, data.len());
                let whole = whole_parts_end(&data[..cut], from, &mut header_done);
                proptest::prop_assert!(whole >= from && whole <= cut);
                if d.decode(&data[from..whole], &types, false).is_err() {
                    return Ok(());
                }
                from = whole;
            }
            let _ = d.decode(&data[from..], &types, true);
        }
    }
}
