//! The server over the real embedded database (heliosdb-nano, in memory): what clients
//! see end to end.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::raw::{bind_msg, execute_msg, parse_msg, sync_msg, text_rows, Raw};
use common::{connect, start};
use futures::{SinkExt, StreamExt};
use helios_server::nano::NanoFactory;
use helios_server::ServerConfig;
use heliosdb_nano::Database;
use tokio_postgres::error::SqlState as PgState;
use tokio_postgres::types::Type;
use tokio_postgres::SimpleQueryMessage;

async fn db_server() -> common::TestServer {
    let db = Database::open_in_memory().expect("open in memory");
    start(ServerConfig::default(), Arc::new(NanoFactory::new(db))).await
}

fn simple_rows(msgs: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    msgs.iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_protocol_ddl_dml_and_tags() {
    let server = db_server().await;
    let (mut raw, _) = Raw::login(server.addr).await;
    let (msgs, status) = raw
        .query("CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'a'), (2, NULL); UPDATE t SET name = 'b' WHERE id = 2; SELECT id, name FROM t ORDER BY id")
        .await;
    let tags: Vec<String> = msgs
        .iter()
        .filter(|m| m.tag == b'C')
        .map(|m| String::from_utf8_lossy(&m.body).trim_end_matches('\0').to_owned())
        .collect();
    assert_eq!(tags, ["CREATE TABLE", "INSERT 0 2", "UPDATE 1", "SELECT 2"]);
    assert_eq!(
        text_rows(&msgs),
        vec![vec![Some("1".into()), Some("a".into())], vec![Some("2".into()), Some("b".into())]]
    );
    assert_eq!(status, b'I');

    let (msgs, status) = raw.query("SELECT * FROM missing").await;
    let e = msgs.iter().find(|m| m.tag == b'E').unwrap();
    assert_eq!(e.field(b'C').as_deref(), Some("42P01"));
    assert_eq!(status, b'I');

    assert_eq!(raw.query("BEGIN").await.1, b'T');
    assert_eq!(raw.query("INSERT INTO t VALUES (3, 'c')").await.1, b'T');
    let (msgs, status) = raw.query("INSERT INTO t VALUES (1, 'dup')").await;
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("23505"));
    assert_eq!(status, b'E');
    let (msgs, _) = raw.query("SELECT 1").await;
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("25P02"));
    assert_eq!(raw.query("ROLLBACK").await.1, b'I');
    let (msgs, _) = raw.query("SELECT count(*) FROM t").await;
    assert_eq!(
        text_rows(&msgs),
        vec![vec![Some("2".into())]],
        "the failed transaction left nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_protocol_parameters_and_inference() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute("CREATE TABLE p (id int8, label text, score float8, ok bool)")
        .await
        .unwrap();
    let insert = client.prepare("INSERT INTO p VALUES ($1, $2, $3, $4)").await.unwrap();
    assert_eq!(
        insert.params(),
        &[Type::INT8, Type::TEXT, Type::FLOAT8, Type::BOOL],
        "inferred from the columns"
    );
    for i in 0..5i64 {
        let n = client
            .execute(&insert, &[&i, &format!("row{i}"), &(i as f64 / 2.0), &(i % 2 == 0)])
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
    let rows = client
        .query("SELECT id, label, score FROM p WHERE id >= $1 AND ok ORDER BY id", &[&2i64])
        .await
        .unwrap();
    let got: Vec<(i64, String, f64)> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(got, vec![(2, "row2".into(), 1.0), (4, "row4".into(), 2.0)]);
    let err = client.query("SELECT nope FROM p", &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::UNDEFINED_COLUMN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_current_of_over_the_extended_protocol() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute(
            "CREATE TABLE wc (a int4, b text); INSERT INTO wc VALUES (1, 'x'), (2, 'y'); \
             BEGIN; DECLARE c CURSOR FOR SELECT * FROM wc ORDER BY a; FETCH 2 FROM c",
        )
        .await
        .unwrap();
    // A prepared statement looks the cursor up each time it runs.
    let upd = client.prepare("UPDATE wc SET b = $1 WHERE CURRENT OF c RETURNING a").await.unwrap();
    let rows = client.query(&upd, &[&"new"]).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(), vec![2]);
    client.batch_execute("MOVE ABSOLUTE 1 IN c").await.unwrap();
    let rows = client.query(&upd, &[&"first"]).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(), vec![1]);
    let rows = client.query("SELECT b FROM wc ORDER BY a", &[]).await.unwrap();
    let got: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(got, vec!["first".to_string(), "new".to_string()]);
    let err = client.execute("DELETE FROM wc WHERE CURRENT OF nope", &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::INVALID_CURSOR_NAME));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_round_trips_in_text_and_binary() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute(
            "CREATE TABLE v (b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, t text, vc varchar(10), \
             c char(3), by bytea, d date, tm time, ts timestamp, tz timestamptz, iv interval, u uuid, j json, jb jsonb, \
             ai int4[], at text[]); \
             INSERT INTO v VALUES (true, -2, 40000, 9000000000, 1.5, -2.25, 12345.678, 'héllo', 'abc', 'ab', '\\x00ff', \
             '2024-01-02', '03:04:05.5', '2024-01-02 03:04:05', '2024-01-02 03:04:05+00', '1 year 2 mons 3 days 04:05:06', \
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": 1}', '{\"b\": [1, 2]}', '{1,NULL,3}', '{x,\"y z\"}')",
        )
        .await
        .unwrap();
    let expected = [
        "t",
        "-2",
        "40000",
        "9000000000",
        "1.5",
        "-2.25",
        "12345.678",
        "héllo",
        "abc",
        "ab ",
        "\\x00ff",
        "2024-01-02",
        "03:04:05.5",
        "2024-01-02 03:04:05",
        "2024-01-02 03:04:05+00",
        "1 year 2 mons 3 days 04:05:06",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "{\"a\": 1}",
        "{\"b\": [1, 2]}",
        "{1,NULL,3}",
        "{x,\"y z\"}",
    ];
    // Text format (simple protocol).
    let text = simple_rows(&client.simple_query("SELECT * FROM v").await.unwrap());
    assert_eq!(text[0].iter().map(|c| c.clone().unwrap()).collect::<Vec<_>>(), expected);

    // Binary format: read every column, write it back through a binary parameter, and
    // compare the re-read text: the binary send/recv pairs are inverse of each other.
    let row = client.query_one("SELECT * FROM v", &[]).await.unwrap();
    let cols = row.columns().len();
    assert_eq!(cols, expected.len());
    let raw: Vec<RawBytes> = (0..cols).map(|i| row.get::<_, RawBytes>(i)).collect();
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    let placeholders: Vec<String> = (1..=cols).map(|i| format!("${i}")).collect();
    let insert = client
        .prepare_typed(&format!("INSERT INTO v VALUES ({})", placeholders.join(", ")), &types)
        .await
        .unwrap();
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        raw.iter().map(|r| r as _).collect();
    client.execute(&insert, &params).await.unwrap();
    let text = simple_rows(&client.simple_query("SELECT * FROM v").await.unwrap());
    assert_eq!(text.len(), 2);
    assert_eq!(text[0], text[1], "binary round trip changed a value");

    // Native driver decoding of the simple types.
    let row = client
        .query_one("SELECT b, i2, i4, i8, f4, f8, t, by, ai FROM v LIMIT 1", &[])
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, i16>(1), -2);
    assert_eq!(row.get::<_, i32>(2), 40000);
    assert_eq!(row.get::<_, i64>(3), 9_000_000_000);
    assert_eq!(row.get::<_, f32>(4), 1.5);
    assert_eq!(row.get::<_, f64>(5), -2.25);
    assert_eq!(row.get::<_, &str>(6), "héllo");
    assert_eq!(row.get::<_, Vec<u8>>(7), vec![0, 255]);
    assert_eq!(row.get::<_, Vec<Option<i32>>>(8), vec![Some(1), None, Some(3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_accepts_text_parameters() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute(
            "CREATE TABLE v (b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, t text, vc varchar(10), \
             c char(3), by bytea, d date, tm time, ts timestamp, tz timestamptz, iv interval, u uuid, j json, jb jsonb, \
             ai int4[], at text[])",
        )
        .await
        .unwrap();
    let values = [
        "t",
        "-2",
        "40000",
        "9000000000",
        "1.5",
        "-2.25",
        "12345.678",
        "héllo",
        "abc",
        "ab ",
        "\\x00ff",
        "2024-01-02",
        "03:04:05.5",
        "2024-01-02 03:04:05",
        "2024-01-02 03:04:05+00",
        "1 year 2 mons 3 days 04:05:06",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "{\"a\": 1}",
        "{\"b\": [1, 2]}",
        "{1,NULL,3}",
        "{x,\"y z\"}",
    ];
    let (mut raw, _) = Raw::login(server.addr).await;
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
    let params: Vec<Option<&[u8]>> = values.iter().map(|v| Some(v.as_bytes())).collect();
    // Parameter types are inferred from the columns; every parameter is sent as text.
    let mut batch =
        parse_msg("", &format!("INSERT INTO v VALUES ({})", placeholders.join(", ")), &[]);
    batch.extend(bind_msg("", "", &[0], &params, &[]));
    batch.extend(execute_msg("", 0));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let msgs = raw.until_ready().await.unwrap();
    assert!(msgs.iter().all(|m| m.tag != b'E'), "{:?}", msgs.iter().find_map(|m| m.field(b'M')));
    // Read back in text format through the extended protocol too.
    let mut batch = parse_msg("", "SELECT * FROM v", &[]);
    batch.extend(bind_msg("", "", &[], &[], &[0]));
    batch.extend(execute_msg("", 0));
    batch.extend(sync_msg());
    raw.send(&batch).await;
    let rows = text_rows(&raw.until_ready().await.unwrap());
    assert_eq!(rows[0].iter().map(|c| c.clone().unwrap()).collect::<Vec<_>>(), values);
}

#[derive(Debug, PartialEq)]
struct RawBytes(Vec<u8>);

impl tokio_postgres::types::ToSql for RawBytes {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(tokio_postgres::types::IsNull::No)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    tokio_postgres::types::to_sql_checked!();
}

impl<'a> tokio_postgres::types::FromSql<'a> for RawBytes {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawBytes(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_separate() {
    let server = db_server().await;
    let a = connect(&server).await;
    let b = connect(&server).await;
    a.batch_execute("CREATE TABLE s (x int)").await.unwrap();
    a.batch_execute("BEGIN; INSERT INTO s VALUES (1)").await.unwrap();
    let seen_by_b = simple_rows(&b.simple_query("SELECT count(*) FROM s").await.unwrap());
    assert_eq!(
        seen_by_b,
        vec![vec![Some("0".into())]],
        "uncommitted rows are invisible to other sessions"
    );
    a.batch_execute("COMMIT").await.unwrap();
    let seen_by_b = simple_rows(&b.simple_query("SELECT count(*) FROM s").await.unwrap());
    assert_eq!(seen_by_b, vec![vec![Some("1".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_round_trip() {
    let server = db_server().await;
    let client = connect(&server).await;
    client.batch_execute("CREATE TABLE c (id int, note text, amount numeric)").await.unwrap();
    let sink =
        client.copy_in::<_, Bytes>("COPY c FROM STDIN WITH (FORMAT csv, HEADER)").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(Bytes::from_static(b"id,note,amount\n1,\"a, b\",1.50\n2,,-3\n3,\"\",0\n"))
        .await
        .unwrap();
    assert_eq!(sink.finish().await.unwrap(), 3);
    let out: Vec<Bytes> = client
        .copy_out("COPY (SELECT id, note, amount FROM c ORDER BY id) TO STDOUT")
        .await
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(String::from_utf8(out.concat()).unwrap(), "1\ta, b\t1.50\n2\t\\N\t-3\n3\t\t0\n");
    let err = {
        let sink = client.copy_in::<_, Bytes>("COPY c FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(Bytes::from_static(b"4\tx\tnot-a-number\n")).await.unwrap();
        sink.finish().await.unwrap_err()
    };
    assert_eq!(err.code(), Some(&PgState::INVALID_TEXT_REPRESENTATION));
    let n = simple_rows(&client.simple_query("SELECT count(*) FROM c").await.unwrap());
    assert_eq!(n, vec![vec![Some("3".into())]]);

    // A row the engine rejects undoes the whole COPY.
    client.batch_execute("CREATE TABLE u (id int PRIMARY KEY)").await.unwrap();
    let err = {
        let sink = client.copy_in::<_, Bytes>("COPY u FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(Bytes::from_static(b"1\n2\n1\n")).await.unwrap();
        sink.finish().await.unwrap_err()
    };
    assert_eq!(err.code(), Some(&PgState::UNIQUE_VIOLATION));
    let n = simple_rows(&client.simple_query("SELECT count(*) FROM u").await.unwrap());
    assert_eq!(n, vec![vec![Some("0".into())]]);
}

/// Rows of `COPY big FROM STDIN` (text), ids `from..=to`: more than one load batch
/// (1 MiB) for 40,000 rows.
fn copy_lines(from: u32, to: u32) -> Bytes {
    let mut s = String::new();
    for i in from..=to {
        s.push_str(&format!("{i}\tnote number {i:08}\n"));
    }
    Bytes::from(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_stdin_loads_while_the_data_arrives() {
    let server = db_server().await;
    let a = connect(&server).await;
    let b = connect(&server).await;
    a.batch_execute("CREATE TABLE big (id int PRIMARY KEY, note text)").await.unwrap();
    let sink = a.copy_in::<_, Bytes>("COPY big FROM STDIN").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(copy_lines(1, 40_000)).await.unwrap();
    sink.flush().await.unwrap();
    // The rows already sent are inserted (and their keys locked) before the data ends: a
    // second session's insert of id 1 waits for the COPY and times out. Until the batch is
    // in, that insert goes through; rolled back, it leaves the COPY's insert nothing to
    // wait for.
    b.batch_execute("SET lock_timeout = '100ms'").await.unwrap();
    let mut waited = false;
    for _ in 0..100 {
        b.batch_execute("BEGIN").await.unwrap();
        let tried = b.execute("INSERT INTO big VALUES (1, 'other')", &[]).await;
        b.batch_execute("ROLLBACK").await.unwrap();
        match tried {
            Err(e) => {
                assert_eq!(e.code(), Some(&PgState::LOCK_NOT_AVAILABLE), "{e}");
                waited = true;
                break;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(waited, "the COPY's first rows were not loaded before its data ended");
    sink.send(copy_lines(40_001, 40_010)).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 40_010);
    let n = simple_rows(&b.simple_query("SELECT count(*), max(note) FROM big").await.unwrap());
    assert_eq!(n, vec![vec![Some("40010".into()), Some("note number 00040010".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_fails_after_loading_rows_leaves_none() {
    let server = db_server().await;
    let client = connect(&server).await;
    client.batch_execute("CREATE TABLE big (id int PRIMARY KEY, note text)").await.unwrap();
    // Bad data after a loaded batch, outside a block: the COPY's own transaction rolls back.
    let err = {
        let sink = client.copy_in::<_, Bytes>("COPY big FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(copy_lines(1, 40_000)).await.unwrap();
        sink.send(Bytes::from_static(b"40001\tok\nnot-a-number\tbad\n")).await.unwrap();
        sink.finish().await.unwrap_err()
    };
    assert_eq!(err.code(), Some(&PgState::INVALID_TEXT_REPRESENTATION));
    let n = simple_rows(&client.simple_query("SELECT count(*) FROM big").await.unwrap());
    assert_eq!(n, vec![vec![Some("0".into())]]);

    // Inside a block, the failed COPY fails the block, as any failed statement does.
    client.batch_execute("BEGIN; INSERT INTO big VALUES (0, 'before')").await.unwrap();
    let err = {
        let sink = client.copy_in::<_, Bytes>("COPY big FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(copy_lines(1, 40_000)).await.unwrap();
        sink.send(Bytes::from_static(b"1\tduplicate\n")).await.unwrap();
        sink.finish().await.unwrap_err()
    };
    assert_eq!(err.code(), Some(&PgState::UNIQUE_VIOLATION));
    let err = client.simple_query("SELECT 1").await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::IN_FAILED_SQL_TRANSACTION));
    client.batch_execute("ROLLBACK").await.unwrap();

    // A client that gives up (CopyFail) after a loaded batch: the block fails too.
    client.batch_execute("BEGIN; INSERT INTO big VALUES (0, 'before')").await.unwrap();
    {
        let sink = client.copy_in::<_, Bytes>("COPY big FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(copy_lines(1, 40_000)).await.unwrap();
        sink.flush().await.unwrap();
        // Dropped without `finish`: tokio-postgres sends CopyFail.
    }
    let err = client.simple_query("SELECT 1").await.unwrap_err();
    assert!(
        matches!(
            err.code(),
            Some(&PgState::QUERY_CANCELED) | Some(&PgState::IN_FAILED_SQL_TRANSACTION)
        ),
        "{err}"
    );
    let err = client.simple_query("SELECT 1").await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::IN_FAILED_SQL_TRANSACTION));
    client.batch_execute("ROLLBACK").await.unwrap();
    let n = simple_rows(&client.simple_query("SELECT count(*) FROM big").await.unwrap());
    assert_eq!(n, vec![vec![Some("0".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_into_a_partitioned_table_routes_rows() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute(
            "CREATE TABLE cp (k int, v text) PARTITION BY LIST (k);
             CREATE TABLE cp1 PARTITION OF cp FOR VALUES IN (1);
             CREATE TABLE cp2 PARTITION OF cp FOR VALUES IN (2)",
        )
        .await
        .unwrap();
    let sink = client.copy_in::<_, Bytes>("COPY cp FROM STDIN").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(Bytes::from_static(b"1\ta\n2\tb\n2\tc\n")).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 3);
    let rows = simple_rows(&client.simple_query("SELECT v FROM cp2 ORDER BY v").await.unwrap());
    assert_eq!(rows, vec![vec![Some("b".into())], vec![Some("c".into())]]);
    // A row no partition takes fails the whole COPY with PostgreSQL's error.
    let err = {
        let sink = client.copy_in::<_, Bytes>("COPY cp FROM STDIN").await.unwrap();
        futures::pin_mut!(sink);
        sink.send(Bytes::from_static(b"1\tx\n3\ty\n")).await.unwrap();
        sink.finish().await.unwrap_err()
    };
    assert_eq!(err.code(), Some(&PgState::CHECK_VIOLATION));
    let n = simple_rows(&client.simple_query("SELECT count(*) FROM cp").await.unwrap());
    assert_eq!(n, vec![vec![Some("3".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_leaves_generated_columns_out() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute("CREATE TABLE g (a int, b int GENERATED ALWAYS AS (a * 2) STORED, c text)")
        .await
        .unwrap();
    // Without a column list COPY reads the other columns and computes `b`.
    let sink = client.copy_in::<_, Bytes>("COPY g FROM STDIN").await.unwrap();
    futures::pin_mut!(sink);
    sink.send(Bytes::from_static(
        b"1	x
2	y
",
    ))
    .await
    .unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);
    let rows = simple_rows(&client.simple_query("SELECT a, b, c FROM g ORDER BY a").await.unwrap());
    assert_eq!(
        rows,
        vec![
            vec![Some("1".into()), Some("2".into()), Some("x".into())],
            vec![Some("2".into()), Some("4".into()), Some("y".into())],
        ]
    );
    let out: Vec<Bytes> =
        client.copy_out("COPY g TO STDOUT").await.unwrap().map(|r| r.unwrap()).collect().await;
    assert_eq!(String::from_utf8(out.concat()).unwrap(), "1\tx\n2\ty\n");
    // Naming the generated column is 42P10, as in PostgreSQL.
    let Err(err) = client.copy_in::<_, Bytes>("COPY g (a, b) FROM STDIN").await else {
        panic!("COPY naming a generated column was accepted");
    };
    assert_eq!(err.code(), Some(&PgState::INVALID_COLUMN_REFERENCE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_a_long_query() {
    let server = db_server().await;
    let client = connect(&server).await;
    let values: Vec<String> = (0..100).map(|i| format!("({i})")).collect();
    client
        .batch_execute(&format!(
            "CREATE TABLE n (x int); INSERT INTO n VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
    let token = client.cancel_token();
    // 10^10 row combinations: far longer than the test waits.
    let running = tokio::spawn(async move {
        client.simple_query("SELECT count(*) FROM n a, n b, n c, n d, n e WHERE a.x + b.x + c.x + d.x + e.x < 0").await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    token.cancel_query(tokio_postgres::NoTls).await.unwrap();
    let result = tokio::time::timeout(Duration::from_secs(20), running)
        .await
        .expect("cancel took effect")
        .unwrap();
    assert_eq!(result.unwrap_err().code(), Some(&PgState::QUERY_CANCELED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_options_become_session_settings() {
    let server = db_server().await;
    let mut cfg = tokio_postgres::Config::new();
    cfg.host("127.0.0.1")
        .port(server.addr.port())
        .user("tester")
        .application_name("smoke-app")
        .options("-c search_path=app,public");
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let rows =
        simple_rows(&client.simple_query("SHOW search_path; SHOW application_name").await.unwrap());
    let path = rows[0][0].clone().unwrap().replace(' ', "");
    assert_eq!(path, "app,public");
    assert_eq!(rows[1], vec![Some("smoke-app".to_owned())]);
    // Settings are per session.
    let other = connect(&server).await;
    let rows = simple_rows(&other.simple_query("SHOW search_path").await.unwrap());
    assert_eq!(rows, vec![vec![Some("\"$user\", public".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_settings_are_reported() {
    let server = db_server().await;
    let (mut raw, msgs) = Raw::login(server.addr).await;
    let param = |msgs: &[common::raw::Msg], name: &str| {
        msgs.iter().filter(|m| m.tag == b'S').find_map(|m| {
            let mut parts = m.body.split(|b| *b == 0);
            if parts.next()? != name.as_bytes() {
                return None;
            }
            Some(String::from_utf8_lossy(parts.next()?).into_owned())
        })
    };
    assert_eq!(param(&msgs, "TimeZone").as_deref(), Some("UTC"));
    let (msgs, _) = raw.query("SET application_name = 'reporter'").await;
    assert_eq!(param(&msgs, "application_name").as_deref(), Some("reporter"));
    let (msgs, _) = raw.query("SELECT 1").await;
    assert_eq!(param(&msgs, "application_name"), None, "only changes are reported");
    // A rolled-back SET restores the earlier value, and that is a change too.
    raw.query("BEGIN").await;
    let (msgs, _) = raw.query("SET LOCAL application_name = 'inner'").await;
    assert_eq!(param(&msgs, "application_name").as_deref(), Some("inner"));
    let (msgs, _) = raw.query("ROLLBACK").await;
    assert_eq!(param(&msgs, "application_name").as_deref(), Some("reporter"));
    // Back to a state seen before, then a new change from it: reported again.
    raw.query("BEGIN").await;
    let (msgs, _) = raw.query("SET LOCAL application_name = 'second'").await;
    assert_eq!(param(&msgs, "application_name").as_deref(), Some("second"));
    let (msgs, _) = raw.query("COMMIT").await;
    assert_eq!(param(&msgs, "application_name").as_deref(), Some("reporter"));
    let (msgs, _) = raw.query("SET TimeZone = 'Europe/Paris'").await;
    assert_eq!(param(&msgs, "TimeZone").as_deref(), Some("Europe/Paris"));
    assert_eq!(param(&msgs, "application_name"), None);

    // Startup parameters are session settings (drivers send TimeZone, DateStyle, ...).
    let mut raw = Raw::connect(server.addr).await;
    raw.send(&common::raw::startup_packet_with(
        "tz",
        &[("TimeZone", "+02:00"), ("extra_float_digits", "3")],
    ))
    .await;
    let msgs = raw.until_ready().await.unwrap();
    assert_eq!(param(&msgs, "TimeZone").as_deref(), Some("+02:00"));
    let (msgs, _) = raw.query("SHOW TimeZone").await;
    assert_eq!(text_rows(&msgs), vec![vec![Some("+02:00".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_transactions_commit_and_roll_back() {
    let server = db_server().await;
    let mut client = connect(&server).await;
    client.batch_execute("CREATE TABLE acct (id int PRIMARY KEY, balance int8)").await.unwrap();
    {
        let tx = client.transaction().await.unwrap();
        tx.execute("INSERT INTO acct VALUES ($1, $2)", &[&1i32, &100i64]).await.unwrap();
        tx.commit().await.unwrap();
    }
    {
        let tx = client.transaction().await.unwrap();
        tx.execute("UPDATE acct SET balance = balance - $1 WHERE id = $2", &[&30i64, &1i32])
            .await
            .unwrap();
        let err =
            tx.execute("INSERT INTO acct VALUES ($1, $2)", &[&1i32, &0i64]).await.unwrap_err();
        assert_eq!(err.code(), Some(&PgState::UNIQUE_VIOLATION));
        let err = tx.query("SELECT 1", &[]).await.unwrap_err();
        assert_eq!(err.code(), Some(&PgState::IN_FAILED_SQL_TRANSACTION));
        // Dropped without commit: rolled back.
    }
    let row = client.query_one("SELECT balance FROM acct WHERE id = $1", &[&1i32]).await.unwrap();
    assert_eq!(row.get::<_, i64>(0), 100);

    // Many rows through a binary result.
    let values: Vec<String> = (2..2002).map(|i| format!("({i}, {})", i * 10)).collect();
    client.batch_execute(&format!("INSERT INTO acct VALUES {}", values.join(", "))).await.unwrap();
    let rows = client
        .query("SELECT id, balance FROM acct WHERE id > $1 ORDER BY id", &[&1i32])
        .await
        .unwrap();
    assert_eq!(rows.len(), 2000);
    assert_eq!(rows[1999].get::<_, i64>(1), 20010);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_notify_reaches_listeners_as_notification_responses() {
    use futures::channel::mpsc;
    use tokio_postgres::AsyncMessage;
    let server = db_server().await;
    // The listener's connection hands its asynchronous messages to a channel.
    let mut cfg = tokio_postgres::Config::new();
    cfg.host("127.0.0.1").port(server.addr.port()).user("tester").dbname("test");
    let (listener, mut conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
    let (tx, mut rx) = mpsc::unbounded();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(m)) = messages.next().await {
            if let AsyncMessage::Notification(n) = m {
                let _ = tx.unbounded_send((n.channel().to_string(), n.payload().to_string()));
            }
        }
    });
    let sender = connect(&server).await;
    listener.batch_execute("LISTEN jobs").await.unwrap();
    // An idle listener is sent the notification at once, as PostgreSQL does.
    sender.batch_execute("NOTIFY jobs, 'idle'").await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), rx.next()).await.unwrap().unwrap();
    assert_eq!(first, ("jobs".to_string(), "idle".to_string()));
    // A listener inside a transaction block gets it when the block ends.
    listener.batch_execute("BEGIN").await.unwrap();
    sender.batch_execute("NOTIFY jobs, 'after the block'").await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.next()).await.is_err(),
        "nothing is sent inside the listener's transaction block"
    );
    listener.batch_execute("COMMIT").await.unwrap();
    let second = tokio::time::timeout(Duration::from_secs(5), rx.next()).await.unwrap().unwrap();
    assert_eq!(second, ("jobs".to_string(), "after the block".to_string()));
    sender.batch_execute("BEGIN; NOTIFY jobs, 'rolled back'; ROLLBACK").await.unwrap();
    sender
        .batch_execute(
            "BEGIN; NOTIFY jobs, 'a'; SELECT pg_notify('jobs', 'b'); NOTIFY jobs, 'a'; COMMIT",
        )
        .await
        .unwrap();
    // Through the extended protocol too.
    sender.execute("SELECT pg_notify('jobs', $1)", &[&"c"]).await.unwrap();
    // The listener receives them with its next command.
    listener.simple_query("SELECT 1").await.unwrap();
    let mut got = Vec::new();
    while got.len() < 3 {
        let n = tokio::time::timeout(Duration::from_secs(5), rx.next()).await.unwrap().unwrap();
        got.push(n);
    }
    let want: Vec<(String, String)> =
        ["a", "b", "c"].iter().map(|p| ("jobs".to_string(), p.to_string())).collect();
    assert_eq!(got, want);
    // The payload limit is 22023.
    let err = sender.batch_execute(&format!("NOTIFY jobs, '{}'", "x".repeat(8000))).await;
    assert_eq!(err.unwrap_err().code(), Some(&PgState::INVALID_PARAMETER_VALUE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_float_digits_rounds_text_floats() {
    let server = db_server().await;
    let client = connect(&server).await;
    let q = "SELECT 0.1::float8 + 0.2, 1e20::float8, 1.1::real, ARRAY[0.1::float8 + 0.2], 2::int";
    let shortest = simple_rows(&client.simple_query(q).await.unwrap());
    assert_eq!(
        shortest[0],
        ["0.30000000000000004", "1e+20", "1.1", "{0.30000000000000004}", "2"]
            .map(|s| Some(s.to_string()))
    );
    // 0 and below: PostgreSQL's rounded `%.{15 + n}g` output.
    client.batch_execute("SET extra_float_digits = 0").await.unwrap();
    let rounded = simple_rows(&client.simple_query(q).await.unwrap());
    assert_eq!(rounded[0], ["0.3", "1e+20", "1.1", "{0.3}", "2"].map(|s| Some(s.to_string())));
    client.batch_execute("SET extra_float_digits = -10").await.unwrap();
    let fewer = simple_rows(&client.simple_query("SELECT 123456.789::float8").await.unwrap());
    assert_eq!(fewer[0], vec![Some("1.2346e+05".to_string())]);
    // Binary results carry the exact value whatever the setting.
    let v: f64 = client.query_one("SELECT 0.1::float8 + 0.2", &[]).await.unwrap().get(0);
    assert_eq!(v, 0.1 + 0.2);
}

/// Each result of a multi-statement simple query is formatted with the settings its
/// statement ran under, not those the whole string ended with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_results_use_the_settings_of_their_statement() {
    let server = db_server().await;
    let (mut raw, _) = Raw::login(server.addr).await;
    let ts = "SELECT '2020-01-01 12:00:00+00'::timestamptz, 1 / 3::float8";
    let sql = format!(
        "SET TIME ZONE 'UTC'; {ts}; SET TIME ZONE 'UTC+5'; SET extra_float_digits = 0; {ts}"
    );
    let (msgs, status) = raw.query(&sql).await;
    assert_eq!(status, b'I');
    assert_eq!(
        text_rows(&msgs),
        vec![
            vec![Some("2020-01-01 12:00:00+00".into()), Some("0.3333333333333333".into())],
            vec![Some("2020-01-01 07:00:00-05".into()), Some("0.333333333333333".into())],
        ]
    );
}
