//! Binding `FOR UPDATE` / `FOR SHARE` [`OF ...`] [`NOWAIT` | `SKIP LOCKED`].
//!
//! A locking clause applies to the tables of its query level's FROM list (all of them, or
//! those named after OF). Each such table is scanned with its hidden row-key column
//! (`?rowkey?N`, N indexing [`LockRequest::targets`]), the select list carries those
//! columns to the end of its output, and [`Plan::LockRows`] above the query's ORDER BY
//! locks the rows and drops them again (see `exec/row_locks.rs`).
//!
//! Views, WITH queries, subqueries and functions in FROM are not locked; naming one
//! after OF is refused with `0A000`. Every lock is exclusive, so FOR SHARE is as strong
//! as FOR UPDATE (two sharers wait for each other).

use helios_common::{Error, Result, SqlState};
use helios_storage::RowLockWait;
use sqlparser::ast;

use super::Binder;
use crate::catalog::TableDef;
use crate::parser::object_name;
use crate::planner::{Field, LockTarget, Plan, Schema};

/// The name prefix of a scan's hidden row-key column.
const KEY_PREFIX: &str = "?rowkey?";

/// The locking clauses of one query level while its FROM list is bound.
#[derive(Debug)]
pub(super) struct LockRequest {
    /// `FOR UPDATE` or `FOR SHARE`, for messages.
    strength: &'static str,
    /// Tables named after OF with their wait mode; empty: `all` applies.
    named: Vec<(String, RowLockWait, bool)>,
    /// The wait mode of a clause without OF (locks every table).
    all: Option<RowLockWait>,
    /// The tables given a key column so far.
    targets: Vec<LockTarget>,
}

fn wait_of(clause: &ast::LockClause) -> RowLockWait {
    match clause.nonblock {
        None => RowLockWait::Wait,
        Some(ast::NonBlock::Nowait) => RowLockWait::NoWait,
        Some(ast::NonBlock::SkipLocked) => RowLockWait::Skip,
    }
}

/// Of two wait modes for one table, the one PostgreSQL applies: NOWAIT, then SKIP
/// LOCKED, then waiting.
fn stronger(a: RowLockWait, b: RowLockWait) -> RowLockWait {
    use RowLockWait::*;
    match (a, b) {
        (NoWait, _) | (_, NoWait) => NoWait,
        (Skip, _) | (_, Skip) => Skip,
        _ => Wait,
    }
}

impl LockRequest {
    /// The request of a query's locking clauses (`None` without any).
    pub(super) fn of_query(query: &ast::Query) -> Result<Option<LockRequest>> {
        let Some(first) = query.locks.first() else { return Ok(None) };
        let strength = match first.lock_type {
            ast::LockType::Update => "FOR UPDATE",
            ast::LockType::Share => "FOR SHARE",
        };
        let mut req = LockRequest { strength, named: Vec::new(), all: None, targets: Vec::new() };
        for clause in &query.locks {
            let wait = wait_of(clause);
            match &clause.of {
                None => req.all = Some(req.all.map_or(wait, |w| stronger(w, wait))),
                Some(name) => {
                    let name = object_name(name)?.name;
                    match req.named.iter_mut().find(|(n, ..)| *n == name) {
                        Some(entry) => entry.1 = stronger(entry.1, wait),
                        None => req.named.push((name, wait, false)),
                    }
                }
            }
        }
        if !matches!(query.body.as_ref(), ast::SetExpr::Select(_)) {
            return Err(req.refuse("UNION/INTERSECT/EXCEPT"));
        }
        Ok(Some(req))
    }

    /// `0A000`: the locking clause is not allowed with `what`.
    pub(super) fn refuse(&self, what: &str) -> Error {
        refuse(self.strength, what)
    }

    /// The wait mode for the FROM item called `qualifier` (`None`: not locked).
    pub(super) fn wait_for(&mut self, qualifier: &str) -> Option<RowLockWait> {
        let named = self.named.iter_mut().find(|(n, ..)| n == qualifier).map(|entry| {
            entry.2 = true;
            entry.1
        });
        match (named, self.all) {
            (Some(a), Some(b)) => Some(stronger(a, b)),
            (a, b) => a.or(b),
        }
    }

    /// Checks that every table named after OF was found in FROM (`schema` is the FROM
    /// row, to tell a view or subquery of that name from a missing relation), and returns
    /// the clause's strength and the locked tables in key-column order.
    pub(super) fn finish(self, schema: &Schema) -> Result<(&'static str, Vec<LockTarget>)> {
        for (name, _, found) in &self.named {
            if *found {
                continue;
            }
            if schema.iter().any(|f| f.qualifier.as_deref() == Some(name.as_str())) {
                return Err(Error::unsupported(format!(
                    "{} of \"{name}\": only tables can be locked, not views, WITH queries, \
                     subqueries or functions",
                    self.strength
                )));
            }
            return Err(Error::new(
                SqlState::UNDEFINED_TABLE,
                format!("relation \"{name}\" in {} clause not found in FROM clause", self.strength),
            ));
        }
        Ok((self.strength, self.targets))
    }
}

/// `0A000`: a `strength` (`FOR UPDATE`) clause is not allowed with `what`.
pub(super) fn refuse(strength: &str, what: &str) -> Error {
    Error::new(SqlState::FEATURE_NOT_SUPPORTED, format!("{strength} is not allowed with {what}"))
}

/// The positions of the hidden row-key columns in `schema`, ordered by target number.
pub(super) fn key_columns(schema: &Schema) -> Vec<usize> {
    let mut found: Vec<(usize, usize)> = schema
        .iter()
        .enumerate()
        .filter(|(_, f)| f.hidden)
        .filter_map(|(i, f)| Some((f.name.strip_prefix(KEY_PREFIX)?.parse().ok()?, i)))
        .collect();
    found.sort_unstable();
    found.into_iter().map(|(_, i)| i).collect()
}

impl Binder<'_> {
    /// The scan of `table` (called `qualifier` in FROM): with a hidden row-key column
    /// when the query level's locking clause covers it.
    pub(super) fn table_scan(&mut self, table: std::sync::Arc<TableDef>, qualifier: &str) -> Plan {
        let mut schema: Schema =
            table.columns.iter().map(|c| Field::new(c.name.clone(), c.data_type.clone())).collect();
        let wait = self.row_lock.as_mut().and_then(|r| r.wait_for(qualifier));
        let with_key = match (wait, self.row_lock.as_mut()) {
            (Some(wait), Some(req)) => {
                let name = format!("{KEY_PREFIX}{}", req.targets.len());
                req.targets.push(LockTarget { table: table.id, name: table.name.clone(), wait });
                schema.push(Field {
                    hidden: true,
                    ..Field::new(name, helios_types::DataType::Bytea)
                });
                true
            }
            _ => false,
        };
        Plan::Scan {
            table,
            access: crate::planner::Access::Full,
            filter: None,
            with_key,
            needed: None,
            schema,
        }
    }

    /// Wraps a query level's plan, whose trailing columns are the row keys of `targets`,
    /// in [`Plan::LockRows`].
    pub(super) fn lock_rows(&mut self, plan: Plan, targets: Vec<LockTarget>) -> Plan {
        self.locks_rows = true;
        let mut schema = plan.schema();
        schema.truncate(schema.len() - targets.len());
        Plan::LockRows { input: Box::new(plan), tables: targets, schema }
    }

    /// Whether a statement bound by this binder locks rows anywhere (it must run as a
    /// writing statement).
    pub fn locks_rows(&self) -> bool {
        self.locks_rows
    }
}
