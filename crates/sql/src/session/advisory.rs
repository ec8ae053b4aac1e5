//! Advisory locks (`pg_advisory_lock` and friends): application-defined locks on a
//! bigint key (or a pair of integers), held by a session until it unlocks them or ends,
//! or by a transaction until it ends. They live only in memory, in one table per
//! database ([`crate::Engine::advisory`]), as in PostgreSQL.
//!
//! A lock is exclusive or shared. A request conflicts with the locks *other* sessions
//! hold on the key (exclusive with anything, shared with exclusive); a session never
//! conflicts with itself, and each acquisition counts, so a session-level lock taken
//! twice needs two unlocks. A waiting request ends on `lock_timeout` (55P03), a cancel
//! or `statement_timeout` (57014). Unlike PostgreSQL, a wait cycle between advisory
//! locks is not detected as a deadlock: the timeouts end it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use helios_common::{Error, Result, SqlState};
use parking_lot::{Condvar, Mutex};

/// An advisory lock key: `pg_advisory_lock(bigint)` and `pg_advisory_lock(int, int)`
/// name different locks even for equal numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdvisoryKey {
    /// One bigint.
    One(i64),
    /// Two integers.
    Two(i32, i32),
}

/// How long an acquisition lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Until unlocked or the session ends.
    Session,
    /// Until the transaction ends.
    Transaction,
}

/// One session's hold of one key in one mode.
#[derive(Debug)]
struct Hold {
    session: u64,
    shared: bool,
    session_count: u32,
    xact_count: u32,
}

/// The advisory lock table of a database.
#[derive(Debug, Default)]
pub struct AdvisoryLocks {
    held: Mutex<HashMap<AdvisoryKey, Vec<Hold>>>,
    released: Condvar,
    /// Transaction-scoped holds in the table, so that commits skip the table when 0.
    xact_holds: AtomicUsize,
    next_session: AtomicU64,
}

/// How long a waiter sleeps between checks for cancellation.
const WAIT_SLICE: Duration = Duration::from_millis(20);

impl AdvisoryLocks {
    /// A new session number (sessions name their holds with it).
    pub fn new_session(&self) -> u64 {
        self.next_session.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Takes `key` for `session` (waiting when `wait` is given, else failing at once);
    /// false when another session holds a conflicting lock and the request does not wait.
    pub fn lock(
        &self,
        session: u64,
        key: AdvisoryKey,
        shared: bool,
        scope: Scope,
        wait: Option<Wait<'_>>,
    ) -> Result<bool> {
        let mut held = self.held.lock();
        let start = Instant::now();
        loop {
            let holds = held.entry(key).or_default();
            let conflict = holds.iter().any(|h| h.session != session && (!h.shared || !shared));
            if !conflict {
                let hold =
                    match holds.iter_mut().position(|h| h.session == session && h.shared == shared)
                    {
                        Some(i) => &mut holds[i],
                        None => {
                            holds.push(Hold { session, shared, session_count: 0, xact_count: 0 });
                            holds.last_mut().ok_or_else(|| Error::internal("advisory hold"))?
                        }
                    };
                match scope {
                    Scope::Session => hold.session_count += 1,
                    Scope::Transaction => {
                        hold.xact_count += 1;
                        self.xact_holds.fetch_add(1, Ordering::Relaxed);
                    }
                }
                return Ok(true);
            }
            if holds.is_empty() {
                held.remove(&key);
            }
            let Some(wait) = &wait else { return Ok(false) };
            check_cancel(wait.cancel)?;
            let mut slice = WAIT_SLICE;
            if let Some(limit) = wait.timeout {
                let elapsed = start.elapsed();
                if elapsed >= limit {
                    return Err(Error::new(
                        SqlState::LOCK_NOT_AVAILABLE,
                        "canceling statement due to lock timeout",
                    ));
                }
                slice = slice.min(limit - elapsed);
            }
            self.released.wait_for(&mut held, slice);
        }
    }

    /// Releases one session-level acquisition of `key` by `session`; false when it held
    /// none in that mode.
    pub fn unlock(&self, session: u64, key: AdvisoryKey, shared: bool) -> bool {
        let mut held = self.held.lock();
        let Some(holds) = held.get_mut(&key) else { return false };
        let Some(i) = holds.iter().position(|h| h.session == session && h.shared == shared) else {
            return false;
        };
        if holds[i].session_count == 0 {
            return false;
        }
        holds[i].session_count -= 1;
        if holds[i].session_count == 0 && holds[i].xact_count == 0 {
            holds.swap_remove(i);
            if holds.is_empty() {
                held.remove(&key);
            }
            self.released.notify_all();
        }
        true
    }

    /// Releases what `session` holds: its session-level locks (`pg_advisory_unlock_all`,
    /// and at session end), its transaction-level locks (at transaction end), or both.
    pub fn release(&self, session: u64, session_level: bool, xact_level: bool) {
        if !session_level && self.xact_holds.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut held = self.held.lock();
        let mut freed = false;
        held.retain(|_, holds| {
            holds.retain_mut(|h| {
                if h.session != session {
                    return true;
                }
                if session_level && h.session_count > 0 {
                    h.session_count = 0;
                    freed = true;
                }
                if xact_level && h.xact_count > 0 {
                    self.xact_holds.fetch_sub(h.xact_count as usize, Ordering::Relaxed);
                    h.xact_count = 0;
                    freed = true;
                }
                h.session_count > 0 || h.xact_count > 0
            });
            !holds.is_empty()
        });
        if freed {
            self.released.notify_all();
        }
    }
}

/// Fails with 57014 when `cancel` is set (a cancel request or `statement_timeout`), for
/// functions that wait.
pub(crate) fn check_cancel(cancel: Option<&AtomicBool>) -> Result<()> {
    cancel.map_or(Ok(()), crate::exec::check_cancel)
}

/// How a waiting acquisition ends early.
#[derive(Clone, Copy, Debug)]
pub struct Wait<'a> {
    /// `lock_timeout`.
    pub timeout: Option<Duration>,
    /// The statement's cancel flag (also set by `statement_timeout`).
    pub cancel: Option<&'a AtomicBool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: AdvisoryKey = AdvisoryKey::One(7);

