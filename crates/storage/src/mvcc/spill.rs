//! Spill runs: the part of a large transaction's write set that left memory.
//!
//! When a write set's in-memory part passes its threshold, it is frozen into a *run*: its
//! versions, sorted by key and newest first, written to an anonymous temporary file
//! (created in the temp directory and unlinked at once, so nothing is left behind, even
//! after a crash). A run is a sequence of blocks of about [`BLOCK`] bytes:
//!
//! ```text
//!   record = [shared][suffix len][seq delta][since delta][value len + 1, 0 = delete]
//!            [key suffix][value]              (the five numbers are LEB128 varints)
//!   block  = records                      (plain database)
//!          = nonce | AES-256-GCM(records) | tag, with aad = block number (encrypted)
//! ```
//!
//! Records are compressed against the one before them in the block: the key as the
//! length of the prefix it shares with the previous key plus the rest, the sequence number
//! and the `since` timestamp as zigzag differences from the previous record's. The first
//! record of a block compares with an empty key and zeros, so each block decodes on its
//! own. A run of ascending primary keys written in one statement each (a bulk load) takes
//! about five bytes per record besides the key's last bytes and the value.
//!
//! A run of at least [`SpillSettings::background`] bytes is written on a thread of its
//! own while the transaction goes on: its key bounds are known at once (reads of keys
//! outside them, such as a load probing each new key, never wait), and the first read
//! that needs its records waits for the writer. The next spill waits for the one before,
//! so at most one run is being written at a time; a failed write surfaces at that read,
//! at the next spill or at commit.
//!
//! When the database is encrypted, every run is sealed with a fresh random key that lives
//! only in memory (DESIGN §3.5): spilled rows never reach the disk in clear, and the file
//! is useless once the transaction ends. The blocks go through the same sealed or
//! checksummed block file as temporary runs ([`crate::temp_run::BlockFile`]); only the
//! first key of every block besides its place and check stays in memory.

use std::ops::Bound;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::thread::JoinHandle;

use helios_common::{Error, Result, Timestamp};
use parking_lot::Mutex;

use crate::options::DEFAULT_SPILL_THRESHOLD;
use crate::temp_run::BlockFile;

/// Target size of one block, before sealing.
pub(crate) const BLOCK: usize = 256 * 1024;

/// Reads the varint at `*at`, moving past it.
#[inline]
fn get_varint(d: &[u8], at: &mut usize) -> Result<u64> {
    helios_common::varint::get(d, at).ok_or_else(corrupt)
}

/// The zigzag varint form of the difference `new - old` (wrapping).
fn delta(new: u64, old: u64) -> u64 {
    let d = new.wrapping_sub(old) as i64;
    ((d << 1) ^ (d >> 63)) as u64
}

/// The inverse of [`delta`]: `old` plus the difference encoded in `z`.
fn undelta(old: u64, z: u64) -> u64 {
    old.wrapping_add(((z >> 1) as i64 ^ -((z & 1) as i64)) as u64)
}

/// The previous record of a block, which the next one is compressed against.
#[derive(Debug, Default)]
struct Prev {
    key: Vec<u8>,
    seq: u64,
    since: u64,
}

impl Prev {
    fn reset(&mut self) {
        self.key.clear();
        self.seq = 0;
        self.since = 0;
    }
}

/// Where and how write sets spill.
#[derive(Clone, Debug)]
pub(crate) struct SpillSettings {
    /// In-memory bytes (estimated) above which the write set spills a run.
    pub threshold: usize,
    /// Directory of the temporary files; the system's temp dir when `None`.
    pub dir: Option<PathBuf>,
    /// Seal runs with a per-run random key.
    pub encrypt: bool,
    /// Runs of at least this many bytes (estimated) are written on a thread of their own
    /// (by default every run; tests also write them inline).
    pub background: usize,
}

