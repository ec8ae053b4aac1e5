//! Row format tests: round trips, single-column decoding, added columns, and random or
//! damaged bytes that must give errors, never panics.

use std::sync::Arc;

use bigdecimal::BigDecimal;
use proptest::prelude::*;

use super::codec::{encode_var, fixed_width, write_fixed};
use super::{
    decode_column, decode_row, decode_row_with_defaults, encode_row, encode_row_into,
    stored_column_count, RowDecoder, RowReader,
};
use crate::value::{Array, ArrayDim};
use crate::{DataType, Interval, Numeric, Value};

/// A row in format 1, as databases written before format 2 hold them: the format byte,
/// a `u16` count, the null bitmap, a fixed-width slot per fixed-size column (zeros when
/// NULL), a `u32` end offset per variable-size column, then the variable-size bytes.
fn encode_row_v1(values: &[Value], types: &[DataType]) -> Vec<u8> {
    let n = values.len();
    let mut head = vec![1u8];
    head.extend_from_slice(&(n as u16).to_le_bytes());
    head.resize(3 + n.div_ceil(8), 0);
    let (mut fixed, mut offsets, mut var) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (v, ty)) in values.iter().zip(types).enumerate() {
        if v.is_null() {
            head[3 + i / 8] |= 1 << (i % 8);
        }
        match fixed_width(ty) {
            Some(w) => {
                let at = fixed.len();
                fixed.resize(at + w, 0);
                if !v.is_null() {
                    write_fixed(&mut fixed[at..], v, ty).unwrap();
                }
            }
            None => {
                if !v.is_null() {
                    encode_var(&mut var, v, ty).unwrap();
                }
                offsets.extend_from_slice(&(var.len() as u32).to_le_bytes());
            }
        }
    }
    [head, fixed, offsets, var].concat()
}

