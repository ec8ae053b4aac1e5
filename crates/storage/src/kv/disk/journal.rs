//! The commit journal: durable commits append one record to `data.journal` and sync it,
//! instead of committing redb durably (which writes and syncs every page the commit
//! touched, scattered over the data file).
//!
//! ```text
//!   durable write ──▶ redb commit, Durability::None ──▶ journal record ──▶ fdatasync(journal)
//!                     (pages stay in redb's cache        (one sequential      = acknowledged
//!                      and the OS page cache)             write)
//!
//!   every `journal_bytes` of records: checkpoint = a durable redb commit (one fsync of the
//!   data file for thousands of commits); the journal then starts again at offset 0
//! ```
//!
//! # Record format
//!
//! ```text
//!   record  = magic "HJ" | version 1 | sealing u8 | body length u32 | lsn u64 | body
//!   plain body     = payload | XXH3-128("HELIOSJL" | 16-byte record head | payload)
//!   encrypted body = nonce 12 | AES-256-GCM(payload) | tag 16, associated data = the head
//!   payload = op* ;  op = 1 | key length u32 | value length u32 | key | value   (put)
//!                       | 0 | key length u32 | key                             (delete)
//! ```
//!
//! All integers are little-endian. Every record carries its log sequence number (LSN);
//! the LSNs of the records in the file run consecutively from offset 0.
//!
//! A large commit's plain record is written in pieces as its payload is built
//! ([`RecordWriter`]): the payload first, after room for the head, then the checksum, and
//! the head last, with the sync that makes the commit durable, so that the record checks
//! out only once it is whole and its commit was not refused.
//!
//! # Recovery
//!
//! Every durable redb commit (a checkpoint, the replay at open, a commit too large for a
//! record) stores the LSN of the last record it holds in redb's `journal` table, in the
//! same redb transaction. After a crash redb comes back at its last durable commit (its
//! non-durable commits are lost), whose stored LSN says which records it already holds.
//! Replaying a record redb already holds would do no harm either: records hold whole
//! values, so applying a suffix of them again in order ends in the same state.
//! Opening reads records from offset 0 while they check out and their LSNs run on
//! consecutively, applies those above the stored LSN in one durable redb commit, and
//! starts a fresh journal. The scan stops at the first record that is torn, zeros
//! (preallocated space), or a leftover of an earlier round (its LSN is below the expected
//! one): no acknowledged record can lie beyond that point, because a record is
//! acknowledged only after a sync that also made every record before it durable.
//!
//! A round of the journal starts at offset 0 only after the checkpoint that ended the
//! previous round was synced, so the records a crash may still need are never
//! overwritten. The file is filled with zeros ahead of the write position, so a sync of a
//! record writes data blocks only, without file-system metadata.

use std::io;
use std::sync::Arc;

use redb::StorageBackend;

use crate::crypto::{DataKey, PageCipher, NONCE_LEN, SEALED_OVERHEAD, TAG_LEN};

/// Name of the journal file inside a database directory.
pub const JOURNAL_FILE: &str = "data.journal";

const MAGIC: [u8; 3] = [b'H', b'J', 1];
const HEAD_LEN: usize = 16;
const CHECKSUM_MAGIC: &[u8; 8] = b"HELIOSJL";
const SEAL_PLAIN: u8 = 0;
const SEAL_CIPHER: u8 = 1;
/// Zeros written ahead of the write position at a time.
const GROW: u64 = 1 << 20;
/// Records with a larger payload are not journaled: the commit goes to redb durably.
pub(crate) const MAX_PAYLOAD: usize = 64 << 20;

/// Records read back at open: `(LSN, payload)`, in order.
pub(crate) type Records = Vec<(u64, Vec<u8>)>;

/// How records are sealed.
enum Seal {
    Plain,
    Cipher(PageCipher),
}

