//! The INSERT fast paths give the same answers as the general ones: prepared statements
//! that reuse their plan, shared session facts and the transaction's catalog, and rows
//! written with per-statement key and row encoders. Every constraint is still enforced
//! (NOT NULL, CHECK, UNIQUE / PRIMARY KEY, FOREIGN KEY), defaults and identity columns
//! are filled, and RETURNING / ON CONFLICT see the rows.

use heliosdb_nano::{Connection, Database, StatementResult, Value};

fn conn() -> Connection {
    Database::open_in_memory().expect("open").connect()
}

fn run(c: &mut Connection, sql: &str) {
    let out = c.execute_batch(sql);
    assert!(out.error.is_none(), "{sql}: {:?}", out.error);
}

/// Rows as text, columns joined with `|`, NULL as "NULL".
fn text(c: &mut Connection, sql: &str) -> Vec<String> {
    let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    r.rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| if v.is_null() { "NULL".to_string() } else { v.to_pg_text() })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

fn rows(r: StatementResult) -> Vec<Vec<Value>> {
    match r {
        StatementResult::Rows(q) => q.rows,
        StatementResult::Command { .. } => panic!("expected rows"),
    }
}

fn state<T>(r: heliosdb_nano::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.sqlstate().code().to_string(),
    }
}

#[test]
fn prepared_statements_see_changed_settings() {
    let mut c = conn();
    let sel = c.prepare("SELECT current_setting('application_name')", &[]).unwrap();
    assert_eq!(rows(c.execute_prepared(&sel, &[]).unwrap()), vec![vec![Value::Text("".into())]]);
    c.execute("SET application_name = 'bench'", &[]).unwrap();
    let got = rows(c.execute_prepared(&sel, &[]).unwrap());
    assert_eq!(got, vec![vec![Value::Text("bench".into())]]);
    c.execute("RESET application_name", &[]).unwrap();
    assert_eq!(rows(c.execute_prepared(&sel, &[]).unwrap()), vec![vec![Value::Text("".into())]]);
}

#[test]
fn prepared_insert_in_one_transaction_enforces_constraints() {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE p (id int PRIMARY KEY);
         INSERT INTO p VALUES (1), (2);
         CREATE TABLE t (id bigint PRIMARY KEY, code text UNIQUE, n int NOT NULL CHECK (n >= 0),
                         pid int REFERENCES p (id), d text DEFAULT 'dflt')",
    );
    c.execute("BEGIN", &[]).unwrap();
    let ins = c.prepare("INSERT INTO t (id, code, n, pid) VALUES ($1, $2, $3, $4)", &[]).unwrap();
    let i8 = Value::Int8;
    let t = |s: &str| Value::Text(s.into());
    for i in 0..100 {
        let p =
            [i8(i), t(&format!("c{i}")), Value::Int4(i as i32), Value::Int4(1 + (i % 2) as i32)];
        c.execute_prepared(&ins, &p).unwrap();
    }
    c.execute("SAVEPOINT s", &[]).unwrap();
    let cases: [([Value; 4], &str); 6] = [
        ([i8(5), t("new"), Value::Int4(1), Value::Null], "23505"), // primary key, same txn
        ([i8(500), t("c7"), Value::Int4(1), Value::Null], "23505"), // unique, same txn
        ([i8(501), t("x"), Value::Null, Value::Null], "23502"),
        ([i8(502), t("y"), Value::Int4(-1), Value::Null], "23514"),
        ([i8(503), t("z"), Value::Int4(1), Value::Int4(9)], "23503"),
        ([Value::Null, t("w"), Value::Int4(1), Value::Null], "23502"), // NULL primary key
    ];
    for (p, want) in cases {
        assert_eq!(state(c.execute_prepared(&ins, &p)), want, "{p:?}");
        c.execute("ROLLBACK TO SAVEPOINT s", &[]).unwrap();
    }
    // NULL never conflicts in a unique column.
    c.execute_prepared(&ins, &[i8(600), Value::Null, Value::Int4(0), Value::Null]).unwrap();
    c.execute_prepared(&ins, &[i8(601), Value::Null, Value::Int4(0), Value::Null]).unwrap();
    c.execute("COMMIT", &[]).unwrap();
    assert_eq!(
        text(&mut c, "SELECT count(*), count(DISTINCT code), min(d), max(d) FROM t"),
        ["102|100|dflt|dflt"]
    );
    assert_eq!(text(&mut c, "SELECT id, code, n, pid FROM t WHERE id = 7"), ["7|c7|7|2"]);
    // Committed rows conflict too, by primary key and by unique column.
    let p = [i8(7), t("fresh"), Value::Int4(1), Value::Null];
    assert_eq!(state(c.execute_prepared(&ins, &p)), "23505");
    let p = [i8(700), t("c8"), Value::Int4(1), Value::Null];
    assert_eq!(state(c.execute_prepared(&ins, &p)), "23505");
    assert_eq!(text(&mut c, "SELECT count(*) FROM t"), ["102"]);
}

