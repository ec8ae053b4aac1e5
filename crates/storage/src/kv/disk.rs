//! The disk engine: the [`Engine`] trait on redb, optionally encrypted.
//!
//! ```text
//!   DiskEngine ──▶ redb::Database ──▶ PagedBackend ──────▶ [FaultyBackend] ──▶ FileBackend
//!                                      (encrypted, or        (tests only)       data.redb
//!                                       checksummed)
//! ```
//!
//! A database directory holds `data.redb` and, when encrypted, the key header `data.key`.
//! All pairs live in one redb table, `kv`, with byte-slice keys and values. Every page of
//! the data file is sealed by the [`PagedBackend`]: encrypted, or checksummed in plain
//! files, so damage is detected on read (`XX001`) in both.
//!
//! Durability: every write appends one record to the commit journal `data.journal` ([`journal`])
//! and puts its changes into the *overlay*, in-memory layers of the changes since the last
//! checkpoint that snapshots merge with redb's pairs ([`layers`], `disk/snapshot.rs`); redb
//! itself is not touched. A durable write then syncs the journal (one sequential write and one `fdatasync`)
//! before it is acknowledged; the sync runs outside the journal's lock, so commits appended
//! meanwhile go on and share the next sync ([`Engine::write_packed_deferred`] and
//! [`Engine::sync_to`] let the MVCC layer release a commit's locks before its sync). Every
//! `journal_bytes` of records a *checkpoint* writes the overlay into redb in one commit with
//! `Durability::Immediate` in its one-phase mode (one `fsync` of the data file, whose crash
//! recovery lets redb's own checksums judge torn pages: [`PagedBackend::recovery`],
//! [`paged_backend`]); the journal and the overlay then start over. A batch larger than a round of
//! the journal goes to redb the same way, with the overlay. A large commit whose changes its
//! caller holds in memory anyway (a bulk load's, [`Engine::write_with`]) is one journal record
//! instead (built on a second thread and written chunk by chunk as it is built), read from
//! memory as it was written (a run) and written into redb by a background *flush* on a
//! thread of its own, so that the commit costs one sequential write and one sync rather
//! than the B-tree inserts. Opening replays the records redb's last
//! checkpoint does not hold. A non-durable write's record is buffered in memory (written with the
//! next sync, or once 256 KiB are buffered) and not synced: it survives a crash only if a later
//! sync or checkpoint does, and is otherwise lost whole, with everything after it.
//!
//! Without the journal (`journal_bytes = 0`, or an engine over a custom backend), a
//! durable write is a redb commit with `Durability::Immediate`, and a non-durable one a
//! commit with `Durability::None`.
//!
//! Poisoning: any failed write, commit or sync marks the engine failed. Reads keep working;
//! writes get `58030` until the database is reopened, which recovers to the last durable
//! commit. redb itself refuses to continue after an I/O error, and a failed `fsync` may
//! have dropped written pages, so carrying on could acknowledge data that is not on disk.
//! Poisoning also fences redb's data file (every write and sync fails), so that no later
//! checkpoint, and not redb's own close (which makes pending non-durable commits durable),
//! can make the failed commit durable.

mod errors;
pub mod file_backend;
pub mod journal;
mod layers;
mod leaf_fill;
#[cfg(test)]
mod mem_backend;
mod options;
pub mod paged_backend;
mod snapshot;

use std::fs::OpenOptions;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use helios_common::{Error, Result, SqlState};
use parking_lot::Mutex;
use redb::{Durability, ReadableDatabase, StorageBackend, TableDefinition};

use self::errors::{from_io, from_redb, guard};
pub use self::file_backend::FileBackend;
pub use self::journal::JOURNAL_FILE;
use self::journal::{push_op, Journal, MAX_PAYLOAD};
use self::layers::{Changes, Layer, RunBuilder, MAX_RUN_PAYLOAD};
use self::leaf_fill::FillError;
use self::leaf_fill::LeafFiller;
pub use self::options::{DiskOptions, DEFAULT_CACHE_SIZE, DEFAULT_JOURNAL_BYTES};
pub use self::paged_backend::{PageCorrupted, PagedBackend, LOGICAL_PAGE, PHYSICAL_PAGE};
use self::snapshot::{DiskSnapshot, SharedSnapshot};
use super::faulty::FaultyBackend;
use super::{Engine, FillFn, PackedBatch, Snapshot, WriteBatch, WriteOp};
use crate::crypto::{DataKey, KeyHeader};
use crate::StorageOptions;

