//! FROM: tables, views, WITH queries, derived tables, joins (USING, NATURAL, LATERAL).

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::query::rename_columns;
use super::Binder;
use crate::catalog::access::PolicyCommand;
use crate::catalog::{Privileges, Relation};
use crate::expr::{self, Expr};
use crate::parser::{ident_name, object_name};
use crate::planner::{Field, JoinKind, Plan, Schema};

impl Binder<'_> {
    /// Binds a FROM list (items are cross-joined; later items may be LATERAL).
    pub(super) fn bind_from(&mut self, from: &[ast::TableWithJoins]) -> Result<Plan> {
        let mut plan: Option<Plan> = None;
        for twj in from {
            plan = Some(match plan {
                None => self.bind_table_with_joins(twj, None)?.0,
                Some(left) => self.bind_from_item(left, twj)?,
            });
        }
        Ok(plan.unwrap_or(Plan::Empty { rows: 1 }))
    }

    pub(super) fn bind_table_with_joins(
        &mut self,
        twj: &ast::TableWithJoins,
        left_of: Option<Schema>,
    ) -> Result<(Plan, bool)> {
        let (mut plan, lateral) = self.bind_factor(&twj.relation, left_of.as_deref())?;
        for join in &twj.joins {
            plan = self.bind_join(plan, join)?;
        }
        Ok((plan, lateral))
    }

    /// Binds a table factor; `left` is the schema LATERAL items may refer to.
    pub(super) fn bind_factor(
        &mut self,
        factor: &ast::TableFactor,
        left: Option<&[Field]>,
    ) -> Result<(Plan, bool)> {
        match factor {
            ast::TableFactor::Table { name, alias, args: Some(args), with_ordinality, .. } => {
                let exprs = super::table_function::plain_args(&args.args)?;
                self.with_lateral_prefix(|b| {
                    b.bind_function_item_with(name, &exprs, alias.as_ref(), left, *with_ordinality)
                })
            }
            ast::TableFactor::Function { name, args, alias, with_ordinality, .. } => {
                let exprs = super::table_function::plain_args(args)?;
                self.with_lateral_prefix(|b| {
                    b.bind_function_item_with(name, &exprs, alias.as_ref(), left, *with_ordinality)
                })
            }
            ast::TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset: false,
                with_ordinality,
                ..
            } => {
                let name = ast::ObjectName::from(vec![ast::Ident::new("unnest")]);
                self.with_lateral_prefix(|b| {
                    b.bind_function_item_with(
                        &name,
                        array_exprs,
                        alias.as_ref(),
                        left,
                        *with_ordinality,
                    )
                })
            }
            ast::TableFactor::Table { name, alias, version, .. } => {
                if let Some(v) = version {
                    return Ok((self.bind_versioned_table(name, alias.as_ref(), v)?, false));
                }
                let plan = self.bind_table_name(name, alias.as_ref())?;
                Ok((plan, false))
            }
            ast::TableFactor::Derived { lateral, subquery, alias, .. } => {
                let plan = if *lateral {
                    let outer: Schema = left.map(|l| l.to_vec()).unwrap_or_default();
                    self.with_lateral_prefix(|b| {
                        b.outer.push(outer);
                        b.correlated.push(super::Correlation::default());
                        let bound = b.bind_query(subquery);
                        b.outer.pop();
                        b.correlated.pop();
                        bound
                    })?
                } else {
                    // The FROM items to its left are there but out of its reach, and so
                    // are those before its join chain (for its own LATERAL items too).
                    let siblings = left.unwrap_or_default().to_vec();
                    let prefixes = std::mem::take(&mut self.lateral_prefixes);
                    let bound = self.with_unreachable(&siblings, |b| {
                        b.with_no_outer(|b| b.bind_query(subquery))
                    });
                    self.lateral_prefixes = prefixes;
                    bound?
                };
                let qualifier = alias.as_ref().map(|a| ident_name(&a.name));
                let plan = match alias {
                    Some(a) => rename_columns(plan, &a.columns, &ident_name(&a.name))?,
                    None => plan,
                };
                Ok((requalify(plan, qualifier), *lateral))
            }
            ast::TableFactor::NestedJoin { table_with_joins, alias } => {
                let (plan, _) = self.bind_table_with_joins(table_with_joins, None)?;
                match alias {
                    Some(a) => {
                        // The alias hides the joined items' own names (not the aliases of
                        // JOIN USING, which name no FROM item).
                        let names = factor_names(table_with_joins);
                        self.unreachable.extend(
                            super::scope::Unreachable::items_of(&plan.schema())
                                .into_iter()
                                .filter(|u| names.contains(&u.name)),
                        );
                        let what = format!("join expression \"{}\"", ident_name(&a.name));
                        let plan = super::query::rename_columns_of(plan, &a.columns, &what)?;
                        Ok((requalify(plan, Some(ident_name(&a.name))), false))
                    }
                    None => Ok((plan, false)),
                }
            }
            other => Err(Error::unsupported(format!("FROM item {other}"))),
        }
    }

    /// Runs `f` with the enclosing-query columns hidden (non-LATERAL derived tables
    /// cannot see their siblings but can see enclosing queries).
    fn with_no_outer<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        f(self)
    }

    /// A table, view or WITH query by name.
    pub(super) fn bind_table_name(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Plan> {
        let qn = object_name(name)?;
        let qualifier = alias.map(|a| ident_name(&a.name)).unwrap_or_else(|| qn.name.clone());
        if qn.schema.is_none() {
            let cte =
                self.cte_plan(&qn.name).map_err(|e| crate::parser::place::at_name(e, name))?;
            if let Some(plan) = cte {
                let plan = match alias {
                    Some(a) => rename_columns(plan, &a.columns, &qualifier)?,
                    None => plan,
                };
                return Ok(requalify(plan, Some(qualifier)));
            }
        }
        let found = self.catalog.resolve(qn.schema.as_deref(), &qn.name, self.search_path());
        if found.is_some() {
            self.note_alias(&qn.name, &qualifier);
        }
        let rel = match found {
            Some((_, rel)) => rel,
            None => {
                if let Some(plan) = self.bind_system_view(name, alias)? {
                    return Ok(plan);
                }
                let sys_schema = qn.schema.clone().unwrap_or_else(|| "pg_catalog".to_string());
                let plan = super::system_views::system_relation(
                    self.catalog,
                    self.session,
                    &sys_schema,
                    &qn.name,
                )
                .ok_or_else(|| {
                    crate::parser::place::at_name(undefined_table(&qn.schema, &qn.name), name)
                })?;
                let plan = match alias {
                    Some(a) => rename_columns(plan, &a.columns, &qualifier)?,
                    None => plan,
                };
                return Ok(requalify(plan, Some(qualifier)));
            }
        };
        if self.probe && self.expanding_views.is_empty() && self.expanding_policies.is_empty() {
            if let Relation::Table(id) | Relation::View(id) | Relation::Sequence(id) = rel {
                self.relations_named.push(id);
            }
        }
        let plan = match rel {
            Relation::Table(id) => {
                let table = self
                    .catalog
                    .table(id)
                    .cloned()
                    .ok_or_else(|| Error::internal("table vanished from catalog"))?;
                if table.matview.as_ref().is_some_and(|m| !m.populated) && !self.probe {
                    return Err(Error::new(
                        SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                        format!("materialized view \"{}\" has not been populated", table.name),
                    )
                    .with_hint("Use the REFRESH MATERIALIZED VIEW command."));
                }
                self.require_table(&table, Privileges::SELECT)?;
                if let Some(tables) = self.from_tables.as_mut() {
                    tables.push((qualifier.clone(), id));
                }
                let scan = if self.catalog.is_partitioned(id) {
                    self.partitioned_scan(&table, &qualifier)?
                } else if self.tableoid {
                    super::partition::with_tableoid(self.table_scan(table.clone(), &qualifier), id)
                } else {
                    self.table_scan(table.clone(), &qualifier)
                };
                self.with_policy_filter(scan, &table, PolicyCommand::Select)?
            }
            Relation::View(id) => {
                let view = self
                    .catalog
                    .views
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| Error::internal("view vanished"))?;
                let q = crate::parser::parse_query(&view.query)?;
                // Views can be made to read each other in a cycle (CREATE OR REPLACE).
                if self.expanding_views.contains(&id) {
                    return Err(Error::new(
                        SqlState::from_code("42P17"),
                        format!(
                            "infinite recursion detected in rules for relation \"{}\"",
                            view.name
                        ),
                    ));
                }
                self.require_view(&view, Privileges::SELECT)?;
                // A view body sees no enclosing query and no WITH of the user's query.
                let saved_outer = std::mem::take(&mut self.outer);
                let saved_corr = std::mem::take(&mut self.correlated);
                let saved_aggs = std::mem::take(&mut self.outer_aggs);
                let saved_ctes = std::mem::take(&mut self.cte_scopes);
                self.expanding_views.push(id);
                if view.security_invoker {
                    // Checked for whoever reads the view, as its direct reads are.
                    let me = self.checker().clone();
                    self.view_owners.push(me);
                } else {
                    self.enter_view(view.access.owner);
                }
                let own_path = !view.search_path.is_empty();
                if own_path {
                    self.view_paths.push(view.search_path.clone());
                }
                let bound = self.bind_query(&q);
                if own_path {
                    self.view_paths.pop();
                }
                self.leave_view();
                self.expanding_views.pop();
                self.outer = saved_outer;
                self.correlated = saved_corr;
                self.outer_aggs = saved_aggs;
                self.cte_scopes = saved_ctes;
                let plan = bound?;
                let cols: Vec<ast::TableAliasColumnDef> = view
                    .columns
                    .iter()
                    .map(|c| ast::TableAliasColumnDef {
                        name: ast::Ident::with_quote('"', c.clone()),
                        data_type: None,
                    })
                    .collect();
                rename_columns(plan, &cols, &view.name)?
            }
            Relation::Sequence(id) => {
                let seq = self
                    .catalog
                    .sequences
                    .get(&id)
                    .ok_or_else(|| Error::internal("sequence vanished"))?;
                self.require_sequence(seq, Privileges::SELECT)?;
                let func =
                    crate::exec::sequence_relation::SequenceRelation::new(seq.as_ref().clone());
                crate::functions::table::BoundTableFunction::relation_plan(std::sync::Arc::new(
                    func,
                ))
            }
            other => {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("\"{}\" is not a table ({} found)", qn.name, other.kind_name()),
                ))
            }
        };
        let plan = match alias {
            Some(a) => rename_columns(plan, &a.columns, &qualifier)?,
            None => plan,
        };
        Ok(requalify(plan, Some(qualifier)))
    }

    fn bind_join(&mut self, left: Plan, join: &ast::Join) -> Result<Plan> {
        use ast::JoinOperator as J;
        let (kind, constraint) = match &join.join_operator {
            J::Join(c) | J::Inner(c) => (JoinKind::Inner, c),
            J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, c),
            J::Right(c) | J::RightOuter(c) => (JoinKind::Right, c),
            J::FullOuter(c) => (JoinKind::Full, c),
            J::CrossJoin(c) => (JoinKind::Inner, c),
            other => return Err(Error::unsupported(format!("join type {other:?}"))),
        };
        let left_schema = left.schema();
        let right_join = matches!(kind, JoinKind::Right | JoinKind::Full);
        let (right, lateral) = if right_join && super::lateral::is_lateral_item(&join.relation) {
            // A LATERAL right side cannot read the left one (which may be all NULLs), but
            // may read enclosing rows: it runs as an ordinary join input.
            let mark = self.unreachable.len();
            self.unreachable.extend(
                super::scope::Unreachable::items_of(&left_schema)
                    .into_iter()
                    .map(|u| super::scope::Unreachable { right_join: true, ..u }),
            );
            let bound = self.bind_factor(&join.relation, None);
            self.unreachable.truncate(mark);
            (bound?.0, false)
        } else {
            self.bind_factor(&join.relation, Some(&left_schema))?
        };
        let right_schema = right.schema();
        check_distinct_names(&left_schema, &right_schema)?;
        let nullable_left = matches!(kind, JoinKind::Right | JoinKind::Full);
        let nullable_right = matches!(kind, JoinKind::Left | JoinKind::Full);
        for (schema, nullable) in [(&left_schema, nullable_left), (&right_schema, nullable_right)] {
            if nullable {
                self.null_extended.extend(schema.iter().filter_map(|f| f.qualifier.clone()));
            }
        }
        match constraint {
            ast::JoinConstraint::On(cond) => {
                let mut fields = left_schema.clone();
                fields.extend(right_schema.iter().cloned());
                let on = self.bind_condition(cond, &fields, "JOIN/ON", false)?;
                Ok(join_plans(left, right, kind, Some(on), lateral))
            }
            ast::JoinConstraint::None => {
                if !matches!(join.join_operator, J::CrossJoin(_)) && kind != JoinKind::Inner {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "syntax error at or near \"JOIN\"",
                    ));
                }
                Ok(join_plans(left, right, kind, None, lateral))
            }
            ast::JoinConstraint::Using(cols) => {
                let mut names = Vec::new();
                for c in cols {
                    names.push(object_name(c)?.name);
                }
                self.join_using(left, right, kind, names, lateral, None)
            }
            ast::JoinConstraint::UsingAlias(cols, alias) => {
                let mut names = Vec::new();
                for c in cols {
                    names.push(object_name(c)?.name);
                }
                let alias = ident_name(alias);
                self.join_using(left, right, kind, names, lateral, Some(alias))
            }
            ast::JoinConstraint::Natural => {
                let names: Vec<String> = left_schema
                    .iter()
                    .filter(|f| !f.hidden)
                    .filter(|f| right_schema.iter().any(|r| !r.hidden && r.name == f.name))
                    .map(|f| f.name.clone())
                    .collect();
                self.join_using(left, right, kind, names, lateral, None)
            }
        }
    }

    /// JOIN ... USING (cols) [AS alias]: the join on equal columns, then a projection
    /// that puts each merged column first and hides the original pair (still reachable
    /// qualified). The alias qualifies the merged columns only.
    fn join_using(
        &mut self,
        left: Plan,
        right: Plan,
        kind: JoinKind,
        names: Vec<String>,
        lateral: bool,
        alias: Option<String>,
    ) -> Result<Plan> {
        let ls = left.schema();
        let rs = right.schema();
        let lw = ls.len();
        let mut pairs = Vec::new();
        for n in &names {
            let li = super::scope::find_field(&ls, None, n)?.ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!(
                        "column \"{n}\" specified in USING clause does not exist in left table"
                    ),
                )
            })?;
            let ri = super::scope::find_field(&rs, None, n)?.ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!(
                        "column \"{n}\" specified in USING clause does not exist in right table"
                    ),
                )
            })?;
            pairs.push((li, ri));
        }
        let mut on: Option<Expr> = None;
        let mut all = ls.clone();
        all.extend(rs.iter().cloned());
        for (n, (li, ri)) in names.iter().zip(&pairs) {
            let cond = self.bind_scalar(
                &ast::Expr::BinaryOp {
                    left: Box::new(ast::Expr::Identifier(ast::Ident::new("__l"))),
                    op: ast::BinaryOperator::Eq,
                    right: Box::new(ast::Expr::Identifier(ast::Ident::new("__r"))),
                },
                &[
                    Field::new("__l", ls[*li].data_type.clone()),
                    Field::new("__r", rs[*ri].data_type.clone()),
                ],
                Some("JOIN/USING"),
            )?;
            let mut cond = cond;
            // Re-point the two placeholder columns at the join row.
            super::super::planner::rewrite::transform(&mut cond, &mut |e| match e {
                Expr::Column(0, t) => Some(Expr::Column(*li, t.clone())),
                Expr::Column(1, t) => Some(Expr::Column(lw + *ri, t.clone())),
                _ => None,
            });
            let _ = n;
            on = Some(match on {
                None => cond,
                Some(prev) => and(prev, cond),
            });
        }
        if let Some(a) = &alias {
            let named = [Field { qualifier: Some(a.clone()), ..Field::new("", DataType::Bool) }];
            check_distinct_names(&all, &named)?;
        }
        let join = join_plans(left, right, kind, on, lateral);
        let mut exprs = Vec::new();
        let mut schema = Vec::new();
        for (n, (li, ri)) in names.iter().zip(&pairs) {
            let lt = ls[*li].data_type.clone();
            let rt = rs[*ri].data_type.clone();
            let ty = expr::types::common_type(&[lt.clone(), rt.clone()], "JOIN/USING")?;
            let l = super::cast_to(Expr::Column(*li, lt), &ty);
            let r = super::cast_to(Expr::Column(lw + *ri, rt), &ty);
            let e = match kind {
                JoinKind::Right => r,
                JoinKind::Full => Expr::Coalesce(vec![l, r], ty.clone()),
                _ => l,
            };
            exprs.push(e);
            schema.push(Field { qualifier: alias.clone(), ..Field::new(n.clone(), ty) });
        }
        for (i, f) in ls.iter().enumerate() {
            let used = pairs.iter().any(|(li, _)| *li == i);
            exprs.push(Expr::Column(i, f.data_type.clone()));
            schema.push(Field { hidden: f.hidden || used, ..f.clone() });
        }
        for (i, f) in rs.iter().enumerate() {
            let used = pairs.iter().any(|(_, ri)| *ri == i);
            exprs.push(Expr::Column(lw + i, f.data_type.clone()));
            schema.push(Field { hidden: f.hidden || used, ..f.clone() });
        }
        Ok(Plan::Project { input: Box::new(join), exprs, schema })
    }
}

