//! The logical plan: a tree of relational operators with typed expressions, produced by
//! the [`crate::binder`], rewritten by the [`crate::optimizer`] and run by
//! [`crate::exec`].

mod plan;
mod plan_exprs;
pub mod rewrite;
mod vector_access;

pub use plan::{
    Access, Field, JoinKind, KeyRange, LockTarget, Plan, PlannedQuery, Schema, SequenceOp,
    SetOpKind, SortKey, SubqueryPlan,
};
pub use vector_access::VectorAccess;