/// Name of the data file inside a database directory.
pub const DATA_FILE: &str = "data.redb";
/// Name of the key header file inside an encrypted database directory.
pub const KEY_HEADER_FILE: &str = crate::crypto::KEY_HEADER_FILE;

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");
/// What writes into redb say in their errors.
const WRITE_CTX: &str = "could not write to database";
/// Journal bookkeeping, beside the data: [`APPLIED`] is the LSN of the last journal
/// record whose changes redb holds.
const JOURNAL_TABLE: TableDefinition<&str, u64> = TableDefinition::new("journal");
const APPLIED: &str = "applied";
/// Rounds of journal (`journal_bytes` each: 256 MiB by default) after which a checkpoint
/// is due even if large commits wrote them all.
const LARGE_ROUNDS: u64 = 64;
/// Full chunks of a large commit's record the builder may hand over ahead of their writes.
const CHUNKS_AHEAD: usize = 4;
/// Records of non-durable writes are buffered in memory up to this many bytes before they
/// are written to the journal (the next sync writes them in any case).
const RELAXED_BUFFER: usize = 256 << 10;

/// Opens (creating if needed) the disk database in `dir` for [`Storage::open`]: the
/// encryption key comes from `options`, everything else is defaulted.
///
/// [`Storage::open`]: crate::Storage::open
pub fn open_disk(dir: &Path, options: &StorageOptions) -> Result<Arc<dyn Engine>> {
    open_disk_with(dir, &DiskOptions::from(options))
}

/// Opens (creating if needed) the disk database in `dir` with every disk option.
pub fn open_disk_with(dir: &Path, options: &DiskOptions) -> Result<Arc<dyn Engine>> {
    Ok(Arc::new(DiskEngine::open(dir, options)?))
}

/// The redb-backed [`Engine`]. See the module docs for durability and poisoning.
pub struct DiskEngine {
    core: Arc<Core>,
    /// The thread of the last background flush started, if any.
    flusher: Mutex<Option<JoinHandle<()>>>,
}

/// The engine's state, shared with its background flush.
struct Core {
    /// What snapshots read: redb's view, shared by every snapshot taken while redb does
    /// not change (beginning a redb read transaction and opening the table costs more
    /// than many point reads), and the overlay of the commits redb does not hold yet.
    /// Dropped before `db`, by field order, when the engine goes away.
    view: Mutex<View>,
    db: redb::Database,
    dir: PathBuf,
    encrypted: bool,
    /// Why writes are refused, once a write or sync has failed.
    poisoned: Mutex<Option<String>>,
    /// Taken by every write: writers pass one at a time.
    writer: Mutex<()>,
    /// Taken by a journal sync and by a checkpoint: never both at once.
    sync_lock: Mutex<()>,
    /// Taken by a checkpoint and by a background flush: redb takes layers in order.
    checkpoint_lock: Mutex<()>,
    /// The LSN up to which journal records are durable (synced, or in a durable redb
    /// commit).
    synced: AtomicU64,
    /// Raised with `poisoned`: redb's data file then refuses every write and sync (see
    /// [`FencedBackend`]).
    fence: Arc<AtomicBool>,
    /// The commit journal, when durable writes go through it.
    journal: Option<Mutex<JournalState>>,
}

/// What a new snapshot reads.
#[derive(Default)]
struct View {
    /// redb's view since its last commit; opened by the first snapshot after it.
    redb: Option<Arc<DiskSnapshot>>,
    /// With the journal: the changes of every commit redb does not hold yet.
    changes: Changes,
    /// The LSN of the last journal record whose changes the frozen layers hold.
    frozen_lsn: u64,
    /// Whether a background flush runs (it ends once no frozen layer is left).
    flushing: bool,
}

/// The journal and when to checkpoint it.
#[derive(Debug)]
struct JournalState {
    journal: Journal,
    /// Checkpoint once this many bytes of records were written since the last one.
    checkpoint_bytes: u64,
    /// Bytes of records (from the start of the round) whose changes are frozen layers:
    /// the background flush takes them to redb, so they do not bring on a checkpoint.
    deferred: u64,
}

impl JournalState {
    /// Whether enough records were written since the last checkpoint for the next: a
    /// round of small commits' records, or [`LARGE_ROUNDS`] rounds in all (the journal
    /// of large commits only would otherwise grow without end; the checkpoint waits for
    /// their flush, which holds back a writer that outruns it).
    fn due(&self) -> bool {
        let written = self.journal.written();
        written.saturating_sub(self.deferred) >= self.checkpoint_bytes
            || written >= self.checkpoint_bytes.saturating_mul(LARGE_ROUNDS)
    }
}

impl std::fmt::Debug for DiskEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskEngine")
            .field("dir", &self.core.dir)
            .field("encrypted", &self.core.encrypted)
            .field("poisoned", &self.core.poisoned.lock().is_some())
            .finish()
    }
}

/// Decides whether the database is encrypted and unlocks its data key.
fn unlock(dir: &Path, data_exists: bool, options: &DiskOptions) -> Result<Option<DataKey>> {
    let key_path = dir.join(KEY_HEADER_FILE);
    match (key_path.exists(), &options.encryption) {
        (true, Some(source)) => KeyHeader::read(&key_path)?.unwrap(source).map(Some),
        (true, None) => Err(Error::new(
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
            format!("database \"{}\" is encrypted, but no encryption key was given", dir.display()),
        )),
        (false, Some(source)) if !data_exists => {
            let (header, key) = KeyHeader::create(source, options.kdf)?;
            header.write_atomic(&key_path)?;
            Ok(Some(key))
        }
        (false, Some(_)) => Err(Error::new(
            SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "database \"{}\" is not encrypted, but an encryption key was given",
                dir.display()
            ),
        )),
        (false, None) => Ok(None),
    }
}

