//! Set-returning (table) functions: `unnest`, `generate_series`, `jsonb_each[_text]`,
//! `jsonb_object_keys`, `jsonb_array_elements[_text]` (and their `json_` twins),
//! `regexp_split_to_table`.
//!
//! sql-core calls them from FROM (`SELECT * FROM generate_series(1, 3) AS g(n)`) and
//! from the select list: [`bind_table_function`] resolves the name against already
//! bound arguments (coercing them), and [`TableFunction::call`] produces the rows
//! lazily for one set of argument values.

use std::fmt;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Interval, Value};
use serde_json::Value as Json;

use crate::expr::{coerce_expr, CoercionKind, EvalContext, Expr, ExprScope};
use crate::functions::json::doc;

/// Rows produced by a table function (each row has one value per output column).
pub type RowIter = Box<dyn Iterator<Item = Result<Vec<Value>>> + Send>;

/// A set-returning function resolved for its argument types.
pub trait TableFunction: fmt::Debug + Send + Sync {
    /// The function name.
    fn name(&self) -> &str;
    /// Output column names and types (a single column is named after the function).
    fn columns(&self) -> &[(String, DataType)];
    /// The rows for one set of argument values. NULL arguments give no rows for the
    /// strict functions (all of these are strict).
    fn call(&self, args: &[Value], ctx: &dyn EvalContext) -> Result<RowIter>;
    /// Whether the rows depend only on the arguments (see `exec::subquery_memo`).
    fn is_pure(&self) -> bool {
        false
    }
}

type CallFn = fn(&[Value]) -> Result<RowIter>;

/// A built-in table function instance.
struct Builtin {
    name: &'static str,
    columns: Vec<(String, DataType)>,
    call: CallFn,
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(...) -> {:?}", self.name, self.columns)
    }
}

impl TableFunction for Builtin {
    fn name(&self) -> &str {
        self.name
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, args: &[Value], _ctx: &dyn EvalContext) -> Result<RowIter> {
        // Strict, except string_to_table (a NULL delimiter splits into characters).
        if self.name != "string_to_table" && args.iter().any(Value::is_null) {
            return Ok(Box::new(std::iter::empty()));
        }
        (self.call)(args)
    }
}

/// `f WITH ORDINALITY`: `f`'s rows with a last `bigint` column counting from 1.
pub fn with_ordinality(f: Arc<dyn TableFunction>) -> Arc<dyn TableFunction> {
    let mut columns = f.columns().to_vec();
    columns.push(("ordinality".into(), DataType::Int8));
    Arc::new(Ordinality { inner: f, columns })
}

#[derive(Debug)]
struct Ordinality {
    inner: Arc<dyn TableFunction>,
    columns: Vec<(String, DataType)>,
}

impl TableFunction for Ordinality {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, args: &[Value], ctx: &dyn EvalContext) -> Result<RowIter> {
        let rows = self.inner.call(args, ctx)?;
        Ok(Box::new(rows.zip(1i64..).map(|(row, n)| {
            row.map(|mut r| {
                r.push(Value::Int8(n));
                r
            })
        })))
    }
}

/// Whether `name` is a table function.
pub fn is_table_function(name: &str) -> bool {
    if super::helios::is_table_function(name) || super::jsonpath::is_table_function(name) {
        return true;
    }
    matches!(
        name,
        "unnest"
            | "generate_series"
            | "jsonb_each"
            | "jsonb_each_text"
            | "json_each"
            | "json_each_text"
            | "jsonb_object_keys"
            | "json_object_keys"
            | "jsonb_array_elements"
            | "jsonb_array_elements_text"
            | "json_array_elements"
            | "json_array_elements_text"
            | "regexp_split_to_table"
            | "regexp_matches"
            | "string_to_table"
            | "helios_vector_index_stats"
            | "_pg_expandarray"
            | "generate_subscripts"
            | "pg_partition_ancestors"
            | "pg_partition_tree"
            | "pg_options_to_table"
    )
}

