//! json/jsonb operators (`-> ->> #> #>> @> <@ ? ?| ?& || - #-`) and functions
//! (builders, `to_json[b]`, `jsonb_set`, `jsonb_insert`, `jsonb_typeof`,
//! `jsonb_array_length`, `jsonb_strip_nulls`, `jsonb_pretty`, `jsonb_extract_path`).
//! The set-returning ones (`jsonb_each`, ...) are in `table.rs`.
//!
//! `json` values are parsed on use; `jsonb` values are already documents.

use std::str::FromStr;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::text::json::{format_jsonb, parse_jsonb};
use helios_types::{DataType, Value};
use serde_json::{Map, Number, Value as Json};

use crate::expr::BinaryOp;
use crate::functions::registry::{p, ParamType, Registry, ReturnType};

use DataType::{Bool, Int4, Jsonb, Text};

fn text_array() -> DataType {
    DataType::Array(Box::new(Text))
}

/// Registers the json functions.
pub(crate) fn register(r: &mut Registry) {
    let jb = || ReturnType::Exact(Jsonb);
    let js = || ReturnType::Exact(DataType::Json);
    r.add("to_jsonb", vec![ParamType::AnyElement], jb(), |a, _| Ok(jsonb(to_json(&a[0])?)));
    r.add("to_json", vec![ParamType::AnyElement], js(), |a, _| match &a[0] {
        Value::Record(rec) => Ok(Value::Json(record_json(rec)?)),
        Value::Array(arr) => Ok(Value::Json(array_json_text(arr, ",")?)),
        other => Ok(json_text(&to_json(other)?)),
    });
    r.add("array_to_json", vec![ParamType::AnyArray], js(), |a, _| array_to_json(&a[0], false));
    r.add("array_to_json", vec![ParamType::AnyArray, p(Bool)], js(), |a, _| {
        array_to_json(&a[0], a[1] == Value::Bool(true))
    });
    let record = || p(DataType::Record(Arc::new(helios_types::RecordType::anonymous(Vec::new()))));
    r.add("row_to_json", vec![record()], js(), |a, _| match &a[0] {
        Value::Record(rec) => Ok(Value::Json(record_json(rec)?)),
        _ => Ok(Value::Null),
    });
    r.add("row_to_json", vec![record(), p(Bool)], js(), |a, _| match &a[0] {
        Value::Record(rec) => {
            // `pretty`: one top-level field per line, as PostgreSQL's row_to_json(r, true).
            let sep = if a[1] == Value::Bool(true) { ",\n " } else { "," };
            Ok(Value::Json(record_json_sep(rec, sep)?))
        }
        _ => Ok(Value::Null),
    });
    r.add("jsonb_build_object", vec![ParamType::Any], jb(), |a, _| {
        Ok(jsonb(build_object(a, "jsonb_build_object")?))
    })
    .lenient()
    .variadic();
    r.add("jsonb_build_object", vec![], jb(), |_, _| Ok(jsonb(Json::Object(Map::new()))));
    r.add("json_build_object", vec![ParamType::Any], js(), |a, _| {
        Ok(json_text(&build_object(a, "json_build_object")?))
    })
    .lenient()
    .variadic();
    r.add("json_build_object", vec![], js(), |_, _| Ok(Value::Json("{}".into())));
    r.add("jsonb_build_array", vec![ParamType::Any], jb(), |a, _| Ok(jsonb(build_array(a)?)))
        .lenient()
        .variadic();
    r.add("jsonb_build_array", vec![], jb(), |_, _| Ok(jsonb(Json::Array(vec![]))));
    r.add("json_build_array", vec![ParamType::Any], js(), |a, _| Ok(json_text(&build_array(a)?)))
        .lenient()
        .variadic();
    r.add("json_build_array", vec![], js(), |_, _| Ok(Value::Json("[]".into())));
    r.add("jsonb_typeof", vec![p(Jsonb)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(type_name(&doc(&a[0])?).into()))
    });
    r.add("json_typeof", vec![p(DataType::Json)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(type_name(&doc(&a[0])?).into()))
    });
    for name in ["jsonb_array_length", "json_array_length"] {
        let t = if name.starts_with("jsonb") { Jsonb } else { DataType::Json };
        r.add(name, vec![p(t)], ReturnType::Exact(Int4), |a, _| match doc(&a[0])? {
            Json::Array(items) => Ok(Value::Int4(i32::try_from(items.len()).unwrap_or(i32::MAX))),
            Json::Object(_) => Err(invalid("cannot get array length of a non-array")),
            _ => Err(invalid("cannot get array length of a scalar")),
        });
    }
    r.add("jsonb_strip_nulls", vec![p(Jsonb)], jb(), |a, _| Ok(jsonb(strip_nulls(doc(&a[0])?))));
    r.add("json_strip_nulls", vec![p(DataType::Json)], js(), |a, _| {
        Ok(json_text(&strip_nulls(doc(&a[0])?)))
    });
    r.add("jsonb_pretty", vec![p(Jsonb)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(pretty(&doc(&a[0])?, 0)))
    });
    r.add("jsonb_set", vec![p(Jsonb), p(text_array()), p(Jsonb)], jb(), |a, _| {
        set_path(doc(&a[0])?, &path(&a[1])?, doc(&a[2])?, true).map(jsonb)
    });
    r.add("jsonb_set", vec![p(Jsonb), p(text_array()), p(Jsonb), p(Bool)], jb(), |a, _| {
        set_path(doc(&a[0])?, &path(&a[1])?, doc(&a[2])?, a[3] == Value::Bool(true)).map(jsonb)
    });
    r.add("jsonb_insert", vec![p(Jsonb), p(text_array()), p(Jsonb)], jb(), |a, _| {
        insert_path(doc(&a[0])?, &path(&a[1])?, doc(&a[2])?, false).map(jsonb)
    });
    r.add("jsonb_insert", vec![p(Jsonb), p(text_array()), p(Jsonb), p(Bool)], jb(), |a, _| {
        insert_path(doc(&a[0])?, &path(&a[1])?, doc(&a[2])?, a[3] == Value::Bool(true)).map(jsonb)
    });
    r.add("json_extract_path", vec![p(DataType::Json), p(Text)], js(), |a, _| {
        Ok(get_opt_path(&doc(&a[0])?, variadic_path(&a[1..])).map_or(Value::Null, json_text))
    })
    .variadic();
    r.add(
        "json_extract_path_text",
        vec![p(DataType::Json), p(Text)],
        ReturnType::Exact(Text),
        |a, _| Ok(get_opt_path(&doc(&a[0])?, variadic_path(&a[1..])).map_or(Value::Null, as_text)),
    )
    .variadic();
    register_spread(r);
    r.add("jsonb_extract_path", vec![p(Jsonb), p(Text)], jb(), |a, _| {
        Ok(get_opt_path(&doc(&a[0])?, variadic_path(&a[1..]))
            .map_or(Value::Null, |d| jsonb(d.clone())))
    })
    .variadic();
    r.add("jsonb_extract_path_text", vec![p(Jsonb), p(Text)], ReturnType::Exact(Text), |a, _| {
        Ok(get_opt_path(&doc(&a[0])?, variadic_path(&a[1..])).map_or(Value::Null, as_text))
    })
    .variadic();
}

