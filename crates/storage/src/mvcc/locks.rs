//! Write locks: a writer locks every key it writes when it writes it, so a second writer
//! of the same key finds out at once and waits for the first to finish, as PostgreSQL's
//! row locks make it.
//!
//! ```text
//!   T1 put(k) ──▶ lock k (free: taken)            T1 commit ─▶ publish ─▶ release, wake
//!   T2 put(k) ──▶ lock k (held by T1) ─▶ wait on T1 ─────────────────────────▶ retake k
//!                  └─ wait-for edge T2→T1; a cycle means deadlock (40P01 for the closer)
//! ```
//!
//! Locks are held until the transaction ends (a rollback to a savepoint keeps them) and are
//! released once the commit's batch is in the engine (with a durable disk engine, before
//! its sync), so a waiter that wakes and takes a new snapshot at the last commit in the
//! engine sees the holder's versions. What the waiter does then is the caller's choice
//! ([`crate::Transaction::put`]): READ COMMITTED restarts its statement on the newest
//! version, REPEATABLE READ fails with `40001`.
//!
//! The table maps a 64-bit hash of `(branch, key)` to its holder. Two keys with the same
//! hash share a lock: a spurious wait, never a missed conflict. Hashes that differ only in
//! their low four bits form a *group* with one table entry: its first holder and a bit
//! mask of the group's locks that holder has, plus a side list for the rare group with
//! several holders. [`key_hash`] gives 16 consecutive keys of a bulk load one group, so
//! a load of a million rows keeps ~62,500 entries in the table instead of a million (the
//! table then stays in the CPU caches, and 15 of 16 locks are a bit set in an entry the
//! previous lock just touched). The transaction that created a group's entry also keeps a
//! *fast cell* of it, an atomic mask it sets further exclusive locks of the group in
//! without the shard's mutex (the next 15 keys of a load). Whoever else looks at the group
//! does so under the mutex and first closes the cell, folding its bits into the entry;
//! the creator's next set then fails and takes the mutex too, so a lock is never held
//! twice. The wait-for graph has at
//! most one edge per waiting transaction (each waits for one holder), so a cycle is found by
//! following edges from the holder. Waits sleep on the holder's condition variable in short
//! slices so cancellation and `lock_timeout` are noticed.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use helios_common::{BranchId, Error, Result};
use parking_lot::{Condvar, Mutex};

use crate::StorageError;

/// How long a lock wait may last and what interrupts it.
#[derive(Clone, Debug, Default)]
pub struct LockWait {
    /// Give up with `55P03` after this long (`None`: wait without limit).
    pub timeout: Option<Duration>,
    /// Set by another thread to cancel the wait with `57014`.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// What [`crate::Transaction::lock_row`] does when another transaction holds the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowLockWait {
    /// Wait for it (within the transaction's [`LockWait`]).
    Wait,
    /// Fail at once with `55P03` (`NOWAIT`).
    NoWait,
    /// Report the row as not locked (`SKIP LOCKED`).
    Skip,
}

/// The strength of a row lock, PostgreSQL's four (`FOR KEY SHARE` ... `FOR UPDATE`).
///
/// A row has two locks in the table: the *row* lock, which every write of the row takes
/// exclusively ([`crate::Transaction::put`] and [`crate::Transaction::delete`]), and the
/// *key* lock, which guards the row's identity (its existence and its key columns) and is
/// taken exclusively by a DELETE and by an UPDATE that changes a key column
/// ([`crate::Transaction::lock_key`]). The strengths take them so:
///
/// | strength        | row lock  | key lock  |
/// |-----------------|-----------|-----------|
/// | `KeyShare`      |           | shared    |
/// | `Share`         | shared    |           |
/// | `NoKeyUpdate`   | exclusive |           |
/// | `Update`        | exclusive | exclusive |
///
/// Two strengths conflict when one holds a lock exclusively that the other takes at
/// all, which is PostgreSQL's conflict table: the shared strengths go together, `FOR
/// KEY SHARE` also with `FOR NO KEY UPDATE` (and a plain UPDATE), and `FOR UPDATE`
/// conflicts with everything. A foreign-key check takes `KeyShare` on the row it finds.
///
/// The order is PostgreSQL's: of two clauses naming one table, the greater strength applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowLockStrength {
    /// `FOR KEY SHARE`: blocks only changes of the row's identity.
    KeyShare,
    /// `FOR SHARE`: blocks every change of the row.
    Share,
    /// `FOR NO KEY UPDATE`, the lock of an UPDATE that keeps the key columns.
    NoKeyUpdate,
    /// `FOR UPDATE`, the lock of a DELETE or of an UPDATE that changes a key column.
    Update,
}

