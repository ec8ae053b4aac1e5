//! Binding of subscripted assignment to an array column: `UPDATE t SET a[i][j] = v` and
//! `SET a[l:u] = v`.
//!
//! The parser rewrites such a target into nested calls, one per subscript, because it
//! does not know the column's type (`parser/subscript_assign.rs`):
//!
//! ```text
//!   a[i][j] = v    ->  helios_array_assign(a, (i), helios_array_assign(a[i], (j), (v)))
//!   a[l:u] = v     ->  helios_array_assign(a, helios_slice_bound((l), (u)), (v))
//!   a[:u] = v      ->  helios_array_assign(a, helios_slice_bound((helios_omitted), (u)), (v))
//! ```
//!
//! The nesting is right for jsonb, where each subscript descends one level. An array is
//! one value with several subscripts, so for an array column the chain is bound here as
//! one call: `helios_array_assign_at(a, ARRAY[i, j], v)`, or
//! `helios_array_assign_slice(a, lowers, uppers, v)` when any subscript is a slice.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use crate::expr::bind::{Binder, CoercionKind};
use crate::expr::node::Expr;

/// The function the parser names each subscripted assignment with.
const ASSIGN: &str = "helios_array_assign";
/// The function the parser wraps a slice subscript `[l:u]` in.
const SLICE_BOUND: &str = "helios_slice_bound";

/// The plain positional arguments of a call to `name`, if that is what `e` is.
fn call_args<'a>(e: &'a ast::Expr, name: &str) -> Option<Vec<&'a ast::Expr>> {
    let mut e = e;
    while let ast::Expr::Nested(inner) = e {
        e = inner;
    }
    let ast::Expr::Function(f) = e else { return None };
    function_args(f, name)
}

fn function_args<'a>(f: &'a ast::Function, name: &str) -> Option<Vec<&'a ast::Expr>> {
    if !f.name.to_string().eq_ignore_ascii_case(name) {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else { return None };
    list.args
        .iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => Some(x),
            _ => None,
        })
        .collect()
}

/// Whether a slice bound is the parser's mark for a bound left out.
fn is_omitted(e: &ast::Expr) -> bool {
    let mut e = e;
    while let ast::Expr::Nested(inner) = e {
        e = inner;
    }
    matches!(e, ast::Expr::Identifier(id) if id.value == "helios_omitted")
}

/// The column an assignment target names, for messages.
fn target_name(base: &ast::Expr) -> String {
    match base {
        ast::Expr::Identifier(id) => id.value.clone(),
        ast::Expr::CompoundFieldAccess { access_chain, .. } => match access_chain.last() {
            Some(ast::AccessExpr::Dot(ast::Expr::Identifier(id))) => id.value.clone(),
            _ => base.to_string(),
        },
        ast::Expr::CompoundIdentifier(ids) => {
            ids.last().map_or_else(|| base.to_string(), |id| id.value.clone())
        }
        ast::Expr::Nested(inner) => target_name(inner),
        other => other.to_string(),
    }
}

impl Binder<'_> {
    /// Binds the parser's `helios_array_assign(...)` chain on an array column as one
    /// call; `None` when `f` is not such a chain (a jsonb column, say).
    pub(crate) fn bind_array_assignment(&mut self, f: &ast::Function) -> Result<Option<Expr>> {
        let Some(args) = function_args(f, ASSIGN) else { return Ok(None) };
        let [base, first, mut value] = args.as_slice() else { return Ok(None) };
        let column = target_name(base);
        let base = self.bind(base)?;
        let DataType::Array(elem) = base.data_type() else { return Ok(None) };
        let mut subs = vec![*first];
        while let Some(inner) = call_args(value, ASSIGN) {
            let [_, s, v] = inner.as_slice() else { break };
            subs.push(s);
            value = v;
        }
        if subs.len() > helios_types::array::MAX_DIMS {
            return Err(Error::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                format!(
                    "number of array dimensions ({}) exceeds the maximum allowed ({})",
                    subs.len(),
                    helios_types::array::MAX_DIMS
                ),
            ));
        }
        let value = self.bind(value)?;
        let int4s = DataType::Array(Box::new(DataType::Int4));
        let slices: Vec<Option<Vec<&ast::Expr>>> =
            subs.iter().map(|s| call_args(s, SLICE_BOUND)).collect();
        let is_slice = slices.iter().any(Option::is_some);
        let target = if is_slice { base.data_type() } else { (*elem).clone() };
        let value =
            self.coerce(value.clone(), &target, CoercionKind::Assignment).map_err(|_| {
                Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "subscripted assignment to \"{column}\" requires type {target} but \
                     expression is of type {}",
                        value.data_type()
                    ),
                )
                .with_hint("You will need to rewrite or cast the expression.")
            })?;
        if !is_slice {
            let indexes =
                subs.iter().map(|s| self.bind_int_subscript(s)).collect::<Result<Vec<_>>>()?;
            let path = Expr::Array { elements: indexes, ty: int4s };
            return self.call_function("helios_array_assign_at", vec![base, path, value]).map(Some);
        }
        // A slice: a plain `[n]` among slices means `[1:n]`; a missing bound is the
        // array's own (NULL for an empty array, which then needs both).
        let (mut lowers, mut uppers) = (Vec::new(), Vec::new());
        for (k, (s, bounds)) in subs.iter().zip(&slices).enumerate() {
            match bounds.as_deref() {
                Some([l, u]) => {
                    let dim = Expr::literal(Value::Int4(k as i32 + 1));
                    let side = |b: &mut Self, e: &ast::Expr, f: &str| -> Result<Expr> {
                        if is_omitted(e) {
                            b.call_function(f, vec![base.clone(), dim.clone()])
                        } else {
                            b.bind_int_subscript(e)
                        }
                    };
                    lowers.push(side(self, l, "array_lower")?);
                    uppers.push(side(self, u, "array_upper")?);
                }
                Some(_) => return Err(Error::internal("a slice bound without two sides")),
                None => {
                    lowers.push(Expr::literal(Value::Int4(1)));
                    uppers.push(self.bind_int_subscript(s)?);
                }
            }
        }
        let lowers = Expr::Array { elements: lowers, ty: int4s.clone() };
        let uppers = Expr::Array { elements: uppers, ty: int4s };
        self.call_function("helios_array_assign_slice", vec![base, lowers, uppers, value]).map(Some)
    }

    fn bind_int_subscript(&mut self, e: &ast::Expr) -> Result<Expr> {
        let x = self.bind(e)?;
        self.coerce(x, &DataType::Int4, CoercionKind::Implicit).map_err(|_| {
            Error::new(SqlState::DATATYPE_MISMATCH, "array subscript must have type integer")
        })
    }
}
