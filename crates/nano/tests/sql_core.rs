//! SQL behaviour through the public API: queries, joins, aggregates, DML, constraints,
//! transactions.

mod support;

use heliosdb_nano::{Connection, StatementResult, TxnStatus, Value};
use support::{conn, err, rows, run};

fn setup() -> Connection {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE emp (id int PRIMARY KEY, name text NOT NULL, dept int, salary numeric(10,2));
         CREATE TABLE dept (id int PRIMARY KEY, title text);
         INSERT INTO dept VALUES (1, 'eng'), (2, 'ops'), (3, 'empty');
         INSERT INTO emp VALUES (1, 'ann', 1, 100.50), (2, 'bob', 1, 90), (3, 'cid', 2, 80), (4, 'dan', NULL, 70);",
    );
    c
}

#[test]
fn select_where_order_limit() {
    let mut c = setup();
    assert_eq!(
        rows(
            &mut c,
            "SELECT name FROM emp WHERE salary > 75 ORDER BY salary DESC LIMIT 2 OFFSET 1"
        ),
        vec!["bob", "cid"]
    );
    assert_eq!(rows(&mut c, "SELECT 1 + 1, 'a' || 'b'"), vec!["2|ab"]);
    assert_eq!(
        rows(&mut c, "SELECT name FROM emp ORDER BY dept NULLS FIRST, id LIMIT 2"),
        vec!["dan", "ann"]
    );
    assert_eq!(
        rows(&mut c, "SELECT DISTINCT dept FROM emp WHERE dept IS NOT NULL ORDER BY 1"),
        vec!["1", "2"]
    );
}

#[test]
fn result_column_names() {
    let mut c = setup();
    let r = c
        .query(
            "SELECT id, count(*), 1 + 1, name AS n, upper(name) FROM emp GROUP BY id, name LIMIT 1",
            &[],
        )
        .unwrap();
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["id", "count", "?column?", "n", "upper"]);
}

#[test]
fn aggregates_and_having() {
    let mut c = setup();
    assert_eq!(
        rows(
            &mut c,
            "SELECT dept, count(*) FROM emp GROUP BY dept HAVING count(*) > 1 ORDER BY dept"
        ),
        vec!["1|2"]
    );
    assert_eq!(rows(&mut c, "SELECT count(*), count(dept) FROM emp"), vec!["4|3"]);
    assert_eq!(rows(&mut c, "SELECT count(*) FROM emp WHERE false"), vec!["0"]);
    assert_eq!(
        rows(&mut c, "SELECT dept FROM emp WHERE false GROUP BY dept"),
        Vec::<String>::new()
    );
    assert_eq!(err(&mut c, "SELECT name, count(*) FROM emp"), "42803");
}

#[test]
fn joins() {
    let mut c = setup();
    assert_eq!(
        rows(
            &mut c,
            "SELECT e.name, d.title FROM emp e JOIN dept d ON e.dept = d.id ORDER BY e.id"
        ),
        vec!["ann|eng", "bob|eng", "cid|ops"]
    );
    assert_eq!(
        rows(
            &mut c,
            "SELECT e.name, d.title FROM emp e LEFT JOIN dept d ON e.dept = d.id ORDER BY e.id"
        ),
        vec!["ann|eng", "bob|eng", "cid|ops", "dan|NULL"]
    );
    assert_eq!(
        rows(&mut c, "SELECT d.title, count(e.id) FROM dept d LEFT JOIN emp e ON e.dept = d.id GROUP BY d.title ORDER BY 1"),
        vec!["empty|0", "eng|2", "ops|1"]
    );
    assert_eq!(rows(&mut c, "SELECT count(*) FROM emp, dept"), vec!["12"]);
    assert_eq!(
        rows(&mut c, "SELECT e.name, d.title FROM emp e FULL JOIN dept d ON e.dept = d.id WHERE e.id IS NULL OR d.id IS NULL ORDER BY 1, 2"),
        vec!["dan|NULL", "NULL|empty"]
    );
    run(&mut c, "CREATE TABLE a (k int, x text); CREATE TABLE b (k int, y text); INSERT INTO a VALUES (1,'a1'),(2,'a2'); INSERT INTO b VALUES (2,'b2'),(3,'b3');");
    assert_eq!(rows(&mut c, "SELECT * FROM a JOIN b USING (k)"), vec!["2|a2|b2"]);
    assert_eq!(
        rows(&mut c, "SELECT * FROM a NATURAL FULL JOIN b ORDER BY k"),
        vec!["1|a1|NULL", "2|a2|b2", "3|NULL|b3"]
    );
}

