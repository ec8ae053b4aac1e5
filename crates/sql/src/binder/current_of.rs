//! `UPDATE / DELETE ... WHERE CURRENT OF cursor`: the condition the parser left as a
//! marker call (see `crate::parser::CURRENT_OF_MARKER`).
//!
//! The binder only notes the cursor's name in [`BoundUpdate::current_of`] /
//! [`BoundDelete::current_of`] and binds the statement without a condition; the session
//! looks the cursor up each time the statement runs (the cursor may be fetched from
//! between two executions of a prepared statement) and narrows the statement's rows to
//! the one behind the cursor's current row with [`at_row`].
//!
//! [`BoundUpdate::current_of`]: super::BoundUpdate::current_of
//! [`BoundDelete::current_of`]: super::BoundDelete::current_of

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use crate::catalog::{Catalog, Relation};
use crate::expr::{BinaryOp, Expr};
use crate::parser::{object_name, CURRENT_OF_MARKER};
use crate::planner::{Plan, PlannedQuery};

/// The cursor named by a `WHERE CURRENT OF cursor` condition (`None`: the condition is
/// an ordinary one). The condition must be `CURRENT OF` alone, as in PostgreSQL's
/// grammar: anything joined to it is a syntax error.
pub(super) fn cursor_of(selection: Option<&ast::Expr>) -> Result<Option<String>> {
    let Some(e) = selection else { return Ok(None) };
    if let Some(name) = marker_name(e) {
        return Ok(Some(name));
    }
    if !e.to_string().contains(CURRENT_OF_MARKER) {
        return Ok(None);
    }
    let near = match e {
        ast::Expr::BinaryOp { left, op, .. } if marker_name(left).is_some() => op.to_string(),
        _ => "OF".to_string(),
    };
    Err(Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{near}\"")))
}

/// The cursor name of a marker call.
fn marker_name(e: &ast::Expr) -> Option<String> {
    let ast::Expr::Function(f) = e else { return None };
    if !f.name.to_string().eq_ignore_ascii_case(CURRENT_OF_MARKER) {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else { return None };
    let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Value(v)))] =
        list.args.as_slice()
    else {
        return None;
    };
    match &v.value {
        ast::Value::SingleQuotedString(s) => Some(s.clone()),
        _ => None,
    }
}

/// `0A000` when the target `name` of a `WHERE CURRENT OF` statement is a view, as in
/// PostgreSQL (the rows of a cursor are those of tables, not of views).
pub(super) fn refuse_view(
    catalog: &Catalog,
    search_path: &[String],
    name: &ast::ObjectName,
) -> Result<()> {
    let qn = object_name(name)?;
    match catalog.resolve(qn.schema.as_deref(), &qn.name, search_path) {
        Some((_, Relation::Table(_))) | None => Ok(()),
        Some(_) => Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            "WHERE CURRENT OF on a view is not implemented",
        )),
    }
}

/// The source of a DML statement narrowed to the row whose primary key bytes are `key`
/// (`None`: no row, the cursor's current row has none in this table). The key is the
/// hidden column after the `width` table columns of the source row.
pub fn at_row(source: &PlannedQuery, width: usize, key: Option<Vec<u8>>) -> PlannedQuery {
    let predicate = match key {
        Some(key) => Expr::Binary {
            op: BinaryOp::Eq,
            left: Box::new(Expr::Column(width, DataType::Bytea)),
            right: Box::new(Expr::Literal(Value::Bytea(key), DataType::Bytea)),
            ty: DataType::Bool,
        },
        None => Expr::Literal(Value::Bool(false), DataType::Bool),
    };
    let plan = Plan::Filter { input: Box::new(source.plan.clone()), predicate };
    PlannedQuery { plan, ..source.clone() }
}
