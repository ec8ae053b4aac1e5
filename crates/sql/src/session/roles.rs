//! Roles: CREATE / ALTER / DROP ROLE (and USER), role membership (GRANT role TO role),
//! SET ROLE and SET SESSION AUTHORIZATION.
//!
//! A session has the user it logged in as (`login`), the session user
//! (`session_authorization`, changed by SET SESSION AUTHORIZATION) and the current role
//! (the `role` setting, changed by SET ROLE; `none` means the session user). Privilege
//! checks use the current role ([`Session::auth`]).

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::catalog::access::{AuthId, Membership, BOOTSTRAP_ROLE};
use crate::catalog::{Catalog, CatalogStore, RoleDef};
use crate::encoding::keys::CatalogKind;
use crate::parser::{ident_name, object_name};

/// A role name PostgreSQL reserves (42939).
fn check_reserved(name: &str) -> Result<()> {
    if name.starts_with("pg_") || name == "public" || name == "none" {
        return Err(Error::new(
            SqlState::from_code("42939"),
            format!("role name \"{name}\" is reserved"),
        ));
    }
    Ok(())
}

fn no_such_role(name: &str) -> Error {
    Error::new(SqlState::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist"))
}

/// The stored form of a `PASSWORD` option for `role` ([`super::password::encrypt`] with
/// `method`, the session's `password_encryption`); `None` for `PASSWORD NULL`.
fn password_text(p: &ast::Password, role: &str, method: &str) -> Result<Option<String>> {
    match p {
        ast::Password::NullPassword => Ok(None),
        ast::Password::Password(ast::Expr::Value(v)) => match &v.value {
            // PostgreSQL refuses an empty password (also hashed) and stores none.
            ast::Value::SingleQuotedString(s) => super::password::encrypt(s, role, method),
            ast::Value::Null => Ok(None),
            other => Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("syntax error at or near \"{other}\""),
            )),
        },
        ast::Password::Password(other) => {
            Err(Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{other}\"")))
        }
    }
}

/// The moment of `VALID UNTIL 'text'`, read as a `timestamptz` in `timezone`.
fn valid_until(e: &ast::Expr, timezone: &str) -> Result<i64> {
    let ast::Expr::Value(v) = e else {
        return Err(Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{e}\"")));
    };
    let ast::Value::SingleQuotedString(text) = &v.value else {
        return Err(Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{v}\"")));
    };
    let tz = helios_types::TimeZone::parse(timezone).unwrap_or(helios_types::TimeZone::UTC);
    Ok(helios_types::text::datetime::parse_timestamptz(text, &tz)?)
}

fn int_option(e: &ast::Expr) -> Result<i32> {
    e.to_string().trim().parse::<i32>().map_err(|_| {
        Error::new(SqlState::INVALID_PARAMETER_VALUE, format!("invalid connection limit: {e}"))
    })
}

impl Session {
    /// The role statements run as: the `role` setting, or the session user.
    pub(super) fn current_role(&self) -> String {
        match self.settings.get("role") {
            Some(r) if r != "none" && !r.is_empty() => r,
            _ => self.session_user(),
        }
    }

    /// The session user (`session_authorization`, set to the user that logged in).
    pub(super) fn session_user(&self) -> String {
        self.settings.get("session_authorization").unwrap_or_else(|| "postgres".into())
    }

    /// How `PASSWORD` options are stored (`password_encryption`).
    fn password_encryption(&self) -> String {
        self.settings.get("password_encryption").unwrap_or_else(|| "scram-sha-256".into())
    }

    /// Keeps `is_superuser` (what SHOW and clients read) in step with the current role.
    pub(super) fn note_superuser(&mut self, catalog: &Catalog) {
        let on = self.auth(catalog).superuser;
        self.settings.set_internal("is_superuser", if on { "on" } else { "off" });
    }

    /// The current role resolved against `catalog`, for privilege checks.
    pub(super) fn auth(&self, catalog: &Catalog) -> AuthId {
        catalog.auth(&self.current_role())
    }

