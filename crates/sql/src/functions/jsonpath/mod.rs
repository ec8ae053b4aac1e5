//! The SQL/JSON path functions: `jsonb_path_exists`, `jsonb_path_match`,
//! `jsonb_path_query` (set-returning), `jsonb_path_query_array`,
//! `jsonb_path_query_first`, their `_tz` twins, and the operators `@?` and `@@`.
//!
//! The `jsonpath` type itself (parser, syntax tree, canonical text) lives in
//! `helios_types::jsonpath`; a `jsonpath` value is its canonical text, parsed again
//! here for each call. Evaluation follows PostgreSQL's `jsonpath_exec.c` semantics:
//!
//! - [`exec`]: the evaluator (accessors, lax/strict modes, arithmetic);
//! - [`predicate`]: three-valued predicates and comparisons;
//! - [`methods`] and [`datetime`]: item methods;
//! - [`item`]: result items and the SQL/JSON error codes; [`layout`]: `.keyvalue()` ids.
//!
//! `silent => true` suppresses the SQL/JSON errors (missing members, wrong item types,
//! subscripts out of bounds, arithmetic errors) but not a missing variable or a bad
//! regular expression, as in PostgreSQL.

pub mod datetime;
pub mod exec;
pub mod item;
mod layout;
pub mod methods;
pub mod predicate;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::jsonpath::{self as jp, JsonPath};
use helios_types::{DataType, TimeZone, Value};
use serde_json::{Map, Value as Json};

use crate::expr::{coerce_expr, CoercionKind, EvalContext, Expr, ExprScope};
use crate::functions::registry::{p, Registry, ReturnType};
use crate::functions::table::{BoundTableFunction, RowIter, TableFunction};

use exec::{Exec, Status};
use item::{Fail, Item, SINGLETON_REQUIRED};

use DataType::{Bool, JsonPath as Path, Jsonb};

/// The parameter names of the path functions, for named arguments.
pub const PARAM_NAMES: [&str; 4] = ["target", "path", "vars", "silent"];

/// Whether `name` is one of the path functions taking `vars` and `silent`.
pub fn is_path_function(name: &str) -> bool {
    matches!(
        name,
        "jsonb_path_exists"
            | "jsonb_path_match"
            | "jsonb_path_query"
            | "jsonb_path_query_array"
            | "jsonb_path_query_first"
            | "jsonb_path_exists_tz"
            | "jsonb_path_match_tz"
            | "jsonb_path_query_tz"
            | "jsonb_path_query_array_tz"
            | "jsonb_path_query_first_tz"
    )
}

/// Registers the scalar path functions.
pub(crate) fn register(r: &mut Registry) {
    type F = fn(&[Value], &dyn EvalContext) -> Result<Value>;
    let functions: [(&'static str, DataType, F); 8] = [
        ("jsonb_path_exists", Bool, |a, c| exists(a, c, false)),
        ("jsonb_path_exists_tz", Bool, |a, c| exists(a, c, true)),
        ("jsonb_path_match", Bool, |a, c| matches(a, c, false)),
        ("jsonb_path_match_tz", Bool, |a, c| matches(a, c, true)),
        ("jsonb_path_query_array", Jsonb, |a, c| query_array(a, c, false)),
        ("jsonb_path_query_array_tz", Jsonb, |a, c| query_array(a, c, true)),
        ("jsonb_path_query_first", Jsonb, |a, c| query_first(a, c, false)),
        ("jsonb_path_query_first_tz", Jsonb, |a, c| query_first(a, c, true)),
    ];
    for (name, ret, f) in functions {
        r.add(name, vec![p(Jsonb), p(Path)], ReturnType::Exact(ret.clone()), f);
        r.add(name, vec![p(Jsonb), p(Path), p(Jsonb)], ReturnType::Exact(ret.clone()), f);
        r.add(name, vec![p(Jsonb), p(Path), p(Jsonb), p(Bool)], ReturnType::Exact(ret), f);
    }
    // The functions behind `@?` and `@@`: silent, without variables.
    r.add("jsonb_path_exists_opr", vec![p(Jsonb), p(Path)], ReturnType::Exact(Bool), |a, c| {
        exists(&[a[0].clone(), a[1].clone(), Value::Null, Value::Bool(true)], c, false)
    });
    r.add("jsonb_path_match_opr", vec![p(Jsonb), p(Path)], ReturnType::Exact(Bool), |a, c| {
        matches(&[a[0].clone(), a[1].clone(), Value::Null, Value::Bool(true)], c, false)
    });
}

fn empty_vars() -> Value {
    Value::Jsonb(Arc::new(Json::Object(Map::new())))
}

/// The parsed form of a stored path (its canonical text), cached per thread: a query
/// calls a path function once per row with the same path.
fn parsed(text: &str) -> Result<Arc<JsonPath>> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Arc<JsonPath>>> = RefCell::new(HashMap::new());
    }
    if let Some(p) = CACHE.with(|c| c.borrow().get(text).cloned()) {
        return Ok(p);
    }
    let p = Arc::new(jp::parse(text)?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(text.to_string(), p.clone());
    });
    Ok(p)
}

