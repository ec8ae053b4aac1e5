//! Binding calls of user-defined functions: overload resolution by argument types,
//! named arguments (`f(a => 1)`), defaults, and the places such calls may stand.
//!
//! Built-in functions win over user functions of the same name and argument types
//! (PostgreSQL searches `pg_catalog` first); a user function is tried when no built-in
//! matches the call.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;

use crate::catalog::routine_defs::Returns;
use crate::catalog::FunctionDef;
use crate::expr::bind::{Binder, CoercionKind};
use crate::expr::node::{Expr, UserCall};
use crate::expr::polymorphic::{self, Bindings};

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
        let candidates = self.scope.user_functions(schema, name);
        if candidates.is_empty() {
            return Ok(None);
        }
        // `f(..., VARIADIC arr)` passes the variadic array itself.
        let mut named = named;
        let explicit = named
            .iter()
            .position(|(n, _)| n == crate::parser::variadic_call::VARIADIC_ARG)
            .map(|i| named.remove(i).1);
        let mut best: Option<Best> = None;
        for orig in candidates {
            let (f, pack_from, args) = match (&explicit, orig.variadic) {
                (Some(_), false) => continue,
                (Some(arr), true) => {
                    let mut all = args.clone();
                    all.push(arr.clone());
                    (orig.clone(), None, all)
                }
                (None, true) if named.is_empty() && args.len() >= orig.params.len() => {
                    (expand_variadic(&orig, args.len()), Some(orig.params.len() - 1), args.clone())
                }
                _ => (orig.clone(), None, args.clone()),
            };
            let Some(slots) = place(&f, &args, &named) else { continue };
            let param_types = f.arg_types();
            let bindings = if param_types.iter().any(polymorphic::is_polymorphic) {
                let mut arg_types = Vec::with_capacity(slots.len());
                for (slot, p) in slots.iter().zip(&f.params) {
                    arg_types.push(match (slot, &p.default) {
                        (Some(a), _) => a.data_type(),
                        (None, Some(text)) => {
                            self.bind(&crate::parser::parse_expr(text)?)?.data_type()
                        }
                        (None, None) => DataType::Unknown,
                    });
                }
                match polymorphic::bind(&param_types, &arg_types) {
                    Some(b) => Some(b),
                    None => continue,
                }
            } else {
                None
            };
            let mut cost = 0;
            let mut fits = true;
            for (slot, p) in slots.iter().zip(&param_types) {
                let Some(a) = slot else { continue };
                let target = match &bindings {
                    Some(b) if polymorphic::is_polymorphic(p) => {
                        // A polymorphic match ranks after an exact one.
                        cost += 1;
                        match b.substitute(p) {
                            Ok(t) => t,
                            Err(_) => continue,
                        }
                    }
                    _ => p.clone(),
                };
                let t = a.data_type();
                if t == target {
                    continue;
                }
                if t == DataType::Unknown {
                    cost += 1;
                } else if self.coerce(a.clone(), &target, CoercionKind::Implicit).is_ok() {
                    cost += 2;
                } else {
                    fits = false;
                    break;
                }
            }
            if fits && best.as_ref().is_none_or(|b| cost < b.cost) {
                best = Some(Best { cost, orig, shape: f, pack_from, slots, bindings });
            }
        }
        let mut types: Vec<String> =
            args.iter().map(|a| crate::expr::types::pg_type_name(&a.data_type())).collect();
        types.extend(
            named.iter().map(|(n, a)| {
                format!("{n} => {}", crate::expr::types::pg_type_name(&a.data_type()))
            }),
        );
        let Some(Best { orig, shape: func, pack_from, slots, bindings, .. }) = best else {
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
        let (func, orig) = match &bindings {
            Some(b) => (specialize(&func, b)?, specialize(&orig, b)?),
            None => (func, orig),
        };
        let mut bound = Vec::with_capacity(slots.len());
        for (slot, p) in slots.into_iter().zip(func.params.clone()) {
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
            bound.push(self.coerce(e, &p.data_type, CoercionKind::Implicit)?);
        }
        if let Some(from) = pack_from {
            // The trailing arguments make the variadic array.
            let elements = bound.split_off(from);
            let ty = orig.params.last().map(|p| p.data_type.clone()).unwrap_or(DataType::Unknown);
            bound.push(Expr::Array { elements, ty });
        }
        let ty = orig.result_type();
        Ok(Some(Expr::UserCall(Box::new(UserCall { func: orig, args: bound, ty }))))
    }
}

/// The best candidate of a call so far.
struct Best {
    cost: usize,
    /// The routine as defined.
    orig: Arc<FunctionDef>,
    /// Its parameters as the call sees them (a VARIADIC array spread into elements).
    shape: Arc<FunctionDef>,
    /// Where the spread elements start.
    pack_from: Option<usize>,
    slots: Vec<Option<Expr>>,
    bindings: Option<Bindings>,
}

/// `f` with its VARIADIC array parameter spread into element parameters, for a call
/// with `count` positional arguments.
fn expand_variadic(f: &Arc<FunctionDef>, count: usize) -> Arc<FunctionDef> {
    let mut g = (**f).clone();
    let Some(last) = g.params.pop() else { return f.clone() };
    let elem = match &last.data_type {
        DataType::Array(e) => (**e).clone(),
        DataType::Poly(helios_types::Polymorphic::AnyArray) => {
            DataType::Poly(helios_types::Polymorphic::AnyElement)
        }
        DataType::Poly(helios_types::Polymorphic::AnyCompatibleArray) => {
            DataType::Poly(helios_types::Polymorphic::AnyCompatible)
        }
        other => other.clone(),
    };
    while g.params.len() < count {
        g.params.push(crate::catalog::routine_defs::ParamDef {
            name: None,
            data_type: elem.clone(),
            default: None,
        });
    }
    Arc::new(g)
}

/// `f` with its pseudo-types replaced by the types bound at this call (42804 when the
/// `anyelement` family saw only untyped literals).
fn specialize(f: &Arc<FunctionDef>, b: &Bindings) -> Result<Arc<FunctionDef>> {
    if b.uses_elem && b.elem.is_none() {
        return Err(Error::new(
            SqlState::DATATYPE_MISMATCH,
            "could not determine polymorphic type because input has type unknown",
        ));
    }
    let mut g = (**f).clone();
    for p in g.params.iter_mut().chain(g.outs.iter_mut()) {
        p.data_type = b.substitute(&p.data_type)?;
    }
    match &mut g.returns {
        Returns::Scalar(t) | Returns::SetOf(t) => *t = b.substitute(t)?,
        Returns::Table(cols) => {
            for c in cols {
                c.data_type = b.substitute(&c.data_type)?;
            }
        }
        Returns::Void | Returns::Trigger => {}
    }
    Ok(Arc::new(g))
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
