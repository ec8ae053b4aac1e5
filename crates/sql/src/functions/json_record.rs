//! JSON objects as composite values: `json[b]_populate_record(base, json)` (scalar),
//! `json[b]_populate_recordset(base, json)` and `json[b]_to_record[set](json) AS x(a
//! int, ...)` (in FROM).
//!
//! A field takes the object's value of the same key, else the base record's field (NULL
//! without one). JSON `null` is NULL; a string is the field type's input text; numbers
//! and booleans their JSON text; an array becomes an array of the element type and an
//! object a nested composite, and both stay documents for `json`/`jsonb` fields.

use std::sync::{Arc, LazyLock};

use helios_common::{Error, Result, SqlState};
use helios_types::text::json::parse_jsonb;
use helios_types::{Array, ArrayDim, DataType, Record, RecordType, Value};
use serde_json::Value as Json;

use crate::expr::{EvalContext, Expr};
use crate::functions::registry::{ParamType, ReturnType, ScalarFunction};
use crate::functions::table::{RowIter, TableFunction};

/// Whether `name` is one of the scalar populate functions.
pub fn is_populate_record(name: &str) -> bool {
    matches!(name, "json_populate_record" | "jsonb_populate_record")
}

/// Binds `json[b]_populate_record(base, json)`: its result is of the base's composite
/// type (42804 when the base's type is not composite).
pub fn bind_populate_record(name: &str, args: Vec<Expr>) -> Result<Expr> {
    let [base, doc]: [Expr; 2] = args.try_into().map_err(|_| {
        Error::new(SqlState::UNDEFINED_FUNCTION, format!("function {name} takes two arguments"))
    })?;
    let DataType::Record(t) = base.data_type() else {
        return Err(Error::new(
            SqlState::DATATYPE_MISMATCH,
            format!("first argument of {name} must be a row type"),
        ));
    };
    let ty = DataType::Record(t.clone());
    // A NULL base is a record of NULL fields, which carries the type to the call.
    let empty = Value::Record(Arc::new(Record::new(t.clone(), vec![Value::Null; t.fields.len()])));
    let base = Expr::Coalesce(vec![base, Expr::Literal(empty, ty.clone())], ty.clone());
    Ok(Expr::Function { func: populate_function(), args: vec![base, doc], ty })
}

fn populate_function() -> &'static ScalarFunction {
    static F: LazyLock<ScalarFunction> = LazyLock::new(|| ScalarFunction {
        name: "json_populate_record",
        params: vec![ParamType::Any, ParamType::Any],
        variadic: false,
        // The bound call carries the composite type.
        ret: ReturnType::Exact(DataType::Unknown),
        eval: populate_record_call,
        strict: false,
        volatile: false,
    });
    &F
}

fn populate_record_call(args: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let Value::Record(base) = &args[0] else { return Ok(Value::Null) };
    let Some(doc) = document(&args[1])? else {
        return Ok(if base.fields.iter().all(Value::is_null) {
            Value::Null
        } else {
            args[0].clone()
        });
    };
    Ok(Value::Record(Arc::new(object_record(&doc, &base.ty, Some(base))?)))
}

fn document(v: &Value) -> Result<Option<Json>> {
    Ok(match v {
        Value::Null => None,
        Value::Jsonb(d) => Some((**d).clone()),
        Value::Json(s) | Value::Text(s) => Some(parse_jsonb(s)?),
        other => Some(crate::functions::json::to_json(other)?),
    })
}

fn not_object(j: &Json) -> Error {
    let what = match j {
        Json::Array(_) => "an array",
        _ => "a scalar",
    };
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("cannot call populate_composite on {what}"),
    )
}

/// The composite value of `ty` an object gives (fields it lacks come from `base`).
fn object_record(j: &Json, ty: &Arc<RecordType>, base: Option<&Record>) -> Result<Record> {
    let Json::Object(map) = j else { return Err(not_object(j)) };
    let mut fields = Vec::with_capacity(ty.fields.len());
    for (i, f) in ty.fields.iter().enumerate() {
        fields.push(match map.get(&f.name) {
            Some(v) => match (v, &f.ty) {
                (Json::Array(items), DataType::Array(elem)) => json_array(items, elem, &f.name)?,
                (Json::Number(_) | Json::Bool(_) | Json::Object(_), DataType::Array(_)) => {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        "expected JSON array",
                    )
                    .with_hint(format!("See the value of key \"{}\".", f.name)))
                }
                _ => json_value(v, &f.ty)?,
            },
            None => base.and_then(|b| b.fields.get(i).cloned()).unwrap_or(Value::Null),
        });
    }
    Ok(Record::new(ty.clone(), fields))
}

/// A JSON array as an array of `elem`: nested JSON arrays are further dimensions (unless
/// the elements are json themselves), which must be regular. `key` names the field in
/// errors.
fn json_array(items: &[Json], elem: &DataType, key: &str) -> Result<Value> {
    let nests = !matches!(elem, DataType::Json | DataType::Jsonb);
    // The depth is that of the first scalar, found along the first elements.
    let mut ndims = 1;
    let mut probe = items.first();
    while let (true, Some(Json::Array(inner))) = (nests, probe) {
        ndims += 1;
        probe = inner.first();
    }
    let mut lens: Vec<Option<usize>> = vec![None; ndims];
    let mut elements = Vec::new();
    let mut path = Vec::new();
    json_array_level(items, elem, key, 0, &mut lens, &mut path, &mut elements)?;
    let dims: Vec<ArrayDim> = lens
        .iter()
        .map(|l| ArrayDim { lower: 1, len: i32::try_from(l.unwrap_or(0)).unwrap_or(i32::MAX) })
        .collect();
    Ok(Value::Array(Arc::new(Array::with_dims(elem.clone(), elements, &dims)?)))
}

