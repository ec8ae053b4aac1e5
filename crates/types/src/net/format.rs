//! Text output of `inet` and `cidr`, and the texts of `host`, `text` and `abbrev`.
//!
//! IPv4 always prints four octets. IPv6 prints lowercase hex groups with the longest
//! run of two or more zero groups (the first, on a tie) as `::`, and an address whose
//! first 96 bits are zero, or which is `::ffff:0:0/96`-mapped, with a dotted IPv4 tail.
//! `inet` leaves out a full-length mask (`/32`, `/128`); `cidr` always shows it.

use std::fmt::Write;

use super::{Family, Inet};

/// The address alone, without any mask (`host()`).
pub fn format_host(inet: &Inet) -> String {
    let a = inet.addr();
    match inet.family() {
        Family::V4 => format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        Family::V6 => format_v6(a),
    }
}

/// `inet` output: the address, and `/bits` unless the mask covers the whole address.
pub fn format_inet(inet: &Inet) -> String {
    let mut out = format_host(inet);
    if inet.bits() != inet.family().max_bits() {
        let _ = write!(out, "/{}", inet.bits());
    }
    out
}

/// `cidr` output, and `text(inet)`: the address and always `/bits`.
pub fn format_cidr(inet: &Inet) -> String {
    let mut out = format_host(inet);
    let _ = write!(out, "/{}", inet.bits());
    out
}