#[test]
fn subqueries() {
    let mut c = setup();
    assert_eq!(rows(&mut c, "SELECT name FROM emp WHERE dept IN (SELECT id FROM dept WHERE title = 'eng') ORDER BY id"), vec!["ann", "bob"]);
    assert_eq!(
        rows(&mut c, "SELECT title FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept = d.id) ORDER BY id"),
        vec!["eng", "ops"]
    );
    assert_eq!(
        rows(&mut c, "SELECT title, (SELECT count(*) FROM emp e WHERE e.dept = d.id) FROM dept d ORDER BY id"),
        vec!["eng|2", "ops|1", "empty|0"]
    );
    assert_eq!(
        rows(&mut c, "SELECT x FROM (SELECT id * 2 AS x FROM emp) s WHERE x > 4 ORDER BY x"),
        vec!["6", "8"]
    );
    // NOT IN with a NULL in the list is never true.
    assert_eq!(
        rows(&mut c, "SELECT count(*) FROM dept WHERE id NOT IN (SELECT dept FROM emp)"),
        vec!["0"]
    );
    assert_eq!(err(&mut c, "SELECT (SELECT id FROM emp)"), "21000");
    // A correlated subquery above an aggregate reads the grouped column.
    assert_eq!(
        rows(&mut c, "SELECT e.dept, (SELECT title FROM dept d WHERE d.id = e.dept), count(*) FROM emp e WHERE e.dept IS NOT NULL GROUP BY e.dept ORDER BY 1"),
        vec!["1|eng|2", "2|ops|1"]
    );
}

#[test]
fn set_operations_and_values() {
    let mut c = setup();
    assert_eq!(
        rows(&mut c, "SELECT 1 UNION SELECT 1 UNION ALL SELECT 2 ORDER BY 1"),
        vec!["1", "2"]
    );
    assert_eq!(
        rows(&mut c, "SELECT dept FROM emp INTERSECT SELECT id FROM dept ORDER BY 1"),
        vec!["1", "2"]
    );
    assert_eq!(rows(&mut c, "SELECT id FROM dept EXCEPT SELECT dept FROM emp"), vec!["3"]);
    assert_eq!(rows(&mut c, "VALUES (1, 'a'), (2, 'b') ORDER BY 1 DESC"), vec!["2|b", "1|a"]);
}

