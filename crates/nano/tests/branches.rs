//! Branches and time travel end to end through the embedded API and SQL.

use std::time::Duration;

use heliosdb_nano::{Connection, Database, OnConflict, Value};

fn ints(c: &mut Connection, sql: &str) -> Vec<i64> {
    let q = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    q.rows
        .iter()
        .map(|r| match &r[0] {
            Value::Int4(n) => i64::from(*n),
            Value::Int8(n) => *n,
            other => panic!("not an integer: {other:?}"),
        })
        .collect()
}

fn texts(c: &mut Connection, sql: &str) -> Vec<String> {
    let q = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    q.rows.iter().map(|r| r.iter().map(|v| v.to_pg_text()).collect::<Vec<_>>().join("|")).collect()
}

fn run(c: &mut Connection, sql: &str) {
    if let Some(e) = c.execute_batch(sql).error {
        panic!("{sql}: {e}");
    }
}

fn err(c: &mut Connection, sql: &str) -> heliosdb_nano::Error {
    match c.run(sql, &[]) {
        Ok(r) => panic!("{sql}: expected an error, got {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn branches_isolate_data_and_schema_and_merge_back() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(
        &mut c,
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    );
    run(&mut c, "CREATE BRANCH dev");
    assert_eq!(c.current_branch(), "main");
    run(&mut c, "USE BRANCH dev");
    assert_eq!(texts(&mut c, "SELECT current_branch()"), vec!["dev"]);
    assert_eq!(texts(&mut c, "SHOW helios.branch"), vec!["dev"]);
    run(&mut c, "INSERT INTO t VALUES (3, 'c'); UPDATE t SET v = 'bb' WHERE id = 2");
    run(&mut c, "CREATE TABLE extra (x int); INSERT INTO extra VALUES (42)");
    run(&mut c, "ALTER TABLE t ADD COLUMN w int");
    assert_eq!(ints(&mut c, "SELECT count(*) FROM t"), vec![3]);

    let mut m = db.connect();
    assert_eq!(ints(&mut m, "SELECT count(*) FROM t"), vec![2]);
    let e = err(&mut m, "SELECT * FROM extra");
    assert_eq!(e.sqlstate().code(), "42P01");
    assert_eq!(texts(&mut m, "SELECT v FROM t ORDER BY id"), vec!["a", "b"]);

    let diff = m.branch_diff("main", "dev").expect("diff");
    let t_rows: Vec<_> = diff.iter().filter(|d| d.table == "t").collect();
    // ADD COLUMN rewrote row 1 on dev, so it differs too.
    assert_eq!(t_rows.len(), 3, "{diff:?}");
    assert!(diff.iter().any(|d| d.table == "helios_catalog" && d.key == "table extra"));
    assert!(t_rows.iter().any(|d| d.change == "insert" && d.key == "(3)"));
    assert!(t_rows.iter().any(|d| d.change == "update"
        && d.old_row.as_deref() == Some("(2,b)")
        && d.new_row.as_deref() == Some("(2,bb,)")));

    // Dropping a branch in use is refused.
    let e = err(&mut m, "DROP BRANCH dev");
    assert_eq!(e.sqlstate().code(), "55006");

    let n = m.merge_branch("dev", "main", OnConflict::Fail).expect("merge");
    assert_eq!(n, 4);
    assert_eq!(texts(&mut m, "SELECT v FROM t ORDER BY id"), vec!["a", "bb", "c"]);
    assert_eq!(ints(&mut m, "SELECT x FROM extra"), vec![42]);
    assert_eq!(ints(&mut m, "SELECT count(w) FROM t"), vec![0]);

    run(&mut c, "USE BRANCH main");
    run(&mut m, "DROP BRANCH dev");
    let e = err(&mut m, "USE BRANCH dev");
    assert_eq!(e.sqlstate().code(), "42704");
    assert_eq!(e.message(), "branch \"dev\" does not exist");
}

#[test]
fn merge_conflicts_under_each_strategy() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'base')");
    for b in ["f", "o", "th"] {
        run(&mut c, &format!("CREATE BRANCH {b}"));
    }
    run(&mut c, "UPDATE t SET v = 'main' WHERE id = 1");
    let mut s = db.connect();
    for b in ["f", "o", "th"] {
        run(&mut s, &format!("USE BRANCH {b}; "));
        run(&mut s, &format!("UPDATE t SET v = '{b}' WHERE id = 1"));
    }
    run(&mut s, "USE BRANCH main");

    let conflicts = texts(&mut c, "SELECT * FROM helios_merge_conflicts('f', 'main')");
    assert_eq!(conflicts, vec!["t|(1)|(1,base)|(1,main)|(1,f)"]);
    let e = err(&mut c, "MERGE BRANCH f INTO main");
    assert_eq!(e.sqlstate().code(), "HB001");
    assert!(format!("{e:?}").contains("(1,f)"), "{e:?}");
    assert_eq!(texts(&mut c, "SELECT v FROM t"), vec!["main"]);

    run(&mut c, "MERGE BRANCH o INTO main WITH (on_conflict = 'ours')");
    assert_eq!(texts(&mut c, "SELECT v FROM t"), vec!["main"]);
    run(&mut c, "MERGE BRANCH th INTO main WITH (on_conflict = 'theirs')");
    assert_eq!(texts(&mut c, "SELECT v FROM t"), vec!["th"]);
}

