//! Binding calls of user-defined functions: overload resolution by argument types,
//! named arguments (`f(a => 1)`), defaults, and the places such calls may stand.
//!
//! Built-in functions win over user functions of the same name and argument types
//! (PostgreSQL searches `pg_catalog` first); a user function is tried when no built-in
//! matches the call.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Pseudo};

use crate::catalog::routine_defs::{ParamDef, Returns};
use crate::catalog::FunctionDef;
use crate::expr::bind::{Binder, CoercionKind};
use crate::expr::node::{Expr, UserCall};
use crate::expr::polymorphic;
use crate::expr::types::TypeCategory;

impl Binder<'_> {
    /// Binds a call of the user function `name` with bound positional and named
    /// arguments; `None` when no user function has that name.
    pub(crate) fn bind_user_call(
        &mut self,
        schema: Option<&str>,
        name: &str,
        args: Vec<Expr>,
        named: Vec<(String, Expr)>,
    ) -> Result<Option<Expr>> {
        let mut candidates = self.scope.user_functions(schema, name);
        // Aggregates are bound as aggregate calls (`bind_aggregate.rs`).
        candidates.retain(|f| f.aggregate.is_none());
        if candidates.is_empty() {
            return Ok(None);
        }
        // `f(..., VARIADIC arr)` passes the variadic array itself.
        let mut args = args;
        let explicit = match args.last() {
            Some(Expr::Function { func, args: inner, .. })
                if func.name == crate::parser::VARIADIC_MARKER && inner.len() == 1 =>
            {
                Some(inner[0].clone())
            }
            _ => None,
        };
        if let Some(arr) = &explicit {
            args.pop();
            args.push(arr.clone());
        }
        let mut best: Option<Candidate> = None;
        let mut undetermined = false;
        let mut tied = false;
        for orig in candidates {
            // A VARIADIC routine is called with its array spread into element
            // parameters, or with the array itself after `VARIADIC`.
            let (f, pack_from) = match (&explicit, orig.variadic) {
                (Some(_), false) => continue,
                (Some(_), true) => (orig.clone(), None),
                (None, true) if named.is_empty() && args.len() >= orig.params.len() => {
                    (expand_variadic(&orig, args.len()), Some(orig.params.len() - 1))
                }
                (None, true) => continue,
                (None, false) => (orig.clone(), None),
            };
            let Some(slots) = place(&f, &args, &named) else { continue };
            let declared = f.arg_types();
            // Polymorphic parameters take the types the arguments determine.
            let mut cost_poly = 0;
            let mut instance = None;
            let (params, result) = if polymorphic::is_polymorphic(&declared)
                || polymorphic::is_polymorphic(&[f.result_type()])
            {
                let arg_types: Vec<DataType> = slots
                    .iter()
                    .map(|s| s.as_ref().map_or(DataType::Unknown, Expr::data_type))
                    .collect();
                let Some(inst) = polymorphic::instantiate(&declared, &arg_types) else {
                    undetermined |= polymorphic::undetermined(&declared, &arg_types);
                    continue;
                };
                let params: Option<Vec<DataType>> =
                    declared.iter().map(|t| inst.concrete(t)).collect();
                let (Some(params), Some(result)) = (params, inst.concrete(&f.result_type())) else {
                    continue;
                };
                // A polymorphic match ranks after an exact one.
                cost_poly =
                    2 * declared.iter().filter(|t| matches!(t, DataType::Pseudo(_))).count();
                instance = Some(inst);
                (params, result)
            } else {
                (declared, f.result_type())
            };
            let mut cost = cost_poly;
            let mut fits = true;
            for (slot, p) in slots.iter().zip(&params) {
                let Some(a) = slot else { continue };
                let t = a.data_type();
                if t == *p {
                    continue;
                }
                if t == DataType::Unknown {
                    // An untyped literal prefers a string parameter, as in PostgreSQL.
                    let string = crate::expr::types::category(p) == TypeCategory::String;
                    cost += if string { 1 } else { 2 };
                } else if self.coerce(a.clone(), p, CoercionKind::Implicit).is_ok() {
                    cost += 4;
                } else {
                    fits = false;
                    break;
                }
            }
            // Two routines that take the given arguments as they are and differ only
            // in what their defaults fill in cannot be told apart (42725).
            if fits && cost == 0 {
                if let Some(b) = &best {
                    tied |= b.cost == 0 && b.orig.arg_types() != orig.arg_types();
                }
            }
            if fits && best.as_ref().is_none_or(|b| cost < b.cost) {
                tied = false;
                best = Some(Candidate {
                    cost,
                    func: f,
                    orig,
                    pack_from,
                    slots,
                    params,
                    result,
                    instance,
                });
            }
        }
        let mut types: Vec<String> =
            args.iter().map(|a| crate::expr::types::pg_type_name(&a.data_type())).collect();
        types.extend(
            named.iter().map(|(n, a)| {
                format!("{n} => {}", crate::expr::types::pg_type_name(&a.data_type()))
            }),
        );
        if tied {
            return Err(Error::new(
                SqlState::AMBIGUOUS_FUNCTION,
                format!("function {name}({}) is not unique", types.join(", ")),
            )
            .with_hint("Could not choose a best candidate function. You might need to add explicit type casts."));
        }
        let Some(Candidate { func, orig, pack_from, slots, params, result, instance, .. }) = best
        else {
            if undetermined {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    "could not determine polymorphic type because input has type unknown",
                ));
            }
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {name}({}) does not exist", types.join(", ")),
            )
            .with_hint("No function matches the given name and argument types. You might need to add explicit type casts."));
        };
        if func.procedure {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("{name}({}) is a procedure", types.join(", ")),
            )
            .with_hint("To call a procedure, use CALL."));
        }
        if func.returns == Returns::Trigger {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "trigger functions can only be called as triggers",
            ));
        }
        let in_from = self.scope.aggregates_allowed() == Err("functions in FROM");
        if func.returns_set() && !in_from {
            return Err(Error::unsupported(format!(
                "set-returning function {} outside FROM",
                func.name
            ))
            .with_hint("Call it in FROM (SELECT * FROM f(...)) or at the top of a select list."));
        }
        let mut bound = Vec::with_capacity(slots.len());
        for ((slot, p), target) in slots.into_iter().zip(func.params.clone()).zip(&params) {
            let e = match slot {
                Some(e) => e,
                None => {
                    let text = p.default.as_deref().ok_or_else(|| {
                        Error::internal("a parameter without default was left out")
                    })?;
                    let ast = crate::parser::parse_expr(text)?;
                    self.bind(&ast)?
                }
            };
            bound.push(self.coerce(e, target, CoercionKind::Implicit)?);
        }
        let (func, params) = match pack_from {
            Some(from) => {
                // The trailing arguments make the variadic array.
                let declared = orig.params.last().map(|p| p.data_type.clone());
                let array = match (&instance, declared) {
                    (Some(inst), Some(t)) => inst.concrete(&t),
                    (None, t) => t,
                    (Some(_), None) => None,
                }
                .ok_or_else(|| Error::internal("variadic parameter type"))?;
                let elements = bound.split_off(from);
                bound.push(Expr::Array { elements, ty: array.clone() });
                let mut params = params;
                params.truncate(from);
                params.push(array);
                (orig, params)
            }
            None => (func, params),
        };
        // The routine runs with its polymorphic types instantiated (SQL and PL/pgSQL
        // bodies see real types).
        let func = match instance {
            Some(inst) => specialize(&func, &inst, &params, &result),
            None => func,
        };
        let ty = result;
        Ok(Some(Expr::UserCall(Box::new(UserCall { func, args: bound, ty }))))
    }
}