#[test]
fn with_and_recursive() {
    let mut c = conn();
    assert_eq!(
        rows(&mut c, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r"),
        vec!["15"]
    );
    assert_eq!(rows(&mut c, "WITH a AS (SELECT 2 AS x) SELECT x * x FROM a"), vec!["4"]);
}

#[test]
fn update_delete_returning() {
    let mut c = setup();
    assert_eq!(c.execute("UPDATE emp SET salary = salary + 1 WHERE dept = 1", &[]).unwrap(), 2);
    assert_eq!(rows(&mut c, "SELECT salary = 91 FROM emp WHERE id = 2"), vec!["t"]);
    let r = c.query("DELETE FROM emp WHERE id = 4 RETURNING name", &[]).unwrap();
    assert_eq!(r.tag, "DELETE 1");
    assert_eq!(r.rows, vec![vec![Value::Text("dan".into())]]);
    assert_eq!(rows(&mut c, "UPDATE emp SET dept = d.id FROM dept d WHERE d.title = 'ops' AND emp.id = 1 RETURNING emp.dept"), vec!["2"]);
    assert_eq!(
        c.execute(
            "DELETE FROM emp USING dept WHERE emp.dept = dept.id AND dept.title = 'ops'",
            &[]
        )
        .unwrap(),
        2
    );
    assert_eq!(rows(&mut c, "SELECT id FROM emp ORDER BY id"), vec!["2"]);
}

#[test]
fn constraints_have_postgres_sqlstates() {
    let mut c = conn();
    run(
        &mut c,
        "CREATE TABLE p (id int PRIMARY KEY);
         CREATE TABLE t (id serial PRIMARY KEY, email text UNIQUE, qty int CHECK (qty > 0), pid int REFERENCES p (id), note text DEFAULT 'none');
         INSERT INTO p VALUES (1);",
    );
    assert_eq!(c.execute("INSERT INTO t (email, qty, pid) VALUES ('a', 1, 1)", &[]).unwrap(), 1);
    assert_eq!(rows(&mut c, "SELECT id, note FROM t"), vec!["1|none"]);
    assert_eq!(err(&mut c, "INSERT INTO t (email, qty) VALUES ('a', 1)"), "23505");
    assert_eq!(err(&mut c, "INSERT INTO t (email, qty) VALUES ('b', 0)"), "23514");
    assert_eq!(err(&mut c, "INSERT INTO t (email, qty, pid) VALUES ('c', 1, 9)"), "23503");
    assert_eq!(err(&mut c, "INSERT INTO p VALUES (NULL)"), "23502");
    assert_eq!(err(&mut c, "DELETE FROM p"), "23503");
    assert_eq!(err(&mut c, "CREATE TABLE p (x int)"), "42P07");
    assert_eq!(err(&mut c, "SELECT * FROM nope"), "42P01");
    assert_eq!(err(&mut c, "SELECT nope FROM p"), "42703");
    assert_eq!(err(&mut c, "SELEC 1"), "42601");
    // The serial kept counting past the failed inserts, as in PostgreSQL.
    c.execute("INSERT INTO t (email, qty) VALUES ('z', 5)", &[]).unwrap();
    let ids = rows(&mut c, "SELECT id FROM t ORDER BY id");
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[1], "2");
}

#[test]
fn on_conflict() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE kv (k text PRIMARY KEY, v int); INSERT INTO kv VALUES ('a', 1);");
    assert_eq!(c.execute("INSERT INTO kv VALUES ('a', 5) ON CONFLICT DO NOTHING", &[]).unwrap(), 0);
    assert_eq!(
        rows(&mut c, "INSERT INTO kv VALUES ('a', 5), ('b', 2) ON CONFLICT (k) DO UPDATE SET v = kv.v + EXCLUDED.v RETURNING k, v"),
        vec!["a|6", "b|2"]
    );
}

#[test]
fn transactions() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (a int)");
    run(&mut c, "BEGIN; INSERT INTO t VALUES (1);");
    assert_eq!(c.transaction_status(), TxnStatus::InTransaction);
    run(&mut c, "ROLLBACK");
    assert_eq!(rows(&mut c, "SELECT count(*) FROM t"), vec!["0"]);
    run(&mut c, "BEGIN; INSERT INTO t VALUES (1); SAVEPOINT s; INSERT INTO t VALUES (2);");
    assert!(c.execute("SELECT 1/0", &[]).is_err());
    assert_eq!(c.transaction_status(), TxnStatus::Failed);
    assert_eq!(err(&mut c, "SELECT 1"), "25P02");
    run(&mut c, "ROLLBACK TO SAVEPOINT s; COMMIT;");
    assert_eq!(rows(&mut c, "SELECT a FROM t"), vec!["1"]);
    assert_eq!(err(&mut c, "BEGIN ISOLATION LEVEL SERIALIZABLE"), "0A000");
    // Access modes apply to a block opened inside a batch too.
    let out = c.execute_batch("START TRANSACTION READ ONLY; INSERT INTO t VALUES (5)");
    assert_eq!(out.error.map(|e| e.sqlstate().code().to_string()).as_deref(), Some("25006"));
    run(&mut c, "ROLLBACK");
    // DDL is transactional.
    run(&mut c, "BEGIN; CREATE TABLE gone (x int); ROLLBACK;");
    assert_eq!(err(&mut c, "SELECT * FROM gone"), "42P01");
    // A batch is one implicit transaction.
    let out = c.execute_batch("INSERT INTO t VALUES (7); SELECT 1/0;");
    assert!(out.error.is_some());
    assert_eq!(rows(&mut c, "SELECT count(*) FROM t WHERE a = 7"), vec!["0"]);
    {
        let mut tx = c.transaction().unwrap();
        tx.execute("INSERT INTO t VALUES (8)", &[]).unwrap();
    }
    assert_eq!(rows(&mut c, "SELECT count(*) FROM t WHERE a = 8"), vec!["0"]);
}

