//! Large transactions spill their write set to temporary files: reads of own writes,
//! scans, savepoints, conflicts and commit must behave exactly as in memory, and spilled
//! bytes must be sealed when the database is encrypted.

mod common;

use std::collections::BTreeMap;
use std::ops::Bound;

use helios_common::SqlState;
use helios_storage::{Isolation, KeySource, Storage, StorageOptions, Transaction, TxnOptions};
use zeroize::Zeroizing;

fn key(i: u64) -> Vec<u8> {
    // A zero byte inside exercises the escaping of versioned keys too.
    format!("k\0{i:06}").into_bytes()
}

fn value(i: u64, round: u64) -> Vec<u8> {
    format!("SPILLMARK-{round}-{i}-").repeat(3).into_bytes()
}

/// A tiny deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn all(txn: &Transaction, reverse: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    txn.scan((Bound::Unbounded, Bound::Unbounded), reverse, usize::MAX).expect("scan")
}

fn check(txn: &Transaction, model: &Model, rng: &mut Lcg) {
    let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(all(txn, false), want, "forward scan");
    let mut rev = want.clone();
    rev.reverse();
    assert_eq!(all(txn, true), rev, "reverse scan");
    for _ in 0..50 {
        let k = key(rng.next(1500));
        assert_eq!(txn.get(&k).expect("get"), model.get(&k).cloned(), "get {k:?}");
    }
    // A bounded range, paged.
    let (lo, hi) = (key(300), key(700));
    let got = txn
        .scan((Bound::Excluded(lo.clone()), Bound::Included(hi.clone())), false, 25)
        .expect("range");
    let want: Vec<_> = model
        .range((Bound::Excluded(lo), Bound::Included(hi)))
        .take(25)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(got, want, "bounded range");
}

/// Writes, overwrites, deletes, savepoints and rollbacks with a tiny spill threshold,
/// checked against a model after every phase, then commit.
fn exercise(s: &Storage) {
    s.set_spill_threshold(4 * 1024);
    let mut rng = Lcg(42);
    // Rows committed before the transaction, some of which it overwrites or deletes.
    let mut base = s.begin(TxnOptions::default()).expect("begin");
    let mut model = Model::new();
    for i in (0..1500).step_by(7) {
        base.put(&key(i), &value(i, 0)).expect("put");
        model.insert(key(i), value(i, 0));
    }
    base.commit().expect("commit base");

    let mut txn = s.begin(TxnOptions::default()).expect("begin");
    for i in 0..1000 {
        txn.put(&key(i), &value(i, 1)).expect("put");
        model.insert(key(i), value(i, 1));
    }
    check(&txn, &model, &mut rng);

    let sp = txn.savepoint();
    let saved = model.clone();
    for _ in 0..800 {
        let i = rng.next(1500);
        if rng.next(4) == 0 {
            txn.delete(&key(i)).expect("delete");
            model.remove(&key(i));
        } else {
            txn.put(&key(i), &value(i, 2)).expect("put");
            model.insert(key(i), value(i, 2));
        }
    }
    check(&txn, &model, &mut rng);
    txn.rollback_to(sp).expect("rollback to savepoint");
    model = saved;
    check(&txn, &model, &mut rng);

    // Writes after the rollback, and a second rollback to the same savepoint.
    for i in (0..1500).step_by(3) {
        txn.put(&key(i), &value(i, 3)).expect("put");
        model.insert(key(i), value(i, 3));
    }
    txn.delete(&key(1)).expect("delete");
    model.remove(&key(1));
    check(&txn, &model, &mut rng);

    let info = txn.commit().expect("commit");
    assert!(info.txn_id.0 > 0);
    let after = s.begin(TxnOptions::default()).expect("begin");
    check(&after, &model, &mut rng);
}

#[test]
fn spilled_write_sets_read_scan_roll_back_and_commit_like_memory() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, StorageOptions::default()).expect("open");
        exercise(&s);
    }
}

#[test]
fn a_spilled_transaction_holds_its_write_locks() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, StorageOptions::default()).expect("open");
        s.set_spill_threshold(2 * 1024);
        let mut big = s.begin(TxnOptions::default()).expect("begin");
        for i in 0..500 {
            big.put(&key(i), &value(i, 1)).expect("put");
        }
        // The other writer finds key 250 locked by the big transaction and waits for it.
        let writer = {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut other = s.begin(TxnOptions::default()).expect("begin");
                other.put(&key(250), b"first").and_then(|()| other.commit().map(|_| ()))
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!writer.is_finished(), "the second writer waits for the lock");
        drop(big);
        writer.join().expect("thread").expect("the waiter goes on after a rollback");
        let check = s.begin(TxnOptions::default()).expect("begin");
        assert_eq!(check.get(&key(250)).expect("get"), Some(b"first".to_vec()));
        assert_eq!(
            check.get(&key(0)).expect("get"),
            None,
            "the rolled-back transaction wrote nothing"
        );
    }
}

