//! Binding and running one statement inside the session's transaction.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use helios_common::{Error, Result, SqlState};
use helios_storage::Transaction;
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::prepared::{Described, Prepared};
use super::sequences::SessionSequences;
use super::{Column, QueryResult, Session, StatementResult};
use crate::binder::{Binder, BoundDelete, BoundInsert, BoundMerge, BoundUpdate};
use crate::catalog::{Catalog, TableDef};
use crate::exec::{self, ExecCtx, WriteEnv};
use crate::expr::{Expr, SessionInfo};
use crate::parser::{ident_name, Statement};
use crate::planner::{Field, PlannedQuery};

/// A statement bound against one catalog version.
#[derive(Debug)]
pub enum Bound {
    /// A query returning rows.
    Query {
        /// The plan.
        query: Box<PlannedQuery>,
        /// Result columns.
        columns: Vec<Column>,
        /// The plan locks rows (FOR UPDATE / FOR SHARE somewhere in it): it runs as a
        /// writing statement (read-only check, statement restart under READ COMMITTED).
        locks: bool,
    },
    /// INSERT with the target table's CHECK constraints.
    Insert(Box<BoundInsert>, Vec<(String, Expr)>),
    /// UPDATE with the target table's CHECK constraints.
    Update(Box<BoundUpdate>, Vec<(String, Expr)>),
    /// DELETE.
    Delete(Box<BoundDelete>),
    /// MERGE with the target table's CHECK constraints.
    Merge(Box<BoundMerge>, Vec<(String, Expr)>),
    /// EXPLAIN [ANALYZE] of a bound statement.
    Explain {
        /// The explained statement.
        inner: Box<Bound>,
        /// Also run it.
        analyze: bool,
    },
    /// Anything run straight from its syntax tree (DDL, EXECUTE, ...).
    Utility(Box<ast::Statement>),
}

fn columns_of(fields: &[Field]) -> Vec<Column> {
    fields
        .iter()
        .filter(|f| !f.hidden)
        .map(|f| Column { name: f.name.clone(), data_type: f.data_type.clone() })
        .collect()
}

impl Bound {
    /// The result columns of the statement.
    pub fn columns(&self) -> Vec<Column> {
        match self {
            Bound::Query { columns, .. } => columns.clone(),
            Bound::Insert(i, _) => {
                i.returning.as_ref().map(|r| columns_of(&r.1)).unwrap_or_default()
            }
            Bound::Update(u, _) => {
                u.returning.as_ref().map(|r| columns_of(&r.1)).unwrap_or_default()
            }
            Bound::Delete(d) => d.returning.as_ref().map(|r| columns_of(&r.1)).unwrap_or_default(),
            Bound::Merge(..) => Vec::new(),
            Bound::Explain { .. } => {
                vec![Column { name: "QUERY PLAN".into(), data_type: DataType::Text }]
            }
            Bound::Utility(_) => Vec::new(),
        }
    }
}

/// Binds the CHECK constraints of a table over its columns.
pub fn bind_checks(
    catalog: &Catalog,
    info: &SessionInfo,
    table: &TableDef,
) -> Result<Vec<(String, Expr)>> {
    let fields = crate::binder::table_row_fields(table);
    let mut out = Vec::new();
    for c in &table.checks {
        let mut binder = Binder::new(catalog, info, Vec::new());
        let e = crate::parser::parse_expr(&c.expr)?;
        out.push((c.name.clone(), binder.bind_condition(&e, &fields, "CHECK", false)?));
    }
    // Columns of a domain type: the domain's constraints, checked as a condition that
    // raises the domain's own error.
    for (i, c) in table.columns.iter().enumerate() {
        let Some(def) = c.domain.and_then(|d| catalog.types.get(&d)) else { continue };
        let bound = crate::expr::domain::bind_domain(def, catalog, info)?;
        let cond = crate::expr::domain::column_condition(i, c.data_type.clone(), bound);
        out.push((def.name.clone(), cond));
    }
    Ok(out)
}