    /// `CREATE ROLE` (and `CREATE USER`, which also gives `LOGIN`).
    pub(super) fn create_role(
        &mut self,
        cr: &ast::CreateRole,
        login_default: bool,
    ) -> Result<StatementResult> {
        let (catalog, _) = self.ddl_parts()?;
        let me = self.auth(&catalog);
        let my_role = catalog.roles.get(&me.id);
        if !me.superuser && !my_role.is_some_and(|r| r.create_role) {
            return Err(Error::new(
                SqlState::INSUFFICIENT_PRIVILEGE,
                "permission denied to create role",
            )
            .with_detail("Only roles with the CREATEROLE attribute may create roles."));
        }
        let elevated = [cr.superuser, cr.replication, cr.bypassrls].contains(&Some(true));
        if elevated && !me.superuser {
            return Err(Error::new(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied to create role")
                .with_detail("Only roles with the SUPERUSER attribute may create roles with the SUPERUSER, REPLICATION or BYPASSRLS attribute."));
        }
        let login = self.session_user();
        let encryption = self.password_encryption();
        let timezone = self.settings.get("timezone").unwrap_or_default();
        let until = cr.valid_until.as_ref().map(|e| valid_until(e, &timezone)).transpose()?;
        for name in &cr.names {
            let name = object_name(name)?.name;
            check_reserved(&name)?;
            if catalog.role(&name).is_some() || catalog.role_name(BOOTSTRAP_ROLE, &login) == name {
                return Err(Error::new(
                    SqlState::DUPLICATE_OBJECT,
                    format!("role \"{name}\" already exists"),
                ));
            }
            let mut member_of = Vec::new();
            for parent in cr.in_role.iter().chain(&cr.in_group) {
                let id = catalog.role_id(&ident_name(parent), &login)?;
                member_of.push(Membership { role: id, admin: false, grantor: me.id });
            }
            let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
            let id = CatalogStore::next_id(txn)?;
            let role = RoleDef {
                id,
                password: match &cr.password {
                    Some(p) => password_text(p, &name, &encryption)?,
                    None => None,
                },
                name,
                superuser: cr.superuser.unwrap_or(false),
                inherit: cr.inherit.unwrap_or(true),
                create_role: cr.create_role.unwrap_or(false),
                create_db: cr.create_db.unwrap_or(false),
                login: cr.login.unwrap_or(login_default),
                replication: cr.replication.unwrap_or(false),
                bypass_rls: cr.bypassrls.unwrap_or(false),
                connection_limit: match &cr.connection_limit {
                    Some(e) => int_option(e)?,
                    None => -1,
                },
                member_of,
                valid_until: until,
            };
            CatalogStore::put_role(txn, &role)?;
            // `ROLE a, b` / `USER a, b` / `ADMIN a`: the listed roles become members.
            let members = cr.role.iter().chain(&cr.user).map(|m| (m, false));
            for (member, admin) in members.chain(cr.admin.iter().map(|m| (m, true))) {
                let mid = catalog.role_id(&ident_name(member), &login)?;
                if let Some(mut m) = catalog.roles.get(&mid).cloned() {
                    m.member_of.push(Membership { role: role.id, admin, grantor: me.id });
                    CatalogStore::put_role(txn, &m)?;
                }
            }
        }
        self.bump_version()?;
        Ok(StatementResult::command("CREATE ROLE"))
    }

    /// The role `name` for ALTER / DROP, with the check that the current role may change
    /// it: superusers change anyone, CREATEROLE roles non-superusers, anyone themselves
    /// (their password only, which ALTER checks).
    fn role_to_change(&self, catalog: &Catalog, name: &str) -> Result<RoleDef> {
        let me = self.auth(catalog);
        let role = catalog.role(name).cloned().ok_or_else(|| no_such_role(name))?;
        let creator = catalog.roles.get(&me.id).is_some_and(|r| r.create_role);
        if me.superuser || (creator && !role.superuser) || role.id == me.id {
            return Ok(role);
        }
        Err(Error::new(
            SqlState::INSUFFICIENT_PRIVILEGE,
            format!("permission denied to alter role \"{name}\""),
        ))
    }

    /// `ALTER ROLE name WITH options | RENAME TO | SET / RESET`.
    pub(super) fn alter_role(
        &mut self,
        name: &ast::Ident,
        op: &ast::AlterRoleOperation,
    ) -> Result<StatementResult> {
        let (catalog, _) = self.ddl_parts()?;
        let name = ident_name(name);
        let mut role = self.role_to_change(&catalog, &name)?;
        let me = self.auth(&catalog);
        let privileged = me.superuser || catalog.roles.get(&me.id).is_some_and(|r| r.create_role);
        match op {
            ast::AlterRoleOperation::RenameRole { role_name } => {
                let new = ident_name(role_name);
                check_reserved(&new)?;
                if role.id == me.id {
                    return Err(Error::new(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "current user cannot be renamed",
                    ));
                }
                if catalog.role(&new).is_some() {
                    return Err(Error::new(
                        SqlState::DUPLICATE_OBJECT,
                        format!("role \"{new}\" already exists"),
                    ));
                }
                // An md5 password is salted with the name: PostgreSQL clears it too (a
                // SCRAM verifier is not, and stays).
                if role.password.as_deref().is_some_and(|p| p.starts_with("md5")) {
                    role.password = None;
                }
                role.name = new;
            }
            ast::AlterRoleOperation::WithOptions { options } => {
                for o in options {
                    let only_password = matches!(o, ast::RoleOption::Password(_));
                    if !privileged && !only_password {
                        return Err(Error::new(
                            SqlState::INSUFFICIENT_PRIVILEGE,
                            format!("permission denied to alter role \"{name}\""),
                        ));
                    }
                    let elevated = matches!(
                        o,
                        ast::RoleOption::SuperUser(_)
                            | ast::RoleOption::Replication(_)
                            | ast::RoleOption::BypassRLS(_)
                    );
                    if elevated && !me.superuser {
                        return Err(Error::new(
                            SqlState::INSUFFICIENT_PRIVILEGE,
                            format!("permission denied to alter role \"{name}\""),
                        ));
                    }
                    match o {
                        ast::RoleOption::BypassRLS(v) => role.bypass_rls = *v,
                        ast::RoleOption::ConnectionLimit(e) => {
                            role.connection_limit = int_option(e)?
                        }
                        ast::RoleOption::CreateDB(v) => role.create_db = *v,
                        ast::RoleOption::CreateRole(v) => role.create_role = *v,
                        ast::RoleOption::Inherit(v) => role.inherit = *v,
                        ast::RoleOption::Login(v) => role.login = *v,
                        ast::RoleOption::Password(p) => {
                            role.password = password_text(p, &name, &self.password_encryption())?
                        }
                        ast::RoleOption::Replication(v) => role.replication = *v,
                        ast::RoleOption::SuperUser(v) => role.superuser = *v,
                        ast::RoleOption::ValidUntil(e) => {
                            let timezone = self.settings.get("timezone").unwrap_or_default();
                            role.valid_until = Some(valid_until(e, &timezone)?);
                        }
                    }
                }
            }
            other => return Err(Error::unsupported(format!("ALTER ROLE {other}"))),
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_role(txn, &role)?;
        self.bump_version()?;
        Ok(StatementResult::command("ALTER ROLE"))
    }

    /// `DROP ROLE [IF EXISTS] a, b`: refused while a role owns objects or holds grants
    /// (2BP01), as in PostgreSQL.
    pub(super) fn drop_roles(
        &mut self,
        names: &[ast::ObjectName],
        if_exists: bool,
    ) -> Result<StatementResult> {
        for name in names {
            let (catalog, _) = self.ddl_parts()?;
            let name = object_name(name)?.name;
            if catalog.role(&name).is_none() && if_exists {
                continue;
            }
            let role = self.role_to_change(&catalog, &name)?;
            let me = self.auth(&catalog);
            if role.id == me.id {
                return Err(Error::new(SqlState::OBJECT_IN_USE, "current user cannot be dropped"));
            }
            if role.name == self.session_user() {
                return Err(Error::new(SqlState::OBJECT_IN_USE, "session user cannot be dropped"));
            }
            let deps = dependents(&catalog, role.id);
            if !deps.is_empty() {
                return Err(Error::new(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!("role \"{name}\" cannot be dropped because some objects depend on it"),
                )
                .with_detail(deps.join("\n")));
            }
            let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
            // Memberships in the dropped role go with it.
            for other in catalog.roles.values() {
                if other.member_of.iter().any(|m| m.role == role.id) {
                    let mut o = other.clone();
                    o.member_of.retain(|m| m.role != role.id);
                    CatalogStore::put_role(txn, &o)?;
                }
            }
            CatalogStore::delete(txn, CatalogKind::Role, role.id)?;
            self.bump_version()?;
        }
        Ok(StatementResult::command("DROP ROLE"))
    }

    /// `GRANT role, ... TO member, ... [WITH ADMIN OPTION]`.
    pub(super) fn grant_role(&mut self, g: &ast::GrantRole) -> Result<StatementResult> {
        let admin = g.options.iter().any(|o| o.to_string().to_uppercase().starts_with("ADMIN"));
        self.change_membership(&g.roles, &g.grantees, Some(admin))?;
        Ok(StatementResult::command("GRANT ROLE"))
    }

    /// `REVOKE role, ... FROM member, ...`.
    pub(super) fn revoke_role(&mut self, r: &ast::RevokeRole) -> Result<StatementResult> {
        self.change_membership(&r.roles, &r.grantees, None)?;
        Ok(StatementResult::command("REVOKE ROLE"))
    }

    /// Adds (`Some(admin)`) or removes (`None`) memberships.
    fn change_membership(
        &mut self,
        roles: &[ast::Ident],
        grantees: &[ast::Grantee],
        add: Option<bool>,
    ) -> Result<()> {
        let (catalog, _) = self.ddl_parts()?;
        let me = self.auth(&catalog);
        let login = self.session_user();
        let mut changed: std::collections::BTreeMap<u32, RoleDef> = Default::default();
        for role in roles {
            let rname = ident_name(role);
            let rid = catalog.role_id(&rname, &login)?;
            if rid == BOOTSTRAP_ROLE {
                return Err(Error::new(
                    SqlState::INVALID_GRANT_OPERATION,
                    format!("role \"{rname}\" cannot have explicit members"),
                ));
            }
            // Superusers, CREATEROLE roles and members WITH ADMIN OPTION may grant it.
            let creator = catalog.roles.get(&me.id).is_some_and(|r| r.create_role);
            let has_admin = catalog
                .roles
                .get(&me.id)
                .is_some_and(|r| r.member_of.iter().any(|m| m.role == rid && m.admin));
            if !me.superuser && !creator && !has_admin {
                return Err(Error::new(
                    SqlState::INSUFFICIENT_PRIVILEGE,
                    format!("permission denied to grant role \"{rname}\""),
                )
                .with_detail(format!(
                    "Only roles with the ADMIN option on role \"{rname}\" may grant this role."
                )));
            }
            for g in grantees {
                let gname = match &g.name {
                    Some(ast::GranteeName::ObjectName(n)) => object_name(n)?.name,
                    _ => return Err(Error::unsupported(format!("grantee {g}"))),
                };
                let gid = catalog.role_id(&gname, &login)?;
                let mut member = match changed.remove(&gid) {
                    Some(m) => m,
                    None => catalog.roles.get(&gid).cloned().ok_or_else(|| {
                        Error::new(
                            SqlState::INVALID_GRANT_OPERATION,
                            format!(
                                "role \"{gname}\" is the bootstrap superuser and needs no grants"
                            ),
                        )
                    })?,
                };
                match add {
                    Some(admin) => {
                        if gid == rid || catalog.auth(&rname).member_of.contains(&gid) {
                            return Err(Error::new(
                                SqlState::INVALID_GRANT_OPERATION,
                                format!("role \"{rname}\" is a member of role \"{gname}\""),
                            ));
                        }
                        match member.member_of.iter_mut().find(|m| m.role == rid) {
                            Some(m) => m.admin |= admin,
                            None => member.member_of.push(Membership {
                                role: rid,
                                admin,
                                grantor: me.id,
                            }),
                        }
                    }
                    None => member.member_of.retain(|m| m.role != rid),
                }
                changed.insert(gid, member);
            }
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        for r in changed.values() {
            CatalogStore::put_role(txn, r)?;
        }
        self.bump_version()
    }

    /// `SET ROLE name | NONE`: the current role must be a member of `name` (superusers
    /// may become anyone).
    pub(super) fn set_role(&mut self, name: Option<&ast::Ident>) -> Result<StatementResult> {
        let catalog = self.statement_catalog()?;
        let Some(name) = name else {
            self.settings.set("role", "none")?;
            self.note_superuser(&catalog);
            return Ok(StatementResult::command("SET"));
        };
        let name = ident_name(name);
        if name.eq_ignore_ascii_case("none") {
            self.settings.set("role", "none")?;
            self.note_superuser(&catalog);
            return Ok(StatementResult::command("SET"));
        }
        let login = self.session_user();
        let target = catalog.role_id(&name, &login).map_err(|_| {
            Error::new(SqlState::INVALID_PARAMETER_VALUE, format!("role \"{name}\" does not exist"))
        })?;
        // Membership is judged for the session user, as in PostgreSQL.
        let me = catalog.auth(&login);
        if !me.superuser && !me.member_of.contains(&target) {
            return Err(Error::new(
                SqlState::INSUFFICIENT_PRIVILEGE,
                format!("permission denied to set role \"{name}\""),
            ));
        }
        self.settings.set("role", &name)?;
        self.note_superuser(&catalog);
        Ok(StatementResult::command("SET"))
    }

    /// `SET SESSION AUTHORIZATION name | DEFAULT`: only a session that logged in as a
    /// superuser may change its session user.
    pub(super) fn set_session_authorization(
        &mut self,
        user: Option<&ast::Ident>,
    ) -> Result<StatementResult> {
        let login = self.login.clone();
        let target = user.map_or_else(|| login.clone(), ident_name);
        let catalog = self.statement_catalog()?;
        if target != login && !catalog.auth(&login).superuser {
            return Err(Error::new(
                SqlState::INSUFFICIENT_PRIVILEGE,
                "permission denied to set session authorization",
            ));
        }
        if target != login {
            catalog.role_id(&target, &login).map_err(|_| {
                Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("role \"{target}\" does not exist"),
                )
            })?;
        }
        self.settings.set("session_authorization", &target)?;
        self.settings.set("role", "none")?;
        self.note_superuser(&catalog);
        Ok(StatementResult::command("SET"))
    }
}

/// What keeps role `id` from being dropped: objects it owns and grants it holds, as
/// PostgreSQL's DETAIL lines.
fn dependents(catalog: &Catalog, id: u32) -> Vec<String> {
    use crate::catalog::ObjectAccess;
    // (kind, name, access, whether its owner counts: a serial sequence goes with its
    // table), in a stable order.
    let mut objects: Vec<(u32, &str, &str, &ObjectAccess, bool)> = Vec::new();
    objects
        .extend(catalog.tables.values().map(|t| (t.id, "table", t.name.as_str(), &t.access, true)));
    objects
        .extend(catalog.views.values().map(|v| (v.id, "view", v.name.as_str(), &v.access, true)));
    objects.extend(
        catalog
            .sequences
            .values()
            .map(|s| (s.id, "sequence", s.name.as_str(), &s.access, s.owned_by.is_none())),
    );
    objects.extend(
        catalog.schemas.values().map(|s| (s.id, "schema", s.name.as_str(), &s.access, true)),
    );
    const ORDER: [&str; 4] = ["table", "view", "sequence", "schema"];
    objects.sort_by_key(|(oid, kind, ..)| (ORDER.iter().position(|k| k == kind), *oid));
    objects
        .into_iter()
        .filter_map(|(_, kind, name, access, owner_counts)| {
            if owner_counts && access.owner == id {
                Some(format!("owner of {kind} {name}"))
            } else if access.acl.iter().any(|a| a.grantee == id) {
                Some(format!("privileges for {kind} {name}"))
            } else {
                None
            }
        })
        .collect()
}