#[test]
fn connections_on_different_branches_work_concurrently() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, "CREATE TABLE t (id int PRIMARY KEY, who text)");
    run(&mut c, "CREATE BRANCH a; CREATE BRANCH b");
    let handles: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut conn = db.connect();
                conn.use_branch(name).expect("use");
                for i in 0..50 {
                    conn.execute(&format!("INSERT INTO t VALUES ({i}, '{name}')"), &[])
                        .expect("insert");
                }
                texts(&mut conn, "SELECT DISTINCT who FROM t")
            })
        })
        .collect();
    for (h, name) in handles.into_iter().zip(["a", "b"]) {
        assert_eq!(h.join().expect("thread"), vec![name.to_string()]);
    }
    assert_eq!(ints(&mut c, "SELECT count(*) FROM t"), vec![0]);
    let branches = db.branches().expect("branches");
    let a = branches.iter().find(|b| b.name == "a").expect("a");
    assert_eq!(a.parent.as_deref(), Some("main"));
    assert_eq!(a.changed_rows, Some(50));
    // Prepared (extended protocol): Describe knows SHOW BRANCHES' columns.
    let st = c.prepare("SHOW BRANCHES", &[]).expect("prepare");
    assert_eq!(st.columns().len(), 5);
    assert_eq!(st.columns()[0].name, "name");
    let r = c.execute_prepared(&st, &[]).expect("run");
    match r {
        heliosdb_nano::StatementResult::Rows(q) => assert_eq!(q.rows.len(), 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn time_travel_reads_old_rows_and_old_schemas() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, "CREATE TABLE marks (name text, ts timestamptz, tx bigint)");
    run(&mut c, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'one')");
    run(&mut c, "INSERT INTO marks SELECT 'v1', helios_current_timestamp(), helios_last_txid()");
    run(&mut c, "ALTER TABLE t ADD COLUMN extra int DEFAULT 7");
    run(&mut c, "UPDATE t SET v = 'uno'; INSERT INTO t VALUES (2, 'two', 8)");
    // Old schema: two columns, old value.
    let q = c
        .query("SELECT * FROM t AS OF TIMESTAMP (SELECT ts FROM marks WHERE name = 'v1')", &[])
        .expect("as of");
    assert_eq!(q.columns.len(), 2);
    assert_eq!(q.rows, vec![vec![Value::Int4(1), Value::Text("one".into())]]);
    // The same through the SQL:2011 form and by transaction id.
    assert_eq!(
        texts(
            &mut c,
            "SELECT v FROM t FOR SYSTEM_TIME AS OF (SELECT ts FROM marks WHERE name = 'v1')"
        ),
        vec!["one"]
    );
    assert_eq!(
        texts(&mut c, "SELECT v FROM t AS OF TRANSACTION (SELECT tx FROM marks WHERE name = 'v1')"),
        vec!["one"]
    );
    // Two times in one query.
    assert_eq!(
        texts(
            &mut c,
            "SELECT o.v, n.v FROM t AS OF TIMESTAMP (SELECT ts FROM marks WHERE name = 'v1') AS o \
             JOIN t AS n ON n.id = o.id"
        ),
        vec!["one|uno"]
    );
    // The embedded API at a timestamp.
    let ts =
        c.query("SELECT ts FROM marks WHERE name = 'v1'", &[]).expect("mark").rows[0][0].clone();
    let ts = heliosdb_nano::Timestamp(match ts {
        Value::TimestampTz(us) => (us + 946_684_800_000_000) as u64,
        other => panic!("{other:?}"),
    });
    let q = c.query_as_of("SELECT count(*) FROM t", &[], ts).expect("query_as_of");
    assert_eq!(q.rows, vec![vec![Value::Int8(1)]]);

    // VERSIONS BETWEEN: insert, update, delete.
    run(&mut c, "DELETE FROM t WHERE id = 1");
    let ops = texts(
        &mut c,
        "SELECT id, v, helios_operation FROM t VERSIONS BETWEEN TIMESTAMP \
         (SELECT ts FROM marks WHERE name = 'v1') AND TIMESTAMP helios_current_timestamp() \
         ORDER BY helios_commit_ts, id",
    );
    // The bounds are inclusive: the insert at the mark is listed; ADD COLUMN rewrote
    // row 1, which shows as an update with the same visible values.
    assert_eq!(
        ops,
        vec!["1|one|insert", "1|one|update", "1|uno|update", "2|two|insert", "1|uno|delete"]
    );
    assert!(!texts(&mut c, "SELECT txid FROM helios_commits").is_empty());

    // Before the retention horizon: 72000.
    db.set_retention(Duration::from_secs(0)).expect("retention");
    std::thread::sleep(Duration::from_millis(5));
    let e = err(&mut c, "SELECT * FROM t AS OF TIMESTAMP (SELECT ts FROM marks WHERE name = 'v1')");
    assert_eq!(e.sqlstate().code(), "72000", "{e:?}");
    run(&mut c, "SET helios.retention = '7 days'");
    assert_eq!(texts(&mut c, "SHOW helios.retention"), vec!["7 days"]);
}
