//! The read path: which version of a key a reader sees, across the branch chain.
//!
//! A reader on branch `B` at timestamp `T` has a *chain*: `B` capped at `T`, then `B`'s
//! parent capped at `min(T, fork_ts(B))`, and so on to `main`. A point read asks each link
//! in turn for the newest version at or below its cap; the first link that has one wins
//! (a tombstone there means "absent"). A scan runs one `BranchVersions` iterator per
//! link and merges them with `Merged`: for equal keys the nearest link wins.

use std::ops::Bound;

use helios_common::{BranchId, Result, Timestamp};

use crate::kv::{KvScan, Snapshot};
use crate::mvcc::keys::{self, as_kv_range, decode_value, decode_value_owned, decode_version_key};

/// One branch of a reader's chain, with the newest timestamp visible on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainLink {
    /// The branch.
    pub branch: BranchId,
    /// Versions newer than this are invisible on this link.
    pub cap: Timestamp,
}

/// A visible entry: the user key and its value, `None` for a tombstone.
pub(crate) type Entry = (Vec<u8>, Option<Vec<u8>>);

/// A raw version: user key, commit timestamp, encoded value.
type RawVersion = (Vec<u8>, Timestamp, Vec<u8>);

/// An iterator of visible entries in key order (or reverse key order).
pub(crate) type EntryIter<'a> = Box<dyn Iterator<Item = Result<Entry>> + 'a>;

/// The engine range holding the versions of `key` on `branch` at or below `cap`: the
/// start and end keys, one after the other in one buffer (`key_len` bytes each).
fn version_bounds(branch: BranchId, key: &[u8], cap: Timestamp) -> (Vec<u8>, usize) {
    let mut b = keys::key_prefix(branch, key);
    let prefix = b.len();
    b.reserve(prefix + 16);
    b.extend_from_slice(&(!cap.0).to_be_bytes());
    b.extend_from_within(..prefix);
    b.extend_from_slice(&[0xFF; 8]);
    (b, prefix + 8)
}

/// Calls `f` with the engine key and value of the newest version of `key` at or below
/// `cap` in `branch`'s own keyspace, both borrowed from the engine; `None` when there is
/// no such version.
fn with_newest<R>(
    snap: &dyn Snapshot,
    branch: BranchId,
    key: &[u8],
    cap: Timestamp,
    f: impl FnOnce(&[u8], &[u8]) -> Result<R>,
) -> Result<Option<R>> {
    let (bounds, len) = version_bounds(branch, key, cap);
    let (start, end) = bounds.split_at(len);
    let mut f = Some(f);
    let mut out = None;
    snap.visit((Bound::Included(start), Bound::Included(end)), false, &mut |k, v| {
        if let Some(f) = f.take() {
            out = Some(f(k, v)?);
        }
        Ok(false)
    })?;
    Ok(out)
}

/// A version's value, borrowed: `None` for a tombstone.
fn value_of(raw: &[u8]) -> Result<Option<&[u8]>> {
    match raw.split_first() {
        Some((1, v)) => Ok(Some(v)),
        Some((0, [])) => Ok(None),
        _ => Err(crate::StorageError::Corrupted("malformed version value".into()).into()),
    }
}

/// The value of `key` visible through `chain` (tombstones resolved to `None`).
pub(crate) fn get_visible(
    snap: &dyn Snapshot,
    chain: &[ChainLink],
    key: &[u8],
) -> Result<Option<Vec<u8>>> {
    with_visible(snap, chain, key, |v| Ok(v.map(<[u8]>::to_vec)))
}

/// Calls `f` with the value of `key` visible through `chain`, borrowed from the engine
/// (`None` when absent or deleted): a point read that copies nothing.
pub(crate) fn with_visible<R>(
    snap: &dyn Snapshot,
    chain: &[ChainLink],
    key: &[u8],
    f: impl FnOnce(Option<&[u8]>) -> Result<R>,
) -> Result<R> {
    let mut f = Some(f);
    for link in chain {
        let found = with_newest(snap, link.branch, key, link.cap, |_, v| {
            let f = f.take().ok_or_else(|| helios_common::Error::internal("visible twice"))?;
            f(value_of(v)?)
        })?;
        if let Some(r) = found {
            return Ok(r);
        }
    }
    match f.take() {
        Some(f) => f(None),
        None => Err(helios_common::Error::internal("visible value already taken")),
    }
}

