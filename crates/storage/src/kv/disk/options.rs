//! How a disk database is opened.

use crate::crypto::{KdfParams, KeySource};
use crate::kv::faulty::FaultHandle;
use crate::StorageOptions;

/// Default redb page cache: 256 MiB, so a working set of a few million rows stays in memory
/// (64 MiB made a 1M-row table's point gets and scans miss in `bench/storage`).
pub const DEFAULT_CACHE_SIZE: usize = 256 * 1024 * 1024;

/// Default bytes of journal records between checkpoints: 4 MiB (about 6,000 TPC-B
/// commits). The changes of the commits since the last checkpoint wait in memory (the
/// overlay), and a checkpoint holds up commits while it writes them into redb and syncs
/// the data file; batches larger than this go to redb directly.
pub const DEFAULT_JOURNAL_BYTES: u64 = 4 << 20;

/// Options for [`open_disk_with`](crate::kv::open_disk_with).
#[derive(Debug)]
pub struct DiskOptions {
    /// Encryption at rest: `Some` creates an encrypted database (or is required to open
    /// one); `None` opens or creates a plain one.
    pub encryption: Option<KeySource>,
    /// Argon2id costs used when a passphrase-protected key header is created.
    pub kdf: KdfParams,
    /// Bytes of redb page cache (default [`DEFAULT_CACHE_SIZE`]). Filled only as pages
    /// are read or written; pages served from it skip the `pread`, the checksum or
    /// decryption, and the copy.
    pub cache_size: usize,
    /// Bytes of commit-journal records between checkpoints (default
    /// [`DEFAULT_JOURNAL_BYTES`]); `0` turns the journal off, so that every durable write
    /// syncs the data file itself.
    pub journal_bytes: u64,
    /// Fault injection between the engine and its files (data file and journal), for tests.
    pub faults: Option<FaultHandle>,
    /// Fault injection on the journal file only (the data file works), for tests of a
    /// journal write or sync that fails after redb took the commit. Ignored when
    /// `faults` is set (that handle then controls the journal too).
    pub journal_faults: Option<FaultHandle>,
}

impl Default for DiskOptions {
    fn default() -> Self {
        DiskOptions {
            encryption: None,
            kdf: KdfParams::default(),
            cache_size: DEFAULT_CACHE_SIZE,
            journal_bytes: DEFAULT_JOURNAL_BYTES,
            faults: None,
            journal_faults: None,
        }
    }
}

impl DiskOptions {
    /// Plain (unencrypted) options with defaults.
    pub fn plain() -> DiskOptions {
        DiskOptions::default()
    }

    /// Encrypted options with defaults.
    pub fn encrypted(key: KeySource) -> DiskOptions {
        DiskOptions { encryption: Some(key), ..DiskOptions::default() }
    }
}

impl From<&StorageOptions> for DiskOptions {
    fn from(options: &StorageOptions) -> DiskOptions {
        DiskOptions { encryption: options.encryption.clone(), ..DiskOptions::default() }
    }
}
