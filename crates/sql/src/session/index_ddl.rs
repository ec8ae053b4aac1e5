//! The key list and predicate of `CREATE INDEX`: plain columns, key expressions
//! (`(a + b)`, `lower(email)`) and the `WHERE` predicate of a partial index, checked by
//! PostgreSQL's rules and turned into the catalog's text form
//! ([`crate::catalog::index_exprs`]).

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

use crate::catalog::index_exprs::{bind_ast, check_index_expr, expr_text, IndexPart};
use crate::catalog::TableDef;
use crate::expr::Expr;
use crate::parser::ident_name;

/// What `CREATE INDEX` indexes, ready for an [`crate::catalog::IndexDef`].
pub(super) struct IndexKeys {
    /// Per key: the column, or the first column an expression reads.
    pub columns: Vec<usize>,
    /// Per key: the expression text (empty when every key is a column).
    pub expressions: Vec<Option<String>>,
    /// The predicate text of a partial index.
    pub predicate: Option<String>,
    /// Per key: the name part of a generated index name (`lower`, `expr`, the column).
    pub names: Vec<String>,
}

/// The keys and predicate of `ci` over `table`.
pub(super) fn index_keys(table: &TableDef, ci: &ast::CreateIndex) -> Result<IndexKeys> {
    let mut keys = IndexKeys {
        columns: Vec::new(),
        expressions: Vec::new(),
        predicate: None,
        names: Vec::new(),
    };
    for c in &ci.columns {
        // The engine compares text by bytes whatever the collation (as expressions do
        // elsewhere), so `a COLLATE "C"` indexes the column `a`.
        let key = match &c.column.expr {
            ast::Expr::Collate { expr, .. } if matches!(**expr, ast::Expr::Identifier(_)) => {
                expr.as_ref()
            }
            other => other,
        };
        let (pos, ty, expr, name) = match key {
            ast::Expr::Identifier(id) => {
                let n = ident_name(id);
                let pos = table.column_index(&n).ok_or_else(|| {
                    Error::new(SqlState::UNDEFINED_COLUMN, format!("column \"{n}\" does not exist"))
                })?;
                (pos, table.columns[pos].data_type.clone(), None, n)
            }
            e @ (ast::Expr::Nested(_) | ast::Expr::Function(_)) => {
                let inner = strip_parens(e);
                if let ast::Expr::Identifier(id) = inner {
                    // `((a))` is the column `a`, as in PostgreSQL.
                    let n = ident_name(id);
                    let pos = table.column_index(&n).ok_or_else(|| {
                        Error::new(
                            SqlState::UNDEFINED_COLUMN,
                            format!("column \"{n}\" does not exist"),
                        )
                    })?;
                    (pos, table.columns[pos].data_type.clone(), None, n)
                } else {
                    let bound = bind_ast(table, inner, IndexPart::Expression)?;
                    check_index_expr(&bound, IndexPart::Expression)?;
                    let name = match inner {
                        ast::Expr::Function(f) => f
                            .name
                            .0
                            .last()
                            .and_then(|p| p.as_ident())
                            .map_or_else(|| "expr".to_string(), ident_name),
                        _ => "expr".to_string(),
                    };
                    (first_column(&bound), bound.data_type(), Some(expr_text(table, &bound)), name)
                }
            }
            other => {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!(
                        "syntax error at or near \"{other}\": an index expression needs \
                         parentheses"
                    ),
                ))
            }
        };
        if !ty.is_indexable() {
            return Err(no_operator_class(&ty));
        }
        keys.columns.push(pos);
        keys.expressions.push(expr);
        keys.names.push(name);
    }
    if keys.expressions.iter().all(Option::is_none) {
        keys.expressions.clear();
    }
    if let Some(p) = &ci.predicate {
        let bound = bind_ast(table, p, IndexPart::Predicate)?;
        check_index_expr(&bound, IndexPart::Predicate)?;
        keys.predicate = Some(expr_text(table, &bound));
    }
    Ok(keys)
}

fn strip_parens(mut e: &ast::Expr) -> &ast::Expr {
    while let ast::Expr::Nested(inner) = e {
        e = inner;
    }
    e
}

/// The first table column an expression reads (0 when it reads none).
fn first_column(e: &Expr) -> usize {
    let mut first = None;
    e.walk(&mut |n| {
        if let (None, Expr::Column(i, _)) = (first, n) {
            first = Some(*i);
        }
    });
    first.unwrap_or(0)
}

fn no_operator_class(ty: &DataType) -> Error {
    Error::new(
        SqlState::UNDEFINED_OBJECT,
        format!("data type {ty} has no default operator class for access method \"btree\""),
    )
}
