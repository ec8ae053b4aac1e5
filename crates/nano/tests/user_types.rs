//! User-defined enum, composite and domain types through the public API: they survive a
//! reopen of the disk engine (rows keep their labels and order after labels are added;
//! composite values gain added attributes as NULL), follow branches like other catalog
//! records, and the types not built say so with 0A000.

mod support;

use heliosdb_nano::{Database, Options};
use support::{conn, err, rows, run};

#[test]
fn enum_columns_and_domains_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path(), Options::default()).unwrap();
        let mut c = db.connect();
        run(
            &mut c,
            "CREATE TYPE mood AS ENUM ('sad', 'happy');
             CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
             CREATE TABLE t (id posint PRIMARY KEY, m mood, ms mood[]);
             CREATE INDEX t_m ON t (m);
             INSERT INTO t VALUES (1, 'happy', '{sad}'), (2, 'sad', '{happy,sad}');
             ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';
             INSERT INTO t VALUES (3, 'ok', '{ok}');",
        );
    }
    let db = Database::open(dir.path(), Options::default()).unwrap();
    let mut c = db.connect();
    assert_eq!(
        rows(&mut c, "SELECT id, m, ms FROM t ORDER BY m"),
        vec!["2|sad|{happy,sad}", "3|ok|{ok}", "1|happy|{sad}"]
    );
    assert_eq!(rows(&mut c, "SELECT id FROM t WHERE m > 'sad' ORDER BY m"), vec!["3", "1"]);
    assert_eq!(err(&mut c, "INSERT INTO t VALUES (0, 'ok', NULL)"), "23514");
    assert_eq!(err(&mut c, "INSERT INTO t VALUES (4, 'meh', NULL)"), "22P02");
    assert_eq!(
        rows(&mut c, "SELECT typname, typtype FROM pg_type WHERE typtype IN ('e', 'd') ORDER BY 1"),
        vec!["mood|e", "posint|d"]
    );
    // A rename is a catalog change only: stored rows show the new label.
    run(&mut c, "ALTER TYPE mood RENAME VALUE 'happy' TO 'glad'");
    drop(c);
    drop(db);
    let db = Database::open(dir.path(), Options::default()).unwrap();
    let mut c = db.connect();
    assert_eq!(rows(&mut c, "SELECT m FROM t WHERE id = 1"), vec!["glad"]);
}

#[test]
fn types_follow_branches() {
    let mut c = conn();
    run(&mut c, "CREATE TYPE mood AS ENUM ('sad', 'happy')");
    run(&mut c, "CREATE BRANCH dev");
    run(&mut c, "USE BRANCH dev");
    run(&mut c, "ALTER TYPE mood ADD VALUE 'ok'");
    run(&mut c, "CREATE DOMAIN small AS int CHECK (VALUE < 5)");
    assert_eq!(rows(&mut c, "SELECT enum_last(NULL::mood)"), vec!["ok"]);
    run(&mut c, "USE BRANCH main");
    assert_eq!(rows(&mut c, "SELECT enum_last(NULL::mood)"), vec!["happy"]);
    assert_eq!(err(&mut c, "SELECT 1::small"), "42704");
}

#[test]
fn composite_columns_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path(), Options::default()).unwrap();
        let mut c = db.connect();
        run(
            &mut c,
            "CREATE TYPE complex AS (r float8, i float8);
             CREATE TYPE quad AS (c1 complex, c2 complex);
             CREATE TABLE names (first text, last text);
             CREATE TABLE t (id int PRIMARY KEY, q quad, n names, qs quad[]);
             CREATE INDEX t_q ON t (q);
             INSERT INTO t VALUES (1, '(\"(1,2)\",)', row('Ann', 'Lee'), NULL),
                                  (2, row(row(0, 1), row(2, 3)), NULL, array[row(row(5, 6), NULL)::quad]);
             CREATE FUNCTION re(c complex) RETURNS float8 LANGUAGE sql AS 'SELECT (c).r';
             ALTER TYPE complex ADD ATTRIBUTE label text;",
        );
    }
    let db = Database::open(dir.path(), Options::default()).unwrap();
    let mut c = db.connect();
    assert_eq!(
        rows(&mut c, "SELECT id, q, n, qs FROM t ORDER BY q"),
        vec![
            "2|(\"(0,1,)\",\"(2,3,)\")|NULL|{\"(\\\"(5,6,)\\\",)\"}",
            "1|(\"(1,2,)\",)|(Ann,Lee)|NULL"
        ]
    );
    assert_eq!(rows(&mut c, "SELECT re((q).c1), (n).last FROM t WHERE id = 1"), vec!["1|Lee"]);
    assert_eq!(
        rows(&mut c, "SELECT typname FROM pg_type WHERE typtype = 'c' ORDER BY 1"),
        vec!["complex", "quad"]
    );
    assert_eq!(err(&mut c, "SELECT '(1)'::quad"), "22P02");
}
