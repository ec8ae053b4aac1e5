//! `COPY ... FROM STDIN` and `COPY ... TO STDOUT` over the embedded API, and the same
//! with a server file (`COPY t FROM '/path'`), in text, csv and binary format.
//!
//! Server files are read and written by the server process with its own permissions.
//! Like PostgreSQL this is a superuser feature (`is_superuser`, 42501 otherwise). A
//! missing file is 58P01, a file the process may not open 42501, other I/O errors 58030.
//!
//! COPY FROM: the data is loaded while it arrives, a batch of whole records at a time
//! (about 1 MiB; [`RecordSplitter`] finds where text and csv records end, the binary
//! decoder takes whole tuples), so the server holds one batch and not the whole payload.
//! Each batch is parsed, converted to the target column types and inserted through one
//! prepared `INSERT` inside one transaction: the session's when a block is open, else
//! its own, begun with the first rows and committed after `CopyDone`. The first error
//! (bad data, a constraint) ends the load at once: its own transaction rolls back, an
//! open block fails as after any failed statement, the rest of the data is dropped, and
//! the error answers `CopyDone`. `CopyFail` ends it the same way. A server file is read
//! and loaded the same way.
//!
//! COPY TO: the rows of `SELECT cols FROM table` (or the given query) are encoded in
//! the requested format, one `CopyData` per row.

use std::fmt::Debug;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{Sink, SinkExt};
use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use pgwire::api::ClientInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail, CopyOutResponse};
use pgwire::messages::response::CommandComplete;
use pgwire::messages::PgWireBackendMessage;

use crate::conn::conn_state;
use crate::copy_data::{decode_batch, encode_row, Fields, RecordSplitter};
use crate::copy_stmt::{CopyFormat, CopySource, CopyStatement};
use crate::error::to_pgwire;
use crate::output::Output;
use crate::session::{Session, TxnStatus};
use crate::text;

/// Bytes of whole records loaded at a time while COPY FROM STDIN data arrives.
const BATCH_BYTES: usize = 1 << 20;

/// Most bytes held while waiting for the end of a record.
const MAX_PENDING_BYTES: usize = 1 << 30;

/// A COPY FROM STDIN receiving its data (see the module docs).
#[derive(Debug)]
pub struct CopyIn {
    /// Loads the data; `None` once an error ended the load.
    loader: Option<CopyLoader>,
    /// Bytes received and not loaded yet.
    pending: Vec<u8>,
    splitter: RecordSplitter,
    /// The first error: later data is dropped, and the error answers `CopyDone`.
    error: Option<Error>,
}

impl CopyIn {
    /// A COPY FROM STDIN loading through `loader`.
    pub fn new(loader: CopyLoader) -> CopyIn {
        let splitter = RecordSplitter::new(&loader.stmt.options);
        CopyIn { loader: Some(loader), pending: Vec::new(), splitter, error: None }
    }

    /// Takes in received bytes; returns the loader and a batch of them to load once a
    /// batch is ready.
    fn push(&mut self, data: &[u8]) -> Option<(CopyLoader, Vec<u8>)> {
        if self.error.is_some() || self.loader.as_ref().is_none_or(|l| l.ended) {
            return None;
        }
        self.pending.extend_from_slice(data);
        let ready = self.splitter.scan(&self.pending);
        if ready < BATCH_BYTES {
            if self.pending.len() > MAX_PENDING_BYTES {
                self.pending = Vec::new();
                self.error = Some(Error::new(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "COPY data holds a record larger than 1 GB",
                ));
            }
            return None;
        }
        let batch: Vec<u8> = self.pending.drain(..ready).collect();
        self.splitter.consume(ready);
        Some((self.loader.take()?, batch))
    }

    /// Takes back the loader after a batch; after an error it is gone (it rolled back).
    fn loaded(&mut self, loader: Option<CopyLoader>, outcome: Result<()>) {
        if let Err(e) = outcome {
            self.pending = Vec::new();
            self.error = Some(e);
        }
        self.loader = loader;
    }

