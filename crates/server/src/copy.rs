//! `COPY ... FROM STDIN` and `COPY ... TO STDOUT` over the embedded API, and the same
//! with a server file (`COPY t FROM '/path'`), in text, csv and binary format.
//!
//! Server files are read and written by the server process with its own permissions.
//! Like PostgreSQL this is a superuser feature (`is_superuser`, 42501 otherwise). A
//! missing file is 58P01, a file the process may not open 42501, other I/O errors 58030.
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
use crate::copy_stmt::{CopyFormat, CopySource, CopyStatement};
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
    /// The header line (`HEADER`), or the binary format's file header.
    pub header: Option<Vec<u8>>,
    /// One encoded line (or binary tuple) per row.
    pub rows: Vec<Vec<u8>>,
    /// The binary format's trailer.
    pub trailer: Option<Vec<u8>>,
}

impl CopyOut {
    /// Everything in one buffer, as written to a file.
    pub fn concat(&self) -> Vec<u8> {
        let mut out = self.header.clone().unwrap_or_default();
        for r in &self.rows {
            out.extend_from_slice(r);
        }
        out.extend(self.trailer.iter().flatten());
        out
    }
}

/// Whether the COPY uses the binary format (for the wire's format codes).
pub fn is_binary(stmt: &CopyStatement) -> bool {
    stmt.options.format == CopyFormat::Binary
}

fn file_error(e: &std::io::Error, path: &str, what: &str) -> Error {
    let state = match e.kind() {
        std::io::ErrorKind::NotFound => SqlState::from_code("58P01"),
        std::io::ErrorKind::PermissionDenied => SqlState::INSUFFICIENT_PRIVILEGE,
        _ => SqlState::IO_ERROR,
    };
    let reason = e.to_string();
    let reason = reason.split(" (os error").next().unwrap_or(&reason).to_owned();
    Error::new(state, format!("could not open file \"{path}\" for {what}: {reason}"))
}

/// Runs a COPY from or to a server file; returns the number of rows.
pub fn run_copy_file(session: &mut dyn Session, stmt: &CopyStatement) -> Result<u64> {
    let Some(path) = stmt.file.as_deref() else {
        return Err(Error::internal("COPY without a file"));
    };
    if session.setting("is_superuser").as_deref() != Some("on") {
        let direction = if stmt.from_stdin { "from" } else { "to" };
        return Err(Error::new(
            SqlState::INSUFFICIENT_PRIVILEGE,
            format!("permission denied to COPY {direction} a file"),
        )
        .with_detail("Only superusers may COPY to or from a file."));
    }
    if stmt.from_stdin {
        let data = std::fs::read(path).map_err(|e| file_error(&e, path, "reading"))?;
        return run_copy_in(session, stmt, &data);
    }
    if !std::path::Path::new(path).is_absolute() {
        return Err(Error::new(
            SqlState::from_code("42602"),
            "relative path not allowed for COPY to file",
        ));
    }
    let out = run_copy_out(session, stmt)?;
    std::fs::write(path, out.concat()).map_err(|e| file_error(&e, path, "writing"))?;
    Ok(out.rows.len() as u64)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The column names of a COPY column list as the catalog spells them.
fn unquoted(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => name.to_lowercase(),
    }
}

/// The statement with generated columns left out of its table's column list, as
/// PostgreSQL's COPY does (they are computed on the way in and not copied out); naming
/// one is 42P10.
fn without_generated(session: &mut dyn Session, stmt: &CopyStatement) -> Result<CopyStatement> {
    let CopySource::Table { name, columns } = &stmt.source else { return Ok(stmt.clone()) };
    let sql = format!(
        "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = '{}'::regclass AND attgenerated = 's'",
        name.replace('\'', "''")
    );
    // A missing table is reported by the statement itself.
    let Ok(found) = session.query(&sql, &[]) else { return Ok(stmt.clone()) };
    let generated: Vec<String> = found
        .rows
        .iter()
        .filter_map(|r| match r.first() {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        })
        .collect();
    if generated.is_empty() {
        return Ok(stmt.clone());
    }
    if let Some(c) = columns.iter().find(|c| generated.contains(&unquoted(c))) {
        return Err(Error::new(
            SqlState::INVALID_COLUMN_REFERENCE,
            format!("column \"{}\" is a generated column", unquoted(c)),
        )
        .with_detail("Generated columns cannot be used in COPY."));
    }
    if !columns.is_empty() {
        return Ok(stmt.clone());
    }
    let all = session.prepare(&stmt.select_sql(), &[])?;
    session.close_prepared(all.id);
    let mut out = stmt.clone();
    out.source = CopySource::Table {
        name: name.clone(),
        columns: all
            .columns
            .iter()
            .filter(|c| !generated.contains(&c.name))
            .map(|c| quote_ident(&c.name))
            .collect(),
    };
    Ok(out)
}

