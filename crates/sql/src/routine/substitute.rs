//! Replaces names of routine parameters and variables inside a SQL statement by
//! statement parameters (`$n`), so the ordinary binder types and checks them.
//!
//! Unqualified identifiers and two-part names (`NEW.col`, `rec.field`) are offered to
//! the resolver, as are `$n` references to a routine's own parameters; whatever it
//! does not claim stays a column reference. A variable therefore wins over a column
//! of the same name (PostgreSQL reports such a name as ambiguous).

use std::ops::ControlFlow;

use helios_common::Result;
use sqlparser::ast;

/// Rewrites `stmt`; `resolve` gets the lower-cased name parts and returns the
/// 0-based parameter index standing for them, or `None` to leave the name alone.
pub fn substitute(
    stmt: &mut ast::Statement,
    resolve: &mut dyn FnMut(&[String]) -> Result<Option<usize>>,
) -> Result<()> {
    let mut failed = None;
    let _ = ast::visit_expressions_mut(stmt, |e| {
        let parts: Option<Vec<String>> = match e {
            ast::Expr::Identifier(id) => Some(vec![crate::parser::ident_name(id)]),
            ast::Expr::CompoundIdentifier(ids) if ids.len() == 2 => {
                Some(ids.iter().map(crate::parser::ident_name).collect())
            }
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Placeholder(p) if p.starts_with('$') => Some(vec![p.clone()]),
                _ => None,
            },
            _ => None,
        };
        if let Some(parts) = parts {
            match resolve(&parts) {
                Ok(Some(i)) => {
                    *e = ast::Expr::Value(
                        ast::Value::Placeholder(format!("${}", i + 1)).with_empty_span(),
                    );
                }
                Ok(None) => {}
                Err(err) => {
                    failed = Some(err);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