    /// Loads what is left (the data ended) and ends the COPY; returns the row count.
    fn finish(self, session: &mut dyn Session) -> Result<u64> {
        if let Some(e) = self.error {
            // A batch that failed took its loader down with it; an over-long record did
            // not, and the rows loaded before it go now.
            if let Some(loader) = self.loader {
                loader.abort(session);
            }
            return Err(e);
        }
        let loader = self.loader.ok_or_else(|| Error::internal("COPY without its loader"))?;
        loader.finish(session, &self.pending)
    }

    /// Ends the COPY as failed (`CopyFail`, or the connection ended).
    fn abort(self, session: &mut dyn Session) {
        if let Some(loader) = self.loader {
            loader.abort(session);
        }
    }
}

/// Loads COPY FROM data into its table a batch at a time, through one prepared `INSERT`
/// in one transaction: the session's when a block is open, else its own, begun with the
/// first rows and committed at the end. An error rolls its own transaction back, or fails
/// the session's block like any statement error.
#[derive(Debug)]
pub struct CopyLoader {
    /// The statement, generated columns left out.
    stmt: CopyStatement,
    name: String,
    columns: Vec<crate::session::Column>,
    types: Vec<DataType>,
    insert_sql: String,
    /// The prepared `INSERT`, once rows came.
    insert: Option<u64>,
    /// The loader began the transaction and ends it.
    own_txn: bool,
    /// Rows inserted.
    rows: u64,
    /// Text and csv records decoded (the header included), for line numbers.
    records: usize,
    /// The header line is still to be skipped.
    header_pending: bool,
    binary: crate::copy_binary::BinaryDecoder,
    /// The end-of-data marker `\.` was read: later data is ignored.
    ended: bool,
}

impl CopyLoader {
    /// Checks the target of `stmt` (before the client is asked for data).
    pub fn new(session: &mut dyn Session, stmt: &CopyStatement) -> Result<CopyLoader> {
        let stmt = without_generated(session, stmt)?;
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
        let types = target.columns.iter().map(|c| c.data_type.clone()).collect();
        Ok(CopyLoader {
            name: name.clone(),
            header_pending: stmt.options.header,
            stmt,
            columns: target.columns,
            types,
            insert_sql,
            insert: None,
            own_txn: false,
            rows: 0,
            records: 0,
            binary: Default::default(),
            ended: false,
        })
    }

    /// Number of columns (for `CopyInResponse`).
    pub fn columns(&self) -> usize {
        self.columns.len()
    }

    /// Loads a batch (see [`CopyLoader::load`]); on an error the load is over: the
    /// loader has rolled back and is gone.
    fn load_batch(
        mut self,
        session: &mut dyn Session,
        batch: &[u8],
    ) -> (Option<CopyLoader>, Result<()>) {
        match self.load(session, batch, false) {
            Ok(()) => (Some(self), Ok(())),
            Err(e) => {
                self.abort(session);
                (None, Err(e))
            }
        }
    }

    /// Decodes and inserts the records of `data`, whole records ([`RecordSplitter`]) or,
    /// with `last`, the rest of the stream.
    fn load(&mut self, session: &mut dyn Session, data: &[u8], last: bool) -> Result<()> {
        if is_binary(&self.stmt) {
            let (rows, took) = self
                .binary
                .decode(data, &self.types, last)
                .map_err(|e| e.with_detail(format!("COPY {}, binary data", self.name)))?;
            if took != data.len() {
                return Err(Error::internal("a COPY batch ended inside a tuple"));
            }
            self.ended = self.binary.ended();
            let first = self.rows as usize + 1;
            return self
                .insert_rows(session, rows.into_iter().enumerate().map(|(n, r)| (first + n, r)));
        }
        if self.ended {
            return Ok(());
        }
        let text = std::str::from_utf8(data).map_err(|e| {
            Error::new(
                SqlState::from_code("22021"),
                format!("invalid byte sequence for encoding \"UTF8\": {e}"),
            )
        })?;
        let decoded = decode_batch(text, &self.stmt.options, false)?;
        self.ended = decoded.ended;
        let first = self.records + 1;
        self.records += decoded.rows.len();
        let mut fields = decoded.rows.into_iter().enumerate().map(|(n, f)| (first + n, f));
        // The header is the first record of the data, in whichever batch it comes.
        if self.header_pending && fields.next().is_some() {
            self.header_pending = false;
        }
        let rows = fields
            .map(|(line, f)| Ok((line, self.values(line, f)?)))
            .collect::<Result<Vec<_>>>()?;
        self.insert_rows(session, rows.into_iter())
    }

