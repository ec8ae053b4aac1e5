//! Branch and time-travel functions.
//!
//! Scalar: `current_branch()`, `helios_last_txid()` (the id of the latest committed
//! transaction, database-wide), `helios_commit_timestamp(txid)`,
//! `helios_current_timestamp()` (the latest commit timestamp: reading `AS OF` it sees
//! everything committed so far).
//!
//! Table: `helios_branch_diff(a, b)`, `helios_merge_conflicts(src, dst)`,
//! `helios_branches()`, `helios_commits()` (the last two also as views of the same
//! name), `helios_dump_schema()` (the branch's objects as SQL, for `heliosdb-nano
//! dump`). They read the database through the session's [`HeliosCtx`].

use std::fmt;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState, Timestamp, TxnId};
use helios_types::{DataType, Value};

use super::registry::{ParamType, Registry, ReturnType};
use super::table::{BoundTableFunction, RowIter, TableFunction};
use crate::expr::{coerce_expr, CoercionKind, EvalContext, Expr, ExprScope};
use crate::session::{self, HeliosCtx};

fn helios(ctx: &dyn EvalContext) -> Result<&HeliosCtx> {
    ctx.session().helios.as_ref().ok_or_else(|| {
        Error::new(SqlState::FEATURE_NOT_SUPPORTED, "branch functions need a database session")
    })
}

fn last_txid(ctx: &dyn EvalContext) -> Result<Value> {
    let storage = &helios(ctx)?.engine.storage;
    let v = storage.visible_ts();
    Ok(match storage.commits(v, Timestamp::MAX)?.first() {
        Some(c) => Value::Int8(i64::try_from(c.txn.0).unwrap_or(i64::MAX)),
        None => Value::Null,
    })
}

/// Registers the scalar functions.
pub(crate) fn register(r: &mut Registry) {
    r.add("current_branch", vec![], ReturnType::Exact(DataType::Text), |_, ctx| {
        let h = helios(ctx)?;
        let name = h.engine.storage.branch_by_id(h.branch)?.map(|b| b.name);
        Ok(name.map_or(Value::Null, Value::Text))
    })
    .volatile();
    r.add("helios_last_txid", vec![], ReturnType::Exact(DataType::Int8), |_, ctx| last_txid(ctx))
        .volatile();
    r.add(
        "helios_current_timestamp",
        vec![],
        ReturnType::Exact(DataType::TimestampTz),
        |_, ctx| Ok(session::to_sql_timestamp(helios(ctx)?.engine.storage.visible_ts())),
    )
    .volatile();
    r.add(
        "helios_commit_timestamp",
        vec![ParamType::Exact(DataType::Int8)],
        ReturnType::Exact(DataType::TimestampTz),
        |a, ctx| {
            let Value::Int8(n) = a[0] else { return Ok(Value::Null) };
            if n <= 0 {
                return Ok(Value::Null);
            }
            let rec = helios(ctx)?.engine.storage.commit_record(TxnId(n as u64))?;
            Ok(rec.map_or(Value::Null, |(ts, _)| session::to_sql_timestamp(ts)))
        },
    )
    .volatile();
}

/// `helios_dump_schema()`: the statements that re-create the branch's objects, by
/// section (see [`crate::catalog::script`]).
const DUMP_COLUMNS: &[(&str, DataType)] =
    &[("section", DataType::Text), ("statement", DataType::Text)];

/// Whether `name` is one of our table functions.
pub fn is_table_function(name: &str) -> bool {
    matches!(
        name,
        "helios_branch_diff"
            | "helios_merge_conflicts"
            | "helios_branches"
            | "helios_commits"
            | "helios_dump_schema"
    )
}

/// One of our table functions.
struct HeliosTableFn {
    name: &'static str,
    columns: Vec<(String, DataType)>,
}

impl fmt::Debug for HeliosTableFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(...)", self.name)
    }
}

impl TableFunction for HeliosTableFn {
    fn name(&self) -> &str {
        self.name
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, args: &[Value], ctx: &dyn EvalContext) -> Result<RowIter> {
        let engine = &helios(ctx)?.engine;
        let text = |i: usize| -> Result<String> {
            match args.get(i) {
                Some(Value::Text(s)) => Ok(s.clone()),
                _ => Err(Error::new(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    format!("{}: branch name must not be null", self.name),
                )),
            }
        };
        let rows = match self.name {
            "helios_branch_diff" => session::diff_rows(engine, &text(0)?, &text(1)?)?,
            "helios_merge_conflicts" => {
                session::conflict_rows_by_name(engine, &text(0)?, &text(1)?)?
            }
            "helios_branches" => session::branch_rows(engine)?,
            "helios_dump_schema" => {
                let catalog = crate::functions::catalog_defs::statement_catalog(ctx)?;
                let login = &ctx.session().session_user;
                crate::catalog::script::schema_script(&catalog, login)
                    .into_iter()
                    .map(|(section, sql)| {
                        vec![Value::Text(section.name().into()), Value::Text(sql)]
                    })
                    .collect()
            }
            _ => session::commit_rows(engine)?,
        };
        Ok(Box::new(rows.into_iter().map(Ok)))
    }
}

/// Binds a call of one of our table functions.
pub fn bind_table_function(
    name: &str,
    args: Vec<Expr>,
    scope: &mut dyn ExprScope,
) -> Result<BoundTableFunction> {
    let (fname, cols, arity): (&'static str, &[(&str, DataType)], usize) = match name {
        "helios_branch_diff" => ("helios_branch_diff", session::DIFF_COLUMNS, 2),
        "helios_merge_conflicts" => ("helios_merge_conflicts", session::CONFLICT_COLUMNS, 2),
        "helios_branches" => ("helios_branches", session::BRANCH_COLUMNS, 0),
        "helios_dump_schema" => ("helios_dump_schema", DUMP_COLUMNS, 0),
        _ => ("helios_commits", session::COMMIT_COLUMNS, 0),
    };
    if args.len() != arity {
        let types: Vec<String> = args.iter().map(|a| a.data_type().to_string()).collect();
        return Err(Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("function {name}({}) does not exist", types.join(", ")),
        ));
    }
    let mut bound = Vec::with_capacity(args.len());
    for a in args {
        bound.push(coerce_expr(a, &DataType::Text, CoercionKind::Implicit, scope)?);
    }
    let columns = cols.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
    Ok(BoundTableFunction { func: Arc::new(HeliosTableFn { name: fname, columns }), args: bound })
}
