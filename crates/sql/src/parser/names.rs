//! PostgreSQL name rules for sqlparser identifiers.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

/// A possibly schema-qualified object name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    /// The schema, when written.
    pub schema: Option<String>,
    /// The object's own name.
    pub name: String,
}

/// The name an identifier stands for: unquoted identifiers fold to lower case.
pub fn ident_name(ident: &ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// The names of the WITH queries `q` defines (what an unqualified table name in it may
/// mean instead of a relation).
pub fn cte_names(q: &ast::Query) -> impl Iterator<Item = String> + '_ {
    q.with.iter().flat_map(|w| w.cte_tables.iter().map(|c| ident_name(&c.alias.name)))
}

/// Splits `[catalog.][schema.]name` into a [`QualifiedName`].
pub fn object_name(name: &ast::ObjectName) -> Result<QualifiedName> {
    let mut parts = Vec::with_capacity(name.0.len());
    for part in &name.0 {
        match part {
            ast::ObjectNamePart::Identifier(id) => parts.push(ident_name(id)),
            other => {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("improper qualified name: {other}"),
                ))
            }
        }
    }
    match parts.len() {
        1 => Ok(QualifiedName { schema: None, name: parts.remove(0) }),
        2 => {
            let name = parts.remove(1);
            Ok(QualifiedName { schema: Some(parts.remove(0)), name })
        }
        3 => {
            let name = parts.remove(2);
            let schema = parts.remove(1);
            Ok(QualifiedName { schema: Some(schema), name })
        }
        _ => Err(Error::new(
            SqlState::SYNTAX_ERROR,
            format!("improper qualified name (too many dotted names): {name}"),
        )),
    }
}
