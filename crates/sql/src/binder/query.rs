//! Queries: WITH, set operations, VALUES, ORDER BY over set results, LIMIT/OFFSET/FETCH.

use std::collections::HashMap;

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::{cast_to, Binder, CteEntry, Recursion};
use crate::expr::{self, Expr};
use crate::parser::ident_name;
use crate::planner::{Field, JoinKind, Plan, Schema, SetOpKind};

impl Binder<'_> {
    /// Binds a full query (WITH, body, ORDER BY, LIMIT).
    pub fn bind_query(&mut self, query: &ast::Query) -> Result<Plan> {
        // The WITH queries are other query levels: they carry no cursor keys.
        let carry = std::mem::take(&mut self.carry_keys);
        let pushed = if let Some(with) = &query.with {
            self.bind_with(with)?;
            true
        } else {
            false
        };
        self.carry_keys = carry;
        let result = self.bind_query_body(query);
        if pushed {
            self.cte_scopes.pop();
        }
        result
    }

    fn bind_query_body(&mut self, query: &ast::Query) -> Result<Plan> {
        let order_by = match &query.order_by {
            None => None,
            Some(ob) => match &ob.kind {
                ast::OrderByKind::Expressions(items) => Some(items.as_slice()),
                ast::OrderByKind::All(_) => return Err(Error::unsupported("ORDER BY ALL")),
            },
        };
        let mut request = super::row_locks::LockRequest::of_query(query)?;
        // A cursor's query (outermost level only) carries its rows' keys.
        let carry = std::mem::take(&mut self.carry_keys);
        let locked = request.is_some();
        if carry && !locked {
            request = super::row_locks::LockRequest::carry_only(query);
        }
        let saved = std::mem::replace(&mut self.lock_pending, request);
        let bound = self.bind_set_expr(&query.body, order_by);
        self.lock_pending = saved;
        let mut plan = bound?;
        if let Some(targets) = self.lock_bound.take() {
            if carry {
                let tables = targets.clone();
                self.cursor_keys = Some(super::row_locks::CursorKeys { tables, locked });
            }
            plan = match (carry, locked) {
                (true, false) => plan,
                (true, true) => self.lock_rows_keeping_keys(plan, targets),
                (false, _) => self.lock_rows(plan, targets),
            };
        }
        self.bind_limit(plan, query)
    }

    fn bind_limit(&mut self, plan: Plan, query: &ast::Query) -> Result<Plan> {
        let (mut limit, mut offset) = (None, None);
        match &query.limit_clause {
            None => {}
            Some(ast::LimitClause::LimitOffset { limit: l, offset: o, limit_by }) => {
                if !limit_by.is_empty() {
                    return Err(Error::unsupported("LIMIT BY"));
                }
                limit = l.as_ref().map(|e| self.bind_count(e, "LIMIT")).transpose()?;
                offset = o.as_ref().map(|o| self.bind_count(&o.value, "OFFSET")).transpose()?;
            }
            Some(ast::LimitClause::OffsetCommaLimit { .. }) => {
                return Err(Error::new(SqlState::SYNTAX_ERROR, "LIMIT #,# syntax is not supported")
                    .with_hint("Use separate LIMIT and OFFSET clauses."))
            }
        }
        if let Some(fetch) = &query.fetch {
            if fetch.percent || fetch.with_ties {
                return Err(Error::unsupported("FETCH ... PERCENT / WITH TIES"));
            }
            limit = Some(match &fetch.quantity {
                Some(q) => self.bind_count(q, "FETCH")?,
                None => Expr::literal(helios_types::Value::Int8(1)),
            });
        }
        if limit.is_none() && offset.is_none() {
            return Ok(plan);
        }
        Ok(Plan::Limit { input: Box::new(plan), limit, offset })
    }

    /// Binds a LIMIT/OFFSET count: no columns allowed; cast to bigint.
    fn bind_count(&mut self, e: &ast::Expr, clause: &'static str) -> Result<Expr> {
        let bound = self.bind_scalar(e, &[], Some(clause))?;
        Ok(cast_to(bound, &DataType::Int8))
    }

    /// `WITH ... INSERT / UPDATE / DELETE`: binds the WITH queries, then calls `bind`
    /// with them in scope, so that every clause of the statement may read them.
    pub fn with_ctes<T>(
        &mut self,
        with: &ast::With,
        bind: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.bind_with(with)?;
        let result = bind(self);
        self.cte_scopes.pop();
        result
    }

    fn bind_with(&mut self, with: &ast::With) -> Result<()> {
        self.cte_scopes.push(HashMap::new());
        for cte in &with.cte_tables {
            let name = ident_name(&cte.alias.name);
            if self.cte_scopes.last().is_some_and(|s| s.contains_key(&name)) {
                return Err(Error::new(
                    SqlState::DUPLICATE_ALIAS,
                    format!("WITH query name \"{name}\" specified more than once"),
                ));
            }
            let id = self.ctes.len();
            // Reserve the slot so ids stay stable while the body binds.
            self.ctes.push(Plan::Empty { rows: 0 });
            if is_dml_without_returning(&cte.query.body) {
                if let Some(scope) = self.cte_scopes.last_mut() {
                    let outer_depth = self.outer.len();
                    let (schema, recursion) = (Schema::default(), Recursion::NoReturning);
                    let entry = CteEntry { id, schema, recursion, outer_depth, correlated: false };
                    scope.insert(name, entry);
                }
                continue;
            }
            // Whether the query reads an enclosing query's columns: the innermost
            // correlation flag, cleared for its binding and merged back after.
            let flag = self.correlated.last().map(|c| c.replace(false));
            let plan = if with.recursive {
                self.bind_recursive_cte(id, &name, cte).map_err(|e| {
                    if e.message().starts_with("recursive query ") {
                        crate::parser::place::at_ident(e, &cte.alias.name)
                    } else {
                        e
                    }
                })
            } else {
                self.bind_query(&cte.query)
            };
            let correlated = self.correlated.last().is_some_and(|c| c.get());
            if let (Some(c), Some(before)) = (self.correlated.last(), flag) {
                c.set(before || correlated);
            }
            let plan = plan?;
            let what = format!("WITH query \"{name}\"");
            let plan = rename_columns_of(plan, &cte.alias.columns, &what)
                .map_err(|e| crate::parser::place::at_ident(e, &cte.alias.name))?;
            let schema = plan.schema();
            self.ctes[id] = plan;
            if let Some(scope) = self.cte_scopes.last_mut() {
                let outer_depth = self.outer.len();
                let recursion = Recursion::Done;
                scope.insert(name, CteEntry { id, schema, recursion, outer_depth, correlated });
            }
        }
        Ok(())
    }

    fn bind_recursive_cte(&mut self, id: usize, name: &str, cte: &ast::Cte) -> Result<Plan> {
        let union = matches!(
            cte.query.body.as_ref(),
            ast::SetExpr::SetOperation { op: ast::SetOperator::Union, .. }
        );
        let Some(with) = cte.query.with.as_ref().filter(|_| union) else {
            return self.bind_recursive_terms(id, name, cte);
        };
        // A WITH inside the recursive query is visible to both terms; a reference to the
        // query itself from one of its queries stands in a subquery (42P19).
        let outer_depth = self.outer.len();
        if let Some(scope) = self.cte_scopes.last_mut() {
            let (schema, recursion) = (Schema::default(), Recursion::Nested);
            let entry = CteEntry { id, schema, recursion, outer_depth, correlated: false };
            scope.insert(name.to_string(), entry);
        }
        self.bind_with(with)?;
        let plan = self.bind_recursive_terms(id, name, cte);
        self.cte_scopes.pop();
        plan
    }

    /// The two terms of a recursive WITH query (or the whole query when it is no UNION).
    fn bind_recursive_terms(&mut self, id: usize, name: &str, cte: &ast::Cte) -> Result<Plan> {
        let (left, right, all) = match cte.query.body.as_ref() {
            ast::SetExpr::SetOperation {
                left,
                op: ast::SetOperator::Union,
                set_quantifier,
                right,
            } => (left, right, matches!(set_quantifier, ast::SetQuantifier::All)),
            _ => {
                return self.bind_query(&cte.query).map_err(|e| {
                    if e.sqlstate() == SqlState::UNDEFINED_TABLE && e.message() == format!("relation \"{name}\" does not exist") {
                        Error::new(
                            SqlState::INVALID_RECURSION,
                            format!("recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term"),
                        )
                    } else {
                        e
                    }
                })
            }
        };
        let refuse = |what: &str| {
            Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("{what} in a recursive query is not implemented"),
            ))
        };
        if cte.query.order_by.is_some() {
            return refuse("ORDER BY");
        }
        match &cte.query.limit_clause {
            Some(ast::LimitClause::LimitOffset { offset: Some(_), .. })
            | Some(ast::LimitClause::OffsetCommaLimit { .. }) => return refuse("OFFSET"),
            Some(_) => return refuse("LIMIT"),
            None => {}
        }
        if !cte.query.locks.is_empty() {
            return refuse("FOR UPDATE/SHARE");
        }
        let schema_of_name = |binder: &mut Self, recursion: Recursion, schema: Schema| {
            let outer_depth = binder.outer.len();
            if let Some(scope) = binder.cte_scopes.last_mut() {
                let entry = CteEntry { id, schema, recursion, outer_depth, correlated: false };
                scope.insert(name.to_string(), entry);
            }
        };
        schema_of_name(self, Recursion::Base, Schema::default());
        let base = self.bind_set_expr(left, None);
        let base = base.and_then(|b| {
            rename_columns_of(b, &cte.alias.columns, &format!("WITH query \"{name}\""))
        });
        let base = match base {
            Ok(b) => b,
            Err(e) => {
                if let Some(scope) = self.cte_scopes.last_mut() {
                    scope.remove(name);
                }
                return Err(e);
            }
        };
        let schema = base.schema();
        let term = Recursion::Term { depth: self.outer.len(), refs: std::cell::Cell::new(0) };
        schema_of_name(self, term, schema.clone());
        let recursive = self.bind_set_expr(right, None);
        if let Some(scope) = self.cte_scopes.last_mut() {
            scope.remove(name);
        }
        let recursive = recursive?;
        if recursive.width() != schema.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "each UNION query must have the same number of columns",
            ));
        }
        let types: Vec<DataType> = schema.iter().map(|f| f.data_type.clone()).collect();
        let recursive = coerce_columns(recursive, &types)?;
        if !self.reads_work_table(&recursive, id) {
            // `WITH RECURSIVE` over a query that never names itself is an ordinary
            // UNION, as in PostgreSQL (iterating it would never end under UNION ALL).
            return Ok(Plan::SetOp {
                left: Box::new(base),
                right: Box::new(recursive),
                op: SetOpKind::Union,
                all,
                schema,
            });
        }
        self.check_recursive_term(&recursive, id, name)?;
        Ok(Plan::RecursiveUnion {
            id,
            base: Box::new(base),
            recursive: Box::new(recursive),
            all,
            schema,
        })
    }

    /// PostgreSQL's rules for the recursive term that the plan shows (42P19): no
    /// aggregates over the work table, no reference on the nullable side of an outer
    /// join, none under INTERSECT or EXCEPT (except EXCEPT's left side).
    fn check_recursive_term(&self, plan: &Plan, id: usize, name: &str) -> Result<()> {
        let invalid = |msg: String| Err(Error::new(SqlState::INVALID_RECURSION, msg));
        let within = |what: &str| {
            invalid(format!(
                "recursive reference to query \"{name}\" must not appear within {what}"
            ))
        };
        match plan {
            Plan::Aggregate { input, aggs, .. }
                if !aggs.is_empty() && self.reads_work_table(input, id) =>
            {
                return invalid(
                    "aggregate functions are not allowed in a recursive query's recursive term"
                        .into(),
                );
            }
            Plan::Join { left, right, kind, .. } => {
                let nullable_left = matches!(kind, JoinKind::Right | JoinKind::Full);
                let nullable_right = matches!(kind, JoinKind::Left | JoinKind::Full);
                if (nullable_left && self.reads_work_table(left, id))
                    || (nullable_right && self.reads_work_table(right, id))
                {
                    return within("an outer join");
                }
            }
            Plan::SetOp { left, right, op, all, .. } => {
                let banned = match op {
                    SetOpKind::Intersect if *all => Some(("INTERSECT", true)),
                    SetOpKind::Except => Some(("EXCEPT", *all)),
                    _ => None,
                };
                if let Some((what, left_too)) = banned {
                    if self.reads_work_table(right, id)
                        || (left_too && self.reads_work_table(left, id))
                    {
                        return within(what);
                    }
                }
            }
            _ => {}
        }
        for input in plan.inputs() {
            self.check_recursive_term(input, id, name)?;
        }
        Ok(())
    }

    /// Whether `plan` reads the working table of recursive WITH query `id`, directly
    /// or through a WITH query nested in it.
    fn reads_work_table(&self, plan: &Plan, id: usize) -> bool {
        match plan {
            Plan::WorkTable { id: w, .. } => *w == id,
            Plan::CteScan { id: c, .. } => {
                self.ctes.get(*c).is_some_and(|p| self.reads_work_table(p, id))
            }
            _ => plan.inputs().into_iter().any(|p| self.reads_work_table(p, id)),
        }
    }

    /// Looks a name up among the visible WITH queries. A reference to a recursive
    /// WITH query from its own recursive term reads the work table; PostgreSQL's rules
    /// on where such a reference may stand give 42P19.
    pub(super) fn cte_plan(&self, name: &str) -> Result<Option<Plan>> {
        for scope in self.cte_scopes.iter().rev() {
            let Some(e) = scope.get(name) else { continue };
            let invalid = |what: &str| {
                Err(Error::new(
                    SqlState::INVALID_RECURSION,
                    format!("recursive reference to query \"{name}\" must not appear {what}"),
                ))
            };
            return match &e.recursion {
                Recursion::Done => {
                    // The enclosing rows between its definition and this reference
                    // come first in the row a correlated WITH query gets.
                    let outer_skip = e.correlated.then(|| {
                        // Subqueries between the definition and here depend on the
                        // enclosing row through it.
                        for flag in self.correlated.iter().skip(e.outer_depth) {
                            flag.set(true);
                            flag.whole.set(true);
                        }
                        self.outer[e.outer_depth..].iter().map(|fields| fields.len()).sum()
                    });
                    Ok(Some(Plan::CteScan { id: e.id, outer_skip, schema: e.schema.clone() }))
                }
                Recursion::Base => invalid("within its non-recursive term"),
                Recursion::Nested => invalid("within a subquery"),
                Recursion::NoReturning => Err(Error::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    format!("WITH query \"{name}\" does not have a RETURNING clause"),
                )),
                Recursion::Term { depth, .. } if self.outer.len() > *depth => {
                    invalid("within a subquery")
                }
                Recursion::Term { refs, .. } => {
                    refs.set(refs.get() + 1);
                    if refs.get() > 1 {
                        return invalid("more than once");
                    }
                    Ok(Some(Plan::WorkTable { id: e.id, schema: e.schema.clone() }))
                }
            };
        }
        Ok(None)
    }

    /// Binds a query body; `order_by` is bound inside a plain SELECT (where it may refer
    /// to input columns) or over the output columns otherwise.
    pub(super) fn bind_set_expr(
        &mut self,
        body: &ast::SetExpr,
        order_by: Option<&[ast::OrderByExpr]>,
    ) -> Result<Plan> {
        match body {
            ast::SetExpr::Select(select) => self.bind_select(select, order_by),
            ast::SetExpr::Query(q) => {
                let plan = self.bind_query(q)?;
                self.order_output(plan, order_by)
            }
            ast::SetExpr::Values(values) => {
                let plan = self.bind_values(values, None)?;
                self.order_output(plan, order_by)
            }
            ast::SetExpr::SetOperation { left, op, set_quantifier, right } => {
                let plan = self.bind_set_operation(left, *op, *set_quantifier, right)?;
                self.order_output(plan, order_by)
            }
            ast::SetExpr::Table(t) => {
                let name = t.table_name.clone().ok_or_else(|| {
                    Error::new(SqlState::SYNTAX_ERROR, "TABLE needs a table name")
                })?;
                let q = crate::parser::parse_query(&format!("SELECT * FROM {name}"))?;
                let plan = self.bind_query(&q)?;
                self.order_output(plan, order_by)
            }
            ast::SetExpr::Merge(_) => Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "MERGE not supported in WITH query",
            )),
            other => Err(Error::unsupported(format!("query body {other}"))),
        }
    }

    fn bind_set_operation(
        &mut self,
        left: &ast::SetExpr,
        op: ast::SetOperator,
        quantifier: ast::SetQuantifier,
        right: &ast::SetExpr,
    ) -> Result<Plan> {
        let l = self.bind_set_expr(left, None)?;
        let r = self.bind_set_expr(right, None)?;
        let (kind, word) = match op {
            ast::SetOperator::Union => (SetOpKind::Union, "UNION"),
            ast::SetOperator::Intersect => (SetOpKind::Intersect, "INTERSECT"),
            ast::SetOperator::Except | ast::SetOperator::Minus => (SetOpKind::Except, "EXCEPT"),
        };
        let all = match quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            _ => return Err(Error::unsupported(format!("{word} BY NAME"))),
        };
        let ls = l.schema();
        let rs = r.schema();
        if ls.len() != rs.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("each {word} query must have the same number of columns"),
            ));
        }
        let (lt, rt) = (set_op_input_types(&l), set_op_input_types(&r));
        let mut types = Vec::with_capacity(ls.len());
        for (a, b) in lt.into_iter().zip(rt) {
            types.push(expr::types::common_type(&[a, b], word)?);
        }
        let types: Vec<DataType> = types.into_iter().map(resolve_unknown).collect();
        let l = coerce_columns(l, &types)?;
        let r = coerce_columns(r, &types)?;
        let schema =
            ls.iter().zip(&types).map(|(f, t)| Field::new(f.name.clone(), t.clone())).collect();
        Ok(Plan::SetOp { left: Box::new(l), right: Box::new(r), op: kind, all, schema })
    }

    /// Binds `VALUES (...), (...)`; with `target` types (INSERT), each value is coerced
    /// by the caller, otherwise columns get their common type.
    pub(super) fn bind_values(
        &mut self,
        values: &ast::Values,
        width_hint: Option<usize>,
    ) -> Result<Plan> {
        let mut rows: Vec<Vec<Expr>> = Vec::with_capacity(values.rows.len());
        let width = values.rows.first().map(|r| r.content.len()).unwrap_or(0);
        for row in &values.rows {
            if row.content.len() != width {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "VALUES lists must all be the same length",
                ));
            }
            let mut out = Vec::with_capacity(width);
            for e in &row.content {
                out.push(self.bind_scalar(e, &[], Some("VALUES"))?);
            }
            rows.push(out);
        }
        let _ = width_hint;
        let mut schema = Vec::with_capacity(width);
        for c in 0..width {
            let types: Vec<DataType> = rows.iter().map(|r| r[c].data_type()).collect();
            let ty = resolve_unknown(expr::types::common_type(&types, "VALUES")?);
            for r in rows.iter_mut() {
                let e = std::mem::replace(&mut r[c], Expr::literal(helios_types::Value::Null));
                r[c] = cast_to(e, &ty);
            }
            schema.push(Field::new(format!("column{}", c + 1), ty));
        }
        Ok(Plan::Values { rows, schema })
    }

    /// ORDER BY over a finished result: keys are output column names, ordinals or
    /// expressions over the output columns.
    fn order_output(&mut self, plan: Plan, order_by: Option<&[ast::OrderByExpr]>) -> Result<Plan> {
        let Some(items) = order_by else { return Ok(plan) };
        if items.is_empty() {
            return Ok(plan);
        }
        let schema = plan.schema();
        let mut keys = Vec::with_capacity(items.len());
        for item in items {
            let expr = match super::order::output_ordinal(&item.expr, &schema)? {
                Some(i) => Expr::Column(i, schema[i].data_type.clone()),
                None => self.bind_scalar(&item.expr, &schema, Some("ORDER BY"))?,
            };
            keys.push(super::order::sort_key(expr, &item.options)?);
        }
        Ok(Plan::Sort { input: Box::new(plan), keys, limit: None })
    }
}

