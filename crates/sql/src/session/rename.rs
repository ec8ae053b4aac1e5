//! `ALTER VIEW` (rename, rename column, owner) and `ALTER INDEX ... RENAME TO`.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::ddl::already_exists;
use super::privileges::Owned;
use super::{Session, StatementResult};
use crate::catalog::{CatalogStore, Relation};
use crate::parser::{ident_name, object_name};

impl Session {
    /// `ALTER [MATERIALIZED] VIEW [IF EXISTS] name RENAME TO | RENAME COLUMN | OWNER TO`.
    pub(super) fn alter_view(&mut self, a: &ast::AlterView) -> Result<StatementResult> {
        let tag = if a.materialized { "ALTER MATERIALIZED VIEW" } else { "ALTER VIEW" };
        let (catalog, _) = self.ddl_parts()?;
        let qn = object_name(&a.name)?;
        let search_path = self.settings.search_path();
        let found = catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path);
        let kind = if a.materialized { "materialized view" } else { "view" };
        let rel = match found {
            Some((_, Relation::View(id))) if !a.materialized => Relation::View(id),
            Some((_, Relation::Table(id)))
                if a.materialized && catalog.table(id).is_some_and(|t| t.matview.is_some()) =>
            {
                Relation::Table(id)
            }
            Some(_) => {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("\"{}\" is not a {kind}", qn.name),
                ))
            }
            None if a.if_exists => return Ok(StatementResult::command(tag)),
            None => {
                return Err(Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{}\" does not exist", qn.name),
                ))
            }
        };
        let owned = match rel {
            Relation::View(id) => catalog.views.get(&id).map(|v| Owned::View(v.as_ref().clone())),
            Relation::Table(id) => catalog.table(id).map(|t| Owned::Table(t.as_ref().clone())),
            _ => None,
        }
        .ok_or_else(|| Error::internal("view vanished"))?;
        if let ast::AlterViewOperation::OwnerTo(owner) = &a.operation {
            self.alter_owner(&catalog, owned, owner)?;
            self.bump_version()?;
            return Ok(StatementResult::command(tag));
        }
        let (schema, owner, name) = match &owned {
            Owned::View(v) => (v.schema.clone(), v.access.owner, v.name.clone()),
            Owned::Table(t) => (t.schema.clone(), t.access.owner, t.name.clone()),
            _ => return Err(Error::internal("not a view")),
        };
        self.require_owner(&catalog, owner, kind, &name)?;
        match (&a.operation, owned) {
            (ast::AlterViewOperation::RenameTo { new_name }, _) => {
                self.rename_relation(&catalog, &schema, rel, new_name)?;
            }
            (
                ast::AlterViewOperation::RenameColumn { old_column_name, new_column_name },
                Owned::View(mut v),
            ) => {
                let (old, new) = (ident_name(old_column_name), ident_name(new_column_name));
                if v.columns.contains(&new) {
                    return Err(Error::new(
                        SqlState::DUPLICATE_COLUMN,
                        format!("column \"{new}\" of relation \"{}\" already exists", v.name),
                    ));
                }
                let Some(pos) = v.columns.iter().position(|c| *c == old) else {
                    return Err(Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!("column \"{old}\" does not exist"),
                    ));
                };
                v.columns[pos] = new;
                let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                CatalogStore::put_view(txn, &v)?;
            }
            (other, _) => return Err(Error::unsupported(format!("{tag} {}", op_words(other)))),
        }
        self.bump_version()?;
        Ok(StatementResult::command(tag))
    }

    /// `ALTER INDEX [IF EXISTS] name RENAME TO new` (a constraint's index renames the
    /// constraint with it, as in PostgreSQL).
    pub(super) fn alter_index(
        &mut self,
        name: &ast::ObjectName,
        op: &ast::AlterIndexOperation,
    ) -> Result<StatementResult> {
        let ast::AlterIndexOperation::RenameIndex { index_name } = op;
        let (catalog, _) = self.ddl_parts()?;
        let qn = object_name(name)?;
        let search_path = self.settings.search_path();
        let (table_id, index_id) =
            match catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path) {
                Some((_, Relation::Index(t, i))) => (t, i),
                // PostgreSQL renames any relation through ALTER INDEX.
                Some((schema, rel)) => {
                    self.rename_relation(&catalog, &schema, rel, index_name)?;
                    self.bump_version()?;
                    return Ok(StatementResult::command("ALTER INDEX"));
                }
                None => {
                    return Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("relation \"{}\" does not exist", qn.name),
                    ))
                }
            };
        let mut t = catalog
            .table(table_id)
            .map(|t| t.as_ref().clone())
            .ok_or_else(|| Error::internal("table vanished"))?;
        self.require_owner(&catalog, t.access.owner, "index", &qn.name)?;
        let new = object_name(index_name)?.name;
        if catalog.relation(&t.schema, &new).is_some() {
            return Err(already_exists(&new));
        }
        if let Some(i) = t.indexes.iter_mut().find(|i| i.id == index_id) {
            i.name = new;
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_table(txn, &t)?;
        self.bump_version()?;
        Ok(StatementResult::command("ALTER INDEX"))
    }
}

impl Session {
    /// Renames a table (materialized views included), view or sequence, which the
    /// current role must own (ALTER VIEW, and ALTER INDEX on such relations as
    /// PostgreSQL allows).
    fn rename_relation(
        &mut self,
        catalog: &crate::catalog::Catalog,
        schema: &str,
        rel: Relation,
        new_name: &ast::ObjectName,
    ) -> Result<()> {
        let new = object_name(new_name)?.name;
        if catalog.relation(schema, &new).is_some() {
            return Err(already_exists(&new));
        }
        match rel {
            Relation::Table(id) => {
                let mut t = catalog
                    .table(id)
                    .map(|t| t.as_ref().clone())
                    .ok_or_else(|| Error::internal("table"))?;
                self.require_table_owner(catalog, &t)?;
                self.rename_in_views(catalog, id, &new)?;
                t.name = new;
                let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                CatalogStore::put_table(txn, &t)?;
            }
            Relation::View(id) => {
                let mut v = catalog
                    .views
                    .get(&id)
                    .map(|v| v.as_ref().clone())
                    .ok_or_else(|| Error::internal("view"))?;
                self.require_owner(catalog, v.access.owner, "view", &v.name)?;
                self.rename_in_views(catalog, id, &new)?;
                v.name = new;
                let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                CatalogStore::put_view(txn, &v)?;
            }
            Relation::Sequence(id) => {
                let mut s = catalog
                    .sequences
                    .get(&id)
                    .map(|s| s.as_ref().clone())
                    .ok_or_else(|| Error::internal("sequence"))?;
                self.require_owner(catalog, s.access.owner, "sequence", &s.name)?;
                s.name = new;
                let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                CatalogStore::put_sequence(txn, &s)?;
            }
            Relation::Index(..) => return Err(Error::internal("index renamed as a relation")),
        }
        Ok(())
    }
}

/// The first words of an ALTER VIEW operation, for the 0A000 message.
fn op_words(op: &ast::AlterViewOperation) -> String {
    op.to_string().split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}