#[test]
fn identity_serial_and_tables_without_primary_key() {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE s (id serial PRIMARY KEY, v text);
         CREATE TABLE g (id int GENERATED ALWAYS AS IDENTITY, v text);
         CREATE TABLE h (v int)",
    );
    c.execute("BEGIN", &[]).unwrap();
    let a = c.prepare("INSERT INTO s (v) VALUES ($1) RETURNING id", &[]).unwrap();
    let b = c.prepare("INSERT INTO g (v) VALUES ($1)", &[]).unwrap();
    let h = c.prepare("INSERT INTO h VALUES ($1)", &[]).unwrap();
    for i in 0..5 {
        let got = rows(c.execute_prepared(&a, &[Value::Text(format!("v{i}"))]).unwrap());
        assert_eq!(got, vec![vec![Value::Int4(i + 1)]]);
        c.execute_prepared(&b, &[Value::Text(format!("w{i}"))]).unwrap();
        // The same value twice: a table without a primary key keeps both rows.
        c.execute_prepared(&h, &[Value::Int4(i % 2)]).unwrap();
    }
    c.execute("COMMIT", &[]).unwrap();
    assert_eq!(text(&mut c, "SELECT id, v FROM s ORDER BY id")[4], "5|v4");
    assert_eq!(
        text(&mut c, "SELECT id, v FROM g ORDER BY id"),
        ["1|w0", "2|w1", "3|w2", "4|w3", "5|w4"]
    );
    assert_eq!(text(&mut c, "SELECT v, count(*) FROM h GROUP BY v ORDER BY v"), ["0|3", "1|2"]);
}

#[test]
fn multi_row_values_and_insert_select_share_the_checks() {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE t (id int PRIMARY KEY, v int UNIQUE, w int CHECK (w <> 13));
         CREATE INDEX t_w ON t (w);
         INSERT INTO t VALUES (1, 10, 1), (2, 20, 2), (3, 30, 3)",
    );
    // A duplicate inside one statement, a duplicate of a committed row, a CHECK failure:
    // each rolls back the whole statement.
    assert_eq!(state(c.execute("INSERT INTO t VALUES (4, 40, 4), (4, 41, 4)", &[])), "23505");
    assert_eq!(state(c.execute("INSERT INTO t VALUES (5, 50, 5), (6, 20, 6)", &[])), "23505");
    assert_eq!(state(c.execute("INSERT INTO t VALUES (7, 70, 7), (8, 80, 13)", &[])), "23514");
    assert_eq!(state(c.execute("INSERT INTO t SELECT id + 10, v, w FROM t", &[])), "23505");
    assert_eq!(text(&mut c, "SELECT count(*) FROM t"), ["3"]);
    let r = c.query("INSERT INTO t SELECT id + 10, v + 1, w + 100 FROM t RETURNING id, w", &[]);
    assert_eq!(r.unwrap().rows.len(), 3);
    // The secondary index finds the new rows.
    assert_eq!(text(&mut c, "SELECT id FROM t WHERE w = 102"), ["12"]);
    assert_eq!(text(&mut c, "SELECT count(*) FROM t"), ["6"]);
}

