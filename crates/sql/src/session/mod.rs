//! A session: one connection's transaction, settings and prepared statements.
//!
//! # Transactions
//!
//! ```text
//!            BEGIN                      error
//!  Autocommit ─────▶ Explicit block ─────────▶ Failed (25P02 for everything but
//!      ▲  ▲              │ COMMIT/ROLLBACK        │      ROLLBACK [TO SAVEPOINT])
//!      │  └──────────────┘                        │
//!      └──────────────────────────────────────────┘ ROLLBACK
//! ```
//!
//! Outside a block every statement runs in its own transaction; a multi-statement batch
//! (simple query protocol) runs in one implicit transaction unless it contains BEGIN.
//! READ COMMITTED takes a fresh snapshot per statement; REPEATABLE READ keeps the
//! transaction's first one. SERIALIZABLE is rejected (0A000) until it is real.

pub mod advisory;
mod aggregates;
mod alter;
mod alter_sequence;
mod branch;
mod branch_rows;
mod comment;
mod constraints;
mod create_table_as;
mod cursor;
mod ddl;
mod ddl_table;
mod discard;
mod extension;
mod index_ddl;
mod lock_table;
mod maintenance;
mod matview;
pub mod notify;
mod partition_ddl;
pub mod password;
mod plan_cache;
mod planner_settings;
mod prepared;
mod privileges;
mod reindex;
mod rename;
mod result;
mod roles;
mod routines;
mod schema_alter;
mod sequences;
mod settings;
mod settings_txn;
mod statement;
mod storage_params;
mod table_options;
mod temp_schema;
mod time_travel;
mod timeout;
mod txn;
mod use_counts;
mod user_types;
mod utility;
mod vector_index;
pub(crate) mod view_deps;
mod view_triggers;
mod writable_cte;

pub use branch::BranchUsers;
pub use cursor::CursorAccess;
/// Sessions logged in per role id (`CONNECTION LIMIT`).
pub type RoleLogins = use_counts::UseCounts<u32>;
pub use branch_rows::{
    branch_rows, commit_rows, conflict_rows, conflict_rows_by_name, diff_rows, BRANCH_COLUMNS,
    COMMIT_COLUMNS, CONFLICT_COLUMNS, DIFF_COLUMNS,
};
pub(crate) use planner_settings::work_mem_bytes;
pub use prepared::Prepared;
pub use result::{Column, QueryResult, StatementResult, TxnStatus};
pub(crate) use settings::timeout_setting;
pub use settings::Settings;
pub(crate) use statement::bind_checks;
pub use statement::RowSink;
pub(crate) use statement::{bind_statement, Bound};
pub(crate) use temp_schema::drop_stale_temp_schemas;
pub use temp_schema::is_temp_schema;
pub use time_travel::{from_sql_timestamp, to_sql_timestamp, HeliosCtx};

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sqlparser::ast;

use helios_common::{BranchId, Error, Result, SqlState};
use helios_storage::{Isolation, Savepoint, Transaction, TxnOptions};
use helios_types::{DataType, Value};

use crate::engine::Engine;
use crate::exec::kept_rows::KeptRows;
use crate::expr::SessionInfo;
use crate::parser::{self, Statement};
use timeout::StatementTimer;

/// Where the session is in the transaction state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Each statement commits on its own.
    Autocommit,
    /// Inside a multi-statement batch without BEGIN.
    Implicit,
    /// Inside BEGIN ... COMMIT.
    Explicit,
    /// An explicit block that hit an error.
    Failed,
}

