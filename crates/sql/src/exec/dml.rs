//! INSERT, UPDATE and DELETE: writing rows, keeping indexes, and checking NOT NULL,
//! CHECK, UNIQUE/PRIMARY KEY and FOREIGN KEY constraints with PostgreSQL's SQLSTATEs.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_storage::Transaction;
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::fk_check::{queue_or_verify, FkCheck, FkSide};
use super::routines::{with_transition, TransitionRows, TriggerEvent};
use super::row_writer::{RowKey, RowWriter};
use super::table_io::{self, delete_row, get_row, primary_key, put_row, unique_conflict};
use crate::binder::{BoundDelete, BoundInsert, BoundUpdate, OnConflict};
use crate::catalog::routine_defs::TriggerTiming;
use crate::catalog::{Catalog, FkAction, SequenceDef, TableDef};
use crate::expr::{Expr, SessionInfo};
use crate::planner::PlannedQuery;

/// Rows written and rows returned by RETURNING.
#[derive(Debug, Default)]
pub struct DmlOutcome {
    /// Rows inserted, updated or deleted.
    pub count: u64,
    /// RETURNING rows.
    pub returned: Vec<Row>,
}

/// Where writes get what they need beyond the transaction.
pub struct WriteEnv<'e> {
    /// The catalog (for foreign keys).
    pub catalog: &'e Catalog,
    /// Sequence values (serial, identity).
    pub nextval: &'e dyn Fn(&SequenceDef) -> Result<i64>,
    /// Hidden rowids for tables without a primary key.
    pub rowid: &'e dyn Fn() -> i64,
    /// CHECK constraints of the target table, bound over its columns.
    pub checks: &'e [(String, Expr)],
    /// Parameter values.
    pub params: &'e [Value],
    /// Session facts.
    pub session: &'e SessionInfo,
    /// Statement time.
    pub now: i64,
    /// Cancellation flag.
    pub cancel: &'e AtomicBool,
    /// Sequence functions.
    pub sequences: Option<&'e dyn super::SequenceAccess>,
    /// The routine runtime (user functions, triggers).
    pub routines: Option<&'e dyn super::RoutineHost>,
    /// Fire the target's statement triggers (false for the partitions a statement on a
    /// partitioned table writes: the partitioned table's fire instead).
    pub statement_triggers: bool,
}

impl std::fmt::Debug for WriteEnv<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteEnv").finish_non_exhaustive()
    }
}

impl WriteEnv<'_> {
    pub(super) fn ctx<'q>(&'q self, txn: &'q Transaction, query: &'q PlannedQuery) -> ExecCtx<'q> {
        ExecCtx::new(txn, self.params, self.session, self.now, query, self.cancel)
            .with_sequences(self.sequences)
            .with_routines(self.routines)
    }
}

/// The routine runtime when `table` has enabled triggers for `event` at `timing`.
fn triggers<'e>(
    env: &WriteEnv<'e>,
    table: &TableDef,
    event: TriggerEvent,
    timing: TriggerTiming,
    row: bool,
) -> Option<&'e dyn super::RoutineHost> {
    env.routines.filter(|r| r.has_triggers(table.id, event, timing, row))
}

/// Fires the statement triggers of `table`, when it has any.
fn fire_statement(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    event: TriggerEvent,
    timing: TriggerTiming,
) -> Result<()> {
    if !env.statement_triggers {
        return Ok(());
    }
    match triggers(env, table, event, timing, false) {
        Some(r) => r.fire_statement(txn, table, event, timing),
        None => Ok(()),
    }
}

/// Runs a statement on a partitioned table: its statement triggers around `f`, which
/// writes the partitions without theirs.
fn through_partitions(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    events: &[TriggerEvent],
    f: impl FnOnce(&mut Transaction, &WriteEnv<'_>) -> Result<DmlOutcome>,
) -> Result<DmlOutcome> {
    for e in events {
        fire_statement(txn, env, table, *e, TriggerTiming::Before)?;
    }
    let leaf_env = WriteEnv { statement_triggers: false, ..*env };
    let out = f(txn, &leaf_env)?;
    for e in events.iter().rev() {
        fire_statement(txn, env, table, *e, TriggerTiming::After)?;
    }
    Ok(out)
}

/// The statement events of an INSERT: UPDATE too with ON CONFLICT DO UPDATE.
fn insert_events(ins: &BoundInsert) -> &'static [TriggerEvent] {
    if matches!(ins.on_conflict, Some(OnConflict::Update { .. })) {
        &[TriggerEvent::Insert, TriggerEvent::Update]
    } else {
        &[TriggerEvent::Insert]
    }
}

/// Row changes whose AFTER triggers fire at the end of the statement.
type AfterEvents = Vec<(TriggerEvent, Option<Row>, Option<Row>)>;

fn fire_after(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    events: AfterEvents,
) -> Result<()> {
    let Some(r) = env.routines else { return Ok(()) };
    for (event, old, new) in events {
        r.fire_row(txn, table, event, TriggerTiming::After, old.as_deref(), new, &[])?;
    }
    Ok(())
}

fn row_text(row: &[Value]) -> String {
    let parts: Vec<String> =
        row.iter().map(|v| if v.is_null() { "null".to_string() } else { v.to_pg_text() }).collect();
    parts.join(", ")
}

