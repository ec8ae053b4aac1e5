//! User-defined routines: SQL and PL/pgSQL functions, procedures, DO blocks and
//! triggers.
//!
//! # How a call runs
//!
//! ```text
//!  expression f(x)  ──▶ Expr::UserCall ──▶ EvalContext::call_routine
//!                                             │ (ExecCtx: RoutineHost = Runtime)
//!  DML row change   ──▶ RoutineHost::fire_row ┤
//!                                             ▼
//!                      Runtime::call ── depth check (54001), STRICT
//!                          │                         │
//!                 LANGUAGE sql                LANGUAGE plpgsql
//!            sql_body: each statement       plpgsql::exec interprets the
//!            bound and run in turn          block; every SQL expression or
//!                          │                statement inside goes through
//!                          ▼                        ▼
//!                    StatementHost::run (bind with our binder, run with our executor)
//! ```
//!
//! Names of parameters and variables inside SQL are replaced by statement parameters
//! (`$n`) before binding ([`substitute`]), so every expression is bound by the normal
//! binder with the variable's type and checked like any statement.
//!
//! A routine runs in the caller's transaction. Called from a query that is reading
//! tables it may only read ([`crate::exec::TxnRef::Read`]); called from a select list
//! without FROM, `CALL`, `DO`, PL/pgSQL statements or a trigger it may write. DDL runs
//! only in `DO` blocks and procedures (which the session runs itself).

pub mod host;
mod no_from;
pub mod plpgsql;
mod runtime;
mod sql_body;
pub mod substitute;
mod trigger;

pub use host::{Notice, NoticeLevel, Outcome, StatementHost};
pub use no_from::{applies as no_from_applies, run as run_no_from};
pub use runtime::Runtime;
pub use sql_body::parse_body as sql_body_parse;
pub use trigger::{fires_on as trigger_fires_on, trigger_depth};
