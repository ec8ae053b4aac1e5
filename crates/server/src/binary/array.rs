//! Binary format of arrays (PostgreSQL's `array_send`/`array_recv`).
//!
//! | size | field |
//! |---|---|
//! | 4 | number of dimensions (0 for an empty array, at most 6) |
//! | 4 | flags: 1 when some element is NULL |
//! | 4 | element type OID |
//! | 4, 4 | per dimension: length, lower bound |
//! | … | per element: int4 length (−1 for NULL), then the element's binary form |

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use helios_common::Result;
use helios_types::array::MAX_DIMS;
use helios_types::value::{Array, ArrayDim};
use helios_types::{DataType, Value};

use super::{bad_binary, Reader};

/// Appends the binary form of an array whose elements have type `elem`.
pub fn encode(array: &Array, elem: &DataType, out: &mut BytesMut) -> Result<()> {
    let has_null = array.elements.iter().any(Value::is_null);
    let dims = array.dims();
    out.put_i32(i32::try_from(dims.len()).map_err(|_| bad_binary("too many dimensions"))?);
    out.put_i32(i32::from(has_null));
    out.put_u32(elem.oid());
    for d in dims.iter() {
        out.put_i32(d.len);
        out.put_i32(d.lower);
    }
    for e in &array.elements {
        super::encode_with_length(e, elem, out)?;
    }
    Ok(())
}

/// Decodes a binary array of `elem` values.
pub fn decode(bytes: &[u8], elem: &DataType) -> Result<Value> {
    let mut r = Reader::new(bytes);
    let ndim = r.i32()?;
    let flags = r.i32()?;
    let oid = r.i32()?;
    if flags & !1 != 0 {
        return Err(bad_binary("invalid array flags"));
    }
    if u32::try_from(oid).ok() != Some(elem.oid()) {
        return Err(bad_binary(format!("wrong element type {oid} in array of {elem}")));
    }
    let ndim = usize::try_from(ndim).map_err(|_| bad_binary("invalid number of dimensions"))?;
    if ndim > MAX_DIMS {
        return Err(bad_binary(format!(
            "number of array dimensions ({ndim}) exceeds the maximum allowed ({MAX_DIMS})"
        )));
    }
    let mut dims = Vec::with_capacity(ndim);
    let mut count: usize = usize::from(ndim > 0);
    for _ in 0..ndim {
        let len = r.i32()?;
        let lower = r.i32()?;
        let n = usize::try_from(len).map_err(|_| bad_binary("negative array length"))?;
        count = count.saturating_mul(n);
        dims.push(ArrayDim { lower, len });
    }
    // Every element needs at least its 4-byte length: bound the allocation.
    if count > bytes.len() / 4 {
        return Err(bad_binary("array length exceeds the message"));
    }
    let mut elements = Vec::with_capacity(count);
    for _ in 0..count {
        let n = r.i32()?;
        if n == -1 {
            elements.push(Value::Null);
        } else {
            let n = usize::try_from(n).map_err(|_| bad_binary("negative element length"))?;
            elements.push(super::decode(r.take(n)?, elem)?);
        }
    }
    if !r.is_empty() {
        return Err(bad_binary("trailing bytes after array"));
    }
    let array =
        Array::with_dims(elem.clone(), elements, &dims).map_err(|e| bad_binary(e.to_string()))?;
    Ok(Value::Array(Arc::new(array)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(elem: DataType, elements: Vec<Value>) -> Value {
        Value::Array(Arc::new(Array::new(elem, elements)))
    }

    #[test]
    fn int4_array_with_null() {
        let v = arr(DataType::Int4, vec![Value::Int4(1), Value::Null]);
        let ty = DataType::Array(Box::new(DataType::Int4));
        let mut b = BytesMut::new();
        crate::binary::encode(&v, &ty, &mut b).unwrap();
        assert_eq!(
            b.to_vec(),
            [
                0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0,
                1, 0xff, 0xff, 0xff, 0xff
            ]
        );
        assert_eq!(crate::binary::decode(&b, &ty).unwrap(), v);
    }

    #[test]
    fn empty_and_text_arrays_round_trip() {
        for v in [
            arr(DataType::Text, vec![]),
            arr(DataType::Text, vec![Value::Text("a".into()), Value::Text("".into())]),
        ] {
            let ty = DataType::Array(Box::new(DataType::Text));
            let mut b = BytesMut::new();
            crate::binary::encode(&v, &ty, &mut b).unwrap();
            assert_eq!(crate::binary::decode(&b, &ty).unwrap(), v);
        }
    }

    #[test]
    fn two_dimensional_with_lower_bounds() {
        let dims = [ArrayDim { lower: 0, len: 2 }, ArrayDim { lower: 1, len: 1 }];
        let a =
            Array::with_dims(DataType::Int4, vec![Value::Int4(7), Value::Int4(8)], &dims).unwrap();
        let v = Value::Array(Arc::new(a));
        let ty = DataType::Array(Box::new(DataType::Int4));
        let mut b = BytesMut::new();
        crate::binary::encode(&v, &ty, &mut b).unwrap();
        assert_eq!(
            &b[..28],
            [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]
        );
        assert_eq!(crate::binary::decode(&b, &ty).unwrap(), v);
    }

    #[test]
    fn rejects_lies() {
        // Claims a million elements in 20 bytes.
        let bad = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0x0f, 0x42, 0x40, 0, 0, 0, 1];
        assert!(decode(&bad, &DataType::Int4).is_err());
        // Wrong element OID.
        assert!(decode(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25], &DataType::Int4).is_err());
    }
}
