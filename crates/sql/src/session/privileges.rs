//! GRANT / REVOKE on tables, views, sequences and schemas; ALTER ... OWNER TO; row-level
//! security statements (ALTER TABLE ... ROW LEVEL SECURITY, CREATE / ALTER / DROP
//! POLICY); the ownership checks DDL makes.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::catalog::access::{must_be_owner, permission_denied, PolicyCommand, PUBLIC};
use crate::catalog::{
    Catalog, CatalogStore, DatabaseDef, ObjectAccess, PolicyDef, Privileges, Relation, SchemaDef,
    TableDef,
};
use crate::parser::{ident_name, object_name};

/// An object ALTER ... OWNER TO changes.
pub(super) enum Owned {
    Table(TableDef),
    View(crate::catalog::ViewDef),
    Sequence(crate::catalog::SequenceDef),
    Schema(SchemaDef),
    Type(crate::catalog::TypeDef),
}

/// One object a GRANT or REVOKE names.
enum Target {
    Table(Arc<TableDef>),
    View(u32),
    Sequence(u32),
    Schema(String),
    Database,
}

impl Session {
    /// The catalog the current transaction sees.
    pub(super) fn statement_catalog(&self) -> Result<Arc<Catalog>> {
        let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
        self.engine.catalogs.get(txn)
    }

    /// Requires the current role to own an object owned by `owner` (42501).
    pub(super) fn require_owner(
        &self,
        catalog: &Catalog,
        owner: u32,
        kind: &str,
        name: &str,
    ) -> Result<()> {
        if self.auth(catalog).owns(owner) {
            Ok(())
        } else {
            Err(must_be_owner(kind, name))
        }
    }

    /// Requires the current role to own `table` (a materialized view is named as one).
    pub(super) fn require_table_owner(&self, catalog: &Catalog, table: &TableDef) -> Result<()> {
        let kind = if table.matview.is_some() { "materialized view" } else { "table" };
        self.require_owner(catalog, table.access.owner, kind, &table.name)
    }

    /// Requires CREATE on the schema objects are created in.
    pub(super) fn require_create_in(&self, catalog: &Catalog, schema: &str) -> Result<()> {
        let auth = self.auth(catalog);
        if auth.superuser || super::is_temp_schema(schema) {
            return Ok(());
        }
        let Some(s) = catalog.schemas.get(schema) else { return Ok(()) };
        if s.privileges_of(&auth).contains(Privileges::CREATE) {
            return Ok(());
        }
        Err(permission_denied("schema", schema))
    }

    /// Requires `want` on `table` (TRUNCATE and the like, checked outside the binder).
    pub(super) fn require_table_privilege(
        &self,
        catalog: &Catalog,
        table: &TableDef,
        want: Privileges,
    ) -> Result<()> {
        let auth = self.auth(catalog);
        if table.access.privileges_of(&auth, Privileges::TABLE_ALL).contains(want) {
            return Ok(());
        }
        Err(permission_denied("table", &table.name))
    }