/// Binds a statement; returns the bound form and the parameter types.
pub fn bind_statement(
    catalog: &Catalog,
    info: &SessionInfo,
    stmt: &ast::Statement,
    declared: &[DataType],
) -> Result<(Bound, Vec<DataType>)> {
    let mut binder = Binder::new(catalog, info, declared.to_vec());
    let bound = match stmt {
        ast::Statement::Query(q) if dml_body(q).is_some() => bind_with_dml(&mut binder, q)?,
        ast::Statement::Query(q) => {
            let query = binder.want_tableoid_for(q.as_ref()).bind_top_query(q)?;
            let query = crate::optimizer::optimize(query, catalog);
            let columns = columns_of(&query.plan.schema());
            Bound::Query { query: Box::new(query), columns, locks: binder.locks_rows() }
        }
        ast::Statement::Insert(_) | ast::Statement::Update(_) | ast::Statement::Delete(_) => {
            bind_dml(&mut binder, stmt)?
        }
        ast::Statement::Merge(m) => {
            let mut b = binder.bind_merge(m)?;
            b.source = crate::optimizer::optimize(b.source, catalog);
            let checks = bind_checks(catalog, info, &b.table)?;
            Bound::Merge(Box::new(b), checks)
        }
        ast::Statement::Explain { statement, analyze, .. } => {
            let (inner, params) = bind_statement(catalog, info, statement, declared)?;
            return Ok((Bound::Explain { inner: Box::new(inner), analyze: *analyze }, params));
        }
        other => Bound::Utility(Box::new(other.clone())),
    };
    // Parameters whose type nothing determined are text, as in PostgreSQL.
    let params = binder
        .params
        .iter()
        .map(|t| if *t == DataType::Unknown { DataType::Text } else { t.clone() })
        .collect();
    Ok((bound, params))
}

/// The INSERT, UPDATE or DELETE a query consists of (`WITH ... INSERT ...`).
fn dml_body(q: &ast::Query) -> Option<&ast::Statement> {
    match q.body.as_ref() {
        ast::SetExpr::Insert(s) | ast::SetExpr::Update(s) | ast::SetExpr::Delete(s) => Some(s),
        _ => None,
    }
}

/// Binds `WITH ... INSERT / UPDATE / DELETE`: the statement's clauses read the WITH
/// queries as a SELECT's would.
fn bind_with_dml(binder: &mut Binder<'_>, q: &ast::Query) -> Result<Bound> {
    let stmt = dml_body(q).ok_or_else(|| Error::internal("WITH without a data-modifying body"))?;
    if q.order_by.is_some() || q.limit_clause.is_some() || q.fetch.is_some() {
        return Err(Error::new(
            SqlState::SYNTAX_ERROR,
            "ORDER BY, LIMIT and FETCH cannot follow INSERT, UPDATE or DELETE",
        ));
    }
    match &q.with {
        Some(with) => binder.with_ctes(with, |b| bind_dml(b, stmt)),
        None => bind_dml(binder, stmt),
    }
}

/// Binds an INSERT, UPDATE or DELETE statement.
fn bind_dml(binder: &mut Binder<'_>, stmt: &ast::Statement) -> Result<Bound> {
    let (catalog, info) = (binder.catalog, binder.session);
    Ok(match stmt {
        ast::Statement::Insert(ins) => {
            let mut b = binder.bind_insert(ins)?;
            b.source = crate::optimizer::optimize(b.source, catalog);
            let checks = bind_checks(catalog, info, &b.table)?;
            Bound::Insert(Box::new(b), checks)
        }
        ast::Statement::Update(upd) => {
            let mut b = binder.bind_update(upd)?;
            b.source = crate::optimizer::optimize(b.source, catalog);
            let checks = bind_checks(catalog, info, &b.table)?;
            Bound::Update(Box::new(b), checks)
        }
        ast::Statement::Delete(del) => {
            let mut b = binder.bind_delete(del)?;
            b.source = crate::optimizer::optimize(b.source, catalog);
            Bound::Delete(Box::new(b))
        }
        other => return Err(Error::unsupported(format!("data-modifying statement {other}"))),
    })
}

/// Converts parameter values to their parameter types (text input is parsed).
pub fn coerce_params(params: &[Value], types: &[DataType]) -> Result<Vec<Value>> {
    params
        .iter()
        .enumerate()
        .map(|(i, v)| match types.get(i) {
            None => Ok(v.clone()),
            Some(t) if exec::fits_type(v, t) => Ok(v.clone()),
            Some(t) => match v {
                Value::Text(s) => Value::parse_pg_text(s, t),
                other => other.cast(t),
            },
        })
        .collect()
}

