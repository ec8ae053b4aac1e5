//! Binding MERGE (PostgreSQL 15):
//!
//! ```text
//! MERGE INTO target [AS t] USING source ON cond
//!   WHEN MATCHED [AND cond] THEN UPDATE SET ... | DELETE | DO NOTHING
//!   WHEN NOT MATCHED [AND cond] THEN INSERT [(cols)] VALUES (...)
//!                                   | INSERT DEFAULT VALUES | DO NOTHING
//! ```
//!
//! The source is LEFT JOINed to the target (its scan carries the row key, as UPDATE's
//! does): a joined row whose key is NULL had no match. Every clause expression reads
//! the joined row (source columns, then target columns, then the key). The executor
//! (`exec/merge.rs`) runs the first clause whose kind and condition fit each row.
//!
//! Privileges follow PostgreSQL: SELECT on the source; on the target INSERT, UPDATE,
//! DELETE for the actions written, and SELECT (the join condition reads it).
//! Row-level security: the target rows MERGE may see are filtered by the SELECT
//! policies; a matched row the UPDATE or DELETE policies do not let through is an error
//! (42501) rather than a silent skip, as in PostgreSQL; new rows must pass the INSERT
//! or UPDATE WITH CHECK policies.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::Value;
use sqlparser::ast;

use super::dml::is_default_keyword;
use super::{assignment_cast, Binder};
use crate::catalog::access::PolicyCommand;
use crate::catalog::{Identity, Privileges, TableDef};
use crate::expr::Expr;
use crate::parser::{ident_name, object_name};
use crate::planner::{JoinKind, Plan, PlannedQuery};

/// `INSERT DEFAULT VALUES` in a MERGE clause, which sqlparser does not read, is
/// rewritten by the parser as `INSERT VALUES (helios_default_values)`.
pub const DEFAULT_VALUES_MARKER: &str = "helios_default_values";

/// What a MERGE clause does.
#[derive(Debug, Clone)]
pub enum MergeAction {
    /// `UPDATE SET`: (column position, new value over the joined row).
    Update(Vec<(usize, Expr)>),
    /// `DELETE`.
    Delete,
    /// `INSERT`: one value per table column over the joined row, and the columns whose
    /// value comes from their sequence.
    Insert {
        /// Values of the new row, in table column order.
        values: Vec<Expr>,
        /// (column, sequence) drawn when the value is NULL.
        sequence_fill: Vec<(usize, u32)>,
    },
    /// `DO NOTHING`.
    Nothing,
}

/// One `WHEN` clause.
#[derive(Debug, Clone)]
pub struct MergeWhen {
    /// `WHEN MATCHED` (else `WHEN NOT MATCHED`).
    pub matched: bool,
    /// The `AND` condition over the joined row.
    pub condition: Option<Expr>,
    /// The action.
    pub action: MergeAction,
}

/// A bound MERGE.
#[derive(Debug, Clone)]
pub struct BoundMerge {
    /// Target table.
    pub table: Arc<TableDef>,
    /// Source LEFT JOIN target: source columns, target columns, the target key.
    pub source: PlannedQuery,
    /// Number of source columns at the start of each joined row.
    pub source_width: usize,
    /// The clauses in order.
    pub clauses: Vec<MergeWhen>,
    /// Generated columns with their expressions over the table row.
    pub generated: Vec<(usize, Expr)>,
    /// Row-level security over the old target row: UPDATE's and DELETE's USING.
    pub update_using: Option<Expr>,
    /// See `update_using`.
    pub delete_using: Option<Expr>,
    /// Row-level security over new rows: UPDATE's and INSERT's WITH CHECK.
    pub update_check: Option<Expr>,
    /// See `update_check`.
    pub insert_check: Option<Expr>,
}