fn no_function(name: &str, args: &[Expr]) -> Error {
    let types: Vec<String> = args.iter().map(|a| a.data_type().to_string()).collect();
    Error::new(SqlState::UNDEFINED_FUNCTION, format!("function {name}({}) does not exist", types.join(", ")))
        .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

/// A table function call with its arguments bound and coerced.
#[derive(Debug, Clone)]
pub struct BoundTableFunction {
    /// The function.
    pub func: Arc<dyn TableFunction>,
    /// Arguments, evaluated per input row and passed to [`TableFunction::call`].
    pub args: Vec<Expr>,
}

impl BoundTableFunction {
    /// The plan scanning a function without arguments that stands for a relation (a
    /// sequence, `pg_stat_progress_create_index`): its columns are the relation's.
    pub fn relation_plan(func: Arc<dyn TableFunction>) -> crate::planner::Plan {
        let schema = func
            .columns()
            .iter()
            .map(|(n, t)| crate::planner::Field::new(n.clone(), t.clone()))
            .collect();
        crate::planner::Plan::TableFunction {
            func: BoundTableFunction { func, args: Vec::new() },
            schema,
        }
    }
}

/// Resolves a table function call on bound arguments, coercing them to the parameter
/// types. `Ok(None)` when `name` is not a table function.
pub fn bind_table_function(
    name: &str,
    args: Vec<Expr>,
    scope: &mut dyn ExprScope,
) -> Result<Option<BoundTableFunction>> {
    if super::helios::is_table_function(name) {
        return super::helios::bind_table_function(name, args, scope).map(Some);
    }
    if super::jsonpath::is_table_function(name) {
        return super::jsonpath::bind_table_function(name, args, scope).map(Some);
    }
    if matches!(name, "json_populate_recordset" | "jsonb_populate_recordset") {
        let ty = match args.first().map(Expr::data_type) {
            Some(DataType::Record(t)) if args.len() == 2 => t,
            _ => return Err(no_function(name, &args)),
        };
        let func = Arc::new(super::json_record::JsonRecordRows::new(name, ty));
        return Ok(Some(BoundTableFunction { func, args }));
    }
    if !is_table_function(name) {
        return Ok(None);
    }
    if name == "helios_vector_index_stats" {
        return crate::functions::vector::bind_index_stats(args, scope).map(Some);
    }
    let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
    let col = |t: DataType| vec![(name.to_string(), t)];
    let (params, columns, call): (Vec<DataType>, Vec<(String, DataType)>, CallFn) =
        match (name, types.as_slice()) {
            ("unnest", [DataType::Array(elem)]) => (types.clone(), col((**elem).clone()), unnest),
            ("unnest", [DataType::TsVector]) => (
                types.clone(),
                vec![
                    ("lexeme".to_string(), DataType::Text),
                    ("positions".to_string(), DataType::Array(Box::new(DataType::Int2))),
                    ("weights".to_string(), DataType::Array(Box::new(DataType::Text))),
                ],
                super::tsearch::unnest_vector,
            ),
            ("unnest", [DataType::Multirange(t)]) => {
                (types.clone(), col(DataType::Range(t.clone())), unnest_multirange)
            }
            // unnest(a, b, ...) in FROM: the arrays side by side, the shorter ones padded
            // with NULLs. An int2vector (text here, `pg_index.indkey` / `indoption`)
            // counts as an array of smallint, as Django's introspection unnests them.
            ("unnest", many)
                if many.len() > 1
                    && many.iter().all(|t| matches!(t, DataType::Array(_) | DataType::Text)) =>
            {
                let columns = many
                    .iter()
                    .map(|t| match t {
                        DataType::Array(e) => (name.to_string(), (**e).clone()),
                        _ => (name.to_string(), DataType::Int2),
                    })
                    .collect();
                (types.clone(), columns, unnest_zipped)
            }
            ("generate_series", [a, b]) | ("generate_series", [a, b, _]) => {
                let t = series_type(a, b).ok_or_else(|| no_function(name, &args))?;
                let mut params = vec![t.clone(), t.clone()];
                let step = if matches!(t, DataType::Timestamp | DataType::TimestampTz) {
                    DataType::Interval
                } else {
                    t.clone()
                };
                if types.len() == 3 {
                    params.push(step);
                } else if matches!(t, DataType::Timestamp | DataType::TimestampTz) {
                    return Err(no_function(name, &args));
                }
                let f: CallFn = match t {
                    DataType::Int4 | DataType::Int8 => series_int,
                    DataType::Numeric(_) => series_numeric,
                    _ => series_ts,
                };
                (params, col(t), f)
            }
            ("jsonb_each" | "json_each", [_]) => {
                let vt = if name.starts_with("jsonb") { DataType::Jsonb } else { DataType::Json };
                (
                    vec![vt.clone()],
                    vec![("key".into(), DataType::Text), ("value".into(), vt.clone())],
                    if vt == DataType::Jsonb { each_jsonb } else { each_json },
                )
            }
            ("jsonb_each_text" | "json_each_text", [_]) => {
                let vt = if name.starts_with("jsonb") { DataType::Jsonb } else { DataType::Json };
                (
                    vec![vt],
                    vec![("key".into(), DataType::Text), ("value".into(), DataType::Text)],
                    each_text,
                )
            }
            ("jsonb_object_keys" | "json_object_keys", [_]) => {
                let vt = if name.starts_with("jsonb") { DataType::Jsonb } else { DataType::Json };
                (vec![vt], col(DataType::Text), object_keys)
            }
            ("jsonb_array_elements" | "json_array_elements", [_]) => {
                let vt = if name.starts_with("jsonb") { DataType::Jsonb } else { DataType::Json };
                let f: CallFn = if vt == DataType::Jsonb { elements_jsonb } else { elements_json };
                (vec![vt.clone()], vec![("value".into(), vt)], f)
            }
            ("jsonb_array_elements_text" | "json_array_elements_text", [_]) => {
                let vt = if name.starts_with("jsonb") { DataType::Jsonb } else { DataType::Json };
                (vec![vt], vec![("value".into(), DataType::Text)], elements_text)
            }
            ("regexp_split_to_table" | "string_to_table", [_, _] | [_, _, _]) => {
                let f: CallFn =
                    if name == "string_to_table" { string_to_table } else { split_table };
                (vec![DataType::Text; types.len()], col(DataType::Text), f)
            }
            ("regexp_matches", [_, _] | [_, _, _]) => (
                vec![DataType::Text; types.len()],
                col(DataType::Array(Box::new(DataType::Text))),
                regexp_matches,
            ),
            ("_pg_expandarray", [DataType::Array(elem)]) => (
                types.clone(),
                vec![("x".into(), (**elem).clone()), ("n".into(), DataType::Int4)],
                expand_array,
            ),
            // An int2vector (`pg_index.indkey`) is text here: "1 3".
            ("_pg_expandarray", [DataType::Text | DataType::Unknown]) => (
                vec![DataType::Text],
                vec![("x".into(), DataType::Int2), ("n".into(), DataType::Int4)],
                expand_int2vector,
            ),
            // `pg_index.indkey` is an int2vector, text here ("1 3"): catalog queries
            // unnest it and take its subscripts, which start at 0 as in PostgreSQL.
            ("unnest", [DataType::Text]) => (types.clone(), col(DataType::Int2), unnest_int2vector),
            ("generate_subscripts", [DataType::Text, _]) => {
                (vec![DataType::Text, DataType::Int4], col(DataType::Int4), int2vector_subscripts)
            }
            ("generate_subscripts", [DataType::Array(_), _])
            | ("generate_subscripts", [DataType::Array(_), _, _]) => {
                let mut params = vec![types[0].clone(), DataType::Int4];
                if types.len() == 3 {
                    params.push(DataType::Bool);
                }
                (params, col(DataType::Int4), subscripts)
            }
            // No table is partitioned: a relation is its own only ancestor.
            ("pg_partition_ancestors", [_]) => {
                (vec![DataType::Int8], vec![("relid".into(), DataType::Int8)], partition_self)
            }
            ("pg_partition_tree", [_]) => (
                vec![DataType::Int8],
                vec![
                    ("relid".into(), DataType::Int8),
                    ("parentrelid".into(), DataType::Int8),
                    ("isleaf".into(), DataType::Bool),
                    ("level".into(), DataType::Int4),
                ],
                partition_tree,
            ),
            // `reloptions`-style `name=value` items as (option_name, option_value) rows.
            ("pg_options_to_table", [DataType::Array(_) | DataType::Unknown]) => (
                vec![DataType::Array(Box::new(DataType::Text))],
                vec![
                    ("option_name".into(), DataType::Text),
                    ("option_value".into(), DataType::Text),
                ],
                options_to_table,
            ),
            _ => return Err(no_function(name, &args)),
        };
    let mut bound = Vec::with_capacity(args.len());
    for (a, p) in args.into_iter().zip(&params) {
        bound.push(coerce_expr(a, p, CoercionKind::Implicit, scope)?);
    }
    let func: Arc<dyn TableFunction> = Arc::new(Builtin { name: static_name(name), columns, call });
    Ok(Some(BoundTableFunction { func, args: bound }))
}

fn static_name(name: &str) -> &'static str {
    const NAMES: [&str; 20] = [
        "unnest",
        "generate_series",
        "jsonb_each",
        "jsonb_each_text",
        "json_each",
        "json_each_text",
        "jsonb_object_keys",
        "json_object_keys",
        "jsonb_array_elements",
        "jsonb_array_elements_text",
        "json_array_elements",
        "json_array_elements_text",
        "regexp_split_to_table",
        "regexp_matches",
        "string_to_table",
        "_pg_expandarray",
        "generate_subscripts",
        "pg_partition_ancestors",
        "pg_partition_tree",
        "pg_options_to_table",
    ];
    NAMES.iter().find(|n| **n == name).copied().unwrap_or("table_function")
}

