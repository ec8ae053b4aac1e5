//! The binder: resolves names against the catalog and turns statements into typed
//! plans.
//!
//! Scalar expressions are bound by `expr::bind_expr`; the binder gives it a
//! [`BindScope`] that knows the columns of the current row, the enclosing queries'
//! columns (for correlated subqueries) and the statement's parameters.
//!
//! # Row layout of correlated subqueries
//!
//! A subquery's expressions are evaluated on its own row followed by the row of the
//! enclosing query it is evaluated for (which itself may end with *its* enclosing row).
//! So an outer column resolves to `local width + position in the enclosing row`, and the
//! executor appends the outer row when it evaluates a subquery's expressions.

mod aggregate;
mod as_of;
mod colname;
pub mod current_of;
mod default_display;
mod dml;
mod from;
pub mod generated;
mod lateral;
pub mod merge;
mod order;
pub mod partition;
mod partition_hash;
pub(crate) mod pg_catalog;
mod pg_catalog_empty;
mod pg_depend;
pub(crate) mod pg_objects;
pub(crate) mod pg_partitions;
mod pg_roles;
pub(crate) mod pg_routines;
pub(crate) mod pg_types;
mod privileges;
mod query;
mod reg_output;
mod row_locks;
mod scope;
mod select;
mod sequence_calls;
mod system_views;
mod table_function;
mod updatable_view;

/// What binding one enclosing level's subquery (or LATERAL item) learned about its use
/// of the enclosing row: whether it reads it at all, and which positions of it.
#[derive(Debug, Default)]
pub(crate) struct Correlation {
    /// The enclosing row is read.
    used: std::cell::Cell<bool>,
    /// The positions of the enclosing row read, in any order, repeated.
    refs: std::cell::RefCell<Vec<usize>>,
    /// The whole enclosing row is read (a correlated WITH query): `refs` is not all.
    whole: std::cell::Cell<bool>,
}

impl Correlation {
    fn get(&self) -> bool {
        self.used.get()
    }

    fn set(&self, v: bool) {
        self.used.set(v);
    }

    fn replace(&self, v: bool) -> bool {
        self.used.replace(v)
    }

    /// The positions read, sorted, or `None` when the whole row may be read.
    fn positions(&self) -> Option<Vec<usize>> {
        if self.whole.get() {
            return None;
        }
        let mut refs = self.refs.take();
        refs.sort_unstable();
        refs.dedup();
        Some(refs)
    }
}

pub use colname::{figure_colname, type_colname};
pub use dml::{BoundDelete, BoundInsert, BoundUpdate, OnConflict};
pub use from::undefined_table;
pub use merge::{BoundMerge, MergeAction, MergeWhen};
pub(crate) use order::ascending as order_ascending;
pub use privileges::policy_violation;
pub use row_locks::CursorKeys;
pub use scope::BindScope;
pub(crate) use table_function::{companion_name, is_companion};

use std::collections::HashMap;

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use crate::catalog::Catalog;
use crate::expr::{self, Expr, SessionInfo};
use crate::planner::{Field, Plan, PlannedQuery, Schema, SubqueryPlan};

/// A WITH query visible by name.
#[derive(Debug, Clone)]
struct CteEntry {
    id: usize,
    schema: Schema,
    /// Where a reference to a recursive CTE stands while its own query binds.
    recursion: Recursion,
    /// How many enclosing queries were in scope where it was defined.
    outer_depth: usize,
    /// It reads columns of an enclosing query.
    correlated: bool,
}

/// The binding state of a WITH query, for PostgreSQL's rules on recursive references.
#[derive(Debug, Clone)]
enum Recursion {
    /// Bound: references read its rows.
    Done,
    /// Its non-recursive term is being bound: a reference is an error.
    Base,
    /// Its recursive term is being bound: a reference reads the work table. Holds the
    /// subquery depth of the term and how often it was referenced so far.
    Term { depth: usize, refs: std::cell::Cell<usize> },
    /// The WITH queries nested in its own query are being bound: a reference is an error.
    Nested,
    /// A data-modifying WITH query without RETURNING: it ran before the statement was
    /// bound, and has no rows to read (a reference is 0A000).
    NoReturning,
}