fn key_detail(table: &TableDef, cols: &[usize], row: &[Value]) -> (String, String) {
    let names: Vec<&str> = cols.iter().map(|c| table.columns[*c].name.as_str()).collect();
    let vals: Vec<String> = cols
        .iter()
        .map(|c| if row[*c].is_null() { "null".into() } else { row[*c].to_pg_text() })
        .collect();
    (names.join(", "), vals.join(", "))
}

/// The key names and values of `row` in the unique index `index`, as the DETAIL of a
/// unique violation shows them (`lower(email)`, `a@b`).
pub fn unique_key_detail(
    table: &TableDef,
    index: &crate::catalog::IndexDef,
    row: &[Value],
) -> Result<(String, String)> {
    if index.expressions.is_empty() {
        return Ok(key_detail(table, &index.columns, row));
    }
    let values = table_io::index_key_values(table, index, row)?.unwrap_or_default();
    let names: Vec<String> = (0..index.columns.len())
        .map(|i| match index.expression(i) {
            Some(text) => crate::catalog::index_exprs::key_text(text),
            None => table.columns[index.columns[i]].name.clone(),
        })
        .collect();
    let vals: Vec<String> =
        values.iter().map(|v| if v.is_null() { "null".into() } else { v.to_pg_text() }).collect();
    Ok((names.join(", "), vals.join(", ")))
}

/// Applies each column's type modifier (varchar/char length, numeric precision and
/// scale) by PostgreSQL's assignment rules: 22001 / 22003 when a value does not fit.
/// Whether a column of type `ty` limits its values' length, precision or scale, so
/// that assigning a value of the type itself may change or refuse it.
pub(super) fn has_typmod(ty: &helios_types::DataType) -> bool {
    use helios_types::DataType as T;
    matches!(ty, T::Varchar(Some(_)) | T::Char(Some(_)) | T::Numeric(Some(_)))
}

pub(super) fn fit_columns(table: &TableDef, row: &mut [Value]) -> Result<()> {
    for (i, c) in table.columns.iter().enumerate() {
        if let Some(p) = c.precision {
            helios_types::datetime::round_to_precision(&mut row[i], p);
        }
        if has_typmod(&c.data_type) && !row[i].is_null() {
            if let (
                Value::Text(t),
                helios_types::DataType::Varchar(Some(n)) | helios_types::DataType::Char(Some(n)),
            ) = (&row[i], &c.data_type)
            {
                // Only trailing spaces may be cut off on assignment.
                let n = *n as usize;
                if t.chars().count() > n && t.chars().skip(n).any(|ch| ch != ' ') {
                    return Err(Error::new(
                        SqlState::STRING_DATA_RIGHT_TRUNCATION,
                        format!("value too long for type {}", c.data_type),
                    ));
                }
            }
            row[i] = row[i].cast_assignment(&c.data_type)?;
        }
    }
    Ok(())
}

/// Computes the generated columns of a row from its other columns (PostgreSQL does this
/// after BEFORE triggers and defaults, before constraints are checked).
pub(super) fn compute_generated(
    ctx: &ExecCtx<'_>,
    generated: &[(usize, Expr)],
    row: &mut [Value],
) -> Result<()> {
    for (ci, e) in generated {
        let v = ctx.eval(e, row, &[])?;
        row[*ci] = v;
    }
    Ok(())
}

/// NOT NULL and CHECK constraints of a new row version.
pub(super) fn check_row(
    ctx: &ExecCtx<'_>,
    table: &TableDef,
    checks: &[(String, Expr)],
    row: &[Value],
) -> Result<()> {
    check_not_null(table, row)?;
    for (name, e) in checks {
        if matches!(ctx.eval(e, row, &[])?, Value::Bool(false)) {
            return Err(Error::new(
                SqlState::CHECK_VIOLATION,
                format!(
                    "new row for relation \"{}\" violates check constraint \"{name}\"",
                    table.name
                ),
            )
            .with_detail(format!("Failing row contains ({}).", row_text(row))));
        }
    }
    Ok(())
}

/// The NOT NULL half of [`check_row`] (23502), which needs no evaluation context.
pub(super) fn check_not_null(table: &TableDef, row: &[Value]) -> Result<()> {
    for (i, c) in table.columns.iter().enumerate() {
        if c.not_null && row[i].is_null() {
            return Err(Error::new(
                SqlState::NOT_NULL_VIOLATION,
                format!(
                    "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                    c.name, table.name
                ),
            )
            .with_detail(format!("Failing row contains ({}).", row_text(row))));
        }
    }
    Ok(())
}

/// The check options of the views a row was written through (44000 when one fails).
fn check_views(ctx: &ExecCtx<'_>, checks: &[(String, Expr)], row: &[Value]) -> Result<()> {
    for (view, cond) in checks {
        if !ctx.eval_true(cond, row, &[])? {
            return Err(Error::new(
                SqlState::from_code("44000"),
                format!("new row violates check option for view \"{view}\""),
            )
            .with_detail(format!("Failing row contains ({}).", row_text(row))));
        }
    }
    Ok(())
}

/// Row-level security's WITH CHECK on a new row version (42501 when it fails).
/// Completes a row an UPSERT or MERGE computed: its generated columns, the column
/// types, then the row-level security `policy` and the table's checks.
pub(super) fn complete_row(
    ctx: &ExecCtx<'_>,
    table: &TableDef,
    generated: &[(usize, Expr)],
    policy: Option<&Expr>,
    checks: &[(String, Expr)],
    row: &mut [Value],
) -> Result<()> {
    compute_generated(ctx, generated, row)?;
    fit_columns(table, row)?;
    check_policy(ctx, table, policy, row)?;
    check_row(ctx, table, checks, row)
}

