//! `jsonb` subscripting (PostgreSQL 14): `j['key']`, `j[2]`, and the assignment
//! `UPDATE t SET j['a']['b'] = '1'`.
//!
//! A subscript is a path element: an object takes it as a key (`j[0]` reads key `"0"`), an
//! array as an index (negative from the end; text that is not an integer reads NULL). The
//! parser rewrites an assignment to `j = helios_array_assign(j, 'a', helios_array_assign(
//! j['a'], 'b', '1'))` (`parser/subscript_assign.rs`); the jsonb overloads here follow
//! PostgreSQL's rules: a NULL document becomes an empty object (text subscript) or array
//! (integer subscript), so missing levels are created; an array is padded with nulls up to
//! the index; a SQL NULL value is stored as JSON null; a scalar cannot be subscripted.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use serde_json::Value as Json;

use crate::functions::json::doc;
use crate::functions::registry::{p, Registry, ReturnType};

use DataType::{Int4, Jsonb, Text};

/// Registers the subscript read and assignment functions.
pub(crate) fn register(r: &mut Registry) {
    let jb = || ReturnType::Exact(Jsonb);
    for key in [Text, Int4] {
        r.add("helios_jsonb_subscript", vec![p(Jsonb), p(key.clone())], jb(), |a, _| get(a));
        r.add("helios_array_assign", vec![p(Jsonb), p(key), p(Jsonb)], jb(), |a, _| assign(a))
            .lenient();
    }
}

/// A subscript as a path element.
fn key(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Text(s) => Some(s.clone()),
        other => Some(other.to_pg_text()),
    }
}

/// The position `k` names in an array of `len` elements (negative counts from the end).
fn index(k: &str, len: usize) -> Option<i64> {
    let i: i64 = k.trim().parse().ok()?;
    Some(if i < 0 { i + len as i64 } else { i })
}

/// `j[k]`: NULL when the element is missing or `j` is a scalar.
fn get(a: &[Value]) -> Result<Value> {
    let Some(k) = key(&a[1]) else { return Ok(Value::Null) };
    let found = match &a[0] {
        Value::Jsonb(d) => match d.as_ref() {
            Json::Object(map) => map.get(&k).cloned(),
            Json::Array(items) => index(&k, items.len())
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| items.get(i).cloned()),
            _ => None,
        },
        _ => None,
    };
    Ok(found.map_or(Value::Null, |d| Value::Jsonb(Arc::new(d))))
}

/// `j` with element `k` set to `v` (see the module docs).
fn assign(a: &[Value]) -> Result<Value> {
    let k = key(&a[1]).ok_or_else(|| {
        Error::new(SqlState::from_code("22004"), "jsonb subscript in assignment must not be null")
    })?;
    let new = match &a[2] {
        Value::Null => Json::Null,
        v => doc(v)?,
    };
    let mut d = match &a[0] {
        Value::Null if matches!(a[1], Value::Int4(_)) => Json::Array(Vec::new()),
        Value::Null => Json::Object(serde_json::Map::new()),
        v => doc(v)?,
    };
    match &mut d {
        Json::Object(map) => {
            map.insert(k, new);
        }
        Json::Array(items) => {
            let i = index(&k, items.len()).ok_or_else(|| {
                Error::new(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    format!("path element at position 1 is not an integer: \"{k}\""),
                )
            })?;
            let at = usize::try_from(i).map_err(|_| {
                Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("path element at position 1 is out of range: {}", k.trim()),
                )
            })?;
            if at >= items.len() {
                items.resize(at + 1, Json::Null);
            }
            items[at] = new;
        }
        _ => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "cannot replace existing key",
            )
            .with_detail("The path assumes key is a composite object, but it is a scalar value."))
        }
    }
    Ok(Value::Jsonb(Arc::new(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jb(s: &str) -> Value {
        Value::Jsonb(Arc::new(serde_json::from_str(s).expect("json")))
    }

    #[test]
    fn assignment_pads_arrays_and_creates_containers() {
        let set = |d: Value, k: Value, v: &str| assign(&[d, k, jb(v)]).ok();
        assert_eq!(set(jb("[1,2]"), Value::Int4(4), "5"), Some(jb("[1,2,null,null,5]")));
        assert_eq!(set(Value::Null, Value::Text("x".into()), "1"), Some(jb(r#"{"x":1}"#)));
        assert_eq!(set(Value::Null, Value::Int4(1), "1"), Some(jb("[null,1]")));
        assert_eq!(set(jb("[1,2]"), Value::Int4(-2), "0"), Some(jb("[0,2]")));
        assert!(set(jb("[1,2]"), Value::Int4(-3), "0").is_none());
        assert!(set(jb(r#""s""#), Value::Text("a".into()), "0").is_none());
    }

    #[test]
    fn reads_take_the_subscript_as_a_path_element() {
        let at = |d: &str, k: Value| get(&[jb(d), k]).ok();
        assert_eq!(at(r#"{"0":1}"#, Value::Int4(0)), Some(jb("1")));
        assert_eq!(at("[1,2]", Value::Text("1".into())), Some(jb("2")));
        assert_eq!(at("[1,2]", Value::Text("a".into())), Some(Value::Null));
        assert_eq!(at("[1,2,3]", Value::Int4(-1)), Some(jb("3")));
    }
}
