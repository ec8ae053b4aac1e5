//! Helpers shared by the storage integration tests.
//!
//! Every suite runs on each engine returned by [`engines`]; adding the disk engine is one
//! line there.

#![allow(dead_code)] // each test binary uses a different subset

use std::sync::Arc;

use helios_storage::kv::{Engine, MemoryEngine};
use helios_storage::{ManualClock, Storage, StorageOptions};

/// The engines every suite runs on, by name.
///
/// To add the disk engine (one line; its directory goes away with the engine):
/// `("disk", InTempDir::open(|dir| open_disk(dir, &DiskOptions::plain()))),`
pub fn engines() -> Vec<(&'static str, Arc<dyn Engine>)> {
    vec![("memory", Arc::new(MemoryEngine::new()))]
}

/// An engine living in a temporary directory that is removed when the engine is dropped.
pub struct InTempDir {
    engine: Arc<dyn Engine>,
    _dir: tempfile::TempDir,
}

impl InTempDir {
    /// Opens an engine with `open` in a fresh temporary directory.
    pub fn open(
        open: impl FnOnce(&std::path::Path) -> helios_common::Result<Arc<dyn Engine>>,
    ) -> Arc<dyn Engine> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let engine = open(dir.path()).expect("open engine");
        Arc::new(InTempDir { engine, _dir: dir })
    }
}

impl Engine for InTempDir {
    fn snapshot(&self) -> helios_common::Result<Box<dyn helios_storage::kv::Snapshot>> {
        self.engine.snapshot()
    }

    fn write(
        &self,
        batch: helios_storage::kv::WriteBatch,
        durable: bool,
    ) -> helios_common::Result<()> {
        self.engine.write(batch, durable)
    }
}

/// A fresh storage on `engine` with a manual clock starting at 1,000,000 µs.
pub fn storage_with_clock(engine: Arc<dyn Engine>) -> (Storage, ManualClock) {
    let clock = ManualClock::new(1_000_000);
    let s =
        Storage::with_engine_and_clock(engine, StorageOptions::default(), Arc::new(clock.clone()))
            .expect("open storage");
    (s, clock)
}

/// Counts the engine keys starting with `prefix`.
pub fn count_keys(engine: &Arc<dyn Engine>, prefix: &[u8]) -> usize {
    let snap = engine.snapshot().expect("snapshot");
    let all =
        snap.scan((std::ops::Bound::Unbounded, std::ops::Bound::Unbounded), false).expect("scan");
    all.filter(|r| r.as_ref().expect("row").0.starts_with(prefix)).count()
}
