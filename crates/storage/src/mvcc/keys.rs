//! Byte layout of every key the MVCC layer stores in the engine.
//!
//! See `docs/storage-format.md`, section "MVCC keys", for the tables.
//!
//! ```text
//! data     [0x01][branch varint][escaped user key][!commit_ts u64 BE] -> [0x01][value] | [0x00]
//! meta     [0x02][name bytes]                                         -> per-name value
//! log      [0x03][txn_id u64 BE]                                      -> [commit_ts u64 BE][branch u32 BE]
//! gc queue [0x04][superseded_at u64 BE][branch u32 BE][version ts u64 BE][raw user key] -> []
//! changes  [0x05][branch u32 BE][commit_ts u64 BE][chunk u32 BE]      -> prefix-compressed keys
//! ```
//!
//! The branch id of a data key is an order-preserving variable-length integer (one byte
//! below 240). The user key is escaped so it is prefix-free while keeping byte order: zero
//! bytes, common in big-endian ids and integers, are written as runs (`0x00` and one byte
//! telling the run's length and what follows it), see [`escape_into`]. The commit
//! timestamp is stored bit-inverted, so the newest version of a key sorts first.

use std::ops::Bound;

use helios_common::{BranchId, Result, Timestamp, TxnId};

use crate::StorageError;

/// The first byte of every key: which keyspace it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Space {
    /// Versioned user data.
    Data = 0x01,
    /// Storage metadata: clock, retention, branch registry.
    Meta = 0x02,
    /// The commit log: transaction id to commit timestamp and branch.
    CommitLog = 0x03,
    /// Superseded versions waiting for garbage collection.
    GcQueue = 0x04,
    /// The change index: which keys each branch wrote at which commit timestamp.
    Changes = 0x05,
}

/// Meta key of the storage format version (`u32 BE`, [`FORMAT`]).
pub(crate) const META_FORMAT: &[u8] = b"\x02format";
/// The storage format this version writes and reads: 3 = compact data keys (branch varint,
/// zero-run escaping) and prefix-compressed change-index chunks.
pub(crate) const FORMAT: u32 = 3;
/// Meta key of the clock high-water mark (`u64 BE` microseconds).
pub(crate) const META_CLOCK: &[u8] = b"\x02clock";
/// Meta key of the retention period (`u64 BE` microseconds).
pub(crate) const META_RETENTION: &[u8] = b"\x02retention";
/// Meta key of the horizon up to which garbage was collected (`u64 BE`).
pub(crate) const META_GC_HORIZON: &[u8] = b"\x02gc_horizon";
/// Meta key of the next branch id (`u32 BE`).
pub(crate) const META_NEXT_BRANCH: &[u8] = b"\x02next_branch";
/// Meta key prefix of branch registry rows, followed by the branch id (`u32 BE`).
pub(crate) const META_BRANCH_PREFIX: &[u8] = b"\x02branch/";

/// Meta key prefix of merge records, followed by source and destination ids (`u32 BE`).
pub(crate) const META_MERGE_PREFIX: &[u8] = b"\x02merge/";

/// Length of the inverted timestamp suffix.
const TS_LEN: usize = 8;

fn corrupted(what: &str) -> helios_common::Error {
    StorageError::Corrupted(what.to_string()).into()
}

/// Longest zero run one escape token holds.
const MAX_RUN: usize = 127;
/// Escape token byte: 127 zeros, and the run goes on.
const RUN_GOES_ON: u8 = 0x80;

/// Appends the escaped form of `key`: order-preserving and prefix-free.
///
/// Bytes other than `0x00` are copied. A run of `k` zero bytes (`1 <= k <= 127`) becomes
/// `0x00` and one token byte: `k` when the key ends after the run, `256 - k` when a
/// non-zero byte follows; longer runs first emit `0x00 0x80` per 127 zeros. A key that
/// does not end in zeros ends with `0x00 0x00`. Token bytes sort as the keys do: a key
/// ending after `k` zeros sorts below every key with more zeros there, and a key going on
/// after `k` zeros with a non-zero byte sorts above them.
pub fn escape_into(out: &mut Vec<u8>, key: &[u8]) {
    if key.len() < SHORT_KEY {
        escape_short(out, key);
    } else {
        escape_long(out, key);
    }
}