/// The journal file and where the next record goes.
pub(crate) struct Journal {
    file: Arc<dyn StorageBackend>,
    seal: Seal,
    /// Where the next record is written.
    offset: u64,
    /// The file is zero-filled (or holds old records) up to here.
    allocated: u64,
    /// The LSN of the last record written (or of the last one redb held at open).
    last_lsn: u64,
    /// The payload of the record being built.
    payload: Vec<u8>,
    /// Records appended but not written yet (they end at `offset`).
    record: Vec<u8>,
    /// The head of a record written in pieces, not written yet: where it goes and its
    /// bytes. Until it is written the record does not check out.
    head: Option<(u64, [u8; HEAD_LEN])>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("offset", &self.offset)
            .field("last_lsn", &self.last_lsn)
            .finish()
    }
}

/// Appends one op to a payload.
pub(crate) fn push_op(payload: &mut Vec<u8>, key: &[u8], value: Option<&[u8]>) {
    match value {
        Some(v) => push_op_parts(payload, key, Some(&[v])),
        None => push_op_parts(payload, key, None),
    }
}

/// Appends one op to a payload, its value given as parts to concatenate.
pub(crate) fn push_op_parts(payload: &mut Vec<u8>, key: &[u8], value: Option<&[&[u8]]>) {
    match value {
        Some(parts) => {
            let len: usize = parts.iter().map(|p| p.len()).sum();
            payload.push(1);
            payload.extend_from_slice(&len32(key.len()).to_le_bytes());
            payload.extend_from_slice(&len32(len).to_le_bytes());
        }
        None => {
            payload.push(0);
            payload.extend_from_slice(&len32(key.len()).to_le_bytes());
        }
    }
    payload.extend_from_slice(key);
    for p in value.unwrap_or_default() {
        payload.extend_from_slice(p);
    }
}

/// The longest head of an op (kind and two lengths) before its key.
pub(crate) const OP_HEAD: usize = 9;

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("journal record is malformed: {what}"))
}

/// The ops of a payload, in order: `(key, Some(value))` for a put, `(key, None)` for a
/// delete. An error for bytes that do not decode (records are checked before, so this is
/// a backstop).
pub(crate) fn ops(payload: &[u8]) -> impl Iterator<Item = io::Result<(&[u8], Option<&[u8]>)>> {
    let mut rest = payload;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let op = next_op(&mut rest);
        if op.is_err() {
            rest = &[];
        }
        Some(op)
    })
}

/// One op of a payload: a key and its value, `None` for a delete.
pub(crate) type Op<'a> = (&'a [u8], Option<&'a [u8]>);

/// The op starting at byte `at` of a payload, and where the next one starts.
pub(crate) fn op_at(payload: &[u8], at: usize) -> io::Result<(Op<'_>, usize)> {
    let mut rest = payload.get(at..).ok_or_else(|| bad("op runs past the end"))?;
    let op = next_op(&mut rest)?;
    Ok((op, payload.len() - rest.len()))
}

/// Splits `n` bytes off the front of `rest`.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> io::Result<&'a [u8]> {
    if rest.len() < n {
        return Err(bad("op runs past the end"));
    }
    let (a, b) = rest.split_at(n);
    *rest = b;
    Ok(a)
}

