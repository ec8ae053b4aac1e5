//! Fault injection: a storage backend wrapper that fails writes or syncs on command.
//!
//! Tests put a [`FaultyBackend`] between the disk engine and the data file through
//! [`DiskOptions::faults`](super::DiskOptions::faults) and arm it through the shared
//! [`FaultHandle`]. A failed sync also *undoes* every write since the last successful sync,
//! modelling a kernel that drops dirty pages after a failed `fsync` (as Linux may): a commit
//! whose sync failed must then be absent after reopening, never half there.

use std::fmt;
use std::io;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use redb::{BackendError, StorageBackend};

/// A shared switch board for a [`FaultyBackend`]; clones control the same backend.
#[derive(Clone, Default)]
pub struct FaultHandle(Arc<FaultState>);

#[derive(Default)]
struct FaultState {
    fail_writes: AtomicBool,
    fail_syncs: AtomicBool,
    /// 0 when not armed; otherwise one more than the writes still allowed before failing.
    fail_after: AtomicU64,
    injected: AtomicU64,
}

impl fmt::Debug for FaultHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultHandle")
            .field("fail_writes", &self.0.fail_writes.load(Ordering::SeqCst))
            .field("fail_syncs", &self.0.fail_syncs.load(Ordering::SeqCst))
            .field("injected", &self.injected())
            .finish()
    }
}

impl FaultHandle {
    /// A handle with nothing armed.
    pub fn new() -> FaultHandle {
        FaultHandle::default()
    }

    /// Makes every write and resize fail (`true`) or succeed (`false`).
    pub fn fail_writes(&self, on: bool) {
        self.0.fail_writes.store(on, Ordering::SeqCst);
    }

    /// Makes every sync fail (`true`) or succeed (`false`).
    pub fn fail_syncs(&self, on: bool) {
        self.0.fail_syncs.store(on, Ordering::SeqCst);
    }

    /// Lets `n` more writes through, then fails every write until disarmed.
    pub fn fail_writes_after(&self, n: u64) {
        self.0.fail_after.store(n.saturating_add(1), Ordering::SeqCst);
    }

    /// Disarms every fault.
    pub fn disarm(&self) {
        self.fail_writes(false);
        self.fail_syncs(false);
        self.0.fail_after.store(0, Ordering::SeqCst);
    }

    /// How many failures have been injected so far.
    pub fn injected(&self) -> u64 {
        self.0.injected.load(Ordering::SeqCst)
    }

    fn write_fails(&self) -> bool {
        if self.0.fail_writes.load(Ordering::SeqCst) {
            return true;
        }
        match self.0.fail_after.load(Ordering::SeqCst) {
            0 => false,
            1 => true,
            _ => {
                self.0.fail_after.fetch_sub(1, Ordering::SeqCst);
                false
            }
        }
    }

    fn inject(&self, what: &str) -> io::Error {
        self.0.injected.fetch_add(1, Ordering::SeqCst);
        io::Error::other(format!("injected {what} failure"))
    }
}

/// One way to take back a write since the last sync.
enum Undo {
    Bytes { offset: u64, old: Vec<u8> },
    Len(u64),
}

/// A [`StorageBackend`] that forwards to `inner` unless its [`FaultHandle`] says fail.
pub struct FaultyBackend {
    inner: Box<dyn StorageBackend>,
    handle: FaultHandle,
    journal: Mutex<Vec<Undo>>,
}

impl fmt::Debug for FaultyBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyBackend").field("handle", &self.handle).finish()
    }
}

impl FaultyBackend {
    /// Wraps `inner`, controlled by `handle`.
    pub fn new(inner: Box<dyn StorageBackend>, handle: FaultHandle) -> FaultyBackend {
        FaultyBackend { inner, handle, journal: Mutex::new(Vec::new()) }
    }

    fn remember(&self, offset: u64, n: u64, journal: &mut Vec<Undo>) -> io::Result<()> {
        let len = self.inner.len()?;
        if offset + n > len {
            journal.push(Undo::Len(len));
        }
        let end = (offset + n).min(len);
        if offset < end {
            let mut old = vec![0u8; (end - offset) as usize];
            self.inner.read(offset, &mut old)?;
            journal.push(Undo::Bytes { offset, old });
        }
        Ok(())
    }

    fn roll_back(&self, journal: &mut Vec<Undo>) -> io::Result<()> {
        while let Some(undo) = journal.pop() {
            match undo {
                Undo::Bytes { offset, old } => self.inner.write(offset, &old)?,
                Undo::Len(len) => self.inner.set_len(len)?,
            }
        }
        Ok(())
    }
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        if self.handle.write_fails() {
            return Err(self.handle.inject("resize"));
        }
        let mut journal = self.journal.lock();
        let old = self.inner.len()?;
        if len < old {
            self.remember(len, old - len, &mut journal)?;
        }
        journal.push(Undo::Len(old));
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut journal = self.journal.lock();
        if self.handle.0.fail_syncs.load(Ordering::SeqCst) {
            self.roll_back(&mut journal)?;
            return Err(self.handle.inject("fsync"));
        }
        self.inner.sync_data()?;
        journal.clear();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        if self.handle.write_fails() {
            return Err(self.handle.inject("write"));
        }
        let mut journal = self.journal.lock();
        self.remember(offset, data.len() as u64, &mut journal)?;
        self.inner.write(offset, data)
    }

    fn close(&self) -> io::Result<()> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }
}
