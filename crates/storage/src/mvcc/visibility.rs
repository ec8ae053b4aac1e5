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
use crate::mvcc::keys::{self, as_kv_range, decode_value, decode_version_key};

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

/// The newest version of `key` at or below `cap` in `branch`'s own keyspace, with its
/// timestamp: `Some((ts, None))` is a tombstone.
pub(crate) fn newest_version(
    snap: &dyn Snapshot,
    branch: BranchId,
    key: &[u8],
    cap: Timestamp,
) -> Result<Option<(Timestamp, Option<Vec<u8>>)>> {
    let start = keys::version_key(branch, key, cap);
    let end = keys::key_last(branch, key);
    let mut iter = snap.scan((Bound::Included(&start), Bound::Included(&end)), false)?;
    match iter.next() {
        Some(row) => {
            let (k, v) = row?;
            let vk = decode_version_key(&k)?;
            Ok(Some((vk.ts, decode_value(&v)?)))
        }
        None => Ok(None),
    }
}

/// The value of `key` visible through `chain` (tombstones resolved to `None`).
pub(crate) fn get_visible(
    snap: &dyn Snapshot,
    chain: &[ChainLink],
    key: &[u8],
) -> Result<Option<Vec<u8>>> {
    for link in chain {
        if let Some((_, value)) = newest_version(snap, link.branch, key, link.cap)? {
            return Ok(value);
        }
    }
    Ok(None)
}

/// Visible entries of one branch's own keyspace: the newest version at or below the cap
/// of every user key in a range, tombstones included.
pub(crate) struct BranchVersions<'a> {
    raw: KvScan<'a>,
    cap: Timestamp,
    reverse: bool,
    peeked: Option<RawVersion>,
    /// Forward scans: the key already answered, whose older versions are skipped.
    done_key: Option<Vec<u8>>,
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
        Ok(BranchVersions { raw, cap: link.cap, reverse, peeked: None, done_key: None })
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
        while let Some((key, ts, value)) = self.next_raw()? {
            if self.done_key.as_ref() == Some(&key) || ts > self.cap {
                continue;
            }
            self.done_key = Some(key.clone());
            return Ok(Some((key, decode_value(&value)?)));
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
    sources: Vec<std::iter::Peekable<EntryIter<'a>>>,
    reverse: bool,
}

impl<'a> Merged<'a> {
    /// Merges `sources`, ordered nearest first.
    pub(crate) fn new(sources: Vec<EntryIter<'a>>, reverse: bool) -> Merged<'a> {
        Merged { sources: sources.into_iter().map(Iterator::peekable).collect(), reverse }
    }
}

impl Iterator for Merged<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        let mut best: Option<(usize, Vec<u8>)> = None;
        for (i, s) in self.sources.iter_mut().enumerate() {
            match s.peek() {
                None => {}
                Some(Err(_)) => return s.next(),
                Some(Ok((k, _))) => {
                    let better = match &best {
                        None => true,
                        Some((_, b)) => {
                            if self.reverse {
                                k > b
                            } else {
                                k < b
                            }
                        }
                    };
                    if better {
                        best = Some((i, k.clone()));
                    }
                }
            }
        }
        let (winner, key) = best?;
        let mut out = None;
        for (i, s) in self.sources.iter_mut().enumerate() {
            if matches!(s.peek(), Some(Ok((k, _))) if *k == key) {
                let item = s.next();
                if i == winner {
                    out = item;
                }
            }
        }
        out
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