    /// The values of one text or csv record, converted to the column types.
    fn values(&self, line: usize, fields: Fields) -> Result<Vec<Value>> {
        let context = |e: Error| {
            let detail = format!("COPY {}, line {line}", self.name);
            Error::new(e.sqlstate(), e.message()).with_detail(detail)
        };
        if fields.len() < self.types.len() {
            let missing = self.columns.get(fields.len()).map_or("?", |c| c.name.as_str());
            return Err(context(Error::new(
                SqlState::from_code("22P04"),
                format!("missing data for column \"{missing}\""),
            )));
        }
        if fields.len() > self.types.len() {
            return Err(context(Error::new(
                SqlState::from_code("22P04"),
                "extra data after last expected column",
            )));
        }
        let mut row = Vec::with_capacity(fields.len());
        for (f, ty) in fields.iter().zip(&self.types) {
            row.push(match f {
                None => Value::Null,
                Some(s) => text::from_text(s, ty).map_err(context)?,
            });
        }
        Ok(row)
    }

    /// Inserts `(line, row)` pairs, beginning the transaction with the first.
    fn insert_rows(
        &mut self,
        session: &mut dyn Session,
        rows: impl Iterator<Item = (usize, Vec<Value>)>,
    ) -> Result<()> {
        for (line, row) in rows {
            let insert = match self.insert {
                Some(id) => id,
                None => self.begin(session)?,
            };
            if let Err(e) = session.execute_prepared(insert, &row) {
                // Keep the engine's own detail (e.g. the duplicate key); else say where.
                return Err(match e.detail() {
                    Some(_) => e,
                    None => e.with_detail(format!("COPY {}, line {line}", self.name)),
                });
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// Opens the transaction (unless a block is open) and prepares the `INSERT`.
    fn begin(&mut self, session: &mut dyn Session) -> Result<u64> {
        if session.transaction_status() == TxnStatus::Idle {
            if let Some(e) = session.execute_batch("BEGIN").error {
                return Err(e);
            }
            self.own_txn = true;
        }
        let id = session.prepare(&self.insert_sql, &self.types)?.id;
        self.insert = Some(id);
        Ok(id)
    }

    /// Loads the rest of the data and ends the COPY; returns the number of rows.
    fn finish(mut self, session: &mut dyn Session, rest: &[u8]) -> Result<u64> {
        if let Err(e) = self.load(session, rest, true) {
            self.abort(session);
            return Err(e);
        }
        if let Some(id) = self.insert.take() {
            session.close_prepared(id);
        }
        if self.own_txn {
            if let Some(e) = session.execute_batch("COMMIT").error {
                return Err(e);
            }
        }
        Ok(self.rows)
    }

    /// Ends the COPY as failed: its own transaction rolls back; an open block fails, as
    /// after any failed statement.
    fn abort(mut self, session: &mut dyn Session) {
        if let Some(id) = self.insert.take() {
            session.close_prepared(id);
        }
        if self.own_txn {
            // A failed ROLLBACK leaves nothing to do: the session reports its own state.
            let _ = session.execute_batch("ROLLBACK");
        } else {
            session.abort_statement();
        }
    }
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
        let file = std::fs::File::open(path).map_err(|e| file_error(&e, path, "reading"))?;
        return copy_from_reader(session, stmt, file);
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

/// Loads COPY FROM data read from `reader` a batch at a time.
fn copy_from_reader(
    session: &mut dyn Session,
    stmt: &CopyStatement,
    mut reader: impl std::io::Read,
) -> Result<u64> {
    let mut copy = CopyIn::new(CopyLoader::new(session, stmt)?);
    let mut buf = vec![0u8; 256 * 1024];
    while copy.error.is_none() {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                copy.abort(session);
                return Err(Error::new(
                    SqlState::IO_ERROR,
                    format!("could not read from COPY file: {e}"),
                ));
            }
        };
        if let Some((loader, batch)) = copy.push(&buf[..n]) {
            let (loader, outcome) = loader.load_batch(session, &batch);
            copy.loaded(loader, outcome);
        }
    }
    copy.finish(session)
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

/// Inserts the rows of a whole COPY FROM payload; returns the number of rows.
pub fn run_copy_in(session: &mut dyn Session, stmt: &CopyStatement, data: &[u8]) -> Result<u64> {
    CopyLoader::new(session, stmt)?.finish(session, data)
}

/// Receives what a COPY TO produces, piece by piece ([`copy_out_each`]).
pub trait CopyOutSink {
    /// Called once, before any data, with the number of columns copied.
    fn start(&mut self, columns: usize) -> Result<()>;
    /// One piece of data: the header, one row's line (or binary tuple), the trailer.
    fn data(&mut self, bytes: Vec<u8>) -> Result<()>;
}

/// Runs the query of a COPY TO and passes its encoded data to `sink` as the rows are
/// produced (nothing is collected); returns the number of rows. An error before the
/// first row comes before [`CopyOutSink::start`].
pub fn copy_out_each(
    session: &mut dyn Session,
    stmt: &CopyStatement,
    sink: &mut dyn CopyOutSink,
) -> Result<u64> {
    let stmt = &without_generated(session, stmt)?;
    let binary = is_binary(stmt);
    // Text and CSV show values as a query's text results do: in the session's
    // TimeZone, DateStyle, IntervalStyle and extra_float_digits.
    let style = text::OutputStyle::from_settings(|k| session.setting(k));
    let mut started = false;
    let mut types: Vec<DataType> = Vec::new();
    let mut rows = 0u64;
    // One row's fields, reused from row to row.
    let mut fields: Vec<Option<String>> = Vec::new();
    let start = |sink: &mut dyn CopyOutSink, columns: &[crate::session::Column]| {
        sink.start(columns.len())?;
        if binary {
            sink.data(crate::copy_binary::header())?;
        } else if stmt.options.header {
            let mut line = String::new();
            let names: Vec<Option<String>> = columns.iter().map(|c| Some(c.name.clone())).collect();
            encode_row(&names, &stmt.options, &mut line);
            sink.data(line.into_bytes())?;
        }
        Ok::<_, Error>(())
    };
    let result = session.execute_streaming(&stmt.select_sql(), &[], &mut |columns, values| {
        if !started {
            started = true;
            types = columns.iter().map(|c| c.data_type.clone()).collect();
            start(&mut *sink, columns)?;
        }
        let data = if binary {
            crate::copy_binary::encode_row(values, &types)?
        } else {
            fields.clear();
            fields.extend(values.iter().map(|v| text::to_text_styled(v, &style)));
            let mut line =
                String::with_capacity(fields.iter().flatten().map(String::len).sum::<usize>() + 16);
            encode_row(&fields, &stmt.options, &mut line);
            line.into_bytes()
        };
        rows += 1;
        sink.data(data)?;
        Ok(true)
    })?;
    if !started {
        let columns = match &result {
            crate::session::StatementResult::Rows(q) => q.columns.as_slice(),
            crate::session::StatementResult::Command { .. } => &[],
        };
        start(&mut *sink, columns)?;
    }
    if binary {
        sink.data(crate::copy_binary::trailer())?;
    }
    Ok(rows)
}

/// Runs a COPY TO STDOUT, streaming its messages into `out`: CopyOutResponse, one
/// CopyData per piece, CopyDone and CommandComplete. An error after CopyOutResponse
/// leaves what was queued for the client, which then gets the error (as PostgreSQL
/// ends a failed COPY TO with ErrorResponse instead of CopyDone).
pub fn stream_copy_out(
    session: &mut dyn Session,
    stmt: &CopyStatement,
    out: &mut Output,
) -> Result<()> {
    struct Messages<'a> {
        out: &'a mut Output,
        format: i8,
        /// The binary file header, sent in one CopyData with the piece after it (as
        /// PostgreSQL does; drivers read the header and the first tuple together).
        header: Option<Vec<u8>>,
        started: bool,
    }
    impl CopyOutSink for Messages<'_> {
        fn start(&mut self, columns: usize) -> Result<()> {
            let n = i16::try_from(columns).unwrap_or(i16::MAX);
            let formats = vec![i16::from(self.format); columns];
            self.out.push(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
                self.format,
                n,
                formats,
            )))
        }
        fn data(&mut self, bytes: Vec<u8>) -> Result<()> {
            let first = !std::mem::replace(&mut self.started, true);
            if first && self.format == 1 {
                self.header = Some(bytes);
                return Ok(());
            }
            let bytes = match self.header.take() {
                Some(mut header) => {
                    header.extend_from_slice(&bytes);
                    header
                }
                None => bytes,
            };
            self.out.push(PgWireBackendMessage::CopyData(CopyData::new(Bytes::from(bytes))))
        }
    }
    let format = i8::from(is_binary(stmt));
    let mut messages = Messages { out: &mut *out, format, header: None, started: false };
    let rows = copy_out_each(session, stmt, &mut messages)?;
    out.push(PgWireBackendMessage::CopyDone(CopyDone::new()))?;
    out.push(PgWireBackendMessage::CommandComplete(CommandComplete::new(format!("COPY {rows}"))))
}

