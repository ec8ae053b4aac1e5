//! The extended query protocol: Parse / Bind / Describe / Execute / Sync / Close / Flush.
//!
//! pgwire keeps the named and unnamed statements and portals and runs the message flow
//! (including `PortalSuspended` for row limits and skipping to `Sync` after an error);
//! this module supplies:
//!
//! - Parse: `Connection::prepare` with the client's parameter types (`0` = infer);
//!   a type OID we do not know is `42704`. `COPY` statements are parsed here instead.
//! - Bind/Execute: parameters decoded from text or binary per their format codes,
//!   results encoded per the requested result formats (checked against the column count).
//!   An Execute without a row limit streams its rows (or COPY TO STDOUT data) to the
//!   client while the statement runs ([`crate::output`]); one with a limit runs the
//!   statement to its end and pgwire keeps the rest in the portal for the next Execute
//!   (`PortalSuspended`).
//! - Sync: `ReadyForQuery` with the session's real transaction status.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{stream, Sink, SinkExt};
use helios_common::{Error, SqlState};
use helios_types::{DataType, Value};
use heliosdb_nano::KeptRows;
use parking_lot::Mutex;
use pgwire::api::portal::PortalExecutionState;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{send_describe_response, ExtendedQueryHandler};
use pgwire::api::results::{
    CopyResponse, DescribePortalResponse, FieldFormat, FieldInfo, QueryResponse, Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState, Type, DEFAULT_NAME};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::CopyData;
use pgwire::messages::data::DataRow;
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Describe, Execute, Parse, ParseComplete, Sync as PgSync,
};
use pgwire::messages::response::{CommandComplete, ReadyForQuery, TransactionStatus};
use pgwire::messages::startup::ParameterStatus;
use pgwire::messages::PgWireBackendMessage;

use crate::conn::{conn_state, ConnState};
use crate::copy::{is_binary, run_copy_file, run_copy_out, stream_copy_out, CopyIn, CopyLoader};
use crate::copy_stmt::{is_copy, parse_copy, CopyStatement};
use crate::error::{protocol_violation, to_pgwire};
use crate::output::Output;
use crate::session::{Column, PreparedInfo};
use crate::{binary, text, wire};

/// A statement stored by Parse.
#[derive(Clone, Debug)]
pub struct Prepared(Arc<PreparedInner>);

#[derive(Debug)]
enum PreparedInner {
    Engine { info: PreparedInfo, closed: Arc<Mutex<Vec<u64>>> },
    Copy(CopyStatement),
}

impl Drop for PreparedInner {
    fn drop(&mut self) {
        if let PreparedInner::Engine { info, closed } = self {
            closed.lock().push(info.id);
        }
    }
}

fn sql_error(state: SqlState, msg: impl Into<String>) -> PgWireError {
    to_pgwire(&Error::new(state, msg))
}

/// Turns Parse messages into prepared statements of the session.
#[derive(Debug, Default)]
pub struct Parser;

#[async_trait]
impl QueryParser for Parser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        if is_copy(sql) {
            let copy = parse_copy(sql).map_err(|e| to_pgwire(&e))?;
            return Ok(Some(Prepared(Arc::new(PreparedInner::Copy(copy)))));
        }
        let conn = conn_state(client)?;
        let types: Vec<DataType> = types
            .iter()
            .map(|t| {
                t.as_ref().and_then(|t| DataType::from_oid(t.oid())).unwrap_or(DataType::Unknown)
            })
            .collect();
        let sql = sql.to_owned();
        let info = conn.run(move |s| s.prepare(&sql, &types)).await?.map_err(|e| to_pgwire(&e))?;
        Ok(Some(Prepared(Arc::new(PreparedInner::Engine {
            info,
            closed: Arc::clone(&conn.closed_statements),
        }))))
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok(match &*stmt.0 {
            PreparedInner::Engine { info, .. } => {
                info.param_types.iter().map(wire::pg_type).collect()
            }
            PreparedInner::Copy(_) => Vec::new(),
        })
    }

    fn get_result_schema(
        &self,
        stmt: &Prepared,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(match &*stmt.0 {
            PreparedInner::Engine { info, .. } => {
                let formats = result_formats(format, info.columns.len())?;
                wire::field_infos(&info.columns, &formats)
            }
            PreparedInner::Copy(_) => Vec::new(),
        })
    }
}