    /// `GRANT privileges ON objects TO roles` and `REVOKE privileges ON objects FROM
    /// roles`.
    pub(super) fn grant_privileges(
        &mut self,
        privileges: &ast::Privileges,
        objects: Option<&ast::GrantObjects>,
        grantees: &[ast::Grantee],
        grant: bool,
        with_grant_option: bool,
    ) -> Result<StatementResult> {
        let tag = if grant { "GRANT" } else { "REVOKE" };
        if with_grant_option {
            return Err(Error::unsupported("WITH GRANT OPTION"));
        }
        let (catalog, _) = self.ddl_parts()?;
        let search_path = self.settings.search_path();
        let objects = objects.ok_or_else(|| Error::unsupported(format!("{tag} without ON")))?;
        let mut targets = Vec::new();
        let relation = |n: &ast::ObjectName| -> Result<(String, Relation)> {
            let qn = object_name(n)?;
            catalog
                .resolve(qn.schema.as_deref(), &qn.name, &search_path)
                .ok_or_else(|| crate::binder::undefined_table(&qn.schema, &qn.name))
        };
        match objects {
            ast::GrantObjects::Tables(names) => {
                for n in names {
                    targets.push(match relation(n)?.1 {
                        Relation::Table(id) => Target::Table(
                            catalog.table(id).cloned().ok_or_else(|| Error::internal("table"))?,
                        ),
                        Relation::View(id) => Target::View(id),
                        Relation::Sequence(id) => Target::Sequence(id),
                        Relation::Index(..) => {
                            return Err(Error::new(
                                SqlState::WRONG_OBJECT_TYPE,
                                format!("\"{}\" is an index", object_name(n)?.name),
                            ))
                        }
                    });
                }
            }
            ast::GrantObjects::Sequences(names) => {
                for n in names {
                    match relation(n)?.1 {
                        Relation::Sequence(id) => targets.push(Target::Sequence(id)),
                        _ => {
                            return Err(Error::new(
                                SqlState::WRONG_OBJECT_TYPE,
                                format!("\"{}\" is not a sequence", object_name(n)?.name),
                            ))
                        }
                    }
                }
            }
            ast::GrantObjects::Schemas(names) => {
                for n in names {
                    let name = object_name(n)?.name;
                    if !catalog.schemas.contains_key(&name) {
                        return Err(Error::new(
                            SqlState::INVALID_SCHEMA_NAME,
                            format!("schema \"{name}\" does not exist"),
                        ));
                    }
                    targets.push(Target::Schema(name));
                }
            }
            ast::GrantObjects::AllTablesInSchema { schemas }
            | ast::GrantObjects::AllSequencesInSchema { schemas } => {
                let tables = matches!(objects, ast::GrantObjects::AllTablesInSchema { .. });
                for s in schemas {
                    let name = object_name(s)?.name;
                    if !catalog.schemas.contains_key(&name) {
                        return Err(Error::new(
                            SqlState::INVALID_SCHEMA_NAME,
                            format!("schema \"{name}\" does not exist"),
                        ));
                    }
                    if tables {
                        let mut ts: Vec<_> =
                            catalog.tables.values().filter(|t| t.schema == name).collect();
                        ts.sort_by_key(|t| t.id);
                        targets.extend(ts.into_iter().map(|t| Target::Table(t.clone())));
                        let mut vs: Vec<_> =
                            catalog.views.values().filter(|v| v.schema == name).collect();
                        vs.sort_by_key(|v| v.id);
                        targets.extend(vs.into_iter().map(|v| Target::View(v.id)));
                    } else {
                        let mut ss: Vec<_> =
                            catalog.sequences.values().filter(|s| s.schema == name).collect();
                        ss.sort_by_key(|s| s.id);
                        targets.extend(ss.into_iter().map(|s| Target::Sequence(s.id)));
                    }
                }
            }
            ast::GrantObjects::Databases(names) => {
                // One database per file, known under whatever name a client uses: the
                // name must be the one this session connected to.
                let current = self.info().database;
                for n in names {
                    let name = object_name(n)?.name;
                    if name != current {
                        return Err(Error::new(
                            SqlState::UNDEFINED_DATABASE,
                            format!("database \"{name}\" does not exist"),
                        ));
                    }
                    targets.push(Target::Database);
                }
            }
            other => return Err(Error::unsupported(format!("{tag} ON {other}"))),
        }
        let login = self.session_user();
        let mut roles = Vec::new();
        for g in grantees {
            if g.grantee_type == ast::GranteesType::Public {
                roles.push(PUBLIC);
                continue;
            }
            match &g.name {
                Some(ast::GranteeName::ObjectName(n)) => {
                    let name = object_name(n)?.name;
                    if name.eq_ignore_ascii_case("public") {
                        roles.push(PUBLIC);
                    } else {
                        roles.push(catalog.role_id(&name, &login)?);
                    }
                }
                _ => return Err(Error::unsupported(format!("grantee {g}"))),
            }
        }
        let me = self.auth(&catalog);
        let database = self.info().database;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for target in targets {
            let (kind, name, mut access, all) = match &target {
                Target::Table(t) => {
                    let kind = if t.matview.is_some() { "materialized view" } else { "table" };
                    (kind, t.name.clone(), t.access.clone(), Privileges::TABLE_ALL)
                }
                Target::View(id) => {
                    let v = catalog.views.get(id).ok_or_else(|| Error::internal("view"))?;
                    ("view", v.name.clone(), v.access.clone(), Privileges::TABLE_ALL)
                }
                Target::Sequence(id) => {
                    let s = catalog.sequences.get(id).ok_or_else(|| Error::internal("seq"))?;
                    ("sequence", s.name.clone(), s.access.clone(), Privileges::SEQUENCE_ALL)
                }
                Target::Schema(n) => {
                    let s = catalog.schemas.get(n).ok_or_else(|| Error::internal("schema"))?;
                    ("schema", s.name.clone(), s.access.clone(), Privileges::SCHEMA_ALL)
                }
                Target::Database => (
                    "database",
                    database.clone(),
                    catalog.database.access.clone(),
                    Privileges::DATABASE_ALL,
                ),
            };
            if !me.owns(access.owner) {
                return Err(permission_denied(kind, &name));
            }
            let wanted = privilege_set(privileges, all, kind)?;
            // The default ACL gives PUBLIC some rights: keep them explicit from now on.
            access.materialize(match &target {
                Target::Database => DatabaseDef::PUBLIC_DEFAULT,
                Target::Schema(n) => {
                    catalog.schemas.get(n).map_or(Privileges::default(), |s| s.public_default())
                }
                _ => Privileges::default(),
            });
            for r in &roles {
                if *r == access.owner {
                    // Owners hold every privilege; PostgreSQL records nothing new.
                    continue;
                }
                if grant {
                    access.grant(*r, access.owner, wanted);
                } else {
                    access.revoke(*r, wanted);
                }
            }
            match target {
                Target::Table(t) => {
                    let mut t = TableDef::clone(&t);
                    t.access = access;
                    CatalogStore::put_table(txn, &t)?;
                }
                Target::View(id) => {
                    let mut v = catalog
                        .views
                        .get(&id)
                        .map(|v| v.as_ref().clone())
                        .ok_or_else(|| Error::internal("view vanished"))?;
                    v.access = access;
                    CatalogStore::put_view(txn, &v)?;
                }
                Target::Sequence(id) => {
                    let mut s = catalog
                        .sequences
                        .get(&id)
                        .map(|s| s.as_ref().clone())
                        .ok_or_else(|| Error::internal("sequence vanished"))?;
                    s.access = access;
                    CatalogStore::put_sequence(txn, &s)?;
                }
                Target::Database => {
                    let mut d = catalog.database.clone();
                    d.access = access;
                    CatalogStore::put_database(txn, &d)?;
                }
                Target::Schema(n) => {
                    let mut s: SchemaDef = catalog
                        .schemas
                        .get(&n)
                        .cloned()
                        .ok_or_else(|| Error::internal("schema vanished"))?;
                    s.access = access;
                    CatalogStore::put_schema(txn, &s)?;
                }
            }
        }
        self.bump_version()?;
        Ok(StatementResult::command(tag))
    }

