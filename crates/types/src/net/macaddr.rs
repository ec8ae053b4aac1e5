//! `macaddr`: a six-byte Ethernet address, in PostgreSQL's input forms
//! (`08:00:2b:01:02:03`, `08-00-2b-01-02-03`, `08002b:010203`, `08002b-010203`,
//! `0800.2b01.0203`, `0800-2b01-0203`, `08002b010203`) and printed as
//! `08:00:2b:01:02:03`.

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};

/// A `macaddr` value; it orders bytewise, as in PostgreSQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

/// The accepted layouts: `None` is one hex number (`Some(2)`: at most two digits), a
/// byte is a separator that must appear literally.
const LAYOUTS: [&[Option<u8>]; 7] = {
    const H: Option<u8> = None;
    const B: Option<u8> = Some(0);
    const C: Option<u8> = Some(b':');
    const D: Option<u8> = Some(b'-');
    const P: Option<u8> = Some(b'.');
    [
        &[H, C, H, C, H, C, H, C, H, C, H],
        &[H, D, H, D, H, D, H, D, H, D, H],
        &[B, B, B, C, B, B, B],
        &[B, B, B, D, B, B, B],
        &[B, B, P, B, B, P, B, B],
        &[B, B, D, B, B, D, B, B],
        &[B, B, B, B, B, B],
    ]
};

impl MacAddr {
    /// Parses `macaddr` text input: `22P02 invalid input syntax for type macaddr`,
    /// or `22003 invalid octet value in "macaddr" value` for a group above `ff`.
    pub fn parse(input: &str) -> TypeResult<MacAddr> {
        for layout in LAYOUTS {
            if let Some(groups) = scan(input.as_bytes(), layout) {
                let mut out = [0u8; 6];
                for (o, g) in out.iter_mut().zip(groups) {
                    *o = u8::try_from(g).map_err(|_| {
                        TypeError::other(
                            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                            format!("invalid octet value in \"macaddr\" value: \"{input}\""),
                        )
                    })?;
                }
                return Ok(MacAddr(out));
            }
        }
        Err(TypeError::syntax("macaddr", input))
    }

    /// `trunc()`: the manufacturer part, last three bytes zero.
    pub fn trunc(self) -> MacAddr {
        let mut b = self.0;
        b[3..].fill(0);
        MacAddr(b)
    }

    /// `~`, `&`, `|` byte by byte (`op` is one of `~`, `&`, `|`; `other` unused by `~`).
    pub fn bitwise(self, other: MacAddr, op: char) -> MacAddr {
        let mut b = self.0;
        for (x, y) in b.iter_mut().zip(other.0) {
            *x = match op {
                '&' => *x & y,
                '|' => *x | y,
                _ => !*x,
            };
        }
        MacAddr(b)
    }
}

impl std::fmt::Display for MacAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

/// Matches `s` against one layout the way C's `sscanf` does (blanks before a number
/// and at the end are skipped); the six numbers on a match.
fn scan(s: &[u8], layout: &[Option<u8>]) -> Option<Vec<u32>> {
    let mut at = 0;
    let mut groups = Vec::with_capacity(6);
    for item in layout {
        match item {
            Some(sep) if *sep != 0 => {
                if s.get(at) != Some(sep) {
                    return None;
                }
                at += 1;
            }
            _ => {
                while s.get(at).is_some_and(u8::is_ascii_whitespace) {
                    at += 1;
                }
                let limit = if item.is_some() { 2 } else { usize::MAX };
                let start = at;
                let mut v: u32 = 0;
                while at - start < limit {
                    let Some(d) = s.get(at).and_then(|c| (*c as char).to_digit(16)) else {
                        break;
                    };
                    v = v.saturating_mul(16).saturating_add(d);
                    at += 1;
                }
                if at == start {
                    return None;
                }
                groups.push(v);
            }
        }
    }
    s[at..].iter().all(u8::is_ascii_whitespace).then_some(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_forms() {
        for s in [
            "08:00:2b:01:02:03",
            " 08:00:2b:01:02:03 ",
            "8:0:2b:1:2:3",
            "08-00-2b-01-02-03",
            "08002b:010203",
            "08002b-010203",
            "0800.2b01.0203",
            "0800-2b01-0203",
            "08002B010203",
        ] {
            assert_eq!(MacAddr::parse(s).unwrap().to_string(), "08:00:2b:01:02:03", "{s}");
        }
        for s in ["08:00:2b:01:02", "08:00:2b:01:02:03:04", "0800.2b01.02", "xyz", ""] {
            assert_eq!(
                MacAddr::parse(s).unwrap_err().sqlstate(),
                SqlState::INVALID_TEXT_REPRESENTATION
            );
        }
        let e = MacAddr::parse("100:00:2b:01:02:03").unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
    }

    #[test]
    fn functions() {
        let m = MacAddr::parse("08:00:2b:01:02:03").unwrap();
        assert_eq!(m.trunc().to_string(), "08:00:2b:00:00:00");
        assert_eq!(m.bitwise(m, '~').to_string(), "f7:ff:d4:fe:fd:fc");
        let mask = MacAddr::parse("ff:00:00:00:00:ff").unwrap();
        assert_eq!(m.bitwise(mask, '&').to_string(), "08:00:00:00:00:03");
    }
}
