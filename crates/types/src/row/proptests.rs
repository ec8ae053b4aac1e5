//! Row format tests: round trips, single-column decoding, added columns, and random or
//! damaged bytes that must give errors, never panics.

use std::sync::Arc;

use bigdecimal::BigDecimal;
use proptest::prelude::*;

use super::{
    decode_column, decode_row, decode_row_with_defaults, encode_row, encode_row_into,
    stored_column_count, RowDecoder, RowReader,
};
use crate::value::{Array, ArrayDim};
use crate::{DataType, Interval, Numeric, Value};

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
            *first = 1;
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
    let types = [DataType::Int4, DataType::Text, DataType::Bool, DataType::Text];
    let values = [Value::Int4(258), Value::Text("ab".into()), Value::Null, Value::Text("c".into())];
    let bytes = encode_row(&values, &types).unwrap();
    #[rustfmt::skip]
    let want = [
        1, 4, 0,            // format 1, 4 columns
        0b0000_0100,        // column 2 is NULL
        2, 1, 0, 0,         // int4 258 LE
        0,                  // bool slot (NULL, zeroed)
        2, 0, 0, 0,         // text #0 ends at 2
        3, 0, 0, 0,         // text #1 ends at 3
        b'a', b'b', b'c',
    ];
    assert_eq!(bytes, want);
}

#[test]
fn errors_are_data_corrupted() {
    let types = [DataType::Int4];
    for bad in [
        &[][..],
        &[2, 1, 0, 0, 0, 0, 0, 0][..],
        &[1, 2, 0, 0, 0, 0, 0, 0][..],
        &[1, 1, 0, 0, 0][..],
    ] {
        let e = decode_row(bad, &types).unwrap_err();
        assert_eq!(e.sqlstate().code(), "XX001", "{bad:?}");
    }
    let e = encode_row(&[Value::Text("x".into())], &types).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42804");
    let text = [DataType::Text];
    let e = decode_row(&[1, 1, 0, 0, 2, 0, 0, 0, 0xFF, 0xFE], &text).unwrap_err();
    assert_eq!(e.message(), "invalid row encoding: invalid UTF-8 in text");
}
