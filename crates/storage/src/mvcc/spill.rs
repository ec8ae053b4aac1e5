//! Spill runs: the part of a large transaction's write set that left memory.
//!
//! When a write set's in-memory part passes its threshold, it is frozen into a *run*: its
//! versions, sorted by key and newest first, written to an anonymous temporary file
//! (created in the temp directory and unlinked at once, so nothing is left behind, even
//! after a crash). A run is a sequence of blocks of about [`BLOCK`] bytes:
//!
//! ```text
//!   record = [key len u32 LE][seq u64 LE][since u64 LE][value len u32 LE, MAX = delete]
//!            [key][value]
//!   block  = records                      (plain database)
//!          = nonce | AES-256-GCM(records) | tag, with aad = block number (encrypted)
//! ```
//!
//! When the database is encrypted, every run is sealed with a fresh random key that lives
//! only in memory (DESIGN §3.5): spilled rows never reach the disk in clear, and the file
//! is useless once the transaction ends. Only the first key, offset and length of every
//! block stay in memory.

use std::fs::File;
use std::ops::Bound;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use helios_common::{Error, Result, Timestamp};

use crate::crypto::{DataKey, PageCipher, SEALED_OVERHEAD};

/// Target size of one block, before sealing.
pub(crate) const BLOCK: usize = 256 * 1024;

/// Header bytes of one record.
const RECORD_HEAD: usize = 4 + 8 + 8 + 4;

/// Value length marking a delete.
const DELETE: u32 = u32::MAX;

/// Where and how write sets spill.
#[derive(Clone, Debug)]
pub(crate) struct SpillSettings {
    /// In-memory bytes (estimated) above which the write set spills a run.
    pub threshold: usize,
    /// Directory of the temporary files; the system's temp dir when `None`.
    pub dir: Option<PathBuf>,
    /// Seal runs with a per-run random key.
    pub encrypt: bool,
}

/// Default spill threshold: 64 MiB of buffered writes.
pub(crate) const DEFAULT_SPILL_THRESHOLD: usize = 64 * 1024 * 1024;

impl Default for SpillSettings {
    fn default() -> SpillSettings {
        SpillSettings { threshold: DEFAULT_SPILL_THRESHOLD, dir: None, encrypt: false }
    }
}

/// One version in a run, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// The user key.
    pub key: Vec<u8>,
    /// The write's sequence number in its transaction.
    pub seq: u64,
    /// The read timestamp of the statement that first wrote the key.
    pub since: Timestamp,
    /// The value; `None` deletes.
    pub value: Option<Vec<u8>>,
}

/// Where one block sits.
#[derive(Debug)]
struct BlockRef {
    first_key: Box<[u8]>,
    offset: u64,
    stored_len: usize,
    plain_len: usize,
}

/// A frozen, sorted part of a write set on disk.
pub(crate) struct Run {
    file: File,
    cipher: Option<PageCipher>,
    blocks: Vec<BlockRef>,
    last_key: Option<Box<[u8]>>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run").field("blocks", &self.blocks.len()).finish_non_exhaustive()
    }
}

fn spill_err(what: &str, e: &std::io::Error) -> Error {
    Error::io(format!("could not {what} transaction spill file"), e)
}

fn corrupt() -> Error {
    crate::StorageError::Corrupted("transaction spill file does not decode".into()).into()
}

/// Writes a run, record by record, in (key ascending, seq descending) order.
pub(crate) struct RunWriter {
    run: Run,
    block: Vec<u8>,
    first_key: Option<Box<[u8]>>,
    /// The last key pushed (boxed into the run at the end, not once per key).
    last_key: Vec<u8>,
    offset: u64,
}

impl RunWriter {
    /// Starts a run in a new anonymous temporary file.
    pub(crate) fn new(settings: &SpillSettings) -> Result<RunWriter> {
        let dir = settings.dir.clone().unwrap_or_else(std::env::temp_dir);
        let mut suffix = [0u8; 8];
        crate::crypto::fill_random(&mut suffix)?;
        let path = dir.join(format!(
            "helios-spill-{}-{:016x}",
            std::process::id(),
            u64::from_le_bytes(suffix)
        ));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| spill_err("create", &e))?;
        // Unlinked at once: the open handle keeps it alive, and nothing outlives the process.
        std::fs::remove_file(&path).map_err(|e| spill_err("unlink", &e))?;
        let cipher =
            if settings.encrypt { Some(PageCipher::new(&DataKey::random()?)?) } else { None };
        Ok(RunWriter {
            run: Run { file, cipher, blocks: Vec::new(), last_key: None },
            block: Vec::with_capacity(BLOCK + 1024),
            first_key: None,
            last_key: Vec::new(),
            offset: 0,
        })
    }

    /// Appends one version.
    pub(crate) fn push(
        &mut self,
        key: &[u8],
        seq: u64,
        since: Timestamp,
        value: Option<&[u8]>,
    ) -> Result<()> {
        if self.first_key.is_none() {
            self.first_key = Some(key.into());
        }
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        let b = &mut self.block;
        b.extend_from_slice(&(key.len() as u32).to_le_bytes());
        b.extend_from_slice(&seq.to_le_bytes());
        b.extend_from_slice(&since.0.to_le_bytes());
        b.extend_from_slice(&value.map_or(DELETE, |v| v.len() as u32).to_le_bytes());
        b.extend_from_slice(key);
        if let Some(v) = value {
            b.extend_from_slice(v);
        }
        if self.block.len() >= BLOCK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let Some(first_key) = self.first_key.take() else { return Ok(()) };
        let number = self.run.blocks.len() as u64;
        let stored = match &self.run.cipher {
            Some(c) => {
                let mut sealed = vec![0u8; self.block.len() + SEALED_OVERHEAD];
                c.seal(&number.to_le_bytes(), &self.block, &mut sealed);
                sealed
            }
            None => std::mem::take(&mut self.block),
        };
        self.run.file.write_all_at(&stored, self.offset).map_err(|e| spill_err("write", &e))?;
        self.run.blocks.push(BlockRef {
            first_key,
            offset: self.offset,
            stored_len: stored.len(),
            plain_len: if self.run.cipher.is_some() { self.block.len() } else { stored.len() },
        });
        self.offset += stored.len() as u64;
        self.block.clear();
        Ok(())
    }

    /// Finishes the run.
    pub(crate) fn finish(mut self) -> Result<Run> {
        self.flush()?;
        if !self.run.blocks.is_empty() {
            self.run.last_key = Some(self.last_key.as_slice().into());
        }
        Ok(self.run)
    }
}

