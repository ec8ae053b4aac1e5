//! Wider SQL coverage through the public API: grouping sets, DISTINCT ON, LATERAL,
//! windows, aggregate modifiers, quantified subqueries, sequences and identity, foreign
//! key actions, persistence, parameters and cancellation.

mod support;

use heliosdb_nano::{Connection, DataType, Database, Options, StatementResult, Value};
use support::{conn, err, rows, run};

fn sales() -> Connection {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE s (region text, item text, qty int);
         INSERT INTO s VALUES ('n', 'a', 1), ('n', 'b', 2), ('s', 'a', 3), ('s', 'a', 4);",
    );
    c
}

#[test]
fn grouping_sets_rollup_cube() {
    let mut c = sales();
    assert_eq!(
        rows(
            &mut c,
            "SELECT region, sum(qty) FROM s GROUP BY ROLLUP (region) ORDER BY region NULLS LAST"
        ),
        vec!["n|3", "s|7", "NULL|10"]
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT region, item, sum(qty) FROM s GROUP BY CUBE (region, item) ORDER BY 1, 2"
        ),
        vec![
            "n|a|1",
            "n|b|2",
            "n|NULL|3",
            "s|a|7",
            "s|NULL|7",
            "NULL|a|8",
            "NULL|b|2",
            "NULL|NULL|10"
        ]
    );
    assert_eq!(
        rows(&mut c, "SELECT item, count(*) FROM s GROUP BY GROUPING SETS ((item), ()) ORDER BY 1"),
        vec!["a|3", "b|1", "NULL|4"]
    );
    assert_eq!(
        rows(&mut c, "SELECT region, grouping(region), sum(qty) FROM s GROUP BY ROLLUP (region) HAVING grouping(region) = 1"),
        vec!["NULL|1|10"]
    );
    assert_eq!(err(&mut c, "SELECT grouping(qty) FROM s GROUP BY region"), "42803");
}

#[test]
fn distinct_on_and_fetch() {
    let mut c = sales();
    assert_eq!(
        rows(&mut c, "SELECT DISTINCT ON (region) region, qty FROM s ORDER BY region, qty DESC"),
        vec!["n|2", "s|4"]
    );
    assert_eq!(
        rows(&mut c, "SELECT qty FROM s ORDER BY qty FETCH FIRST 2 ROWS ONLY"),
        vec!["1", "2"]
    );
}

#[test]
fn lateral_and_functions_in_from() {
    let mut c = sales();
    assert_eq!(
        rows(
            &mut c,
            "SELECT r.region, t.qty FROM (SELECT DISTINCT region FROM s) r,
             LATERAL (SELECT qty FROM s WHERE s.region = r.region ORDER BY qty DESC LIMIT 1) t ORDER BY 1"
        ),
        vec!["n|2", "s|4"]
    );
    assert_eq!(rows(&mut c, "SELECT g * 2 FROM generate_series(1, 3) AS g"), vec!["2", "4", "6"]);
    assert_eq!(
        rows(
            &mut c,
            "SELECT x FROM s, unnest(ARRAY[qty, qty * 10]) AS x WHERE item = 'b' ORDER BY 1"
        ),
        vec!["2", "20"]
    );
}

#[test]
fn window_functions() {
    let mut c = sales();
    assert_eq!(
        rows(&mut c, "SELECT qty, row_number() OVER (ORDER BY qty), sum(qty) OVER (PARTITION BY region) FROM s ORDER BY qty"),
        vec!["1|1|3", "2|2|3", "3|3|7", "4|4|7"]
    );
    assert_eq!(
        rows(&mut c, "SELECT qty, sum(qty) OVER (ORDER BY qty ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM s ORDER BY qty"),
        vec!["1|1", "2|3", "3|5", "4|7"]
    );
    assert_eq!(
        rows(&mut c, "SELECT qty, rank() OVER w, lag(qty) OVER w FROM s WINDOW w AS (ORDER BY region) ORDER BY qty"),
        vec!["1|1|NULL", "2|1|1", "3|3|2", "4|3|3"]
    );
}

#[test]
fn aggregate_modifiers() {
    let mut c = sales();
    assert_eq!(
        rows(&mut c, "SELECT count(DISTINCT item), sum(qty) FILTER (WHERE item = 'a'), string_agg(item, ',' ORDER BY qty DESC) FROM s"),
        vec!["2|8|a,a,b,a"]
    );
    assert_eq!(
        rows(&mut c, "SELECT avg(qty), max(item), bool_and(qty > 0) FROM s"),
        vec!["2.5000000000000000|b|t"]
    );
}