fn series_type(a: &DataType, b: &DataType) -> Option<DataType> {
    let t = crate::expr::common_type(&[a.clone(), b.clone()], "generate_series").ok()?;
    Some(match t {
        DataType::Int2 | DataType::Int4 => DataType::Int4,
        DataType::Int8 => DataType::Int8,
        DataType::Numeric(_) => DataType::Numeric(None),
        DataType::Timestamp | DataType::Date => DataType::Timestamp,
        DataType::TimestampTz => DataType::TimestampTz,
        DataType::Text => DataType::Int4,
        _ => return None,
    })
}

fn unnest(a: &[Value]) -> Result<RowIter> {
    let Value::Array(arr) = &a[0] else { return Ok(Box::new(std::iter::empty())) };
    let arr = arr.clone();
    Ok(Box::new((0..arr.elements.len()).map(move |i| Ok(vec![arr.elements[i].clone()]))))
}

fn unnest_multirange(a: &[Value]) -> Result<RowIter> {
    let ranges = crate::functions::range::unnest_multirange(&a[0]);
    Ok(Box::new(ranges.into_iter().map(|r| Ok(vec![r]))))
}

fn unnest_zipped(a: &[Value]) -> Result<RowIter> {
    let arrays: Vec<Vec<Value>> = a
        .iter()
        .map(|v| match v {
            Value::Array(x) => Ok(x.elements.clone()),
            Value::Text(_) => int2vector_elements(v),
            _ => Ok(Vec::new()),
        })
        .collect::<Result<_>>()?;
    let rows = arrays.iter().map(Vec::len).max().unwrap_or(0);
    Ok(Box::new((0..rows).map(move |i| {
        Ok(arrays.iter().map(|x| x.get(i).cloned().unwrap_or(Value::Null)).collect())
    })))
}