/// The arguments of a path function call.
struct Call {
    target: Arc<Json>,
    path: Arc<JsonPath>,
    vars: Arc<Json>,
    silent: bool,
}

fn call_args(a: &[Value]) -> Result<Call> {
    let target = match a.first() {
        Some(Value::Jsonb(d)) => d.clone(),
        _ => return Err(Error::internal("jsonpath function without a jsonb target")),
    };
    let path = match a.get(1) {
        Some(Value::Text(s)) => parsed(s)?,
        _ => return Err(Error::internal("jsonpath function without a path")),
    };
    // No `vars` argument (the operators) is null: PostgreSQL then numbers the objects
    // `.keyvalue()` makes from 1 instead of 2.
    let vars = match a.get(2) {
        Some(Value::Jsonb(d)) => d.clone(),
        Some(Value::Null) => Arc::new(Json::Null),
        _ => Arc::new(Json::Object(Map::new())),
    };
    if !vars.is_object() && !vars.is_null() {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "\"vars\" argument is not an object",
        )
        .with_detail(
            "Jsonpath parameters should be encoded as key-value pairs of \"vars\" object.",
        ));
    }
    let silent = matches!(a.get(3), Some(Value::Bool(true)));
    Ok(Call { target, path, vars, silent })
}

/// Runs the path; `found` collects results (or `None` to only test existence).
/// Returns `Ok(None)` for a suppressed (silent) error.
fn run<'a>(
    call: &'a Call,
    use_tz: bool,
    tz: TimeZone,
    found: Option<&mut Vec<Item<'a>>>,
) -> Result<Option<Status>> {
    let mut cx = Exec::new(&call.path, &call.target, &call.vars, use_tz, tz);
    let root = Item::of(&call.target);
    let res = match found {
        // Strict mode must see every result to be sure there is no error.
        None if call.path.strict => {
            let mut vals = Vec::new();
            cx.exec(&call.path.expr, &root, Some(&mut vals)).map(|_| {
                if vals.is_empty() {
                    Status::NotFound
                } else {
                    Status::Ok
                }
            })
        }
        found => cx.exec(&call.path.expr, &root, found),
    };
    match res {
        Ok(st) => Ok(Some(st)),
        Err(Fail::Soft(_)) if call.silent => Ok(None),
        Err(e) => Err(e.into_error()),
    }
}

/// Results of a path as `jsonb` values (partial results are kept on a silent error).
fn collect(call: &Call, use_tz: bool, tz: TimeZone) -> Result<Vec<Json>> {
    let mut found = Vec::new();
    run(call, use_tz, tz, Some(&mut found))?;
    Ok(found.into_iter().map(to_jsonb).collect())
}

/// An item as a `jsonb` value: date/time items become ISO strings.
fn to_jsonb(item: Item<'_>) -> Json {
    match item {
        Item::Json(j) => j.into_owned(),
        Item::DateTime(d) => Json::String(datetime::datetime_text(&d)),
    }
}