    /// `ALTER TABLE | VIEW | SEQUENCE | SCHEMA name OWNER TO role`: the current role must
    /// own the object and be a member of the new owner (superusers may give anything to
    /// anyone). Sequences a table's columns own follow the table.
    pub(super) fn alter_owner(
        &mut self,
        catalog: &Catalog,
        object: Owned,
        owner: &ast::Owner,
    ) -> Result<()> {
        let login = self.session_user();
        let new_owner = match owner {
            ast::Owner::Ident(i) => catalog.role_id(&ident_name(i), &login)?,
            ast::Owner::CurrentRole | ast::Owner::CurrentUser => self.auth(catalog).id,
            ast::Owner::SessionUser => catalog.auth(&login).id,
        };
        let (kind, name, access) = match &object {
            Owned::Table(t) => (
                if t.matview.is_some() { "materialized view" } else { "table" },
                &t.name,
                &t.access,
            ),
            Owned::View(v) => ("view", &v.name, &v.access),
            Owned::Sequence(s) => ("sequence", &s.name, &s.access),
            Owned::Schema(s) => ("schema", &s.name, &s.access),
            Owned::Type(t) => ("type", &t.name, &t.access),
        };
        self.require_owner(catalog, access.owner, kind, name)?;
        let me = self.auth(catalog);
        if !me.superuser && !me.member_of.contains(&new_owner) {
            return Err(Error::new(
                SqlState::INSUFFICIENT_PRIVILEGE,
                format!("must be able to SET ROLE \"{}\"", catalog.role_name(new_owner, &login)),
            ));
        }
        let moved = |a: &ObjectAccess| {
            let mut a = a.clone();
            let old_owner = a.owner;
            a.owner = new_owner;
            // Grants the old owner gave are now the new owner's, as PostgreSQL rewrites
            // the ACL; the new owner needs no grant of its own.
            for item in &mut a.acl {
                if item.grantor == old_owner {
                    item.grantor = new_owner;
                }
            }
            a.acl.retain(|item| item.grantee != new_owner);
            a
        };
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        match object {
            Owned::Table(mut t) => {
                t.access = moved(&t.access);
                CatalogStore::put_table(txn, &t)?;
                for s in catalog.sequences.values() {
                    if s.owned_by.as_ref().is_some_and(|(tid, _)| *tid == t.id) {
                        let mut s = s.as_ref().clone();
                        s.access = moved(&s.access);
                        CatalogStore::put_sequence(txn, &s)?;
                    }
                }
            }
            Owned::View(mut v) => {
                v.access = moved(&v.access);
                CatalogStore::put_view(txn, &v)?;
            }
            Owned::Sequence(mut s) => {
                s.access = moved(&s.access);
                CatalogStore::put_sequence(txn, &s)?;
            }
            Owned::Schema(mut s) => {
                s.access = moved(&s.access);
                CatalogStore::put_schema(txn, &s)?;
            }
            Owned::Type(mut t) => {
                t.access = moved(&t.access);
                CatalogStore::put_type(txn, &t)?;
            }
        }
        Ok(())
    }

