//! Temporary run files: sequences of byte records that left memory for a while.
//!
//! An operator that holds more than its memory budget (an external sort, say) writes
//! part of its data to a *run*: an anonymous temporary file (created in the temp
//! directory and unlinked at once, so nothing is left behind, even after a crash),
//! written once from start to end and then read back once, in the same order. A run
//! is a sequence of blocks of about [`TempRunWriter::block_size`] bytes:
//!
//! ```text
//!   record = [len][bytes]                 (len: LEB128 varint)
//!   block  = records                      (plain)
//!          = nonce | AES-256-GCM(records) | tag, with aad = block number (sealed)
//! ```
//!
//! A record never spans blocks: one larger than the block size makes a block of its
//! own. The offset, lengths and (for plain runs) an xxh3 checksum of every block stay in
//! memory, so a block that changed on disk reads as an error, never as other data; so
//! does the number of each block's first record, so a reader can
//! [`seek`](TempRunReader::seek) to any record reading one block.
//!
//! A sealed run uses a fresh random key that lives only in memory (DESIGN §3.5): the
//! records never reach the disk in clear, and the file is useless once the run is
//! dropped. Databases that are encrypted at rest seal their runs; the byte layout is
//! described in `docs/storage-format.md` ("Temporary run files").
//!
//! The transaction spill files of [`crate::mvcc`] are written through the same block file
//! ([`BlockFile`]) but compress their records against each other (see `mvcc::spill`).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use helios_common::{Error, Result};

use crate::crypto::{DataKey, PageCipher, SEALED_OVERHEAD};

/// Default target size of one block, before sealing.
pub const DEFAULT_BLOCK_SIZE: usize = 32 * 1024;