fn typed_values() -> Vec<(DataType, BoxedStrategy<Value>)> {
    vec![
        (DataType::Bool, any::<bool>().prop_map(Value::Bool).boxed()),
        (DataType::Int2, any::<i16>().prop_map(Value::Int2).boxed()),
        (DataType::Int4, any::<i32>().prop_map(Value::Int4).boxed()),
        (DataType::Int8, any::<i64>().prop_map(Value::Int8).boxed()),
        (DataType::Float4, any::<f32>().prop_map(Value::Float4).boxed()),
        (DataType::Float8, any::<f64>().prop_map(Value::Float8).boxed()),
        (
            DataType::Numeric(None),
            prop_oneof![
                (any::<i64>(), -5i64..20)
                    .prop_map(|(i, s)| Numeric::finite(BigDecimal::new(i.into(), s))),
                Just(Numeric::NaN),
                Just(Numeric::NegInf),
            ]
            .prop_map(Value::Numeric)
            .boxed(),
        ),
        (DataType::Text, any::<String>().prop_map(Value::Text).boxed()),
        (DataType::Varchar(Some(5)), "[a-z]{0,5}".prop_map(Value::Text).boxed()),
        (
            DataType::Bytea,
            proptest::collection::vec(any::<u8>(), 0..10).prop_map(Value::Bytea).boxed(),
        ),
        (DataType::Date, any::<i32>().prop_map(Value::Date).boxed()),
        (DataType::Time, (0i64..86_400_000_000).prop_map(Value::Time).boxed()),
        (
            DataType::TimeTz,
            (0i64..=86_400_000_000, -57_599i32..=57_599)
                .prop_map(|(t, o)| Value::TimeTz(crate::TimeTz::new(t, o)))
                .boxed(),
        ),
        (DataType::Timestamp, any::<i64>().prop_map(Value::Timestamp).boxed()),
        (DataType::TimestampTz, any::<i64>().prop_map(Value::TimestampTz).boxed()),
        (
            DataType::Interval,
            (any::<i32>(), any::<i32>(), any::<i64>())
                .prop_map(|(months, days, micros)| {
                    Value::Interval(Interval { months, days, micros })
                })
                .boxed(),
        ),
        (DataType::Uuid, any::<[u8; 16]>().prop_map(Value::Uuid).boxed()),
        (DataType::Inet, crate::keycode::proptests::arb_inet().prop_map(Value::Inet).boxed()),
        (
            DataType::MacAddr,
            any::<[u8; 6]>().prop_map(|m| Value::MacAddr(crate::MacAddr(m))).boxed(),
        ),
        (DataType::Json, Just(Value::Json("{\"b\": 1, \"a\":[1.50]}".into())).boxed()),
        (
            DataType::Jsonb,
            Just(
                Value::parse_pg_text("{\"b\": 1, \"a\":[1.50, null, \"x\"]}", &DataType::Jsonb)
                    .expect("valid jsonb"),
            )
            .boxed(),
        ),
        (
            DataType::Vector(None),
            proptest::collection::vec(-1e6f32..1e6, 1..5)
                .prop_map(|v| Value::Vector(v.into()))
                .boxed(),
        ),
        (
            DataType::Array(Box::new(DataType::Int8)),
            (
                proptest::collection::vec(proptest::option::of(any::<i64>()), 0..10),
                -2i32..3,
                any::<bool>(),
            )
                .prop_map(|(v, lower, two_d)| {
                    let elements: Vec<Value> =
                        v.into_iter().map(|x| x.map_or(Value::Null, Value::Int8)).collect();
                    // Some arrays get a shape: a lower bound other than 1, two dimensions.
                    let n = elements.len() as i32;
                    let dims = if two_d && n % 2 == 0 {
                        vec![ArrayDim { lower, len: 2 }, ArrayDim { lower: 1, len: n / 2 }]
                    } else {
                        vec![ArrayDim { lower, len: n }]
                    };
                    let a = Array::with_dims(DataType::Int8, elements, &dims)
                        .expect("the shape holds every element");
                    Value::Array(Arc::new(a))
                })
                .boxed(),
        ),
        (
            DataType::Array(Box::new(DataType::Numeric(None))),
            proptest::collection::vec(proptest::option::of((any::<i64>(), 0i64..10)), 0..6)
                .prop_map(|v| {
                    let elements = v
                        .into_iter()
                        .map(|x| {
                            x.map_or(Value::Null, |(i, s)| {
                                Value::Numeric(Numeric::finite(BigDecimal::new(i.into(), s)))
                            })
                        })
                        .collect();
                    Value::Array(Arc::new(Array::new(DataType::Numeric(None), elements)))
                })
                .boxed(),
        ),
        (
            DataType::Array(Box::new(DataType::Interval)),
            proptest::collection::vec(
                proptest::option::of((any::<i32>(), any::<i32>(), any::<i64>())),
                0..4,
            )
            .prop_map(|v| {
                let elements = v
                    .into_iter()
                    .map(|x| {
                        x.map_or(Value::Null, |(months, days, micros)| {
                            Value::Interval(Interval { months, days, micros })
                        })
                    })
                    .collect();
                Value::Array(Arc::new(Array::new(DataType::Interval, elements)))
            })
            .boxed(),
        ),
        (
            DataType::Array(Box::new(DataType::Text)),
            proptest::collection::vec(proptest::option::of("[a-z ]{0,3}"), 0..10)
                .prop_map(|v| {
                    let elements =
                        v.into_iter().map(|x| x.map_or(Value::Null, Value::Text)).collect();
                    Value::Array(Arc::new(Array::new(DataType::Text, elements)))
                })
                .boxed(),
        ),
    ]
}

/// Equality that treats NaN as equal to itself and compares bit patterns of floats.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float4(x), Value::Float4(y)) => x.to_bits() == y.to_bits(),
        (Value::Float8(x), Value::Float8(y)) => x.to_bits() == y.to_bits(),
        (Value::Numeric(Numeric::Finite(x)), Value::Numeric(Numeric::Finite(y))) => {
            x.as_bigint_and_exponent() == y.as_bigint_and_exponent()
        }
        _ => a == b,
    }
}

