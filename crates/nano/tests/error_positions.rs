//! Error cursor positions (`Error::position`, the `P` field psql prints as `LINE n:` and a
//! caret): 1-based characters into the statement text, where PostgreSQL 15 puts them.

use heliosdb_nano::{Connection, Database};

fn conn() -> Connection {
    let mut c = Database::open_in_memory().expect("open").connect();
    let setup = "CREATE TABLE t (a int, b text); CREATE TABLE u (x int)";
    assert!(c.execute_batch(setup).error.is_none());
    c
}

/// The SQLSTATE and position `sql` fails with (run as one simple-query batch).
fn fails_at(c: &mut Connection, sql: &str) -> (String, Option<u32>) {
    match c.execute_batch(sql).error {
        Some(e) => (e.sqlstate().code().to_string(), e.position()),
        None => panic!("{sql}: expected an error"),
    }
}

#[test]
fn syntax_errors_point_at_the_token() {
    let mut c = conn();
    assert_eq!(fails_at(&mut c, "SELECT 1 +;"), ("42601".into(), Some(11)));
    assert_eq!(fails_at(&mut c, "SELEC 1;"), ("42601".into(), Some(1)));
    assert_eq!(fails_at(&mut c, "select * from t where;"), ("42601".into(), Some(22)));
    // The second line of a statement, and after a multi-byte character.
    assert_eq!(fails_at(&mut c, "select 'é',\n  1 2;"), ("42601".into(), Some(17)));
}

#[test]
fn unknown_names_point_at_the_name() {
    let mut c = conn();
    assert_eq!(fails_at(&mut c, "select nope from t"), ("42703".into(), Some(8)));
    assert_eq!(fails_at(&mut c, "select t.nope from t"), ("42703".into(), Some(8)));
    assert_eq!(
        fails_at(&mut c, "select a from t where\n  \"Nope\" = 1"),
        ("42703".into(), Some(25))
    );
    assert_eq!(fails_at(&mut c, "select * from nothere"), ("42P01".into(), Some(15)));
    assert_eq!(fails_at(&mut c, "select * from t, public.nothere"), ("42P01".into(), Some(18)));
    assert_eq!(fails_at(&mut c, "select zz.a from t"), ("42P01".into(), Some(8)));
    assert_eq!(fails_at(&mut c, "select foo(1)"), ("42883".into(), Some(8)));
    assert_eq!(fails_at(&mut c, "insert into t (a, zz) values (1, 2)"), ("42703".into(), Some(19)));
    assert_eq!(fails_at(&mut c, "update t set zz = 1"), ("42703".into(), Some(14)));
    assert_eq!(fails_at(&mut c, "insert into u values (1, 2)"), ("42601".into(), Some(26)));
    assert_eq!(fails_at(&mut c, "delete from nothere"), ("42P01".into(), Some(13)));
    // An operator without a match: the operator, after its left operand.
    assert_eq!(fails_at(&mut c, "select 1 + 'a'::text"), ("42883".into(), Some(10)));
    assert_eq!(fails_at(&mut c, "select a\n  + true from t"), ("42883".into(), Some(12)));
    // The innermost name is the one reported.
    assert_eq!(fails_at(&mut c, "select abs(nope) from t"), ("42703".into(), Some(12)));
}

#[test]
fn bad_literals_point_at_the_literal() {
    let mut c = conn();
    assert_eq!(fails_at(&mut c, "select 'abc'::int"), ("22P02".into(), Some(8)));
    assert_eq!(fails_at(&mut c, "select a from t where a = 'zz'"), ("22P02".into(), Some(27)));
    assert_eq!(fails_at(&mut c, "insert into t values ('x', 'y')"), ("22P02".into(), Some(23)));
    assert_eq!(fails_at(&mut c, "select interval '1 dayz'"), ("22007".into(), Some(17)));
    assert_eq!(fails_at(&mut c, "select date 'abc'"), ("22007".into(), Some(13)));
    assert_eq!(fails_at(&mut c, "select 1 in (1, 'q')"), ("22P02".into(), Some(17)));
    // Errors found while running (not while binding) have no position, as in PostgreSQL.
    assert_eq!(fails_at(&mut c, "select 1 / 0"), ("22012".into(), None));
}

#[test]
fn positions_count_in_the_text_as_sent() {
    let mut c = conn();
    // The statement after the first of a batch: positions count from the batch start.
    assert_eq!(fails_at(&mut c, "select 1; select nope"), ("42703".into(), Some(18)));
    // The same statement through `execute` and through a prepared statement.
    let e = c.execute("select a, nope from t", &[]).expect_err("fails");
    assert_eq!(e.position(), Some(11));
    let e = c.prepare("select a, nope from t where a = $1", &[]).expect_err("fails");
    assert_eq!(e.position(), Some(11));
    // A literal the plan cache turned into a parameter still counts in the text.
    assert_eq!(fails_at(&mut c, "select 12345, nope from t"), ("42703".into(), Some(15)));
}
