//! `boolean` text I/O: `t`/`f` out; PostgreSQL's spellings (and their unique
//! prefixes) in.

use crate::error::{TypeError, TypeResult};

/// PostgreSQL's output: `t` or `f`.
pub fn format_bool(b: bool) -> &'static str {
    if b {
        "t"
    } else {
        "f"
    }
}

/// Parses `t`, `true`, `yes`, `on`, `1` (and the false spellings), case-insensitive,
/// surrounding whitespace allowed, unique prefixes of the words accepted as in PostgreSQL.
pub fn parse_bool(input: &str) -> TypeResult<bool> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace()).to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| s.len() >= min && word.starts_with(s.as_str());
    let value = match s.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        _ if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) => Some(true),
        _ if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) => Some(false),
        _ => None,
    };
    value.ok_or_else(|| TypeError::syntax("boolean", input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_postgres_spellings() {
        for s in ["t", "TRUE", " yes ", "on", "1", "tr", "Y"] {
            assert_eq!(parse_bool(s), Ok(true), "{s}");
        }
        for s in ["f", "False", "no", "OFF", "0", "of", "n\t"] {
            assert_eq!(parse_bool(s), Ok(false), "{s}");
        }
        for s in ["o", "", "2", "tru e", "yess"] {
            let err = parse_bool(s).unwrap_err();
            assert_eq!(err.to_string(), format!("invalid input syntax for type boolean: \"{s}\""));
        }
    }

    #[test]
    fn formats_t_f() {
        assert_eq!(format_bool(true), "t");
        assert_eq!(format_bool(false), "f");
    }
}
