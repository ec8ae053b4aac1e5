//! The `pg_catalog` relations of roles and row-level security: `pg_roles`, `pg_authid`,
//! `pg_user`, `pg_auth_members`, `pg_policy` and `pg_policies`, built from the role
//! records and the tables' policies.

use helios_types::{DataType, Value};

use super::pg_catalog::{relation_oid, Relation, ROLE_OID};
use crate::catalog::access::{RoleDef, BOOTSTRAP_ROLE, PUBLIC};
use crate::catalog::{Catalog, TableDef};
use crate::expr::SessionInfo;

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn text_array(items: Vec<String>) -> Value {
    Value::Array(std::sync::Arc::new(helios_types::Array::new(
        DataType::Text,
        items.into_iter().map(Value::Text).collect(),
    )))
}

/// The roles as rows: the bootstrap superuser (named as [`Catalog::role_name`] says)
/// first, then the role records by id, then `pg_database_owner`.
fn all_roles(catalog: &Catalog, login: &str) -> Vec<RoleDef> {
    let mut out = vec![RoleDef {
        id: BOOTSTRAP_ROLE,
        name: catalog.role_name(BOOTSTRAP_ROLE, login),
        superuser: true,
        inherit: true,
        create_role: true,
        create_db: true,
        login: true,
        replication: true,
        bypass_rls: true,
        connection_limit: -1,
        password: None,
        member_of: Vec::new(),
        valid_until: None,
    }];
    out.extend(catalog.roles.values().cloned());
    // PostgreSQL's predefined role that owns the `public` schema (OID 6171).
    out.push(RoleDef {
        id: super::pg_catalog::DATABASE_OWNER_OID as u32,
        name: "pg_database_owner".into(),
        superuser: false,
        inherit: true,
        create_role: false,
        create_db: false,
        login: false,
        replication: false,
        bypass_rls: false,
        connection_limit: -1,
        password: None,
        member_of: Vec::new(),
        valid_until: None,
    });
    out
}

/// `pg_roles`, `pg_authid` and `pg_user` (`name` says which).
pub(super) fn roles_relation(catalog: &Catalog, session: &SessionInfo, name: &str) -> Relation {
    use DataType::{Bool, Int4, Int8, Text, TimestampTz};
    let roles = all_roles(catalog, &session.session_user);
    let tarr = DataType::Array(Box::new(Text));
    if name == "pg_user" {
        let cols = vec![
            ("usename", Text),
            ("usesysid", Int8),
            ("usecreatedb", Bool),
            ("usesuper", Bool),
            ("userepl", Bool),
            ("usebypassrls", Bool),
            ("passwd", Text),
            ("valuntil", TimestampTz),
            ("useconfig", tarr),
        ];
        let rows = roles
            .iter()
            .filter(|r| r.login)
            .map(|r| {
                vec![
                    text(&r.name),
                    Value::Int8(i64::from(r.id)),
                    Value::Bool(r.create_db),
                    Value::Bool(r.superuser),
                    Value::Bool(r.replication),
                    Value::Bool(r.bypass_rls),
                    text("********"),
                    Value::Null,
                    Value::Null,
                ]
            })
            .collect();
        return (cols, rows);
    }
    let cols = vec![
        ("oid", Int8),
        ("rolname", Text),
        ("rolsuper", Bool),
        ("rolinherit", Bool),
        ("rolcreaterole", Bool),
        ("rolcreatedb", Bool),
        ("rolcanlogin", Bool),
        ("rolreplication", Bool),
        ("rolconnlimit", Int4),
        ("rolpassword", Text),
        ("rolvaliduntil", TimestampTz),
        ("rolbypassrls", Bool),
        ("rolconfig", tarr),
    ];
    let rows = roles
        .iter()
        .map(|r| {
            let password = if name == "pg_authid" {
                r.password.clone().map_or(Value::Null, Value::Text)
            } else {
                text("********")
            };
            vec![
                Value::Int8(i64::from(r.id)),
                text(&r.name),
                Value::Bool(r.superuser),
                Value::Bool(r.inherit),
                Value::Bool(r.create_role),
                Value::Bool(r.create_db),
                Value::Bool(r.login),
                Value::Bool(r.replication),
                Value::Int4(r.connection_limit),
                password,
                r.valid_until.map_or(Value::Null, Value::TimestampTz),
                Value::Bool(r.bypass_rls),
                Value::Null,
            ]
        })
        .collect();
    (cols, rows)
}