/// The builders and path extractors called with `VARIADIC array`: each has a twin named
/// `"<name> variadic"` (no SQL name can hold the space) that takes the leading
/// arguments and then the array, and spreads the array's elements into the call
/// (`expr/bind_func.rs` binds the call to it). A NULL array gives NULL, as in PostgreSQL.
/// `concat`, `concat_ws` and `format` have twins too (`string.rs`, `format.rs`).
fn register_spread(r: &mut Registry) {
    use DataType::Json as J;
    let (js, jb, text) = (ReturnType::Exact(J), ReturnType::Exact(Jsonb), ReturnType::Exact(Text));
    let array = || vec![ParamType::AnyArray];
    r.add("json_build_object variadic", array(), js.clone(), |a, _| {
        spread(&a[0], |items| Ok(json_text(&build_object(items, "json_build_object")?)))
    });
    r.add("jsonb_build_object variadic", array(), jb.clone(), |a, _| {
        spread(&a[0], |items| Ok(jsonb(build_object(items, "jsonb_build_object")?)))
    });
    r.add("json_build_array variadic", array(), js.clone(), |a, _| {
        spread(&a[0], |items| Ok(json_text(&build_array(items)?)))
    });
    r.add("jsonb_build_array variadic", array(), jb.clone(), |a, _| {
        spread(&a[0], |items| Ok(jsonb(build_array(items)?)))
    });
    let path = |t: DataType| vec![p(t), p(text_array())];
    r.add("json_extract_path variadic", path(J), js, |a, _| {
        spread_path(a, |d| d.map_or(Value::Null, json_text))
    });
    r.add("json_extract_path_text variadic", path(J), text.clone(), |a, _| {
        spread_path(a, |d| d.map_or(Value::Null, as_text))
    });
    r.add("jsonb_extract_path variadic", path(Jsonb), jb, |a, _| {
        spread_path(a, |d| d.map_or(Value::Null, |d| jsonb(d.clone())))
    });
    r.add("jsonb_extract_path_text variadic", path(Jsonb), text, |a, _| {
        spread_path(a, |d| d.map_or(Value::Null, as_text))
    });
}

