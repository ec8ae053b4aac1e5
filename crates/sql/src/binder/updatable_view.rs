//! Automatically updatable views: INSERT, UPDATE and DELETE on a simple view write to
//! the relation under it, as PostgreSQL does for views that read one table (or one such
//! view) with no WITH, DISTINCT, GROUP BY, HAVING, LIMIT / OFFSET, set operation,
//! aggregate, window function or set-returning function.
//!
//! The statement is rewritten before it is bound:
//!
//! ```text
//! view v: SELECT a AS x, b, a + b AS s FROM t WHERE b > 0
//! INSERT INTO v (x, b) VALUES (1, 2)    →  INSERT INTO t (a, b) VALUES (1, 2)
//! UPDATE v SET x = x + 1 WHERE s > 3    →  UPDATE t SET a = (a) + 1 WHERE (b > 0) AND ((a + b) > 3)
//! DELETE FROM v WHERE x = 1 RETURNING * →  DELETE FROM t WHERE (b > 0) AND ((a) = 1)
//!                                              RETURNING (a) AS x, (b) AS b, (a + b) AS s
//! ```
//!
//! A view column is updatable when it is a plain column of the relation under the view;
//! writing another one fails with 0A000, as in PostgreSQL. Differences: privileges are
//! checked on the relation under the view for the user (PostgreSQL checks the view for
//! the user and the relation for the view's owner), `ON CONFLICT` on a view is not
//! supported, and view columns have no defaults of their own.
//!
//! `WITH CHECK OPTION`: the WHERE of each view with a check option (and, below a
//! CASCADED one, of every view) is carried down the rewrites, re-expressed at each level
//! over the relation below, and bound over the table row at the bottom
//! ([`Binder::bind_view_checks`]); the executor checks every new row against it (44000).

use std::collections::HashMap;
use std::ops::ControlFlow;

use helios_common::{Error, Result, SqlState};
use sqlparser::ast::{self, VisitMut, VisitorMut};

use super::Binder;
use crate::catalog::{Relation, ViewDef};
use crate::parser::{ident_name, object_name};
use crate::planner::Plan;

/// How deep views over views may be rewritten (a cycle made with CREATE OR REPLACE
/// would otherwise never end).
const MAX_DEPTH: usize = 32;

/// What a simple view maps to.
struct Simple {
    /// The relation under the view, schema-qualified.
    base: ast::ObjectName,
    /// The name the view's query reads it by (its alias, or its name).
    qualifier: Option<ast::Ident>,
    /// The view's WHERE.
    filter: Option<ast::Expr>,
    /// Each view column: its expression over the base, and the base column when it is
    /// a plain column.
    columns: Vec<(String, ast::Expr, Option<String>)>,
    /// The name the view's expressions qualify base columns with.
    qual_name: String,
}

/// A view's WHERE that rows written through it must satisfy (`WITH CHECK OPTION`),
/// rewritten level by level until it reads the table's columns.
#[derive(Debug, Clone)]
pub(super) struct PendingCheck {
    view: String,
    expr: ast::Expr,
    quals: Vec<String>,
}

fn not_updatable(verb: &str, view: &str, why: &str) -> Error {
    Error::new(SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, format!("cannot {verb} view \"{view}\""))
        .with_detail(why.to_string())
        .with_hint("To enable changing the view, provide an INSTEAD OF trigger or an unconditional ON ... DO INSTEAD rule.")
}

