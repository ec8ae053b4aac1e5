//! Text input of `inet` and `cidr`, accepting what PostgreSQL 15 accepts.
//!
//! An input with a `:` is IPv6, anything else IPv4. IPv4 `inet` needs all four
//! decimal octets unless a mask length is given (`10.1/16`); `cidr` also takes fewer
//! octets (`10.1.2`), a hexadecimal form (`0x0a01`), and without a mask length imputes
//! the classful one (`10` is `10.0.0.0/8`, `128.1` is `128.1.0.0/16`). A `cidr` may not
//! have bits set right of its mask. No surrounding blanks are allowed.

use helios_common::SqlState;

use super::{Family, Inet};
use crate::error::{TypeError, TypeResult};

/// Parses `inet` (`cidr` false) or `cidr` (`cidr` true) text input.
///
/// Errors are PostgreSQL's: `22P02 invalid input syntax for type inet: "..."`, and
/// for a `cidr` with host bits `22P02 invalid cidr value: "..."` with the detail
/// `Value has bits set to right of mask.`
pub fn parse_inet(input: &str, cidr: bool) -> TypeResult<Inet> {
    let ty = if cidr { "cidr" } else { "inet" };
    let parsed = if input.contains(':') {
        parse_v6(input.as_bytes())
    } else if cidr {
        parse_v4_cidr(input.as_bytes())
    } else {
        parse_v4_inet(input.as_bytes())
    };
    let (family, bytes, bits) = parsed.ok_or_else(|| TypeError::syntax(ty, input))?;
    let inet = Inet::new(family, bits, &bytes[..family.addr_len()])
        .ok_or_else(|| TypeError::syntax(ty, input))?;
    if cidr && !inet.is_network() {
        return Err(bad_cidr(input));
    }
    Ok(inet)
}

/// `22P02 invalid cidr value: "..."` (host bits set).
fn bad_cidr(input: &str) -> TypeError {
    TypeError::other(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("invalid cidr value: \"{input}\""),
    )
    .with_detail("Value has bits set to right of mask.")
}

/// A run of decimal digits at `at` (leading zeros allowed) whose value stays at most
/// `max`; returns the value and the position after it.
fn decimal(s: &[u8], at: usize, max: u32) -> Option<(u32, usize)> {
    let mut end = at;
    let mut v: u32 = 0;
    while let Some(d) = s.get(end).filter(|c| c.is_ascii_digit()) {
        v = v * 10 + u32::from(d - b'0');
        if v > max {
            return None;
        }
        end += 1;
    }
    (end > at).then_some((v, end))
}

/// The `/bits` suffix at `at` (the `/` included) running to the end of the input.
fn mask_suffix(s: &[u8], at: usize, max: u32) -> Option<u8> {
    if s.get(at) != Some(&b'/') {
        return None;
    }
    let (bits, end) = decimal(s, at + 1, max)?;
    (end == s.len()).then_some(bits as u8)
}

/// IPv4 `inet`: one to four octets; without `/bits` all four are needed (mask 32); a
/// mask may not claim more whole octets than were written.
fn parse_v4_inet(s: &[u8]) -> Option<(Family, [u8; 16], u8)> {
    let mut bytes = [0u8; 16];
    let mut n = 0;
    let mut at = 0;
    while s.get(at).is_some_and(u8::is_ascii_digit) {
        let (v, end) = decimal(s, at, 255)?;
        if n == 4 {
            return None;
        }
        bytes[n] = v as u8;
        n += 1;
        at = end;
        match s.get(at) {
            // PostgreSQL lets one trailing dot pass (`1.2.3.4.`).
            Some(b'.') => at += 1,
            _ => break,
        }
    }
    if n == 0 {
        return None;
    }
    let bits = match s.get(at) {
        None => 32,
        Some(b'/') => mask_suffix(s, at, 32)?,
        Some(_) => return None,
    };
    if (bits == 32 && s.get(at).is_none() && n != 4) || usize::from(bits / 8) > n {
        return None;
    }
    Some((Family::V4, bytes, bits))
}

