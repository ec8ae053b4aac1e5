//! Durable commits release their row locks before their journal sync, and a writer that
//! waited for such a lock works on the version that is not durable yet. These tests check
//! that this never acknowledges what a power loss or a failed sync can take away:
//!
//! - power loss at a random moment while threads increment one hot counter under READ
//!   COMMITTED (every increment waits for the previous one's lock, as TPC-B's branch row):
//!   every acknowledged increment is there after reopening, and the counter equals the
//!   number of increments present (none half there);
//! - a failed journal sync: the committer whose sync failed and the writer that waited for
//!   its lock both fail, a locking reader that read the version fails its commit too, and
//!   reopening shows none of them.

mod disk_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use disk_support::sim::SimDisk;
use helios_common::{Result, SqlState};
use helios_storage::crypto::DataKey;
use helios_storage::kv::{open_disk_with, DiskEngine, DiskOptions, FaultHandle};
use helios_storage::{
    RowLockStrength, RowLockWait, Storage, StorageOptions, Transaction, TxnOptions,
};
use parking_lot::Mutex;
use redb::StorageBackend;
use zeroize::Zeroizing;

const HOT: &[u8] = b"hot";
const THREADS: u64 = 4;

fn own_key(thread: u64, n: u64) -> Vec<u8> {
    format!("t{thread}/{n:06}").into_bytes()
}

/// Puts `key` under READ COMMITTED the way the SQL layer does: a statement that meets a
/// newer committed version restarts on a fresh snapshot.
fn put_rc(
    txn: &mut Transaction,
    key: &[u8],
    mut value: impl FnMut(&Transaction) -> Result<Vec<u8>>,
) -> Result<()> {
    loop {
        let v = value(txn)?;
        match txn.put(key, &v) {
            Ok(()) => return Ok(()),
            Err(_) if txn.take_statement_restart() => txn.try_new_statement()?,
            Err(e) => return Err(e),
        }
    }
}

fn counter(txn: &Transaction) -> Result<u64> {
    Ok(txn.get(HOT)?.map_or(0, |v| String::from_utf8_lossy(&v).parse().unwrap_or(u64::MAX)))
}

/// One increment of the hot counter plus the thread's own key, in one transaction.
fn increment(s: &Storage, thread: u64, n: u64) -> Result<()> {
    let mut txn = s.begin(TxnOptions::default())?;
    put_rc(&mut txn, HOT, |t| Ok((counter(t)? + 1).to_string().into_bytes()))?;
    txn.put(&own_key(thread, n), format!("{thread} {n}").repeat(8).as_bytes())?;
    txn.commit().map(drop)
}

/// Checks the reopened database against the acknowledged increments; returns the next
/// number of each thread.
fn verify(s: &Storage, acked: &BTreeSet<(u64, u64)>, what: &str) -> Vec<u64> {
    let txn = s.begin(TxnOptions::default()).expect("begin");
    let hot = counter(&txn).expect("counter");
    let rows = txn
        .scan(
            (std::ops::Bound::Included(b"t".to_vec()), std::ops::Bound::Excluded(b"u".to_vec())),
            false,
            usize::MAX,
        )
        .expect("scan");
    assert_eq!(rows.len() as u64, hot, "{what}: counter and increments disagree");
    let present: BTreeSet<(u64, u64)> = rows
        .iter()
        .map(|(k, _)| {
            let k = String::from_utf8_lossy(k);
            let (t, n) = k[1..].split_once('/').expect("own key");
            (t.parse().expect("thread"), n.parse().expect("n"))
        })
        .collect();
    for a in acked {
        assert!(present.contains(a), "{what}: acknowledged increment {a:?} lost");
    }
    (0..THREADS)
        .map(|t| present.iter().filter(|(pt, _)| *pt == t).map(|(_, n)| n + 1).max().unwrap_or(0))
        .collect()
}

