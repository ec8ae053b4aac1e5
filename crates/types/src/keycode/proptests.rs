//! Property tests of the key encoding: byte order equals PostgreSQL order, and decode
//! inverts encode (up to PostgreSQL equality), for every indexable type and for
//! composite keys with mixed directions and NULL placement.

use std::cmp::Ordering;
use std::sync::Arc;

use bigdecimal::BigDecimal;
use proptest::prelude::*;
use serde_json::Value as Json;

use super::{decode_key, encode_key, KeyColumn};
use crate::text::numeric::parse_numeric;
use crate::value::Array;
use crate::{DataType, Interval, Numeric, Value};

fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        (-1000i64..1000, 0i64..3).prop_map(|(i, s)| {
            let n = crate::text::numeric::format_decimal(&BigDecimal::new(i.into(), s));
            Json::Number(n.parse().expect("valid number"))
        }),
        "[ab]{0,3}".prop_map(Json::String),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Json::Array),
            proptest::collection::btree_map("[ab]{0,2}", inner, 0..3)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_numeric() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (any::<i64>(), 0i64..12).prop_map(|(i, s)| Numeric::finite(BigDecimal::new(i.into(), s))),
        2 => ("-?[0-9]{1,30}", 0i64..40).prop_map(|(d, s)| Numeric::finite(BigDecimal::new(d.parse().expect("digits"), s))),
        1 => (-3i64..3, 0i64..3).prop_map(|(i, s)| Numeric::finite(BigDecimal::new(i.into(), s))),
        1 => Just(Numeric::NaN),
        1 => Just(Numeric::PosInf),
        1 => Just(Numeric::NegInf),
    ]
    .prop_map(Value::Numeric)
}

fn small_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(0xFF), any::<u8>()], 0..5)
}

/// The types under test with a strategy producing non-NULL values of each.
fn typed_values() -> Vec<(DataType, BoxedStrategy<Value>)> {
    vec![
        (DataType::Bool, any::<bool>().prop_map(Value::Bool).boxed()),
        (DataType::Int2, any::<i16>().prop_map(Value::Int2).boxed()),
        (DataType::Int4, any::<i32>().prop_map(Value::Int4).boxed()),
        (DataType::Int8, any::<i64>().prop_map(Value::Int8).boxed()),
        (DataType::Float4, any::<f32>().prop_map(Value::Float4).boxed()),
        (
            DataType::Float8,
            prop_oneof![any::<f64>(), Just(-0.0), Just(0.0), Just(f64::NAN)]
                .prop_map(Value::Float8)
                .boxed(),
        ),
        (DataType::Numeric(None), arb_numeric().boxed()),
        (
            DataType::Text,
            prop_oneof![any::<String>(), "[a\u{0}\u{1}é]{0,4}"].prop_map(Value::Text).boxed(),
        ),
        (DataType::Char(Some(3)), "[ a]{0,3}".prop_map(Value::Text).boxed()),
        (DataType::Bytea, small_bytes().prop_map(Value::Bytea).boxed()),
        (DataType::Date, prop_oneof![any::<i32>(), -3i32..3].prop_map(Value::Date).boxed()),
        (DataType::Time, (0i64..=86_400_000_000).prop_map(Value::Time).boxed()),
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
            prop_oneof![
                (any::<i32>(), any::<i32>(), any::<i64>()),
                (-2i32..2, -40i32..40, -3i64..3),
            ]
            .prop_map(|(months, days, micros)| Value::Interval(Interval { months, days, micros }))
            .boxed(),
        ),
        (DataType::Uuid, any::<[u8; 16]>().prop_map(Value::Uuid).boxed()),
        (DataType::Inet, arb_inet().prop_map(Value::Inet).boxed()),
        (DataType::Cidr, arb_inet().prop_map(|a| Value::Cidr(a.network())).boxed()),
        (
            DataType::MacAddr,
            any::<[u8; 6]>().prop_map(|m| Value::MacAddr(crate::MacAddr(m))).boxed(),
        ),
        (DataType::Jsonb, arb_json().prop_map(|j| Value::Jsonb(Arc::new(j))).boxed()),
        (
            DataType::Array(Box::new(DataType::Int4)),
            proptest::collection::vec(proptest::option::of(-2i32..2), 0..4)
                .prop_map(|v| {
                    let elements =
                        v.into_iter().map(|x| x.map_or(Value::Null, Value::Int4)).collect();
                    Value::Array(Arc::new(Array::new(DataType::Int4, elements)))
                })
                .boxed(),
        ),
        (
            DataType::Array(Box::new(DataType::Numeric(None))),
            proptest::collection::vec(proptest::option::of(arb_numeric()), 0..3)
                .prop_map(|v| {
                    let elements = v.into_iter().map(|x| x.unwrap_or(Value::Null)).collect();
                    Value::Array(Arc::new(Array::new(DataType::Numeric(None), elements)))
                })
                .boxed(),
        ),
        (
            DataType::Array(Box::new(DataType::Interval)),
            proptest::collection::vec(proptest::option::of((-2i32..2, -40i32..40, -3i64..3)), 0..3)
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
            proptest::collection::vec(proptest::option::of("[a\u{0}]{0,2}"), 0..3)
                .prop_map(|v| {
                    let elements =
                        v.into_iter().map(|x| x.map_or(Value::Null, Value::Text)).collect();
                    Value::Array(Arc::new(Array::new(DataType::Text, elements)))
                })
                .boxed(),
        ),
    ]
}

