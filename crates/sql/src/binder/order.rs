//! ORDER BY helpers: ordinals, output-name references and sort options.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use crate::expr::Expr;
use crate::parser::ident_name;
use crate::planner::{Field, SortKey};

/// If `e` is an integer literal (ordinal) or a bare name of an output column, the
/// output column it refers to.
pub fn output_ordinal(e: &ast::Expr, output: &[Field]) -> Result<Option<usize>> {
    if let Some(n) = ordinal(e) {
        let visible: Vec<usize> = (0..output.len()).filter(|i| !output[*i].hidden).collect();
        return match visible.get(n.wrapping_sub(1)) {
            Some(i) if n >= 1 => Ok(Some(*i)),
            _ => Err(Error::new(
                SqlState::INVALID_COLUMN_REFERENCE,
                format!("ORDER BY position {n} is not in select list"),
            )),
        };
    }
    if let ast::Expr::Identifier(id) = e {
        let name = ident_name(id);
        let hits: Vec<usize> =
            (0..output.len()).filter(|i| !output[*i].hidden && output[*i].name == name).collect();
        if hits.len() > 1 {
            return Err(Error::new(
                SqlState::AMBIGUOUS_COLUMN,
                format!("ORDER BY \"{name}\" is ambiguous"),
            ));
        }
        return Ok(hits.first().copied());
    }
    Ok(None)
}

/// The value of an unsigned integer literal.
pub fn ordinal(e: &ast::Expr) -> Option<usize> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// A sort key with PostgreSQL's defaults (NULLS LAST for ASC, FIRST for DESC).
pub fn sort_key(expr: Expr, options: &ast::OrderByOptions) -> Result<SortKey> {
    let asc = ascending(options)?;
    let nulls_first = options.nulls_first.unwrap_or(!asc);
    Ok(SortKey { expr, asc, nulls_first })
}

/// Whether ASC, DESC or `USING op` sorts ascending: `USING <` is ASC and `USING >`
/// DESC (and their NULLS defaults); other operators cannot order (42809).
pub fn ascending(options: &ast::OrderByOptions) -> Result<bool> {
    match &options.sort {
        None | Some(ast::OrderBySort::Asc) => Ok(true),
        Some(ast::OrderBySort::Desc) => Ok(false),
        Some(ast::OrderBySort::Using(op)) => {
            let name = op.0.last().map(|p| p.to_string()).unwrap_or_default();
            match name.as_str() {
                "<" => Ok(true),
                ">" => Ok(false),
                _ => Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("operator {name} is not a valid ordering operator"),
                )
                .with_hint(
                    "Ordering operators must be \"<\" or \">\" members of btree operator families.",
                )),
            }
        }
    }
}
