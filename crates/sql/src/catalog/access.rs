//! Roles, privileges and row-level security policies, as catalog records.
//!
//! A role is a record of its own ([`RoleDef`]); an object's owner and grants
//! ([`ObjectAccess`]) and a table's policies ([`RowSecurity`]) live in the object's
//! record, so they commit, roll back, branch and time-travel with it.
//!
//! The *bootstrap superuser* (id [`BOOTSTRAP_ROLE`], PostgreSQL's OID 10) owns every object
//! created before roles existed. It has no record: a session whose user names no role
//! runs as it, under the name it logged in with (an embedded connection is `postgres`;
//! the server authenticates the user before that). Owners always hold every privilege on
//! what they own, as PostgreSQL's owners do unless they revoke their own rights.

use std::collections::BTreeSet;

use helios_common::{Error, Result, SqlState};
use serde::{Deserialize, Serialize};

use super::Catalog;

/// The id of the bootstrap superuser (PostgreSQL's `BOOTSTRAP_SUPERUSERID`).
pub const BOOTSTRAP_ROLE: u32 = 10;
/// The grantee id that stands for `PUBLIC` (every role).
pub const PUBLIC: u32 = 0;

/// A role: a user when it can log in, a group when others are its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDef {
    /// Object id.
    pub id: u32,
    /// Role name.
    pub name: String,
    /// `SUPERUSER`: passes every privilege check and row-level security.
    pub superuser: bool,
    /// `INHERIT`: uses the privileges of the roles it is a member of.
    pub inherit: bool,
    /// `CREATEROLE`.
    pub create_role: bool,
    /// `CREATEDB`.
    pub create_db: bool,
    /// `LOGIN`.
    pub login: bool,
    /// `REPLICATION`.
    pub replication: bool,
    /// `BYPASSRLS`: row-level security policies do not apply to it.
    pub bypass_rls: bool,
    /// `CONNECTION LIMIT` (-1: none).
    pub connection_limit: i32,
    /// The password as PostgreSQL's md5 form (`md5` followed by the hex digest of the
    /// password and the role name); never the password itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Roles this role is a member of (`GRANT parent TO this`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_of: Vec<Membership>,
    /// `VALID UNTIL`: after this moment (microseconds since 2000-01-01 UTC, as a
    /// `timestamptz`) password logins fail; `None` means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<i64>,
}

/// One role membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// The role granted.
    pub role: u32,
    /// `WITH ADMIN OPTION`: the member may grant the role to others.
    pub admin: bool,
    /// The role that granted it.
    pub grantor: u32,
}

/// A set of privileges on one object, as PostgreSQL's ACL letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Privileges(pub u16);

impl Privileges {
    /// `INSERT` (`a`).
    pub const INSERT: Privileges = Privileges(1);
    /// `SELECT` (`r`).
    pub const SELECT: Privileges = Privileges(1 << 1);
    /// `UPDATE` (`w`).
    pub const UPDATE: Privileges = Privileges(1 << 2);
    /// `DELETE` (`d`).
    pub const DELETE: Privileges = Privileges(1 << 3);
    /// `TRUNCATE` (`D`).
    pub const TRUNCATE: Privileges = Privileges(1 << 4);
    /// `REFERENCES` (`x`).
    pub const REFERENCES: Privileges = Privileges(1 << 5);
    /// `TRIGGER` (`t`).
    pub const TRIGGER: Privileges = Privileges(1 << 6);
    /// `USAGE` (`U`).
    pub const USAGE: Privileges = Privileges(1 << 7);
    /// `CREATE` (`C`).
    pub const CREATE: Privileges = Privileges(1 << 8);
    /// `MAINTAIN` (`m`).
    pub const MAINTAIN: Privileges = Privileges(1 << 9);
    /// `TEMPORARY` (`T`), of a database.
    pub const TEMPORARY: Privileges = Privileges(1 << 10);
    /// `CONNECT` (`c`), of a database.
    pub const CONNECT: Privileges = Privileges(1 << 11);

