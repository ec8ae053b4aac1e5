//! `Connection::query_each` passes rows to its callback as the executor produces them.

mod support;

use heliosdb_nano::{Error, SqlState, Value};
use support::{conn, err, rows, run};

#[test]
fn rows_reach_the_callback_before_the_scan_ends() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE big (id int PRIMARY KEY); CREATE SEQUENCE calls");
    run(&mut c, "INSERT INTO big SELECT g FROM generate_series(1, 50000) g");
    // nextval runs once per row produced: stopping after three rows means the scan
    // produced no more than that, which a collected result would not allow.
    let mut got = Vec::new();
    let passed = c
        .query_each("SELECT id, nextval('calls') FROM big", &[], |row| {
            got.push(row.get::<i32>(0)?);
            Ok(got.len() < 3)
        })
        .expect("query_each");
    assert_eq!(passed, 3);
    assert_eq!(got.len(), 3);
    assert_eq!(rows(&mut c, "SELECT currval('calls')"), vec!["3"]);
}

#[test]
fn every_row_of_a_large_result_arrives_in_order() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    run(&mut c, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 20000) g");
    let mut next = 1;
    let passed = c
        .query_each("SELECT id, v FROM t WHERE id > $1 ORDER BY id", &[Value::Int4(0)], |row| {
            assert_eq!(row.get::<i32>("id")?, next);
            assert_eq!(row.get::<String>("v")?, format!("v{next}"));
            next += 1;
            Ok(true)
        })
        .expect("query_each");
    assert_eq!(passed, 20000);
}

#[test]
fn statements_that_return_rows_otherwise_hand_them_over() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (id serial PRIMARY KEY, v int)");
    let mut ids = Vec::new();
    let passed = c
        .query_each("INSERT INTO t (v) VALUES (10), (20) RETURNING id", &[], |row| {
            ids.push(row.get::<i32>(0)?);
            Ok(true)
        })
        .expect("insert returning");
    assert_eq!((passed, ids), (2, vec![1, 2]));
    // Autocommit committed the insert.
    assert_eq!(rows(&mut c, "SELECT count(*) FROM t"), vec!["2"]);
    let passed = c.query_each("UPDATE t SET v = v + 1", &[], |_| Ok(true)).expect("update");
    assert_eq!(passed, 0);
}

#[test]
fn an_error_from_the_callback_ends_the_statement() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)");
    run(&mut c, "BEGIN");
    let gave_up = c
        .query_each("SELECT id FROM t", &[], |_| {
            Err(Error::new(SqlState::DATA_EXCEPTION, "caller gave up"))
        })
        .unwrap_err();
    assert_eq!(gave_up.sqlstate(), SqlState::DATA_EXCEPTION);
    // As for any failed statement in a transaction block.
    assert_eq!(err(&mut c, "SELECT 1"), "25P02");
    run(&mut c, "ROLLBACK");
    let e = c.query_each("SELECT nope FROM t", &[], |_| Ok(true)).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42703");
}

#[test]
fn prepared_queries_stream_their_rows_and_stop_early() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (id bigint PRIMARY KEY, v text); CREATE SEQUENCE calls");
    run(&mut c, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5000) g");
    let stmt = c
        .prepare("SELECT id, v, nextval('calls') FROM t WHERE id BETWEEN $1 AND $2", &[])
        .expect("prepare");
    let mut got = Vec::new();
    let passed = c
        .query_prepared_each(&stmt, &[Value::Int8(10), Value::Int8(4000)], |row| {
            got.push((row.get::<i64>(0)?, row.get::<String>(1)?));
            Ok(got.len() < 4)
        })
        .expect("streamed");
    assert_eq!(passed, 4);
    assert_eq!(got, (10..14).map(|i| (i, format!("v{i}"))).collect::<Vec<_>>());
    // The scan stopped with the callback: nextval ran once per row handed over.
    assert_eq!(rows(&mut c, "SELECT currval('calls')"), vec!["4"]);
    // Run again with other parameters: the whole range arrives.
    let passed =
        c.query_prepared_each(&stmt, &[Value::Int8(4991), Value::Int8(9000)], |_| Ok(true));
    assert_eq!(passed.expect("second run"), 10);
    // An error from the callback ends the statement with that error.
    let e = c
        .query_prepared_each(&stmt, &[Value::Int8(1), Value::Int8(2)], |row| {
            row.get::<i32>(1).map(|_| true)
        })
        .expect_err("text read as int");
    assert_eq!(e.sqlstate(), SqlState::DATATYPE_MISMATCH);
    // The connection is usable afterwards (autocommit rolled the statement back).
    assert_eq!(rows(&mut c, "SELECT count(*) FROM t"), vec!["5000"]);
}