impl Default for SpillSettings {
    fn default() -> SpillSettings {
        SpillSettings {
            threshold: DEFAULT_SPILL_THRESHOLD,
            dir: None,
            encrypt: false,
            background: 0,
        }
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

/// The first and last key of a run.
pub(crate) type KeyBounds = (Box<[u8]>, Box<[u8]>);

/// A frozen, sorted part of a write set on disk, possibly still being written.
pub(crate) struct Run {
    /// The first and last key (`None`: the run is empty), known before it is written.
    bounds: Option<KeyBounds>,
    body: OnceLock<Result<Body>>,
    /// The thread writing the body, until a read needs it.
    writer: Mutex<Option<JoinHandle<Result<Body>>>>,
}

/// The written records of a [`Run`].
struct Body {
    blocks: BlockFile,
    /// The first key of each block.
    first_keys: Vec<Box<[u8]>>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let blocks = self.body.get().map(|b| b.as_ref().map(|b| b.blocks.len()));
        f.debug_struct("Run").field("blocks", &blocks).finish_non_exhaustive()
    }
}

fn corrupt() -> Error {
    crate::StorageError::Corrupted("transaction spill file does not decode".into()).into()
}

/// Writes a run, record by record, in (key ascending, seq descending) order.
pub(crate) struct RunWriter {
    body: Body,
    block: Vec<u8>,
    first_key: Option<Box<[u8]>>,
    /// The last record pushed (its key is boxed into the run at the end, not per key).
    prev: Prev,
}

impl RunWriter {
    /// Starts a run in a new anonymous temporary file.
    pub(crate) fn new(settings: &SpillSettings) -> Result<RunWriter> {
        let blocks = BlockFile::create(
            settings.dir.as_deref(),
            "spill",
            "transaction spill",
            settings.encrypt,
        )?;
        Ok(RunWriter {
            body: Body { blocks, first_keys: Vec::new() },
            block: Vec::with_capacity(BLOCK + 1024),
            first_key: None,
            prev: Prev::default(),
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
            self.prev.reset();
        }
        let prev = &mut self.prev;
        let shared = crate::mvcc::keys::common_prefix(&prev.key, key);
        let b = &mut self.block;
        helios_common::varint::put(b, shared as u64);
        helios_common::varint::put(b, (key.len() - shared) as u64);
        helios_common::varint::put(b, delta(seq, prev.seq));
        helios_common::varint::put(b, delta(since.0, prev.since));
        helios_common::varint::put(b, value.map_or(0, |v| v.len() as u64 + 1));
        b.extend_from_slice(&key[shared..]);
        if let Some(v) = value {
            b.extend_from_slice(v);
        }
        prev.key.truncate(shared);
        prev.key.extend_from_slice(&key[shared..]);
        prev.seq = seq;
        prev.since = since.0;
        if self.block.len() >= BLOCK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let Some(first_key) = self.first_key.take() else { return Ok(()) };
        // The block buffer is kept, so the next block fills the same allocation.
        self.body.blocks.append(&self.block)?;
        self.body.first_keys.push(first_key);
        self.block.clear();
        Ok(())
    }

    /// Finishes the run.
    pub(crate) fn finish(mut self) -> Result<Run> {
        self.flush()?;
        let bounds = match self.body.first_keys.first() {
            Some(first) => Some((first.clone(), self.prev.key.as_slice().into())),
            None => None,
        };
        Ok(Run { bounds, body: OnceLock::from(Ok(self.body)), writer: Mutex::new(None) })
    }

    fn finish_body(mut self) -> Result<Body> {
        self.flush()?;
        Ok(self.body)
    }
}

impl Run {
    /// A run of the records `write` pushes, written on a thread of its own (see the
    /// module docs); `bounds` are the first and last key it will push. The file is
    /// created here, so that failure is immediate.
    pub(crate) fn write_in_background(
        settings: &SpillSettings,
        bounds: KeyBounds,
        write: impl FnOnce(&mut RunWriter) -> Result<()> + Send + 'static,
    ) -> Result<Run> {
        let mut w = RunWriter::new(settings)?;
        let writer = std::thread::Builder::new()
            .name("helios-spill".into())
            .spawn(move || {
                write(&mut w)?;
                w.finish_body()
            })
            .map_err(|e| Error::internal(format!("could not start a spill thread: {e}")))?;
        Ok(Run { bounds: Some(bounds), body: OnceLock::new(), writer: Mutex::new(Some(writer)) })
    }

    /// The written records, waiting for the writer first if it is still at work.
    fn body(&self) -> Result<&Body> {
        let body = self.body.get_or_init(|| match self.writer.lock().take() {
            Some(writer) => {
                writer.join().unwrap_or_else(|_| Err(Error::internal("the spill thread panicked")))
            }
            None => Err(Error::internal("spill run without records")),
        });
        body.as_ref().map_err(Clone::clone)
    }

    /// Waits until the run is written; its error if writing it failed.
    pub(crate) fn wait(&self) -> Result<()> {
        self.body().map(drop)
    }

    /// The first and last key of the run.
    pub(crate) fn key_bounds(&self) -> Option<(&[u8], &[u8])> {
        self.bounds.as_ref().map(|(lo, hi)| (&**lo, &**hi))
    }

    /// Calls `f` with every version of the run, in (key ascending, seq descending) order,
    /// lending the key and value from the decoded block: nothing is allocated per record.
    pub(crate) fn visit(&self, f: &mut RecordFn<'_>) -> Result<()> {
        let body = self.body()?;
        let mut prev = Prev::default();
        let (mut data, mut scratch) = (Vec::new(), Vec::new());
        for i in 0..body.blocks.len() {
            body.blocks.read(i, &mut data, &mut scratch)?;
            prev.reset();
            let mut at = 0;
            while at < data.len() {
                let value = decode_record(&data, &mut at, &mut prev)?;
                f(&prev.key, prev.seq, Timestamp(prev.since), value)?;
            }
        }
        Ok(())
    }

