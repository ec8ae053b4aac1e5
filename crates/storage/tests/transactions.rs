//! Transactions: visibility, isolation levels, conflicts, savepoints, group commit.

mod common;

use std::ops::Bound;
use std::sync::Arc;

use helios_common::{BranchId, SqlState};
use std::time::Duration;

use helios_storage::{Isolation, LockWait, Storage, TxnOptions};

fn rr() -> TxnOptions {
    TxnOptions { isolation: Isolation::RepeatableRead, ..TxnOptions::default() }
}

fn all() -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (Bound::Unbounded, Bound::Unbounded)
}

#[test]
fn snapshot_reads_own_writes_and_conflicts() {
    for (name, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        let mut t0 = s.begin(rr()).expect("begin");
        t0.put(b"a", b"0").expect("put");
        t0.put(b"b", b"0").expect("put");
        let c0 = t0.commit().expect("commit");
        assert!(c0.txn_id.0 > 0, "{name}");
        assert_eq!(s.commit_record(c0.txn_id).expect("log"), Some((c0.commit_ts, BranchId::MAIN)));

        let mut t1 = s.begin(rr()).expect("begin");
        let mut t2 = s.begin(rr()).expect("begin");
        t2.set_lock_wait(LockWait { timeout: Some(Duration::from_millis(20)), cancel: None });
        t1.put(b"a", b"1").expect("put");
        assert_eq!(t1.get(b"a").expect("get"), Some(b"1".to_vec()), "own write");
        assert_eq!(t2.get(b"a").expect("get"), Some(b"0".to_vec()), "no dirty read");
        let err = t2.put(b"a", b"2").expect_err("locked by t1");
        assert_eq!(err.sqlstate(), SqlState::LOCK_NOT_AVAILABLE);
        t1.commit().expect("first committer wins");
        let err = t2.put(b"a", b"2").expect_err("newer version than the snapshot");
        assert_eq!(err.sqlstate(), SqlState::SERIALIZATION_FAILURE);
        assert_eq!(err.message(), "could not serialize access due to concurrent update");
        assert!(!t2.take_statement_restart(), "REPEATABLE READ does not restart");
        drop(t2);

        let t3 = s.begin(rr()).expect("begin");
        let rows = t3.scan(all(), false, 10).expect("scan");
        assert_eq!(rows, vec![(b"a".to_vec(), b"1".to_vec()), (b"b".to_vec(), b"0".to_vec())]);
        let rows = t3.scan(all(), true, 1).expect("scan");
        assert_eq!(rows, vec![(b"b".to_vec(), b"0".to_vec())]);
    }
}

#[test]
fn read_committed_refreshes_per_statement() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        let mut t1 = s.begin(TxnOptions::default()).expect("begin");
        assert_eq!(t1.get(b"k").expect("get"), None);
        let mut t2 = s.begin(TxnOptions::default()).expect("begin");
        t2.put(b"k", b"v").expect("put");
        t2.commit().expect("commit");
        assert_eq!(t1.get(b"k").expect("get"), None, "same statement, same snapshot");
        t1.new_statement();
        assert_eq!(t1.get(b"k").expect("get"), Some(b"v".to_vec()));
        // Writing after seeing the other commit is not a lost update.
        t1.put(b"k", b"w").expect("put");
        t1.commit().expect("commit");
    }
}

#[test]
fn deletes_savepoints_and_read_only() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"x", b"1").expect("put");
        let sp = t.savepoint();
        t.put(b"x", b"2").expect("put");
        t.delete(b"x").expect("delete");
        assert_eq!(t.get(b"x").expect("get"), None);
        t.rollback_to(sp).expect("rollback to");
        assert_eq!(t.get(b"x").expect("get"), Some(b"1".to_vec()));
        t.commit().expect("commit");

        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.delete(b"x").expect("delete");
        t.commit().expect("commit");
        let t = s.begin(TxnOptions::default()).expect("begin");
        assert_eq!(t.get(b"x").expect("get"), None);
        assert!(t.scan(all(), false, 10).expect("scan").is_empty());

        let mut ro =
            s.begin(TxnOptions { read_only: true, ..TxnOptions::default() }).expect("begin");
        assert_eq!(
            ro.put(b"y", b"1").expect_err("read only").sqlstate(),
            SqlState::READ_ONLY_SQL_TRANSACTION
        );
    }
}

