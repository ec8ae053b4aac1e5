//! `COPY ... FROM STDIN` and `COPY ... TO STDOUT` over the embedded API.
//!
//! COPY FROM: the client's `CopyData` is buffered until `CopyDone`; then every row is
//! parsed and converted to the target column types first (so bad data inserts nothing)
//! and inserted through one prepared `INSERT` inside a transaction (the session's own
//! when one is open, else a fresh one committed at the end).
//!
//! COPY TO: the rows of `SELECT cols FROM table` (or the given query) are encoded in
//! the requested format, one `CopyData` per row.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use pgwire::api::ClientInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use pgwire::messages::response::CommandComplete;
use pgwire::messages::PgWireBackendMessage;

use crate::conn::conn_state;
use crate::copy_data::{decode_rows, encode_row};
use crate::copy_stmt::{CopySource, CopyStatement};
use crate::error::to_pgwire;
use crate::session::{Session, TxnStatus};
use crate::text;

/// Largest COPY FROM STDIN payload buffered for one statement.
const MAX_COPY_BYTES: usize = 1 << 30;

/// A COPY FROM STDIN waiting for its data.
#[derive(Debug)]
pub struct CopyIn {
    /// The statement being served.
    pub stmt: CopyStatement,
    /// Bytes received so far.
    pub data: Vec<u8>,
}