impl Session {
    /// Describes a prepared statement (parameter types, result columns).
    pub(super) fn describe(&self, prepared: &Prepared, txn: &Transaction) -> Result<()> {
        let stmt = match prepared.statement() {
            Some(Statement::Sql(stmt)) => stmt,
            Some(Statement::Helios(h)) => {
                let columns = super::branch::result_columns(h);
                prepared.set_described(Described { params: Vec::new(), columns });
                return Ok(());
            }
            Some(Statement::Cursor(m)) => {
                let columns = self.fetch_columns(m);
                prepared.set_described(Described { params: Vec::new(), columns });
                return Ok(());
            }
            Some(
                Statement::AlterSequence(_)
                | Statement::Domain(_)
                | Statement::Routine(_)
                | Statement::Constraints(_)
                | Statement::Reindex(_),
            ) => {
                prepared.set_described(Described { params: Vec::new(), columns: Vec::new() });
                return Ok(());
            }
            None => return Ok(()),
        };
        let catalog = self.engine.catalogs.get(txn)?;
        let info = self.info();
        if let ast::Statement::Declare { stmts, .. } = stmt.as_ref() {
            // A cursor's parameters are its query's; DECLARE itself returns no rows.
            let params = match stmts.first().and_then(|d| d.for_query.clone()) {
                Some(q) => {
                    let q = ast::Statement::Query(q);
                    bind_statement(&catalog, &info, &q, prepared.declared())?.1
                }
                None => Vec::new(),
            };
            prepared.set_described(Described { params, columns: Vec::new() });
            return Ok(());
        }
        if matches!(stmt.as_ref(), ast::Statement::Close { .. }) {
            prepared.set_described(Described { params: Vec::new(), columns: Vec::new() });
            return Ok(());
        }
        let (bound, params) = bind_statement(&catalog, &info, stmt, prepared.declared())?;
        let columns = bound.columns();
        if !matches!(bound, Bound::Utility(_)) {
            prepared.store(catalog.version, &info.current_user, Arc::new(bound));
        }
        prepared.set_described(Described { params, columns });
        Ok(())
    }

    /// A prepared one-row INSERT inside a transaction block whose plan is bound and
    /// current and whose row [`exec::direct_row`] takes from the parameters: runs it
    /// past the steps of [`Session::run_to`] that cannot apply to it (no cursor, utility,
    /// setting, timeout or routine can be involved), still in [`Session::write`] with
    /// its statement savepoint and READ COMMITTED restart. `None`: run it the general
    /// way (nothing was done).
    pub(super) fn direct_insert(
        &mut self,
        prepared: &Prepared,
        params: &[Value],
    ) -> Option<Result<StatementResult>> {
        if self.mode != super::Mode::Explicit || !matches!(self.statement_timeout(), Ok(None)) {
            return None;
        }
        let memo_holds = |s: &Self| {
            let (txn, memo) = (s.txn.as_ref()?, s.catalog_memo.as_ref()?);
            (memo.branch == txn.branch() && memo.read_ts == txn.read_ts())
                .then(|| memo.catalog.clone())
        };
        let catalog = memo_holds(self)?;
        let info = self.info_shared();
        let bound = prepared.cached(catalog.version, &info.current_user)?;
        let Bound::Insert(ins, checks) = bound.as_ref() else { return None };
        let row = exec::direct_row(ins, checks, &catalog, params, prepared.param_types())?;
        if let Err(e) = self.ensure_txn() {
            return Some(Err(e));
        }
        // A READ COMMITTED snapshot may have moved past a catalog change.
        if memo_holds(self).is_none_or(|c| !Arc::ptr_eq(&c, &catalog)) {
            return None;
        }
        self.statement_ran = true;
        self.executing = true;
        self.cursors.expire(self.live_block());
        let out = self.write_rows(&catalog, &info, params, checks, true, |txn, env| {
            exec::insert_row(txn, env, ins, row.clone())
        });
        Some(out.map(|out| dml_result(Cow::Borrowed("INSERT 0 1"), out, None)))
    }

