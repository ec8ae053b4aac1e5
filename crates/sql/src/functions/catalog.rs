//! Catalog functions PostgreSQL clients call on connect and in `\d`-style queries:
//! `pg_get_userbyid`, `format_type`, `pg_table_is_visible` and friends,
//! `pg_encoding_to_char`, `shobj_description`, `pg_get_expr` and `acldefault`.
//!
//! A role's OID is its id (the bootstrap superuser's is 10; see `binder/pg_catalog.rs`
//! for the OID mapping). Every schema a client can see is on the search path or
//! qualified, so visibility is always true.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::catalog::access::BOOTSTRAP_ROLE;
use crate::expr::EvalContext;
use crate::functions::registry::{p, ParamType, Registry, ReturnType};

use DataType::{Bool, Int4, Int8, Text};

/// Registers the catalog functions.
pub(crate) fn register(r: &mut Registry) {
    r.add("pg_get_userbyid", vec![p(Int8)], ReturnType::Exact(Text), |a, ctx| {
        let Value::Int8(n) = a[0] else { return Ok(Value::Null) };
        Ok(Value::Text(role_name(n, ctx).unwrap_or_else(|| format!("unknown (OID={n})"))))
    });
    r.add(
        "acldefault",
        vec![p(Text), p(Int8)],
        ReturnType::Exact(DataType::Array(Box::new(Text))),
        acldefault,
    );
    for name in [
        "pg_table_is_visible",
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_opclass_is_visible",
        "pg_collation_is_visible",
        "pg_statistics_obj_is_visible",
    ] {
        r.add(name, vec![p(Int8)], ReturnType::Exact(Bool), |_, _| Ok(Value::Bool(true)));
    }
    r.add("pg_is_other_temp_schema", vec![p(Int8)], ReturnType::Exact(Bool), |_, _| {
        Ok(Value::Bool(false))
    });
    r.add("pg_encoding_to_char", vec![p(Int4)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(
            match a[0] {
                Value::Int4(0) => "SQL_ASCII",
                Value::Int4(6) => "UTF8",
                _ => "",
            }
            .into(),
        ))
    });
    r.add("format_type", vec![p(Int8), p(Int4)], ReturnType::Exact(Text), |a, ctx| {
        if let Some(name) = user_type_name(&a[0], ctx) {
            return Ok(Value::Text(name));
        }
        Ok(format_type(&a[0], &a[1]))
    })
    .lenient();
    r.add("shobj_description", vec![ParamType::Any; 2], ReturnType::Exact(Text), |_, _| {
        Ok(Value::Null)
    })
    .lenient();
    r.add("pg_get_expr", vec![p(Text), p(Int8)], ReturnType::Exact(Text), |a, _| Ok(a[0].clone()));
    r.add("pg_get_expr", vec![p(Text), p(Int8), p(Bool)], ReturnType::Exact(Text), |a, _| {
        Ok(a[0].clone())
    });
}

/// The name of a user-defined type (enum, domain or their arrays) by OID.
fn user_type_name(oid: &Value, ctx: &dyn crate::expr::EvalContext) -> Option<String> {
    let Value::Int8(o) = oid else { return None };
    let o = u32::try_from(*o).ok().filter(|o| DataType::from_oid(*o).is_none())?;
    let c = crate::functions::catalog_defs::statement_catalog(ctx).ok()?;
    c.user_type_name(o, &ctx.session().search_path)
}

