//! Binding `FOR UPDATE` / `FOR SHARE` [`OF ...`] [`NOWAIT` | `SKIP LOCKED`].
//!
//! A locking clause applies to the tables of its query level's FROM list (all of them, or
//! those named after OF). Each such table is scanned with its hidden row-key column
//! (`?rowkey?N`, N indexing [`LockRequest::targets`]), the select list carries those
//! columns to the end of its output, and [`Plan::LockRows`] above the query's ORDER BY
//! locks the rows and drops them again (see `exec/row_locks.rs`).
//!
//! Views, WITH queries, subqueries and functions in FROM are not locked; naming one
//! after OF is refused with `0A000`. Each table is locked with the greatest strength of
//! the clauses that cover it (`FOR KEY SHARE` < `FOR SHARE` < `FOR NO KEY UPDATE` < `FOR
//! UPDATE`); the parser marks the two weaker ones (see `crate::parser::WEAK_LOCK_MARKER`).
//! How the strengths conflict is `helios_storage::RowLockStrength`'s table: as in
//! PostgreSQL, except that two sharers wait for each other.

use helios_common::{Error, Result, SqlState};
use helios_storage::{RowLockStrength, RowLockWait};
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
    /// The first clause's strength (`FOR UPDATE`, ...), for messages.
    strength: &'static str,
    /// Tables named after OF with their lock; empty: `all` applies.
    named: Vec<(String, Lock, bool)>,
    /// The lock of a clause without OF (locks every table).
    all: Option<Lock>,
    /// The tables given a key column so far.
    targets: Vec<LockTarget>,
    /// Only carries row keys for a cursor's `WHERE CURRENT OF`, locking nothing (see
    /// [`LockRequest::carry_only`]).
    pub(super) carry_only: bool,
}

/// The row keys a cursor's query carries after its own columns, for `UPDATE / DELETE
/// ... WHERE CURRENT OF` (see [`Binder::carry_row_keys`]).
#[derive(Debug, Clone)]
pub struct CursorKeys {
    /// The table of each trailing key column, in order.
    pub tables: Vec<LockTarget>,
    /// The query has a locking clause: the keys are those of its FOR UPDATE / FOR
    /// SHARE tables (PostgreSQL's row marks), not of a simply updatable scan.
    pub locked: bool,
}

/// How one table's rows are locked: the strength and what a held row does.
type Lock = (RowLockStrength, RowLockWait);

/// The lock of two clauses that cover one table.
fn combine(a: Lock, b: Lock) -> Lock {
    (a.0.max(b.0), stronger(a.1, b.1))
}

/// A clause's strength and its OF name without the parser's marker of the weaker
/// strengths (`None`: the clause has no OF).
fn strength_of(clause: &ast::LockClause) -> (RowLockStrength, Option<ast::ObjectName>) {
    let marked = |part: &ast::ObjectNamePart| {
        matches!(part, ast::ObjectNamePart::Identifier(id)
            if id.quote_style == Some('"') && id.value == crate::parser::WEAK_LOCK_MARKER)
    };
    let (weak, of) = match &clause.of {
        Some(name) if name.0.first().is_some_and(marked) => {
            let rest = name.0[1..].to_vec();
            (true, (!rest.is_empty()).then_some(ast::ObjectName(rest)))
        }
        other => (false, other.clone()),
    };
    let strength = match (clause.lock_type, weak) {
        (ast::LockType::Update, false) => RowLockStrength::Update,
        (ast::LockType::Update, true) => RowLockStrength::NoKeyUpdate,
        (ast::LockType::Share, false) => RowLockStrength::Share,
        (ast::LockType::Share, true) => RowLockStrength::KeyShare,
    };
    (strength, of)
}