    /// Runs a statement inside the current storage transaction.
    pub(super) fn run_in_txn(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        prepared: Option<&Prepared>,
        sink: Option<&mut RowSink<'_>>,
    ) -> Result<StatementResult> {
        let Statement::Sql(ast_stmt) = stmt else {
            return Err(Error::internal("branch statement inside a transaction"));
        };
        if let ast::Statement::Query(q) = ast_stmt.as_ref() {
            if super::writable_cte::has_dml_cte(q) {
                let r = self.run_writable_with(q, params)?;
                return feed(r, sink);
            }
            if super::create_table_as::is_select_into(q) {
                return self.select_into(q);
            }
        }
        let catalog = self.txn_catalog()?;
        let info = self.info_shared();
        if !catalog.triggers.is_empty() {
            if let Some(r) = self.instead_of_dml(&catalog, &info, ast_stmt, params)? {
                return feed(r, sink);
            }
        }
        let (bound, types): (_, Cow<'_, [DataType]>) = match prepared
            .and_then(|p| p.cached(catalog.version, &info.current_user).map(|b| (b, p)))
        {
            Some((b, p)) => (b, Cow::Borrowed(p.param_types())),
            None => {
                let declared = prepared.map(|p| p.declared().to_vec()).unwrap_or_default();
                let (b, types) = bind_statement(&catalog, &info, ast_stmt, &declared)?;
                let b = Arc::new(b);
                if let Some(p) = prepared {
                    if !matches!(*b, Bound::Utility(_)) {
                        p.store(catalog.version, &info.current_user, b.clone());
                    }
                    p.set_described(Described { params: types.clone(), columns: b.columns() });
                }
                (b, Cow::Owned(types))
            }
        };
        if params.len() < types.len() {
            if prepared.is_none() && params.is_empty() {
                return Err(Error::new(SqlState::UNDEFINED_PARAMETER, "there is no parameter $1"));
            }
            return Err(Error::new(
                SqlState::PROTOCOL_VIOLATION,
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    types.len()
                ),
            ));
        }
        // Parameters usually arrive with their declared types: no copy then.
        let coerced;
        let params = if params.iter().zip(types.iter()).all(|(v, t)| exec::fits_type(v, t)) {
            params
        } else {
            coerced = coerce_params(params, &types)?;
            &coerced[..]
        };
        self.executing = true;
        if matches!(*bound, Bound::Utility(_)) {
            self.catalog_memo = None;
            let r = self.execute_bound(&bound, params, &catalog, &info);
            self.catalog_memo = None;
            return feed(r?, sink);
        }
        match (bound.as_ref(), sink) {
            (Bound::Query { query, columns, locks: false }, Some(sink))
                if !self.writes_through_calls(query, &catalog) =>
            {
                self.stream_query(query, columns, params, &catalog, &info, sink)
            }
            (_, sink) => feed(self.execute_bound(&bound, params, &catalog, &info)?, sink),
        }
    }

    /// The catalog the running transaction sees (kept between its statements).
    pub(super) fn txn_catalog(&mut self) -> Result<Arc<Catalog>> {
        let txn =
            self.txn.as_ref().ok_or_else(|| Error::internal("statement without a transaction"))?;
        Ok(match &self.catalog_memo {
            Some(m) if m.branch == txn.branch() && m.read_ts == txn.read_ts() => m.catalog.clone(),
            _ => {
                let c = self.engine.catalogs.get(txn)?;
                self.catalog_memo = Some(super::CatalogMemo {
                    branch: txn.branch(),
                    read_ts: txn.read_ts(),
                    catalog: c.clone(),
                    committed: !txn.has_writes(),
                });
                c
            }
        })
    }

    /// Runs a query without locking clauses, passing each result row to `sink` as the
    /// executor produces it (the result holds no rows, only the tag).
    pub(super) fn stream_query(
        &mut self,
        query: &PlannedQuery,
        columns: &[Column],
        params: &[Value],
        catalog: &Catalog,
        info: &SessionInfo,
        sink: &mut RowSink<'_>,
    ) -> Result<StatementResult> {
        let mut count = 0u64;
        self.with_query_ctx(query, params, catalog, info, |ctx| {
            exec::execute_each_lent(&query.plan, ctx, &[], &mut |row| {
                count += 1;
                sink(columns, row)
            })
        })?;
        let tag = select_tag(count);
        Ok(StatementResult::Rows(QueryResult { columns: columns.to_vec(), rows: Vec::new(), tag }))
    }