impl Run {
    /// The first and last key of the run.
    pub(crate) fn key_bounds(&self) -> Option<(&[u8], &[u8])> {
        Some((&*self.blocks.first()?.first_key, self.last_key.as_deref()?))
    }

    /// The decoded bytes of block `i`.
    fn block(&self, i: usize) -> Result<Vec<u8>> {
        let b = &self.blocks[i];
        let mut stored = vec![0u8; b.stored_len];
        self.file.read_exact_at(&mut stored, b.offset).map_err(|e| spill_err("read", &e))?;
        match &self.cipher {
            None => Ok(stored),
            Some(c) => {
                let mut plain = vec![0u8; b.plain_len];
                c.open(&(i as u64).to_le_bytes(), &stored, &mut plain).map_err(|_| corrupt())?;
                Ok(plain)
            }
        }
    }

    /// Calls `f` with every version of the run, in (key ascending, seq descending) order,
    /// lending the key and value from the decoded block: nothing is allocated per record.
    pub(crate) fn visit(&self, f: &mut RecordFn<'_>) -> Result<()> {
        for i in 0..self.blocks.len() {
            let data = self.block(i)?;
            let mut d = data.as_slice();
            while !d.is_empty() {
                let (rec, end) = decode_record(d)?;
                f(rec.key, rec.seq, rec.since, rec.value)?;
                d = &d[end..];
            }
        }
        Ok(())
    }

    /// The versions of the keys at or after `lo`, in order (the caller stops at its upper
    /// bound).
    pub(crate) fn iter_from(&self, lo: Bound<&[u8]>) -> RunIter<'_> {
        let start = match lo {
            Bound::Unbounded => 0,
            // A key's versions may begin in the block before the first one starting at or
            // after it.
            Bound::Included(k) | Bound::Excluded(k) => {
                self.blocks.partition_point(|b| &*b.first_key < k).saturating_sub(1)
            }
        };
        let lo = match lo {
            Bound::Included(k) => Bound::Included(k.to_vec()),
            Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        RunIter { run: self, next_block: start, data: Vec::new(), pos: 0, lo }
    }
}

/// Receives `(key, seq, since, value)` of one run record; `None` deletes.
pub(crate) type RecordFn<'a> = dyn FnMut(&[u8], u64, Timestamp, Option<&[u8]>) -> Result<()> + 'a;

/// One record lent from a decoded block.
struct RecordRef<'d> {
    key: &'d [u8],
    seq: u64,
    since: Timestamp,
    value: Option<&'d [u8]>,
}

/// Decodes the record at the start of `d`; returns it and its length.
fn decode_record(d: &[u8]) -> Result<(RecordRef<'_>, usize)> {
    if d.len() < RECORD_HEAD {
        return Err(corrupt());
    }
    let u32_at = |i: usize| u32::from_le_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
    let u64_at = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[i..i + 8]);
        u64::from_le_bytes(b)
    };
    let klen = u32_at(0) as usize;
    let seq = u64_at(4);
    let since = Timestamp(u64_at(12));
    let vlen = u32_at(20);
    let vbytes = if vlen == DELETE { 0 } else { vlen as usize };
    let end = RECORD_HEAD + klen + vbytes;
    if d.len() < end {
        return Err(corrupt());
    }
    let key = &d[RECORD_HEAD..RECORD_HEAD + klen];
    let value = (vlen != DELETE).then(|| &d[RECORD_HEAD + klen..end]);
    Ok((RecordRef { key, seq, since, value }, end))
}

/// Versions of a run in (key ascending, seq descending) order, from a lower bound.
pub(crate) struct RunIter<'a> {
    run: &'a Run,
    next_block: usize,
    data: Vec<u8>,
    pos: usize,
    lo: Bound<Vec<u8>>,
}

impl RunIter<'_> {
    fn decode(&mut self) -> Result<Option<Record>> {
        loop {
            if self.pos >= self.data.len() {
                if self.next_block >= self.run.blocks.len() {
                    return Ok(None);
                }
                self.data = self.run.block(self.next_block)?;
                self.next_block += 1;
                self.pos = 0;
                continue;
            }
            let (r, end) = decode_record(&self.data[self.pos..])?;
            let below = match &self.lo {
                Bound::Included(lo) => r.key < lo.as_slice(),
                Bound::Excluded(lo) => r.key <= lo.as_slice(),
                Bound::Unbounded => false,
            };
            let rec = (!below).then(|| Record {
                key: r.key.to_vec(),
                seq: r.seq,
                since: r.since,
                value: r.value.map(<[u8]>::to_vec),
            });
            self.pos += end;
            if let Some(r) = rec {
                self.lo = Bound::Unbounded;
                return Ok(Some(r));
            }
        }
    }
}

impl Iterator for RunIter<'_> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        self.decode().transpose()
    }
}