impl DiskEngine {
    /// Opens (creating if needed) the database in `dir`.
    ///
    /// Errors: `28000` for an encrypted database opened without a key, `28P01` for a wrong
    /// key, `55000` for a key given to a plain database, `55006` when it is already open,
    /// `XX001` when the data file does not authenticate or decode, `58030` for I/O.
    pub fn open(dir: &Path, options: &DiskOptions) -> Result<DiskEngine> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::io(format!("could not create database directory \"{}\"", dir.display()), &e)
        })?;
        let data_path = dir.join(DATA_FILE);
        let data_exists = std::fs::metadata(&data_path).map(|m| m.len() > 0).unwrap_or(false);
        let key = unlock(dir, data_exists, options)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&data_path)
            .map_err(|e| {
                Error::io(format!("could not open data file \"{}\"", data_path.display()), &e)
            })?;
        if !data_exists {
            crate::crypto::sync_dir(dir).map_err(|e| {
                Error::io(format!("could not sync directory \"{}\"", dir.display()), &e)
            })?;
        }
        let mut backend: Box<dyn StorageBackend> = Box::new(FileBackend::new(file));
        if let Some(faults) = &options.faults {
            backend = Box::new(FaultyBackend::new(backend, faults.clone()));
        }
        let journal = if options.journal_bytes > 0 {
            let path = dir.join(JOURNAL_FILE);
            let exists = path.exists();
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| {
                    Error::io(format!("could not open journal file \"{}\"", path.display()), &e)
                })?;
            if !exists {
                crate::crypto::sync_dir(dir).map_err(|e| {
                    Error::io(format!("could not sync directory \"{}\"", dir.display()), &e)
                })?;
            }
            let mut journal: Box<dyn StorageBackend> = Box::new(FileBackend::new(file));
            if let Some(faults) = options.faults.as_ref().or(options.journal_faults.as_ref()) {
                journal = Box::new(FaultyBackend::new(journal, faults.clone()));
            }
            Some((journal, options.journal_bytes))
        } else {
            None
        };
        DiskEngine::with_backends(dir, backend, journal, key.as_ref(), options.cache_size)
    }

    /// Opens a disk engine over any redb storage backend (a custom store, a simulated
    /// disk in tests), encrypting it with `key` when given and checksumming it otherwise.
    /// `dir` only names the database in messages.
    pub fn with_backend(
        dir: &Path,
        backend: Box<dyn StorageBackend>,
        key: Option<&DataKey>,
        cache_size: usize,
    ) -> Result<DiskEngine> {
        DiskEngine::with_backends(dir, backend, None, key, cache_size)
    }

    /// [`DiskEngine::with_backend`] with a commit journal: `journal` is its storage and the
    /// number of record bytes between checkpoints. Records are sealed like the pages.
    pub fn with_backends(
        dir: &Path,
        backend: Box<dyn StorageBackend>,
        journal: Option<(Box<dyn StorageBackend>, u64)>,
        key: Option<&DataKey>,
        cache_size: usize,
    ) -> Result<DiskEngine> {
        let paged = match key {
            Some(key) => PagedBackend::encrypted(backend, key)
                .map_err(|e| from_io("could not open encrypted data file", &e))?,
            None => {
                refuse_unpaged_file(dir, backend.as_ref())?;
                PagedBackend::checksummed(backend)
                    .map_err(|e| from_io("could not open data file", &e))?
            }
        };
        let recovery = paged.recovery();
        let fence = Arc::new(AtomicBool::new(false));
        let db = guard("could not open database", || {
            redb::Builder::new()
                .set_cache_size(cache_size)
                .create_with_backend(FencedBackend { inner: Box::new(paged), fence: fence.clone() })
                .map_err(|e| from_redb("could not open database", e))
        });
        // redb's repair (if any) is over: from now on every page must pass its checksum.
        recovery.store(false, std::sync::atomic::Ordering::SeqCst);
        let db = db?;
        let mut core = Core {
            view: Mutex::new(View::default()),
            db,
            dir: dir.to_path_buf(),
            encrypted: key.is_some(),
            poisoned: Mutex::new(None),
            writer: Mutex::new(()),
            sync_lock: Mutex::new(()),
            checkpoint_lock: Mutex::new(()),
            synced: AtomicU64::new(0),
            fence,
            journal: None,
        };
        core.ensure_table()?;
        if let Some((file, checkpoint_bytes)) = journal {
            let journal = core.replay(file, key)?;
            // The replay left every record in a durable redb commit.
            core.synced.store(journal.last_lsn(), Ordering::SeqCst);
            *core.view.get_mut() = View::default();
            core.journal =
                Some(Mutex::new(JournalState { journal, checkpoint_bytes, deferred: 0 }));
        }
        Ok(DiskEngine { core: Arc::new(core), flusher: Mutex::new(None) })
    }

    /// Whether the data file is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.core.encrypted
    }

    /// Why writes are refused, if an earlier write or sync failed.
    pub fn poisoned(&self) -> Option<String> {
        self.core.poisoned.lock().clone()
    }

    /// Starts a background flush of the frozen layers on a thread of its own (inline
    /// when no thread can be started).
    fn start_flush(&self) {
        let mut slot = self.flusher.lock();
        // The previous flush ended (or is ending: it found no frozen layer left).
        if let Some(previous) = slot.take() {
            let _ = previous.join();
        }
        let core = self.core.clone();
        let spawned = std::thread::Builder::new()
            .name("helios-flush".into())
            .spawn(move || core.flush_frozen());
        match spawned {
            Ok(handle) => *slot = Some(handle),
            Err(_) => self.core.flush_frozen(),
        }
    }
}