/// An `inet` of either family, with few distinct bytes and masks so that equal
/// networks with different masks and hosts meet often.
pub(crate) fn arb_inet() -> BoxedStrategy<crate::Inet> {
    use crate::net::Family;
    let byte = || prop_oneof![Just(0u8), Just(10), Just(0x80), Just(0xff), any::<u8>()];
    prop_oneof![
        (proptest::collection::vec(byte(), 4), 0u8..=32).prop_map(|(a, bits)| crate::Inet::new(
            Family::V4,
            bits,
            &a
        )
        .expect("fits")),
        (proptest::collection::vec(byte(), 16), prop_oneof![0u8..=128, Just(128)])
            .prop_map(|(a, bits)| crate::Inet::new(Family::V6, bits, &a).expect("fits")),
    ]
    .boxed()
}

/// A value of the column type, NULL one time in eight.
fn nullable(s: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![1 => Just(Value::Null), 7 => s].boxed()
}

/// PostgreSQL's comparison under the column's options (char(n) ignores trailing spaces).
fn expected_cmp(a: &Value, b: &Value, c: &KeyColumn) -> Ordering {
    let norm = |v: &Value| match (v, &c.data_type) {
        (Value::Text(s), DataType::Char(_)) => Value::Text(s.trim_end_matches(' ').to_string()),
        _ => v.clone(),
    };
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if c.nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if c.nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let o = norm(a).pg_cmp(&norm(b)).expect("same-type values compare");
            if c.descending {
                o.reverse()
            } else {
                o
            }
        }
    }
}

fn same(decoded: &Value, original: &Value, c: &KeyColumn) -> bool {
    expected_cmp(decoded, original, c) == Ordering::Equal
}

fn arb_column() -> impl Strategy<Value = (KeyColumn, BoxedStrategy<Value>)> {
    (0..typed_values().len(), any::<bool>(), any::<bool>()).prop_map(|(i, desc, nf)| {
        let (ty, s) = typed_values().swap_remove(i);
        (KeyColumn { data_type: ty, descending: desc, nulls_first: nf }, nullable(s))
    })
}

fn arb_keys() -> impl Strategy<Value = (Vec<KeyColumn>, Vec<Value>, Vec<Value>)> {
    proptest::collection::vec(arb_column(), 1..4).prop_flat_map(|cols| {
        let (specs, strats): (Vec<_>, Vec<_>) = cols.into_iter().unzip();
        (Just(specs), strats.clone(), strats)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn composite_order_and_round_trip((cols, a, b) in arb_keys()) {
        let ka = encode_key(&a, &cols).unwrap();
        let kb = encode_key(&b, &cols).unwrap();
        let want = a.iter().zip(&b).zip(&cols)
            .map(|((x, y), c)| expected_cmp(x, y, c))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal);
        prop_assert_eq!(ka.cmp(&kb), want, "{:?} vs {:?}", a, b);
        let da = decode_key(&ka, &cols).unwrap();
        for ((d, o), c) in da.iter().zip(&a).zip(&cols) {
            prop_assert!(same(d, o, c), "decoded {:?} from {:?}", d, o);
        }
        prop_assert_eq!(encode_key(&da, &cols).unwrap(), ka);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40), i in 0..21usize) {
        let (ty, _) = typed_values().swap_remove(i);
        let _ = decode_key(&bytes, &[KeyColumn::asc(ty.clone()), KeyColumn::desc(ty)]);
    }
}

#[test]
fn every_type_single_column_examples() {
    for (ty, _) in typed_values() {
        let col = [KeyColumn::asc(ty.clone())];
        assert!(encode_key(&[Value::Null], &col).is_ok(), "{ty}");
    }
    let n = |s: &str| Value::Numeric(parse_numeric(s).unwrap());
    let col = [KeyColumn::asc(DataType::Numeric(None))];
    assert_eq!(
        decode_key(&encode_key(&[n("12.340")], &col).unwrap(), &col).unwrap(),
        vec![n("12.34")]
    );
}
