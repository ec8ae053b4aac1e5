//! Binding INSERT (with ON CONFLICT and RETURNING), UPDATE ... FROM and
//! DELETE ... USING.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::colname::figure_colname;
use super::from::undefined_table;
use super::{assignment_cast, Binder};
use crate::catalog::access::PolicyCommand;
use crate::catalog::{Identity, Privileges, Relation, TableDef};
use crate::expr::Expr;
use crate::parser::{ident_name, object_name};
use crate::planner::{Access, Field, JoinKind, Plan, PlannedQuery, Schema};

/// What INSERT does when a row conflicts with a unique index.
#[derive(Debug, Clone, PartialEq)]
pub enum OnConflict {
    /// `DO NOTHING`; `index` is the arbiter (any unique index when `None`).
    Nothing {
        /// The arbiter index.
        index: Option<u32>,
    },
    /// `DO UPDATE SET ... [WHERE ...]`; expressions read the existing row followed by the
    /// proposed (`excluded`) row.
    Update {
        /// The arbiter index.
        index: u32,
        /// (column position, new value).
        assignments: Vec<(usize, Expr)>,
        /// Only update when true.
        predicate: Option<Expr>,
    },
}

/// A bound INSERT.
#[derive(Debug, Clone)]
pub struct BoundInsert {
    /// Target table.
    pub table: Arc<TableDef>,
    /// Rows to insert, one column per table column, coerced to the column types.
    pub source: PlannedQuery,
    /// Columns whose value comes from their sequence when the source gives NULL.
    pub sequence_fill: Vec<(usize, u32)>,
    /// Generated columns with their expressions over the table row.
    pub generated: Vec<(usize, Expr)>,
    /// ON CONFLICT behaviour.
    pub on_conflict: Option<OnConflict>,
    /// RETURNING expressions over the inserted row, with their output columns.
    pub returning: Option<(Vec<Expr>, Schema)>,
    /// Row-level security: the condition every inserted row must meet (over the table
    /// row), and the one a row ON CONFLICT DO UPDATE writes must meet.
    pub policy_check: Option<Expr>,
    /// WHERE conditions of the views written through that have a check option
    /// (view name, condition over the new row).
    pub view_checks: Vec<(String, Expr)>,
    /// See `policy_check`: the check of rows changed by ON CONFLICT DO UPDATE.
    pub conflict_check: Option<Expr>,
    /// Subqueries of ON CONFLICT / RETURNING / policy expressions.
    pub extra: PlannedQuery,
    /// The target table's row layout, computed once per bind.
    pub layout: crate::exec::RowLayout,
    /// Routing to partitions or a partition's bound check (`None` for a plain table:
    /// decided once per statement, never per row).
    pub partition: Option<Arc<super::partition::InsertPartition>>,
    /// Whether and how rows come straight from the parameters, worked out on first use
    /// (see [`crate::exec::direct_row`]).
    pub direct: std::sync::OnceLock<crate::exec::RowSource>,
}

/// A bound UPDATE.
#[derive(Debug, Clone)]
pub struct BoundUpdate {
    /// Target table.
    pub table: Arc<TableDef>,
    /// Rows to update: table columns, the key column, then FROM columns.
    pub source: PlannedQuery,
    /// (column position, new value over the source row).
    pub assignments: Vec<(usize, Expr)>,
    /// Generated columns with their expressions over the table row.
    pub generated: Vec<(usize, Expr)>,
    /// RETURNING over the source row layout (new values in the table columns).
    pub returning: Option<(Vec<Expr>, Schema)>,
    /// Row-level security: the condition every new row version must meet (over the
    /// table row).
    pub policy_check: Option<Expr>,
    /// See [`BoundInsert::view_checks`].
    pub view_checks: Vec<(String, Expr)>,
    /// The leaves' UPDATEs of a partitioned table, or a partition's bound check.
    pub partition: Option<Arc<super::partition::UpdatePartition>>,
    /// `WHERE CURRENT OF cursor`: the cursor whose current row is the one to update.
    /// `source` then reads every row; the session narrows it each time the statement
    /// runs (see [`super::current_of`]), the executor refuses it unnarrowed.
    pub current_of: Option<String>,
}