#[test]
fn set_show_and_prepared() {
    let mut c = setup();
    run(&mut c, "SET application_name = 'x'");
    assert_eq!(rows(&mut c, "SHOW application_name"), vec!["x"]);
    assert_eq!(c.setting("TimeZone").as_deref(), Some("UTC"));
    let st = c.prepare("SELECT name FROM emp WHERE id = $1", &[]).unwrap();
    assert_eq!(st.param_types(), &[heliosdb_nano::DataType::Int4]);
    assert_eq!(st.columns()[0].name, "name");
    for (id, name) in [(1, "ann"), (3, "cid")] {
        match c.execute_prepared(&st, &[Value::Int4(id)]).unwrap() {
            StatementResult::Rows(r) => assert_eq!(r.rows, vec![vec![Value::Text(name.into())]]),
            other => panic!("{other:?}"),
        }
    }
    run(&mut c, "PREPARE q (int) AS SELECT name FROM emp WHERE id = $1");
    assert_eq!(rows(&mut c, "EXECUTE q(2)"), vec!["bob"]);
    run(&mut c, "DEALLOCATE q");
}

#[test]
fn indexes_are_used_and_correct() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (a int, b int, c text); CREATE INDEX t_ab ON t (a, b);");
    for i in 0..50 {
        c.execute(
            "INSERT INTO t VALUES ($1, $2, $3)",
            &[Value::Int4(i % 5), Value::Int4(i), Value::Text(format!("r{i}"))],
        )
        .unwrap();
    }
    assert_eq!(
        rows(&mut c, "SELECT c FROM t WHERE a = 2 AND b > 40 ORDER BY b"),
        vec!["r42", "r47"]
    );
    let plan = rows(&mut c, "EXPLAIN SELECT c FROM t WHERE a = 2 AND b > 40");
    assert!(plan.iter().any(|l| l.contains("Index Scan using t_ab")), "{plan:?}");
    run(&mut c, "UPDATE t SET a = 9 WHERE b = 42");
    assert_eq!(rows(&mut c, "SELECT c FROM t WHERE a = 2 AND b > 40 ORDER BY b"), vec!["r47"]);
    assert_eq!(rows(&mut c, "SELECT c FROM t WHERE a = 9"), vec!["r42"]);
}

#[test]
fn alter_table() {
    let mut c = conn();
    run(&mut c, "CREATE TABLE t (a int); INSERT INTO t VALUES (1); ALTER TABLE t ADD COLUMN b text DEFAULT 'x';");
    assert_eq!(rows(&mut c, "SELECT a, b FROM t"), vec!["1|x"]);
    run(&mut c, "ALTER TABLE t RENAME COLUMN b TO c; ALTER TABLE t DROP COLUMN a; ALTER TABLE t RENAME TO u;");
    assert_eq!(rows(&mut c, "SELECT c FROM u"), vec!["x"]);
}

#[test]
fn views_and_schemas() {
    let mut c = setup();
    run(&mut c, "CREATE VIEW rich AS SELECT name FROM emp WHERE salary >= 90");
    assert_eq!(rows(&mut c, "SELECT * FROM rich ORDER BY name"), vec!["ann", "bob"]);
    run(&mut c, "CREATE SCHEMA s; CREATE TABLE s.t (x int); INSERT INTO s.t VALUES (5); SET search_path = s, public;");
    assert_eq!(rows(&mut c, "SELECT x FROM t"), vec!["5"]);
}
