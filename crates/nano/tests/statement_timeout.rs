//! `statement_timeout` cancels a statement that runs too long with 57014 and PostgreSQL's
//! message; other statements and the session carry on.

use heliosdb_nano::{Connection, Database};

fn run(c: &mut Connection, sql: &str) {
    if let Some(e) = c.execute_batch(sql).error {
        panic!("{sql}: {e:?}");
    }
}

/// A query that never ends on its own (each iteration is one more row).
const ENDLESS: &str =
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";

#[test]
fn a_statement_past_its_timeout_is_cancelled() {
    let db = Database::open_in_memory().unwrap();
    let mut c = db.connect();
    run(&mut c, "SET statement_timeout = 100");
    let started = std::time::Instant::now();
    let e = c.query(ENDLESS, &[]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "57014", "{e:?}");
    assert_eq!(e.message(), "canceling statement due to statement timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));

    // Quick statements still run, and the next one is not hit by a stale cancel.
    for _ in 0..3 {
        let r = c.query("SELECT 1", &[]).unwrap();
        assert_eq!(r.rows.len(), 1);
    }

    // A unit works too; inside a block the timeout fails the block like any error.
    run(&mut c, "SET statement_timeout = '50ms'");
    run(&mut c, "BEGIN");
    assert_eq!(c.query(ENDLESS, &[]).unwrap_err().sqlstate().code(), "57014");
    let failed = c.query("SELECT 1", &[]).unwrap_err();
    assert_eq!(failed.sqlstate().code(), "25P02");
    run(&mut c, "ROLLBACK");

    // Bad values are refused with 22023.
    let bad = c.execute_batch("SET statement_timeout = 'soon'").error.unwrap();
    assert_eq!(bad.sqlstate().code(), "22023");
}

#[test]
fn zero_means_no_timeout() {
    let db = Database::open_in_memory().unwrap();
    let mut c = db.connect();
    run(&mut c, "SET statement_timeout = 0");
    // Takes longer than a millisecond in any build; must not be cancelled.
    let r =
        c.query("SELECT count(*) FROM generate_series(1, 200000) g WHERE g % 7 = 0", &[]).unwrap();
    assert_eq!(r.rows[0][0].to_pg_text(), "28571");
}

#[test]
fn pg_sleep_ends_at_the_statement_timeout() {
    let db = Database::open_in_memory().unwrap();
    let mut c = db.connect();
    run(&mut c, "SET statement_timeout = 100");
    let started = std::time::Instant::now();
    let e = c.query("SELECT pg_sleep(60)", &[]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "57014", "{e:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    run(&mut c, "SET statement_timeout = 0");
    assert_eq!(c.query("SELECT pg_sleep(0.01)::text", &[]).unwrap().rows.len(), 1);
}
