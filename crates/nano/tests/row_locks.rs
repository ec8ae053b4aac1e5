//! Concurrent writers of the same rows, as PostgreSQL behaves: under READ COMMITTED an
//! UPDATE/DELETE/INSERT that meets a row another open transaction changed waits for it and
//! then works on the committed version; REPEATABLE READ fails with 40001; opposite lock
//! orders fail one transaction with 40P01; `lock_timeout` gives 55P03 and a cancel 57014.

use std::thread;
use std::time::Duration;

use heliosdb_nano::{Connection, Database};

fn run(c: &mut Connection, sql: &str) {
    if let Some(e) = c.execute_batch(sql).error {
        panic!("{sql}: {e:?}");
    }
}

fn one(c: &mut Connection, sql: &str) -> String {
    let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    r.rows[0].iter().map(|v| v.to_pg_text()).collect::<Vec<_>>().join("|")
}

fn code(c: &mut Connection, sql: &str) -> Option<String> {
    c.execute_batch(sql).error.map(|e| e.sqlstate().code().to_string())
}

/// Lets a spawned session reach its lock wait.
fn settle() {
    thread::sleep(Duration::from_millis(100));
}

fn db_with_counter() -> Database {
    let db = Database::open_in_memory().expect("open");
    run(
        &mut db.connect(),
        "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0), (2, 0);",
    );
    db
}

