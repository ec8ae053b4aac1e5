//! DDL: CREATE/DROP of tables, indexes, schemas, views and sequences, and TRUNCATE.
//! Every change writes catalog records in the session's transaction and a new catalog
//! version token, so it commits or rolls back with the transaction.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_storage::Transaction;
use helios_types::DataType;
use sqlparser::ast;

use super::ddl_table::{build_table, taken_names, unique_name};
use super::statement::bind_checks;
use super::{Session, StatementResult};
use crate::binder::Binder;
use crate::catalog::access::permission_denied;
use crate::catalog::{
    Catalog, CatalogStore, IndexDef, ObjectAccess, Privileges, Relation, SchemaDef, SequenceDef,
    TableDef, ViewDef,
};
use crate::encoding::keys::CatalogKind;
use crate::exec::table_io;
use crate::parser::{ident_name, object_name, QualifiedName};

pub(super) fn already_exists(name: &str) -> Error {
    Error::new(SqlState::DUPLICATE_TABLE, format!("relation \"{name}\" already exists"))
}

impl Session {
    pub(super) fn ddl_parts(&mut self) -> Result<(Arc<Catalog>, &mut Transaction)> {
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("DDL without a transaction"))?;
        if txn.is_read_only() {
            return Err(Error::new(
                SqlState::READ_ONLY_SQL_TRANSACTION,
                "cannot execute this statement in a read-only transaction",
            ));
        }
        let catalog = self.engine.catalogs.get(txn)?;
        Ok((catalog, txn))
    }

    /// The schema a new object goes to: the session's temporary schema for a temporary
    /// object (or one named `pg_temp.x`), else the named one, or the first existing
    /// schema of the search path that is not the temporary one.
    pub(super) fn creation_schema(
        &mut self,
        catalog: &Catalog,
        qn: &QualifiedName,
        temporary: bool,
    ) -> Result<String> {
        if temporary || qn.schema.as_deref() == Some("pg_temp") {
            if qn.schema.as_deref().is_some_and(|s| s != "pg_temp") {
                return Err(Error::new(
                    SqlState::INVALID_TABLE_DEFINITION,
                    "cannot create temporary relation in non-temporary schema",
                ));
            }
            let auth = self.auth(catalog);
            if !catalog.database.privileges_of(&auth).contains(Privileges::TEMPORARY) {
                return Err(Error::new(
                    SqlState::INSUFFICIENT_PRIVILEGE,
                    format!(
                        "permission denied to create temporary tables in database \"{}\"",
                        self.info().database
                    ),
                ));
            }
            return self.temp_schema_for_create(catalog);
        }
        match &qn.schema {
            Some(s) => {
                if !catalog.schemas.contains_key(s) {
                    return Err(Error::new(
                        SqlState::INVALID_SCHEMA_NAME,
                        format!("schema \"{s}\" does not exist"),
                    ));
                }
                Ok(s.clone())
            }
            None => self
                .settings
                .search_path()
                .into_iter()
                .find(|s| !super::is_temp_schema(s) && catalog.schemas.contains_key(s))
                .ok_or_else(|| {
                    Error::new(
                        SqlState::INVALID_SCHEMA_NAME,
                        "no schema has been selected to create in",
                    )
                }),
        }
    }

    pub(super) fn bump_version(&mut self) -> Result<()> {
        let token = self.engine.next_catalog_version();
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("DDL without a transaction"))?;
        CatalogStore::set_version(txn, token)
    }

    /// Runs a DDL statement; `None` when `stmt` is not DDL.
    pub(super) fn run_ddl(&mut self, stmt: &ast::Statement) -> Result<Option<StatementResult>> {
        let r = match stmt {
            ast::Statement::CreateTable(ct) => self.create_table(ct)?,
            ast::Statement::Drop {
                object_type: ast::ObjectType::Type,
                if_exists,
                names,
                cascade,
                ..
            } => self.drop_types(names, *if_exists, *cascade, false)?,
            ast::Statement::DropDomain(d) => self.drop_types(
                std::slice::from_ref(&d.name),
                d.if_exists,
                matches!(d.drop_behavior, Some(ast::DropBehavior::Cascade)),
                true,
            )?,
            ast::Statement::CreateType { name, representation } => {
                self.create_type(name, representation.as_ref())?
            }
            ast::Statement::AlterType(a) => self.alter_type(a)?,
            ast::Statement::Drop { object_type, if_exists, names, cascade, .. } => {
                self.drop_objects(*object_type, *if_exists, names, *cascade)?
            }
            ast::Statement::CreateIndex(ci) => self.create_index(ci)?,
            ast::Statement::CreateSchema { schema_name, if_not_exists, .. } => {
                self.create_schema(schema_name, *if_not_exists)?
            }
            ast::Statement::CreateView(cv) => self.create_view(cv)?,
            ast::Statement::CreateSequence {
                temporary,
                if_not_exists,
                name,
                sequence_options,
                ..
            } => self.create_sequence(*temporary, name, *if_not_exists, sequence_options)?,
            ast::Statement::Truncate(t) => self.truncate(t)?,
            ast::Statement::AlterTable(at) => self.alter_table(at)?,
            ast::Statement::RefreshMaterializedView(r) => self.refresh_matview(r)?,
            ast::Statement::CreateExtension(ce) => self.create_extension(ce)?,
            ast::Statement::CreateFunction(cf) => self.create_function(cf, false)?,
            ast::Statement::DropFunction(df) => self.drop_functions(
                &df.func_desc,
                df.if_exists,
                matches!(df.drop_behavior, Some(ast::DropBehavior::Cascade)),
                false,
            )?,
            ast::Statement::DropProcedure { if_exists, proc_desc, drop_behavior } => self
                .drop_functions(
                    proc_desc,
                    *if_exists,
                    matches!(drop_behavior, Some(ast::DropBehavior::Cascade)),
                    true,
                )?,
            ast::Statement::DropTrigger(d) => self.drop_trigger(d)?,
            ast::Statement::AlterTrigger(a) => self.alter_trigger(a)?,
            ast::Statement::Call(f) => self.call_procedure(f)?,
            ast::Statement::DropExtension(de) => self.drop_extension(de)?,
            ast::Statement::Comment { object_type, object_name, comment, .. } => {
                self.comment_on(*object_type, object_name, comment.as_deref())?
            }
            ast::Statement::CreateRole(cr) => self.create_role(cr, false)?,
            ast::Statement::AlterRole { name, operation } => self.alter_role(name, operation)?,
            ast::Statement::GrantRole(g) => self.grant_role(g)?,
            ast::Statement::RevokeRole(r) => self.revoke_role(r)?,
            ast::Statement::Grant(g) => self.grant_privileges(
                &g.privileges,
                g.objects.as_ref(),
                &g.grantees,
                true,
                g.with_grant_option,
            )?,
            ast::Statement::Revoke(r) => {
                if r.grant_option_for {
                    return Err(Error::unsupported("REVOKE GRANT OPTION FOR"));
                }
                self.grant_privileges(&r.privileges, r.objects.as_ref(), &r.grantees, false, false)?
            }
            ast::Statement::AlterSchema(a) => self.alter_schema(a)?,
            ast::Statement::AlterView(a) => self.alter_view(a)?,
            ast::Statement::AlterIndex { name, operation } => self.alter_index(name, operation)?,
            ast::Statement::CreatePolicy(p) => self.create_policy(p)?,
            ast::Statement::AlterPolicy(p) => self.alter_policy(p)?,
            ast::Statement::DropPolicy(p) => self.drop_policy(p)?,
            ast::Statement::Set(ast::Set::SetRole { role_name, .. }) => {
                self.set_role(role_name.as_ref())?
            }
            // RESET of who the session is (session_statement leaves these to us).
            ast::Statement::Reset(r) => match &r.reset {
                ast::Reset::ConfigurationParameter(n)
                    if n.to_string().eq_ignore_ascii_case("role") =>
                {
                    self.set_role(None)?;
                    StatementResult::command("RESET")
                }
                ast::Reset::ConfigurationParameter(n)
                    if n.to_string().eq_ignore_ascii_case("session_authorization") =>
                {
                    self.set_session_authorization(None)?;
                    StatementResult::command("RESET")
                }
                ast::Reset::SessionAuthorization => {
                    self.set_session_authorization(None)?;
                    StatementResult::command("RESET")
                }
                _ => return Ok(None),
            },
            ast::Statement::Set(ast::Set::SingleAssignment { variable, values, .. })
                if super::utility::is_identity_setting(&variable.to_string()) =>
            {
                let value = match values.as_slice() {
                    [ast::Expr::Identifier(id)] => id.clone(),
                    [ast::Expr::Value(v)] => match &v.value {
                        ast::Value::SingleQuotedString(s) => ast::Ident::with_quote('"', s),
                        other => ast::Ident::new(other.to_string()),
                    },
                    _ => return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error in SET")),
                };
                let default =
                    value.quote_style.is_none() && value.value.eq_ignore_ascii_case("default");
                if variable.to_string().eq_ignore_ascii_case("role") {
                    self.set_role((!default).then_some(&value))?
                } else {
                    self.set_session_authorization((!default).then_some(&value))?
                }
            }
            ast::Statement::Set(ast::Set::SetSessionAuthorization(p)) => match &p.kind {
                ast::SetSessionAuthorizationParamKind::Default => {
                    self.set_session_authorization(None)?
                }
                ast::SetSessionAuthorizationParamKind::User(u) => {
                    self.set_session_authorization(Some(u))?
                }
            },
            _ => return Ok(None),
        };
        Ok(Some(r))
    }

    pub(super) fn create_table(&mut self, ct: &ast::CreateTable) -> Result<StatementResult> {
        if let Some(query) = &ct.query {
            return self.create_table_as(ct, query);
        }
        let search_path = self.settings.search_path();
        let qn = object_name(&ct.name)?;
        let (catalog, _) = self.ddl_parts()?;
        let ct = &*super::partition_ddl::expand_partition_of(&catalog, &search_path, ct)?;
        let ct = &*super::table_options::expand(&catalog, &search_path, ct)?;
        let schema = self.creation_schema(&catalog, &qn, ct.temporary)?;
        self.require_create_in(&catalog, &schema)?;
        let owner = self.auth(&catalog).id;
        if catalog.relation(&schema, &qn.name).is_some() {
            if ct.if_not_exists {
                return Ok(StatementResult::command("CREATE TABLE"));
            }
            return Err(already_exists(&qn.name));
        }
        // A table's row type would take the name of an existing type.
        if catalog.user_type(&schema, &qn.name).is_some() {
            return Err(Error::new(
                SqlState::DUPLICATE_OBJECT,
                format!("type \"{}\" already exists", qn.name),
            )
            .with_hint(
                "A relation has an associated type of the same name, so you must use a name \
                 that doesn't conflict with any existing type.",
            ));
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let mut next = || CatalogStore::next_id(txn);
        let mut new = build_table(&catalog, &search_path, &schema, ct, &mut next, owner)?;
        new.table.unlogged = ct.unlogged;
        new.table.on_commit = match ct.on_commit {
            Some(ast::OnCommit::Drop) => Some(crate::catalog::OnCommit::Drop),
            Some(ast::OnCommit::DeleteRows) => Some(crate::catalog::OnCommit::DeleteRows),
            Some(ast::OnCommit::PreserveRows) | None => None,
        };
        self.on_commit_tables |= new.table.on_commit.is_some();
        if let ast::CreateTableOptions::With(options) = &ct.table_options {
            new.table.storage_params = super::storage_params::parse(options)?;
        }
        for s in &new.sequences {
            if catalog.relation(&schema, &s.name).is_some() {
                return Err(already_exists(&s.name));
            }
        }
        for i in &new.table.indexes {
            if catalog.relation(&schema, &i.name).is_some() {
                return Err(already_exists(&i.name));
            }
        }
        // Validate DEFAULT and CHECK expressions now, as PostgreSQL does.
        let info = self.info();
        bind_checks(&catalog, &info, &new.table)?;
        crate::binder::generated::bind_generated(&catalog, &info, &new.table)?;
        for ci in 0..new.table.columns.len() {
            let mut binder = Binder::new(&catalog, &info, Vec::new());
            binder.column_default(&new.table, ci)?;
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for s in &new.sequences {
            CatalogStore::put_sequence(txn, s)?;
        }
        CatalogStore::put_table(txn, &new.table)?;
        self.create_partitioning(&catalog, ct, &new.table)?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE TABLE"))
    }

    fn drop_objects(
        &mut self,
        kind: ast::ObjectType,
        if_exists: bool,
        names: &[ast::ObjectName],
        cascade: bool,
    ) -> Result<StatementResult> {
        if matches!(kind, ast::ObjectType::Role | ast::ObjectType::User) {
            return self.drop_roles(names, if_exists);
        }
        let tag = match kind {
            ast::ObjectType::Table => "DROP TABLE",
            ast::ObjectType::Index => "DROP INDEX",
            ast::ObjectType::View => "DROP VIEW",
            ast::ObjectType::Schema => "DROP SCHEMA",
            ast::ObjectType::Sequence => "DROP SEQUENCE",
            ast::ObjectType::MaterializedView => "DROP MATERIALIZED VIEW",
            other => return Err(Error::unsupported(format!("DROP {other}"))),
        };
        let search_path = self.settings.search_path();
        let ordered;
        let names = if kind == ast::ObjectType::Table && names.len() > 1 {
            let (catalog, _) = self.ddl_parts()?;
            ordered = referencing_first(&catalog, &search_path, names);
            &ordered[..]
        } else {
            names
        };
        for name in names {
            let (catalog, _) = self.ddl_parts()?;
            let qn = object_name(name)?;
            if kind == ast::ObjectType::Schema {
                if let Some(s) = catalog.schemas.get(&qn.name) {
                    self.require_owner(&catalog, s.access.owner, "schema", &qn.name)?;
                }
                self.drop_schema(&catalog, &qn.name, if_exists, cascade)?;
                continue;
            }
            let found = catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path);
            let what = match kind {
                ast::ObjectType::Table => "table",
                ast::ObjectType::Index => "index",
                ast::ObjectType::View => "view",
                ast::ObjectType::MaterializedView => "materialized view",
                _ => "sequence",
            };
            let rel = match found {
                None => {
                    if if_exists {
                        continue;
                    }
                    let state =
                        if kind == ast::ObjectType::Index || kind == ast::ObjectType::Sequence {
                            SqlState::UNDEFINED_OBJECT
                        } else {
                            SqlState::UNDEFINED_TABLE
                        };
                    return Err(Error::new(
                        state,
                        format!("{what} \"{}\" does not exist", qn.name),
                    ));
                }
                Some((_, rel)) => rel,
            };
            let owner = match rel {
                Relation::Table(id) | Relation::Index(id, _) => {
                    catalog.table(id).map(|t| t.access.owner)
                }
                Relation::View(id) => catalog.views.get(&id).map(|v| v.access.owner),
                Relation::Sequence(id) => catalog.sequences.get(&id).map(|s| s.access.owner),
            };
            if let Some(owner) = owner {
                self.require_owner(&catalog, owner, what, &qn.name)?;
            }
            let is_matview = |id| catalog.table(id).is_some_and(|t| t.matview.is_some());
            match (kind, rel) {
                (ast::ObjectType::Table, Relation::Table(id))
                | (ast::ObjectType::MaterializedView, Relation::Table(id))
                    if is_matview(id) == (kind == ast::ObjectType::MaterializedView) =>
                {
                    self.drop_table(&catalog, id, cascade)?
                }
                (
                    ast::ObjectType::Table | ast::ObjectType::MaterializedView,
                    Relation::Table(id),
                ) => {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        format!("\"{}\" is not a {what}", qn.name),
                    )
                    .with_hint(super::matview::drop_kind_hint(is_matview(id))))
                }
                (ast::ObjectType::Index, Relation::Index(t, i)) => {
                    self.drop_index(&catalog, t, i)?
                }
                (ast::ObjectType::View, Relation::View(id)) => {
                    self.drop_views_reading(&catalog, id, &format!("view {}", qn.name), cascade)?;
                    self.drop_table_triggers(&catalog, id)?;
                    let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                    CatalogStore::delete(txn, CatalogKind::View, id)?;
                }
                (ast::ObjectType::Sequence, Relation::Sequence(id)) => {
                    let owned = catalog.sequences.get(&id).and_then(|s| s.owned_by.clone());
                    if let Some((t, col)) = owned {
                        if catalog.table(t).is_some() && !cascade {
                            return Err(Error::new(
                                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                                format!(
                                    "cannot drop sequence {} because other objects depend on it",
                                    qn.name
                                ),
                            )
                            .with_detail(format!(
                                "default value for column {col} depends on sequence {}",
                                qn.name
                            )));
                        }
                    }
                    let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                    CatalogStore::delete(txn, CatalogKind::Sequence, id)?;
                }
                (_, other) => {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        format!("\"{}\" is not a {what}", qn.name),
                    )
                    .with_hint(format!(
                        "Use DROP {} to remove a {}.",
                        other.kind_name().to_uppercase(),
                        other.kind_name()
                    )))
                }
            }
            self.bump_version()?;
        }
        Ok(StatementResult::command(tag))
    }

    pub(super) fn drop_table(&mut self, catalog: &Catalog, id: u32, cascade: bool) -> Result<()> {
        let table = catalog.table(id).cloned().ok_or_else(|| Error::internal("table vanished"))?;
        if catalog.partitions.contains_key(&id) {
            // A partitioned table's partitions go with it (no CASCADE needed).
            for &child in catalog.partitions_of(id) {
                self.drop_table(catalog, child, cascade)?;
            }
            let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
            CatalogStore::delete(txn, CatalogKind::Partition, id)?;
        }
        let kind = if table.matview.is_some() { "materialized view" } else { "table" };
        self.drop_views_reading(catalog, id, &format!("{kind} {}", table.name), cascade)?;
        self.drop_table_triggers(catalog, id)?;
        self.drop_row_type_uses(catalog, &table, cascade)?;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for child in catalog.referencing(id) {
            if child.id == id {
                continue;
            }
            let fk_names: Vec<String> = child
                .foreign_keys
                .iter()
                .filter(|f| f.ref_table == id)
                .map(|f| f.name.clone())
                .collect();
            if !cascade {
                return Err(Error::new(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!("cannot drop table {} because other objects depend on it", table.name),
                )
                .with_detail(format!(
                    "constraint {} on table {} depends on table {}",
                    fk_names.join(", "),
                    child.name,
                    table.name
                ))
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            let mut c = child.as_ref().clone();
            c.foreign_keys.retain(|f| f.ref_table != id);
            CatalogStore::put_table(txn, &c)?;
        }
        table_io::clear_table(txn, id)?;
        // Sequences owned by the table's columns (serial, identity, ALTER SEQUENCE ...
        // OWNED BY) go with it.
        for s in catalog.sequences.values() {
            if s.owned_by.as_ref().is_some_and(|(t, _)| *t == table.id) {
                CatalogStore::delete(txn, CatalogKind::Sequence, s.id)?;
            }
        }
        CatalogStore::delete(txn, CatalogKind::Table, id)
    }

    /// The columns of other tables holding `table`'s row type: an error without
    /// CASCADE (2BP01), dropped with it.
    fn drop_row_type_uses(
        &mut self,
        catalog: &Catalog,
        table: &crate::catalog::TableDef,
        cascade: bool,
    ) -> Result<()> {
        let mut uses: Vec<(String, String, String)> = Vec::new();
        let mut tables: Vec<_> = catalog.tables.values().filter(|t| t.id != table.id).collect();
        tables.sort_by_key(|t| t.id);
        for t in tables {
            for c in &t.columns {
                if crate::catalog::user_types::uses_record(&c.data_type, table.id) {
                    uses.push((t.schema.clone(), t.name.clone(), c.name.clone()));
                }
            }
        }
        let Some((_, first_table, first_column)) = uses.first() else { return Ok(()) };
        if !cascade {
            return Err(Error::new(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("cannot drop table {} because other objects depend on it", table.name),
            )
            .with_detail(format!(
                "column {first_column} of table {first_table} depends on type {}",
                table.name
            ))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        for (schema, t, column) in &uses {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let sql = format!("ALTER TABLE {}.{} DROP COLUMN {}", q(schema), q(t), q(column));
            match crate::parser::parse(&sql)?.pop() {
                Some(crate::parser::Statement::Sql(s)) => match s.as_ref() {
                    sqlparser::ast::Statement::AlterTable(at) => {
                        self.alter_table(at)?;
                    }
                    _ => return Err(Error::internal("drop column is not ALTER TABLE")),
                },
                _ => return Err(Error::internal("drop column did not parse")),
            }
        }
        Ok(())
    }

    fn drop_index(&mut self, catalog: &Catalog, table_id: u32, index_id: u32) -> Result<()> {
        let table =
            catalog.table(table_id).cloned().ok_or_else(|| Error::internal("table vanished"))?;
        let index = table
            .indexes
            .iter()
            .find(|i| i.id == index_id)
            .ok_or_else(|| Error::internal("index vanished"))?;
        if index.constraint {
            return Err(Error::new(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                format!(
                    "cannot drop index {} because constraint {} on table {} requires it",
                    index.name, index.name, table.name
                ),
            )
            .with_hint(format!(
                "You can drop constraint {} on table {} instead.",
                index.name, table.name
            )));
        }
        crate::exec::vector_index::forget(&self.engine.vectors, index);
        let mut t = table.as_ref().clone();
        t.indexes.retain(|i| i.id != index_id);
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        table_io::clear_index(txn, table_id, index_id)?;
        CatalogStore::put_table(txn, &t)
    }

    pub(super) fn drop_schema(
        &mut self,
        catalog: &Catalog,
        name: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<()> {
        let Some(schema) = catalog.schemas.get(name).cloned() else {
            if if_exists {
                return Ok(());
            }
            return Err(Error::new(
                SqlState::INVALID_SCHEMA_NAME,
                format!("schema \"{name}\" does not exist"),
            ));
        };
        let tables: Vec<u32> =
            catalog.tables.values().filter(|t| t.schema == name).map(|t| t.id).collect();
        let views: Vec<u32> =
            catalog.views.values().filter(|v| v.schema == name).map(|v| v.id).collect();
        let seqs: Vec<u32> =
            catalog.sequences.values().filter(|s| s.schema == name).map(|s| s.id).collect();
        let funcs: Vec<u32> =
            catalog.functions.values().filter(|f| f.schema == name).map(|f| f.id).collect();
        if !cascade
            && (!tables.is_empty() || !views.is_empty() || !seqs.is_empty() || !funcs.is_empty())
        {
            return Err(Error::new(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("cannot drop schema {name} because other objects depend on it"),
            )
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        for id in tables {
            self.drop_table(catalog, id, true)?;
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for id in views {
            CatalogStore::delete(txn, CatalogKind::View, id)?;
            for t in catalog.triggers.values().filter(|t| t.table == id) {
                CatalogStore::delete(txn, CatalogKind::Trigger, t.id)?;
            }
        }
        for id in seqs {
            CatalogStore::delete(txn, CatalogKind::Sequence, id)?;
        }
        // Functions of the schema go, with the triggers (on other schemas' tables) that
        // call them.
        for t in catalog.triggers.values().filter(|t| funcs.contains(&t.function)) {
            CatalogStore::delete(txn, CatalogKind::Trigger, t.id)?;
        }
        for id in funcs {
            CatalogStore::delete(txn, CatalogKind::Function, id)?;
        }
        CatalogStore::delete(txn, CatalogKind::Schema, schema.id)?;
        self.bump_version()
    }

    fn create_index(&mut self, ci: &ast::CreateIndex) -> Result<StatementResult> {
        if let Some(using) = &ci.using {
            let u = using.to_string().to_lowercase();
            if u == "hnsw" {
                return self.create_vector_index(ci);
            }
            if u != "btree" && u != "hash" {
                return Err(Error::unsupported(format!("index method \"{u}\"")));
            }
        }
        let hash = ci.using.as_ref().is_some_and(|u| u.to_string().eq_ignore_ascii_case("hash"));
        if hash && ci.unique {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "access method \"hash\" does not support unique indexes",
            ));
        }
        if hash && ci.columns.len() > 1 {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "access method \"hash\" does not support multicolumn indexes",
            ));
        }
        let search_path = self.settings.search_path();
        let (catalog, _) = self.ddl_parts()?;
        let tq = object_name(&ci.table_name)?;
        let table = match catalog.resolve(tq.schema.as_deref(), &tq.name, &search_path) {
            Some((_, Relation::Table(id))) => {
                catalog.table(id).cloned().ok_or_else(|| Error::internal("table vanished"))?
            }
            Some(_) => {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("\"{}\" is not a table", tq.name),
                ))
            }
            None => {
                return Err(Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{}\" does not exist", tq.name),
                ))
            }
        };
        self.require_table_owner(&catalog, &table)?;
        let keys = super::index_ddl::index_keys(&table, ci)?;
        let name = match &ci.name {
            Some(n) => object_name(n)?.name,
            None => {
                let base = format!("{}_{}_idx", table.name, keys.names.join("_"));
                let mut taken = taken_names(&table);
                taken.extend(
                    catalog.tables.values().flat_map(|t| t.indexes.iter().map(|i| i.name.clone())),
                );
                unique_name(&base, &taken)
            }
        };
        if catalog.relation(&table.schema, &name).is_some() {
            if ci.if_not_exists {
                return Ok(StatementResult::command("CREATE INDEX"));
            }
            return Err(already_exists(&name));
        }
        let mut t = table.as_ref().clone();
        let index = IndexDef {
            comment: None,
            id: t.next_index_id,
            name: name.clone(),
            columns: keys.columns,
            unique: ci.unique,
            primary: false,
            constraint: false,
            vector: None,
            expressions: keys.expressions,
            predicate: keys.predicate,
            hash,
            bound_cache: Default::default(),
        };
        t.next_index_id += 1;
        let cascade_to = if catalog.is_partitioned(t.id) {
            self.check_partitioned_index(&catalog, &t, &index)?
        } else {
            Vec::new()
        };
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        build_index(txn, &t, &index)?;
        // An index on a partitioned table is made on each partition too.
        for part in cascade_to {
            let mut p = part.as_ref().clone();
            if !p.indexes.iter().any(|i| i.same_keys(&index)) {
                super::partition_ddl::add_index_copy(txn, &catalog, &mut p, &index, &t.name)?;
                CatalogStore::put_table(txn, &p)?;
            }
        }
        t.indexes.push(index);
        CatalogStore::put_table(txn, &t)?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE INDEX"))
    }

    fn create_schema(
        &mut self,
        name: &ast::SchemaName,
        if_not_exists: bool,
    ) -> Result<StatementResult> {
        let n = match name {
            ast::SchemaName::Simple(n) | ast::SchemaName::NamedAuthorization(n, _) => {
                object_name(n)?.name
            }
            ast::SchemaName::UnnamedAuthorization(id) => ident_name(id),
        };
        if n.starts_with("pg_") {
            return Err(Error::new(
                SqlState::RESERVED_NAME,
                format!("unacceptable schema name \"{n}\""),
            )
            .with_detail("The prefix \"pg_\" is reserved for system schemas."));
        }
        let (catalog, _) = self.ddl_parts()?;
        let auth = self.auth(&catalog);
        if !catalog.database.privileges_of(&auth).contains(Privileges::CREATE) {
            return Err(permission_denied("database", &self.info().database));
        }
        if catalog.schemas.contains_key(&n) {
            if if_not_exists {
                return Ok(StatementResult::command("CREATE SCHEMA"));
            }
            return Err(Error::new(
                SqlState::DUPLICATE_SCHEMA,
                format!("schema \"{n}\" already exists"),
            ));
        }
        // `AUTHORIZATION role`: the schema belongs to that role, which the creator must
        // be able to become.
        let owner = match name {
            ast::SchemaName::NamedAuthorization(_, role)
            | ast::SchemaName::UnnamedAuthorization(role) => {
                let login = self.session_user();
                let id = catalog.role_id(&ident_name(role), &login)?;
                if !auth.superuser && !auth.member_of.contains(&id) {
                    return Err(Error::new(
                        SqlState::INSUFFICIENT_PRIVILEGE,
                        format!("must be able to SET ROLE \"{}\"", ident_name(role)),
                    ));
                }
                id
            }
            ast::SchemaName::Simple(_) => auth.id,
        };
        let access = ObjectAccess::owned_by(owner);
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let id = CatalogStore::next_id(txn)?;
        CatalogStore::put_schema(txn, &SchemaDef { id, name: n, access, comment: None })?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE SCHEMA"))
    }

    fn create_view(&mut self, cv: &ast::CreateView) -> Result<StatementResult> {
        if cv.materialized {
            return self.create_matview(cv);
        }
        let options = view_options(&cv.options)?;
        let qn = object_name(&cv.name)?;
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.creation_schema(&catalog, &qn, cv.temporary)?;
        self.require_create_in(&catalog, &schema)?;
        let existing = catalog.relation(&schema, &qn.name);
        // CREATE OR REPLACE keeps the view's comment, as in PostgreSQL.
        let existing_comment = match existing {
            Some(Relation::View(id)) => catalog.views.get(&id).and_then(|v| v.comment.clone()),
            _ => None,
        };
        let auth = self.auth(&catalog);
        // CREATE OR REPLACE keeps the owner and grants; only the owner may replace.
        let access = match existing.and_then(|r| match r {
            Relation::View(id) => catalog.views.get(&id),
            _ => None,
        }) {
            Some(v) if cv.or_replace => {
                if !auth.owns(v.access.owner) {
                    return Err(crate::catalog::access::must_be_owner("view", &v.name));
                }
                v.access.clone()
            }
            _ => ObjectAccess::owned_by(auth.id),
        };
        let replace_id = match existing {
            Some(Relation::View(id)) if cv.or_replace => Some(id),
            Some(_) if cv.if_not_exists => return Ok(StatementResult::command("CREATE VIEW")),
            Some(_) => return Err(already_exists(&qn.name)),
            None => None,
        };
        let info = self.info();
        let mut binder = Binder::new(&catalog, &info, Vec::new());
        let plan = binder.bind_query(&cv.query)?;
        let visible: Vec<_> = plan.schema().into_iter().filter(|f| !f.hidden).collect();
        let mut columns: Vec<String> = visible.iter().map(|f| f.name.clone()).collect();
        // An untyped output (`SELECT 'a'`) is text, as PostgreSQL resolves it.
        let column_types = visible
            .iter()
            .map(|f| match f.data_type {
                DataType::Unknown => DataType::Text,
                ref t => t.clone(),
            })
            .collect();
        if !cv.columns.is_empty() {
            if cv.columns.len() > columns.len() {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "CREATE VIEW specifies more column names than columns",
                ));
            }
            for (i, c) in cv.columns.iter().enumerate() {
                columns[i] = ident_name(&c.name);
            }
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let id = match replace_id {
            Some(id) => id,
            None => CatalogStore::next_id(txn)?,
        };
        CatalogStore::put_view(
            txn,
            &ViewDef {
                id,
                schema,
                name: qn.name,
                query: cv.query.to_string(),
                columns,
                column_types,
                comment: existing_comment,
                access,
                check_option: options.check_option,
                security_barrier: options.security_barrier,
                security_invoker: options.security_invoker,
                search_path: self.settings.search_path(),
            },
        )?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE VIEW"))
    }

    fn create_sequence(
        &mut self,
        temporary: bool,
        name: &ast::ObjectName,
        if_not_exists: bool,
        opts: &[ast::SequenceOptions],
    ) -> Result<StatementResult> {
        let qn = object_name(name)?;
        let (catalog, _) = self.ddl_parts()?;
        let schema = self.creation_schema(&catalog, &qn, temporary)?;
        self.require_create_in(&catalog, &schema)?;
        if catalog.relation(&schema, &qn.name).is_some() {
            if if_not_exists {
                return Ok(StatementResult::command("CREATE SEQUENCE"));
            }
            return Err(already_exists(&qn.name));
        }
        let mut seq = SequenceDef {
            comment: None,
            id: 0,
            schema,
            name: qn.name,
            start: 1,
            increment: 1,
            min: 1,
            max: i64::MAX,
            cycle: false,
            owned_by: None,
            access: ObjectAccess::owned_by(self.auth(&catalog).id),
        };
        apply_sequence_options(&mut seq, opts, i64::MIN, i64::MAX)?;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        seq.id = CatalogStore::next_id(txn)?;
        CatalogStore::put_sequence(txn, &seq)?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE SEQUENCE"))
    }

    fn truncate(&mut self, t: &ast::Truncate) -> Result<StatementResult> {
        let search_path = self.settings.search_path();
        let (catalog, _) = self.ddl_parts()?;
        let mut ids = Vec::new();
        for target in &t.table_names {
            let qn = object_name(&target.name)?;
            match catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path) {
                Some((_, Relation::Table(id)))
                    if catalog.table(id).is_some_and(|t| t.matview.is_none()) =>
                {
                    if let Some(table) = catalog.table(id) {
                        self.require_table_privilege(&catalog, table, Privileges::TRUNCATE)?;
                    }
                    ids.push(id)
                }
                Some(_) => {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        format!("\"{}\" is not a table", qn.name),
                    ))
                }
                None => {
                    return Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("relation \"{}\" does not exist", qn.name),
                    ))
                }
            }
        }
        let cascade = matches!(t.cascade, Some(ast::CascadeOption::Cascade));
        // Truncating a partitioned table truncates its partitions.
        if !catalog.partitions.is_empty() {
            let mut all = Vec::new();
            for id in &ids {
                for p in catalog.partition_tree(*id) {
                    if !all.contains(&p) {
                        all.push(p);
                    }
                }
            }
            ids = all;
        }
        let mut i = 0;
        while i < ids.len() {
            for child in catalog.referencing(ids[i]) {
                if !ids.contains(&child.id) {
                    if !cascade {
                        let parent =
                            catalog.table(ids[i]).map(|p| p.name.clone()).unwrap_or_default();
                        return Err(Error::new(
                            SqlState::FEATURE_NOT_SUPPORTED,
                            "cannot truncate a table referenced in a foreign key constraint",
                        )
                        .with_detail(format!("Table \"{}\" references \"{parent}\".", child.name))
                        .with_hint(format!(
                            "Truncate table \"{}\" at the same time, or use TRUNCATE ... CASCADE.",
                            child.name
                        )));
                    }
                    ids.push(child.id);
                }
            }
            i += 1;
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for id in ids {
            table_io::clear_table(txn, id)?;
        }
        Ok(StatementResult::command("TRUNCATE TABLE"))
    }
}