impl RowLockStrength {
    /// How this strength takes the row lock, if it does.
    pub(crate) fn row_lock(self) -> Option<LockMode> {
        match self {
            RowLockStrength::KeyShare => None,
            RowLockStrength::Share => Some(LockMode::Shared),
            RowLockStrength::NoKeyUpdate | RowLockStrength::Update => Some(LockMode::Exclusive),
        }
    }

    /// How this strength takes the key lock, if it does.
    pub(crate) fn key_lock(self) -> Option<LockMode> {
        match self {
            RowLockStrength::KeyShare => Some(LockMode::Shared),
            RowLockStrength::Update => Some(LockMode::Exclusive),
            RowLockStrength::Share | RowLockStrength::NoKeyUpdate => None,
        }
    }
}

/// The hash of a row's key lock, derived from the hash of its row lock.
pub(crate) fn key_lock_hash(row_hash: u64) -> u64 {
    row_hash ^ 0x5A17_C3E9_0B4D_2F60
}

/// How often a waiter checks for cancellation.
const WAIT_SLICE: Duration = Duration::from_millis(20);

/// Number of independently locked parts of the table.
const SHARDS: usize = 64;

/// A transaction holding locks in at least this many groups releases them shard by shard.
const BATCHED_RELEASE: usize = 1024;

/// The outcome of a transaction, as its waiters see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Running,
    Committed,
    Aborted,
}

/// One transaction as a lock holder.
#[derive(Debug)]
pub(crate) struct LockOwner {
    id: u64,
    state: Mutex<Outcome>,
    done: Condvar,
}

/// What [`LockTable::acquire`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Acquired {
    /// The caller already held the lock.
    Held,
    /// Taken without waiting for a committed holder.
    Taken,
    /// Taken after waiting for a holder that committed.
    AfterCommit,
}

/// The locks one transaction holds.
#[derive(Debug, Default)]
pub(crate) struct HeldLocks {
    owner: Option<Arc<LockOwner>>,
    /// The hash of one lock of each group the transaction holds locks of.
    groups: Vec<u64>,
    /// The fast cell of the group this transaction created last (see the module docs).
    fast: Option<(u64, Arc<AtomicU32>)>,
}

/// A fast cell's flag: someone else looked at the group; no more sets without the mutex.
const CLOSED: u32 = 1 << 31;

