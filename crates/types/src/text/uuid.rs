//! `uuid` text I/O: lowercase hyphenated out; with or without hyphens (after any group
//! of four digits) and braces in, as PostgreSQL accepts.

use crate::error::{TypeError, TypeResult};

/// Formats `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Parses uuid input.
pub fn parse_uuid(input: &str) -> TypeResult<[u8; 16]> {
    let bad = || TypeError::syntax("uuid", input);
    let body = match input.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}').ok_or_else(bad)?,
        None => input,
    };
    let mut out = [0u8; 16];
    let mut n = 0usize;
    let mut prev_hyphen = false;
    for c in body.chars() {
        if c == '-' {
            if n == 0 || !n.is_multiple_of(4) || n >= 32 || prev_hyphen {
                return Err(bad());
            }
            prev_hyphen = true;
            continue;
        }
        prev_hyphen = false;
        let d = c.to_digit(16).ok_or_else(bad)? as u8;
        if n >= 32 {
            return Err(bad());
        }
        out[n / 2] |= if n.is_multiple_of(2) { d << 4 } else { d };
        n += 1;
    }
    if n != 32 || prev_hyphen {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_postgres_forms() {
        let want = parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap();
        for s in [
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(parse_uuid(s), Ok(want), "{s}");
        }
        assert_eq!(format_uuid(&want), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        for s in [
            "",
            "a0eebc99",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11-",
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
            "g0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a1100",
        ] {
            let e = parse_uuid(s).unwrap_err();
            assert_eq!(e.to_string(), format!("invalid input syntax for type uuid: \"{s}\""));
        }
    }

    proptest! {
        #[test]
        fn round_trips(u in any::<[u8; 16]>()) {
            prop_assert_eq!(parse_uuid(&format_uuid(&u)), Ok(u));
        }
    }
}