/// 42P01 when a NOT MATCHED clause names the target (it has no row there).
fn refuse_target_reference(clause: &ast::MergeClause, qualifier: &str) -> Result<()> {
    use std::ops::ControlFlow;
    let mut hit = false;
    let _ = ast::visit_expressions(clause, |e: &ast::Expr| {
        if let ast::Expr::CompoundIdentifier(ids) = e {
            if ids.len() >= 2 && ident_name(&ids[ids.len() - 2]) == qualifier {
                hit = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    if hit {
        return Err(Error::new(
            SqlState::UNDEFINED_TABLE,
            format!("invalid reference to FROM-clause entry for table \"{qualifier}\""),
        )
        .with_hint(format!(
            "There is an entry for table \"{qualifier}\", but it cannot be referenced from this part of the query."
        )));
    }
    Ok(())
}

impl Binder<'_> {
    /// Binds MERGE.
    pub fn bind_merge(&mut self, m: &ast::Merge) -> Result<BoundMerge> {
        let ast::TableFactor::Table { name, alias, .. } = &m.table else {
            return Err(Error::unsupported("MERGE into this relation"));
        };
        // A clause after an unconditional one of the same kind could never run.
        let mut unconditional = [false, false];
        for c in &m.clauses {
            let k = usize::from(matches!(c.clause_kind, ast::MergeClauseKind::Matched));
            if unconditional[k] {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "unreachable WHEN clause specified after unconditional WHEN clause",
                ));
            }
            unconditional[k] |= c.predicate.is_none();
        }
        let mut want = Privileges::SELECT;
        for c in &m.clauses {
            want = want.with(match &c.action {
                ast::MergeAction::Insert(_) => Privileges::INSERT,
                ast::MergeAction::Update(_) => Privileges::UPDATE,
                ast::MergeAction::Delete { .. } => Privileges::DELETE,
                ast::MergeAction::DoNothing { .. } => Privileges::SELECT,
            });
        }
        self.refuse_merge_target(name)?;
        let table = self.target_table(name, want)?;
        if self.catalog.is_partitioned(table.id) {
            return Err(Error::unsupported("MERGE into a partitioned table"));
        }
        let qualifier =
            alias.as_ref().map(|a| ident_name(&a.name)).unwrap_or_else(|| table.name.clone());
        let source = self
            .bind_from(&[ast::TableWithJoins { relation: m.source.clone(), joins: Vec::new() }])?;
        let source_width = source.width();
        let scan = self.dml_scan(&table, &qualifier);
        let target = self.with_policy_filter(scan, &table, PolicyCommand::Select)?;
        let mut fields = source.schema();
        if fields.iter().any(|f| f.qualifier.as_deref() == Some(qualifier.as_str())) {
            return Err(Error::new(
                SqlState::DUPLICATE_ALIAS,
                format!("name \"{qualifier}\" specified more than once"),
            ));
        }
        fields.extend(target.schema());
        let on = self.bind_condition(&m.on, &fields, "JOIN/ON", false)?;
        let plan = Plan::Join {
            left: Box::new(source),
            right: Box::new(target),
            kind: JoinKind::Left,
            on: Some(on),
            equi: Vec::new(),
            lateral: false,
            schema: fields.clone(),
        };
        // Conditions and values of NOT MATCHED clauses may read only the source.
        let mut source_fields = fields.clone();
        for f in source_fields.iter_mut().skip(source_width) {
            f.hidden = true;
            f.qualifier = Some(String::new());
            f.name = String::new();
        }
        let mut clauses = Vec::with_capacity(m.clauses.len());
        for c in &m.clauses {
            let matched = match c.clause_kind {
                ast::MergeClauseKind::Matched => true,
                ast::MergeClauseKind::NotMatched | ast::MergeClauseKind::NotMatchedByTarget => {
                    false
                }
                ast::MergeClauseKind::NotMatchedBySource => {
                    return Err(Error::unsupported("WHEN NOT MATCHED BY SOURCE"))
                }
            };
            let scope = if matched { &fields } else { &source_fields };
            if !matched {
                refuse_target_reference(c, &qualifier)?;
            }
            let condition = match &c.predicate {
                Some(p) => Some(self.bind_condition(p, scope, "WHEN", false)?),
                None => None,
            };
            let action = match &c.action {
                ast::MergeAction::DoNothing { .. } => MergeAction::Nothing,
                ast::MergeAction::Delete { .. } => MergeAction::Delete,
                ast::MergeAction::Update(u) => {
                    let ast::MergeUpdateKind::Set(assignments) = &u.kind else {
                        return Err(Error::unsupported("UPDATE SET * in MERGE"));
                    };
                    if u.update_predicate.is_some() || u.delete_predicate.is_some() {
                        return Err(Error::unsupported("MERGE UPDATE ... WHERE"));
                    }
                    let bound = self.bind_assignments(assignments, &table, scope)?;
                    MergeAction::Update(bound)
                }
                ast::MergeAction::Insert(ins) => self.bind_merge_insert(ins, &table, scope)?,
            };
            clauses.push(MergeWhen { matched, condition, action });
        }
        let update_using = self.policy_using(&table, PolicyCommand::Update)?;
        let delete_using = self.policy_using(&table, PolicyCommand::Delete)?;
        let update_check = self.policy_check(&table, PolicyCommand::Update)?;
        let insert_check = self.policy_check(&table, PolicyCommand::Insert)?;
        let generated = super::generated::bind_generated(self.catalog, self.session, &table)?;
        let source = self.finish(plan);
        Ok(BoundMerge {
            table,
            source,
            source_width,
            clauses,
            generated,
            update_using,
            delete_using,
            update_check,
            insert_check,
        })
    }

    /// 0A000 for a MERGE into a view, materialized view or sequence, in PostgreSQL's
    /// words.
    fn refuse_merge_target(&self, name: &ast::ObjectName) -> Result<()> {
        let qn = object_name(name)?;
        let what = match self.catalog.resolve(qn.schema.as_deref(), &qn.name, self.search_path()) {
            Some((_, crate::catalog::Relation::View(_))) => "views",
            Some((_, crate::catalog::Relation::Sequence(_))) => "sequences",
            Some((_, crate::catalog::Relation::Table(id)))
                if self.catalog.table(id).is_some_and(|t| t.matview.is_some()) =>
            {
                "materialized views"
            }
            _ => return Ok(()),
        };
        Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("cannot execute MERGE on relation \"{}\"", qn.name),
        )
        .with_detail(format!("This operation is not supported for {what}.")))
    }

    fn bind_merge_insert(
        &mut self,
        ins: &ast::MergeInsertExpr,
        table: &TableDef,
        scope: &[crate::planner::Field],
    ) -> Result<MergeAction> {
        let row: Vec<ast::Expr> = match &ins.kind {
            ast::MergeInsertKind::Values(v) => match v.rows.as_slice() {
                [one] => one.content.clone(),
                // PostgreSQL's grammar takes one row: the comma is the error.
                _ => {
                    return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error at or near \",\""))
                }
            },
            _ => return Err(Error::unsupported("this MERGE INSERT form")),
        };
        if ins.insert_predicate.is_some() {
            return Err(Error::unsupported("MERGE INSERT ... WHERE"));
        }
        let default_values = ins.columns.is_empty()
            && matches!(row.as_slice(), [ast::Expr::Identifier(id)] if id.quote_style.is_none() && id.value == DEFAULT_VALUES_MARKER);
        let row = if default_values { Vec::new() } else { row };
        let targets: Vec<usize> = if ins.columns.is_empty() {
            (0..table.columns.len().min(row.len())).collect()
        } else {
            let mut t = Vec::new();
            for c in &ins.columns {
                let n = object_name(c)?.name;
                let i = table.column_index(&n).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column \"{n}\" of relation \"{}\" does not exist", table.name),
                    )
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
        if row.len() > table.columns.len() || (!ins.columns.is_empty() && row.len() > targets.len())
        {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "INSERT has more expressions than target columns",
            ));
        }
        if row.len() < targets.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "INSERT has more target columns than expressions",
            ));
        }
        let mut values = Vec::with_capacity(table.columns.len());
        let mut sequence_fill = Vec::new();
        for (ci, col) in table.columns.iter().enumerate() {
            let given = targets.iter().position(|t| *t == ci).map(|p| &row[p]);
            let default = given.is_none_or(is_default_keyword);
            if col.generated.is_some() {
                if !default {
                    return Err(super::generated::write_to_generated(&col.name, true));
                }
                values.push(Expr::Literal(Value::Null, col.data_type.clone()));
                continue;
            }
            match given {
                Some(e) if !default => {
                    if col.identity == Some(Identity::Always) {
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
                    let b = self.bind_scalar(e, scope, Some("MERGE"))?;
                    values.push(assignment_cast(self, b, &col.data_type, &col.name)?);
                }
                _ => match col.sequence {
                    Some(seq) => {
                        sequence_fill.push((ci, seq));
                        values.push(Expr::Literal(Value::Null, col.data_type.clone()));
                    }
                    None => values.push(self.column_default(table, ci)?),
                },
            }
        }
        for (ci, seq) in &sequence_fill {
            if table.columns[*ci].identity.is_some() {
                continue;
            }
            if let Some(seq) = self.catalog.sequences.get(seq) {
                self.require_sequence(seq, Privileges::USAGE.with(Privileges::UPDATE))?;
            }
        }
        Ok(MergeAction::Insert { values, sequence_fill })
    }
}
