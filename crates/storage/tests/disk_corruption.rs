//! A damaged plain data file gives errors, never a panic.
//!
//! (Plain files carry no authentication, so a damaged value can read back changed; the
//! encrypted backend's tests check that it cannot.)

mod disk_support;

use std::ops::Bound;

use disk_support::all;
use helios_common::SqlState;
use helios_storage::kv::{open_disk_with, DiskOptions, WriteBatch, DATA_FILE};

#[test]
fn flipped_bytes_in_a_plain_file_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open_disk_with(dir.path(), &DiskOptions::plain()).unwrap();
        for round in 0..4 {
            let mut b = WriteBatch::default();
            for i in 0..150 {
                b.put(format!("r{round}/k{i:04}"), vec![round as u8; 300]);
            }
            engine.write(b, true).unwrap();
        }
        assert_eq!(all(engine.snapshot().unwrap().as_ref()).len(), 600);
    }
    let path = dir.path().join(DATA_FILE);
    let original = std::fs::read(&path).unwrap();
    let mut errors = 0;
    for pos in (0..original.len()).step_by(2503) {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x20;
        std::fs::write(&path, &bytes).unwrap();
        let outcome = open_disk_with(dir.path(), &DiskOptions::plain()).and_then(|e| {
            let s = e.snapshot()?;
            let mut b = WriteBatch::default();
            b.put("after", "flip");
            let written = e.write(b, true);
            let pairs: Result<Vec<_>, _> =
                s.scan((Bound::Unbounded, Bound::Unbounded), true)?.collect();
            written.and(pairs)
        });
        if let Err(e) = outcome {
            let known = [SqlState::DATA_CORRUPTED, SqlState::IO_ERROR, SqlState::INTERNAL_ERROR];
            assert!(known.contains(&e.sqlstate()), "flip at {pos}: {e:?}");
            errors += 1;
        }
    }
    assert!(errors > 0, "no flip was noticed at all");
}