fn exists(a: &[Value], ctx: &dyn EvalContext, use_tz: bool) -> Result<Value> {
    let call = call_args(a)?;
    Ok(match run(&call, use_tz, ctx.time_zone(), None)? {
        Some(st) => Value::Bool(st == Status::Ok),
        None => Value::Null,
    })
}

fn matches(a: &[Value], ctx: &dyn EvalContext, use_tz: bool) -> Result<Value> {
    let call = call_args(a)?;
    let mut found = Vec::new();
    run(&call, use_tz, ctx.time_zone(), Some(&mut found))?;
    if let [one] = found.as_slice() {
        match one.json() {
            Some(Json::Bool(b)) => return Ok(Value::Bool(*b)),
            Some(Json::Null) => return Ok(Value::Null),
            _ => {}
        }
    }
    if !call.silent {
        return Err(Error::new(SINGLETON_REQUIRED, "single boolean result is expected"));
    }
    Ok(Value::Null)
}

fn query_array(a: &[Value], ctx: &dyn EvalContext, use_tz: bool) -> Result<Value> {
    let call = call_args(a)?;
    Ok(Value::Jsonb(Arc::new(Json::Array(collect(&call, use_tz, ctx.time_zone())?))))
}

fn query_first(a: &[Value], ctx: &dyn EvalContext, use_tz: bool) -> Result<Value> {
    let call = call_args(a)?;
    Ok(match collect(&call, use_tz, ctx.time_zone())?.into_iter().next() {
        Some(j) => Value::Jsonb(Arc::new(j)),
        None => Value::Null,
    })
}

/// Whether `name` is the set-returning path function.
pub fn is_table_function(name: &str) -> bool {
    matches!(name, "jsonb_path_query" | "jsonb_path_query_tz")
}

/// `jsonb_path_query[_tz]` as a table function.
struct PathQuery {
    use_tz: bool,
    columns: Vec<(String, DataType)>,
}

impl fmt::Debug for PathQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "jsonb_path_query{}(...)", if self.use_tz { "_tz" } else { "" })
    }
}

impl TableFunction for PathQuery {
    fn name(&self) -> &str {
        if self.use_tz {
            "jsonb_path_query_tz"
        } else {
            "jsonb_path_query"
        }
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, args: &[Value], ctx: &dyn EvalContext) -> Result<RowIter> {
        if args.iter().any(Value::is_null) {
            return Ok(Box::new(std::iter::empty()));
        }
        let call = call_args(args)?;
        let rows = collect(&call, self.use_tz, ctx.time_zone())?;
        Ok(Box::new(rows.into_iter().map(|j| Ok(vec![Value::Jsonb(Arc::new(j))]))))
    }
}

/// Binds `jsonb_path_query[_tz](target, path [, vars [, silent]])`.
pub fn bind_table_function(
    name: &str,
    args: Vec<Expr>,
    scope: &mut dyn ExprScope,
) -> Result<BoundTableFunction> {
    let params = [Jsonb, Path, Jsonb, Bool];
    if !(2..=4).contains(&args.len()) {
        let types: Vec<String> = args.iter().map(|a| a.data_type().to_string()).collect();
        return Err(Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("function {name}({}) does not exist", types.join(", ")),
        )
        .with_hint("No function matches the given name and argument types. You might need to add explicit type casts."));
    }
    let mut bound = Vec::with_capacity(args.len());
    for (a, t) in args.into_iter().zip(params.iter()) {
        bound.push(coerce_expr(a, t, CoercionKind::Implicit, scope)?);
    }
    let use_tz = name.ends_with("_tz");
    let col = if use_tz { "jsonb_path_query_tz" } else { "jsonb_path_query" };
    Ok(BoundTableFunction {
        func: Arc::new(PathQuery { use_tz, columns: vec![(col.to_string(), Jsonb)] }),
        args: bound,
    })
}

/// Default values of the optional parameters (`vars => '{}'`, `silent => false`) for
/// a named-argument call, by position.
pub fn default_arg(position: usize) -> Option<Value> {
    match position {
        2 => Some(empty_vars()),
        3 => Some(Value::Bool(false)),
        _ => None,
    }
}
