//! Length rules of `character varying(n)` and `character(n)`.
//!
//! Lengths count characters, not bytes. On input and assignment a too-long value is an
//! error (`22001`) unless the excess is only spaces, which are cut; an explicit cast
//! truncates silently. `character(n)` pads with spaces to `n`.

use crate::error::{TypeError, TypeResult};

/// How a value reaches a length-limited string type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthMode {
    /// Input or assignment: error unless the excess is spaces.
    Strict,
    /// Explicit cast (`'abc'::varchar(2)`): truncate.
    Truncate,
}

fn cut(s: &str, n: u32, type_name: &str, mode: LengthMode) -> TypeResult<String> {
    let n = n as usize;
    match s.char_indices().nth(n) {
        None => Ok(s.to_string()),
        Some((byte, _)) => {
            if mode == LengthMode::Strict && !s[byte..].chars().all(|c| c == ' ') {
                return Err(TypeError::TooLong(format!("{type_name}({n})")));
            }
            Ok(s[..byte].to_string())
        }
    }
}

/// Applies `character varying(n)`.
pub fn to_varchar(s: &str, n: Option<u32>, mode: LengthMode) -> TypeResult<String> {
    match n {
        None => Ok(s.to_string()),
        Some(n) => cut(s, n, "character varying", mode),
    }
}

/// Applies `character(n)`: cut as for varchar, then pad with spaces to `n`.
pub fn to_char(s: &str, n: Option<u32>, mode: LengthMode) -> TypeResult<String> {
    match n {
        None => Ok(s.to_string()),
        Some(n) => {
            let mut out = cut(s, n, "character", mode)?;
            let len = out.chars().count();
            out.extend(std::iter::repeat_n(' ', n as usize - len));
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varchar_and_char_rules() {
        assert_eq!(to_varchar("abc", Some(3), LengthMode::Strict), Ok("abc".into()));
        assert_eq!(to_varchar("abc  ", Some(3), LengthMode::Strict), Ok("abc".into()));
        let e = to_varchar("abcd", Some(3), LengthMode::Strict).unwrap_err();
        assert_eq!(e.to_string(), "value too long for type character varying(3)");
        assert_eq!(e.sqlstate().code(), "22001");
        assert_eq!(to_varchar("abcd", Some(3), LengthMode::Truncate), Ok("abc".into()));
        assert_eq!(to_varchar("ééé", Some(2), LengthMode::Truncate), Ok("éé".into()));
        assert_eq!(to_char("ab", Some(4), LengthMode::Strict), Ok("ab  ".into()));
        assert_eq!(
            to_char("abcde", Some(4), LengthMode::Strict).unwrap_err().to_string(),
            "value too long for type character(4)"
        );
        assert_eq!(to_char("abcde", Some(4), LengthMode::Truncate), Ok("abcd".into()));
    }
}