#[test]
fn on_conflict_in_prepared_inserts() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE kv (k int PRIMARY KEY, v int, n int DEFAULT 0)");
    c.execute("BEGIN", &[]).unwrap();
    let up = c
        .prepare(
            "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE \
             SET v = kv.v + EXCLUDED.v, n = kv.n + 1 RETURNING k, v, n",
            &[],
        )
        .unwrap();
    let nothing = c.prepare("INSERT INTO kv VALUES ($1, $2) ON CONFLICT DO NOTHING", &[]).unwrap();
    for i in 0..6 {
        c.execute_prepared(&up, &[Value::Int4(i % 3), Value::Int4(i)]).unwrap();
    }
    let last = rows(c.execute_prepared(&up, &[Value::Int4(0), Value::Int4(100)]).unwrap());
    assert_eq!(last, vec![vec![Value::Int4(0), Value::Int4(103), Value::Int4(2)]]);
    c.execute_prepared(&nothing, &[Value::Int4(1), Value::Int4(-1)]).unwrap();
    c.execute_prepared(&nothing, &[Value::Int4(9), Value::Int4(-9)]).unwrap();
    c.execute("COMMIT", &[]).unwrap();
    assert_eq!(
        text(&mut c, "SELECT k, v, n FROM kv ORDER BY k"),
        ["0|103|2", "1|5|1", "2|7|1", "9|-9|0"]
    );
    // One statement may not update the same row twice (21000).
    let r = c.execute(
        "INSERT INTO kv (k, v) VALUES (5, 1), (5, 2) ON CONFLICT (k) DO UPDATE SET v = 0",
        &[],
    );
    assert_eq!(state(r), "21000");
}

#[test]
fn schema_changes_between_prepared_inserts_are_seen() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, "CREATE TABLE t (id int PRIMARY KEY, v int)");
    let ins = c.prepare("INSERT INTO t (id, v) VALUES ($1, $2)", &[]).unwrap();
    c.execute("BEGIN", &[]).unwrap();
    c.execute_prepared(&ins, &[Value::Int4(1), Value::Int4(1)]).unwrap();
    // DDL inside the same transaction, then the same prepared statement.
    c.execute("ALTER TABLE t ADD COLUMN d text DEFAULT 'x'", &[]).unwrap();
    c.execute_prepared(&ins, &[Value::Int4(2), Value::Int4(2)]).unwrap();
    c.execute("SAVEPOINT s", &[]).unwrap();
    c.execute("ALTER TABLE t ADD CONSTRAINT pos CHECK (v > 0)", &[]).unwrap();
    assert_eq!(state(c.execute_prepared(&ins, &[Value::Int4(3), Value::Int4(-3)])), "23514");
    // Rolling back to the savepoint removes the constraint again.
    c.execute("ROLLBACK TO SAVEPOINT s", &[]).unwrap();
    c.execute_prepared(&ins, &[Value::Int4(3), Value::Int4(-3)]).unwrap();
    c.execute("COMMIT", &[]).unwrap();
    assert_eq!(
        text(&mut c, "SELECT id, v, d FROM t WHERE id > 1 ORDER BY id"),
        ["2|2|x", "3|-3|x"]
    );

    // Another session's committed DDL is seen by the next statement (READ COMMITTED).
    let mut other = db.connect();
    c.execute("BEGIN", &[]).unwrap();
    c.execute_prepared(&ins, &[Value::Int4(4), Value::Int4(4)]).unwrap();
    run(&mut other, "ALTER TABLE t ADD CONSTRAINT small CHECK (v < 100)");
    assert_eq!(state(c.execute_prepared(&ins, &[Value::Int4(5), Value::Int4(500)])), "23514");
    c.execute("ROLLBACK", &[]).unwrap();
}

