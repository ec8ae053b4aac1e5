//! The function forms of the jsonb operators (`jsonb_contains` for `@>`, `jsonb_exists`
//! for `?`, ...), `json_object` / `jsonb_object` from text arrays, and `jsonb_set_lax`.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use serde_json::{Map, Value as Json};

use crate::expr::{binary_values, BinaryOp};
use crate::functions::json::{doc, json_text, path, set_path};
use crate::functions::registry::{p, Registry, ReturnType};

use DataType::{Bool, Int4, Jsonb, Text};

fn op(o: BinaryOp, a: &[Value]) -> Result<Value> {
    binary_values(o, &a[0], &a[1])
}

fn text_array() -> DataType {
    DataType::Array(Box::new(Text))
}

/// Registers the functions.
pub(crate) fn register(r: &mut Registry) {
    // `ScalarFn` is a plain function pointer: one closure per operator.
    let b = || ReturnType::Exact(Bool);
    let j = || ReturnType::Exact(Jsonb);
    r.add("jsonb_contains", vec![p(Jsonb), p(Jsonb)], b(), |a, _| op(BinaryOp::Contains, a));
    r.add("jsonb_contained", vec![p(Jsonb), p(Jsonb)], b(), |a, _| op(BinaryOp::ContainedBy, a));
    r.add("jsonb_exists", vec![p(Jsonb), p(Text)], b(), |a, _| op(BinaryOp::JsonExists, a));
    r.add("jsonb_exists_any", vec![p(Jsonb), p(text_array())], b(), |a, _| {
        op(BinaryOp::JsonExistsAny, a)
    });
    r.add("jsonb_exists_all", vec![p(Jsonb), p(text_array())], b(), |a, _| {
        op(BinaryOp::JsonExistsAll, a)
    });
    r.add("jsonb_concat", vec![p(Jsonb), p(Jsonb)], j(), |a, _| op(BinaryOp::JsonConcat, a));
    // (PostgreSQL's text[] form is VARIADIC: `jsonb_delete(j, 'a', 'b')`; not here.)
    for key in [Text, Int4] {
        r.add("jsonb_delete", vec![p(Jsonb), p(key)], j(), |a, _| op(BinaryOp::JsonDelete, a));
    }
    r.add("jsonb_delete_path", vec![p(Jsonb), p(text_array())], j(), |a, _| {
        op(BinaryOp::JsonDeletePath, a)
    });
    r.add("jsonb_object", vec![p(text_array())], ReturnType::Exact(Jsonb), |a, _| {
        object(&a[0], None).map(|o| Value::Jsonb(Arc::new(o)))
    });
    r.add(
        "jsonb_object",
        vec![p(text_array()), p(text_array())],
        ReturnType::Exact(Jsonb),
        |a, _| object(&a[0], Some(&a[1])).map(|o| Value::Jsonb(Arc::new(o))),
    );
    r.add("json_object", vec![p(text_array())], ReturnType::Exact(DataType::Json), |a, _| {
        object(&a[0], None).map(|o| json_text(&o))
    });
    r.add(
        "json_object",
        vec![p(text_array()), p(text_array())],
        ReturnType::Exact(DataType::Json),
        |a, _| object(&a[0], Some(&a[1])).map(|o| json_text(&o)),
    );
    let lax = |a: &[Value], _: &dyn crate::expr::EvalContext| set_lax(a);
    let mut params = vec![p(Jsonb), p(text_array()), p(Jsonb)];
    for extra in [Bool, Text] {
        r.add("jsonb_set_lax", params.clone(), ReturnType::Exact(Jsonb), lax).lenient();
        params.push(p(extra));
    }
    r.add("jsonb_set_lax", params, ReturnType::Exact(Jsonb), lax).lenient();
}

/// `json_object(pairs)` / `json_object(keys, values)`: an object of text values.
fn object(first: &Value, values: Option<&Value>) -> Result<Json> {
    let items = |v: &Value| match v {
        Value::Array(a) => a.elements.clone(),
        _ => Vec::new(),
    };
    let first = items(first);
    let pairs: Vec<(Value, Value)> = match values {
        None => {
            if first.len() % 2 != 0 {
                return Err(Error::new(
                    SqlState::from_code("2202E"),
                    "array must have even number of elements",
                ));
            }
            first.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect()
        }
        Some(v) => {
            let values = items(v);
            if values.len() != first.len() {
                return Err(Error::new(
                    SqlState::from_code("2202E"),
                    "mismatched array dimensions",
                ));
            }
            first.into_iter().zip(values).collect()
        }
    };
    let mut map = Map::new();
    for (k, v) in pairs {
        let Value::Text(k) = k else {
            return Err(Error::new(
                SqlState::from_code("22004"),
                "null value not allowed for object key",
            ));
        };
        let v = match v {
            Value::Text(s) => Json::String(s),
            _ => Json::Null,
        };
        map.insert(k, v);
    }
    Ok(Json::Object(map))
}

/// `jsonb_set_lax(target, path, new [, create_if_missing [, null_value_treatment]])`:
/// `jsonb_set`, except that a SQL NULL new value is handled as the last argument says.
fn set_lax(a: &[Value]) -> Result<Value> {
    let treatment = match a.get(4) {
        None => "use_json_null",
        Some(Value::Text(t)) => t.as_str(),
        Some(_) => {
            return Err(Error::new(
                SqlState::from_code("22004"),
                "null_value_treatment must be \"delete_key\", \"return_target\", \"use_json_null\", or \"raise_exception\"",
            ))
        }
    };
    if !matches!(treatment, "delete_key" | "return_target" | "use_json_null" | "raise_exception") {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "null_value_treatment must be \"delete_key\", \"return_target\", \"use_json_null\", or \"raise_exception\"",
        ));
    }
    if a[0].is_null() || a[1].is_null() || a.get(3).is_some_and(Value::is_null) {
        return Ok(Value::Null);
    }
    let create = a.get(3).is_none_or(|c| *c == Value::Bool(true));
    let new = match (&a[2], treatment) {
        (Value::Null, "raise_exception") => {
            return Err(Error::new(SqlState::from_code("22004"), "JSON value must not be null")
                .with_detail(
                    "Exception was raised because null_value_treatment is \"raise_exception\".",
                )
                .with_hint("To avoid, either change the null_value_treatment argument or ensure that an SQL NULL is not passed."))
        }
        (Value::Null, "return_target") => return Ok(a[0].clone()),
        (Value::Null, "delete_key") => return binary_values(BinaryOp::JsonDeletePath, &a[0], &a[1]),
        (Value::Null, _) => Json::Null,
        (v, _) => doc(v)?,
    };
    Ok(Value::Jsonb(Arc::new(set_path(doc(&a[0])?, &path(&a[1])?, new, create)?)))
}