/// A path extractor's twin for `VARIADIC`: the document, then the path as an array.
fn spread_path(a: &[Value], found: impl FnOnce(Option<&Json>) -> Value) -> Result<Value> {
    let d = doc(&a[0])?;
    spread(&a[1], |path| Ok(found(get_opt_path(&d, variadic_path(path)))))
}

/// Calls `f` with the elements of the `VARIADIC` array `v`; NULL for a NULL array.
fn spread(v: &Value, f: impl FnOnce(&[Value]) -> Result<Value>) -> Result<Value> {
    match v {
        Value::Array(arr) => f(&arr.elements),
        _ => Ok(Value::Null),
    }
}

fn invalid(msg: &str) -> Error {
    Error::new(SqlState::INVALID_PARAMETER_VALUE, msg.to_string())
}

fn jsonb(d: Json) -> Value {
    Value::Jsonb(Arc::new(d))
}

pub(crate) fn json_text(d: &Json) -> Value {
    Value::Json(format_json(d))
}

/// `json` output of the builders: PostgreSQL prints `{"a" : 1, "b" : 2}`. Keys come out
/// sorted (serde_json's map), where PostgreSQL keeps the order they were given.
fn format_json(d: &Json) -> String {
    let mut out = String::new();
    write_json(&mut out, d);
    out
}

fn write_json(out: &mut String, d: &Json) {
    match d {
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                helios_types::text::json::write_string(out, k);
                out.push_str(" : ");
                write_json(out, v);
            }
            out.push('}');
        }
        other => out.push_str(&format_jsonb(other)),
    }
}

/// The document of a json or jsonb value.
pub(crate) fn doc(v: &Value) -> Result<Json> {
    match v {
        Value::Jsonb(d) => Ok((**d).clone()),
        Value::Json(s) | Value::Text(s) => Ok(parse_jsonb(s)?),
        other => to_json(other),
    }
}

/// A SQL value as a JSON document (`to_jsonb`).
pub fn to_json(v: &Value) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int2(_)
        | Value::Int4(_)
        | Value::Int8(_)
        | Value::Numeric(_)
        | Value::Float4(_)
        | Value::Float8(_) => {
            let text = v.to_pg_text();
            match Number::from_str(&text) {
                Ok(n) => Json::Number(n),
                Err(_) => Json::String(text),
            }
        }
        Value::Text(s) => Json::String(s.clone()),
        Value::Json(s) => parse_jsonb(s)?,
        Value::Jsonb(d) => (**d).clone(),
        Value::Array(a) => {
            let flat = a.elements.iter().map(to_json).collect::<Result<Vec<_>>>()?;
            nest_json(flat, &a.dims())
        }
        Value::Record(r) => Json::Object(
            r.ty.fields
                .iter()
                .zip(&r.fields)
                .map(|(f, v)| Ok((f.name.clone(), to_json(v)?)))
                .collect::<Result<_>>()?,
        ),
        Value::Timestamp(_) | Value::TimestampTz(_) | Value::Date(_) | Value::Time(_) => {
            // JSON uses ISO 8601 with a 'T' separator.
            let text = v.to_pg_text();
            let text = if matches!(v, Value::Timestamp(_) | Value::TimestampTz(_)) {
                text.replacen(' ', "T", 1)
            } else {
                text
            };
            let text = if matches!(v, Value::TimestampTz(_)) && text.ends_with("+00") {
                format!("{text}:00")
            } else {
                text
            };
            Json::String(text)
        }
        other => Json::String(other.to_pg_text()),
    })
}