#[test]
fn group_commit_under_concurrency_loses_nothing() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        let threads: Vec<_> = (0..8u8)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let mut ids = Vec::new();
                    for j in 0..25u8 {
                        let mut t = s.begin(TxnOptions::default()).expect("begin");
                        t.put(&[i, j], &[j]).expect("put");
                        ids.push(t.commit().expect("commit"));
                    }
                    ids
                })
            })
            .collect();
        let mut infos: Vec<_> =
            threads.into_iter().flat_map(|h| h.join().expect("thread")).collect();
        infos.sort_by_key(|c| c.commit_ts);
        infos.dedup_by_key(|c| c.commit_ts);
        assert_eq!(infos.len(), 200, "distinct commit timestamps");
        let t = s.begin(TxnOptions::default()).expect("begin");
        assert_eq!(t.scan(all(), false, usize::MAX).expect("scan").len(), 200);
        let _ = Arc::clone(s.engine());
    }
}

/// An engine that counts durable writes and makes each one slow, like an fsync.
struct SlowSyncEngine {
    inner: Arc<dyn helios_storage::kv::Engine>,
    syncs: std::sync::atomic::AtomicUsize,
}

impl helios_storage::kv::Engine for SlowSyncEngine {
    fn snapshot(&self) -> helios_common::Result<Box<dyn helios_storage::kv::Snapshot>> {
        self.inner.snapshot()
    }

    fn write(
        &self,
        batch: helios_storage::kv::WriteBatch,
        durable: bool,
    ) -> helios_common::Result<()> {
        if durable {
            self.syncs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
        self.inner.write(batch, durable)
    }
}

#[test]
fn concurrent_committers_share_syncs() {
    for (_, engine) in common::engines() {
        let slow = Arc::new(SlowSyncEngine { inner: engine, syncs: Default::default() });
        let s = Storage::with_engine(slow.clone(), Default::default()).expect("open");
        let before = slow.syncs.load(std::sync::atomic::Ordering::SeqCst);
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8u8)
            .map(|i| {
                let (s, barrier) = (s.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    for j in 0..10u8 {
                        let mut t = s.begin(TxnOptions::default()).expect("begin");
                        t.put(&[i, j], b"v").expect("put");
                        t.commit().expect("commit");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let syncs = slow.syncs.load(std::sync::atomic::Ordering::SeqCst) - before;
        assert!(syncs < 80, "80 commits should share syncs, took {syncs}");
        let t = s.begin(TxnOptions::default()).expect("begin");
        assert_eq!(t.scan(all(), false, usize::MAX).expect("scan").len(), 80);
    }
}

/// An engine whose writes fail on command, like a failing fsync.
struct FailingEngine {
    inner: Arc<dyn helios_storage::kv::Engine>,
    fail: std::sync::atomic::AtomicBool,
}

impl helios_storage::kv::Engine for FailingEngine {
    fn snapshot(&self) -> helios_common::Result<Box<dyn helios_storage::kv::Snapshot>> {
        self.inner.snapshot()
    }

    fn write(
        &self,
        batch: helios_storage::kv::WriteBatch,
        durable: bool,
    ) -> helios_common::Result<()> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(helios_common::Error::new(SqlState::IO_ERROR, "injected write failure"));
        }
        self.inner.write(batch, durable)
    }
}

#[test]
fn failed_engine_write_fails_the_commit_and_shows_nothing() {
    for (_, engine) in common::engines() {
        let failing = Arc::new(FailingEngine { inner: engine, fail: Default::default() });
        let s = Storage::with_engine(failing.clone(), Default::default()).expect("open");
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"a", b"1").expect("put");
        t.commit().expect("commit");
        failing.fail.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"a", b"2").expect("put");
        assert_eq!(t.commit().expect_err("injected").sqlstate(), SqlState::IO_ERROR);
        let r = s.begin(TxnOptions::default()).expect("begin");
        assert_eq!(r.get(b"a").expect("get"), Some(b"1".to_vec()));
        failing.fail.store(false, std::sync::atomic::Ordering::SeqCst);
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"a", b"3").expect("put");
        t.commit().expect("commit after recovery");
    }
}