    /// Calls `f` with the execution context of a read-only query in the current
    /// transaction (sequence calls go through the session).
    fn with_query_ctx<T>(
        &self,
        query: &PlannedQuery,
        params: &[Value],
        catalog: &Catalog,
        info: &SessionInfo,
        f: impl FnOnce(&ExecCtx<'_>) -> Result<T>,
    ) -> Result<T> {
        let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
        let seqs = SessionSequences {
            engine: &self.engine,
            branch: self.branch,
            catalog,
            current: &self.currvals,
        };
        let nextval = |seq: &crate::catalog::SequenceDef| self.engine.nextval(self.branch, seq);
        let rowid = || self.engine.next_rowid();
        // Routines (and triggers, which call them) need a runtime; most catalogs have none.
        let cursors = super::CursorAccess::new(&self.cursors, self.live_block(), self.txn_now);
        let rt = (!catalog.functions.is_empty()).then(|| {
            crate::routine::Runtime::new(
                catalog,
                info,
                self.txn_now,
                &self.cancel,
                Some(&seqs),
                &nextval,
                &rowid,
                &self.notices,
            )
            .with_cursors(cursors)
        });
        let routines = rt.as_ref().map(|r| r as &dyn exec::RoutineHost);
        let ctx = ExecCtx::new(txn, params, info, self.txn_now, query, &self.cancel)
            .with_sequences(Some(&seqs))
            .with_routines(routines);
        f(&ctx)
    }

    pub(super) fn execute_bound(
        &mut self,
        bound: &Bound,
        params: &[Value],
        catalog: &Catalog,
        info: &SessionInfo,
    ) -> Result<StatementResult> {
        match bound {
            Bound::Query { query, columns, locks: true } => {
                let out = self.write(catalog, info, params, &[], |txn, env| {
                    let ctx = ExecCtx::new(txn, params, info, env.now, query, env.cancel)
                        .with_sequences(env.sequences)
                        .with_routines(env.routines);
                    let rows = exec::execute(&query.plan, &ctx, &[])?;
                    Ok(exec::DmlOutcome { count: rows.len() as u64, returned: rows })
                })?;
                let tag = select_tag(out.count);
                Ok(StatementResult::Rows(QueryResult {
                    columns: columns.clone(),
                    rows: out.returned,
                    tag,
                }))
            }
            Bound::Query { query, columns, locks: false }
                if self.writes_through_calls(query, catalog) =>
            {
                let out = self.write(catalog, info, params, &[], |txn, env| {
                    let rows = crate::routine::run_no_from(env, txn, query, params)?;
                    Ok(exec::DmlOutcome { count: rows.len() as u64, returned: rows })
                })?;
                let tag = select_tag(out.count);
                Ok(StatementResult::Rows(QueryResult {
                    columns: columns.clone(),
                    rows: out.returned,
                    tag,
                }))
            }
            Bound::Query { query, columns, locks: false } => {
                let rows = self.with_query_ctx(query, params, catalog, info, |ctx| {
                    exec::execute(&query.plan, ctx, &[])
                })?;
                let tag = select_tag(rows.len() as u64);
                Ok(StatementResult::Rows(QueryResult { columns: columns.clone(), rows, tag }))
            }
            Bound::Insert(ins, checks) => {
                let out = self.write(catalog, info, params, checks, |txn, env| {
                    exec::execute_insert(txn, env, ins)
                })?;
                // The one-row INSERT of a statement-per-row load: no formatting.
                let tag = if out.count == 1 {
                    Cow::Borrowed("INSERT 0 1")
                } else {
                    format!("INSERT 0 {}", out.count).into()
                };
                Ok(dml_result(tag, out, ins.returning.as_ref().map(|r| &r.1)))
            }
            Bound::Update(upd, checks) => {
                let narrowed = match &upd.current_of {
                    Some(cursor) => Some(self.narrow_update(upd, cursor)?),
                    None => None,
                };
                let upd = narrowed.as_ref().unwrap_or(upd);
                let out = self.write(catalog, info, params, checks, |txn, env| {
                    exec::execute_update(txn, env, upd)
                })?;
                let tag = format!("UPDATE {}", out.count).into();
                Ok(dml_result(tag, out, upd.returning.as_ref().map(|r| &r.1)))
            }
            Bound::Delete(del) => {
                let narrowed = match &del.current_of {
                    Some(cursor) => Some(self.narrow_delete(del, cursor)?),
                    None => None,
                };
                let del = narrowed.as_ref().unwrap_or(del);
                let out = self.write(catalog, info, params, &[], |txn, env| {
                    exec::execute_delete(txn, env, del)
                })?;
                let tag = format!("DELETE {}", out.count).into();
                Ok(dml_result(tag, out, del.returning.as_ref().map(|r| &r.1)))
            }
            Bound::Merge(m, checks) => {
                let out = self.write(catalog, info, params, checks, |txn, env| {
                    exec::execute_merge(txn, env, m)
                })?;
                Ok(dml_result(format!("MERGE {}", out.count).into(), out, None))
            }
            Bound::Explain { inner, analyze } => {
                self.explain(inner, *analyze, params, catalog, info)
            }
            Bound::Utility(stmt) => self.run_utility(stmt, params),
        }
    }

    /// A select list without FROM calling user functions, in a writable transaction:
    /// it runs like a write so that the functions may write.
    pub(super) fn writes_through_calls(&self, query: &PlannedQuery, catalog: &Catalog) -> bool {
        !catalog.functions.is_empty()
            && self.txn.as_ref().is_some_and(|t| !t.is_read_only())
            && crate::routine::no_from_applies(query)
    }

    pub(super) fn write(
        &mut self,
        catalog: &Catalog,
        info: &SessionInfo,
        params: &[Value],
        checks: &[(String, Expr)],
        f: impl Fn(&mut Transaction, &WriteEnv<'_>) -> Result<exec::DmlOutcome>,
    ) -> Result<exec::DmlOutcome> {
        self.write_rows(catalog, info, params, checks, false, f)
    }

    /// [`Session::write`]; `plain` when the statement can write no row that a foreign
    /// key checks or a vector index holds (a direct INSERT, see
    /// [`exec::direct_row`]), which skips collecting those after it.
    fn write_rows(
        &mut self,
        catalog: &Catalog,
        info: &SessionInfo,
        params: &[Value],
        checks: &[(String, Expr)],
        plain: bool,
        f: impl Fn(&mut Transaction, &WriteEnv<'_>) -> Result<exec::DmlOutcome>,
    ) -> Result<exec::DmlOutcome> {
        let engine = &self.engine;
        let branch = self.branch;
        let nextval = move |seq: &crate::catalog::SequenceDef| engine.nextval(branch, seq);
        let rowid = move || engine.next_rowid();
        let seqs = SessionSequences {
            engine: &self.engine,
            branch: self.branch,
            catalog,
            current: &self.currvals,
        };
        let cursors = super::CursorAccess::new(
            &self.cursors,
            self.txn.as_ref().map(|_| self.block_seq),
            self.txn_now,
        );
        let rt = (!catalog.functions.is_empty()).then(|| {
            crate::routine::Runtime::new(
                catalog,
                info,
                self.txn_now,
                &self.cancel,
                Some(&seqs),
                &nextval,
                &rowid,
                &self.notices,
            )
            .with_cursors(cursors)
        });
        let env = WriteEnv {
            sequences: Some(&seqs),
            catalog,
            nextval: &nextval,
            rowid: &rowid,
            checks,
            params,
            session: info,
            now: self.txn_now,
            cancel: &self.cancel,
            routines: rt.as_ref().map(|r| r as &dyn exec::RoutineHost),
            statement_triggers: true,
        };
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        if txn.is_read_only() {
            return Err(Error::new(
                SqlState::READ_ONLY_SQL_TRANSACTION,
                "cannot execute this statement in a read-only transaction",
            ));
        }
        txn.take_statement_restart();
        let explicit = self.mode == super::Mode::Explicit;
        loop {
            let sp = txn.savepoint();
            let ran = if plain {
                f(txn, &env)
            } else {
                crate::exec::vector_index::discard_pending();
                let collector = crate::exec::fk_check::Collector::start();
                f(txn, &env).and_then(|out| {
                    // Foreign keys are checked once the statement's rows are all written;
                    // deferred ones wait for commit (only a transaction block can defer).
                    for check in collector.take() {
                        let deferred = explicit
                            && check.side != crate::exec::fk_check::FkSide::Restricted
                            && catalog.table(check.table).is_some_and(|t| {
                                t.foreign_keys.iter().any(|fk| {
                                    fk.name == check.constraint
                                        && self.constraint_modes.deferred(t.id, fk)
                                })
                            });
                        if deferred {
                            self.deferred_fk.push(check);
                        } else {
                            crate::exec::fk_check::verify(txn, catalog, &check)?;
                        }
                    }
                    Ok(out)
                })
            };
            match ran {
                Ok(out) => {
                    txn.release_savepoint(sp);
                    if !plain {
                        let vectors = &self.engine.vectors;
                        crate::exec::vector_index::apply_pending(vectors, txn, catalog)?;
                    }
                    return Ok(out);
                }
                Err(e) => {
                    if !plain {
                        crate::exec::vector_index::discard_pending();
                    }
                    if !txn.take_statement_restart() {
                        txn.release_savepoint(sp);
                        return Err(e);
                    }
                    // READ COMMITTED met a row another transaction changed and committed
                    // while this statement waited for it: undo the statement and run it
                    // again on a snapshot that sees the new version (PostgreSQL re-checks
                    // the row; re-running the statement gives the same result for the
                    // common single-row cases, and the locks taken so far stay held).
                    txn.rollback_to(sp)?;
                    txn.release_savepoint(sp);
                    txn.try_new_statement()?;
                }
            }
        }
    }

    fn explain(
        &mut self,
        inner: &Bound,
        analyze: bool,
        params: &[Value],
        catalog: &Catalog,
        info: &SessionInfo,
    ) -> Result<StatementResult> {
        let mut lines: Vec<String> = match inner {
            Bound::Query { query, .. } => query.to_string().lines().map(str::to_string).collect(),
            Bound::Insert(i, _) => prefixed(&format!("Insert on {}", i.table.name), &i.source),
            Bound::Update(u, _) => match u.partition.as_deref() {
                Some(crate::binder::partition::UpdatePartition::Parent { leaves, .. }) => {
                    prefixed_all(
                        &format!("Update on {}", u.table.name),
                        leaves.iter().map(|(l, _)| &l.source),
                    )
                }
                _ => prefixed(&format!("Update on {}", u.table.name), &u.source),
            },
            Bound::Delete(d) => match &d.partition {
                Some(leaves) => prefixed_all(
                    &format!("Delete on {}", d.table.name),
                    leaves.iter().map(|l| &l.source),
                ),
                None => prefixed(&format!("Delete on {}", d.table.name), &d.source),
            },
            Bound::Merge(m, _) => prefixed(&format!("Merge on {}", m.table.name), &m.source),
            Bound::Explain { .. } | Bound::Utility(_) => {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "EXPLAIN only supports queries and DML",
                ))
            }
        };
        if analyze {
            let start = Instant::now();
            let r = self.execute_bound(inner, params, catalog, info)?;
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            if let Some(first) = lines.first_mut() {
                first.push_str(&format!(" (actual rows={})", r.rows_affected()));
            }
            lines.push(format!("Execution Time: {ms:.3} ms"));
        }
        let rows = lines.into_iter().map(|l| vec![Value::Text(l)]).collect();
        Ok(StatementResult::Rows(QueryResult {
            columns: vec![Column { name: "QUERY PLAN".into(), data_type: DataType::Text }],
            rows,
            tag: "EXPLAIN".into(),
        }))
    }

    fn run_utility(&mut self, stmt: &ast::Statement, params: &[Value]) -> Result<StatementResult> {
        if let ast::Statement::Lock(lock) = stmt {
            return self.lock_tables(lock);
        }
        if let ast::Statement::Execute { name: Some(name), parameters, .. } = stmt {
            let n = ident_name(
                name.0
                    .last()
                    .and_then(|p| p.as_ident())
                    .ok_or_else(|| Error::new(SqlState::SYNTAX_ERROR, "EXECUTE needs a name"))?,
            );
            let prepared = self.prepared.get(&n).cloned().ok_or_else(|| {
                Error::new(
                    SqlState::INVALID_SQL_STATEMENT_NAME,
                    format!("prepared statement \"{n}\" does not exist"),
                )
            })?;
            let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
            let catalog = self.engine.catalogs.get(txn)?;
            let info = self.info();
            let mut values = Vec::with_capacity(parameters.len());
            for p in parameters {
                let mut binder = Binder::new(&catalog, &info, Vec::new());
                let e = binder.bind_scalar(p, &[], Some("EXECUTE parameter"))?;
                let ctx_query = PlannedQuery {
                    plan: crate::planner::Plan::Empty { rows: 0 },
                    subqueries: Vec::new(),
                    ctes: Vec::new(),
                };
                let ctx = ExecCtx::new(txn, params, &info, self.txn_now, &ctx_query, &self.cancel);
                values.push(e.eval(&[], &ctx)?);
            }
            let stmt = prepared
                .statement()
                .cloned()
                .ok_or_else(|| Error::internal("empty prepared statement"))?;
            if self.txn.is_some() && prepared.cached(catalog.version, &info.current_user).is_none()
            {
                let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
                self.describe(&prepared, txn)?;
            }
            let types = prepared.param_types().to_vec();
            if values.len() != types.len() {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("wrong number of parameters for prepared statement \"{n}\""),
                )
                .with_detail(format!(
                    "Expected {} parameters but got {}.",
                    types.len(),
                    values.len()
                )));
            }
            return self.run_in_txn(&stmt, &values, Some(&prepared), None);
        }
        if let Some(r) = self.run_notify(stmt)? {
            return Ok(r);
        }
        match self.run_ddl_restarting(stmt)? {
            Some(r) => Ok(r),
            None => Err(Error::unsupported(format!("statement \"{}\"", first_words(stmt)))),
        }
    }

    /// Runs a DDL statement; under READ COMMITTED, when it met catalog rows another
    /// transaction changed and committed while this one waited for them (concurrent DDL
    /// bumps the same catalog version), it is undone and run again on a snapshot that
    /// sees them, as a DML statement is, rather than failing with 40001.
    pub(super) fn run_ddl_restarting(
        &mut self,
        stmt: &ast::Statement,
    ) -> Result<Option<StatementResult>> {
        self.restarting(|s| s.run_ddl(stmt))
    }

    /// Runs `f`, a statement whose effects are all writes of the transaction, again on a
    /// fresh snapshot while it fails asking for a restart ([`run_ddl_restarting`]).
    ///
    /// [`run_ddl_restarting`]: Session::run_ddl_restarting
    pub(super) fn restarting<T>(&mut self, mut f: impl FnMut(&mut Self) -> Result<T>) -> Result<T> {
        let Some(txn) = self.txn.as_mut() else { return f(self) };
        txn.take_statement_restart();
        loop {
            let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
            let sp = txn.savepoint();
            let out = f(self);
            let Some(txn) = self.txn.as_mut() else { return out };
            match out {
                Err(_) if txn.take_statement_restart() => {
                    txn.rollback_to(sp)?;
                    txn.release_savepoint(sp);
                    txn.try_new_statement()?;
                    self.catalog_memo = None;
                }
                other => {
                    txn.release_savepoint(sp);
                    return other;
                }
            }
        }
    }
}