/// The column types a set operation unifies for one input: a column whose value is an
/// untyped literal (`NULL`, `'1'`) counts as `unknown`, as in PostgreSQL, so
/// `SELECT NULL UNION SELECT 1` resolves to integer instead of failing on text.
fn set_op_input_types(plan: &Plan) -> Vec<DataType> {
    let schema = plan.schema();
    let mut node = plan;
    loop {
        match node {
            Plan::Sort { input, .. } | Plan::Limit { input, .. } | Plan::Distinct { input, .. } => {
                node = input;
            }
            Plan::Project { exprs, .. } if exprs.len() == schema.len() => {
                return exprs
                    .iter()
                    .zip(&schema)
                    .map(|(e, f)| match e {
                        Expr::Literal(_, DataType::Unknown) => DataType::Unknown,
                        _ => f.data_type.clone(),
                    })
                    .collect();
            }
            _ => return schema.into_iter().map(|f| f.data_type).collect(),
        }
    }
}

/// PostgreSQL resolves a column that is still `unknown` after unification as `text`.
pub fn resolve_unknown(t: DataType) -> DataType {
    if t == DataType::Unknown {
        DataType::Text
    } else {
        t
    }
}

/// Casts a plan's columns to `types` with a projection when any differ.
pub fn coerce_columns(plan: Plan, types: &[DataType]) -> Result<Plan> {
    let schema = plan.schema();
    if schema.iter().zip(types).all(|(f, t)| &f.data_type == t) {
        return Ok(plan);
    }
    if let Plan::Values { rows, schema } = plan {
        let rows = rows
            .into_iter()
            .map(|r| r.into_iter().zip(types).map(|(e, t)| cast_to(e, t)).collect())
            .collect();
        let schema = schema
            .into_iter()
            .zip(types)
            .map(|(f, t)| Field { data_type: t.clone(), ..f })
            .collect();
        return Ok(Plan::Values { rows, schema });
    }
    let exprs = schema
        .iter()
        .enumerate()
        .zip(types)
        .map(|((i, f), t)| cast_to(Expr::Column(i, f.data_type.clone()), t))
        .collect();
    let new_schema: Schema =
        schema.into_iter().zip(types).map(|(f, t)| Field { data_type: t.clone(), ..f }).collect();
    Ok(Plan::Project { input: Box::new(plan), exprs, schema: new_schema })
}