/// A composite value as `row_to_json` writes it: `{"f1":1,"f2":"a"}`, fields in order.
pub fn record_json(r: &helios_types::Record) -> Result<String> {
    record_json_sep(r, ",")
}

fn record_json_sep(r: &helios_types::Record, sep: &str) -> Result<String> {
    let mut out = String::from("{");
    for (i, (f, v)) in r.ty.fields.iter().zip(&r.fields).enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&Json::String(f.name.clone()).to_string());
        out.push(':');
        out.push_str(&value_json_text(v)?);
    }
    out.push('}');
    Ok(out)
}

/// A value's compact JSON text as `to_json` writes it inside a record or an array.
fn value_json_text(v: &Value) -> Result<String> {
    match v {
        Value::Record(inner) => record_json(inner),
        Value::Array(a) => array_json_text(a, ","),
        other => Ok(to_json(other)?.to_string()),
    }
}

/// An array as PostgreSQL's `array_to_json` writes it: compact nested JSON arrays, one
/// level per dimension, with `top_sep` between the top-level items.
fn array_json_text(a: &helios_types::Array, top_sep: &str) -> Result<String> {
    let mut level = a.elements.iter().map(value_json_text).collect::<Result<Vec<_>>>()?;
    let dims = a.dims();
    for d in dims.iter().skip(1).rev() {
        let width = usize::try_from(d.len).unwrap_or(1).max(1);
        level = level.chunks(width).map(|c| format!("[{}]", c.join(","))).collect();
    }
    Ok(format!("[{}]", level.join(top_sep)))
}

fn key_text(v: &Value) -> Result<String> {
    match v {
        Value::Null => Err(invalid("argument 1: key must not be null")),
        Value::Text(s) => Ok(s.clone()),
        other => Ok(other.to_pg_text()),
    }
}

/// The object of `json[b]_build_object` (`name`, for the error's hint).
fn build_object(a: &[Value], name: &str) -> Result<Json> {
    if !a.len().is_multiple_of(2) {
        return Err(invalid("argument list must have even number of elements").with_hint(format!(
            "The arguments of {name}() must consist of alternating keys and values."
        )));
    }
    let mut map = Map::new();
    for pair in a.chunks(2) {
        map.insert(key_text(&pair[0])?, to_json(&pair[1])?);
    }
    Ok(Json::Object(map))
}

fn build_array(a: &[Value]) -> Result<Json> {
    Ok(Json::Array(a.iter().map(to_json).collect::<Result<_>>()?))
}

