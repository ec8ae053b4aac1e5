//! A fixed [`ExprScope`]: a list of named columns and declared parameter types, no
//! subqueries. Useful for expressions bound outside a query (column defaults, CHECK
//! constraints, constant folding) and for tests.

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::expr::context::{ExprScope, SessionInfo, SimpleContext};
use crate::expr::node::{SubqueryId, SubqueryKind};
use crate::expr::{bind_expr, Expr};

/// One column visible to a [`StaticScope`].
#[derive(Clone, Debug, PartialEq)]
pub struct ScopeColumn {
    /// Table name or alias that qualifies the column, if any.
    pub qualifier: Option<String>,
    /// Column name (already case-folded).
    pub name: String,
    /// Column type.
    pub data_type: DataType,
}

/// An [`ExprScope`] over a fixed column list.
#[derive(Clone, Debug, Default)]
pub struct StaticScope {
    /// Columns in input-row order.
    pub columns: Vec<ScopeColumn>,
    /// Parameter types (`$1` is index 0); missing entries are inferred from context and
    /// recorded here.
    pub params: Vec<DataType>,
    /// Session facts.
    pub session: SessionInfo,
}

impl StaticScope {
    /// A scope with unqualified columns `(name, type)`.
    pub fn with_columns(cols: &[(&str, DataType)]) -> StaticScope {
        StaticScope {
            columns: cols
                .iter()
                .map(|(n, t)| ScopeColumn {
                    qualifier: None,
                    name: (*n).to_string(),
                    data_type: t.clone(),
                })
                .collect(),
            ..StaticScope::default()
        }
    }
}

impl ExprScope for StaticScope {
    fn resolve_column(&self, qualifier: Option<&str>, name: &str) -> Result<(usize, DataType)> {
        let mut found = self.columns.iter().enumerate().filter(|(_, c)| {
            c.name == name && (qualifier.is_none() || c.qualifier.as_deref() == qualifier)
        });
        match (found.next(), found.next()) {
            (Some((i, c)), None) => Ok((i, c.data_type.clone())),
            (Some(_), Some(_)) => Err(Error::new(
                SqlState::AMBIGUOUS_COLUMN,
                format!("column reference \"{name}\" is ambiguous"),
            )),
            (None, _) => Err(match qualifier {
                Some(q) if !self.columns.iter().any(|c| c.qualifier.as_deref() == Some(q)) => {
                    Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("missing FROM-clause entry for table \"{q}\""),
                    )
                }
                Some(q) => Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column {q}.{name} does not exist"),
                ),
                None => Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column \"{name}\" does not exist"),
                ),
            }),
        }
    }

    fn bind_subquery(
        &mut self,
        _query: &ast::Query,
        _kind: SubqueryKind,
    ) -> Result<(SubqueryId, Vec<DataType>)> {
        Err(Error::new(SqlState::FEATURE_NOT_SUPPORTED, "cannot use subquery in this context"))
    }

    fn param_type(&mut self, index: usize, hint: Option<&DataType>) -> Result<DataType> {
        if self.params.len() <= index {
            self.params.resize(index + 1, DataType::Unknown);
        }
        if self.params[index] == DataType::Unknown {
            if let Some(h) = hint {
                self.params[index] = h.clone();
            }
        }
        Ok(self.params[index].clone())
    }

    fn session(&self) -> &SessionInfo {
        &self.session
    }
}

/// Parses one SQL expression with the PostgreSQL dialect.
/// Errors: 42601 syntax error.
pub fn parse_expr(sql: &str) -> Result<ast::Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::new(SqlState::SYNTAX_ERROR, e.to_string()))
}

/// Parses and binds an expression against `scope`.
pub fn bind_sql(sql: &str, scope: &mut dyn ExprScope) -> Result<Expr> {
    bind_expr(&parse_expr(sql)?, scope)
}

/// Parses, binds and evaluates a constant expression (no columns), returning its value
/// and type. Bare unknown literals resolve to text as in a select list.
pub fn eval_constant(sql: &str) -> Result<(helios_types::Value, DataType)> {
    let mut scope = StaticScope::default();
    let e = bind_sql(sql, &mut scope)?;
    let e = crate::expr::resolve_unknown(e, &mut scope)?;
    let ctx = SimpleContext::default();
    Ok((e.eval(&[], &ctx)?, e.data_type()))
}
