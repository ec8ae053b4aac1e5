//! Key ranges a transaction's snapshot is known to hold no version in.
//!
//! A point read that finds no version of a key learns more than that: the engine scan
//! that looked for it also reaches the next key the snapshot holds, and every key in
//! between is absent too. [`KnownAbsent`] remembers that gap, one per link of the read
//! chain, so a bulk load probing each new, ascending key for uniqueness pays one engine
//! lookup for its first key and none for the following ones until it reaches the next
//! stored key:
//!
//! ```text
//!   snapshot:  ... [t5 k=90] [t5 k=91]                               [t7 meta] ...
//!   get(92) ──────────────────────────▶ nothing for 92; next is [t7 meta]
//!   gap:                               [t5 k=92 ........... t7 meta)
//!   get(93), get(94), ...: inside the gap, no engine read
//! ```
//!
//! A transaction's snapshot never changes under it, so a gap stays true until the
//! transaction moves to another snapshot or chain, which clears them
//! ([`KnownAbsent::clear`]). Gaps are in engine keys and only ever recorded when the scan
//! saw no version of the key at all, whatever its timestamp.

use std::ops::Bound;

use helios_common::{Result, Timestamp};

use crate::kv::Snapshot;
use crate::mvcc::keys::{self, decode_value};
use crate::mvcc::visibility::ChainLink;

/// Engine keys `[lo, hi)` of one branch's keyspace holding no version in the snapshot.
///
/// `user` is the same gap in user keys, `[lo, hi)` (`hi` `None`: to the end of the
/// branch), so a key is checked without building its engine form. Escaping keeps the
/// order of user keys and is prefix-free, so every version of a user key `k` lies in
/// `[lo, hi)` exactly when `lo <= k < u`, where `u` is the user key of the engine key
/// `hi`.
#[derive(Clone, Debug, Default)]
struct Gap {
    lo: Vec<u8>,
    hi: Vec<u8>,
    user: Option<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Gap {
    fn holds_user_key(&self, key: &[u8]) -> bool {
        self.user
            .as_ref()
            .is_some_and(|(lo, hi)| key >= lo.as_slice() && hi.as_ref().is_none_or(|h| key < h))
    }
}

/// The last gap learned on each link of a read chain (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct KnownAbsent {
    gaps: Vec<Option<Gap>>,
    /// Reused key buffer: `[0x01][branch][escaped key]`, then a timestamp.
    scratch: Vec<u8>,
}

impl KnownAbsent {
    /// Forgets every gap (the snapshot or the chain changed).
    pub(crate) fn clear(&mut self) {
        self.gaps.clear();
    }

