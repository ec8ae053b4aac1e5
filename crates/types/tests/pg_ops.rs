//! Differential test of date/time and numeric operations against PostgreSQL 18:
//! interval arithmetic, `date_trunc`, `extract`, justification and numeric operators.
//!
//! `data/pg_ops.tsv` holds (operation, session zone, operands, PostgreSQL's answer);
//! regenerate it with `data/gen_pg_ops.py` (inputs in `data/pg_ops_cases.py`). Cases in
//! named zones are skipped with a message when the system has no tz database.

mod common;

use common::{parse_type, unescape};
use helios_common::Result;
use helios_types::datetime as dt;
use std::sync::Arc;

use helios_types::float_ops::{self, ArithOp};
use helios_types::jsonb_ops as jo;
use helios_types::{numeric_ops, DataType, TimeZone, Value};

fn parse(s: &str, ty: DataType) -> Result<Value> {
    Value::parse_pg_text(s, &ty)
}

fn ts(s: &str) -> Result<i64> {
    match parse(s, DataType::Timestamp)? {
        Value::Timestamp(t) => Ok(t),
        other => panic!("{other:?}"),
    }
}

fn tstz(s: &str, tz: &TimeZone) -> Result<i64> {
    match Value::parse_pg_text_tz(s, &DataType::TimestampTz, tz)? {
        Value::TimestampTz(t) => Ok(t),
        other => panic!("{other:?}"),
    }
}

fn iv(s: &str) -> Result<helios_types::Interval> {
    match parse(s, DataType::Interval)? {
        Value::Interval(i) => Ok(i),
        other => panic!("{other:?}"),
    }
}

fn date(s: &str) -> Result<i32> {
    match parse(s, DataType::Date)? {
        Value::Date(d) => Ok(d),
        other => panic!("{other:?}"),
    }
}

fn num(s: &str) -> Result<helios_types::Numeric> {
    match parse(s, parse_type("numeric").0)? {
        Value::Numeric(n) => Ok(n),
        other => panic!("{other:?}"),
    }
}

fn arith(name: &str) -> ArithOp {
    match name {
        "add" => ArithOp::Add,
        "sub" => ArithOp::Sub,
        "mul" => ArithOp::Mul,
        "div" => ArithOp::Div,
        _ => ArithOp::Rem,
    }
}

fn run(op: &str, tz: &TimeZone, a: &str, b: &str) -> Result<Value> {
    Ok(match op {
        "ts_add" => Value::Timestamp(dt::timestamp_add(ts(a)?, &iv(b)?)?),
        "ts_sub" => Value::Timestamp(dt::timestamp_sub(ts(a)?, &iv(b)?)?),
        "tstz_add" => Value::TimestampTz(dt::timestamptz_add(tstz(a, tz)?, &iv(b)?, tz)?),
        "ts_diff" => Value::Interval(dt::timestamp_diff(ts(a)?, ts(b)?)?),
        "iv_mul" => Value::Interval(dt::interval_mul(&iv(a)?, b.parse().expect("float"))?),
        "iv_div" => Value::Interval(dt::interval_div(&iv(a)?, b.parse().expect("float"))?),
        "justify_hours" => Value::Interval(dt::justify_hours(&iv(a)?)?),
        "justify_days" => Value::Interval(dt::justify_days(&iv(a)?)?),
        "justify_interval" => Value::Interval(dt::justify_interval(&iv(a)?)?),
        "trunc_ts" => Value::Timestamp(dt::trunc_timestamp(a, ts(b)?)?),
        "trunc_tstz" => Value::TimestampTz(dt::trunc_timestamptz(a, tstz(b, tz)?, tz)?),
        "trunc_iv" => Value::Interval(dt::trunc_interval(a, &iv(b)?)?),
        "extract_ts" => dt::extract_timestamp(a, ts(b)?)?,
        "extract_tstz" => dt::extract_timestamptz(a, tstz(b, tz)?, tz)?,
        "extract_date" => dt::extract_date(a, date(b)?)?,
        "extract_time" => match parse(b, DataType::Time)? {
            Value::Time(t) => dt::extract_time(a, t)?,
            other => panic!("{other:?}"),
        },
        "extract_iv" => dt::extract_interval(a, &iv(b)?)?,
        "date_add" => Value::Date(dt::date_add_days(date(a)?, b.parse().expect("int"))?),
        "date_diff" => Value::Int4(dt::date_diff(date(a)?, date(b)?)?),
        "num_add" => Value::Numeric(numeric_ops::add(&num(a)?, &num(b)?)?),
        "num_sub" => Value::Numeric(numeric_ops::sub(&num(a)?, &num(b)?)?),
        "num_mul" => Value::Numeric(numeric_ops::mul(&num(a)?, &num(b)?)?),
        "num_div" => Value::Numeric(numeric_ops::div(&num(a)?, &num(b)?)?),
        "num_mod" => Value::Numeric(numeric_ops::rem(&num(a)?, &num(b)?)?),
        "num_round" => Value::Numeric(numeric_ops::round(&num(a)?, b.parse().expect("int"))?),
        "num_trunc" => Value::Numeric(numeric_ops::trunc(&num(a)?, b.parse().expect("int"))?),
        "num_ceil" => Value::Numeric(numeric_ops::ceil(&num(a)?)?),
        "num_floor" => Value::Numeric(numeric_ops::floor(&num(a)?)?),
        "num_abs" => Value::Numeric(numeric_ops::abs(&num(a)?)),
        "num_sign" => Value::Numeric(numeric_ops::sign(&num(a)?)),
        "num_sqrt" => Value::Numeric(numeric_ops::sqrt(&num(a)?)?),
        f8 if f8.starts_with("f8_") => {
            let x = |s: &str| match parse(s, DataType::Float8) {
                Ok(Value::Float8(v)) => Ok(v),
                Ok(other) => panic!("{other:?}"),
                Err(e) => Err(e),
            };
            Value::Float8(float_ops::f64_op(arith(&f8[3..]), x(a)?, x(b)?)?)
        }
        int if int.starts_with("i4_") || int.starts_with("i2_") => {
            let ty = if int.starts_with("i4_") { DataType::Int4 } else { DataType::Int2 };
            let x = |s: &str| -> i64 { s.parse().expect("int") };
            let r = float_ops::int_op(arith(&int[3..]), x(a), x(b), &ty)?;
            Value::Int8(r)
        }
        jb if jb.starts_with("jb_") => return run_jsonb(&jb[3..], a, b),
        other => panic!("unknown op {other}"),
    })
}