impl Core {
    /// Opens the journal in `file` and applies the records redb does not hold yet, in one
    /// durable commit.
    fn replay(&self, file: Box<dyn StorageBackend>, key: Option<&DataKey>) -> Result<Journal> {
        let ctx = "could not recover from the journal";
        let applied = guard(ctx, || {
            let read = self.db.begin_read().map_err(|e| from_redb(ctx, e))?;
            let table = match read.open_table(JOURNAL_TABLE) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
                Err(e) => return Err(from_redb(ctx, e)),
            };
            let lsn = table.get(APPLIED).map_err(|e| from_redb(ctx, e))?;
            Ok(lsn.map_or(0, |v| v.value()))
        })?;
        let (journal, records) = Journal::open(file, key, applied).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                Error::corrupted(format!("{ctx} of database \"{}\": {e}", self.dir.display()))
            } else {
                from_io(ctx, &e)
            }
        })?;
        let Some(&(last, _)) = records.last() else { return Ok(journal) };
        guard(ctx, || {
            self.redb_commit(ctx, Durability::Immediate, Some(last), |filler| {
                for (_, payload) in &records {
                    for op in journal::ops(payload) {
                        let (k, v) = op.map_err(|e| {
                            Error::corrupted(format!(
                                "{ctx} of database \"{}\": {e}",
                                self.dir.display()
                            ))
                        })?;
                        filler.write(k, v).map_err(|e| from_redb(ctx, e))?;
                    }
                }
                Ok(())
            })
        })?;
        Ok(journal)
    }

    fn ensure_table(&self) -> Result<()> {
        let exists = guard("could not open key-value table", || {
            let read = self.db.begin_read().map_err(|e| from_redb("could not read database", e))?;
            match read.open_table(TABLE) {
                Ok(_) => Ok(true),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
                Err(e) => Err(from_redb("could not open key-value table", e)),
            }
        })?;
        if exists {
            return Ok(());
        }
        // Not synced: if it is lost in a crash, the next open creates the table again.
        self.write_ops(std::iter::empty, false)
    }

    /// Commits the changes `ops` produces (it is called once or twice): through the
    /// journal when there is one, otherwise straight to redb. Returns the LSN of the
    /// journal record (0 without a journal): with `durable`, the caller makes the commit
    /// durable with [`DiskEngine::sync_to`] once it has left [`DiskEngine::guarded`].
    /// Without a journal a durable commit is durable on return.
    fn commit<'b, I>(&self, ops: impl Fn() -> I, durable: bool) -> Result<u64>
    where
        I: Iterator<Item = (&'b [u8], Option<&'b [u8]>)>,
    {
        let Some(journal) = &self.journal else {
            let durability = if durable { Durability::Immediate } else { Durability::None };
            return self.apply(ops(), durability).map(|()| 0);
        };
        let due = journal.lock().due();
        if due {
            self.checkpoint(true, |_| Ok(()))?;
        }
        let mut j = journal.lock();
        let limit = usize::try_from(j.checkpoint_bytes).unwrap_or(MAX_PAYLOAD).min(MAX_PAYLOAD);
        let payload = j.journal.payload();
        for (k, v) in ops() {
            push_op(payload, k, v);
            if payload.len() > limit {
                break;
            }
        }
        if payload.len() > limit {
            // Larger than a round of the journal: committed durably in redb with the
            // overlay, a checkpoint.
            drop(j);
            let last = self.checkpoint(false, |filler| {
                for (k, v) in ops() {
                    filler.write(k, v).map_err(|e| from_redb("could not write to database", e))?;
                }
                Ok(())
            })?;
            return Ok(last);
        }
        // The overlay, not redb: redb gets the changes at the next checkpoint, in one
        // commit with those of thousands of other commits. Published under the journal
        // lock, so that a checkpoint takes every published change along.
        let mut top = self.view.lock().changes.top.clone();
        for (k, v) in ops() {
            top.insert(Arc::from(k), v.map(Arc::from));
        }
        j.journal.append();
        self.view.lock().changes.top = top;
        if !durable && j.journal.unwritten() >= RELAXED_BUFFER {
            j.journal.flush().map_err(|e| from_io("could not write to the journal", &e))?;
        }
        Ok(j.journal.last_lsn())
    }

    /// A checkpoint: one durable redb commit of the overlay and then of what `more`
    /// writes, recording every journal record so far as applied; the journal then starts
    /// a new round and new snapshots read redb alone. Runs with no journal sync in
    /// flight: a failed sync fences the data file before a checkpoint could take the
    /// failed records along. With `only_if_due`, does nothing unless the journal has
    /// reached the checkpoint size (another writer may have checkpointed meanwhile).
    /// Returns the LSN of the last record the checkpoint holds.
    fn checkpoint(
        &self,
        only_if_due: bool,
        more: impl FnOnce(&mut LeafFiller<'_, '_>) -> Result<()>,
    ) -> Result<u64> {
        let Some(journal) = &self.journal else {
            return Err(Error::internal("no commit journal"));
        };
        let _checkpoint = self.checkpoint_lock.lock();
        let _sync = self.sync_lock.lock();
        let mut j = journal.lock();
        let last = j.journal.last_lsn();
        if only_if_due && !j.due() {
            return Ok(last);
        }
        let changes = self.view.lock().changes.clone();
        self.redb_commit(WRITE_CTX, Durability::Immediate, Some(last), |filler| {
            for layer in changes.layers() {
                write_layer(filler, &layer)?;
            }
            more(filler)
        })?;
        // Every record so far is in a durable redb commit.
        self.synced.fetch_max(last, Ordering::SeqCst);
        j.journal.restart();
        j.deferred = 0;
        let mut view = self.view.lock();
        view.redb = None;
        view.changes = Changes::default();
        Ok(last)
    }

    /// Returns once the journal record `lsn` (and every one before it) is durable:
    /// `u64::MAX` for every record appended so far. Commits that appended their records
    /// while another thread synced share the next sync. A failed sync poisons the engine.
    fn sync_to(&self, lsn: u64) -> Result<()> {
        let Some(journal) = &self.journal else { return Ok(()) };
        let lsn = if lsn == u64::MAX { journal.lock().journal.last_lsn() } else { lsn };
        if self.synced.load(Ordering::SeqCst) >= lsn {
            return Ok(());
        }
        let sync = self.sync_lock.lock();
        if self.synced.load(Ordering::SeqCst) >= lsn {
            return Ok(());
        }
        if self.fence.load(Ordering::SeqCst) {
            drop(sync);
            return Err(self.refusal());
        }
        let written = {
            let mut j = journal.lock();
            let last = j.journal.last_lsn();
            j.journal
                .flush()
                .map(|()| (j.journal.file(), last))
                .map_err(|e| from_io("could not write to the journal", &e))
        };
        let result = written.and_then(|(file, last)| {
            file.sync_data().map(|()| last).map_err(|e| from_io("could not sync the journal", &e))
        });
        match result {
            Ok(last) => {
                self.synced.fetch_max(last, Ordering::SeqCst);
                Ok(())
            }
            Err(e) => {
                // Fenced before the sync lock goes: no checkpoint can follow.
                self.fence.store(true, Ordering::SeqCst);
                drop(sync);
                let mut poisoned = self.poisoned.lock();
                if poisoned.is_none() {
                    *poisoned = Some(e.message().to_string());
                }
                Err(e)
            }
        }
    }

    /// One redb commit of `ops` with `durability` (the engine without a journal).
    fn apply<'b>(
        &self,
        ops: impl Iterator<Item = (&'b [u8], Option<&'b [u8]>)>,
        durability: Durability,
    ) -> Result<()> {
        self.redb_commit(WRITE_CTX, durability, None, |filler| {
            for (k, v) in ops {
                filler.write(k, v).map_err(|e| from_redb(WRITE_CTX, e))?;
            }
            Ok(())
        })
    }

    /// One redb commit with `durability` of what `write` puts through a [`LeafFiller`],
    /// recording `lsn` (when given) as the last journal record redb holds; `ctx` says
    /// what was being done in errors.
    fn redb_commit(
        &self,
        ctx: &str,
        durability: Durability,
        lsn: Option<u64>,
        write: impl FnOnce(&mut LeafFiller<'_, '_>) -> Result<()>,
    ) -> Result<()> {
        let mut txn = self.db.begin_write().map_err(|e| from_redb(ctx, e))?;
        txn.set_durability(durability).map_err(|e| from_redb(ctx, e))?;
        {
            let mut table = txn.open_table(TABLE).map_err(|e| from_redb(ctx, e))?;
            let mut filler = LeafFiller::new(&mut table);
            write(&mut filler)?;
            filler.finish().map_err(|e| from_redb(ctx, e))?;
        }
        if let Some(lsn) = lsn {
            set_applied(&txn, lsn).map_err(|e| from_redb(ctx, e))?;
        }
        txn.commit().map_err(|e| from_redb(ctx, e))
    }

    /// The error writes get once the engine is poisoned.
    fn refusal(&self) -> Error {
        let reason = self.poisoned.lock().clone().unwrap_or_else(|| "a sync failed".into());
        Error::new(
            SqlState::IO_ERROR,
            format!(
                "could not write to database \"{}\": an earlier write or sync failed, so the \
                 database must be reopened",
                self.dir.display()
            ),
        )
        .with_detail(reason)
        .with_hint("close and reopen the database; it recovers to the last durable commit")
    }

    /// Runs `commit` unless the engine is poisoned; poisons it when `commit` fails.
    /// Writers pass one at a time.
    fn guarded<R>(&self, commit: impl FnOnce() -> Result<R>) -> Result<R> {
        let _writer = self.writer.lock();
        if self.fence.load(Ordering::SeqCst) {
            return Err(self.refusal());
        }
        let result = guard("could not write to database", commit);
        if self.journal.is_none() {
            // Whatever the outcome, snapshots taken from now on must see redb as it is.
            // (With the journal, redb changes only at checkpoints and flushes, which reset
            // the view.)
            let stale = self.view.lock().redb.take();
            drop(stale);
        }
        if let Err(e) = &result {
            // A value over redb's size limit is refused before anything is written.
            if e.sqlstate() != SqlState::PROGRAM_LIMIT_EXCEEDED {
                self.poison(e);
            }
        }
        result
    }

    /// Refuses every later write after `e`: redb may hold non-durable commits whose
    /// journal record never became durable (the failed write or sync), which it must not
    /// write out later.
    fn poison(&self, e: &Error) {
        self.fence.store(true, Ordering::SeqCst);
        let mut poisoned = self.poisoned.lock();
        if poisoned.is_none() {
            *poisoned = Some(e.message().to_string());
        }
    }

    /// Commits `batch`; with `durable`, returns once it is durable.
    fn write_ops<'b, I>(&self, ops: impl Fn() -> I, durable: bool) -> Result<()>
    where
        I: Iterator<Item = (&'b [u8], Option<&'b [u8]>)>,
    {
        let lsn = self.guarded(|| self.commit(ops, durable))?;
        if durable {
            self.sync_to(lsn)?;
        }
        Ok(())
    }

    /// Commits what `fill` produces as one journal record whose payload readers then read
    /// from memory (a run frozen below the small commits that follow), until a background
    /// flush or a checkpoint writes it into redb. A payload too large for a run goes to
    /// redb at once, as a checkpoint. Returns the record's LSN and whether a background
    /// flush must be started.
    fn commit_run(&self, fill: &mut FillFn<'_>) -> Result<(u64, bool)> {
        let Some(journal) = &self.journal else {
            return Err(Error::internal("no commit journal"));
        };
        if journal.lock().due() {
            self.checkpoint(true, |_| Ok(()))?;
        }
        let ctx = "could not write to the journal";
        let mut writer = journal.lock().journal.record_writer().map_err(|e| from_io(ctx, &e))?;
        // The ops are built on a second thread, in chunks; this one writes each chunk to
        // the journal as it is complete.
        let (full_tx, full_rx) = mpsc::sync_channel::<Arc<Vec<u8>>>(CHUNKS_AHEAD);
        let (mut run, payload_len) = std::thread::scope(|scope| {
            let builder = scope.spawn(move || {
                let stopped = || Error::internal("the commit's writer stopped");
                let mut run = RunBuilder::default();
                fill(&mut |k, v| match run.push(k, v) {
                    Some(chunk) => full_tx.send(chunk).map_err(|_| stopped()),
                    None => Ok(()),
                })?;
                if let Some(chunk) = run.last_chunk() {
                    full_tx.send(chunk).map_err(|_| stopped())?;
                }
                Ok(run)
            });
            let (mut written, mut bytes) = (Ok(()), 0);
            for chunk in full_rx.iter() {
                bytes += chunk.len();
                // Past the largest run the commit goes to redb: the rest is not written.
                if let (Some(w), Ok(()), true) = (&mut writer, &written, bytes <= MAX_RUN_PAYLOAD) {
                    written = w.write(&chunk);
                    if written.is_err() {
                        break;
                    }
                }
            }
            // Dropping the receiver after a failed write makes the builder's next hand-over
            // fail, so it stops.
            drop(full_rx);
            let built = builder
                .join()
                .unwrap_or_else(|_| Err(Error::internal("the commit's builder thread panicked")));
            // A failed write is the cause; the builder's error is then its consequence.
            written.map_err(|e| from_io(ctx, &e))?;
            built.map(|run| (run, bytes))
        })?;
        if payload_len > MAX_RUN_PAYLOAD {
            // Never finished, the record does not check out: the next one goes over it.
            let last = self.checkpoint(false, |filler| {
                for chunk in run.chunks() {
                    for op in journal::ops(chunk) {
                        let (k, v) = op.map_err(|e| from_io(WRITE_CTX, &e))?;
                        filler.write(k, v).map_err(|e| from_redb(WRITE_CTX, e))?;
                    }
                }
                Ok(())
            })?;
            return Ok((last, false));
        }
        let pieces: Vec<&[u8]> = run.chunks().iter().map(|c| c.as_slice()).collect();
        let mut j = journal.lock();
        match writer {
            Some(w) => w.finish(&mut j.journal, &pieces),
            None => j.journal.append_pieces(&pieces),
        }
        .map_err(|e| from_io(ctx, &e))?;
        let run = Arc::new(std::mem::take(&mut run).finish());
        // Every record so far is in a frozen layer now: the flush's to write.
        j.deferred = j.journal.written();
        let lsn = j.journal.last_lsn();
        let start = {
            let mut view = self.view.lock();
            let top = std::mem::take(&mut view.changes.top);
            if !top.is_empty() {
                view.changes.frozen.push(Layer::Map(top));
            }
            view.changes.frozen.push(Layer::Run(run));
            view.frozen_lsn = lsn;
            !std::mem::replace(&mut view.flushing, true)
        };
        Ok((lsn, start))
    }

    /// The background flush: writes the frozen layers into redb, oldest first, in one
    /// durable commit at a time, and drops them; ends once none is left. Their journal
    /// records are made durable first, so that redb never holds a change whose record
    /// could still be lost. A failure poisons the engine (the layers stay readable).
    fn flush_frozen(&self) {
        loop {
            let _checkpoint = self.checkpoint_lock.lock();
            let (layers, lsn) = {
                let mut view = self.view.lock();
                if view.changes.frozen.is_empty() || self.fence.load(Ordering::SeqCst) {
                    view.flushing = false;
                    return;
                }
                (view.changes.frozen.clone(), view.frozen_lsn)
            };
            let written = guard(WRITE_CTX, || {
                self.sync_to(lsn)?;
                self.redb_commit(WRITE_CTX, Durability::Immediate, Some(lsn), |filler| {
                    layers.iter().try_for_each(|layer| write_layer(filler, layer))
                })
            });
            let mut view = self.view.lock();
            match written {
                Ok(()) => {
                    self.synced.fetch_max(lsn, Ordering::SeqCst);
                    // Only checkpoints and flushes remove layers, and both hold the
                    // checkpoint lock: the layers written are still the oldest.
                    view.changes.frozen.drain(..layers.len());
                    view.redb = None;
                }
                Err(e) => {
                    self.poison(&e);
                    view.flushing = false;
                    return;
                }
            }
        }
    }

    fn snapshot(&self) -> Result<Box<dyn Snapshot>> {
        // The redb view is reset whenever redb changes, so a view found here is as
        // current as a new one; the overlay holds every commit since.
        let mut view = self.view.lock();
        let redb = match &view.redb {
            Some(redb) => redb.clone(),
            None => {
                let ctx = "could not read database";
                let redb = guard(ctx, || {
                    let txn = self.db.begin_read().map_err(|e| from_redb(ctx, e))?;
                    let table = txn.open_table(TABLE).map_err(|e| from_redb(ctx, e))?;
                    Ok(Arc::new(DiskSnapshot { table }))
                })?;
                view.redb = Some(redb.clone());
                redb
            }
        };
        Ok(Box::new(SharedSnapshot { redb, changes: view.changes.clone() }))
    }
}

