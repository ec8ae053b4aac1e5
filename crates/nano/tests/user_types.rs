//! User-defined enum types and domains through the public API: they survive a reopen of
//! the disk engine (rows keep their labels and order after labels are added), follow
//! branches like other catalog records, and the types not built say so with 0A000.

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
fn composite_types_are_not_built() {
    // Range types are (tests/slt/types/ranges.slt); composite ones not yet.
    let mut c = conn();
    assert_eq!(err(&mut c, "CREATE TYPE pair AS (a int, b text)"), "0A000");
}