/// A function that fits a call: its cost (implicit conversions), the arguments placed
/// on its parameters, the parameter types (polymorphic ones instantiated) and the
/// result type.
struct Candidate {
    cost: usize,
    /// The routine as the call sees it (a VARIADIC array spread into elements).
    func: Arc<FunctionDef>,
    /// The routine as defined.
    orig: Arc<FunctionDef>,
    /// Where the spread elements start, when they are.
    pack_from: Option<usize>,
    slots: Vec<Option<Expr>>,
    params: Vec<DataType>,
    result: DataType,
    instance: Option<polymorphic::Instance>,
}

/// `f` with the instantiated parameter, OUT parameter and result types.
fn specialize(
    f: &Arc<FunctionDef>,
    inst: &polymorphic::Instance,
    params: &[DataType],
    result: &DataType,
) -> Arc<FunctionDef> {
    let mut g = (**f).clone();
    for (p, t) in g.params.iter_mut().zip(params) {
        p.data_type = t.clone();
    }
    for o in &mut g.outs {
        if let Some(t) = inst.concrete(&o.data_type) {
            o.data_type = t;
        }
    }
    match &mut g.returns {
        Returns::Scalar(t) | Returns::SetOf(t) => *t = result.clone(),
        Returns::Table(cols) => {
            for c in cols {
                if let Some(t) = inst.concrete(&c.data_type) {
                    c.data_type = t;
                }
            }
        }
        Returns::Void | Returns::Trigger => {}
    }
    Arc::new(g)
}

/// `f` with its VARIADIC array parameter spread into `count - (params - 1)` element
/// parameters.
fn expand_variadic(f: &Arc<FunctionDef>, count: usize) -> Arc<FunctionDef> {
    let mut g = (**f).clone();
    let Some(last) = g.params.pop() else { return f.clone() };
    let elem = match &last.data_type {
        DataType::Array(e) => (**e).clone(),
        DataType::Pseudo(Pseudo::AnyArray) => DataType::Pseudo(Pseudo::AnyElement),
        DataType::Pseudo(Pseudo::AnyCompatibleArray) => DataType::Pseudo(Pseudo::AnyCompatible),
        other => other.clone(),
    };
    while g.params.len() < count {
        g.params.push(ParamDef { name: None, data_type: elem.clone(), default: None });
    }
    Arc::new(g)
}

/// The arguments of a call placed on `f`'s parameters (`None` where a default
/// applies); `None` when the call does not fit `f`.
fn place(f: &FunctionDef, args: &[Expr], named: &[(String, Expr)]) -> Option<Vec<Option<Expr>>> {
    if args.len() > f.params.len() {
        return None;
    }
    let mut slots: Vec<Option<Expr>> = args.iter().cloned().map(Some).collect();
    slots.resize(f.params.len(), None);
    for (n, e) in named {
        let pos = f.params.iter().position(|p| p.name.as_deref() == Some(n.as_str()))?;
        if slots[pos].is_some() {
            return None;
        }
        slots[pos] = Some(e.clone());
    }
    for (slot, p) in slots.iter().zip(&f.params) {
        if slot.is_none() && p.default.is_none() {
            return None;
        }
    }
    Some(slots)
}