fn jsonb(s: &str) -> Result<Value> {
    parse(s, DataType::Jsonb)
}

fn text_array(s: &str) -> Result<Vec<Option<String>>> {
    match parse(s, DataType::Array(Box::new(DataType::Text)))? {
        Value::Array(a) => Ok(a
            .elements
            .iter()
            .map(|e| match e {
                Value::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect()),
        other => panic!("{other:?}"),
    }
}

fn run_jsonb(op: &str, a: &str, b: &str) -> Result<Value> {
    let Value::Jsonb(doc) = jsonb(a)? else { panic!("not jsonb") };
    let wrap = |j: Option<&serde_json::Value>| {
        j.map_or(Value::Null, |j| Value::Jsonb(Arc::new(j.clone())))
    };
    let text = |t: Option<String>| t.map_or(Value::Null, Value::Text);
    let idx = || -> i64 { b.parse().expect("int") };
    Ok(match op {
        "field" => wrap(jo::get_field(&doc, b)),
        "field_text" => text(jo::get_field(&doc, b).and_then(jo::as_text)),
        "exists" => Value::Bool(jo::exists(&doc, b)),
        "del_key" => Value::Jsonb(Arc::new(jo::delete_key(&doc, b)?)),
        "index" => wrap(jo::get_index(&doc, idx())),
        "index_text" => text(jo::get_index(&doc, idx()).and_then(jo::as_text)),
        "del_index" => Value::Jsonb(Arc::new(jo::delete_index(&doc, idx())?)),
        "path" => wrap(jo::get_path(&doc, &text_array(b)?)),
        "path_text" => text(jo::get_path(&doc, &text_array(b)?).and_then(jo::as_text)),
        "del_path" => Value::Jsonb(Arc::new(jo::delete_path(&doc, &text_array(b)?)?)),
        "typeof" => Value::Text(jo::type_of(&doc).into()),
        "array_length" => Value::Int4(jo::array_length(&doc)?),
        "contains" => {
            let Value::Jsonb(other) = jsonb(b)? else { panic!("not jsonb") };
            Value::Bool(jo::contains(&doc, &other))
        }
        "concat" => {
            let Value::Jsonb(other) = jsonb(b)? else { panic!("not jsonb") };
            Value::Jsonb(Arc::new(jo::concat(&doc, &other)))
        }
        other => panic!("unknown jsonb op {other}"),
    })
}

#[test]
fn operations_match_postgres() {
    let data = include_str!("data/pg_ops.tsv");
    let mut failures = Vec::new();
    let (mut count, mut skipped) = (0, 0);
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<String> = line.splitn(5, '\t').map(unescape).collect();
        let Ok(tz) = TimeZone::parse(&f[1]) else {
            skipped += 1;
            continue;
        };
        count += 1;
        let got = match run(&f[0], &tz, &f[2], &f[3]) {
            // `format('%s', NULL)` is the empty string.
            Ok(v) if v.is_null() => "OK ".to_string(),
            Ok(v) => format!("OK {}", v.to_pg_text_tz(&tz)),
            Err(e) => format!("ERROR {} {}", e.sqlstate(), e.message()),
        };
        if got != f[4] {
            failures.push(format!(
                "{} [{}] {:?} {:?}\n   want: {}\n    got: {got}",
                f[0], f[1], f[2], f[3], f[4]
            ));
        }
    }
    if skipped > 0 {
        eprintln!("skipped {skipped} cases in named time zones: no tz database");
    }
    assert!(count > 100, "fixture has only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
