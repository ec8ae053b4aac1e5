//! Temporary tables, views and sequences are private to their session and end with it.

mod support;

use heliosdb_nano::{Database, Options};
use support::{err, rows, run};

#[test]
fn temp_objects_are_private_to_their_session() {
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    let mut b = db.connect();
    let mut other = db.connect();
    run(&mut a, "CREATE TEMP TABLE scratch (v int); INSERT INTO scratch VALUES (1)");
    // The same name in another session is another table.
    run(&mut b, "CREATE TEMPORARY TABLE scratch (v text); INSERT INTO scratch VALUES ('b')");
    assert_eq!(rows(&mut a, "SELECT v FROM scratch"), vec!["1"]);
    assert_eq!(rows(&mut b, "SELECT v FROM scratch"), vec!["b"]);
    assert_eq!(err(&mut other, "SELECT * FROM scratch"), "42P01");
    // Views and sequences too, and `pg_temp.name` names the session's schema.
    run(&mut a, "CREATE TEMP VIEW scratch_v AS SELECT v + 1 AS w FROM scratch");
    run(&mut a, "CREATE TEMP SEQUENCE scratch_s");
    run(&mut a, "CREATE TABLE pg_temp.explicit (x int)");
    assert_eq!(rows(&mut a, "SELECT w, nextval('scratch_s') FROM scratch_v"), vec!["2|1"]);
    assert_eq!(rows(&mut a, "SELECT count(*) FROM pg_temp.explicit"), vec!["0"]);
    assert_eq!(err(&mut b, "SELECT * FROM scratch_v"), "42P01");
    assert_eq!(err(&mut b, "SELECT nextval('scratch_s')"), "42P01");
    // The temporary schema is not where permanent objects go, nor current_schema().
    run(&mut a, "CREATE TABLE permanent (x int)");
    assert_eq!(rows(&mut other, "SELECT count(*) FROM permanent"), vec!["0"]);
    assert_eq!(rows(&mut a, "SELECT current_schema()"), vec!["public"]);
    assert_eq!(
        rows(&mut a, "SELECT n.nspname LIKE 'pg_temp_%' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'scratch_v'"),
        vec!["t"]
    );
}

#[test]
fn temp_table_shadows_a_permanent_one() {
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    run(&mut a, "CREATE TABLE t (v int); INSERT INTO t VALUES (1)");
    run(&mut a, "CREATE TEMP TABLE t (v int); INSERT INTO t VALUES (2)");
    assert_eq!(rows(&mut a, "SELECT v FROM t"), vec!["2"]);
    assert_eq!(rows(&mut a, "SELECT v FROM public.t"), vec!["1"]);
    run(&mut a, "DROP TABLE t");
    assert_eq!(rows(&mut a, "SELECT v FROM t"), vec!["1"]);
}

#[test]
fn temp_objects_end_with_the_session_and_the_transaction_that_made_them() {
    let db = Database::open_in_memory().expect("open");
    let mut watcher = db.connect();
    let temp_schemas = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pg_temp_%'";
    {
        let mut a = db.connect();
        run(&mut a, "BEGIN; CREATE TEMP TABLE gone (v int); ROLLBACK");
        assert_eq!(err(&mut a, "SELECT * FROM gone"), "42P01");
        run(&mut a, "CREATE TEMP TABLE kept (v int); INSERT INTO kept VALUES (1)");
        assert_eq!(rows(&mut watcher, temp_schemas), vec!["1"]);
        run(&mut a, "BEGIN; INSERT INTO kept VALUES (2)");
        // The connection ends inside an open transaction.
    }
    assert_eq!(rows(&mut watcher, temp_schemas), vec!["0"]);
    assert!(rows(&mut watcher, "SELECT relname FROM pg_class WHERE relname = 'kept'").is_empty());
}

/// Set in the child process of [`temp_schemas_left_by_a_crash_are_dropped_on_open`].
const CRASH_DIR: &str = "HELIOS_TEMP_TABLES_CRASH_DIR";

#[test]
fn temp_schemas_left_by_a_crash_are_dropped_on_open() {
    if let Ok(dir) = std::env::var(CRASH_DIR) {
        // The child: make a temporary table, then stop without ending the session.
        let db = Database::open(&dir, Options::default()).expect("open");
        let mut a = db.connect();
        run(&mut a, "CREATE TEMP TABLE orphan (v int); INSERT INTO orphan VALUES (1)");
        std::process::exit(0);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "temp_schemas_left_by_a_crash_are_dropped_on_open", "--nocapture"])
        .env(CRASH_DIR, dir.path())
        .status()
        .expect("child");
    assert!(status.success());
    let db = Database::open(dir.path(), Options::default()).expect("reopen");
    let mut c = db.connect();
    assert_eq!(
        rows(&mut c, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pg_temp_%'"),
        vec!["0"]
    );
    assert!(rows(&mut c, "SELECT relname FROM pg_class WHERE relname = 'orphan'").is_empty());
    run(&mut c, "CREATE TEMP TABLE orphan (v text)");
    assert_eq!(rows(&mut c, "SELECT count(*) FROM orphan"), vec!["0"]);
}

#[test]
fn pg_schema_names_are_reserved() {
    let mut c = support::conn();
    assert_eq!(err(&mut c, "CREATE SCHEMA pg_temp_9"), "42939");
    assert_eq!(err(&mut c, "CREATE TEMP TABLE public.y (a int)"), "42P16");
}
