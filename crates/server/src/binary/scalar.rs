//! Binary format of fixed-width numbers, strings, bytea, uuid, json, jsonb and enums.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use helios_common::Result;
use helios_types::{DataType, Value};

use super::{bad_binary, fixed, mismatch};

/// Appends the binary form of a scalar value.
pub fn encode(value: &Value, ty: &DataType, out: &mut BytesMut) -> Result<()> {
    match value {
        Value::Bool(b) => out.put_u8(u8::from(*b)),
        // Integers may be widened to the column type (a smallint value in a bigint column).
        Value::Int2(v) => put_int(i64::from(*v), ty, out, value)?,
        Value::Int4(v) => put_int(i64::from(*v), ty, out, value)?,
        Value::Int8(v) => put_int(*v, ty, out, value)?,
        Value::Float4(v) => match ty {
            DataType::Float8 => out.put_f64(f64::from(*v)),
            _ => out.put_f32(*v),
        },
        Value::Float8(v) => match ty {
            #[allow(clippy::cast_possible_truncation)]
            DataType::Float4 => out.put_f32(*v as f32),
            _ => out.put_f64(*v),
        },
        Value::Text(s) | Value::Json(s) => {
            // jsonb and jsonpath binary forms are a version byte and the text.
            if matches!(ty, DataType::Jsonb | DataType::JsonPath) {
                out.put_u8(1);
            }
            out.put_slice(s.as_bytes());
        }
        Value::Bytea(b) => out.put_slice(b),
        // An enum's binary form is its label, as PostgreSQL's enum_send.
        Value::Enum(e) => out.put_slice(e.label().as_bytes()),
        Value::Uuid(u) => out.put_slice(u),
        Value::Jsonb(j) => {
            if !matches!(ty, DataType::Json) {
                out.put_u8(1);
            }
            out.put_slice(j.to_string().as_bytes());
        }
        Value::Vector(v) => {
            // pgvector's send format: int2 dim, int2 unused, then float4s.
            let dim = u16::try_from(v.len()).map_err(|_| mismatch(value, ty))?;
            out.put_u16(dim);
            out.put_u16(0);
            for x in v.iter() {
                out.put_f32(*x);
            }
        }
        _ => return Err(mismatch(value, ty)),
    }
    Ok(())
}

fn put_int(v: i64, ty: &DataType, out: &mut BytesMut, value: &Value) -> Result<()> {
    match ty {
        DataType::Int2 => out.put_i16(i16::try_from(v).map_err(|_| mismatch(value, ty))?),
        DataType::Int4 => out.put_i32(i32::try_from(v).map_err(|_| mismatch(value, ty))?),
        DataType::Int8 => out.put_i64(v),
        _ => return Err(mismatch(value, ty)),
    }
    Ok(())
}

fn utf8(bytes: &[u8]) -> Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| bad_binary("invalid UTF-8 in text value"))
}