/// 42712 when a FROM item of `right` has the name (table name or alias) of one in
/// `left`: every name of one FROM list must be distinct, as in PostgreSQL. (PostgreSQL
/// also lets two tables of different schemas share a name when neither has an alias;
/// here that is refused too.)
pub(super) fn check_distinct_names(left: &[Field], right: &[Field]) -> Result<()> {
    for r in right {
        let Some(q) = &r.qualifier else { continue };
        if left.iter().any(|l| l.qualifier.as_ref() == Some(q)) {
            return Err(Error::new(
                SqlState::DUPLICATE_ALIAS,
                format!("table name \"{q}\" specified more than once"),
            ));
        }
    }
    Ok(())
}

/// The names (alias, else table name) of the FROM items of a join tree, down through
/// parenthesized joins without an alias.
fn factor_names(twj: &ast::TableWithJoins) -> Vec<String> {
    let mut out = Vec::new();
    for f in std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation)) {
        match f {
            ast::TableFactor::Table { name, alias, .. } => match alias {
                Some(a) => out.push(ident_name(&a.name)),
                None => out.extend(object_name(name).ok().map(|q| q.name)),
            },
            ast::TableFactor::NestedJoin { alias: None, table_with_joins } => {
                out.extend(factor_names(table_with_joins))
            }
            ast::TableFactor::Derived { alias, .. }
            | ast::TableFactor::Function { alias, .. }
            | ast::TableFactor::UNNEST { alias, .. }
            | ast::TableFactor::NestedJoin { alias, .. } => {
                out.extend(alias.as_ref().map(|a| ident_name(&a.name)))
            }
            _ => {}
        }
    }
    out
}

