//! User-defined enum types (`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`).
//!
//! Every label of an enum has an immutable **order key**: a non-empty byte string that
//! does not end in `0x00`, read as a base-256 fraction `0.k1k2k3...`. Labels sort by
//! their keys (bytewise order equals numeric order because no key ends in zero), and a
//! key is what rows and index entries store for an enum value. A new label placed
//! `BEFORE`/`AFTER` another gets a key strictly between its neighbours ([`key_between`]),
//! so no stored key ever changes meaning and no index needs rebuilding; renaming a label
//! changes only the label text in the catalog. The format is in `docs/storage-format.md`.
//!
//! A value in memory is an [`EnumValue`]: the type (shared) and the position of its label
//! in that type's sorted label list, so comparison of two values of one type is an
//! integer comparison.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// One label of an enum type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumLabel {
    /// The label text.
    pub label: String,
    /// Its immutable order key (see the module notes).
    pub key: Vec<u8>,
}

/// An enum type as the catalog defines it at one snapshot.
///
/// Two definitions are equal when they have the same OID, name and labels; hashing uses
/// the OID only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumType {
    /// The type's OID (its catalog object id).
    pub oid: u32,
    /// The schema the type lives in.
    pub schema: String,
    /// The type name (unqualified).
    pub name: String,
    /// The labels, sorted by order key (declaration order).
    pub labels: Vec<EnumLabel>,
}

impl Hash for EnumType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.oid.hash(state);
    }
}

impl EnumType {
    /// A stand-in carrying only the OID, used while a stored column type is read before
    /// the type definitions are (the catalog swaps in the full definition).
    pub fn placeholder(oid: u32) -> EnumType {
        EnumType { oid, schema: String::new(), name: String::new(), labels: Vec::new() }
    }

    /// Whether this is a stand-in from [`EnumType::placeholder`].
    pub fn is_placeholder(&self) -> bool {
        self.name.is_empty()
    }

    /// The position of `label`, if the type has it.
    pub fn position(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l.label == label)
    }

    /// The position of the label with order key `key`, if any.
    pub fn position_of_key(&self, key: &[u8]) -> Option<usize> {
        self.labels.binary_search_by(|l| l.key.as_slice().cmp(key)).ok()
    }
}

/// A value of an enum type.
#[derive(Clone, Debug)]
pub struct EnumValue {
    /// The type, as the catalog had it when the value was made.
    pub ty: Arc<EnumType>,
    /// The position of the value's label in `ty.labels`.
    pub index: u32,
}

impl EnumValue {
    /// The value of `ty` whose label is at `index`; `None` if out of range.
    pub fn new(ty: Arc<EnumType>, index: usize) -> Option<EnumValue> {
        let index32 = u32::try_from(index).ok().filter(|_| index < ty.labels.len())?;
        Some(EnumValue { ty, index: index32 })
    }

    /// The label text.
    pub fn label(&self) -> &str {
        self.ty.labels.get(self.index as usize).map(|l| l.label.as_str()).unwrap_or("")
    }

    /// The stored order key.
    pub fn key(&self) -> &[u8] {
        self.ty.labels.get(self.index as usize).map(|l| l.key.as_slice()).unwrap_or(&[])
    }

    /// Declaration order; `None` for values of different enum types.
    pub fn compare(&self, other: &EnumValue) -> Option<Ordering> {
        if self.ty.oid != other.ty.oid {
            return None;
        }
        if Arc::ptr_eq(&self.ty, &other.ty) {
            return Some(self.index.cmp(&other.index));
        }
        Some(self.key().cmp(other.key()))
    }
}

impl PartialEq for EnumValue {
    fn eq(&self, other: &EnumValue) -> bool {
        self.compare(other) == Some(Ordering::Equal)
    }
}

