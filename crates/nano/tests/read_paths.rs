//! The executor's read fast paths give the same answers as the general ones: primary-key
//! point lookups (with casts and NULL), hash joins of every kind, and streaming
//! aggregates next to DISTINCT / ORDER BY ones.

use heliosdb_nano::{Database, StatementResult, Value};

fn conn() -> heliosdb_nano::Connection {
    Database::open_in_memory().expect("open").connect()
}

fn rows(r: StatementResult) -> Vec<Vec<Value>> {
    match r {
        StatementResult::Rows(q) => q.rows,
        StatementResult::Command { .. } => panic!("expected rows"),
    }
}

#[test]
fn point_lookup_by_primary_key() {
    let mut c = conn();
    c.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text)", &[]).unwrap();
    c.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", &[]).unwrap();
    let sel = c.prepare("SELECT v FROM t WHERE id = $1", &[]).unwrap();
    let got = rows(c.execute_prepared(&sel, &[Value::Int8(2)]).unwrap());
    assert_eq!(got, vec![vec![Value::Text("b".into())]]);
    assert!(rows(c.execute_prepared(&sel, &[Value::Int8(9)]).unwrap()).is_empty());
    assert!(rows(c.execute_prepared(&sel, &[Value::Null]).unwrap()).is_empty());
    // An int4 literal against a bigint key, and a key plus another condition.
    let r = c.query("SELECT v FROM t WHERE id = 3", &[]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Text("c".into())]]);
    let r = c.query("SELECT v FROM t WHERE id = 3 AND v = 'x'", &[]).unwrap();
    assert!(r.rows.is_empty());
    // A two-column key fixed by equality on both columns, and on its first column only.
    c.execute("CREATE TABLE k (a int, b text, n int, PRIMARY KEY (a, b))", &[]).unwrap();
    c.execute("INSERT INTO k VALUES (1, 'x', 10), (1, 'xy', 11), (2, 'x', 20)", &[]).unwrap();
    let r = c.query("SELECT n FROM k WHERE a = 1 AND b = 'x'", &[]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Int4(10)]]);
    let r = c.query("SELECT n FROM k WHERE a = 1 ORDER BY n", &[]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Int4(10)], vec![Value::Int4(11)]]);
}