/// Decodes a scalar value of type `ty`.
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value> {
    Ok(match ty {
        DataType::Bool => match fixed::<1>(bytes, "boolean")?[0] {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            other => return Err(bad_binary(format!("boolean byte {other}"))),
        },
        DataType::Int2 => Value::Int2(i16::from_be_bytes(fixed(bytes, "smallint")?)),
        DataType::Int4 => Value::Int4(i32::from_be_bytes(fixed(bytes, "integer")?)),
        DataType::Int8 => Value::Int8(i64::from_be_bytes(fixed(bytes, "bigint")?)),
        DataType::Float4 => Value::Float4(f32::from_be_bytes(fixed(bytes, "real")?)),
        DataType::Float8 => Value::Float8(f64::from_be_bytes(fixed(bytes, "double precision")?)),
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Unknown => {
            Value::Text(utf8(bytes)?)
        }
        DataType::Bytea => Value::Bytea(bytes.to_vec()),
        DataType::Enum(_) => Value::parse_pg_text(&utf8(bytes)?, ty)?,
        DataType::Uuid => Value::Uuid(fixed(bytes, "uuid")?),
        DataType::Json => {
            let s = utf8(bytes)?;
            serde_json::from_str::<serde_json::Value>(&s)
                .map_err(|e| bad_binary(format!("json: {e}")))?;
            Value::Json(s)
        }
        DataType::Jsonb => {
            let (version, body) = bytes.split_first().ok_or_else(|| bad_binary("empty jsonb"))?;
            if *version != 1 {
                return Err(bad_binary(format!("unsupported jsonb version number {version}")));
            }
            let j = serde_json::from_slice(body).map_err(|e| bad_binary(format!("jsonb: {e}")))?;
            Value::Jsonb(Arc::new(j))
        }
        DataType::JsonPath => {
            let (version, body) =
                bytes.split_first().ok_or_else(|| bad_binary("empty jsonpath"))?;
            if *version != 1 {
                return Err(bad_binary(format!("unsupported jsonpath version number {version}")));
            }
            Value::parse_pg_text(&utf8(body)?, ty)?
        }
        DataType::Vector(_) => {
            let mut r = super::Reader::new(bytes);
            let dim = usize::from(r.u16()?);
            r.u16()?;
            let mut v = Vec::with_capacity(dim.min(65_536));
            for _ in 0..dim {
                v.push(f32::from_be_bytes(fixed(r.take(4)?, "real")?));
            }
            if !r.is_empty() {
                return Err(bad_binary("trailing bytes after vector"));
            }
            Value::Vector(v.into())
        }
        other => return Err(bad_binary(format!("no binary input for type {other}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: Value, ty: DataType) -> Vec<u8> {
        let mut buf = BytesMut::new();
        encode(&v, &ty, &mut buf).unwrap();
        assert_eq!(decode(&buf, &ty).unwrap(), v);
        buf.to_vec()
    }

    #[test]
    fn enums_travel_as_their_labels() {
        let ty = Arc::new(helios_types::EnumType {
            oid: 16_390,
            schema: "public".into(),
            name: "mood".into(),
            labels: vec![
                helios_types::EnumLabel { label: "sad".into(), key: vec![1] },
                helios_types::EnumLabel { label: "ok".into(), key: vec![2] },
            ],
        });
        let v = Value::Enum(helios_types::EnumValue::new(ty.clone(), 1).unwrap());
        assert_eq!(round_trip(v, DataType::Enum(ty.clone())), b"ok");
        assert!(decode(b"nope", &DataType::Enum(ty)).is_err());
    }

    #[test]
    fn numbers_are_big_endian() {
        assert_eq!(round_trip(Value::Bool(true), DataType::Bool), [1]);
        assert_eq!(round_trip(Value::Int2(-2), DataType::Int2), [0xff, 0xfe]);
        assert_eq!(round_trip(Value::Int4(258), DataType::Int4), [0, 0, 1, 2]);
        assert_eq!(round_trip(Value::Int8(1), DataType::Int8), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(round_trip(Value::Float4(1.0), DataType::Float4), [0x3f, 0x80, 0, 0]);
        assert_eq!(round_trip(Value::Float8(-2.0), DataType::Float8), [0xc0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn strings_bytes_uuid_json() {
        assert_eq!(round_trip(Value::Text("hé".into()), DataType::Text), "hé".as_bytes());
        assert_eq!(round_trip(Value::Text("x".into()), DataType::Varchar(Some(3))), b"x");
        assert_eq!(round_trip(Value::Bytea(vec![0, 255]), DataType::Bytea), [0, 255]);
        assert_eq!(round_trip(Value::Uuid([7; 16]), DataType::Uuid), [7; 16]);
        assert_eq!(round_trip(Value::Json("{\"a\":1}".into()), DataType::Json), b"{\"a\":1}");
        let jb = Value::Jsonb(Arc::new(serde_json::json!({"a": [1, 2]})));
        assert_eq!(round_trip(jb, DataType::Jsonb), b"\x01{\"a\":[1,2]}");
        let path = Value::Text("$.\"a\"".into());
        assert_eq!(round_trip(path, DataType::JsonPath), b"\x01$.\"a\"");
        // Binary input is parsed like text input.
        assert!(decode(b"\x01$.a[", &DataType::JsonPath).is_err());
    }

    #[test]
    fn integers_widen_to_the_column_type() {
        let mut buf = BytesMut::new();
        encode(&Value::Int4(5), &DataType::Int8, &mut buf).unwrap();
        assert_eq!(decode(&buf, &DataType::Int8).unwrap(), Value::Int8(5));
    }

    #[test]
    fn malformed_input_is_22p03() {
        for (bytes, ty) in [
            (&[0u8, 1][..], DataType::Int4),
            (&[2u8][..], DataType::Bool),
            (&[0xffu8, 0xfe][..], DataType::Text),
            (&[2u8, b'1'][..], DataType::Jsonb),
            (&[][..], DataType::Jsonb),
            (&[2u8, b'$'][..], DataType::JsonPath),
            (&[1u8; 15][..], DataType::Uuid),
        ] {
            let e = decode(bytes, &ty).unwrap_err();
            assert_eq!(e.sqlstate().code(), "22P03", "{ty}");
        }
    }
}