    /// The value of `key` visible through `chain` in `snap` (tombstones resolved to
    /// `None`), as [`crate::mvcc::visibility::get_visible`] reads it, skipping links whose
    /// known gap holds the key and learning new gaps from keys it finds absent.
    pub(crate) fn get_visible(
        &mut self,
        snap: &dyn Snapshot,
        chain: &[ChainLink],
        key: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        if self.gaps.len() < chain.len() {
            self.gaps.resize(chain.len(), None);
        }
        for (i, link) in chain.iter().enumerate() {
            if self.gaps[i].as_ref().is_some_and(|g| g.holds_user_key(key)) {
                continue;
            }
            let p = &mut self.scratch;
            p.clear();
            keys::push_key_prefix(p, link.branch, key);
            let body = p.len();
            // Every version of `key` lies in `[body 00*8, body FF*8]`.
            p.extend_from_slice(&[0xFF; 8]);
            let known = self.gaps[i]
                .as_ref()
                .is_some_and(|g| g.lo.as_slice() <= &p[..body] && p.as_slice() < g.hi.as_slice());
            if known {
                continue;
            }
            p.truncate(body);
            p.extend_from_slice(&[0; 8]);
            let end = keys::branch_end(link.branch);
            // The newest visible version's value (`Ok(None)`: a tombstone).
            let mut found: Option<Result<Option<Vec<u8>>>> = None;
            let mut any_version = false;
            let mut next_key: Option<Vec<u8>> = None;
            let lo: &[u8] = p;
            snap.visit((Bound::Included(lo), Bound::Excluded(&end)), false, &mut |k, v| {
                if k.len() < body + 8 || k[..body] != lo[..body] || k.len() != body + 8 {
                    next_key = Some(k.to_vec());
                    return Ok(false);
                }
                any_version = true;
                let mut b = [0u8; 8];
                b.copy_from_slice(&k[body..]);
                let ts = Timestamp(!u64::from_be_bytes(b));
                if ts > link.cap {
                    return Ok(true);
                }
                found = Some(decode_value(v));
                Ok(false)
            })?;
            if let Some(value) = found {
                return value;
            }
            if !any_version {
                let lo = p[..body].to_vec();
                // The scan stops at the branch's end, so the next key is a data key of
                // the branch; if it does not decode, only the engine-key gap is kept.
                let user = match &next_key {
                    None => Some((key.to_vec(), None)),
                    Some(k) => keys::decode_version_key(k)
                        .ok()
                        .filter(|v| v.branch == link.branch)
                        .map(|v| (key.to_vec(), Some(v.key))),
                };
                self.gaps[i] = Some(Gap { lo, hi: next_key.unwrap_or(end), user });
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use helios_common::BranchId;

    use super::*;
    use crate::kv::{Engine, MemoryEngine, PackedBatch};
    use crate::mvcc::visibility::get_visible;

    #[test]
    fn gaps_answer_like_the_engine() {
        // Versions of a few keys (some with zero bytes, so escaping matters), on two
        // branches; a tombstone; a version newer than the link's cap.
        let e = MemoryEngine::new();
        let mut b = PackedBatch::default();
        let key = |i: u32| [&b"t\0"[..], &i.to_be_bytes()].concat();
        for (branch, i, ts, v) in [
            (1, 10, 5, Some(&b"a"[..])),
            (1, 20, 5, Some(b"b")),
            (1, 20, 9, None),
            (1, 300, 50, Some(b"late")),
            (1, 256, 5, Some(b"c")),
            (2, 15, 5, Some(b"other")),
        ] {
            let k = keys::version_key(BranchId(branch), &key(i), Timestamp(ts));
            match v {
                Some(v) => b.put_parts(&[&k], &[&[1], v]),
                None => b.put(&k, &[0]),
            }
        }
        e.write_packed(b, false).expect("write");
        let snap = e.snapshot().expect("snapshot");
        let chain = [ChainLink { branch: BranchId(1), cap: Timestamp(10) }];
        let mut absent = KnownAbsent::default();
        // Ascending, descending and repeated probes, inside and outside the gaps.
        let probes: Vec<u32> =
            (0..400).chain((0..400).rev()).chain([10, 11, 10, 257, 256]).collect();
        for i in probes {
            let got = absent.get_visible(&*snap, &chain, &key(i)).expect("get");
            let want = get_visible(&*snap, &chain, &key(i)).expect("reference");
            assert_eq!(got, want, "key {i}");
        }
        assert_eq!(absent.get_visible(&*snap, &chain, &key(10)).expect("get"), Some(b"a".to_vec()));
        assert_eq!(absent.get_visible(&*snap, &chain, &key(20)).expect("get"), None);
        assert_eq!(absent.get_visible(&*snap, &chain, &key(300)).expect("get"), None);
        assert_eq!(absent.get_visible(&*snap, &chain, &key(15)).expect("get"), None);
        // Short keys and the empty key.
        for k in [&b""[..], b"t", b"t\0", b"u"] {
            let got = absent.get_visible(&*snap, &chain, k).expect("get");
            assert_eq!(got, get_visible(&*snap, &chain, k).expect("reference"));
        }
    }
}
