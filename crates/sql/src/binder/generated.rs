//! Generated columns (`b int GENERATED ALWAYS AS (a * 2) STORED`): binding their
//! expressions over the table row, with PostgreSQL's rules for what an expression may
//! hold.
//!
//! The catalog keeps each expression as SQL text ([`ColumnDef::generated`]); every
//! writing statement binds them over the table's columns, and the executor computes the
//! values after the row's other columns are final (defaults, sequences), before type
//! modifiers and constraints are checked — the order PostgreSQL uses. A generated column
//! is never written by the user: INSERT and UPDATE accept only `DEFAULT` for it.
//!
//! Rules, as PostgreSQL's (42P17 unless said otherwise):
//! - the expression may not read another generated column (nor its own);
//! - it must be immutable: no volatile function and none of the functions whose result
//!   depends on the session or the clock (`now()`, `current_user`, ...);
//! - no subquery (0A000), no aggregate (42803) or window function (42P20).
//!
//! [`ColumnDef::generated`]: crate::catalog::ColumnDef::generated

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use super::{assignment_cast, table_row_fields, Binder};
use crate::catalog::{Catalog, TableDef};
use crate::expr::{Expr, SessionInfo};

/// SQLSTATE 42P17 (invalid_object_definition).
const INVALID_OBJECT_DEFINITION: SqlState = SqlState::from_code("42P17");

/// Functions that are not volatile in our registry but whose result depends on the
/// transaction, the session or its settings (STABLE in PostgreSQL), so a generation
/// expression may not call them.
pub(crate) const NOT_IMMUTABLE: &[&str] = &[
    "now",
    "current_timestamp",
    "transaction_timestamp",
    "statement_timestamp",
    "current_date",
    "current_time",
    "localtime",
    "localtimestamp",
    "current_user",
    "session_user",
    "current_role",
    "user",
    "current_schema",
    "current_schemas",
    "current_database",
    "current_catalog",
    "current_setting",
    "to_char",
    "to_timestamp",
    "age",
    "timeofday",
    "pg_backend_pid",
    "inet_client_addr",
    "version",
];

/// Whether a cast's result depends on the session's TimeZone or DateStyle (casts
/// between text and the date/time types are STABLE in PostgreSQL).
pub(crate) fn stable_cast(from: &DataType, to: &DataType) -> bool {
    let datetime = |t: &DataType| {
        matches!(
            t,
            DataType::TimestampTz
                | DataType::Timestamp
                | DataType::Date
                | DataType::Time
                | DataType::TimeTz
                | DataType::Interval
        )
    };
    let textual =
        |t: &DataType| matches!(t, DataType::Text | DataType::Varchar(_) | DataType::Char(_));
    (textual(from) && datetime(to))
        || (datetime(from) && textual(to))
        || (matches!(from, DataType::TimestampTz) && datetime(to) && to != from)
        || (matches!(to, DataType::TimestampTz) && datetime(from) && to != from)
        // `time` → `timetz` takes the session zone's offset.
        || (matches!(to, DataType::TimeTz) && datetime(from) && to != from)
}

fn not_immutable() -> Error {
    Error::new(INVALID_OBJECT_DEFINITION, "generation expression is not immutable")
}