fn json_array_level(
    items: &[Json],
    elem: &DataType,
    key: &str,
    depth: usize,
    lens: &mut Vec<Option<usize>>,
    path: &mut Vec<usize>,
    out: &mut Vec<Value>,
) -> Result<()> {
    match lens[depth] {
        None => lens[depth] = Some(items.len()),
        Some(n) if n != items.len() => {
            return Err(Error::new(SqlState::INVALID_TEXT_REPRESENTATION, "malformed JSON array")
                .with_detail(
                    "Multidimensional arrays must have sub-arrays with matching dimensions.",
                ))
        }
        Some(_) => {}
    }
    for (i, item) in items.iter().enumerate() {
        path.push(i);
        if depth + 1 < lens.len() {
            let Json::Array(inner) = item else {
                let at: String = path.iter().map(|p| format!("[{p}]")).collect();
                let mut e = Error::new(SqlState::INVALID_PARAMETER_VALUE, "expected JSON array");
                if !key.is_empty() {
                    e = e.with_hint(format!("See the array element {at} of key \"{key}\"."));
                }
                return Err(e);
            };
            json_array_level(inner, elem, key, depth + 1, lens, path, out)?;
        } else {
            out.push(json_value(item, elem)?);
        }
        path.pop();
    }
    Ok(())
}

/// One JSON value as a value of `ty`.
fn json_value(j: &Json, ty: &DataType) -> Result<Value> {
    match (j, ty) {
        (Json::Null, _) => Ok(Value::Null),
        (_, DataType::Jsonb) => Ok(Value::Jsonb(Arc::new(j.clone()))),
        (_, DataType::Json) => Ok(Value::Json(j.to_string())),
        (Json::String(s), _) => Value::parse_pg_text(s, ty),
        (Json::Array(items), DataType::Array(elem)) => json_array(items, elem, ""),
        (Json::Object(_), DataType::Record(t)) => {
            Ok(Value::Record(Arc::new(object_record(j, t, None)?)))
        }
        (other, _) => Value::parse_pg_text(&other.to_string(), ty),
    }
}

/// `json[b]_populate_recordset(base, json)` and `json[b]_to_record[set](json)`: rows
/// of the columns of a composite type, or of a column definition list.
#[derive(Debug)]
pub struct JsonRecordRows {
    name: String,
    columns: Vec<(String, DataType)>,
    ty: Arc<RecordType>,
    /// The document is an array of objects (else one object).
    set: bool,
    /// The document is the second argument (after a base record).
    with_base: bool,
}

impl JsonRecordRows {
    /// The function `name` producing rows of type `ty`.
    pub fn new(name: &str, ty: Arc<RecordType>) -> JsonRecordRows {
        JsonRecordRows {
            name: name.to_string(),
            columns: ty.fields.iter().map(|f| (f.name.clone(), f.ty.clone())).collect(),
            set: name.ends_with("set"),
            with_base: name.contains("populate"),
            ty,
        }
    }
}

impl TableFunction for JsonRecordRows {
    fn name(&self) -> &str {
        &self.name
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, args: &[Value], _: &dyn EvalContext) -> Result<RowIter> {
        let base = match (self.with_base, args.first()) {
            (true, Some(Value::Record(r))) => Some(r.clone()),
            _ => None,
        };
        let doc_arg = if self.with_base { args.get(1) } else { args.first() };
        let Some(doc) = document(doc_arg.unwrap_or(&Value::Null))? else {
            return Ok(Box::new(std::iter::empty()));
        };
        let objects: Vec<Json> = match (self.set, doc) {
            (true, Json::Array(items)) => items,
            (true, _) => {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "cannot call json_populate_recordset on an object",
                ))
            }
            (false, d) => vec![d],
        };
        let mut rows = Vec::with_capacity(objects.len());
        for o in &objects {
            rows.push(Ok(object_record(o, &self.ty, base.as_deref())?.fields));
        }
        Ok(Box::new(rows.into_iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helios_types::RecordField;

    #[test]
    fn objects_fill_fields_by_name() {
        let ty = Arc::new(RecordType::anonymous_named(vec![
            RecordField { name: "a".into(), ty: DataType::Int4 },
            RecordField { name: "b".into(), ty: DataType::Array(Box::new(DataType::Int4)) },
            RecordField { name: "c".into(), ty: DataType::Text },
        ]));
        let doc: Json = serde_json::from_str(r#"{"b":[1,null],"a":"7","z":1}"#).unwrap();
        let r = object_record(&doc, &ty, None).unwrap();
        assert_eq!(Value::Record(Arc::new(r)).to_pg_text(), "(7,\"{1,NULL}\",)");
        assert!(object_record(&Json::Bool(true), &ty, None).is_err());
    }
}