fn expand_array(a: &[Value]) -> Result<RowIter> {
    let Value::Array(arr) = &a[0] else { return Ok(Box::new(std::iter::empty())) };
    let arr = arr.clone();
    Ok(Box::new((0..arr.elements.len()).map(move |i| {
        Ok(vec![arr.elements[i].clone(), Value::Int4(i32::try_from(i + 1).unwrap_or(i32::MAX))])
    })))
}

fn expand_int2vector(a: &[Value]) -> Result<RowIter> {
    let Value::Text(s) = &a[0] else { return Ok(Box::new(std::iter::empty())) };
    let items: Vec<Vec<Value>> = s
        .split_whitespace()
        .enumerate()
        .map(|(i, x)| {
            let v = x.parse::<i16>().map_or(Value::Null, Value::Int2);
            vec![v, Value::Int4(i32::try_from(i + 1).unwrap_or(i32::MAX))]
        })
        .collect();
    Ok(Box::new(items.into_iter().map(Ok)))
}

/// `generate_subscripts(array, dim [, reverse])`: the subscripts of dimension `dim`
/// (none when the array has no such dimension).
fn subscripts(a: &[Value]) -> Result<RowIter> {
    let (Value::Array(arr), Value::Int4(dim)) = (&a[0], &a[1]) else {
        return Ok(Box::new(std::iter::empty()));
    };
    let dims = arr.dims();
    let Some(d) =
        usize::try_from(*dim).ok().and_then(|k| k.checked_sub(1)).and_then(|k| dims.get(k))
    else {
        return Ok(Box::new(std::iter::empty()));
    };
    let reverse = matches!(a.get(2), Some(Value::Bool(true)));
    let range = d.lower..=d.upper();
    let items: Vec<i32> = if reverse { range.rev().collect() } else { range.collect() };
    Ok(Box::new(items.into_iter().map(|i| Ok(vec![Value::Int4(i)]))))
}

