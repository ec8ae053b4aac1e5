//! The text and CSV data formats of `COPY`: decoding client data into fields and encoding
//! rows for `COPY TO STDOUT`.

use helios_common::{Error, Result, SqlState};

use crate::copy_stmt::{CopyFormat, CopyOptions};

/// One decoded input row: `None` is NULL.
pub type Fields = Vec<Option<String>>;

fn bad_copy(msg: impl Into<String>) -> Error {
    Error::new(SqlState::from_code("22P04"), msg)
}

/// Decodes all rows of a COPY FROM STDIN payload (header skipped, `\.` honoured).
pub fn decode_rows(data: &str, opts: &CopyOptions) -> Result<Vec<Fields>> {
    decode_batch(data, opts, opts.header).map(|d| d.rows)
}

/// The rows of one batch of COPY data, and whether it held the end-of-data marker `\.`
/// (everything after the marker is ignored).
#[derive(Debug, PartialEq)]
pub struct Decoded {
    /// The rows before the marker.
    pub rows: Vec<Fields>,
    /// The marker was seen: no later data is read.
    pub ended: bool,
}

/// Decodes whole records of COPY data, skipping the first one when `header` (the batch
/// that starts the data, with `HEADER`).
pub fn decode_batch(data: &str, opts: &CopyOptions, header: bool) -> Result<Decoded> {
    let (mut rows, ended) = match opts.format {
        // Binary data never reaches the text decoder (see `copy_binary.rs`).
        CopyFormat::Text | CopyFormat::Binary => decode_text(data, opts)?,
        CopyFormat::Csv => decode_csv(data, opts)?,
    };
    if header && !rows.is_empty() {
        rows.remove(0);
    }
    Ok(Decoded { rows, ended })
}

/// Finds where the whole records of a COPY stream end while it arrives, so the server
/// can load the data in batches: the records up to what [`RecordSplitter::scan`] returns
/// decode the same on their own as inside the whole stream.
///
/// A text record ends at a newline, except inside a CSV quoted field (which may span
/// lines). The splitter scans each byte once, keeping the quote state between calls. A
/// record ending in a lone carriage return is only found at the end of the data (the
/// whole rest then goes in one batch), as is every record when the CSV quote or escape
/// character is not ASCII. Binary data is cut after its header and after each whole
/// tuple ([`crate::copy_binary::whole_parts_end`]).
#[derive(Debug)]
pub struct RecordSplitter {
    /// `(quote, escape)` bytes for CSV; `None` for text.
    csv: Option<(u8, u8)>,
    /// Binary format: whether the header was passed.
    binary: Option<bool>,
    /// Records can be found (false: wait for the end of the data).
    splittable: bool,
    /// Bytes of the buffer scanned so far.
    scanned: usize,
    /// End of the last whole record found.
    complete: usize,
    in_quote: bool,
}

impl RecordSplitter {
    /// A splitter for data in the format of `opts` (text or CSV).
    pub fn new(opts: &CopyOptions) -> RecordSplitter {
        let ascii = |c: char| u8::try_from(c).ok().filter(u8::is_ascii);
        let (csv, splittable) = match opts.format {
            CopyFormat::Csv => match (ascii(opts.quote), ascii(opts.escape)) {
                (Some(q), Some(e)) => (Some((q, e)), true),
                _ => (None, false),
            },
            CopyFormat::Text | CopyFormat::Binary => (None, true),
        };
        let binary = (opts.format == CopyFormat::Binary).then_some(false);
        RecordSplitter { csv, binary, splittable, scanned: 0, complete: 0, in_quote: false }
    }

    /// Scans the bytes of `buf` not scanned yet (`buf` keeps the bytes seen before, minus
    /// those [`consume`](RecordSplitter::consume)d); returns the end of its whole records.
    pub fn scan(&mut self, buf: &[u8]) -> usize {
        if !self.splittable {
            return 0;
        }
        if let Some(header_done) = &mut self.binary {
            self.complete = crate::copy_binary::whole_parts_end(buf, self.complete, header_done);
            self.scanned = self.complete;
            return self.complete;
        }
        let mut i = self.scanned;
        while i < buf.len() {
            let b = buf[i];
            match self.csv {
                None => {
                    if b == b'\n' {
                        self.complete = i + 1;
                    }
                }
                Some((quote, escape)) if self.in_quote => {
                    if b == escape {
                        // An escaped quote or escape stays inside the field; wait for
                        // the next byte.
                        let Some(&next) = buf.get(i + 1) else { break };
                        if next == quote || next == escape {
                            i += 2;
                            continue;
                        }
                    }
                    if b == quote {
                        self.in_quote = false;
                    }
                }
                Some((quote, _)) => {
                    if b == quote {
                        self.in_quote = true;
                    } else if b == b'\n' {
                        self.complete = i + 1;
                    }
                }
            }
            i += 1;
        }
        self.scanned = i;
        self.complete
    }

