//! The paged backend: redb's byte-addressed file mapped onto sealed pages — encrypted with
//! AES-256-GCM, or in plain files checksummed with XXH3-128 — so that every page read back
//! is verified: a damaged byte is an error (`XX001`), never a wrong value.
//!
//! # Page mapping
//!
//! redb sees a file of *logical* bytes cut into 4 KiB logical pages. Each logical page is
//! stored as one *physical* page of [`PHYSICAL_PAGE`] bytes, in one of two sealings:
//!
//! ```text
//!   encrypted page  = seq u64 | mark u64 | nonce 12 | ciphertext 4096 | GCM tag 16   (4140 bytes)
//!   associated data = "HELIOSPG" | logical page number u64 | seq u64 | mark u64
//!
//!   plain page      = seq u64 | mark u64 | zero 12  | data 4096       | checksum 16  (4140 bytes)
//!   checksum        = XXH3-128("HELIOSCK" | logical page number u64 | seq u64 | mark u64
//!                              | zero 12 | data 4096)
//!
//!   data file:  [ page 0, copy A ][ page 0, copy B ][ page 1 ][ page 2 ] ...
//!   offset:       0                 4140              8280      12420
//! ```
//!
//! Logical page `n >= 1` lives at physical offset `(n + 1) * 4140`. Reads and writes that
//! cover part of a page open the page, patch it and seal it again (with a fresh nonce when
//! encrypted). Both sealings share the layout and every rule below; the checksum detects
//! damage (and pages moved to another position) but, unlike the GCM tag, not deliberate
//! tampering by someone who can write the file.
//!
//! # Growing the file: the sealed mark
//!
//! redb grows its file in large steps and fills the new space gradually. Sealing zero pages
//! into all of it would encrypt and write most pages twice, so grown pages start out
//! *unwritten*: they read as zeros from memory, and stay holes in the file until written.
//! Each copy of page 0 records a **sealed mark**: every page below it is sealed. A sync
//! first seals any unwritten pages below the highest page written so far (gaps), then
//! records that mark in page 0 before the `fsync`. On open, pages below the mark must
//! authenticate — a page of zeros written there by an attacker is an error, not a blank
//! page — and pages from the mark on are unwritten again: no durable commit can refer to
//! them, because every page a durable commit refers to was written before its sync.
//!
//! # Why logical page 0 has two copies
//!
//! redb keeps its god byte and its two commit slots in the first 320 bytes of the file and
//! relies on a torn write of that region leaving the *other* slot intact. Sealing the whole
//! page would break that: a torn rewrite of a sealed page fails authentication as a whole,
//! losing both slots. So logical page 0 is double-buffered: every write of it seals the full
//! page into the copy that does *not* hold the newest synced version, tagged with a
//! sequence number one above any written before. Opening picks the valid copy with the
//! highest sequence number. A crash can therefore tear only a copy written since the last
//! sync, and opening then falls back to exactly the header redb last synced — a state
//! plain-file redb would also accept, because un-synced writes may be lost. On a clean close
//! the newest header is mirrored into the other copy too, so a damaged copy at rest falls
//! back to an identical header rather than an older one.
//!
//! Data pages are torn-write safe through redb's own repair: the disk engine commits in
//! redb's one-phase mode (one `fsync` per durable commit), and after a crash redb verifies
//! every page the newest commit slot reaches against the checksums stored in its tree,
//! falling back to the previous slot on a mismatch. While that repair runs, a page failing
//! *our* check is handed to redb as its stored bytes (plain) or as zeros (encrypted), for
//! redb's checksums to reject ([`PagedBackend::recovery`]).
//!
//! `tests/disk_power_loss.rs` cuts the power at random moments, tearing unsynced writes
//! sector by sector; switching off any one of the double-buffered page 0, the recovery
//! switch or the sealed mark makes it fail.
//!
//! # Writing in runs
//!
//! redb writes a commit's dirty pages one by one, in the order of its striped cache
//! rather than of the file, and then syncs. Handed to the kernel like that, a 4 KiB page
//! in a 4,140-byte slot straddles two kernel pages per write, and a commit of 70 MB made
//! 17,000 small writes that took about 110 ms and a sync of about 250 ms; the same bytes
//! in 1 MiB writes take about 30 ms and sync in about 125 ms. So sealed data pages wait
//! in memory ([`Pending`], up to [`PENDING_MAX`] bytes) and go to the file in page order,
//! contiguous pages in one write, before the next sync, read, resize or close. Nothing is
//! lost that was promised: a write is durable only after the sync that follows it.
//!
//! Limitations: replaying an older sealed copy of the *same* page number (a rollback of a
//! single page by someone who can write the file) authenticates; detecting that would need
//! a tree of page hashes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use redb::StorageBackend;
use zeroize::Zeroizing;

use crate::crypto::{DataKey, PageCipher};
use crate::prefault::{NextChunk, Prefaulter};

/// Bytes of redb-visible data per page.
pub const LOGICAL_PAGE: usize = 4096;
const META_LEN: usize = 16;
/// Bytes per sealed page on disk: sequence number, sealed mark, nonce, ciphertext, tag.
pub const PHYSICAL_PAGE: usize = META_LEN + LOGICAL_PAGE + crate::crypto::SEALED_OVERHEAD;
const P: u64 = PHYSICAL_PAGE as u64;
const L: u64 = LOGICAL_PAGE as u64;
const AAD_MAGIC: &[u8; 8] = b"HELIOSPG";
/// Pages sealed or opened per backend call when a request spans many pages.
const RUN: u64 = 64;
/// Most bytes of sealed pages held back before they are written anyway.
const PENDING_MAX: usize = 128 * 1024 * 1024;
/// Most bytes one write of contiguous held-back pages carries.
const WRITE_RUN_MAX: usize = 1024 * 1024;
/// Bytes of one chunk of held-back pages.
const HOLD_CHUNK: usize = 1024 * 1024;

/// redb's header: the god byte's offset and its flags (redb's file format, version 3).
const REDB_GOD_BYTE: usize = 9;
const REDB_RECOVERY_REQUIRED: u8 = 2;
const REDB_TWO_PHASE: u8 = 4;

/// Associated-data magic of checksummed (plain) pages.
const CHECKSUM_MAGIC: &[u8; 8] = b"HELIOSCK";
/// Bytes of checksum behind the data of a plain page (where an encrypted page has its tag).
const CHECKSUM_LEN: usize = crate::crypto::TAG_LEN;
/// Where the data of a plain page starts: behind the zeroed nonce slot.
const PLAIN_DATA: usize = META_LEN + crate::crypto::NONCE_LEN;