fn arb_row() -> impl Strategy<Value = (Vec<DataType>, Vec<Value>)> {
    proptest::collection::vec((0..typed_values().len(), any::<bool>()), 0..12).prop_flat_map(
        |picks| {
            let mut types = Vec::new();
            let mut strats = Vec::new();
            for (i, null) in picks {
                let (ty, s) = typed_values().swap_remove(i);
                types.push(ty);
                strats.push(if null { Just(Value::Null).boxed() } else { s });
            }
            (Just(types), strats)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn varints_of_every_length_round_trip(shift in 0u32..64, low in any::<u64>()) {
        // Values spread over every varint length, with a truncated copy of each.
        let v = low >> shift;
        let mut buf = vec![0xFF];
        super::codec::write_varint(&mut buf, v);
        let mut at = 1;
        prop_assert_eq!(super::layout::read_varint(&buf, &mut at).unwrap(), v);
        prop_assert_eq!(at, buf.len());
        let mut at = 1;
        prop_assert!(super::layout::read_varint(&buf[..buf.len() - 1], &mut at).is_err());
    }

    #[test]
    fn round_trips_and_reads_single_columns((types, values) in arb_row()) {
        let bytes = encode_row(&values, &types).unwrap();
        let back = decode_row(&bytes, &types).unwrap();
        prop_assert_eq!(back.len(), values.len());
        for (i, (b, v)) in back.iter().zip(&values).enumerate() {
            prop_assert!(same(b, v), "column {}: {:?} != {:?}", i, b, v);
            let one = decode_column(&bytes, &types, i).unwrap();
            prop_assert!(same(&one, v));
        }
        prop_assert_eq!(stored_column_count(&bytes).unwrap(), values.len());
        let reader = RowReader::new(&bytes, &types).unwrap();
        for (i, v) in values.iter().enumerate().rev() {
            prop_assert_eq!(reader.is_null(i), v.is_null());
            prop_assert!(same(&reader.column(i).unwrap(), v));
        }
    }

    #[test]
    fn format_1_rows_still_read((types, values) in arb_row(), mask in proptest::collection::vec(any::<bool>(), 12)) {
        let bytes = encode_row_v1(&values, &types);
        let back = decode_row(&bytes, &types).unwrap();
        let decoder = RowDecoder::new(&types);
        let all = decoder.decode(&bytes).unwrap();
        let mut some = Vec::new();
        decoder.decode_into(&bytes, Some(&mask[..types.len()]), &mut some).unwrap();
        for (i, v) in values.iter().enumerate() {
            prop_assert!(same(&back[i], v));
            prop_assert!(same(&all[i], v));
            prop_assert!(same(&decode_column(&bytes, &types, i).unwrap(), v));
            let ok = if mask[i] { same(&some[i], v) } else { some[i].is_null() };
            prop_assert!(ok, "column {}", i);
        }
        let mut wider = types.clone();
        wider.push(DataType::Int8);
        prop_assert_eq!(RowDecoder::new(&wider).decode(&bytes).unwrap().pop(), Some(Value::Null));
    }

    #[test]
    fn encoding_into_a_used_buffer_gives_the_same_bytes(
        (types, values) in arb_row(),
        (types2, values2) in arb_row(),
    ) {
        let mut buf = Vec::new();
        encode_row_into(&mut buf, &values2, &types2).unwrap();
        encode_row_into(&mut buf, &values, &types).unwrap();
        prop_assert_eq!(buf, encode_row(&values, &types).unwrap());
    }

    #[test]
    fn added_columns_read_as_default((types, values) in arb_row()) {
        let bytes = encode_row(&values, &types).unwrap();
        let mut wider = types.clone();
        wider.push(DataType::Int4);
        wider.push(DataType::Text);
        let back = decode_row(&bytes, &wider).unwrap();
        prop_assert_eq!(&back[values.len()..], &[Value::Null, Value::Null][..]);
        prop_assert_eq!(decode_column(&bytes, &wider, values.len()).unwrap(), Value::Null);
        let mut defaults = vec![Value::Null; values.len()];
        defaults.push(Value::Int4(7));
        let back = decode_row_with_defaults(&bytes, &wider, &defaults).unwrap();
        prop_assert_eq!(&back[values.len()..], &[Value::Int4(7), Value::Null][..]);
    }

    #[test]
    fn decoder_matches_decode_row((types, values) in arb_row(), mask in proptest::collection::vec(any::<bool>(), 12)) {
        let bytes = encode_row(&values, &types).unwrap();
        let decoder = RowDecoder::new(&types);
        let all = decoder.decode(&bytes).unwrap();
        prop_assert_eq!(all.len(), values.len());
        for (a, v) in all.iter().zip(&values) {
            prop_assert!(same(a, v));
        }
        // Masked: unneeded columns are NULL, needed ones decoded; the buffer is reused.
        let mut out = vec![Value::Int4(1); 3];
        decoder.decode_into(&bytes, Some(&mask[..types.len()]), &mut out).unwrap();
        prop_assert_eq!(out.len(), values.len());
        for (i, (o, v)) in out.iter().zip(&values).enumerate() {
            if mask[i] {
                prop_assert!(same(o, v));
            } else {
                prop_assert_eq!(o, &Value::Null);
            }
        }
        // Decoded again in place (the vector now has the row's width): every column.
        decoder.decode_into(&bytes, None, &mut out).unwrap();
        prop_assert_eq!(out.len(), values.len());
        for (o, v) in out.iter().zip(&values) {
            prop_assert!(same(o, v));
        }
        // Raw column bytes: absent exactly for NULLs; a vector's are its LE floats.
        for (i, v) in values.iter().enumerate() {
            let raw = decoder.column_bytes(&bytes, i).unwrap();
            prop_assert_eq!(raw.is_none(), v.is_null());
            if let (Some(raw), Value::Vector(x)) = (raw, v) {
                let le: Vec<u8> = x.iter().flat_map(|f| f.to_le_bytes()).collect();
                prop_assert_eq!(raw, &le[..]);
            }
        }
        prop_assert!(decoder.column_bytes(&bytes, values.len()).is_err());
        // A row stored before two columns were added.
        let mut wider = types.clone();
        wider.push(DataType::Int4);
        wider.push(DataType::Text);
        let back = RowDecoder::new(&wider).decode(&bytes).unwrap();
        prop_assert_eq!(&back[values.len()..], &[Value::Null, Value::Null][..]);
        prop_assert_eq!(RowDecoder::new(&wider).column_bytes(&bytes, values.len()).unwrap(), None);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), (types, _) in arb_row()) {
        let mut b = bytes;
        if let Some(first) = b.first_mut() {
            *first = 1 + *first % 2;
        }
        if let Ok(rows) = decode_row(&b, &types) {
            prop_assert_eq!(rows.len(), types.len());
        }
        for i in 0..types.len() {
            let _ = decode_column(&b, &types, i);
        }
    }

    #[test]
    fn damaged_rows_never_panic((types, values) in arb_row(), at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
        let mut bytes = encode_row(&values, &types).unwrap();
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] = byte;
            bytes.truncate(bytes.len() - cut % (bytes.len() / 2 + 1));
        }
        let _ = decode_row(&bytes, &types);
        let decoder = RowDecoder::new(&types);
        let _ = decoder.decode(&bytes);
        let mut out = Vec::new();
        let mask: Vec<bool> = (0..types.len()).map(|i| i % 2 == 0).collect();
        let _ = decoder.decode_into(&bytes, Some(&mask), &mut out);
        for i in 0..types.len() {
            let _ = decode_column(&bytes, &types, i);
            let _ = decoder.column_bytes(&bytes, i);
        }
    }
}

