//! The SQL engine of HeliosDB Nano.
//!
//! # The life of a statement
//!
//! ```text
//!  text ─▶ parser ─▶ binder ─▶ optimizer ─▶ exec ─▶ rows
//!          (ast)     (Plan)     (Plan)       (operators pull from storage)
//! ```
//!
//! 1. [`parser`] turns text into statements: our own statements first, everything else
//!    through `sqlparser`'s PostgreSQL dialect.
//! 2. [`binder`] resolves names against the [`catalog`] read at the statement's snapshot,
//!    and produces a typed logical [`planner::Plan`]; expressions are bound by
//!    `expr::bind_expr` through the binder's [`expr::ExprScope`].
//! 3. [`optimizer`] rewrites the plan with an ordered list of rules, one file each.
//! 4. [`exec`] runs the plan inside the session's storage transaction.
//! 5. [`session`] holds one connection's state: transaction, settings, prepared
//!    statements; it is what the embedded API (`heliosdb-nano`) drives.
//!
//! Expressions ([`expr`]) and the function library ([`functions`]) are shared with the
//! binder and executor through the `ExprScope` / `EvalContext` seam.
//!
//! The catalog is made of ordinary versioned rows in the storage keyspace, so DDL is
//! transactional and branches and time travel see schemas as they were.

pub mod binder;
pub mod catalog;
pub mod encoding;
pub mod engine;
pub mod exec;
pub mod expr;
pub mod functions;
pub mod optimizer;
pub mod parser;
pub mod planner;
pub mod routine;
pub mod session;

pub use engine::Engine;
pub use session::{Column, QueryResult, RowSink, Session, StatementResult, TxnStatus};
