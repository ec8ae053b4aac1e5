//! `jsonb` operators and basic functions with PostgreSQL's semantics: field and element
//! access (`->`, `->>`, `#>`, `#>>`), containment (`@>`, `<@`), key existence (`?`,
//! `?|`, `?&`), concatenation (`||`), deletion (`-`, `#-`), `jsonb_typeof` and
//! `jsonb_array_length`. `None` results are SQL NULL.
//!
//! As in PostgreSQL, a top-level scalar behaves like a one-element array for `@>` and
//! `?` (`'[1,2]' @> '1'` and `'"a"' ? 'a'` are true), and scalars compare by value
//! (`1.0` equals `1`).

use std::cmp::Ordering;

use helios_common::SqlState;
use serde_json::Value as Json;

use crate::compare::cmp_jsonb;
use crate::error::{TypeError, TypeResult};
use crate::text::json::format_jsonb;

fn invalid(message: impl Into<String>) -> TypeError {
    TypeError::other(SqlState::INVALID_PARAMETER_VALUE, message)
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_))
}

/// `doc -> 'key'`.
pub fn get_field<'a>(doc: &'a Json, key: &str) -> Option<&'a Json> {
    doc.as_object()?.get(key)
}

/// `doc -> index` (negative indexes count from the end; a top-level scalar acts as a
/// one-element array, as in PostgreSQL).
pub fn get_index(doc: &Json, index: i64) -> Option<&Json> {
    if is_scalar(doc) {
        return (index == 0 || index == -1).then_some(doc);
    }
    let items = doc.as_array()?;
    let i = if index < 0 { i64::try_from(items.len()).ok()? + index } else { index };
    items.get(usize::try_from(i).ok()?)
}

/// `doc #> path`; a NULL path element makes the result NULL.
pub fn get_path<'a>(doc: &'a Json, path: &[Option<String>]) -> Option<&'a Json> {
    let mut cur = doc;
    for step in path {
        let step = step.as_deref()?;
        cur = match cur {
            Json::Object(map) => map.get(step)?,
            Json::Array(_) => get_index(cur, step.trim().parse().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The text `->>` and `#>>` return: a string's value, `NULL` for JSON null, otherwise the
/// `jsonb` text.
pub fn as_text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(format_jsonb(other)),
    }
}

/// `a @> b`.
pub fn contains(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Array(items), s) if is_scalar(s) => {
            items.iter().any(|i| is_scalar(i) && equal(i, s))
        }
        _ => deep_contains(a, b),
    }
}

fn equal(a: &Json, b: &Json) -> bool {
    cmp_jsonb(a, b) == Ordering::Equal
}

fn deep_contains(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => y.iter().all(|(k, vy)| match x.get(k) {
            None => false,
            Some(vx) if is_scalar(vy) => is_scalar(vx) && equal(vx, vy),
            Some(vx) => same_kind(vx, vy) && deep_contains(vx, vy),
        }),
        (Json::Array(x), Json::Array(y)) => y.iter().all(|e| {
            if is_scalar(e) {
                x.iter().any(|c| is_scalar(c) && equal(c, e))
            } else {
                x.iter().any(|c| same_kind(c, e) && deep_contains(c, e))
            }
        }),
        _ => is_scalar(a) && is_scalar(b) && equal(a, b),
    }
}

fn same_kind(a: &Json, b: &Json) -> bool {
    matches!((a, b), (Json::Array(_), Json::Array(_)) | (Json::Object(_), Json::Object(_)))
}

/// `doc ? key`: a top-level object key, or a string element of a top-level array (or the
/// string itself for a top-level string).
pub fn exists(doc: &Json, key: &str) -> bool {
    match doc {
        Json::Object(map) => map.contains_key(key),
        Json::Array(items) => items.iter().any(|i| i.as_str() == Some(key)),
        Json::String(s) => s == key,
        _ => false,
    }
}

/// `doc ?| keys`.
pub fn exists_any(doc: &Json, keys: &[Option<String>]) -> bool {
    keys.iter().flatten().any(|k| exists(doc, k))
}

/// `doc ?& keys`.
pub fn exists_all(doc: &Json, keys: &[Option<String>]) -> bool {
    keys.iter().flatten().all(|k| exists(doc, k))
}

/// `a || b`: objects merge (right wins), arrays concatenate, anything else is wrapped
/// into an array first.
pub fn concat(a: &Json, b: &Json) -> Json {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut out = x.clone();
            for (k, v) in y {
                out.insert(k.clone(), v.clone());
            }
            Json::Object(out)
        }
        _ => {
            let as_items = |v: &Json| match v {
                Json::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            let mut items = as_items(a);
            items.extend(as_items(b));
            Json::Array(items)
        }
    }
}

/// `doc - 'key'`: removes an object key, or the string elements equal to it.
pub fn delete_key(doc: &Json, key: &str) -> TypeResult<Json> {
    match doc {
        Json::Object(map) => {
            let mut out = map.clone();
            out.remove(key);
            Ok(Json::Object(out))
        }
        Json::Array(items) => {
            Ok(Json::Array(items.iter().filter(|i| i.as_str() != Some(key)).cloned().collect()))
        }
        _ => Err(invalid("cannot delete from scalar")),
    }
}

/// `doc - keys` (text array).
pub fn delete_keys(doc: &Json, keys: &[Option<String>]) -> TypeResult<Json> {
    let mut out = doc.clone();
    for k in keys.iter().flatten() {
        out = delete_key(&out, k)?;
    }
    if keys.is_empty() && is_scalar(doc) {
        return Err(invalid("cannot delete from scalar"));
    }
    Ok(out)
}