/// Writes the entries of a new index for every existing row; a unique index fails with
/// 23505 on duplicates.
pub(super) fn build_index(txn: &mut Transaction, table: &TableDef, index: &IndexDef) -> Result<()> {
    let mut rows = Vec::new();
    table_io::scan_rows(
        txn,
        table,
        (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
        |pk, row| {
            rows.push((pk, row));
            Ok(true)
        },
    )?;
    let mut with_index = table.clone();
    with_index.indexes = vec![index.clone()];
    for (pk, row) in rows {
        if index.unique {
            if let Some(_other) =
                table_io::unique_conflict(txn, &with_index, index, &row, Some(&pk))?
            {
                let (names, vals) = crate::exec::unique_key_detail(table, index, &row)?;
                return Err(Error::new(
                    SqlState::UNIQUE_VIOLATION,
                    format!("could not create unique index \"{}\"", index.name),
                )
                .with_detail(format!("Key ({names})=({vals}) is duplicated.")));
            }
        }
        if let Some(key) = table_io::index_entry_key(table, index, &row, &pk)? {
            txn.put(&key, &pk)?;
        }
    }
    Ok(())
}

/// A CREATE VIEW's `WITH (...)` options.
#[derive(Debug, Default)]
struct ViewOptions {
    check_option: Option<String>,
    security_barrier: bool,
    security_invoker: bool,
}

/// The options of a CREATE VIEW's `WITH (...)` list (a trailing `WITH [LOCAL |
/// CASCADED] CHECK OPTION` becomes `check_option` there, see `parser/check_option.rs`).
fn view_options(options: &ast::CreateTableOptions) -> Result<ViewOptions> {
    let list = match options {
        ast::CreateTableOptions::None => return Ok(ViewOptions::default()),
        ast::CreateTableOptions::With(list) => list,
        _ => return Err(Error::unsupported("view options other than WITH (...)")),
    };
    let mut out = ViewOptions::default();
    for o in list {
        // `WITH (security_barrier)` names a boolean option without a value: true.
        let (key, text) = match o {
            ast::SqlOption::KeyValue { key, value } => {
                let text = match value {
                    ast::Expr::Value(v) => match &v.value {
                        ast::Value::SingleQuotedString(s) => s.to_lowercase(),
                        other => other.to_string().to_lowercase(),
                    },
                    ast::Expr::Identifier(i) => crate::parser::ident_name(i),
                    other => other.to_string().to_lowercase(),
                };
                (key, Some(text))
            }
            ast::SqlOption::Ident(key) => (key, None),
            other => return Err(Error::unsupported(format!("view option {other}"))),
        };
        let name = object_name(key)?.name;
        let invalid = |kind: &str, v: &str| {
            Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("invalid value for {kind} option \"{name}\": {v}"),
            )
        };
        let boolean = |text: Option<&str>| match text {
            None | Some("true" | "on" | "yes" | "1") => Ok(true),
            Some("false" | "off" | "no" | "0") => Ok(false),
            Some(v) => Err(invalid("boolean", v)),
        };
        match name.as_str() {
            "check_option" => match text.as_deref() {
                Some(v @ ("local" | "cascaded")) => out.check_option = Some(v.to_string()),
                v => {
                    return Err(invalid("enum", v.unwrap_or(""))
                        .with_detail("Valid values are \"local\" and \"cascaded\"."))
                }
            },
            "security_barrier" => out.security_barrier = boolean(text.as_deref())?,
            "security_invoker" => out.security_invoker = boolean(text.as_deref())?,
            other => {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("unrecognized parameter \"{other}\""),
                ))
            }
        }
    }
    Ok(out)
}