#[test]
fn layout_is_as_documented() {
    let types = [DataType::Int4, DataType::Text, DataType::Bool, DataType::Text, DataType::Int8];
    let values = [
        Value::Int4(258),
        Value::Text("ab".into()),
        Value::Null,
        Value::Text("c".repeat(130)),
        Value::Int8(-3),
    ];
    let bytes = encode_row(&values, &types).unwrap();
    #[rustfmt::skip]
    let want = [
        &[
            2, 5,               // format 2, 5 columns
            0b0000_0100,        // column 2 is NULL
            0x84, 0x04,         // int4 258: zigzag 516 as a varint
            2, b'a', b'b',      // text: length 2, bytes
            0x82, 0x01,         // text: length 130 ...
        ][..],
        &[b'c'; 130],           // ... its bytes
        &[5],                   // int8 -3: zigzag 5
    ].concat();
    assert_eq!(bytes, want);
    // The same row in format 1 (how older databases store it) reads back the same.
    let v1 = encode_row_v1(&values[..4], &types[..4]);
    #[rustfmt::skip]
    let head = [
        1, 4, 0,            // format 1, 4 columns
        0b0000_0100,        // column 2 is NULL
        2, 1, 0, 0,         // int4 258 LE
        0,                  // bool slot (NULL, zeroed)
        2, 0, 0, 0,         // text #0 ends at 2
        132, 0, 0, 0,       // text #1 ends at 132
        b'a', b'b',
    ];
    assert_eq!(&v1[..head.len()], &head);
    assert_eq!(decode_row(&v1, &types[..4]).unwrap(), values[..4].to_vec());
}