/// Keys shorter than this (nearly all: a table prefix and a few key columns) are escaped
/// in a stack buffer: their zero runs are shorter than [`MAX_RUN`], and their escaped
/// form is at most `2 * len + 2` bytes.
const SHORT_KEY: usize = 64;

/// [`escape_into`] for a key shorter than [`SHORT_KEY`]: byte by byte into a zeroed stack
/// buffer (the zero bytes of the escapes are already there), then one copy.
fn escape_short(out: &mut Vec<u8>, key: &[u8]) {
    let mut buf = [0u8; 2 * SHORT_KEY];
    let mut n = 0;
    let mut zeros = 0u8;
    for &b in key {
        if b == 0 {
            zeros += 1;
            continue;
        }
        if zeros > 0 {
            // `0x00`, then `256 - k`: `k` zeros and a non-zero byte follows.
            buf[n + 1] = 0u8.wrapping_sub(zeros);
            n += 2;
            zeros = 0;
        }
        buf[n] = b;
        n += 1;
    }
    // `0x00 k` for a key ending in `k` zeros, `0x00 0x00` otherwise.
    buf[n + 1] = zeros;
    out.extend_from_slice(&buf[..n + 2]);
}

/// [`escape_into`] for any key, byte by byte.
fn escape_long(out: &mut Vec<u8>, key: &[u8]) {
    out.reserve(key.len() + 2);
    let mut zeros = 0usize;
    for &b in key {
        if b == 0 {
            zeros += 1;
            continue;
        }
        if zeros > 0 {
            push_zero_run(out, zeros, false);
            zeros = 0;
        }
        out.push(b);
    }
    if zeros > 0 {
        push_zero_run(out, zeros, true);
    } else {
        out.extend_from_slice(&[0, 0]);
    }
}

/// Escapes a sequence of keys as [`escape_into`] does, reusing the escape of the bytes
/// each key shares with the one before it: the keys of a commit arrive ascending, and
/// consecutive ones mostly differ in their last few bytes.
#[derive(Debug, Default)]
pub(crate) struct Escaper {
    /// The last key escaped.
    key: Vec<u8>,
    /// Its escape up to and including its last non-zero byte (no trailing zeros, no end).
    body: Vec<u8>,
    /// For each byte of `key`: the length of `body` once that byte is written (zero bytes:
    /// unused).
    ends: Vec<usize>,
}

impl Escaper {
    /// Appends `[0x01][branch][escaped key]` (see [`push_key_prefix`]).
    pub(crate) fn push_key_prefix(&mut self, out: &mut Vec<u8>, branch: BranchId, key: &[u8]) {
        out.push(Space::Data as u8);
        push_branch(out, branch);
        self.escape_into(out, key);
    }

    /// Appends the escaped form of `key`, exactly what [`escape_into`] appends.
    pub(crate) fn escape_into(&mut self, out: &mut Vec<u8>, key: &[u8]) {
        let shared = common_prefix(&self.key, key);
        // The escape of the shared bytes is complete after the last non-zero one of them;
        // a zero run there may go on differently.
        let keep = key[..shared].iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        self.body.truncate(keep.checked_sub(1).map_or(0, |i| self.ends[i]));
        self.key.truncate(keep);
        self.ends.truncate(keep);
        let mut zeros = 0usize;
        for &b in &key[keep..] {
            self.key.push(b);
            if b == 0 {
                zeros += 1;
                self.ends.push(0);
                continue;
            }
            if zeros > 0 {
                push_zero_run(&mut self.body, zeros, false);
                zeros = 0;
            }
            self.body.push(b);
            self.ends.push(self.body.len());
        }
        out.extend_from_slice(&self.body);
        if zeros > 0 {
            push_zero_run(out, zeros, true);
        } else {
            out.extend_from_slice(&[0, 0]);
        }
    }
}