/// Writes one layer's changes, in key order.
fn write_layer(filler: &mut LeafFiller<'_, '_>, layer: &Layer) -> Result<()> {
    for (k, v) in layer.range((Bound::Unbounded, Bound::Unbounded), false) {
        filler.write(k, v).map_err(|e| from_redb(WRITE_CTX, e))?;
    }
    Ok(())
}

impl Engine for DiskEngine {
    fn snapshot(&self) -> Result<Box<dyn Snapshot>> {
        self.core.snapshot()
    }

    fn write(&self, batch: WriteBatch, durable: bool) -> Result<()> {
        let ops = || {
            batch.ops.iter().map(|op| match op {
                WriteOp::Put(k, v) => (k.as_slice(), Some(v.as_slice())),
                WriteOp::Delete(k) => (k.as_slice(), None),
            })
        };
        self.core.write_ops(ops, durable)
    }

    fn write_packed(&self, batch: PackedBatch, durable: bool) -> Result<()> {
        self.core.write_ops(|| batch.iter(), durable)
    }

    fn write_packed_deferred(&self, batch: PackedBatch) -> Result<Option<u64>> {
        let core = &self.core;
        if core.journal.is_none() {
            return self.write_packed(batch, true).map(|()| None);
        }
        core.guarded(|| core.commit(|| batch.iter(), true)).map(Some)
    }

