//! The disk engine's overlay: commits since the last checkpoint are read from memory and
//! merged with redb's pairs. Random batches of puts and deletes, with checkpoints every
//! few hundred bytes of journal and some batches committed as large commits are (runs
//! frozen under the later commits, flushed into redb in the background), must read
//! exactly like a model map — point reads, scans
//! and visits over random ranges in both directions, from the latest snapshot and from
//! snapshots kept across later commits and checkpoints — and still after a reopen.

use std::collections::BTreeMap;
use std::ops::Bound;

mod disk_support;

use disk_support::write_large;
use helios_storage::kv::{open_disk_with, DiskOptions, Snapshot, WriteBatch, JOURNAL_FILE};
use proptest::prelude::*;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn key(k: u8) -> Vec<u8> {
    vec![b'k', k / 16, k % 16]
}

/// A batch: `(key, Some(value length))` puts, `(key, None)` deletes.
fn batches() -> impl Strategy<Value = Vec<Vec<(u8, Option<u8>)>>> {
    let op = (0u8..48, prop::option::weighted(0.7, 0u8..40));
    prop::collection::vec(prop::collection::vec(op, 1..12), 1..40)
}

fn bound(b: u8, kind: u8) -> Bound<Vec<u8>> {
    match kind % 3 {
        0 => Bound::Unbounded,
        1 => Bound::Included(key(b)),
        _ => Bound::Excluded(key(b)),
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Checks every read of `snap` against `model`.
fn check(
    snap: &dyn Snapshot,
    model: &Model,
    ranges: &[(u8, u8, u8, u8)],
) -> Result<(), TestCaseError> {
    for k in 0..48u8 {
        prop_assert_eq!(snap.get(&key(k)).expect("get"), model.get(&key(k)).cloned());
    }
    for &(lo, lk, hi, hk) in ranges {
        let (lo, hi) = (bound(lo, lk), bound(hi, hk));
        let empty = match (&lo, &hi) {
            (Bound::Included(a), Bound::Included(b)) => a > b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
                a >= b
            }
            _ => false,
        };
        let want: Vec<(Vec<u8>, Vec<u8>)> = if empty {
            Vec::new()
        } else {
            model.range((lo.clone(), hi.clone())).map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let range = (as_ref(&lo), as_ref(&hi));
        for reverse in [false, true] {
            let mut want = want.clone();
            if reverse {
                want.reverse();
            }
            let got: Vec<_> =
                snap.scan(range, reverse).expect("scan").map(|r| r.expect("scan step")).collect();
            prop_assert_eq!(&got, &want, "scan reverse={}", reverse);
            let mut got = Vec::new();
            snap.visit(range, reverse, &mut |k, v| {
                got.push((k.to_vec(), v.to_vec()));
                Ok(true)
            })
            .expect("visit");
            prop_assert_eq!(&got, &want, "visit reverse={}", reverse);
            // A visit that stops early stops at the same pair.
            let mut first = Vec::new();
            snap.visit(range, reverse, &mut |k, _| {
                first.push(k.to_vec());
                Ok(first.len() < 2)
            })
            .expect("visit");
            let want_first: Vec<_> = want.iter().take(2).map(|(k, _)| k.clone()).collect();
            prop_assert_eq!(first, want_first);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn overlay_and_redb_read_like_one_map(
        batches in batches(),
        ranges in prop::collection::vec((0u8..48, 0u8..3, 0u8..48, 0u8..3), 1..6),
        durable_every in 1usize..4,
        runs_every in 2usize..5,
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        // About ten small commits between checkpoints.
        let opts = || DiskOptions { journal_bytes: 400, ..DiskOptions::plain() };
        let engine = open_disk_with(dir.path(), &opts()).expect("open");
        let mut model = Model::new();
        let mut kept: Vec<(Box<dyn Snapshot>, Model)> = Vec::new();
        for (i, batch) in batches.iter().enumerate() {
            let mut b = WriteBatch::default();
            for &(k, v) in batch {
                match v {
                    Some(n) => {
                        let value = vec![k.wrapping_add(i as u8); usize::from(n)];
                        b.put(key(k), value.clone());
                        model.insert(key(k), value);
                    }
                    None => {
                        b.delete(key(k));
                        model.remove(&key(k));
                    }
                }
            }
            let durable = i % durable_every == 0;
            if i % runs_every == 1 {
                // The way of a large commit: a journal record read from memory (a run) until
                // the background flush or a checkpoint writes it into redb.
                write_large(engine.as_ref(), &b, durable).expect("write_large");
            } else {
                engine.write(b, durable).expect("write");
            }
            if i % 7 == 3 {
                kept.push((engine.snapshot().expect("snapshot"), model.clone()));
            }
        }
        check(&*engine.snapshot().expect("snapshot"), &model, &ranges)?;
        for (snap, then) in &kept {
            check(&**snap, then, &ranges)?;
        }
        drop(kept);
        drop(engine);
        let engine = open_disk_with(dir.path(), &opts()).expect("reopen");
        check(&*engine.snapshot().expect("snapshot"), &model, &ranges)?;
    }
}

/// Large commits alone still bring on checkpoints: the journal does not grow without end.
#[test]
fn the_journal_of_large_commits_alone_stays_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Checkpoints due after 64 rounds of 1,000 bytes.
    let opts = DiskOptions { journal_bytes: 1_000, ..DiskOptions::plain() };
    let engine = open_disk_with(dir.path(), &opts).expect("open");
    let mut most = 0;
    for i in 0..200u32 {
        let mut b = WriteBatch::default();
        for k in 0..20u32 {
            b.put(format!("run{i:03}/{k:02}").into_bytes(), vec![b'v'; 1_000]);
        }
        write_large(engine.as_ref(), &b, true).expect("write_large");
        let len = std::fs::metadata(dir.path().join(JOURNAL_FILE)).expect("journal").len();
        most = most.max(len);
    }
    // 200 commits of ~20 KB: ~4 MB of records. The journal restarts after ~64 KB, so the
    // file stays at its first 1 MiB of zero-filled room.
    assert!(most <= 1 << 20, "the journal grew to {most} bytes");
    let snap = engine.snapshot().expect("snapshot");
    let n = snap.scan((Bound::Unbounded, Bound::Unbounded), false).expect("scan").count();
    assert_eq!(n, 200 * 20);
}