/// The clause's name in messages.
pub(super) fn strength_name(strength: RowLockStrength) -> &'static str {
    match strength {
        RowLockStrength::KeyShare => "FOR KEY SHARE",
        RowLockStrength::Share => "FOR SHARE",
        RowLockStrength::NoKeyUpdate => "FOR NO KEY UPDATE",
        RowLockStrength::Update => "FOR UPDATE",
    }
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
        let strength = strength_name(strength_of(first).0);
        let mut req = LockRequest {
            strength,
            named: Vec::new(),
            all: None,
            targets: Vec::new(),
            carry_only: false,
        };
        for clause in &query.locks {
            let (strength, of) = strength_of(clause);
            let lock = (strength, wait_of(clause));
            match &of {
                None => req.all = Some(req.all.map_or(lock, |l| combine(l, lock))),
                Some(name) => {
                    let name = object_name(name)?.name;
                    match req.named.iter_mut().find(|(n, ..)| *n == name) {
                        Some(entry) => entry.1 = combine(entry.1, lock),
                        None => req.named.push((name, lock, false)),
                    }
                }
            }
        }
        if !matches!(query.body.as_ref(), ast::SetExpr::Select(_)) {
            return Err(req.refuse("UNION/INTERSECT/EXCEPT"));
        }
        Ok(Some(req))
    }

    /// The request of a cursor's query without a locking clause: the one table of a
    /// simple `SELECT ... FROM table` gets a key column that no [`Plan::LockRows`] uses
    /// (`None` for other queries, which are not simply updatable scans).
    pub(super) fn carry_only(query: &ast::Query) -> Option<LockRequest> {
        let ast::SetExpr::Select(select) = query.body.as_ref() else { return None };
        let [item] = select.from.as_slice() else { return None };
        if !item.joins.is_empty() || !matches!(item.relation, ast::TableFactor::Table { .. }) {
            return None;
        }
        Some(LockRequest {
            strength: "FOR KEY SHARE",
            named: Vec::new(),
            all: Some((RowLockStrength::KeyShare, RowLockWait::Wait)),
            targets: Vec::new(),
            carry_only: true,
        })
    }

    /// `0A000`: the locking clause is not allowed with `what`.
    pub(super) fn refuse(&self, what: &str) -> Error {
        refuse(self.strength, what)
    }

    /// The lock of the FROM item called `qualifier` (`None`: not locked).
    pub(super) fn lock_for(&mut self, qualifier: &str) -> Option<Lock> {
        let named = self.named.iter_mut().find(|(n, ..)| n == qualifier).map(|entry| {
            entry.2 = true;
            entry.1
        });
        match (named, self.all) {
            (Some(a), Some(b)) => Some(combine(a, b)),
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
        let key = self.lock_target(&table, qualifier, false);
        let with_key = key.is_some();
        schema.extend(key);
        Plan::Scan {
            table,
            access: crate::planner::Access::Full,
            filter: None,
            with_key,
            needed: None,
            schema,
        }
    }

    /// When the query level's locking clause covers `table` (called `qualifier` in FROM):
    /// registers it as a lock target and returns its hidden row-key column, which holds
    /// the primary key, or with `full_key` the whole storage key (a partitioned table).
    pub(super) fn lock_target(
        &mut self,
        table: &TableDef,
        qualifier: &str,
        full_key: bool,
    ) -> Option<Field> {
        let req = self.row_lock.as_mut()?;
        let (strength, wait) = req.lock_for(qualifier)?;
        let name = format!("{KEY_PREFIX}{}", req.targets.len());
        req.targets.push(LockTarget {
            table: table.id,
            name: table.name.clone(),
            strength,
            wait,
            full_key,
        });
        Some(Field { hidden: true, ..Field::new(name, helios_types::DataType::Bytea) })
    }

    /// Wraps a query level's plan, whose trailing columns are the row keys of `targets`,
    /// in [`Plan::LockRows`].
    pub(super) fn lock_rows(&mut self, plan: Plan, targets: Vec<LockTarget>) -> Plan {
        self.locks_rows = true;
        let mut schema = plan.schema();
        schema.truncate(schema.len() - targets.len());
        Plan::LockRows { input: Box::new(plan), tables: targets, schema }
    }

    /// [`Binder::lock_rows`] keeping the key columns in the output: a cursor's query
    /// both locks its rows and keeps their keys for `WHERE CURRENT OF`. The keys are
    /// repeated so that the lock drops the copies.
    pub(super) fn lock_rows_keeping_keys(&mut self, plan: Plan, targets: Vec<LockTarget>) -> Plan {
        let schema = plan.schema();
        let width = schema.len();
        let keys = width.saturating_sub(targets.len())..width;
        let mut exprs: Vec<crate::expr::Expr> = schema
            .iter()
            .enumerate()
            .map(|(i, f)| crate::expr::Expr::Column(i, f.data_type.clone()))
            .collect();
        let mut out = schema.clone();
        for k in keys {
            exprs.push(crate::expr::Expr::Column(k, helios_types::DataType::Bytea));
            out.push(schema[k].clone());
        }
        let plan = Plan::Project { input: Box::new(plan), exprs, schema: out };
        self.lock_rows(plan, targets)
    }

    /// Makes the next query bound carry the row keys a cursor needs for `WHERE CURRENT
    /// OF` after its columns; [`Binder::cursor_keys`] then tells which tables they are
    /// of. Applies to the outermost query level only.
    pub fn carry_row_keys(&mut self) -> &mut Self {
        self.carry_keys = true;
        self
    }

    /// The keys the query bound after [`Binder::carry_row_keys`] carries (`None`: it
    /// carries none, so it is no simply updatable scan).
    pub fn cursor_keys(&mut self) -> Option<CursorKeys> {
        self.cursor_keys.take()
    }

    /// Whether a statement bound by this binder locks rows anywhere (it must run as a
    /// writing statement).
    pub fn locks_rows(&self) -> bool {
        self.locks_rows
    }
}
