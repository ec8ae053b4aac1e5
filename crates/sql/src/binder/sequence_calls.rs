//! `nextval`, `currval` and `setval`: calls that change or read sequence state, which
//! lives outside the expression evaluator. The binder turns each call into a scalar
//! subquery over a [`Plan::Sequence`] node (re-run for every evaluation), which the
//! executor runs through the session's sequence access.

use std::ops::ControlFlow;

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::Binder;
use crate::catalog::{Privileges, Relation};
use crate::parser::{ident_name, object_name};
use crate::planner::{Field, Plan, SequenceOp};

const MARKER: &str = "?sequence?";

fn op_of(name: &str) -> Option<SequenceOp> {
    match name {
        "nextval" => Some(SequenceOp::Next),
        "currval" => Some(SequenceOp::Current),
        "setval" => Some(SequenceOp::Set),
        _ => None,
    }
}

fn function_name(f: &ast::Function) -> Option<String> {
    match f.name.0.last() {
        Some(ast::ObjectNamePart::Identifier(id)) => Some(ident_name(id)),
        _ => None,
    }
}

/// Whether the text may call a sequence function (a cheap pre-check).
fn may_call(e: &ast::Expr) -> bool {
    let t = e.to_string().to_ascii_lowercase();
    t.contains("nextval") || t.contains("currval") || t.contains("setval")
}

/// Rewrites sequence calls in `e` into marker subqueries; `None` when there are none.
pub fn rewrite_sequence_calls(e: &ast::Expr) -> Option<ast::Expr> {
    if !may_call(e) {
        return None;
    }
    let mut out = e.clone();
    let mut changed = false;
    let _ = ast::visit_expressions_mut(&mut out, |node: &mut ast::Expr| {
        if let ast::Expr::Function(f) = node {
            if let Some(name) = function_name(f) {
                if op_of(&name).is_some() {
                    let mut marker = f.clone();
                    marker.name = ast::ObjectName::from(vec![
                        ast::Ident::with_quote('"', MARKER),
                        ast::Ident::new(name),
                    ]);
                    let q = format!("SELECT {marker}");
                    if let Ok(query) = crate::parser::parse_query(&q) {
                        *node = ast::Expr::Subquery(Box::new(query));
                        changed = true;
                    }
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
    changed.then_some(out)
}

impl Binder<'_> {
    /// If `query` is a marker subquery made by [`rewrite_sequence_calls`], its plan.
    pub(super) fn sequence_marker_plan(
        &mut self,
        query: &ast::Query,
        local: &[Field],
    ) -> Result<Option<Plan>> {
        let ast::SetExpr::Select(sel) = query.body.as_ref() else { return Ok(None) };
        let [ast::SelectItem::UnnamedExpr(ast::Expr::Function(f))] = sel.projection.as_slice()
        else {
            return Ok(None);
        };
        let parts = &f.name.0;
        let is_marker = parts.len() == 2
            && matches!(&parts[0], ast::ObjectNamePart::Identifier(id) if id.value == MARKER);
        if !is_marker {
            return Ok(None);
        }
        let name = match &parts[1] {
            ast::ObjectNamePart::Identifier(id) => ident_name(id),
            _ => return Ok(None),
        };
        let op = op_of(&name).ok_or_else(|| Error::internal("bad sequence marker"))?;
        let args = match &f.args {
            ast::FunctionArguments::List(l) => super::table_function::plain_args(&l.args)?,
            _ => Vec::new(),
        };
        let want = if op == SequenceOp::Set { [2usize, 3] } else { [1, 1] };
        if !want.contains(&args.len()) {
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {name} with {} arguments does not exist", args.len()),
            ));
        }
        let seq_text = match &args[0] {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) => s.clone(),
                _ => {
                    return Err(Error::unsupported(format!("{name} with a computed sequence name")))
                }
            },
            ast::Expr::Cast { expr, .. } => match expr.as_ref() {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    _ => {
                        return Err(Error::unsupported(format!(
                            "{name} with a computed sequence name"
                        )))
                    }
                },
                _ => {
                    return Err(Error::unsupported(format!("{name} with a computed sequence name")))
                }
            },
            _ => return Err(Error::unsupported(format!("{name} with a computed sequence name"))),
        };
        let parsed = crate::parser::parse_expr(&seq_text)?;
        let obj = match parsed {
            ast::Expr::Identifier(id) => ast::ObjectName::from(vec![id]),
            ast::Expr::CompoundIdentifier(ids) => ast::ObjectName::from(ids),
            _ => {
                return Err(Error::new(
                    SqlState::INVALID_NAME,
                    format!("invalid name syntax \"{seq_text}\""),
                ))
            }
        };
        let qn = object_name(&obj)?;
        let sequence =
            match self.catalog.resolve(qn.schema.as_deref(), &qn.name, self.search_path()) {
                Some((_, Relation::Sequence(id))) => id,
                Some((_, other)) => {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        format!("\"{}\" is not a sequence ({} found)", qn.name, other.kind_name()),
                    ))
                }
                None => {
                    return Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("relation \"{}\" does not exist", qn.name),
                    ))
                }
            };
        if let Some(seq) = self.catalog.sequences.get(&sequence) {
            let want = match op {
                SequenceOp::Next => Privileges::USAGE.with(Privileges::UPDATE),
                SequenceOp::Current => Privileges::USAGE.with(Privileges::SELECT),
                SequenceOp::Set => Privileges::UPDATE,
            };
            self.require_sequence(seq, want)?;
        }
        let value = match args.get(1) {
            Some(v) => {
                let e = self.bind_scalar(v, local, Some("setval"))?;
                Some(super::cast_to(e, &DataType::Int8))
            }
            None => None,
        };
        let is_called = match args.get(2) {
            Some(c) => Some(super::coerce_condition(
                self.bind_scalar(c, local, Some("setval"))?,
                "setval",
            )?),
            None => None,
        };
        Ok(Some(Plan::Sequence {
            op,
            sequence,
            value,
            is_called,
            schema: vec![Field::new(name, DataType::Int8)],
        }))
    }
}
