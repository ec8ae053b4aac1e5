//! Privilege inquiry functions: `has_table_privilege`, `has_sequence_privilege`,
//! `has_schema_privilege`, `pg_has_role` and their relatives, answered from the owners,
//! grants and role memberships in the catalog.
//!
//! Each takes an optional role (name or OID; the current role when absent), the object
//! (name or OID) and a privilege list such as `'SELECT, INSERT'`: the answer is true when
//! the role holds any of them. Column privileges do not exist here, so the column
//! functions answer for the table.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::binder::pg_objects::{relation_by_oid, relation_oid_by_name, RelationRef};
use crate::catalog::access::{AuthId, BOOTSTRAP_ROLE};
use crate::catalog::{Catalog, Privileges};
use crate::expr::EvalContext;
use crate::functions::catalog_defs::statement_catalog;
use crate::functions::registry::{ParamType, Registry, ReturnType};

type Check = fn(&Catalog, &AuthId, &Value, &str, &dyn EvalContext) -> Result<bool>;

/// `f(object, privileges)`: for the current role.
fn for_current(a: &[Value], ctx: &dyn EvalContext, check: Check) -> Result<Value> {
    let catalog = statement_catalog(ctx)?;
    let auth = catalog.auth(&ctx.session().current_user);
    check(&catalog, &auth, &a[0], text(&a[1]), ctx).map(Value::Bool)
}

/// `f(role, object, privileges)`.
fn for_role(a: &[Value], ctx: &dyn EvalContext, check: Check) -> Result<Value> {
    let catalog = statement_catalog(ctx)?;
    let auth = role_arg(&catalog, &a[0], &ctx.session().session_user)?;
    check(&catalog, &auth, &a[1], text(&a[2]), ctx).map(Value::Bool)
}

macro_rules! register_check {
    ($r:expr, $name:literal, $check:expr) => {
        $r.add($name, vec![ParamType::Any; 2], ReturnType::Exact(DataType::Bool), |a, ctx| {
            for_current(a, ctx, $check)
        })
        .volatile();
        $r.add($name, vec![ParamType::Any; 3], ReturnType::Exact(DataType::Bool), |a, ctx| {
            for_role(a, ctx, $check)
        })
        .volatile();
    };
}

/// Registers the functions.
pub fn register(r: &mut Registry) {
    register_check!(r, "has_table_privilege", table_privilege);
    register_check!(r, "has_any_column_privilege", table_privilege);
    register_check!(r, "has_sequence_privilege", sequence_privilege);
    register_check!(r, "has_schema_privilege", schema_privilege);
    register_check!(r, "has_database_privilege", database_privilege);
    register_check!(r, "pg_has_role", role_privilege);
    // has_column_privilege(table, column, privilege) and (role, table, column,
    // privilege): columns carry no privileges of their own, the table's answer.
    let bool_ret = || ReturnType::Exact(DataType::Bool);
    r.add("has_column_privilege", vec![ParamType::Any; 3], bool_ret(), |a, ctx| {
        for_current(&[a[0].clone(), a[2].clone()], ctx, table_privilege)
    })
    .volatile();
    r.add("has_column_privilege", vec![ParamType::Any; 4], bool_ret(), |a, ctx| {
        for_role(&[a[0].clone(), a[1].clone(), a[3].clone()], ctx, table_privilege)
    })
    .volatile();
    // Functions carry no privileges: everyone may call every function.
    r.add("has_function_privilege", vec![ParamType::Any], bool_ret(), |_, _| Ok(Value::Bool(true)))
        .variadic();
}

fn text(v: &Value) -> &str {
    match v {
        Value::Text(s) => s,
        _ => "",
    }
}

fn oid(v: &Value) -> Option<i64> {
    match v {
        Value::Int8(n) => Some(*n),
        Value::Int4(n) => Some(i64::from(*n)),
        _ => None,
    }
}

/// The role a name or OID argument stands for (42704 when there is none).
fn role_arg(catalog: &Catalog, v: &Value, login: &str) -> Result<AuthId> {
    let name = match oid(v) {
        Some(o) => {
            let id = u32::try_from(o).unwrap_or(0);
            if id != BOOTSTRAP_ROLE && !catalog.roles.contains_key(&id) {
                return Err(Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!("role with OID {o} does not exist"),
                ));
            }
            catalog.role_name(id, login)
        }
        None => {
            let name = text(v).to_string();
            catalog.role_id(&name, login)?;
            name
        }
    };
    Ok(catalog.auth(&name))
}

/// The privileges a list such as `'select, insert with grant option'` names; each must
/// be one `all` allows (22023 otherwise).
fn privilege_list(list: &str, all: &[(&str, Privileges)]) -> Result<Vec<Privileges>> {
    list.split(',')
        .map(|written| {
            let upper = written.trim().to_ascii_uppercase();
            let item = upper.trim_end_matches(" WITH GRANT OPTION").trim();
            all.iter().find(|(n, _)| *n == item).map(|(_, p)| *p).ok_or_else(|| {
                Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("unrecognized privilege type: \"{}\"", written.trim()),
                )
            })
        })
        .collect()
}