    /// Every privilege a table (or view) can have.
    pub const TABLE_ALL: Privileges = Privileges(0b10_0111_1111);
    /// Every privilege a sequence can have.
    pub const SEQUENCE_ALL: Privileges = Privileges(0b1000_0110);
    /// Every privilege a schema can have.
    pub const SCHEMA_ALL: Privileges = Privileges(0b1_1000_0000);
    /// Every privilege a database can have.
    pub const DATABASE_ALL: Privileges = Privileges(0b1101_0000_0000);

    const LETTERS: [(Privileges, char, &'static str); 12] = [
        (Privileges::INSERT, 'a', "INSERT"),
        (Privileges::SELECT, 'r', "SELECT"),
        (Privileges::UPDATE, 'w', "UPDATE"),
        (Privileges::DELETE, 'd', "DELETE"),
        (Privileges::TRUNCATE, 'D', "TRUNCATE"),
        (Privileges::REFERENCES, 'x', "REFERENCES"),
        (Privileges::TRIGGER, 't', "TRIGGER"),
        (Privileges::USAGE, 'U', "USAGE"),
        (Privileges::CREATE, 'C', "CREATE"),
        (Privileges::TEMPORARY, 'T', "TEMPORARY"),
        (Privileges::CONNECT, 'c', "CONNECT"),
        (Privileges::MAINTAIN, 'm', "MAINTAIN"),
    ];

    /// Whether every privilege of `other` is in `self`.
    pub fn contains(self, other: Privileges) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no privilege is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The union.
    pub fn with(self, other: Privileges) -> Privileges {
        Privileges(self.0 | other.0)
    }

    /// `self` without `other`.
    pub fn without(self, other: Privileges) -> Privileges {
        Privileges(self.0 & !other.0)
    }

    /// PostgreSQL's ACL letters (`arwdDxtm`).
    pub fn letters(self) -> String {
        Self::LETTERS.iter().filter(|(p, ..)| self.contains(*p)).map(|(_, c, _)| *c).collect()
    }

    /// The privileges one by one, with their SQL names.
    pub fn names(self) -> impl Iterator<Item = (Privileges, &'static str)> {
        Self::LETTERS.iter().filter(move |(p, ..)| self.contains(*p)).map(|(p, _, n)| (*p, *n))
    }

    /// A privilege by its SQL name (`select`, `INSERT`, `TEMP`, ...).
    pub fn by_name(name: &str) -> Option<Privileges> {
        if name.eq_ignore_ascii_case("temp") {
            return Some(Privileges::TEMPORARY);
        }
        Self::LETTERS.iter().find(|(_, _, n)| n.eq_ignore_ascii_case(name)).map(|(p, ..)| *p)
    }
}

/// A grant: privileges of one grantee, given by one grantor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AclItem {
    /// The role given the privileges ([`PUBLIC`] for everyone).
    pub grantee: u32,
    /// The role that gave them.
    pub grantor: u32,
    /// What was given.
    pub privileges: Privileges,
}

/// Who owns an object and what others may do with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectAccess {
    /// The owning role.
    pub owner: u32,
    /// Grants to roles other than the owner. Empty means PostgreSQL's default ACL (only
    /// the owner, and for schemas and sequences nothing for `PUBLIC`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acl: Vec<AclItem>,
}

impl Default for ObjectAccess {
    fn default() -> ObjectAccess {
        ObjectAccess { owner: BOOTSTRAP_ROLE, acl: Vec::new() }
    }
}

impl ObjectAccess {
    /// An object owned by `owner` with the default ACL.
    pub fn owned_by(owner: u32) -> ObjectAccess {
        ObjectAccess { owner, acl: Vec::new() }
    }

    /// Whether this is the default: owned by the bootstrap superuser, no grants (not
    /// stored, so records written before roles existed read back unchanged).
    pub fn is_default(&self) -> bool {
        self.owner == BOOTSTRAP_ROLE && self.acl.is_empty()
    }

    /// The privileges `auth` holds on the object, given everything `all` (the object
    /// kind's full set) the owner has.
    pub fn privileges_of(&self, auth: &AuthId, all: Privileges) -> Privileges {
        if auth.superuser || auth.has_role(self.owner) {
            return all;
        }
        self.acl
            .iter()
            .filter(|a| a.grantee == PUBLIC || auth.has_role(a.grantee))
            .fold(Privileges::default(), |p, a| p.with(a.privileges))
    }