/// The escape of a run of `run` (at least one) zero bytes; `last` when the key ends
/// after it.
fn push_zero_run(out: &mut Vec<u8>, mut run: usize, last: bool) {
    while run > MAX_RUN {
        out.extend_from_slice(&[0, RUN_GOES_ON]);
        run -= MAX_RUN;
    }
    // `run` is 1..=127 here.
    let token = if last { run as u8 } else { (256 - run) as u8 };
    out.extend_from_slice(&[0, token]);
}

/// Unescapes `body`, which must be exactly one escaped key, into `out` (cleared first).
fn unescape_into(body: &[u8], out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    let bad = || corrupted("bad escape in versioned key");
    let mut i = 0;
    loop {
        match body.get(i) {
            None => return Err(corrupted("unterminated key in versioned key")),
            Some(0) => {
                let token = *body.get(i + 1).ok_or_else(bad)?;
                i += 2;
                match token {
                    0..=0x7F => {
                        out.resize(out.len() + usize::from(token), 0);
                        return if i == body.len() { Ok(()) } else { Err(bad()) };
                    }
                    RUN_GOES_ON => {
                        // Another zero run must follow, and not the empty end token.
                        if body.get(i) != Some(&0) || body.get(i + 1).is_none_or(|&t| t == 0) {
                            return Err(bad());
                        }
                        out.resize(out.len() + MAX_RUN, 0);
                    }
                    _ => {
                        // A non-zero byte must follow.
                        if body.get(i).is_none_or(|&b| b == 0) {
                            return Err(bad());
                        }
                        out.resize(out.len() + 256 - usize::from(token), 0);
                    }
                }
            }
            Some(&b) => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// Appends `branch` as an order-preserving variable-length integer: one byte for ids
/// below 240, else `0xF0 + n` and the id's `n` significant big-endian bytes.
pub fn push_branch(out: &mut Vec<u8>, branch: BranchId) {
    let v = branch.0;
    if v < 0xF0 {
        out.push(v as u8);
        return;
    }
    let bytes = v.to_be_bytes();
    let skip = (v.leading_zeros() / 8) as usize;
    out.push(0xF0 + (4 - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Reads a branch id written by [`push_branch`] at the start of `raw`; returns it and its
/// length. Non-canonical forms are corruption.
fn read_branch(raw: &[u8]) -> Result<(BranchId, usize)> {
    let bad = || corrupted("malformed branch id in versioned key");
    let first = *raw.first().ok_or_else(bad)?;
    if first < 0xF0 {
        return Ok((BranchId(u32::from(first)), 1));
    }
    let n = usize::from(first - 0xF0);
    let bytes = raw.get(1..1 + n).ok_or_else(bad)?;
    if !(1..=4).contains(&n) || bytes[0] == 0 {
        return Err(bad());
    }
    let v = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    if v < 0xF0 {
        return Err(bad());
    }
    Ok((BranchId(v), 1 + n))
}

/// Appends `[0x01][branch][escaped key]`, the common prefix of all versions of `key`.
pub fn push_key_prefix(out: &mut Vec<u8>, branch: BranchId, key: &[u8]) {
    out.push(Space::Data as u8);
    push_branch(out, branch);
    escape_into(out, key);
}

/// `[0x01][branch]`: the start of a branch's data keyspace.
pub fn branch_prefix(branch: BranchId) -> Vec<u8> {
    let mut k = Vec::with_capacity(6);
    k.push(Space::Data as u8);
    push_branch(&mut k, branch);
    k
}

/// The first key after every data key of `branch`.
pub fn branch_end(branch: BranchId) -> Vec<u8> {
    match branch.0.checked_add(1) {
        Some(next) => branch_prefix(BranchId(next)),
        None => vec![Space::Data as u8 + 1],
    }
}

/// `[0x01][branch][escaped key]`: the common prefix of all versions of `key`.
pub fn key_prefix(branch: BranchId, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 8 + TS_LEN);
    push_key_prefix(&mut k, branch, key);
    k
}

/// The versioned key of `key` on `branch` committed at `ts`.
pub fn version_key(branch: BranchId, key: &[u8], ts: Timestamp) -> Vec<u8> {
    let mut k = key_prefix(branch, key);
    k.extend_from_slice(&(!ts.0).to_be_bytes());
    k
}

/// The last possible versioned key of `key` (its oldest version, timestamp 0).
pub(crate) fn key_last(branch: BranchId, key: &[u8]) -> Vec<u8> {
    version_key(branch, key, Timestamp::ZERO)
}

/// A decoded data key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionKey {
    /// The branch whose keyspace holds it.
    pub branch: BranchId,
    /// The user key.
    pub key: Vec<u8>,
    /// The commit timestamp of the version.
    pub ts: Timestamp,
}

/// Splits a data key into its branch and escaped body (without the timestamp).
fn split_data_key(raw: &[u8]) -> Result<(BranchId, &[u8])> {
    if raw.len() < 1 + 1 + 2 + TS_LEN || raw[0] != Space::Data as u8 {
        return Err(corrupted("malformed versioned key"));
    }
    let (branch, len) = read_branch(&raw[1..raw.len() - TS_LEN])?;
    Ok((branch, &raw[1 + len..raw.len() - TS_LEN]))
}

/// Decodes a data key; bytes that are not one give a corruption error.
pub fn decode_version_key(raw: &[u8]) -> Result<VersionKey> {
    let (branch, body) = split_data_key(raw)?;
    let mut key = Vec::with_capacity(body.len());
    unescape_into(body, &mut key)?;
    let mut ts = [0u8; TS_LEN];
    ts.copy_from_slice(&raw[raw.len() - TS_LEN..]);
    Ok(VersionKey { branch, key, ts: Timestamp(!u64::from_be_bytes(ts)) })
}

/// The user key of a data key, borrowed from `raw` when its escaped form holds no `0x00`
/// but the terminator, else unescaped into `buf`; the timestamp is not decoded. Bytes
/// that are not a data key give a corruption error.
pub fn user_key_of<'k>(raw: &'k [u8], buf: &'k mut Vec<u8>) -> Result<&'k [u8]> {
    let (_, body) = split_data_key(raw)?;
    if body.len() < 2 {
        return Err(corrupted("unterminated key in versioned key"));
    }
    let (key, term) = body.split_at(body.len() - 2);
    if term == [0, 0] && !key.contains(&0) {
        return Ok(key);
    }
    unescape_into(body, buf)?;
    Ok(buf)
}

/// The commit timestamp of a data key (its last eight bytes, inverted), without
/// checking the rest.
pub(crate) fn version_ts(raw: &[u8]) -> Option<Timestamp> {
    let t = raw.get(raw.len().checked_sub(TS_LEN)?..)?;
    let t: [u8; TS_LEN] = t.try_into().ok()?;
    Some(Timestamp(!u64::from_be_bytes(t)))
}

/// The engine range holding all versions of the user keys inside `range` on `branch`.
pub fn data_range(
    branch: BranchId,
    range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let lo = match &range.0 {
        Bound::Included(k) => Bound::Included(key_prefix(branch, k)),
        Bound::Excluded(k) => Bound::Excluded(key_last(branch, k)),
        Bound::Unbounded => Bound::Included(branch_prefix(branch)),
    };
    let hi = match &range.1 {
        Bound::Included(k) => Bound::Included(key_last(branch, k)),
        Bound::Excluded(k) => Bound::Excluded(key_prefix(branch, k)),
        Bound::Unbounded => Bound::Excluded(branch_end(branch)),
    };
    (lo, hi)
}

/// Borrows an owned range as the engine's [`KvRange`](crate::kv::KvRange).
pub(crate) fn as_kv_range(r: &(Bound<Vec<u8>>, Bound<Vec<u8>>)) -> crate::kv::KvRange<'_> {
    (r.0.as_ref().map(Vec::as_slice), r.1.as_ref().map(Vec::as_slice))
}

/// Encodes a version's value: `[0x01][bytes]` for a value, `[0x00]` for a tombstone.
pub fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(1);
            out.extend_from_slice(v);
            out
        }
        None => vec![0],
    }
}