/// Creates an anonymous read-write file in `dir` (the system's temp dir when `None`):
/// it is unlinked at once, so the open handle keeps it alive and nothing outlives the
/// process. `what` names the file in error messages ("transaction spill").
fn anonymous_file(dir: Option<&Path>, prefix: &str, what: &str) -> Result<File> {
    let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let mut suffix = [0u8; 8];
    crate::crypto::fill_random(&mut suffix)?;
    let path = dir.join(format!(
        "helios-{prefix}-{}-{:016x}",
        std::process::id(),
        u64::from_le_bytes(suffix)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::io(format!("could not create {what} file"), &e))?;
    std::fs::remove_file(&path)
        .map_err(|e| Error::io(format!("could not unlink {what} file"), &e))?;
    Ok(file)
}

fn corrupt() -> Error {
    crate::StorageError::Corrupted("temporary run file does not decode".into()).into()
}

/// Reads the varint at `*at`, moving past it.
#[inline]
fn get_varint(d: &[u8], at: &mut usize) -> Result<u64> {
    helios_common::varint::get(d, at).ok_or_else(corrupt)
}

/// Where one block sits and how to check it.
#[derive(Debug, Clone, Copy)]
struct BlockRef {
    offset: u64,
    stored_len: usize,
    plain_len: usize,
    /// xxh3 of the stored bytes (plain files; sealed blocks carry their own tag).
    check: u64,
}

/// An anonymous file of blocks appended one after the other: sealed under a random key
/// that lives only in memory, or plain and checked against an xxh3 checksum kept in
/// memory. The layer under temporary runs and the transaction spill runs of
/// [`crate::mvcc`]; each gives its blocks its own record format.
pub(crate) struct BlockFile {
    file: File,
    cipher: Option<PageCipher>,
    blocks: Vec<BlockRef>,
    end: u64,
    /// Names the file in errors ("transaction spill").
    what: &'static str,
}

impl BlockFile {
    /// A new file in `dir` (the system's temp dir when `None`), sealed when `seal` is set.
    pub(crate) fn create(
        dir: Option<&Path>,
        prefix: &str,
        what: &'static str,
        seal: bool,
    ) -> Result<BlockFile> {
        let file = anonymous_file(dir, prefix, what)?;
        let cipher = if seal { Some(PageCipher::new(&DataKey::random()?)?) } else { None };
        Ok(BlockFile { file, cipher, blocks: Vec::new(), end: 0, what })
    }

    fn io_err(&self, op: &str, e: &std::io::Error) -> Error {
        Error::io(format!("could not {op} {} file", self.what), e)
    }

    fn corrupt(&self) -> Error {
        crate::StorageError::Corrupted(format!("{} file does not decode", self.what)).into()
    }

    /// Writes `plain` as the next block.
    pub(crate) fn append(&mut self, plain: &[u8]) -> Result<()> {
        let number = self.blocks.len() as u64;
        let sealed = self.cipher.as_ref().map(|c| {
            let mut sealed = vec![0u8; plain.len() + SEALED_OVERHEAD];
            c.seal(&number.to_le_bytes(), plain, &mut sealed);
            sealed
        });
        let stored = sealed.as_deref().unwrap_or(plain);
        self.file.write_all_at(stored, self.end).map_err(|e| self.io_err("write", &e))?;
        let check = if sealed.is_some() { 0 } else { xxhash_rust::xxh3::xxh3_64(stored) };
        self.blocks.push(BlockRef {
            offset: self.end,
            stored_len: stored.len(),
            plain_len: plain.len(),
            check,
        });
        self.end += stored.len() as u64;
        Ok(())
    }

    /// How many blocks the file holds.
    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether its blocks are sealed.
    pub(crate) fn is_sealed(&self) -> bool {
        self.cipher.is_some()
    }

    /// How many bytes the file takes on disk.
    pub(crate) fn disk_bytes(&self) -> u64 {
        self.end
    }

    /// Reads block `i` into `data` (`scratch` holds a sealed block before it is opened);
    /// a block that does not read back as written is an error.
    pub(crate) fn read(&self, i: usize, data: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Result<()> {
        let b = self.blocks[i];
        let target = if self.cipher.is_some() { &mut *scratch } else { &mut *data };
        target.clear();
        target.resize(b.stored_len, 0);
        self.file.read_exact_at(target, b.offset).map_err(|e| self.io_err("read", &e))?;
        match &self.cipher {
            None if xxhash_rust::xxh3::xxh3_64(data) != b.check => Err(self.corrupt()),
            None => Ok(()),
            Some(c) => {
                data.clear();
                data.resize(b.plain_len, 0);
                c.open(&(i as u64).to_le_bytes(), scratch, data).map_err(|_| self.corrupt())
            }
        }
    }
}

/// A finished run: records written once, to be read back in order.
pub struct TempRun {
    blocks: BlockFile,
    records: u64,
    /// The number of the first record of each block.
    firsts: Vec<u64>,
}

impl std::fmt::Debug for TempRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempRun")
            .field("blocks", &self.blocks.len())
            .field("records", &self.records)
            .field("sealed", &self.blocks.is_sealed())
            .finish_non_exhaustive()
    }
}

/// Writes a run, record by record.
pub struct TempRunWriter {
    run: TempRun,
    block: Vec<u8>,
    /// The number of the first record in `block`.
    block_first: u64,
    block_size: usize,
}

impl std::fmt::Debug for TempRunWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempRunWriter").field("run", &self.run).finish_non_exhaustive()
    }
}

impl TempRunWriter {
    /// Starts a run in a new anonymous file in the system's temp directory, sealed
    /// under a fresh random key when `seal` is set, with blocks of
    /// [`DEFAULT_BLOCK_SIZE`].
    pub fn new(seal: bool) -> Result<TempRunWriter> {
        TempRunWriter::with_options(None, seal, DEFAULT_BLOCK_SIZE)
    }

    /// Starts a run in `dir` (the temp directory when `None`) with blocks of about
    /// `block_size` bytes (at least 1).
    pub fn with_options(
        dir: Option<&Path>,
        seal: bool,
        block_size: usize,
    ) -> Result<TempRunWriter> {
        let blocks = BlockFile::create(dir, "run", "temporary run", seal)?;
        let block_size = block_size.max(1);
        Ok(TempRunWriter {
            run: TempRun { blocks, records: 0, firsts: Vec::new() },
            block: Vec::with_capacity(block_size + 16),
            block_first: 0,
            block_size,
        })
    }

