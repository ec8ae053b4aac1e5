//! `ALTER SCHEMA s RENAME TO t` and `ALTER TABLE | SEQUENCE | VIEW | MATERIALIZED VIEW
//! name SET SCHEMA s`.
//!
//! Catalog records name their schema as text, so a schema rename rewrites every record
//! of the schema, and moving a relation rewrites its record (a table takes its indexes
//! and the sequences its columns own along, as in PostgreSQL). Views keep their query as
//! SQL text: the views that name a moved table or view name it in its new schema
//! (`session/view_deps.rs`). Column defaults keep theirs: one that names a moved
//! sequence by its old qualified name stops working (PostgreSQL's follow it by OID).

use helios_common::{Error, Result, SqlState};

use super::temp_schema::is_temp_schema;
use super::Session;
use crate::catalog::{Catalog, CatalogStore, Relation, SchemaDef};

fn undefined_schema(name: &str) -> Error {
    Error::new(SqlState::INVALID_SCHEMA_NAME, format!("schema \"{name}\" does not exist"))
}

impl Session {
    /// Renames schema `schema` to `new`.
    pub(super) fn rename_schema(
        &mut self,
        catalog: &Catalog,
        schema: &SchemaDef,
        new: &str,
    ) -> Result<()> {
        self.require_owner(catalog, schema.access.owner, "schema", &schema.name)?;
        if catalog.schemas.contains_key(new) {
            return Err(Error::new(
                SqlState::DUPLICATE_SCHEMA,
                format!("schema \"{new}\" already exists"),
            ));
        }
        if new.starts_with("pg_") {
            return Err(Error::new(
                SqlState::RESERVED_NAME,
                format!("unacceptable schema name \"{new}\""),
            )
            .with_detail("The prefix \"pg_\" is reserved for system schemas."));
        }
        if is_temp_schema(&schema.name) {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("cannot rename schema \"{}\"", schema.name),
            ));
        }
        let old = schema.name.clone();
        // Views that name what the schema holds by its old qualified name name it anew.
        let moved: Vec<u32> = catalog
            .tables
            .values()
            .filter(|t| t.schema == old)
            .map(|t| t.id)
            .chain(catalog.views.values().filter(|v| v.schema == old).map(|v| v.id))
            .collect();
        let mut queries = self.view_queries_after_move(catalog, &moved, new)?;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let mut s = schema.clone();
        s.name = new.to_string();
        CatalogStore::put_schema(txn, &s)?;
        for t in catalog.tables.values() {
            let query = queries.remove(&t.id);
            if t.schema != old && query.is_none() {
                continue;
            }
            let mut t = t.as_ref().clone();
            if t.schema == old {
                t.schema = new.to_string();
            }
            if let (Some(m), Some(q)) = (t.matview.as_mut(), query) {
                m.query = q;
            }
            CatalogStore::put_table(txn, &t)?;
        }
        for q in catalog.sequences.values().filter(|q| q.schema == old) {
            let mut q = q.as_ref().clone();
            q.schema = new.to_string();
            CatalogStore::put_sequence(txn, &q)?;
        }
        for v in catalog.views.values() {
            let query = queries.remove(&v.id);
            if v.schema != old && query.is_none() {
                continue;
            }
            let mut v = v.as_ref().clone();
            if v.schema == old {
                v.schema = new.to_string();
            }
            if let Some(q) = query {
                v.query = q;
            }
            CatalogStore::put_view(txn, &v)?;
        }
        for e in catalog.extensions.values().filter(|e| e.schema == old) {
            let mut e = e.clone();
            e.schema = new.to_string();
            CatalogStore::put_extension(txn, &e)?;
        }
        Ok(())
    }

    /// Moves relation `rel` (in schema `from`) to schema `to`.
    pub(super) fn set_relation_schema(
        &mut self,
        catalog: &Catalog,
        from: &str,
        rel: Relation,
        to: &str,
    ) -> Result<()> {
        if !catalog.schemas.contains_key(to) {
            return Err(undefined_schema(to));
        }
        let (owner, name) = match rel {
            Relation::Table(id) => catalog.table(id).map(|t| (t.access.owner, t.name.clone())),
            Relation::Sequence(id) => {
                catalog.sequences.get(&id).map(|s| (s.access.owner, s.name.clone()))
            }
            Relation::View(id) => catalog.views.get(&id).map(|v| (v.access.owner, v.name.clone())),
            _ => None,
        }
        .ok_or_else(|| Error::unsupported("ALTER ... SET SCHEMA of this relation"))?;
        let kind = match rel {
            Relation::Sequence(_) => "sequence",
            Relation::View(_) => "view",
            _ => "table",
        };
        self.require_owner(catalog, owner, kind, &name)?;
        if from == to {
            return Ok(());
        }
        if is_temp_schema(from) || is_temp_schema(to) {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "cannot move objects into or out of temporary schemas",
            ));
        }
        self.require_create_in(catalog, to)?;
        let taken = |n: &str| -> Result<()> {
            if catalog.relation(to, n).is_some() {
                return Err(Error::new(
                    SqlState::DUPLICATE_TABLE,
                    format!("relation \"{n}\" already exists in schema \"{to}\""),
                ));
            }
            Ok(())
        };
        taken(&name)?;
        if let Relation::Table(id) | Relation::View(id) = rel {
            self.move_in_views(catalog, id, &name, to)?;
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        match rel {
            Relation::Table(id) => {
                let mut t = catalog
                    .table(id)
                    .map(|t| t.as_ref().clone())
                    .ok_or_else(|| Error::internal("table vanished"))?;
                for i in &t.indexes {
                    taken(&i.name)?;
                }
                let owned: Vec<_> = catalog
                    .sequences
                    .values()
                    .filter(|s| s.owned_by.as_ref().is_some_and(|o| o.0 == id))
                    .collect();
                for s in &owned {
                    taken(&s.name)?;
                }
                t.schema = to.to_string();
                CatalogStore::put_table(txn, &t)?;
                for s in owned {
                    let mut s = s.as_ref().clone();
                    s.schema = to.to_string();
                    CatalogStore::put_sequence(txn, &s)?;
                }
            }
            Relation::Sequence(id) => {
                let mut s = catalog
                    .sequences
                    .get(&id)
                    .map(|s| s.as_ref().clone())
                    .ok_or_else(|| Error::internal("sequence vanished"))?;
                if let Some((table, _)) = &s.owned_by {
                    let t = catalog.table(*table).map(|t| t.name.clone()).unwrap_or_default();
                    return Err(Error::new(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "cannot move an owned sequence into another schema",
                    )
                    .with_detail(format!("Sequence \"{}\" is linked to table \"{t}\".", s.name)));
                }
                s.schema = to.to_string();
                CatalogStore::put_sequence(txn, &s)?;
            }
            Relation::View(id) => {
                let mut v = catalog
                    .views
                    .get(&id)
                    .map(|v| v.as_ref().clone())
                    .ok_or_else(|| Error::internal("view vanished"))?;
                v.schema = to.to_string();
                CatalogStore::put_view(txn, &v)?;
            }
            _ => return Err(Error::unsupported("ALTER ... SET SCHEMA of this relation")),
        }
        Ok(())
    }
}
