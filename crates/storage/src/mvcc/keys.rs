//! Byte layout of every key the MVCC layer stores in the engine.
//!
//! See `docs/storage-format.md`, section "MVCC keys", for the tables.
//!
//! ```text
//! data     [0x01][branch u32 BE][escaped user key][!commit_ts u64 BE] -> [0x01][value] | [0x00]
//! meta     [0x02][name bytes]                                         -> per-name value
//! log      [0x03][txn_id u64 BE]                                      -> [commit_ts u64 BE][branch u32 BE]
//! gc queue [0x04][superseded_at u64 BE][branch u32 BE][version ts u64 BE][raw user key] -> []
//! ```
//!
//! The user key is escaped so it is prefix-free while keeping byte order: every `0x00` is
//! written as `0x00 0xFF` and the key ends with `0x00 0x00`. The commit timestamp is stored
//! bit-inverted, so the newest version of a key sorts first.

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

/// Appends the escaped form of `key`.
pub fn escape_into(out: &mut Vec<u8>, key: &[u8]) {
    for &b in key {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// `[0x01][branch]`: the start of a branch's data keyspace.
pub fn branch_prefix(branch: BranchId) -> Vec<u8> {
    let mut k = Vec::with_capacity(5);
    k.push(Space::Data as u8);
    k.extend_from_slice(&branch.0.to_be_bytes());
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
    let mut k = branch_prefix(branch);
    k.reserve(key.len() + 2 + TS_LEN);
    escape_into(&mut k, key);
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

/// Decodes a data key; bytes that are not one give a corruption error.
pub fn decode_version_key(raw: &[u8]) -> Result<VersionKey> {
    if raw.len() < 1 + 4 + 2 + TS_LEN || raw[0] != Space::Data as u8 {
        return Err(corrupted("malformed versioned key"));
    }
    let branch = BranchId(u32::from_be_bytes([raw[1], raw[2], raw[3], raw[4]]));
    let body = &raw[5..raw.len() - TS_LEN];
    let mut key = Vec::with_capacity(body.len());
    let mut i = 0;
    loop {
        match body.get(i) {
            None => return Err(corrupted("unterminated key in versioned key")),
            Some(0) => match body.get(i + 1) {
                Some(0xFF) => {
                    key.push(0);
                    i += 2;
                }
                Some(0) if i + 2 == body.len() => break,
                _ => return Err(corrupted("bad escape in versioned key")),
            },
            Some(&b) => {
                key.push(b);
                i += 1;
            }
        }
    }
    let mut ts = [0u8; TS_LEN];
    ts.copy_from_slice(&raw[raw.len() - TS_LEN..]);
    Ok(VersionKey { branch, key, ts: Timestamp(!u64::from_be_bytes(ts)) })
}

/// The user key of a data key, borrowed from `raw` when its escaped form holds no `0x00`
/// but the terminator, else unescaped into `buf`; the branch and timestamp are not
/// decoded. Bytes that are not a data key give a corruption error.
pub fn user_key_of<'k>(raw: &'k [u8], buf: &'k mut Vec<u8>) -> Result<&'k [u8]> {
    if raw.len() < 1 + 4 + 2 + TS_LEN || raw[0] != Space::Data as u8 {
        return Err(corrupted("malformed versioned key"));
    }
    let body = &raw[5..raw.len() - TS_LEN];
    let (key, term) = body.split_at(body.len() - 2);
    if term == [0, 0] && !key.contains(&0) {
        return Ok(key);
    }
    buf.clear();
    let mut i = 0;
    loop {
        match body.get(i) {
            None => return Err(corrupted("unterminated key in versioned key")),
            Some(0) => match body.get(i + 1) {
                Some(0xFF) => {
                    buf.push(0);
                    i += 2;
                }
                Some(0) if i + 2 == body.len() => break,
                _ => return Err(corrupted("bad escape in versioned key")),
            },
            Some(&b) => {
                buf.push(b);
                i += 1;
            }
        }
    }
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

/// Appends `key` to a change-index chunk value: `[len u32 BE][key]`.
pub(crate) fn push_change(chunk: &mut Vec<u8>, key: &[u8]) {
    chunk.extend_from_slice(&(key.len() as u32).to_be_bytes());
    chunk.extend_from_slice(key);
}

/// Calls `f` with every key of a change-index chunk value.
pub(crate) fn for_each_change(chunk: &[u8], mut f: impl FnMut(&[u8])) -> Result<()> {
    let mut rest = chunk;
    while !rest.is_empty() {
        let (len, tail) =
            rest.split_at_checked(4).ok_or_else(|| corrupted("malformed change index"))?;
        let len = read_u32(len)? as usize;
        let (key, tail) =
            tail.split_at_checked(len).ok_or_else(|| corrupted("malformed change index"))?;
        f(key);
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

    proptest! {
        #[test]
        fn version_keys_round_trip_and_keep_order(
            a in proptest::collection::vec(0u8..4, 0..6),
            b in proptest::collection::vec(0u8..4, 0..6),
            ta in any::<u64>(), tb in any::<u64>(),
        ) {
            let ka = version_key(BranchId(3), &a, Timestamp(ta));
            let kb = version_key(BranchId(3), &b, Timestamp(tb));
            let da = decode_version_key(&ka).expect("decode");
            prop_assert_eq!(&da.key, &a);
            prop_assert_eq!(da.ts, Timestamp(ta));
            let mut buf = vec![9; 3];
            prop_assert_eq!(user_key_of(&ka, &mut buf).expect("user key"), a.as_slice());
            prop_assert_eq!(version_ts(&ka), Some(Timestamp(ta)));
            // Ordered by user key, then newest first.
            let expected = a.cmp(&b).then(tb.cmp(&ta));
            prop_assert_eq!(ka.cmp(&kb), expected);
            // Every version of `a` lies inside the single-key range of `a`.
            let r = data_range(BranchId(3), &(Bound::Included(a.clone()), Bound::Included(a.clone())));
            prop_assert!(std::ops::RangeBounds::<[u8]>::contains(&as_kv_range(&r), ka.as_slice()));
        }
    }

    #[test]
    fn rejects_garbage() {
        let mut buf = Vec::new();
        assert!(user_key_of(b"\x01\0\0\0\x01ab", &mut buf).is_err());
        assert!(user_key_of(b"\x01\0\0\0\x01a\0\x01\0\0\0\0\0\0\0\0\0\0", &mut buf).is_err());
        assert!(user_key_of(b"\x02\0\0\0\x01a\0\0\0\0\0\0\0\0\0\0", &mut buf).is_err());
        assert!(user_key_of(b"\x01\0\0\0\x01a\x01\x02\0\0\0\0\0\0\0\0", &mut buf).is_err());
        assert_eq!(version_ts(b"short"), None);
        assert!(decode_version_key(b"\x01\0\0\0\x01ab").is_err());
        assert!(decode_version_key(b"\x01\0\0\0\x01a\0\x01\0\0\0\0\0\0\0\0\0\0").is_err());
        assert!(decode_value(&[2]).is_err());
        assert!(GcEntry::decode(&[4, 1]).is_err());
    }
}
