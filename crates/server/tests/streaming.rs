//! Results stream to the client while their statement runs, as in PostgreSQL.
//!
//! The queries here return thousands of rows and then wait, at their last row, for an
//! advisory lock that another session holds: the client must have the RowDescription
//! and the first rows (or the CopyOutResponse and the first CopyData) while the
//! statement cannot have finished yet. Releasing the lock lets it end normally. No
//! timing is measured: a server that collected the result first would never send the
//! rows while the lock is held, and the reads would fail.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use common::raw::{bind_msg, describe_msg, execute_msg, parse_msg, sync_msg, text_rows, Raw};
use common::{connect, start};
use futures::{pin_mut, StreamExt};
use helios_server::nano::NanoFactory;
use helios_server::ServerConfig;
use heliosdb_nano::Database;
use tokio_postgres::error::SqlState as PgState;

/// Rows of each blocking query; with their padding, several times the server's flush
/// threshold (64 KiB) before the row that waits.
const ROWS: usize = 5000;

async fn db_server() -> common::TestServer {
    let db = Database::open_in_memory().expect("open in memory");
    start(ServerConfig::default(), Arc::new(NanoFactory::new(db))).await
}

/// A query of `ROWS` rows whose last row waits for advisory lock 42.
fn blocking_query() -> String {
    format!(
        "SELECT g, repeat('x', 100) AS pad, \
         CASE WHEN g = {ROWS} THEN pg_advisory_lock(42)::text END AS waited \
         FROM generate_series(1, {ROWS}) g"
    )
}

/// A session that holds advisory lock 42 until `release`.
struct Holder(Raw);

impl Holder {
    async fn take(server: &common::TestServer) -> Holder {
        let (mut raw, _) = Raw::login(server.addr).await;
        let (msgs, _) = raw.query("SELECT pg_advisory_lock(42)").await;
        assert!(msgs.iter().all(|m| m.tag != b'E'), "the lock is taken");
        Holder(raw)
    }

    async fn release(mut self) {
        let (msgs, _) = self.0.query("SELECT pg_advisory_unlock(42)").await;
        assert_eq!(text_rows(&msgs), vec![vec![Some("t".to_owned())]]);
    }
}

/// `f`, or a test failure when it never completes (a server that does not stream would
/// keep a driver waiting for ever).
async fn eventually<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f).await.expect("the server streams")
}

