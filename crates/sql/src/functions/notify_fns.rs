//! `pg_notify(channel, payload)`: NOTIFY as a function (see [`crate::session::notify`]),
//! and `pg_backend_pid()`, the process id notifications carry.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::expr::EvalContext;
use crate::functions::registry::{p, Registry, ReturnType};

/// Registers the functions.
pub(crate) fn register(r: &mut Registry) {
    r.add(
        "pg_notify",
        vec![p(DataType::Text), p(DataType::Text)],
        ReturnType::Exact(DataType::Text),
        notify,
    )
    .lenient()
    .volatile();
    r.add("pg_backend_pid", vec![], ReturnType::Exact(DataType::Int4), |_, ctx| {
        let session = ctx.session().helios.as_ref().map(|h| h.session).unwrap_or(0);
        Ok(Value::Int4(crate::session::notify::session_pid(session)))
    })
    .volatile();
}

fn notify(args: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let h = ctx
        .session()
        .helios
        .as_ref()
        .ok_or_else(|| Error::unsupported("pg_notify outside a session"))?;
    let channel = match &args[0] {
        Value::Text(c) => c.as_str(),
        _ => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "channel name cannot be empty",
            ))
        }
    };
    let payload = match &args[1] {
        Value::Text(p) => p.as_str(),
        _ => "",
    };
    h.engine.notify.notify(h.session, channel, payload)?;
    // PostgreSQL's pg_notify returns void.
    Ok(Value::Text(String::new()))
}