pub(super) fn check_policy(
    ctx: &ExecCtx<'_>,
    table: &TableDef,
    check: Option<&Expr>,
    row: &[Value],
) -> Result<()> {
    match check {
        Some(c) if !ctx.eval_true(c, row, &[])? => {
            Err(crate::binder::policy_violation(&table.name))
        }
        _ => Ok(()),
    }
}

pub(super) fn unique_violation(
    table: &TableDef,
    index: &crate::catalog::IndexDef,
    row: &[Value],
) -> Error {
    let (cols, vals) = match unique_key_detail(table, index, row) {
        Ok(d) => d,
        Err(e) => return e,
    };
    Error::new(
        SqlState::UNIQUE_VIOLATION,
        format!("duplicate key value violates unique constraint \"{}\"", index.name),
    )
    .with_detail(format!("Key ({cols})=({vals}) already exists."))
}

/// [`unique_violation`] for the unique index of `table` with id `index`, as
/// [`find_conflict`] reports it.
pub(super) fn unique_violation_in(table: &TableDef, index: u32, row: &[Value]) -> Error {
    match table.indexes.iter().find(|i| i.id == index) {
        Some(idx) => unique_violation(table, idx, row),
        None => Error::internal("index vanished"),
    }
}

/// The first unique index (primary key included) that `row` conflicts with, with the
/// conflicting row's key.
pub(super) fn find_conflict(
    txn: &Transaction,
    table: &TableDef,
    row: &[Value],
    exclude: Option<&[u8]>,
) -> Result<Option<(u32, Vec<u8>)>> {
    for index in table.indexes.iter().filter(|i| i.unique) {
        if let Some(pk) = unique_conflict(txn, table, index, row, exclude)? {
            return Ok(Some((index.id, pk)));
        }
    }
    Ok(None)
}

/// Foreign keys of `table` that `row` must satisfy (referenced row exists): queued for
/// the end of the statement or commit (see [`super::fk_check`]).
pub(super) fn check_references(
    txn: &Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    row: &[Value],
    old: Option<&[Value]>,
) -> Result<()> {
    for fk in &table.foreign_keys {
        let vals: Vec<Value> = fk.columns.iter().map(|c| row[*c].clone()).collect();
        let nulls = vals.iter().filter(|v| v.is_null()).count();
        if nulls == vals.len() {
            continue;
        }
        if nulls > 0 {
            if fk.match_full {
                return Err(Error::new(
                    SqlState::FOREIGN_KEY_VIOLATION,
                    format!(
                        "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                        table.name, fk.name
                    ),
                )
                .with_detail("MATCH FULL does not allow mixing of null and nonnull key values."));
            }
            continue;
        }
        if let Some(old) = old {
            if fk.columns.iter().all(|c| old[*c].pg_eq(&row[*c])) {
                continue;
            }
        }
        let check = FkCheck {
            table: table.id,
            constraint: fk.name.clone(),
            side: FkSide::Referencing,
            key: vals,
        };
        queue_or_verify(txn, env.catalog, check)?;
    }
    Ok(())
}

