//! [`Session`] and [`SessionFactory`] for the embedded database: one
//! `heliosdb_nano::Connection` per client connection.

use std::collections::HashMap;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use heliosdb_nano::{CancelHandle, Connection, Database, Statement};

use crate::session::{
    BatchOutcome, CancelToken, Column, PreparedInfo, QueryResult, Session, SessionFactory,
    StatementResult, TxnStatus,
};
use crate::simple::result_types;

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

impl CancelToken for CancelHandle {
    fn cancel(&self) {
        CancelHandle::cancel(self);
    }
}

impl Session for NanoSession {
    fn execute_batch(&mut self, sql: &str) -> BatchOutcome {
        let outcome = self.conn.execute_batch(sql);
        BatchOutcome { results: outcome.results, error: outcome.error }
    }

    fn execute_batch_styled(&mut self, sql: &str) -> (BatchOutcome, Vec<crate::text::OutputStyle>) {
        let mut styles = Vec::new();
        let outcome = self.conn.execute_batch_observed(sql, &mut |setting, r| {
            styles.push(crate::text::OutputStyle::for_columns(result_types(r), setting));
        });
        (BatchOutcome { results: outcome.results, error: outcome.error }, styles)
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
        let stmt = self.statements.get(&id).ok_or_else(|| {
            Error::new(
                SqlState::INVALID_SQL_STATEMENT_NAME,
                format!("prepared statement {id} does not exist"),
            )
        })?;
        self.conn.execute_prepared(stmt, params)
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
