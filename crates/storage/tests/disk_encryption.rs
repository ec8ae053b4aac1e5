//! Encryption at rest: nothing readable on disk, wrong keys refused, tampering detected,
//! passphrase changes.

mod disk_support;

use std::path::Path;

use disk_support::{all, files, fill, open_err, passphrase_options, test_key};
use helios_common::SqlState;
use helios_storage::crypto::{change_passphrase, KdfParams, KeySource};
use helios_storage::kv::{
    open_disk_with, DiskOptions, Engine, WriteBatch, DATA_FILE, PHYSICAL_PAGE,
};
use zeroize::Zeroizing;

const CANARY: &str = "CANARY-q7Zx-3141592653";

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Files under `dir` that contain the canary as plain bytes, hex or UTF-16LE.
fn leaks(dir: &Path) -> Vec<String> {
    let needles: Vec<Vec<u8>> = vec![
        CANARY.as_bytes().to_vec(),
        hex(CANARY).into_bytes(),
        hex(CANARY).to_uppercase().into_bytes(),
        utf16le(CANARY),
    ];
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| needles.iter().any(|n| contains(bytes, n)))
        .map(|(name, _)| name)
        .collect()
}

fn write_canary(engine: &dyn Engine) {
    let mut b = WriteBatch::default();
    b.put(format!("key/{CANARY}"), format!("value/{CANARY}"));
    b.put(hex(CANARY), utf16le(CANARY));
    engine.write(b, true).expect("durable canary write");
    let mut b = WriteBatch::default();
    b.put(format!("nondurable/{CANARY}"), CANARY);
    engine.write(b, false).expect("non-durable canary write");
}

#[test]
fn canary_never_reaches_disk_in_plain_text() {
    // The detector finds the canary in a plain database ...
    let plain = tempfile::tempdir().unwrap();
    {
        let engine = open_disk_with(plain.path(), &DiskOptions::plain()).unwrap();
        write_canary(engine.as_ref());
    }
    assert!(!leaks(plain.path()).is_empty(), "the canary check itself is broken");

    // ... and nowhere in an encrypted one, while open and after closing.
    let dir = tempfile::tempdir().unwrap();
    let engine = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap();
    write_canary(engine.as_ref());
    fill(engine.as_ref(), 500, true);
    assert_eq!(leaks(dir.path()), Vec::<String>::new());
    drop(engine);
    assert_eq!(leaks(dir.path()), Vec::<String>::new());
    let engine = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap();
    let s = engine.snapshot().unwrap();
    assert_eq!(
        s.get(format!("key/{CANARY}").as_bytes()).unwrap(),
        Some(format!("value/{CANARY}").into_bytes())
    );
}

#[test]
fn wrong_or_missing_keys_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap();
        fill(engine.as_ref(), 10, true);
    }
    let wrong = KeySource::Key(Zeroizing::new([0x11; 32]));
    let err = open_err(dir.path(), &DiskOptions::encrypted(wrong));
    assert_eq!(err.sqlstate(), SqlState::INVALID_PASSWORD, "{err:?}");
    assert!(err.message().contains("wrong encryption key"), "{err:?}");

    let err = open_err(dir.path(), &DiskOptions::plain());
    assert_eq!(err.sqlstate(), SqlState::INVALID_AUTHORIZATION_SPECIFICATION, "{err:?}");
    assert!(err.message().contains("encrypted"), "{err:?}");

    let err = open_err(dir.path(), &passphrase_options("guess"));
    assert_eq!(err.sqlstate(), SqlState::INVALID_PASSWORD, "{err:?}");

    let plain = tempfile::tempdir().unwrap();
    drop(open_disk_with(plain.path(), &DiskOptions::plain()).unwrap());
    let err = open_err(plain.path(), &DiskOptions::encrypted(test_key()));
    assert_eq!(err.sqlstate(), SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, "{err:?}");

    // The right key still works after all that.
    let engine = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap();
    assert_eq!(all(engine.snapshot().unwrap().as_ref()).len(), 10);
}

#[test]
fn key_file_and_environment_variable_sources() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret.key");
    std::fs::write(&key_file, format!("{}\n", "3c".repeat(32))).unwrap();
    let db = dir.path().join("db");
    {
        let engine =
            open_disk_with(&db, &DiskOptions::encrypted(KeySource::File(key_file.clone())))
                .unwrap();
        fill(engine.as_ref(), 5, true);
    }
    // The same 32 bytes through an environment variable unlock it too.
    let var = "HELIOS_TEST_KEY_SOURCES_3C";
    std::env::set_var(var, "3C".repeat(32));
    let engine = open_disk_with(&db, &DiskOptions::encrypted(KeySource::Env(var.into()))).unwrap();
    assert_eq!(all(engine.snapshot().unwrap().as_ref()).len(), 5);
    drop(engine);
    let err = open_err(&db, &DiskOptions::encrypted(KeySource::Env("HELIOS_UNSET_1".into())));
    assert_eq!(err.sqlstate(), SqlState::INVALID_AUTHORIZATION_SPECIFICATION, "{err:?}");
}

