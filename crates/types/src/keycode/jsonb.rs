//! Order-preserving encoding of `jsonb`, following the order of
//! [`crate::compare::cmp_jsonb`]:
//!
//! ```text
//! 0x00                                  empty array at the top level only (PostgreSQL
//!                                       sorts it below every scalar)
//! 0x01                                  null
//! 0x02 escaped-bytes 0x00 0x01          string
//! 0x03 numeric                          number (numeric key encoding)
//! 0x04 0x00|0x01                        boolean
//! 0x05 count:u32be element*             array
//! 0x06 count:u32be (len:u32be key value)*   object, keys by length then bytes
//! ```

use serde_json::{Map, Number, Value as Json};

use super::encode::encode_bytes;
use super::{decode::decode_bytes, numeric};
use crate::error::{TypeError, TypeResult};
use crate::text::json::sorted_entries;
use crate::text::numeric::{format_numeric, parse_numeric};

fn count(n: usize) -> TypeResult<[u8; 4]> {
    u32::try_from(n)
        .map(u32::to_be_bytes)
        .map_err(|_| TypeError::out_of_range("jsonb value too large for a key"))
}

/// Appends the encoding of a whole (top-level) document.
pub fn encode_top(buf: &mut Vec<u8>, doc: &Json) -> TypeResult<()> {
    match doc {
        Json::Array(items) if items.is_empty() => {
            buf.push(0x00);
            Ok(())
        }
        _ => encode(buf, doc),
    }
}

/// Decodes a whole (top-level) document from the front of `bytes`.
pub fn decode_top(bytes: &[u8]) -> TypeResult<(Json, usize)> {
    match bytes.first() {
        Some(0x00) => Ok((Json::Array(Vec::new()), 1)),
        _ => decode(bytes, 0),
    }
}

/// Appends the encoding of a nested value.
pub fn encode(buf: &mut Vec<u8>, doc: &Json) -> TypeResult<()> {
    match doc {
        Json::Null => buf.push(0x01),
        Json::String(s) => {
            buf.push(0x02);
            encode_bytes(buf, s.as_bytes());
        }
        Json::Number(n) => {
            buf.push(0x03);
            numeric::encode(buf, &parse_numeric(&n.to_string())?)?;
        }
        Json::Bool(b) => {
            buf.push(0x04);
            buf.push(u8::from(*b));
        }
        Json::Array(items) => {
            buf.push(0x05);
            buf.extend_from_slice(&count(items.len())?);
            for item in items {
                encode(buf, item)?;
            }
        }
        Json::Object(map) => {
            buf.push(0x06);
            buf.extend_from_slice(&count(map.len())?);
            for (k, v) in sorted_entries(map) {
                buf.extend_from_slice(&count(k.len())?);
                buf.extend_from_slice(k.as_bytes());
                encode(buf, v)?;
            }
        }
    }
    Ok(())
}

fn bad() -> TypeError {
    TypeError::Corrupted("invalid jsonb key encoding".into())
}

fn read_u32(bytes: &[u8], at: usize) -> TypeResult<usize> {
    let b: [u8; 4] = bytes.get(at..at + 4).and_then(|s| s.try_into().ok()).ok_or_else(bad)?;
    Ok(u32::from_be_bytes(b) as usize)
}

/// Decodes a document from the front of `bytes`; returns it and the bytes consumed.
pub fn decode(bytes: &[u8], depth: usize) -> TypeResult<(Json, usize)> {
    if depth > 256 {
        return Err(bad());
    }
    let tag = *bytes.first().ok_or_else(bad)?;
    let rest = &bytes[1..];
    Ok(match tag {
        0x01 => (Json::Null, 1),
        0x02 => {
            let (raw, used) = decode_bytes(rest)?;
            (Json::String(String::from_utf8(raw).map_err(|_| bad())?), 1 + used)
        }
        0x03 => {
            let (n, used) = numeric::decode(rest)?;
            let num: Number = format_numeric(&n).parse().map_err(|_| bad())?;
            (Json::Number(num), 1 + used)
        }
        0x04 => match rest.first() {
            Some(0) => (Json::Bool(false), 2),
            Some(1) => (Json::Bool(true), 2),
            _ => return Err(bad()),
        },
        0x05 => {
            let n = read_u32(rest, 0)?;
            let mut at = 4;
            let mut items = Vec::new();
            for _ in 0..n {
                let (item, used) = decode(rest.get(at..).ok_or_else(bad)?, depth + 1)?;
                items.push(item);
                at += used;
            }
            (Json::Array(items), 1 + at)
        }
        0x06 => {
            let n = read_u32(rest, 0)?;
            let mut at = 4;
            let mut map = Map::new();
            for _ in 0..n {
                let len = read_u32(rest, at)?;
                at += 4;
                let key = rest.get(at..at.checked_add(len).ok_or_else(bad)?).ok_or_else(bad)?;
                let key = String::from_utf8(key.to_vec()).map_err(|_| bad())?;
                at += len;
                let (v, used) = decode(rest.get(at..).ok_or_else(bad)?, depth + 1)?;
                at += used;
                map.insert(key, v);
            }
            (Json::Object(map), 1 + at)
        }
        _ => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::json::parse_jsonb;

    fn enc(s: &str) -> Vec<u8> {
        let mut b = Vec::new();
        encode_top(&mut b, &parse_jsonb(s).unwrap()).unwrap();
        b
    }

    #[test]
    fn orders_like_cmp_jsonb_and_round_trips() {
        let order = [
            "[]",
            "null",
            "\"\"",
            "\"a\"",
            "\"b\"",
            "-1",
            "1",
            "1.5",
            "false",
            "true",
            "[9]",
            "[1,2]",
            "{}",
            "{\"b\":1}",
            "{\"a\":1,\"b\":1}",
            "{\"aa\":1,\"b\":1}",
        ];
        for w in order.windows(2) {
            assert!(enc(w[0]) < enc(w[1]), "{w:?}");
        }
        assert_eq!(enc("1.0"), enc("1"));
        let mut nested = Vec::new();
        encode(&mut nested, &parse_jsonb("[]").unwrap()).unwrap();
        assert!(nested > enc("true"), "a nested empty array sorts as an array");
        for s in order {
            let (doc, used) = decode_top(&enc(s)).unwrap();
            assert_eq!(used, enc(s).len());
            assert_eq!(doc, parse_jsonb(s).unwrap(), "{s}");
        }
        assert!(decode(&[0x05, 0, 0, 0, 9], 0).is_err());
    }
}
