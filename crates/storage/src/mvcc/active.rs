//! The registry of open read snapshots, so garbage collection keeps what they read.

use std::collections::BTreeMap;

use helios_common::Timestamp;
use parking_lot::Mutex;

/// Read timestamps of open transactions, with a count per timestamp.
#[derive(Debug, Default)]
pub(crate) struct ActiveSnapshots {
    pins: Mutex<BTreeMap<Timestamp, usize>>,
}

impl ActiveSnapshots {
    /// Registers a reader at the timestamp `f` returns, or fails with `f`'s error; `f` runs
    /// under the registry's lock, so a collector computing its horizon sees either the
    /// reader or a state in which `f` already saw the collector's effects.
    pub(crate) fn pin_with<E>(
        &self,
        f: impl FnOnce() -> Result<Timestamp, E>,
    ) -> Result<Timestamp, E> {
        let mut pins = self.pins.lock();
        let ts = f()?;
        *pins.entry(ts).or_insert(0) += 1;
        Ok(ts)
    }

    /// Unregisters one reader at `ts`.
    pub(crate) fn unpin(&self, ts: Timestamp) {
        let mut pins = self.pins.lock();
        if let Some(n) = pins.get_mut(&ts) {
            *n -= 1;
            if *n == 0 {
                pins.remove(&ts);
            }
        }
    }

    /// Runs `f` with the oldest pinned timestamp, under the registry's lock.
    pub(crate) fn with_oldest<R>(&self, f: impl FnOnce(Option<Timestamp>) -> R) -> R {
        let pins = self.pins.lock();
        f(pins.keys().next().copied())
    }
}
