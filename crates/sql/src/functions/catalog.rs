//! Catalog functions PostgreSQL clients call on connect and in `\d`-style queries:
//! `pg_get_userbyid`, `format_type`, `pg_table_is_visible` and friends,
//! `pg_encoding_to_char`, `obj_description`/`col_description`,
//! `has_*_privilege`, `pg_get_expr`.
//!
//! The engine has one role (OID 10, the session user; see `binder/pg_catalog.rs` for
//! the OID mapping), no comments on objects and no privilege checks, so the answers
//! follow from that: every privilege is held, every description is NULL. Every schema
//! a client can see is on the search path or qualified, so visibility is always true.

use helios_types::{DataType, Value};

use crate::catalog::access::BOOTSTRAP_ROLE;
use crate::functions::registry::{p, ParamType, Registry, ReturnType};

use DataType::{Bool, Int4, Int8, Text};

/// Registers the catalog functions.
pub(crate) fn register(r: &mut Registry) {
    r.add("pg_get_userbyid", vec![p(Int8)], ReturnType::Exact(Text), |a, ctx| {
        let Value::Int8(n) = a[0] else { return Ok(Value::Null) };
        if n == 6171 {
            return Ok(Value::Text("pg_database_owner".into()));
        }
        // A role's OID is its id; the bootstrap superuser's is 10.
        let login = &ctx.session().session_user;
        let name = match (u32::try_from(n), super::catalog_defs::statement_catalog(ctx)) {
            (Ok(BOOTSTRAP_ROLE), Ok(c)) => Some(c.role_name(BOOTSTRAP_ROLE, login)),
            (Ok(BOOTSTRAP_ROLE), Err(_)) => Some(login.clone()),
            (Ok(id), Ok(c)) => c.roles.get(&id).map(|r| r.name.clone()),
            _ => None,
        };
        Ok(Value::Text(name.unwrap_or_else(|| format!("unknown (OID={n})"))))
    });
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