/// One format per result column from a Bind's (already parsed) result formats.
fn result_formats(format: Option<&Format>, n: usize) -> PgWireResult<Vec<FieldFormat>> {
    Ok(match format {
        None | Some(Format::UnifiedText) => vec![FieldFormat::Text; n],
        Some(Format::UnifiedBinary) => vec![FieldFormat::Binary; n],
        Some(Format::Individual(codes)) => {
            if codes.len() != n {
                return Err(protocol_violation(format!(
                    "bind message has {} result formats but query has {n} columns",
                    codes.len()
                )));
            }
            wire::expand_formats(codes, n).map_err(protocol_violation)?.to_vec()
        }
    })
}

fn decode_params(portal: &Portal<Prepared>, info: &PreparedInfo) -> PgWireResult<Vec<Value>> {
    let params = &portal.parameters;
    if params.len() != info.param_types.len() {
        return Err(protocol_violation(format!(
            "bind message supplies {} parameters, but prepared statement requires {}",
            params.len(),
            info.param_types.len()
        )));
    }
    let formats = match &portal.parameter_format {
        Format::UnifiedText => vec![FieldFormat::Text; params.len()],
        Format::UnifiedBinary => vec![FieldFormat::Binary; params.len()],
        Format::Individual(codes) => {
            if codes.len() != params.len() {
                return Err(protocol_violation(format!(
                    "bind message has {} parameter formats but {} parameters",
                    codes.len(),
                    params.len()
                )));
            }
            wire::expand_formats(codes, params.len()).map_err(protocol_violation)?.to_vec()
        }
    };
    params
        .iter()
        .zip(&info.param_types)
        .zip(formats)
        .map(|((p, ty), f)| {
            let Some(bytes) = p else { return Ok(Value::Null) };
            let ty = if *ty == DataType::Unknown { &DataType::Text } else { ty };
            let v = match f {
                FieldFormat::Binary => binary::decode(bytes, ty),
                FieldFormat::Text => match std::str::from_utf8(bytes) {
                    Ok(s) => text::from_text(s, ty),
                    Err(_) => Err(Error::new(
                        SqlState::from_code("22021"),
                        "invalid byte sequence for encoding \"UTF8\"",
                    )),
                },
            };
            v.map_err(|e| to_pgwire(&e))
        })
        .collect()
}

/// `SELECT 3` → `SELECT`: pgwire appends the number of rows it sent.
fn tag_command(tag: &str) -> &str {
    match tag.rsplit_once(' ') {
        Some((head, n)) if n.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => tag,
    }
}

/// The portal of an `Execute` that streams its result: one without a row limit, not
/// run before, of a statement that is no COPY FROM (which switches to the COPY
/// sub-protocol) or COPY with a file.
async fn streamable_portal<C>(client: &C, message: &Execute) -> Option<Arc<Portal<Prepared>>>
where
    C: ClientPortalStore,
    C::PortalStore: PortalStore<Statement = Prepared>,
{
    if message.max_rows != 0 {
        return None;
    }
    let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
    let Some(Entry::Value(portal)) = client.portal_store().get_portal(name) else { return None };
    match &*portal.statement.statement.0 {
        PreparedInner::Engine { .. } => {}
        PreparedInner::Copy(copy) if copy.file.is_none() && !copy.from_stdin => {}
        PreparedInner::Copy(_) => return None,
    }
    let initial = matches!(*portal.state().lock().await, PortalExecutionState::Initial);
    initial.then_some(portal)
}

