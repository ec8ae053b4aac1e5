//! The scalar function catalog and function resolution.
//!
//! Every family file (`string.rs`, `math.rs`, ...) registers its functions here with
//! their PostgreSQL signatures. A call is resolved by name and argument types with the
//! same algorithm as operators ([`crate::expr::resolve`]); polymorphic parameters
//! (`anyelement`, `anyarray`, `anynonarray`, `"any"`) are instantiated from the
//! arguments first.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::expr::resolve::{resolve, Resolution};
use crate::expr::types::{common_type, strip_modifiers};
use crate::expr::EvalContext;

/// The implementation of a scalar function: argument values (already of the parameter
/// types) to the result.
pub type ScalarFn = fn(&[Value], &dyn EvalContext) -> Result<Value>;

/// A parameter type in a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamType {
    /// Exactly this type (after implicit coercion).
    Exact(DataType),
    /// `anyelement`: one type shared by all polymorphic parameters.
    AnyElement,
    /// `anyarray`: an array of the shared element type.
    AnyArray,
    /// `anynonarray`: like `anyelement` but not an array.
    AnyNonArray,
    /// `"any"`: any type, no coercion (unknown becomes text).
    Any,
}

/// How the result type is determined.
#[derive(Clone)]
pub enum ReturnType {
    /// A fixed type.
    Exact(DataType),
    /// The shared polymorphic element type.
    Element,
    /// An array of the shared element type.
    ArrayOfElement,
    /// Computed from the (coerced) argument types.
    Computed(fn(&[DataType]) -> DataType),
}

impl fmt::Debug for ReturnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReturnType::Exact(t) => write!(f, "Exact({t})"),
            ReturnType::Element => f.write_str("Element"),
            ReturnType::ArrayOfElement => f.write_str("ArrayOfElement"),
            ReturnType::Computed(_) => f.write_str("Computed"),
        }
    }
}

/// One signature of a scalar function.
pub struct ScalarFunction {
    /// The function's name (lowercase).
    pub name: &'static str,
    /// Parameter types.
    pub params: Vec<ParamType>,
    /// Whether the last parameter may repeat (VARIADIC).
    pub variadic: bool,
    /// The result type.
    pub ret: ReturnType,
    /// The implementation.
    pub eval: ScalarFn,
    /// STRICT: a NULL argument gives NULL without calling `eval`.
    pub strict: bool,
    /// VOLATILE: may give different results for the same arguments (random, clock).
    /// Volatile calls are never folded at plan time.
    pub volatile: bool,
}

impl fmt::Debug for ScalarFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.name, self.params)
    }
}

impl PartialEq for ScalarFunction {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl ScalarFunction {
    /// Calls the function with NULL handling for strict functions.
    pub fn call(&self, args: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
        if self.strict && args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        (self.eval)(args, ctx)
    }
}

/// Collects signatures while the catalog is built.
#[derive(Default)]
pub struct Registry {
    map: HashMap<&'static str, Vec<ScalarFunction>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Registry({} names)", self.map.len())
    }
}

/// Shorthand for an exact parameter type.
pub fn p(t: DataType) -> ParamType {
    ParamType::Exact(t)
}

impl Registry {
    /// Adds a strict, immutable signature and returns it for adjustments.
    pub fn add(
        &mut self,
        name: &'static str,
        params: Vec<ParamType>,
        ret: ReturnType,
        eval: ScalarFn,
    ) -> &mut ScalarFunction {
        let list = self.map.entry(name).or_default();
        list.push(ScalarFunction {
            name,
            params,
            variadic: false,
            ret,
            eval,
            strict: true,
            volatile: false,
        });
        list.last_mut().expect("just pushed")
    }
}

impl ScalarFunction {
    /// Marks the function as not strict (it sees NULL arguments).
    pub fn lenient(&mut self) -> &mut Self {
        self.strict = false;
        self
    }

    /// Marks the function volatile.
    pub fn volatile(&mut self) -> &mut Self {
        self.volatile = true;
        self
    }

    /// Marks the last parameter variadic.
    pub fn variadic(&mut self) -> &mut Self {
        self.variadic = true;
        self
    }
}

fn catalog() -> &'static HashMap<&'static str, Vec<ScalarFunction>> {
    static CATALOG: OnceLock<HashMap<&'static str, Vec<ScalarFunction>>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut r = Registry::default();
        crate::functions::register_all(&mut r);
        r.map
    })
}

/// The name of the twin of `name` that takes its `VARIADIC` array whole, when it has one
/// (see `functions/json.rs` `register_spread`).
pub fn spread_twin(name: &str) -> Option<&'static str> {
    catalog().get_key_value(format!("{name} variadic").as_str()).map(|(k, _)| *k)
}

/// The names of all scalar functions, sorted (for catalogs such as `pg_proc`); internal
/// twins (names with a space) are left out.
pub fn function_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> =
        catalog().keys().copied().filter(|n| !n.contains(' ')).collect();
    names.sort_unstable();
    names
}

/// Whether a scalar function of this name exists.
pub fn function_exists(name: &str) -> bool {
    catalog().contains_key(name)
}

