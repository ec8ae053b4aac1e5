//! CREATE TABLE clauses beyond the column list: `LIKE source [INCLUDING | EXCLUDING
//! DEFAULTS]` copies another table's columns, and the PostgreSQL clauses we do not build
//! (inheritance) are refused with 0A000 rather than silently ignored. ON
//! COMMIT actions are carried out by `temp_schema.rs`.

use std::borrow::Cow;

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use crate::catalog::{Catalog, Relation};
use crate::parser::{self, object_name};

/// `ct` with a LIKE clause replaced by the columns it copies (names, types and NOT
/// NULL; defaults with INCLUDING DEFAULTS), after refusing the clauses we lack.
pub(super) fn expand<'c>(
    catalog: &Catalog,
    search_path: &[String],
    ct: &'c ast::CreateTable,
) -> Result<Cow<'c, ast::CreateTable>> {
    if ct.inherits.is_some() {
        return Err(Error::unsupported("table inheritance (INHERITS)"));
    }
    if ct.on_commit.is_some() && !ct.temporary {
        return Err(Error::new(
            SqlState::INVALID_TABLE_DEFINITION,
            "ON COMMIT can only be used on temporary tables",
        ));
    }
    let like = match &ct.like {
        None => return Ok(Cow::Borrowed(ct)),
        Some(ast::CreateTableLikeKind::Parenthesized(l) | ast::CreateTableLikeKind::Plain(l)) => l,
    };
    let source = object_name(&like.name)?;
    let table = match catalog.resolve(source.schema.as_deref(), &source.name, search_path) {
        Some((_, Relation::Table(id))) => catalog.table(id),
        _ => None,
    }
    .ok_or_else(|| {
        Error::new(
            SqlState::UNDEFINED_TABLE,
            format!("relation \"{}\" does not exist", source.name),
        )
    })?;
    let defaults = matches!(like.defaults, Some(ast::CreateTableLikeDefaults::Including));
    let mut columns = Vec::with_capacity(table.columns.len() + ct.columns.len());
    for c in &table.columns {
        let mut options = Vec::new();
        if c.not_null {
            options.push(option(ast::ColumnOption::NotNull));
        }
        if let (true, Some(text)) = (defaults, &c.default) {
            options.push(option(ast::ColumnOption::Default(parser::parse_expr(text)?)));
        }
        columns.push(ast::ColumnDef {
            name: ast::Ident::with_quote('"', c.name.clone()),
            data_type: parser::parse_data_type(&c.data_type.to_string())?,
            options,
        });
    }
    columns.extend(ct.columns.iter().cloned());
    let mut expanded = ct.clone();
    expanded.like = None;
    expanded.columns = columns;
    Ok(Cow::Owned(expanded))
}

fn option(option: ast::ColumnOption) -> ast::ColumnOptionDef {
    ast::ColumnOptionDef { name: None, option }
}
