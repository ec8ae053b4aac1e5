//! Binding calls of user-defined aggregates (`CREATE AGGREGATE`): choosing the
//! aggregate by argument types (polymorphic ones instantiated per call) and binding its
//! transition and final functions for the call's concrete types.
//!
//! The support functions are bound like ordinary calls whose arguments are columns of a
//! small row the executor builds: `[state, arg1, ...]` for the transition function,
//! `[state]` for the final function. So a built-in (`int4pl`, `array_append`) and a
//! SQL or PL/pgSQL function are resolved by the same rules as anywhere else.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::catalog::routine_defs::AggregateDef;
use crate::catalog::FunctionDef;
use crate::expr::bind::{Binder, CoercionKind};
use crate::expr::context::ExprScope;
use crate::expr::node::{Expr, UserAggregate};
use crate::expr::polymorphic;
use crate::expr::types::pg_type_name;

/// Binds the support functions of aggregate `name` for concrete argument types
/// `params` and state type `stype` (what `CREATE AGGREGATE` checks, and every call).
pub fn bind_aggregate_support(
    scope: &mut dyn ExprScope,
    name: &str,
    def: &AggregateDef,
    params: &[DataType],
    stype: &DataType,
) -> Result<UserAggregate> {
    Binder { scope }.aggregate_support(name, def, params, stype)
}

/// A bound user aggregate call: the aggregate, the coerced arguments, the result type.
pub(crate) type AggregateBinding = (Arc<UserAggregate>, Vec<Expr>, DataType);

/// An aggregate that fits a call: its cost (implicit conversions), the argument types
/// it takes and its state type, both instantiated.
struct Fit {
    cost: usize,
    func: Arc<FunctionDef>,
    params: Vec<DataType>,
    stype: DataType,
}