#[test]
fn read_committed_increments_from_eight_sessions_all_land() {
    let db = db_with_counter();
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            thread::spawn(move || {
                let mut c = db.connect();
                for _ in 0..100 {
                    c.execute("UPDATE t SET v = v + 1 WHERE id = 1", &[])
                        .expect("no error under READ COMMITTED");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    assert_eq!(one(&mut db.connect(), "SELECT v FROM t WHERE id = 1"), "800");
}

#[test]
fn explicit_blocks_touching_two_rows_keep_the_sum() {
    // pgbench-like: each transaction moves 1 from row 2 to row 1 in one block.
    let db = db_with_counter();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            thread::spawn(move || {
                let mut c = db.connect();
                for _ in 0..50 {
                    run(
                        &mut c,
                        "BEGIN; UPDATE t SET v = v + 1 WHERE id = 1; \
                         UPDATE t SET v = v - 1 WHERE id = 2; COMMIT",
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let mut c = db.connect();
    assert_eq!(one(&mut c, "SELECT v FROM t WHERE id = 1"), "200");
    assert_eq!(one(&mut c, "SELECT v FROM t WHERE id = 2"), "-200");
}

#[test]
fn the_waiter_rechecks_its_where_clause_on_the_new_version() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; UPDATE t SET v = 5 WHERE id = 1;");
    let b = thread::spawn({
        let db = db.clone();
        move || {
            let mut b = db.connect();
            let n = b.execute("UPDATE t SET v = v + 100 WHERE id = 1 AND v = 0", &[]);
            let d = b.execute("DELETE FROM t WHERE id = 1 AND v = 0", &[]);
            (n.expect("update"), d.expect("delete"))
        }
    });
    settle();
    assert!(!b.is_finished(), "waits for the open update");
    run(&mut a, "COMMIT");
    // The row no longer matches `v = 0` once the first transaction committed: PostgreSQL
    // skips it, so neither statement changes anything.
    assert_eq!(b.join().expect("thread"), (0, 0));
    assert_eq!(one(&mut a, "SELECT v FROM t WHERE id = 1"), "5");
}

#[test]
fn a_waiter_proceeds_on_the_old_version_when_the_holder_rolls_back() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; UPDATE t SET v = 5 WHERE id = 1;");
    let b = thread::spawn({
        let db = db.clone();
        move || db.connect().execute("UPDATE t SET v = v + 1 WHERE id = 1", &[])
    });
    settle();
    run(&mut a, "ROLLBACK");
    assert_eq!(b.join().expect("thread").expect("update"), 1);
    assert_eq!(one(&mut a, "SELECT v FROM t WHERE id = 1"), "1");
}

#[test]
fn repeatable_read_still_fails_with_40001() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; UPDATE t SET v = 5 WHERE id = 1;");
    let b = thread::spawn({
        let db = db.clone();
        move || {
            let mut b = db.connect();
            run(&mut b, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT v FROM t;");
            let e = code(&mut b, "UPDATE t SET v = v + 1 WHERE id = 1");
            run(&mut b, "ROLLBACK");
            e
        }
    });
    settle();
    assert!(!b.is_finished(), "waits first");
    run(&mut a, "COMMIT");
    assert_eq!(b.join().expect("thread").as_deref(), Some("40001"));
    assert_eq!(one(&mut a, "SELECT v FROM t WHERE id = 1"), "5");
}

#[test]
fn opposite_lock_orders_deadlock_with_40p01_and_the_other_commits() {
    let db = db_with_counter();
    let mut a = db.connect();
    let mut b = db.connect();
    run(&mut a, "BEGIN; UPDATE t SET v = 1 WHERE id = 1;");
    run(&mut b, "BEGIN; UPDATE t SET v = 2 WHERE id = 2;");
    let first = thread::spawn(move || {
        let e = code(&mut a, "UPDATE t SET v = 1 WHERE id = 2");
        (e, code(&mut a, "COMMIT"))
    });
    settle();
    assert_eq!(code(&mut b, "UPDATE t SET v = 2 WHERE id = 1").as_deref(), Some("40P01"));
    // The failed block rolls back; the other transaction's wait ends and it commits.
    assert_eq!(code(&mut b, "SELECT 1").as_deref(), Some("25P02"));
    run(&mut b, "ROLLBACK");
    assert_eq!(first.join().expect("thread"), (None, None));
    assert_eq!(one(&mut b, "SELECT string_agg(v::text, ',' ORDER BY id) FROM t"), "1,1");
}

#[test]
fn lock_timeout_ends_a_wait_with_55p03() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; UPDATE t SET v = 5 WHERE id = 1;");
    let mut b = db.connect();
    run(&mut b, "SET lock_timeout = '50ms'");
    let start = std::time::Instant::now();
    let e = b.execute_batch("UPDATE t SET v = 6 WHERE id = 1").error.expect("times out");
    assert_eq!(e.sqlstate().code(), "55P03");
    assert_eq!(e.message(), "canceling statement due to lock timeout");
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert_eq!(code(&mut b, "SET lock_timeout = 'soon'").as_deref(), Some("22023"));
    run(&mut a, "COMMIT");
    run(&mut b, "UPDATE t SET v = 6 WHERE id = 1");
    assert_eq!(one(&mut b, "SELECT v FROM t WHERE id = 1"), "6");
}

#[test]
fn cancel_ends_a_lock_wait_with_57014() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; UPDATE t SET v = 5 WHERE id = 1;");
    let b = db.connect();
    let cancel = b.cancel_handle();
    let waiter = thread::spawn(move || {
        let mut b = b;
        code(&mut b, "UPDATE t SET v = 6 WHERE id = 1")
    });
    settle();
    assert!(!waiter.is_finished());
    cancel.cancel();
    assert_eq!(waiter.join().expect("thread").as_deref(), Some("57014"));
    run(&mut a, "COMMIT");
    assert_eq!(one(&mut a, "SELECT v FROM t WHERE id = 1"), "5");
}

#[test]
fn racing_inserts_of_one_key_wait_then_conflict_or_skip() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; INSERT INTO t VALUES (3, 30);");
    let spawn = |sql: &'static str| {
        let db = db.clone();
        thread::spawn(move || {
            let mut c = db.connect();
            (code(&mut c, sql), one(&mut c, "SELECT count(*) FROM t WHERE id = 3"))
        })
    };
    let plain = spawn("INSERT INTO t VALUES (3, 31)");
    let nothing = spawn("INSERT INTO t VALUES (3, 32) ON CONFLICT DO NOTHING");
    let upsert = spawn("INSERT INTO t VALUES (3, 33) ON CONFLICT (id) DO UPDATE SET v = t.v + 1");
    settle();
    assert!(!plain.is_finished() && !nothing.is_finished() && !upsert.is_finished());
    run(&mut a, "COMMIT");
    assert_eq!(plain.join().expect("thread"), (Some("23505".into()), "1".into()));
    assert_eq!(nothing.join().expect("thread"), (None, "1".into()));
    assert_eq!(upsert.join().expect("thread"), (None, "1".into()));
    assert_eq!(one(&mut a, "SELECT v FROM t WHERE id = 3"), "31");
}

#[test]
fn racing_inserts_proceed_when_the_first_rolls_back() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; INSERT INTO t VALUES (3, 30);");
    let b = thread::spawn({
        let db = db.clone();
        move || code(&mut db.connect(), "INSERT INTO t VALUES (3, 31)")
    });
    settle();
    run(&mut a, "ROLLBACK");
    assert_eq!(b.join().expect("thread"), None);
    assert_eq!(one(&mut a, "SELECT v FROM t WHERE id = 3"), "31");
}

