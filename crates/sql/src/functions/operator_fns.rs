//! PostgreSQL's functions behind operators and built-in aggregates, under their
//! `pg_proc` names (`int4pl`, `float8pl`, `int4larger`, `textcat`, `int8inc`,
//! `int4_avg_accum`, ...): what user-defined aggregates name as their transition and
//! final functions (`CREATE AGGREGATE s (sfunc = int4pl, stype = int4)`).
//!
//! Only the common ones are here; each does what its operator or aggregate step does.

use std::sync::Arc;

use helios_common::{Error, Result};
use helios_types::{Array, DataType, Value};

use crate::expr::compare::compare;
use crate::expr::{binary_values, BinaryOp};
use crate::functions::registry::{p, ParamType, Registry, ReturnType};

use DataType::{Float4, Float8, Int2, Int4, Int8};

fn num() -> DataType {
    DataType::Numeric(None)
}

fn ret(t: DataType) -> ReturnType {
    ReturnType::Exact(t)
}

/// The numeric types with their `pg_proc` name prefixes.
fn numeric_kinds() -> [(&'static str, DataType); 6] {
    [
        ("int2", Int2),
        ("int4", Int4),
        ("int8", Int8),
        ("float4", Float4),
        ("float8", Float8),
        ("numeric", num()),
    ]
}

/// `name` from a prefix and an operation (`int4` + `pl`), leaked once per signature at
/// registration (the registry keeps `'static` names).
fn static_name(prefix: &str, op: &str) -> &'static str {
    let sep = if prefix == "numeric" { "_" } else { "" };
    Box::leak(format!("{prefix}{sep}{op}").into_boxed_str())
}

/// Registers the functions.
pub(crate) fn register(r: &mut Registry) {
    for (prefix, t) in numeric_kinds() {
        let two = || vec![p(t.clone()), p(t.clone())];
        let (add, sub, mul, div) = if prefix == "numeric" {
            ("add", "sub", "mul", "div")
        } else {
            ("pl", "mi", "mul", "div")
        };
        r.add(static_name(prefix, add), two(), ret(t.clone()), |a, _| {
            binary_values(BinaryOp::Add, &a[0], &a[1])
        });
        r.add(static_name(prefix, sub), two(), ret(t.clone()), |a, _| {
            binary_values(BinaryOp::Sub, &a[0], &a[1])
        });
        r.add(static_name(prefix, mul), two(), ret(t.clone()), |a, _| {
            binary_values(BinaryOp::Mul, &a[0], &a[1])
        });
        r.add(static_name(prefix, div), two(), ret(t.clone()), |a, _| {
            binary_values(BinaryOp::Div, &a[0], &a[1])
        });
        r.add(static_name(prefix, "larger"), two(), ret(t.clone()), |a, _| pick(a, true));
        r.add(static_name(prefix, "smaller"), two(), ret(t.clone()), |a, _| pick(a, false));
        if prefix != "numeric" {
            r.add(static_name(prefix, "um"), vec![p(t.clone())], ret(t.clone()), |a, _| {
                crate::expr::arith::negate(&a[0])
            });
        }
    }
    r.add(
        "text_larger",
        vec![p(DataType::Text), p(DataType::Text)],
        ret(DataType::Text),
        |a, _| pick(a, true),
    );
    r.add(
        "text_smaller",
        vec![p(DataType::Text), p(DataType::Text)],
        ret(DataType::Text),
        |a, _| pick(a, false),
    );
    r.add("textcat", vec![p(DataType::Text), p(DataType::Text)], ret(DataType::Text), |a, _| {
        binary_values(BinaryOp::Concat, &a[0], &a[1])
    });
    r.add("int4inc", vec![p(Int4)], ret(Int4), |a, _| {
        binary_values(BinaryOp::Add, &a[0], &Value::Int4(1))
    });
    r.add("int8inc", vec![p(Int8)], ret(Int8), |a, _| {
        binary_values(BinaryOp::Add, &a[0], &Value::Int8(1))
    });
    r.add("int8inc_any", vec![p(Int8), ParamType::Any], ret(Int8), |a, _| {
        binary_values(BinaryOp::Add, &a[0], &Value::Int8(1))
    });
    for t in [Int2, Int4] {
        let name = if t == Int2 { "int2_sum" } else { "int4_sum" };
        r.add(name, vec![p(Int8), p(t)], ret(Int8), |a, _| widening_sum(a)).lenient();
    }
    for t in [Int2, Int4] {
        let name = if t == Int2 { "int2_avg_accum" } else { "int4_avg_accum" };
        r.add(name, vec![p(int8_array()), p(t)], ret(int8_array()), |a, _| avg_accum(a));
    }
    let arrays = || vec![ParamType::AnyArray, ParamType::AnyArray];
    r.add("array_larger", arrays(), ReturnType::ArrayOfElement, |a, _| pick(a, true));
    r.add("array_smaller", arrays(), ReturnType::ArrayOfElement, |a, _| pick(a, false));
    r.add("int8_avg", vec![p(int8_array())], ret(num()), |a, _| int8_avg(&a[0]));
}

fn int8_array() -> DataType {
    DataType::Array(Box::new(Int8))
}

/// `larger` / `smaller`: the greater (or lesser) of two values.
fn pick(a: &[Value], larger: bool) -> Result<Value> {
    let ord = compare(&a[0], &a[1])?;
    let first = if larger { ord.is_ge() } else { ord.is_le() };
    Ok(if first { a[0].clone() } else { a[1].clone() })
}

/// `int4_sum(bigint, int)`: the running sum of `sum(int)`, NULL until the first value.
fn widening_sum(a: &[Value]) -> Result<Value> {
    let add = crate::expr::cast::cast_value(a[1].clone(), &Int8, false)?;
    match (&a[0], add.is_null()) {
        (_, true) => Ok(a[0].clone()),
        (Value::Null, false) => Ok(add),
        (state, false) => binary_values(BinaryOp::Add, state, &add),
    }
}

/// The `{count, sum}` state of `avg(int)`.
fn avg_state(v: &Value) -> Result<(i64, i64)> {
    let bad =
        || Error::new(helios_common::SqlState::DATA_EXCEPTION, "expected 2-element int8 array");
    let Value::Array(arr) = v else { return Err(bad()) };
    match arr.elements.as_slice() {
        [Value::Int8(n), Value::Int8(s)] => Ok((*n, *s)),
        _ => Err(bad()),
    }
}

/// `int4_avg_accum(int8[], int)`: counts the value and adds it to the sum.
fn avg_accum(a: &[Value]) -> Result<Value> {
    let (n, s) = avg_state(&a[0])?;
    let x = match crate::expr::cast::cast_value(a[1].clone(), &Int8, false)? {
        Value::Int8(x) => x,
        _ => return Err(Error::internal("int4_avg_accum argument")),
    };
    let overflow = || crate::expr::num::out_of_range("bigint");
    let s = s.checked_add(x).ok_or_else(overflow)?;
    let n = n.checked_add(1).ok_or_else(overflow)?;
    Ok(Value::Array(Arc::new(Array::new(Int8, vec![Value::Int8(n), Value::Int8(s)]))))
}

/// `int8_avg(int8[])`: the sum over the count as numeric (NULL for no rows).
fn int8_avg(v: &Value) -> Result<Value> {
    let (n, s) = avg_state(v)?;
    if n == 0 {
        return Ok(Value::Null);
    }
    let to_num = |x: i64| crate::expr::cast::cast_value(Value::Int8(x), &num(), false);
    binary_values(BinaryOp::Div, &to_num(s)?, &to_num(n)?)
}
