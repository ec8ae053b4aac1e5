//! The SQL engine of HeliosDB Nano: parser glue, binder, planner, executor, expressions
//! and the function library.
//!
//! - [`expr`]: bound, typed scalar expressions — binding from the sqlparser AST with
//!   PostgreSQL's type resolution rules, and evaluation.
//! - [`functions`]: the scalar, aggregate and set-returning function library.

pub mod expr;
pub mod functions;
