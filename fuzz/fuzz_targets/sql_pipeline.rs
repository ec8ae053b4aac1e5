//! Fuzz target: arbitrary SQL text through the whole pipeline (parse → bind → plan →
//! execute) on a small in-memory database. Errors are expected; a panic, an abort or a
//! statement that ignores cancellation is a bug.
//!
//! Each input is split at `;` by the engine itself (`execute_batch`), so the fuzzer can
//! build multi-statement scripts (DDL, DML, queries) from the seed corpus. A watchdog
//! cancels the batch after a second, the way a client's cancel request would: queries
//! that legitimately run forever (`WITH RECURSIVE` without a bound) must stop there.

#![no_main]

use std::sync::mpsc;
use std::time::Duration;

use heliosdb_nano::Database;
use libfuzzer_sys::fuzz_target;

/// A small schema with data, so queries reach the executor rather than stopping at
/// "relation does not exist".
const SETUP: &str = "\
CREATE TABLE t1 (a int PRIMARY KEY, b int, c text);
CREATE TABLE t2 (a int, d double precision, e boolean, f numeric(8,2));
INSERT INTO t1 VALUES (1, 10, 'one'), (2, 20, 'two'), (3, NULL, ''), (4, -4, NULL);
INSERT INTO t2 VALUES (1, 1.5, true, 10.25), (2, NULL, false, NULL), (NULL, 0, NULL, -3.50);
";

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else { return };
    if sql.len() > 4096 {
        return;
    }
    let Ok(db) = Database::open_in_memory() else { return };
    let mut conn = db.connect();
    let setup = conn.execute_batch(SETUP);
    assert!(setup.error.is_none(), "fuzz setup failed: {:?}", setup.error);

    let cancel = conn.cancel_handle();
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(1)).is_err() {
            cancel.cancel();
        }
    });
    let _ = conn.execute_batch(sql);
    let _ = done.send(());
    let _ = watchdog.join();

    // The session must still answer after whatever the input did (it may have dropped
    // the tables, so ask something that needs none).
    let _ = conn.execute_batch("ROLLBACK");
    let after = conn.execute_batch("SELECT 1");
    assert!(after.error.is_none(), "session unusable after input: {:?}", after.error);
});