/// Applies a column alias list `t(a, b)` to a plan's output.
pub fn rename_columns(plan: Plan, names: &[ast::TableAliasColumnDef], table: &str) -> Result<Plan> {
    rename_columns_of(plan, names, &format!("table \"{table}\""))
}

/// [`rename_columns`] for an item that is not a table: `what` names it in the error
/// (`join expression "j"`, `WITH query "w"`).
pub fn rename_columns_of(
    plan: Plan,
    names: &[ast::TableAliasColumnDef],
    what: &str,
) -> Result<Plan> {
    if names.is_empty() {
        return Ok(plan);
    }
    let mut schema = plan.schema();
    let visible = schema.iter().filter(|f| !f.hidden).count();
    if names.len() > visible {
        return Err(Error::new(
            SqlState::INVALID_COLUMN_REFERENCE,
            format!("{what} has {visible} columns available but {} columns specified", names.len()),
        ));
    }
    let mut it = names.iter();
    for f in schema.iter_mut().filter(|f| !f.hidden) {
        match it.next() {
            Some(n) => f.name = ident_name(&n.name),
            None => break,
        }
    }
    let exprs =
        schema.iter().enumerate().map(|(i, f)| Expr::Column(i, f.data_type.clone())).collect();
    Ok(Plan::Project { input: Box::new(plan), exprs, schema })
}

/// Whether a WITH query's body is an INSERT, UPDATE or DELETE without RETURNING, also
/// when it stands in parentheses (how the session leaves one it has run, see
/// `session/writable_cte.rs`).
pub(crate) fn is_dml_without_returning(body: &ast::SetExpr) -> bool {
    match body {
        ast::SetExpr::Query(q) => is_dml_without_returning(&q.body),
        ast::SetExpr::Insert(ast::Statement::Insert(i)) => i.returning.is_none(),
        ast::SetExpr::Update(ast::Statement::Update(u)) => u.returning.is_none(),
        ast::SetExpr::Delete(ast::Statement::Delete(d)) => d.returning.is_none(),
        _ => false,
    }
}