/// Applies the referencing tables' ON DELETE / ON UPDATE actions for a parent row that
/// is deleted (`new = None`) or whose key changes.
pub(super) fn referenced_actions(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    old: &[Value],
    new: Option<&[Value]>,
    depth: usize,
) -> Result<()> {
    if depth > 64 {
        return Err(Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "foreign key cascade too deep"));
    }
    // A partition's rows are its partitioned ancestors' too (same column order).
    let referenced = env.catalog.with_ancestors(table.id);
    let children: Vec<(Arc<TableDef>, u32)> = referenced
        .iter()
        .flat_map(|&r| env.catalog.referencing(r).into_iter().map(move |c| (c, r)))
        .collect();
    for (child, referenced_id) in children {
        for fk in child.foreign_keys.iter().filter(|f| f.ref_table == referenced_id) {
            let old_vals: Vec<Value> = fk.ref_columns.iter().map(|c| old[*c].clone()).collect();
            if old_vals.iter().any(Value::is_null) {
                continue;
            }
            if let Some(new) = new {
                if fk.ref_columns.iter().all(|c| old[*c].pg_eq(&new[*c])) {
                    continue;
                }
            }
            // Read as of the last commit (this row's key lock orders every commit that
            // added a referencing row before it): a referencing row committed after the
            // snapshot is checked or acted on too. Writing one fails the statement
            // (40001; READ COMMITTED runs it again on a snapshot that sees the row), as
            // PostgreSQL's cross-check of its fresh snapshot does.
            let mut hits: Vec<(Vec<u8>, Row)> = Vec::new();
            table_io::rows_where_equal(txn, &child, &fk.columns, &old_vals, true, |pk, r| {
                hits.push((pk.to_vec(), std::mem::take(r)));
                Ok(true)
            })?;
            if hits.is_empty() {
                continue;
            }
            let action = if new.is_some() { fk.on_update } else { fk.on_delete };
            match action {
                FkAction::NoAction | FkAction::Restrict => {
                    let side = if action == FkAction::Restrict {
                        FkSide::Restricted
                    } else {
                        FkSide::Referenced
                    };
                    let check = FkCheck {
                        table: child.id,
                        constraint: fk.name.clone(),
                        side,
                        key: old_vals.clone(),
                    };
                    queue_or_verify(txn, env.catalog, check)?;
                }
                FkAction::Cascade => {
                    for (pk, r) in hits {
                        match new {
                            None => {
                                // The child's own DELETE triggers fire, as in PostgreSQL.
                                if let Some(t) = triggers(
                                    env,
                                    &child,
                                    TriggerEvent::Delete,
                                    TriggerTiming::Before,
                                    true,
                                ) {
                                    let go = t.fire_row(
                                        txn,
                                        &child,
                                        TriggerEvent::Delete,
                                        TriggerTiming::Before,
                                        Some(&r),
                                        None,
                                        &[],
                                    )?;
                                    if go.is_none() {
                                        continue;
                                    }
                                }
                                delete_row(txn, &child, &pk, &r)?;
                                referenced_actions(txn, env, &child, &r, None, depth + 1)?;
                                if let Some(t) = triggers(
                                    env,
                                    &child,
                                    TriggerEvent::Delete,
                                    TriggerTiming::After,
                                    true,
                                ) {
                                    t.fire_row(
                                        txn,
                                        &child,
                                        TriggerEvent::Delete,
                                        TriggerTiming::After,
                                        Some(&r),
                                        None,
                                        &[],
                                    )?;
                                }
                            }
                            Some(new) => {
                                let mut nr = r.clone();
                                for (c, rc) in fk.columns.iter().zip(&fk.ref_columns) {
                                    nr[*c] = new[*rc].clone();
                                }
                                rewrite_row(txn, env, &child, &pk, &r, nr, depth)?;
                            }
                        }
                    }
                }
                FkAction::SetNull | FkAction::SetDefault => {
                    // ON DELETE may name the columns it sets (PostgreSQL 15).
                    let targets: Vec<usize> = match new {
                        None if !fk.delete_set_columns.is_empty() => fk.delete_set_columns.clone(),
                        _ => fk.columns.clone(),
                    };
                    let values: Vec<Value> = if action == FkAction::SetDefault {
                        column_defaults(txn, env, &child, &targets)?
                    } else {
                        vec![Value::Null; targets.len()]
                    };
                    for (pk, r) in hits {
                        let mut nr = r.clone();
                        for (c, v) in targets.iter().zip(&values) {
                            nr[*c] = v.clone();
                        }
                        if action == FkAction::SetDefault {
                            // The default key must itself be referenced (or hold a NULL).
                            check_references(txn, env, &child, &nr, Some(&r))?;
                        }
                        rewrite_row(txn, env, &child, &pk, &r, nr, depth)?;
                    }
                    if action == FkAction::SetDefault {
                        // A default equal to the removed key leaves it referenced.
                        let check = FkCheck {
                            table: child.id,
                            constraint: fk.name.clone(),
                            side: FkSide::Referenced,
                            key: old_vals.clone(),
                        };
                        queue_or_verify(txn, env.catalog, check)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The DEFAULT values of `columns` of `table` (NULL where there is none), for ON DELETE /
/// ON UPDATE SET DEFAULT.
fn column_defaults(
    txn: &Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    columns: &[usize],
) -> Result<Vec<Value>> {
    let query = PlannedQuery {
        plan: crate::planner::Plan::Empty { rows: 0 },
        subqueries: Vec::new(),
        ctes: Vec::new(),
    };
    let ctx = env.ctx(txn, &query);
    let mut binder = crate::binder::Binder::new(env.catalog, env.session, Vec::new());
    columns
        .iter()
        .map(|&c| {
            let e = binder.column_default(table, c)?;
            ctx.eval(&e, &[], &[])
        })
        .collect()
}

/// Replaces a row of a referencing table during a cascade (firing the table's UPDATE
/// triggers, as PostgreSQL does).
fn rewrite_row(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    pk: &[u8],
    old: &[Value],
    new: Row,
    depth: usize,
) -> Result<()> {
    let new = match triggers(env, table, TriggerEvent::Update, TriggerTiming::Before, true) {
        Some(t) => match t.fire_row(
            txn,
            table,
            TriggerEvent::Update,
            TriggerTiming::Before,
            Some(old),
            Some(new),
            &[],
        )? {
            Some(n) => n,
            None => return Ok(()),
        },
        None => new,
    };
    let mut new = new;
    if table.columns.iter().any(|c| c.generated.is_some()) {
        let generated = crate::binder::generated::bind_generated(env.catalog, env.session, table)?;
        let query = PlannedQuery {
            plan: crate::planner::Plan::Empty { rows: 0 },
            subqueries: Vec::new(),
            ctes: Vec::new(),
        };
        compute_generated(&env.ctx(txn, &query), &generated, &mut new)?;
        fit_columns(table, &mut new)?;
    }
    rewrite_row_plain(txn, env, table, pk, old, new.clone(), depth)?;
    if let Some(t) = triggers(env, table, TriggerEvent::Update, TriggerTiming::After, true) {
        t.fire_row(
            txn,
            table,
            TriggerEvent::Update,
            TriggerTiming::After,
            Some(old),
            Some(new),
            &[],
        )?;
    }
    Ok(())
}

fn rewrite_row_plain(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    pk: &[u8],
    old: &[Value],
    new: Row,
    depth: usize,
) -> Result<()> {
    for (i, c) in table.columns.iter().enumerate() {
        if c.not_null && new[i].is_null() {
            return Err(Error::new(
                SqlState::NOT_NULL_VIOLATION,
                format!(
                    "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                    c.name, table.name
                ),
            ));
        }
    }
    let new_pk =
        if table.primary_key().is_some() { primary_key(table, &new, None)? } else { pk.to_vec() };
    table_io::delete_version(txn, table, pk, old)?;
    table_io::lock_for_update(txn, table, pk, old, &new)?;
    if let Some((index, _)) = find_conflict(txn, table, &new, None)? {
        return Err(unique_violation_in(table, index, &new));
    }
    put_row(txn, table, &new_pk, &new)?;
    referenced_actions(txn, env, table, old, Some(&new), depth + 1)
}

/// The rows an INSERT writes. `VALUES` rows under the binder's coercing projection (every
/// `INSERT ... VALUES`, the prepared single-row INSERT of a load among them) are
/// evaluated here directly, as the streaming executor would, without its per-statement
/// setup; any other source runs through the executor.
pub(super) fn source_rows(plan: &crate::planner::Plan, ctx: &ExecCtx<'_>) -> Result<SourceRows> {
    use crate::planner::Plan;
    if let Plan::Project { input, exprs, .. } = plan {
        if let Plan::Values { rows, .. } = input.as_ref() {
            ctx.check_cancel()?;
            let identity = exprs.len() == input.width()
                && exprs
                    .iter()
                    .enumerate()
                    .all(|(i, e)| matches!(e, Expr::Column(c, _) if *c == i));
            let row = |r: &[Expr]| -> Result<Row> {
                let mut values = Vec::with_capacity(r.len());
                for e in r {
                    values.push(ctx.eval(e, &[], &[])?);
                }
                if identity {
                    return Ok(values);
                }
                let mut projected = Vec::with_capacity(exprs.len());
                for e in exprs {
                    projected.push(ctx.eval(e, &values, &[])?);
                }
                Ok(projected)
            };
            if let [r] = rows.as_slice() {
                return Ok(SourceRows::One(row(r)?));
            }
            return rows.iter().map(|r| row(r)).collect::<Result<_>>().map(SourceRows::Many);
        }
    }
    super::execute(plan, ctx, &[]).map(SourceRows::Many)
}

/// The rows an INSERT computed: one row is kept without a vector of its own (the prepared
/// single-row INSERT of a load runs once per row).
pub(super) enum SourceRows {
    One(Row),
    Many(Vec<Row>),
}

impl SourceRows {
    /// The rows as a vector.
    pub(super) fn into_vec(self) -> Vec<Row> {
        match self {
            SourceRows::One(r) => vec![r],
            SourceRows::Many(rows) => rows,
        }
    }
}

impl IntoIterator for SourceRows {
    type Item = Row;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Row>, std::vec::IntoIter<Row>>;

    fn into_iter(self) -> Self::IntoIter {
        match self {
            SourceRows::One(r) => Some(r).into_iter().chain(Vec::new()),
            SourceRows::Many(rows) => None.into_iter().chain(rows),
        }
    }
}

/// Runs an INSERT.
pub fn execute_insert(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    ins: &BoundInsert,
) -> Result<DmlOutcome> {
    if let Some(p) = &ins.partition {
        if matches!(p.as_ref(), crate::binder::partition::InsertPartition::Route { .. }) {
            return through_partitions(txn, env, &ins.table, insert_events(ins), |txn, env| {
                super::partition_dml::execute_insert(txn, env, ins, p)
            });
        }
        return super::partition_dml::execute_insert(txn, env, ins, p);
    }
    if let Some(out) = super::direct_insert::try_insert(txn, env, ins)? {
        return Ok(out);
    }
    let rows = {
        let ctx = env.ctx(txn, &ins.source);
        source_rows(&ins.source.plan, &ctx)?
    };
    insert_rows(txn, env, ins, rows)
}

/// Inserts computed rows into `ins.table` (no partition routing).
pub(super) fn insert_rows(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    ins: &BoundInsert,
    rows: impl IntoIterator<Item = Row>,
) -> Result<DmlOutcome> {
    let table = ins.table.as_ref();
    let mut out = DmlOutcome::default();
    let mut touched: HashSet<Vec<u8>> = HashSet::new();
    let writer = RowWriter::new(table, &ins.layout)?;
    let events = insert_events(ins);
    for e in events {
        fire_statement(txn, env, table, *e, TriggerTiming::Before)?;
    }
    let before = triggers(env, table, TriggerEvent::Insert, TriggerTiming::Before, true);
    let before_update = triggers(env, table, TriggerEvent::Update, TriggerTiming::Before, true);
    let any_after = triggers(env, table, TriggerEvent::Insert, TriggerTiming::After, true)
        .is_some()
        || triggers(env, table, TriggerEvent::Update, TriggerTiming::After, true).is_some();
    let mut after: AfterEvents = Vec::new();
    let mut key = RowKey::default();
    let transition = super::routines::wants_transition(env.catalog, table.id, TriggerEvent::Insert);
    let mut inserted: Vec<Row> = Vec::new();
    for mut row in rows {
        fill_serials(env, table, &ins.sequence_fill, &mut row)?;
        fit_columns(table, &mut row)?;
        if let Some(r) = before {
            match r.fire_row(
                txn,
                table,
                TriggerEvent::Insert,
                TriggerTiming::Before,
                None,
                Some(row),
                &[],
            )? {
                None => continue,
                Some(changed) => {
                    row = changed;
                    fit_columns(table, &mut row)?;
                }
            }
        }
        // Generated columns are computed after BEFORE triggers, from what they left
        // (as in PostgreSQL).
        if !ins.generated.is_empty() {
            compute_generated(&env.ctx(txn, &ins.extra), &ins.generated, &mut row)?;
            fit_columns(table, &mut row)?;
        }
        if ins.policy_check.is_some() {
            check_policy(&env.ctx(txn, &ins.extra), table, ins.policy_check.as_ref(), &row)?;
        }
        if !ins.view_checks.is_empty() {
            check_views(&env.ctx(txn, &ins.extra), &ins.view_checks, &row)?;
        }
        if env.checks.is_empty() {
            check_not_null(table, &row)?;
        } else {
            check_row(&env.ctx(txn, &ins.extra), table, env.checks, &row)?;
        }
        check_references(txn, env, table, &row, None)?;
        // Only a table without a primary key draws a row id (a clock read and a CAS).
        let rowid = (!writer.has_primary_key()).then(|| (env.rowid)());
        writer.row_key(&mut key, &row, rowid)?;
        let conflict = writer.find_conflict(txn, &row, &key)?;
        let written: Option<Row> = match (conflict, &ins.on_conflict) {
            (None, _) => {
                writer.put(txn, &key, &row)?;
                // Only ON CONFLICT DO UPDATE asks which rows this command wrote.
                if matches!(ins.on_conflict, Some(OnConflict::Update { .. })) {
                    touched.insert(key.pk().to_vec());
                }
                if any_after {
                    after.push((TriggerEvent::Insert, None, Some(row.clone())));
                }
                if transition {
                    inserted.push(row.clone());
                }
                Some(row)
            }
            (Some((index, _)), Some(OnConflict::Nothing { index: arbiter }))
                if arbiter.is_none_or(|a| a == index) =>
            {
                None
            }
            (
                Some((index, pk)),
                Some(OnConflict::Update { index: arbiter, assignments, predicate }),
            ) if *arbiter == index => {
                if !touched.insert(pk.clone()) {
                    return Err(Error::new(
                        SqlState::CARDINALITY_VIOLATION,
                        "ON CONFLICT DO UPDATE command cannot affect row a second time",
                    )
                    .with_hint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values."));
                }
                let existing = get_row(txn, table, &pk)?
                    .ok_or_else(|| Error::internal("conflicting row vanished"))?;
                let mut both = existing.clone();
                both.extend(row.iter().cloned());
                let new_row = {
                    let ctx = env.ctx(txn, &ins.extra);
                    let go = match predicate {
                        Some(p) => ctx.eval_true(p, &both, &[])?,
                        None => true,
                    };
                    if go {
                        let mut nr = existing.clone();
                        for (ci, e) in assignments {
                            nr[*ci] = ctx.eval(e, &both, &[])?;
                        }
                        let policy = ins.conflict_check.as_ref();
                        complete_row(&ctx, table, &ins.generated, policy, env.checks, &mut nr)?;
                        if let Some(p) = &ins.partition {
                            super::partition_dml::conflict_update_stays(&ctx, p, &nr)?;
                        }
                        Some(nr)
                    } else {
                        None
                    }
                };
                let new_row = match (new_row, before_update) {
                    (Some(nr), Some(r)) => {
                        let targets: Vec<usize> = assignments.iter().map(|(c, _)| *c).collect();
                        r.fire_row(
                            txn,
                            table,
                            TriggerEvent::Update,
                            TriggerTiming::Before,
                            Some(&existing),
                            Some(nr),
                            &targets,
                        )?
                    }
                    (nr, _) => nr,
                };
                match new_row {
                    None => None,
                    Some(mut nr) => {
                        fit_columns(table, &mut nr)?;
                        update_one(txn, env, table, &pk, &existing, &nr)?;
                        if any_after {
                            after.push((TriggerEvent::Update, Some(existing), Some(nr.clone())));
                        }
                        Some(nr)
                    }
                }
            }
            (Some((index, _)), _) => {
                return Err(unique_violation_in(table, index, &row));
            }
        };
        if let Some(r) = written {
            out.count += 1;
            if let Some((exprs, _)) = &ins.returning {
                let ctx = env.ctx(txn, &ins.extra);
                out.returned
                    .push(exprs.iter().map(|e| ctx.eval(e, &r, &[])).collect::<Result<Row>>()?);
            }
        }
    }
    let rows = transition.then(|| TransitionRows {
        table: table.id,
        event: TriggerEvent::Insert,
        old: Vec::new(),
        new: inserted,
    });
    with_transition(rows, || -> Result<()> {
        fire_after(txn, env, table, after)?;
        for e in events.iter().rev() {
            fire_statement(txn, env, table, *e, TriggerTiming::After)?;
        }
        Ok(())
    })?;
    Ok(out)
}

/// Draws the next value of each serial / identity column of `row` left NULL.
pub(super) fn fill_serials(
    env: &WriteEnv<'_>,
    table: &TableDef,
    sequence_fill: &[(usize, u32)],
    row: &mut [Value],
) -> Result<()> {
    for (ci, seq) in sequence_fill {
        if row[*ci].is_null() {
            let def = env
                .catalog
                .sequences
                .get(seq)
                .ok_or_else(|| Error::internal("sequence vanished"))?;
            let v = (env.nextval)(def)?;
            row[*ci] = sequence_value(v, &table.columns[*ci].data_type)?;
        }
    }
    Ok(())
}

/// Converts a sequence value to the column's integer type (22003 when it does not fit).
fn sequence_value(v: i64, ty: &helios_types::DataType) -> Result<Value> {
    use helios_types::DataType as T;
    let out_of_range =
        || Error::new(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, format!("{ty} out of range"));
    Ok(match ty {
        T::Int2 => Value::Int2(i16::try_from(v).map_err(|_| out_of_range())?),
        T::Int4 => Value::Int4(i32::try_from(v).map_err(|_| out_of_range())?),
        _ => Value::Int8(v),
    })
}

/// Replaces one row (new key when the primary key changed), checking uniqueness and
/// foreign keys.
pub(super) fn update_one(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    table: &TableDef,
    pk: &[u8],
    old: &[Value],
    new: &[Value],
) -> Result<Vec<u8>> {
    let new_pk =
        if table.primary_key().is_some() { primary_key(table, new, None)? } else { pk.to_vec() };
    table_io::delete_version(txn, table, pk, old)?;
    table_io::lock_for_update(txn, table, pk, old, new)?;
    if let Some((index, _)) = find_conflict(txn, table, new, None)? {
        return Err(unique_violation_in(table, index, new));
    }
    check_references(txn, env, table, new, Some(old))?;
    put_row(txn, table, &new_pk, new)?;
    referenced_actions(txn, env, table, old, Some(new), 0)?;
    Ok(new_pk)
}

/// Runs an UPDATE.
pub fn execute_update(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    upd: &BoundUpdate,
) -> Result<DmlOutcome> {
    if upd.current_of.is_some() {
        return Err(current_of_unresolved());
    }
    update_rows(txn, env, upd, None)
}

/// A `WHERE CURRENT OF` statement whose cursor the caller did not resolve (only the
/// session's own statements reach the session's cursors).
fn current_of_unresolved() -> Error {
    Error::unsupported("WHERE CURRENT OF outside a top-level UPDATE or DELETE")
}

/// A row an UPDATE took out of its partition: (new row, source row).
pub(super) type MovedRow = (Row, Row);

/// Runs an UPDATE; `moved` collects the rows whose new partition key leaves the
/// partition being updated (an UPDATE through the parent), which are deleted here and
/// inserted by the caller.
pub(super) fn update_rows(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    upd: &BoundUpdate,
    mut moved: Option<&mut Vec<MovedRow>>,
) -> Result<DmlOutcome> {
    if let Some(crate::binder::partition::UpdatePartition::Parent { leaves, route }) =
        upd.partition.as_deref()
    {
        return through_partitions(txn, env, &upd.table, &[TriggerEvent::Update], |txn, env| {
            super::partition_dml::execute_update(txn, env, upd, leaves, route)
        });
    }
    let table = upd.table.as_ref();
    let ncols = table.columns.len();
    let rows = {
        let ctx = env.ctx(txn, &upd.source);
        super::execute(&upd.source.plan, &ctx, &[])?
    };
    let mut out = DmlOutcome::default();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    fire_statement(txn, env, table, TriggerEvent::Update, TriggerTiming::Before)?;
    let before = triggers(env, table, TriggerEvent::Update, TriggerTiming::Before, true);
    let any_after =
        triggers(env, table, TriggerEvent::Update, TriggerTiming::After, true).is_some();
    // Compute every new row first, so that the update reads only old values.
    let mut work: Vec<(Vec<u8>, Row, Row, Row)> = Vec::new();
    {
        let ctx = env.ctx(txn, &upd.source);
        for src in rows {
            let Value::Bytea(pk) = &src[ncols] else {
                return Err(Error::internal("DML scan lost its key column"));
            };
            if !seen.insert(pk.clone()) {
                continue;
            }
            let old: Row = src[..ncols].to_vec();
            let mut new = old.clone();
            for (ci, e) in &upd.assignments {
                new[*ci] = ctx.eval(e, &src, &[])?;
            }
            compute_generated(&ctx, &upd.generated, &mut new)?;
            fit_columns(table, &mut new)?;
            if before.is_none() {
                check_policy(&ctx, table, upd.policy_check.as_ref(), &new)?;
                check_views(&ctx, &upd.view_checks, &new)?;
                check_row(&ctx, table, env.checks, &new)?;
            }
            work.push((pk.clone(), old, new, src));
        }
    }
    if let Some(r) = before {
        // BEFORE triggers see each row's new version and may change or skip it; the
        // constraints then check what they left.
        let targets: Vec<usize> = upd.assignments.iter().map(|(c, _)| *c).collect();
        let mut kept = Vec::with_capacity(work.len());
        for (pk, old, new, src) in work {
            let changed = r.fire_row(
                txn,
                table,
                TriggerEvent::Update,
                TriggerTiming::Before,
                Some(&old),
                Some(new),
                &targets,
            )?;
            if let Some(mut new) = changed {
                fit_columns(table, &mut new)?;
                let ctx = env.ctx(txn, &upd.source);
                if !upd.generated.is_empty() {
                    compute_generated(&ctx, &upd.generated, &mut new)?;
                    fit_columns(table, &mut new)?;
                }
                check_policy(&ctx, table, upd.policy_check.as_ref(), &new)?;
                check_views(&ctx, &upd.view_checks, &new)?;
                check_row(&ctx, table, env.checks, &new)?;
                kept.push((pk, old, new, src));
            }
        }
        work = kept;
    }
    if let Some(crate::binder::partition::UpdatePartition::Check(check)) = upd.partition.as_deref()
    {
        let ctx = env.ctx(txn, &upd.source);
        let leaving = super::partition_dml::leaving_rows(&ctx, check, &mut work, moved.is_some())?;
        for (pk, old, new, src) in leaving {
            delete_row(txn, table, &pk, &old)?;
            referenced_actions(txn, env, table, &old, None, 0)?;
            if let Some(m) = moved.as_deref_mut() {
                m.push((new, src));
            }
        }
    }
    // Remove all old versions first so that swapping unique values inside one
    // statement does not report a false conflict.
    for (pk, old, new, _) in &work {
        table_io::delete_version(txn, table, pk, old)?;
        table_io::lock_for_update(txn, table, pk, old, new)?;
    }
    for (pk, old, new, src) in &work {
        let new_pk =
            if table.primary_key().is_some() { primary_key(table, new, None)? } else { pk.clone() };
        if let Some((index, _)) = find_conflict(txn, table, new, None)? {
            return Err(unique_violation_in(table, index, new));
        }
        check_references(txn, env, table, new, Some(old))?;
        put_row(txn, table, &new_pk, new)?;
        out.count += 1;
        if let Some((exprs, _)) = &upd.returning {
            let mut r = src.clone();
            r[..ncols].clone_from_slice(new);
            let ctx = env.ctx(txn, &upd.source);
            out.returned.push(exprs.iter().map(|e| ctx.eval(e, &r, &[])).collect::<Result<Row>>()?);
        }
    }
    for (_, old, new, _) in &work {
        referenced_actions(txn, env, table, old, Some(new), 0)?;
    }
    let rows =
        super::routines::wants_transition(env.catalog, table.id, TriggerEvent::Update).then(|| {
            TransitionRows {
                table: table.id,
                event: TriggerEvent::Update,
                old: work.iter().map(|w| w.1.clone()).collect(),
                new: work.iter().map(|w| w.2.clone()).collect(),
            }
        });
    with_transition(rows, || -> Result<()> {
        if any_after {
            let events = work
                .into_iter()
                .map(|(_, old, new, _)| (TriggerEvent::Update, Some(old), Some(new)))
                .collect();
            fire_after(txn, env, table, events)?;
        }
        fire_statement(txn, env, table, TriggerEvent::Update, TriggerTiming::After)
    })?;
    Ok(out)
}

/// Runs a DELETE.
pub fn execute_delete(
    txn: &mut Transaction,
    env: &WriteEnv<'_>,
    del: &BoundDelete,
) -> Result<DmlOutcome> {
    if del.current_of.is_some() {
        return Err(current_of_unresolved());
    }
    if let Some(leaves) = &del.partition {
        return through_partitions(txn, env, &del.table, &[TriggerEvent::Delete], |txn, env| {
            let mut out = DmlOutcome::default();
            for leaf in leaves.iter() {
                let o = execute_delete(txn, env, leaf)?;
                out.count += o.count;
                out.returned.extend(o.returned);
            }
            Ok(out)
        });
    }
    let table = del.table.as_ref();
    let ncols = table.columns.len();
    let rows = {
        let ctx = env.ctx(txn, &del.source);
        super::execute(&del.source.plan, &ctx, &[])?
    };
    let mut out = DmlOutcome::default();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    fire_statement(txn, env, table, TriggerEvent::Delete, TriggerTiming::Before)?;
    let before = triggers(env, table, TriggerEvent::Delete, TriggerTiming::Before, true);
    let any_after =
        triggers(env, table, TriggerEvent::Delete, TriggerTiming::After, true).is_some();
    let mut after: AfterEvents = Vec::new();
    let transition = super::routines::wants_transition(env.catalog, table.id, TriggerEvent::Delete);
    let mut deleted: Vec<Row> = Vec::new();
    for src in rows {
        let Value::Bytea(pk) = &src[ncols] else {
            return Err(Error::internal("DML scan lost its key column"));
        };
        if !seen.insert(pk.clone()) {
            continue;
        }
        let old: Row = src[..ncols].to_vec();
        if let Some(r) = before {
            let go = r.fire_row(
                txn,
                table,
                TriggerEvent::Delete,
                TriggerTiming::Before,
                Some(&old),
                None,
                &[],
            )?;
            if go.is_none() {
                continue;
            }
        }
        if any_after {
            after.push((TriggerEvent::Delete, Some(old.clone()), None));
        }
        if transition {
            deleted.push(old.clone());
        }
        delete_row(txn, table, pk, &old)?;
        referenced_actions(txn, env, table, &old, None, 0)?;
        out.count += 1;
        if let Some((exprs, _)) = &del.returning {
            let ctx = env.ctx(txn, &del.source);
            out.returned
                .push(exprs.iter().map(|e| ctx.eval(e, &src, &[])).collect::<Result<Row>>()?);
        }
    }
    let rows = transition.then(|| TransitionRows {
        table: table.id,
        event: TriggerEvent::Delete,
        old: deleted,
        new: Vec::new(),
    });
    with_transition(rows, || -> Result<()> {
        fire_after(txn, env, table, after)?;
        fire_statement(txn, env, table, TriggerEvent::Delete, TriggerTiming::After)
    })?;
    Ok(out)
}