    /// The versions of the keys at or after `lo`, in order (the caller stops at its upper
    /// bound).
    pub(crate) fn iter_from(&self, lo: Bound<&[u8]>) -> RunIter<'_> {
        let body = self.body();
        let start = match (&body, lo) {
            (Err(_), _) | (_, Bound::Unbounded) => 0,
            // A key's versions may begin in the block before the first one starting at or
            // after it.
            (Ok(b), Bound::Included(k) | Bound::Excluded(k)) => {
                b.first_keys.partition_point(|f| &**f < k).saturating_sub(1)
            }
        };
        let lo = match lo {
            Bound::Included(k) => Bound::Included(k.to_vec()),
            Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        RunIter {
            body,
            next_block: start,
            data: Vec::new(),
            scratch: Vec::new(),
            pos: 0,
            prev: Prev::default(),
            lo,
        }
    }
}

/// Receives `(key, seq, since, value)` of one run record; `None` deletes.
pub(crate) type RecordFn<'a> = dyn FnMut(&[u8], u64, Timestamp, Option<&[u8]>) -> Result<()> + 'a;

/// Decodes the record at `*at` of a block into `prev` (which holds the record before it
/// and then this one); returns its value, lent from the block (`None` deletes).
fn decode_record<'d>(d: &'d [u8], at: &mut usize, prev: &mut Prev) -> Result<Option<&'d [u8]>> {
    let shared = usize::try_from(get_varint(d, at)?).map_err(|_| corrupt())?;
    let suffix = usize::try_from(get_varint(d, at)?).map_err(|_| corrupt())?;
    prev.seq = undelta(prev.seq, get_varint(d, at)?);
    prev.since = undelta(prev.since, get_varint(d, at)?);
    let vlen = get_varint(d, at)?;
    if shared > prev.key.len() {
        return Err(corrupt());
    }
    let key_end = at.checked_add(suffix).filter(|&e| e <= d.len()).ok_or_else(corrupt)?;
    prev.key.truncate(shared);
    prev.key.extend_from_slice(&d[*at..key_end]);
    *at = key_end;
    let Some(len) = vlen.checked_sub(1) else { return Ok(None) };
    let len = usize::try_from(len).map_err(|_| corrupt())?;
    let end = at.checked_add(len).filter(|&e| e <= d.len()).ok_or_else(corrupt)?;
    let value = &d[*at..end];
    *at = end;
    Ok(Some(value))
}

/// Versions of a run in (key ascending, seq descending) order, from a lower bound.
pub(crate) struct RunIter<'a> {
    /// The run's records, or why they cannot be read (yielded as the iterator's error).
    body: Result<&'a Body>,
    next_block: usize,
    data: Vec<u8>,
    /// Holds a sealed block before it is opened into `data`.
    scratch: Vec<u8>,
    pos: usize,
    prev: Prev,
    lo: Bound<Vec<u8>>,
}