/// Binds the statements of one session against one catalog snapshot.
#[derive(Debug)]
pub struct Binder<'a> {
    /// The catalog at the statement's snapshot.
    pub catalog: &'a Catalog,
    /// Session facts (search path, user, settings).
    pub session: &'a SessionInfo,
    /// Parameter types: declared, or inferred from their use (`Unknown` until then).
    pub params: Vec<DataType>,
    subqueries: Vec<SubqueryPlan>,
    ctes: Vec<Plan>,
    cte_scopes: Vec<HashMap<String, CteEntry>>,
    outer: Vec<Schema>,
    correlated: Vec<Correlation>,
    /// How many aggregate calls' arguments are being bound, at any query level.
    aggregate_nesting: std::cell::Cell<usize>,
    /// Views being expanded (outermost first), to refuse a view that reads itself.
    expanding_views: Vec<u32>,
    /// The search paths of the views being expanded that recorded one (innermost last):
    /// a view's query finds its names as when it was created.
    view_paths: Vec<Vec<String>>,
    /// The locking clause of the query whose SELECT is about to be bound.
    lock_pending: Option<row_locks::LockRequest>,
    /// The locking clause of the query level whose FROM list is being bound.
    row_lock: Option<row_locks::LockRequest>,
    /// The tables whose row keys the SELECT just bound carries at its end.
    lock_bound: Option<Vec<crate::planner::LockTarget>>,
    /// Some query of the statement locks rows.
    locks_rows: bool,
    /// The next query level bound carries its row keys for a cursor (see
    /// [`Binder::carry_row_keys`]).
    carry_keys: bool,
    /// The keys the cursor's query carries, once bound.
    cursor_keys: Option<row_locks::CursorKeys>,
    /// The role the statement runs as, resolved when first needed.
    auth: std::cell::OnceCell<crate::catalog::access::AuthId>,
    /// Owners of the views being expanded: their tables are checked for them.
    view_owners: Vec<crate::catalog::access::AuthId>,
    /// Tables whose row-level security policies are being bound.
    expanding_policies: Vec<u32>,
    /// Binding only to learn what a query reads ([`Binder::dependency_probe`]): no
    /// privilege checks.
    probe: bool,
    /// For a [`Binder::dependency_probe`]: the tables, views and sequences the query
    /// names itself (not those read inside the views it names, nor by row-level security
    /// policies), in the order met.
    pub relations_named: Vec<u32>,
    /// The tables of the FROM list being bound (qualifier, table id), collected only for
    /// a SELECT with GROUP BY (functional dependencies); each SELECT has its own.
    from_tables: Option<Vec<(String, u32)>>,
    /// Views a DML statement was rewritten through (see `updatable_view`).
    view_rewrites: usize,
    /// Check options of those views, carried down to the table.
    pending_view_checks: Vec<updatable_view::PendingCheck>,
    /// A CASCADED check option above: every view below checks its WHERE too.
    cascade_view_checks: bool,
    /// The statement names `tableoid`: table scans carry it as a hidden column.
    tableoid: bool,
    /// The SELECTs being bound (innermost last), with the aggregate calls of their
    /// subqueries that belong to them.
    outer_aggs: Vec<aggregate::OuterAggregates>,
    /// FROM items of the query levels being bound that names cannot reach from where
    /// binding is (for the hints of a failed column reference).
    unreachable: Vec<scope::Unreachable>,
    /// Earlier FROM items that LATERAL items of a join chain may read (innermost last).
    lateral_prefixes: Vec<lateral::LateralPrefix>,
    /// Names of FROM items on the nullable side of an outer join, at any level: their
    /// whole-row reference is NULL in a row the join filled with NULLs.
    null_extended: std::collections::HashSet<String>,
}

