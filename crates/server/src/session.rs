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
}

/// One client's session: its transaction, settings and prepared statements.
pub trait Session: Send {
    /// Runs one or more `;`-separated statements with simple-query semantics.
    fn execute_batch(&mut self, sql: &str) -> BatchOutcome;
    /// [`Session::execute_batch`], with the text output style of each result as the
    /// session's settings stood right after its statement (empty: the caller reads the
    /// settings once the batch has run).
    fn execute_batch_styled(&mut self, sql: &str) -> (BatchOutcome, Vec<crate::text::OutputStyle>) {
        (self.execute_batch(sql), Vec::new())
    }
    /// Runs one statement with parameters and returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<QueryResult>;
    /// Runs one statement with parameters and returns the rows affected.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Parses and binds one statement; `param_types` may hold `DataType::Unknown`.
    fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<PreparedInfo>;
    /// Runs a prepared statement with its parameters.
    fn execute_prepared(&mut self, id: u64, params: &[Value]) -> Result<StatementResult>;
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
