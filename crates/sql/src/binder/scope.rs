//! Column resolution: the [`ExprScope`] the binder hands to `bind_expr`.

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::Binder;
use crate::expr::context::BindMark;
use crate::expr::{AggregateCall, Expr, ExprScope, SessionInfo, SubqueryId, SubqueryKind};
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

/// A FROM item that names cannot reach from the expression being bound, kept to explain
/// a failed reference as PostgreSQL does.
#[derive(Debug, Clone)]
pub struct Unreachable {
    /// The item's table name (or alias).
    pub name: String,
    /// Its columns.
    pub columns: Vec<String>,
    /// The alias that replaced the table name, when that is why it cannot be reached.
    pub alias: Option<String>,
    /// It is the left side of a RIGHT or FULL join whose LATERAL right side is bound.
    pub right_join: bool,
}

impl Unreachable {
    /// One entry per FROM item (qualifier) of `fields`.
    pub fn items_of(fields: &[Field]) -> Vec<Unreachable> {
        let mut out: Vec<Unreachable> = Vec::new();
        for f in fields.iter().filter(|f| !is_system_field(f)) {
            let Some(q) = &f.qualifier else { continue };
            match out.iter_mut().find(|u| &u.name == q) {
                Some(u) => u.columns.push(f.name.clone()),
                None => out.push(Unreachable {
                    name: q.clone(),
                    columns: vec![f.name.clone()],
                    alias: None,
                    right_join: false,
                }),
            }
        }
        out
    }
}

/// A LATERAL item's reference to the left side of its RIGHT or FULL join (42P10).
fn right_join_reference(table: &str) -> Error {
    Error::new(
        SqlState::INVALID_COLUMN_REFERENCE,
        format!("invalid reference to FROM-clause entry for table \"{table}\""),
    )
    .with_detail("The combining JOIN type must be INNER or LEFT for a LATERAL reference.")
}