#[test]
fn hash_joins_of_every_kind() {
    let mut c = conn();
    let out = c.execute_batch(
        "CREATE TABLE l (id int PRIMARY KEY, k int);
         CREATE TABLE r (id int PRIMARY KEY, k int);
         INSERT INTO l VALUES (1, 10), (2, 20), (3, NULL), (4, 10);
         INSERT INTO r VALUES (1, 10), (2, 30), (3, 10)",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let q = |c: &mut heliosdb_nano::Connection, sql: &str| c.query(sql, &[]).unwrap().rows;
    let i = |x: i32| Value::Int4(x);
    assert_eq!(
        q(&mut c, "SELECT l.id, r.id FROM l JOIN r ON l.k = r.k ORDER BY 1, 2"),
        vec![vec![i(1), i(1)], vec![i(1), i(3)], vec![i(4), i(1)], vec![i(4), i(3)]]
    );
    assert_eq!(
        q(&mut c, "SELECT l.id, r.id FROM l LEFT JOIN r ON l.k = r.k ORDER BY 1, 2"),
        vec![
            vec![i(1), i(1)],
            vec![i(1), i(3)],
            vec![i(2), Value::Null],
            vec![i(3), Value::Null],
            vec![i(4), i(1)],
            vec![i(4), i(3)]
        ]
    );
    assert_eq!(
        q(&mut c, "SELECT l.id, r.id FROM l FULL JOIN r ON l.k = r.k ORDER BY 1, 2"),
        vec![
            vec![i(1), i(1)],
            vec![i(1), i(3)],
            vec![i(2), Value::Null],
            vec![i(3), Value::Null],
            vec![i(4), i(1)],
            vec![i(4), i(3)],
            vec![Value::Null, i(2)]
        ]
    );
    assert_eq!(
        q(&mut c, "SELECT id FROM l WHERE k IN (SELECT k FROM r) ORDER BY id"),
        vec![vec![i(1)], vec![i(4)]]
    );
    assert_eq!(
        q(
            &mut c,
            "SELECT id FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE r.k = l.k) ORDER BY id"
        ),
        vec![vec![i(2)], vec![i(3)]]
    );
    assert_eq!(
        q(&mut c, "SELECT l.id, r.id FROM l JOIN r ON l.k = r.k AND r.id > 1 ORDER BY 1"),
        vec![vec![i(1), i(3)], vec![i(4), i(3)]]
    );
}

#[test]
fn streaming_and_buffered_aggregates_agree() {
    let mut c = conn();
    let out = c.execute_batch(
        "CREATE TABLE a (g text, x bigint);
         INSERT INTO a VALUES ('p', 1), ('p', 2), ('p', 2), ('q', NULL), ('q', 5)",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    let r = c
        .query(
            "SELECT g, count(*), count(x), sum(x), sum(DISTINCT x), \
             string_agg(x::text, ',' ORDER BY x DESC), max(x) FILTER (WHERE x < 2) \
             FROM a GROUP BY g ORDER BY g",
            &[],
        )
        .unwrap()
        .rows;
    let t = |s: &str| Value::Text(s.into());
    assert_eq!(r[0][0], t("p"));
    assert_eq!(r[0][1], Value::Int8(3));
    assert_eq!(r[0][2], Value::Int8(3));
    assert_eq!(r[0][3].to_pg_text(), "5");
    assert_eq!(r[0][4].to_pg_text(), "3");
    assert_eq!(r[0][5], t("2,2,1"));
    assert_eq!(r[0][6], Value::Int8(1));
    assert_eq!(r[1][1], Value::Int8(2));
    assert_eq!(r[1][2], Value::Int8(1));
    assert_eq!(r[1][3].to_pg_text(), "5");
    assert_eq!(r[1][6], Value::Null);
}

#[test]
fn primary_key_ranges_leave_the_filter() {
    let mut c = conn();
    c.execute("CREATE TABLE t (id bigint PRIMARY KEY, f float8 UNIQUE, v text)", &[]).unwrap();
    c.execute("INSERT INTO t VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c'), (4, 4, 'd')", &[])
        .unwrap();
    let plan = |c: &mut heliosdb_nano::Connection, sql: &str| -> Vec<String> {
        c.query(&format!("EXPLAIN {sql}"), &[])
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r[0].to_pg_text())
            .collect()
    };
    // The key range says everything: no filter is left to evaluate per row.
    let p = plan(&mut c, "SELECT v FROM t WHERE id BETWEEN 2 AND 3");
    assert!(p.iter().any(|l| l.contains("Index Scan using t_pkey")), "{p:?}");
    assert!(!p.iter().any(|l| l.contains("Filter")), "{p:?}");
    // A condition on another column, or a second bound the range did not use, stays.
    let p = plan(&mut c, "SELECT v FROM t WHERE id >= 2 AND v <> 'c'");
    assert!(p.iter().any(|l| l.contains("Filter: (t.v <> 'c'")), "{p:?}");
    let p = plan(&mut c, "SELECT v FROM t WHERE id > 1 AND id > 2");
    assert!(p.iter().any(|l| l.contains("Filter")), "{p:?}");
    let r = c.query("SELECT v FROM t WHERE id > 1 AND id > 2 ORDER BY id", &[]).unwrap().rows;
    assert_eq!(r, vec![vec![Value::Text("c".into())], vec![Value::Text("d".into())]]);
    // Secondary index ranges keep their filter (index columns may be NULL).
    let p = plan(&mut c, "SELECT v FROM t WHERE f > 2");
    assert!(p.iter().any(|l| l.contains("Filter")), "{p:?}");
    let r =
        c.query("SELECT v FROM t WHERE id BETWEEN $1 AND $2", &[Value::Int8(2), Value::Int8(3)]);
    assert_eq!(r.unwrap().rows.len(), 2);
}

/// The rows of a one-statement simple-protocol batch.
fn batch(c: &mut heliosdb_nano::Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut out = c.execute_batch(sql);
    assert!(out.error.is_none(), "{sql}: {:?}", out.error);
    rows(out.results.pop().expect("a result"))
}

#[test]
fn simple_queries_share_plans_across_literals() {
    let mut c = conn();
    let out = c.execute_batch(
        "CREATE TABLE acc (aid int PRIMARY KEY, bal bigint, name text);
         INSERT INTO acc VALUES (1, 10, 'a'), (2, 20, 'b'), (3000000, 30, 'c')",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    // Same text but for the literal: one plan, each literal's own answer.
    for (aid, bal) in [(1, 10), (2, 20), (3_000_000, 30)] {
        let got = batch(&mut c, &format!("SELECT bal FROM acc WHERE aid = {aid};"));
        assert_eq!(got, vec![vec![Value::Int8(bal)]]);
    }
    assert!(batch(&mut c, "SELECT bal FROM acc WHERE aid = 4").is_empty());
    // A bigint-sized literal and a comparison other than equality.
    assert!(batch(&mut c, "SELECT bal FROM acc WHERE aid = 99999999999").is_empty());
    let got = batch(&mut c, "SELECT aid FROM acc WHERE aid >= 2 AND bal < 30 ORDER BY 1");
    assert_eq!(got, vec![vec![Value::Int4(2)]]);
    // Constants that are not comparison operands keep their meaning (ordinal, LIMIT).
    let got = batch(&mut c, "SELECT name, aid FROM acc WHERE aid > 0 ORDER BY 2 DESC LIMIT 1");
    assert_eq!(got, vec![vec![Value::Text("c".into()), Value::Int4(3_000_000)]]);
    let got = batch(&mut c, "SELECT aid = 2 FROM acc WHERE aid < 3 ORDER BY aid");
    assert_eq!(got, vec![vec![Value::Bool(false)], vec![Value::Bool(true)]]);

    // A schema change re-binds the cached plan.
    c.execute("ALTER TABLE acc RENAME COLUMN bal TO balance", &[]).unwrap();
    let out = c.execute_batch("SELECT bal FROM acc WHERE aid = 1");
    let e = out.error.expect("the column is gone");
    assert_eq!(e.sqlstate().code(), "42703", "{e}");
    assert!(e.to_string().contains("bal"), "{e}");
    assert_eq!(batch(&mut c, "SELECT balance FROM acc WHERE aid = 2"), vec![vec![Value::Int8(20)]]);
    c.execute("DROP TABLE acc", &[]).unwrap();
    c.execute("CREATE TABLE acc (aid int PRIMARY KEY, balance text)", &[]).unwrap();
    c.execute("INSERT INTO acc VALUES (2, 'x')", &[]).unwrap();
    assert_eq!(
        batch(&mut c, "SELECT balance FROM acc WHERE aid = 2"),
        vec![vec![Value::Text("x".into())]]
    );

    // search_path picks another table with the same name.
    let out = c.execute_batch(
        "CREATE SCHEMA other; CREATE TABLE other.acc (aid int, balance text);
         INSERT INTO other.acc VALUES (2, 'other')",
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    c.execute("SET search_path = other", &[]).unwrap();
    assert_eq!(
        batch(&mut c, "SELECT balance FROM acc WHERE aid = 2"),
        vec![vec![Value::Text("other".into())]]
    );
    c.execute("RESET search_path", &[]).unwrap();
    assert_eq!(
        batch(&mut c, "SELECT balance FROM acc WHERE aid = 2"),
        vec![vec![Value::Text("x".into())]]
    );

    // An error through the cache is the uncached error, and an explicit block fails.
    c.execute("BEGIN", &[]).unwrap();
    let e = c.execute_batch("SELECT balance FROM acc WHERE balance = 1").error.expect("text = int");
    assert_eq!(e.sqlstate().code(), "42883", "{e}");
    let e = c.execute_batch("SELECT balance FROM acc WHERE aid = 2").error.expect("aborted");
    assert_eq!(e.sqlstate().code(), "25P02", "{e}");
    c.execute("ROLLBACK", &[]).unwrap();
    assert_eq!(batch(&mut c, "SELECT balance FROM acc WHERE aid = 2").len(), 1);
}

#[test]
fn autocommit_reads_follow_other_sessions_and_rolled_back_ddl() {
    // Autocommit statements reuse the catalog they read and the storage read view while
    // nothing commits; every commit and every rolled-back DDL must end that reuse.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::open(dir.path(), heliosdb_nano::Options::default()).expect("open");
    let (mut a, mut b) = (db.connect(), db.connect());
    a.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text)", &[]).unwrap();
    a.execute("INSERT INTO t VALUES (1, 'one')", &[]).unwrap();
    let sel = a.prepare("SELECT * FROM t WHERE id = $1", &[]).unwrap();
    let get = |c: &mut heliosdb_nano::Connection, id: i64| {
        rows(c.execute_prepared(&sel, &[Value::Int8(id)]).unwrap())
    };
    assert_eq!(get(&mut a, 1), vec![vec![Value::Int8(1), Value::Text("one".into())]]);
    assert_eq!(get(&mut a, 1).len(), 1, "the same statement again, nothing committed between");

    // DDL inside a block, read, then rolled back: the table must be gone again.
    a.execute("BEGIN", &[]).unwrap();
    a.execute("CREATE TABLE u (id int)", &[]).unwrap();
    assert!(a.query("SELECT * FROM u", &[]).unwrap().rows.is_empty());
    a.execute("ROLLBACK", &[]).unwrap();
    let e = a.query("SELECT * FROM u", &[]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42P01");
    assert_eq!(get(&mut a, 1).len(), 1);

    // Another session's commits: new rows, then a new column.
    b.execute("INSERT INTO t VALUES (2, 'two')", &[]).unwrap();
    assert_eq!(get(&mut a, 2), vec![vec![Value::Int8(2), Value::Text("two".into())]]);
    b.execute("ALTER TABLE t ADD COLUMN w int DEFAULT 7", &[]).unwrap();
    assert_eq!(
        get(&mut a, 2),
        vec![vec![Value::Int8(2), Value::Text("two".into()), Value::Int4(7)]]
    );
    b.execute("DELETE FROM t WHERE id = 1", &[]).unwrap();
    assert!(get(&mut a, 1).is_empty());
    let r = a.query("SELECT id FROM t WHERE id BETWEEN 0 AND 9", &[]).unwrap();
    assert_eq!(r.rows, vec![vec![Value::Int8(2)]]);
}