/// One connection's state.
pub struct Session {
    engine: Arc<Engine>,
    /// The session's number in the advisory lock table.
    id: u64,
    txn: Option<Transaction>,
    mode: Mode,
    savepoints: Vec<(String, Savepoint, notify::NotifyMark, Option<settings_txn::SettingsMark>)>,
    /// The open transaction block's settings (what rollback restores, `SET LOCAL`s).
    settings_txn: Option<settings_txn::SettingsTxn>,
    /// `set_config` calls of the running statement, applied when it is done.
    setting_changes: crate::expr::SettingChanges,
    settings: Settings,
    prepared: HashMap<String, Prepared>,
    cancel: Arc<AtomicBool>,
    txn_now: i64,
    branch: BranchId,
    /// Isolation and access mode requested by BEGIN / SET TRANSACTION for the current
    /// block (applied when its storage transaction starts).
    pending: Option<(Isolation, bool)>,
    /// A statement other than transaction control ran in the current block.
    statement_ran: bool,
    /// A bound statement started executing (so it may have had effects); the
    /// simple-protocol plan cache retries a failed statement only when this stayed false.
    executing: bool,
    /// Branches in which this session created its temporary schema.
    temp_branches: Vec<BranchId>,
    /// `currval` values of this session.
    currvals: parking_lot::Mutex<HashMap<u32, i64>>,
    /// Open cursors.
    cursors: cursor::Cursors,
    /// The session created a temporary table with an ON COMMIT action (commits look for
    /// such tables only then).
    on_commit_tables: bool,
    /// Counts the storage transactions this session started (names the live one).
    block_seq: u64,
    /// Plans of simple-protocol queries (see [`plan_cache`]).
    plan_cache: plan_cache::PlanCache,
    /// The catalog the last query or DML statement read, with the branch and snapshot it
    /// was read at: the next statement at the same snapshot reuses it instead of reading
    /// the catalog version again. Cleared by every other statement (DDL, transaction
    /// control, ...), and when a transaction starts unless it was read without any own
    /// writes (see [`CatalogMemo::committed`]).
    catalog_memo: Option<CatalogMemo>,
    /// The user the session logged in as (what SET SESSION AUTHORIZATION DEFAULT
    /// returns to).
    login: String,
    /// The role the session logged in as, counted against its `CONNECTION LIMIT`.
    login_role: Option<u32>,
    /// Notices raised by routines, until the client takes them.
    notices: parking_lot::Mutex<Vec<crate::routine::Notice>>,
    /// Foreign key checks deferred to commit (see [`crate::exec::fk_check`]).
    deferred_fk: Vec<crate::exec::fk_check::FkCheck>,
    /// The block's `SET CONSTRAINTS` state.
    constraint_modes: crate::exec::fk_check::ConstraintModes,
}

/// A catalog read at one snapshot of one branch (see `Session::catalog_memo`).
#[derive(Debug, Clone)]
pub(crate) struct CatalogMemo {
    pub branch: BranchId,
    pub read_ts: helios_common::Timestamp,
    pub catalog: Arc<crate::catalog::Catalog>,
    /// Read by a transaction without own writes: it is the committed catalog at
    /// `read_ts`, which every later transaction reading at the same snapshot and branch
    /// sees too (nothing commits at or below a snapshot once it is visible). Autocommit
    /// statements then skip the catalog lookup while nothing commits in between.
    pub committed: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("mode", &self.mode).finish_non_exhaustive()
    }
}

impl Session {
    /// A new session on `engine`.
    pub fn new(engine: Arc<Engine>) -> Session {
        Session {
            id: engine.advisory.new_session(),
            engine,
            txn: None,
            mode: Mode::Autocommit,
            savepoints: Vec::new(),
            settings_txn: None,
            setting_changes: Default::default(),
            settings: Settings::default(),
            prepared: HashMap::new(),
            cancel: Arc::new(AtomicBool::new(false)),
            txn_now: 0,
            branch: BranchId::MAIN,
            pending: None,
            statement_ran: false,
            executing: false,
            temp_branches: Vec::new(),
            currvals: parking_lot::Mutex::new(HashMap::new()),
            cursors: cursor::Cursors::default(),
            on_commit_tables: false,
            block_seq: 0,
            plan_cache: plan_cache::PlanCache::default(),
            catalog_memo: None,
            login: "postgres".into(),
            login_role: None,
            notices: parking_lot::Mutex::new(Vec::new()),
            deferred_fk: Vec::new(),
            constraint_modes: Default::default(),
        }
    }

    /// The engine this session runs on.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The flag another thread sets to cancel the running statement.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// The transaction status (for ReadyForQuery).
    pub fn transaction_status(&self) -> TxnStatus {
        match self.mode {
            Mode::Autocommit | Mode::Implicit => TxnStatus::Idle,
            Mode::Explicit => TxnStatus::InTransaction,
            Mode::Failed => TxnStatus::Failed,
        }
    }