/// A table that asks nothing of a row beyond types, NOT NULL and unique keys takes its
/// rows straight from the parameters; length and precision limits, constraint errors,
/// constants and reordered parameters still behave as on the general path.
#[test]
fn rows_taken_from_parameters_are_checked() {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE d (id bigint PRIMARY KEY, code varchar(3) NOT NULL UNIQUE,
                         amount numeric(5,2), at timestamp(0), note text)",
    );
    c.execute("BEGIN", &[]).unwrap();
    let ins = c.prepare("INSERT INTO d VALUES ($1, $2, $3, $4, $5)", &[]).unwrap();
    let swapped = c.prepare("INSERT INTO d (code, id) VALUES ($2, $1)", &[]).unwrap();
    let constant = c.prepare("INSERT INTO d (id, code, note) VALUES ($1, 'k', NULL)", &[]).unwrap();
    let t = |s: &str| Value::Text(s.into());
    let num = |s: &str| c_num(s);
    let at = |micros: i64| Value::Timestamp(micros);
    let r =
        c.execute_prepared(&ins, &[Value::Int8(1), t("ab  "), num("1.005"), at(1_600_000), t("n")]);
    assert!(matches!(r, Ok(StatementResult::Command { rows_affected: 1, .. })), "{r:?}");
    c.execute_prepared(&swapped, &[Value::Int8(2), t("cd")]).unwrap();
    c.execute_prepared(&constant, &[Value::Int8(3)]).unwrap();
    c.execute("SAVEPOINT s", &[]).unwrap();
    let cases: [([Value; 5], &str); 5] = [
        ([Value::Int8(4), t("abcd"), Value::Null, Value::Null, Value::Null], "22001"),
        ([Value::Int8(4), t("ab"), num("12345.6"), Value::Null, Value::Null], "22003"),
        ([Value::Int8(1), t("zz"), Value::Null, Value::Null, Value::Null], "23505"),
        ([Value::Int8(4), t("cd"), Value::Null, Value::Null, Value::Null], "23505"),
        ([Value::Int8(4), Value::Null, Value::Null, Value::Null, Value::Null], "23502"),
    ];
    for (p, want) in cases {
        assert_eq!(state(c.execute_prepared(&ins, &p)), want, "{p:?}");
        // The block is aborted until the savepoint is rolled back to.
        assert_eq!(state(c.execute_prepared(&constant, &[Value::Int8(9)])), "25P02");
        c.execute("ROLLBACK TO SAVEPOINT s", &[]).unwrap();
    }
    c.execute("COMMIT", &[]).unwrap();
    assert_eq!(
        text(&mut c, "SELECT id, code, amount, at, note FROM d ORDER BY id"),
        ["1|ab |1.01|2000-01-01 00:00:02|n", "2|cd|NULL|NULL|NULL", "3|k|NULL|NULL|NULL"]
    );
}

fn c_num(s: &str) -> Value {
    Value::parse_pg_text(s, &heliosdb_nano::DataType::Numeric(None)).expect("numeric")
}

/// Two transactions inserting the same key: the second waits for the first and then
/// fails with 23505 when it committed, or inserts when it rolled back.
#[test]
fn concurrent_inserts_of_one_key_wait_for_the_first() {
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    run(&mut a, "CREATE TABLE k (id int PRIMARY KEY, v int)");
    for commit in [true, false] {
        let id = if commit { 1 } else { 2 };
        a.execute("BEGIN", &[]).unwrap();
        let ins = a.prepare("INSERT INTO k VALUES ($1, $2)", &[]).unwrap();
        a.execute_prepared(&ins, &[Value::Int4(id), Value::Int4(10)]).unwrap();
        let mut b = db.connect();
        let waiter = std::thread::spawn(move || {
            b.execute("BEGIN", &[]).unwrap();
            let ins = b.prepare("INSERT INTO k VALUES ($1, $2)", &[]).unwrap();
            let r = b.execute_prepared(&ins, &[Value::Int4(id), Value::Int4(20)]);
            let code = r.err().map(|e| e.sqlstate().code().to_string());
            b.execute(if code.is_some() { "ROLLBACK" } else { "COMMIT" }, &[]).unwrap();
            code
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        a.execute(if commit { "COMMIT" } else { "ROLLBACK" }, &[]).unwrap();
        let got = waiter.join().expect("waiter");
        if commit {
            assert_eq!(got.as_deref(), Some("23505"));
        } else {
            assert_eq!(got, None);
        }
    }
    assert_eq!(text(&mut a, "SELECT id, v FROM k ORDER BY id"), ["1|10", "2|20"]);
}