fn type_name(d: &Json) -> &'static str {
    match d {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn strip_nulls(d: Json) -> Json {
    match d {
        Json::Object(map) => Json::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

fn pretty(d: &Json, indent: usize) -> String {
    let pad = "    ".repeat(indent + 1);
    let end_pad = "    ".repeat(indent);
    match d {
        Json::Array(items) if !items.is_empty() => {
            let inner: Vec<String> =
                items.iter().map(|x| format!("{pad}{}", pretty(x, indent + 1))).collect();
            format!("[\n{}\n{end_pad}]", inner.join(",\n"))
        }
        Json::Object(map) if !map.is_empty() => {
            let inner: Vec<String> = helios_types::text::json::sorted_entries(map)
                .into_iter()
                .map(|(k, v)| {
                    let mut key = String::new();
                    helios_types::text::json::write_string(&mut key, k);
                    format!("{pad}{key}: {}", pretty(v, indent + 1))
                })
                .collect();
            format!("{{\n{}\n{end_pad}}}", inner.join(",\n"))
        }
        other => format_jsonb(other),
    }
}

/// `array_to_json(a [, pretty])`; `pretty` puts each top-level element on its own line,
/// as PostgreSQL does.
fn array_to_json(a: &Value, pretty: bool) -> Result<Value> {
    match a {
        Value::Array(arr) => {
            Ok(Value::Json(array_json_text(arr, if pretty { ",\n " } else { "," })?))
        }
        _ => Ok(Value::Null),
    }
}

/// The elements of an array of shape `dims` (row-major) as nested JSON arrays, one level
/// per dimension.
fn nest_json(flat: Vec<Json>, dims: &[helios_types::ArrayDim]) -> Json {
    let mut level = flat;
    for d in dims.iter().skip(1).rev() {
        let width = usize::try_from(d.len).unwrap_or(1).max(1);
        let mut grouped = Vec::with_capacity(level.len() / width);
        let mut it = level.into_iter();
        loop {
            let chunk: Vec<Json> = it.by_ref().take(width).collect();
            if chunk.is_empty() {
                break;
            }
            grouped.push(Json::Array(chunk));
        }
        level = grouped;
    }
    Json::Array(level)
}

/// The `text[]` path of `jsonb_set` and `jsonb_insert`: a NULL element is 22004.
pub(crate) fn path(v: &Value) -> Result<Vec<String>> {
    let text = |(i, e): (usize, &Value)| match e {
        Value::Text(s) => Ok(s.clone()),
        _ => Err(Error::new(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            format!("path element at position {} is null", i + 1),
        )),
    };
    elements(v).iter().enumerate().map(text).collect()
}

/// The elements of a `text[]` argument (none for anything else).
fn elements(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => &a.elements,
        _ => &[],
    }
}

/// The keys of a `text[]` argument, NULL elements left out (`?|`, `?&`).
fn keys(v: &Value) -> Vec<String> {
    elements(v)
        .iter()
        .filter_map(|v| if let Value::Text(s) = v { Some(s.clone()) } else { None })
        .collect()
}

/// A path to read (`#>`, `#>>`, `json[b]_extract_path`): `None` when an element is
/// NULL, which makes the result NULL.
fn variadic_path(a: &[Value]) -> Option<Vec<String>> {
    a.iter().map(|v| if let Value::Text(s) = v { Some(s.clone()) } else { None }).collect()
}

/// [`get_path`] for a path that may hold NULL (no match then).
fn get_opt_path(d: &Json, path: Option<Vec<String>>) -> Option<&Json> {
    get_path(d, &path?)
}

fn array_index(len: usize, key: &str) -> Option<usize> {
    let i: i64 = key.trim().parse().ok()?;
    let len = i64::try_from(len).ok()?;
    let i = if i < 0 { len + i } else { i };
    usize::try_from(i).ok().filter(|i| i64::try_from(*i).is_ok_and(|x| x < len))
}

fn get_path<'a>(d: &'a Json, path: &[String]) -> Option<&'a Json> {
    let mut cur = d;
    for k in path {
        cur = match cur {
            Json::Object(map) => map.get(k)?,
            Json::Array(items) => items.get(array_index(items.len(), k)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// `->>` text of a document: strings unquoted, null as SQL NULL.
fn as_text(d: &Json) -> Value {
    match d {
        Json::Null => Value::Null,
        Json::String(s) => Value::Text(s.clone()),
        other => Value::Text(format_jsonb(other)),
    }
}

pub(crate) fn set_path(mut d: Json, path: &[String], new: Json, create: bool) -> Result<Json> {
    if !path.is_empty() && !matches!(d, Json::Object(_) | Json::Array(_)) {
        return Err(invalid("cannot set path in scalar"));
    }
    // Below the top level, a path through a scalar leaves the document unchanged.
    fn go(cur: &mut Json, path: &[String], at: usize, new: Json, create: bool) -> Result<()> {
        let Some((k, rest)) = path.split_first() else {
            *cur = new;
            return Ok(());
        };
        match cur {
            Json::Object(map) => {
                if let Some(child) = map.get_mut(k) {
                    return go(child, rest, at + 1, new, create);
                }
                if rest.is_empty() && create {
                    map.insert(k.clone(), new);
                }
                Ok(())
            }
            Json::Array(items) => {
                let i: i64 = k.trim().parse().map_err(|_| {
                    Error::new(
                        SqlState::INVALID_TEXT_REPRESENTATION,
                        format!("path element at position {at} is not an integer: \"{k}\""),
                    )
                })?;
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let idx = if i < 0 { len + i } else { i };
                if (0..len).contains(&idx) {
                    let idx = usize::try_from(idx).unwrap_or(0);
                    return go(&mut items[idx], rest, at + 1, new, create);
                }
                if rest.is_empty() && create {
                    if idx < 0 {
                        items.insert(0, new);
                    } else {
                        items.push(new);
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    go(&mut d, path, 1, new, create)?;
    Ok(d)
}

fn insert_path(mut d: Json, path: &[String], new: Json, after: bool) -> Result<Json> {
    let Some((last, parent_path)) = path.split_last() else { return Ok(d) };
    let mut cur = &mut d;
    for k in parent_path {
        cur = match cur {
            Json::Object(map) => match map.get_mut(k) {
                Some(c) => c,
                None => return Ok(d),
            },
            Json::Array(items) => {
                let len = items.len();
                match array_index(len, k) {
                    Some(i) => &mut items[i],
                    None => return Ok(d),
                }
            }
            _ => return Ok(d),
        };
    }
    match cur {
        Json::Object(map) => {
            if map.contains_key(last) {
                return Err(invalid("cannot replace existing key")
                    .with_hint("Try using the function jsonb_set to replace key value."));
            }
            map.insert(last.clone(), new);
        }
        Json::Array(items) => {
            let i: i64 =
                last.trim().parse().map_err(|_| invalid("path element is not an integer"))?;
            let len = i64::try_from(items.len()).unwrap_or(0);
            let mut idx = if i < 0 { len + i } else { i };
            if after {
                idx += 1;
            }
            let idx = usize::try_from(idx.clamp(0, len)).unwrap_or(0);
            items.insert(idx, new);
        }
        _ => return Err(invalid("cannot set path in scalar")),
    }
    Ok(d)
}

/// jsonb containment (`a @> b`).
fn contains(a: &Json, b: &Json, top: bool) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            y.iter().all(|(k, vb)| x.get(k).is_some_and(|va| contains(va, vb, false)))
        }
        (Json::Array(x), Json::Array(y)) => y.iter().all(|vb| {
            x.iter().any(|va| match (va, vb) {
                (Json::Array(_), Json::Array(_)) | (Json::Object(_), Json::Object(_)) => {
                    contains(va, vb, false)
                }
                _ => json_eq(va, vb),
            })
        }),
        // A top-level array contains a bare scalar it has as an element.
        (Json::Array(x), scalar) if top && !matches!(scalar, Json::Object(_)) => {
            x.iter().any(|va| json_eq(va, scalar))
        }
        _ => json_eq(a, b),
    }
}

fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            let p = x.to_string().parse::<bigdecimal::BigDecimal>();
            let q = y.to_string().parse::<bigdecimal::BigDecimal>();
            matches!((p, q), (Ok(p), Ok(q)) if p == q)
        }
        _ => a == b,
    }
}

fn exists(d: &Json, key: &str) -> bool {
    match d {
        Json::Object(m) => m.contains_key(key),
        Json::Array(items) => items.iter().any(|v| matches!(v, Json::String(s) if s == key)),
        Json::String(s) => s == key,
        _ => false,
    }
}

fn concat(a: Json, b: Json) -> Json {
    match (a, b) {
        (Json::Object(mut x), Json::Object(y)) => {
            x.extend(y);
            Json::Object(x)
        }
        (Json::Array(mut x), Json::Array(y)) => {
            x.extend(y);
            Json::Array(x)
        }
        (Json::Array(mut x), y) => {
            x.push(y);
            Json::Array(x)
        }
        (x, Json::Array(y)) => {
            let mut out = vec![x];
            out.extend(y);
            Json::Array(out)
        }
        (x, y) => Json::Array(vec![x, y]),
    }
}

fn delete(d: Json, key: &Value) -> Result<Json> {
    Ok(match (d, key) {
        (Json::Object(mut m), Value::Text(k)) => {
            m.remove(k);
            Json::Object(m)
        }
        (Json::Array(items), Value::Text(k)) => Json::Array(
            items.into_iter().filter(|v| !matches!(v, Json::String(s) if s == k)).collect(),
        ),
        (Json::Object(mut m), Value::Array(keys)) => {
            for k in &keys.elements {
                if let Value::Text(k) = k {
                    m.remove(k);
                }
            }
            Json::Object(m)
        }
        (Json::Array(items), Value::Array(keys)) => Json::Array(
            items
                .into_iter()
                .filter(|v| {
                    !keys
                        .elements
                        .iter()
                        .any(|k| matches!((v, k), (Json::String(s), Value::Text(t)) if s == t))
                })
                .collect(),
        ),
        (Json::Array(mut items), Value::Int4(i)) => {
            if let Some(idx) = array_index(items.len(), &i.to_string()) {
                items.remove(idx);
            }
            Json::Array(items)
        }
        (Json::Object(_), Value::Int4(_)) => {
            return Err(invalid("cannot delete from object using integer index"))
        }
        _ => return Err(invalid("cannot delete from scalar")),
    })
}

fn delete_path(d: Json, path: &[String]) -> Result<Json> {
    let Some((last, parent)) = path.split_last() else { return Ok(d) };
    let mut d = d;
    let mut cur = &mut d;
    for k in parent {
        cur = match cur {
            Json::Object(map) => match map.get_mut(k) {
                Some(c) => c,
                None => return Ok(d),
            },
            Json::Array(items) => {
                let len = items.len();
                match array_index(len, k) {
                    Some(i) => &mut items[i],
                    None => return Ok(d),
                }
            }
            _ => return Ok(d),
        };
    }
    match cur {
        Json::Object(map) => {
            map.remove(last);
        }
        Json::Array(items) => {
            if let Some(i) = array_index(items.len(), last) {
                items.remove(i);
            }
        }
        _ => return Err(invalid("cannot delete path in scalar")),
    }
    Ok(d)
}

/// The json operators on non-NULL operands.
pub fn json_binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    let is_json = matches!(l, Value::Json(_));
    let wrap = |d: &Json| if is_json { json_text(d) } else { jsonb(d.clone()) };
    let d = doc(l)?;
    Ok(match op {
        BinaryOp::JsonGet | BinaryOp::JsonGetText => {
            let hit = match (r, &d) {
                (Value::Text(k), Json::Object(m)) => m.get(k),
                (Value::Int4(i), Json::Array(items)) => {
                    array_index(items.len(), &i.to_string()).and_then(|i| items.get(i))
                }
                _ => None,
            };
            match (hit, op) {
                (None, _) => Value::Null,
                (Some(h), BinaryOp::JsonGet) => wrap(h),
                (Some(h), _) => as_text(h),
            }
        }
        BinaryOp::JsonPath | BinaryOp::JsonPathText => {
            match (get_opt_path(&d, variadic_path(elements(r))), op) {
                (None, _) => Value::Null,
                (Some(h), BinaryOp::JsonPath) => wrap(h),
                (Some(h), _) => as_text(h),
            }
        }
        BinaryOp::Contains => Value::Bool(contains(&d, &doc(r)?, true)),
        BinaryOp::ContainedBy => Value::Bool(contains(&doc(r)?, &d, true)),
        BinaryOp::JsonExists => Value::Bool(matches!(r, Value::Text(k) if exists(&d, k))),
        BinaryOp::JsonExistsAny => Value::Bool(keys(r).iter().any(|k| exists(&d, k))),
        BinaryOp::JsonExistsAll => Value::Bool(keys(r).iter().all(|k| exists(&d, k))),
        BinaryOp::JsonConcat => jsonb(concat(d, doc(r)?)),
        BinaryOp::JsonDelete => jsonb(delete(d, r)?),
        BinaryOp::JsonDeletePath => jsonb(delete_path(d, &path(r)?)?),
        other => return Err(Error::internal(format!("json operator {other}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> Json {
        parse_jsonb(s).expect("json")
    }

    #[test]
    fn containment_rules() {
        assert!(contains(&j(r#"{"a":1,"b":[1,2]}"#), &j(r#"{"b":[2]}"#), true));
        assert!(!contains(&j(r#"{"a":1}"#), &j(r#"{"a":2}"#), true));
        assert!(contains(&j("[1,2,3]"), &j("3"), true));
        assert!(!contains(&j("[[1,2]]"), &j("1"), true));
        assert!(contains(&j("1.0"), &j("1"), true));
    }

    #[test]
    fn set_insert_delete() {
        let d =
            set_path(j(r#"{"a":{"b":1}}"#), &["a".into(), "c".into()], j("2"), true).expect("set");
        assert_eq!(format_jsonb(&d), r#"{"a": {"b": 1, "c": 2}}"#);
        let d = insert_path(j("[1,3]"), &["1".into()], j("2"), false).expect("insert");
        assert_eq!(format_jsonb(&d), "[1, 2, 3]");
        let d = delete_path(j(r#"{"a":[1,2,3]}"#), &["a".into(), "-1".into()]).expect("delete");
        assert_eq!(format_jsonb(&d), r#"{"a": [1, 2]}"#);
    }
}
