//! Key ranges for index scans over encoded keys.
//!
//! Because every column encoding is prefix-free, all keys whose leading columns equal a
//! given encoded prefix `p` lie in `[p, prefix_end(p))`. The same bound turns "all keys
//! greater than `p`" into the exclusive start `prefix_end(p)`.

/// The smallest byte string greater than every string starting with `prefix`, or `None`
/// when no such string exists (the prefix is empty or all `0xFF`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keycode::{encode_key, KeyColumn};
    use crate::{DataType, Value};

    #[test]
    fn bounds_every_extension() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
        assert_eq!(prefix_end(&[]), None);
        let first = [KeyColumn::asc(DataType::Text)];
        let both = [KeyColumn::asc(DataType::Text), KeyColumn::desc(DataType::Int8)];
        let p = encode_key(&[Value::Text("ab".into())], &first).unwrap();
        let end = prefix_end(&p).unwrap();
        for (s, n) in [("ab", i64::MIN), ("ab", i64::MAX), ("ab", 0)] {
            let k = encode_key(&[Value::Text(s.into()), Value::Int8(n)], &both).unwrap();
            assert!(p.as_slice() <= k.as_slice() && k < end);
        }
        for s in ["ab\0", "abc", "a", "b"] {
            let k = encode_key(&[Value::Text(s.into()), Value::Int8(0)], &both).unwrap();
            assert!(k < p || k >= end, "{s:?}");
        }
    }
}