fn take_u32(rest: &mut &[u8]) -> io::Result<usize> {
    let b = take(rest, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Decodes the op at the front of `rest`.
fn next_op<'a>(rest: &mut &'a [u8]) -> io::Result<(&'a [u8], Option<&'a [u8]>)> {
    let kind = take(rest, 1)?[0];
    let klen = take_u32(rest)?;
    match kind {
        1 => {
            let vlen = take_u32(rest)?;
            let key = take(rest, klen)?;
            Ok((key, Some(take(rest, vlen)?)))
        }
        0 => Ok((take(rest, klen)?, None)),
        _ => Err(bad("unknown op")),
    }
}

fn head(seal: u8, body_len: u32, lsn: u64) -> [u8; HEAD_LEN] {
    let mut h = [0u8; HEAD_LEN];
    h[..3].copy_from_slice(&MAGIC);
    h[3] = seal;
    h[4..8].copy_from_slice(&body_len.to_le_bytes());
    h[8..].copy_from_slice(&lsn.to_le_bytes());
    h
}

fn checksum(head: &[u8], payload: &[u8]) -> [u8; 16] {
    checksum_pieces(head, &[payload])
}

/// [`checksum`] of a payload in pieces.
fn checksum_pieces(head: &[u8], pieces: &[&[u8]]) -> [u8; 16] {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    h.update(CHECKSUM_MAGIC);
    h.update(head);
    for p in pieces {
        h.update(p);
    }
    h.digest128().to_le_bytes()
}

impl Journal {
    /// Opens the journal in `file`, sealed with `key` when the database is encrypted, and
    /// returns it with the records above `applied` (LSN and payload, in order).
    ///
    /// Fails with `InvalidData` when the first record above `applied` is not the one right
    /// after it: a record that was acknowledged is missing.
    pub(crate) fn open(
        file: Box<dyn StorageBackend>,
        key: Option<&DataKey>,
        applied: u64,
    ) -> io::Result<(Journal, Records)> {
        let seal = match key {
            Some(k) => {
                Seal::Cipher(PageCipher::new(k).map_err(|e| io::Error::other(e.to_string()))?)
            }
            None => Seal::Plain,
        };
        let len = file.len()?;
        let mut journal = Journal {
            file: Arc::from(file),
            seal,
            offset: 0,
            allocated: len,
            last_lsn: applied,
            payload: Vec::new(),
            record: Vec::new(),
            head: None,
        };
        let records = journal.scan(applied)?;
        if let Some((lsn, _)) = records.first() {
            if *lsn != applied + 1 {
                return Err(bad(&format!(
                    "the journal starts at record {lsn}, but the data file holds records up \
                     to {applied} only"
                )));
            }
        }
        if let Some((lsn, _)) = records.last() {
            journal.last_lsn = *lsn;
        }
        Ok((journal, records))
    }

    /// Reads the records from offset 0 while they check out and run on consecutively;
    /// returns those above `applied`.
    fn scan(&self, applied: u64) -> io::Result<Records> {
        let mut out = Vec::new();
        let mut pos = 0u64;
        let mut expected: Option<u64> = None;
        let mut h = [0u8; HEAD_LEN];
        while pos + HEAD_LEN as u64 <= self.allocated {
            self.file.read(pos, &mut h)?;
            if h[..3] != MAGIC {
                break;
            }
            let body_len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64;
            let mut lsn_bytes = [0u8; 8];
            lsn_bytes.copy_from_slice(&h[8..]);
            let lsn = u64::from_le_bytes(lsn_bytes);
            if expected.is_some_and(|e| e != lsn)
                || pos + HEAD_LEN as u64 + body_len > self.allocated
            {
                break;
            }
            let mut body = vec![0u8; body_len as usize];
            self.file.read(pos + HEAD_LEN as u64, &mut body)?;
            let Some(payload) = self.open_body(&h, &body) else { break };
            if lsn > applied {
                out.push((lsn, payload));
            }
            expected = Some(lsn + 1);
            pos += HEAD_LEN as u64 + body_len;
        }
        Ok(out)
    }

    /// The payload of a record, or `None` when it does not check out.
    fn open_body(&self, head: &[u8; HEAD_LEN], body: &[u8]) -> Option<Vec<u8>> {
        match (&self.seal, head[3]) {
            (Seal::Plain, SEAL_PLAIN) => {
                let n = body.len().checked_sub(16)?;
                let (payload, sum) = body.split_at(n);
                (checksum(head, payload) == sum).then(|| payload.to_vec())
            }
            (Seal::Cipher(c), SEAL_CIPHER) => {
                let n = body.len().checked_sub(SEALED_OVERHEAD)?;
                let mut out = vec![0u8; n];
                c.open(head, body, &mut out).ok()?;
                Some(out)
            }
            _ => None,
        }
    }

    /// The payload buffer of the next record, cleared; fill it with [`push_op`].
    pub(crate) fn payload(&mut self) -> &mut Vec<u8> {
        self.payload.clear();
        &mut self.payload
    }

    /// The LSN the next record gets.
    #[cfg(test)]
    pub(crate) fn next_lsn(&self) -> u64 {
        self.last_lsn + 1
    }

    /// The LSN of the last record written.
    pub(crate) fn last_lsn(&self) -> u64 {
        self.last_lsn
    }

    /// Bytes of records appended since the last checkpoint.
    pub(crate) fn written(&self) -> u64 {
        self.offset
    }

    /// Seals the payload built in [`Journal::payload`] as the record after the last one,
    /// into the buffer of records not written yet; [`Journal::flush`] or
    /// [`Journal::sync`] writes it. A relaxed commit costs no system call.
    pub(crate) fn append(&mut self) {
        let payload = std::mem::take(&mut self.payload);
        self.append_payload(&payload);
        self.payload = payload;
    }

    /// [`Journal::append`] for a payload built elsewhere (a large commit's, which its
    /// readers go on reading from memory until a checkpoint).
    pub(crate) fn append_payload(&mut self, payload: &[u8]) {
        let lsn = self.last_lsn + 1;
        let (code, body_len) = match &self.seal {
            Seal::Plain => (SEAL_PLAIN, payload.len() + 16),
            Seal::Cipher(_) => (SEAL_CIPHER, payload.len() + NONCE_LEN + TAG_LEN),
        };
        let h = head(code, len32(body_len), lsn);
        let start = self.record.len();
        self.record.extend_from_slice(&h);
        match &self.seal {
            Seal::Plain => {
                self.record.extend_from_slice(payload);
                self.record.extend_from_slice(&checksum(&h, payload));
            }
            Seal::Cipher(c) => {
                self.record.resize(start + HEAD_LEN + body_len, 0);
                c.seal(&h, payload, &mut self.record[start + HEAD_LEN..]);
            }
        }
        self.offset += (HEAD_LEN + body_len) as u64;
        self.last_lsn = lsn;
    }

    /// Bytes of records appended but not written to the file yet (a head held back
    /// counts as nothing: it is written with the next sync).
    pub(crate) fn unwritten(&self) -> usize {
        self.record.len()
    }

    /// Writes the records appended so far to the file (not synced).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if let Some((at, h)) = self.head {
            self.file.write(at, &h)?;
            self.head = None;
        }
        if self.record.is_empty() {
            return Ok(());
        }
        let at = self.offset - self.record.len() as u64;
        self.file.write(at, &self.record)?;
        self.record.clear();
        self.zero_ahead()
    }

    /// Fills the file with zeros ahead of the records written, so that syncing the
    /// records written there later changes no file-system metadata. The records cover
    /// the file up to `offset` (each starts at or before the zero-filled end).
    fn zero_ahead(&mut self) -> io::Result<()> {
        if self.offset > self.allocated {
            let grow = (self.offset - self.allocated).div_ceil(GROW) * GROW;
            let end = self.allocated + grow;
            let zeros = vec![0u8; (end - self.offset) as usize];
            self.file.write(self.offset, &zeros)?;
            self.allocated = end;
        }
        Ok(())
    }

    /// Starts a record whose payload is written piece by piece as it is produced (a large
    /// commit's), after every record before it; `None` for an encrypted journal, which
    /// seals a payload whole ([`Journal::append_pieces`]). No other record may be
    /// appended until the writer finished (the engine's writers pass one at a time).
    pub(crate) fn record_writer(&mut self) -> io::Result<Option<RecordWriter>> {
        if !matches!(self.seal, Seal::Plain) {
            return Ok(None);
        }
        self.flush()?;
        Ok(Some(RecordWriter { file: self.file.clone(), at: self.offset, written: 0 }))
    }

    /// Appends the record of a payload given in pieces. A plain payload is written at
    /// once, its head with the next flush; an encrypted record is sealed whole and
    /// written with the next flush. Either way it checks out only after that flush.
    pub(crate) fn append_pieces(&mut self, pieces: &[&[u8]]) -> io::Result<()> {
        match self.record_writer()? {
            Some(mut w) => {
                for p in pieces {
                    w.write(p)?;
                }
                w.finish(self, pieces)
            }
            None => {
                self.append_payload(&pieces.concat());
                Ok(())
            }
        }
    }

    /// Makes every record appended so far durable.
    #[cfg(test)]
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.flush()?;
        self.file.sync_data()
    }

    /// The file, to sync records written with [`Journal::flush`] without holding the
    /// journal (appends may go on meanwhile).
    pub(crate) fn file(&self) -> Arc<dyn StorageBackend> {
        self.file.clone()
    }

    /// Starts a new round at offset 0; call only once a durable redb commit holds every
    /// record appended so far (those not written yet are dropped).
    pub(crate) fn restart(&mut self) {
        self.offset = 0;
        self.record.clear();
        self.head = None;
    }

    /// Releases the file (its lock, if any).
    pub(crate) fn close(&self) -> io::Result<()> {
        self.file.close()
    }
}

