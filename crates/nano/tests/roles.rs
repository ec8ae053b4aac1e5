//! Roles through the embedded API: a connection logs in as a role and is held to its
//! grants and row-level security policies; the role attributes and database privileges
//! decide whether it may log in at all; a prepared statement rebinds for a new role.

use heliosdb_nano::{Connection, Database, Value};

fn run(c: &mut Connection, sql: &str) {
    if let Some(e) = c.execute_batch(sql).error {
        panic!("{sql}: {e:?}");
    }
}

fn count(c: &mut Connection, sql: &str) -> i64 {
    let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    match r.rows[0][0] {
        Value::Int8(n) => n,
        ref other => panic!("{sql}: {other:?}"),
    }
}

fn setup() -> Database {
    let db = Database::open_in_memory().expect("open");
    run(
        &mut db.connect(),
        "CREATE TABLE notes (id int PRIMARY KEY, owner text, body text);
         INSERT INTO notes VALUES (1, 'ann', 'a'), (2, 'bo', 'b'), (3, 'ann', 'c');
         CREATE ROLE ann LOGIN; CREATE ROLE bo LOGIN; CREATE ROLE viewer NOLOGIN;
         GRANT SELECT, INSERT ON notes TO ann, bo;
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
         CREATE POLICY mine ON notes USING (owner = current_user);",
    );
    db
}

#[test]
fn a_connection_logged_in_as_a_role_sees_its_rows_only() {
    let db = setup();
    let mut ann = db.connect();
    ann.login_as("ann").expect("ann logs in");
    assert_eq!(count(&mut ann, "SELECT count(*) FROM notes"), 2);
    let mut bo = db.connect();
    bo.login_as("bo").expect("bo logs in");
    assert_eq!(count(&mut bo, "SELECT count(*) FROM notes"), 1);
    let e = bo.execute("INSERT INTO notes VALUES (4, 'ann', 'forged')", &[]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42501");
    let e = bo.execute("DELETE FROM notes", &[]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42501", "{e:?}");
    // The superuser that made the table sees everything.
    assert_eq!(count(&mut db.connect(), "SELECT count(*) FROM notes"), 3);
}

#[test]
fn a_prepared_statement_rebinds_for_the_role_it_runs_as() {
    let db = setup();
    let mut c = db.connect();
    let stmt = c.prepare("SELECT count(*) FROM notes", &[]).expect("prepare");
    let n = |c: &mut Connection| match c.execute_prepared(&stmt, &[]).expect("run") {
        heliosdb_nano::StatementResult::Rows(r) => match r.rows[0][0] {
            Value::Int8(n) => n,
            ref other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(n(&mut c), 3);
    run(&mut c, "SET ROLE bo");
    assert_eq!(n(&mut c), 1);
    run(&mut c, "RESET ROLE");
    assert_eq!(n(&mut c), 3);
}

#[test]
fn login_needs_the_login_attribute_and_connect_on_the_database() {
    let db = setup();
    let e = db.connect().login_as("viewer").unwrap_err();
    assert_eq!(e.sqlstate().code(), "28000");
    let mut admin = db.connect();
    admin.set_database_name("app");
    run(
        &mut admin,
        "REVOKE CONNECT ON DATABASE app FROM PUBLIC; GRANT CONNECT ON DATABASE app TO ann",
    );
    let mut bo = db.connect();
    bo.set_database_name("app");
    let e = bo.login_as("bo").unwrap_err();
    assert_eq!(e.sqlstate().code(), "42501");
    let mut ann = db.connect();
    ann.set_database_name("app");
    ann.login_as("ann").expect("ann may connect");
    // Names that are no role are the database's superuser, as before roles existed.
    db.connect().login_as("someone").expect("superuser login");
}

#[test]
fn settings_cannot_change_who_the_session_is() {
    let db = setup();
    let mut bo = db.connect();
    bo.login_as("bo").expect("login");
    for sql in [
        "SET session_authorization = 'postgres'",
        "SET SESSION AUTHORIZATION postgres",
        "SET ROLE ann",
    ] {
        let e = bo.execute(sql, &[]).unwrap_err();
        assert_eq!(e.sqlstate().code(), "42501", "{sql}");
    }
    assert!(bo.set_setting("session_authorization", "postgres").is_err());
    assert_eq!(count(&mut bo, "SELECT count(*) FROM notes"), 1);
}