    /// `ALTER SCHEMA name OWNER TO role | RENAME TO new`.
    pub(super) fn alter_schema(&mut self, a: &ast::AlterSchema) -> Result<StatementResult> {
        let (catalog, _) = self.ddl_parts()?;
        let name = object_name(&a.name)?.name;
        let Some(schema) = catalog.schemas.get(&name).cloned() else {
            if a.if_exists {
                return Ok(StatementResult::command("ALTER SCHEMA"));
            }
            return Err(Error::new(
                SqlState::INVALID_SCHEMA_NAME,
                format!("schema \"{name}\" does not exist"),
            ));
        };
        for op in &a.operations {
            match op {
                ast::AlterSchemaOperation::OwnerTo { owner } => {
                    self.alter_owner(&catalog, Owned::Schema(schema.clone()), owner)?
                }
                ast::AlterSchemaOperation::Rename { name } => {
                    let new = object_name(name)?.name;
                    self.rename_schema(&catalog, &schema, &new)?
                }
                other => return Err(Error::unsupported(format!("ALTER SCHEMA {other}"))),
            }
        }
        self.bump_version()?;
        Ok(StatementResult::command("ALTER SCHEMA"))
    }

    /// `ALTER TABLE ... ENABLE | DISABLE | FORCE | NO FORCE ROW LEVEL SECURITY`.
    pub(super) fn set_row_security(
        &mut self,
        catalog: &Catalog,
        table: &TableDef,
        enabled: Option<bool>,
        forced: Option<bool>,
    ) -> Result<()> {
        self.require_table_owner(catalog, table)?;
        let mut t = table.clone();
        if let Some(e) = enabled {
            t.row_security.enabled = e;
        }
        if let Some(f) = forced {
            t.row_security.forced = f;
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_table(txn, &t)
    }

    /// The table a policy statement names, which the current role must own.
    fn policy_table(&mut self, name: &ast::ObjectName) -> Result<(Arc<Catalog>, TableDef)> {
        let (catalog, _) = self.ddl_parts()?;
        let qn = object_name(name)?;
        let search_path = self.settings.search_path();
        let table = match catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path) {
            Some((_, Relation::Table(id))) => catalog
                .table(id)
                .map(|t| t.as_ref().clone())
                .ok_or_else(|| Error::internal("table"))?,
            Some(_) => {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("\"{}\" is not a table", qn.name),
                ))
            }
            None => return Err(crate::binder::undefined_table(&qn.schema, &qn.name)),
        };
        self.require_table_owner(&catalog, &table)?;
        Ok((catalog, table))
    }

    /// `CREATE POLICY name ON table [AS ...] [FOR ...] [TO ...] [USING (...)] [WITH CHECK
    /// (...)]`.
    pub(super) fn create_policy(&mut self, p: &ast::CreatePolicy) -> Result<StatementResult> {
        let (catalog, mut table) = self.policy_table(&p.table_name)?;
        let name = ident_name(&p.name);
        if table.row_security.policies.iter().any(|q| q.name == name) {
            return Err(Error::new(
                SqlState::DUPLICATE_OBJECT,
                format!("policy \"{name}\" for table \"{}\" already exists", table.name),
            ));
        }
        let command = match p.command {
            None | Some(ast::CreatePolicyCommand::All) => PolicyCommand::All,
            Some(ast::CreatePolicyCommand::Select) => PolicyCommand::Select,
            Some(ast::CreatePolicyCommand::Insert) => PolicyCommand::Insert,
            Some(ast::CreatePolicyCommand::Update) => PolicyCommand::Update,
            Some(ast::CreatePolicyCommand::Delete) => PolicyCommand::Delete,
        };
        let mut policy = PolicyDef {
            id: 0,
            name,
            permissive: !matches!(p.policy_type, Some(ast::CreatePolicyType::Restrictive)),
            command,
            roles: Vec::new(),
            using: None,
            check: None,
        };
        self.apply_policy_parts(
            &catalog,
            &table,
            &mut policy,
            p.to.as_deref(),
            p.using.as_ref(),
            p.with_check.as_ref(),
        )?;
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        policy.id = CatalogStore::next_id(txn)?;
        table.row_security.policies.push(policy);
        CatalogStore::put_table(txn, &table)?;
        self.bump_version()?;
        Ok(StatementResult::command("CREATE POLICY"))
    }

    /// Sets a policy's roles and expressions, checking them as PostgreSQL does.
    fn apply_policy_parts(
        &self,
        catalog: &Catalog,
        table: &TableDef,
        policy: &mut PolicyDef,
        to: Option<&[ast::Owner]>,
        using: Option<&ast::Expr>,
        check: Option<&ast::Expr>,
    ) -> Result<()> {
        if check.is_some()
            && matches!(policy.command, PolicyCommand::Select | PolicyCommand::Delete)
        {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "WITH CHECK cannot be applied to SELECT or DELETE",
            ));
        }
        if using.is_some() && policy.command == PolicyCommand::Insert {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "only WITH CHECK expression allowed for INSERT",
            ));
        }
        if let Some(to) = to {
            let login = self.session_user();
            policy.roles.clear();
            for o in to {
                let id = match o {
                    ast::Owner::Ident(i) if ident_name(i) == "public" => PUBLIC,
                    ast::Owner::Ident(i) => catalog.role_id(&ident_name(i), &login)?,
                    ast::Owner::CurrentRole | ast::Owner::CurrentUser => self.auth(catalog).id,
                    ast::Owner::SessionUser => catalog.auth(&login).id,
                };
                if id == PUBLIC {
                    policy.roles.clear();
                    break;
                }
                policy.roles.push(id);
            }
        }
        // The expressions must bind over the table's columns now, not at first use.
        let info = self.info();
        let fields = crate::binder::table_row_fields(table);
        for e in [using, check].into_iter().flatten() {
            let mut binder = crate::binder::Binder::new(catalog, &info, Vec::new());
            binder.bind_condition(e, &fields, "POLICY", false)?;
        }
        if let Some(u) = using {
            policy.using = Some(u.to_string());
        }
        if let Some(c) = check {
            policy.check = Some(c.to_string());
        }
        Ok(())
    }

    /// `ALTER POLICY name ON table RENAME TO new | [TO roles] [USING (...)] [WITH CHECK
    /// (...)]`.
    pub(super) fn alter_policy(&mut self, p: &ast::AlterPolicy) -> Result<StatementResult> {
        let (catalog, mut table) = self.policy_table(&p.table_name)?;
        let name = ident_name(&p.name);
        let table_name = table.name.clone();
        let at = table
            .row_security
            .policies
            .iter()
            .position(|q| q.name == name)
            .ok_or_else(|| no_such_policy(&name, &table_name))?;
        match &p.operation {
            ast::AlterPolicyOperation::Rename { new_name } => {
                let new = ident_name(new_name);
                if table.row_security.policies.iter().any(|q| q.name == new) {
                    return Err(Error::new(
                        SqlState::DUPLICATE_OBJECT,
                        format!("policy \"{new}\" for table \"{table_name}\" already exists"),
                    ));
                }
                table.row_security.policies[at].name = new;
            }
            ast::AlterPolicyOperation::Apply { to, using, with_check } => {
                let mut policy = table.row_security.policies[at].clone();
                self.apply_policy_parts(
                    &catalog,
                    &table,
                    &mut policy,
                    to.as_deref(),
                    using.as_ref(),
                    with_check.as_ref(),
                )?;
                table.row_security.policies[at] = policy;
            }
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_table(txn, &table)?;
        self.bump_version()?;
        Ok(StatementResult::command("ALTER POLICY"))
    }

    /// `DROP POLICY [IF EXISTS] name ON table`.
    pub(super) fn drop_policy(&mut self, p: &ast::DropPolicy) -> Result<StatementResult> {
        let (_, mut table) = self.policy_table(&p.table_name)?;
        let name = ident_name(&p.name);
        let before = table.row_security.policies.len();
        table.row_security.policies.retain(|q| q.name != name);
        if table.row_security.policies.len() == before {
            if p.if_exists {
                return Ok(StatementResult::command("DROP POLICY"));
            }
            return Err(no_such_policy(&name, &table.name));
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_table(txn, &table)?;
        self.bump_version()?;
        Ok(StatementResult::command("DROP POLICY"))
    }
}

fn no_such_policy(name: &str, table: &str) -> Error {
    Error::new(
        SqlState::UNDEFINED_OBJECT,
        format!("policy \"{name}\" for table \"{table}\" does not exist"),
    )
}

/// The privileges a GRANT / REVOKE names, checked against what `kind` can have.
fn privilege_set(p: &ast::Privileges, all: Privileges, kind: &str) -> Result<Privileges> {
    let actions = match p {
        ast::Privileges::All { .. } => return Ok(all),
        ast::Privileges::Actions(a) => a,
    };
    let mut out = Privileges::default();
    for a in actions {
        let (name, columns) = match a {
            ast::Action::Select { columns }
            | ast::Action::Insert { columns }
            | ast::Action::Update { columns }
            | ast::Action::References { columns } => (
                a.to_string().split_whitespace().next().unwrap_or("").to_string(),
                columns.is_some(),
            ),
            other => (other.to_string(), false),
        };
        if columns {
            return Err(Error::unsupported("column privileges"));
        }
        let p = Privileges::by_name(name.trim()).ok_or_else(|| {
            Error::new(SqlState::SYNTAX_ERROR, format!("unrecognized privilege type \"{name}\""))
        })?;
        if !all.contains(p) {
            return Err(Error::new(
                SqlState::INVALID_GRANT_OPERATION,
                format!("invalid privilege type {name} for {kind}"),
            ));
        }
        out = out.with(p);
    }
    Ok(out)
}