#[test]
fn quantified_subqueries_and_null_semantics() {
    let mut c = sales();
    assert_eq!(
        rows(&mut c, "SELECT 5 > ALL (SELECT qty FROM s), 4 = ANY (SELECT qty FROM s)"),
        vec!["t|t"]
    );
    assert_eq!(
        rows(&mut c, "SELECT 1 IN (2, NULL), 1 NOT IN (SELECT NULL::int)"),
        vec!["NULL|NULL"]
    );
    assert_eq!(rows(&mut c, "SELECT NULL = NULL, NULL IS NULL"), vec!["NULL|t"]);
}

#[test]
fn sequences_identity_truncate() {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
         INSERT INTO t (v) VALUES ('a'), ('b');",
    );
    assert_eq!(rows(&mut c, "SELECT id, v FROM t ORDER BY id"), vec!["1|a", "2|b"]);
    assert_eq!(err(&mut c, "INSERT INTO t (id, v) VALUES (9, 'x')"), "428C9");
    run(&mut c, "INSERT INTO t (id, v) OVERRIDING SYSTEM VALUE VALUES (9, 'x')");
    run(&mut c, "TRUNCATE t");
    assert_eq!(rows(&mut c, "SELECT count(*) FROM t"), vec!["0"]);
    run(&mut c, "DROP TABLE IF EXISTS nope; DROP TABLE t; CREATE TABLE IF NOT EXISTS t (x int); CREATE TABLE IF NOT EXISTS t (x int);");
}

#[test]
fn foreign_key_actions() {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE p (id int PRIMARY KEY);
         CREATE TABLE ch (id int PRIMARY KEY, pid int REFERENCES p ON DELETE CASCADE);
         CREATE TABLE sn (id int PRIMARY KEY, pid int REFERENCES p ON DELETE SET NULL);
         INSERT INTO p VALUES (1), (2); INSERT INTO ch VALUES (10, 1), (11, 2); INSERT INTO sn VALUES (20, 1);
         DELETE FROM p WHERE id = 1;",
    );
    assert_eq!(rows(&mut c, "SELECT id FROM ch"), vec!["11"]);
    assert_eq!(rows(&mut c, "SELECT id, pid FROM sn"), vec!["20|NULL"]);
    assert_eq!(err(&mut c, "DROP TABLE p"), "2BP01");
}

#[test]
fn explain_analyze_and_topk() {
    let mut c = sales();
    let plan = rows(&mut c, "EXPLAIN SELECT * FROM s ORDER BY qty LIMIT 2");
    assert!(plan.iter().any(|l| l.contains("Top-K")), "{plan:?}");
    let analyzed = rows(&mut c, "EXPLAIN ANALYZE SELECT * FROM s WHERE qty > 1");
    assert!(analyzed.iter().any(|l| l.contains("actual rows=3")), "{analyzed:?}");
    assert!(analyzed.iter().any(|l| l.starts_with("Execution Time")), "{analyzed:?}");
    let join = rows(&mut c, "EXPLAIN SELECT * FROM s a JOIN s b ON a.qty = b.qty");
    assert!(join.iter().any(|l| l.contains("Hash Join")), "{join:?}");
    assert!(join.iter().any(|l| l.trim() == "Hash Cond: (a.qty = b.qty)"), "{join:?}");
    // An integer key is checked by the hash table alone; a float key (hash equality is
    // not exactly `=` for every float pair) keeps its residual check.
    assert!(!join.iter().any(|l| l.contains("Join Filter")), "{join:?}");
    let float = rows(&mut c, "EXPLAIN SELECT * FROM s a JOIN s b ON a.qty::float8 = b.qty::float8");
    assert!(float.iter().any(|l| l.trim().starts_with("Hash Cond:")), "{float:?}");
    assert!(float.iter().any(|l| l.trim().starts_with("Join Filter:")), "{float:?}");
    let mixed =
        rows(&mut c, "EXPLAIN SELECT * FROM s a JOIN s b ON a.qty = b.qty AND a.item < b.item");
    assert!(mixed.iter().any(|l| l.trim() == "Join Filter: (a.item < b.item)"), "{mixed:?}");
    let filtered = rows(&mut c, "EXPLAIN SELECT item FROM s WHERE qty > 2 ORDER BY item");
    assert!(filtered.iter().any(|l| l.trim() == "Filter: (s.qty > 2)"), "{filtered:?}");
    assert!(filtered.iter().any(|l| l.trim() == "Sort Key: item"), "{filtered:?}");
}