fn has_subquery(e: &ast::Expr) -> bool {
    use std::ops::ControlFlow;
    let mut found = false;
    let _ = ast::visit_expressions(e, |node: &ast::Expr| {
        if matches!(
            node,
            ast::Expr::Subquery(_)
                | ast::Expr::Exists { .. }
                | ast::Expr::In { target: ast::InTarget::Subquery(_), .. }
        ) {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// The bound expression of generated column `ci` of `table`, cast to the column type,
/// checked against PostgreSQL's rules.
pub fn bind_generated_column(
    binder: &mut Binder<'_>,
    table: &TableDef,
    ci: usize,
) -> Result<Option<Expr>> {
    let col = &table.columns[ci];
    let Some(text) = &col.generated else { return Ok(None) };
    let parsed = crate::parser::parse_expr(text)?;
    if has_subquery(&parsed) {
        return Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            "cannot use subquery in column generation expression",
        ));
    }
    let fields = table_row_fields(table);
    let bound = binder.bind_scalar(&parsed, &fields, Some("column generation expressions"))?;
    if bound.contains_window() {
        return Err(Error::new(
            SqlState::from_code("42P20"),
            "window functions are not allowed in column generation expressions",
        ));
    }
    let mut problem: Option<Error> = None;
    bound.walk(&mut |e| {
        if problem.is_some() {
            return;
        }
        match e {
            Expr::Column(i, _) => {
                if let Some(other) = table.columns.get(*i).filter(|c| c.generated.is_some()) {
                    problem = Some(
                        Error::new(
                            INVALID_OBJECT_DEFINITION,
                            format!(
                                "cannot use generated column \"{}\" in column generation expression",
                                other.name
                            ),
                        )
                        .with_detail("A generated column cannot reference another generated column."),
                    );
                }
            }
            Expr::Function { func, .. } if func.volatile || NOT_IMMUTABLE.contains(&func.name) => {
                problem = Some(not_immutable());
            }
            Expr::Cast { expr, to, .. } if stable_cast(&expr.data_type(), to) => {
                problem = Some(not_immutable());
            }
            Expr::Subquery { .. } | Expr::Param(..) => problem = Some(not_immutable()),
            _ => {}
        }
    });
    if let Some(e) = problem {
        return Err(e);
    }
    assignment_cast(binder, bound, &col.data_type, &col.name).map(Some)
}

/// The generated columns of `table` with their bound expressions, in column order.
pub fn bind_generated(
    catalog: &Catalog,
    info: &SessionInfo,
    table: &TableDef,
) -> Result<Vec<(usize, Expr)>> {
    let mut out = Vec::new();
    for ci in 0..table.columns.len() {
        if table.columns[ci].generated.is_none() {
            continue;
        }
        let mut binder = Binder::new(catalog, info, Vec::new());
        if let Some(e) = bind_generated_column(&mut binder, table, ci)? {
            out.push((ci, e));
        }
    }
    Ok(out)
}

/// 428C9 for a value written to a generated column (`insert` for INSERT's wording,
/// else UPDATE's).
pub fn write_to_generated(column: &str, insert: bool) -> Error {
    let message = if insert {
        format!("cannot insert a non-DEFAULT value into column \"{column}\"")
    } else {
        format!("column \"{column}\" can only be updated to DEFAULT")
    };
    Error::new(SqlState::from_code("428C9"), message)
        .with_detail(format!("Column \"{column}\" is a generated column."))
}

/// Renames column `old` to `new` inside a stored generation expression.
pub fn rename_in_expression(text: &str, old: &str, new: &str) -> Result<String> {
    use std::ops::ControlFlow;
    let mut parsed = crate::parser::parse_expr(text)?;
    let _ = ast::visit_expressions_mut(&mut parsed, |node: &mut ast::Expr| {
        if let ast::Expr::Identifier(id) = node {
            if crate::parser::ident_name(id) == old {
                // Quoted only when the name needs it, as PostgreSQL prints names.
                *id = if crate::functions::format::quote_ident(new) == new {
                    ast::Ident::new(new)
                } else {
                    ast::Ident::with_quote('"', new)
                };
            }
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(parsed.to_string())
}

/// A stored generation expression as PostgreSQL's deparser prints it where
/// `information_schema` shows it: an operator expression comes in parentheses.
pub fn display_expression(text: &str) -> String {
    match crate::parser::parse_expr(text) {
        Ok(ast::Expr::BinaryOp { .. } | ast::Expr::UnaryOp { .. }) => format!("({text})"),
        _ => text.to_string(),
    }
}

/// Whether a stored generation expression reads column `name`.
pub fn expression_reads(text: &str, name: &str) -> bool {
    use std::ops::ControlFlow;
    let Ok(parsed) = crate::parser::parse_expr(text) else { return true };
    let mut found = false;
    let _ = ast::visit_expressions(&parsed, |node: &ast::Expr| {
        let hit = match node {
            ast::Expr::Identifier(id) => crate::parser::ident_name(id) == name,
            ast::Expr::CompoundIdentifier(ids) => {
                ids.last().is_some_and(|id| crate::parser::ident_name(id) == name)
            }
            _ => false,
        };
        if hit {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_only_the_named_column() {
        let out = rename_in_expression("a * 2 + ab", "a", "x").expect("renames");
        assert_eq!(out, "x * 2 + ab");
        let out = rename_in_expression("a * 2", "a", "Big Name").expect("renames");
        assert_eq!(out, "\"Big Name\" * 2");
        assert!(expression_reads("upper(t.a)", "a"));
        assert!(!expression_reads("upper(ab)", "a"));
    }
}