    /// The caller took the first `n` bytes (at most the whole records) off its buffer.
    pub fn consume(&mut self, n: usize) {
        self.scanned -= n;
        self.complete -= n;
    }
}

fn decode_text(data: &str, opts: &CopyOptions) -> Result<(Vec<Fields>, bool)> {
    let mut rows = Vec::new();
    if data.is_empty() {
        return Ok((rows, false));
    }
    let body = data.strip_suffix('\n').unwrap_or(data);
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line == "\\." {
            return Ok((rows, true));
        }
        let mut fields = Vec::new();
        for raw in split_unescaped(line, opts.delimiter) {
            if raw == opts.null {
                fields.push(None);
            } else {
                fields.push(Some(unescape_text(raw)?));
            }
        }
        rows.push(fields);
    }
    Ok((rows, false))
}

/// Splits at delimiters that are not preceded by a backslash escape.
fn split_unescaped(line: &str, delim: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == delim {
            out.push(&line[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&line[start..]);
    out
}

fn unescape_text(raw: &str) -> Result<String> {
    if !raw.contains('\\') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\\' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let Some(&c) = chars.get(i + 1) else {
            return Err(bad_copy("end-of-copy marker corrupt"));
        };
        i += 2;
        match c {
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && i < chars.len() && chars[i].is_ascii_hexdigit() {
                    v = v * 16 + chars[i].to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    out.push('x');
                } else {
                    out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                }
            }
            '0'..='7' => {
                let mut v = c.to_digit(8).unwrap_or(0);
                let mut n = 1;
                while n < 3 && i < chars.len() && chars[i].is_digit(8) {
                    v = v * 8 + chars[i].to_digit(8).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn decode_csv(data: &str, opts: &CopyOptions) -> Result<(Vec<Fields>, bool)> {
    let mut rows = Vec::new();
    let chars: Vec<char> = data.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // `\.` alone on a line ends the data.
        if chars[i] == '\\'
            && chars.get(i + 1) == Some(&'.')
            && matches!(chars.get(i + 2), None | Some('\n' | '\r'))
        {
            return Ok((rows, true));
        }
        let mut fields = Vec::new();
        loop {
            let mut value = String::new();
            let mut quoted = false;
            while i < chars.len() {
                let c = chars[i];
                if c == opts.quote {
                    quoted = true;
                    i += 1;
                    loop {
                        let Some(&q) = chars.get(i) else {
                            return Err(bad_copy("unterminated CSV quoted field"));
                        };
                        // The escape character makes a following quote or escape
                        // character literal.
                        let next = chars.get(i + 1).copied();
                        if q == opts.escape && (next == Some(opts.quote) || next == Some(q)) {
                            value.push(chars[i + 1]);
                            i += 2;
                        } else if q == opts.quote {
                            i += 1;
                            break;
                        } else {
                            value.push(q);
                            i += 1;
                        }
                    }
                } else if c == opts.delimiter || c == '\n' || c == '\r' {
                    break;
                } else {
                    value.push(c);
                    i += 1;
                }
            }
            fields.push(if !quoted && value == opts.null { None } else { Some(value) });
            match chars.get(i) {
                Some(c) if *c == opts.delimiter => i += 1,
                Some('\r') => {
                    i += 1;
                    if chars.get(i) == Some(&'\n') {
                        i += 1;
                    }
                    break;
                }
                Some('\n') => {
                    i += 1;
                    break;
                }
                _ => break,
            }
        }
        rows.push(fields);
    }
    Ok((rows, false))
}

/// Whether a text-format value holds a character COPY escapes, scanning bytes when the
/// delimiter is ASCII (the other escaped characters are).
fn needs_escape(v: &str, delimiter: char) -> bool {
    match u8::try_from(delimiter).ok().filter(u8::is_ascii) {
        Some(d) => v.bytes().any(|b| matches!(b, b'\\' | b'\n' | b'\r' | b'\t') || b == d),
        None => v.contains(['\\', '\n', '\r', '\t', delimiter]),
    }
}

/// Encodes one row (text values, `None` for NULL) as a line of COPY output.
pub fn encode_row(fields: &[Option<String>], opts: &CopyOptions, out: &mut String) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(opts.delimiter);
        }
        match (f, opts.format) {
            (None, _) => out.push_str(&opts.null),
            (Some(v), CopyFormat::Text | CopyFormat::Binary)
                if !needs_escape(v, opts.delimiter) =>
            {
                // Nothing to escape (most values): copied whole.
                out.push_str(v);
            }
            (Some(v), CopyFormat::Text | CopyFormat::Binary) => {
                for c in v.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if c == opts.delimiter => {
                            out.push('\\');
                            out.push(c);
                        }
                        c => out.push(c),
                    }
                }
            }
            (Some(v), CopyFormat::Csv) => {
                let needs_quote = *v == opts.null
                    || v.contains(opts.delimiter)
                    || v.contains(opts.quote)
                    || v.contains(['\n', '\r'])
                    || v.starts_with("\\.");
                if needs_quote {
                    out.push(opts.quote);
                    for c in v.chars() {
                        if c == opts.quote || c == opts.escape {
                            out.push(opts.escape);
                        }
                        out.push(c);
                    }
                    out.push(opts.quote);
                } else {
                    out.push_str(v);
                }
            }
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::copy_stmt::parse_copy;

    fn opts(sql: &str) -> CopyOptions {
        parse_copy(sql).unwrap().options
    }

    #[test]
    fn text_round_trip_with_escapes_and_nulls() {
        let o = opts("COPY t FROM STDIN");
        let rows = vec![vec![Some("a\tb\\c\nd".to_owned()), None, Some(String::new())]];
        let mut s = String::new();
        encode_row(&rows[0], &o, &mut s);
        assert_eq!(s, "a\\tb\\\\c\\nd\t\\N\t\n");
        assert_eq!(decode_rows(&s, &o).unwrap(), rows);
        assert_eq!(
            decode_rows("1\tx\n\\.\nignored\n", &o).unwrap(),
            vec![vec![Some("1".into()), Some("x".into())]]
        );
        assert_eq!(decode_rows("\\101\\x42\n", &o).unwrap(), vec![vec![Some("AB".into())]]);
    }

    #[test]
    fn csv_round_trip_with_quotes_header_and_nulls() {
        let o = opts("COPY t FROM STDIN (FORMAT csv, HEADER true)");
        let data = "id,name\n1,\"x, \"\"y\"\"\"\n2,\n3,\"\"\n4,\"multi\nline\"\n";
        let rows = decode_rows(data, &o).unwrap();
        assert_eq!(
            rows,
            vec![
                vec![Some("1".into()), Some("x, \"y\"".into())],
                vec![Some("2".into()), None],
                vec![Some("3".into()), Some(String::new())],
                vec![Some("4".into()), Some("multi\nline".into())],
            ]
        );
        let mut s = String::new();
        for r in &rows {
            encode_row(r, &o, &mut s);
        }
        assert_eq!(s, "1,\"x, \"\"y\"\"\"\n2,\n3,\"\"\n4,\"multi\nline\"\n");
        assert!(decode_rows("1,\"open", &o).is_err());
    }

    #[test]
    fn custom_delimiter_and_null() {
        let o = opts("COPY t FROM STDIN (DELIMITER '|', NULL 'NULL')");
        assert_eq!(
            decode_rows("a|NULL|b\\|c\n", &o).unwrap(),
            vec![vec![Some("a".into()), None, Some("b|c".into())]]
        );
        // On the way out the delimiter inside a value is escaped, a plain value is not.
        let mut s = String::new();
        encode_row(&[Some("a".into()), None, Some("b|c".into()), Some("d,e".into())], &o, &mut s);
        assert_eq!(s, "a|NULL|b\\|c|d,e\n");
    }

    /// Feeds `data` to a splitter in chunks cut at `cuts`, decoding each batch of whole
    /// records as the server does; returns every row and whether the marker ended them.
    fn decode_in_chunks(data: &str, o: &CopyOptions, cuts: &[usize]) -> Decoded {
        let bytes = data.as_bytes();
        let mut splitter = RecordSplitter::new(o);
        let mut pending: Vec<u8> = Vec::new();
        let (mut rows, mut header) = (Vec::new(), o.header);
        let mut take = |batch: &[u8], rows: &mut Vec<Fields>| {
            let text = std::str::from_utf8(batch).expect("batches end at record ends");
            let d = decode_batch(text, o, header && !text.is_empty()).expect("decodes");
            header &= text.is_empty();
            rows.extend(d.rows);
            d.ended
        };
        let mut at = 0;
        for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
            let cut = cut.clamp(at, bytes.len());
            pending.extend_from_slice(&bytes[at..cut]);
            at = cut;
            let n = splitter.scan(&pending);
            if n > 0 {
                let batch: Vec<u8> = pending.drain(..n).collect();
                splitter.consume(n);
                if take(&batch, &mut rows) {
                    return Decoded { rows, ended: true };
                }
            }
        }
        let ended = take(&pending, &mut rows);
        Decoded { rows, ended }
    }

    fn field() -> impl Strategy<Value = Option<String>> {
        prop::option::weighted(0.9, "[a-c,\"\\\\\t\n\r|. ]{0,6}")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Text and csv data decode to the same rows whole and a batch of whole records at
        /// a time, wherever the data is cut on arrival (quoted newlines, escaped quotes,
        /// headers, the end marker).
        #[test]
        fn batches_of_whole_records_decode_like_the_whole(
            rows in prop::collection::vec(prop::collection::vec(field(), 2), 0..12),
            cuts in prop::collection::vec(0usize..200, 0..8),
            format in 0usize..4,
            marker in any::<bool>(),
        ) {
            let sql = [
                "COPY t FROM STDIN",
                "COPY t FROM STDIN (FORMAT csv)",
                "COPY t FROM STDIN (FORMAT csv, HEADER, ESCAPE '\\')",
                "COPY t FROM STDIN (DELIMITER '|', HEADER)",
            ][format];
            let o = opts(sql);
            let mut data = String::new();
            if o.header {
                encode_row(&[Some("a".into()), Some("b".into())], &o, &mut data);
            }
            for r in &rows {
                encode_row(r, &o, &mut data);
            }
            if marker {
                data.push_str("\\.\nignored\tafter\n");
            }
            let mut cuts = cuts;
            cuts.sort_unstable();
            let whole = decode_batch(&data, &o, o.header).unwrap();
            prop_assert_eq!(&whole.rows, &rows);
            prop_assert_eq!(decode_in_chunks(&data, &o, &cuts), whole);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Any bytes (invalid UTF-8, stray quotes and escapes): the splitter never panics or
        /// cuts past the data, and each batch decodes or gives an error.
        #[test]
        fn damaged_text_never_panics(
            data in prop::collection::vec(
                prop::sample::select(vec![b'a', b',', b'"', b'\\', b'\n', b'\r', b'\t', b'.', 0xC3, 0xFF]),
                0..200,
            ),
            cuts in prop::collection::vec(0usize..200, 0..6),
            csv in any::<bool>(),
        ) {
            let o = opts(if csv { "COPY t FROM STDIN (FORMAT csv, ESCAPE '\\')" } else { "COPY t FROM STDIN" });
            let mut splitter = RecordSplitter::new(&o);
            let mut cuts = cuts;
            cuts.sort_unstable();
            let (mut pending, mut at) = (Vec::new(), 0);
            for cut in cuts.into_iter().chain([data.len()]) {
                let cut = cut.clamp(at, data.len());
                pending.extend_from_slice(&data[at..cut]);
                at = cut;
                let n = splitter.scan(&pending);
                prop_assert!(n <= pending.len());
                let batch: Vec<u8> = pending.drain(..n).collect();
                splitter.consume(n);
                if let Ok(text) = std::str::from_utf8(&batch) {
                    let _ = decode_batch(text, &o, false);
                }
            }
            if let Ok(text) = std::str::from_utf8(&pending) {
                let _ = decode_batch(text, &o, false);
            }
        }
    }
}