/// Executes `portal` to its end, streaming its rows (or COPY data) to the client while
/// it runs; its RowDescription came with Describe. Afterwards the portal is finished:
/// executing it again returns no rows, as in PostgreSQL.
async fn execute_streaming<C>(
    client: &mut C,
    conn: &Arc<ConnState>,
    portal: &Arc<Portal<Prepared>>,
) -> PgWireResult<()>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
        return Err(PgWireError::NotReadyForQuery);
    }
    client.set_state(PgWireConnectionState::QueryInProgress);
    let result = stream_portal(client, conn, portal).await;
    *portal.state().lock().await = PortalExecutionState::Finished;
    client.set_state(PgWireConnectionState::ReadyForQuery);
    result
}

async fn stream_portal<C>(
    client: &mut C,
    conn: &Arc<ConnState>,
    portal: &Portal<Prepared>,
) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    // Rows go to the socket while the statement runs: what is queued goes first.
    client.flush().await?;
    let out = conn.output();
    let (outcome, pending) = match &*portal.statement.statement.0 {
        PreparedInner::Engine { info, .. } => {
            let params = decode_params(portal, info)?;
            let format = portal.result_column_format.clone();
            let formats = result_formats(Some(&format), info.columns.len())?;
            let id = info.id;
            let state = Arc::clone(conn);
            conn.run(move |s| {
                let style = state.output_style(s);
                let mut out = out;
                let outcome = run_portal(s, id, &params, &format, formats, &style, &mut out);
                (outcome, out.into_pending())
            })
            .await?
        }
        PreparedInner::Copy(copy) => {
            let copy = copy.clone();
            conn.run(move |s| {
                let mut out = out;
                let outcome = stream_copy_out(s, &copy, &mut out);
                (outcome, out.into_pending())
            })
            .await?
        }
    };
    for m in pending {
        client.feed(m).await?;
    }
    outcome.map_err(|e| to_pgwire(&e))
}

/// Runs a prepared statement into `out`: a DataRow per row in the portal's result
/// formats, then CommandComplete.
fn run_portal(
    s: &mut dyn crate::session::Session,
    id: u64,
    params: &[Value],
    format: &Format,
    mut formats: Vec<FieldFormat>,
    style: &text::OutputStyle,
    out: &mut Output,
) -> helios_common::Result<()> {
    let mut send = |columns: &[crate::session::Column], values: &[Value], out: &mut Output| {
        if formats.len() != columns.len() {
            // The statement's columns changed since Parse (the schema did).
            formats = result_formats(Some(format), columns.len()).map_err(|_| {
                Error::new(
                    SqlState::PROTOCOL_VIOLATION,
                    "bind message result formats do not match the query's columns",
                )
            })?;
        }
        let row = wire::data_row(values, columns, &formats, style)?;
        out.push(PgWireBackendMessage::DataRow(row))
    };
    let result = s.execute_prepared_streaming(id, params, &mut |columns, values| {
        send(columns, values, out)?;
        Ok(true)
    })?;
    let tag = match &result {
        crate::session::StatementResult::Rows(q) => {
            for row in &q.rows {
                send(&q.columns, row, out)?;
            }
            q.tag.clone()
        }
        crate::session::StatementResult::Command { tag, .. } => tag.to_string(),
    };
    out.push(PgWireBackendMessage::CommandComplete(CommandComplete::new(tag)))
}

/// Serves the extended query protocol.
#[derive(Debug, Default)]
pub struct ExtendedQueries {
    parser: Arc<Parser>,
}

