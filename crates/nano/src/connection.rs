//! Connections: one session each.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use helios_common::{Error, Result};
use helios_sql::routine::Notice;
use helios_sql::session::{Column, Prepared, QueryResult, Session, StatementResult, TxnStatus};
use helios_types::{DataType, Value};

use crate::{KeptRows, Notification, Row, Transaction};

/// Reads a connection setting by name, as [`Connection::setting`] does.
pub type SettingReader<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The outcome of [`Connection::execute_batch`]: the results of the statements that
/// ran, and the error that stopped the batch, if any.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    /// One result per statement that succeeded, in order.
    pub results: Vec<StatementResult>,
    /// The error of the statement that failed (later statements did not run).
    pub error: Option<Error>,
}

/// Cancels the statement running on a connection from another thread; that statement
/// fails with SQLSTATE 57014.
#[derive(Debug, Clone)]
pub struct CancelHandle {
    flag: Arc<AtomicBool>,
}

impl CancelHandle {
    /// Requests cancellation of the running statement.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether cancellation was requested since the running statement started.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

/// A prepared statement: parsed and planned once, run many times with different
/// parameters. The plan is kept until the schema changes.
#[derive(Debug, Clone)]
pub struct Statement {
    prepared: Prepared,
    param_types: Vec<DataType>,
    columns: Vec<Column>,
}

impl Statement {
    /// The parameter types (declared, or inferred from their use).
    pub fn param_types(&self) -> &[DataType] {
        &self.param_types
    }

    /// The result columns; empty for statements that return no rows.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
}

/// One session with the database: its own transaction, settings and prepared
/// statements. `Send`, so it can move between threads; use one per thread.
#[derive(Debug)]
pub struct Connection {
    session: Session,
}

impl Connection {
    pub(crate) fn new(session: Session) -> Connection {
        Connection { session }
    }

    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    pub(crate) fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// Runs one or more `;`-separated statements with the simple query protocol's
    /// semantics (one implicit transaction around the batch unless it has BEGIN/COMMIT).
    pub fn execute_batch(&mut self, sql: &str) -> BatchOutcome {
        let (results, error) = self.session.execute_batch(sql);
        BatchOutcome { results, error }
    }

