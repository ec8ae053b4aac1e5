//! [`Session`] and [`SessionFactory`] for the embedded database: one
//! `heliosdb_nano::Connection` per client connection.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use heliosdb_nano::{CancelHandle, Connection, Database, KeptRows, Statement};

use crate::session::{
    BatchOutcome, BatchSink, CancelToken, Column, PreparedInfo, QueryResult, RowSink, Session,
    SessionFactory, StatementResult, TxnStatus,
};

/// Opens a `Connection` of one database per client.
#[derive(Debug, Clone)]
pub struct NanoFactory {
    db: Database,
}

impl NanoFactory {
    /// Sessions on `db`.
    pub fn new(db: Database) -> NanoFactory {
        NanoFactory { db }
    }
}

impl SessionFactory for NanoFactory {
    fn open_session(&self, user: &str, database: &str) -> Result<Box<dyn Session>> {
        let mut conn = self.db.connect();
        if !database.is_empty() {
            conn.set_database_name(database);
        }
        // The login role is the session's `session_user` and `current_user`.
        if !user.is_empty() {
            conn.login_as(user)?;
        }
        Ok(Box::new(NanoSession { conn, statements: HashMap::new(), next_id: 1 }))
    }

    fn login_secret(&self, user: &str) -> Result<heliosdb_nano::auth::LoginSecret> {
        self.db.connect().login_secret(user)
    }
}

/// One client's connection and its prepared statements.
#[derive(Debug)]
struct NanoSession {
    conn: Connection,
    statements: HashMap<u64, Statement>,
    next_id: u64,
}

/// The prepared statement with handle `id`.
fn statement(statements: &HashMap<u64, Statement>, id: u64) -> Result<&Statement> {
    statements.get(&id).ok_or_else(|| {
        Error::new(
            SqlState::INVALID_SQL_STATEMENT_NAME,
            format!("prepared statement {id} does not exist"),
        )
    })
}

impl CancelToken for CancelHandle {
    fn cancel(&self) {
        CancelHandle::cancel(self);
    }

    fn is_cancelled(&self) -> bool {
        CancelHandle::is_cancelled(self)
    }
}

impl Session for NanoSession {
    fn execute_batch(&mut self, sql: &str) -> BatchOutcome {
        let outcome = self.conn.execute_batch(sql);
        BatchOutcome { results: outcome.results, error: outcome.error }
    }

    fn execute_batch_streaming(&mut self, sql: &str, sink: &mut dyn BatchSink) -> Option<Error> {
        // The engine calls one closure per row and another per statement, never both at
        // once: they share the sink through a cell.
        let sink = RefCell::new(sink);
        let outcome = self.conn.execute_batch_streaming(
            sql,
            |row| sink.borrow_mut().row(row.columns(), row.values()),
            &mut |setting, r| sink.borrow_mut().statement_done(r, setting),
        );
        outcome.error
    }

    fn execute_streaming(
        &mut self,
        sql: &str,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<StatementResult> {
        self.conn.execute_each(sql, params, |row| sink(row.columns(), row.values()))
    }

    fn execute_prepared_streaming(
        &mut self,
        id: u64,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<StatementResult> {
        let stmt = statement(&self.statements, id)?;
        self.conn.execute_prepared_each(stmt, params, |row| sink(row.columns(), row.values()))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        self.conn.query(sql, params)
    }

    fn take_notices(&mut self) -> Vec<crate::session::Notice> {
        self.conn.take_notices()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.conn.execute(sql, params)
    }

    fn notifications(&mut self) -> Vec<crate::session::Notification> {
        self.conn.notifications()
    }

    fn set_notification_waker(&mut self, waker: Arc<dyn Fn() + Send + Sync>) {
        self.conn.set_notification_waker(waker);
    }

    fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<PreparedInfo> {
        let stmt = self.conn.prepare(sql, param_types)?;
        let id = self.next_id;
        self.next_id += 1;
        let info = PreparedInfo {
            id,
            param_types: stmt.param_types().to_vec(),
            columns: stmt.columns().to_vec(),
        };
        self.statements.insert(id, stmt);
        Ok(info)
    }

    fn execute_prepared(&mut self, id: u64, params: &[Value]) -> Result<StatementResult> {
        let stmt = statement(&self.statements, id)?;
        self.conn.execute_prepared(stmt, params)
    }

    fn execute_prepared_kept(
        &mut self,
        id: u64,
        params: &[Value],
    ) -> Result<(StatementResult, KeptRows)> {
        let stmt = statement(&self.statements, id)?;
        self.conn.execute_prepared_kept(stmt, params)
    }

    fn close_prepared(&mut self, id: u64) {
        self.statements.remove(&id);
    }

    fn abort_statement(&mut self) {
        self.conn.abort_statement();
    }

    fn transaction_status(&self) -> TxnStatus {
        self.conn.transaction_status()
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.conn.setting(name)
    }

    fn settings_generation(&self) -> Option<u64> {
        Some(self.conn.settings_generation())
    }

    fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.conn.set_setting(name, value)
    }

    fn set_session_default(&mut self, name: &str, value: &str) -> Result<()> {
        self.conn.set_session_default(name, value)
    }

    fn cancel_token(&self) -> Arc<dyn CancelToken> {
        Arc::new(self.conn.cancel_handle())
    }

    fn cursor_columns(&mut self, name: &str) -> Option<Vec<Column>> {
        self.conn.cursor_columns(name)
    }
}
