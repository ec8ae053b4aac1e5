//! Wire-protocol behaviour against an in-process server over a test-only echo session
//! (tests/common/echo.rs), so these tests do not depend on the SQL engine: startup,
//! simple and extended queries, text and binary formats of every type, row limits,
//! transaction status, errors, malformed messages, concurrency, cancel, auth and COPY.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::echo::EchoFactory;
use common::raw::{
    bind_msg, cstr, describe_msg, execute_msg, message, parse_msg, startup_packet, sync_msg,
    text_rows, Raw,
};
use common::{connect, connect_with, start};
use futures::{SinkExt, StreamExt};
use helios_server::{AuthMethod, ServerConfig};
use tokio_postgres::error::SqlState as PgState;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

/// Number of rows a simple query returned.
async fn rows(client: &tokio_postgres::Client, sql: &str) -> usize {
    let msgs = client.simple_query(sql).await.expect("simple query");
    msgs.iter().filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_))).count()
}

async fn echo_server() -> common::TestServer {
    start(ServerConfig::default(), Arc::new(EchoFactory::default())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_reports_parameters_and_key_data() {
    let server = echo_server().await;
    let (_raw, msgs) = Raw::login(server.addr).await;
    let params: Vec<(String, String)> = msgs
        .iter()
        .filter(|m| m.tag == b'S')
        .map(|m| {
            let mut parts =
                m.body.split(|b| *b == 0).map(|p| String::from_utf8_lossy(p).into_owned());
            (parts.next().unwrap(), parts.next().unwrap())
        })
        .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("server_version"), Some("15.0"));
    assert_eq!(get("server_encoding"), Some("UTF8"));
    assert_eq!(get("client_encoding"), Some("UTF8"));
    assert_eq!(get("DateStyle"), Some("ISO, MDY"));
    assert_eq!(get("integer_datetimes"), Some("on"));
    assert_eq!(get("standard_conforming_strings"), Some("on"));
    assert!(get("TimeZone").is_some());
    assert!(msgs.iter().any(|m| m.tag == b'K'), "BackendKeyData");
    assert_eq!(msgs.last().unwrap().body, b"I");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_query_tags_errors_and_transaction_status() {
    let server = echo_server().await;
    let (mut raw, _) = Raw::login(server.addr).await;

    let (msgs, status) = raw.query("select 1; select 2").await;
    assert_eq!(text_rows(&msgs), vec![vec![Some("1".into())], vec![Some("2".into())]]);
    let tags: Vec<_> = msgs.iter().filter(|m| m.tag == b'C').map(|m| m.body.clone()).collect();
    assert_eq!(tags, vec![b"SELECT 1\0".to_vec(), b"SELECT 1\0".to_vec()]);
    assert_eq!(msgs.iter().filter(|m| m.tag == b'T').count(), 2, "one RowDescription per result");
    assert_eq!(status, b'I');

    let (msgs, status) = raw.query("  ;  ").await;
    assert_eq!(msgs[0].tag, b'I', "EmptyQueryResponse");
    assert_eq!(status, b'I');

    let (msgs, status) = raw.query("select 1; bogus; select 3").await;
    assert_eq!(
        text_rows(&msgs),
        vec![vec![Some("1".into())]],
        "statements after an error do not run"
    );
    let err = msgs.iter().find(|m| m.tag == b'E').expect("ErrorResponse");
    assert_eq!(err.field(b'C').as_deref(), Some("42601"));
    assert_eq!(err.field(b'S').as_deref(), Some("ERROR"));
    assert_eq!(err.field(b'M').as_deref(), Some("syntax error at or near \"bogus\""));
    assert_eq!(err.field(b'P').as_deref(), Some("1"));
    assert!(err.field(b'H').is_some());
    assert_eq!(status, b'I');

    assert_eq!(raw.query("begin").await.1, b'T');
    assert_eq!(raw.query("select 5").await.1, b'T');
    assert_eq!(raw.query("oops").await.1, b'E');
    let (msgs, status) = raw.query("select 1").await;
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("25P02"));
    assert_eq!(status, b'E');
    let (msgs, status) = raw.query("rollback").await;
    assert_eq!(msgs[0].body, b"ROLLBACK\0");
    assert_eq!(status, b'I');
}

/// Raw bytes in both directions: what we send is exactly PostgreSQL's binary format and
/// what comes back is what the server encoded.
#[derive(Debug, PartialEq)]
struct RawBytes(Vec<u8>);

impl ToSql for RawBytes {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

impl<'a> FromSql<'a> for RawBytes {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawBytes(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_round_trip_of_every_type() {
    let server = echo_server().await;
    let client = connect(&server).await;
    let cases: Vec<(Type, Vec<u8>)> = vec![
        (Type::BOOL, vec![1]),
        (Type::INT2, vec![0xff, 0xfe]),
        (Type::INT4, vec![0, 0, 1, 2]),
        (Type::INT8, vec![0x80, 0, 0, 0, 0, 0, 0, 1]),
        (Type::FLOAT4, 1.5f32.to_be_bytes().to_vec()),
        (Type::FLOAT8, (-2.25f64).to_be_bytes().to_vec()),
        // numeric_send(12345.678)
        (Type::NUMERIC, vec![0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]),
        // numeric_send(-0.0001)
        (Type::NUMERIC, vec![0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1]),
        (Type::TEXT, "héllo".as_bytes().to_vec()),
        (Type::VARCHAR, b"abc".to_vec()),
        (Type::BPCHAR, b"ab ".to_vec()),
        (Type::BYTEA, vec![0, 1, 255]),
        (Type::DATE, (-1i32).to_be_bytes().to_vec()),
        (Type::TIME, 3_600_000_000i64.to_be_bytes().to_vec()),
        // timetz_send('01:00:00-08'): microseconds, then seconds west of UTC.
        (
            Type::TIMETZ,
            [3_600_000_000i64.to_be_bytes().to_vec(), 28_800i32.to_be_bytes().to_vec()].concat(),
        ),
        (Type::TIMESTAMP, 757_382_400_000_000i64.to_be_bytes().to_vec()),
        (Type::TIMESTAMPTZ, (-1i64).to_be_bytes().to_vec()),
        (
            Type::INTERVAL,
            [5i64.to_be_bytes().to_vec(), 3i32.to_be_bytes().to_vec(), 2i32.to_be_bytes().to_vec()]
                .concat(),
        ),
        (Type::UUID, (0u8..16).collect()),
        // inet_send('192.168.1.5/24'): family (2 = IPv4), bits, is_cidr, length, address.
        (Type::INET, vec![2, 24, 0, 4, 192, 168, 1, 5]),
        (Type::INET, [vec![3, 128, 0, 16], vec![0; 15], vec![1]].concat()),
        (Type::CIDR, vec![2, 8, 1, 4, 10, 0, 0, 0]),
        (Type::MACADDR, vec![8, 0, 0x2b, 1, 2, 3]),
        // inet[] {1.2.3.4}
        (
            Type::INET_ARRAY,
            vec![
                0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x65, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 8, 2, 32,
                0, 4, 1, 2, 3, 4,
            ],
        ),
        (Type::JSON, br#"{"a":[1,2]}"#.to_vec()),
        (Type::JSONB, b"\x01{\"a\":[1,2]}".to_vec()),
        // int4[] {1,NULL}
        (
            Type::INT4_ARRAY,
            vec![
                0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0,
                1, 0xff, 0xff, 0xff, 0xff,
            ],
        ),
        // text[] {} (empty)
        (Type::TEXT_ARRAY, vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]),
    ];
    for (ty, bytes) in cases {
        let stmt = client.prepare_typed("select $1", std::slice::from_ref(&ty)).await.unwrap();
        assert_eq!(stmt.params(), std::slice::from_ref(&ty));
        assert_eq!(stmt.columns()[0].type_(), &ty, "described result type");
        let row = client.query_one(&stmt, &[&RawBytes(bytes.clone())]).await.unwrap();
        assert_eq!(row.get::<_, RawBytes>(0), RawBytes(bytes), "{ty}");
    }
    // And through the driver's own typed conversions.
    let stmt = client
        .prepare_typed("select $1, $2, $3", &[Type::INT8, Type::TEXT, Type::FLOAT8_ARRAY])
        .await
        .unwrap();
    let row = client.query_one(&stmt, &[&42i64, &"x", &vec![1.5f64, -0.0]]).await.unwrap();
    assert_eq!(row.get::<_, i64>(0), 42);
    assert_eq!(row.get::<_, &str>(1), "x");
    assert_eq!(row.get::<_, Vec<f64>>(2), vec![1.5, -0.0]);
    // A NULL parameter comes back NULL.
    let stmt = client.prepare_typed("select $1", &[Type::INT4]).await.unwrap();
    let row = client.query_one(&stmt, &[&None::<i32>]).await.unwrap();
    assert_eq!(row.get::<_, Option<i32>>(0), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_binary_parameters_are_22p03() {
    let server = echo_server().await;
    let client = connect(&server).await;
    for (ty, bytes) in [
        (Type::INT4, vec![0u8, 1]),
        (Type::BOOL, vec![7]),
        (Type::NUMERIC, vec![0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10]),
        (Type::JSONB, vec![2, b'1']),
        (Type::TEXT, vec![0xff]),
        // A cidr with host bits set, an inet of an unknown family.
        (Type::CIDR, vec![2, 8, 1, 4, 10, 1, 0, 0]),
        (Type::INET, vec![4, 8, 0, 4, 10, 1, 0, 0]),
    ] {
        let stmt = client.prepare_typed("select $1", std::slice::from_ref(&ty)).await.unwrap();
        let err = client.query_one(&stmt, &[&RawBytes(bytes)]).await.unwrap_err();
        assert_eq!(err.code(), Some(&PgState::INVALID_BINARY_REPRESENTATION), "{ty}");
    }
    // The connection is still fine.
    assert_eq!(rows(&client, "select 7").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_text_formats_named_statements_and_describe() {
    let server = echo_server().await;
    let (mut raw, _) = Raw::login(server.addr).await;
    // Named statement, int4 and date parameters in text; results: int4 binary, date text.
    let mut batch = parse_msg("s1", "select $1, $2", &[23, 1082]);
    batch.extend(describe_msg(b'S', "s1"));
    batch.extend(bind_msg("p1", "s1", &[0], &[Some(b"42"), Some(b"2024-01-02")], &[1, 0]));
    batch.extend(describe_msg(b'P', "p1"));
    batch.extend(execute_msg("p1", 0));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.unwrap();
    let tags: Vec<u8> = msgs.iter().map(|m| m.tag).collect();
    // ParseComplete, ParameterDescription, RowDescription, BindComplete, RowDescription, DataRow, CommandComplete, ReadyForQuery
    assert_eq!(tags, b"1tT2TDCZ".to_vec());
    let pd = &msgs[1].body;
    assert_eq!(pd[..2], [0, 2]);
    assert_eq!(u32::from_be_bytes([pd[2], pd[3], pd[4], pd[5]]), 23);
    assert_eq!(u32::from_be_bytes([pd[6], pd[7], pd[8], pd[9]]), 1082);
    let row = &msgs[5].body;
    assert_eq!(row[2..10], [0, 0, 0, 4, 0, 0, 0, 42], "int4 in binary");
    assert_eq!(&row[14..], b"2024-01-02", "date in text");
    assert_eq!(msgs[6].body, b"SELECT 1\0");

    // Bad text input for a typed parameter: 22P02 at Bind, then everything up to Sync
    // is skipped.
    let mut batch = bind_msg("", "s1", &[], &[Some(b"x"), Some(b"2024-01-02")], &[]);
    batch.extend(execute_msg("", 0));
    batch.extend(parse_msg("", "select 1", &[])); // skipped
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.unwrap();
    let tags: Vec<u8> = msgs.iter().map(|m| m.tag).collect();
    assert_eq!(tags, b"EZ".to_vec());
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("22P02"));

    // Close the statement: binding it afterwards fails.
    let mut batch = message(b'C', &[b"S".as_slice(), &cstr("s1")].concat());
    batch.extend(bind_msg("", "s1", &[], &[Some(b"1"), Some(b"2024-01-02")], &[]));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.unwrap();
    assert_eq!(msgs[0].tag, b'3', "CloseComplete");
    assert_eq!(msgs[1].tag, b'E');
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_row_limits_suspend_the_portal() {
    let factory = Arc::new(EchoFactory::default());
    for i in 0..5 {
        factory
            .table
            .lock()
            .push(vec![helios_types::Value::Int4(i), helios_types::Value::Text(format!("r{i}"))]);
    }
    let server = start(ServerConfig::default(), factory).await;
    let (mut raw, _) = Raw::login(server.addr).await;
    let mut batch = parse_msg("", "select * from t", &[]);
    batch.extend(bind_msg("cur", "", &[], &[], &[]));
    batch.extend(execute_msg("cur", 2));
    batch.extend(execute_msg("cur", 2));
    batch.extend(execute_msg("cur", 2));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.unwrap();
    let tags: Vec<u8> = msgs.iter().map(|m| m.tag).collect();
    assert_eq!(tags, b"12DDsDDsDCZ".to_vec());
    let rows = text_rows(&msgs);
    assert_eq!(
        rows.iter().map(|r| r[1].clone().unwrap()).collect::<Vec<_>>(),
        ["r0", "r1", "r2", "r3", "r4"]
    );

    // tokio-postgres portals use the same path.
    let mut client = connect(&server).await;
    let tx = client.transaction().await.unwrap();
    let stmt = tx.prepare("select * from t").await.unwrap();
    let portal = tx.bind(&stmt, &[]).await.unwrap();
    let first = tx.query_portal(&portal, 3).await.unwrap();
    let rest = tx.query_portal(&portal, 3).await.unwrap();
    assert_eq!((first.len(), rest.len()), (3, 2));
    assert_eq!(rest[1].get::<_, &str>(1), "r4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_fail_only_their_connection() {
    let server = echo_server().await;
    let (mut healthy, _) = Raw::login(server.addr).await;

    // Garbage instead of a startup packet: the server closes that connection.
    let mut bad = Raw::connect(server.addr).await;
    bad.send(&[0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef]).await;
    assert!(bad.until_ready().await.is_none() || bad.read().await.is_none());

    // A startup packet claiming an absurd length.
    let mut bad = Raw::connect(server.addr).await;
    bad.send(&[0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0]).await;
    assert!(bad.until_ready().await.is_none());

    // A message whose length field is smaller than its own header: answered with an
    // error, an empty-query response, or a hang-up; never a crash.
    let (mut bad, _) = Raw::login(server.addr).await;
    bad.send(&[b'Q', 0, 0, 0, 2]).await;
    let reply = bad.read().await;
    assert!(
        reply.is_none() || reply.as_ref().is_some_and(|m| matches!(m.tag, b'E' | b'I')),
        "{reply:?}"
    );

    // An oversized message (1.9 GB claimed).
    let (mut bad, _) = Raw::login(server.addr).await;
    bad.send(&[b'Q', 0x70, 0, 0, 0, b's']).await;
    let reply = bad.read().await;
    assert!(reply.is_none() || reply.as_ref().is_some_and(|m| m.tag == b'E'), "{reply:?}");

    // An unknown message type.
    let (mut bad, _) = Raw::login(server.addr).await;
    bad.send(&message(b'!', b"")).await;
    let reply = bad.read().await;
    assert!(reply.is_none() || reply.as_ref().is_some_and(|m| m.tag == b'E'), "{reply:?}");

    // A truncated message followed by a hang-up.
    let (mut bad, _) = Raw::login(server.addr).await;
    bad.send(&[b'Q', 0, 0, 0, 100, b's', b'e']).await;
    drop(bad);

    // A Parse with an unknown type OID: an ordinary error, the connection goes on.
    let (mut raw, _) = Raw::login(server.addr).await;
    let mut batch = parse_msg("", "select $1", &[99_999]);
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.unwrap();
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("42704"));
    assert_eq!(msgs[0].field(b'M').as_deref(), Some("type with OID 99999 does not exist"));

    // Bind with the wrong number of parameters / result formats: 08P01, connection goes on.
    let mut batch = parse_msg("s", "select $1, $2", &[23, 23]);
    batch.extend(bind_msg("", "s", &[], &[Some(b"1")], &[]));
    batch.extend(sync_msg());
    batch.extend(bind_msg("", "s", &[], &[Some(b"1"), Some(b"2")], &[0, 1, 0]));
    batch.extend(execute_msg("", 0));
    batch.extend(sync_msg());
    batch.extend(bind_msg("", "s", &[0, 0, 0], &[Some(b"1"), Some(b"2")], &[]));
    batch.extend(execute_msg("", 0));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    for _ in 0..3 {
        let msgs = raw.until_ready().await.unwrap();
        let err = msgs.iter().find(|m| m.tag == b'E').expect("error");
        assert_eq!(err.field(b'C').as_deref(), Some("08P01"), "{:?}", err.field(b'M'));
    }
    assert_eq!(text_rows(&raw.query("select 9").await.0), vec![vec![Some("9".into())]]);

    // Everyone else is still served.
    assert_eq!(text_rows(&healthy.query("select 3").await.0), vec![vec![Some("3".into())]]);
    let client = connect(&server).await;
    assert_eq!(rows(&client, "select 4").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connections_have_their_own_sessions() {
    let server = echo_server().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let (mut raw, _) = Raw::login(addr).await;
            assert_eq!(raw.query("begin").await.1, b'T');
            if i % 2 == 0 {
                assert_eq!(raw.query("broken").await.1, b'E');
            }
            for _ in 0..5 {
                let (msgs, status) = raw.query(&format!("select {i}")).await;
                if i % 2 == 0 {
                    assert_eq!(status, b'E');
                } else {
                    assert_eq!(text_rows(&msgs), vec![vec![Some(i.to_string())]]);
                    assert_eq!(status, b'T');
                }
                tokio::task::yield_now().await;
            }
            assert_eq!(raw.query("commit").await.1, b'I');
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_request_stops_the_running_statement() {
    let server = echo_server().await;
    let client = connect(&server).await;
    let other = connect(&server).await;
    let token = client.cancel_token();
    let running = tokio::spawn(async move { client.simple_query("sleep").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another connection is not blocked by the sleeping one.
    assert_eq!(rows(&other, "select 1").await, 1);
    token.cancel_query(tokio_postgres::NoTls).await.unwrap();
    let err =
        tokio::time::timeout(Duration::from_secs(5), running).await.unwrap().unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&PgState::QUERY_CANCELED));

    // A cancel request with a wrong key does nothing and the server keeps going.
    let mut bogus = Raw::connect(server.addr).await;
    let mut req = 16u32.to_be_bytes().to_vec();
    req.extend(80_877_102u32.to_be_bytes());
    req.extend(12_345i32.to_be_bytes());
    req.extend(1i32.to_be_bytes());
    bogus.send(&req).await;
    assert!(bogus.read().await.is_none(), "cancel connections are closed without a reply");
    assert_eq!(rows(&other, "select 2").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_authentication_methods() {
    for method in [AuthMethod::Password, AuthMethod::Md5, AuthMethod::ScramSha256] {
        let config = ServerConfig {
            auth: method,
            password: Some("s3cret".into()),
            ..ServerConfig::default()
        };
        let server = start(config, Arc::new(EchoFactory::default())).await;
        let client = connect_with(&server, "alice", Some("s3cret")).await.expect("right password");
        assert_eq!(rows(&client, "select 1").await, 1, "{method:?}");
        let err =
            connect_with(&server, "alice", Some("wrong")).await.expect_err("wrong password fails");
        assert_eq!(err.code(), Some(&PgState::INVALID_PASSWORD), "{method:?}");
        let db = err.as_db_error().expect("server error");
        assert_eq!(db.message(), "password authentication failed for user \"alice\"");
        assert_eq!(db.severity(), "FATAL");
        assert!(connect_with(&server, "alice", None).await.is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_options_and_unknown_roles() {
    let server = echo_server().await;
    let mut cfg = tokio_postgres::Config::new();
    cfg.host("127.0.0.1").port(server.addr.port()).user("tester").options("-c bogus=1");
    let Err(err) = cfg.connect(tokio_postgres::NoTls).await else { panic!("bad setting accepted") };
    assert_eq!(err.code(), Some(&PgState::UNDEFINED_OBJECT));
    cfg.options("-c search_path=app,public");
    assert!(cfg.connect(tokio_postgres::NoTls).await.is_ok());
    let err = connect_with(&server, "nobody", None).await.expect_err("unknown role");
    assert_eq!(err.code(), Some(&PgState::INVALID_AUTHORIZATION_SPECIFICATION));
    // Startup without a user name.
    let mut raw = Raw::connect(server.addr).await;
    let mut body = 196_608u32.to_be_bytes().to_vec();
    body.extend(cstr("database"));
    body.extend(cstr("x"));
    body.push(0);
    let mut packet = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    packet.extend(body);
    raw.send(&packet).await;
    let m = raw.read().await.expect("error");
    assert_eq!(m.tag, b'E');
    assert_eq!(m.field(b'C').as_deref(), Some("28000"));
    let _ = startup_packet;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_in_and_out_through_both_protocols() {
    let factory = Arc::new(EchoFactory::default());
    let server = start(ServerConfig::default(), factory.clone()).await;
    let client = connect(&server).await;

    // Extended protocol (tokio-postgres), CSV with a header.
    let sink = client.copy_in::<_, Bytes>("COPY t FROM STDIN (FORMAT csv, HEADER)").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(Bytes::from_static(b"a,b\n1,\"x, y\"\n2,\n")).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);

    // Simple protocol (raw), text format.
    let (mut raw, _) = Raw::login(server.addr).await;
    raw.send(&message(b'Q', &cstr("COPY t (a, b) FROM STDIN"))).await;
    let m = raw.read().await.unwrap();
    assert_eq!(m.tag, b'G', "CopyInResponse");
    raw.send(&message(b'd', b"3\tline\\nbreak\n")).await;
    raw.send(&message(b'd', b"4\t\\N\n")).await;
    raw.send(&message(b'c', b"")).await;
    let msgs = raw.until_ready().await.unwrap();
    assert_eq!(msgs[0].body, b"COPY 2\0");
    assert_eq!(msgs.last().unwrap().body, b"I");

    // Bad data: nothing inserted, error with the line number.
    raw.send(&message(b'Q', &cstr("COPY t FROM STDIN"))).await;
    assert_eq!(raw.read().await.unwrap().tag, b'G');
    raw.send(&message(b'd', b"5\tok\nnotanint\tx\n")).await;
    raw.send(&message(b'c', b"")).await;
    let msgs = raw.until_ready().await.unwrap();
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("22P02"));
    assert_eq!(msgs[0].field(b'D').as_deref(), Some("COPY t, line 2"));
    assert_eq!(factory.table.lock().len(), 4);

    // A row the engine rejects: the error says where.
    raw.send(&message(b'Q', &cstr("COPY t FROM STDIN"))).await;
    assert_eq!(raw.read().await.unwrap().tag, b'G');
    raw.send(&message(b'd', b"-1\trejected\n")).await;
    raw.send(&message(b'c', b"")).await;
    let msgs = raw.until_ready().await.unwrap();
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("23514"));
    assert_eq!(msgs[0].field(b'D').as_deref(), Some("COPY t, line 1"));
    assert_eq!(msgs.last().unwrap().body, b"I");

    // CopyFail from the client.
    raw.send(&message(b'Q', &cstr("COPY t FROM STDIN"))).await;
    assert_eq!(raw.read().await.unwrap().tag, b'G');
    raw.send(&message(b'f', &cstr("client gave up"))).await;
    let msgs = raw.until_ready().await.unwrap();
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("57014"));

    // COPY TO STDOUT, text and csv.
    let out: Vec<Bytes> =
        client.copy_out("COPY t TO STDOUT").await.unwrap().map(|r| r.unwrap()).collect().await;
    assert_eq!(out.concat(), b"1\tx, y\n2\t\\N\n3\tline\\nbreak\n4\t\\N\n");
    let (msgs, status) = raw.query("COPY t TO STDOUT WITH (FORMAT csv, HEADER)").await;
    assert_eq!(msgs[0].tag, b'H', "CopyOutResponse");
    let data: Vec<u8> =
        msgs.iter().filter(|m| m.tag == b'd').flat_map(|m| m.body.clone()).collect();
    assert_eq!(String::from_utf8(data).unwrap(), "a,b\n1,\"x, y\"\n2,\n3,\"line\nbreak\"\n4,\n");
    assert!(msgs.iter().any(|m| m.tag == b'C' && m.body == b"COPY 4\0"));
    assert_eq!(status, b'I');

    // COPY with a program is refused; a relative path for COPY TO too (server files
    // are tested in catalog.rs).
    let (msgs, _) = raw.query("COPY t TO PROGRAM 'cat'").await;
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("0A000"));
    let (msgs, _) = raw.query("COPY t TO 'x.data'").await;
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("42602"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_is_refused_without_certificates_and_limits_apply() {
    let config = ServerConfig { max_connections: 2, ..ServerConfig::default() };
    let server = start(config, Arc::new(EchoFactory::default())).await;
    // SSLRequest without TLS configured: 'N', then a plain startup works.
    let mut raw = Raw::connect(server.addr).await;
    let mut req = 8u32.to_be_bytes().to_vec();
    req.extend(80_877_103u32.to_be_bytes());
    raw.send(&req).await;
    let mut answer = [0u8; 1];
    tokio::io::AsyncReadExt::read_exact(&mut raw.stream, &mut answer).await.unwrap();
    assert_eq!(&answer, b"N");
    raw.send(&startup_packet("x")).await;
    assert!(raw.until_ready().await.is_some());

    // Second connection fits, the third is refused with 53300.
    let (_second, _) = Raw::login(server.addr).await;
    let mut third = Raw::connect(server.addr).await;
    third.send(&startup_packet("x")).await;
    let m = third.read().await.expect("an error, not silence");
    assert_eq!(m.tag, b'E');
    assert_eq!(m.field(b'C').as_deref(), Some("53300"));
    drop(raw);
    // A slot frees up when a connection ends.
    let mut ok = false;
    for _ in 0..50 {
        let mut again = Raw::connect(server.addr).await;
        again.send(&startup_packet("x")).await;
        if again.until_ready().await.is_some() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "slot was not released");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_serves_clients() {
    let dir = std::env::temp_dir().join(format!("helios-sock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = ServerConfig { socket_dir: Some(dir.clone()), ..ServerConfig::default() };
    let server = start(config, Arc::new(EchoFactory::default())).await;
    let mut cfg = tokio_postgres::Config::new();
    cfg.host_path(&dir).port(server.addr.port()).user("tester");
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.expect("unix socket connect");
    tokio::spawn(conn);
    assert_eq!(rows(&client, "select 6").await, 1);
    drop(client);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