/// The command tag `SELECT n`, written without the formatting machinery (it is built
/// for every query).
fn select_tag(n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut tag = String::with_capacity(7 + digits.len() - at);
    tag.push_str("SELECT ");
    tag.extend(digits[at..].iter().map(|&d| char::from(d)));
    tag
}

fn prefixed(head: &str, source: &PlannedQuery) -> Vec<String> {
    let mut lines = vec![head.to_string()];
    for l in source.to_string().lines() {
        lines.push(format!("  ->  {l}"));
    }
    lines
}

/// `head` over the plans of the partitions a DML statement writes (those pruning left).
fn prefixed_all<'q>(head: &str, sources: impl Iterator<Item = &'q PlannedQuery>) -> Vec<String> {
    let mut lines = vec![head.to_string()];
    for source in sources {
        if matches!(&source.plan, crate::planner::Plan::Values { rows, .. } if rows.is_empty()) {
            continue;
        }
        for l in source.to_string().lines() {
            lines.push(format!("  ->  {l}"));
        }
    }
    lines
}

fn first_words(stmt: &ast::Statement) -> String {
    stmt.to_string().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn dml_result(
    tag: Cow<'static, str>,
    out: exec::DmlOutcome,
    returning: Option<&Vec<Field>>,
) -> StatementResult {
    match returning {
        Some(fields) => StatementResult::Rows(QueryResult {
            columns: columns_of(fields),
            rows: out.returned,
            tag: tag.into_owned(),
        }),
        None => StatementResult::Command { tag, rows_affected: out.count },
    }
}

/// Receives the rows of a streamed query: the result columns and one row, lent (the
/// executor may decode the next row into the same buffers); returns false to stop the
/// query.
pub type RowSink<'s> = dyn FnMut(&[Column], &[Value]) -> Result<bool> + 's;

/// Passes the rows of a finished statement to `sink` (when there is one), leaving the
/// result without them.
pub(super) fn feed(
    result: StatementResult,
    sink: Option<&mut RowSink<'_>>,
) -> Result<StatementResult> {
    match (result, sink) {
        (StatementResult::Rows(mut q), Some(sink)) => {
            for row in std::mem::take(&mut q.rows) {
                if !sink(&q.columns, &row)? {
                    break;
                }
            }
            Ok(StatementResult::Rows(q))
        }
        (r, _) => Ok(r),
    }
}

#[cfg(test)]
mod tests {
    use super::select_tag;

    #[test]
    fn select_tags_count_rows() {
        assert_eq!(select_tag(0), "SELECT 0");
        assert_eq!(select_tag(1), "SELECT 1");
        assert_eq!(select_tag(10_000), "SELECT 10000");
        assert_eq!(select_tag(u64::MAX), format!("SELECT {}", u64::MAX));
    }
}
