//! Scalar expressions: binding from the sqlparser AST to a typed tree, and evaluation.
//!
//! ```text
//!   ast::Expr ──bind_expr(scope)──▶ Expr (typed, casts explicit) ──eval(row, ctx)──▶ Value
//!                  │                                                  │
//!            ExprScope (sql-core):                              EvalContext (executor):
//!            columns, subqueries,                               params, subquery rows,
//!            parameter types, session                           now(), session, settings
//! ```
//!
//! Type resolution follows PostgreSQL (manual chapter 10): literal typing, `unknown`
//! coercion, implicit casts along int2 → int4 → int8 → numeric → float4 → float8, and
//! one overload-resolution algorithm for operators and functions (`resolve.rs`).
//! Aggregates and window calls are bound here but computed by the executor.
//!
//! | file | holds |
//! |---|---|
//! | `node.rs` | the [`Expr`] tree, operators, aggregate/window call nodes |
//! | `context.rs` | [`ExprScope`], [`EvalContext`], [`SessionInfo`] |
//! | `bind*.rs` | the binder (literals, operators, functions, special forms; ranges in `bind_range.rs`, network addresses in `bind_inet.rs`, function-style casts in `bind_fncast.rs`) |
//! | `types.rs` | categories, implicit casts, common types, SQL type names |
//! | `resolve.rs` | overload resolution |
//! | `polymorphic.rs` | pseudo-type parameters of user routines (`anyelement`, ...) |
//! | `eval.rs`, `arith.rs`, `compare.rs`, `pattern.rs` | evaluation |
//! | `cast.rs`, `num.rs` | value conversions |
//! | `display.rs` | SQL text of a bound expression (EXPLAIN) |
//! | `static_scope.rs` | a fixed-column [`ExprScope`] and parse/bind/eval helpers |
//! | `window_frame.rs` | the frame of a window call (bounds, EXCLUDE) |

pub mod arith;
mod bind;
mod bind_aggregate;
mod bind_array_assign;
mod bind_fncast;
mod bind_func;
mod bind_inet;
mod bind_ops;
mod bind_range;
mod bind_special;
mod bind_tsearch;
mod bind_user;
pub mod cast;
pub mod compare;
pub mod context;
mod display;
pub mod domain;
mod eval;
pub mod node;
pub mod num;
pub mod pattern;
pub(crate) mod polymorphic;
pub mod resolve;
mod static_scope;
pub mod types;
mod typmod;
pub mod window_frame;

pub use arith::{numeric_div, numeric_sqrt};
pub use bind::{bind_expr, coerce_expr, ident_name, resolve_unknown, CoercionKind};
pub use bind_aggregate::bind_aggregate_support;
pub use bind_ops::numeric_op_type;
pub(crate) use bind_special::interval_literal;
pub use context::{
    wall_clock_micros, CursorInfo, EvalContext, ExprScope, SessionInfo, SettingChange,
    SettingChanges, SimpleContext, SubqueryProbe, SubqueryResult,
};
pub(crate) use eval::{binary_values, has_type};
pub use node::{
    AggregateCall, BinaryOp, DomainConstraints, Expr, SortExpr, SubqueryId, SubqueryKind,
    SubqueryTest, UnaryOp, UserAggregate, WindowCall,
};
pub use static_scope::{bind_sql, eval_constant, parse_expr, ScopeColumn, StaticScope};
pub use types::{common_type, data_type_from_ast};