/// A bound DELETE.
#[derive(Debug, Clone)]
pub struct BoundDelete {
    /// Target table.
    pub table: Arc<TableDef>,
    /// Rows to delete: table columns, the key column, then USING columns.
    pub source: PlannedQuery,
    /// RETURNING over the source row layout.
    pub returning: Option<(Vec<Expr>, Schema)>,
    /// The leaves' DELETEs when the target is partitioned.
    pub partition: Option<Arc<Vec<BoundDelete>>>,
    /// `WHERE CURRENT OF cursor`, as [`BoundUpdate::current_of`].
    pub current_of: Option<String>,
}

impl Binder<'_> {
    /// The table a DML statement writes to, checked for privilege `want`.
    pub fn target_table(&self, name: &ast::ObjectName, want: Privileges) -> Result<Arc<TableDef>> {
        let qn = object_name(name)?;
        let (_, rel) =
            self.catalog.resolve(qn.schema.as_deref(), &qn.name, self.search_path()).ok_or_else(
                || crate::parser::place::at_name(undefined_table(&qn.schema, &qn.name), name),
            )?;
        match rel {
            Relation::Table(id) => {
                let table = self
                    .catalog
                    .table(id)
                    .cloned()
                    .ok_or_else(|| Error::internal("table vanished"))?;
                if table.matview.is_some() {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        format!("cannot change materialized view \"{}\"", qn.name),
                    ));
                }
                self.require_table(&table, want)?;
                Ok(table)
            }
            other => Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("cannot change {} \"{}\"", other.kind_name(), qn.name),
            )),
        }
    }

    /// Binds INSERT.
    pub fn bind_insert(&mut self, ins: &ast::Insert) -> Result<BoundInsert> {
        if let Some(rewritten) = self.insert_into_view(ins)? {
            return self.bind_insert(&rewritten);
        }
        let ast::TableObject::TableName(name) = &ins.table else {
            return Err(Error::unsupported("INSERT INTO TABLE FUNCTION"));
        };
        // RETURNING reads the rows back: SELECT too; ON CONFLICT DO UPDATE: UPDATE too.
        let mut want = Privileges::INSERT;
        if ins.returning.is_some() {
            want = want.with(Privileges::SELECT);
        }
        if matches!(&ins.on, Some(ast::OnInsert::OnConflict(oc)) if matches!(oc.action, ast::OnConflictAction::DoUpdate(_)))
        {
            want = want.with(Privileges::UPDATE);
        }
        let table = self.target_table(name, want)?;
        let qualifier = ins
            .table_alias
            .as_ref()
            .map(|a| ident_name(&a.alias))
            .unwrap_or_else(|| table.name.clone());
        let targets: Vec<usize> = if ins.columns.is_empty() {
            (0..table.columns.len()).collect()
        } else {
            let mut t = Vec::new();
            for c in &ins.columns {
                let n = object_name(c)?.name;
                let i = table.column_index(&n).ok_or_else(|| {
                    let e = Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column \"{n}\" of relation \"{}\" does not exist", table.name),
                    );
                    crate::parser::place::at_name(e, c)
                })?;
                if t.contains(&i) {
                    return Err(Error::new(
                        SqlState::DUPLICATE_COLUMN,
                        format!("column \"{n}\" specified more than once"),
                    ));
                }
                t.push(i);
            }
            t
        };
        let overriding = ins.overriding.is_some();
        // Which target columns get DEFAULT somewhere in a VALUES list.
        let mut default_cols = vec![false; targets.len()];
        // The VALUES list was checked value by value (generated columns take only DEFAULT).
        let mut from_values = ins.source.is_none();
        let source_plan = match &ins.source {
            None => Plan::Values { rows: vec![Vec::new()], schema: Vec::new() },
            Some(q) => match (
                q.body.as_ref(),
                q.with.is_none() && q.order_by.is_none() && q.limit_clause.is_none(),
            ) {
                (ast::SetExpr::Values(values), true) => {
                    from_values = true;
                    self.bind_insert_values(values, &table, &targets, &mut default_cols)?
                }
                _ => {
                    let plan = self.bind_query(q)?;
                    self.type_unknown_outputs(plan, &table, &targets)?
                }
            },
        };
        let provided = if ins.source.is_none() { 0 } else { source_plan.width() };
        if provided > targets.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "INSERT has more expressions than target columns",
            ));
        }
        if provided < targets.len() && !ins.columns.is_empty() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "INSERT has more target columns than expressions",
            ));
        }
        let src_schema = source_plan.schema();
        let mut exprs = Vec::with_capacity(table.columns.len());
        let mut sequence_fill = Vec::new();
        for (ci, col) in table.columns.iter().enumerate() {
            let pos = targets.iter().position(|t| *t == ci).filter(|p| *p < provided);
            match pos {
                Some(_) if col.generated.is_some() => {
                    // VALUES lists already refused anything but DEFAULT.
                    if !from_values {
                        return Err(super::generated::write_to_generated(&col.name, true));
                    }
                    exprs.push(Expr::Literal(Value::Null, col.data_type.clone()));
                }
                None if col.generated.is_some() => {
                    exprs.push(Expr::Literal(Value::Null, col.data_type.clone()));
                }
                Some(p) => {
                    if col.identity == Some(Identity::Always) && !overriding && !default_cols[p] {
                        return Err(Error::new(
                            SqlState::from_code("428C9"),
                            format!(
                                "cannot insert a non-DEFAULT value into column \"{}\"",
                                col.name
                            ),
                        )
                        .with_detail(format!(
                            "Column \"{}\" is an identity column defined as GENERATED ALWAYS.",
                            col.name
                        ))
                        .with_hint("Use OVERRIDING SYSTEM VALUE to override."));
                    }
                    if default_cols[p] {
                        if let Some(seq) = col.sequence {
                            sequence_fill.push((ci, seq));
                        }
                    }
                    let e = Expr::Column(p, src_schema[p].data_type.clone());
                    exprs.push(assignment_cast(self, e, &col.data_type, &col.name)?);
                }
                None => {
                    if let Some(seq) = col.sequence {
                        sequence_fill.push((ci, seq));
                        exprs.push(Expr::Literal(Value::Null, col.data_type.clone()));
                    } else {
                        exprs.push(self.column_default(&table, ci)?);
                    }
                }
            }
        }
        // A serial column's default is nextval() of its sequence, which needs USAGE on
        // it as in PostgreSQL; identity columns draw values without that check.
        for (ci, seq) in &sequence_fill {
            if table.columns[*ci].identity.is_some() {
                continue;
            }
            if let Some(seq) = self.catalog.sequences.get(seq) {
                self.require_sequence(seq, Privileges::USAGE.with(Privileges::UPDATE))?;
            }
        }
        let schema: Schema =
            table.columns.iter().map(|c| Field::new(c.name.clone(), c.data_type.clone())).collect();
        let source = Plan::Project { input: Box::new(source_plan), exprs, schema: schema.clone() };
        let source = self.finish(source);

        let mut row_fields = schema.clone();
        for f in &mut row_fields {
            f.qualifier = Some(qualifier.clone());
        }
        let on_conflict = match &ins.on {
            None => None,
            Some(ast::OnInsert::OnConflict(oc)) => {
                Some(self.bind_on_conflict(oc, &table, &row_fields)?)
            }
            Some(ast::OnInsert::DuplicateKeyUpdate(_)) => {
                return Err(Error::unsupported("ON DUPLICATE KEY UPDATE"))
            }
            Some(_) => return Err(Error::unsupported("this ON clause")),
        };
        let returning = match &ins.returning {
            Some(items) => Some(self.bind_returning(items, &row_fields)?),
            None => None,
        };
        let mut policy_check = self.policy_check(&table, PolicyCommand::Insert)?;
        if ins.returning.is_some() {
            // Rows handed back must be ones the role could read.
            if let Some(read) = self.policy_using(&table, PolicyCommand::Select)? {
                policy_check = policy_check.map(|c| super::from::and(c, read));
            }
        }
        let conflict_check = match &on_conflict {
            Some(OnConflict::Update { .. }) => self.policy_check(&table, PolicyCommand::Update)?,
            _ => None,
        };
        let view_checks = self.bind_view_checks(&table)?;
        let extra = self.finish(Plan::Empty { rows: 0 });
        let layout = crate::exec::RowLayout::new(&table);
        let generated = super::generated::bind_generated(self.catalog, self.session, &table)?;
        let mut bound = BoundInsert {
            table,
            source,
            sequence_fill,
            generated,
            on_conflict,
            returning,
            policy_check,
            view_checks,
            conflict_check,
            extra,
            layout,
            partition: None,
            direct: std::sync::OnceLock::new(),
        };
        if !self.catalog.partitions.is_empty() {
            bound.partition = self.insert_partition(&bound)?;
        }
        Ok(bound)
    }

    /// `INSERT ... SELECT 'x', NULL`: string literals and NULLs of the select list have
    /// no type of their own, so (as in PostgreSQL) they take their target column's type
    /// rather than text.
    fn type_unknown_outputs(
        &mut self,
        plan: Plan,
        table: &TableDef,
        targets: &[usize],
    ) -> Result<Plan> {
        let Plan::Project { input, mut exprs, mut schema } = plan else { return Ok(plan) };
        for (p, e) in exprs.iter_mut().enumerate() {
            let (Expr::Literal(_, helios_types::DataType::Unknown), Some(&ci)) =
                (&*e, targets.get(p))
            else {
                continue;
            };
            let col = &table.columns[ci];
            let base = crate::expr::types::strip_modifiers(&col.data_type);
            let typed = assignment_cast(self, e.clone(), &base, &col.name)?;
            schema[p].data_type = typed.data_type();
            *e = typed;
        }
        Ok(Plan::Project { input, exprs, schema })
    }

    /// VALUES of an INSERT: each value is coerced to its target column, `DEFAULT`
    /// becomes the column default.
    fn bind_insert_values(
        &mut self,
        values: &ast::Values,
        table: &TableDef,
        targets: &[usize],
        default_cols: &mut [bool],
    ) -> Result<Plan> {
        let width = values.rows.first().map(|r| r.content.len()).unwrap_or(0);
        let mut rows = Vec::with_capacity(values.rows.len());
        for row in &values.rows {
            if row.content.len() != width {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "VALUES lists must all be the same length",
                ));
            }
            if width > targets.len() {
                let e = Error::new(
                    SqlState::SYNTAX_ERROR,
                    "INSERT has more expressions than target columns",
                );
                return Err(crate::parser::place::at_expr(e, &row.content[targets.len()]));
            }
            let mut out = Vec::with_capacity(width);
            for (j, e) in row.content.iter().enumerate() {
                let ci = targets[j];
                let col = &table.columns[ci];
                let bound = if is_default_keyword(e) {
                    default_cols[j] = true;
                    if col.sequence.is_some() || col.generated.is_some() {
                        Expr::Literal(Value::Null, col.data_type.clone())
                    } else {
                        self.column_default(table, ci)?
                    }
                } else if col.generated.is_some() {
                    return Err(super::generated::write_to_generated(&col.name, true));
                } else {
                    let b = self.bind_scalar(e, &[], Some("VALUES"))?;
                    assignment_cast(self, b, &col.data_type, &col.name)
                        .map_err(|err| crate::parser::place::at_literal(err, e))?
                };
                out.push(bound);
            }
            rows.push(out);
        }
        let schema = (0..width)
            .map(|j| {
                let c = &table.columns[targets[j]];
                Field::new(c.name.clone(), c.data_type.clone())
            })
            .collect();
        Ok(Plan::Values { rows, schema })
    }

    /// The bound DEFAULT of a column (NULL of its type when it has none).
    pub fn column_default(&mut self, table: &TableDef, ci: usize) -> Result<Expr> {
        let col = &table.columns[ci];
        // A column without a default of its own takes its domain's (read now, so ALTER
        // DOMAIN ... SET DEFAULT reaches existing columns, as in PostgreSQL).
        let domain_default = match (&col.default, col.sequence, col.domain) {
            (None, None, Some(d)) => crate::catalog::user_types::domain_default(self.catalog, d),
            _ => None,
        };
        match col.default.as_ref().or(domain_default.as_ref()) {
            None => Ok(Expr::Literal(Value::Null, col.data_type.clone())),
            Some(text) => {
                let ast_e = crate::parser::parse_expr(text)?;
                let b = self.bind_scalar(&ast_e, &[], Some("DEFAULT expressions"))?;
                assignment_cast(self, b, &col.data_type, &col.name)
            }
        }
    }

    fn bind_on_conflict(
        &mut self,
        oc: &ast::OnConflict,
        table: &TableDef,
        row_fields: &[Field],
    ) -> Result<OnConflict> {
        let index = match &oc.conflict_target {
            None => None,
            Some(ast::ConflictTarget::Columns { columns, predicate }) => {
                // `ON CONFLICT (cols) WHERE p` infers a partial unique index whose
                // predicate `p` implies; without `WHERE`, only full indexes.
                let facts = match predicate {
                    Some(p) => {
                        let bound = crate::catalog::index_exprs::bind_ast(
                            table,
                            p,
                            crate::catalog::index_exprs::IndexPart::Predicate,
                        )?;
                        let mut parts = Vec::new();
                        crate::optimizer::conjuncts::split(bound, &mut parts);
                        parts
                    }
                    None => Vec::new(),
                };
                let mut cols = Vec::new();
                for c in columns {
                    let n = ident_name(c);
                    cols.push(table.column_index(&n).ok_or_else(|| {
                        Error::new(
                            SqlState::UNDEFINED_COLUMN,
                            format!("column \"{n}\" does not exist"),
                        )
                    })?);
                }
                let mut sorted = cols.clone();
                sorted.sort_unstable();
                let idx = table.indexes.iter().find(|i| {
                    let mut ic = i.columns.clone();
                    ic.sort_unstable();
                    i.unique
                        && i.expressions.iter().all(Option::is_none)
                        && ic == sorted
                        && match &i.predicate {
                            None => true,
                            Some(_) => i.bound(table).is_ok_and(|b| {
                                b.predicate.as_ref().is_some_and(|p| {
                                    crate::catalog::index_exprs::implies(&facts, p)
                                })
                            }),
                        }
                });
                Some(idx.map(|i| i.id).ok_or_else(|| {
                    Error::new(
                        SqlState::INVALID_COLUMN_REFERENCE,
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                    )
                })?)
            }
            Some(ast::ConflictTarget::OnConstraint(name)) => {
                let n = object_name(name)?.name;
                let idx =
                    table.indexes.iter().find(|i| i.unique && i.name == n).ok_or_else(|| {
                        Error::new(
                            SqlState::UNDEFINED_OBJECT,
                            format!(
                                "constraint \"{n}\" for table \"{}\" does not exist",
                                table.name
                            ),
                        )
                    })?;
                Some(idx.id)
            }
        };
        match &oc.action {
            ast::OnConflictAction::DoNothing => Ok(OnConflict::Nothing { index }),
            ast::OnConflictAction::DoUpdate(du) => {
                let index = index.ok_or_else(|| {
                    Error::new(
                        SqlState::SYNTAX_ERROR,
                        "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                    )
                    .with_hint("For example, ON CONFLICT (column_name).")
                })?;
                let mut fields = row_fields.to_vec();
                for f in row_fields {
                    fields.push(Field { qualifier: Some("excluded".into()), ..f.clone() });
                }
                // Unqualified names refer to the existing row only.
                for f in fields.iter_mut().skip(row_fields.len()) {
                    f.hidden = true;
                }
                let assignments = self.bind_assignments(&du.assignments, table, &fields)?;
                let predicate = match &du.selection {
                    Some(w) => Some(self.bind_condition(w, &fields, "WHERE", false)?),
                    None => None,
                };
                Ok(OnConflict::Update { index, assignments, predicate })
            }
        }
    }

    pub(super) fn bind_assignments(
        &mut self,
        assignments: &[ast::Assignment],
        table: &TableDef,
        fields: &[Field],
    ) -> Result<Vec<(usize, Expr)>> {
        let mut out: Vec<(usize, Expr)> = Vec::new();
        for a in assignments {
            let targets: Vec<&ast::ObjectName> = match &a.target {
                ast::AssignmentTarget::ColumnName(n) => vec![n],
                ast::AssignmentTarget::Tuple(ns) => ns.iter().collect(),
            };
            let names: Vec<String> =
                targets.iter().map(|n| object_name(n).map(|q| q.name)).collect::<Result<_>>()?;
            let sources = if names.len() == 1 {
                vec![Source::Expr(Box::new(a.value.clone()))]
            } else {
                self.multi_assignment_sources(&a.value, names.len(), fields)?
            };
            for ((n, source), target) in names.iter().zip(sources).zip(&targets) {
                let ci = table.column_index(n).ok_or_else(|| {
                    let e = Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column \"{n}\" of relation \"{}\" does not exist", table.name),
                    );
                    crate::parser::place::at_name(e, target)
                })?;
                if out.iter().any(|(c, _)| *c == ci) {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        format!("multiple assignments to same column \"{n}\""),
                    ));
                }
                let col = &table.columns[ci];
                let v = match &source {
                    Source::Expr(v) => v.as_ref(),
                    Source::SubqueryColumn(id, ty, i) => {
                        let e = Expr::Subquery {
                            id: *id,
                            kind: crate::expr::SubqueryTest::Column(*i),
                            ty: ty.clone(),
                        };
                        out.push((ci, assignment_cast(self, e, &col.data_type, &col.name)?));
                        continue;
                    }
                };
                if col.generated.is_some() {
                    if !is_default_keyword(v) {
                        return Err(super::generated::write_to_generated(n, false));
                    }
                    // Computed again from the new row anyway.
                    continue;
                }
                if col.identity == Some(Identity::Always) && !is_default_keyword(v) {
                    return Err(Error::new(
                        SqlState::from_code("428C9"),
                        format!("column \"{n}\" can only be updated to DEFAULT"),
                    )
                    .with_detail(format!(
                        "Column \"{n}\" is an identity column defined as GENERATED ALWAYS."
                    )));
                }
                let e = if is_default_keyword(v) {
                    self.column_default(table, ci)?
                } else {
                    let b = self.bind_scalar(v, fields, Some("UPDATE"))?;
                    assignment_cast(self, b, &col.data_type, &col.name)?
                };
                out.push((ci, e));
            }
        }
        Ok(out)
    }

    /// The values of `SET (a, b, ...) = source`: a parenthesized list, `ROW(...)` (where
    /// `t.*` stands for the columns of `t`) or a sub-SELECT with one column per target.
    fn multi_assignment_sources(
        &mut self,
        value: &ast::Expr,
        width: usize,
        fields: &[Field],
    ) -> Result<Vec<Source>> {
        let mismatch = || {
            let e = Error::new(
                SqlState::SYNTAX_ERROR,
                "number of columns does not match number of values",
            );
            crate::parser::place::at_parenthesis(e, value)
        };
        let sources: Vec<Source> = match value {
            ast::Expr::Tuple(vs) => vs.iter().map(|v| Source::Expr(Box::new(v.clone()))).collect(),
            ast::Expr::Function(f) if is_row_constructor(f) => {
                let ast::FunctionArguments::List(list) = &f.args else {
                    return Err(mismatch());
                };
                let mut out = Vec::new();
                for arg in &list.args {
                    match arg {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                            out.push(Source::Expr(Box::new(e.clone())))
                        }
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::QualifiedWildcard(q)) => {
                            let qualifier = object_name(q)?.name;
                            let columns: Vec<&Field> = fields
                                .iter()
                                .filter(|f| {
                                    !f.hidden && f.qualifier.as_deref() == Some(qualifier.as_str())
                                })
                                .collect();
                            if columns.is_empty() {
                                return Err(Error::new(
                                    SqlState::UNDEFINED_TABLE,
                                    format!("missing FROM-clause entry for table \"{qualifier}\""),
                                ));
                            }
                            out.extend(columns.into_iter().map(|c| {
                                Source::Expr(Box::new(ast::Expr::CompoundIdentifier(vec![
                                    ast::Ident::with_quote('"', qualifier.clone()),
                                    ast::Ident::with_quote('"', c.name.clone()),
                                ])))
                            }));
                        }
                        other => return Err(Error::unsupported(format!("ROW() argument {other}"))),
                    }
                }
                out
            }
            ast::Expr::Subquery(q) => {
                let (id, types) = self.bind_subquery_in(fields, q)?;
                types
                    .into_iter()
                    .enumerate()
                    .map(|(i, ty)| Source::SubqueryColumn(id, ty, i))
                    .collect()
            }
            _ => {
                let e = Error::new(
                    SqlState::SYNTAX_ERROR,
                    "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression",
                );
                // PostgreSQL points inside the parentheses.
                let e = match value {
                    ast::Expr::Nested(inner) => match inner.as_ref() {
                        ast::Expr::QualifiedWildcard(name, _) => {
                            crate::parser::place::at_name(e, name)
                        }
                        other => crate::parser::place::at_expr(e, other),
                    },
                    other => crate::parser::place::at_expr(e, other),
                };
                return Err(e);
            }
        };
        if sources.len() != width {
            return Err(mismatch());
        }
        Ok(sources)
    }

    /// Binds a RETURNING list over `fields`.
    pub(super) fn bind_returning(
        &mut self,
        items: &[ast::SelectItem],
        fields: &[Field],
    ) -> Result<(Vec<Expr>, Schema)> {
        let mut exprs = Vec::new();
        let mut schema = Vec::new();
        for item in items {
            match item {
                ast::SelectItem::Wildcard(_) => {
                    for (i, f) in fields.iter().enumerate() {
                        if !f.hidden {
                            exprs.push(Expr::Column(i, f.data_type.clone()));
                            schema.push(Field::new(f.name.clone(), f.data_type.clone()));
                        }
                    }
                }
                ast::SelectItem::UnnamedExpr(e) => {
                    let b = self.bind_scalar(e, fields, Some("RETURNING"))?;
                    schema.push(Field::new(figure_colname(e), b.data_type()));
                    exprs.push(b);
                }
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    let b = self.bind_scalar(expr, fields, Some("RETURNING"))?;
                    schema.push(Field::new(ident_name(alias), b.data_type()));
                    exprs.push(b);
                }
                other => return Err(Error::unsupported(format!("RETURNING {other}"))),
            }
        }
        Ok((exprs, schema))
    }

    /// The scan of a DML target: table columns then the hidden key column.
    pub(super) fn dml_scan(&self, table: &Arc<TableDef>, qualifier: &str) -> Plan {
        let mut schema: Schema = table
            .columns
            .iter()
            .map(|c| Field {
                qualifier: Some(qualifier.to_string()),
                ..Field::new(c.name.clone(), c.data_type.clone())
            })
            .collect();
        schema.push(Field { hidden: true, ..Field::new("?key?", helios_types::DataType::Bytea) });
        Plan::Scan {
            table: table.clone(),
            access: Access::Full,
            filter: None,
            with_key: true,
            needed: None,
            schema,
        }
    }

    /// Joins extra FROM / USING items to a DML scan.
    fn dml_source(
        &mut self,
        scan: Plan,
        extra: &[ast::TableWithJoins],
        selection: Option<&ast::Expr>,
    ) -> Result<Plan> {
        let mut plan = scan;
        if !extra.is_empty() {
            // The target is no FROM item of its own FROM list.
            let right = self.with_unreachable(&plan.schema(), |b| b.bind_from(extra))?;
            super::from::check_distinct_names(&plan.schema(), &right.schema())?;
            let mut schema = plan.schema();
            schema.extend(right.schema());
            plan = Plan::Join {
                left: Box::new(plan),
                right: Box::new(right),
                kind: JoinKind::Inner,
                on: None,
                equi: Vec::new(),
                lateral: false,
                schema,
            };
        }
        if let Some(w) = selection {
            let fields = plan.schema();
            let predicate = self.bind_condition(w, &fields, "WHERE", false)?;
            plan = Plan::Filter { input: Box::new(plan), predicate };
        }
        Ok(plan)
    }

    /// Binds UPDATE [FROM].
    pub fn bind_update(&mut self, upd: &ast::Update) -> Result<BoundUpdate> {
        let current_of = super::current_of::cursor_of(upd.selection.as_ref())?;
        if let (Some(_), ast::TableFactor::Table { name, .. }) = (&current_of, &upd.table.relation)
        {
            super::current_of::refuse_view(self.catalog, self.search_path(), name)?;
        }
        let selection = if current_of.is_some() { None } else { upd.selection.as_ref() };
        if let Some(rewritten) = self.update_view(upd)? {
            return self.bind_update(&rewritten);
        }
        let (name, alias) = match &upd.table.relation {
            ast::TableFactor::Table { name, alias, .. } if upd.table.joins.is_empty() => {
                (name, alias)
            }
            _ => return Err(Error::unsupported("UPDATE of a join")),
        };
        // Reading the rows (WHERE, RETURNING) needs SELECT as well, as in PostgreSQL.
        let reads = upd.selection.is_some() || upd.returning.is_some();
        let want =
            if reads { Privileges::UPDATE.with(Privileges::SELECT) } else { Privileges::UPDATE };
        let table = self.target_table(name, want)?;
        let qualifier =
            alias.as_ref().map(|a| ident_name(&a.name)).unwrap_or_else(|| table.name.clone());
        self.note_alias(&table.name, &qualifier);
        let scan = self.dml_scan(&table, &qualifier);
        let scan = self.with_policy_filter(scan, &table, PolicyCommand::Update)?;
        let scan = if reads {
            self.with_policy_filter(scan, &table, PolicyCommand::Select)?
        } else {
            scan
        };
        let from: &[ast::TableWithJoins] = match &upd.from {
            None => &[],
            Some(ast::UpdateTableFromKind::AfterSet(f))
            | Some(ast::UpdateTableFromKind::BeforeSet(f)) => f,
        };
        let plan = self.dml_source(scan, from, selection)?;
        let fields = plan.schema();
        let assignments = self.bind_assignments(&upd.assignments, &table, &fields)?;
        let returning = match &upd.returning {
            Some(items) => Some(self.bind_returning(items, &fields)?),
            None => None,
        };
        let mut policy_check = self.policy_check(&table, PolicyCommand::Update)?;
        if reads {
            if let Some(read) = self.policy_using(&table, PolicyCommand::Select)? {
                policy_check = policy_check.map(|c| super::from::and(c, read));
            }
        }
        let view_checks = self.bind_view_checks(&table)?;
        let source = self.finish(plan);
        let generated = super::generated::bind_generated(self.catalog, self.session, &table)?;
        let mut bound = BoundUpdate {
            table,
            source,
            assignments,
            generated,
            returning,
            policy_check,
            view_checks,
            partition: None,
            current_of,
        };
        if !self.catalog.partitions.is_empty() {
            bound.partition = self.update_partition(upd, &bound)?;
        }
        Ok(bound)
    }

    /// Binds DELETE [USING].
    pub fn bind_delete(&mut self, del: &ast::Delete) -> Result<BoundDelete> {
        let current_of = super::current_of::cursor_of(del.selection.as_ref())?;
        if current_of.is_some() {
            let tables = match &del.from {
                ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
            };
            if let Some(ast::TableFactor::Table { name, .. }) = tables.first().map(|t| &t.relation)
            {
                super::current_of::refuse_view(self.catalog, self.search_path(), name)?;
            }
        }
        let selection = if current_of.is_some() { None } else { del.selection.as_ref() };
        if let Some(rewritten) = self.delete_from_view(del)? {
            return self.bind_delete(&rewritten);
        }
        let tables = match &del.from {
            ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
        };
        let (name, alias) = match tables.as_slice() {
            [twj] if twj.joins.is_empty() => match &twj.relation {
                ast::TableFactor::Table { name, alias, .. } => (name, alias),
                _ => return Err(Error::unsupported("DELETE from this relation")),
            },
            _ => return Err(Error::unsupported("DELETE from several tables")),
        };
        let reads = del.selection.is_some() || del.returning.is_some();
        let want =
            if reads { Privileges::DELETE.with(Privileges::SELECT) } else { Privileges::DELETE };
        let table = self.target_table(name, want)?;
        let qualifier =
            alias.as_ref().map(|a| ident_name(&a.name)).unwrap_or_else(|| table.name.clone());
        self.note_alias(&table.name, &qualifier);
        let scan = self.dml_scan(&table, &qualifier);
        let scan = self.with_policy_filter(scan, &table, PolicyCommand::Delete)?;
        let scan = if reads {
            self.with_policy_filter(scan, &table, PolicyCommand::Select)?
        } else {
            scan
        };
        let using: &[ast::TableWithJoins] = del.using.as_deref().unwrap_or(&[]);
        let plan = self.dml_source(scan, using, selection)?;
        let fields = plan.schema();
        let returning = match &del.returning {
            Some(items) => Some(self.bind_returning(items, &fields)?),
            None => None,
        };
        let source = self.finish(plan);
        let partition = match self.catalog.partitions.is_empty() {
            true => None,
            false => self.delete_partition(del, &table)?,
        };
        Ok(BoundDelete { table, source, returning, partition, current_of })
    }
}

/// One value of a multiple-column assignment.
enum Source {
    /// An expression (or DEFAULT) bound over the row.
    Expr(Box<ast::Expr>),
    /// Column `n` of the one row of a bound sub-SELECT, of type `ty`.
    SubqueryColumn(crate::expr::SubqueryId, DataType, usize),
}

/// Whether `f` is `ROW(...)`.
fn is_row_constructor(f: &ast::Function) -> bool {
    matches!(f.name.0.as_slice(), [p] if p.as_ident().is_some_and(|i| i.quote_style.is_none() && i.value.eq_ignore_ascii_case("row")))
}

/// Whether `e` is the bare keyword DEFAULT (sqlparser reads it as an identifier).
pub fn is_default_keyword(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}