impl HeldLocks {
    /// Takes exclusive lock `hash` through the fast cell, if it is of the cell's group
    /// and the cell is still open; `None`: take it the usual way.
    fn take_fast(&mut self, hash: u64) -> Option<Acquired> {
        let (group, cell) = self.fast.as_ref()?;
        if *group != group_of(hash) {
            return None;
        }
        let bit = u32::from(bit_of(hash));
        let set = |m: u32| (m & CLOSED == 0).then_some(m | bit);
        match cell.fetch_update(Ordering::AcqRel, Ordering::Acquire, set) {
            Ok(before) if before & bit != 0 => Some(Acquired::Held),
            Ok(_) => Some(Acquired::Taken),
            Err(_) => {
                self.fast = None;
                None
            }
        }
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Low bits of a lock hash that pick the lock inside its group.
const GROUP_BITS: u32 = 4;

/// The table key of the group of lock `hash`: the same for the 16 hashes of a group,
/// different for different groups, with well-mixed bits throughout (the hash table picks
/// the bucket with the low bits and filters with the top seven).
fn group_of(hash: u64) -> u64 {
    (hash >> GROUP_BITS).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The bit of lock `hash` in its group's mask.
fn bit_of(hash: u64) -> u16 {
    1 << (hash & ((1 << GROUP_BITS) - 1))
}

/// How a lock is held: by one transaction, or shared by any number of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockMode {
    /// Conflicts with every other holder.
    Exclusive,
    /// Conflicts only with an exclusive holder.
    Shared,
}

/// A holder of locks of a group, with the masks of those it holds exclusively and shared
/// (a lock held both ways is exclusive).
#[derive(Debug)]
struct Holder {
    owner: Arc<LockOwner>,
    exclusive: u16,
    shared: u16,
    /// The owner's fast cell (a group's first holder, created by an exclusive lock): the
    /// exclusive locks taken there, not in `exclusive` until [`Holder::fold`].
    fast: Option<Arc<AtomicU32>>,
}

impl Holder {
    fn new(owner: &Arc<LockOwner>, bit: u16, mode: LockMode) -> Holder {
        let mut h = Holder { owner: owner.clone(), exclusive: 0, shared: 0, fast: None };
        h.add(bit, mode);
        h
    }

    /// Moves the locks set in the fast cell into `exclusive`; called under the shard's
    /// mutex before the masks are read. A look by another transaction closes the cell.
    fn fold(&mut self, me: &Arc<LockOwner>) {
        let Some(cell) = &self.fast else { return };
        // The cell keeps its bits (only its owner adds any), so the owner's fast path
        // still knows every lock it took there.
        let bits = if Arc::ptr_eq(&self.owner, me) {
            cell.load(Ordering::Acquire)
        } else {
            cell.fetch_or(CLOSED, Ordering::AcqRel)
        };
        self.exclusive |= (bits & 0xFFFF) as u16;
    }

    fn add(&mut self, bit: u16, mode: LockMode) {
        match mode {
            LockMode::Exclusive => self.exclusive |= bit,
            LockMode::Shared => self.shared |= bit,
        }
    }
}

/// One part of the lock table.
#[derive(Debug, Default)]
struct Shard {
    /// Group → its first holder.
    groups: HashMap<u64, Holder, BuildHasherDefault<PassThrough>>,
    /// Group → its other holders, for groups with more than one.
    more: HashMap<u64, Vec<Holder>, BuildHasherDefault<PassThrough>>,
}

/// What a lock request found in a group.
enum Found {
    /// The caller holds the lock already, at least as strongly as asked.
    Held,
    /// Another transaction holds it in a conflicting mode.
    Busy(Arc<LockOwner>),
    /// The lock was free (or shared, and asked shared) and is now the caller's; `true`
    /// when the caller had no lock of the group before.
    Taken(bool),
    /// The lock's group had no entry; the caller's new entry has this fast cell.
    Created(Arc<AtomicU32>),
}

impl Shard {
    /// Takes lock `hash` in `mode` for `me` unless another transaction holds it in a
    /// conflicting mode. A shared lock `me` holds is upgraded once no one else holds it.
    fn take(&mut self, hash: u64, me: &Arc<LockOwner>, mode: LockMode) -> Found {
        use std::collections::hash_map::Entry;
        let (group, bit) = (group_of(hash), bit_of(hash));
        let first = match self.groups.entry(group) {
            Entry::Vacant(v) => {
                let mut h = Holder::new(me, bit, mode);
                if mode != LockMode::Exclusive {
                    v.insert(h);
                    return Found::Taken(true);
                }
                let cell = Arc::new(AtomicU32::new(u32::from(bit)));
                h.fast = Some(cell.clone());
                v.insert(h);
                return Found::Created(cell);
            }
            Entry::Occupied(o) => o.into_mut(),
        };
        first.fold(me);
        let more = if self.more.is_empty() { None } else { self.more.get_mut(&group) };
        let holders = std::iter::once(&*first).chain(more.iter().flat_map(|m| m.iter()));
        for h in holders {
            let (exclusive, shared) = (h.exclusive & bit != 0, h.shared & bit != 0);
            if !exclusive && !shared {
                continue;
            }
            if Arc::ptr_eq(&h.owner, me) {
                if exclusive || mode == LockMode::Shared {
                    return Found::Held;
                }
                // Held shared and asked exclusive: only if no one else shares it.
            } else if exclusive || mode == LockMode::Exclusive {
                return Found::Busy(h.owner.clone());
            }
        }
        if Arc::ptr_eq(&first.owner, me) {
            first.add(bit, mode);
            return Found::Taken(false);
        }
        match more {
            Some(more) => match more.iter_mut().find(|h| Arc::ptr_eq(&h.owner, me)) {
                Some(mine) => {
                    mine.add(bit, mode);
                    Found::Taken(false)
                }
                None => {
                    more.push(Holder::new(me, bit, mode));
                    Found::Taken(true)
                }
            },
            None => {
                self.more.insert(group, vec![Holder::new(me, bit, mode)]);
                Found::Taken(true)
            }
        }
    }

    /// Drops every lock `me` holds in the group of `hash`.
    fn release(&mut self, hash: u64, me: &Arc<LockOwner>) {
        use std::collections::hash_map::Entry;
        let group = group_of(hash);
        let Entry::Occupied(mut first) = self.groups.entry(group) else { return };
        let mut more = match self.more.entry(group) {
            Entry::Occupied(o) => Some(o),
            Entry::Vacant(_) => None,
        };
        if Arc::ptr_eq(&first.get().owner, me) {
            // The next holder, if any, becomes the first.
            match more.as_mut().and_then(|m| m.get_mut().pop()) {
                Some(next) => *first.get_mut() = next,
                None => drop(first.remove()),
            }
        } else if let Some(m) = more.as_mut() {
            m.get_mut().retain(|h| !Arc::ptr_eq(&h.owner, me));
        }
        if let Some(m) = more {
            if m.get().is_empty() {
                m.remove();
            }
        }
    }

    /// Number of locks held (for tests).
    #[cfg(test)]
    fn locks(&self) -> usize {
        let fast = |h: &Holder| h.fast.as_ref().map_or(0, |c| c.load(Ordering::Acquire) as u16);
        // (Bit 31 of a cell is its closed flag, cut off by the cast.)
        let count = |h: &Holder| (h.exclusive | h.shared | fast(h)).count_ones() as usize;
        self.groups.values().map(count).sum::<usize>()
            + self.more.values().flatten().map(count).sum::<usize>()
    }
}

/// Every held write lock and the wait-for graph.
#[derive(Debug)]
pub(crate) struct LockTable {
    shards: Vec<Mutex<Shard>>,
    /// Waiting transaction id → the holder it waits for.
    waits: Mutex<HashMap<u64, Arc<LockOwner>>>,
    next_id: AtomicU64,
}

impl Default for LockTable {
    fn default() -> Self {
        LockTable {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            waits: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        }
    }
}

/// The lock hash of `key` on `branch`: every byte but the last eight mixed 8 bytes at a
/// time (multiplied and rotated); the last eight, read as a big-endian number `t`, give
/// the low four bits (`t % 16`) and, mixed with the head, the 60 bits above them.
///
/// Keys that differ only in the last four bits of their tail (16 consecutive ascending
/// primary keys of a bulk load) get hashes of one group, so their locks share one entry
/// of the lock table instead of landing at random places in a table of millions, which
/// made locking the largest single cost of a bulk load. The rest of the tail is mixed
/// (each step a bijection on 60 bits), so tails that use few byte values (ASCII digits of
/// `key000123`) still spread over the whole table: adding the raw tail instead put a
/// million such keys into a thousand buckets. Distinct keys with the same head still get
/// distinct hashes; keys with different heads collide only by chance.
pub(crate) fn key_hash(branch: BranchId, key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let (head, tail) = key.split_at(key.len().saturating_sub(8));
    let mut h = u64::from(branch.0).wrapping_mul(K) ^ (key.len() as u64);
    let mut chunks = head.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(K).rotate_left(29);
    }
    let mut rest = 0u64;
    for (i, b) in chunks.remainder().iter().enumerate() {
        rest |= u64::from(*b) << (8 * i);
    }
    h = (h ^ rest).wrapping_mul(K);
    h ^= h >> 32;
    let tail = tail.iter().fold(0u64, |t, b| (t << 8) | u64::from(*b));
    const M60: u64 = (1 << 60) - 1;
    let mut m = (h ^ (tail >> 4)) & M60;
    m = ((m ^ (m >> 31)).wrapping_mul(K)) & M60;
    m = ((m ^ (m >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9)) & M60;
    m ^= m >> 32;
    (m << 4) | (tail & 15)
}

impl LockTable {
    fn shard(&self, hash: u64) -> &Mutex<Shard> {
        &self.shards[Self::shard_of(hash)]
    }

    /// Picked by bits in the middle of the hash, the same for every lock of a group.
    fn shard_of(hash: u64) -> usize {
        (hash >> 32) as usize % SHARDS
    }

    fn owner<'h>(&self, held: &'h mut HeldLocks) -> &'h Arc<LockOwner> {
        held.owner.get_or_insert_with(|| {
            Arc::new(LockOwner {
                id: self.next_id.fetch_add(1, Ordering::Relaxed),
                state: Mutex::new(Outcome::Running),
                done: Condvar::new(),
            })
        })
    }