/// Decodes a version's value; `None` is a tombstone.
pub fn decode_value(raw: &[u8]) -> Result<Option<Vec<u8>>> {
    match raw.split_first() {
        Some((1, v)) => Ok(Some(v.to_vec())),
        Some((0, [])) => Ok(None),
        _ => Err(corrupted("malformed version value")),
    }
}

/// [`decode_value`], reusing the buffer of `raw`.
pub fn decode_value_owned(mut raw: Vec<u8>) -> Result<Option<Vec<u8>>> {
    match raw.first() {
        Some(1) => {
            raw.remove(0);
            Ok(Some(raw))
        }
        Some(0) if raw.len() == 1 => Ok(None),
        _ => Err(corrupted("malformed version value")),
    }
}

/// The commit-log key of `txn`.
pub(crate) fn commit_log_key(txn: TxnId) -> Vec<u8> {
    let mut k = vec![Space::CommitLog as u8];
    k.extend_from_slice(&txn.0.to_be_bytes());
    k
}

/// The commit-log value: commit timestamp and branch.
pub(crate) fn commit_log_value(ts: Timestamp, branch: BranchId) -> Vec<u8> {
    let mut v = Vec::with_capacity(12);
    v.extend_from_slice(&ts.0.to_be_bytes());
    v.extend_from_slice(&branch.0.to_be_bytes());
    v
}