/// Whether `f` is a column the engine adds (row keys, `tableoid`, grouping markers)
/// rather than a column of its FROM item: left out of `t.*` and of `t`'s whole row. A
/// hidden column of the item itself (one merged by JOIN USING, `excluded`'s) stays in.
pub fn is_system_field(f: &Field) -> bool {
    f.hidden && (f.name.starts_with('?') || f.name == "tableoid")
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
                self.check_lateral_ambiguity(j, qualifier, name)?;
                self.mark_outer_read(j, i);
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
                    return Err(Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column {q}.{name} does not exist"),
                    ));
                }
                match self.unreachable.iter().rev().find(|u| u.name == q) {
                    Some(u) if u.right_join => Err(right_join_reference(q)),
                    Some(u) => {
                        let e = Error::new(
                            SqlState::UNDEFINED_TABLE,
                            format!("invalid reference to FROM-clause entry for table \"{q}\""),
                        );
                        Err(match &u.alias {
                            Some(a) => e.with_hint(format!(
                                "Perhaps you meant to reference the table alias \"{a}\"."
                            )),
                            None => e.with_hint(format!(
                                "There is an entry for table \"{q}\", but it cannot be referenced from this part of the query."
                            )),
                        })
                    }
                    None => Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("missing FROM-clause entry for table \"{q}\""),
                    )),
                }
            }
            None => {
                let e = Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column \"{name}\" does not exist"),
                );
                // One table holding it (noted unreachable maybe more than once).
                let mut holders = self
                    .unreachable
                    .iter()
                    .filter(|u| u.alias.is_none() && u.columns.iter().any(|c| c == name));
                let first = holders.next();
                let mut holders = holders.filter(|u| first.is_none_or(|f| f.name != u.name));
                Err(match (first, holders.next()) {
                    (Some(u), None) if u.right_join => right_join_reference(&u.name),
                    (Some(u), None) => e.with_hint(format!(
                        "There is a column named \"{name}\" in table \"{}\", but it cannot be referenced from this part of the query.",
                        u.name
                    )),
                    _ => e,
                })
            }
        }
    }

    /// The columns of FROM item `qualifier` (positions in the row `local` ++ enclosing
    /// rows): of the innermost level that has the item, as a column reference finds it.
    pub(super) fn row_columns(
        &self,
        local: &[Field],
        qualifier: &str,
    ) -> Option<Vec<(usize, String, DataType)>> {
        let of_item = |fields: &[Field]| -> Vec<(usize, String, DataType)> {
            fields
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    !is_system_field(f)
                        && !crate::binder::is_companion(&f.name)
                        && f.qualifier.as_deref() == Some(qualifier)
                })
                .map(|(i, f)| (i, f.name.clone(), f.data_type.clone()))
                .collect()
        };
        let cols = of_item(local);
        if !cols.is_empty() {
            return Some(cols);
        }
        let mut offset = local.len();
        for j in (0..self.outer.len()).rev() {
            let cols = of_item(&self.outer[j]);
            if !cols.is_empty() {
                for (i, _, _) in &cols {
                    self.mark_outer_read(j, *i);
                }
                return Some(cols.into_iter().map(|(i, n, t)| (offset + i, n, t)).collect());
            }
            offset += self.outer[j].len();
        }
        None
    }

    /// Runs `f` with the FROM items of `fields` noted as unreachable from it.
    pub(super) fn with_unreachable<T>(
        &mut self,
        fields: &[Field],
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let mark = self.unreachable.len();
        self.unreachable.extend(Unreachable::items_of(fields));
        let result = f(self);
        self.unreachable.truncate(mark);
        result
    }

    /// Notes that FROM item `name` is reachable only as `alias`, for the rest of the
    /// query level being bound.
    pub(super) fn note_alias(&mut self, name: &str, alias: &str) {
        if name != alias {
            self.unreachable.push(Unreachable {
                name: name.to_string(),
                columns: Vec::new(),
                alias: Some(alias.to_string()),
                right_join: false,
            });
        }
    }

    /// Notes that the subqueries from enclosing level `j` in read position `i` of that
    /// level's row. Level s's enclosing row is outer[s] ++ outer[s-1] ++ ... ++ outer[0],
    /// so the position grows by the rows in between.
    fn mark_outer_read(&self, j: usize, i: usize) {
        let mut pos = i;
        for (s, flag) in self.correlated.iter().enumerate().skip(j) {
            if s > j {
                pos += self.outer[s].len();
            }
            flag.set(true);
            flag.refs.borrow_mut().push(pos);
        }
    }

    /// The enclosing level (index into `outer`) that position `i` of a row whose own
    /// part is `width` wide belongs to; `None` for the own part.
    fn outer_level_of(&self, width: usize, i: usize) -> Option<usize> {
        let mut offset = width;
        for j in (0..self.outer.len()).rev() {
            offset += self.outer[j].len();
            if i < offset {
                return (i >= width).then_some(j);
            }
        }
        None
    }

    /// The enclosing level an aggregate call bound over a row `width` wide belongs to:
    /// the innermost level its arguments, FILTER and ORDER BY read, when they read only
    /// enclosing levels (subqueries among them count with the positions they read);
    /// `None` when it belongs to its own level.
    fn aggregate_level(&self, width: usize, call: &AggregateCall) -> Option<usize> {
        let mut reads: Vec<usize> = Vec::new();
        let mut whole_row = false;
        let exprs =
            call.args.iter().chain(&call.filter).chain(call.order_by.iter().map(|s| &s.expr));
        for e in exprs {
            e.walk(&mut |n| match n {
                Expr::Column(i, _) => reads.push(*i),
                Expr::Subquery { id, .. } => {
                    match self.subqueries.get(id.0 as usize).map(|s| &s.outer_refs) {
                        Some(Some(refs)) => reads.extend(refs),
                        _ => whole_row = true,
                    }
                }
                _ => {}
            });
        }
        if whole_row {
            return None;
        }
        let mut level: Option<usize> = None;
        for i in reads {
            let j = self.outer_level_of(width, i)?;
            level = Some(level.map_or(j, |l| l.max(j)));
        }
        level
    }

    /// Whether the arguments of `call`, bound over a row `width` wide, read a level
    /// inside enclosing level `level` (the own row included).
    fn reads_below(&self, width: usize, call: &AggregateCall, level: usize) -> bool {
        let mut below = false;
        for e in &call.args {
            e.walk(&mut |n| {
                if let Expr::Column(i, _) = n {
                    below |= self.outer_level_of(width, *i).is_none_or(|j| j > level);
                }
            });
        }
        below
    }

    /// Binds aggregate call `f`, written over a row `width` wide, in the SELECT of
    /// enclosing level `level` it belongs to, and returns the reference to its value in
    /// that SELECT's row. What binding the call where it was written recorded since
    /// `mark` (its subqueries, its reads of enclosing rows) is undone.
    fn outer_aggregate_at(
        &mut self,
        f: &ast::Function,
        level: usize,
        width: usize,
        mark: BindMark,
    ) -> Result<Expr> {
        if self.aggregate_nesting.get() > 0 {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                "aggregate function calls cannot be nested",
            ));
        }
        let unsupported = || {
            Error::unsupported(
                "aggregate functions of an enclosing query outside its SELECT list, HAVING or ORDER BY, or in a correlated subquery",
            )
        };
        let frame =
            self.outer_aggs.iter().rposition(|a| a.level == level).ok_or_else(unsupported)?;
        if let Some(clause) = self.outer_aggs[frame].clause {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                format!("aggregate functions are not allowed in {clause}"),
            ));
        }
        // The enclosing level's row then grows by the call's value, which would move
        // the positions of the rows further out read below it.
        let reads_further_out = |b: &Self| level > 0 && b.correlated[level - 1].get();
        if reads_further_out(self) {
            return Err(unsupported());
        }
        self.subqueries.truncate(mark.subqueries);
        for (flag, (used, reads)) in self.correlated.iter().zip(mark.outer_reads) {
            flag.set(used);
            flag.refs.borrow_mut().truncate(reads);
        }
        let inner_rows = self.outer.split_off(level);
        let inner_flags = self.correlated.split_off(level);
        let fields = inner_rows[0].clone();
        let bound = {
            let mut scope = BindScope { binder: self, fields: &fields, no_aggregates: None };
            crate::expr::bind_expr(&ast::Expr::Function(f.clone()), &mut scope)
        };
        self.outer.extend(inner_rows);
        self.correlated.extend(inner_flags);
        let call = match bound? {
            Expr::Aggregate(call) => *call,
            _ => return Err(Error::internal("an outer-level aggregate did not bind as one")),
        };
        if reads_further_out(self) {
            return Err(unsupported());
        }
        let ty = call.ty.clone();
        let a = &mut self.outer_aggs[frame];
        let i = a.base + a.slot(call);
        self.mark_outer_read(level, i);
        let offset = width + self.outer[level + 1..].iter().map(Vec::len).sum::<usize>();
        Ok(Expr::Column(offset + i, ty))
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
        self.binder.row_columns(self.fields, qualifier)
    }

    fn null_extended(&self, qualifier: &str) -> bool {
        self.binder.null_extended.contains(qualifier)
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
        // An aggregate in the subquery that belongs to this level is refused where this
        // level refuses its own.
        let level = self.binder.outer.len();
        let clause = self.no_aggregates.map(|c| if c == "JOIN/ON" { "JOIN conditions" } else { c });
        let saved = match (self.binder.outer_aggs.last_mut(), clause) {
            (Some(a), Some(c)) if a.level == level => Some(a.clause.replace(c)),
            _ => None,
        };
        let bound = self.binder.bind_subquery_in(self.fields, query);
        if let (Some(old), Some(a)) = (saved, self.binder.outer_aggs.last_mut()) {
            a.clause = old;
        }
        bound
    }

    fn param_type(&mut self, index: usize, hint: Option<&DataType>) -> Result<DataType> {
        self.binder.param_type(index, hint)
    }

    fn session(&self) -> &SessionInfo {
        self.binder.session
    }

    fn search_path(&self) -> &[String] {
        self.binder.search_path()
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
        self.binder.catalog.functions_named(schema, name, self.binder.search_path())
    }

    fn aggregates_allowed(&self) -> std::result::Result<(), &'static str> {
        match self.no_aggregates {
            Some(clause) => Err(clause),
            None => Ok(()),
        }
    }

    fn bind_mark(&self) -> BindMark {
        BindMark {
            subqueries: self.binder.subqueries.len(),
            outer_reads: self
                .binder
                .correlated
                .iter()
                .map(|c| (c.get(), c.refs.borrow().len()))
                .collect(),
        }
    }

    fn outer_aggregate(
        &mut self,
        f: &ast::Function,
        call: &AggregateCall,
        mark: BindMark,
    ) -> Result<Option<Expr>> {
        let width = self.fields.len();
        // An ordered-set aggregate's level is that of its WITHIN GROUP arguments (the
        // first of `args` and the sort keys); its direct arguments may not read a lower
        // level than that.
        if !f.within_group.is_empty() {
            let aggregated =
                AggregateCall { args: call.args.iter().take(1).cloned().collect(), ..call.clone() };
            let direct = AggregateCall {
                args: call.args.iter().skip(1).cloned().collect(),
                filter: None,
                order_by: Vec::new(),
                ..call.clone()
            };
            let Some(level) = self.binder.aggregate_level(width, &aggregated) else {
                return Ok(None);
            };
            let lower = self.binder.reads_below(width, &direct, level);
            if lower {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE_OR_GROUPING,
                    "outer-level aggregate cannot contain a lower-level variable in its direct arguments",
                ));
            }
            return self.binder.outer_aggregate_at(f, level, width, mark).map(Some);
        }
        match self.binder.aggregate_level(width, call) {
            Some(level) => self.binder.outer_aggregate_at(f, level, width, mark).map(Some),
            None => Ok(None),
        }
    }
}
