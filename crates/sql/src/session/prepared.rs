//! Prepared statements: parsed once, bound once per catalog version and role.

use std::sync::{Arc, OnceLock};

use helios_types::DataType;
use parking_lot::Mutex;

use super::statement::Bound;
use super::Column;
use crate::parser::Statement;

/// What a prepared statement takes and returns, known after its first bind.
#[derive(Debug, Clone)]
pub(super) struct Described {
    pub params: Vec<DataType>,
    pub columns: Vec<Column>,
}

#[derive(Debug)]
struct Inner {
    stmt: Option<Statement>,
    /// How deeply the statement nests ([`crate::parser::nesting_depth`]), measured once.
    depth: usize,
    declared: Vec<DataType>,
    described: OnceLock<Described>,
    /// The bound plan, with the catalog version and the role it was bound for (a plan
    /// holds the privilege checks and row-level security policies of its role).
    cache: Mutex<Option<(u64, String, Arc<Bound>)>>,
}

/// A statement parsed (and bound) once, run many times. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Prepared {
    inner: Arc<Inner>,
}

impl Prepared {
    pub(super) fn new(stmt: Option<Statement>, declared: Vec<DataType>) -> Prepared {
        Prepared {
            inner: Arc::new(Inner {
                depth: stmt.as_ref().map_or(0, crate::parser::nesting_depth),
                stmt,
                declared,
                described: OnceLock::new(),
                cache: Mutex::new(None),
            }),
        }
    }

    /// The parsed statement (`None` for an empty query string).
    pub fn statement(&self) -> Option<&Statement> {
        self.inner.stmt.as_ref()
    }

    /// How deeply the statement nests (what [`crate::parser::with_stack_for`] needs).
    pub(super) fn depth(&self) -> usize {
        self.inner.depth
    }

    /// Declared parameter types, with the unknown ones inferred from their use.
    pub fn param_types(&self) -> &[DataType] {
        match self.inner.described.get() {
            Some(d) => &d.params,
            None => &self.inner.declared,
        }
    }

    /// The result columns (empty for statements that return no rows).
    pub fn columns(&self) -> &[Column] {
        match self.inner.described.get() {
            Some(d) => &d.columns,
            None => &[],
        }
    }

    pub(super) fn declared(&self) -> &[DataType] {
        &self.inner.declared
    }

    pub(super) fn set_described(&self, d: Described) {
        let _ = self.inner.described.set(d);
    }

    pub(super) fn cached(&self, version: u64, role: &str) -> Option<Arc<Bound>> {
        match &*self.inner.cache.lock() {
            Some((v, r, b)) if *v == version && r == role => Some(b.clone()),
            _ => None,
        }
    }

    /// Drops the bound plan (`DISCARD PLANS`): the next run binds again.
    pub(super) fn forget_plan(&self) {
        *self.inner.cache.lock() = None;
    }

    pub(super) fn store(&self, version: u64, role: &str, bound: Arc<Bound>) {
        *self.inner.cache.lock() = Some((version, role.to_string(), bound));
    }
}
