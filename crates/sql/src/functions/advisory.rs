//! Advisory lock functions (`pg_advisory_lock`, `pg_try_advisory_xact_lock_shared`,
//! `pg_advisory_unlock_all`, ...) over the database's advisory lock table
//! ([`crate::session::advisory`]), and `pg_sleep`. Functions PostgreSQL declares as
//! returning `void` return an empty text value.

use std::time::{Duration, Instant};

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::expr::EvalContext;
use crate::functions::registry::{p, Registry, ReturnType, ScalarFn};
use crate::session::advisory::{AdvisoryKey, Scope, Wait};

use DataType::{Bool, Float8, Int4, Int8, Text};

/// Registers the functions.
pub(crate) fn register(r: &mut Registry) {
    use Scope::{Session, Transaction};
    // Taking functions: (name, implementation, waits).
    let takers: [(&'static str, ScalarFn, bool); 8] = [
        ("pg_advisory_lock", |a, c| take(a, c, false, Session, true), true),
        ("pg_advisory_lock_shared", |a, c| take(a, c, true, Session, true), true),
        ("pg_advisory_xact_lock", |a, c| take(a, c, false, Transaction, true), true),
        ("pg_advisory_xact_lock_shared", |a, c| take(a, c, true, Transaction, true), true),
        ("pg_try_advisory_lock", |a, c| take(a, c, false, Session, false), false),
        ("pg_try_advisory_lock_shared", |a, c| take(a, c, true, Session, false), false),
        ("pg_try_advisory_xact_lock", |a, c| take(a, c, false, Transaction, false), false),
        ("pg_try_advisory_xact_lock_shared", |a, c| take(a, c, true, Transaction, false), false),
    ];
    for (name, eval, waits) in takers {
        let ret = ReturnType::Exact(if waits { Text } else { Bool });
        r.add(name, vec![p(Int8)], ret.clone(), eval).volatile();
        r.add(name, vec![p(Int4), p(Int4)], ret, eval).volatile();
    }
    let unlockers: [(&'static str, ScalarFn); 2] = [
        ("pg_advisory_unlock", |a, c| unlock(a, c, false)),
        ("pg_advisory_unlock_shared", |a, c| unlock(a, c, true)),
    ];
    for (name, eval) in unlockers {
        r.add(name, vec![p(Int8)], ReturnType::Exact(Bool), eval).volatile();
        r.add(name, vec![p(Int4), p(Int4)], ReturnType::Exact(Bool), eval).volatile();
    }
    r.add("pg_advisory_unlock_all", vec![], ReturnType::Exact(Text), |_, ctx| {
        let h = helios(ctx)?;
        h.engine.advisory.release(h.session, true, false);
        Ok(void())
    })
    .volatile();
    r.add("pg_sleep", vec![p(Float8)], ReturnType::Exact(Text), sleep).volatile();
}

fn void() -> Value {
    Value::Text(String::new())
}

fn helios(ctx: &dyn EvalContext) -> Result<&crate::session::HeliosCtx> {
    ctx.session()
        .helios
        .as_ref()
        .ok_or_else(|| Error::unsupported("advisory locks outside a session"))
}

fn key(args: &[Value]) -> Result<AdvisoryKey> {
    match args {
        [Value::Int8(k)] => Ok(AdvisoryKey::One(*k)),
        [Value::Int4(a), Value::Int4(b)] => Ok(AdvisoryKey::Two(*a, *b)),
        _ => Err(Error::internal("advisory lock key arguments")),
    }
}

/// The `lock_timeout` setting (`None`: wait without limit).
fn lock_timeout(ctx: &dyn EvalContext) -> Result<Option<Duration>> {
    match ctx.setting("lock_timeout") {
        Some(v) if v != "0" => crate::session::timeout_setting("lock_timeout", &v),
        _ => Ok(None),
    }
}

fn take(
    args: &[Value],
    ctx: &dyn EvalContext,
    shared: bool,
    scope: Scope,
    waits: bool,
) -> Result<Value> {
    let h = helios(ctx)?;
    let wait = if waits {
        Some(Wait { timeout: lock_timeout(ctx)?, cancel: ctx.cancel_flag() })
    } else {
        None
    };
    let got = h.engine.advisory.lock(h.session, key(args)?, shared, scope, wait)?;
    Ok(if waits { void() } else { Value::Bool(got) })
}

fn unlock(args: &[Value], ctx: &dyn EvalContext, shared: bool) -> Result<Value> {
    let h = helios(ctx)?;
    // PostgreSQL also warns ("you don't own a lock of type ExclusiveLock") on false.
    Ok(Value::Bool(h.engine.advisory.unlock(h.session, key(args)?, shared)))
}

/// `pg_sleep(seconds)`: sleeps, ending early with 57014 when the statement is cancelled.
fn sleep(args: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let Value::Float8(secs) = args[0] else { return Err(Error::internal("pg_sleep argument")) };
    if !secs.is_finite() {
        return Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "invalid sleep time"));
    }
    let until = Instant::now() + Duration::from_secs_f64(secs.clamp(0.0, 1e9));
    loop {
        crate::session::advisory::check_cancel(ctx.cancel_flag())?;
        let now = Instant::now();
        if now >= until {
            return Ok(void());
        }
        std::thread::sleep((until - now).min(Duration::from_millis(20)));
    }
}