impl Binder<'_> {
    /// The view a DML statement targets, when it names one.
    fn target_view(&self, name: &ast::ObjectName) -> Result<Option<std::sync::Arc<ViewDef>>> {
        let qn = object_name(name)?;
        Ok(match self.catalog.resolve(qn.schema.as_deref(), &qn.name, self.search_path()) {
            Some((_, Relation::View(id))) => self.catalog.views.get(&id).cloned(),
            _ => None,
        })
    }

    /// Checks that `view` is automatically updatable and maps its columns (`verb`:
    /// `insert into`, `update` or `delete from`, for the error).
    fn simple_view(&self, view: &ViewDef, verb: &str) -> Result<Simple> {
        let q = crate::parser::parse_query(&view.query)?;
        let fail = |why: &str| Err(not_updatable(verb, &view.name, why));
        if q.with.is_some() {
            return fail("Views containing WITH are not automatically updatable.");
        }
        if q.limit_clause.is_some() || q.fetch.is_some() {
            return fail("Views containing LIMIT or OFFSET are not automatically updatable.");
        }
        let ast::SetExpr::Select(select) = q.body.as_ref() else {
            return fail(
                "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable.",
            );
        };
        if select.distinct.is_some() {
            return fail("Views containing DISTINCT are not automatically updatable.");
        }
        if !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty())
            || select.having.is_some()
        {
            return fail("Views containing GROUP BY are not automatically updatable.");
        }
        let (name, alias) = match select.from.as_slice() {
            [twj] if twj.joins.is_empty() => match &twj.relation {
                ast::TableFactor::Table { name, alias, args: None, .. } => (name, alias),
                _ => return fail("Views that do not select from a single table or view are not automatically updatable."),
            },
            _ => return fail("Views that do not select from a single table or view are not automatically updatable."),
        };
        let qn = object_name(name)?;
        // The base relation is named as when the view was created.
        let path = if view.search_path.is_empty() { self.search_path() } else { &view.search_path };
        let Some((schema, rel)) = self.catalog.resolve(qn.schema.as_deref(), &qn.name, path) else {
            return fail("Views that do not select from a single table or view are not automatically updatable.");
        };
        let base_columns: Vec<String> = match rel {
            Relation::Table(id) => match self.catalog.table(id) {
                Some(t) if t.matview.is_none() => t.columns.iter().map(|c| c.name.clone()).collect(),
                _ => return fail("Views that do not select from a single table or view are not automatically updatable."),
            },
            Relation::View(id) => match self.catalog.views.get(&id) {
                Some(v) => v.columns.clone(),
                None => return Err(Error::internal("view vanished")),
            },
            _ => return fail("Views that do not select from a single table or view are not automatically updatable."),
        };
        // Aggregates, window functions and set-returning functions show in the plan.
        let plan = Binder::dependency_probe(self.catalog, self.session).bind_query(&q)?;
        let mut kinds = Vec::new();
        plan_kinds(&plan, &mut kinds);
        if kinds.contains(&"aggregate") {
            return fail("Views that return aggregate functions are not automatically updatable.");
        }
        if kinds.contains(&"window") {
            return fail("Views that return window functions are not automatically updatable.");
        }
        if kinds.contains(&"srf") {
            return fail(
                "Views that return set-returning functions are not automatically updatable.",
            );
        }
        let qualifier = alias.as_ref().map(|a| a.name.clone());
        let qual_name = qualifier.as_ref().map(ident_name).unwrap_or_else(|| qn.name.clone());
        // The select list, `*` expanded, each item with the base column it is (if any).
        let mut items: Vec<(ast::Expr, Option<String>)> = Vec::new();
        for item in &select.projection {
            let expr = match item {
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    for c in &base_columns {
                        let e = ast::Expr::Identifier(ast::Ident::with_quote('"', c.clone()));
                        items.push((e, Some(c.clone())));
                    }
                    continue;
                }
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => e,
                ast::SelectItem::ExprWithAliases { expr, .. } => {
                    items.push((expr.clone(), None));
                    continue;
                }
            };
            let column = match expr {
                ast::Expr::Identifier(i) => Some(ident_name(i)),
                ast::Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                    let q = ident_name(&parts[parts.len() - 2]);
                    (q == qual_name).then(|| ident_name(&parts[parts.len() - 1]))
                }
                _ => None,
            }
            .filter(|c| base_columns.contains(c));
            items.push((expr.clone(), column));
        }
        if items.len() < view.columns.len() {
            return Err(Error::internal("view has more columns than its query"));
        }
        let columns =
            view.columns.iter().zip(items).map(|(name, (e, c))| (name.clone(), e, c)).collect();
        let mut base = vec![ast::ObjectNamePart::Identifier(ast::Ident::with_quote('"', schema))];
        base.push(ast::ObjectNamePart::Identifier(ast::Ident::with_quote('"', qn.name.clone())));
        Ok(Simple {
            base: ast::ObjectName(base),
            qualifier,
            filter: select.selection.clone(),
            columns,
            qual_name,
        })
    }

    /// INSERT into a view: the same INSERT into the relation under it.
    pub(super) fn insert_into_view(&mut self, ins: &ast::Insert) -> Result<Option<ast::Insert>> {
        let ast::TableObject::TableName(name) = &ins.table else { return Ok(None) };
        let Some(view) = self.target_view(name)? else { return Ok(None) };
        self.guard_depth(&view)?;
        let s = self.simple_view(&view, "insert into")?;
        if ins.on.is_some() {
            return Err(Error::unsupported("ON CONFLICT on a view"));
        }
        self.note_view_checks(&view, &s);
        let targets: Vec<String> = if ins.columns.is_empty() {
            s.columns.iter().map(|(n, _, _)| n.clone()).collect()
        } else {
            ins.columns.iter().map(object_name).map(|q| q.map(|q| q.name)).collect::<Result<_>>()?
        };
        let mut columns = Vec::with_capacity(targets.len());
        for t in &targets {
            columns.push(ast::ObjectName(vec![ast::ObjectNamePart::Identifier(
                ast::Ident::with_quote('"', s.base_column(&view.name, t, "insert into")?),
            )]));
        }
        let mut out = ins.clone();
        out.table = ast::TableObject::TableName(s.base.clone());
        out.table_alias = s
            .qualifier
            .clone()
            .map(|alias| ast::TableAliasWithoutColumns { explicit: true, alias });
        out.columns = columns;
        out.returning = ins.returning.as_ref().map(|r| s.returning(r, &[name_of(name)]));
        Ok(Some(out))
    }

    /// UPDATE of a view: the same UPDATE of the relation under it, with the view's WHERE.
    pub(super) fn update_view(&mut self, upd: &ast::Update) -> Result<Option<ast::Update>> {
        let (name, alias) = match &upd.table.relation {
            ast::TableFactor::Table { name, alias, .. } if upd.table.joins.is_empty() => {
                (name, alias)
            }
            _ => return Ok(None),
        };
        let Some(view) = self.target_view(name)? else { return Ok(None) };
        self.guard_depth(&view)?;
        let s = self.simple_view(&view, "update")?;
        self.note_view_checks(&view, &s);
        let quals = qualifiers(name, alias);
        let mut out = upd.clone();
        s.retarget(&mut out.table.relation);
        for a in &mut out.assignments {
            let names: Vec<&mut ast::ObjectName> = match &mut a.target {
                ast::AssignmentTarget::ColumnName(n) => vec![n],
                ast::AssignmentTarget::Tuple(ns) => ns.iter_mut().collect(),
            };
            for n in names {
                let col = object_name(n)?.name;
                let base = s.base_column(&view.name, &col, "update")?;
                *n = ast::ObjectName(vec![ast::ObjectNamePart::Identifier(
                    ast::Ident::with_quote('"', base),
                )]);
            }
            s.substitute(&mut a.value, &quals);
        }
        out.selection = s.condition(upd.selection.as_ref(), &quals);
        out.returning = upd.returning.as_ref().map(|r| s.returning(r, &quals));
        Ok(Some(out))
    }

    /// DELETE from a view: the same DELETE from the relation under it, with its WHERE.
    pub(super) fn delete_from_view(&mut self, del: &ast::Delete) -> Result<Option<ast::Delete>> {
        let tables = match &del.from {
            ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
        };
        let (name, alias) = match tables.as_slice() {
            [twj] if twj.joins.is_empty() => match &twj.relation {
                ast::TableFactor::Table { name, alias, .. } => (name, alias),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        let Some(view) = self.target_view(name)? else { return Ok(None) };
        self.guard_depth(&view)?;
        let s = self.simple_view(&view, "delete from")?;
        let quals = qualifiers(name, alias);
        let mut out = del.clone();
        match &mut out.from {
            ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => {
                s.retarget(&mut t[0].relation);
            }
        }
        out.selection = s.condition(del.selection.as_ref(), &quals);
        out.returning = del.returning.as_ref().map(|r| s.returning(r, &quals));
        Ok(Some(out))
    }

    /// Carries the checks of the views above `view` down to its base, and adds its own
    /// WHERE when it has a check option or one above is CASCADED.
    fn note_view_checks(&mut self, view: &ViewDef, s: &Simple) {
        for p in &mut self.pending_view_checks {
            s.substitute(&mut p.expr, &p.quals);
            p.quals = vec![s.qual_name.clone()];
        }
        if let Some(filter) = &s.filter {
            if view.check_option.is_some() || self.cascade_view_checks {
                self.pending_view_checks.push(PendingCheck {
                    view: view.name.clone(),
                    expr: filter.clone(),
                    quals: vec![s.qual_name.clone()],
                });
            }
        }
        if view.check_option.as_deref() == Some("cascaded") {
            self.cascade_view_checks = true;
        }
    }

    /// The view checks collected while rewriting down to `table`, bound over its row.
    pub(super) fn bind_view_checks(
        &mut self,
        table: &crate::catalog::TableDef,
    ) -> Result<Vec<(String, crate::expr::Expr)>> {
        let pending = std::mem::take(&mut self.pending_view_checks);
        self.cascade_view_checks = false;
        let mut out = Vec::with_capacity(pending.len());
        for p in pending {
            let mut fields = super::table_row_fields(table);
            for f in &mut fields {
                f.qualifier = p.quals.first().cloned();
            }
            let e = self.bind_condition(&p.expr, &fields, "CHECK OPTION", false)?;
            out.push((p.view, e));
        }
        Ok(out)
    }

    /// Counts one more view rewritten for this statement; 42P17 past [`MAX_DEPTH`].
    fn guard_depth(&mut self, view: &ViewDef) -> Result<()> {
        self.view_rewrites += 1;
        if self.view_rewrites > MAX_DEPTH {
            return Err(Error::new(
                SqlState::from_code("42P17"),
                format!("infinite recursion detected in rules for relation \"{}\"", view.name),
            ));
        }
        Ok(())
    }
}

impl Simple {
    /// The base column under view column `col`; 0A000 when it is no plain column.
    fn base_column(&self, view: &str, col: &str, what: &str) -> Result<String> {
        match self.columns.iter().find(|(n, _, _)| n == col) {
            Some((_, _, Some(base))) => Ok(base.clone()),
            Some(_) => Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("cannot {what} column \"{col}\" of view \"{view}\""),
            )
            .with_detail(
                "View columns that are not columns of their base relation are not updatable.",
            )),
            None => Err(Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{col}\" of relation \"{view}\" does not exist"),
            )),
        }
    }

    /// Points the statement's target at the base, read by the name the view's query
    /// uses.
    fn retarget(&self, tf: &mut ast::TableFactor) {
        if let ast::TableFactor::Table { name, alias, .. } = tf {
            *name = self.base.clone();
            *alias = self.qualifier.clone().map(|name| ast::TableAlias {
                explicit: true,
                name,
                columns: Vec::new(),
                at: None,
            });
        }
    }

    /// Replaces references to view columns (bare, or qualified by one of `quals`, the
    /// names the statement calls the view by) with their expressions over the base.
    fn substitute(&self, e: &mut ast::Expr, quals: &[String]) {
        struct Sub<'a> {
            map: HashMap<&'a str, &'a ast::Expr>,
            quals: &'a [String],
        }
        impl VisitorMut for Sub<'_> {
            type Break = ();
            fn post_visit_expr(&mut self, e: &mut ast::Expr) -> ControlFlow<()> {
                let col = match e {
                    ast::Expr::Identifier(i) => Some(ident_name(i)),
                    ast::Expr::CompoundIdentifier(p)
                        if p.len() == 2 && self.quals.contains(&ident_name(&p[0])) =>
                    {
                        Some(ident_name(&p[1]))
                    }
                    _ => None,
                };
                if let Some(to) = col.and_then(|c| self.map.get(c.as_str())) {
                    *e = ast::Expr::Nested(Box::new((*to).clone()));
                }
                ControlFlow::Continue(())
            }
        }
        let map = self.columns.iter().map(|(n, e, _)| (n.as_str(), e)).collect();
        let _ = e.visit(&mut Sub { map, quals });
    }

    /// The view's WHERE and the statement's, rewritten.
    fn condition(&self, user: Option<&ast::Expr>, quals: &[String]) -> Option<ast::Expr> {
        let user = user.map(|u| {
            let mut u = u.clone();
            self.substitute(&mut u, quals);
            u
        });
        let nested = |e: ast::Expr| ast::Expr::Nested(Box::new(e));
        match (self.filter.clone(), user) {
            (Some(f), Some(u)) => Some(ast::Expr::BinaryOp {
                left: Box::new(nested(f)),
                op: ast::BinaryOperator::And,
                right: Box::new(nested(u)),
            }),
            (f, u) => f.or(u),
        }
    }

    /// RETURNING over the view's columns, rewritten (`*` is every view column).
    fn returning(&self, items: &[ast::SelectItem], quals: &[String]) -> Vec<ast::SelectItem> {
        let mut out = Vec::new();
        for item in items {
            match item {
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    for (name, e, _) in &self.columns {
                        out.push(ast::SelectItem::ExprWithAlias {
                            expr: ast::Expr::Nested(Box::new(e.clone())),
                            alias: ast::Ident::with_quote('"', name.clone()),
                        });
                    }
                }
                ast::SelectItem::UnnamedExpr(e) => {
                    let mut x = e.clone();
                    self.substitute(&mut x, quals);
                    // Keep the output name the view column gives it.
                    let alias = match e {
                        ast::Expr::Identifier(i) => Some(ident_name(i)),
                        ast::Expr::CompoundIdentifier(p) => p.last().map(ident_name),
                        _ => None,
                    };
                    out.push(match alias {
                        Some(a) => ast::SelectItem::ExprWithAlias {
                            expr: x,
                            alias: ast::Ident::with_quote('"', a),
                        },
                        None => ast::SelectItem::UnnamedExpr(x),
                    });
                }
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    let mut x = expr.clone();
                    self.substitute(&mut x, quals);
                    out.push(ast::SelectItem::ExprWithAlias { expr: x, alias: alias.clone() });
                }
                other => out.push(other.clone()),
            }
        }
        out
    }
}

/// The kinds of node in a plan tree that make a view not updatable.
fn plan_kinds(plan: &Plan, out: &mut Vec<&'static str>) {
    match plan {
        Plan::Aggregate { .. } => out.push("aggregate"),
        Plan::Window { .. } => out.push("window"),
        Plan::TableFunction { .. } => out.push("srf"),
        _ => {}
    }
    for p in plan.inputs() {
        plan_kinds(p, out);
    }
}

/// The last part of a name (what a statement calls an unaliased relation by).
fn name_of(name: &ast::ObjectName) -> String {
    object_name(name).map(|q| q.name).unwrap_or_default()
}

/// The names a statement calls its target view by: its alias, else its name.
fn qualifiers(name: &ast::ObjectName, alias: &Option<ast::TableAlias>) -> Vec<String> {
    match alias {
        Some(a) => vec![ident_name(&a.name)],
        None => vec![name_of(name)],
    }
}
