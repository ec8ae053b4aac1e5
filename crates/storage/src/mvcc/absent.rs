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
#[derive(Clone, Debug, Default)]
struct Gap {
    lo: Vec<u8>,
    hi: Vec<u8>,
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
                self.gaps[i] = Some(Gap { lo, hi: next_key.unwrap_or(end) });
            }
        }
        Ok(None)
    }
}