/// A page of the data file failed authentication (encrypted) or its checksum (plain):
/// wrong key, damage or tampering.
///
/// Carried inside an [`io::Error`] of kind `InvalidData` through redb, so the disk engine
/// can report it as `XX001`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageCorrupted {
    /// The logical page number.
    pub page: u64,
    /// Whether the file is encrypted (the page failed authentication, not a checksum).
    pub encrypted: bool,
}

impl fmt::Display for PageCorrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.encrypted {
            write!(
                f,
                "page {} of the encrypted data file failed authentication (wrong key, damaged or tampered data)",
                self.page
            )
        } else {
            write!(
                f,
                "page {} of the data file failed its checksum (damaged data, or not a data file of this format)",
                self.page
            )
        }
    }
}

impl std::error::Error for PageCorrupted {}

/// How pages are sealed.
enum Sealing {
    /// AES-256-GCM under the data key.
    Cipher(PageCipher),
    /// XXH3-128 checksums, data in the clear.
    Checksum,
}

fn aad(magic: &[u8; 8], page: u64, meta: &[u8]) -> [u8; 32] {
    let mut a = [0u8; 32];
    a[..8].copy_from_slice(magic);
    a[8..16].copy_from_slice(&page.to_le_bytes());
    a[16..].copy_from_slice(&meta[..META_LEN]);
    a
}

fn data_offset(page: u64) -> u64 {
    (page + 1) * P
}

fn copy_offset(copy: usize) -> u64 {
    copy as u64 * P
}

fn physical_len(pages: u64) -> u64 {
    if pages == 0 {
        0
    } else {
        (pages + 1) * P
    }
}

fn pages_in(physical: u64) -> u64 {
    if physical < 2 * P {
        0
    } else {
        physical / P - 1
    }
}

fn new_page_buffer() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(vec![0u8; LOGICAL_PAGE])
}

fn pages_for(len: u64) -> u64 {
    len.div_ceil(L)
}

/// Logical page 0 and the state of its two physical copies.
struct HeaderPage {
    plain: Zeroizing<Vec<u8>>,
    /// The copy holding the newest version known to be synced.
    synced_copy: usize,
    /// The other copy, when it was written after the last sync.
    pending_copy: Option<usize>,
    next_seq: u64,
    /// The sealed mark to record in the next copy written.
    sealed_mark: u64,
}

/// Sealed data pages not written to the file yet (see "Writing in runs").
#[derive(Default)]
struct Pending {
    /// By first logical page: where the sealed bytes of that page and the ones after it
    /// are held.
    runs: BTreeMap<u64, Held>,
    /// The sealed bytes of every run, appended; a run never spans two chunks.
    chunks: Vec<Vec<u8>>,
    bytes: usize,
    /// Faults in the next chunk while a large commit fills the current one (started at
    /// its second chunk, stopped when the pages are written out).
    helper: Option<Prefaulter>,
    next: NextChunk<u8>,
}

/// A held run: `pages` sealed pages at `offset` in chunk `chunk`.
#[derive(Clone, Copy)]
struct Held {
    pages: u64,
    chunk: usize,
    offset: usize,
}

impl Pending {
    /// Whether a held-back run covers any page of `from..to`.
    fn overlaps(&self, from: u64, to: u64) -> bool {
        self.runs.range(..to).next_back().is_some_and(|(&p, run)| p + run.pages > from)
    }

    /// The chunk `len` more bytes are appended to, and their offset in it.
    fn room(&mut self, len: usize) -> (usize, usize) {
        if let Some(c) = self.chunks.last().filter(|c| c.capacity() - c.len() >= len) {
            return (self.chunks.len() - 1, c.len());
        }
        if !self.chunks.is_empty() && self.helper.is_none() {
            self.helper = Prefaulter::start();
        }
        let chunk = if len > HOLD_CHUNK {
            Vec::with_capacity(len)
        } else {
            self.next.take(HOLD_CHUNK, self.helper.as_ref())
        };
        self.chunks.push(chunk);
        (self.chunks.len() - 1, 0)
    }

    /// The sealed bytes of a held run.
    fn bytes_of(&self, run: Held) -> &[u8] {
        &self.chunks[run.chunk][run.offset..run.offset + (run.pages * P) as usize]
    }

    /// Forgets every held run, keeping the first chunk for the next commit's pages.
    fn clear(&mut self) {
        self.runs.clear();
        self.chunks.truncate(1);
        if let Some(c) = self.chunks.first_mut() {
            c.clear();
        }
        self.bytes = 0;
        self.helper = None;
    }
}

/// Grown pages not sealed yet, and the sealed mark.
struct Lazy {
    /// Pages (`>= 1`) inside the file that read as zeros because they were never sealed.
    unwritten: BTreeSet<u64>,
    /// Every page below this one is sealed; every page from it on is unwritten.
    sealed_end: u64,
}

/// A [`StorageBackend`] that seals every page of `inner`, encrypted or checksummed (see
/// the module docs).
pub struct PagedBackend {
    inner: Box<dyn StorageBackend>,
    sealing: Sealing,
    /// Logical length; writers of data pages hold it shared, `set_len` exclusively.
    len: RwLock<u64>,
    header: Mutex<HeaderPage>,
    /// Set by any failed call to `inner`; a failed backend never mirrors its header.
    failed: std::sync::atomic::AtomicBool,
    /// Crash recovery of a plain file: pages failing their checksum read as their stored
    /// bytes, for redb's own checksums to judge (see [`PagedBackend::recovery`]).
    recovery: Arc<AtomicBool>,
    lazy: Mutex<Lazy>,
    pending: Mutex<Pending>,
    /// Whether pages are held back or being written out (set and cleared under
    /// `pending`'s lock), so that reads skip that lock when nothing is.
    holding: AtomicBool,
}

impl fmt::Debug for PagedBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagedBackend")
            .field("encrypted", &self.is_encrypted())
            .field("len", &*self.len.read())
            .finish()
    }
}

impl PagedBackend {
    /// Opens the encrypted file in `inner` with the data key.
    ///
    /// Fails with a [`PageCorrupted`] error when no copy of page 0 authenticates (wrong key
    /// or damaged file).
    pub fn encrypted(inner: Box<dyn StorageBackend>, key: &DataKey) -> io::Result<PagedBackend> {
        let cipher = PageCipher::new(key).map_err(|e| io::Error::other(e.to_string()))?;
        PagedBackend::new(inner, Sealing::Cipher(cipher))
    }