const TABLE_PRIVILEGES: [(&str, Privileges); 8] = [
    ("SELECT", Privileges::SELECT),
    ("INSERT", Privileges::INSERT),
    ("UPDATE", Privileges::UPDATE),
    ("DELETE", Privileges::DELETE),
    ("TRUNCATE", Privileges::TRUNCATE),
    ("REFERENCES", Privileges::REFERENCES),
    ("TRIGGER", Privileges::TRIGGER),
    ("MAINTAIN", Privileges::MAINTAIN),
];

/// Finds a relation argument (name or OID), 42P01 when a name finds nothing.
fn relation_arg<'c>(
    catalog: &'c Catalog,
    v: &Value,
    ctx: &dyn EvalContext,
) -> Result<Option<RelationRef<'c>>> {
    let oid = match oid(v) {
        Some(o) => o,
        None => {
            relation_oid_by_name(catalog, &ctx.session().search_path, text(v)).ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{}\" does not exist", text(v)),
                )
            })?
        }
    };
    Ok(relation_by_oid(catalog, oid))
}

fn any_held(held: Privileges, wanted: &[Privileges]) -> bool {
    wanted.iter().any(|p| held.contains(*p))
}

fn table_privilege(
    catalog: &Catalog,
    auth: &AuthId,
    table: &Value,
    list: &str,
    ctx: &dyn EvalContext,
) -> Result<bool> {
    let wanted = privilege_list(list, &TABLE_PRIVILEGES)?;
    let access = match relation_arg(catalog, table, ctx)? {
        Some(RelationRef::Table(t)) | Some(RelationRef::Index(t, _)) => &t.access,
        Some(RelationRef::View(v)) => &v.access,
        Some(RelationRef::Sequence(s)) => &s.access,
        // System relations: everyone reads them, only superusers change them.
        None => return Ok(auth.superuser || wanted.iter().all(|p| *p == Privileges::SELECT)),
    };
    Ok(any_held(access.privileges_of(auth, Privileges::TABLE_ALL), &wanted))
}

fn sequence_privilege(
    catalog: &Catalog,
    auth: &AuthId,
    seq: &Value,
    list: &str,
    ctx: &dyn EvalContext,
) -> Result<bool> {
    let wanted = privilege_list(
        list,
        &[
            ("USAGE", Privileges::USAGE),
            ("SELECT", Privileges::SELECT),
            ("UPDATE", Privileges::UPDATE),
        ],
    )?;
    match relation_arg(catalog, seq, ctx)? {
        Some(RelationRef::Sequence(s)) => {
            Ok(any_held(s.access.privileges_of(auth, Privileges::SEQUENCE_ALL), &wanted))
        }
        _ => Err(Error::new(
            SqlState::WRONG_OBJECT_TYPE,
            format!("\"{}\" is not a sequence", text(seq)),
        )),
    }
}

fn schema_privilege(
    catalog: &Catalog,
    auth: &AuthId,
    schema: &Value,
    list: &str,
    _: &dyn EvalContext,
) -> Result<bool> {
    let wanted =
        privilege_list(list, &[("USAGE", Privileges::USAGE), ("CREATE", Privileges::CREATE)])?;
    let found = match oid(schema) {
        Some(o) => catalog
            .schemas
            .values()
            .find(|s| crate::binder::pg_catalog::schema_oid(&s.name, s.id) == o),
        None => catalog.schemas.get(text(schema)),
    };
    let Some(s) = found else {
        let name = text(schema);
        if matches!(name, "pg_catalog" | "information_schema") || matches!(oid(schema), Some(11)) {
            return Ok(auth.superuser || wanted.iter().all(|p| *p == Privileges::USAGE));
        }
        return Err(Error::new(
            SqlState::INVALID_SCHEMA_NAME,
            format!("schema \"{name}\" does not exist"),
        ));
    };
    let held = s.privileges_of(auth);
    Ok(any_held(held, &wanted))
}

fn database_privilege(
    catalog: &Catalog,
    auth: &AuthId,
    _: &Value,
    list: &str,
    _: &dyn EvalContext,
) -> Result<bool> {
    let wanted = privilege_list(
        list,
        &[
            ("CONNECT", Privileges::CONNECT),
            ("TEMPORARY", Privileges::TEMPORARY),
            ("TEMP", Privileges::TEMPORARY),
            ("CREATE", Privileges::CREATE),
        ],
    )?;
    Ok(any_held(catalog.database.privileges_of(auth), &wanted))
}

fn role_privilege(
    catalog: &Catalog,
    auth: &AuthId,
    role: &Value,
    list: &str,
    ctx: &dyn EvalContext,
) -> Result<bool> {
    let target = role_arg(catalog, role, &ctx.session().session_user)?.id;
    let wanted = privilege_list(
        list,
        &[
            ("MEMBER", Privileges::SELECT),
            ("USAGE", Privileges::USAGE),
            ("SET", Privileges::UPDATE),
        ],
    )?;
    Ok(wanted.iter().any(|p| {
        if *p == Privileges::USAGE {
            auth.superuser || auth.has_role(target)
        } else {
            auth.superuser || auth.member_of.contains(&target)
        }
    }))
}
