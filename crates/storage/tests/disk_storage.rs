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