/// Decodes a commit-log entry into its transaction id, commit timestamp and branch.
pub(crate) fn decode_commit_log(key: &[u8], value: &[u8]) -> Result<(TxnId, Timestamp, BranchId)> {
    let k: [u8; 8] = key
        .get(1..)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| corrupted("malformed commit log key"))?;
    if value.len() != 12 {
        return Err(corrupted("malformed commit log entry"));
    }
    Ok((
        TxnId(u64::from_be_bytes(k)),
        Timestamp(read_u64(&value[..8])?),
        BranchId(read_u32(&value[8..])?),
    ))
}

/// A queued superseded version: `version` of `key` on `branch` stopped being the newest at
/// `superseded_at`. When `version == superseded_at` the entry is a tombstone's own entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GcEntry {
    pub superseded_at: Timestamp,
    pub branch: BranchId,
    pub version: Timestamp,
    pub key: Vec<u8>,
}

impl GcEntry {
    /// The queue key of this entry.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(21 + self.key.len());
        k.push(Space::GcQueue as u8);
        k.extend_from_slice(&self.superseded_at.0.to_be_bytes());
        k.extend_from_slice(&self.branch.0.to_be_bytes());
        k.extend_from_slice(&self.version.0.to_be_bytes());
        k.extend_from_slice(&self.key);
        k
    }

    /// Decodes a queue key.
    pub(crate) fn decode(raw: &[u8]) -> Result<GcEntry> {
        if raw.len() < 21 || raw[0] != Space::GcQueue as u8 {
            return Err(corrupted("malformed gc queue key"));
        }
        Ok(GcEntry {
            superseded_at: Timestamp(read_u64(&raw[1..9])?),
            branch: BranchId(read_u32(&raw[9..13])?),
            version: Timestamp(read_u64(&raw[13..21])?),
            key: raw[21..].to_vec(),
        })
    }

    /// The first queue key after every entry superseded at or before `ts`.
    pub(crate) fn queue_end(ts: Timestamp) -> Vec<u8> {
        let mut k = vec![Space::GcQueue as u8];
        match ts.0.checked_add(1) {
            Some(next) => k.extend_from_slice(&next.to_be_bytes()),
            None => k[0] += 1,
        }
        k
    }
}

/// The change-index key of chunk `chunk` of the keys `branch` wrote at commit `ts`.
pub(crate) fn change_key(branch: BranchId, ts: Timestamp, chunk: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(Space::Changes as u8);
    k.extend_from_slice(&branch.0.to_be_bytes());
    k.extend_from_slice(&ts.0.to_be_bytes());
    k.extend_from_slice(&chunk.to_be_bytes());
    k
}