/// `format_type(type_oid, typmod)`: the SQL spelling of a type, with its modifier.
fn format_type(type_oid: &Value, typmod: &Value) -> Value {
    let Value::Int8(o) = type_oid else { return Value::Null };
    let Some(t) = u32::try_from(*o).ok().and_then(DataType::from_oid) else {
        return Value::Text("???".into());
    };
    let m = match typmod {
        Value::Int4(m) if *m >= 0 => Some(*m),
        _ => None,
    };
    let t = match (t, m) {
        (DataType::Varchar(_), Some(m)) if m >= 4 => DataType::Varchar(u32::try_from(m - 4).ok()),
        (DataType::Char(_), Some(m)) if m >= 4 => DataType::Char(u32::try_from(m - 4).ok()),
        (DataType::Numeric(_), Some(m)) if m >= 4 => {
            let v = m - 4;
            let prec = u32::try_from((v >> 16) & 0xffff).unwrap_or(0);
            let scale = u32::try_from(v & 0xffff).unwrap_or(0);
            DataType::Numeric(Some((prec, scale)))
        }
        (DataType::Vector(_), Some(m)) => DataType::Vector(u32::try_from(m).ok()),
        (t, _) => t,
    };
    Value::Text(t.to_string())
}

/// The name of the role with OID `oid`: its id, 10 for the bootstrap superuser, 6171
/// for `pg_database_owner`; `None` when no role has it.
fn role_name(oid: i64, ctx: &dyn EvalContext) -> Option<String> {
    if oid == crate::binder::pg_catalog::DATABASE_OWNER_OID {
        return Some("pg_database_owner".into());
    }
    let login = &ctx.session().session_user;
    match (u32::try_from(oid), super::catalog_defs::statement_catalog(ctx)) {
        (Ok(BOOTSTRAP_ROLE), Ok(c)) => Some(c.role_name(BOOTSTRAP_ROLE, login)),
        (Ok(BOOTSTRAP_ROLE), Err(_)) => Some(login.clone()),
        (Ok(id), Ok(c)) => c.roles.get(&id).map(|r| r.name.clone()),
        _ => None,
    }
}

/// `acldefault(objtype, owner)`: the privileges an object of that kind has while none
/// were granted or revoked, as `aclitem` text (`owner=arwdDxtm/owner`): the owner holds
/// every privilege of the kind, PUBLIC some (EXECUTE on functions, USAGE on types and
/// languages, CONNECT and TEMPORARY on databases).
fn acldefault(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let (Value::Text(kind), Value::Int8(owner)) = (&a[0], &a[1]) else { return Ok(Value::Null) };
    let owner_name = role_name(*owner, ctx).unwrap_or_else(|| owner.to_string());
    let table = crate::catalog::Privileges::TABLE_ALL.letters();
    let sequence = crate::catalog::Privileges::SEQUENCE_ALL.letters();
    let (public, own): (Option<&str>, &str) = match kind.as_str() {
        "r" => (None, &table),
        "s" => (None, &sequence),
        "d" => (Some("Tc"), "CTc"),
        "f" => (Some("X"), "X"),
        "l" | "T" => (Some("U"), "U"),
        "L" => (None, "rw"),
        "n" => (None, "UC"),
        "t" => (None, "C"),
        "F" | "S" => (None, "U"),
        "c" | "p" => (None, ""),
        other => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("unrecognized object type abbreviation: {other}"),
            ))
        }
    };
    let who = crate::functions::format::quote_ident(&owner_name);
    let mut items = Vec::new();
    if let Some(p) = public {
        items.push(Value::Text(format!("={p}/{who}")));
    }
    if !own.is_empty() {
        items.push(Value::Text(format!("{who}={own}/{who}")));
    }
    Ok(Value::Array(std::sync::Arc::new(helios_types::Array::new(Text, items))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_type_applies_modifiers() {
        let f = |o: i64, m: i32| format_type(&Value::Int8(o), &Value::Int4(m));
        assert_eq!(f(1043, 24), Value::Text("character varying(20)".into()));
        assert_eq!(f(23, -1), Value::Text("integer".into()));
        assert_eq!(f(1700, ((10 << 16) | 2) + 4), Value::Text("numeric(10,2)".into()));
        assert_eq!(f(424_242, -1), Value::Text("???".into()));
        let vector = i64::from(DataType::Vector(None).oid());
        assert_eq!(f(vector, 3), Value::Text("vector(3)".into()));
    }
}