/// The elements of an int2vector's text form; anything but integers is 22P02.
/// The elements of an int2vector (`pg_index.indkey`, text here: `"1 3"`).
pub(crate) fn int2vector_elements(v: &Value) -> Result<Vec<Value>> {
    let Value::Text(s) = v else { return Ok(Vec::new()) };
    s.split_whitespace()
        .map(|x| {
            x.parse::<i16>().map(Value::Int2).map_err(|_| {
                Error::new(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    format!("invalid input syntax for type smallint: \"{x}\""),
                )
            })
        })
        .collect()
}

fn unnest_int2vector(a: &[Value]) -> Result<RowIter> {
    let items = int2vector_elements(&a[0])?;
    Ok(Box::new(items.into_iter().map(|v| Ok(vec![v]))))
}

fn int2vector_subscripts(a: &[Value]) -> Result<RowIter> {
    if a[1] != Value::Int4(1) {
        return Ok(Box::new(std::iter::empty()));
    }
    let n = i32::try_from(int2vector_elements(&a[0])?.len()).unwrap_or(i32::MAX);
    Ok(Box::new((0..n).map(|i| Ok(vec![Value::Int4(i)]))))
}

fn partition_self(a: &[Value]) -> Result<RowIter> {
    Ok(Box::new(std::iter::once(Ok(vec![a[0].clone()]))))
}

fn options_to_table(a: &[Value]) -> Result<RowIter> {
    let Value::Array(items) = &a[0] else { return Ok(Box::new(std::iter::empty())) };
    let rows: Vec<Result<Vec<Value>>> = items
        .elements
        .iter()
        .filter_map(|v| match v {
            Value::Text(s) => Some(match s.split_once('=') {
                Some((k, v)) => vec![Value::Text(k.to_string()), Value::Text(v.to_string())],
                None => vec![Value::Text(s.clone()), Value::Null],
            }),
            _ => None,
        })
        .map(Ok)
        .collect();
    Ok(Box::new(rows.into_iter()))
}

fn partition_tree(a: &[Value]) -> Result<RowIter> {
    let row = vec![a[0].clone(), Value::Null, Value::Bool(true), Value::Int4(0)];
    Ok(Box::new(std::iter::once(Ok(row))))
}

fn zero_step() -> Error {
    Error::new(SqlState::INVALID_PARAMETER_VALUE, "step size cannot equal zero")
}

fn series_int(a: &[Value]) -> Result<RowIter> {
    let int = |v: &Value| crate::expr::num::to_i64(v).unwrap_or(0);
    let (start, stop) = (int(&a[0]), int(&a[1]));
    let step = a.get(2).map_or(1, int);
    if step == 0 {
        return Err(zero_step());
    }
    let is8 = matches!(a[0], Value::Int8(_));
    let mut cur = Some(start);
    Ok(Box::new(std::iter::from_fn(move || {
        let c = cur?;
        if (step > 0 && c > stop) || (step < 0 && c < stop) {
            return None;
        }
        cur = c.checked_add(step);
        Some(Ok(vec![if is8 {
            Value::Int8(c)
        } else {
            Value::Int4(i32::try_from(c).unwrap_or(0))
        }]))
    })))
}

