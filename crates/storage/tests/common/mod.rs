//! Helpers shared by the storage integration tests.
//!
//! Every suite runs on each engine returned by [`engines`]; adding the disk engine is one
//! line there.

#![allow(dead_code)] // each test binary uses a different subset

use std::sync::Arc;

use helios_storage::kv::{open_disk_with, DiskOptions, Engine, MemoryEngine};
use helios_storage::{ManualClock, Storage, StorageOptions};

/// The engines every suite runs on, by name: the memory engine and the redb disk engine
/// (in a temporary directory that goes away with the engine).
pub fn engines() -> Vec<(&'static str, Arc<dyn Engine>)> {
    vec![
        ("memory", Arc::new(MemoryEngine::new())),
        ("disk", InTempDir::open(|dir| open_disk_with(dir, &DiskOptions::plain()))),
    ]
}

/// A fresh temporary directory, on `/dev/shm` when the machine has one: durable commits
/// still take the sync path, but a sync of tmpfs costs nothing, which keeps the suites fast.
pub fn temp_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new().prefix("helios-test-").tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().expect("temporary directory")
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
        let dir = temp_dir();
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

    fn write_packed(
        &self,
        batch: helios_storage::kv::PackedBatch,
        durable: bool,
    ) -> helios_common::Result<()> {
        self.engine.write_packed(batch, durable)
    }

    fn checkpoint(&self) -> helios_common::Result<()> {
        self.engine.checkpoint()
    }

    fn write_with(
        &self,
        fill: &mut helios_storage::kv::FillFn<'_>,
        durable: bool,
        in_memory: bool,
    ) -> helios_common::Result<()> {
        self.engine.write_with(fill, durable, in_memory)
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