/// Checks that the target of a COPY FROM STDIN exists (before the client is asked for
/// data) and returns its number of columns.
pub fn copy_in_columns(session: &mut dyn Session, stmt: &CopyStatement) -> Result<usize> {
    let stmt = &without_generated(session, stmt)?;
    let target = session.prepare(&stmt.select_sql(), &[])?;
    session.close_prepared(target.id);
    Ok(target.columns.len())
}

/// Inserts the rows of a COPY FROM STDIN payload; returns the number of rows.
pub fn run_copy_in(session: &mut dyn Session, stmt: &CopyStatement, data: &[u8]) -> Result<u64> {
    let stmt = &without_generated(session, stmt)?;
    let CopySource::Table { name, columns } = &stmt.source else {
        return Err(Error::new(SqlState::SYNTAX_ERROR, "COPY FROM needs a table"));
    };
    let target = session.prepare(&stmt.select_sql(), &[])?;
    session.close_prepared(target.id);
    let names: Vec<String> = if columns.is_empty() {
        target.columns.iter().map(|c| quote_ident(&c.name)).collect()
    } else {
        columns.clone()
    };
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    // COPY writes identity columns as given, GENERATED ALWAYS or not (as PostgreSQL's
    // COPY does, which is how a dump restores them).
    let insert_sql = format!(
        "INSERT INTO {name} ({}) OVERRIDING SYSTEM VALUE VALUES ({})",
        names.join(", "),
        placeholders.join(", ")
    );
    let types: Vec<DataType> = target.columns.iter().map(|c| c.data_type.clone()).collect();

    // Parse everything before inserting anything.
    let rows = if is_binary(stmt) {
        crate::copy_binary::decode(data, &types)
            .map_err(|e| e.with_detail(format!("COPY {name}, binary data")))?
    } else {
        decode_text_rows(stmt, name, &target.columns, &types, data)?
    };
    insert_rows(session, stmt, name, &insert_sql, &types, &rows)
}

/// Parses text or csv COPY data into values of `types`.
fn decode_text_rows(
    stmt: &CopyStatement,
    name: &str,
    columns: &[crate::session::Column],
    types: &[DataType],
    data: &[u8],
) -> Result<Vec<Vec<Value>>> {
    let data = std::str::from_utf8(data).map_err(|e| {
        Error::new(
            SqlState::from_code("22021"),
            format!("invalid byte sequence for encoding \"UTF8\": {e}"),
        )
    })?;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (n, fields) in decode_rows(data, &stmt.options)?.into_iter().enumerate() {
        let line = n + 1 + usize::from(stmt.options.header);
        let context = |e: Error| {
            let detail = format!("COPY {name}, line {line}");
            Error::new(e.sqlstate(), e.message()).with_detail(detail)
        };
        if fields.len() < types.len() {
            let missing = columns.get(fields.len()).map_or("?", |c| c.name.as_str());
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
        for (f, ty) in fields.iter().zip(types) {
            row.push(match f {
                None => Value::Null,
                Some(s) => text::from_text(s, ty).map_err(context)?,
            });
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Inserts parsed COPY rows in one transaction (the session's, else a fresh one).
fn insert_rows(
    session: &mut dyn Session,
    stmt: &CopyStatement,
    name: &str,
    insert_sql: &str,
    types: &[DataType],
    rows: &[Vec<Value>],
) -> Result<u64> {
    let own_txn = session.transaction_status() == TxnStatus::Idle;
    if own_txn {
        if let Some(e) = session.execute_batch("BEGIN").error {
            return Err(e);
        }
    }
    let result = (|| -> Result<u64> {
        let insert = session.prepare(insert_sql, types)?;
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
    let stmt = &without_generated(session, stmt)?;
    let result = session.query(&stmt.select_sql(), &[])?;
    if is_binary(stmt) {
        let types: Vec<DataType> = result.columns.iter().map(|c| c.data_type.clone()).collect();
        let rows = result
            .rows
            .iter()
            .map(|r| crate::copy_binary::encode_row(r, &types))
            .collect::<Result<Vec<_>>>()?;
        return Ok(CopyOut {
            columns: result.columns.len(),
            header: Some(crate::copy_binary::header()),
            rows,
            trailer: Some(crate::copy_binary::trailer()),
        });
    }
    let header = stmt.options.header.then(|| {
        let mut line = String::new();
        let names: Vec<Option<String>> =
            result.columns.iter().map(|c| Some(c.name.clone())).collect();
        encode_row(&names, &stmt.options, &mut line);
        line.into_bytes()
    });
    let rows = result
        .rows
        .iter()
        .map(|row| {
            let mut line = String::new();
            let fields: Vec<Option<String>> = row.iter().map(text::to_text).collect();
            encode_row(&fields, &stmt.options, &mut line);
            line.into_bytes()
        })
        .collect();
    Ok(CopyOut { columns: result.columns.len(), header, rows, trailer: None })
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