/// A plain record being written piece by piece ([`Journal::record_writer`]): the pieces go
/// to the file after the room left for the head, and [`RecordWriter::finish`] writes the
/// checksum; the head is written by the journal's next [`Journal::flush`] (the one of the
/// sync that makes the commit durable, which refuses to run once the engine is poisoned).
/// Until then the record does not check out: neither a crash nor a commit that fails
/// before its sync leaves anything a scan would take for it.
pub(crate) struct RecordWriter {
    file: Arc<dyn StorageBackend>,
    /// Where the record starts.
    at: u64,
    /// Payload bytes written so far.
    written: u64,
}

impl RecordWriter {
    /// Writes the next piece of the payload (not synced).
    pub(crate) fn write(&mut self, piece: &[u8]) -> io::Result<()> {
        self.file.write(self.at + HEAD_LEN as u64 + self.written, piece)?;
        self.written += piece.len() as u64;
        Ok(())
    }

    /// Completes the record as the one after the last of `journal` (which must not have
    /// taken another since the writer started); `pieces` are every piece written, in
    /// order (the checksum covers them).
    pub(crate) fn finish(self, j: &mut Journal, pieces: &[&[u8]]) -> io::Result<()> {
        if j.offset != self.at || !j.record.is_empty() {
            return Err(io::Error::other("a journal record was appended during a large one"));
        }
        let lsn = j.last_lsn + 1;
        let body_len = self.written + 16;
        let h = head(SEAL_PLAIN, len32(body_len as usize), lsn);
        let end = self.at + HEAD_LEN as u64 + self.written;
        self.file.write(end, &checksum_pieces(&h, pieces))?;
        j.offset = self.at + HEAD_LEN as u64 + body_len;
        j.last_lsn = lsn;
        j.zero_ahead()?;
        j.head = Some((self.at, h));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::disk::mem_backend::MemBackend as Mem;

    fn key() -> DataKey {
        DataKey::from_bytes(zeroize::Zeroizing::new([7; 32]))
    }

    fn write(j: &mut Journal, n: u64) {
        for i in 0..n {
            let lsn = j.next_lsn();
            let p = j.payload();
            push_op(p, format!("k{lsn}").as_bytes(), Some(format!("v{i}").as_bytes()));
            push_op(p, b"gone", None);
            j.append();
        }
        j.sync().expect("sync");
    }

    type Op = (Vec<u8>, Option<Vec<u8>>);

    fn decode(records: &[(u64, Vec<u8>)]) -> Vec<(u64, Vec<Op>)> {
        records
            .iter()
            .map(|(lsn, p)| {
                let ops = ops(p)
                    .map(|o| {
                        let (k, v) = o.expect("op");
                        (k.to_vec(), v.map(<[u8]>::to_vec))
                    })
                    .collect();
                (*lsn, ops)
            })
            .collect()
    }

    #[test]
    fn records_round_trip_plain_and_encrypted_and_stop_at_damage() {
        let k = key();
        for encrypted in [false, true] {
            let mem = Mem::default();
            let (mut j, r) = Journal::open(Box::new(mem.clone()), encrypted.then_some(&k), 0)
                .expect("open empty");
            assert!(r.is_empty());
            write(&mut j, 5);
            let (_, r) =
                Journal::open(Box::new(mem.clone()), encrypted.then_some(&k), 2).expect("reopen");
            let got = decode(&r);
            assert_eq!(got.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![3, 4, 5]);
            assert_eq!(got[0].1[0], (b"k3".to_vec(), Some(b"v2".to_vec())));
            assert_eq!(got[0].1[1], (b"gone".to_vec(), None));
            // The plaintext is not in an encrypted file.
            let bytes = mem.0.lock().clone();
            assert_eq!(bytes.windows(2).any(|w| w == b"k3"), !encrypted);
            // Damage inside record 4: the scan stops before it.
            let payload = (1 + 4 + 4 + 2 + 2) + (1 + 4 + 4);
            let record_len = HEAD_LEN + payload + if encrypted { SEALED_OVERHEAD } else { 16 };
            mem.0.lock()[3 * record_len + 20] ^= 1;
            let (_, r) = Journal::open(Box::new(mem.clone()), encrypted.then_some(&k), 0)
                .expect("reopen damaged");
            assert_eq!(r.len(), 3, "{encrypted}");
        }
    }

    #[test]
    fn a_new_round_stops_at_the_leftovers_of_the_old_one() {
        let mem = Mem::default();
        let (mut j, _) = Journal::open(Box::new(mem.clone()), None, 0).expect("open");
        write(&mut j, 10);
        j.restart();
        write(&mut j, 2); // records 11 and 12 over 1 and 2; 3..10 are left over
        let (j2, r) = Journal::open(Box::new(mem.clone()), None, 10).expect("reopen");
        assert_eq!(r.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![11, 12]);
        assert_eq!(j2.last_lsn(), 12);
        // A data file that holds everything: nothing to replay.
        let (_, r) = Journal::open(Box::new(mem.clone()), None, 12).expect("reopen");
        assert!(r.is_empty());
        // A data file missing record 11 (not possible unless the journal was tampered
        // with or lost): refused rather than silently skipping an acknowledged commit.
        let err = Journal::open(Box::new(mem), None, 5).expect_err("gap");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_record_written_in_pieces_checks_out_only_after_the_next_flush() {
        let mem = Mem::default();
        let (mut j, _) = Journal::open(Box::new(mem.clone()), None, 0).expect("open");
        write(&mut j, 2);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        push_op(&mut a, b"big/1", Some(b"one"));
        push_op(&mut b, b"big/2", None);
        let mut w = j.record_writer().expect("writer").expect("a plain journal");
        w.write(&a).expect("piece");
        w.write(&b).expect("piece");
        w.finish(&mut j, &[&a, &b]).expect("finish");
        assert_eq!(j.last_lsn(), 3);
        // Written but for its head: a scan (an open after a crash, or after a commit
        // that was refused before its sync) stops before it.
        let (_, r) = Journal::open(Box::new(mem.clone()), None, 0).expect("reopen");
        assert_eq!(r.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1, 2]);
        j.sync().expect("sync");
        let (_, r) = Journal::open(Box::new(mem.clone()), None, 2).expect("reopen");
        let got = decode(&r);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 3);
        assert_eq!(
            got[0].1,
            vec![(b"big/1".to_vec(), Some(b"one".to_vec())), (b"big/2".to_vec(), None)]
        );
        // Encrypted journals seal such a record whole, also written with the next flush.
        let k = key();
        let mem = Mem::default();
        let (mut j, _) = Journal::open(Box::new(mem.clone()), Some(&k), 0).expect("open");
        assert!(j.record_writer().expect("writer").is_none());
        j.append_pieces(&[&a, &b]).expect("append");
        let (_, r) = Journal::open(Box::new(mem.clone()), Some(&k), 0).expect("reopen");
        assert!(r.is_empty());
        j.sync().expect("sync");
        let (_, r) = Journal::open(Box::new(mem), Some(&k), 0).expect("reopen");
        assert_eq!(decode(&r)[0].1.len(), 2);
    }

    #[test]
    fn the_wrong_sealing_reads_as_no_records() {
        let k = key();
        let mem = Mem::default();
        let (mut j, _) = Journal::open(Box::new(mem.clone()), Some(&k), 0).expect("open");
        write(&mut j, 3);
        let (_, r) = Journal::open(Box::new(mem.clone()), None, 0).expect("open as plain");
        assert!(r.is_empty());
        let other = DataKey::from_bytes(zeroize::Zeroizing::new([8; 32]));
        let (_, r) = Journal::open(Box::new(mem), Some(&other), 0).expect("wrong key");
        assert!(r.is_empty());
    }

    #[test]
    fn malformed_payloads_are_errors() {
        let mut p = Vec::new();
        push_op(&mut p, b"key", Some(b"value"));
        p.truncate(p.len() - 2);
        assert!(ops(&p).any(|o| o.is_err()));
        assert!(ops(&[9, 0, 0, 0, 0]).any(|o| o.is_err()));
    }
}