#[test]
fn parameters_and_prepared_plans() {
    let mut c = sales();
    let n = c
        .query(
            "SELECT count(*) FROM s WHERE region = ? AND qty > ?",
            &[Value::Text("s".into()), Value::Int4(3)],
        )
        .unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int8(1)]]);
    // Text parameters are parsed as the inferred type (as the wire protocol sends them).
    let n =
        c.query("SELECT qty + $1 FROM s WHERE item = 'b'", &[Value::Text("40".into())]).unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int4(42)]]);
    let st = c
        .prepare(
            "INSERT INTO s VALUES ($1, $2, $3)",
            &[DataType::Text, DataType::Unknown, DataType::Unknown],
        )
        .unwrap();
    assert_eq!(st.param_types(), &[DataType::Text, DataType::Text, DataType::Int4]);
    match c
        .execute_prepared(&st, &[Value::Text("e".into()), Value::Text("z".into()), Value::Int4(5)])
        .unwrap()
    {
        StatementResult::Command { tag, rows_affected } => {
            assert_eq!((&*tag, rows_affected), ("INSERT 0 1", 1))
        }
        other => panic!("{other:?}"),
    }
    // The plan survives a schema change by being re-bound.
    run(&mut c, "ALTER TABLE s ADD COLUMN note text");
    c.execute_prepared(&st, &[Value::Text("w".into()), Value::Text("y".into()), Value::Int4(6)])
        .unwrap();
    assert_eq!(rows(&mut c, "SELECT count(*) FROM s WHERE note IS NULL"), vec!["6"]);
    assert_eq!(err(&mut c, "SELECT $1::int"), "42P02");
}

#[test]
fn batch_results_and_error_position() {
    let mut c = conn();
    let out = c.execute_batch("CREATE TABLE t (a int); INSERT INTO t VALUES (1); SELECT a FROM t; SELECT nope FROM t; SELECT 2");
    assert_eq!(out.results.len(), 3);
    assert_eq!(out.results[1].tag(), "INSERT 0 1");
    assert_eq!(out.results[2].tag(), "SELECT 1");
    assert_eq!(out.error.map(|e| e.sqlstate().code().to_string()).as_deref(), Some("42703"));
    // The failed batch was one implicit transaction: the table is gone too.
    assert_eq!(err(&mut c, "SELECT * FROM t"), "42P01");
}

#[test]
fn cancel_stops_a_long_query() {
    let mut c = conn();
    let handle = c.cancel_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        handle.cancel();
    });
    let e = c
        .execute("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r", &[])
        .unwrap_err();
    t.join().unwrap();
    assert_eq!(e.sqlstate().code(), "57014");
}

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path(), Options::default()).unwrap();
        let mut c = db.connect();
        run(&mut c, "CREATE TABLE t (id serial PRIMARY KEY, v text); CREATE INDEX t_v ON t (v); INSERT INTO t (v) VALUES ('x'), ('y');");
    }
    let db = Database::open(dir.path(), Options::default()).unwrap();
    let mut c = db.connect();
    assert_eq!(rows(&mut c, "SELECT id, v FROM t WHERE v = 'y'"), vec!["2|y"]);
    run(&mut c, "INSERT INTO t (v) VALUES ('z')");
    assert_eq!(rows(&mut c, "SELECT id FROM t WHERE v = 'z'"), vec!["3"]);
}

#[test]
fn information_schema_and_pg_catalog() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (id serial PRIMARY KEY, name varchar(20) NOT NULL); CREATE VIEW v AS SELECT id FROM t;");
    assert_eq!(
        rows(&mut c, "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"),
        vec!["t|BASE TABLE", "v|VIEW"]
    );
    assert_eq!(
        rows(&mut c, "SELECT column_name, data_type, is_nullable, character_maximum_length FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position"),
        vec!["id|integer|NO|NULL", "name|character varying|NO|20"]
    );
    assert_eq!(
        rows(&mut c, "SELECT indexname FROM pg_indexes WHERE tablename = 't'"),
        vec!["t_pkey"]
    );
}

#[test]
fn sequence_functions() {
    let mut c = conn();
    run(&mut c, "CREATE SEQUENCE sq; CREATE TABLE t (id int, v text);");
    assert_eq!(err(&mut c, "SELECT currval('sq')"), "55000");
    assert_eq!(rows(&mut c, "SELECT nextval('sq'), nextval('sq'), currval('sq')"), vec!["1|2|2"]);
    assert_eq!(
        rows(
            &mut c,
            "INSERT INTO t VALUES (nextval('sq'), 'a'), (nextval('sq'), 'b') RETURNING id"
        ),
        vec!["3", "4"]
    );
    assert_eq!(rows(&mut c, "SELECT setval('sq', 100), nextval('sq')"), vec!["100|101"]);
    assert_eq!(rows(&mut c, "SELECT setval('sq', 5, false), nextval('sq')"), vec!["5|5"]);
    // Rolled-back transactions do not give values back, as in PostgreSQL.
    run(&mut c, "BEGIN; SELECT nextval('sq'); ROLLBACK;");
    assert_eq!(rows(&mut c, "SELECT nextval('sq')"), vec!["7"]);
    assert_eq!(err(&mut c, "SELECT nextval('nope')"), "42P01");
}