    #[test]
    fn sessions_conflict_by_mode_and_count_their_acquisitions() {
        let t = AdvisoryLocks::default();
        let (a, b) = (t.new_session(), t.new_session());
        assert!(t.lock(a, K, false, Scope::Session, None).unwrap());
        assert!(t.lock(a, K, false, Scope::Session, None).unwrap(), "re-entrant");
        assert!(t.lock(a, K, true, Scope::Session, None).unwrap(), "own locks never conflict");
        assert!(!t.lock(b, K, true, Scope::Session, None).unwrap());
        assert!(t.lock(b, AdvisoryKey::Two(0, 7), false, Scope::Session, None).unwrap());
        assert!(t.unlock(a, K, false));
        assert!(t.unlock(a, K, true));
        assert!(!t.lock(b, K, false, Scope::Session, None).unwrap(), "one exclusive left");
        assert!(t.unlock(a, K, false));
        assert!(!t.unlock(a, K, false), "nothing left to unlock");
        assert!(t.lock(b, K, true, Scope::Session, None).unwrap());
        assert!(t.lock(a, K, true, Scope::Transaction, None).unwrap(), "shared with shared");
        t.release(a, false, true);
        t.release(b, true, false);
        assert!(t.held.lock().is_empty());
    }

    #[test]
    fn a_waiter_gets_the_lock_when_the_holder_releases_and_times_out_otherwise() {
        let t = std::sync::Arc::new(AdvisoryLocks::default());
        let (a, b) = (t.new_session(), t.new_session());
        assert!(t.lock(a, K, false, Scope::Transaction, None).unwrap());
        let wait = Wait { timeout: Some(Duration::from_millis(30)), cancel: None };
        let e = t.lock(b, K, false, Scope::Session, Some(wait)).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::LOCK_NOT_AVAILABLE);
        let waiter = std::thread::spawn({
            let t = t.clone();
            move || {
                let wait = Wait { timeout: None, cancel: None };
                t.lock(b, K, false, Scope::Session, Some(wait))
            }
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished());
        t.release(a, false, true);
        assert!(waiter.join().unwrap().unwrap());
    }
}