/// Visible entries of one branch's own keyspace: the newest version at or below the cap
/// of every user key in a range, tombstones included.
pub(crate) struct BranchVersions<'a> {
    raw: KvScan<'a>,
    cap: Timestamp,
    reverse: bool,
    peeked: Option<RawVersion>,
    /// Forward scans: the escaped prefix `[0x01][branch][escaped key]` of the key already
    /// answered (empty before the first), whose older versions are skipped by comparing
    /// bytes, without decoding them.
    done_prefix: Vec<u8>,
}

impl<'a> BranchVersions<'a> {
    /// Scans `range` (user keys) of `link.branch`.
    pub(crate) fn new(
        snap: &'a dyn Snapshot,
        link: ChainLink,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        reverse: bool,
    ) -> Result<BranchVersions<'a>> {
        let r = keys::data_range(link.branch, range);
        let raw = snap.scan(as_kv_range(&r), reverse)?;
        Ok(BranchVersions { raw, cap: link.cap, reverse, peeked: None, done_prefix: Vec::new() })
    }

    fn next_raw(&mut self) -> Result<Option<RawVersion>> {
        if let Some(p) = self.peeked.take() {
            return Ok(Some(p));
        }
        match self.raw.next() {
            None => Ok(None),
            Some(row) => {
                let (k, v) = row?;
                let vk = decode_version_key(&k)?;
                Ok(Some((vk.key, vk.ts, v)))
            }
        }
    }

    fn next_forward(&mut self) -> Result<Option<Entry>> {
        // Versions of a key come newest first: the first one at or below the cap wins.
        // Older versions of the key already answered share its escaped prefix: skip them
        // by comparing bytes, before decoding anything.
        for row in self.raw.by_ref() {
            let (k, v) = row?;
            let prefix_len = k.len().saturating_sub(8);
            if !self.done_prefix.is_empty() && k[..prefix_len] == self.done_prefix[..] {
                continue;
            }
            let vk = decode_version_key(&k)?;
            if vk.ts > self.cap {
                continue;
            }
            self.done_prefix.clear();
            self.done_prefix.extend_from_slice(&k[..prefix_len]);
            return Ok(Some((vk.key, decode_value_owned(v)?)));
        }
        Ok(None)
    }

    fn next_reverse(&mut self) -> Result<Option<Entry>> {
        // Versions of a key come oldest first: the last one at or below the cap wins.
        while let Some((key, ts, value)) = self.next_raw()? {
            let mut best = (ts <= self.cap).then_some(value);
            while let Some((k2, ts2, v2)) = self.next_raw()? {
                if k2 != key {
                    self.peeked = Some((k2, ts2, v2));
                    break;
                }
                if ts2 <= self.cap {
                    best = Some(v2);
                }
            }
            if let Some(v) = best {
                return Ok(Some((key, decode_value(&v)?)));
            }
        }
        Ok(None)
    }
}

impl Iterator for BranchVersions<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        let r = if self.reverse { self.next_reverse() } else { self.next_forward() };
        r.transpose()
    }
}

/// Merges sorted entry iterators; for equal keys the earliest iterator wins.
pub(crate) struct Merged<'a> {
    /// Each source with its next entry (`None` once exhausted).
    sources: Vec<(EntryIter<'a>, Option<Entry>)>,
    reverse: bool,
    started: bool,
}