fn series_numeric(a: &[Value]) -> Result<RowIter> {
    let dec = |v: &Value| match v {
        Value::Numeric(helios_types::Numeric::Finite(d)) => Ok(d.as_ref().clone()),
        _ => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "start value cannot be NaN or infinity",
        )),
    };
    let (start, stop) = (dec(&a[0])?, dec(&a[1])?);
    let step = match a.get(2) {
        Some(v) => dec(v)?,
        None => bigdecimal::BigDecimal::from(1),
    };
    let zero = bigdecimal::BigDecimal::from(0);
    if step == zero {
        return Err(zero_step());
    }
    let up = step > zero;
    let mut cur = start;
    Ok(Box::new(std::iter::from_fn(move || {
        if (up && cur > stop) || (!up && cur < stop) {
            return None;
        }
        let out = cur.clone();
        cur = &cur + &step;
        Some(Ok(vec![Value::Numeric(helios_types::Numeric::finite(out))]))
    })))
}

fn series_ts(a: &[Value]) -> Result<RowIter> {
    let ts = crate::functions::datetime::micros;
    let (start, stop) = (ts(&a[0]), ts(&a[1]));
    let Some(Value::Interval(step)) = a.get(2).cloned() else {
        return Err(Error::internal("timestamp series without an interval step"));
    };
    if step == Interval::default() {
        return Err(zero_step());
    }
    let tz = matches!(a[0], Value::TimestampTz(_));
    let up = helios_types::compare::interval_span(&step) > 0;
    let mut cur = Some(start);
    Ok(Box::new(std::iter::from_fn(move || {
        let c = cur?;
        if (up && c > stop) || (!up && c < stop) {
            return None;
        }
        // An infinite start stays infinite: one row, not an endless series.
        cur = crate::functions::datetime::add_interval(c, step).ok().filter(|n| *n != c);
        Some(Ok(vec![if tz { Value::TimestampTz(c) } else { Value::Timestamp(c) }]))
    })))
}

fn object(a: &Value, what: &str) -> Result<serde_json::Map<String, Json>> {
    match doc(a)? {
        Json::Object(m) => Ok(m),
        Json::Array(_) => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("cannot call {what} on an array"),
        )),
        _ => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("cannot call {what} on a scalar"),
        )),
    }
}

fn array(a: &Value, what: &str) -> Result<Vec<Json>> {
    match doc(a)? {
        Json::Array(items) => Ok(items),
        Json::Object(_) => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("cannot extract elements from an object ({what})"),
        )),
        _ => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "cannot extract elements from a scalar",
        )),
    }
}

fn jsonb_value(d: Json) -> Value {
    Value::Jsonb(Arc::new(d))
}

fn json_value(d: &Json) -> Value {
    Value::Json(helios_types::text::json::format_jsonb(d))
}

fn text_value(d: &Json) -> Value {
    match d {
        Json::Null => Value::Null,
        Json::String(s) => Value::Text(s.clone()),
        other => Value::Text(helios_types::text::json::format_jsonb(other)),
    }
}

fn sorted(m: serde_json::Map<String, Json>) -> Vec<(String, Json)> {
    let mut v: Vec<(String, Json)> = m.into_iter().collect();
    v.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
    v
}

fn each_jsonb(a: &[Value]) -> Result<RowIter> {
    let rows = sorted(object(&a[0], "jsonb_each")?);
    Ok(Box::new(rows.into_iter().map(|(k, v)| Ok(vec![Value::Text(k), jsonb_value(v)]))))
}

fn each_json(a: &[Value]) -> Result<RowIter> {
    let rows = sorted(object(&a[0], "json_each")?);
    Ok(Box::new(rows.into_iter().map(|(k, v)| Ok(vec![Value::Text(k), json_value(&v)]))))
}

fn each_text(a: &[Value]) -> Result<RowIter> {
    let rows = sorted(object(&a[0], "jsonb_each_text")?);
    Ok(Box::new(rows.into_iter().map(|(k, v)| Ok(vec![Value::Text(k), text_value(&v)]))))
}

fn object_keys(a: &[Value]) -> Result<RowIter> {
    let rows = sorted(object(&a[0], "jsonb_object_keys")?);
    Ok(Box::new(rows.into_iter().map(|(k, _)| Ok(vec![Value::Text(k)]))))
}