#[test]
fn rows_decoded_into_one_buffer_keep_their_own_values() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (id bigint PRIMARY KEY, v text, n int)");
    // Texts of changing lengths (and NULLs), so a reused text buffer both grows and
    // shrinks from row to row.
    run(
        &mut c,
        "INSERT INTO t SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('x', g % 13) || g END, \
         g % 5 FROM generate_series(1, 3000) g",
    );
    let text = |i: i64| (i % 7 != 0).then(|| format!("{}{i}", "x".repeat((i % 13) as usize)));
    // Reordered columns (moved out of the scan's buffer and given back), a filter and a
    // LIMIT over a primary key range.
    let stmt = c
        .prepare("SELECT v, id FROM t WHERE id BETWEEN $1 AND $2 AND n <> 2 LIMIT 1500", &[])
        .expect("prepare");
    let mut seen = 0;
    c.query_prepared_each(&stmt, &[Value::Int8(100), Value::Int8(2900)], |row| {
        let id = row.get::<i64>(1)?;
        assert_ne!(id % 5, 2, "filtered out");
        assert_eq!(row.get::<Option<String>>(0)?, text(id), "row {id}");
        seen += 1;
        Ok(true)
    })
    .expect("streamed");
    assert_eq!(seen, 1500);
    // Collected results own their rows: each one holds its own text.
    let all = c.query("SELECT id, v FROM t WHERE id <= 50", &[]).expect("collected").rows;
    assert_eq!(all.len(), 50);
    for r in &all {
        let Value::Int8(id) = r[0] else { panic!("id {:?}", r[0]) };
        let v = match &r[1] {
            Value::Text(s) => Some(s.clone()),
            Value::Null => None,
            other => panic!("v {other:?}"),
        };
        assert_eq!(v, text(id));
    }
    // An aggregate keeps the first row of each group while the scan reuses its buffer.
    let groups = rows(&mut c, "SELECT n, min(v), count(*) FROM t GROUP BY n ORDER BY n");
    let expected: Vec<String> = (0..5)
        .map(|n| {
            let min = (1..=3000).filter(|g| g % 5 == n).filter_map(text).min().expect("texts");
            format!("{n}|{min}|600")
        })
        .collect();
    assert_eq!(groups, expected);
}

/// The rows a FETCH returns, as `id|pad length`.
fn fetched(c: &mut heliosdb_nano::Connection, sql: &str) -> Vec<String> {
    rows(c, sql)
}

/// The `id|pad length` rows of ids `ids`, as the cursor below returns them.
fn expected(ids: impl IntoIterator<Item = i64>) -> Vec<String> {
    ids.into_iter().map(|g| format!("{g}|{}", g % 200)).collect()
}

#[test]
fn a_cursor_larger_than_work_mem_moves_to_a_file_and_scrolls() {
    let mut c = conn();
    run(&mut c, "SET work_mem = '64kB'; BEGIN");
    let before = heliosdb_nano::KeptRows::spills();
    // About 2.5 MB of rows: far past 64kB.
    run(
        &mut c,
        "DECLARE c SCROLL CURSOR FOR \
         SELECT g, length(repeat('x', g % 200)) FROM generate_series(1, 20000) g",
    );
    assert!(heliosdb_nano::KeptRows::spills() > before, "the cursor's rows went to a file");
    assert_eq!(fetched(&mut c, "FETCH 3 FROM c"), expected(1..=3));
    assert_eq!(fetched(&mut c, "FETCH ABSOLUTE 15000 FROM c"), expected([15000]));
    assert_eq!(fetched(&mut c, "FETCH BACKWARD 2 FROM c"), expected([14999, 14998]));
    assert_eq!(fetched(&mut c, "FETCH LAST FROM c"), expected([20000]));
    assert_eq!(fetched(&mut c, "FETCH PRIOR FROM c"), expected([19999]));
    assert_eq!(fetched(&mut c, "FETCH ABSOLUTE 1 FROM c"), expected([1]));
    assert_eq!(fetched(&mut c, "FETCH FORWARD 5000 FROM c"), expected(2..=5001));
    assert_eq!(fetched(&mut c, "FETCH RELATIVE -4999 FROM c"), expected([2]));
    assert_eq!(fetched(&mut c, "FETCH ALL FROM c").len(), 19998);
    assert!(fetched(&mut c, "FETCH NEXT FROM c").is_empty());
    run(&mut c, "COMMIT");
}

#[test]
fn where_current_of_reaches_the_row_of_a_cursor_kept_in_a_file() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    run(&mut c, "INSERT INTO t SELECT g, repeat('v', 100) FROM generate_series(1, 20000) g");
    run(&mut c, "SET work_mem = '64kB'; BEGIN");
    let before = heliosdb_nano::KeptRows::spills();
    run(&mut c, "DECLARE u CURSOR FOR SELECT id, v FROM t");
    assert!(heliosdb_nano::KeptRows::spills() > before);
    run(&mut c, "MOVE 12344 IN u");
    assert_eq!(rows(&mut c, "FETCH NEXT FROM u"), vec![format!("12345|{}", "v".repeat(100))]);
    run(&mut c, "UPDATE t SET v = 'changed' WHERE CURRENT OF u");
    run(&mut c, "COMMIT");
    assert_eq!(rows(&mut c, "SELECT id FROM t WHERE v = 'changed'"), vec!["12345"]);
}