    /// The grants an empty ACL stands for, made explicit before the first GRANT or
    /// REVOKE changes it (`public_default`: what PostgreSQL's default ACL of the object
    /// gives `PUBLIC`, such as USAGE on schema `public` or CONNECT on a database).
    pub fn materialize(&mut self, public_default: Privileges) {
        if self.acl.is_empty() && !public_default.is_empty() {
            self.acl.push(AclItem {
                grantee: PUBLIC,
                grantor: self.owner,
                privileges: public_default,
            });
        }
    }

    /// [`privileges_of`](Self::privileges_of), where an empty ACL also gives `PUBLIC` what
    /// `public_default` names (PostgreSQL's default ACL of the object kind).
    pub fn privileges_with_default(
        &self,
        auth: &AuthId,
        all: Privileges,
        public_default: Privileges,
    ) -> Privileges {
        let held = self.privileges_of(auth, all);
        if self.acl.is_empty() {
            held.with(public_default)
        } else {
            held
        }
    }

    /// Adds `privileges` for `grantee`.
    pub fn grant(&mut self, grantee: u32, grantor: u32, privileges: Privileges) {
        match self.acl.iter_mut().find(|a| a.grantee == grantee && a.grantor == grantor) {
            Some(item) => item.privileges = item.privileges.with(privileges),
            None => self.acl.push(AclItem { grantee, grantor, privileges }),
        }
    }

    /// Takes `privileges` from `grantee` (whoever granted them).
    pub fn revoke(&mut self, grantee: u32, privileges: Privileges) {
        for item in &mut self.acl {
            if item.grantee == grantee {
                item.privileges = item.privileges.without(privileges);
            }
        }
        self.acl.retain(|a| !a.privileges.is_empty());
    }

    /// PostgreSQL's `aclitem[]` text: the owner's entry first, then the grants; `None`
    /// for the default ACL (shown as NULL).
    pub fn acl_text(&self, catalog: &Catalog, login: &str, all: Privileges) -> Option<Vec<String>> {
        if self.acl.is_empty() {
            return None;
        }
        let name = |id: u32| {
            if id == PUBLIC {
                String::new()
            } else {
                crate::functions::format::quote_ident(&catalog.role_name(id, login))
            }
        };
        let mut out = vec![format!("{}={}/{}", name(self.owner), all.letters(), name(self.owner))];
        for a in &self.acl {
            out.push(format!("{}={}/{}", name(a.grantee), a.privileges.letters(), name(a.grantor)));
        }
        Some(out)
    }
}

/// The database's own record: who may connect, create schemas and temporary tables.
/// (One database per file: its name is whatever the client connected to.)
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DatabaseDef {
    /// Owner and grants; an empty ACL gives `PUBLIC` CONNECT and TEMPORARY.
    pub access: ObjectAccess,
}

impl DatabaseDef {
    /// What PostgreSQL's default database ACL gives `PUBLIC`.
    pub const PUBLIC_DEFAULT: Privileges =
        Privileges(Privileges::TEMPORARY.0 | Privileges::CONNECT.0);

    /// The privileges `auth` holds on the database.
    pub fn privileges_of(&self, auth: &AuthId) -> Privileges {
        self.access.privileges_with_default(auth, Privileges::DATABASE_ALL, Self::PUBLIC_DEFAULT)
    }
}

impl super::SchemaDef {
    /// What PostgreSQL's default ACL of the schema gives `PUBLIC`: USAGE on `public`.
    pub fn public_default(&self) -> Privileges {
        if self.name == super::DEFAULT_SCHEMA {
            Privileges::USAGE
        } else {
            Privileges::default()
        }
    }

    /// The privileges `auth` holds on the schema.
    pub fn privileges_of(&self, auth: &AuthId) -> Privileges {
        self.access.privileges_with_default(auth, Privileges::SCHEMA_ALL, self.public_default())
    }
}

/// Which command a row-level security policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyCommand {
    /// `FOR ALL`.
    All,
    /// `FOR SELECT`.
    Select,
    /// `FOR INSERT`.
    Insert,
    /// `FOR UPDATE`.
    Update,
    /// `FOR DELETE`.
    Delete,
}