fn tag(m: &common::raw::Msg) -> String {
    String::from_utf8_lossy(&m.body).trim_end_matches('\0').to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_query_rows_arrive_while_the_statement_runs() {
    let server = db_server().await;
    let holder = Holder::take(&server).await;
    let (mut b, _) = Raw::login(server.addr).await;
    b.send(&common::raw::message(b'Q', &common::raw::cstr(&blocking_query()))).await;
    // The statement waits at its last row: these come from a statement still running.
    let first = b.read().await.expect("RowDescription while the statement runs");
    assert_eq!(first.tag, b'T');
    let mut early = Vec::new();
    for _ in 0..1000 {
        early.push(b.read().await.expect("DataRow while the statement runs"));
    }
    assert!(early.iter().all(|m| m.tag == b'D'));
    assert_eq!(text_rows(&early)[0][0].as_deref(), Some("1"));
    assert_eq!(text_rows(&early)[999][0].as_deref(), Some("1000"));

    holder.release().await;
    let rest = b.until_ready().await.expect("the statement ends");
    assert_eq!(text_rows(&early).len() + text_rows(&rest).len(), ROWS);
    let complete = rest.iter().find(|m| m.tag == b'C').expect("CommandComplete");
    assert_eq!(tag(complete), format!("SELECT {ROWS}"));
    assert_eq!(rest.last().map(|m| m.body[0]), Some(b'I'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_stdout_data_arrives_while_the_statement_runs() {
    let server = db_server().await;
    let holder = Holder::take(&server).await;
    let (mut b, _) = Raw::login(server.addr).await;
    let copy = format!("COPY ({}) TO STDOUT", blocking_query());
    b.send(&common::raw::message(b'Q', &common::raw::cstr(&copy))).await;
    let first = b.read().await.expect("CopyOutResponse while the statement runs");
    assert_eq!(first.tag, b'H');
    let mut early = Vec::new();
    for _ in 0..1000 {
        early.push(b.read().await.expect("CopyData while the statement runs"));
    }
    assert!(early.iter().all(|m| m.tag == b'd'));
    assert!(early[0].body.starts_with(b"1\txxx"), "{:?}", String::from_utf8_lossy(&early[0].body));

    holder.release().await;
    let rest = b.until_ready().await.expect("the COPY ends");
    let data = early.len() + rest.iter().filter(|m| m.tag == b'd').count();
    assert_eq!(data, ROWS);
    let tags: Vec<u8> = rest.iter().filter(|m| m.tag != b'd').map(|m| m.tag).collect();
    assert_eq!(tags, [b'c', b'C', b'Z']);
    let complete = rest.iter().find(|m| m.tag == b'C').expect("CommandComplete");
    assert_eq!(tag(complete), format!("COPY {ROWS}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_query_rows_arrive_while_the_statement_runs() {
    let server = db_server().await;
    let holder = Holder::take(&server).await;
    let (mut b, _) = Raw::login(server.addr).await;
    let mut batch = parse_msg("", &blocking_query(), &[]);
    // g in binary, the other columns in text.
    batch.extend(bind_msg("", "", &[], &[], &[1, 0, 0]));
    batch.extend(describe_msg(b'P', ""));
    batch.extend(execute_msg("", 0));
    batch.extend(sync_msg());
    b.send(&batch).await;
    let head: Vec<u8> = [b.read().await, b.read().await, b.read().await]
        .into_iter()
        .map(|m| m.expect("ParseComplete, BindComplete, RowDescription").tag)
        .collect();
    assert_eq!(head, [b'1', b'2', b'T']);
    let first = b.read().await.expect("DataRow while the statement runs");
    assert_eq!(first.tag, b'D');
    // One binary int4 column first: length 4, then 1.
    assert_eq!(&first.body[2..10], &[0, 0, 0, 4, 0, 0, 0, 1]);
    for _ in 1..1000 {
        assert_eq!(b.read().await.expect("DataRow while the statement runs").tag, b'D');
    }

    holder.release().await;
    let rest = b.until_ready().await.expect("the statement ends");
    assert_eq!(1000 + rest.iter().filter(|m| m.tag == b'D').count(), ROWS);
    let complete = rest.iter().find(|m| m.tag == b'C').expect("CommandComplete");
    assert_eq!(tag(complete), format!("SELECT {ROWS}"));
    assert_eq!(rest.last().map(|m| m.body[0]), Some(b'I'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_reads_streamed_rows_and_copy_data_before_the_end() {
    let server = db_server().await;
    let holder = Holder::take(&server).await;
    let client = connect(&server).await;
    let rows = eventually(client.query_raw(&blocking_query(), Vec::<i32>::new()))
        .await
        .expect("query starts");
    pin_mut!(rows);
    for i in 1..=1000 {
        let row = eventually(rows.next()).await.expect("a row while the statement runs");
        let row = row.expect("row");
        assert_eq!(row.get::<_, i32>(0), i);
    }
    holder.release().await;
    let mut n = 1000;
    while let Some(row) = rows.next().await {
        row.expect("row");
        n += 1;
    }
    assert_eq!(n, ROWS);
    // The query's last row took the lock for this session.
    let unlocked = client.query_one("SELECT pg_advisory_unlock(42)", &[]).await.expect("unlock");
    assert!(unlocked.get::<_, bool>(0));

    let holder = Holder::take(&server).await;
    let copy = eventually(client.copy_out(&format!("COPY ({}) TO STDOUT", blocking_query())))
        .await
        .expect("CopyOutResponse while the statement runs");
    pin_mut!(copy);
    let first = eventually(copy.next()).await.expect("CopyData while the statement runs");
    let first = first.expect("data");
    assert!(first.starts_with(b"1\t"));
    holder.release().await;
    let mut n = 1;
    while let Some(data) = copy.next().await {
        data.expect("data");
        n += 1;
    }
    assert_eq!(n, ROWS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_interrupts_a_query_that_is_streaming() {
    let server = db_server().await;
    let holder = Holder::take(&server).await;
    let client = connect(&server).await;
    let token = client.cancel_token();
    let rows = eventually(client.query_raw(&blocking_query(), Vec::<i32>::new()))
        .await
        .expect("query starts");
    pin_mut!(rows);
    for _ in 0..1000 {
        eventually(rows.next()).await.expect("a row while the statement runs").expect("row");
    }
    token.cancel_query(tokio_postgres::NoTls).await.expect("cancel request");
    let mut error = None;
    while let Some(row) = rows.next().await {
        if let Err(e) = row {
            error = Some(e);
            break;
        }
    }
    let error = error.expect("the statement fails");
    assert_eq!(error.code(), Some(&PgState::QUERY_CANCELED));
    // The connection goes on; the lock was never taken.
    let after = client.query_one("SELECT pg_try_advisory_lock(42)", &[]).await.expect("query");
    assert!(!after.get::<_, bool>(0));
    holder.release().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_after_streamed_rows_ends_with_error_response_and_aborts_the_block() {
    let server = db_server().await;
    let (mut raw, _) = Raw::login(server.addr).await;
    assert_eq!(raw.query("BEGIN").await.1, b'T');
    let (msgs, status) = raw
        .query("SELECT g, repeat('x', 100), 1 / (g - 4000) FROM generate_series(1, 6000) g")
        .await;
    assert_eq!(msgs[0].tag, b'T');
    let rows = text_rows(&msgs);
    assert_eq!(rows.len(), 3999, "the rows before the failing one");
    assert_eq!(rows[3998][0].as_deref(), Some("3999"));
    let tags: Vec<u8> = msgs.iter().filter(|m| m.tag != b'D').map(|m| m.tag).collect();
    assert_eq!(tags, [b'T', b'E', b'Z']);
    let error = msgs.iter().find(|m| m.tag == b'E').expect("ErrorResponse");
    assert_eq!(error.field(b'C').as_deref(), Some("22012"));
    assert_eq!(status, b'E', "the block is aborted");
    let (msgs, status) = raw.query("SELECT 1").await;
    let error = msgs.iter().find(|m| m.tag == b'E').expect("ErrorResponse");
    assert_eq!(error.field(b'C').as_deref(), Some("25P02"));
    assert_eq!(status, b'E');
    assert_eq!(raw.query("ROLLBACK").await.1, b'I');

    // The same midway failure in the extended protocol and in COPY TO STDOUT.
    let failing = "SELECT g, repeat('x', 100), 1 / (g - 4000) FROM generate_series(1, 6000) g";
    let mut batch = parse_msg("", failing, &[]);
    batch.extend(bind_msg("", "", &[], &[], &[]));
    batch.extend(execute_msg("", 0));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.expect("response");
    assert_eq!(text_rows(&msgs).len(), 3999);
    let tags: Vec<u8> = msgs.iter().filter(|m| m.tag != b'D').map(|m| m.tag).collect();
    assert_eq!(tags, [b'1', b'2', b'E', b'Z']);

    let (msgs, status) = raw.query(&format!("COPY ({failing}) TO STDOUT")).await;
    assert_eq!(msgs.iter().filter(|m| m.tag == b'd').count(), 3999);
    let tags: Vec<u8> = msgs.iter().filter(|m| m.tag != b'd').map(|m| m.tag).collect();
    assert_eq!(tags, [b'H', b'E', b'Z']);
    assert_eq!(status, b'I');
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_limit_still_suspends_the_portal() {
    let server = db_server().await;
    let (mut raw, _) = Raw::login(server.addr).await;
    let mut batch = parse_msg("", "SELECT g FROM generate_series(1, 5) g", &[]);
    batch.extend(bind_msg("", "", &[], &[], &[]));
    batch.extend(execute_msg("", 2));
    batch.extend(execute_msg("", 2));
    batch.extend(execute_msg("", 0));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.expect("response");
    let tags: Vec<u8> = msgs.iter().map(|m| m.tag).collect();
    assert_eq!(tags, [b'1', b'2', b'D', b'D', b's', b'D', b'D', b's', b'D', b'C', b'Z']);
    let values: Vec<String> = text_rows(&msgs).into_iter().filter_map(|r| r[0].clone()).collect();
    assert_eq!(values, ["1", "2", "3", "4", "5"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_portal_returns_no_more_rows() {
    let server = db_server().await;
    let (mut raw, _) = Raw::login(server.addr).await;
    let mut batch = parse_msg("", "SELECT g FROM generate_series(1, 3) g", &[]);
    batch.extend(bind_msg("", "", &[], &[], &[]));
    batch.extend(execute_msg("", 0));
    batch.extend(execute_msg("", 0));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.expect("response");
    let tags: Vec<u8> = msgs.iter().map(|m| m.tag).collect();
    assert_eq!(tags, [b'1', b'2', b'D', b'D', b'D', b'C', b'C', b'Z']);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_of_one_query_string_stream_in_order_with_their_settings() {
    let server = db_server().await;
    let (mut raw, _) = Raw::login(server.addr).await;
    let (msgs, status) = raw
        .query(
            "SET TimeZone = 'UTC'; SELECT '2024-01-01 12:00+00'::timestamptz; \
             SET TimeZone = 'Asia/Tokyo'; SELECT '2024-01-01 12:00+00'::timestamptz; \
             SELECT g FROM generate_series(1, 3000) g",
        )
        .await;
    assert_eq!(status, b'I');
    let rows = text_rows(&msgs);
    assert_eq!(rows[0][0].as_deref(), Some("2024-01-01 12:00:00+00"));
    assert_eq!(rows[1][0].as_deref(), Some("2024-01-01 21:00:00+09"));
    assert_eq!(rows.len(), 3002);
    let tags: Vec<String> = msgs.iter().filter(|m| m.tag == b'C').map(tag).collect();
    assert_eq!(tags, ["SET", "SELECT 1", "SET", "SELECT 1", "SELECT 3000"]);
}

/// The next message, or `None` at the end of the stream; fails when neither comes.
async fn next_or_eof(raw: &mut Raw) -> Option<common::raw::Msg> {
    use tokio::io::AsyncReadExt;
    eventually(async {
        let mut head = [0u8; 5];
        raw.stream.read_exact(&mut head).await.ok()?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0; len.checked_sub(4)?];
        raw.stream.read_exact(&mut body).await.ok()?;
        Some(common::raw::Msg { tag: head[0], body })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_reaches_a_statement_waiting_for_a_client_that_does_not_read() {
    let server = db_server().await;
    let holder = Holder::take(&server).await;
    let (mut b, login) = Raw::login(server.addr).await;
    let key = login.iter().find(|m| m.tag == b'K').expect("BackendKeyData").body.clone();
    // 100 MB before the row that waits: far more than socket buffers hold.
    b.send(&common::raw::message(
        b'Q',
        &common::raw::cstr(
            "SELECT g, repeat('x', 1000), CASE WHEN g = 100000 THEN pg_advisory_lock(42) END \
             FROM generate_series(1, 100000) g",
        ),
    ))
    .await;
    // The statement runs (its first rows came); the client reads no more, so the server
    // soon waits for it to make room.
    assert_eq!(next_or_eof(&mut b).await.map(|m| m.tag), Some(b'T'));
    let mut cancel = (8 + key.len() as u32).to_be_bytes().to_vec();
    cancel.extend(80_877_102u32.to_be_bytes());
    cancel.extend(&key);
    Raw::connect(server.addr).await.send(&cancel).await;
    // Either the error follows whole messages, or (cancelled halfway through a message)
    // the connection ends; never a completed statement.
    let mut error = None;
    while let Some(m) = next_or_eof(&mut b).await {
        assert_ne!(m.tag, b'C', "the statement was cancelled");
        if m.tag == b'E' {
            error = m.field(b'C');
        }
        if m.tag == b'Z' {
            break;
        }
    }
    if let Some(code) = error {
        assert_eq!(code, "57014");
    }
    // The server goes on serving.
    holder.release().await;
    let (mut c, _) = Raw::login(server.addr).await;
    assert_eq!(text_rows(&c.query("SELECT 1").await.0), vec![vec![Some("1".to_owned())]]);
}

/// A row-limited Execute (JDBC's `fetchSize`, tokio-postgres portals) keeps the rest of
/// the result for the next one: past `work_mem` in a temporary file, not in memory. Each
/// batch holds the rows that follow the previous one, in order, in text and binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_limited_executes_read_a_large_result_kept_in_a_file() {
    let server = db_server().await;
    let mut client = connect(&server).await;
    client.batch_execute("SET work_mem = '64kB'").await.expect("set");
    let tx = client.transaction().await.expect("begin");
    let stmt = tx
        .prepare("SELECT g::int8, repeat('x', (g % 150)::int) FROM generate_series(1, 20000) g")
        .await
        .expect("prepare");
    let before = heliosdb_nano::KeptRows::spills();
    let portal = tx.bind(&stmt, &[]).await.expect("bind");
    let mut next = 1i64;
    loop {
        let batch = tx.query_portal(&portal, 777).await.expect("execute");
        if next == 1 {
            assert!(heliosdb_nano::KeptRows::spills() > before, "the rows went to a file");
        }
        for row in &batch {
            assert_eq!(row.get::<_, i64>(0), next);
            assert_eq!(row.get::<_, &str>(1).len() as i64, next % 150);
            next += 1;
        }
        if batch.len() < 777 {
            break;
        }
    }
    assert_eq!(next, 20001);
    tx.commit().await.expect("commit");
}