/// An IPv6 address as PostgreSQL prints it.
fn format_v6(a: &[u8]) -> String {
    let words: Vec<u16> = a.chunks(2).map(|w| u16::from(w[0]) << 8 | u16::from(w[1])).collect();
    // The longest run of zero words; a run of one is not compressed.
    let mut best: Option<(usize, usize)> = None;
    let mut cur: Option<(usize, usize)> = None;
    for (i, w) in words.iter().enumerate() {
        if *w == 0 {
            cur = Some(cur.map_or((i, 1), |(s, l)| (s, l + 1)));
        } else if let Some(c) = cur.take() {
            if best.is_none_or(|b| c.1 > b.1) {
                best = Some(c);
            }
        }
    }
    if let Some(c) = cur {
        if best.is_none_or(|b| c.1 > b.1) {
            best = Some(c);
        }
    }
    let best = best.filter(|b| b.1 >= 2);
    let mut out = String::with_capacity(40);
    let mut i = 0;
    while i < 8 {
        if let Some((base, len)) = best {
            if i >= base && i < base + len {
                if i == base {
                    out.push(':');
                }
                i += 1;
                continue;
            }
        }
        if i != 0 {
            out.push(':');
        }
        let v4_tail =
            matches!(best, Some((0, 6))) || (matches!(best, Some((0, 5))) && words[5] == 0xffff);
        if i == 6 && v4_tail {
            let _ = write!(out, "{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
            return out;
        }
        let _ = write!(out, "{:x}", words[i]);
        i += 1;
    }
    if best.is_some_and(|(base, len)| base + len == 8) {
        out.push(':');
    }
    out
}

/// `abbrev(cidr)`: IPv4 shows only the octets the mask reaches (`10.1/16`); IPv6
/// shows only the words the mask reaches, zero runs compressed.
pub fn abbrev_cidr(inet: &Inet) -> String {
    let bits = inet.bits();
    let mut out = match inet.family() {
        Family::V4 => abbrev_v4(inet.addr(), bits),
        Family::V6 => abbrev_v6(inet.addr(), bits),
    };
    let _ = write!(out, "/{bits}");
    out
}

fn abbrev_v4(a: &[u8], bits: u8) -> String {
    if bits == 0 {
        return "0".into();
    }
    let whole = usize::from(bits / 8);
    let mut parts: Vec<String> = a[..whole].iter().map(u8::to_string).collect();
    let partial = bits % 8;
    if partial > 0 {
        let m = 0xffu8 << (8 - partial);
        parts.push((a[whole] & m).to_string());
    }
    parts.join(".")
}

/// PostgreSQL's `inet_cidr_ntop` for IPv6, including its way of finding the zero run
/// (a shorter run seen after the longest one can extend a later one).
fn abbrev_v6(a: &[u8], bits: u8) -> String {
    if bits == 0 {
        return "::".into();
    }
    let mut s = [0u8; 16];
    let p = usize::from(bits).div_ceil(8);
    s[..p].copy_from_slice(&a[..p]);
    if !bits.is_multiple_of(8) {
        s[p - 1] &= 0xffu8 << (8 - bits % 8);
    }
    let words = usize::from(bits).div_ceil(16).max(2);
    let (mut zero_s, mut zero_l, mut tmp_s, mut tmp_l) = (0usize, 0usize, 0usize, 0usize);
    for i in 0..words {
        if s[2 * i] | s[2 * i + 1] == 0 {
            if tmp_l == 0 {
                tmp_s = i;
            }
            tmp_l += 1;
        } else if tmp_l != 0 && zero_l < tmp_l {
            zero_s = tmp_s;
            zero_l = tmp_l;
            tmp_l = 0;
        }
    }
    if tmp_l != 0 && zero_l < tmp_l {
        zero_s = tmp_s;
        zero_l = tmp_l;
    }
    let is_v4 = zero_l != words
        && zero_s == 0
        && (zero_l == 6
            || (zero_l == 5 && s[10] == 0xff && s[11] == 0xff)
            || (zero_l == 7 && s[14] != 0 && s[15] != 1));
    let mut out = String::new();
    let mut at = 0;
    for p in 0..words {
        if zero_l != 0 && p >= zero_s && p < zero_s + zero_l {
            if p == zero_s {
                out.push(':');
            }
            if p == words - 1 {
                out.push(':');
            }
            at += 2;
            continue;
        }
        if is_v4 && p > 5 {
            out.push(if p == 6 { ':' } else { '.' });
            let _ = write!(out, "{}", s[at]);
            at += 1;
            if p != 7 || bits > 120 {
                let _ = write!(out, ".{}", s[at]);
                at += 1;
            }
        } else {
            if !out.is_empty() {
                out.push(':');
            }
            let _ = write!(out, "{:x}", u16::from(s[at]) << 8 | u16::from(s[at + 1]));
            at += 2;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::parse::parse_inet;

    fn abbrev(s: &str) -> String {
        abbrev_cidr(&parse_inet(s, true).unwrap())
    }

    #[test]
    fn inet_and_cidr_output() {
        let a = parse_inet("192.168.1.5/24", false).unwrap();
        assert_eq!(format_inet(&a), "192.168.1.5/24");
        assert_eq!(format_cidr(&a), "192.168.1.5/24");
        assert_eq!(format_host(&a), "192.168.1.5");
        let h = parse_inet("10.0.0.1", false).unwrap();
        assert_eq!(format_inet(&h), "10.0.0.1");
        assert_eq!(format_cidr(&h), "10.0.0.1/32");
        let six = parse_inet("fe80:0:0:0:0:0:0:1/128", false).unwrap();
        assert_eq!(format_inet(&six), "fe80::1");
        assert_eq!(format_cidr(&six), "fe80::1/128");
    }

    #[test]
    fn ipv6_compression() {
        let f = |s: &str| format_inet(&parse_inet(s, false).unwrap());
        assert_eq!(f("0:0:0:0:0:0:0:0"), "::");
        assert_eq!(f("1:0:2:0:0:3:0:0"), "1:0:2::3:0:0");
        assert_eq!(f("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
        assert_eq!(f("1:2:3:4:5:6:7:0"), "1:2:3:4:5:6:7:0");
        assert_eq!(f("::0.0.0.1"), "::1");
        assert_eq!(f("::ffff:0:0"), "::ffff:0.0.0.0");
        assert_eq!(f("0:0:0:0:1:ffff:1.2.3.4"), "::1:ffff:102:304");
    }

    #[test]
    fn abbreviated_networks() {
        assert_eq!(abbrev("10.1.0.0/16"), "10.1/16");
        assert_eq!(abbrev("10.0.0.0/8"), "10/8");
        assert_eq!(abbrev("0.0.0.0/0"), "0/0");
        assert_eq!(abbrev("192.168.1.128/25"), "192.168.1.128/25");
        assert_eq!(abbrev("10.1.2.3/32"), "10.1.2.3/32");
        assert_eq!(abbrev("::/0"), "::/0");
        assert_eq!(abbrev("2001:db8::/32"), "2001:db8/32");
        assert_eq!(abbrev("2001:db8::/64"), "2001:db8::/64");
    }
}
