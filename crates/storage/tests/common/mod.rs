//! Helpers shared by the storage integration tests.
//!
//! Every suite runs on each engine returned by [`engines`]; adding the disk engine is one
//! line there.

#![allow(dead_code)] // each test binary uses a different subset

use std::sync::Arc;

use helios_storage::kv::{Engine, MemoryEngine};
use helios_storage::{ManualClock, Storage, StorageOptions};

/// The engines every suite runs on, by name.
pub fn engines() -> Vec<(&'static str, Arc<dyn Engine>)> {
    vec![("memory", Arc::new(MemoryEngine::new()))]
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
