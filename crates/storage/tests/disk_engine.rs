//! The disk engine's `Engine` contract, on the plain and the encrypted backend.

mod disk_support;

use std::ops::Bound;

use disk_support::{all, fill, flavours};
use helios_common::SqlState;
use helios_storage::kv::{open_disk_with, DiskEngine, WriteBatch};

fn kv(k: &str, v: &str) -> (Vec<u8>, Vec<u8>) {
    (k.as_bytes().to_vec(), v.as_bytes().to_vec())
}

#[test]
fn put_get_delete_and_scans() {
    for (name, options) in flavours() {
        let dir = tempfile::tempdir().unwrap();
        let engine = open_disk_with(dir.path(), &options()).unwrap();
        let mut b = WriteBatch::default();
        for k in ["b", "d", "a", "c", "e"] {
            b.put(k, format!("v{k}"));
        }
        engine.write(b, true).unwrap();
        let mut b = WriteBatch::default();
        b.delete("c");
        b.delete("zz");
        b.put("e", "new");
        engine.write(b, false).unwrap();

        let s = engine.snapshot().unwrap();
        assert_eq!(s.get(b"a").unwrap(), Some(b"va".to_vec()), "{name}");
        assert_eq!(s.get(b"c").unwrap(), None, "{name}");
        assert_eq!(s.get(b"e").unwrap(), Some(b"new".to_vec()), "{name}");
        assert_eq!(
            all(s.as_ref()),
            vec![kv("a", "va"), kv("b", "vb"), kv("d", "vd"), kv("e", "new")],
            "{name}"
        );
        let fwd: Vec<_> = s
            .scan((Bound::Included(b"b".as_slice()), Bound::Excluded(b"e".as_slice())), false)
            .unwrap()
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(fwd, vec![b"b".to_vec(), b"d".to_vec()], "{name}");
        let rev: Vec<_> = s
            .scan((Bound::Excluded(b"a".as_slice()), Bound::Included(b"e".as_slice())), true)
            .unwrap()
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(rev, vec![b"e".to_vec(), b"d".to_vec(), b"b".to_vec()], "{name}");
        let empty = s
            .scan((Bound::Included(b"d".as_slice()), Bound::Excluded(b"b".as_slice())), false)
            .unwrap()
            .count();
        assert_eq!(empty, 0, "{name}");
    }
}

#[test]
fn snapshots_do_not_see_later_writes() {
    for (name, options) in flavours() {
        let dir = tempfile::tempdir().unwrap();
        let engine = open_disk_with(dir.path(), &options()).unwrap();
        fill(engine.as_ref(), 10, true);
        let before = engine.snapshot().unwrap();
        let mut b = WriteBatch::default();
        b.put("key00003", "changed");
        b.delete("key00004");
        b.put("zzz", "added");
        engine.write(b, true).unwrap();
        assert_eq!(before.get(b"key00003").unwrap(), Some(b"value3".to_vec()), "{name}");
        assert_eq!(before.get(b"key00004").unwrap(), Some(b"value4".to_vec()), "{name}");
        assert_eq!(before.get(b"zzz").unwrap(), None, "{name}");
        assert_eq!(all(before.as_ref()).len(), 10, "{name}");
        let after = engine.snapshot().unwrap();
        assert_eq!(after.get(b"key00003").unwrap(), Some(b"changed".to_vec()), "{name}");
        assert_eq!(all(after.as_ref()).len(), 10, "{name}");
    }
}