#[test]
fn select_for_update_locks_rows_against_writers_and_other_lockers() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN");
    assert_eq!(one(&mut a, "SELECT v FROM t WHERE id = 1 FOR UPDATE"), "0");
    let writer = thread::spawn({
        let db = db.clone();
        move || db.connect().execute("UPDATE t SET v = v + 1 WHERE id = 1", &[])
    });
    let locker = thread::spawn({
        let db = db.clone();
        move || {
            let mut c = db.connect();
            run(&mut c, "BEGIN");
            let v = one(&mut c, "SELECT v FROM t WHERE id = 1 FOR UPDATE");
            run(&mut c, "COMMIT");
            v
        }
    });
    settle();
    assert!(!writer.is_finished() && !locker.is_finished(), "both wait for the row lock");
    // A row the lock does not cover is free.
    let mut other = db.connect();
    run(&mut other, "SET lock_timeout = '50ms'; UPDATE t SET v = 7 WHERE id = 2");
    // NOWAIT fails at once on the locked row.
    let e = other.execute_batch("BEGIN; SELECT * FROM t WHERE id = 1 FOR UPDATE NOWAIT");
    assert_eq!(e.error.map(|e| e.sqlstate().code().to_string()).as_deref(), Some("55P03"));
    run(&mut other, "ROLLBACK");
    run(&mut a, "UPDATE t SET v = 10 WHERE id = 1; COMMIT");
    assert_eq!(writer.join().expect("thread").expect("update"), 1);
    let seen = locker.join().expect("thread");
    // The locker read the row after whichever of the two went first committed.
    assert!(seen == "10" || seen == "11", "{seen}");
    assert_eq!(one(&mut a, "SELECT v FROM t WHERE id = 1"), "11");
}

#[test]
fn select_for_update_in_repeatable_read_fails_on_a_changed_row() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM t");
    run(&mut db.connect(), "UPDATE t SET v = 3 WHERE id = 1");
    assert_eq!(code(&mut a, "SELECT * FROM t WHERE id = 1 FOR UPDATE").as_deref(), Some("40001"));
    run(&mut a, "ROLLBACK");
}

#[test]
fn queue_workers_with_skip_locked_take_every_job_exactly_once() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, "CREATE TABLE jobs (id int PRIMARY KEY, worker int)");
    run(&mut c, "INSERT INTO jobs SELECT g, NULL FROM generate_series(1, 200) g");
    let workers: Vec<_> = (1..=4)
        .map(|w| {
            let db = db.clone();
            thread::spawn(move || {
                let mut c = db.connect();
                let mut taken = Vec::new();
                loop {
                    run(&mut c, "BEGIN");
                    let r = c
                        .query(
                            "SELECT id FROM jobs WHERE worker IS NULL ORDER BY id LIMIT 1 \
                             FOR UPDATE SKIP LOCKED",
                            &[],
                        )
                        .expect("dequeue never fails");
                    let Some(row) = r.rows.first() else {
                        run(&mut c, "COMMIT");
                        return taken;
                    };
                    let id = row[0].to_pg_text();
                    run(&mut c, &format!("UPDATE jobs SET worker = {w} WHERE id = {id}; COMMIT"));
                    taken.push(id.parse::<i32>().expect("id"));
                }
            })
        })
        .collect();
    let mut all: Vec<i32> = workers.into_iter().flat_map(|w| w.join().expect("worker")).collect();
    all.sort_unstable();
    assert_eq!(all, (1..=200).collect::<Vec<_>>(), "every job once, none twice");
    assert_eq!(one(&mut c, "SELECT count(*) FROM jobs WHERE worker IS NULL"), "0");
}

#[test]
fn a_waiting_for_update_with_limit_returns_the_row_as_committed() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; SELECT * FROM t WHERE id = 1 FOR UPDATE; UPDATE t SET v = 9 WHERE id = 1");
    // Only the row the LIMIT returns is locked: row 2 stays free.
    let mut other = db.connect();
    run(&mut other, "SET lock_timeout = '50ms'; UPDATE t SET v = 1 WHERE id = 2");
    let b = thread::spawn({
        let db = db.clone();
        move || {
            let mut b = db.connect();
            run(&mut b, "BEGIN");
            let v = one(&mut b, "SELECT id, v FROM t ORDER BY id LIMIT 1 FOR UPDATE");
            run(&mut b, "COMMIT");
            v
        }
    });
    settle();
    assert!(!b.is_finished(), "waits for the row the first transaction holds");
    run(&mut a, "COMMIT");
    // READ COMMITTED: the waiter sees the committed version, as PostgreSQL.
    assert_eq!(b.join().expect("thread"), "1|9");
}

