//! Temporary objects (`CREATE TEMP TABLE`, `CREATE TEMP VIEW`, `pg_temp.name`), private to
//! their session as in PostgreSQL: they live in the session's own schema `pg_temp_N`,
//! created on first use in each branch and searched before `search_path` for relation
//! names (see [`super::Settings::search_path`]). When the session ends, its schema is
//! dropped with everything in it; opening a database drops the schemas of sessions that
//! never ended (a crash).
//!
//! A `pg_temp_N` schema this session did not create in the current branch is stale — a
//! leftover, or a copy that came with `CREATE BRANCH` — and is emptied before reuse: temp
//! objects do not travel between branches.
//!
//! `ON COMMIT DROP` and `ON COMMIT DELETE ROWS` are kept in the table's catalog record
//! and carried out in each transaction of the session just before it commits.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};

use super::Session;
use crate::catalog::{Catalog, CatalogStore, OnCommit, SchemaDef};
use crate::engine::Engine;

/// The prefix of session temporary schemas (reserved: `CREATE SCHEMA` refuses `pg_*`).
const PREFIX: &str = "pg_temp_";

/// Whether `schema` is a session's temporary schema.
pub fn is_temp_schema(schema: &str) -> bool {
    schema.starts_with(PREFIX)
}

impl Session {
    /// The schema a temporary object goes to: the session's own, created in the current
    /// branch when missing.
    pub(super) fn temp_schema_for_create(&mut self, catalog: &Catalog) -> Result<String> {
        let name = match self.settings.temp_schema() {
            Some(n) => n.to_string(),
            None => {
                let n = format!("{PREFIX}{}", self.engine.next_temp_id());
                self.settings.set_temp_schema(n.clone());
                n
            }
        };
        let ours = self.temp_branches.contains(&self.branch);
        if ours && catalog.schemas.contains_key(&name) {
            return Ok(name);
        }
        if catalog.schemas.contains_key(&name) {
            self.drop_schema(catalog, &name, true, true)?;
        }
        // Owned by the bootstrap superuser, as PostgreSQL's pg_temp schemas are: a role
        // that once made a temporary table can still be dropped.
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let id = CatalogStore::next_id(txn)?;
        CatalogStore::put_schema(
            txn,
            &SchemaDef { id, name: name.clone(), access: Default::default(), comment: None },
        )?;
        self.bump_version()?;
        if !ours {
            self.temp_branches.push(self.branch);
        }
        Ok(name)
    }

    /// Carries out the ON COMMIT actions of the session's temporary tables in the
    /// transaction about to commit: `DROP` drops the table, `DELETE ROWS` empties it.
    pub(super) fn run_on_commit(&mut self) -> Result<()> {
        if !self.on_commit_tables {
            return Ok(());
        }
        let Some(schema) = self.settings.temp_schema().map(str::to_string) else { return Ok(()) };
        let Some(txn) = self.txn.as_ref() else { return Ok(()) };
        if txn.is_read_only() {
            return Ok(());
        }
        let catalog = self.engine.catalogs.get(txn)?;
        let actions: Vec<(u32, OnCommit)> = catalog
            .tables
            .values()
            .filter(|t| t.schema == schema)
            .filter_map(|t| t.on_commit.map(|a| (t.id, a)))
            .collect();
        let mut dropped = false;
        for (id, action) in actions {
            match action {
                OnCommit::Drop => {
                    self.drop_table(&catalog, id, true)?;
                    dropped = true;
                }
                OnCommit::DeleteRows => {
                    let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                    crate::exec::table_io::clear_table(txn, id)?;
                }
            }
        }
        if dropped {
            self.bump_version()?;
        }
        Ok(())
    }

    /// Drops the session's temporary schema in every branch it was created in (when the
    /// session ends). Failures are ignored: a branch may be gone, and a schema left
    /// behind is dropped when the database is next opened.
    pub(super) fn drop_temp_objects(&mut self) {
        let Some(name) = self.settings.temp_schema().map(str::to_string) else { return };
        let home = self.branch;
        let _ = self.execute_batch("ROLLBACK");
        for branch in std::mem::take(&mut self.temp_branches) {
            self.branch = branch;
            let _ = self.execute_batch(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
        }
        self.branch = home;
    }
}

/// Drops the temporary schemas on the main branch that no session owns (the database is
/// just opened, so none does).
pub(crate) fn drop_stale_temp_schemas(engine: &Arc<Engine>) -> Result<()> {
    let txn = engine.storage.begin(helios_storage::TxnOptions::default())?;
    let stale: Vec<String> =
        engine.catalogs.get(&txn)?.schemas.keys().filter(|s| is_temp_schema(s)).cloned().collect();
    txn.rollback();
    if stale.is_empty() {
        return Ok(());
    }
    let mut session = engine.session();
    for name in stale {
        if let (_, Some(e)) =
            session.execute_batch(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
        {
            // A read-only database keeps them; they are never searched.
            if e.sqlstate() != SqlState::READ_ONLY_SQL_TRANSACTION {
                return Err(e);
            }
        }
    }
    Ok(())
}