    /// Takes the lock `hash` for `held`, waiting for its holder to end when needed.
    pub(crate) fn acquire(
        &self,
        held: &mut HeldLocks,
        hash: u64,
        wait: &LockWait,
    ) -> Result<Acquired> {
        self.acquire_as(held, hash, LockMode::Exclusive, wait)
    }

    /// [`LockTable::acquire`] in `mode`: a shared lock waits only for an exclusive holder.
    pub(crate) fn acquire_as(
        &self,
        held: &mut HeldLocks,
        hash: u64,
        mode: LockMode,
        wait: &LockWait,
    ) -> Result<Acquired> {
        if mode == LockMode::Exclusive {
            if let Some(got) = held.take_fast(hash) {
                return Ok(got);
            }
        }
        self.owner(held);
        let mut saw_commit = false;
        // Read only when a wait starts: taking a free lock (every key of a bulk load) stays
        // one hash-table probe, without touching the owner's reference count twice.
        let mut start = None;
        loop {
            let me = held.owner.as_ref().ok_or_else(|| Error::internal("lock owner"))?;
            let found = self.shard(hash).lock().take(hash, me, mode);
            let holder = match found {
                Found::Held => return Ok(Acquired::Held),
                Found::Taken(new_group) => {
                    if new_group {
                        held.groups.push(hash);
                    }
                    return Ok(if saw_commit { Acquired::AfterCommit } else { Acquired::Taken });
                }
                Found::Created(cell) => {
                    held.groups.push(hash);
                    held.fast = Some((group_of(hash), cell));
                    return Ok(if saw_commit { Acquired::AfterCommit } else { Acquired::Taken });
                }
                Found::Busy(holder) => holder,
            };
            let start = *start.get_or_insert_with(Instant::now);
            let me = me.clone();
            if self.wait_for(&me, &holder, wait, start)? == Outcome::Committed {
                saw_commit = true;
            }
        }
    }