    /// Opens the plain, checksummed file in `inner`.
    ///
    /// Fails with a [`PageCorrupted`] error when no copy of page 0 passes its checksum.
    pub fn checksummed(inner: Box<dyn StorageBackend>) -> io::Result<PagedBackend> {
        PagedBackend::new(inner, Sealing::Checksum)
    }

    /// The crash-recovery switch, on when the file was opened after a crash that followed
    /// a one-phase commit; whoever opens redb over this backend must turn it off once
    /// redb's open (and so its repair) is done.
    ///
    /// Durable commits use redb's one-phase mode (one `fsync`): a crash can leave the
    /// newest commit slot naming pages that were torn or never written. redb's repair then
    /// verifies every page reachable from that slot against the checksums in its tree and
    /// falls back to the previous slot on a mismatch — so while it runs, a data page failing
    /// *our* check is handed to redb as its stored bytes (plain) or as zeros (encrypted: no
    /// unauthenticated byte is ever decrypted into view), and redb's checksums decide.
    /// Everything redb keeps after repair passed its checksums, which sit in pages (and a
    /// header) that passed ours; zeros can pass only where the genuine page hashed the same.
    pub fn recovery(&self) -> Arc<AtomicBool> {
        self.recovery.clone()
    }

    /// Whether pages are encrypted (rather than only checksummed).
    pub fn is_encrypted(&self) -> bool {
        matches!(self.sealing, Sealing::Cipher(_))
    }

    fn corrupted(&self, page: u64) -> io::Error {
        let encrypted = self.is_encrypted();
        io::Error::new(io::ErrorKind::InvalidData, PageCorrupted { page, encrypted })
    }

    fn new(inner: Box<dyn StorageBackend>, sealing: Sealing) -> io::Result<PagedBackend> {
        // Whatever a previous process wrote without syncing becomes durable now, so the copy
        // picked below is a synced one.
        let physical = inner.len()?;
        if physical > 0 {
            inner.sync_data()?;
        }
        let pages = pages_in(physical);
        let mut header = HeaderPage {
            plain: Zeroizing::new(vec![0u8; LOGICAL_PAGE]),
            synced_copy: 1,
            pending_copy: None,
            next_seq: 1,
            sealed_mark: 1,
        };
        let backend_len = pages * L;
        let this = PagedBackend {
            inner,
            sealing,
            len: RwLock::new(backend_len),
            header: Mutex::new(HeaderPage {
                plain: Zeroizing::new(Vec::new()),
                synced_copy: 1,
                pending_copy: None,
                next_seq: 1,
                sealed_mark: 1,
            }),
            failed: std::sync::atomic::AtomicBool::new(false),
            recovery: Arc::new(AtomicBool::new(false)),
            lazy: Mutex::new(Lazy { unwritten: BTreeSet::new(), sealed_end: 1 }),
            pending: Mutex::new(Pending::default()),
            holding: AtomicBool::new(false),
        };
        if pages > 0 {
            let mut best: Option<(u64, u64, usize)> = None;
            let mut plain = Zeroizing::new(vec![0u8; LOGICAL_PAGE]);
            let mut sealed = vec![0u8; PHYSICAL_PAGE];
            for copy in 0..2 {
                this.inner.read(copy_offset(copy), &mut sealed)?;
                if let Ok((seq, mark)) = this.open_page(0, &sealed, &mut plain) {
                    if best.is_none_or(|(s, _, _)| seq > s) {
                        best = Some((seq, mark, copy));
                        header.plain.copy_from_slice(&plain);
                    }
                }
            }
            let (seq, mark, copy) = best.ok_or_else(|| this.corrupted(0))?;
            header.synced_copy = copy;
            header.next_seq = seq + 1;
            // Pages from the mark on were never sealed before the last sync: no durable
            // state refers to them, so they start out as zeros.
            let mark = mark.clamp(1, pages);
            header.sealed_mark = mark;
            *this.lazy.lock() = Lazy { unwritten: (mark..pages).collect(), sealed_end: mark };
        }
        let god = header.plain[REDB_GOD_BYTE];
        let one_phase_crash = god & REDB_RECOVERY_REQUIRED != 0 && god & REDB_TWO_PHASE == 0;
        if one_phase_crash {
            this.recovery.store(true, Ordering::SeqCst);
        }
        *this.header.lock() = header;
        Ok(this)
    }

    /// Appends `plain` sealed as page `page` to `out`; `seq` and `mark` are 0 except for
    /// copies of page 0. (Appending, not writing into a zeroed buffer: a large commit seals
    /// tens of megabytes, and zeroing them first cost as much as the checksums.)
    fn seal_page(&self, page: u64, seq: u64, mark: u64, plain: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(&mark.to_le_bytes());
        match &self.sealing {
            Sealing::Cipher(cipher) => {
                out.resize(start + PHYSICAL_PAGE, 0);
                let sealed = &mut out[start..];
                let aad = aad(AAD_MAGIC, page, sealed);
                cipher.seal(&aad, plain, &mut sealed[META_LEN..]);
            }
            Sealing::Checksum => {
                out.extend_from_slice(&[0; PLAIN_DATA - META_LEN]);
                out.extend_from_slice(plain);
                let sum = checksum(page, &out[start..]);
                out.extend_from_slice(&sum);
            }
        }
    }