#[test]
fn statement_timeout_ends_a_lock_wait() {
    let db = db_with_counter();
    let mut a = db.connect();
    run(&mut a, "BEGIN; UPDATE t SET v = 5 WHERE id = 1;");
    let mut b = db.connect();
    run(&mut b, "SET statement_timeout = '100ms'");
    let e = b.execute_batch("UPDATE t SET v = 6 WHERE id = 1").error.expect("times out");
    assert_eq!(e.sqlstate().code(), "57014");
    assert_eq!(e.message(), "canceling statement due to statement timeout");
    run(&mut a, "COMMIT");
}

#[test]
fn racing_inserts_of_one_unique_value_under_different_keys_conflict() {
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    run(&mut a, "CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE, n int)");
    run(&mut a, "BEGIN; INSERT INTO u VALUES (1, 'x@example.com', 1);");
    let spawn = |sql: &'static str| {
        let db = db.clone();
        thread::spawn(move || code(&mut db.connect(), sql))
    };
    let plain = spawn("INSERT INTO u VALUES (2, 'x@example.com', 2)");
    let nothing = spawn("INSERT INTO u VALUES (3, 'x@example.com', 3) ON CONFLICT DO NOTHING");
    // A different value and NULLs never wait on the claim.
    let other = spawn("INSERT INTO u VALUES (4, 'y@example.com', 4)");
    let nulls = spawn("INSERT INTO u VALUES (5, NULL, 5), (6, NULL, 6)");
    assert_eq!(other.join().expect("thread"), None);
    assert_eq!(nulls.join().expect("thread"), None);
    settle();
    assert!(!plain.is_finished() && !nothing.is_finished());
    run(&mut a, "COMMIT");
    assert_eq!(plain.join().expect("thread").as_deref(), Some("23505"));
    assert_eq!(nothing.join().expect("thread"), None);
    assert_eq!(one(&mut a, "SELECT count(*) FROM u WHERE email = 'x@example.com'"), "1");
    assert_eq!(one(&mut a, "SELECT count(*) FROM u"), "4");

    // When the first inserter rolls back, the waiter's row goes in.
    run(&mut a, "BEGIN; INSERT INTO u VALUES (7, 'z@example.com', 7);");
    let b = spawn("INSERT INTO u VALUES (8, 'z@example.com', 8)");
    settle();
    run(&mut a, "ROLLBACK");
    assert_eq!(b.join().expect("thread"), None);
    assert_eq!(one(&mut a, "SELECT id FROM u WHERE email = 'z@example.com'"), "8");
}

#[test]
fn advisory_lock_waits_for_the_holder_and_ends_with_its_session() {
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    run(&mut a, "SELECT pg_advisory_lock(42)");
    let waiter = thread::spawn({
        let db = db.clone();
        move || {
            let mut b = db.connect();
            run(&mut b, "SELECT pg_advisory_lock(42)");
            // Held until this session ends (the connection is dropped on return).
            one(&mut b, "SELECT pg_try_advisory_lock(43)")
        }
    });
    settle();
    assert!(!waiter.is_finished(), "waits for the session-level lock");
    let mut c = db.connect();
    run(&mut c, "SET lock_timeout = '30ms'");
    assert_eq!(code(&mut c, "SELECT pg_advisory_lock(42)").as_deref(), Some("55P03"));
    assert_eq!(one(&mut a, "SELECT pg_advisory_unlock(42)"), "t");
    assert_eq!(waiter.join().expect("thread"), "t");
    // The waiter's session ended: both of its locks are free.
    assert_eq!(one(&mut c, "SELECT pg_try_advisory_lock(42), pg_try_advisory_lock(43)"), "t|t");
}

#[test]
fn a_cancel_ends_an_advisory_lock_wait() {
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    run(&mut a, "BEGIN; SELECT pg_advisory_xact_lock(1)");
    let mut b = db.connect();
    let cancel = b.cancel_handle();
    let waiter = thread::spawn(move || code(&mut b, "SELECT pg_advisory_lock(1)"));
    settle();
    cancel.cancel();
    assert_eq!(waiter.join().expect("thread").as_deref(), Some("57014"));
    run(&mut a, "ROLLBACK");
}