    fn sync_to(&self, token: u64) -> Result<()> {
        self.core.sync_to(token)
    }

    fn checkpoint(&self) -> Result<()> {
        let flush = self.flusher.lock().take();
        if let Some(flush) = flush {
            let _ = flush.join();
        }
        let core = &self.core;
        if core.journal.is_none() {
            // Every commit went into redb, durable or made so by the commit after it.
            return core.guarded(|| core.apply(std::iter::empty(), Durability::Immediate));
        }
        core.guarded(|| core.checkpoint(false, |_| Ok(())).map(drop))
    }

    fn write_with(&self, fill: &mut FillFn<'_>, durable: bool, in_memory: bool) -> Result<()> {
        let core = &self.core;
        let ctx = WRITE_CTX;
        if core.journal.is_some() && in_memory {
            let (lsn, start) = core.guarded(|| core.commit_run(fill))?;
            if start {
                self.start_flush();
            }
            if durable {
                core.sync_to(lsn)?;
            }
            return Ok(());
        }
        core.guarded(|| {
            if core.journal.is_some() {
                // Streamed changes are not journaled: they are committed durably in redb
                // with the overlay (a checkpoint), so no journal record can be replayed
                // over a state that lacks them.
                return core
                    .checkpoint(false, |filler| {
                        filler.write_from(|sink| fill(sink)).map_err(|e| from_fill(ctx, e))
                    })
                    .map(drop);
            }
            let durability = if durable { Durability::Immediate } else { Durability::None };
            core.redb_commit(ctx, durability, None, |filler| {
                filler.write_from(|sink| fill(sink)).map_err(|e| from_fill(ctx, e))
            })
        })
    }
}