    /// Opens a sealed page into `out`, returning its sequence number and sealed mark.
    fn open_page(&self, page: u64, sealed: &[u8], out: &mut [u8]) -> io::Result<(u64, u64)> {
        match &self.sealing {
            Sealing::Cipher(cipher) => {
                let aad = aad(AAD_MAGIC, page, sealed);
                if cipher.open(&aad, &sealed[META_LEN..], out).is_err() {
                    // `open` zeroed `out`: during crash recovery redb's checksums judge it.
                    if page == 0 || !self.recovery.load(Ordering::SeqCst) {
                        return Err(self.corrupted(page));
                    }
                }
            }
            Sealing::Checksum => {
                let (body, sum) = sealed.split_at(PLAIN_DATA + LOGICAL_PAGE);
                if checksum(page, sealed) != sum
                    && (page == 0 || !self.recovery.load(Ordering::SeqCst))
                {
                    return Err(self.corrupted(page));
                }
                out.copy_from_slice(&body[PLAIN_DATA..]);
            }
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&sealed[i..i + 8]);
            u64::from_le_bytes(b)
        };
        Ok((word(0), word(8)))
    }

    fn track<T>(&self, r: io::Result<T>) -> io::Result<T> {
        if r.is_err() {
            self.failed.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        r
    }

    /// Seals the in-memory page 0 into the copy not holding the synced version. The pages
    /// held back go first, so a header never reaches the file before the pages it names
    /// (as when every write went straight to the file).
    fn write_header_copy(&self, h: &mut HeaderPage) -> io::Result<()> {
        self.write_pending()?;
        let target = 1 - h.synced_copy;
        let seq = h.next_seq;
        h.next_seq += 1;
        let mut sealed = Vec::with_capacity(PHYSICAL_PAGE);
        self.seal_page(0, seq, h.sealed_mark, &h.plain, &mut sealed);
        h.pending_copy = Some(target);
        self.track(self.inner.write(copy_offset(target), &sealed))
    }

    fn check_range(len: u64, offset: u64, n: usize) -> io::Result<()> {
        match offset.checked_add(n as u64) {
            Some(end) if end <= len => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("access of {n} bytes at offset {offset} is past the end ({len} bytes)"),
            )),
        }
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let end = offset + out.len() as u64;
        let mut pos = offset;
        let mut scratch: Option<Zeroizing<Vec<u8>>> = None;
        while pos < end {
            let page = pos / L;
            if page == 0 {
                let n = (L.min(end) - pos) as usize;
                let at = (pos - offset) as usize;
                let h = self.header.lock();
                out[at..at + n].copy_from_slice(&h.plain[pos as usize..pos as usize + n]);
                pos += n as u64;
                continue;
            }
            let last = (end - 1) / L;
            let mut count = (last - page + 1).min(RUN);
            if let Some(first) = self.first_unwritten(page, page + count) {
                if first == page {
                    // Grown but not sealed yet: zeros.
                    let to = end.min((page + 1) * L);
                    let at = (pos - offset) as usize;
                    out[at..at + (to - pos) as usize].fill(0);
                    pos = to;
                    continue;
                }
                count = first - page;
            }
            let mut sealed = vec![0u8; (count * P) as usize];
            self.track(self.inner.read(data_offset(page), &mut sealed))?;
            for (i, chunk) in sealed.chunks_exact(PHYSICAL_PAGE).enumerate() {
                let p = page + i as u64;
                let page_start = p * L;
                let from = pos.max(page_start);
                let to = end.min(page_start + L);
                let at = (from - offset) as usize;
                if from == page_start && to == page_start + L {
                    self.open_page(p, chunk, &mut out[at..at + LOGICAL_PAGE])?;
                } else {
                    let plain = scratch.get_or_insert_with(new_page_buffer);
                    self.open_page(p, chunk, plain)?;
                    let s = (from - page_start) as usize;
                    out[at..at + (to - from) as usize]
                        .copy_from_slice(&plain[s..s + (to - from) as usize]);
                }
                pos = to;
            }
        }
        Ok(())
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let end = offset + data.len() as u64;
        let mut pos = offset;
        let mut scratch: Option<Zeroizing<Vec<u8>>> = None;
        while pos < end {
            let page = pos / L;
            if page == 0 {
                let n = (L.min(end) - pos) as usize;
                let at = (pos - offset) as usize;
                let mut h = self.header.lock();
                h.plain[pos as usize..pos as usize + n].copy_from_slice(&data[at..at + n]);
                self.write_header_copy(&mut h)?;
                pos += n as u64;
                continue;
            }
            let last = (end - 1) / L;
            let count = (last - page + 1).min(RUN);
            if pos == page * L && end >= (page + count) * L {
                // Whole pages, the usual case: sealed straight into the held-back buffer.
                let at = (pos - offset) as usize;
                self.hold(page, count, &mut |out| {
                    for (i, plain) in
                        data[at..].chunks_exact(LOGICAL_PAGE).take(count as usize).enumerate()
                    {
                        self.seal_page(page + i as u64, 0, 0, plain, out);
                    }
                })?;
                self.mark_written(page, page + count);
                pos = (page + count) * L;
                continue;
            }
            let mut sealed = Vec::with_capacity((count * P) as usize);
            for p in page..page + count {
                let page_start = p * L;
                let from = pos.max(page_start);
                let to = end.min(page_start + L);
                let at = (from - offset) as usize;
                if from == page_start && to == page_start + L {
                    self.seal_page(p, 0, 0, &data[at..at + LOGICAL_PAGE], &mut sealed);
                } else {
                    let plain = scratch.get_or_insert_with(new_page_buffer);
                    if self.first_unwritten(p, p + 1).is_some() {
                        plain.fill(0);
                    } else {
                        let mut old = vec![0u8; PHYSICAL_PAGE];
                        self.write_pending()?;
                        self.track(self.inner.read(data_offset(p), &mut old))?;
                        self.open_page(p, &old, plain)?;
                    }
                    let s = (from - page_start) as usize;
                    plain[s..s + (to - from) as usize]
                        .copy_from_slice(&data[at..at + (to - from) as usize]);
                    self.seal_page(p, 0, 0, plain, &mut sealed);
                }
                pos = to;
            }
            self.hold(page, count, &mut |out| out.extend_from_slice(&sealed))?;
            self.mark_written(page, page + count);
        }
        Ok(())
    }

    /// The first page in `from..to` that is grown but not sealed yet.
    fn first_unwritten(&self, from: u64, to: u64) -> Option<u64> {
        let lazy = self.lazy.lock();
        if lazy.unwritten.is_empty() {
            return None;
        }
        lazy.unwritten.range(from..to).next().copied()
    }

    /// Records that pages `from..to` are sealed on disk.
    fn mark_written(&self, from: u64, to: u64) {
        let mut lazy = self.lazy.lock();
        lazy.sealed_end = lazy.sealed_end.max(to);
        if lazy.unwritten.is_empty() {
            return;
        }
        let done: Vec<u64> = lazy.unwritten.range(from..to).copied().collect();
        for p in done {
            lazy.unwritten.remove(&p);
        }
    }

    /// Holds back `count` sealed pages starting at `page` (see "Writing in runs"), which
    /// `seal` appends to the buffer it is given; pages held back already are written
    /// first if these overlap them.
    fn hold(&self, page: u64, count: u64, seal: &mut dyn FnMut(&mut Vec<u8>)) -> io::Result<()> {
        let len = (count * P) as usize;
        let full = {
            let mut pending = self.pending.lock();
            if pending.overlaps(page, page + count) {
                drop(pending);
                self.write_pending()?;
                pending = self.pending.lock();
            }
            let (chunk, offset) = pending.room(len);
            seal(&mut pending.chunks[chunk]);
            if pending.chunks[chunk].len() != offset + len {
                return Err(io::Error::other("sealed pages of the wrong size"));
            }
            pending.runs.insert(page, Held { pages: count, chunk, offset });
            pending.bytes += len;
            self.holding.store(true, Ordering::Release);
            pending.bytes >= PENDING_MAX
        };
        if full {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Writes the held-back pages out. The lock is held, and `holding` stays set, until
    /// they are in the file, so a reader that finds nothing held back never reads a page
    /// another thread is still writing out.
    fn write_pending(&self) -> io::Result<()> {
        if !self.holding.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut pending = self.pending.lock();
        let written = self.write_runs(&pending);
        pending.clear();
        self.holding.store(false, Ordering::Release);
        written
    }

    /// Writes the held runs in page order, contiguous ones together.
    fn write_runs(&self, pending: &Pending) -> io::Result<()> {
        // Contiguous runs gathered for one write, and their bytes.
        let mut group: Vec<(u64, &[u8])> = Vec::new();
        let mut group_bytes = 0;
        let mut joined = Vec::new();
        for (&page, &run) in &pending.runs {
            let sealed = pending.bytes_of(run);
            let joins = group.last().is_some_and(|(p, s)| p + s.len() as u64 / P == page)
                && group_bytes + sealed.len() <= WRITE_RUN_MAX;
            if !joins {
                self.write_group(&mut group, &mut joined)?;
                group_bytes = 0;
            }
            group_bytes += sealed.len();
            group.push((page, sealed));
        }
        self.write_group(&mut group, &mut joined)
    }

    /// Writes (and empties) a group of contiguous sealed runs: a lone run as it is, several
    /// copied together into `joined`.
    fn write_group(&self, group: &mut Vec<(u64, &[u8])>, joined: &mut Vec<u8>) -> io::Result<()> {
        let Some(&(first, _)) = group.first() else { return Ok(()) };
        let bytes: &[u8] = if let [(_, sealed)] = group.as_slice() {
            sealed
        } else {
            joined.clear();
            group.iter().for_each(|(_, sealed)| joined.extend_from_slice(sealed));
            joined
        };
        let written = self.track(self.inner.write(data_offset(first), bytes));
        group.clear();
        written
    }

    /// Seals the unwritten pages below the sealed end, so every page below it
    /// authenticates; returns the sealed end.
    fn seal_gaps(&self) -> io::Result<u64> {
        let (gaps, end) = {
            let lazy = self.lazy.lock();
            let gaps: Vec<u64> = lazy.unwritten.range(..lazy.sealed_end).copied().collect();
            (gaps, lazy.sealed_end)
        };
        let mut i = 0;
        while i < gaps.len() {
            let mut j = i + 1;
            while j < gaps.len() && gaps[j] == gaps[j - 1] + 1 {
                j += 1;
            }
            self.zero_fill(gaps[i], gaps[j - 1] + 1)?;
            i = j;
        }
        Ok(end)
    }

    /// Seals zero pages `from..to` (all `>= 1`).
    fn zero_fill(&self, from: u64, to: u64) -> io::Result<()> {
        let zeros = [0u8; LOGICAL_PAGE];
        let mut page = from;
        while page < to {
            let count = (to - page).min(RUN);
            self.hold(page, count, &mut |out| {
                for p in page..page + count {
                    self.seal_page(p, 0, 0, &zeros, out);
                }
            })?;
            self.mark_written(page, page + count);
            page += count;
        }
        Ok(())
    }
}

/// The checksum of a plain physical page (`sealed` up to its checksum field).
fn checksum(page: u64, sealed: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    h.update(&aad(CHECKSUM_MAGIC, page, sealed));
    h.update(&sealed[META_LEN..PLAIN_DATA + LOGICAL_PAGE]);
    h.digest128().to_le_bytes()
}

impl StorageBackend for PagedBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(*self.len.read())
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let len = self.len.read();
        Self::check_range(*len, offset, out.len())?;
        if offset + out.len() as u64 > L {
            self.write_pending()?;
        }
        self.read_at(offset, out)
    }

    fn set_len(&self, new_len: u64) -> io::Result<()> {
        let mut len = self.len.write();
        // Held-back pages past a new end must not grow the file again later.
        self.write_pending()?;
        let old_pages = pages_for(*len);
        let new_pages = pages_for(new_len);
        if new_pages > old_pages {
            self.track(self.inner.set_len(physical_len(new_pages)))?;
            if old_pages == 0 {
                let mut h = self.header.lock();
                h.plain.fill(0);
                self.write_header_copy(&mut h)?;
            }
            self.lazy.lock().unwritten.extend(old_pages.max(1)..new_pages);
        } else {
            if new_len < *len && !new_len.is_multiple_of(L) {
                // Bytes past the end must read as zeros if the file grows again.
                let tail_end = (*len).min(new_pages * L);
                let zeros = vec![0u8; (tail_end - new_len) as usize];
                self.write_at(new_len, &zeros)?;
            }
            if new_pages < old_pages {
                self.track(self.inner.set_len(physical_len(new_pages)))?;
                let mut lazy = self.lazy.lock();
                lazy.unwritten.retain(|&p| p < new_pages);
                lazy.sealed_end = lazy.sealed_end.min(new_pages.max(1));
            }
            if new_pages == 0 {
                let mut h = self.header.lock();
                h.plain.fill(0);
                h.synced_copy = 1;
                h.pending_copy = None;
            }
        }
        *len = new_len;
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let len = self.len.read();
        let end = self.seal_gaps()?;
        let mut h = self.header.lock();
        if *len > 0 && h.sealed_mark != end {
            h.sealed_mark = end;
            self.write_header_copy(&mut h)?;
        }
        self.write_pending()?;
        self.track(self.inner.sync_data())?;
        if let Some(copy) = h.pending_copy.take() {
            h.synced_copy = copy;
        }
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let len = self.len.read();
        Self::check_range(*len, offset, data.len())?;
        self.write_at(offset, data)
    }

    fn close(&self) -> io::Result<()> {
        let mirror = {
            // Same lock order as writes: length, then page 0.
            let len = self.len.read();
            let mut h = self.header.lock();
            let failed = self.failed.load(std::sync::atomic::Ordering::SeqCst);
            let clean = !failed && h.pending_copy.is_none() && *len > 0;
            if clean {
                self.seal_gaps()
                    .and_then(|end| {
                        h.sealed_mark = end;
                        self.write_header_copy(&mut h)
                    })
                    .and_then(|()| self.track(self.inner.sync_data()))
                    .map(|()| {
                        if let Some(copy) = h.pending_copy.take() {
                            h.synced_copy = copy;
                        }
                    })
            } else if !failed {
                self.write_pending()
            } else {
                Ok(())
            }
        };
        let closed = self.inner.close();
        mirror.and(closed)
    }

    fn try_lock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn lock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<(), redb::BackendError> {
        self.inner.lock_range(start, end)
    }

    fn unlock_range(
        &self,
        start: std::ops::Bound<u64>,
        end: std::ops::Bound<u64>,
    ) -> Result<(), redb::BackendError> {
        self.inner.unlock_range(start, end)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;

    use crate::kv::disk::mem_backend::MemBackend;

    fn key() -> DataKey {
        DataKey::from_bytes(Zeroizing::new([3u8; 32]))
    }

    fn open(mem: &MemBackend) -> PagedBackend {
        PagedBackend::encrypted(Box::new(mem.clone()), &key()).unwrap()
    }

    fn open_plain(mem: &MemBackend) -> PagedBackend {
        PagedBackend::checksummed(Box::new(mem.clone())).unwrap()
    }

    #[test]
    fn partial_and_spanning_reads_and_writes() {
        let mem = MemBackend::default();
        let b = open(&mem);
        b.set_len(5 * L).unwrap();
        assert_eq!(mem.len().unwrap(), physical_len(5));
        let data: Vec<u8> = (0..9000u32).map(|i| (i % 251) as u8).collect();
        b.write(100, &data).unwrap();
        b.write(L - 3, b"xyzzy").unwrap();
        let mut model = vec![0u8; 5 * L as usize];
        model[100..9100].copy_from_slice(&data);
        model[L as usize - 3..L as usize + 2].copy_from_slice(b"xyzzy");
        let mut out = vec![0u8; model.len()];
        b.read(0, &mut out).unwrap();
        assert_eq!(out, model);
        let mut part = vec![0u8; 10];
        b.read(2 * L - 5, &mut part).unwrap();
        assert_eq!(part, model[2 * L as usize - 5..2 * L as usize + 5]);
        assert!(b.read(5 * L - 1, &mut part).is_err());
        assert!(b.write(5 * L, b"x").is_err());
        // Reopening reads the same bytes back.
        b.sync_data().unwrap();
        drop(b);
        let b = open(&mem);
        let mut again = vec![0u8; model.len()];
        b.read(0, &mut again).unwrap();
        assert_eq!(again, model);
    }

    #[test]
    fn shrinking_zeroes_the_cut_off_tail() {
        let mem = MemBackend::default();
        let b = open(&mem);
        b.set_len(3 * L).unwrap();
        b.write(0, &vec![0xAA; 3 * L as usize]).unwrap();
        b.set_len(L + 10).unwrap();
        assert_eq!(b.len().unwrap(), L + 10);
        b.set_len(3 * L).unwrap();
        let mut out = vec![0u8; 3 * L as usize];
        b.read(0, &mut out).unwrap();
        assert!(out[..L as usize + 10].iter().all(|&x| x == 0xAA));
        assert!(out[L as usize + 10..].iter().all(|&x| x == 0));
        b.set_len(0).unwrap();
        assert_eq!(mem.len().unwrap(), 0);
    }

    #[test]
    fn a_torn_header_copy_falls_back_to_the_synced_one() {
        let mem = MemBackend::default();
        let b = open(&mem);
        b.set_len(2 * L).unwrap();
        b.write(0, b"synced header").unwrap();
        b.sync_data().unwrap();
        b.write(0, b"unsynced write").unwrap();
        let pending = b.header.lock().pending_copy.unwrap();
        drop(b);
        // Tear the copy written after the sync.
        mem.0.lock()[copy_offset(pending) as usize + 2000] ^= 0xFF;
        let b = open(&mem);
        let mut out = [0u8; 13];
        b.read(0, &mut out).unwrap();
        assert_eq!(&out, b"synced header");
        // Untorn, the newer copy wins.
        drop(b);
        let mem2 = MemBackend::default();
        let b = open(&mem2);
        b.set_len(L).unwrap();
        b.write(0, b"first").unwrap();
        b.sync_data().unwrap();
        b.write(0, b"second").unwrap();
        drop(b);
        let b = open(&mem2);
        let mut out = [0u8; 6];
        b.read(0, &mut out).unwrap();
        assert_eq!(&out, b"second");
    }

    #[test]
    fn writes_between_syncs_never_touch_the_synced_copy() {
        let mem = MemBackend::default();
        let b = open(&mem);
        b.set_len(L).unwrap();
        b.write(0, b"v1").unwrap();
        b.sync_data().unwrap();
        let synced = b.header.lock().synced_copy;
        let before = mem.0.lock()[copy_offset(synced) as usize..][..PHYSICAL_PAGE].to_vec();
        for i in 0..5u8 {
            b.write(0, &[b'w', i]).unwrap();
        }
        let after = mem.0.lock()[copy_offset(synced) as usize..][..PHYSICAL_PAGE].to_vec();
        assert_eq!(before, after);
    }

    #[test]
    fn clean_close_mirrors_the_header_into_both_copies() {
        let mem = MemBackend::default();
        let b = open(&mem);
        b.set_len(2 * L).unwrap();
        b.write(0, b"final").unwrap();
        b.sync_data().unwrap();
        b.close().unwrap();
        drop(b);
        for copy in 0..2 {
            // Destroy one copy; the other still has the final header.
            let m = MemBackend(Arc::new(Mutex::new(mem.0.lock().clone())));
            m.0.lock()[copy_offset(copy) as usize + 100] ^= 1;
            let b = open(&m);
            let mut out = [0u8; 5];
            b.read(0, &mut out).unwrap();
            assert_eq!(&out, b"final", "copy {copy} damaged");
        }
    }

    #[test]
    fn zero_filled_and_damaged_pages() {
        let mem = MemBackend::default();
        let b = open(&mem);
        b.set_len(5 * L).unwrap();
        b.write(L, &vec![9u8; 3 * L as usize]).unwrap();
        b.sync_data().unwrap();
        drop(b);
        // A sealed page overwritten with zeros does not pass as an empty page.
        let start = data_offset(2) as usize;
        mem.0.lock()[start..start + PHYSICAL_PAGE].fill(0);
        let b = open(&mem);
        let mut out = vec![0u8; 10];
        let err = b.read(2 * L, &mut out).unwrap_err();
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<PageCorrupted>());
        assert_eq!(inner, Some(&PageCorrupted { page: 2, encrypted: true }));
        b.read(3 * L, &mut out).unwrap();
        assert_eq!(out, vec![9u8; 10]);
        // Page 4 was never written: past the sealed mark, it reads as zeros.
        b.read(4 * L, &mut out).unwrap();
        assert_eq!(out, vec![0u8; 10]);
        // A wrong key fails on page 0.
        drop(b);
        let other = DataKey::from_bytes(Zeroizing::new([4u8; 32]));
        assert!(PagedBackend::encrypted(Box::new(mem.clone()), &other).is_err());
    }

    #[test]
    fn grown_pages_read_as_zeros_and_gaps_are_sealed_by_the_next_sync() {
        let mem = MemBackend::default();
        let b = open(&mem);
        b.set_len(L).unwrap();
        b.sync_data().unwrap();
        b.set_len(5 * L).unwrap();
        b.write(2 * L + 100, b"abc").unwrap();
        let mut out = vec![1u8; 4 * L as usize];
        b.read(L, &mut out).unwrap();
        let mut expected = vec![0u8; 4 * L as usize];
        expected[L as usize + 100..L as usize + 103].copy_from_slice(b"abc");
        assert_eq!(out, expected);
        let on_disk_zero = |p: u64| {
            let at = data_offset(p) as usize;
            mem.0.lock()[at..at + PHYSICAL_PAGE].iter().all(|&x| x == 0)
        };
        assert!(on_disk_zero(1) && !on_disk_zero(2) && on_disk_zero(3));
        // The sync seals page 1, the gap below the highest written page, not pages 3-4.
        b.sync_data().unwrap();
        assert!(!on_disk_zero(1) && on_disk_zero(3) && on_disk_zero(4));
        drop(b);
        let b = open(&mem);
        let mut again = vec![1u8; 4 * L as usize];
        b.read(L, &mut again).unwrap();
        assert_eq!(again, expected);
        // A non-zero page past the mark is never trusted: it reads as zeros until written.
        let at = data_offset(4) as usize;
        mem.0.lock()[at + 100] = 0x77;
        let mut tail = vec![1u8; L as usize];
        b.read(4 * L, &mut tail).unwrap();
        assert_eq!(tail, vec![0u8; L as usize]);
    }

    #[test]
    fn plain_pages_are_checksummed_and_stored_in_the_clear() {
        let mem = MemBackend::default();
        let b = open_plain(&mem);
        assert!(!b.is_encrypted());
        b.set_len(4 * L).unwrap();
        b.write(L, &vec![0x5Au8; 2 * L as usize]).unwrap();
        b.write(0, b"header bytes").unwrap();
        b.sync_data().unwrap();
        drop(b);
        let at = data_offset(1) as usize + PLAIN_DATA;
        assert_eq!(mem.0.lock()[at..at + LOGICAL_PAGE], vec![0x5Au8; LOGICAL_PAGE][..]);
        // Every single flipped byte of a data page is an error, never other data.
        for pos in [0, 8, 16, 27, PLAIN_DATA, PLAIN_DATA + 2000, PHYSICAL_PAGE - 1] {
            let m = MemBackend(Arc::new(Mutex::new(mem.0.lock().clone())));
            m.0.lock()[data_offset(2) as usize + pos] ^= 0x04;
            let b = open_plain(&m);
            let mut out = vec![0u8; 16];
            let err = b.read(2 * L + 8, &mut out).unwrap_err();
            let inner = err.get_ref().and_then(|e| e.downcast_ref::<PageCorrupted>());
            assert_eq!(inner, Some(&PageCorrupted { page: 2, encrypted: false }), "byte {pos}");
            assert!(err.to_string().contains("checksum"), "{err}");
            b.read(L, &mut out).unwrap();
            assert_eq!(out, vec![0x5Au8; 16]);
        }
        // A page moved to another position fails too (the page number is checksummed).
        let m = MemBackend(Arc::new(Mutex::new(mem.0.lock().clone())));
        {
            let mut bytes = m.0.lock();
            let (p1, p2) = (data_offset(1) as usize, data_offset(2) as usize);
            let copy = bytes[p1..p1 + PHYSICAL_PAGE].to_vec();
            bytes[p2..p2 + PHYSICAL_PAGE].copy_from_slice(&copy);
        }
        let b = open_plain(&m);
        assert!(b.read(2 * L, &mut [0u8; 4]).is_err());
        // Both header copies damaged: the file does not open.
        let m = MemBackend(Arc::new(Mutex::new(mem.0.lock().clone())));
        m.0.lock()[100] ^= 1;
        m.0.lock()[PHYSICAL_PAGE + 100] ^= 1;
        assert!(PagedBackend::checksummed(Box::new(m)).is_err());
        // An encrypted file is not a plain one, nor the other way round.
        assert!(PagedBackend::encrypted(Box::new(mem.clone()), &key()).is_err());
        let b = open_plain(&mem);
        let mut head = [0u8; 12];
        b.read(0, &mut head).unwrap();
        assert_eq!(&head, b"header bytes");
    }

    /// A backend over memory that records the (offset, length) of every write it passes
    /// on, and can make its next data write announce itself and then take a while.
    #[derive(Debug, Clone, Default)]
    struct Recording {
        mem: MemBackend,
        writes: Arc<Mutex<Vec<(u64, usize)>>>,
        slow_next: Arc<Mutex<Option<std::sync::mpsc::Sender<()>>>>,
    }

    impl StorageBackend for Recording {
        fn len(&self) -> io::Result<u64> {
            self.mem.len()
        }
        fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
            self.mem.read(offset, out)
        }
        fn set_len(&self, len: u64) -> io::Result<()> {
            self.mem.set_len(len)
        }
        fn sync_data(&self) -> io::Result<()> {
            self.mem.sync_data()
        }
        fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
            if offset >= data_offset(1) {
                if let Some(started) = self.slow_next.lock().take() {
                    let _ = started.send(());
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
            self.writes.lock().push((offset, data.len()));
            self.mem.write(offset, data)
        }
    }

    #[test]
    fn pages_written_out_of_order_reach_the_file_as_one_run_at_the_sync() {
        let rec = Recording::default();
        let b = PagedBackend::checksummed(Box::new(rec.clone())).unwrap();
        b.set_len(41 * L).unwrap();
        rec.writes.lock().clear();
        // Pages 1..=40 in the scattered order of redb's striped cache.
        let page = |p: u64| vec![p as u8; LOGICAL_PAGE];
        let mut order: Vec<u64> = (1..=40).collect();
        order.sort_by_key(|p| (p * 35) % 131);
        for &p in &order {
            b.write(p * L, &page(p)).unwrap();
        }
        assert!(rec.writes.lock().is_empty(), "pages wait for the sync");
        // A read sees them at once (they are written out first).
        let mut out = vec![0u8; LOGICAL_PAGE];
        b.read(7 * L, &mut out).unwrap();
        assert_eq!(out, page(7));
        assert_eq!(*rec.writes.lock(), vec![(data_offset(1), 40 * PHYSICAL_PAGE)]);
        // Later pages wait again, and the sync writes them before its header.
        rec.writes.lock().clear();
        for p in [9, 3, 4] {
            b.write(p * L, &page(p + 100)).unwrap();
        }
        b.sync_data().unwrap();
        let writes = rec.writes.lock().clone();
        assert_eq!(
            writes,
            vec![
                (data_offset(3), 2 * PHYSICAL_PAGE),
                (data_offset(9), PHYSICAL_PAGE),
                (copy_offset(0), PHYSICAL_PAGE),
            ]
        );
        drop(b);
        let b = PagedBackend::checksummed(Box::new(rec.mem.clone())).unwrap();
        for p in 1..=40u64 {
            b.read(p * L, &mut out).unwrap();
            let want = if [3, 4, 9].contains(&p) { p + 100 } else { p };
            assert_eq!(out, page(want), "page {p}");
        }
    }

    #[test]
    fn a_commit_of_many_pages_is_held_in_chunks_and_written_in_page_order() {
        let rec = Recording::default();
        let b = PagedBackend::checksummed(Box::new(rec.clone())).unwrap();
        let n = 700u64;
        b.set_len((n + 1) * L).unwrap();
        rec.writes.lock().clear();
        let page = |p: u64| vec![(p % 251) as u8; LOGICAL_PAGE];
        // Scattered single pages, then one write of eight whole pages and one of a page
        // and a half (its last page partly written).
        let mut order: Vec<u64> = (1..=n - 16).collect();
        order.sort_by_key(|p| (p * 35) % 131);
        for &p in &order {
            b.write(p * L, &page(p)).unwrap();
        }
        let eight: Vec<u8> = (n - 15..=n - 8).flat_map(page).collect();
        b.write((n - 15) * L, &eight).unwrap();
        let mut tail = page(n - 7);
        tail.extend_from_slice(&page(n - 6)[..LOGICAL_PAGE / 2]);
        b.write((n - 7) * L, &tail).unwrap();
        let held = b.pending.lock().chunks.len();
        assert!(held >= 3, "{held} chunks hold {n} pages");
        assert!(rec.writes.lock().is_empty(), "pages wait for the sync");
        b.sync_data().unwrap();
        let writes = rec.writes.lock().clone();
        // Pages 1..=n-6 are contiguous: 1 MiB writes in file order, then the header copy.
        let (data, header) = writes.split_at(writes.len() - 1);
        assert_eq!(header, [(copy_offset(0), PHYSICAL_PAGE)]);
        assert!(data.windows(2).all(|w| w[0].0 + w[0].1 as u64 == w[1].0), "{data:?}");
        assert!(data.iter().all(|w| w.1 <= WRITE_RUN_MAX), "{data:?}");
        assert_eq!(data[0].0, data_offset(1));
        assert_eq!(data.iter().map(|w| w.1).sum::<usize>(), (n - 6) as usize * PHYSICAL_PAGE);
        assert!(b.pending.lock().chunks.len() <= 1, "written-out chunks are freed");
        drop(b);
        let b = PagedBackend::checksummed(Box::new(rec.mem.clone())).unwrap();
        let mut out = vec![0u8; LOGICAL_PAGE];
        for p in 1..=n - 7 {
            b.read(p * L, &mut out).unwrap();
            assert_eq!(out, page(p), "page {p}");
        }
        b.read((n - 6) * L, &mut out).unwrap();
        assert_eq!(out[..LOGICAL_PAGE / 2], page(n - 6)[..LOGICAL_PAGE / 2]);
        assert!(out[LOGICAL_PAGE / 2..].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_read_waits_for_held_pages_another_thread_is_writing_out() {
        let (tx, rx) = std::sync::mpsc::channel();
        let slow = Recording::default();
        let b = PagedBackend::checksummed(Box::new(slow.clone())).unwrap();
        b.set_len(10 * L).unwrap();
        b.write(5 * L, &[7u8; LOGICAL_PAGE]).unwrap();
        *slow.slow_next.lock() = Some(tx);
        std::thread::scope(|scope| {
            // This read writes page 5 out, slowly.
            scope.spawn(|| b.read(9 * L, &mut [0u8; 16]).unwrap());
            rx.recv().unwrap();
            // Meanwhile another reader asks for page 5 itself.
            let mut out = vec![0u8; LOGICAL_PAGE];
            b.read(5 * L, &mut out).unwrap();
            assert_eq!(out, vec![7u8; LOGICAL_PAGE]);
        });
    }

    #[derive(Debug, Clone)]
    enum Op {
        Write(u64, Vec<u8>),
        Read(u64, usize),
        SetLen(u64),
        Sync,
        Reopen,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..6 * L, prop::collection::vec(any::<u8>(), 1..9000)).prop_map(|(o, d)| Op::Write(o, d)),
            3 => (0..6 * L, 1usize..9000).prop_map(|(o, n)| Op::Read(o, n)),
            1 => (0..6 * L).prop_map(Op::SetLen),
            1 => Just(Op::Sync),
            1 => Just(Op::Reopen),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn behaves_like_a_byte_vector(ops in prop::collection::vec(op(), 1..30), plain: bool) {
            let mem = MemBackend::default();
            let open = if plain { open_plain } else { open };
            let mut b = open(&mem);
            let mut model: Vec<u8> = Vec::new();
            for op in ops {
                match op {
                    Op::Write(o, d) => {
                        let fits = o as usize + d.len() <= model.len();
                        prop_assert_eq!(b.write(o, &d).is_ok(), fits);
                        if fits {
                            model[o as usize..o as usize + d.len()].copy_from_slice(&d);
                        }
                    }
                    Op::Read(o, n) => {
                        let mut out = vec![0u8; n];
                        let fits = o as usize + n <= model.len();
                        prop_assert_eq!(b.read(o, &mut out).is_ok(), fits);
                        if fits {
                            prop_assert_eq!(&out[..], &model[o as usize..o as usize + n]);
                        }
                    }
                    Op::SetLen(n) => {
                        b.set_len(n).unwrap();
                        model.resize(n as usize, 0);
                    }
                    Op::Sync => b.sync_data().unwrap(),
                    Op::Reopen => {
                        b.sync_data().unwrap();
                        b.close().unwrap();
                        drop(b);
                        b = open(&mem);
                        // Lengths come back rounded to whole pages, and the tail reads as zeros.
                        model.resize(b.len().unwrap() as usize, 0);
                    }
                }
                prop_assert_eq!(b.len().unwrap(), model.len() as u64);
            }
        }
    }
}
