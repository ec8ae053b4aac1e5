//! Binding of subscripted assignment to an array column: `UPDATE t SET a[i][j] = v` and
//! `SET a[l:u] = v`.
//!
//! The parser rewrites such a target into nested calls, one per subscript, because it
//! does not know the column's type (`parser/subscript_assign.rs`):
//!
//! ```text
//!   a[i][j] = v    ->  helios_array_assign(a, (i), helios_array_assign(a[i], (j), (v)))
//!   a[l:u] = v     ->  helios_array_assign(a, helios_slice_bound((l), (u)), (v))
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

impl Binder<'_> {
    /// Binds the parser's `helios_array_assign(...)` chain on an array column as one
    /// call; `None` when `f` is not such a chain (a jsonb column, say).
    pub(crate) fn bind_array_assignment(&mut self, f: &ast::Function) -> Result<Option<Expr>> {
        let Some(args) = function_args(f, ASSIGN) else { return Ok(None) };
        let [base, first, mut value] = args.as_slice() else { return Ok(None) };
        let base = self.bind(base)?;
        let DataType::Array(_) = base.data_type() else { return Ok(None) };
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
        if slices.iter().all(Option::is_none) {
            let indexes =
                subs.iter().map(|s| self.bind_int_subscript(s)).collect::<Result<Vec<_>>>()?;
            let path = Expr::Array { elements: indexes, ty: int4s };
            return self.call_function("helios_array_assign_at", vec![base, path, value]).map(Some);
        }
        // A slice: a plain `[n]` among slices means `[1:n]`; a missing bound is NULL.
        let (mut lowers, mut uppers) = (Vec::new(), Vec::new());
        for (s, bounds) in subs.iter().zip(&slices) {
            match bounds.as_deref() {
                Some([l, u]) => {
                    lowers.push(self.bind_int_subscript(l)?);
                    uppers.push(self.bind_int_subscript(u)?);
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
