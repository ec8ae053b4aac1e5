//! LANGUAGE sql: the body's statements run in turn; the last one gives the result.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::Value;

use super::host::{Outcome, RuntimeHost, StatementHost};
use super::runtime::shape_result;
use super::substitute::substitute;
use super::Runtime;
use crate::catalog::FunctionDef;
use crate::exec::{Row, TxnRef};
use crate::parser::Statement;

/// Parses a SQL body into its statements (42601 on a syntax error, 0A000 for
/// statements a SQL function cannot hold).
pub fn parse_body(body: &str) -> Result<Vec<sqlparser::ast::Statement>> {
    let mut out = Vec::new();
    for s in crate::parser::parse(body)? {
        match s {
            Statement::Sql(s) => out.push(*s),
            _ => {
                return Err(Error::unsupported("this statement in a SQL function"));
            }
        }
    }
    Ok(out)
}

/// Calls a SQL function.
pub fn call(
    rt: &Runtime<'_>,
    txn: TxnRef<'_>,
    func: &Arc<FunctionDef>,
    args: Vec<Value>,
) -> Result<Vec<Row>> {
    let stmts = rt.sql_body(func)?;
    // Polymorphic parameters take the types the (non-NULL) arguments determine; a NULL
    // argument takes its parameter's type from the others, else text.
    let declared = func.arg_types();
    let types: Vec<_> = if crate::expr::polymorphic::is_polymorphic(&declared) {
        let actual: Vec<_> = args
            .iter()
            .map(|v| if v.is_null() { helios_types::DataType::Unknown } else { v.data_type() })
            .collect();
        let inst = crate::expr::polymorphic::instantiate(&declared, &actual);
        declared
            .iter()
            .map(|t| match t {
                helios_types::DataType::Pseudo(_) => inst
                    .as_ref()
                    .and_then(|i| i.concrete(t))
                    .unwrap_or(helios_types::DataType::Text),
                other => other.clone(),
            })
            .collect()
    } else {
        declared
    };
    let names: Vec<Option<String>> = func.params.iter().map(|p| p.name.clone()).collect();
    let mut host = RuntimeHost { rt, txn };
    let mut last = Outcome::default();
    for stmt in stmts.iter() {
        let mut stmt = stmt.clone();
        substitute(&mut stmt, &mut |parts| {
            Ok(match parts {
                [one] => match one.strip_prefix('$') {
                    Some(n) => n
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 1 && *n <= names.len())
                        .map(|n| n - 1),
                    None => names.iter().position(|n| n.as_deref() == Some(one.as_str())),
                },
                [f, one] if *f == func.name => {
                    names.iter().position(|n| n.as_deref() == Some(one.as_str()))
                }
                _ => None,
            })
        })?;
        last = host.run(&stmt, &args, &types)?;
    }
    if !matches!(func.returns, crate::catalog::routine_defs::Returns::Void)
        && last.columns.is_empty()
    {
        return Err(Error::new(
            SqlState::from_code("42P13"),
            format!(
                "return type mismatch in function declared to return {}",
                crate::expr::types::pg_type_name(&func.result_type())
            ),
        )
        .with_detail(
            "Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING.",
        ));
    }
    shape_result(func, last.rows)
}
