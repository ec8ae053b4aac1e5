//! LISTEN / UNLISTEN / NOTIFY / pg_notify through the embedded API.

use heliosdb_nano::{Database, SqlState};

fn payloads(c: &mut heliosdb_nano::Connection) -> Vec<(String, String)> {
    c.notifications().into_iter().map(|n| (n.channel, n.payload)).collect()
}

#[test]
fn notifications_arrive_at_commit_to_listeners_only() {
    let db = Database::open_in_memory().unwrap();
    let (mut a, mut b, mut c) = (db.connect(), db.connect(), db.connect());
    a.execute("LISTEN jobs", &[]).unwrap();
    c.execute("LISTEN other", &[]).unwrap();
    b.execute("BEGIN", &[]).unwrap();
    b.execute("NOTIFY jobs, 'one'", &[]).unwrap();
    b.execute("SELECT pg_notify('jobs', 'two')", &[]).unwrap();
    // Duplicates within one transaction are folded.
    b.execute("NOTIFY jobs, 'one'", &[]).unwrap();
    assert!(payloads(&mut a).is_empty(), "nothing is delivered before COMMIT");
    b.execute("COMMIT", &[]).unwrap();
    assert_eq!(
        payloads(&mut a),
        [("jobs".to_string(), "one".to_string()), ("jobs".to_string(), "two".to_string())]
    );
    assert!(payloads(&mut a).is_empty(), "draining empties the queue");
    assert!(payloads(&mut c).is_empty(), "another channel hears nothing");
    assert!(payloads(&mut b).is_empty(), "the sender does not listen");

    // A rollback drops the notifications.
    b.execute("BEGIN", &[]).unwrap();
    b.execute("NOTIFY jobs, 'lost'", &[]).unwrap();
    b.execute("ROLLBACK", &[]).unwrap();
    assert!(payloads(&mut a).is_empty());

    // The sender hears itself when it listens; the pid is its backend pid.
    b.execute("LISTEN jobs", &[]).unwrap();
    b.execute("NOTIFY jobs", &[]).unwrap();
    let mine = b.notifications();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].payload, "");
    let pid = b.query("SELECT pg_backend_pid()", &[]).unwrap().rows[0][0].clone();
    assert_eq!(pid, heliosdb_nano::Value::Int4(mine[0].pid));
    assert_eq!(payloads(&mut a), [("jobs".to_string(), String::new())]);

    // UNLISTEN stops delivery; UNLISTEN * too.
    a.execute("UNLISTEN jobs", &[]).unwrap();
    b.execute("NOTIFY jobs, 'after'", &[]).unwrap();
    assert!(payloads(&mut a).is_empty());
    assert_eq!(payloads(&mut b), [("jobs".to_string(), "after".to_string())]);
    b.execute("UNLISTEN *", &[]).unwrap();
    b.execute("NOTIFY jobs, 'again'", &[]).unwrap();
    assert!(payloads(&mut b).is_empty());
}

#[test]
fn listen_is_transactional_and_limits_are_checked() {
    let db = Database::open_in_memory().unwrap();
    let (mut a, mut b) = (db.connect(), db.connect());
    a.execute("BEGIN", &[]).unwrap();
    a.execute("LISTEN later", &[]).unwrap();
    a.execute("ROLLBACK", &[]).unwrap();
    b.execute("NOTIFY later, 'x'", &[]).unwrap();
    assert!(a.notifications().is_empty(), "a rolled back LISTEN never starts");

    let long = "x".repeat(8000);
    let err = b.execute(&format!("NOTIFY c, '{long}'"), &[]).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
    let err = b.execute("SELECT pg_notify('', 'x')", &[]).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
    let err = b.execute("SELECT pg_notify(NULL, 'x')", &[]).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
    // 7999 bytes is the largest payload.
    a.execute("LISTEN c", &[]).unwrap();
    b.execute("SELECT pg_notify('c', $1)", &[heliosdb_nano::Value::Text(long[..7999].into())])
        .unwrap();
    assert_eq!(a.notifications()[0].payload.len(), 7999);
}

#[test]
fn rollback_to_savepoint_drops_what_followed_it() {
    let db = Database::open_in_memory().unwrap();
    let (mut a, mut b) = (db.connect(), db.connect());
    a.execute("LISTEN c", &[]).unwrap();
    for sql in [
        "BEGIN",
        "NOTIFY c, 'kept'",
        "SAVEPOINT s",
        "NOTIFY c, 'dropped'",
        "LISTEN other",
        "ROLLBACK TO SAVEPOINT s",
        "NOTIFY c, 'after'",
        "COMMIT",
    ] {
        b.execute(sql, &[]).unwrap();
    }
    assert_eq!(
        payloads(&mut a),
        [("c".to_string(), "kept".to_string()), ("c".to_string(), "after".to_string())]
    );
    // The LISTEN after the savepoint was rolled back too.
    a.execute("NOTIFY other, 'x'", &[]).unwrap();
    assert!(payloads(&mut b).is_empty());
}