impl RunIter<'_> {
    fn decode(&mut self) -> Result<Option<Record>> {
        loop {
            if self.pos >= self.data.len() {
                let body = self.body.as_ref().map_err(|e| e.clone())?;
                if self.next_block >= body.blocks.len() {
                    return Ok(None);
                }
                body.blocks.read(self.next_block, &mut self.data, &mut self.scratch)?;
                self.next_block += 1;
                self.pos = 0;
                self.prev.reset();
                continue;
            }
            let value = decode_record(&self.data, &mut self.pos, &mut self.prev)?;
            let key = self.prev.key.as_slice();
            let below = match &self.lo {
                Bound::Included(lo) => key < lo.as_slice(),
                Bound::Excluded(lo) => key <= lo.as_slice(),
                Bound::Unbounded => false,
            };
            let rec = (!below).then(|| Record {
                key: key.to_vec(),
                seq: self.prev.seq,
                since: Timestamp(self.prev.since),
                value: value.map(<[u8]>::to_vec),
            });
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Records in run order: keys ascending (several versions of a key, newest first).
    fn records() -> impl Strategy<Value = Vec<Record>> {
        let key = prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 0xFF]), 0..6);
        let value = prop_oneof![
            Just(None),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(Some),
            // Large values make several blocks.
            (0usize..3).prop_map(|n| Some(vec![7u8; n * BLOCK / 2])),
        ];
        prop::collection::vec((key, any::<u64>(), any::<u64>(), value), 0..60).prop_map(|rs| {
            let mut rs: Vec<Record> = rs
                .into_iter()
                .map(|(key, seq, since, value)| Record { key, seq, since: Timestamp(since), value })
                .collect();
            rs.sort_by(|a, b| a.key.cmp(&b.key).then(b.seq.cmp(&a.seq)));
            rs
        })
    }

    fn write(rs: &[Record]) -> Run {
        let mut w = RunWriter::new(&SpillSettings::default()).expect("writer");
        for r in rs {
            w.push(&r.key, r.seq, r.since, r.value.as_deref()).expect("push");
        }
        w.finish().expect("finish")
    }

    /// [`write`] on a thread of its own; `fail_after` records, the writer fails.
    fn write_in_background(rs: &[Record], fail_after: Option<usize>) -> Run {
        let (first, last) = (rs[0].key.as_slice().into(), rs[rs.len() - 1].key.as_slice().into());
        let rs = rs.to_vec();
        Run::write_in_background(&SpillSettings::default(), (first, last), move |w| {
            for (i, r) in rs.iter().enumerate() {
                if fail_after == Some(i) {
                    return Err(Error::internal("no space left on device"));
                }
                w.push(&r.key, r.seq, r.since, r.value.as_deref())?;
            }
            Ok(())
        })
        .expect("spawn")
    }

    fn many_records() -> Vec<Record> {
        (0..50_000u32)
            .map(|i| Record {
                key: i.to_be_bytes().to_vec(),
                seq: u64::from(i),
                since: Timestamp(7),
                value: (i % 5 != 0).then(|| vec![(i % 251) as u8; 40]),
            })
            .collect()
    }

    #[test]
    fn a_run_written_in_the_background_reads_back_what_was_written() {
        let rs = many_records();
        let run = write_in_background(&rs, None);
        // The bounds are there before the records are.
        assert_eq!(run.key_bounds(), Some((&rs[0].key[..], &rs[rs.len() - 1].key[..])));
        let from: Vec<Record> =
            run.iter_from(Bound::Included(&rs[100].key)).collect::<Result<_>>().expect("iter");
        assert_eq!(from, rs[100..]);
        let mut n = 0;
        run.visit(&mut |_, _, _, _| {
            n += 1;
            Ok(())
        })
        .expect("visit");
        assert_eq!(n, rs.len());
    }

    #[test]
    fn a_failed_background_write_fails_every_read() {
        let run = write_in_background(&many_records(), Some(30_000));
        let err = run.wait().expect_err("wait");
        assert!(err.to_string().contains("no space left"), "{err}");
        assert!(run.iter_from(Bound::Unbounded).next().is_some_and(|r| r.is_err()));
        assert!(run.visit(&mut |_, _, _, _| Ok(())).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn runs_read_back_what_was_written(rs in records(), lo in prop::collection::vec(0u8..3, 0..4)) {
            let run = write(&rs);
            let mut seen = Vec::new();
            run.visit(&mut |key, seq, since, value| {
                seen.push(Record { key: key.to_vec(), seq, since, value: value.map(<[u8]>::to_vec) });
                Ok(())
            })
            .expect("visit");
            prop_assert_eq!(&seen, &rs);
            let from: Vec<Record> = run.iter_from(Bound::Included(&lo)).collect::<Result<_>>().expect("iter");
            let want: Vec<Record> = rs.iter().filter(|r| r.key >= lo).cloned().collect();
            prop_assert_eq!(from, want);
            if let Some(first) = rs.first() {
                prop_assert_eq!(run.key_bounds(), Some((first.key.as_slice(), rs[rs.len() - 1].key.as_slice())));
            }
        }

        #[test]
        fn damaged_blocks_never_panic(rs in records(), at in any::<usize>(), byte in any::<u8>()) {
            let rs: Vec<Record> = rs.into_iter().filter(|r| r.value.as_ref().is_none_or(|v| v.len() < 100)).collect();
            let mut w = RunWriter::new(&SpillSettings::default()).expect("writer");
            for r in &rs {
                w.push(&r.key, r.seq, r.since, r.value.as_deref()).expect("push");
            }
            let mut block = std::mem::take(&mut w.block);
            if !block.is_empty() {
                let i = at % block.len();
                block[i] = byte;
                let (mut pos, mut prev) = (0, Prev::default());
                while pos < block.len() {
                    if decode_record(&block, &mut pos, &mut prev).is_err() {
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn a_load_of_ascending_keys_takes_a_few_bytes_per_record() {
        let mut w = RunWriter::new(&SpillSettings::default()).expect("writer");
        for i in 0..1000u64 {
            let key = [&b"\x02\x00\x00\x40\x00"[..], &(i + (1 << 63)).to_be_bytes()].concat();
            w.push(&key, 5 + i, Timestamp(1_000_000), Some(b"row")).expect("push");
        }
        // Five one-byte numbers, one or two key bytes, the three value bytes.
        assert!(w.block.len() < 1000 * 10, "{} bytes", w.block.len());
    }
}
