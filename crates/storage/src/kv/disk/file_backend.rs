//! The plain file backend: redb's bytes go to the data file unchanged.

use std::fs::File;
use std::io;
use std::ops::Bound;
use std::os::unix::fs::FileExt;

use redb::{BackendError, StorageBackend};

/// A [`StorageBackend`] over one file, with positioned reads and writes.
///
/// Locking: only whole-file locks (the `ExclusiveWriter` concurrency mode) are supported,
/// through the operating system's advisory file lock, so a second open of the same
/// database — from this process or another — fails instead of corrupting it.
#[derive(Debug)]
pub struct FileBackend {
    file: File,
}

impl FileBackend {
    /// A backend writing to `file`, which must be open for reading and writing.
    pub fn new(file: File) -> FileBackend {
        FileBackend { file }
    }
}

fn is_whole(start: Bound<u64>, end: Bound<u64>) -> bool {
    matches!(start, Bound::Unbounded | Bound::Included(0)) && matches!(end, Bound::Unbounded)
}

impl StorageBackend for FileBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        self.file.read_exact_at(out, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.file.write_all_at(data, offset)
    }

    fn close(&self) -> io::Result<()> {
        self.file.unlock()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        if !is_whole(start, end) {
            return Err(BackendError::Unsupported);
        }
        match self.file.try_lock() {
            Ok(()) => Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => Ok(false),
            Err(std::fs::TryLockError::Error(e)) => Err(BackendError::Io(e)),
        }
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        if !is_whole(start, end) {
            return Err(BackendError::Unsupported);
        }
        self.file.lock().map_err(BackendError::Io)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        if !is_whole(start, end) {
            return Err(BackendError::Unsupported);
        }
        self.file.unlock().map_err(BackendError::Io)
    }
}
