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
use bytes::Bytes;
use futures::{Sink, SinkExt};
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::{FieldFormat, Response};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::{CopyData, CopyDone, CopyInResponse, CopyOutResponse};
use pgwire::messages::response::{
    CommandComplete, EmptyQueryResponse, ReadyForQuery, TransactionStatus,
};
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::ParameterStatus;
use pgwire::messages::PgWireBackendMessage;

use helios_common::Error;

use crate::conn::{conn_state, ConnState};
use crate::copy::{is_binary, run_copy_file, run_copy_out, CopyIn, CopyLoader};
use crate::copy_stmt::{is_copy, parse_copy};
use crate::error::error_info;
use crate::session::StatementResult;
use crate::split::split_statements;
use crate::{text, wire};

/// Serves `Query` messages.
#[derive(Debug, Default)]
pub struct SimpleQueries;

/// Sends one statement's result (simple protocol: always text format) with the
/// session's output settings.
pub(crate) async fn send_result<C>(
    client: &mut C,
    result: &StatementResult,
    style: &text::OutputStyle,
) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    match result {
        StatementResult::Rows(q) => {
            let formats = vec![FieldFormat::Text; q.columns.len()];
            client
                .feed(PgWireBackendMessage::RowDescription(wire::row_description(
                    &q.columns, &formats,
                )))
                .await?;
            for row in &q.rows {
                let row = wire::data_row(row, &q.columns, &formats, style)
                    .map_err(|e| crate::error::to_pgwire(&e))?;
                client.feed(PgWireBackendMessage::DataRow(row)).await?;
            }
            client
                .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(q.tag.clone())))
                .await?;
        }
        StatementResult::Command { tag, .. } => {
            client
                .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag.to_string())))
                .await?;
        }
    }
    Ok(())
}

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

/// Runs a batch; with its outcome come the notices it raised and each result's output
/// style: the session's output settings for the result's types as they stood when its
/// statement had run (`SET TIME ZONE` between two SELECTs formats them differently).
fn run_batch(
    s: &mut dyn crate::session::Session,
    sql: &str,
) -> (crate::session::BatchOutcome, Vec<crate::session::Notice>, Vec<text::OutputStyle>) {
    let (outcome, mut styles) = s.execute_batch_styled(sql);
    if styles.len() != outcome.results.len() {
        // The session does not observe its statements: the settings at the end.
        let types = outcome.results.iter().flat_map(|r| result_types(r));
        let style = text::OutputStyle::for_columns(types.collect::<Vec<_>>(), |k| s.setting(k));
        styles = vec![style; outcome.results.len()];
    }
    (outcome, s.take_notices(), styles)
}

/// The column types of a result (none for a command).
pub(crate) fn result_types(r: &StatementResult) -> Vec<&helios_types::DataType> {
    match r {
        StatementResult::Rows(q) => q.columns.iter().map(|c| &c.data_type).collect(),
        StatementResult::Command { .. } => Vec::new(),
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
    if !statements.iter().any(|s| is_copy(s)) {
        let sql = sql.to_owned();
        let (outcome, notices, styles) = conn.run(move |s| run_batch(s, &sql)).await?;
        send_notices(client, notices).await?;
        for (r, style) in outcome.results.iter().zip(&styles) {
            send_result(client, r, style).await?;
        }
        if let Some(e) = &outcome.error {
            send_error(client, e).await?;
        }
        return Ok(Ended::Ready);
    }
    let count = statements.len();
    for (i, stmt) in statements.into_iter().enumerate() {
        if !is_copy(stmt) {
            let sql = stmt.to_owned();
            let (outcome, notices, styles) = conn.run(move |s| run_batch(s, &sql)).await?;
            send_notices(client, notices).await?;
            for (r, style) in outcome.results.iter().zip(&styles) {
                send_result(client, r, style).await?;
            }
            if let Some(e) = &outcome.error {
                send_error(client, e).await?;
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
        let format = i8::from(is_binary(&copy));
        let out = conn.run(move |s| run_copy_out(s, &copy)).await?;
        match out {
            Err(e) => {
                send_error(client, &e).await?;
                return Ok(Ended::Ready);
            }
            Ok(out) => {
                let n = i16::try_from(out.columns).unwrap_or(i16::MAX);
                client
                    .feed(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
                        format,
                        n,
                        vec![i16::from(format); out.columns],
                    )))
                    .await?;
                if let Some(h) = out.header {
                    client
                        .feed(PgWireBackendMessage::CopyData(CopyData::new(Bytes::from(h))))
                        .await?;
                }
                let rows = out.rows.len();
                for line in out.rows {
                    client
                        .feed(PgWireBackendMessage::CopyData(CopyData::new(Bytes::from(line))))
                        .await?;
                }
                if let Some(t) = out.trailer {
                    client
                        .feed(PgWireBackendMessage::CopyData(CopyData::new(Bytes::from(t))))
                        .await?;
                }
                client.feed(PgWireBackendMessage::CopyDone(CopyDone::new())).await?;
                client
                    .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(format!(
                        "COPY {rows}"
                    ))))
                    .await?;
            }
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