/// The rows of a COPY TO STDOUT, encoded.
#[derive(Debug)]
pub struct CopyOut {
    /// Number of columns (for `CopyOutResponse`).
    pub columns: usize,
    /// The header line, when `HEADER` was asked for.
    pub header: Option<String>,
    /// One encoded line per row.
    pub rows: Vec<String>,
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Checks that the target of a COPY FROM STDIN exists (before the client is asked for
/// data) and returns its number of columns.
pub fn copy_in_columns(session: &mut dyn Session, stmt: &CopyStatement) -> Result<usize> {
    let target = session.prepare(&stmt.select_sql(), &[])?;
    session.close_prepared(target.id);
    Ok(target.columns.len())
}

/// Inserts the rows of a COPY FROM STDIN payload; returns the number of rows.
pub fn run_copy_in(session: &mut dyn Session, stmt: &CopyStatement, data: &[u8]) -> Result<u64> {
    let CopySource::Table { name, columns } = &stmt.source else {
        return Err(Error::new(SqlState::SYNTAX_ERROR, "COPY FROM needs a table"));
    };
    let data = std::str::from_utf8(data).map_err(|e| {
        Error::new(
            SqlState::from_code("22021"),
            format!("invalid byte sequence for encoding \"UTF8\": {e}"),
        )
    })?;
    let target = session.prepare(&stmt.select_sql(), &[])?;
    session.close_prepared(target.id);
    let names: Vec<String> = if columns.is_empty() {
        target.columns.iter().map(|c| quote_ident(&c.name)).collect()
    } else {
        columns.clone()
    };
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let insert_sql =
        format!("INSERT INTO {name} ({}) VALUES ({})", names.join(", "), placeholders.join(", "));
    let types: Vec<DataType> = target.columns.iter().map(|c| c.data_type.clone()).collect();

    // Parse everything before inserting anything.
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (n, fields) in decode_rows(data, &stmt.options)?.into_iter().enumerate() {
        let line = n + 1 + usize::from(stmt.options.header);
        let context = |e: Error| {
            let detail = format!("COPY {name}, line {line}");
            Error::new(e.sqlstate(), e.message()).with_detail(detail)
        };
        if fields.len() < types.len() {
            let missing = target.columns.get(fields.len()).map_or("?", |c| c.name.as_str());
            return Err(context(Error::new(
                SqlState::from_code("22P04"),
                format!("missing data for column \"{missing}\""),
            )));
        }
        if fields.len() > types.len() {
            return Err(context(Error::new(
                SqlState::from_code("22P04"),
                "extra data after last expected column",
            )));
        }
        let mut row = Vec::with_capacity(fields.len());
        for (f, ty) in fields.iter().zip(&types) {
            row.push(match f {
                None => Value::Null,
                Some(s) => text::from_text(s, ty).map_err(context)?,
            });
        }
        rows.push(row);
    }

    let own_txn = session.transaction_status() == TxnStatus::Idle;
    if own_txn {
        if let Some(e) = session.execute_batch("BEGIN").error {
            return Err(e);
        }
    }
    let result = (|| -> Result<u64> {
        let insert = session.prepare(&insert_sql, &types)?;
        let mut count = 0u64;
        for (n, row) in rows.iter().enumerate() {
            let outcome = session.execute_prepared(insert.id, row);
            if let Err(e) = outcome {
                session.close_prepared(insert.id);
                // Keep the engine's own detail (e.g. the duplicate key); else say where.
                return Err(match e.detail() {
                    Some(_) => e,
                    None => {
                        let line = n + 1 + usize::from(stmt.options.header);
                        e.with_detail(format!("COPY {name}, line {line}"))
                    }
                });
            }
            count += 1;
        }
        session.close_prepared(insert.id);
        Ok(count)
    })();
    if own_txn {
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        if let Some(e) = session.execute_batch(end).error {
            return Err(result.err().unwrap_or(e));
        }
    }
    result
}

/// Runs the query of a COPY TO STDOUT and encodes its rows.
pub fn run_copy_out(session: &mut dyn Session, stmt: &CopyStatement) -> Result<CopyOut> {
    let result = session.query(&stmt.select_sql(), &[])?;
    let header = stmt.options.header.then(|| {
        let mut line = String::new();
        let names: Vec<Option<String>> =
            result.columns.iter().map(|c| Some(c.name.clone())).collect();
        encode_row(&names, &stmt.options, &mut line);
        line
    });
    let rows = result
        .rows
        .iter()
        .map(|row| {
            let mut line = String::new();
            let fields: Vec<Option<String>> = row.iter().map(text::to_text).collect();
            encode_row(&fields, &stmt.options, &mut line);
            line
        })
        .collect();
    Ok(CopyOut { columns: result.columns.len(), header, rows })
}

/// pgwire's COPY sub-protocol hooks: buffers CopyData and runs the insert on CopyDone.
#[derive(Debug, Default)]
pub struct CopyRunner;

#[async_trait]
impl pgwire::api::copy::CopyHandler for CopyRunner {
    async fn on_copy_data<C>(&self, client: &mut C, copy_data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = conn_state(client)?;
        let mut guard = conn.copy_in.lock();
        let Some(copy) = guard.as_mut() else {
            return Err(crate::error::protocol_violation("unexpected CopyData outside COPY"));
        };
        if copy.data.len() + copy_data.data.len() > MAX_COPY_BYTES {
            *guard = None;
            return Err(to_pgwire(&Error::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "COPY data exceeds 1 GB",
            )));
        }
        copy.data.extend_from_slice(&copy_data.data);
        Ok(())
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = conn_state(client)?;
        let Some(copy) = conn.copy_in.lock().take() else {
            return Err(crate::error::protocol_violation("unexpected CopyDone outside COPY"));
        };
        let outcome = conn.run(move |s| run_copy_in(s, &copy.stmt, &copy.data)).await?;
        client.set_transaction_status(conn.wire_status());
        let n = outcome.map_err(|e| to_pgwire(&e))?;
        client
            .send(PgWireBackendMessage::CommandComplete(CommandComplete::new(format!("COPY {n}"))))
            .await?;
        Ok(())
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Ok(conn) = conn_state(client) {
            conn.copy_in.lock().take();
        }
        to_pgwire(&Error::new(
            SqlState::QUERY_CANCELED,
            format!("COPY from stdin failed: {}", fail.message),
        ))
    }
}