/// Runs the query of a COPY TO and collects its encoded data.
pub fn run_copy_out(session: &mut dyn Session, stmt: &CopyStatement) -> Result<CopyOut> {
    /// The pieces in order; the first is the header when there is one.
    struct Collect {
        out: CopyOut,
        binary: bool,
        header: bool,
    }
    impl CopyOutSink for Collect {
        fn start(&mut self, columns: usize) -> Result<()> {
            self.out.columns = columns;
            Ok(())
        }
        fn data(&mut self, bytes: Vec<u8>) -> Result<()> {
            if self.header && self.out.header.is_none() {
                self.out.header = Some(bytes);
            } else {
                self.out.rows.push(bytes);
            }
            Ok(())
        }
    }
    let binary = is_binary(stmt);
    let header = binary || stmt.options.header;
    let empty = CopyOut { columns: 0, header: None, rows: Vec::new(), trailer: None };
    let mut sink = Collect { out: empty, binary, header };
    copy_out_each(session, stmt, &mut sink)?;
    let mut out = sink.out;
    if sink.binary {
        out.trailer = out.rows.pop();
    }
    Ok(out)
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
        let batch = {
            let mut guard = conn.copy_in.lock();
            let Some(copy) = guard.as_mut() else {
                return Err(crate::error::protocol_violation("unexpected CopyData outside COPY"));
            };
            copy.push(&copy_data.data)
        };
        let Some((loader, batch)) = batch else { return Ok(()) };
        let (loader, outcome) = conn.run(move |s| loader.load_batch(s, &batch)).await?;
        if let Some(copy) = conn.copy_in.lock().as_mut() {
            copy.loaded(loader, outcome);
        }
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
        let outcome = conn.run(move |s| copy.finish(s)).await?;
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
            let copy = conn.copy_in.lock().take();
            if let Some(copy) = copy {
                // The rows loaded so far go: a failed COPY inserts nothing.
                if let Err(e) = conn.run(move |s| copy.abort(s)).await {
                    return e;
                }
            }
        }
        to_pgwire(&Error::new(
            SqlState::QUERY_CANCELED,
            format!("COPY from stdin failed: {}", fail.message),
        ))
    }
}