/// Bytes of keys after which a change-index chunk is closed.
pub(crate) const CHANGE_CHUNK: usize = 64 * 1024;

/// Appends an unsigned LEB128 integer.
fn push_varint(out: &mut Vec<u8>, mut v: usize) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7F) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads an unsigned LEB128 integer from the front of `rest`, advancing it.
fn read_varint(rest: &mut &[u8]) -> Result<usize> {
    let mut v = 0usize;
    for shift in (0..35).step_by(7) {
        let (&b, tail) = rest.split_first().ok_or_else(|| corrupted("malformed change index"))?;
        *rest = tail;
        v |= usize::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(corrupted("malformed change index"))
}

/// The length of the longest common prefix of `a` and `b`, compared eight bytes at a
/// time (consecutive keys of a load share most of their bytes).
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let word = |s: &[u8]| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or_default());
        let diff = word(a) ^ word(b);
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n].iter().zip(&b[i..n]).take_while(|(x, y)| x == y).count()
}

/// Appends `key` to a change-index chunk value: `[shared varint][suffix length varint]
/// [suffix]`, where `shared` is the length of the prefix `key` has in common with `prev`,
/// the chunk's previous key (empty for its first).
pub(crate) fn push_change(chunk: &mut Vec<u8>, prev: &[u8], key: &[u8]) {
    let shared = common_prefix(prev, key);
    push_varint(chunk, shared);
    push_varint(chunk, key.len() - shared);
    chunk.extend_from_slice(&key[shared..]);
}

/// Calls `f` with every key of a change-index chunk value.
pub(crate) fn for_each_change(chunk: &[u8], mut f: impl FnMut(&[u8])) -> Result<()> {
    let mut rest = chunk;
    let mut key = Vec::new();
    while !rest.is_empty() {
        let shared = read_varint(&mut rest)?;
        let len = read_varint(&mut rest)?;
        if shared > key.len() {
            return Err(corrupted("malformed change index"));
        }
        let (suffix, tail) =
            rest.split_at_checked(len).ok_or_else(|| corrupted("malformed change index"))?;
        key.truncate(shared);
        key.extend_from_slice(suffix);
        f(&key);
        rest = tail;
    }
    Ok(())
}

/// `[0x05][branch]`: the start of a branch's change index.
pub(crate) fn changes_prefix(branch: BranchId) -> Vec<u8> {
    let mut k = vec![Space::Changes as u8];
    k.extend_from_slice(&branch.0.to_be_bytes());
    k
}

/// The change-index range of `branch`'s writes committed in `(lo, hi]`.
pub(crate) fn change_range(
    branch: BranchId,
    lo: Timestamp,
    hi: Timestamp,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let at = |ts: u64| {
        let mut k = changes_prefix(branch);
        k.extend_from_slice(&ts.to_be_bytes());
        k
    };
    let start = match lo.0.checked_add(1) {
        Some(t) => Bound::Included(at(t)),
        None => return (Bound::Excluded(at(u64::MAX)), Bound::Excluded(at(u64::MAX))),
    };
    let end = match hi.0.checked_add(1) {
        Some(t) => Bound::Excluded(at(t)),
        None => Bound::Excluded(changes_end(branch)),
    };
    (start, end)
}

/// The first key after `branch`'s change index.
pub(crate) fn changes_end(branch: BranchId) -> Vec<u8> {
    match branch.0.checked_add(1) {
        Some(next) => changes_prefix(BranchId(next)),
        None => vec![Space::Changes as u8 + 1],
    }
}

/// Reads a big-endian `u64`.
pub(crate) fn read_u64(b: &[u8]) -> Result<u64> {
    let a: [u8; 8] = b.try_into().map_err(|_| corrupted("expected 8 bytes"))?;
    Ok(u64::from_be_bytes(a))
}

