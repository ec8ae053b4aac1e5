//! Plans of correlated subqueries: a comparison of an indexed column with the enclosing
//! row becomes an index probe per outer row (EXPLAIN lists the subquery's plan as a
//! SubPlan), and the answers stay those of a full scan.

use std::sync::Arc;

mod support;

use helios_sql::{Engine, Session};
use helios_types::Value;
use support::{plan, rows, run};

fn session() -> Session {
    let engine: Arc<Engine> = Engine::open_memory().expect("engine");
    let mut s = engine.session();
    run(&mut s, "CREATE TABLE t (a int, b int, c text)");
    run(&mut s, "INSERT INTO t SELECT g, g % 10, 'x' || g FROM generate_series(1, 200) g");
    run(&mut s, "CREATE INDEX t_a ON t (a)");
    run(&mut s, "CREATE TABLE k (id int PRIMARY KEY, v int)");
    run(&mut s, "INSERT INTO k SELECT g, g * 2 FROM generate_series(1, 200) g");
    s
}

#[test]
fn correlated_equality_probes_a_secondary_index() {
    let mut s = session();
    let q =
        "SELECT o.a, (SELECT i.c FROM t i WHERE i.a = o.a + 1) FROM t o WHERE o.a < 4 ORDER BY 1";
    let p = plan(&mut s, q);
    assert!(p.contains("SubPlan 1") && p.contains("Index Scan using t_a on t"), "{p}");
    let got = rows(&mut s, q);
    let want: Vec<Vec<Value>> =
        (1..4).map(|a| vec![Value::Int4(a), Value::Text(format!("x{}", a + 1))]).collect();
    assert_eq!(got, want);
}

#[test]
fn correlated_equality_probes_the_primary_key() {
    let mut s = session();
    let q = "SELECT count(*) FROM t o WHERE (SELECT k.v FROM k WHERE k.id = o.a) > 100";
    let p = plan(&mut s, q);
    assert!(p.contains("Index Scan using k_pkey on k"), "{p}");
    assert_eq!(rows(&mut s, q), vec![vec![Value::Int8(150)]]);
}

#[test]
fn correlated_exists_becomes_a_semi_join() {
    let mut s = session();
    let q =
        "SELECT count(*) FROM t o WHERE EXISTS (SELECT 1 FROM k WHERE k.id = o.a AND k.v > 100)";
    let p = plan(&mut s, q);
    assert!(p.contains("Hash Semi Join") && !p.contains("SubPlan"), "{p}");
    assert_eq!(rows(&mut s, q), vec![vec![Value::Int8(150)]]);
}

#[test]
fn outer_ranges_and_nulls_keep_full_scan_answers() {
    let mut s = session();
    run(&mut s, "INSERT INTO t VALUES (NULL, 1, 'null')");
    // A range on the enclosing row's value, and a NULL outer value that matches nothing.
    let q = "SELECT o.c, (SELECT count(*) FROM t i WHERE i.a < o.a) FROM t o \
             WHERE o.a IS NULL OR o.a <= 3 ORDER BY 1";
    let got = rows(&mut s, q);
    let want = vec![
        vec![Value::Text("null".into()), Value::Int8(0)],
        vec![Value::Text("x1".into()), Value::Int8(0)],
        vec![Value::Text("x2".into()), Value::Int8(1)],
        vec![Value::Text("x3".into()), Value::Int8(2)],
    ];
    assert_eq!(got, want);
    assert!(plan(&mut s, q).contains("Index Scan using t_a on t"));
}

#[test]
fn correlated_not_in_becomes_a_null_aware_anti_join() {
    let mut s = session();
    run(&mut s, "CREATE TABLE n (g int, v int)");
    run(&mut s, "INSERT INTO n SELECT g % 10, g % 7 FROM generate_series(1, 100) g");
    let q = "SELECT count(*) FROM t o WHERE o.a % 9 NOT IN (SELECT v FROM n WHERE n.g = o.b)";
    let p = plan(&mut s, q);
    assert!(p.contains("Hash Null-Aware Anti Join") && !p.contains("SubPlan"), "{p}");
    // Counts checked against PostgreSQL 15: only 7 and 8 are in no group.
    assert_eq!(rows(&mut s, q), vec![vec![Value::Int8(44)]]);
    // A NULL in a group takes out the rows of that group that had passed.
    run(&mut s, "INSERT INTO n VALUES (3, NULL)");
    assert_eq!(rows(&mut s, q), vec![vec![Value::Int8(40)]]);
    // A NULL on the left (in a group that is not empty) takes its row out.
    run(&mut s, "UPDATE t SET a = NULL WHERE a = 7");
    assert_eq!(rows(&mut s, q), vec![vec![Value::Int8(39)]]);
    run(&mut s, "UPDATE t SET a = NULL WHERE a = 16");
    assert_eq!(rows(&mut s, q), vec![vec![Value::Int8(38)]]);
    // Under OR the three-valued result matters: it stays a subquery.
    let q =
        "SELECT count(*) FROM t o WHERE o.a NOT IN (SELECT v FROM n WHERE n.g = o.b) OR o.a > 190";
    let p = plan(&mut s, q);
    assert!(p.contains("SubPlan 1") && !p.contains("Anti Join"), "{p}");
}

#[test]
fn lateral_item_after_a_join_chain_reads_the_earlier_items() {
    let mut s = session();
    let q = "SELECT count(*), sum(z) FROM k, t JOIN LATERAL (SELECT k.v + t.b AS z) s ON true \
             WHERE k.id <= 3 AND t.a <= 4";
    let p = plan(&mut s, q);
    assert!(p.matches("Nested Loop (lateral)").count() == 2, "{p}");
    // k.v is 2, 4, 6 and t.b is 1..4: 12 pairs, 4 * 12 + 3 * 10.
    assert_eq!(rows(&mut s, q), vec![vec![Value::Int8(12), Value::Int8(78)]]);
}
