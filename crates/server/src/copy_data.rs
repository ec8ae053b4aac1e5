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
    let mut rows = match opts.format {
        // Binary data never reaches the text decoder (see `copy_binary.rs`).
        CopyFormat::Text | CopyFormat::Binary => decode_text(data, opts)?,
        CopyFormat::Csv => decode_csv(data, opts)?,
    };
    if opts.header && !rows.is_empty() {
        rows.remove(0);
    }
    Ok(rows)
}

fn decode_text(data: &str, opts: &CopyOptions) -> Result<Vec<Fields>> {
    let mut rows = Vec::new();
    if data.is_empty() {
        return Ok(rows);
    }
    let body = data.strip_suffix('\n').unwrap_or(data);
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line == "\\." {
            break;
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
    Ok(rows)
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

fn decode_csv(data: &str, opts: &CopyOptions) -> Result<Vec<Fields>> {
    let mut rows = Vec::new();
    let chars: Vec<char> = data.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // `\.` alone on a line ends the data.
        if chars[i] == '\\'
            && chars.get(i + 1) == Some(&'.')
            && matches!(chars.get(i + 2), None | Some('\n' | '\r'))
        {
            break;
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
                        if q == opts.escape && chars.get(i + 1) == Some(&opts.quote) {
                            value.push(opts.quote);
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
    Ok(rows)
}

/// Encodes one row (text values, `None` for NULL) as a line of COPY output.
pub fn encode_row(fields: &[Option<String>], opts: &CopyOptions, out: &mut String) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(opts.delimiter);
        }
        match (f, opts.format) {
            (None, _) => out.push_str(&opts.null),
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
    }
}