impl<'a> Merged<'a> {
    /// Merges `sources`, ordered nearest first.
    pub(crate) fn new(sources: Vec<EntryIter<'a>>, reverse: bool) -> Merged<'a> {
        let sources = sources.into_iter().map(|s| (s, None)).collect();
        Merged { sources, reverse, started: false }
    }

    /// Fills the head of source `i`; an error is returned at once.
    fn fill(&mut self, i: usize) -> Result<()> {
        let (iter, head) = &mut self.sources[i];
        *head = iter.next().transpose()?;
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Entry>> {
        if !self.started {
            self.started = true;
            for i in 0..self.sources.len() {
                self.fill(i)?;
            }
        }
        if self.sources.len() == 1 {
            let head = self.sources[0].1.take();
            if head.is_some() {
                self.fill(0)?;
            }
            return Ok(head);
        }
        let mut best: Option<usize> = None;
        for i in 0..self.sources.len() {
            let Some((k, _)) = &self.sources[i].1 else { continue };
            let better = match best.and_then(|b| self.sources[b].1.as_ref()) {
                None => true,
                Some((b, _)) => {
                    if self.reverse {
                        k > b
                    } else {
                        k < b
                    }
                }
            };
            if better {
                best = Some(i);
            }
        }
        let Some(winner) = best else { return Ok(None) };
        let Some(out) = self.sources[winner].1.take() else { return Ok(None) };
        self.fill(winner)?;
        for i in winner + 1..self.sources.len() {
            if matches!(&self.sources[i].1, Some((k, _)) if *k == out.0) {
                self.fill(i)?;
            }
        }
        Ok(Some(out))
    }
}

impl Iterator for Merged<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        self.step().transpose()
    }
}

/// The visible state of `chain` inside `range`: tombstones resolved (skipped).
pub(crate) fn scan_chain<'a>(
    snap: &'a dyn Snapshot,
    chain: &[ChainLink],
    range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
    reverse: bool,
    overlay: Option<EntryIter<'a>>,
) -> Result<impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + 'a> {
    let mut sources: Vec<EntryIter<'a>> = Vec::with_capacity(chain.len() + 1);
    if let Some(o) = overlay {
        sources.push(o);
    }
    for link in chain {
        sources.push(Box::new(BranchVersions::new(snap, *link, range, reverse)?));
    }
    Ok(Merged::new(sources, reverse).filter_map(|r| match r {
        Ok((k, Some(v))) => Some(Ok((k, v))),
        Ok((_, None)) => None,
        Err(e) => Some(Err(e)),
    }))
}

/// Up to `limit` visible pairs of one chain link inside `range`, ascending: the fast path
/// of a scan on a branch without ancestors or own writes in the range (see
/// [`visit_link`]); only the returned keys and values are copied.
pub(crate) fn scan_link(
    snap: &dyn Snapshot,
    link: ChainLink,
    range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
    limit: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::with_capacity(limit.min(4096));
    visit_link(snap, link, range, true, &mut |k, v| {
        out.push((k.to_vec(), v.to_vec()));
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// Calls `f` with each visible (user key, value) pair of one chain link inside `range`,
/// ascending, until it returns false: the fast path of a scan on a branch without
/// ancestors or own writes in the range. Pairs are read borrowed from the engine, older
/// versions are skipped by their escaped prefix, and keys are unescaped into one reused
/// buffer (or not at all when they hold no `0x00`), so nothing is allocated per pair.
/// Without `with_keys` the keys are not decoded at all and `f` receives an empty key.
pub(crate) fn visit_link(
    snap: &dyn Snapshot,
    link: ChainLink,
    range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
    with_keys: bool,
    f: &mut crate::kv::VisitFn<'_>,
) -> Result<()> {
    let r = keys::data_range(link.branch, range);
    let mut done: Vec<u8> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    snap.visit(as_kv_range(&r), false, &mut |k, v| {
        let prefix = k.len().saturating_sub(8);
        if !done.is_empty() && k[..prefix] == done[..] {
            return Ok(true);
        }
        // Versions newer than the cap are skipped before the key is decoded.
        match keys::version_ts(k) {
            Some(ts) if ts > link.cap => return Ok(true),
            Some(_) => {}
            None => {
                return Err(crate::StorageError::Corrupted("malformed versioned key".into()).into())
            }
        }
        done.clear();
        done.extend_from_slice(&k[..prefix]);
        let Some(value) = value_of(v)? else { return Ok(true) };
        if with_keys {
            f(keys::user_key_of(k, &mut buf)?, value)
        } else {
            f(&[], value)
        }
    })
}