    /// [`Connection::execute_batch`], calling `after` with a reader of the connection's
    /// settings ([`Connection::setting`]) and each statement's result right after that
    /// statement ran: a client formatting results as text reads the `TimeZone` or
    /// `DateStyle` each result was produced under, even when a later statement of the
    /// batch changes it.
    pub fn execute_batch_observed(
        &mut self,
        sql: &str,
        after: &mut dyn FnMut(SettingReader<'_>, &StatementResult),
    ) -> BatchOutcome {
        let (results, error) =
            self.session.execute_batch_observed(sql, &mut |s, r| after(&|k| s.setting(k), r));
        BatchOutcome { results, error }
    }

    /// [`Connection::execute_batch_observed`], passing each statement's result rows to
    /// `f` one at a time as they are produced ([`Connection::query_each`]) instead of
    /// collecting them: the results handed to `after` and returned carry the columns and
    /// command tags (`SELECT 1000`) of those statements, without rows. `after` runs right
    /// after each statement, so a server sends a statement's completion before the next
    /// statement's rows. An error from `f` ends the batch with that error.
    pub fn execute_batch_streaming<F>(
        &mut self,
        sql: &str,
        mut f: F,
        after: &mut dyn FnMut(SettingReader<'_>, &StatementResult),
    ) -> BatchOutcome
    where
        F: FnMut(Row<'_>) -> Result<bool>,
    {
        let (results, error) = self.session.execute_batch_streaming(
            sql,
            &mut |columns, values| f(Row::new(columns, values)),
            &mut |s, r| after(&|k| s.setting(k), r),
        );
        BatchOutcome { results, error }
    }

    /// Runs one statement with parameters (`$1`... or `?`); returns the rows affected
    /// (inserted, updated, deleted, or returned).
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        Ok(self.session.execute(sql, params)?.rows_affected())
    }

    /// Runs one statement and returns its rows (an empty result for commands).
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        match self.session.execute(sql, params)? {
            StatementResult::Rows(r) => Ok(r),
            StatementResult::Command { tag, .. } => {
                Ok(QueryResult { columns: Vec::new(), rows: Vec::new(), tag: tag.into_owned() })
            }
        }
    }

    /// Runs a query and passes its rows to `f` one at a time, as the executor produces
    /// them, instead of collecting the result: a query over millions of rows needs
    /// memory for one row (plus what an aggregate in it holds, and up to `work_mem` for
    /// a sort, which merges sorted runs from temporary files beyond that). `f` returns
    /// `Ok(false)` to stop early, which stops the scans below; an error from `f` ends the
    /// statement with that error. Returns the number of rows passed to `f`.
    ///
    /// ```
    /// # use heliosdb_nano::{Database, Value};
    /// # fn main() -> heliosdb_nano::Result<()> {
    /// let db = Database::open_in_memory()?;
    /// let mut conn = db.connect();
    /// let mut sum = 0i64;
    /// let seen = conn.query_each("SELECT g FROM generate_series(1, $1) g", &[Value::Int8(1000)], |row| {
    ///     sum += row.get::<i64>(0)?;
    ///     Ok(true)
    /// })?;
    /// assert_eq!((seen, sum), (1000, 500500));
    /// # Ok(())
    /// # }
    /// ```
    pub fn query_each<F>(&mut self, sql: &str, params: &[Value], mut f: F) -> Result<u64>
    where
        F: FnMut(Row<'_>) -> Result<bool>,
    {
        let mut passed = 0u64;
        self.session.execute_streaming(sql, params, &mut |columns, values| {
            passed += 1;
            f(Row::new(columns, values))
        })?;
        Ok(passed)
    }

    /// Names the database this connection reports in `current_database()` and
    /// `pg_database` (the server passes the name a client connected with).
    pub fn set_database_name(&mut self, name: &str) {
        self.session.set_database_name(name);
    }

    /// Runs one statement and returns its full result.
    pub fn run(&mut self, sql: &str, params: &[Value]) -> Result<StatementResult> {
        self.session.execute(sql, params)
    }

    /// Parses and plans a statement once. `param_types` may hold `DataType::Unknown`
    /// (or be shorter than the number of parameters) to have types inferred.
    pub fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<Statement> {
        let prepared = self.session.prepare(sql, param_types)?;
        Ok(Statement {
            param_types: prepared.param_types().to_vec(),
            columns: prepared.columns().to_vec(),
            prepared,
        })
    }

    /// Runs a prepared statement.
    pub fn execute_prepared(
        &mut self,
        stmt: &Statement,
        params: &[Value],
    ) -> Result<StatementResult> {
        self.session.execute_prepared(&stmt.prepared, params)
    }

    /// Runs a prepared query and passes its rows to `f` one at a time, as
    /// [`Connection::query_each`] does for SQL text: nothing is collected, `f` returns
    /// `Ok(false)` to stop early. Returns the number of rows passed to `f`.
    ///
    /// ```
    /// # use heliosdb_nano::{Database, Value};
    /// # fn main() -> heliosdb_nano::Result<()> {
    /// let db = Database::open_in_memory()?;
    /// let mut conn = db.connect();
    /// let stmt = conn.prepare("SELECT g, g * g FROM generate_series(1, $1) g", &[])?;
    /// let mut squares = Vec::new();
    /// conn.query_prepared_each(&stmt, &[Value::Int8(4)], |row| {
    ///     squares.push(row.get::<i64>(1)?);
    ///     Ok(true)
    /// })?;
    /// assert_eq!(squares, [1, 4, 9, 16]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn query_prepared_each<F>(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        mut f: F,
    ) -> Result<u64>
    where
        F: FnMut(Row<'_>) -> Result<bool>,
    {
        let mut passed = 0u64;
        self.session.execute_prepared_streaming(
            &stmt.prepared,
            params,
            &mut |columns, values| {
                passed += 1;
                f(Row::new(columns, values))
            },
        )?;
        Ok(passed)
    }

    /// Runs a prepared statement and keeps the rows it returns, to be read back by
    /// position ([`KeptRows::get`]): in memory up to the session's `work_mem`, in a
    /// temporary file past it (sealed when the database is encrypted). For a caller that
    /// hands a large result on a few rows at a time, as the server does for a
    /// row-limited `Execute`. The result holds the columns and the tag, no rows.
    pub fn execute_prepared_kept(
        &mut self,
        stmt: &Statement,
        params: &[Value],
    ) -> Result<(StatementResult, KeptRows)> {
        self.session.execute_prepared_kept(&stmt.prepared, params)
    }

    /// Runs a prepared statement, passing the rows it returns (a query's, or a DML
    /// statement's `RETURNING` rows) to `f` one at a time as
    /// [`Connection::query_prepared_each`] does, and returns its result without rows:
    /// the columns and the command tag (`SELECT 3`, `INSERT 0 2`).
    pub fn execute_prepared_each<F>(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        mut f: F,
    ) -> Result<StatementResult>
    where
        F: FnMut(Row<'_>) -> Result<bool>,
    {
        self.session.execute_prepared_streaming(&stmt.prepared, params, &mut |columns, values| {
            f(Row::new(columns, values))
        })
    }

    /// Runs one statement, passing the rows it returns to `f` one at a time as
    /// [`Connection::query_each`] does, and returns its result without rows (columns
    /// and command tag).
    pub fn execute_each<F>(
        &mut self,
        sql: &str,
        params: &[Value],
        mut f: F,
    ) -> Result<StatementResult>
    where
        F: FnMut(Row<'_>) -> Result<bool>,
    {
        self.session
            .execute_streaming(sql, params, &mut |columns, values| f(Row::new(columns, values)))
    }

    /// Ends the current statement as failed, as an error in it would: an open transaction
    /// block enters the failed state (every statement but `ROLLBACK` then fails with
    /// `25P02`), an implicit one rolls back. For callers that carry out one logical
    /// statement as several calls and meet an error of their own between them.
    pub fn abort_statement(&mut self) {
        self.session.abort_statement();
    }

    /// Idle, in a transaction block, or in a failed block.
    pub fn transaction_status(&self) -> TxnStatus {
        self.session.transaction_status()
    }

    /// The result columns of the open cursor `name` (`DECLARE name CURSOR FOR ...`), or
    /// `None` when no such cursor is open.
    pub fn cursor_columns(&mut self, name: &str) -> Option<Vec<Column>> {
        self.session.cursor_columns(name)
    }

    /// The current value of a setting, as `SHOW` prints it.
    pub fn setting(&self, name: &str) -> Option<String> {
        self.session.setting(name)
    }

    /// A number that changes whenever one of the connection's settings does (also when a
    /// rollback restores earlier values): equal numbers mean equal settings, so a caller
    /// that mirrors some settings elsewhere re-reads them only when it moved.
    pub fn settings_generation(&self) -> u64 {
        self.session.settings_generation()
    }

    /// Changes a setting, as `SET name = value`.
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.session.set_setting(name, value)
    }

    /// Changes a setting as a startup parameter of the connection: `RESET` and `RESET
    /// ALL` restore this value rather than the built-in default.
    pub fn set_session_default(&mut self, name: &str, value: &str) -> Result<()> {
        self.session.set_session_default(name, value)
    }

    /// Logs the connection in as `user`: its `session_user` and `current_user`. A name
    /// that is no role (`CREATE ROLE`) runs as the superuser that owns the database;
    /// a role runs with that role's privileges.
    pub fn login_as(&mut self, user: &str) -> Result<()> {
        self.session.login_as(user)
    }

    /// Takes the notifications this connection received since the last call, oldest
    /// first: those of `NOTIFY` / `pg_notify()` on a channel it LISTENs on, delivered
    /// when the notifying transaction committed (its own included).
    ///
    /// ```
    /// # let db = heliosdb_nano::Database::open_in_memory().unwrap();
    /// let mut a = db.connect();
    /// let mut b = db.connect();
    /// a.execute("LISTEN jobs", &[]).unwrap();
    /// b.execute("NOTIFY jobs, 'job 1'", &[]).unwrap();
    /// let got = a.notifications();
    /// assert_eq!((got[0].channel.as_str(), got[0].payload.as_str()), ("jobs", "job 1"));
    /// ```
    pub fn notifications(&mut self) -> Vec<Notification> {
        self.session.notifications()
    }

    /// Calls `waker` whenever a notification reaches this connection (on the thread of
    /// the transaction that commits it; keep it short and non-blocking). The server uses
    /// it to send notifications to idle clients.
    pub fn set_notification_waker(&mut self, waker: std::sync::Arc<dyn Fn() + Send + Sync>) {
        self.session.set_notification_waker(waker);
    }

    /// The notices routines raised since the last call (`RAISE NOTICE`, `RAISE
    /// WARNING`), oldest first.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        self.session.take_notices()
    }

    /// What `user` must prove to log in: its role's stored password, or that it has none
    /// or is no role (see [`crate::auth`]).
    pub fn login_secret(&self, user: &str) -> Result<crate::auth::LoginSecret> {
        self.session.login_secret(user)
    }

    /// A handle that cancels the running statement from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle { flag: self.session.cancel_flag() }
    }

    /// Begins a transaction block; the guard rolls it back when dropped without
    /// [`Transaction::commit`].
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.session.execute("BEGIN", &[])?;
        Ok(Transaction::new(self))
    }
}