impl Drop for DiskEngine {
    fn drop(&mut self) {
        if let Some(flush) = self.flusher.get_mut().take() {
            let _ = flush.join();
        }
        // A checkpoint on close, so that the next open has nothing to replay. Skipped when
        // poisoned: the journal then holds what the next open needs.
        let core = &self.core;
        if core.fence.load(Ordering::SeqCst) {
            return;
        }
        let written = core.journal.as_ref().is_some_and(|j| j.lock().journal.written() > 0);
        if written || !core.view.lock().changes.is_empty() {
            let _ = guard("could not checkpoint", || core.checkpoint(false, |_| Ok(())));
        }
        if let Some(j) = &core.journal {
            let _ = j.lock().journal.close();
        }
    }
}

/// The error of a [`LeafFiller::write_from`]: redb's in `context`, or the producer's own.
fn from_fill(context: &str, err: FillError) -> Error {
    match err {
        FillError::Redb(e) => from_redb(context, e),
        FillError::Produce(e) => e,
    }
}

/// Records `lsn` as the last journal record whose changes `txn` holds.
fn set_applied(txn: &redb::WriteTransaction, lsn: u64) -> std::result::Result<(), redb::Error> {
    let mut table = txn.open_table(JOURNAL_TABLE)?;
    table.insert(APPLIED, lsn)?;
    Ok(())
}