/// The bytes of this process's open, deleted spill files (Linux `/proc`); `None` elsewhere.
fn spill_file_bytes() -> Option<Vec<u8>> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        if target.to_string_lossy().contains("helios-spill-") {
            out.extend(std::fs::read(entry.path()).unwrap_or_default());
        }
    }
    Some(out)
}

fn spill_bytes_of(options: StorageOptions) -> Option<Vec<u8>> {
    let dir = common::temp_dir();
    let s = Storage::open(dir.path(), options).expect("open");
    s.set_spill_threshold(2 * 1024);
    let mut txn = s.begin(TxnOptions::default()).expect("begin");
    for i in 0..300 {
        txn.put(&key(i), &value(i, 9)).expect("put");
    }
    let bytes = spill_file_bytes();
    assert_eq!(txn.get(&key(5)).expect("get"), Some(value(5, 9)));
    txn.commit().expect("commit");
    bytes
}

#[test]
fn spill_files_are_sealed_when_the_database_is_encrypted() {
    let marker = b"SPILLMARK-9-17-";
    let contains = |hay: &[u8]| hay.windows(marker.len()).any(|w| w == marker);
    let Some(plain) = spill_bytes_of(StorageOptions::default()) else {
        eprintln!("skipped: no /proc/self/fd on this system");
        return;
    };
    assert!(!plain.is_empty() && contains(&plain), "a plain database spills readable rows");
    let key = KeySource::Key(Zeroizing::new([0x42; 32]));
    let options = StorageOptions { encryption: Some(key), ..StorageOptions::default() };
    let sealed = spill_bytes_of(options).expect("spill bytes");
    assert!(!sealed.is_empty(), "the encrypted database spilled too");
    assert!(!contains(&sealed), "no spilled row is readable in an encrypted database");
}

/// A write set of several MiB that stays in memory is committed on its own, streamed like
/// a spilled one: overwrites and deletes of committed keys, a savepoint rollback, and a
/// concurrent writer of one of its keys (first committer wins) behave as in a small one.
#[test]
fn a_large_write_set_in_memory_commits_streamed() {
    let big = |i: u64, round: u64| {
        let mut v = value(i, round);
        v.resize(1024, b'x');
        v
    };
    for (name, engine) in common::engines() {
        let s = Storage::with_engine(engine, StorageOptions::default()).expect("open");
        let mut model = Model::new();
        let mut base = s.begin(TxnOptions::default()).expect("begin");
        for i in (0..12_000).step_by(5) {
            base.put(&key(i), &big(i, 0)).expect("put");
            model.insert(key(i), big(i, 0));
        }
        base.commit().expect("commit base");

        let mut txn = s.begin(TxnOptions::default()).expect("begin");
        for i in 0..12_000 {
            if i % 11 == 0 {
                txn.delete(&key(i)).expect("delete");
                model.remove(&key(i));
            } else {
                txn.put(&key(i), &big(i, 1)).expect("put");
                model.insert(key(i), big(i, 1));
            }
        }
        let sp = txn.savepoint();
        for i in (0..12_000).step_by(3) {
            txn.put(&key(i), &big(i, 2)).expect("put");
        }
        txn.rollback_to(sp).expect("rollback to savepoint");

        // A snapshot taken before the commit: its write of a key the large commit wrote
        // is a serialization conflict afterwards (first committer wins).
        let mut other = s
            .begin(TxnOptions { isolation: Isolation::RepeatableRead, ..TxnOptions::default() })
            .expect("begin");
        txn.commit().expect("commit");
        let late = other.put(&key(1), b"late").and_then(|()| other.commit().map(|_| ()));
        let err = late.expect_err("a write over the large commit must conflict");
        assert_eq!(err.sqlstate(), SqlState::SERIALIZATION_FAILURE, "{name}: {err}");
        let mut rng = Lcg(7);
        let after = s.begin(TxnOptions::default()).expect("begin");
        check(&after, &model, &mut rng);
        assert_eq!(all(&after, false).len(), model.len(), "{name}: every key once");
    }
}