fn elements_jsonb(a: &[Value]) -> Result<RowIter> {
    let items = array(&a[0], "jsonb_array_elements")?;
    Ok(Box::new(items.into_iter().map(|v| Ok(vec![jsonb_value(v)]))))
}

fn elements_json(a: &[Value]) -> Result<RowIter> {
    let items = array(&a[0], "json_array_elements")?;
    Ok(Box::new(items.into_iter().map(|v| Ok(vec![json_value(&v)]))))
}

fn elements_text(a: &[Value]) -> Result<RowIter> {
    let items = array(&a[0], "jsonb_array_elements_text")?;
    Ok(Box::new(items.into_iter().map(|v| Ok(vec![text_value(&v)]))))
}

/// The text of argument `i` (`""` when absent: the default flags).
fn text_arg(a: &[Value], i: usize) -> &str {
    match a.get(i) {
        Some(Value::Text(t)) => t,
        _ => "",
    }
}

/// One row per value.
fn one_column(values: Vec<Value>) -> RowIter {
    Box::new(values.into_iter().map(|v| Ok(vec![v])))
}

fn split_table(a: &[Value]) -> Result<RowIter> {
    let parts = super::regex_fns::split_pieces(text_arg(a, 0), text_arg(a, 1), text_arg(a, 2))?;
    Ok(one_column(parts.into_iter().map(Value::Text).collect()))
}

/// `regexp_matches(string, pattern [, flags])`.
fn regexp_matches(a: &[Value]) -> Result<RowIter> {
    let rows =
        super::regex_fns::regexp_matches_rows(text_arg(a, 0), text_arg(a, 1), text_arg(a, 2))?;
    Ok(one_column(rows))
}

/// `string_to_table(string, delimiter [, null_string])`: `string_to_array`'s elements.
fn string_to_table(a: &[Value]) -> Result<RowIter> {
    match super::string::string_to_array(a)? {
        Value::Array(arr) => Ok(one_column(arr.elements.clone())),
        _ => Ok(Box::new(std::iter::empty())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{bind_sql, SimpleContext, StaticScope};

    fn rows(name: &str, args: &[&str]) -> Result<Vec<Vec<Value>>> {
        let mut scope = StaticScope::default();
        let bound = args.iter().map(|a| bind_sql(a, &mut scope)).collect::<Result<Vec<_>>>()?;
        let b = bind_table_function(name, bound, &mut scope)?.expect("table function");
        let (f, bound) = (b.func, b.args);
        let ctx = SimpleContext::default();
        let vals = bound.iter().map(|e| e.eval(&[], &ctx)).collect::<Result<Vec<_>>>()?;
        f.call(&vals, &ctx)?.collect()
    }

    #[test]
    fn series_and_unnest() {
        let r = rows("generate_series", &["1", "10", "4"]).expect("rows");
        assert_eq!(r, vec![vec![Value::Int4(1)], vec![Value::Int4(5)], vec![Value::Int4(9)]]);
        let r = rows("generate_series", &["3", "1", "-1"]).expect("rows");
        assert_eq!(r.len(), 3);
        assert_eq!(
            rows("generate_series", &["1", "2", "0"]).unwrap_err().message(),
            "step size cannot equal zero"
        );
        let r = rows("unnest", &["ARRAY[1,NULL,3]"]).expect("rows");
        assert_eq!(r, vec![vec![Value::Int4(1)], vec![Value::Null], vec![Value::Int4(3)]]);
    }
}

/// A user-defined function called in FROM: its rows come from the routine runtime.
#[derive(Debug)]
pub struct UserTableFunction {
    /// The function.
    pub func: Arc<crate::catalog::FunctionDef>,
    /// Its result columns.
    pub columns: Vec<(String, DataType)>,
}

impl TableFunction for UserTableFunction {
    fn name(&self) -> &str {
        &self.func.name
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, args: &[Value], ctx: &dyn EvalContext) -> Result<RowIter> {
        let rows = ctx.call_routine(&self.func, args.to_vec())?;
        Ok(Box::new(rows.into_iter().map(Ok)))
    }
}