#[test]
fn clock_never_goes_back_across_reopen() {
    for (_, engine) in common::engines() {
        let (s, _clock) = common::storage_with_clock(engine.clone());
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"a", b"1").expect("put");
        let first = t.commit().expect("commit");
        drop(s);
        // The wall clock now reads far earlier than the last commit.
        let early = helios_storage::ManualClock::new(10);
        let s = Storage::with_engine_and_clock(engine, Default::default(), Arc::new(early))
            .expect("reopen");
        assert!(s.now() >= first.commit_ts);
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        assert!(t.read_ts() >= first.commit_ts, "the reopened database reads its own past");
        assert_eq!(t.get(b"a").expect("get"), Some(b"1".to_vec()));
        t.put(b"a", b"2").expect("put");
        let second = t.commit().expect("commit");
        assert!(second.commit_ts > first.commit_ts);
        assert!(second.txn_id.0 > first.txn_id.0, "transaction ids continue after reopen");
    }
}

#[test]
fn handles_are_thread_safe() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync + Clone>() {}
    send::<helios_storage::Transaction>();
    send_sync::<Storage>();
}

#[test]
fn concurrent_writers_of_one_key_exactly_one_wins() {
    for (_, engine) in common::engines() {
        let slow = Arc::new(SlowSyncEngine { inner: engine, syncs: Default::default() });
        let s = Storage::with_engine(slow, Default::default()).expect("open");
        for round in 0..5u8 {
            let barrier = Arc::new(std::sync::Barrier::new(6));
            let threads: Vec<_> = (0..6u8)
                .map(|i| {
                    let (s, barrier) = (s.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        let mut t = s.begin(rr()).expect("begin");
                        // Everyone has its snapshot before anyone writes: the first to
                        // lock "hot" commits, the others wait for it and then fail.
                        barrier.wait();
                        t.put(b"hot", &[round, i]).map_err(|e| e.sqlstate())?;
                        t.put(&[b'k', i], &[round]).expect("put");
                        t.commit().map_err(|e| e.sqlstate())
                    })
                })
                .collect();
            let results: Vec<_> = threads.into_iter().map(|h| h.join().expect("thread")).collect();
            let winners = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(winners, 1, "round {round}: {results:?}");
            assert!(results
                .iter()
                .all(|r| r.is_ok() || *r == Err(SqlState::SERIALIZATION_FAILURE)));
            let winner = results.iter().position(|r| r.is_ok()).expect("winner") as u8;
            let t = s.begin(TxnOptions::default()).expect("begin");
            assert_eq!(t.get(b"hot").expect("get"), Some(vec![round, winner]));
            assert_eq!(
                t.get(&[b'k', winner]).expect("get"),
                Some(vec![round]),
                "winner's other writes landed"
            );
        }
    }
}

