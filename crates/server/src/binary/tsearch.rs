//! Binary format of `tsvector` and `tsquery` (PostgreSQL's `tsvectorsend`/`recv` and
//! `tsquerysend`/`recv`).
//!
//! | type | bytes |
//! |---|---|
//! | tsvector | int4 lexeme count; per lexeme: its bytes, a NUL, uint2 position count, then each position as uint2 `weight << 14 \| pos` (weight 3 = `A` .. 0 = `D`) |
//! | tsquery | int4 item count; items in prefix order, an operator's right operand before its left: int1 type (1 = operand, 2 = operator); an operand is int1 weight mask (8 = `A` .. 1 = `D`), int1 prefix flag, its bytes and a NUL; an operator is int1 code (1 `!`, 2 `&`, 3 `\|`, 4 `<N>`), `<N>` followed by int2 N |

use bytes::{BufMut, BytesMut};
use helios_common::Result;
use helios_types::tsearch::{Lexeme, QueryNode, QueryOperand, TsQuery, TsVector, WordPos, MAX_POS};
use helios_types::{DataType, Value};

use super::{bad_binary, mismatch, Reader};

/// Appends the binary form of a `tsvector` or `tsquery` held as its text.
pub fn encode(value: &Value, ty: &DataType, out: &mut BytesMut) -> Result<()> {
    let Value::Text(s) = value else { return Err(mismatch(value, ty)) };
    if *ty == DataType::TsVector {
        let v = TsVector::parse(s)?;
        out.put_i32(v.lexemes.len() as i32);
        for lx in &v.lexemes {
            out.put_slice(lx.word.as_bytes());
            out.put_u8(0);
            out.put_u16(lx.positions.len() as u16);
            for p in &lx.positions {
                out.put_u16((u16::from(p.weight) << 14) | p.pos);
            }
        }
    } else {
        let q = TsQuery::parse(s)?;
        out.put_i32(q.node_count() as i32);
        if let Some(root) = &q.root {
            put_node(root, out);
        }
    }
    Ok(())
}

fn put_node(n: &QueryNode, out: &mut BytesMut) {
    match n {
        QueryNode::Operand(o) => {
            out.put_u8(1);
            out.put_u8(o.weight);
            out.put_u8(u8::from(o.prefix));
            out.put_slice(o.word.as_bytes());
            out.put_u8(0);
        }
        QueryNode::Not(c) => {
            out.put_slice(&[2, 1]);
            put_node(c, out);
        }
        QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
            out.put_u8(2);
            match n {
                QueryNode::And(..) => out.put_u8(2),
                QueryNode::Or(..) => out.put_u8(3),
                QueryNode::Phrase(_, _, d) => {
                    out.put_u8(4);
                    out.put_i16(*d as i16);
                }
                _ => {}
            }
            put_node(r, out);
            put_node(l, out);
        }
    }
}

/// A NUL-terminated UTF-8 string.
fn cstring(r: &mut Reader<'_>) -> Result<String> {
    let mut bytes = Vec::new();
    loop {
        match r.take(1)?[0] {
            0 => break,
            b => bytes.push(b),
        }
    }
    String::from_utf8(bytes).map_err(|_| bad_binary("invalid UTF-8 in lexeme"))
}

/// Decodes a `tsvector` or `tsquery`, returned as its canonical text.
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value> {
    let mut r = Reader::new(bytes);
    let count = r.i32()?;
    if count < 0 {
        return Err(bad_binary("negative item count"));
    }
    let text = if *ty == DataType::TsVector {
        let mut lexemes = Vec::new();
        for _ in 0..count {
            let word = cstring(&mut r)?;
            if word.is_empty() {
                return Err(bad_binary("empty lexeme"));
            }
            let npos = r.u16()?;
            let mut positions = Vec::with_capacity(usize::from(npos));
            for _ in 0..npos {
                let raw = r.u16()?;
                let pos = raw & 0x3FFF;
                if pos == 0 || pos > MAX_POS {
                    return Err(bad_binary("position out of range"));
                }
                positions.push(WordPos { pos, weight: (raw >> 14) as u8 });
            }
            lexemes.push(Lexeme { word, positions });
        }
        TsVector::from_lexemes(lexemes).to_string()
    } else {
        let mut budget = count as usize;
        let root = if count == 0 { None } else { Some(get_node(&mut r, &mut budget, 0)?) };
        if budget != 0 {
            return Err(bad_binary("tsquery item count does not match its items"));
        }
        TsQuery { root }.to_string()
    };
    if !r.is_empty() {
        return Err(bad_binary("trailing bytes"));
    }
    Ok(Value::Text(text))
}

fn get_node(r: &mut Reader<'_>, budget: &mut usize, depth: usize) -> Result<QueryNode> {
    if *budget == 0 || depth > 1000 {
        return Err(bad_binary("malformed tsquery"));
    }
    *budget -= 1;
    match r.take(1)?[0] {
        1 => {
            let weight = r.take(1)?[0];
            if weight > 15 {
                return Err(bad_binary("invalid tsquery weight"));
            }
            let prefix = r.take(1)?[0] != 0;
            let word = cstring(r)?;
            Ok(QueryNode::Operand(QueryOperand { word, weight, prefix }))
        }
        2 => {
            let op = r.take(1)?[0];
            let dist = if op == 4 { Some(r.i16()?) } else { None };
            if op == 1 {
                return Ok(QueryNode::Not(Box::new(get_node(r, budget, depth + 1)?)));
            }
            let right = Box::new(get_node(r, budget, depth + 1)?);
            let left = Box::new(get_node(r, budget, depth + 1)?);
            Ok(match (op, dist) {
                (2, _) => QueryNode::And(left, right),
                (3, _) => QueryNode::Or(left, right),
                (4, Some(d)) if d >= 0 => QueryNode::Phrase(left, right, d as u16),
                _ => return Err(bad_binary("invalid tsquery operator")),
            })
        }
        _ => Err(bad_binary("invalid tsquery item type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, ty: DataType) -> String {
        let mut out = BytesMut::new();
        encode(&Value::Text(text.into()), &ty, &mut out).unwrap();
        match decode(&out, &ty).unwrap() {
            Value::Text(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn formats_round_trip() {
        assert_eq!(round_trip("'a':1A,3 'b'", DataType::TsVector), "'a':1A,3 'b'");
        let q = "'a' & !'b' | 'c':*B <3> 'd'";
        assert_eq!(round_trip(q, DataType::TsQuery), q);
        assert_eq!(round_trip("", DataType::TsQuery), "");
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(decode(&[0, 0, 0, 1, b'a'], &DataType::TsVector).is_err());
        assert!(decode(&[0, 0, 0, 2, 1, 0, 0, b'a', 0], &DataType::TsQuery).is_err());
        assert!(decode(&[0, 0, 0, 1, 2, 9], &DataType::TsQuery).is_err());
    }
}
