//! A damaged plain data file gives a corruption error (`XX001`), never a panic or wrong
//! data: every page of a plain file carries a checksum (the encrypted backend's tests check
//! the same for encrypted files).

mod disk_support;

use std::ops::Bound;

use disk_support::all;
use helios_common::SqlState;
use helios_storage::kv::{
    open_disk_with, DiskOptions, Snapshot, WriteBatch, DATA_FILE, PHYSICAL_PAGE,
};

/// Every pair, with read errors returned instead of panicking.
fn all_checked(s: &dyn Snapshot) -> helios_common::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    s.scan((Bound::Unbounded, Bound::Unbounded), false)?.collect()
}

#[test]
fn flipped_bytes_in_a_plain_file_give_corruption_errors_never_wrong_data() {
    let dir = tempfile::tempdir().unwrap();
    let expected = {
        let engine = open_disk_with(dir.path(), &DiskOptions::plain()).unwrap();
        for round in 0..4 {
            let mut b = WriteBatch::default();
            for i in 0..150 {
                b.put(format!("r{round}/k{i:04}"), vec![round as u8; 300]);
            }
            engine.write(b, true).unwrap();
        }
        let pairs = all(engine.snapshot().unwrap().as_ref());
        assert_eq!(pairs.len(), 600);
        pairs
    };
    let path = dir.path().join(DATA_FILE);
    let original = std::fs::read(&path).unwrap();
    let page = PHYSICAL_PAGE;
    assert!(original.len() / page > 4, "data file unexpectedly small");
    // Both copies of page 0, then every data page at a spread of offsets, including the
    // stored values themselves (readable in a plain file, so easy to find).
    let mut positions = vec![0, 9, 30, 4000, page - 1, page + 3, page + 500];
    positions.extend((2 * page..original.len()).step_by(1009));
    let value_at = original.windows(8).position(|w| w == [2u8; 8]).expect("a stored value");
    positions.push(value_at + 4);
    let mut errors = 0;
    for &pos in &positions {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x20;
        std::fs::write(&path, &bytes).unwrap();
        let outcome = open_disk_with(dir.path(), &DiskOptions::plain())
            .and_then(|e| e.snapshot().map(|s| all_checked(s.as_ref())))
            .and_then(|r| r);
        match outcome {
            Ok(pairs) => assert_eq!(pairs, expected, "flip at {pos} returned wrong data"),
            Err(e) => {
                assert_eq!(e.sqlstate(), SqlState::DATA_CORRUPTED, "flip at {pos}: {e:?}");
                errors += 1;
            }
        }
    }
    // Most positions fall in pages the current tree uses; every such flip is caught.
    assert!(errors * 2 >= positions.len(), "only {errors} of {} flips detected", positions.len());
    std::fs::write(&path, &original).unwrap();
    let engine = open_disk_with(dir.path(), &DiskOptions::plain()).unwrap();
    assert_eq!(all(engine.snapshot().unwrap().as_ref()), expected);
}

#[test]
fn flipped_bytes_never_panic_writes_either() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open_disk_with(dir.path(), &DiskOptions::plain()).unwrap();
        let mut b = WriteBatch::default();
        for i in 0..400 {
            b.put(format!("k{i:04}"), vec![9u8; 200]);
        }
        engine.write(b, true).unwrap();
    }
    let path = dir.path().join(DATA_FILE);
    let original = std::fs::read(&path).unwrap();
    for pos in (0..original.len()).step_by(2503) {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x20;
        std::fs::write(&path, &bytes).unwrap();
        let outcome = open_disk_with(dir.path(), &DiskOptions::plain()).and_then(|e| {
            let mut b = WriteBatch::default();
            b.put("after", "flip");
            e.write(b, true)?;
            all_checked(e.snapshot()?.as_ref())
        });
        if let Err(e) = outcome {
            let known = [SqlState::DATA_CORRUPTED, SqlState::IO_ERROR];
            assert!(known.contains(&e.sqlstate()), "flip at {pos}: {e:?}");
        }
    }
}

#[test]
fn a_file_of_the_old_unchecksummed_format_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = b"redb\x1A\x0A\xA9\x0D\x0A".to_vec();
    old.resize(8192, 0);
    std::fs::write(dir.path().join(DATA_FILE), &old).unwrap();
    let err = open_disk_with(dir.path(), &DiskOptions::plain()).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::DATA_CORRUPTED, "{err:?}");
    assert!(err.message().contains("older format"), "{err:?}");
}