/// One READ COMMITTED increment of `counter`, restarting the "statement" (read, write)
/// on a fresh snapshot whenever the write meets a newer committed version.
fn increment(t: &mut helios_storage::Transaction) -> helios_common::Result<()> {
    loop {
        let n =
            t.get(b"counter")?.map_or(0, |v| u64::from_be_bytes(v.try_into().expect("8 bytes")));
        match t.put(b"counter", &(n + 1).to_be_bytes()) {
            Ok(()) => return Ok(()),
            Err(_) if t.take_statement_restart() => t.try_new_statement()?,
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn read_committed_writers_wait_and_every_increment_lands() {
    for (name, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let mut t = s.begin(TxnOptions::default()).expect("begin");
                        increment(&mut t).expect("increment under READ COMMITTED");
                        t.commit().expect("commit never conflicts: the key was locked");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let t = s.begin(TxnOptions::default()).expect("begin");
        let v = t.get(b"counter").expect("get").expect("counter");
        assert_eq!(u64::from_be_bytes(v.try_into().expect("8 bytes")), 400, "{name}");
    }
}

#[test]
fn a_waiter_goes_on_when_the_holder_rolls_back() {
    let s = Storage::open_memory().expect("open");
    let mut t1 = s.begin(rr()).expect("begin");
    t1.put(b"k", b"1").expect("put");
    let waiter = {
        let s = s.clone();
        std::thread::spawn(move || {
            let mut t2 = s.begin(rr()).expect("begin");
            t2.put(b"k", b"2")?;
            t2.commit().map(|_| ())
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    assert!(!waiter.is_finished(), "the second writer waits");
    t1.rollback();
    waiter.join().expect("thread").expect("no conflict: the holder wrote nothing");
    let t = s.begin(rr()).expect("begin");
    assert_eq!(t.get(b"k").expect("get"), Some(b"2".to_vec()));
}

#[test]
fn opposite_lock_orders_deadlock_and_one_transaction_fails() {
    let s = Storage::open_memory().expect("open");
    let mut t1 = s.begin(TxnOptions::default()).expect("begin");
    let mut t2 = s.begin(TxnOptions::default()).expect("begin");
    t1.put(b"a", b"1").expect("put");
    t2.put(b"b", b"2").expect("put");
    let first = std::thread::spawn(move || {
        t1.put(b"b", b"1")?;
        t1.commit().map(|_| ())
    });
    std::thread::sleep(Duration::from_millis(50));
    let err = t2.put(b"a", b"2").expect_err("closes the cycle");
    assert_eq!(err.sqlstate(), SqlState::DEADLOCK_DETECTED);
    assert_eq!(err.message(), "deadlock detected");
    drop(t2);
    first.join().expect("thread").expect("the survivor commits");
    let t = s.begin(TxnOptions::default()).expect("begin");
    assert_eq!(t.get(b"a").expect("get"), Some(b"1".to_vec()));
    assert_eq!(t.get(b"b").expect("get"), Some(b"1".to_vec()));
}

#[test]
fn a_lock_wait_is_cancelled_by_its_flag() {
    let s = Storage::open_memory().expect("open");
    let mut t1 = s.begin(TxnOptions::default()).expect("begin");
    t1.put(b"k", b"1").expect("put");
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiter = {
        let (s, cancel) = (s.clone(), cancel.clone());
        std::thread::spawn(move || {
            let mut t2 = s.begin(TxnOptions::default()).expect("begin");
            t2.set_lock_wait(LockWait { timeout: None, cancel: Some(cancel) });
            t2.put(b"k", b"2")
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    assert!(!waiter.is_finished(), "waits");
    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    let err = waiter.join().expect("thread").expect_err("cancelled");
    assert_eq!(err.sqlstate(), SqlState::QUERY_CANCELED);
    t1.commit().expect("the holder is unaffected");
}

/// Row lock strengths conflict as PostgreSQL's do (see `RowLockStrength`).
#[test]
fn row_lock_strengths_conflict_like_postgres() {
    use helios_storage::RowLockStrength::{self, *};
    use helios_storage::RowLockWait;
    let s = Storage::open_memory().expect("open");
    let conflicts = |a: RowLockStrength, b: RowLockStrength| -> bool {
        let t1 = s.begin(TxnOptions::default()).expect("begin");
        let t2 = s.begin(TxnOptions::default()).expect("begin");
        assert!(t1.lock_row(b"r", a, RowLockWait::Wait).expect("first lock"));
        !t2.lock_row(b"r", b, RowLockWait::Skip).expect("second lock")
    };
    let all = [KeyShare, Share, NoKeyUpdate, Update];
    for a in all {
        for b in all {
            // PostgreSQL's "Conflicting Row-Level Locks" table.
            let expected = matches!(
                (a, b),
                (KeyShare, Update)
                    | (Share, NoKeyUpdate | Update)
                    | (NoKeyUpdate, Share | NoKeyUpdate | Update)
                    | (Update, _)
            );
            assert_eq!(conflicts(a, b), expected, "{a:?} then {b:?}");
        }
    }
    // A plain write takes the row lock only: FOR KEY SHARE does not block it, and a
    // DELETE's key lock waits for FOR KEY SHARE.
    let t1 = s.begin(TxnOptions::default()).expect("begin");
    assert!(t1.lock_row(b"r", KeyShare, RowLockWait::Wait).expect("lock"));
    let mut t2 = s.begin(TxnOptions::default()).expect("begin");
    t2.put(b"r", b"1").expect("a non-key update does not wait");
    t2.set_lock_wait(LockWait { timeout: Some(Duration::from_millis(20)), cancel: None });
    let err = t2.lock_key(b"r").expect_err("the key is share-locked");
    assert_eq!(err.sqlstate(), SqlState::LOCK_NOT_AVAILABLE);
}

/// `visit_latest` reads the last commit, not the snapshot, with the transaction's own
/// writes on top, on every branch of the chain; time travel keeps its snapshot.
#[test]
fn visit_latest_sees_commits_after_the_snapshot_and_own_writes() {
    let latest = |t: &helios_storage::Transaction, stop_after: usize| {
        let mut seen = Vec::new();
        t.visit_latest(&all(), &mut |k, v| {
            seen.push(format!("{}={}", String::from_utf8_lossy(k), String::from_utf8_lossy(v)));
            Ok(seen.len() < stop_after)
        })
        .expect("visit_latest");
        seen.join(" ")
    };
    for (name, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"a", b"0").expect("put");
        t.put(b"c", b"0").expect("put");
        let before = t.commit().expect("commit").commit_ts;
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("branch").id;

        for (branch, isolation) in [
            (BranchId::MAIN, Isolation::RepeatableRead),
            (BranchId::MAIN, Isolation::ReadCommitted),
            (dev, Isolation::RepeatableRead),
        ] {
            let opts = TxnOptions { branch, isolation, ..TxnOptions::default() };
            let mut reader = s.begin(opts).expect("begin");
            reader.put(b"d", b"own").expect("put");
            reader.delete(b"a").expect("delete");
            let mut other = s.begin(opts).expect("begin");
            other.put(b"b", b"new").expect("put");
            other.delete(b"c").expect("delete");
            other.commit().expect("commit");
            let snapshot = reader.scan(all(), false, 10).expect("scan");
            let keys: Vec<&[u8]> = snapshot.iter().map(|(k, _)| k.as_slice()).collect();
            assert_eq!(keys, [b"c", b"d"], "{name} {branch:?}: the snapshot is unchanged");
            assert_eq!(latest(&reader, 10), "b=new d=own", "{name} {branch:?}");
            assert_eq!(latest(&reader, 1), "b=new", "{name} {branch:?}: stops when told");
            drop(reader);
            // Undo the other transaction for the next round.
            let mut undo = s.begin(opts).expect("begin");
            undo.delete(b"b").expect("delete");
            undo.put(b"c", b"0").expect("put");
            undo.commit().expect("commit");
        }
        let past = TxnOptions { as_of: Some(before), ..TxnOptions::default() };
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"e", b"later").expect("put");
        t.commit().expect("commit");
        let past = s.begin(past).expect("time travel");
        assert_eq!(latest(&past, 10), "a=0 c=0", "{name}: time travel reads its snapshot");
    }
}

/// A key lock (DELETE, key change) taken after a holder that only share-locked the row
/// committed is no conflict, even under REPEATABLE READ; after one that changed the row
/// it is.
#[test]
fn a_key_lock_after_a_committed_locker_conflicts_only_on_a_change() {
    use helios_storage::{RowLockStrength, RowLockWait};
    let s = Arc::new(Storage::open_memory().expect("open"));
    let mut t = s.begin(TxnOptions::default()).expect("begin");
    t.put(b"r", b"0").expect("put");
    t.commit().expect("commit");
    for change in [false, true] {
        let mut holder = s.begin(TxnOptions::default()).expect("begin");
        assert!(holder.lock_row(b"r", RowLockStrength::KeyShare, RowLockWait::Wait).expect("lock"));
        let waiter = {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut t = s.begin(rr()).expect("begin");
                t.lock_key(b"r").map_err(|e| e.sqlstate())
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "the key lock waits for FOR KEY SHARE");
        // A commit with writes (one without any ends like a rollback for its waiters).
        let written: &[u8] = if change { b"r" } else { b"elsewhere" };
        holder.put(written, b"1").expect("put");
        holder.commit().expect("commit");
        let got = waiter.join().expect("thread");
        let expected = if change { Err(SqlState::SERIALIZATION_FAILURE) } else { Ok(()) };
        assert_eq!(got, expected, "changed: {change}");
    }
}

/// Point reads remember the key ranges their snapshot holds nothing in (a bulk load's
/// uniqueness probes): the answers must stay those of a plain lookup, on every branch of
/// the chain, around tombstones and versions newer than the snapshot, and after the
/// snapshot moves.
#[test]
fn point_reads_of_absent_keys_stay_exact() {
    for (name, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        let key = |i: u32| i.to_be_bytes().to_vec();
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        for i in [10u32, 20, 30] {
            t.put(&key(i), b"main").expect("put");
        }
        t.commit().expect("commit");
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.delete(&key(20)).expect("delete");
        t.commit().expect("commit");
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("branch").id;
        let mut t = s.begin(on_branch(dev)).expect("begin");
        t.put(&key(15), b"dev").expect("put");
        t.commit().expect("commit");

        // Ascending probes, as a load checking each new key.
        let mut r = s.begin(on_branch(dev)).expect("begin");
        let mut got = Vec::new();
        for i in 0..40u32 {
            if let Some(v) = r.get(&key(i)).expect("get") {
                got.push((i, v));
            }
        }
        let want = vec![(10, b"main".to_vec()), (15, b"dev".to_vec()), (30, b"main".to_vec())];
        assert_eq!(got, want, "{name}");
        // Probes going back into learned gaps, then a commit after the snapshot: the
        // same statement does not see it, the next one does.
        assert_eq!(r.get(&key(5)).expect("get"), None, "{name}");
        let mut w = s.begin(on_branch(dev)).expect("begin");
        w.put(&key(7), b"late").expect("put");
        w.put(&key(31), b"late").expect("put");
        w.commit().expect("commit");
        assert_eq!(r.get(&key(6)).expect("get"), None, "{name}");
        assert_eq!(r.get(&key(7)).expect("get"), None, "{name}: snapshot unchanged");
        assert_eq!(r.get(&key(31)).expect("get"), None, "{name}: snapshot unchanged");
        r.new_statement();
        assert_eq!(r.get(&key(7)).expect("get"), Some(b"late".to_vec()), "{name}");
        assert_eq!(r.get(&key(31)).expect("get"), Some(b"late".to_vec()), "{name}");
        assert_eq!(r.get(&key(8)).expect("get"), None, "{name}");
        // Own writes win over the snapshot's gaps.
        r.put(&key(9), b"own").expect("put");
        assert_eq!(r.get(&key(9)).expect("get"), Some(b"own".to_vec()), "{name}");

        // REPEATABLE READ keeps its snapshot: newer versions stay invisible even on keys
        // whose versions the probe passes over.
        let mut rr_txn = s.begin(TxnOptions { branch: dev, ..rr() }).expect("begin");
        assert_eq!(rr_txn.get(&key(40)).expect("get"), None, "{name}");
        let mut w = s.begin(on_branch(dev)).expect("begin");
        w.put(&key(41), b"new").expect("put");
        w.put(&key(30), b"new").expect("put");
        w.commit().expect("commit");
        rr_txn.new_statement();
        assert_eq!(rr_txn.get(&key(41)).expect("get"), None, "{name}");
        assert_eq!(rr_txn.get(&key(30)).expect("get"), Some(b"main".to_vec()), "{name}");
        assert_eq!(rr_txn.get(&key(31)).expect("get"), Some(b"late".to_vec()), "{name}");
        rr_txn.put(&key(42), b"x").expect("put");
    }
}

fn on_branch(branch: BranchId) -> TxnOptions {
    TxnOptions { branch, ..TxnOptions::default() }
}

/// An engine whose every third durable write fails (after a pause, so groups form).
struct EveryThirdFails {
    inner: Arc<dyn helios_storage::kv::Engine>,
    writes: std::sync::atomic::AtomicUsize,
}

impl helios_storage::kv::Engine for EveryThirdFails {
    fn snapshot(&self) -> helios_common::Result<Box<dyn helios_storage::kv::Snapshot>> {
        self.inner.snapshot()
    }

    fn write(
        &self,
        batch: helios_storage::kv::WriteBatch,
        durable: bool,
    ) -> helios_common::Result<()> {
        if durable {
            std::thread::sleep(std::time::Duration::from_millis(2));
            let n = self.writes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n % 3 == 2 {
                return Err(helios_common::Error::new(SqlState::IO_ERROR, "injected failure"));
            }
        }
        self.inner.write(batch, durable)
    }
}

#[test]
fn a_failed_group_write_fails_exactly_the_commits_it_held() {
    for (_, engine) in common::engines() {
        let e = Arc::new(EveryThirdFails { inner: engine, writes: Default::default() });
        let s = Storage::with_engine(e.clone(), Default::default()).expect("open");
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8u8)
            .map(|i| {
                let (s, barrier) = (s.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..12u8)
                        .map(|j| {
                            let mut t = s.begin(TxnOptions::default()).expect("begin");
                            t.put(&[i, j], &[i ^ j]).expect("put");
                            match t.commit() {
                                Ok(_) => ([i, j], true),
                                Err(err) => {
                                    assert_eq!(err.sqlstate(), SqlState::IO_ERROR, "{err:?}");
                                    ([i, j], false)
                                }
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let outcomes: Vec<_> =
            threads.into_iter().flat_map(|h| h.join().expect("thread")).collect();
        let failed = outcomes.iter().filter(|(_, ok)| !ok).count();
        assert!(failed > 0 && failed < outcomes.len(), "{failed} of {} failed", outcomes.len());
        let t = s.begin(TxnOptions::default()).expect("begin");
        for (key, ok) in &outcomes {
            let got = t.get(key).expect("get");
            let want = ok.then(|| vec![key[0] ^ key[1]]);
            assert_eq!(got, want, "key {key:?}: committed {ok}");
        }
    }
}