/// IPv4 `cidr`: decimal octets (fewer than four allowed) or `0x` hexadecimal, an
/// optional `/bits`, else the classful mask widened to the octets written.
fn parse_v4_cidr(s: &[u8]) -> Option<(Family, [u8; 16], u8)> {
    let mut bytes = [0u8; 16];
    let mut n = 0;
    let mut at;
    let hex =
        s.len() > 2 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X') && s[2].is_ascii_hexdigit();
    if hex {
        at = 2;
        let mut nybbles = 0;
        while let Some(d) = s.get(at).and_then(|c| (*c as char).to_digit(16)) {
            if nybbles == 8 {
                return None;
            }
            let d = d as u8;
            bytes[nybbles / 2] |= if nybbles % 2 == 0 { d << 4 } else { d };
            nybbles += 1;
            at += 1;
        }
        n = nybbles.div_ceil(2);
    } else {
        at = 0;
        loop {
            let (v, end) = decimal(s, at, 255)?;
            if n == 4 {
                return None;
            }
            bytes[n] = v as u8;
            n += 1;
            at = end;
            if s.get(at) != Some(&b'.') {
                break;
            }
            at += 1;
        }
    }
    let bits = match s.get(at) {
        None => None,
        Some(b'/') if n > 0 => Some(mask_suffix(s, at, 32)?),
        Some(_) => return None,
    };
    let bits = match bits {
        Some(b) => b,
        None => {
            let written = (n * 8) as u8;
            let classful = match bytes[0] {
                240.. => 32,
                224.. => 8,
                192.. => 24,
                128.. => 16,
                _ => 8,
            };
            let bits = classful.max(written);
            // A bare class D network `224` means 224.0.0.0/4.
            if bits == 8 && bytes[0] == 224 {
                4
            } else {
                bits
            }
        }
    };
    Some((Family::V4, bytes, bits))
}

/// IPv6: colon-separated groups of up to four hex digits, one `::` for a run of zero
/// groups, an optional dotted IPv4 tail, an optional `/bits` (no leading zeros).
fn parse_v6(s: &[u8]) -> Option<(Family, [u8; 16], u8)> {
    let mut out = [0u8; 16];
    let mut len = 0; // bytes written to `out`
    let mut gap: Option<usize> = None; // where `::` stands
    let mut at = 0;
    if s.first() == Some(&b':') {
        if s.get(1) != Some(&b':') {
            return None;
        }
        at = 1;
    }
    let mut bits = 128;
    let mut token_start = at;
    let mut val: u32 = 0;
    let mut digits = 0;
    while let Some(&c) = s.get(at) {
        at += 1;
        if let Some(d) = (c as char).to_digit(16) {
            val = (val << 4) | d;
            digits += 1;
            if digits > 4 {
                return None;
            }
            continue;
        }
        match c {
            b':' => {
                token_start = at;
                if digits == 0 {
                    if gap.is_some() {
                        return None;
                    }
                    gap = Some(len);
                    continue;
                }
                if at == s.len() || len + 2 > 16 {
                    return None;
                }
                out[len] = (val >> 8) as u8;
                out[len + 1] = val as u8;
                len += 2;
                digits = 0;
                val = 0;
            }
            b'.' if len + 4 <= 16 => {
                let (v4, mask) = parse_v4_tail(&s[token_start..])?;
                out[len..len + 4].copy_from_slice(&v4);
                len += 4;
                digits = 0;
                if let Some(m) = mask {
                    bits = m;
                }
                break;
            }
            b'/' => {
                bits = v6_bits(&s[at..])?;
                break;
            }
            _ => return None,
        }
    }
    if digits > 0 {
        if len + 2 > 16 {
            return None;
        }
        out[len] = (val >> 8) as u8;
        out[len + 1] = val as u8;
        len += 2;
    }
    if let Some(g) = gap {
        if len == 16 {
            return None;
        }
        let tail = len - g;
        out.copy_within(g..len, 16 - tail);
        out[g..16 - tail].fill(0);
        len = 16;
    }
    (len == 16).then_some((Family::V6, out, bits))
}

/// A mask length of an IPv6 address: 0 to 128, no leading zeros, to the end.
fn v6_bits(s: &[u8]) -> Option<u8> {
    if s.len() > 1 && s[0] == b'0' {
        return None;
    }
    let (v, end) = decimal(s, 0, 128)?;
    (end == s.len()).then_some(v as u8)
}