/// A resolved call: the signature, the type each argument is coerced to, the result.
#[derive(Debug)]
pub struct ResolvedCall {
    /// The chosen signature.
    pub func: &'static ScalarFunction,
    /// Target type per argument.
    pub params: Vec<DataType>,
    /// Result type.
    pub ret: DataType,
}

/// Resolves `name(args)` by PostgreSQL's rules. Errors: 42883 `function f(integer) does
/// not exist`, 42725 `function f(unknown) is not unique`.
pub fn resolve_scalar(name: &str, args: &[DataType]) -> Result<ResolvedCall> {
    let sig_list = catalog().get(name).ok_or_else(|| no_function(name, args))?;
    let mut concrete: Vec<(usize, Vec<DataType>, Option<DataType>)> = Vec::new();
    for (i, f) in sig_list.iter().enumerate() {
        if let Some((params, elem)) = instantiate(f, args) {
            concrete.push((i, params, elem));
        }
    }
    // A polymorphic signature instantiated to the same types as a concrete one loses to
    // it (PostgreSQL treats polymorphic parameters as their own pseudo-type category).
    let is_poly = |i: usize| sig_list[i].params.iter().any(|p| !matches!(p, ParamType::Exact(_)));
    let snapshot = concrete.clone();
    concrete.retain(|(i, ps, _)| {
        !is_poly(*i) || !snapshot.iter().any(|(j, qs, _)| j != i && !is_poly(*j) && qs == ps)
    });
    let lists: Vec<Vec<DataType>> = concrete.iter().map(|(_, ps, _)| ps.clone()).collect();
    let chosen = match resolve(args, &lists, false) {
        Resolution::Found(k) => k,
        Resolution::NotFound => return Err(no_function(name, args)),
        Resolution::Ambiguous => {
            return Err(Error::new(
                SqlState::AMBIGUOUS_FUNCTION,
                format!("function {name}({}) is not unique", type_list(args)),
            )
            .with_hint(
                "Could not choose a best candidate function. You might need to add explicit type casts.",
            ))
        }
    };
    let (i, params, elem) = concrete.swap_remove(chosen);
    let func = &sig_list[i];
    let elem = elem.unwrap_or(DataType::Text);
    let ret = match &func.ret {
        ReturnType::Exact(t) => t.clone(),
        ReturnType::Element => elem,
        ReturnType::ArrayOfElement => DataType::Array(Box::new(elem)),
        ReturnType::Computed(f) => f(&params),
    };
    Ok(ResolvedCall { func, params, ret })
}

fn type_list(args: &[DataType]) -> String {
    args.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

pub(crate) fn no_function(name: &str, args: &[DataType]) -> Error {
    Error::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", type_list(args)),
    )
    .with_hint(
        "No function matches the given name and argument types. You might need to add explicit type casts.",
    )
}

/// Expands variadic parameters and instantiates polymorphic ones for these arguments.
/// Returns the concrete parameter list and the element type, or `None` when the
/// signature cannot apply (wrong arity, inconsistent polymorphic arguments).
fn instantiate(f: &ScalarFunction, args: &[DataType]) -> Option<(Vec<DataType>, Option<DataType>)> {
    let mut params: Vec<ParamType> = f.params.clone();
    if f.variadic {
        let last = params.pop()?;
        // VARIADIC needs at least one argument in the variadic position.
        if args.len() <= params.len() {
            return None;
        }
        while params.len() < args.len() {
            params.push(last.clone());
        }
    }
    if params.len() != args.len() {
        return None;
    }
    let poly = params
        .iter()
        .any(|p| matches!(p, ParamType::AnyElement | ParamType::AnyArray | ParamType::AnyNonArray));
    let mut elem: Option<DataType> = None;
    if poly {
        let mut seen: Vec<DataType> = Vec::new();
        for (p, a) in params.iter().zip(args) {
            match (p, a) {
                (_, DataType::Unknown) => {}
                (ParamType::AnyElement | ParamType::AnyNonArray, t) => {
                    seen.push(strip_modifiers(t))
                }
                (ParamType::AnyArray, DataType::Array(e)) => seen.push(strip_modifiers(e)),
                (ParamType::AnyArray, _) => return None,
                _ => {}
            }
        }
        let e =
            if seen.is_empty() { DataType::Text } else { common_type(&seen, "function").ok()? };
        if params.iter().any(|p| matches!(p, ParamType::AnyNonArray))
            && matches!(e, DataType::Array(_))
        {
            return None;
        }
        elem = Some(e);
    }
    let concrete = params
        .iter()
        .zip(args)
        .map(|(p, a)| match p {
            ParamType::Exact(t) => t.clone(),
            ParamType::AnyElement | ParamType::AnyNonArray => {
                elem.clone().unwrap_or(DataType::Text)
            }
            ParamType::AnyArray => {
                DataType::Array(Box::new(elem.clone().unwrap_or(DataType::Text)))
            }
            ParamType::Any => match a {
                DataType::Unknown => DataType::Text,
                t => t.clone(),
            },
        })
        .collect();
    Some((concrete, elem))
}