#[test]
fn snapshots_taken_between_writes_see_every_earlier_write() {
    // Snapshots taken while nothing is written share one read view; each write must end
    // that sharing, whichever write path it takes and whatever snapshots are still held.
    for (name, options) in flavours() {
        let dir = tempfile::tempdir().unwrap();
        let engine = open_disk_with(dir.path(), &options()).unwrap();
        let mut held = Vec::new();
        for i in 0..6u32 {
            let key = format!("k{i}");
            let a = engine.snapshot().unwrap();
            let b = engine.snapshot().unwrap();
            assert_eq!(a.get(key.as_bytes()).unwrap(), None, "{name} {i}");
            assert_eq!(b.get(key.as_bytes()).unwrap(), None, "{name} {i}");
            let mut batch = WriteBatch::default();
            batch.put(key.as_bytes(), i.to_be_bytes().to_vec());
            match i % 3 {
                0 => engine.write(batch, true).unwrap(),
                1 => engine.write(batch, false).unwrap(),
                _ => {
                    let mut packed = helios_storage::kv::PackedBatch::default();
                    packed.put(key.as_bytes(), &i.to_be_bytes());
                    engine.write_packed(packed, i % 2 == 0).unwrap();
                }
            }
            let after = engine.snapshot().unwrap();
            assert_eq!(
                after.get(key.as_bytes()).unwrap(),
                Some(i.to_be_bytes().to_vec()),
                "{name}"
            );
            assert_eq!(a.get(key.as_bytes()).unwrap(), None, "{name}: held views do not move");
            assert_eq!(all(after.as_ref()).len(), i as usize + 1, "{name}");
            held.push(a);
            held.push(b);
        }
        for (n, snap) in held.iter().enumerate() {
            assert_eq!(all(snap.as_ref()).len(), n / 2, "{name}: view {n}");
        }
    }
}

#[test]
fn batches_apply_in_order_and_whole() {
    for (name, options) in flavours() {
        let dir = tempfile::tempdir().unwrap();
        let engine = open_disk_with(dir.path(), &options()).unwrap();
        let mut b = WriteBatch::default();
        b.put("k", "1");
        b.delete("k");
        b.put("k", "2");
        b.put("j", "x");
        b.delete("j");
        engine.write(b, true).unwrap();
        let s = engine.snapshot().unwrap();
        assert_eq!(all(s.as_ref()), vec![kv("k", "2")], "{name}");
    }
}

#[test]
fn reopening_keeps_durable_and_cleanly_closed_writes() {
    for (name, options) in flavours() {
        let dir = tempfile::tempdir().unwrap();
        {
            let engine = open_disk_with(dir.path(), &options()).unwrap();
            fill(engine.as_ref(), 3000, true);
            let mut b = WriteBatch::default();
            b.put(vec![0u8; 0], vec![1u8; 100_000]);
            engine.write(b, true).unwrap();
        }
        let engine = open_disk_with(dir.path(), &options()).unwrap();
        let s = engine.snapshot().unwrap();
        let pairs = all(s.as_ref());
        assert_eq!(pairs.len(), 3001, "{name}");
        assert_eq!(pairs[0], (vec![], vec![1u8; 100_000]), "{name}");
        assert_eq!(s.get(b"key02999").unwrap(), Some(b"value2999".to_vec()), "{name}");
        let rev: Vec<_> = s
            .scan((Bound::Unbounded, Bound::Unbounded), true)
            .unwrap()
            .take(2)
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(rev, vec![b"key02999".to_vec(), b"key02998".to_vec()], "{name}");
    }
}

#[test]
fn a_second_open_is_refused_while_the_first_is_alive() {
    for (name, options) in flavours() {
        let dir = tempfile::tempdir().unwrap();
        let first = DiskEngine::open(dir.path(), &options()).unwrap();
        let err = DiskEngine::open(dir.path(), &options()).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::OBJECT_IN_USE, "{name}: {err:?}");
        drop(first);
        DiskEngine::open(dir.path(), &options()).unwrap();
    }
}

#[test]
fn non_durable_writes_survive_a_clean_close() {
    for (name, options) in flavours() {
        let dir = tempfile::tempdir().unwrap();
        {
            let engine = open_disk_with(dir.path(), &options()).unwrap();
            fill(engine.as_ref(), 20, true);
            let mut b = WriteBatch::default();
            b.put("relaxed", "kept");
            engine.write(b, false).unwrap();
        }
        let engine = open_disk_with(dir.path(), &options()).unwrap();
        let s = engine.snapshot().unwrap();
        assert_eq!(s.get(b"relaxed").unwrap(), Some(b"kept".to_vec()), "{name}");
        assert_eq!(all(s.as_ref()).len(), 21, "{name}");
    }
}