/// `a AND b` as a bound expression.
pub fn and(a: Expr, b: Expr) -> Expr {
    Expr::Binary {
        op: expr::BinaryOp::And,
        left: Box::new(a),
        right: Box::new(b),
        ty: helios_types::DataType::Bool,
    }
}

pub(super) fn join_plans(
    left: Plan,
    right: Plan,
    kind: JoinKind,
    on: Option<Expr>,
    lateral: bool,
) -> Plan {
    let mut schema = left.schema();
    let mut rs = right.schema();
    if matches!(kind, JoinKind::Semi | JoinKind::Anti | JoinKind::NullAwareAnti) {
        rs.clear();
    }
    schema.extend(rs);
    Plan::Join {
        left: Box::new(left),
        right: Box::new(right),
        kind,
        on,
        equi: Vec::new(),
        lateral,
        schema,
    }
}

/// Sets the qualifier of every column of a FROM item to its name or alias.
pub(super) fn requalify(plan: Plan, qualifier: Option<String>) -> Plan {
    let mut schema = plan.schema();
    for f in &mut schema {
        f.qualifier = qualifier.clone();
    }
    match plan {
        Plan::Scan { table, access, filter, with_key, needed, .. } => {
            Plan::Scan { table, access, filter, with_key, needed, schema }
        }
        Plan::Append { inputs, .. } => Plan::Append { inputs, schema },
        Plan::Project { input, exprs, .. } => Plan::Project { input, exprs, schema },
        other => {
            let exprs = schema
                .iter()
                .enumerate()
                .map(|(i, f)| Expr::Column(i, f.data_type.clone()))
                .collect();
            Plan::Project { input: Box::new(other), exprs, schema }
        }
    }
}

/// 42P01 `relation "x" does not exist`.
pub fn undefined_table(schema: &Option<String>, name: &str) -> Error {
    let shown = match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.to_string(),
    };
    Error::new(SqlState::UNDEFINED_TABLE, format!("relation \"{shown}\" does not exist"))
}