#[async_trait]
impl ExtendedQueryHandler for ExtendedQueries {
    type Statement = Prepared;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        Arc::clone(&self.parser)
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Some(bad) =
            message.type_oids.iter().find(|o| **o != 0 && DataType::from_oid(**o).is_none())
        {
            return Err(sql_error(
                SqlState::UNDEFINED_OBJECT,
                format!("type with OID {bad} does not exist"),
            ));
        }
        let name = message.name.clone().unwrap_or_else(|| DEFAULT_NAME.to_owned());
        match StoredStatement::parse(client, &message, self.query_parser()).await? {
            Some(stmt) => client.portal_store().put_statement(Arc::new(stmt)),
            None => client.portal_store().put_empty_statement(&name),
        }
        client.send(PgWireBackendMessage::ParseComplete(ParseComplete::new())).await?;
        Ok(())
    }

    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement_name = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
        match client.portal_store().get_statement(statement_name) {
            Some(Entry::Value(statement)) => {
                let portal = Portal::try_new(&message, statement)?;
                // Parameters are checked and decoded at Bind, as PostgreSQL does.
                match &*portal.statement.statement.0 {
                    PreparedInner::Engine { info, .. } => {
                        decode_params(&portal, info)?;
                        result_formats(Some(&portal.result_column_format), info.columns.len())?;
                    }
                    PreparedInner::Copy(_) if !message.parameters.is_empty() => {
                        return Err(protocol_violation("COPY takes no parameters"));
                    }
                    PreparedInner::Copy(_) => {}
                }
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(Entry::Empty) => {
                if !message.parameters.is_empty() {
                    return Err(protocol_violation(
                        "bind message supplies parameters to an empty query",
                    ));
                }
                client
                    .portal_store()
                    .put_empty_portal(message.portal_name.as_deref().unwrap_or(DEFAULT_NAME));
            }
            None => {
                return Err(sql_error(
                    SqlState::INVALID_SQL_STATEMENT_NAME,
                    format!("prepared statement \"{statement_name}\" does not exist"),
                ))
            }
        }
        client.send(PgWireBackendMessage::BindComplete(BindComplete::new())).await?;
        Ok(())
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.clone().unwrap_or_else(|| DEFAULT_NAME.to_owned());
        let is_portal = message.target_type == b'P';
        if !is_portal || client.portal_store().get_portal(&name).is_some() {
            return self._on_describe(client, message).await;
        }
        // A cursor made by DECLARE is a portal too (psycopg's named cursors describe it).
        let conn = conn_state(client)?;
        let lookup = name.clone();
        let columns = conn.run(move |s| s.cursor_columns(&lookup)).await?.ok_or_else(|| {
            sql_error(SqlState::INVALID_CURSOR_NAME, format!("portal \"{name}\" does not exist"))
        })?;
        let formats = vec![FieldFormat::Text; columns.len()];
        let response = DescribePortalResponse::new(wire::field_infos(&columns, &formats));
        send_describe_response(client, &response).await
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = conn_state(client)?;
        let result = match streamable_portal(client, &message).await {
            Some(portal) => execute_streaming(client, &conn, &portal).await,
            // A row limit (the portal may be suspended and resumed) or a portal run
            // before: pgwire keeps the rows (see `do_query`).
            None => self._on_execute(client, message).await,
        };
        client.set_transaction_status(conn.wire_status());
        result
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        client.portal_store().rm_portal(DEFAULT_NAME);
        if let Ok(conn) = conn_state(client) {
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
        }
        let status = conn_state(client).map_or(TransactionStatus::Idle, |c| c.wire_status());
        client.set_transaction_status(status);
        client.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(status))).await?;
        client.flush().await?;
        Ok(())
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Prepared>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = conn_state(client)?;
        match &*portal.statement.statement.0 {
            PreparedInner::Engine { info, .. } => {
                let params = decode_params(portal, info)?;
                let formats =
                    result_formats(Some(&portal.result_column_format), info.columns.len())?;
                let id = info.id;
                // A row-limited Execute: the rows wait in a store that moves to a
                // temporary file past `work_mem`, read (and encoded) as pgwire sends
                // them, a batch per Execute.
                let (result, extra) = conn
                    .run(move |s| {
                        let r = s.execute_prepared_kept(id, &params);
                        let extra = match &r {
                            Ok((crate::session::StatementResult::Rows(q), _)) => {
                                crate::text::OutputStyle::for_columns(
                                    q.columns.iter().map(|c| &c.data_type),
                                    |k| s.setting(k),
                                )
                            }
                            _ => crate::text::OutputStyle::default(),
                        };
                        (r, extra)
                    })
                    .await?;
                let (result, kept) = result.map_err(|e| to_pgwire(&e))?;
                match result {
                    crate::session::StatementResult::Rows(q) => {
                        let formats = if formats.len() == q.columns.len() {
                            formats
                        } else {
                            result_formats(Some(&portal.result_column_format), q.columns.len())?
                        };
                        let fields = Arc::new(wire::field_infos(&q.columns, &formats));
                        let rows = KeptDataRows {
                            kept,
                            next: 0,
                            columns: q.columns,
                            formats,
                            style: extra,
                        };
                        let mut response = QueryResponse::new(fields, stream::iter(rows));
                        response.set_command_tag(tag_command(&q.tag));
                        Ok(Response::Query(response))
                    }
                    crate::session::StatementResult::Command { tag, .. } => {
                        Ok(Response::Execution(Tag::new(&tag)))
                    }
                }
            }
            PreparedInner::Copy(copy) if copy.file.is_some() => {
                let copy = copy.clone();
                let n =
                    conn.run(move |s| run_copy_file(s, &copy)).await?.map_err(|e| to_pgwire(&e))?;
                Ok(Response::Execution(
                    Tag::new("COPY").with_rows(usize::try_from(n).unwrap_or(usize::MAX)),
                ))
            }
            PreparedInner::Copy(copy) if copy.from_stdin => {
                let target = copy.clone();
                let loader = conn
                    .run(move |s| CopyLoader::new(s, &target))
                    .await?
                    .map_err(|e| to_pgwire(&e))?;
                let columns = loader.columns();
                *conn.copy_in.lock() = Some(CopyIn::new(loader));
                let format = i8::from(is_binary(copy));
                Ok(Response::CopyIn(CopyResponse::new(format, columns, stream::empty())))
            }
            PreparedInner::Copy(copy) => {
                let copy = copy.clone();
                let binary = is_binary(&copy);
                let out =
                    conn.run(move |s| run_copy_out(s, &copy)).await?.map_err(|e| to_pgwire(&e))?;
                let mut chunks: Vec<PgWireResult<CopyData>> = Vec::with_capacity(out.rows.len());
                let mut header = out.header;
                for line in out.rows {
                    let line = match header.take() {
                        Some(mut h) => {
                            h.extend_from_slice(&line);
                            h
                        }
                        None => line,
                    };
                    chunks.push(Ok(CopyData::new(Bytes::from(line))));
                }
                if let Some(h) = header {
                    chunks.push(Ok(CopyData::new(Bytes::from(h))));
                }
                // pgwire appends the binary trailer itself.
                let format = i8::from(binary);
                Ok(Response::CopyOut(CopyResponse::new(format, out.columns, stream::iter(chunks))))
            }
        }
    }
}