#[test]
fn flipped_bytes_give_corruption_errors_never_wrong_data() {
    let dir = tempfile::tempdir().unwrap();
    let expected = {
        let engine = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap();
        for round in 0..4 {
            let mut b = WriteBatch::default();
            for i in 0..150 {
                b.put(format!("r{round}/k{i:04}"), vec![round as u8; 300]);
            }
            engine.write(b, true).unwrap();
        }
        all(engine.snapshot().unwrap().as_ref())
    };
    let path = dir.path().join(DATA_FILE);
    let original = std::fs::read(&path).unwrap();
    let page = PHYSICAL_PAGE;
    let pages = original.len() / page;
    assert!(pages > 4, "data file unexpectedly small: {} bytes", original.len());
    // Both copies of page 0 (sequence number, nonce, ciphertext, tag), then a spread of
    // positions over the other pages.
    let mut positions = vec![0, 9, 30, 4000, page - 1, page + 3, page + 500];
    let mut x: usize = 0x9E37_79B9;
    for _ in 0..14 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        positions.push(2 * page + (x >> 11) % (original.len() - 2 * page));
    }
    let mut errors = 0;
    for pos in positions {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x20;
        std::fs::write(&path, &bytes).unwrap();
        let outcome = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key()))
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
    std::fs::write(&path, &original).unwrap();
    assert!(errors >= 3, "only {errors} flips were detected");
    let engine = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap();
    assert_eq!(all(engine.snapshot().unwrap().as_ref()), expected);
}

/// Every pair, with read errors returned instead of panicking.
fn all_checked(
    s: &dyn helios_storage::kv::Snapshot,
) -> helios_common::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    use std::ops::Bound;
    s.scan((Bound::Unbounded, Bound::Unbounded), false)?.collect()
}

#[test]
fn swapped_pages_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap();
        for round in 0..3 {
            let mut b = WriteBatch::default();
            for i in 0..200 {
                b.put(format!("r{round}/k{i:04}"), vec![7u8; 200]);
            }
            engine.write(b, true).unwrap();
        }
    }
    let path = dir.path().join(DATA_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let page = PHYSICAL_PAGE;
    let pages = bytes.len() / page;
    // Swap every data page with its neighbour: all still authentic under the key, all in
    // the wrong place.
    for p in (2..pages - 1).step_by(2) {
        let (a, b) = bytes.split_at_mut((p + 1) * page);
        a[p * page..].swap_with_slice(&mut b[..page]);
    }
    std::fs::write(&path, &bytes).unwrap();
    let outcome = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key()))
        .and_then(|e| e.snapshot().map(|s| all_checked(s.as_ref())))
        .and_then(|r| r);
    let err = outcome.expect_err("swapped pages went unnoticed");
    assert_eq!(err.sqlstate(), SqlState::DATA_CORRUPTED, "{err:?}");
}

#[test]
fn changing_the_passphrase_keeps_data_and_does_not_rewrite_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open_disk_with(dir.path(), &passphrase_options("old secret")).unwrap();
        fill(engine.as_ref(), 100, true);
    }
    let data_before = std::fs::read(dir.path().join(DATA_FILE)).unwrap();
    let fast = KdfParams::insecure_fast();
    let err = change_passphrase(
        dir.path(),
        &KeySource::passphrase("not it"),
        &KeySource::passphrase("x"),
        fast,
    )
    .unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::INVALID_PASSWORD);
    change_passphrase(
        dir.path(),
        &KeySource::passphrase("old secret"),
        &KeySource::passphrase("new secret"),
        fast,
    )
    .unwrap();
    assert_eq!(std::fs::read(dir.path().join(DATA_FILE)).unwrap(), data_before);
    assert!(!dir.path().join("data.key.tmp").exists());

    let err = open_err(dir.path(), &passphrase_options("old secret"));
    assert_eq!(err.sqlstate(), SqlState::INVALID_PASSWORD);
    {
        let engine = open_disk_with(dir.path(), &passphrase_options("new secret")).unwrap();
        let s = engine.snapshot().unwrap();
        assert_eq!(all(s.as_ref()).len(), 100);
        assert_eq!(s.get(b"key00042").unwrap(), Some(b"value42".to_vec()));
    }
    // From a passphrase to a raw key works as well.
    change_passphrase(dir.path(), &KeySource::passphrase("new secret"), &test_key(), fast).unwrap();
    let engine = open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap();
    assert_eq!(all(engine.snapshot().unwrap().as_ref()).len(), 100);
}

#[test]
fn a_damaged_key_header_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_disk_with(dir.path(), &DiskOptions::encrypted(test_key())).unwrap());
    let path = dir.path().join(helios_storage::kv::KEY_HEADER_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[60] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let err = open_err(dir.path(), &DiskOptions::encrypted(test_key()));
    assert_eq!(err.sqlstate(), SqlState::INVALID_PASSWORD, "{err:?}");
    std::fs::write(&path, &bytes[..40]).unwrap();
    let err = open_err(dir.path(), &DiskOptions::encrypted(test_key()));
    assert_eq!(err.sqlstate(), SqlState::DATA_CORRUPTED, "{err:?}");
}

#[test]
fn options_never_print_key_material() {
    let key = DiskOptions::encrypted(KeySource::Key(Zeroizing::new([0xC3; 32])));
    let text = format!("{key:?}");
    assert!(text.contains("redacted"), "{text}");
    assert!(!text.contains("195") && !text.to_lowercase().contains("c3c3"), "{text}");
    let pass = DiskOptions::encrypted(KeySource::passphrase("tr0ub4dor&3"));
    assert!(!format!("{pass:?}").contains("tr0ub4dor"));
    let storage = helios_storage::StorageOptions {
        encryption: Some(KeySource::passphrase("tr0ub4dor&3")),
        ..Default::default()
    };
    assert!(!format!("{storage:?}").contains("tr0ub4dor"));
}