    /// A setting's current value (`SHOW`).
    pub fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name)
    }

    /// See [`Settings::generation`]: changes whenever a setting does.
    pub fn settings_generation(&self) -> u64 {
        self.settings.generation()
    }

    /// Changes a setting (`SET`).
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        // Who the session is changes only through `login_as`, SET ROLE and SET SESSION
        // AUTHORIZATION, which check the catalog.
        if name.eq_ignore_ascii_case("session_authorization") || name.eq_ignore_ascii_case("role") {
            return Err(Error::new(
                SqlState::INSUFFICIENT_PRIVILEGE,
                format!("permission denied to set parameter \"{}\"", name.to_ascii_lowercase()),
            ));
        }
        if self.set_helios_setting(name, value)? {
            return Ok(());
        }
        self.settings.set(name, value)
    }

    /// Changes a setting as a connection's startup parameter: `RESET` and `RESET ALL`
    /// come back to this value, as in PostgreSQL.
    pub fn set_session_default(&mut self, name: &str, value: &str) -> Result<()> {
        if name.eq_ignore_ascii_case("session_authorization") || name.eq_ignore_ascii_case("role") {
            return self.set_setting(name, value);
        }
        if self.set_helios_setting(name, value)? {
            return Ok(());
        }
        self.settings.set_session_default(name, value)
    }

    /// Names the user the session logs in as (the embedding program's choice, or the
    /// user the server authenticated): its `session_user` and `current_user`. A user
    /// that names no role runs as the bootstrap superuser (see `catalog::access`).
    ///
    /// A role without LOGIN is refused (28000), and so is one without CONNECT on the
    /// database (42501), as PostgreSQL refuses the connection.
    pub fn login_as(&mut self, user: &str) -> Result<()> {
        let txn = self.engine.storage.begin(TxnOptions {
            branch: self.branch,
            isolation: Isolation::ReadCommitted,
            read_only: true,
            as_of: None,
        })?;
        let catalog = self.engine.catalogs.get(&txn)?;
        drop(txn);
        let mut counted = None;
        if let Some(role) = catalog.role(user) {
            let auth = catalog.auth(user);
            if !auth.login {
                return Err(Error::new(
                    SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                    format!("role \"{user}\" is not permitted to log in"),
                ));
            }
            if !catalog.database.privileges_of(&auth).contains(crate::catalog::Privileges::CONNECT)
            {
                let db = self.settings.database().unwrap_or("postgres").to_string();
                return Err(Error::new(
                    SqlState::INSUFFICIENT_PRIVILEGE,
                    format!("permission denied for database \"{db}\""),
                )
                .with_detail("User does not have CONNECT privilege."));
            }
            // Superusers are not held to CONNECTION LIMIT, as in PostgreSQL.
            let limit = usize::try_from(role.connection_limit).ok().filter(|_| !auth.superuser);
            let logins = &self.engine.role_logins;
            match limit {
                Some(limit) if !logins.enter_within(role.id, limit) => {
                    return Err(Error::new(
                        SqlState::TOO_MANY_CONNECTIONS,
                        format!("too many connections for role \"{user}\""),
                    ));
                }
                Some(_) => {}
                None => logins.enter(role.id),
            }
            counted = Some(role.id);
        }
        if let Some(previous) = std::mem::replace(&mut self.login_role, counted) {
            self.engine.role_logins.leave(previous);
        }
        self.login = user.to_string();
        self.settings.set("session_authorization", user)?;
        self.settings.set("role", "none")?;
        self.note_superuser(&catalog);
        Ok(())
    }

    /// What `user` must prove to log in (for a server's password authentication): a role's
    /// stored password, or that it has none or is no role (only the forms of
    /// [`password::encrypt`] are ever stored).
    pub fn login_secret(&self, user: &str) -> Result<password::LoginSecret> {
        use password::{LoginSecret, StoredPassword};
        let txn = self.engine.storage.begin(TxnOptions {
            branch: self.branch,
            isolation: Isolation::ReadCommitted,
            read_only: true,
            as_of: None,
        })?;
        let catalog = self.engine.catalogs.get(&txn)?;
        drop(txn);
        Ok(match catalog.role(user) {
            None => LoginSecret::NoRole,
            Some(role)
                if role.valid_until.is_some_and(|t| t < crate::expr::wall_clock_micros()) =>
            {
                LoginSecret::Expired
            }
            Some(role) => match role.password.as_deref().and_then(StoredPassword::parse) {
                Some(p) => LoginSecret::Password(p),
                None => LoginSecret::NoPassword,
            },
        })
    }

    /// Names the database the client connected to: what `current_database()` and
    /// `pg_database` report (a server has one database under any name).
    pub fn set_database_name(&mut self, name: &str) {
        self.settings.set_database(name);
    }

    /// The facts expressions may read about this session.
    pub fn info(&self) -> SessionInfo {
        SessionInfo::clone(&self.info_shared())
    }

    /// [`Session::info`], shared: built once per change of the settings (the branch is
    /// a setting too, `helios.branch`).
    pub(crate) fn info_shared(&self) -> Arc<SessionInfo> {
        let info = self.settings.session_info(|| self.build_info());
        // Open cursors (`pg_cursors`) are not settings: rebuild while they differ.
        let cursors = self.cursors.infos(self.live_block());
        match &info.helios {
            Some(h) if h.branch == self.branch && info.cursors == cursors => info,
            _ => Arc::new(self.build_info()),
        }
    }

    fn build_info(&self) -> SessionInfo {
        SessionInfo {
            current_user: self.current_role(),
            session_user: self.session_user(),
            search_path: self.settings.search_path(),
            timezone: self.settings.get("timezone").unwrap_or_else(|| "UTC".into()),
            settings: self.settings.all().clone(),
            helios: Some(HeliosCtx {
                engine: self.engine.clone(),
                branch: self.branch,
                session: self.id,
            }),
            vectors: crate::exec::vector_index::VectorIndexHandle(Some(
                self.engine.vectors.clone(),
            )),
            cursors: self.cursors.infos(self.live_block()),
            database: self.settings.database().unwrap_or("postgres").to_string(),
            setting_changes: self.setting_changes.clone(),
            ..SessionInfo::default()
        }
    }

    /// Runs `;`-separated statements with simple-query semantics; returns the results of
    /// the statements that ran and the error that stopped the batch, if any.
    pub fn execute_batch(&mut self, sql: &str) -> (Vec<StatementResult>, Option<Error>) {
        self.execute_batch_observed(sql, &mut |_, _| {})
    }

    /// [`Session::execute_batch`], calling `after` with the session and each
    /// statement's result as soon as that statement has run, while the settings it ran
    /// under (a later `SET` may change them) are still in effect.
    pub fn execute_batch_observed(
        &mut self,
        sql: &str,
        after: &mut dyn FnMut(&Session, &StatementResult),
    ) -> (Vec<StatementResult>, Option<Error>) {
        self.execute_batch_to(sql, None, after)
    }

    /// [`Session::execute_batch_observed`], passing each statement's result rows to
    /// `sink` as they are produced ([`Session::execute_streaming`]) instead of collecting
    /// them: the results handed to `after` and returned carry the columns and tags of
    /// those statements without their rows. When a statement fails after some of its
    /// rows went to `sink`, the error still ends the batch as it would have.
    pub fn execute_batch_streaming(
        &mut self,
        sql: &str,
        sink: &mut RowSink<'_>,
        after: &mut dyn FnMut(&Session, &StatementResult),
    ) -> (Vec<StatementResult>, Option<Error>) {
        self.execute_batch_to(sql, Some(sink), after)
    }

    fn execute_batch_to(
        &mut self,
        sql: &str,
        mut sink: Option<&mut RowSink<'_>>,
        after: &mut dyn FnMut(&Session, &StatementResult),
    ) -> (Vec<StatementResult>, Option<Error>) {
        // Errors point into `sql` (the plan cache's parameterized text only fails at run
        // time: a binding error runs the text as written).
        if let Some((results, error)) = self.run_cached(sql, sink.as_deref_mut()) {
            for r in &results {
                after(self, r);
            }
            return (results, error.map(|e| e.locate(sql)));
        }
        self.cancel.store(false, Ordering::Relaxed);
        let stmts = match parser::parse(sql) {
            Ok(s) => s,
            Err(e) => {
                self.fail();
                return (Vec::new(), Some(e.locate(sql)));
            }
        };
        let depth = stmts.iter().map(parser::nesting_depth).max().unwrap_or(0);
        let (results, error) =
            parser::with_stack_for(depth, || self.run_batch(&stmts, sink, after));
        (results, error.map(|e| e.locate(sql)))
    }

    fn run_batch(
        &mut self,
        stmts: &[Statement],
        mut sink: Option<&mut RowSink<'_>>,
        after: &mut dyn FnMut(&Session, &StatementResult),
    ) -> (Vec<StatementResult>, Option<Error>) {
        let implicit = stmts.len() > 1 && self.mode == Mode::Autocommit;
        if implicit {
            self.mode = Mode::Implicit;
            self.settings_begin();
        }
        let mut results = Vec::with_capacity(stmts.len());
        for stmt in stmts {
            match self.run_to(stmt, &[], None, sink.as_deref_mut()) {
                Ok(r) => {
                    after(self, &r);
                    results.push(r);
                }
                Err(e) => {
                    self.fail();
                    return (results, Some(e));
                }
            }
        }
        if self.mode == Mode::Implicit {
            self.mode = Mode::Autocommit;
            if let Err(e) = self.run_on_commit() {
                self.fail();
                return (results, Some(e));
            }
            if let Some(txn) = self.txn.take() {
                let committed = txn.commit();
                self.engine.advisory.release(self.id, false, true);
                self.engine.notify.end_transaction(self.id, committed.is_ok());
                self.settings_end(committed.is_ok());
                if let Err(e) = committed {
                    return (results, Some(e));
                }
                self.cursors.committed(self.block_seq);
            } else {
                self.settings_end(true);
            }
        }
        (results, None)
    }

    /// Runs one statement with parameters (`$1`, or `?` placeholders).
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<StatementResult> {
        self.execute_to(sql, params, None)
    }

    /// Runs one statement and passes its result rows to `sink` one at a time instead of
    /// collecting them: a plain query streams from the executor (a LIMIT, or a sink that
    /// returns false, stops the scans below), other statements hand over the rows they
    /// return. The result carries the columns and the tag, without rows.
    pub fn execute_streaming(
        &mut self,
        sql: &str,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<StatementResult> {
        self.execute_to(sql, params, Some(sink))
    }

    fn execute_to(
        &mut self,
        sql: &str,
        params: &[Value],
        sink: Option<&mut RowSink<'_>>,
    ) -> Result<StatementResult> {
        self.cancel.store(false, Ordering::Relaxed);
        let stmt = match parse_one(sql) {
            Ok(s) => s,
            Err(e) => {
                self.fail();
                return Err(e.locate(sql));
            }
        };
        let Some(stmt) = stmt else {
            return Ok(StatementResult::command("EMPTY"));
        };
        let depth = parser::nesting_depth(&stmt);
        let r = parser::with_stack_for(depth, || self.run_to(&stmt, params, None, sink));
        if r.is_err() {
            self.fail();
        }
        r.map_err(|e| e.locate(sql))
    }

    /// Parses and binds a statement once; the plan is kept and re-bound only when the
    /// schema changes.
    pub fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<Prepared> {
        let stmt = parse_one(sql).map_err(|e| e.locate(sql))?;
        let prepared = Prepared::new(stmt, param_types.to_vec());
        if prepared.statement().is_some() {
            parser::with_stack_for(prepared.depth(), || {
                self.with_read_txn(|s, txn| s.describe(&prepared, txn))
            })
            .map_err(|e| e.locate(sql))?;
        }
        Ok(prepared)
    }

    /// Runs a prepared statement.
    pub fn execute_prepared(
        &mut self,
        prepared: &Prepared,
        params: &[Value],
    ) -> Result<StatementResult> {
        self.execute_prepared_to(prepared, params, None)
    }

    /// Runs a prepared statement, passing a query's rows to `sink` one at a time as the
    /// executor produces them ([`Session::execute_streaming`] for prepared statements).
    pub fn execute_prepared_streaming(
        &mut self,
        prepared: &Prepared,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<StatementResult> {
        self.execute_prepared_to(prepared, params, Some(sink))
    }

    /// Runs a prepared statement, keeping the rows it returns to be read back by
    /// position ([`KeptRows`]: in memory up to `work_mem`, in a temporary file past
    /// it), for a client that reads them a few at a time.
    pub fn execute_prepared_kept(
        &mut self,
        prepared: &Prepared,
        params: &[Value],
    ) -> Result<(StatementResult, KeptRows)> {
        let mut kept = self.kept_rows(&self.info_shared());
        let result = self.execute_prepared_to(
            prepared,
            params,
            Some(&mut |_, row| kept.push(row.to_vec()).map(|()| true)),
        )?;
        Ok((result, kept))
    }

    /// An empty [`KeptRows`] for this session: in memory up to `work_mem`, then in a
    /// temporary file, sealed when the database is encrypted.
    fn kept_rows(&self, info: &SessionInfo) -> KeptRows {
        KeptRows::new(work_mem_bytes(info), self.engine.storage.is_encrypted())
    }

    fn execute_prepared_to(
        &mut self,
        prepared: &Prepared,
        params: &[Value],
        sink: Option<&mut RowSink<'_>>,
    ) -> Result<StatementResult> {
        self.cancel.store(false, Ordering::Relaxed);
        let Some(stmt) = prepared.statement() else {
            return Ok(StatementResult::command("EMPTY"));
        };
        if params.len() != prepared.param_types().len() && !prepared.param_types().is_empty() {
            return Err(Error::new(
                SqlState::PROTOCOL_VIOLATION,
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    prepared.param_types().len()
                ),
            ));
        }
        let r = match self.direct_insert(prepared, params) {
            Some(r) => r,
            None => parser::with_stack_for(prepared.depth(), || {
                self.run_to(stmt, params, Some(prepared), sink)
            }),
        };
        if r.is_err() {
            self.fail();
        }
        r
    }

    /// Ends the current statement as failed, as an error in it would: an explicit
    /// transaction block enters the failed state (`25P02` until it ends), an implicit one
    /// rolls back. For callers that run one logical statement as several (the server's
    /// `COPY FROM STDIN`, loaded a batch at a time).
    pub fn abort_statement(&mut self) {
        self.fail();
    }

    /// After an error: an explicit block fails, an implicit one rolls back.
    fn fail(&mut self) {
        self.catalog_memo = None;
        match self.mode {
            Mode::Explicit | Mode::Failed => self.mode = Mode::Failed,
            Mode::Implicit | Mode::Autocommit => {
                self.mode = Mode::Autocommit;
                self.savepoints.clear();
                self.settings_end(false);
                if let Some(t) = self.txn.take() {
                    t.rollback();
                }
                self.engine.advisory.release(self.id, false, true);
                self.engine.notify.end_transaction(self.id, false);
            }
        }
    }

    /// Runs one statement in the transaction state machine, passing its result rows to
    /// `sink` when there is one.
    fn run_to(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        prepared: Option<&Prepared>,
        sink: Option<&mut statement::RowSink<'_>>,
    ) -> Result<StatementResult> {
        let ast = match stmt {
            Statement::Sql(ast) => Some(ast),
            Statement::Helios(h) => {
                self.catalog_memo = None;
                return self.run_helios(h);
            }
            Statement::Cursor(_)
            | Statement::AlterSequence(_)
            | Statement::Domain(_)
            | Statement::Routine(_)
            | Statement::Constraints(_)
            | Statement::Reindex(_) => None,
        };
        if !ast.is_some_and(|a| {
            matches!(
                a.as_ref(),
                ast::Statement::Query(_)
                    | ast::Statement::Insert(_)
                    | ast::Statement::Update(_)
                    | ast::Statement::Delete(_)
            )
        }) {
            self.catalog_memo = None;
        }
        if let Some(r) = ast.map(|a| self.transaction_control(a)).transpose()?.flatten() {
            return Ok(r);
        }
        if self.mode == Mode::Failed {
            return Err(Error::new(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        if let Some(ast) = ast {
            if let Some(r) = self.session_statement(ast)? {
                return Ok(r);
            }
            self.check_declare(ast)?;
        }
        let timer = self.statement_timeout()?.map(|d| StatementTimer::arm(d, self.cancel.clone()));
        self.ensure_txn()?;
        self.statement_ran = true;
        let result = match self.cursor_statement(stmt, params) {
            Ok(Some(r)) => statement::feed(r, sink),
            Ok(None) => {
                // `'now'`, `'today'` and friends in date/time input read the transaction's
                // start time, as `now()` does.
                let now = self.txn_now;
                helios_types::text::calendar::with_transaction_time(now, || {
                    self.run_in_txn(stmt, params, prepared, sink)
                })
            }
            Err(e) => Err(e),
        };
        let result = match (result, timer) {
            (Err(e), Some(t)) if t.fired() && e.sqlstate() == SqlState::QUERY_CANCELED => {
                Err(Error::new(
                    SqlState::QUERY_CANCELED,
                    "canceling statement due to statement timeout",
                ))
            }
            (r, Some(t)) => {
                if t.fired() {
                    // Fired just as the statement finished: the next one must not see it.
                    self.cancel.store(false, Ordering::Relaxed);
                }
                r
            }
            (r, None) => r,
        };
        // `set_config` calls take effect once their statement succeeded.
        let result = match result {
            Ok(r) => self.apply_setting_changes().map(|_| r),
            Err(e) => {
                self.drop_setting_changes();
                Err(e)
            }
        };
        match (result, self.mode) {
            (Ok(r), Mode::Autocommit) => {
                // On error the caller rolls the transaction back (`fail`).
                self.run_on_commit()?;
                if let Some(t) = self.txn.take() {
                    let committed = t.commit();
                    self.engine.advisory.release(self.id, false, true);
                    self.engine.notify.end_transaction(self.id, committed.is_ok());
                    committed?;
                    self.cursors.committed(self.block_seq);
                }
                Ok(r)
            }
            (r, _) => r,
        }
    }

    /// Starts the storage transaction if there is none, or takes a new statement
    /// snapshot in READ COMMITTED.
    fn ensure_txn(&mut self) -> Result<()> {
        let wait = self.lock_wait()?;
        match &mut self.txn {
            Some(t) => {
                t.new_statement();
                t.set_lock_wait(wait);
                Ok(())
            }
            None => {
                let (isolation, read_only) = match self.pending {
                    Some(p) => p,
                    None => (self.default_isolation()?, self.settings.statement().read_only),
                };
                let mut txn = self.engine.storage.begin(TxnOptions {
                    branch: self.branch,
                    isolation,
                    read_only,
                    as_of: None,
                })?;
                self.block_seq += 1;
                txn.set_lock_wait(wait);
                self.txn_now = crate::expr::wall_clock_micros();
                let memo_holds = self.catalog_memo.as_ref().is_some_and(|m| {
                    m.committed && m.branch == txn.branch() && m.read_ts == txn.read_ts()
                });
                if !memo_holds {
                    self.catalog_memo = None;
                }
                self.txn = Some(txn);
                self.statement_ran = false;
                Ok(())
            }
        }
    }

    /// The `statement_timeout` setting; `None` when statements may run without limit.
    fn statement_timeout(&self) -> Result<Option<std::time::Duration>> {
        self.settings.statement().statement_timeout.clone()
    }

    /// How this session's lock waits end early: `lock_timeout` and its cancel flag.
    fn lock_wait(&self) -> Result<helios_storage::LockWait> {
        let timeout = self.settings.statement().lock_timeout.clone()?;
        Ok(helios_storage::LockWait { timeout, cancel: Some(self.cancel.clone()) })
    }

    fn default_isolation(&self) -> Result<Isolation> {
        if self.settings.statement().repeatable_read {
            Ok(Isolation::RepeatableRead)
        } else {
            Ok(Isolation::ReadCommitted)
        }
    }

    /// Runs `f` in the session's transaction, or in a short read-only one outside a block.
    fn with_read_txn<T>(&mut self, f: impl FnOnce(&Self, &Transaction) -> Result<T>) -> Result<T> {
        if let Some(txn) = &self.txn {
            return f(self, txn);
        }
        let txn = self.engine.storage.begin(TxnOptions {
            branch: self.branch,
            read_only: true,
            ..TxnOptions::default()
        })?;
        let r = f(self, &txn);
        txn.rollback();
        r
    }
}

/// Parses exactly one statement (`None` for an empty string); rewrites `?`
/// placeholders to `$n`.
fn parse_one(sql: &str) -> Result<Option<Statement>> {
    let text = parser::rewrite_question_marks(sql);
    let mut stmts = parser::parse(text.as_deref().unwrap_or(sql))?;
    match stmts.len() {
        0 => Ok(None),
        1 => Ok(stmts.pop()),
        _ => Err(Error::new(
            SqlState::SYNTAX_ERROR,
            "cannot insert multiple commands into a prepared statement",
        )),
    }
}
