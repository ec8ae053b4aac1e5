//! How many sessions use something: a branch (`DROP BRANCH` refuses a branch in use) or
//! a role (`CONNECTION LIMIT`).

use std::collections::HashMap;
use std::hash::Hash;

use parking_lot::Mutex;

/// Sessions per key; keys nobody uses are not kept.
#[derive(Debug)]
pub struct UseCounts<K>(Mutex<HashMap<K, usize>>);

impl<K> Default for UseCounts<K> {
    fn default() -> Self {
        UseCounts(Mutex::new(HashMap::new()))
    }
}

impl<K: Hash + Eq + Copy> UseCounts<K> {
    /// One more session uses `k`.
    pub(crate) fn enter(&self, k: K) {
        *self.0.lock().entry(k).or_insert(0) += 1;
    }

    /// One more session uses `k`, unless `limit` sessions already do (then `false`).
    pub(crate) fn enter_within(&self, k: K, limit: usize) -> bool {
        let mut m = self.0.lock();
        let n = m.entry(k).or_insert(0);
        if *n >= limit {
            if *n == 0 {
                m.remove(&k);
            }
            return false;
        }
        *n += 1;
        true
    }

    /// A session stopped using `k`.
    pub(crate) fn leave(&self, k: K) {
        let mut m = self.0.lock();
        if let Some(n) = m.get_mut(&k) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&k);
            }
        }
    }

    /// Sessions using `k`.
    pub fn count(&self, k: K) -> usize {
        self.0.lock().get(&k).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_limits() {
        let c = UseCounts::<u32>::default();
        assert!(c.enter_within(7, 2));
        assert!(c.enter_within(7, 2));
        assert!(!c.enter_within(7, 2));
        assert!(!c.enter_within(8, 0));
        assert_eq!((c.count(7), c.count(8)), (2, 0));
        c.leave(7);
        assert!(c.enter_within(7, 2));
        c.enter(8);
        c.leave(8);
        c.leave(8);
        assert_eq!(c.count(8), 0);
        assert!(c.0.lock().get(&8).is_none());
    }
}