/// The tables of one `DROP TABLE a, b, ...` reordered so that a table goes before the
/// tables it references: dropping them together then needs no CASCADE for the foreign
/// keys among them, as in PostgreSQL (a reference cycle keeps the given order).
fn referencing_first(
    catalog: &Catalog,
    search_path: &[String],
    names: &[ast::ObjectName],
) -> Vec<ast::ObjectName> {
    let id_of = |n: &ast::ObjectName| {
        let qn = object_name(n).ok()?;
        match catalog.resolve(qn.schema.as_deref(), &qn.name, search_path) {
            Some((_, Relation::Table(id))) => Some(id),
            _ => None,
        }
    };
    let mut rest: Vec<(ast::ObjectName, Option<u32>)> =
        names.iter().map(|n| (n.clone(), id_of(n))).collect();
    let mut out = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        // The first table no other remaining table references.
        let free = rest.iter().position(|(_, id)| {
            let Some(id) = id else { return true };
            !rest.iter().any(|(_, other)| {
                other.is_some_and(|o| {
                    o != *id
                        && catalog
                            .table(o)
                            .is_some_and(|t| t.foreign_keys.iter().any(|f| f.ref_table == *id))
                })
            })
        });
        let pick = free.unwrap_or(0);
        out.push(rest.remove(pick).0);
    }
    out
}