/// The first bytes of a file redb wrote directly (format 1 of our data file, before pages
/// were checksummed).
const REDB_MAGIC: &[u8] = b"redb\x1A\x0A\xA9\x0D\x0A";

/// Fails with `XX001` and a clear message on a data file of the old, unpaged format.
fn refuse_unpaged_file(dir: &Path, backend: &dyn StorageBackend) -> Result<()> {
    let ctx = "could not open data file";
    if backend.len().map_err(|e| from_io(ctx, &e))? < REDB_MAGIC.len() as u64 {
        return Ok(());
    }
    let mut head = [0u8; REDB_MAGIC.len()];
    backend.read(0, &mut head).map_err(|e| from_io(ctx, &e))?;
    if head == REDB_MAGIC {
        return Err(Error::corrupted(format!(
            "{ctx} of database \"{}\": it has an older format without page checksums, \
             which this version does not read",
            dir.display()
        ))
        .with_hint("export the data with the version that wrote it, and import it here"));
    }
    Ok(())
}

/// The backend stack handed to redb (which wants a sized `StorageBackend`), with a fence
/// that the engine raises when it is poisoned: from then on every write, resize and sync
/// of the data file fails.
///
/// Without it, a poisoned engine could still make a failed commit durable: redb holds the
/// commit non-durably (the journal write or sync after it failed), and when the database
/// is dropped redb makes its pending non-durable commits durable. Reopening would then
/// show a commit whose caller got an error, although the journal record that was to make
/// it durable was lost.
#[derive(Debug)]
struct FencedBackend {
    inner: Box<dyn StorageBackend>,
    fence: Arc<AtomicBool>,
}

impl FencedBackend {
    fn check(&self) -> std::io::Result<()> {
        if self.fence.load(Ordering::SeqCst) {
            return Err(std::io::Error::other(
                "the database is poisoned by an earlier failed write or sync",
            ));
        }
        Ok(())
    }
}

impl StorageBackend for FencedBackend {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.check()?;
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.check()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.check()?;
        self.inner.write(offset, data)
    }
    fn close(&self) -> std::io::Result<()> {
        self.inner.close()
    }
    fn try_lock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> std::result::Result<bool, redb::BackendError> {
        self.inner.try_lock_range(start, end)
    }
    fn lock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> std::result::Result<(), redb::BackendError> {
        self.inner.lock_range(start, end)
    }
    fn unlock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> std::result::Result<(), redb::BackendError> {
        self.inner.unlock_range(start, end)
    }
}
