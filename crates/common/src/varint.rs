//! Unsigned LEB128 varints (7 bits per byte, low bits first, high bit set on every byte
//! but the last), as the spill, temporary-run and sort-run formats write their lengths
//! and numbers.

/// Appends `v`.
#[inline]
pub fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads the varint at `*at` and moves past it; `None` when `d` ends inside it or it
/// runs past 64 bits (the caller reports its own corruption error).
#[inline]
pub fn get(d: &[u8], at: &mut usize) -> Option<u64> {
    // Most lengths and deltas fit one byte.
    if let Some(&b) = d.get(*at).filter(|&&b| b < 0x80) {
        *at += 1;
        return Some(u64::from(b));
    }
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *d.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_every_length_round_trip() {
        let mut buf = Vec::new();
        let values: Vec<u64> = (0..64).map(|s| 1u64 << s).chain([0, 127, 128, u64::MAX]).collect();
        for &v in &values {
            put(&mut buf, v);
        }
        let mut at = 0;
        for &v in &values {
            assert_eq!(get(&buf, &mut at), Some(v));
        }
        assert_eq!(at, buf.len());
        assert_eq!(get(&buf, &mut at), None, "past the end");
        assert_eq!(get(&[0x80, 0x80], &mut 0), None, "cut inside");
        assert_eq!(get(&[0xFF; 11], &mut 0), None, "longer than 64 bits");
    }
}