/// An order key strictly between `low` and `high` (`None` standing for the ends, 0 and
/// 1). Keys are base-256 fractions: the result is the midpoint at one more digit of
/// precision than the longer bound, without trailing zero bytes, so it is as short as
/// the bounds allow. `low < high` must hold; then `low < result < high`.
pub fn key_between(low: Option<&[u8]>, high: Option<&[u8]>) -> Vec<u8> {
    let low = low.unwrap_or(&[]);
    let len = low.len().max(high.map_or(0, <[u8]>::len)) + 1;
    // Digits of `low` and `high` at `len` places; `high = None` is 1.0, carried as an
    // integer part.
    let digits = |k: &[u8]| -> Vec<u32> {
        (0..len).map(|i| u32::from(k.get(i).copied().unwrap_or(0))).collect()
    };
    let a = digits(low);
    let (b, b_int) = match high {
        Some(h) => (digits(h), 0u32),
        None => (vec![0; len], 1u32),
    };
    // sum = a + b, with a possible integer carry, then halve.
    let mut sum = vec![0u32; len];
    let mut carry = 0;
    for i in (0..len).rev() {
        let s = a[i] + b[i] + carry;
        sum[i] = s % 256;
        carry = s / 256;
    }
    let mut rem = carry + b_int;
    let mut out = Vec::with_capacity(len);
    for d in sum {
        let cur = rem * 256 + d;
        out.push((cur / 2) as u8);
        rem = cur % 2;
    }
    // A remainder here would need one more digit; `len` already has a spare digit, and
    // the midpoint of two integers at that precision can be odd: round down, which still
    // lies strictly between because the bounds differ by at least 256 units.
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// Order keys for a new enum's labels, in declaration order: `[1]`, `[2]`, ...,
/// `[255]`, `[255, 1]`, ... (each the shortest key after the previous one).
pub fn initial_keys(count: usize) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = Vec::with_capacity(count);
    for _ in 0..count {
        let next = match keys.last() {
            None => vec![1],
            Some(prev) => key_after(prev),
        };
        keys.push(next);
    }
    keys
}

/// The shortest key after `key` that is still close to it: increments the first byte
/// that is not `0xff` and cuts the rest, or appends `1` when every byte is `0xff`.
pub fn key_after(key: &[u8]) -> Vec<u8> {
    match key.iter().position(|&b| b != 0xff) {
        Some(i) => {
            let mut out = key[..i].to_vec();
            out.push(key[i] + 1);
            out
        }
        None => {
            let mut out = key.to_vec();
            out.push(1);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(k: &[u8]) -> bool {
        !k.is_empty() && k.last() != Some(&0)
    }

    #[test]
    fn keys_between_stay_between() {
        let mut keys = initial_keys(3);
        assert_eq!(keys, vec![vec![1], vec![2], vec![3]]);
        // Insert repeatedly before the first and between the first two.
        for _ in 0..100 {
            let k = key_between(None, Some(&keys[0]));
            assert!(valid(&k) && k < keys[0], "{k:?}");
            keys.insert(0, k);
            let m = key_between(Some(&keys[0]), Some(&keys[1]));
            assert!(valid(&m) && keys[0] < m && m < keys[1], "{m:?}");
            keys.insert(1, m);
        }
        let last = keys.last().cloned().unwrap();
        let after = key_between(Some(&last), None);
        assert!(valid(&after) && after > last);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn keys_after_grow_slowly() {
        let keys = initial_keys(600);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert!(keys.iter().all(|k| valid(k) && k.len() <= 3));
    }

    #[test]
    fn values_compare_in_declaration_order() {
        let ty = Arc::new(EnumType {
            oid: 1,
            schema: "public".into(),
            name: "mood".into(),
            labels: vec![
                EnumLabel { label: "sad".into(), key: vec![1] },
                EnumLabel { label: "ok".into(), key: vec![1, 128] },
                EnumLabel { label: "happy".into(), key: vec![2] },
            ],
        });
        let v = |i| EnumValue::new(ty.clone(), i).unwrap();
        assert_eq!(v(0).compare(&v(2)), Some(Ordering::Less));
        assert_eq!(v(1).label(), "ok");
        assert_eq!(ty.position_of_key(&[1, 128]), Some(1));
        let mut other = (*ty).clone();
        other.labels.remove(0);
        let w = EnumValue::new(Arc::new(other), 0).unwrap();
        assert_eq!(w, v(1), "same label under two versions of the type");
    }
}
