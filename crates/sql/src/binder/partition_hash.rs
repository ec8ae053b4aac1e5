//! The hash that decides which hash partition takes a row, computed as PostgreSQL
//! computes it, so rows land in the same hash partitions as in PostgreSQL.
//!
//! Each non-NULL key value is hashed with its type's extended hash function and the seed
//! PostgreSQL uses for partitioning, and the hashes are combined left to right starting
//! from 0; the row belongs to the partition whose remainder is `hash % modulus`. The
//! per-value hash is Bob Jenkins' lookup3 (public domain) over 32-bit words, as in
//! PostgreSQL: integers of up to 32 bits hash their value as one word, `bigint` folds its
//! high half into the low one, text hashes its UTF-8 bytes. Other types have no
//! PostgreSQL-compatible hash here and use [`fallback`] (a documented difference).

use helios_types::Value;

/// The seed PostgreSQL's partition routing passes to every extended hash function.
const PARTITION_SEED: u64 = 0x7A5B_2236_7996_DCFD;

fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

fn finish(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

fn seeded(init: u32, seed: u64) -> (u32, u32, u32) {
    let (mut a, mut b, mut c) = (init, init, init);
    a = a.wrapping_add((seed >> 32) as u32);
    b = b.wrapping_add(seed as u32);
    mix(&mut a, &mut b, &mut c);
    (a, b, c)
}

/// lookup3 of one 32-bit word with a 64-bit seed.
fn hash_word(k: u32, seed: u64) -> u64 {
    let (mut a, mut b, mut c) =
        seeded(0x9e37_79b9u32.wrapping_add(4).wrapping_add(3_923_095), seed);
    a = a.wrapping_add(k);
    finish(&mut a, &mut b, &mut c);
    (u64::from(b) << 32) | u64::from(c)
}

/// lookup3 of a byte string with a 64-bit seed (words read little-endian).
fn hash_bytes(k: &[u8], seed: u64) -> u64 {
    let init = 0x9e37_79b9u32.wrapping_add(k.len() as u32).wrapping_add(3_923_095);
    let (mut a, mut b, mut c) = seeded(init, seed);
    let word = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
    let mut rest = k;
    while rest.len() >= 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        mix(&mut a, &mut b, &mut c);
        rest = &rest[12..];
    }
    // The last bytes; the lowest byte of `c` stays for the length.
    let byte = |i: usize| u32::from(rest[i]);
    let n = rest.len();
    if n >= 11 {
        c = c.wrapping_add(byte(10) << 24);
    }
    if n >= 10 {
        c = c.wrapping_add(byte(9) << 16);
    }
    if n >= 9 {
        c = c.wrapping_add(byte(8) << 8);
    }
    if n >= 8 {
        b = b.wrapping_add(byte(7) << 24);
    }
    if n >= 7 {
        b = b.wrapping_add(byte(6) << 16);
    }
    if n >= 6 {
        b = b.wrapping_add(byte(5) << 8);
    }
    if n >= 5 {
        b = b.wrapping_add(byte(4));
    }
    if n >= 4 {
        a = a.wrapping_add(byte(3) << 24);
    }
    if n >= 3 {
        a = a.wrapping_add(byte(2) << 16);
    }
    if n >= 2 {
        a = a.wrapping_add(byte(1) << 8);
    }
    if n >= 1 {
        a = a.wrapping_add(byte(0));
    }
    finish(&mut a, &mut b, &mut c);
    (u64::from(b) << 32) | u64::from(c)
}

fn combine(a: u64, b: u64) -> u64 {
    a ^ b.wrapping_add(0x49a0_f4dd_15e5_a8e3).wrapping_add(a << 54).wrapping_add(a >> 7)
}

/// FNV-1a over a value's PostgreSQL text, for types without a compatible hash here.
fn fallback(v: &Value) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_pg_text().as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The partition hash of a key (NULLs contribute nothing).
pub fn partition_hash(values: &[Value]) -> u64 {
    let mut row = 0u64;
    for v in values {
        let h = match v {
            Value::Null => continue,
            Value::Int2(i) => hash_word(i32::from(*i) as u32, PARTITION_SEED),
            Value::Int4(i) => hash_word(*i as u32, PARTITION_SEED),
            Value::Int8(i) => {
                let lo = *i as u32;
                let hi = (*i >> 32) as u32;
                hash_word(if *i >= 0 { lo ^ hi } else { lo ^ !hi }, PARTITION_SEED)
            }
            Value::Bool(b) => hash_word(u32::from(*b), PARTITION_SEED),
            Value::Text(s) => hash_bytes(s.as_bytes(), PARTITION_SEED),
            Value::Bytea(b) => hash_bytes(b, PARTITION_SEED),
            other => fallback(other),
        };
        row = combine(row, h);
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where PostgreSQL 15 puts rows (checked there with `tableoid`).
    #[test]
    fn rows_land_where_postgres_puts_them() {
        let want = [
            (-3, 0),
            (-2, 2),
            (-1, 1),
            (0, 0),
            (1, 0),
            (2, 2),
            (3, 1),
            (4, 3),
            (5, 1),
            (6, 3),
            (7, 3),
            (8, 1),
            (9, 1),
            (10, 3),
            (11, 1),
            (12, 0),
        ];
        for (v, part) in want {
            assert_eq!(partition_hash(&[Value::Int4(v)]) % 4, part, "int4 {v}");
        }
        let t = |s: &str| Value::Text(s.to_string());
        let rows = [
            (Value::Null, Value::Int8(3), 1),
            (t(""), Value::Int8(1), 2),
            (t("a"), Value::Int8(2), 0),
            (t("abc"), Value::Int8(-5), 1),
            (t("hello world!"), Value::Int8(7), 0),
            (t("partition keys"), Value::Int8(9_999_999_999), 2),
            (t("x"), Value::Null, 1),
        ];
        for (a, b, part) in rows {
            let h = partition_hash(&[a.clone(), b.clone()]);
            assert_eq!(h % 3, part, "({a:?}, {b:?})");
        }
    }
}
