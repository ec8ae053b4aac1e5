//! What real clients need beyond plain SQL, end to end over the embedded database:
//! catalog functions and `reg*` casts, the login role as `current_user`, `VACUUM`,
//! COPY with a server file and in binary format, and the nesting guard (54001 instead
//! of a crashed server), the latter both embedded and through the server.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{connect, connect_with, start};
use futures::{pin_mut, SinkExt, TryStreamExt};
use helios_server::nano::NanoFactory;
use helios_server::ServerConfig;
use heliosdb_nano::Database;
use tokio_postgres::binary_copy::{BinaryCopyInWriter, BinaryCopyOutStream};
use tokio_postgres::error::SqlState as PgState;
use tokio_postgres::types::Type;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_log_in_with_their_own_passwords() {
    use helios_server::AuthMethod;
    let db = Database::open_in_memory().expect("open in memory");
    let verifier = heliosdb_nano::auth::encrypt("frank-pw", "frank", "scram-sha-256")
        .expect("hash")
        .expect("a password");
    let out = db.connect().execute_batch(&format!(
        "CREATE ROLE carol LOGIN PASSWORD 'carol-pw';
         CREATE ROLE gina LOGIN PASSWORD 'gina-pw' VALID UNTIL '2001-02-03 04:05:06+00';
         CREATE ROLE hank LOGIN PASSWORD 'hank-pw' VALID UNTIL 'infinity';
         CREATE ROLE ivan LOGIN PASSWORD 'ivan-pw' VALID UNTIL '2001-01-01';
         ALTER ROLE ivan VALID UNTIL '2999-01-01';
         SET password_encryption = md5;
         CREATE ROLE dave LOGIN PASSWORD 'dave-pw';
         CREATE ROLE erin LOGIN;
         CREATE ROLE frank LOGIN PASSWORD '{verifier}';"
    ));
    assert!(out.error.is_none(), "{:?}", out.error);
    let server_pw = "server-pw";
    for method in [AuthMethod::Password, AuthMethod::Md5, AuthMethod::ScramSha256] {
        let config = ServerConfig {
            auth: method,
            password: Some(server_pw.into()),
            ..ServerConfig::default()
        };
        let server = start(config, Arc::new(NanoFactory::new(db.clone()))).await;
        let ok = |user: &'static str, pw: &'static str| {
            let server = &server;
            async move {
                let c = connect_with(server, user, Some(pw))
                    .await
                    .unwrap_or_else(|e| panic!("{method:?}: {user} with {pw}: {e}"));
                let who: String = c.query_one("SELECT current_user", &[]).await.unwrap().get(0);
                assert_eq!(who, user, "{method:?}");
            }
        };
        let refused = |user: &'static str, pw: &'static str| {
            let server = &server;
            async move {
                let e = connect_with(server, user, Some(pw))
                    .await
                    .err()
                    .unwrap_or_else(|| panic!("{method:?}: {user} logged in with {pw}"));
                assert_eq!(e.code(), Some(&PgState::INVALID_PASSWORD), "{method:?} {user}: {e}");
            }
        };
        // A SCRAM verifier: the role's own password, whichever method the server asks
        // for (md5 switches to SCRAM, as PostgreSQL does); the server's password is not it.
        ok("carol", "carol-pw").await;
        refused("carol", server_pw).await;
        refused("carol", "carol-PW").await;
        // A verifier given already hashed (pg_dumpall, psql's \password) works the same.
        ok("frank", "frank-pw").await;
        // An md5 hash answers cleartext and md5, never SCRAM.
        if method == AuthMethod::ScramSha256 {
            refused("dave", "dave-pw").await;
        } else {
            ok("dave", "dave-pw").await;
        }
        refused("dave", server_pw).await;
        // No password of its own, or no role: the server's password.
        ok("erin", server_pw).await;
        refused("erin", "erin").await;
        ok("postgres", server_pw).await;
        // VALID UNTIL: a password no longer logs in once the moment has passed.
        refused("gina", "gina-pw").await;
        refused("gina", server_pw).await;
        ok("hank", "hank-pw").await;
        ok("ivan", "ivan-pw").await;
    }
    // A new password takes effect for the next login.
    let config = ServerConfig {
        auth: AuthMethod::ScramSha256,
        password: Some(server_pw.into()),
        ..ServerConfig::default()
    };
    let server = start(config, Arc::new(NanoFactory::new(db.clone()))).await;
    let carol = connect_with(&server, "carol", Some("carol-pw")).await.expect("carol");
    carol.batch_execute("ALTER ROLE carol PASSWORD 'changed'").await.expect("own password");
    assert!(connect_with(&server, "carol", Some("carol-pw")).await.is_err());
    connect_with(&server, "carol", Some("changed")).await.expect("new password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_counts_a_roles_sessions() {
    let db = Database::open_in_memory().expect("open in memory");
    let out = db.connect().execute_batch(
        "CREATE ROLE solo LOGIN CONNECTION LIMIT 1;
         CREATE ROLE nobody LOGIN CONNECTION LIMIT 0;
         CREATE ROLE boss LOGIN SUPERUSER CONNECTION LIMIT 0;",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let server = start(ServerConfig::default(), Arc::new(NanoFactory::new(db.clone()))).await;
    let first = connect_with(&server, "solo", None).await.expect("first session");
    let e = connect_with(&server, "solo", None).await.expect_err("second session refused");
    assert_eq!(e.code(), Some(&PgState::TOO_MANY_CONNECTIONS), "{e}");
    let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
    assert_eq!(message, "too many connections for role \"solo\"");
    let e = connect_with(&server, "nobody", None).await.expect_err("limit 0 refused");
    assert_eq!(e.code(), Some(&PgState::TOO_MANY_CONNECTIONS), "{e}");
    // Superusers are not held to it.
    connect_with(&server, "boss", None).await.expect("superuser");
    // A session that ends frees its place.
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        match connect_with(&server, "solo", None).await {
            Ok(c) => {
                again = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let again = again.expect("a place again after the first session ended");
    let n: i32 = again
        .query_one("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'solo'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

async fn db_server() -> common::TestServer {
    let db = Database::open_in_memory().expect("open in memory");
    start(ServerConfig::default(), Arc::new(NanoFactory::new(db))).await
}

/// `SELECT 1 + 1 + ... + 1` with `n` additions: a tree `n` levels deep.
fn long_chain(n: usize) -> String {
    format!("SELECT 1{}", " + 1".repeat(n))
}

fn deep_statements() -> Vec<String> {
    vec![
        long_chain(100_000),
        format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        format!("SELECT {}1{}", "(SELECT ".repeat(10_000), ")".repeat(10_000)),
        format!("SELECT 1 WHERE {}", vec!["true"; 50_000].join(" AND ")),
        format!("SELECT 1{}", "::int".repeat(50_000)),
    ]
}

#[test]
fn deep_nesting_is_54001_embedded() {
    // A default-sized (2 MiB) thread, as an application would use.
    std::thread::spawn(|| {
        let db = Database::open_in_memory().expect("open");
        let mut conn = db.connect();
        for sql in deep_statements() {
            let err = conn.query(&sql, &[]).expect_err("too deep");
            assert_eq!(err.sqlstate().code(), "54001", "{}", &sql[..40]);
            assert_eq!(err.message(), "stack depth limit exceeded");
        }
        let n = 900;
        let r = conn.query(&long_chain(n), &[]).expect("moderate nesting runs");
        assert_eq!(r.rows[0][0], helios_types::Value::Int4(n as i32 + 1));
        let and =
            format!("SELECT count(*) FROM (SELECT 1) s WHERE {}", vec!["1 = 1"; n].join(" AND "));
        let r = conn.query(&and, &[]).expect("long AND chain runs");
        assert_eq!(r.rows[0][0], helios_types::Value::Int8(1));
        let casts = format!("SELECT 7{}", "::int8::int4".repeat(n / 2));
        assert_eq!(
            conn.query(&casts, &[]).expect("casts").rows[0][0],
            helios_types::Value::Int4(7)
        );
        let stmt = conn.prepare(&long_chain(n), &[]).expect("prepare");
        match conn.execute_prepared(&stmt, &[]).expect("execute prepared") {
            heliosdb_nano::StatementResult::Rows(r) => {
                assert_eq!(r.rows[0][0], helios_types::Value::Int4(n as i32 + 1))
            }
            other => panic!("{other:?}"),
        }
        drop(stmt);
        assert_eq!(conn.query("SELECT 1", &[]).expect("still usable").rows.len(), 1);
    })
    .join()
    .expect("no stack overflow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_is_54001_through_the_server() {
    let server = db_server().await;
    let client = connect(&server).await;
    for sql in deep_statements() {
        let err = client.simple_query(&sql).await.expect_err("too deep");
        assert_eq!(err.code(), Some(&PgState::STATEMENT_TOO_COMPLEX), "{}", &sql[..40]);
    }
    let row = client.query_one(&long_chain(900), &[]).await.expect("moderate nesting");
    assert_eq!(row.get::<_, i32>(0), 901);
    // The server is alive for this and other connections.
    let other = connect(&server).await;
    assert_eq!(other.query_one("SELECT 2", &[]).await.unwrap().get::<_, i32>(0), 2);
}

/// An enum column goes out under its own type OID (the type's `pg_type` row), and enum
/// values travel as their labels, in declaration order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enum_columns_carry_their_type_oid() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute(
            "CREATE TYPE mood AS ENUM ('sad', 'ok'); ALTER TYPE mood ADD VALUE 'happy' BEFORE 'ok';
             CREATE TABLE t (id int, m mood); INSERT INTO t VALUES (1, 'ok'), (2, 'happy')",
        )
        .await
        .expect("setup");
    let oid: i64 = client
        .query_one("SELECT oid FROM pg_type WHERE typname = 'mood' AND typtype = 'e'", &[])
        .await
        .expect("pg_type row")
        .get(0);
    let (mut raw, _) = common::raw::Raw::login(server.addr).await;
    let (msgs, _) = raw.query("SELECT m FROM t ORDER BY m").await;
    let desc = msgs.iter().find(|m| m.tag == b'T').expect("RowDescription");
    // count i16, name "m\0", table oid i32, attnum i16, then the type oid.
    let at = 2 + 2 + 4 + 2;
    let type_oid = u32::from_be_bytes(desc.body[at..at + 4].try_into().unwrap());
    assert_eq!(i64::from(type_oid), oid);
    assert_eq!(
        common::raw::text_rows(&msgs),
        vec![vec![Some("happy".to_string())], vec![Some("ok".to_string())]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_role_is_current_user() {
    let server = db_server().await;
    let client = connect_with(&server, "alice", None).await.expect("connect");
    client.batch_execute("CREATE TABLE t (a int)").await.unwrap();
    let row = client
        .query_one(
            "SELECT current_user, session_user, (SELECT rolname FROM pg_roles WHERE oid = 10), \
             pg_get_userbyid((SELECT relowner FROM pg_class WHERE relname = 't'))",
            &[],
        )
        .await
        .unwrap();
    for i in 0..4 {
        assert_eq!(row.get::<_, String>(i), "alice", "column {i}");
    }
    // RESET ALL keeps the session's role, as in PostgreSQL.
    client.batch_execute("RESET ALL").await.unwrap();
    let row = client.query_one("SELECT current_user", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_database_is_the_one_connected_to() {
    let server = db_server().await;
    // The test clients connect to database "test".
    let client = connect_with(&server, "alice", None).await.expect("connect");
    let row = client
        .query_one(
            "SELECT current_database(), current_catalog,              (SELECT count(*) FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "test");
    assert_eq!(row.get::<_, String>(1), "test");
    assert_eq!(row.get::<_, i64>(2), 1);
    client.batch_execute("RESET ALL").await.unwrap();
    let row = client.query_one("SELECT current_database()", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_functions_and_regclass() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute(
            "CREATE TABLE p (id serial PRIMARY KEY, code text UNIQUE); \
             CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p(id) ON DELETE CASCADE, \
                             qty int CHECK (qty > 0)); \
             CREATE INDEX c_qty ON c (qty, p_id); \
             CREATE VIEW v AS SELECT id FROM p",
        )
        .await
        .unwrap();
    let oid: i64 = client.query_one("SELECT 'c'::regclass::oid", &[]).await.unwrap().get(0);
    let by_pg_class: i64 =
        client.query_one("SELECT oid FROM pg_class WHERE relname = 'c'", &[]).await.unwrap().get(0);
    assert_eq!(oid, by_pg_class);
    let row = client
        .query_one(
            "SELECT oid::regclass, 'public.c'::regclass = oid, to_regclass('nope') IS NULL \
             FROM pg_class WHERE relname = 'c'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "c");
    assert!(row.get::<_, bool>(1));
    assert!(row.get::<_, bool>(2));
    let err = client.query_one("SELECT 'nope'::regclass", &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::UNDEFINED_TABLE));
    // A parameter cast to regclass, as SQLAlchemy sends it.
    let row =
        client.query_one("SELECT $1::regclass::oid", &[&"pg_catalog.pg_class"]).await.unwrap();
    assert_eq!(row.get::<_, i64>(0), 1259);

    let defs: Vec<(String, String)> = client
        .query(
            "SELECT conname, pg_get_constraintdef(oid, true) FROM pg_constraint \
             WHERE conrelid = 'c'::regclass ORDER BY conname",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        defs,
        [
            ("c_p_id_fkey".into(), "FOREIGN KEY (p_id) REFERENCES p(id) ON DELETE CASCADE".into()),
            ("c_pkey".into(), "PRIMARY KEY (id)".into()),
            ("c_qty_check".into(), "CHECK (qty > 0)".into()),
        ]
    );
    let idx: Vec<String> = client
        .query(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'c'::regclass \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        idx,
        [
            "CREATE INDEX c_qty ON public.c USING btree (qty, p_id)",
            "CREATE UNIQUE INDEX c_pkey ON public.c USING btree (id)"
        ]
    );
    let row = client
        .query_one(
            "SELECT pg_get_indexdef('c_qty'::regclass, 2, true), \
             pg_get_serial_sequence('p', 'id'), pg_get_viewdef('v'::regclass) LIKE '%SELECT%'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "p_id");
    assert_eq!(row.get::<_, String>(1), "public.p_id_seq");
    assert!(row.get::<_, bool>(2));
    // relhastriggers is set on both ends of a foreign key (psql's \d needs it).
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relhastriggers AND relname IN ('p', 'c')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    // WITH ORDINALITY and generate_subscripts, used by reflection queries.
    let rows = client
        .query(
            "SELECT k, n FROM pg_index, unnest(indkey) WITH ORDINALITY AS u(k, n) \
             WHERE indexrelid = 'c_qty'::regclass ORDER BY n",
            &[],
        )
        .await
        .unwrap();
    let keys: Vec<(i16, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(keys, [(3, 1), (2, 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuum_and_analyze() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute("CREATE TABLE t (a int PRIMARY KEY, b text); INSERT INTO t VALUES (1, 'x')")
        .await
        .unwrap();
    for _ in 0..20 {
        client.batch_execute("UPDATE t SET b = b || 'y'").await.unwrap();
    }
    for sql in [
        "VACUUM",
        "VACUUM t",
        "VACUUM FULL t",
        "VACUUM ANALYZE t",
        "VACUUM (VERBOSE, ANALYZE) t",
        "ANALYZE",
        "ANALYZE t (a)",
    ] {
        client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let b: String = client.query_one("SELECT b FROM t", &[]).await.unwrap().get(0);
    assert_eq!(b, format!("x{}", "y".repeat(20)), "VACUUM keeps the live version");
    let err = client.batch_execute("VACUUM nope").await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::UNDEFINED_TABLE));
    let err = client.batch_execute("BEGIN; VACUUM t").await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::ACTIVE_SQL_TRANSACTION));
    assert_eq!(
        err.as_db_error().unwrap().message(),
        "VACUUM cannot run inside a transaction block"
    );
    client.batch_execute("ROLLBACK; BEGIN; ANALYZE t; COMMIT").await.unwrap();
    let err = client.batch_execute("VACUUM (BOGUS) t").await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::SYNTAX_ERROR));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_with_a_server_file() {
    let server = db_server().await;
    let client = connect(&server).await;
    client
        .batch_execute("CREATE TABLE t (a int, b text); CREATE TABLE u (a int, b text)")
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("helios-copy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("in.data");
    std::fs::write(&src, "1\tone\n2\t\\N\n3\tthree\\ttab\n").unwrap();
    let n = client.execute(&format!("COPY t FROM '{}'", src.display()), &[]).await.unwrap();
    assert_eq!(n, 3);
    let rows = client.query("SELECT a, b FROM t ORDER BY a", &[]).await.unwrap();
    let got: Vec<(i32, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, [(1, Some("one".into())), (2, None), (3, Some("three\ttab".into()))]);

    // Out as csv with a header, and back in through the simple protocol.
    let out = dir.join("out.csv");
    let sql = format!("COPY t TO '{}' (FORMAT csv, HEADER)", out.display());
    client.batch_execute(&sql).await.unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a,b\n1,one\n2,\n3,three\ttab\n");
    let sql = format!("COPY u FROM '{}' WITH (FORMAT csv, HEADER true)", out.display());
    client.batch_execute(&sql).await.unwrap();
    let n: i64 = client.query_one("SELECT count(*) FROM u", &[]).await.unwrap().get(0);
    assert_eq!(n, 3);

    // Binary to a file and back.
    let bin = dir.join("t.bin");
    client.batch_execute(&format!("COPY t TO '{}' (FORMAT binary)", bin.display())).await.unwrap();
    assert!(std::fs::read(&bin).unwrap().starts_with(b"PGCOPY\n\xff\r\n\0"));
    client.batch_execute("DELETE FROM u").await.unwrap();
    client
        .batch_execute(&format!("COPY u FROM '{}' (FORMAT binary)", bin.display()))
        .await
        .unwrap();
    let rows = client.query("SELECT a, b FROM u ORDER BY a", &[]).await.unwrap();
    let back: Vec<(i32, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(back, got);

    let err = client.batch_execute("COPY t FROM '/no/such/file.data'").await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::UNDEFINED_FILE));
    assert_eq!(
        err.as_db_error().unwrap().message(),
        "could not open file \"/no/such/file.data\" for reading: No such file or directory"
    );
    let err = client.batch_execute("COPY t TO 'relative.data'").await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::INVALID_NAME));
    let err = client.batch_execute("COPY t FROM PROGRAM 'cat'").await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::FEATURE_NOT_SUPPORTED));

    // Server files are for superusers: a role that is not one gets 42501, even with
    // every privilege on the table.
    client
        .batch_execute("CREATE ROLE copier; GRANT ALL ON t TO copier; SET ROLE copier")
        .await
        .unwrap();
    let err = client.batch_execute(&format!("COPY t FROM '{}'", src.display())).await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::INSUFFICIENT_PRIVILEGE));
    let err = client.batch_execute(&format!("COPY t TO '{}'", out.display())).await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::INSUFFICIENT_PRIVILEGE));
    let n: i64 = client.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(n, 3, "the role still reads the table");
    client.batch_execute("RESET ROLE").await.unwrap();
    client.batch_execute(&format!("COPY t TO '{}'", out.display())).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_copy_through_the_wire() {
    let server = db_server().await;
    let client = connect(&server).await;
    client.batch_execute("CREATE TABLE t (a int, b text, c float8, d bool)").await.unwrap();
    let types = [Type::INT4, Type::TEXT, Type::FLOAT8, Type::BOOL];
    let sink = client.copy_in("COPY t FROM STDIN (FORMAT binary)").await.unwrap();
    let writer = BinaryCopyInWriter::new(sink, &types);
    pin_mut!(writer);
    // 40,000 rows: more than one load batch (1 MiB) of whole tuples.
    for i in 0..40_000i32 {
        let b = if i % 7 == 0 { None } else { Some(format!("row {i}")) };
        writer.as_mut().write(&[&i, &b, &(f64::from(i) / 2.0), &(i % 2 == 0)]).await.unwrap();
    }
    assert_eq!(writer.finish().await.unwrap(), 40_000);
    let n: i64 =
        client.query_one("SELECT count(*) FROM t WHERE b IS NULL", &[]).await.unwrap().get(0);
    assert_eq!(n, 5715);

    let stream = client
        .copy_out("COPY (SELECT * FROM t ORDER BY a) TO STDOUT (FORMAT binary)")
        .await
        .unwrap();
    let rows: Vec<_> = BinaryCopyOutStream::new(stream, &types).try_collect().await.unwrap();
    assert_eq!(rows.len(), 40_000);
    assert_eq!(rows[39_999].get::<Option<&str>>(1), Some("row 39999"));
    assert_eq!(rows[3].get::<i32>(0), 3);
    assert_eq!(rows[3].get::<Option<&str>>(1), Some("row 3"));
    assert_eq!(rows[7].get::<Option<&str>>(1), None);
    assert_eq!(rows[3].get::<f64>(2), 1.5);
    assert!(!rows[3].get::<bool>(3));

    // A damaged stream is 22P04 and inserts nothing.
    let sink = client.copy_in::<_, Bytes>("COPY t FROM STDIN (FORMAT binary)").await.unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from_static(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\0\x01")).await.unwrap();
    let err = sink.finish().await.unwrap_err();
    assert_eq!(err.code(), Some(&PgState::BAD_COPY_FILE_FORMAT));
    let n: i64 = client.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(n, 40_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_types_copy_in_text_and_out_binary() {
    let server = db_server().await;
    let client = connect(&server).await;
    client.batch_execute("CREATE TABLE n (a inet, b cidr, m macaddr, l inet[])").await.unwrap();
    client.batch_execute("CREATE TABLE n2 (a inet, b cidr, m macaddr, l inet[])").await.unwrap();
    let text = "1.2.3.4/24\t10.0.0.0/8\t08:00:2b:01:02:03\t{::1,10.0.0.1}\n\
                ::ffff:1.2.3.4\t::/0\t00:00:00:00:00:01\t\\N\n";
    let sink = client.copy_in::<_, Bytes>("COPY n FROM STDIN").await.unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from(text)).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);

    let out: Vec<Bytes> =
        client.copy_out("COPY n TO STDOUT").await.unwrap().try_collect().await.unwrap();
    assert_eq!(out.concat(), text.as_bytes());

    // Binary out of one table, binary in to another: the same rows.
    let binary: Vec<Bytes> = client
        .copy_out("COPY n TO STDOUT (FORMAT binary)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let binary = binary.concat();
    // The first field of the first row: length 8, then inet_send('1.2.3.4/24').
    let row = &binary[19..];
    assert_eq!(row[..2], [0, 4], "four fields");
    assert_eq!(row[2..14], [0, 0, 0, 8, 2, 24, 0, 4, 1, 2, 3, 4]);
    let sink = client.copy_in::<_, Bytes>("COPY n2 FROM STDIN (FORMAT binary)").await.unwrap();
    pin_mut!(sink);
    sink.send(Bytes::from(binary)).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);
    let out: Vec<Bytes> =
        client.copy_out("COPY n2 TO STDOUT").await.unwrap().try_collect().await.unwrap();
    assert_eq!(out.concat(), text.as_bytes());
}

/// COPY TO shows values as a query's text results do: in the session's TimeZone,
/// DateStyle and extra_float_digits (expected output from PostgreSQL 15).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_follows_the_session_output_settings() {
    let server = db_server().await;
    let client = connect(&server).await;
    client.batch_execute("SET timezone = 'America/New_York'").await.unwrap();
    let query = "COPY (SELECT timestamptz '2024-01-02 03:04:05+00', 1.5::float8, \
                 interval '1 day 2 hours', E'a\\tb') TO STDOUT";
    let out: Vec<Bytes> = client.copy_out(query).await.unwrap().try_collect().await.unwrap();
    assert_eq!(out.concat(), b"2024-01-01 22:04:05-05\t1.5\t1 day 02:00:00\ta\\tb\n");
    client.batch_execute("SET datestyle = 'SQL, DMY'; SET extra_float_digits = 0").await.unwrap();
    let query = "COPY (SELECT timestamptz '2024-01-02 03:04:05+00', 0.1::float8 + 0.2) \
                 TO STDOUT (FORMAT csv)";
    let out: Vec<Bytes> = client.copy_out(query).await.unwrap().try_collect().await.unwrap();
    assert_eq!(out.concat(), b"01/01/2024 22:04:05 EST,0.3\n");
}