/// `pg_auth_members`: one row per membership.
pub(super) fn auth_members(catalog: &Catalog) -> Relation {
    use DataType::{Bool, Int8};
    let mut rows = Vec::new();
    for r in catalog.roles.values() {
        for (i, m) in r.member_of.iter().enumerate() {
            rows.push(vec![
                Value::Int8(i64::from(r.id) * 1000 + i as i64),
                Value::Int8(i64::from(m.role)),
                Value::Int8(i64::from(r.id)),
                Value::Int8(i64::from(m.grantor)),
                Value::Bool(m.admin),
                Value::Bool(true),
                Value::Bool(true),
            ]);
        }
    }
    (
        vec![
            ("oid", Int8),
            ("roleid", Int8),
            ("member", Int8),
            ("grantor", Int8),
            ("admin_option", Bool),
            ("inherit_option", Bool),
            ("set_option", Bool),
        ],
        rows,
    )
}

fn policy_tables<'a>(
    tables: &'a [&'a TableDef],
) -> impl Iterator<Item = (&'a TableDef, &'a crate::catalog::PolicyDef)> {
    tables.iter().flat_map(|t| t.row_security.policies.iter().map(move |p| (*t, p)))
}

/// `pg_policy`: the policies of every table.
pub(super) fn pg_policy(tables: &[&TableDef]) -> Relation {
    use DataType::{Bool, Int8, Text};
    let rows = policy_tables(tables)
        .map(|(t, p)| {
            let roles = if p.roles.is_empty() { vec![PUBLIC] } else { p.roles.clone() };
            vec![
                Value::Int8(i64::from(p.id)),
                text(&p.name),
                Value::Int8(relation_oid(t.id)),
                text(p.command.letter()),
                Value::Bool(p.permissive),
                Value::Array(std::sync::Arc::new(helios_types::Array::new(
                    Int8,
                    roles.into_iter().map(|r| Value::Int8(i64::from(r))).collect(),
                ))),
                p.using.clone().map_or(Value::Null, Value::Text),
                p.check.clone().map_or(Value::Null, Value::Text),
            ]
        })
        .collect();
    (
        vec![
            ("oid", Int8),
            ("polname", Text),
            ("polrelid", Int8),
            ("polcmd", Text),
            ("polpermissive", Bool),
            ("polroles", DataType::Array(Box::new(Int8))),
            ("polqual", Text),
            ("polwithcheck", Text),
        ],
        rows,
    )
}

/// `pg_policies`: the readable form of `pg_policy`.
pub(super) fn pg_policies(
    catalog: &Catalog,
    session: &SessionInfo,
    tables: &[&TableDef],
) -> Relation {
    use DataType::Text;
    let login = &session.session_user;
    let rows = policy_tables(tables)
        .map(|(t, p)| {
            let roles = if p.roles.is_empty() {
                vec!["public".to_string()]
            } else {
                p.roles.iter().map(|r| catalog.role_name(*r, login)).collect()
            };
            vec![
                text(&t.schema),
                text(&t.name),
                text(&p.name),
                text(if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" }),
                text_array(roles),
                text(p.command.name()),
                p.using.clone().map_or(Value::Null, Value::Text),
                p.check.clone().map_or(Value::Null, Value::Text),
            ]
        })
        .collect();
    (
        vec![
            ("schemaname", Text),
            ("tablename", Text),
            ("policyname", Text),
            ("permissive", Text),
            ("roles", DataType::Array(Box::new(Text))),
            ("cmd", Text),
            ("qual", Text),
            ("with_check", Text),
        ],
        rows,
    )
}

/// The owner column value of an object owned by `owner`.
pub(super) fn owner_oid(owner: u32) -> Value {
    if owner == BOOTSTRAP_ROLE {
        Value::Int8(ROLE_OID)
    } else {
        Value::Int8(i64::from(owner))
    }
}