#[test]
fn long_values_get_longer_length_prefixes() {
    // A vector's bytes are encoded after their length is set aside: 40 floats (160
    // bytes) need a two-byte length, 5,000 (20,000 bytes) three.
    for (n, prefix) in [(40usize, &[0xA0, 0x01][..]), (5_000, &[0xA0, 0x9C, 0x01][..])] {
        let v = Value::Vector((0..n).map(|i| i as f32).collect::<Vec<f32>>().into());
        let types = [DataType::Vector(None), DataType::Int4];
        let values = [v, Value::Int4(-1)];
        let bytes = encode_row(&values, &types).unwrap();
        assert_eq!(&bytes[3..3 + prefix.len()], prefix, "{n} floats");
        assert_eq!(bytes.len(), 3 + prefix.len() + 4 * n + 1);
        assert_eq!(decode_row(&bytes, &types).unwrap(), values.to_vec());
    }
}

#[test]
fn integers_take_few_bytes_and_keep_their_range() {
    for (ty, v, len) in [
        (DataType::Int8, Value::Int8(0), 1),
        (DataType::Int8, Value::Int8(-64), 1),
        (DataType::Int8, Value::Int8(64), 2),
        (DataType::Int8, Value::Int8(i64::MAX), 10),
        (DataType::Int8, Value::Int8(i64::MIN), 10),
        (DataType::Int4, Value::Int4(i32::MIN), 5),
        (DataType::Int2, Value::Int2(i16::MAX), 3),
    ] {
        let bytes = encode_row(std::slice::from_ref(&v), std::slice::from_ref(&ty)).unwrap();
        assert_eq!(bytes.len(), 3 + len, "{v:?}");
        assert_eq!(decode_row(&bytes, std::slice::from_ref(&ty)).unwrap(), vec![v.clone()]);
        assert_eq!(RowDecoder::new(&[ty]).decode(&bytes).unwrap(), vec![v]);
    }
    // A stored integer too large for its column (damage) is an error, not a wrapped value.
    let big = encode_row(&[Value::Int8(1 << 40)], &[DataType::Int8]).unwrap();
    for ty in [DataType::Int4, DataType::Int2] {
        let e = decode_row(&big, std::slice::from_ref(&ty)).unwrap_err();
        assert_eq!(e.sqlstate().code(), "XX001");
        let e = RowDecoder::new(&[ty]).decode(&big).unwrap_err();
        assert_eq!(e.sqlstate().code(), "XX001");
    }
    // Writing a value outside the column's range fails as format 1 did.
    let e = encode_row(&[Value::Int8(1 << 40)], &[DataType::Int4]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42804");
}

#[test]
fn errors_are_data_corrupted() {
    let types = [DataType::Int4];
    for bad in [
        &[][..],
        &[3, 1, 0, 0, 0, 0, 0, 0][..],
        &[1, 2, 0, 0, 0, 0, 0, 0][..],
        &[1, 1, 0, 0, 0][..],
        &[2][..],
        &[2, 1, 0][..],
        &[2, 1, 0, 0x80][..],
        &[2, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F][..],
        &[2, 1, 0, 2, 0][..],
    ] {
        let e = decode_row(bad, &types).unwrap_err();
        assert_eq!(e.sqlstate().code(), "XX001", "{bad:?}");
    }
    let e = encode_row(&[Value::Text("x".into())], &types).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42804");
    let text = [DataType::Text];
    let e = decode_row(&[1, 1, 0, 0, 2, 0, 0, 0, 0xFF, 0xFE], &text).unwrap_err();
    assert_eq!(e.message(), "invalid row encoding: invalid UTF-8 in text");
    let e = decode_row(&[2, 1, 0, 2, 0xFF, 0xFE], &text).unwrap_err();
    assert_eq!(e.message(), "invalid row encoding: invalid UTF-8 in text");
    let e = decode_row(&[2, 1, 0, 3, b'a'], &text).unwrap_err();
    assert_eq!(e.sqlstate().code(), "XX001");
}