impl<'a> Binder<'a> {
    /// A binder; `params` are the declared parameter types (may be empty).
    pub fn new(
        catalog: &'a Catalog,
        session: &'a SessionInfo,
        params: Vec<DataType>,
    ) -> Binder<'a> {
        Binder {
            catalog,
            session,
            params,
            subqueries: Vec::new(),
            unreachable: Vec::new(),
            null_extended: std::collections::HashSet::new(),
            ctes: Vec::new(),
            cte_scopes: Vec::new(),
            outer: Vec::new(),
            correlated: Vec::new(),
            aggregate_nesting: std::cell::Cell::new(0),
            expanding_views: Vec::new(),
            view_paths: Vec::new(),
            lock_pending: None,
            row_lock: None,
            lock_bound: None,
            locks_rows: false,
            carry_keys: false,
            cursor_keys: None,
            auth: std::cell::OnceCell::new(),
            view_owners: Vec::new(),
            expanding_policies: Vec::new(),
            probe: false,
            relations_named: Vec::new(),
            from_tables: None,
            view_rewrites: 0,
            pending_view_checks: Vec::new(),
            cascade_view_checks: false,
            tableoid: false,
            outer_aggs: Vec::new(),
            lateral_prefixes: Vec::new(),
        }
    }

    /// A binder that binds a stored query (a view's) only to learn which relations it
    /// names ([`Binder::relations_named`]), whatever the privileges of anyone: it checks
    /// as a superuser would.
    pub fn dependency_probe(catalog: &'a Catalog, session: &'a SessionInfo) -> Binder<'a> {
        let mut b = Binder::new(catalog, session, Vec::new());
        b.probe = true;
        let _ = b.auth.set(crate::catalog::access::AuthId::unchecked());
        b
    }

    /// Makes table scans carry the `tableoid` system column when `stmt` names it.
    pub fn want_tableoid_for(&mut self, stmt: &impl sqlparser::ast::Visit) -> &mut Self {
        use std::ops::ControlFlow;
        let found = sqlparser::ast::visit_expressions(stmt, |e| {
            let hit = match e {
                ast::Expr::Identifier(id) => id.value.eq_ignore_ascii_case("tableoid"),
                ast::Expr::CompoundIdentifier(ids) => {
                    ids.last().is_some_and(|id| id.value.eq_ignore_ascii_case("tableoid"))
                }
                _ => false,
            };
            if hit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        self.tableoid = found.is_break();
        self
    }

    /// Binds a query into a [`PlannedQuery`] and the names of its output columns.
    pub fn bind_top_query(&mut self, query: &ast::Query) -> Result<PlannedQuery> {
        let plan = self.bind_query(query)?;
        Ok(self.finish(reg_output::name_reg_outputs(plan)))
    }

    /// Packs a plan with the subqueries and CTEs bound so far. The CTEs stay: a
    /// statement finished in parts (INSERT's rows, then its ON CONFLICT action) reads the
    /// same WITH queries by the same ids in each part.
    pub fn finish(&mut self, plan: Plan) -> PlannedQuery {
        PlannedQuery {
            plan,
            subqueries: std::mem::take(&mut self.subqueries),
            ctes: self.ctes.clone(),
        }
    }

    /// Binds a scalar expression over `fields`. `clause` names the clause when
    /// aggregates are not allowed there (e.g. `"WHERE"`).
    pub fn bind_scalar(
        &mut self,
        e: &ast::Expr,
        fields: &[Field],
        clause: Option<&'static str>,
    ) -> Result<Expr> {
        let rewritten = sequence_calls::rewrite_sequence_calls(e);
        let e = rewritten.as_ref().unwrap_or(e);
        let mut scope = BindScope { binder: self, fields, no_aggregates: clause };
        expr::bind_expr(e, &mut scope)
    }

    /// Binds the support functions of a user-defined aggregate for concrete argument
    /// and state types (what `CREATE AGGREGATE` checks before storing it).
    pub fn bind_aggregate_support(
        &mut self,
        name: &str,
        def: &crate::catalog::routine_defs::AggregateDef,
        params: &[DataType],
        stype: &DataType,
    ) -> Result<expr::UserAggregate> {
        let mut scope = BindScope { binder: self, fields: &[], no_aggregates: None };
        expr::bind_aggregate_support(&mut scope, name, def, params, stype)
    }

    /// Binds a condition (WHERE, ON, HAVING, CHECK): it must be boolean.
    pub fn bind_condition(
        &mut self,
        e: &ast::Expr,
        fields: &[Field],
        clause: &'static str,
        allow_aggs: bool,
    ) -> Result<Expr> {
        let bound = self.bind_scalar(e, fields, if allow_aggs { None } else { Some(clause) })?;
        coerce_condition(bound, clause)
    }

    /// The type of parameter `i`, recording the hint when it was unknown.
    fn param_type(&mut self, index: usize, hint: Option<&DataType>) -> Result<DataType> {
        if index >= 65_535 {
            return Err(Error::new(
                SqlState::UNDEFINED_PARAMETER,
                format!("there is no parameter ${}", index + 1),
            ));
        }
        if self.params.len() <= index {
            self.params.resize(index + 1, DataType::Unknown);
        }
        let slot = &mut self.params[index];
        if *slot == DataType::Unknown {
            if let Some(h) = hint {
                if *h != DataType::Unknown {
                    *slot = h.clone();
                }
            }
        }
        Ok(slot.clone())
    }
}

/// The fields of one row of `table`, qualified by the table's name: what CHECK
/// constraints and row-level security policies are bound over.
pub fn table_row_fields(table: &crate::catalog::TableDef) -> Vec<Field> {
    table
        .columns
        .iter()
        .map(|c| Field {
            qualifier: Some(table.name.clone()),
            ..Field::new(c.name.clone(), c.data_type.clone())
        })
        .collect()
}

/// Coerces a bound condition to boolean (an unknown-typed literal or parameter is cast),
/// or reports 42804 `argument of WHERE must be type boolean, not type integer`.
pub fn coerce_condition(e: Expr, clause: &str) -> Result<Expr> {
    match e.data_type() {
        DataType::Bool => Ok(e),
        DataType::Unknown => {
            Ok(Expr::Cast { expr: Box::new(e), to: DataType::Bool, explicit: false })
        }
        other => Err(Error::new(
            SqlState::DATATYPE_MISMATCH,
            format!("argument of {clause} must be type boolean, not type {other}"),
        )),
    }
}

/// Wraps `e` in an implicit cast to `ty` unless it already has that type.
pub fn cast_to(e: Expr, ty: &DataType) -> Expr {
    if &e.data_type() == ty {
        e
    } else {
        Expr::Cast { expr: Box::new(e), to: ty.clone(), explicit: false }
    }
}

impl Binder<'_> {
    /// The schemas unqualified names are looked up in: the search path the view being
    /// expanded was created with, as PostgreSQL binds a view's names at creation, else
    /// the session's.
    pub(crate) fn search_path(&self) -> &[String] {
        self.view_paths.last().map_or(&self.session.search_path, |p| p)
    }

    /// Converts `e` to `to` by the rules of `kind` (unknown literals are parsed as `to`;
    /// unknown parameters take `to` as their type).
    pub fn coerce(&mut self, e: Expr, to: &DataType, kind: expr::CoercionKind) -> Result<Expr> {
        let mut scope = BindScope { binder: self, fields: &[], no_aggregates: None };
        expr::coerce_expr(e, to, kind, &mut scope)
    }
}

/// Coerces a value stored into a column by PostgreSQL's assignment rules, or reports
/// 42804 `column "x" is of type integer but expression is of type text`.
pub fn assignment_cast(
    binder: &mut Binder<'_>,
    e: Expr,
    ty: &DataType,
    column: &str,
) -> Result<Expr> {
    let from = e.data_type();
    // Coerce to the base type; the length / precision modifier is applied when the row
    // is written, where a value that does not fit is an error rather than cut short.
    let base = expr::types::strip_modifiers(ty);
    let coerced = binder.coerce(e, &base, expr::CoercionKind::Assignment).map_err(|err| {
        if err.sqlstate() == SqlState::DATATYPE_MISMATCH
            || err.sqlstate() == SqlState::CANNOT_COERCE
        {
            Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!("column \"{column}\" is of type {ty} but expression is of type {from}"),
            )
            .with_hint("You will need to rewrite or cast the expression.")
        } else {
            err
        }
    })?;
    // A length or precision modifier still has to be applied (numeric(10,2), varchar(3)).
    Ok(cast_to(coerced, ty))
}