    /// Waits until `holder` ends; fails on deadlock, timeout or cancellation.
    fn wait_for(
        &self,
        me: &Arc<LockOwner>,
        holder: &Arc<LockOwner>,
        wait: &LockWait,
        start: Instant,
    ) -> Result<Outcome> {
        {
            let mut waits = self.waits.lock();
            let mut cur = holder.clone();
            for _ in 0..=waits.len() {
                if cur.id == me.id {
                    return Err(StorageError::Deadlock.into());
                }
                match waits.get(&cur.id) {
                    Some(next) => cur = next.clone(),
                    None => break,
                }
            }
            waits.insert(me.id, holder.clone());
        }
        let result = self.sleep_until_done(holder, wait, start);
        self.waits.lock().remove(&me.id);
        result
    }

    fn sleep_until_done(
        &self,
        holder: &LockOwner,
        wait: &LockWait,
        start: Instant,
    ) -> Result<Outcome> {
        let mut state = holder.state.lock();
        loop {
            if *state != Outcome::Running {
                return Ok(*state);
            }
            if wait.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(StorageError::LockWaitCanceled.into());
            }
            let mut slice = WAIT_SLICE;
            if let Some(limit) = wait.timeout {
                let elapsed = start.elapsed();
                if elapsed >= limit {
                    return Err(StorageError::LockTimeout.into());
                }
                slice = slice.min(limit - elapsed);
            }
            holder.done.wait_for(&mut state, slice);
        }
    }

    /// Releases every lock of `held` and wakes its waiters with `outcome`.
    pub(crate) fn release(&self, held: &mut HeldLocks, outcome: Outcome) {
        let Some(me) = held.owner.take() else { return };
        if held.groups.len() < BATCHED_RELEASE {
            for hash in held.groups.drain(..) {
                self.shard(hash).lock().release(hash, &me);
            }
        } else {
            // Many groups (a load): sorted by shard, each shard's mutex is taken once.
            let mut by_shard = vec![Vec::new(); SHARDS];
            for hash in held.groups.drain(..) {
                by_shard[Self::shard_of(hash)].push(hash);
            }
            for (i, hashes) in by_shard.into_iter().enumerate() {
                let mut shard = self.shards[i].lock();
                for hash in hashes {
                    shard.release(hash, &me);
                }
            }
        }
        held.groups = Vec::new();
        held.fast = None;
        *me.state.lock() = outcome;
        me.done.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(k: &[u8]) -> u64 {
        key_hash(BranchId::MAIN, k)
    }

    #[test]
    fn hashes_differ_by_key_and_branch() {
        assert_ne!(hash(b"a"), hash(b"b"));
        assert_ne!(hash(b"abcdefgh1"), hash(b"abcdefgh2"));
        assert_ne!(key_hash(BranchId(2), b"a"), hash(b"a"));
        assert_ne!(hash(b"head1\0\0\0\0\0\0\0\x05"), hash(b"head2\0\0\0\0\0\0\0\x05"));
        // Keys differing only in the last four bits get neighbouring hashes (a bulk
        // load's locks stay together in the table); keys differing in their last eight
        // bytes never share one.
        let seq: Vec<u64> = (0..4096u64)
            .map(|i| hash(&[b"table-prefix".as_slice(), &i.to_be_bytes()].concat()))
            .collect();
        for (i, h) in seq.iter().enumerate() {
            assert_eq!(*h, seq[i & !15] + (i as u64 & 15));
        }
        let distinct: std::collections::HashSet<u64> = seq.iter().copied().collect();
        assert_eq!(distinct.len(), seq.len());
    }

    #[test]
    fn text_keys_with_digit_tails_spread_over_the_table() {
        // 100k keys like `key0000000012345`: their last bytes take only the ten digit
        // values, yet the low bits (the hash table's bucket) must spread widely.
        let n = 100_000u64;
        let buckets: std::collections::HashSet<u64> =
            (0..n).map(|i| hash(format!("key{i:013}").as_bytes()) & ((1 << 17) - 1)).collect();
        // Groups of ten keys (the digits of the last byte) land on random groups of 16
        // buckets: about 57,700 buckets are expected; adding the raw tail used 1,000.
        assert!(buckets.len() > 45_000, "only {} of 131072 buckets used", buckets.len());
        // The hash table's tag (top seven bits) must vary too.
        let tags: std::collections::HashSet<u64> =
            (0..n).map(|i| hash(format!("key{i:013}").as_bytes()) >> 57).collect();
        assert!(tags.len() > 100, "only {} tags", tags.len());
    }

    #[test]
    fn second_locker_waits_for_release() {
        let table = Arc::new(LockTable::default());
        let mut a = HeldLocks::default();
        assert_eq!(table.acquire(&mut a, 7, &LockWait::default()).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire(&mut a, 7, &LockWait::default()).unwrap(), Acquired::Held);
        let t = table.clone();
        let waiter = std::thread::spawn(move || {
            let mut b = HeldLocks::default();
            t.acquire(&mut b, 7, &LockWait::default()).unwrap()
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished());
        table.release(&mut a, Outcome::Committed);
        assert_eq!(waiter.join().unwrap(), Acquired::AfterCommit);
    }

    #[test]
    fn many_locks_are_released_shard_by_shard() {
        let table = LockTable::default();
        let mut a = HeldLocks::default();
        let n = 3 * BATCHED_RELEASE as u64;
        for i in 0..n {
            let h = key_hash(BranchId::MAIN, &i.to_be_bytes());
            assert_eq!(table.acquire(&mut a, h, &LockWait::default()).unwrap(), Acquired::Taken);
        }
        let now = LockWait { timeout: Some(Duration::ZERO), cancel: None };
        let mut b = HeldLocks::default();
        let h0 = key_hash(BranchId::MAIN, &0u64.to_be_bytes());
        assert_eq!(table.acquire(&mut b, h0, &now).unwrap_err().sqlstate().code(), "55P03");
        table.release(&mut a, Outcome::Committed);
        assert!(a.groups.is_empty());
        for i in 0..n {
            let h = key_hash(BranchId::MAIN, &i.to_be_bytes());
            assert_eq!(table.acquire(&mut b, h, &now).unwrap(), Acquired::Taken, "key {i}");
        }
        let left: usize = table.shards.iter().map(|s| s.lock().locks()).sum();
        assert_eq!(left as u64, n, "only b's locks remain");
    }

    #[test]
    fn transactions_share_a_group_but_not_its_locks() {
        let table = LockTable::default();
        let now = LockWait { timeout: Some(Duration::ZERO), cancel: None };
        let busy = |r: Result<Acquired>| r.unwrap_err().sqlstate().code() == "55P03";
        // Hashes 0x40..0x4F form one group; 0x50 is the next.
        let (mut a, mut b, mut c) =
            (HeldLocks::default(), HeldLocks::default(), HeldLocks::default());
        assert_eq!(table.acquire(&mut a, 0x41, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire(&mut b, 0x42, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire(&mut c, 0x43, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire(&mut a, 0x44, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire(&mut c, 0x43, &now).unwrap(), Acquired::Held);
        assert_eq!(table.acquire(&mut a, 0x50, &now).unwrap(), Acquired::Taken);
        for hash in [0x41, 0x44] {
            assert!(busy(table.acquire(&mut b, hash, &now)), "{hash:#x}");
        }
        for hash in [0x42, 0x43] {
            assert!(busy(table.acquire(&mut a, hash, &now)), "{hash:#x}");
        }
        // One entry per group and holder in the release lists.
        assert_eq!((a.groups.len(), b.groups.len(), c.groups.len()), (2, 1, 1));
        // The group's first holder leaves: the others keep exactly their locks.
        table.release(&mut a, Outcome::Committed);
        assert!(busy(table.acquire(&mut b, 0x43, &now)));
        assert!(busy(table.acquire(&mut c, 0x42, &now)));
        assert_eq!(table.acquire(&mut b, 0x41, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire(&mut c, 0x44, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire(&mut c, 0x50, &now).unwrap(), Acquired::Taken);
        table.release(&mut c, Outcome::Aborted);
        table.release(&mut b, Outcome::Committed);
        let left: usize = table.shards.iter().map(|s| s.lock().locks()).sum();
        assert_eq!(left, 0);
        assert!(table.shards.iter().all(|s| {
            let s = s.lock();
            s.groups.is_empty() && s.more.is_empty()
        }));
    }

    #[test]
    fn the_fast_cell_closes_when_another_transaction_looks() {
        let table = LockTable::default();
        let now = LockWait { timeout: Some(Duration::ZERO), cancel: None };
        let busy = |r: Result<Acquired>| r.unwrap_err().sqlstate().code() == "55P03";
        let (mut a, mut b) = (HeldLocks::default(), HeldLocks::default());
        // `a` creates group 0x40 and takes more of its locks through the fast cell.
        for hash in 0x41..0x48 {
            assert_eq!(table.acquire(&mut a, hash, &now).unwrap(), Acquired::Taken);
        }
        assert!(a.fast.is_some());
        assert_eq!(table.acquire(&mut a, 0x43, &now).unwrap(), Acquired::Held);
        // `b` sees the locks set in the cell, and closes it.
        assert!(busy(table.acquire(&mut b, 0x45, &now)));
        assert_eq!(table.acquire(&mut b, 0x48, &now).unwrap(), Acquired::Taken);
        // `a` now goes through the mutex and meets `b`'s lock.
        assert!(busy(table.acquire(&mut a, 0x48, &now)));
        assert!(a.fast.is_none());
        assert_eq!(table.acquire(&mut a, 0x49, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire(&mut a, 0x46, &now).unwrap(), Acquired::Held);
        let locks: usize = table.shards.iter().map(|s| s.lock().locks()).sum();
        assert_eq!(locks, 9);
        table.release(&mut a, Outcome::Committed);
        assert_eq!(table.acquire(&mut b, 0x45, &now).unwrap(), Acquired::Taken);
        table.release(&mut b, Outcome::Committed);
        assert!(table.shards.iter().all(|s| s.lock().groups.is_empty()));
    }

    #[test]
    fn racing_for_one_group_never_grants_a_lock_twice() {
        let now = LockWait { timeout: Some(Duration::ZERO), cancel: None };
        for round in 0..300u64 {
            let table = Arc::new(LockTable::default());
            let base = 0x1000 + (round << 4);
            let mut a = HeldLocks::default();
            // `a` creates the group, so it holds the fast cell.
            table.acquire(&mut a, base, &now).unwrap();
            let start = Arc::new(std::sync::Barrier::new(2));
            let (t, go, wait) = (table.clone(), start.clone(), now.clone());
            let other = std::thread::spawn(move || {
                let mut b = HeldLocks::default();
                go.wait();
                let got: Vec<u64> =
                    (1..16).rev().filter(|i| t.acquire(&mut b, base + i, &wait).is_ok()).collect();
                (got, b)
            });
            start.wait();
            let mine: Vec<u64> =
                (1..16).filter(|i| table.acquire(&mut a, base + i, &now).is_ok()).collect();
            let (theirs, mut b) = other.join().unwrap();
            for i in &mine {
                assert!(!theirs.contains(i), "round {round}: lock {i} granted to both");
            }
            let locks: usize = table.shards.iter().map(|s| s.lock().locks()).sum();
            assert_eq!(locks, 1 + mine.len() + theirs.len(), "round {round}");
            table.release(&mut a, Outcome::Committed);
            table.release(&mut b, Outcome::Committed);
        }
    }

    #[test]
    fn shared_locks_go_together_and_wait_only_for_exclusive_ones() {
        use LockMode::{Exclusive, Shared};
        let table = LockTable::default();
        let now = LockWait { timeout: Some(Duration::ZERO), cancel: None };
        let busy = |r: Result<Acquired>| r.unwrap_err().sqlstate().code() == "55P03";
        let (mut a, mut b, mut c) =
            (HeldLocks::default(), HeldLocks::default(), HeldLocks::default());
        // Two sharers of 0x41; an exclusive request of it waits for both.
        assert_eq!(table.acquire_as(&mut a, 0x41, Shared, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire_as(&mut b, 0x41, Shared, &now).unwrap(), Acquired::Taken);
        assert_eq!(table.acquire_as(&mut a, 0x41, Shared, &now).unwrap(), Acquired::Held);
        assert!(busy(table.acquire_as(&mut c, 0x41, Exclusive, &now)));
        // A sharer cannot upgrade while the other one shares the lock.
        assert!(busy(table.acquire_as(&mut a, 0x41, Exclusive, &now)));
        table.release(&mut b, Outcome::Committed);
        assert!(busy(table.acquire_as(&mut c, 0x41, Exclusive, &now)));
        assert_eq!(table.acquire_as(&mut a, 0x41, Exclusive, &now).unwrap(), Acquired::Taken);
        // Held exclusively, it is held for a shared request too, and blocks other sharers.
        assert_eq!(table.acquire_as(&mut a, 0x41, Shared, &now).unwrap(), Acquired::Held);
        assert!(busy(table.acquire_as(&mut c, 0x41, Shared, &now)));
        // The other locks of the group are independent of it.
        assert_eq!(table.acquire_as(&mut c, 0x42, Exclusive, &now).unwrap(), Acquired::Taken);
        assert!(busy(table.acquire_as(&mut a, 0x42, Shared, &now)));
        table.release(&mut a, Outcome::Aborted);
        assert_eq!(table.acquire_as(&mut c, 0x41, Shared, &now).unwrap(), Acquired::Taken);
        table.release(&mut c, Outcome::Committed);
        let left: usize = table.shards.iter().map(|s| s.lock().locks()).sum();
        assert_eq!(left, 0);
    }

    #[test]
    fn strengths_take_the_locks_of_postgresqls_conflict_table() {
        use RowLockStrength::{KeyShare, NoKeyUpdate, Share, Update};
        let all = [KeyShare, Share, NoKeyUpdate, Update];
        // PostgreSQL's "Conflicting Row-Level Locks" table, rows and columns in `all`'s order.
        let conflicts = [
            [false, false, false, true],
            [false, false, true, true],
            [false, true, true, true],
            [true, true, true, true],
        ];
        for (i, x) in all.into_iter().enumerate() {
            for (j, y) in all.into_iter().enumerate() {
                let table = LockTable::default();
                let now = LockWait { timeout: Some(Duration::ZERO), cancel: None };
                let (mut a, mut b) = (HeldLocks::default(), HeldLocks::default());
                let take = |held: &mut HeldLocks, s: RowLockStrength| -> bool {
                    let locks = [(0x10, s.row_lock()), (0x20, s.key_lock())];
                    locks.into_iter().all(|(hash, mode)| {
                        mode.is_none_or(|m| table.acquire_as(held, hash, m, &now).is_ok())
                    })
                };
                assert!(take(&mut a, x));
                assert_eq!(!take(&mut b, y), conflicts[i][j], "{x:?} then {y:?}");
            }
        }
    }

    #[test]
    fn timeout_and_cancel_end_a_wait() {
        let table = LockTable::default();
        let mut a = HeldLocks::default();
        table.acquire(&mut a, 1, &LockWait::default()).unwrap();
        let mut b = HeldLocks::default();
        let wait = LockWait { timeout: Some(Duration::from_millis(30)), cancel: None };
        let e = table.acquire(&mut b, 1, &wait).unwrap_err();
        assert_eq!(e.sqlstate().code(), "55P03");
        let cancel = Arc::new(AtomicBool::new(true));
        let wait = LockWait { timeout: None, cancel: Some(cancel) };
        let e = table.acquire(&mut b, 1, &wait).unwrap_err();
        assert_eq!(e.sqlstate().code(), "57014");
    }
}
