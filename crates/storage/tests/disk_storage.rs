//! `Storage::open` on a directory: MVCC transactions and branches on the disk engine,
//! plain and encrypted, across reopen.

use helios_common::SqlState;
use helios_storage::{KeySource, Storage, StorageOptions, TxnOptions};
use zeroize::Zeroizing;

fn options(encrypted: bool) -> StorageOptions {
    StorageOptions {
        encryption: encrypted.then(|| KeySource::Key(Zeroizing::new([0x42; 32]))),
        ..StorageOptions::default()
    }
}

#[test]
fn storage_open_commits_survive_reopen() {
    for encrypted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let info = {
            let s = Storage::open(dir.path(), options(encrypted)).unwrap();
            let mut t = s.begin(TxnOptions::default()).unwrap();
            t.put(b"greeting", b"hello").unwrap();
            t.put(b"gone", b"soon").unwrap();
            t.commit().unwrap();
            let mut t = s.begin(TxnOptions::default()).unwrap();
            t.delete(b"gone").unwrap();
            t.commit().unwrap()
        };
        let s = Storage::open(dir.path(), options(encrypted)).unwrap();
        let t = s.begin(TxnOptions::default()).unwrap();
        assert_eq!(t.get(b"greeting").unwrap(), Some(b"hello".to_vec()), "{encrypted}");
        assert_eq!(t.get(b"gone").unwrap(), None, "{encrypted}");
        assert!(s.now() >= info.commit_ts, "clock must not go back after reopen");
        assert_eq!(s.branches().unwrap().len(), 1);
    }
}

#[test]
fn storage_open_of_an_encrypted_directory_needs_its_key() {
    let dir = tempfile::tempdir().unwrap();
    drop(Storage::open(dir.path(), options(true)).unwrap());
    let err = Storage::open(dir.path(), options(false)).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::INVALID_AUTHORIZATION_SPECIFICATION, "{err:?}");
    let wrong = StorageOptions {
        encryption: Some(KeySource::Key(Zeroizing::new([0x43; 32]))),
        ..StorageOptions::default()
    };
    let err = Storage::open(dir.path(), wrong).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::INVALID_PASSWORD, "{err:?}");
}

#[test]
fn a_database_of_another_storage_format_is_refused_clearly() {
    use helios_storage::kv::{open_disk_with, DiskOptions, WriteBatch};
    // Format 2 had no format key; its registry already held `next_branch`.
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open_disk_with(dir.path(), &DiskOptions::plain()).unwrap();
        let mut b = WriteBatch::default();
        b.put(b"\x02next_branch".to_vec(), 2u32.to_be_bytes().to_vec());
        b.put(b"\x01\0\0\0\x01k\0\0\0\0\0\0\0\0\0\0".to_vec(), b"\x01v".to_vec());
        engine.write(b, true).unwrap();
    }
    let err = Storage::open(dir.path(), options(false)).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::DATA_CORRUPTED, "{err:?}");
    assert!(err.message().contains("older storage format"), "{err:?}");
    // A format this version does not know (a later one).
    let dir = tempfile::tempdir().unwrap();
    drop(Storage::open(dir.path(), options(false)).unwrap());
    {
        let engine = open_disk_with(dir.path(), &DiskOptions::plain()).unwrap();
        let mut b = WriteBatch::default();
        b.put(b"\x02format".to_vec(), 9u32.to_be_bytes().to_vec());
        engine.write(b, true).unwrap();
    }
    let err = Storage::open(dir.path(), options(false)).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::DATA_CORRUPTED, "{err:?}");
    assert!(err.message().contains("storage format 9"), "{err:?}");
    // A database this version created opens again.
    let dir = tempfile::tempdir().unwrap();
    drop(Storage::open(dir.path(), options(false)).unwrap());
    Storage::open(dir.path(), options(false)).unwrap();
}
