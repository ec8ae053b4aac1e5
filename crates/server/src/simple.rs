//! The simple query protocol: one `Query` message, possibly several statements.
//!
//! ```text
//! Query ──▶ for each statement: RowDescription + DataRow* + CommandComplete
//!                              | CommandComplete | EmptyQueryResponse
//!       ──▶ on the first error: ErrorResponse (later statements do not run)
//!       ──▶ ReadyForQuery with the session's transaction status (I / T / E)
//! ```
//!
//! A query string without `COPY` goes to the engine in one piece, so the engine's
//! implicit-transaction rules for multi-statement strings apply. `COPY` statements are
//! served here: `TO STDOUT` streams rows, `FROM STDIN` switches the connection to the
//! COPY sub-protocol and must be the last statement of its query string.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::{FieldFormat, Response};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::CopyInResponse;
use pgwire::messages::response::{
    CommandComplete, EmptyQueryResponse, ReadyForQuery, TransactionStatus,
};
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::ParameterStatus;
use pgwire::messages::PgWireBackendMessage;

use helios_common::Error;

use crate::conn::{conn_state, ConnState};
use crate::copy::{is_binary, run_copy_file, stream_copy_out, CopyIn, CopyLoader};
use crate::copy_stmt::{is_copy, parse_copy};
use crate::error::error_info;
use crate::output::Output;
use crate::session::{BatchSink, StatementResult};
use crate::split::split_statements;
use crate::{text, wire};

/// Serves `Query` messages.
#[derive(Debug, Default)]
pub struct SimpleQueries;

async fn send_error<C>(client: &mut C, e: &Error) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    client.feed(PgWireBackendMessage::ErrorResponse(error_info(e).into())).await?;
    Ok(())
}

/// Sends routines' notices (`RAISE NOTICE`) as NoticeResponse messages.
async fn send_notices<C>(client: &mut C, notices: Vec<crate::session::Notice>) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for n in notices {
        let mut info = pgwire::error::ErrorInfo::new(n.level.name().to_owned(), n.code, n.message);
        info.detail = n.detail;
        info.hint = n.hint;
        client.feed(PgWireBackendMessage::NoticeResponse(info.into())).await?;
    }
    Ok(())
}

/// Turns a batch's results into messages as its statements run (simple protocol:
/// always text format): RowDescription before a statement's first row, DataRow per
/// row, CommandComplete when it ends.
struct SimpleSink {
    out: Output,
    /// The session's output settings for the running statement.
    style: text::OutputStyle,
    /// Text, one per column of the running statement.
    formats: Vec<FieldFormat>,
    /// The running statement's RowDescription is out.
    described: bool,
    /// More statements may follow whose settings differ: read them after each one.
    restyle: bool,
    /// The first error queueing output after a statement ended; the next row fails with
    /// it, or the batch's end reports it.
    failed: Option<Error>,
}

impl SimpleSink {
    fn describe(&mut self, columns: &[crate::session::Column]) -> helios_common::Result<()> {
        if !self.described {
            self.described = true;
            self.formats = vec![FieldFormat::Text; columns.len()];
            let description = wire::row_description(columns, &self.formats);
            self.out.push(PgWireBackendMessage::RowDescription(description))?;
        }
        Ok(())
    }

    fn send_row(
        &mut self,
        columns: &[crate::session::Column],
        values: &[helios_types::Value],
    ) -> helios_common::Result<()> {
        self.describe(columns)?;
        let row = wire::data_row(values, columns, &self.formats, &self.style)?;
        self.out.push(PgWireBackendMessage::DataRow(row))
    }

    fn complete(&mut self, result: &StatementResult) -> helios_common::Result<()> {
        match result {
            StatementResult::Rows(q) => {
                self.describe(&q.columns)?;
                for row in &q.rows {
                    self.send_row(&q.columns, row)?;
                }
                self.out.push(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                    q.tag.clone(),
                )))
            }
            StatementResult::Command { tag, .. } => self
                .out
                .push(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag.to_string()))),
        }
    }
}

impl BatchSink for SimpleSink {
    fn row(
        &mut self,
        columns: &[crate::session::Column],
        values: &[helios_types::Value],
    ) -> helios_common::Result<bool> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        self.send_row(columns, values)?;
        Ok(true)
    }

    fn statement_done(
        &mut self,
        result: &StatementResult,
        setting: &dyn Fn(&str) -> Option<String>,
    ) {
        if let Err(e) = self.complete(result) {
            self.failed.get_or_insert(e);
        }
        self.described = false;
        if self.restyle {
            self.style = text::OutputStyle::from_settings(setting);
        }
    }
}

/// What a statement run with streamed output left for the handler to send.
struct Streamed<T> {
    /// The statement's own outcome.
    outcome: T,
    /// Its messages not yet written to the socket.
    pending: Vec<PgWireBackendMessage>,
    /// Notices raised while it ran.
    notices: Vec<crate::session::Notice>,
}