#[test]
fn concurrent_serial_inserts_on_disk_all_get_values() {
    // Durable commits release their locks before their sync: a nextval that lost the race
    // for the sequence must wait for the winner to become visible, not give up (40001).
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::open(dir.path(), heliosdb_nano::Options::default()).expect("open");
    run(&mut db.connect(), "CREATE TABLE s (id serial PRIMARY KEY, w int)");
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let mut c = db.connect();
            thread::spawn(move || {
                for _ in 0..150 {
                    c.execute("INSERT INTO s (w) VALUES ($1)", &[heliosdb_nano::Value::Int4(w)])
                        .expect("insert");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let mut c = db.connect();
    assert_eq!(one(&mut c, "SELECT count(*), count(DISTINCT id), max(id) FROM s"), "600|600|600");
}

#[test]
fn concurrent_ddl_waits_and_then_runs_instead_of_failing() {
    // Every DDL statement writes the catalog's version: a second one waits for the
    // first transaction and, under READ COMMITTED, runs again on the new catalog (it
    // failed with 40001 before), as PostgreSQL's concurrent DDL on other objects does.
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    run(&mut a, "BEGIN; CREATE TABLE ddl_a (x int);");
    let db2 = db.clone();
    let b = thread::spawn(move || {
        let mut b = db2.connect();
        let created = code(&mut b, "CREATE TABLE ddl_b (y int)");
        let role = code(&mut b, "CREATE ROLE ddl_role");
        (created, role, code(&mut b, "INSERT INTO ddl_b VALUES (1)"))
    });
    settle();
    run(&mut a, "COMMIT");
    let (created, role, insert) = b.join().expect("session b");
    assert_eq!((created, role, insert), (None, None, None));
    assert_eq!(
        one(&mut a, "SELECT count(*) FROM pg_class WHERE relname IN ('ddl_a', 'ddl_b')"),
        "2"
    );
    // REPEATABLE READ keeps its snapshot: the second DDL fails there, as before.
    run(&mut a, "BEGIN; CREATE TABLE ddl_c (x int);");
    let db3 = db.clone();
    let c = thread::spawn(move || {
        let mut c = db3.connect();
        code(&mut c, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1; CREATE TABLE ddl_d (y int)")
    });
    settle();
    run(&mut a, "COMMIT");
    assert_eq!(c.join().expect("session c").as_deref(), Some("40001"));
}

#[test]
fn ddl_of_our_own_statements_and_do_blocks_sees_concurrent_ddl() {
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    // CREATE DOMAIN (a statement of our own parser, not sqlparser's) waits for the
    // catalog and runs again, as CREATE TABLE does (it failed with 40001 before).
    run(&mut a, "BEGIN; CREATE TABLE dom_a (x int);");
    let db2 = db.clone();
    let b = thread::spawn(move || {
        code(&mut db2.connect(), "CREATE DOMAIN dom_pos AS int CHECK (VALUE > 0)")
    });
    settle();
    run(&mut a, "COMMIT");
    assert_eq!(b.join().expect("session b"), None);
    // Each statement of a DO block takes its own snapshot under READ COMMITTED: a table
    // created while the block sleeps is visible to its next statements, and its own DDL
    // does not fail on the catalog changed meanwhile.
    let db3 = db.clone();
    let c = thread::spawn(move || {
        code(
            &mut db3.connect(),
            "DO $$ BEGIN PERFORM pg_sleep(0.4); CREATE TABLE do_b (y int); \
             INSERT INTO do_b SELECT count(*) FROM do_seen; END $$",
        )
    });
    settle();
    run(&mut a, "CREATE TABLE do_seen (z int); INSERT INTO do_seen VALUES (1), (2)");
    assert_eq!(c.join().expect("session c"), None);
    assert_eq!(one(&mut a, "SELECT y FROM do_b"), "2");
}

/// Runs `open` in `a`, then `waiter` in another session, which must wait for `a`; ends
/// `a` with `end` and returns the waiter's SQLSTATE.
fn wait_for_end(
    db: &Database,
    a: &mut Connection,
    open: &str,
    waiter: &'static str,
    end: &str,
) -> Option<String> {
    run(a, open);
    let w = spawn_code(db, waiter);
    settle();
    assert!(!w.is_finished(), "{waiter} waits for {open}");
    run(a, end);
    w.join().expect("thread")
}

/// Runs `sql` in a new session on another thread; the thread returns its SQLSTATE.
fn spawn_code(db: &Database, sql: &'static str) -> thread::JoinHandle<Option<String>> {
    let db = db.clone();
    thread::spawn(move || code(&mut db.connect(), sql))
}

fn db_with_parents() -> Database {
    let db = Database::open_in_memory().expect("open");
    run(
        &mut db.connect(),
        "CREATE TABLE parent (id int PRIMARY KEY, code int UNIQUE, v int);
         CREATE TABLE child (id int PRIMARY KEY, p int REFERENCES parent (code));
         INSERT INTO parent VALUES (1, 10, 0), (2, 20, 0);",
    );
    db
}

#[test]
fn a_parent_delete_waits_for_a_new_child_and_then_sees_it() {
    let db = db_with_parents();
    let mut a = db.connect();
    run(&mut a, "BEGIN; INSERT INTO child VALUES (1, 10);");
    // A change of the parent's other columns goes ahead; one of its key waits.
    assert_eq!(code(&mut db.connect(), "UPDATE parent SET v = 5 WHERE id = 1"), None);
    let mut b = db.connect();
    assert_eq!(
        code(&mut b, "SET lock_timeout = '50ms'; UPDATE parent SET code = 11 WHERE id = 1"),
        Some("55P03".into())
    );
    let delete = spawn_code(&db, "DELETE FROM parent WHERE id = 1");
    settle();
    assert!(!delete.is_finished(), "waits for the inserter");
    run(&mut a, "COMMIT");
    // Run again on a snapshot with the child: the parent is still referenced.
    assert_eq!(delete.join().expect("thread").as_deref(), Some("23503"));
    assert_eq!(one(&mut a, "SELECT count(*) FROM parent p JOIN child c ON c.p = p.code"), "1");
}

#[test]
fn a_parent_key_change_waits_for_a_new_child_and_then_sees_it() {
    let db = db_with_parents();
    let mut a = db.connect();
    let open = "BEGIN; INSERT INTO child VALUES (1, 10);";
    let rekey =
        wait_for_end(&db, &mut a, open, "UPDATE parent SET code = 11 WHERE id = 1", "COMMIT");
    assert_eq!(rekey.as_deref(), Some("23503"));
    assert_eq!(one(&mut a, "SELECT code FROM parent WHERE id = 1"), "10");
}

#[test]
fn a_parent_delete_that_a_child_waited_for_fails_the_child() {
    let db = db_with_parents();
    let mut a = db.connect();
    let (open, insert) =
        ("BEGIN; DELETE FROM parent WHERE id = 2;", "INSERT INTO child VALUES (2, 20)");
    assert_eq!(wait_for_end(&db, &mut a, open, insert, "COMMIT").as_deref(), Some("23503"));
    assert_eq!(one(&mut a, "SELECT count(*) FROM child"), "0");
}

#[test]
fn a_child_waits_for_a_rolled_back_parent_delete_and_goes_in() {
    let db = db_with_parents();
    let mut a = db.connect();
    let (open, insert) =
        ("BEGIN; DELETE FROM parent WHERE id = 2;", "INSERT INTO child VALUES (2, 20)");
    assert_eq!(wait_for_end(&db, &mut a, open, insert, "ROLLBACK"), None);
    assert_eq!(one(&mut a, "SELECT count(*) FROM child"), "1");
}

#[test]
fn children_of_one_parent_insert_side_by_side() {
    let db = db_with_parents();
    let (mut a, mut b) = (db.connect(), db.connect());
    run(&mut a, "BEGIN; INSERT INTO child VALUES (1, 10);");
    // The second inserter shares the parent's key lock: no wait.
    run(&mut b, "SET lock_timeout = '100ms'; BEGIN; INSERT INTO child VALUES (2, 10);");
    run(&mut a, "COMMIT");
    run(&mut b, "COMMIT");
    assert_eq!(one(&mut a, "SELECT count(*) FROM child WHERE p = 10"), "2");
}

/// `db_with_parents` with the child's key `ON DELETE` / `ON UPDATE` `action`.
fn db_with_parents_on(action: &str) -> Database {
    let db = Database::open_in_memory().expect("open");
    run(
        &mut db.connect(),
        &format!(
            "CREATE TABLE parent (id int PRIMARY KEY, code int UNIQUE, v int);
             CREATE TABLE child (id int PRIMARY KEY,
                 p int REFERENCES parent (code) ON DELETE {action} ON UPDATE {action});
             INSERT INTO parent VALUES (1, 10, 0), (2, 20, 0);"
        ),
    );
    db
}

/// Runs `stmt` in a new session, whose statement snapshot is taken before it sleeps in
/// its WHERE clause, meanwhile commits child `(id, 10)` of parent 1 in another session
/// (which must not wait), and returns `stmt`'s SQLSTATE.
fn child_commits_while_running(db: &Database, stmt: &'static str, id: i32) -> Option<String> {
    let w = spawn_code(db, stmt);
    settle();
    assert!(!w.is_finished(), "{stmt} sleeps");
    let insert = format!("SET lock_timeout = '100ms'; INSERT INTO child VALUES ({id}, 10)");
    run(&mut db.connect(), &insert);
    assert!(!w.is_finished(), "{stmt} still sleeps after the child committed");
    w.join().expect("thread")
}

#[test]
fn a_parent_delete_sees_a_child_committed_after_its_snapshot() {
    // READ COMMITTED: the statement's snapshot predates the child, the parent's key lock
    // was free when the statement reached it.
    let db = db_with_parents();
    let delete = "DELETE FROM parent WHERE id = 1 AND pg_sleep(0.4) IS NOT NULL";
    assert_eq!(child_commits_while_running(&db, delete, 1).as_deref(), Some("23503"));
    let mut c = db.connect();
    assert_eq!(one(&mut c, "SELECT count(*) FROM parent p JOIN child c ON c.p = p.code"), "1");
    // Another parent's key is free to change.
    let rekey = "UPDATE parent SET code = 21 WHERE id = 2 AND pg_sleep(0.4) IS NOT NULL";
    assert_eq!(child_commits_while_running(&db, rekey, 2), None);

    let db = db_with_parents();
    let rekey = "UPDATE parent SET code = 11 WHERE id = 1 AND pg_sleep(0.4) IS NOT NULL";
    assert_eq!(child_commits_while_running(&db, rekey, 1).as_deref(), Some("23503"));
    assert_eq!(one(&mut db.connect(), "SELECT code FROM parent WHERE id = 1"), "10");
}

#[test]
fn a_repeatable_read_parent_delete_sees_a_child_committed_after_its_snapshot() {
    for stmt in ["DELETE FROM parent WHERE id = 1", "UPDATE parent SET code = 11 WHERE id = 1"] {
        let db = db_with_parents();
        let mut a = db.connect();
        run(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM parent;");
        run(&mut db.connect(), "INSERT INTO child VALUES (1, 10)");
        // As in PostgreSQL 15: the check reads the latest commit and the key is still
        // referenced (NO ACTION), not a serialization failure.
        assert_eq!(code(&mut a, stmt).as_deref(), Some("23503"), "{stmt}");
        run(&mut a, "ROLLBACK");
        assert_eq!(one(&mut a, "SELECT code FROM parent WHERE id = 1"), "10", "{stmt}");
    }
}

#[test]
fn a_repeatable_read_parent_delete_ignores_a_child_deleted_after_its_snapshot() {
    let db = db_with_parents();
    let mut a = db.connect();
    run(&mut a, "INSERT INTO child VALUES (1, 10)");
    run(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM child;");
    run(&mut db.connect(), "DELETE FROM child");
    run(&mut a, "DELETE FROM parent WHERE id = 1; COMMIT;");
    assert_eq!(one(&mut a, "SELECT count(*) FROM parent"), "1");
}

#[test]
fn a_cascading_parent_delete_reaches_a_child_committed_after_its_snapshot() {
    let db = db_with_parents_on("CASCADE");
    let delete = "DELETE FROM parent WHERE id = 1 AND pg_sleep(0.4) IS NOT NULL";
    assert_eq!(child_commits_while_running(&db, delete, 1), None);
    let mut c = db.connect();
    assert_eq!(one(&mut c, "SELECT count(*) FROM child"), "0");
    assert_eq!(one(&mut c, "SELECT count(*) FROM parent"), "1");

    let db = db_with_parents_on("SET NULL");
    let rekey = "UPDATE parent SET code = 11 WHERE id = 1 AND pg_sleep(0.4) IS NOT NULL";
    assert_eq!(child_commits_while_running(&db, rekey, 1), None);
    let mut c = db.connect();
    assert_eq!(one(&mut c, "SELECT coalesce(p, -1) FROM child WHERE id = 1"), "-1");
}

#[test]
fn a_repeatable_read_cascade_fails_on_a_child_committed_after_its_snapshot() {
    for action in ["CASCADE", "SET NULL"] {
        let db = db_with_parents_on(action);
        let mut a = db.connect();
        run(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM parent;");
        run(&mut db.connect(), "INSERT INTO child VALUES (1, 10)");
        assert_eq!(code(&mut a, "DELETE FROM parent WHERE id = 1").as_deref(), Some("40001"));
        run(&mut a, "ROLLBACK");
        assert_eq!(one(&mut a, "SELECT count(*) FROM child WHERE p = 10"), "1", "{action}");
        assert_eq!(one(&mut a, "SELECT count(*) FROM parent"), "2", "{action}");
    }
}

#[test]
fn a_repeatable_read_parent_delete_waits_for_a_key_share_holder_and_fails_only_on_its_child() {
    // As in PostgreSQL: a holder that only locked the parent, or whose child is gone
    // again, changed nothing the DELETE depends on; a child that stays is a 23503.
    let delete = "BEGIN ISOLATION LEVEL REPEATABLE READ; DELETE FROM parent WHERE id = 1; COMMIT;";
    for (holder, expected, parents) in [
        ("BEGIN; SELECT id FROM parent WHERE id = 1 FOR KEY SHARE;", None, "1"),
        ("BEGIN; INSERT INTO child VALUES (1, 10); DELETE FROM child;", None, "1"),
        ("BEGIN; INSERT INTO child VALUES (1, 10);", Some("23503"), "2"),
    ] {
        let db = db_with_parents();
        let mut a = db.connect();
        let got = wait_for_end(&db, &mut a, holder, delete, "COMMIT");
        assert_eq!(got.as_deref(), expected, "{holder}");
        assert_eq!(one(&mut a, "SELECT count(*) FROM parent"), parents, "{holder}");
    }
}

#[test]
fn for_update_on_a_partitioned_table_locks_the_leaf_rows() {
    let db = Database::open_in_memory().expect("open");
    let mut a = db.connect();
    run(
        &mut a,
        "CREATE TABLE pt (k int PRIMARY KEY, v int) PARTITION BY RANGE (k);
         CREATE TABLE pt_lo PARTITION OF pt FOR VALUES FROM (0) TO (10);
         CREATE TABLE pt_hi PARTITION OF pt FOR VALUES FROM (10) TO (20);
         INSERT INTO pt VALUES (5, 0), (6, 0), (15, 0);",
    );
    run(&mut a, "BEGIN");
    assert_eq!(one(&mut a, "SELECT k, v FROM pt WHERE k = 15 FOR UPDATE"), "15|0");
    let mut b = db.connect();
    // The locked row is the leaf's: NOWAIT fails, SKIP LOCKED leaves it out, a row of
    // another leaf or of the same leaf is free, and a write of it waits.
    let nowait = "SELECT * FROM pt WHERE k = 15 FOR UPDATE NOWAIT";
    assert_eq!(code(&mut b, nowait).as_deref(), Some("55P03"));
    let skipped = b.query("SELECT k FROM pt ORDER BY k FOR UPDATE SKIP LOCKED", &[]).unwrap();
    let keys: Vec<String> = skipped.rows.iter().map(|r| r[0].to_pg_text()).collect();
    assert_eq!(keys, ["5", "6"]);
    assert_eq!(
        code(&mut b, "SELECT * FROM pt_hi WHERE k = 15 FOR SHARE NOWAIT").as_deref(),
        Some("55P03")
    );
    assert_eq!(code(&mut b, "SELECT * FROM pt WHERE k = 5 FOR UPDATE NOWAIT"), None);
    let w = spawn_code(&db, "UPDATE pt SET v = v + 1 WHERE k = 15");
    settle();
    assert!(!w.is_finished(), "the UPDATE waits for the FOR UPDATE lock");
    run(&mut a, "COMMIT");
    assert_eq!(w.join().expect("thread"), None);
    assert_eq!(one(&mut a, "SELECT v FROM pt WHERE k = 15"), "1");
    // A row the holder updated (not its key: FOR NO KEY UPDATE) conflicts with FOR
    // UPDATE through the parent, not with FOR KEY SHARE: the lock is the write's own.
    run(&mut a, "BEGIN; UPDATE pt SET v = 2 WHERE k = 6");
    assert_eq!(code(&mut b, "SELECT * FROM pt WHERE k = 6 FOR KEY SHARE NOWAIT"), None);
    assert_eq!(
        code(&mut b, "SELECT * FROM pt WHERE k = 6 FOR UPDATE NOWAIT").as_deref(),
        Some("55P03")
    );
    run(&mut a, "ROLLBACK");
}
