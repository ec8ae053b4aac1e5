//! An in-memory redb storage backend for unit tests: its bytes can be inspected and
//! damaged through the shared vector.

use std::io;
use std::sync::Arc;

use parking_lot::Mutex;
use redb::StorageBackend;

/// A file held in memory; clones share the bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemBackend(pub(crate) Arc<Mutex<Vec<u8>>>);

impl StorageBackend for MemBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.lock().len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let b = self.0.lock();
        let s = offset as usize;
        let src = b.get(s..s + out.len()).ok_or(io::ErrorKind::UnexpectedEof)?;
        out.copy_from_slice(src);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.lock().resize(len as usize, 0);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut b = self.0.lock();
        let s = offset as usize;
        if b.len() < s + data.len() {
            b.resize(s + data.len(), 0);
        }
        b[s..s + data.len()].copy_from_slice(data);
        Ok(())
    }
}
