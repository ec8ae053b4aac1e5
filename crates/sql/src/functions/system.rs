//! System information functions: `version()`, `current_user`, `session_user`,
//! `current_schema[s]`, `current_database()`, `current_setting`, `set_config`,
//! `gen_random_uuid()` (and uuid-ossp's `uuid_generate_v4()`), `num_nulls`/`num_nonnulls`, and `pg_typeof` (whose answer the
//! binder supplies from the argument's type).

use std::sync::{Arc, LazyLock};

use helios_common::{Error, Result, SqlState};
use helios_types::{Array, DataType, Value};

use crate::expr::EvalContext;
use crate::functions::registry::{p, ParamType, Registry, ReturnType, ScalarFunction};
use crate::functions::string::s;

use DataType::{Bool, Int4, Text, Uuid};

/// Registers the system functions.
pub(crate) fn register(r: &mut Registry) {
    let text = || ReturnType::Exact(Text);
    r.add("version", vec![], text(), |_, ctx| Ok(Value::Text(version(ctx))));
    for name in ["current_user", "user", "current_role"] {
        r.add(name, vec![], text(), |_, ctx| Ok(Value::Text(ctx.session().current_user.clone())));
    }
    // No standby servers: never in recovery (pg_dump asks first).
    r.add("pg_is_in_recovery", vec![], ReturnType::Exact(Bool), |_, _| Ok(Value::Bool(false)));
    r.add("session_user", vec![], text(), |_, ctx| {
        Ok(Value::Text(ctx.session().session_user.clone()))
    });
    r.add("current_database", vec![], text(), |_, ctx| {
        Ok(Value::Text(ctx.session().database.clone()))
    });
    r.add("current_catalog", vec![], text(), |_, ctx| {
        Ok(Value::Text(ctx.session().database.clone()))
    });
    r.add("current_schema", vec![], text(), |_, ctx| {
        let path = &ctx.session().search_path;
        let first = path.iter().find(|s| !crate::session::is_temp_schema(s));
        Ok(first.map_or(Value::Null, |s| Value::Text(s.clone())))
    });
    r.add(
        "current_schemas",
        vec![p(Bool)],
        ReturnType::Exact(DataType::Array(Box::new(Text))),
        |a, ctx| {
            let mut names: Vec<Value> = Vec::new();
            if a[0] == Value::Bool(true) {
                names.push(Value::Text("pg_catalog".into()));
            }
            // The temporary schema is implicit, like pg_catalog.
            let implicit = a[0] == Value::Bool(true);
            names.extend(
                ctx.session()
                    .search_path
                    .iter()
                    .filter(|s| implicit || !crate::session::is_temp_schema(s))
                    .map(|s| Value::Text(s.clone())),
            );
            Ok(Value::Array(Arc::new(Array::new(Text, names))))
        },
    );
    r.add("current_setting", vec![p(Text)], text(), |a, ctx| current_setting(s(&a[0]), false, ctx));
    r.add("current_setting", vec![p(Text), p(Bool)], text(), |a, ctx| {
        current_setting(s(&a[0]), a[1] == Value::Bool(true), ctx)
    });
    r.add("set_config", vec![p(Text), p(Text), p(Bool)], text(), |a, ctx| {
        let name = s(&a[0]).to_ascii_lowercase();
        let value = s(&a[1]).to_string();
        ctx.set_setting(&name, &value, a[2] == Value::Bool(true))?;
        Ok(Value::Text(value))
    })
    .volatile();
    r.add("gen_random_uuid", vec![], ReturnType::Exact(Uuid), |_, _| gen_random_uuid()).volatile();
    // uuid-ossp's random UUID (the extension's other generators do not exist).
    r.add("uuid_generate_v4", vec![], ReturnType::Exact(Uuid), |_, _| gen_random_uuid()).volatile();
    r.add("num_nulls", vec![ParamType::Any], ReturnType::Exact(Int4), |a, _| {
        Ok(Value::Int4(i32::try_from(a.iter().filter(|v| v.is_null()).count()).unwrap_or(i32::MAX)))
    })
    .lenient()
    .variadic();
    r.add("num_nonnulls", vec![ParamType::Any], ReturnType::Exact(Int4), |a, _| {
        Ok(Value::Int4(
            i32::try_from(a.iter().filter(|v| !v.is_null()).count()).unwrap_or(i32::MAX),
        ))
    })
    .lenient()
    .variadic();
}

/// The implementation behind `pg_typeof(x)`: the binder passes the argument (so an
/// aggregate inside stays visible to the planner) and the type name as a second,
/// constant argument, which is the result. Not reachable by name from SQL.
pub(crate) fn pg_typeof_function() -> &'static ScalarFunction {
    static F: LazyLock<ScalarFunction> = LazyLock::new(|| ScalarFunction {
        name: "pg_typeof",
        params: vec![ParamType::Any, p(Text)],
        variadic: false,
        ret: ReturnType::Exact(Text),
        eval: |a, _| Ok(a.get(1).cloned().unwrap_or(Value::Null)),
        strict: false,
        volatile: false,
    });
    &F
}

/// `version()`: starts with `PostgreSQL 15.0` so clients that parse it work.
fn version(ctx: &dyn EvalContext) -> String {
    format!(
        "PostgreSQL 15.0 {} on {}, 64-bit",
        ctx.session().server_version_detail,
        std::env::consts::ARCH
    )
}

fn current_setting(name: &str, missing_ok: bool, ctx: &dyn EvalContext) -> Result<Value> {
    match ctx.setting(&name.to_ascii_lowercase()) {
        Some(v) => Ok(Value::Text(v)),
        None if missing_ok => Ok(Value::Null),
        None => Err(Error::new(
            SqlState::UNDEFINED_OBJECT,
            format!("unrecognized configuration parameter \"{name}\""),
        )),
    }
}

fn gen_random_uuid() -> Result<Value> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| {
        Error::new(SqlState::INTERNAL_ERROR, format!("could not generate random values: {e}"))
    })?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Ok(Value::Uuid(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_version_4() {
        let Ok(Value::Uuid(a)) = gen_random_uuid() else { panic!("uuid") };
        let Ok(Value::Uuid(b)) = gen_random_uuid() else { panic!("uuid") };
        assert_ne!(a, b);
        assert_eq!(a[6] >> 4, 4);
        assert_eq!(a[8] >> 6, 2);
    }
}
