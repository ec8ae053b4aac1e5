//! User-defined functions and triggers through the embedded API: they survive a reopen
//! of a disk database and still run and fire; notices reach the caller.

mod support;

use heliosdb_nano::{Database, NoticeLevel, Options};
use support::{err, rows, run};

#[test]
fn functions_and_triggers_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let db = Database::open(dir.path(), Options::default()).expect("open");
        let mut c = db.connect();
        run(
            &mut c,
            "CREATE TABLE notes (id int PRIMARY KEY, body text, updated text);
             CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t) || '!' $$;
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN NEW.updated := shout(TG_OP); RETURN NEW; END $$;
             CREATE TRIGGER notes_touch BEFORE INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();
             INSERT INTO notes (id, body) VALUES (1, 'a');",
        );
        assert_eq!(rows(&mut c, "SELECT updated FROM notes"), vec!["INSERT!"]);
    }
    let db = Database::open(dir.path(), Options::default()).expect("reopen");
    let mut c = db.connect();
    assert_eq!(rows(&mut c, "SELECT shout('x')"), vec!["X!"]);
    run(&mut c, "UPDATE notes SET body = 'b'; INSERT INTO notes (id, body) VALUES (2, 'c')");
    assert_eq!(
        rows(&mut c, "SELECT id, updated FROM notes ORDER BY id"),
        vec!["1|UPDATE!", "2|INSERT!"]
    );
    assert_eq!(rows(&mut c, "SELECT proname FROM pg_proc ORDER BY 1"), vec!["shout", "touch"]);
    assert_eq!(rows(&mut c, "SELECT tgname FROM pg_trigger"), vec!["notes_touch"]);
    assert_eq!(err(&mut c, "DROP FUNCTION touch()"), "2BP01");
}

#[test]
fn raised_notices_reach_the_caller() {
    let mut c = support::conn();
    run(
        &mut c,
        "DO $$ BEGIN RAISE NOTICE 'first %', 1; RAISE WARNING 'second' USING DETAIL = 'd'; END $$",
    );
    let notices = c.take_notices();
    assert_eq!(notices.len(), 2);
    assert_eq!((notices[0].level, notices[0].message.as_str()), (NoticeLevel::Notice, "first 1"));
    assert_eq!(notices[1].level, NoticeLevel::Warning);
    assert_eq!(notices[1].detail.as_deref(), Some("d"));
    assert!(c.take_notices().is_empty());
}
