//! Column resolution: the [`ExprScope`] the binder hands to `bind_expr`.

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::Binder;
use crate::expr::{ExprScope, SessionInfo, SubqueryId, SubqueryKind};
use crate::planner::{Field, SubqueryPlan};

/// The scope of one expression: the fields of the current row, with the binder behind
/// it for outer columns, subqueries and parameters.
#[derive(Debug)]
pub struct BindScope<'b, 'a> {
    /// The binder.
    pub binder: &'b mut Binder<'a>,
    /// Columns of the row the expression is evaluated on.
    pub fields: &'b [Field],
    /// When aggregates are not allowed: the clause name for the error message.
    pub no_aggregates: Option<&'static str>,
}

/// Finds `[qualifier.]name` among `fields`: `Ok(None)` when absent, 42702 when ambiguous.
pub fn find_field(fields: &[Field], qualifier: Option<&str>, name: &str) -> Result<Option<usize>> {
    let mut found = None;
    for (i, f) in fields.iter().enumerate() {
        let hit = match qualifier {
            Some(q) => f.qualifier.as_deref() == Some(q) && f.name == name,
            // A record's field companions are hidden but found by their own name.
            None => {
                (!f.hidden || super::table_function::is_companion(name) || name == "tableoid")
                    && f.name == name
            }
        };
        if hit {
            if found.is_some() {
                let shown = match qualifier {
                    Some(q) => format!("{q}.{name}"),
                    None => name.to_string(),
                };
                return Err(Error::new(
                    SqlState::AMBIGUOUS_COLUMN,
                    format!("column reference \"{shown}\" is ambiguous"),
                ));
            }
            found = Some(i);
        }
    }
    Ok(found)
}

impl Binder<'_> {
    /// Resolves a column against the local fields, then the enclosing queries' fields.
    pub(super) fn resolve(
        &self,
        local: &[Field],
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<(usize, DataType)> {
        let qualifier = qualifier.map(|q| q.rsplit('.').next().unwrap_or(q));
        if let Some(i) = find_field(local, qualifier, name)? {
            return Ok((i, local[i].data_type.clone()));
        }
        let mut offset = local.len();
        for j in (0..self.outer.len()).rev() {
            if let Some(i) = find_field(&self.outer[j], qualifier, name)? {
                // The position in the enclosing row of each subquery level from j in:
                // level s's enclosing row is outer[s] ++ outer[s-1] ++ ... ++ outer[0].
                let mut pos = i;
                for (s, flag) in self.correlated.iter().enumerate().skip(j) {
                    if s > j {
                        pos += self.outer[s].len();
                    }
                    flag.set(true);
                    flag.refs.borrow_mut().push(pos);
                }
                return Ok((offset + i, self.outer[j][i].data_type.clone()));
            }
            offset += self.outer[j].len();
        }
        match qualifier {
            Some(q) => {
                let known = local
                    .iter()
                    .chain(self.outer.iter().flatten())
                    .any(|f| f.qualifier.as_deref() == Some(q));
                if known {
                    Err(Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column {q}.{name} does not exist"),
                    ))
                } else {
                    Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("missing FROM-clause entry for table \"{q}\""),
                    ))
                }
            }
            None => Err(Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{name}\" does not exist"),
            )),
        }
    }

    /// Binds a subquery evaluated for rows of `local`.
    pub(super) fn bind_subquery_in(
        &mut self,
        local: &[Field],
        query: &ast::Query,
    ) -> Result<(SubqueryId, Vec<DataType>)> {
        self.outer.push(local.to_vec());
        self.correlated.push(super::Correlation::default());
        // Sequence calls are subqueries that run again for every evaluation.
        if let Some(plan) = self.sequence_marker_plan(query, &[]).transpose() {
            self.outer.pop();
            self.correlated.pop();
            let plan = plan?;
            let id = self.subqueries.len();
            self.subqueries.push(SubqueryPlan { plan, correlated: true, outer_refs: None });
            return Ok((SubqueryId(id as u32), vec![DataType::Int8]));
        }
        let bound = self.bind_query(query);
        self.outer.pop();
        let mark = self.correlated.pop();
        let correlated = mark.as_ref().is_some_and(|c| c.get());
        let outer_refs = mark.and_then(|c| c.positions());
        let plan = bound?;
        let types =
            plan.schema().iter().filter(|f| !f.hidden).map(|f| f.data_type.clone()).collect();
        let id = self.subqueries.len();
        self.subqueries.push(SubqueryPlan { plan, correlated, outer_refs });
        Ok((SubqueryId(id as u32), types))
    }
}

impl ExprScope for BindScope<'_, '_> {
    fn resolve_column(&self, qualifier: Option<&str>, name: &str) -> Result<(usize, DataType)> {
        self.binder.resolve(self.fields, qualifier, name)
    }

    fn local_width(&self) -> Option<usize> {
        Some(self.fields.len())
    }

    fn whole_row(&self, qualifier: &str) -> Option<Vec<(usize, String, DataType)>> {
        let cols: Vec<(usize, String, DataType)> = self
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                !f.hidden
                    && !crate::binder::is_companion(&f.name)
                    && f.qualifier.as_deref() == Some(qualifier)
            })
            .map(|(i, f)| (i, f.name.clone(), f.data_type.clone()))
            .collect();
        (!cols.is_empty()).then_some(cols)
    }

    fn aggregate_nesting(&self, delta: i32) -> usize {
        let n = &self.binder.aggregate_nesting;
        match delta {
            1 => n.set(n.get() + 1),
            -1 => n.set(n.get().saturating_sub(1)),
            _ => {}
        }
        n.get()
    }

    fn bind_subquery(
        &mut self,
        query: &ast::Query,
        _kind: SubqueryKind,
    ) -> Result<(SubqueryId, Vec<DataType>)> {
        self.binder.bind_subquery_in(self.fields, query)
    }

    fn param_type(&mut self, index: usize, hint: Option<&DataType>) -> Result<DataType> {
        self.binder.param_type(index, hint)
    }

    fn session(&self) -> &SessionInfo {
        self.binder.session
    }

    fn catalog(&self) -> Option<&crate::catalog::Catalog> {
        Some(self.binder.catalog)
    }

    fn user_functions(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> Vec<std::sync::Arc<crate::catalog::FunctionDef>> {
        if self.binder.catalog.functions.is_empty() {
            return Vec::new();
        }
        self.binder.catalog.functions_named(schema, name, &self.binder.session.search_path)
    }

    fn aggregates_allowed(&self) -> std::result::Result<(), &'static str> {
        match self.no_aggregates {
            Some(clause) => Err(clause),
            None => Ok(()),
        }
    }
}