/// `doc - index`.
pub fn delete_index(doc: &Json, index: i64) -> TypeResult<Json> {
    match doc {
        Json::Array(items) => {
            let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let i = if index < 0 { len + index } else { index };
            let mut out = items.clone();
            if (0..len).contains(&i) {
                out.remove(i as usize);
            }
            Ok(Json::Array(out))
        }
        Json::Object(_) => Err(invalid("cannot delete from object using integer index")),
        _ => Err(invalid("cannot delete from scalar")),
    }
}

/// `doc #- path`.
pub fn delete_path(doc: &Json, path: &[Option<String>]) -> TypeResult<Json> {
    if is_scalar(doc) {
        return Err(invalid("cannot delete path in scalar"));
    }
    let mut out = doc.clone();
    delete_at(&mut out, path, 1)?;
    Ok(out)
}

fn delete_at(cur: &mut Json, path: &[Option<String>], position: usize) -> TypeResult<()> {
    let Some((first, rest)) = path.split_first() else { return Ok(()) };
    let Some(step) = first.as_deref() else {
        return Err(TypeError::other(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            format!("path element at position {position} is null"),
        ));
    };
    match cur {
        Json::Object(map) => {
            if rest.is_empty() {
                map.remove(step);
            } else if let Some(next) = map.get_mut(step) {
                delete_at(next, rest, position + 1)?;
            }
        }
        // PostgreSQL leaves an empty array alone without looking at the path.
        Json::Array(items) if items.is_empty() => {}
        Json::Array(items) => {
            let index: i64 = step.trim().parse().map_err(|_| {
                TypeError::other(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    format!("path element at position {position} is not an integer: \"{step}\""),
                )
            })?;
            let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let i = if index < 0 { len + index } else { index };
            if (0..len).contains(&i) {
                if rest.is_empty() {
                    items.remove(i as usize);
                } else {
                    delete_at(&mut items[i as usize], rest, position + 1)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// `jsonb_typeof(doc)`.
pub fn type_of(doc: &Json) -> &'static str {
    match doc {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// `jsonb_array_length(doc)`.
pub fn array_length(doc: &Json) -> TypeResult<i32> {
    match doc {
        Json::Array(items) => {
            i32::try_from(items.len()).map_err(|_| TypeError::out_of_range("integer out of range"))
        }
        Json::Object(_) => Err(invalid("cannot get array length of a non-array")),
        _ => Err(invalid("cannot get array length of a scalar")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::json::parse_jsonb;

    fn j(s: &str) -> Json {
        parse_jsonb(s).unwrap()
    }

    fn path(p: &[&str]) -> Vec<Option<String>> {
        p.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn behaves_like_postgres() {
        assert!(contains(&j("[1,2]"), &j("1")));
        assert!(!contains(&j("1"), &j("[1]")));
        assert!(!contains(&j(r#"{"a":[1,2]}"#), &j(r#"{"a":1}"#)));
        assert!(!contains(&j("[[1,2]]"), &j("[1]")));
        assert!(contains(&j("[1,[2]]"), &j("[[2]]")));
        assert!(contains(&j("[1,1]"), &j("[1,1,1]")));
        assert!(contains(&j(r#"{"a":1.0,"b":2}"#), &j(r#"{"a":1}"#)));
        assert!(
            exists(&j(r#""a""#), "a") && exists(&j(r#"["a"]"#), "a") && !exists(&j("[1]"), "1")
        );
        assert_eq!(format_jsonb(&concat(&j(r#"{"a":1}"#), &j("1"))), r#"[{"a": 1}, 1]"#);
        assert_eq!(
            format_jsonb(&concat(&j(r#"{"a":1}"#), &j(r#"{"a":2,"b":3}"#))),
            r#"{"a": 2, "b": 3}"#
        );
        assert_eq!(format_jsonb(&delete_key(&j(r#"["a",1,"a"]"#), "a").unwrap()), "[1]");
        assert_eq!(format_jsonb(&delete_index(&j("[1,2,3]"), -1).unwrap()), "[1, 2]");
        assert_eq!(get_index(&j("[1,2,3]"), -1), Some(&j("3")));
        assert_eq!(get_index(&j("[1,2,3]"), 5), None);
        let doc = j(r#"{"a":{"b":[1,"x"]}}"#);
        assert_eq!(get_path(&doc, &path(&["a", "b", "1"])).and_then(as_text), Some("x".into()));
        assert_eq!(get_path(&doc, &[Some("a".into()), None]), None);
        assert_eq!(as_text(&j("null")), None);
        let removed =
            delete_path(&j(r#"{"a":1,"b":{"c":[1,2]}}"#), &path(&["b", "c", "0"])).unwrap();
        assert_eq!(format_jsonb(&removed), r#"{"a": 1, "b": {"c": [2]}}"#);
        assert_eq!(delete_key(&j("1"), "a").unwrap_err().to_string(), "cannot delete from scalar");
        assert_eq!(
            delete_index(&j(r#"{"a":1}"#), 1).unwrap_err().to_string(),
            "cannot delete from object using integer index"
        );
        assert_eq!(
            delete_path(&j("[1]"), &path(&["x"])).unwrap_err().to_string(),
            "path element at position 1 is not an integer: \"x\""
        );
        assert_eq!(
            array_length(&j("1")).unwrap_err().to_string(),
            "cannot get array length of a scalar"
        );
        assert_eq!(array_length(&j("[1,2]")), Ok(2));
        assert_eq!(type_of(&j("1.5")), "number");
    }
}