fn power_loss_run(encrypted: bool, cycles: u64) {
    let key = DataKey::from_bytes(Zeroizing::new([0x44; 32]));
    let key = encrypted.then_some(&key);
    let what = if encrypted { "encrypted" } else { "plain" };
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64 ^ u64::from(encrypted);
    let mut images = vec![Vec::new(), Vec::new()];
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut hits = 0;
    for cycle in 0..cycles {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let disks = SimDisk::new(images.clone(), seed);
        let name = format!("{what} cycle {cycle}");
        // A journal of a few kilobytes: checkpoints happen between the syncs.
        let journal = Some((Box::new(disks[1].clone()) as Box<dyn StorageBackend>, 4 << 10));
        let engine = DiskEngine::with_backends(
            Path::new("sim"),
            Box::new(disks[0].clone()),
            journal,
            key,
            1 << 20,
        )
        .unwrap_or_else(|e| panic!("{name}: reopen after power loss failed: {e:?}"));
        let s = Storage::with_engine(Arc::new(engine), StorageOptions::default())
            .unwrap_or_else(|e| panic!("{name}: storage: {e:?}"));
        let next = verify(&s, &acked.lock(), &name);
        disks[0].sim().fuse = Some(100 + (seed >> 20) % 400);
        std::thread::scope(|scope| {
            for (t, first) in next.iter().copied().enumerate() {
                let (s, acked) = (&s, &acked);
                scope.spawn(move || {
                    for n in first..first + 40 {
                        match increment(s, t as u64, n) {
                            Ok(()) => drop(acked.lock().insert((t as u64, n))),
                            Err(_) => return,
                        }
                    }
                });
            }
        });
        let lost = disks[0].sim().image.is_some();
        hits += usize::from(lost);
        if !lost {
            disks[0].sim().lose_power();
        }
        drop(s);
        images = disks[0].sim().image.clone().expect("the power was lost");
    }
    assert!(hits > 0, "{what}: the power never went while threads committed");
    assert!(acked.lock().len() as u64 > cycles, "{what}: too few acknowledged");
}

/// Cycles per backend: `HELIOS_POWER_LOSS_CYCLES`, default 12.
fn cycles() -> u64 {
    std::env::var("HELIOS_POWER_LOSS_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(12)
}

#[test]
fn power_loss_keeps_every_acknowledged_increment_of_a_hot_row_plain() {
    power_loss_run(false, cycles());
}

#[test]
fn power_loss_keeps_every_acknowledged_increment_of_a_hot_row_encrypted() {
    power_loss_run(true, cycles());
}

#[test]
fn a_failed_sync_fails_the_writers_and_readers_that_waited_for_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let faults = FaultHandle::new();
    let opts = DiskOptions { journal_faults: Some(faults.clone()), ..DiskOptions::plain() };
    let s =
        Storage::with_engine(open_disk_with(dir.path(), &opts).unwrap(), StorageOptions::default())
            .unwrap();
    let mut t0 = s.begin(TxnOptions::default()).unwrap();
    t0.put(HOT, b"0").unwrap();
    t0.commit().unwrap();

    let mut t1 = s.begin(TxnOptions::default()).unwrap();
    t1.put(HOT, b"1").unwrap();
    let (writer, reader) = std::thread::scope(|scope| {
        let s = &s;
        // A writer and a locking reader (SELECT ... FOR UPDATE) wait for t1's lock.
        let writer = scope.spawn(move || -> Result<Vec<u8>> {
            let mut t2 = s.begin(TxnOptions::default())?;
            let mut seen = Vec::new();
            put_rc(&mut t2, HOT, |t| {
                seen = t.get(HOT)?.unwrap_or_default();
                Ok(b"2".to_vec())
            })?;
            t2.commit()?;
            Ok(seen)
        });
        let reader = scope.spawn(move || -> Result<Vec<u8>> {
            let mut t3 = s.begin(TxnOptions::default())?;
            std::thread::sleep(Duration::from_millis(20));
            loop {
                match t3.lock_row(HOT, RowLockStrength::Update, RowLockWait::Wait) {
                    Ok(_) => break,
                    Err(_) if t3.take_statement_restart() => t3.try_new_statement()?,
                    Err(e) => return Err(e),
                }
            }
            let seen = t3.get(HOT)?.unwrap_or_default();
            t3.commit()?;
            Ok(seen)
        });
        std::thread::sleep(Duration::from_millis(200));
        faults.fail_syncs(true);
        let err = t1.commit().expect_err("t1's sync fails");
        assert_eq!(err.sqlstate(), SqlState::IO_ERROR, "{err:?}");
        (writer.join().unwrap(), reader.join().unwrap())
    });
    faults.disarm();
    // Whatever each of them read (t1's version, or t2's), neither commit is acknowledged:
    // it read a version whose sync failed, or came after it.
    let err = writer.expect_err("the waiting writer must not commit");
    assert_eq!(err.sqlstate(), SqlState::IO_ERROR, "{err:?}");
    let err = reader.expect_err("the locking reader must not commit");
    assert_eq!(err.sqlstate(), SqlState::IO_ERROR, "{err:?}");
    drop(s);

    let s = Storage::open(dir.path(), StorageOptions::default()).unwrap();
    let txn = s.begin(TxnOptions::default()).unwrap();
    assert_eq!(txn.get(HOT).unwrap(), Some(b"0".to_vec()), "only t0 is durable");
}
