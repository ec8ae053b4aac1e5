//! The nesting guard: statements nested deeper than [`MAX_EXPR_DEPTH`] fail with 54001
//! "stack depth limit exceeded" instead of overflowing the stack.
//!
//! sqlparser limits its own recursion (nested parentheses and subqueries), but chains of
//! left-associative operators (`1 + 1 + ... + 1`, `x::int::int...`, `a AND b AND ...`)
//! are parsed in a loop and come out as trees as deep as the chain is long. Binding,
//! planning, evaluating and even dropping such a tree recurse once per level, so a long
//! enough chain would crash the process. The guard walks the tree with sqlparser's
//! visitor, which stops at the limit (its own recursion stays bounded), and takes the
//! too-deep subtree apart with an explicit stack so dropping it does not recurse either.
//!
//! Statements within the limit may still need more stack than the calling thread has
//! (an application thread has 2 MiB; a debug build spends tens of KiB per level).
//! [`with_stack_for`] runs the work for a statement of a given depth on a larger stack
//! segment (the `stacker` crate) when the remaining stack is short, so any accepted
//! statement runs on any thread.

use std::ops::ControlFlow;

use helios_common::{Error, Result, SqlState};
use sqlparser::ast::{self, Visit, VisitMut, Visitor, VisitorMut};

/// The deepest expression nesting a statement may have. Deep enough for generated SQL
/// (long AND/OR chains, many nested functions), shallow enough that binding, planning
/// and evaluation fit in a 2 MiB thread stack in a debug build.
pub const MAX_EXPR_DEPTH: usize = 1_000;

/// The error for too deeply nested statements, as PostgreSQL words it.
pub fn stack_depth_error() -> Error {
    Error::new(SqlState::STATEMENT_TOO_COMPLEX, "stack depth limit exceeded")
        .with_hint("The statement nests expressions too deeply; simplify it or split it up.")
}

struct DepthGuard {
    depth: usize,
}

impl VisitorMut for DepthGuard {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            let deep = std::mem::replace(expr, null());
            dismantle(deep);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _expr: &mut ast::Expr) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

fn null() -> ast::Expr {
    ast::Expr::Value(ast::Value::Null.into())
}

/// Drops an expression tree without recursing through the chains the parser builds in
/// a loop (binary and unary operators, casts, `IS` tests, `COLLATE`, parentheses).
fn dismantle(e: ast::Expr) {
    use ast::Expr as A;
    let mut stack = vec![e];
    let take = |b: &mut Box<ast::Expr>| std::mem::replace(b.as_mut(), null());
    while let Some(mut e) = stack.pop() {
        match &mut e {
            A::BinaryOp { left, right, .. } => {
                stack.push(take(left));
                stack.push(take(right));
            }
            A::UnaryOp { expr, .. }
            | A::Cast { expr, .. }
            | A::Nested(expr)
            | A::IsNull(expr)
            | A::IsNotNull(expr)
            | A::IsTrue(expr)
            | A::IsNotTrue(expr)
            | A::IsFalse(expr)
            | A::IsNotFalse(expr)
            | A::IsUnknown(expr)
            | A::IsNotUnknown(expr)
            | A::Collate { expr, .. } => stack.push(take(expr)),
            A::IsDistinctFrom(a, b) | A::IsNotDistinctFrom(a, b) => {
                stack.push(take(a));
                stack.push(take(b));
            }
            A::Like { expr, pattern, .. } | A::ILike { expr, pattern, .. } => {
                stack.push(take(expr));
                stack.push(take(pattern));
            }
            A::CompoundFieldAccess { root, .. } => stack.push(take(root)),
            _ => {}
        }
        drop(e);
    }
}

/// Stack one level of expression nesting may take while binding, planning and
/// evaluating (measured: a debug build overflows 2 MiB near 90 levels).
const STACK_PER_LEVEL: usize = if cfg!(debug_assertions) { 48 << 10 } else { 16 << 10 };

/// Stack every statement may take besides its nesting.
const STACK_BASE: usize = 512 << 10;

struct DepthMeter {
    depth: usize,
    max: usize,
}

impl Visitor for DepthMeter {
    type Break = ();

    fn pre_visit_expr(&mut self, _expr: &ast::Expr) -> ControlFlow<()> {
        self.depth += 1;
        self.max = self.max.max(self.depth);
        if self.depth > MAX_EXPR_DEPTH {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _expr: &ast::Expr) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

/// The deepest expression nesting of `stmt` (at most `MAX_EXPR_DEPTH + 1`).
pub fn statement_depth(stmt: &ast::Statement) -> usize {
    let mut meter = DepthMeter { depth: 0, max: 0 };
    let _ = stmt.visit(&mut meter);
    meter.max
}

/// Runs `f`, the work for a statement nesting `depth` levels, on a stack with room for
/// it: on the current one when enough is left, else on a new segment.
pub fn with_stack_for<T>(depth: usize, f: impl FnOnce() -> T) -> T {
    let need = STACK_BASE + depth.min(MAX_EXPR_DEPTH + 1) * STACK_PER_LEVEL;
    stacker::maybe_grow(need, need + STACK_BASE, f)
}

/// Fails with 54001 when `stmt` nests expressions deeper than [`MAX_EXPR_DEPTH`]; the
/// statement is then left without its too-deep part and must not be run.
pub fn check_depth(stmt: &mut ast::Statement) -> Result<()> {
    let mut guard = DepthGuard { depth: 0 };
    match stmt.visit(&mut guard) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(stack_depth_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn parse(sql: &str) -> ast::Statement {
        Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0)
    }

    #[test]
    fn long_operator_chains_are_refused() {
        let mut deep = parse(&format!("SELECT 1{}", " + 1".repeat(200_000)));
        let err = check_depth(&mut deep).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::STATEMENT_TOO_COMPLEX);
        assert_eq!(err.message(), "stack depth limit exceeded");
        drop(deep);
        let mut casts = parse(&format!("SELECT 1{}", "::int".repeat(50_000)));
        assert!(check_depth(&mut casts).is_err());
    }

    #[test]
    fn ordinary_nesting_passes() {
        let mut ok = parse(&format!("SELECT 1{}", " + 1".repeat(MAX_EXPR_DEPTH - 10)));
        assert!(check_depth(&mut ok).is_ok());
        let mut q = parse("SELECT (SELECT max(a) FROM t WHERE b IN (1, 2, 3)) FROM u");
        assert!(check_depth(&mut q).is_ok());
    }
}
