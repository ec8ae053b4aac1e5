//! Plans over expression and partial indexes: a comparison of an index's expression
//! uses it, a partial index is used only when the query's conditions imply its
//! predicate, and the answers stay those of a full scan.

use std::sync::Arc;

mod support;

use helios_sql::{Engine, Session};
use helios_types::Value;
use support::{plan, rows, run};

fn session() -> Session {
    let engine: Arc<Engine> = Engine::open_memory().expect("engine");
    let mut s = engine.session();
    run(&mut s, "CREATE TABLE u (id int PRIMARY KEY, email text, deleted_at date, n int)");
    run(
        &mut s,
        "INSERT INTO u SELECT g, 'User' || g || '@X.org', \
         CASE WHEN g % 3 = 0 THEN date '2024-01-01' END, g % 50 FROM generate_series(1, 300) g",
    );
    run(&mut s, "CREATE INDEX u_lower ON u (lower(email))");
    run(&mut s, "CREATE INDEX u_live_n ON u (n) WHERE deleted_at IS NULL");
    s
}

fn ids(s: &mut Session, sql: &str) -> Vec<i32> {
    rows(s, sql)
        .into_iter()
        .map(|r| match r[0] {
            Value::Int4(i) => i,
            ref other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn equality_on_the_expression_uses_the_expression_index() {
    let mut s = session();
    let q = "SELECT id FROM u WHERE lower(email) = 'user42@x.org'";
    let p = plan(&mut s, q);
    assert!(p.contains("Index Scan using u_lower on u"), "{p}");
    assert_eq!(ids(&mut s, q), vec![42]);
    // The column alone is not the key.
    let p = plan(&mut s, "SELECT id FROM u WHERE email = 'user42@x.org'");
    assert!(!p.contains("u_lower"), "{p}");
}

#[test]
fn a_range_on_the_expression_uses_the_expression_index() {
    let mut s = session();
    let q = "SELECT id FROM u WHERE lower(email) >= 'user10' AND lower(email) < 'user11' \
             ORDER BY id";
    let p = plan(&mut s, q);
    assert!(p.contains("Index Scan using u_lower on u"), "{p}");
    let want: Vec<i32> = (1..=300)
        .filter(|g| {
            let k = format!("user{g}@x.org");
            k.as_str() >= "user10" && k.as_str() < "user11"
        })
        .collect();
    assert_eq!(ids(&mut s, q), want);
}

#[test]
fn a_partial_index_needs_its_predicate_in_the_query() {
    let mut s = session();
    let q = "SELECT id FROM u WHERE n = 7 AND deleted_at IS NULL ORDER BY id";
    let p = plan(&mut s, q);
    assert!(p.contains("Index Scan using u_live_n on u"), "{p}");
    let want: Vec<i32> = (1..=300).filter(|g| g % 50 == 7 && g % 3 != 0).collect();
    assert_eq!(ids(&mut s, q), want);
    // Without the predicate the partial index would miss rows: not used.
    let q = "SELECT id FROM u WHERE n = 7 ORDER BY id";
    let p = plan(&mut s, q);
    assert!(!p.contains("u_live_n"), "{p}");
    let want: Vec<i32> = (1..=300).filter(|g| g % 50 == 7).collect();
    assert_eq!(ids(&mut s, q), want);
}

#[test]
fn is_not_null_is_implied_by_a_comparison() {
    let mut s = session();
    run(&mut s, "CREATE INDEX u_n_nn ON u (id) WHERE n IS NOT NULL");
    let q = "SELECT id FROM u WHERE id = 5 AND n = 5";
    // The primary key wins an equality on id; a range shows the partial index.
    assert_eq!(ids(&mut s, q), vec![5]);
    let q = "SELECT id FROM u WHERE id > 295 AND n > 40 ORDER BY id";
    let p = plan(&mut s, q);
    assert!(p.contains("u_n_nn") || p.contains("Index Scan using u_pkey"), "{p}");
    let want: Vec<i32> = (296..=300).filter(|g| g % 50 > 40).collect();
    assert_eq!(ids(&mut s, q), want);
}

#[test]
fn maintenance_keeps_index_answers_equal_to_a_scan() {
    let mut s = session();
    run(&mut s, "UPDATE u SET deleted_at = NULL WHERE id % 2 = 0");
    run(&mut s, "UPDATE u SET deleted_at = date '2024-05-05' WHERE id % 5 = 0");
    run(&mut s, "UPDATE u SET email = upper(email) WHERE id % 7 = 0");
    run(&mut s, "DELETE FROM u WHERE id % 11 = 0");
    let live = |g: i32| {
        let deleted = (g % 3 == 0 && g % 2 != 0) || g % 5 == 0;
        !deleted
    };
    let q = "SELECT id FROM u WHERE n = 7 AND deleted_at IS NULL ORDER BY id";
    assert!(plan(&mut s, q).contains("u_live_n"));
    let want: Vec<i32> = (1..=300).filter(|g| g % 11 != 0 && g % 50 == 7 && live(*g)).collect();
    assert_eq!(ids(&mut s, q), want);
    let q = "SELECT id FROM u WHERE lower(email) = 'user49@x.org'";
    assert!(plan(&mut s, q).contains("u_lower"));
    assert_eq!(ids(&mut s, q), vec![49]);
}
