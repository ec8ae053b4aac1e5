//! Paging over a storage range: the transaction's `scan` returns at most `limit` pairs,
//! so longer scans ask again from just after the last key returned.

use std::ops::Bound;

use helios_common::Result;
use helios_storage::Transaction;

/// The range of every key starting with `prefix`.
pub fn prefix_range(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (Bound::Included(prefix.to_vec()), prefix_end(prefix))
}

/// The exclusive upper bound of keys starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Bound::Excluded(end);
        }
    }
    Bound::Unbounded
}

/// A forward or reverse scan read page by page.
#[derive(Debug)]
pub struct ScanPages {
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    reverse: bool,
    page: usize,
    done: bool,
}

impl ScanPages {
    /// A scan of `range`, `page` pairs at a time.
    pub fn new(range: (Bound<Vec<u8>>, Bound<Vec<u8>>), reverse: bool, page: usize) -> ScanPages {
        ScanPages { lower: range.0, upper: range.1, reverse, page: page.max(1), done: false }
    }

    /// The next page of pairs; empty when the scan is over.
    pub fn next_page(&mut self, txn: &Transaction) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        if self.done {
            return Ok(Vec::new());
        }
        let pairs = txn.scan((self.lower.clone(), self.upper.clone()), self.reverse, self.page)?;
        if pairs.len() < self.page {
            self.done = true;
        }
        if let Some((last, _)) = pairs.last() {
            if self.reverse {
                self.upper = Bound::Excluded(last.clone());
            } else {
                self.lower = Bound::Excluded(last.clone());
            }
        }
        Ok(pairs)
    }

    /// Changes how many pairs the following pages hold.
    pub fn set_page(&mut self, page: usize) {
        self.page = page.max(1);
    }

    /// Reads everything left.
    pub fn collect_all(mut self, txn: &Transaction) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        loop {
            let page = self.next_page(txn)?;
            if page.is_empty() {
                return Ok(out);
            }
            out.extend(page);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_carries() {
        assert_eq!(prefix_end(&[1, 2]), Bound::Excluded(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xff]), Bound::Excluded(vec![2]));
        assert_eq!(prefix_end(&[0xff]), Bound::Unbounded);
    }
}