    /// The target size of one block.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// Appends one record.
    pub fn push(&mut self, record: &[u8]) -> Result<()> {
        // A record that would overflow a started block begins the next one.
        if !self.block.is_empty() && self.block.len() + record.len() + 10 > self.block_size {
            self.flush()?;
        }
        helios_common::varint::put(&mut self.block, record.len() as u64);
        self.block.extend_from_slice(record);
        self.run.records += 1;
        if self.block.len() >= self.block_size {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        self.run.blocks.append(&self.block)?;
        self.run.firsts.push(self.block_first);
        self.block_first = self.run.records;
        self.block.clear();
        Ok(())
    }

    /// Finishes the run.
    pub fn finish(mut self) -> Result<TempRun> {
        self.flush()?;
        Ok(self.run)
    }
}

impl TempRun {
    /// How many records the run holds.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// How many bytes the run takes on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.blocks.disk_bytes()
    }

    /// Whether the run is sealed under a random key.
    pub fn is_sealed(&self) -> bool {
        self.blocks.is_sealed()
    }

    /// Reads the run back from its first record; the file goes when the reader does.
    pub fn into_reader(self) -> TempRunReader {
        TempRunReader {
            run: self,
            next_block: 0,
            data: Vec::new(),
            stored: Vec::new(),
            pos: 0,
            next_no: 0,
        }
    }
}

/// Reads a run's records in the order they were written, one block in memory at a time;
/// [`seek`](TempRunReader::seek) moves to any record.
pub struct TempRunReader {
    run: TempRun,
    /// The block after the one in `data`.
    next_block: usize,
    data: Vec<u8>,
    stored: Vec<u8>,
    pos: usize,
    /// The number of the record [`next_record`](TempRunReader::next_record) returns next.
    next_no: u64,
}

impl std::fmt::Debug for TempRunReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempRunReader")
            .field("run", &self.run)
            .field("next_block", &self.next_block)
            .finish_non_exhaustive()
    }
}