/// The dotted IPv4 tail of an IPv6 address (up to four octets, no leading zeros; missing
/// ones are zero, as PostgreSQL reads `::1.2.3`), with an optional `/bits` after it.
fn parse_v4_tail(s: &[u8]) -> Option<([u8; 4], Option<u8>)> {
    let (addr, mask) = match s.iter().position(|c| *c == b'/') {
        Some(i) => (&s[..i], Some(v6_bits(&s[i + 1..])?)),
        None => (s, None),
    };
    let mut out = [0u8; 4];
    let parts: Vec<&[u8]> = addr.split(|c| *c == b'.').collect();
    // Like PostgreSQL, an empty octet between two dots reads as 0; the last may not be.
    if parts.len() > 4 || parts.last().is_none_or(|p| p.is_empty()) {
        return None;
    }
    for (o, part) in out.iter_mut().zip(&parts) {
        if part.is_empty() {
            continue;
        }
        if part.len() > 1 && part[0] == b'0' {
            return None;
        }
        let (v, end) = decimal(part, 0, 255)?;
        if end != part.len() {
            return None;
        }
        *o = v as u8;
    }
    Some((out, mask))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::format::{format_cidr, format_inet};

    fn inet(s: &str) -> String {
        format_inet(&parse_inet(s, false).unwrap())
    }

    fn cidr(s: &str) -> String {
        format_cidr(&parse_inet(s, true).unwrap())
    }

    #[test]
    fn ipv4_inet_forms() {
        assert_eq!(inet("1.2.3.4"), "1.2.3.4");
        assert_eq!(inet("1.2.3.4/32"), "1.2.3.4");
        assert_eq!(inet("01.2.3.4"), "1.2.3.4");
        assert_eq!(inet("1.2.3.4/032"), "1.2.3.4");
        assert_eq!(inet("1.2.3.4."), "1.2.3.4");
        assert_eq!(inet("10.1/16"), "10.1.0.0/16");
        assert_eq!(inet("10.1/17"), "10.1.0.0/17");
        assert_eq!(inet("1.2.3.4/0"), "1.2.3.4/0");
        for bad in [
            "",
            " 1.2.3.4",
            "1.2.3.4 ",
            "10.1",
            "10.1/24",
            "1.2.3.4/33",
            "1.2.3.256",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.4/",
            "0x0a",
            "a.b.c.d",
        ] {
            let e = parse_inet(bad, false).unwrap_err();
            assert_eq!(e.to_string(), format!("invalid input syntax for type inet: \"{bad}\""));
        }
    }

    #[test]
    fn ipv4_cidr_forms() {
        assert_eq!(cidr("10"), "10.0.0.0/8");
        assert_eq!(cidr("128.1"), "128.1.0.0/16");
        assert_eq!(cidr("192"), "192.0.0.0/24");
        assert_eq!(cidr("224"), "224.0.0.0/4");
        assert_eq!(cidr("224.1"), "224.1.0.0/16");
        assert_eq!(cidr("240"), "240.0.0.0/32");
        assert_eq!(cidr("0x0a"), "10.0.0.0/8");
        assert_eq!(cidr("10/16"), "10.0.0.0/16");
        assert_eq!(cidr("1.2.3.04"), "1.2.3.4/32");
        let e = parse_inet("1.2.3.4/24", true).unwrap_err();
        assert_eq!(e.to_string(), "invalid cidr value: \"1.2.3.4/24\"");
        assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
        assert!(parse_inet("1.2.3.4/33", true).is_err());
    }

    #[test]
    fn ipv6_forms() {
        assert_eq!(inet("::1"), "::1");
        assert_eq!(inet("1::"), "1::");
        assert_eq!(inet("::"), "::");
        assert_eq!(inet("1:0:0:1:0:0:0:1"), "1:0:0:1::1");
        assert_eq!(inet("1:0:1:0:1:0:1:0"), "1:0:1:0:1:0:1:0");
        assert_eq!(inet("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(inet("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(inet("::1.2.3.4/120"), "::1.2.3.4/120");
        assert_eq!(inet("::1.2.3"), "::1.2.3.0");
        assert_eq!(inet("::1..2"), "::1.0.2.0");
        assert_eq!(inet("2001:DB8::1/64"), "2001:db8::1/64");
        assert_eq!(cidr("2001:DB8::/32"), "2001:db8::/32");
        for bad in [
            ":1",
            "1:",
            "1:::2",
            "1::2::3",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "::ffff:01.2.3.4",
            "::1/129",
            "::1/01",
            "::1.2.",
            "::1.2.3.4.5",
            "1:2:3:4:5:6:7:8::",
            "::g",
        ] {
            assert!(parse_inet(bad, false).is_err(), "{bad}");
        }
    }
}