/// Applies the options of CREATE SEQUENCE (or of an identity column) to `seq`, with
/// PostgreSQL's defaults: bounds 1..`type_max` ascending, `type_min`..-1 descending,
/// START at the bound the sequence counts from.
pub(super) fn apply_sequence_options(
    seq: &mut SequenceDef,
    opts: &[ast::SequenceOptions],
    type_min: i64,
    type_max: i64,
) -> Result<()> {
    let int = |e: &ast::Expr| -> Result<i64> {
        let text = e.to_string().replace(' ', "");
        text.parse::<i64>().map_err(|_| {
            Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("invalid sequence option value {text}"),
            )
        })
    };
    let (mut start, mut min, mut max) = (None, None, None);
    for o in opts {
        match o {
            ast::SequenceOptions::IncrementBy(e, _) => seq.increment = int(e)?,
            ast::SequenceOptions::MinValue(Some(e)) => min = Some(int(e)?),
            ast::SequenceOptions::MaxValue(Some(e)) => max = Some(int(e)?),
            ast::SequenceOptions::StartWith(e, _) => start = Some(int(e)?),
            ast::SequenceOptions::Cycle(no) => seq.cycle = !*no,
            _ => {}
        }
    }
    if seq.increment == 0 {
        return Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "INCREMENT must not be zero"));
    }
    if seq.increment < 0 {
        seq.min = min.unwrap_or(type_min);
        seq.max = max.unwrap_or(-1);
    } else {
        seq.min = min.unwrap_or(1);
        seq.max = max.unwrap_or(type_max);
    }
    seq.start = start.unwrap_or(if seq.increment > 0 { seq.min } else { seq.max });
    Ok(())
}
