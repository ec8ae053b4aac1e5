//! Helpers shared by the disk engine tests.
#![allow(dead_code)]

pub mod sim;

use std::ops::Bound;
use std::path::Path;

use helios_storage::crypto::{KdfParams, KeySource};
use helios_storage::kv::{DiskOptions, Engine, SinkFn, Snapshot, WriteBatch, WriteOp};
use zeroize::Zeroizing;

/// A fixed raw key for tests.
pub fn test_key() -> KeySource {
    KeySource::Key(Zeroizing::new([0x5a; 32]))
}

/// A named way to make open options.
pub type Flavour = (&'static str, fn() -> DiskOptions);

/// The backends every engine test runs on: (name, options maker).
pub fn flavours() -> Vec<Flavour> {
    vec![("plain", DiskOptions::plain), ("encrypted", || DiskOptions::encrypted(test_key()))]
}

/// Options for a passphrase-encrypted database with cheap Argon2id costs.
pub fn passphrase_options(p: &str) -> DiskOptions {
    DiskOptions {
        kdf: KdfParams::insecure_fast(),
        ..DiskOptions::encrypted(KeySource::passphrase(p))
    }
}

/// Every pair in the snapshot, ascending.
pub fn all(s: &dyn Snapshot) -> Vec<(Vec<u8>, Vec<u8>)> {
    s.scan((Bound::Unbounded, Bound::Unbounded), false)
        .expect("scan starts")
        .map(|r| r.expect("scan step"))
        .collect()
}

/// Writes `n` keys `key{i:05}` with values `value{i}` in one batch.
pub fn fill(engine: &dyn Engine, n: usize, durable: bool) {
    let mut b = WriteBatch::default();
    for i in 0..n {
        b.put(format!("key{i:05}"), format!("value{i}"));
    }
    engine.write(b, durable).expect("fill writes");
}

/// Every file under `dir`, with its bytes.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .expect("list directory")
        .map(|e| {
            let p = e.expect("directory entry").path();
            (p.display().to_string(), std::fs::read(&p).expect("read file"))
        })
        .collect()
}

/// The error opening `dir` gives; panics when the open succeeds.
pub fn open_err(dir: &Path, options: &DiskOptions) -> helios_common::Error {
    match helios_storage::kv::open_disk_with(dir, options) {
        Ok(_) => panic!("opening {} unexpectedly succeeded", dir.display()),
        Err(e) => e,
    }
}

/// Writes `batch` the way a large commit is written ([`Engine::write_with`] of changes the
/// caller holds in memory): on the disk engine with a journal, one journal record that
/// readers read from memory until the background flush writes it into redb.
pub fn write_large(
    engine: &dyn Engine,
    batch: &WriteBatch,
    durable: bool,
) -> helios_common::Result<()> {
    let mut fill = |sink: &mut SinkFn<'_>| -> helios_common::Result<()> {
        for op in &batch.ops {
            match op {
                WriteOp::Put(k, v) => sink(k, Some(&[v]))?,
                WriteOp::Delete(k) => sink(k, None)?,
            }
        }
        Ok(())
    };
    engine.write_with(&mut fill, durable, true)
}