impl PolicyCommand {
    /// `pg_policy.polcmd`.
    pub fn letter(self) -> &'static str {
        match self {
            PolicyCommand::All => "*",
            PolicyCommand::Select => "r",
            PolicyCommand::Insert => "a",
            PolicyCommand::Update => "w",
            PolicyCommand::Delete => "d",
        }
    }

    /// `pg_policies.cmd`.
    pub fn name(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }
}

/// A row-level security policy of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDef {
    /// Object id (its `pg_policy` OID).
    pub id: u32,
    /// Policy name, unique per table.
    pub name: String,
    /// `AS PERMISSIVE` (OR-ed with the others) or `RESTRICTIVE` (AND-ed).
    pub permissive: bool,
    /// `FOR` command.
    pub command: PolicyCommand,
    /// `TO` roles; empty means `PUBLIC`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<u32>,
    /// `USING` expression as SQL text: which existing rows are visible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    /// `WITH CHECK` expression as SQL text: which new rows may be written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
}

impl PolicyDef {
    /// Whether the policy applies to `auth`.
    pub fn applies_to(&self, auth: &AuthId) -> bool {
        self.roles.is_empty() || self.roles.iter().any(|r| *r == PUBLIC || auth.has_role(*r))
    }
}

/// A table's row-level security: whether it is on, and its policies.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RowSecurity {
    /// `ENABLE ROW LEVEL SECURITY`.
    pub enabled: bool,
    /// `FORCE ROW LEVEL SECURITY`: the owner is subject to the policies too.
    #[serde(default)]
    pub forced: bool,
    /// The policies, in creation order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicyDef>,
}

impl RowSecurity {
    /// Whether nothing is set (not stored).
    pub fn is_default(&self) -> bool {
        *self == RowSecurity::default()
    }
}

/// The role a statement runs as, resolved against the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthId {
    /// The role's id ([`BOOTSTRAP_ROLE`] for a user that names no role).
    pub id: u32,
    /// The name it runs under.
    pub name: String,
    /// Superuser: passes every check.
    pub superuser: bool,
    /// `BYPASSRLS` (or superuser).
    pub bypass_rls: bool,
    /// The roles whose privileges it uses: itself and, through `INHERIT`, the roles it
    /// is a member of, directly or not.
    pub roles: BTreeSet<u32>,
    /// Every role it is a member of, inherited or not (what `SET ROLE` may switch to).
    pub member_of: BTreeSet<u32>,
    /// `LOGIN`: may start a session.
    pub login: bool,
}

impl AuthId {
    /// The bootstrap superuser: passes every check (a login name that is no role, and
    /// internal work that must not depend on anyone's privileges).
    pub fn unchecked() -> AuthId {
        AuthId {
            id: BOOTSTRAP_ROLE,
            name: String::new(),
            superuser: true,
            bypass_rls: true,
            roles: BTreeSet::from([BOOTSTRAP_ROLE]),
            member_of: BTreeSet::from([BOOTSTRAP_ROLE]),
            login: true,
        }
    }

    /// Whether the role uses the privileges of `role`.
    pub fn has_role(&self, role: u32) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the role owns (or, through membership, may act as the owner of) an
    /// object owned by `owner`.
    pub fn owns(&self, owner: u32) -> bool {
        self.superuser || self.has_role(owner)
    }
}

impl Catalog {
    /// A role by name.
    pub fn role(&self, name: &str) -> Option<&RoleDef> {
        self.roles.values().find(|r| r.name == name)
    }

    /// The name of role `id`: the bootstrap superuser is called by the user that logged
    /// in when that user names no role, else `postgres`.
    pub fn role_name(&self, id: u32, login: &str) -> String {
        if id == BOOTSTRAP_ROLE {
            return if self.role(login).is_none() { login.to_string() } else { "postgres".into() };
        }
        self.roles.get(&id).map_or_else(|| id.to_string(), |r| r.name.clone())
    }