impl TempRunReader {
    /// The next record, lent from the reader's block buffer; `None` at the end. A block
    /// that does not read back as written (damaged or changed on disk) is an error.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>> {
        while self.pos >= self.data.len() {
            if self.next_block >= self.run.blocks.len() {
                return Ok(None);
            }
            self.load(self.next_block)?;
        }
        let (start, end) = self.step()?;
        Ok(Some(&self.data[start..end]))
    }

    /// How many records the run holds.
    pub fn records(&self) -> u64 {
        self.run.records
    }

    /// Moves so that [`next_record`](TempRunReader::next_record) returns record `n`
    /// (counted from 0; at or past the last one, it returns `None`). Reads at most one
    /// block: the one holding record `n`, unless the reader is in it, before `n`.
    pub fn seek(&mut self, n: u64) -> Result<()> {
        if n >= self.run.records {
            self.next_block = self.run.blocks.len();
            self.data.clear();
            self.pos = 0;
            self.next_no = self.run.records;
            return Ok(());
        }
        let block = self.run.firsts.partition_point(|&first| first <= n) - 1;
        let loaded = self.next_block.checked_sub(1) == Some(block) && !self.data.is_empty();
        if !loaded || n < self.next_no {
            self.load(block)?;
        }
        while self.next_no < n {
            self.step()?;
        }
        Ok(())
    }

    /// Reads block `i` and stands before its first record.
    fn load(&mut self, i: usize) -> Result<()> {
        self.run.blocks.read(i, &mut self.data, &mut self.stored)?;
        self.next_block = i + 1;
        self.pos = 0;
        self.next_no = self.run.firsts[i];
        Ok(())
    }

    /// Moves past the record at `pos` in the loaded block; returns where its bytes are.
    fn step(&mut self) -> Result<(usize, usize)> {
        let len = usize::try_from(get_varint(&self.data, &mut self.pos)?).map_err(|_| corrupt())?;
        let start = self.pos;
        let end = start.checked_add(len).filter(|&e| e <= self.data.len()).ok_or_else(corrupt)?;
        self.pos = end;
        self.next_no += 1;
        Ok((start, end))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn write(records: &[Vec<u8>], seal: bool, block: usize) -> TempRun {
        let mut w = TempRunWriter::with_options(None, seal, block).expect("writer");
        for r in records {
            w.push(r).expect("push");
        }
        w.finish().expect("finish")
    }

    fn read_all(run: TempRun) -> Result<Vec<Vec<u8>>> {
        let mut r = run.into_reader();
        let mut out = Vec::new();
        while let Some(rec) = r.next_record()? {
            out.push(rec.to_vec());
        }
        Ok(out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn runs_read_back_what_was_written(
            records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..80),
            seal in any::<bool>(),
            block in 1usize..1000,
        ) {
            let run = write(&records, seal, block);
            prop_assert_eq!(run.records(), records.len() as u64);
            prop_assert_eq!(run.is_sealed(), seal);
            prop_assert_eq!(read_all(run).expect("read"), records);
        }

        #[test]
        fn changed_bytes_are_errors_not_panics(
            records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..100), 1..40),
            seal in any::<bool>(),
            at in any::<u64>(),
            flip in 1u8..=255,
        ) {
            let run = write(&records, seal, 256);
            let len = run.disk_bytes();
            let at = at % len;
            let mut b = [0u8; 1];
            run.blocks.file.read_exact_at(&mut b, at).expect("read");
            run.blocks.file.write_all_at(&[b[0] ^ flip], at).expect("write");
            prop_assert!(read_all(run).is_err());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn seeks_land_on_the_record_asked_for(
            records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 1..80),
            seal in any::<bool>(),
            block in 1usize..600,
            targets in prop::collection::vec(any::<u16>(), 1..20),
        ) {
            let n = records.len() as u64;
            let mut r = write(&records, seal, block).into_reader();
            prop_assert_eq!(r.records(), n);
            for t in targets {
                // Past the end now and then: the reader is then at its end.
                let t = u64::from(t) % (n + 2);
                r.seek(t).expect("seek");
                let want = records.get(t as usize).cloned();
                prop_assert_eq!(r.next_record().expect("read").map(<[u8]>::to_vec), want);
                if t + 1 < n {
                    // Reading on after a seek goes on in order.
                    let next = r.next_record().expect("read").map(<[u8]>::to_vec);
                    prop_assert_eq!(next, Some(records[t as usize + 1].clone()));
                }
            }
        }
    }

    #[test]
    fn an_empty_run_has_no_records() {
        let run = write(&[], true, 64);
        assert_eq!(run.disk_bytes(), 0);
        assert_eq!(read_all(run).expect("read"), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn sealed_runs_keep_records_out_of_the_file() {
        let secret = b"top secret payroll row".to_vec();
        let records = vec![secret.clone(); 50];
        for seal in [false, true] {
            let run = write(&records, seal, 512);
            let mut bytes = vec![0u8; run.disk_bytes() as usize];
            run.blocks.file.read_exact_at(&mut bytes, 0).expect("read");
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_slice());
            assert_eq!(found, !seal, "seal={seal}");
            assert_eq!(read_all(run).expect("read"), records);
        }
    }

    #[test]
    fn a_record_larger_than_a_block_gets_its_own() {
        let records = vec![vec![1u8; 10], vec![2u8; 5000], vec![3u8; 10]];
        let run = write(&records, true, 100);
        assert_eq!(run.blocks.len(), 3);
        assert_eq!(read_all(run).expect("read"), records);
    }

    #[test]
    fn a_truncated_file_is_an_error() {
        let run = write(&vec![vec![9u8; 200]; 4], false, 256);
        run.blocks.file.set_len(run.disk_bytes() - 1).expect("truncate");
        assert!(read_all(run).is_err());
    }
}
