//! The seam between the wire protocol and the database engine.
//!
//! The protocol handlers never call the engine directly: they talk to a [`Session`] (one
//! per client connection) made by a [`SessionFactory`]. The production implementation
//! wraps `heliosdb_nano::Connection` (see [`crate::nano`]); tests may plug in anything
//! that behaves like a SQL session.
//!
//! Every method is synchronous and may block (the engine is synchronous); the server
//! calls them on the connection's own thread (see [`crate::server`]), so a long
//! statement never stalls other connections.

use std::sync::Arc;

use helios_common::{Error, Result};
use helios_types::{DataType, Value};
use heliosdb_nano::KeptRows;

/// Result types shared with the embedded API: `Column` (name and type), `QueryResult`
/// (columns, rows, tag), `StatementResult` (rows or a command tag) and `TxnStatus`
/// (idle, in a transaction block, in a failed block).
pub use heliosdb_nano::{Column, Notice, Notification, QueryResult, StatementResult, TxnStatus};

/// The outcome of a simple-protocol query string: results of the statements that ran,
/// then the error that stopped the batch, if any.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// One result per statement that completed.
    pub results: Vec<StatementResult>,
    /// The error of the first statement that failed.
    pub error: Option<Error>,
}

/// A statement prepared by [`Session::prepare`].
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedInfo {
    /// Session-local handle for [`Session::execute_prepared`] and [`Session::close_prepared`].
    pub id: u64,
    /// Parameter types after inference (no `Unknown` left when inference succeeded).
    pub param_types: Vec<DataType>,
    /// Result columns; empty for statements that return no rows.
    pub columns: Vec<Column>,
}