/// The rows of a row-limited `Execute`, encoded as pgwire takes them from the portal.
struct KeptDataRows {
    kept: KeptRows,
    next: usize,
    columns: Vec<Column>,
    formats: Vec<FieldFormat>,
    style: crate::text::OutputStyle,
}

impl Iterator for KeptDataRows {
    type Item = PgWireResult<DataRow>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.kept.len() {
            return None;
        }
        let row = self.kept.get(self.next);
        self.next += 1;
        let encoded =
            row.and_then(|r| wire::data_row(&r, &self.columns, &self.formats, &self.style));
        Some(encoded.map_err(|e| to_pgwire(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_lose_their_count() {
        assert_eq!(tag_command("SELECT 3"), "SELECT");
        assert_eq!(tag_command("INSERT 0 3"), "INSERT 0");
        assert_eq!(tag_command("CREATE TABLE"), "CREATE TABLE");
    }

    #[test]
    fn result_formats_are_checked() {
        assert!(result_formats(Some(&Format::Individual(vec![0, 1])), 3).is_err());
        assert_eq!(
            result_formats(Some(&Format::UnifiedBinary), 2).unwrap(),
            vec![FieldFormat::Binary; 2]
        );
        assert_eq!(result_formats(None, 1).unwrap(), vec![FieldFormat::Text]);
    }
}