/// Runs a query string (no COPY in it) with its results streamed; returns the error
/// that stopped it, if any.
async fn stream_batch(
    conn: &Arc<ConnState>,
    sql: &str,
    statements: usize,
) -> PgWireResult<Streamed<Option<Error>>> {
    let sql = sql.to_owned();
    let out = conn.output();
    let state = Arc::clone(conn);
    conn.run(move |s| {
        let style = state.output_style(s);
        let mut sink = SimpleSink {
            out,
            style,
            formats: Vec::new(),
            described: false,
            restyle: statements > 1,
            failed: None,
        };
        let error = s.execute_batch_streaming(&sql, &mut sink).or(sink.failed);
        Streamed { outcome: error, pending: sink.out.into_pending(), notices: s.take_notices() }
    })
    .await
}

/// Sends what a streamed statement left: its notices, its remaining messages, and its
/// error; `true` when there was an error.
async fn finish_streamed<C>(client: &mut C, streamed: Streamed<Option<Error>>) -> PgWireResult<bool>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    send_notices(client, streamed.notices).await?;
    for m in streamed.pending {
        client.feed(m).await?;
    }
    match &streamed.outcome {
        Some(e) => {
            send_error(client, e).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// What running a query string ended with.
enum Ended {
    /// All statements ran or one failed: send ReadyForQuery.
    Ready,
    /// A COPY FROM STDIN is waiting for data: no ReadyForQuery yet.
    CopyIn,
}

async fn run_query<C>(client: &mut C, conn: &Arc<ConnState>, sql: &str) -> PgWireResult<Ended>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let statements = split_statements(sql);
    if statements.is_empty() {
        client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
        return Ok(Ended::Ready);
    }
    // Whatever was queued before (nothing, usually) goes out ahead of the rows that
    // stream to the socket while the statements run.
    client.flush().await?;
    if !statements.iter().any(|s| is_copy(s)) {
        let streamed = stream_batch(conn, sql, statements.len()).await?;
        finish_streamed(client, streamed).await?;
        return Ok(Ended::Ready);
    }
    let count = statements.len();
    for (i, stmt) in statements.into_iter().enumerate() {
        if !is_copy(stmt) {
            let streamed = stream_batch(conn, stmt, 1).await?;
            if finish_streamed(client, streamed).await? {
                return Ok(Ended::Ready);
            }
            continue;
        }
        let copy = match parse_copy(stmt) {
            Ok(c) => c,
            Err(e) => {
                send_error(client, &e).await?;
                return Ok(Ended::Ready);
            }
        };
        if copy.file.is_some() {
            match conn.run(move |s| run_copy_file(s, &copy)).await? {
                Ok(n) => {
                    client
                        .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(format!(
                            "COPY {n}"
                        ))))
                        .await?;
                    continue;
                }
                Err(e) => {
                    send_error(client, &e).await?;
                    return Ok(Ended::Ready);
                }
            }
        }
        if copy.from_stdin {
            if i + 1 != count {
                let e =
                    Error::unsupported("statements after COPY FROM STDIN in the same query string");
                send_error(client, &e).await?;
                return Ok(Ended::Ready);
            }
            // Check the target exists before asking for data.
            let target = copy.clone();
            let loader = match conn.run(move |s| CopyLoader::new(s, &target)).await? {
                Ok(l) => l,
                Err(e) => {
                    send_error(client, &e).await?;
                    return Ok(Ended::Ready);
                }
            };
            let columns = loader.columns();
            let format = i8::from(is_binary(&copy));
            *conn.copy_in.lock() = Some(CopyIn::new(loader));
            let n = i16::try_from(columns).unwrap_or(i16::MAX);
            client
                .send(PgWireBackendMessage::CopyInResponse(CopyInResponse::new(
                    format,
                    n,
                    vec![i16::from(format); columns],
                )))
                .await?;
            return Ok(Ended::CopyIn);
        }
        let out = conn.output();
        let streamed = conn
            .run(move |s| {
                let mut out = out;
                let outcome = stream_copy_out(s, &copy, &mut out).err();
                Streamed { outcome, pending: out.into_pending(), notices: s.take_notices() }
            })
            .await?;
        if finish_streamed(client, streamed).await? {
            return Ok(Ended::Ready);
        }
    }
    Ok(Ended::Ready)
}

#[async_trait]
impl SimpleQueryHandler for SimpleQueries {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let conn = conn_state(client)?;
        client.set_state(PgWireConnectionState::QueryInProgress);
        let ended = run_query(client, &conn, &query.query).await;
        // Notifications go out before ReadyForQuery when a command ends outside a
        // transaction block (PostgreSQL holds them until the listener's block ends).
        if matches!(conn.wire_status(), TransactionStatus::Idle) {
            for m in conn.notification_messages() {
                client.feed(m).await?;
            }
        }
        for (name, value) in conn.changed_settings() {
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(name, value)))
                .await?;
        }
        let status = conn.wire_status();
        client.set_transaction_status(status);
        match ended {
            Ok(Ended::CopyIn) => {
                client.set_state(PgWireConnectionState::CopyInProgress(false));
                Ok(())
            }
            Ok(Ended::Ready) => {
                client.set_state(PgWireConnectionState::ReadyForQuery);
                client
                    .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(status)))
                    .await?;
                Ok(())
            }
            Err(e) => {
                client.set_state(PgWireConnectionState::ReadyForQuery);
                Err(e)
            }
        }
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_query` above serves every Query message itself.
        Ok(Vec::new())
    }
}