/// Interrupts the statement running in a session (from another thread).
pub trait CancelToken: Send + Sync {
    /// Makes the statement running now fail with SQLSTATE 57014; no effect when idle.
    fn cancel(&self);
    /// Whether the running statement has been asked to stop: the server checks it while
    /// it waits for a slow client to take a streamed result. The default: never.
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// Receives a statement's result rows one at a time as the engine produces them: the
/// result's columns and one row (lent). `Ok(false)` stops the statement early; an error
/// fails the statement with that error.
pub type RowSink<'a> = dyn FnMut(&[Column], &[Value]) -> Result<bool> + 'a;

/// Receives the results of a simple-protocol query string while its statements run
/// ([`Session::execute_batch_streaming`]).
pub trait BatchSink {
    /// One result row of the statement running now; as a [`RowSink`].
    fn row(&mut self, columns: &[Column], values: &[Value]) -> Result<bool>;
    /// A statement finished with `result`. Its rows went to [`BatchSink::row`], except
    /// those still in `result` (which the sink sends after them). `setting` reads the
    /// session's settings as they stand after the statement.
    fn statement_done(
        &mut self,
        result: &StatementResult,
        setting: &dyn Fn(&str) -> Option<String>,
    );
}

/// One client's session: its transaction, settings and prepared statements.
pub trait Session: Send {
    /// Runs one or more `;`-separated statements with simple-query semantics.
    fn execute_batch(&mut self, sql: &str) -> BatchOutcome;
    /// [`Session::execute_batch`], handing results to `sink` as the statements run
    /// instead of collecting them; returns the error that stopped the batch, if any.
    /// The default runs the batch, then hands over its collected results.
    fn execute_batch_streaming(&mut self, sql: &str, sink: &mut dyn BatchSink) -> Option<Error> {
        let outcome = self.execute_batch(sql);
        for mut r in outcome.results {
            if let StatementResult::Rows(q) = &mut r {
                for row in std::mem::take(&mut q.rows) {
                    if let Err(e) = sink.row(&q.columns, &row) {
                        return Some(e);
                    }
                }
            }
            sink.statement_done(&r, &|k| self.setting(k));
        }
        outcome.error
    }
    /// Runs one statement with parameters and returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<QueryResult>;
    /// Runs one statement with parameters and returns the rows affected.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Parses and binds one statement; `param_types` may hold `DataType::Unknown`.
    fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<PreparedInfo>;
    /// Runs a prepared statement with its parameters.
    fn execute_prepared(&mut self, id: u64, params: &[Value]) -> Result<StatementResult>;
    /// Runs a prepared statement, passing the rows it returns to `sink` as they are
    /// produced; the result carries the columns and tag (rows left in it were not passed
    /// to `sink`). The default collects the rows, then passes them on.
    fn execute_prepared_streaming(
        &mut self,
        id: u64,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<StatementResult> {
        let mut r = self.execute_prepared(id, params)?;
        feed_rows(&mut r, sink)?;
        Ok(r)
    }
    /// Runs a prepared statement, keeping the rows it returns to be read back a few at a
    /// time (a row-limited `Execute`); the result carries the columns and tag. The
    /// default keeps the collected rows in memory.
    fn execute_prepared_kept(
        &mut self,
        id: u64,
        params: &[Value],
    ) -> Result<(StatementResult, KeptRows)> {
        let mut r = self.execute_prepared(id, params)?;
        let rows = match &mut r {
            StatementResult::Rows(q) => std::mem::take(&mut q.rows),
            StatementResult::Command { .. } => Vec::new(),
        };
        Ok((r, KeptRows::from_rows(rows)))
    }
    /// Runs one statement, passing the rows it returns to `sink` as they are produced,
    /// as [`Session::execute_prepared_streaming`] does for prepared statements.
    fn execute_streaming(
        &mut self,
        sql: &str,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<StatementResult> {
        let q = self.query(sql, params)?;
        let mut r = StatementResult::Rows(q);
        feed_rows(&mut r, sink)?;
        Ok(r)
    }
    /// Forgets a prepared statement.
    fn close_prepared(&mut self, id: u64);

    /// Ends the running statement as failed, as an error in it would: an open
    /// transaction block enters the failed state. For statements the server runs as
    /// several engine calls (COPY FROM STDIN).
    fn abort_statement(&mut self);
    /// The transaction state for `ReadyForQuery`.
    fn transaction_status(&self) -> TxnStatus;
    /// A setting's current value (`SHOW name`).
    fn setting(&self, name: &str) -> Option<String>;
    /// A number that changes whenever a setting does (equal numbers: equal settings), so
    /// the server compares the reported settings only after a statement moved it. The
    /// default, `None`, compares them after every statement.
    fn settings_generation(&self) -> Option<u64> {
        None
    }
    /// Changes a setting for this session (`SET name = value`).
    fn set_setting(&mut self, name: &str, value: &str) -> Result<()>;
    /// Applies a startup parameter: like [`Session::set_setting`], and `RESET` comes
    /// back to this value. The default only sets it.
    fn set_session_default(&mut self, name: &str, value: &str) -> Result<()> {
        self.set_setting(name, value)
    }
    /// A token that cancels the running statement from another thread.
    fn cancel_token(&self) -> Arc<dyn CancelToken>;
    /// Notices raised since the last call (`RAISE NOTICE` in routines), sent to the
    /// client as NoticeResponse. The default has none.
    fn take_notices(&mut self) -> Vec<Notice> {
        Vec::new()
    }
    /// The result columns of the open cursor `name` (`DECLARE name CURSOR ...`): the
    /// client may Describe it as a portal. `None` when there is no such cursor.
    fn cursor_columns(&mut self, name: &str) -> Option<Vec<Column>> {
        let _ = name;
        None
    }
    /// Takes the notifications (LISTEN / NOTIFY) delivered to this session since the
    /// last call, oldest first; the server sends them after each statement.
    fn notifications(&mut self) -> Vec<Notification> {
        Vec::new()
    }
    /// Calls `waker` whenever a notification reaches this session, so that an idle
    /// connection can send it at once. Sessions without notifications ignore it.
    fn set_notification_waker(&mut self, waker: Arc<dyn Fn() + Send + Sync>) {
        let _ = waker;
    }
}

/// Passes the rows of a collected result to `sink` (until it says stop), leaving the
/// result without rows.
fn feed_rows(r: &mut StatementResult, sink: &mut RowSink<'_>) -> Result<()> {
    if let StatementResult::Rows(q) = r {
        for row in std::mem::take(&mut q.rows) {
            if !sink(&q.columns, &row)? {
                break;
            }
        }
    }
    Ok(())
}

/// Opens sessions for new connections.
pub trait SessionFactory: Send + Sync + 'static {
    /// A fresh session for a client that connected as `user` to `database`.
    fn open_session(&self, user: &str, database: &str) -> Result<Box<dyn Session>>;

    /// What `user` must prove to log in with password authentication. The default: no
    /// role has that name, so the server's own password applies.
    fn login_secret(&self, user: &str) -> Result<heliosdb_nano::auth::LoginSecret> {
        let _ = user;
        Ok(heliosdb_nano::auth::LoginSecret::NoRole)
    }
}