    /// A role's id by name, for GRANT, ALTER ... OWNER TO and the like: an error
    /// (42704) when there is no such role.
    pub fn role_id(&self, name: &str, login: &str) -> Result<u32> {
        if let Some(r) = self.role(name) {
            return Ok(r.id);
        }
        if name == login || name == self.role_name(BOOTSTRAP_ROLE, login) {
            return Ok(BOOTSTRAP_ROLE);
        }
        Err(Error::new(SqlState::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist")))
    }

    /// The role `user` runs as, with its memberships.
    pub fn auth(&self, user: &str) -> AuthId {
        let Some(role) = self.role(user) else {
            return AuthId { name: user.to_string(), ..AuthId::unchecked() };
        };
        let mut roles = BTreeSet::from([role.id]);
        let mut member_of = BTreeSet::from([role.id]);
        // Walk memberships; privileges flow only through roles that inherit.
        let mut stack = vec![(role, role.inherit)];
        while let Some((r, inherits)) = stack.pop() {
            for m in &r.member_of {
                let Some(parent) = self.roles.get(&m.role) else { continue };
                if member_of.insert(parent.id) {
                    if inherits {
                        roles.insert(parent.id);
                    }
                    stack.push((parent, inherits && parent.inherit));
                }
            }
        }
        AuthId {
            id: role.id,
            name: role.name.clone(),
            superuser: role.superuser,
            bypass_rls: role.superuser || role.bypass_rls,
            roles,
            member_of,
            login: role.login,
        }
    }
}

/// `permission denied for <kind> <name>` (42501).
pub fn permission_denied(kind: &str, name: &str) -> Error {
    Error::new(SqlState::INSUFFICIENT_PRIVILEGE, format!("permission denied for {kind} {name}"))
}

/// `must be owner of <kind> <name>` (42501).
pub fn must_be_owner(kind: &str, name: &str) -> Error {
    Error::new(SqlState::INSUFFICIENT_PRIVILEGE, format!("must be owner of {kind} {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: u32, name: &str, inherit: bool, member_of: &[u32]) -> RoleDef {
        RoleDef {
            id,
            name: name.into(),
            superuser: false,
            inherit,
            create_role: false,
            create_db: false,
            login: true,
            replication: false,
            bypass_rls: false,
            connection_limit: -1,
            password: None,
            member_of: member_of
                .iter()
                .map(|r| Membership { role: *r, admin: false, grantor: BOOTSTRAP_ROLE })
                .collect(),
            valid_until: None,
        }
    }

    #[test]
    fn privileges_flow_through_inheriting_memberships_only() {
        let mut catalog = Catalog::default();
        for r in [
            role(100, "staff", true, &[]),
            role(101, "alice", true, &[100]),
            role(102, "bob", false, &[100]),
            role(103, "carol", true, &[101]),
        ] {
            catalog.roles.insert(r.id, r);
        }
        let alice = catalog.auth("alice");
        assert!(alice.has_role(100) && !alice.superuser);
        let bob = catalog.auth("bob");
        assert!(!bob.has_role(100) && bob.member_of.contains(&100));
        let carol = catalog.auth("carol");
        assert!(carol.has_role(100) && carol.has_role(101));
        let unknown = catalog.auth("postgres");
        assert!(unknown.superuser && unknown.id == BOOTSTRAP_ROLE);
    }

    #[test]
    fn acl_grants_and_revokes_by_grantee() {
        let mut access = ObjectAccess::owned_by(100);
        access.grant(101, 100, Privileges::SELECT);
        access.grant(101, 100, Privileges::INSERT);
        access.grant(PUBLIC, 100, Privileges::SELECT);
        assert_eq!(access.acl.len(), 2);
        assert_eq!(access.acl[0].privileges.letters(), "ar");
        access.revoke(101, Privileges::INSERT.with(Privileges::SELECT));
        assert_eq!(access.acl.len(), 1);
        assert_eq!(Privileges::TABLE_ALL.letters(), "arwdDxtm");
        assert_eq!(Privileges::SEQUENCE_ALL.letters(), "rwU");
        assert_eq!(Privileges::SCHEMA_ALL.letters(), "UC");
        assert_eq!(Privileges::DATABASE_ALL.letters(), "CTc");
    }
}
