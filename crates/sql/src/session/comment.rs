//! `COMMENT ON TABLE | MATERIALIZED VIEW | VIEW | INDEX | SEQUENCE | COLUMN | SCHEMA name IS
//! 'text' | NULL`: the text
//! is kept in the object's catalog record (transactional like other DDL) and shown by
//! `pg_description`, `obj_description` and `col_description` (so psql's `\d+` and
//! `\dt+`). An empty text removes the comment, as in PostgreSQL. Comments on other kinds
//! of object are refused with 0A000.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::catalog::{CatalogStore, Relation, TableDef, ViewDef};
use crate::parser::{ident_name, object_name};

impl Session {
    pub(super) fn comment_on(
        &mut self,
        kind: ast::CommentObject,
        name: &ast::ObjectName,
        comment: Option<&str>,
    ) -> Result<StatementResult> {
        let text = comment.filter(|c| !c.is_empty()).map(str::to_string);
        let search_path = self.settings.search_path();
        let (catalog, _) = self.ddl_parts()?;
        if kind == ast::CommentObject::Schema {
            let schema_name = object_name(name)?.name;
            let mut schema = catalog.schemas.get(&schema_name).cloned().ok_or_else(|| {
                Error::new(
                    SqlState::INVALID_SCHEMA_NAME,
                    format!("schema \"{schema_name}\" does not exist"),
                )
            })?;
            self.require_owner(&catalog, schema.access.owner, "schema", &schema.name)?;
            schema.comment = text;
            let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
            CatalogStore::put_schema(txn, &schema)?;
            self.bump_version()?;
            return Ok(StatementResult::command("COMMENT"));
        }
        // COMMENT ON COLUMN names `[schema.]table.column`.
        let (relation_name, column) = match kind {
            ast::CommentObject::Column => {
                let mut parts = name.0.clone();
                let col = parts.pop().and_then(|p| p.as_ident().map(ident_name));
                match (col, parts.is_empty()) {
                    (Some(c), false) => (ast::ObjectName(parts), Some(c)),
                    _ => {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            "column name must be qualified",
                        ))
                    }
                }
            }
            ast::CommentObject::Table
            | ast::CommentObject::View
            | ast::CommentObject::MaterializedView
            | ast::CommentObject::Index
            | ast::CommentObject::Sequence => (name.clone(), None),
            other => return Err(Error::unsupported(format!("COMMENT ON {other}"))),
        };
        let qn = object_name(&relation_name)?;
        let rel = catalog
            .resolve(qn.schema.as_deref(), &qn.name, &search_path)
            .map(|(_, r)| r)
            .ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{}\" does not exist", qn.name),
                )
            })?;
        match rel {
            Relation::View(id) => {
                if let Some(v) = catalog.views.get(&id) {
                    self.require_owner(&catalog, v.access.owner, "view", &v.name)?;
                }
            }
            Relation::Table(id) | Relation::Index(id, _) => {
                if let Some(t) = catalog.table(id) {
                    self.require_table_owner(&catalog, t)?;
                }
            }
            Relation::Sequence(id) => {
                if let Some(q) = catalog.sequences.get(&id) {
                    self.require_owner(&catalog, q.access.owner, "sequence", &q.name)?;
                }
            }
        }
        let wrong = |what: &str| {
            let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{}\" is not {article} {what}", qn.name),
            ))
        };
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        match (kind, rel) {
            (ast::CommentObject::Index, Relation::Index(table, index)) => {
                let mut t = catalog
                    .table(table)
                    .map(|t| TableDef::clone(t))
                    .ok_or_else(|| Error::internal("table vanished"))?;
                let i = t
                    .indexes
                    .iter_mut()
                    .find(|i| i.id == index)
                    .ok_or_else(|| Error::internal("index vanished"))?;
                i.comment = text;
                CatalogStore::put_table(txn, &t)?;
            }
            (ast::CommentObject::Index, _) => return wrong("index"),
            (ast::CommentObject::Sequence, Relation::Sequence(id)) => {
                let mut q = catalog
                    .sequences
                    .get(&id)
                    .map(|q| q.as_ref().clone())
                    .ok_or_else(|| Error::internal("sequence vanished"))?;
                q.comment = text;
                CatalogStore::put_sequence(txn, &q)?;
            }
            (ast::CommentObject::Sequence, _) => return wrong("sequence"),
            (ast::CommentObject::View, Relation::View(id)) => {
                let v = catalog.views.get(&id).ok_or_else(|| Error::internal("view vanished"))?;
                CatalogStore::put_view(txn, &ViewDef { comment: text, ..v.as_ref().clone() })?;
            }
            (ast::CommentObject::View, _) => return wrong("view"),
            (_, Relation::Table(id)) => {
                let t = catalog.table(id).ok_or_else(|| Error::internal("table vanished"))?;
                let matview = t.matview.is_some();
                let mut t = TableDef::clone(t);
                match (kind, column) {
                    (ast::CommentObject::Column, Some(col)) => {
                        if t.column_index(&col).is_none() {
                            return Err(Error::new(
                                SqlState::UNDEFINED_COLUMN,
                                format!(
                                    "column \"{col}\" of relation \"{}\" does not exist",
                                    t.name
                                ),
                            ));
                        }
                        match text {
                            Some(c) => t.column_comments.insert(col, c),
                            None => t.column_comments.remove(&col),
                        };
                    }
                    (ast::CommentObject::MaterializedView, _) if !matview => {
                        return wrong("materialized view")
                    }
                    (ast::CommentObject::Table, _) if matview => return wrong("table"),
                    _ => t.comment = text,
                }
                CatalogStore::put_table(txn, &t)?;
            }
            (ast::CommentObject::Column, Relation::View(_)) => {
                return Err(Error::unsupported("COMMENT ON COLUMN of a view"))
            }
            (ast::CommentObject::MaterializedView, _) => return wrong("materialized view"),
            _ => return wrong("table"),
        }
        self.bump_version()?;
        Ok(StatementResult::command("COMMENT"))
    }
}