impl Binder<'_> {
    /// Binds a call of one of the user aggregates `aggs` (same name) with bound
    /// arguments: the aggregate, the arguments coerced to its types and the result
    /// type; `None` when none fits.
    pub(crate) fn bind_user_aggregate(
        &mut self,
        aggs: &[Arc<FunctionDef>],
        args: Vec<Expr>,
        star: bool,
    ) -> Result<Option<AggregateBinding>> {
        let arg_types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        let mut best: Option<Fit> = None;
        for f in aggs {
            let Some(def) = f.aggregate.as_deref() else { continue };
            if def.star != star || f.params.len() != args.len() {
                continue;
            }
            let declared = f.arg_types();
            let (params, stype) = if polymorphic::is_polymorphic(&declared)
                || polymorphic::is_polymorphic(std::slice::from_ref(&def.stype))
            {
                let Some(inst) = polymorphic::instantiate(&declared, &arg_types) else {
                    continue;
                };
                let params: Option<Vec<DataType>> =
                    declared.iter().map(|t| inst.concrete(t)).collect();
                let (Some(params), Some(stype)) = (params, inst.concrete(&def.stype)) else {
                    continue;
                };
                (params, stype)
            } else {
                (declared, def.stype.clone())
            };
            let mut cost = 0;
            let mut fits = true;
            for (a, p) in args.iter().zip(&params) {
                let t = a.data_type();
                if t == *p {
                    continue;
                }
                if t == DataType::Unknown {
                    cost += 1;
                } else if self.coerce(a.clone(), p, CoercionKind::Implicit).is_ok() {
                    cost += 2;
                } else {
                    fits = false;
                    break;
                }
            }
            if fits && best.as_ref().is_none_or(|b| cost < b.cost) {
                best = Some(Fit { cost, func: f.clone(), params, stype });
            }
        }
        let Some(Fit { func, params, stype, .. }) = best else { return Ok(None) };
        let def = func.aggregate.as_deref().ok_or_else(|| Error::internal("not an aggregate"))?;
        let user = self.aggregate_support(&func.name, def, &params, &stype)?;
        let ty = user.final_.as_ref().map_or(stype, Expr::data_type);
        let args = args
            .into_iter()
            .zip(&params)
            .map(|(a, p)| self.coerce(a, p, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((Arc::new(user), args, ty)))
    }

    fn aggregate_support(
        &mut self,
        name: &str,
        def: &AggregateDef,
        params: &[DataType],
        stype: &DataType,
    ) -> Result<UserAggregate> {
        let mut targs = vec![Expr::Column(0, stype.clone())];
        targs.extend(params.iter().enumerate().map(|(i, t)| Expr::Column(i + 1, t.clone())));
        let transition = self.support_call(&def.sfunc, targs)?;
        if transition.data_type() != *stype {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "return type of transition function {} is not {}",
                    def.sfunc,
                    pg_type_name(stype)
                ),
            ));
        }
        // PostgreSQL calls support functions with the aggregate's own types: a function
        // that needs its arguments converted does not qualify.
        if let Some(args) = call_args(&transition) {
            if args.iter().any(|a| !matches!(a, Expr::Column(..))) {
                let types: Vec<String> =
                    args.iter().map(|a| pg_type_name(&a.data_type())).collect();
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "function {}({}) requires run-time type coercion",
                        def.sfunc,
                        types.join(", ")
                    ),
                ));
            }
        }
        let strict = is_strict_call(&transition);
        let init = match &def.initcond {
            Some(text) => crate::expr::cast::cast_value(Value::Text(text.clone()), stype, true)?,
            None => Value::Null,
        };
        if strict && init.is_null() && (params.len() != 1 || params[0] != *stype) {
            return Err(Error::new(
                SqlState::from_code("42P13"),
                "must not omit initial value when transition function is strict and transition type is not compatible with input type",
            ));
        }
        let final_ = match &def.finalfunc {
            Some(f) => {
                let mut fargs = vec![Expr::Column(0, stype.clone())];
                if def.finalfunc_extra {
                    fargs.extend(params.iter().map(|t| Expr::Literal(Value::Null, t.clone())));
                }
                Some(self.support_call(f, fargs)?)
            }
            None => None,
        };
        Ok(UserAggregate { name: name.to_string(), transition, strict, final_, init })
    }

    /// Binds a call of the (maybe schema-qualified) function `qualified`: a built-in
    /// first, then a user function.
    fn support_call(&mut self, qualified: &str, args: Vec<Expr>) -> Result<Expr> {
        let (schema, name) = match qualified.rsplit_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, qualified),
        };
        let builtin = match schema {
            None | Some("pg_catalog") => Some(self.call_function(name, args.clone())),
            Some(_) => None,
        };
        let user_schema = schema.filter(|s| *s != "pg_catalog");
        match builtin {
            Some(Err(e)) if e.sqlstate() == SqlState::UNDEFINED_FUNCTION => {
                match self.bind_user_call(user_schema, name, args, Vec::new())? {
                    Some(call) => Ok(call),
                    None => Err(e),
                }
            }
            Some(other) => other,
            None => match self.bind_user_call(user_schema, name, args.clone(), Vec::new())? {
                Some(call) => Ok(call),
                None => {
                    let types: Vec<String> =
                        args.iter().map(|a| pg_type_name(&a.data_type())).collect();
                    Err(Error::new(
                        SqlState::UNDEFINED_FUNCTION,
                        format!("function {qualified}({}) does not exist", types.join(", ")),
                    ))
                }
            },
        }
    }
}

/// Whether a bound support call is of a strict function (NULL in, NULL out, no call).
fn is_strict_call(e: &Expr) -> bool {
    match e {
        Expr::Cast { expr, .. } => is_strict_call(expr),
        Expr::Function { func, .. } => func.strict,
        Expr::UserCall(call) => call.func.strict,
        _ => false,
    }
}

/// The arguments of a bound support call.
fn call_args(e: &Expr) -> Option<&[Expr]> {
    match e {
        Expr::Function { args, .. } => Some(args),
        Expr::UserCall(call) => Some(&call.args),
        _ => None,
    }
}