#[test]
fn data_modifying_with() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE src (v int)");
    assert_eq!(
        rows(
            &mut c,
            "WITH ins AS (INSERT INTO src VALUES (1), (2), (3) RETURNING v) SELECT sum(v) FROM ins"
        ),
        vec!["6"]
    );
    assert_eq!(
        rows(&mut c, "WITH d AS (DELETE FROM src WHERE v > 1 RETURNING v) SELECT count(*) FROM d"),
        vec!["2"]
    );
    assert_eq!(rows(&mut c, "SELECT v FROM src"), vec!["1"]);
}

#[test]
fn concurrent_sessions() {
    let db = Database::open_in_memory().unwrap();
    let mut setup = db.connect();
    run(&mut setup, "CREATE TABLE c (id serial PRIMARY KEY, who int); CREATE TABLE acct (id int PRIMARY KEY, bal int); INSERT INTO acct VALUES (1, 100);");
    let handles: Vec<_> = (0..4)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut c = db.connect();
                for _ in 0..25 {
                    c.execute("INSERT INTO c (who) VALUES ($1)", &[Value::Int4(w)]).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(rows(&mut setup, "SELECT count(*), count(DISTINCT id) FROM c"), vec!["100|100"]);
    // Two transactions updating the same row: the second waits for the first, then (READ
    // COMMITTED) updates the committed version, so both decrements land.
    let mut a = db.connect();
    run(&mut a, "BEGIN; UPDATE acct SET bal = bal - 10 WHERE id = 1;");
    let b = std::thread::spawn({
        let db = db.clone();
        move || {
            let mut b = db.connect();
            run(&mut b, "BEGIN; UPDATE acct SET bal = bal - 20 WHERE id = 1; COMMIT");
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!b.is_finished(), "the second updater waits for the first");
    run(&mut a, "COMMIT");
    b.join().unwrap();
    assert_eq!(rows(&mut setup, "SELECT bal FROM acct"), vec!["70"]);
}

#[test]
fn create_table_clauses_we_lack_are_refused() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE parent (a int)");
    assert_eq!(err(&mut c, "CREATE TABLE child () INHERITS (parent)"), "0A000");
    // Partitioning is built (crates/nano/tests/partitions.rs); a plain table takes no
    // partitions.
    assert_eq!(
        err(&mut c, "CREATE TABLE part1 PARTITION OF parent FOR VALUES FROM (1) TO (10)"),
        "42P17"
    );
    assert!(
        rows(&mut c, "SELECT relname FROM pg_class WHERE relname IN ('child', 'part1')").is_empty()
    );
}

#[test]
fn renames_rewrite_the_views_that_read_them_or_are_refused() {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE a (id int, x int); CREATE TABLE b (id int, x int);
         INSERT INTO a VALUES (1, 10); INSERT INTO b VALUES (1, 20);
         CREATE VIEW only_a AS SELECT x FROM a;
         CREATE VIEW both_ab AS SELECT a.x AS ax, b.x AS bx FROM a JOIN b ON a.id = b.id;",
    );
    // Renaming the table rewrites the view's query: it names the new table, aliased
    // with the old name, and still reads the same rows.
    run(&mut c, "ALTER TABLE a RENAME TO a2");
    assert_eq!(
        rows(&mut c, "SELECT pg_get_viewdef('only_a'::regclass)"),
        vec![" SELECT x FROM a2 AS a;".to_string()]
    );
    assert_eq!(rows(&mut c, "SELECT * FROM both_ab"), vec!["10|20"]);
    // `x` in both_ab could be a2's or b's: the column rename is refused rather than
    // guessed (PostgreSQL follows the column by number; see docs/sql-engine.md), and
    // nothing changes.
    assert_eq!(err(&mut c, "ALTER TABLE a2 RENAME COLUMN x TO y"), "0A000");
    assert_eq!(rows(&mut c, "SELECT * FROM only_a"), vec!["10"]);
    // Without the join the rename goes through and only_a reads the renamed column.
    run(&mut c, "DROP VIEW both_ab; ALTER TABLE a2 RENAME COLUMN x TO y");
    assert_eq!(rows(&mut c, "SELECT x FROM only_a"), vec!["10"]);
    assert_eq!(
        rows(&mut c, "SELECT pg_get_viewdef('only_a'::regclass)"),
        vec![" SELECT y FROM a2 AS a;".to_string()]
    );
}