/// Reads a big-endian `u32`.
pub(crate) fn read_u32(b: &[u8]) -> Result<u32> {
    let a: [u8; 4] = b.try_into().map_err(|_| corrupted("expected 4 bytes"))?;
    Ok(u32::from_be_bytes(a))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Keys rich in zero runs: short and long (past the 127-zero token) runs of zeros
    /// between bytes at the edges of the token ranges.
    fn user_key() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7F, 0x80, 0x81, 0xFF]), 0..4),
            (0usize..300).prop_map(|n| vec![0; n]),
        ];
        prop::collection::vec(piece, 0..4).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn escaper_escapes_each_key_of_a_sequence_as_escape_into(
            keys in prop::collection::vec(user_key(), 1..12),
        ) {
            let mut sorted = keys.clone();
            sorted.sort();
            let mut escaper = Escaper::default();
            // In any order, and in the ascending order of a commit.
            for key in keys.iter().chain(&sorted) {
                let (mut want, mut got) = (vec![7], vec![7]);
                escape_into(&mut want, key);
                escaper.escape_into(&mut got, key);
                prop_assert_eq!(got, want);
            }
        }

        #[test]
        fn common_prefix_is_the_bytewise_one(
            base in prop::collection::vec(any::<u8>(), 0..40),
            cut in 0usize..40,
            tail_a in prop::collection::vec(any::<u8>(), 0..12),
            tail_b in prop::collection::vec(any::<u8>(), 0..12),
        ) {
            let cut = cut.min(base.len());
            let a = [&base[..], &tail_a].concat();
            let b = [&base[..cut], &tail_b].concat();
            let bytewise = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            prop_assert_eq!(common_prefix(&a, &b), bytewise);
            prop_assert_eq!(common_prefix(&b, &a), bytewise);
        }

        #[test]
        fn version_keys_round_trip_and_keep_order(
            a in user_key(),
            b in user_key(),
            ta in any::<u64>(), tb in any::<u64>(),
            branch in prop::sample::select(vec![1u32, 2, 0xEF, 0xF0, 0xFF, 0x100, 0xFFFF, 0x1_0000, u32::MAX - 1]),
        ) {
            let ka = version_key(BranchId(branch), &a, Timestamp(ta));
            let kb = version_key(BranchId(branch), &b, Timestamp(tb));
            let da = decode_version_key(&ka).expect("decode");
            prop_assert_eq!(&da.key, &a);
            prop_assert_eq!(da.ts, Timestamp(ta));
            prop_assert_eq!(da.branch, BranchId(branch));
            let mut buf = vec![9; 3];
            prop_assert_eq!(user_key_of(&ka, &mut buf).expect("user key"), a.as_slice());
            prop_assert_eq!(version_ts(&ka), Some(Timestamp(ta)));
            // Ordered by user key, then newest first.
            let expected = a.cmp(&b).then(tb.cmp(&ta));
            prop_assert_eq!(ka.cmp(&kb), expected);
            // Every version of `a` lies inside the single-key range of `a` and inside its
            // branch's keyspace.
            let r = data_range(BranchId(branch), &(Bound::Included(a.clone()), Bound::Included(a.clone())));
            prop_assert!(std::ops::RangeBounds::<[u8]>::contains(&as_kv_range(&r), ka.as_slice()));
            prop_assert!(ka >= branch_prefix(BranchId(branch)) && ka < branch_end(BranchId(branch)));
        }

        #[test]
        fn short_keys_escape_as_long_ones_do(
            key in prop::collection::vec(prop::sample::select(vec![0u8, 0, 1, 0x80, 0xFF]), 0..SHORT_KEY),
        ) {
            let (mut short, mut long) = (vec![7], vec![7]);
            escape_short(&mut short, &key);
            escape_long(&mut long, &key);
            prop_assert_eq!(short, long);
        }

        #[test]
        fn branch_ids_keep_their_order(a in any::<u32>(), b in any::<u32>()) {
            let (mut ea, mut eb) = (Vec::new(), Vec::new());
            push_branch(&mut ea, BranchId(a));
            push_branch(&mut eb, BranchId(b));
            prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
            prop_assert_eq!(read_branch(&ea).expect("branch"), (BranchId(a), ea.len()));
        }

        #[test]
        fn change_chunks_round_trip(keys in prop::collection::vec(user_key(), 0..20)) {
            let mut keys = keys;
            keys.sort();
            let mut chunk = Vec::new();
            let mut prev: &[u8] = &[];
            for k in &keys {
                push_change(&mut chunk, prev, k);
                prev = k;
            }
            let mut got = Vec::new();
            for_each_change(&chunk, |k| got.push(k.to_vec())).expect("decode");
            prop_assert_eq!(got, keys);
        }
    }

    #[test]
    fn escaped_bytes_are_as_documented() {
        let esc = |k: &[u8]| {
            let mut out = vec![0xAA];
            escape_into(&mut out, k);
            out[1..].to_vec()
        };
        assert_eq!(esc(b""), [0, 0]);
        assert_eq!(esc(b"ab"), [b'a', b'b', 0, 0]);
        assert_eq!(esc(&[0]), [0, 1]);
        assert_eq!(esc(&[7, 0, 0]), [7, 0, 2]);
        assert_eq!(esc(&[0, 0, 0, 5, 6]), [0, 253, 5, 6, 0, 0]);
        assert_eq!(esc(&[1, 0, 2, 0, 0]), [1, 0, 255, 2, 0, 2]);
        let mut long = vec![0u8; 130];
        assert_eq!(esc(&long), [0, 0x80, 0, 3]);
        long.push(9);
        assert_eq!(esc(&long), [0, 0x80, 0, 253, 9, 0, 0]);
        assert_eq!(esc(&[0u8; 127]), [0, 127]);
        assert_eq!(esc(&[0u8; 254]), [0, 0x80, 0, 127]);
    }

    #[test]
    fn small_integer_keys_stay_short() {
        // A SQL row key: `02`, table 16384, index 0, bigint 1 (marker + sign-flipped).
        let key = [2, 0, 0, 0x40, 0, 0, 0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 1];
        let k = version_key(BranchId::MAIN, &key, Timestamp(5));
        assert_eq!(k.len(), 1 + 1 + 13 + 8, "{k:02x?}");
    }

    #[test]
    fn rejects_garbage() {
        let mut buf = Vec::new();
        let ts = [0u8; 8];
        let key = |body: &[u8]| [&[1u8, 1][..], body, &ts].concat();
        // No terminator; bytes after the end token; an end token inside the key.
        assert!(user_key_of(&key(b"ab"), &mut buf).is_err());
        assert!(user_key_of(&key(b"a\0\x01b\0\0"), &mut buf).is_err());
        assert!(decode_version_key(&key(b"a\0\0\0\0")).is_err());
        // A run followed by another run, or by the end, where a non-zero byte must follow.
        assert!(decode_version_key(&key(b"a\0\xFF\0\0")).is_err());
        assert!(decode_version_key(&key(b"a\0\xFF\0\x01")).is_err());
        // A continued run followed by a non-zero byte or the bare end token.
        assert!(decode_version_key(&key(b"a\0\x80b\0\0")).is_err());
        assert!(decode_version_key(&key(b"a\0\x80\0\0")).is_err());
        // Wrong space, non-canonical or truncated branch ids.
        assert!(user_key_of(&[&[2u8, 1, b'a', 0, 0][..], &ts].concat(), &mut buf).is_err());
        assert!(decode_version_key(&[&[1u8, 0xF1, 5, b'a', 0, 0][..], &ts].concat()).is_err());
        assert!(decode_version_key(&[&[1u8, 0xF2, 0, 0xF5, 0, 0][..], &ts].concat()).is_err());
        assert!(decode_version_key(&[&[1u8, 0xF4, 1][..], &ts].concat()).is_err());
        assert_eq!(version_ts(b"short"), None);
        assert!(decode_value(&[2]).is_err());
        assert!(GcEntry::decode(&[4, 1]).is_err());
        // Change-index chunks: a shared prefix longer than the previous key, a suffix past
        // the end, an unterminated varint.
        assert!(for_each_change(&[1, 1, b'a'], |_| {}).is_err());
        assert!(for_each_change(&[0, 5, b'a'], |_| {}).is_err());
        assert!(for_each_change(&[0x80], |_| {}).is_err());
    }
}
