//! `to_number(text, template)`: reads a number laid out as `to_char` would print it.
//!
//! PostgreSQL walks the template and the input together, one template item at a time:
//! - `9`, `0`, `.`, `D` read a digit or, while none was read, the decimal point (only when
//!   the template has one); at most as many fraction digits as the template has are
//!   kept. Before the first digit a `-`, `+` (or `<` with `PR`) sets the sign, and one
//!   space is skipped. Each of these items uses up one input character, digit or not.
//! - `,` and `G` take a `,` if one comes next, else nothing; `L` takes a `$` likewise.
//! - `MI` takes a `-` if one comes next (`PL` a `+`, `SG` either), else nothing; with
//!   them a `-` or `+` where a digit was expected is a sign too. `S` reads a sign right
//!   after the last digit read. `S`, `PR`, `FM`, `B` and `V` take nothing themselves.
//! - `TH` and any other template character skip one input character.
//! - `V` with n digits after it divides the number by 10^n.
//!
//! Reading stops at the end of the input or of the template; what is left of the input is
//! ignored. No digit at all is 22P02; `EEEE` and `RN` are refused for input, as PostgreSQL
//! does. The locale is C's, with `$` as the currency symbol.

use helios_common::{Error, Result, SqlState};
use helios_types::{numeric_ops, DataType, Numeric, Value};

use crate::functions::registry::{p, Registry, ReturnType};
use crate::functions::string::s;

/// Registers to_number.
pub(crate) fn register(r: &mut Registry) {
    let params = vec![p(DataType::Text), p(DataType::Text)];
    r.add("to_number", params, ReturnType::Exact(DataType::Numeric(None)), |a, _| {
        to_number(s(&a[0]), s(&a[1]))
    });
}

/// One item of a number template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    /// `9` or `0`.
    Digit,
    /// `.` or `D`.
    Point,
    /// `,` or `G`.
    Group,
    /// `L`.
    Currency,
    /// `S`.
    Sign,
    /// `MI` (`true`, `false`), `PL` (`false`, `true`) or `SG`: which signs it takes.
    PlusMinus(bool, bool),
    /// `PR`.
    Brackets,
    /// `V`.
    Shift,
    /// `TH` (either case).
    Ordinal,
    /// `FM`, `B`: nothing to read.
    Mode,
    /// Any other character.
    Literal(char),
}

/// The template's items, longest keyword first at each place.
fn items(template: &str) -> Result<Vec<Item>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        let upper2 = rest.get(..2).map(str::to_ascii_uppercase);
        let (item, len) = match (upper2.as_deref(), c) {
            _ if rest.get(..4).is_some_and(|k| k.eq_ignore_ascii_case("EEEE")) => {
                return Err(not_for_input("EEEE"))
            }
            (Some("RN"), _) => return Err(not_for_input("RN")),
            (Some("MI"), _) => (Item::PlusMinus(true, false), 2),
            (Some("PL"), _) => (Item::PlusMinus(false, true), 2),
            (Some("SG"), _) => (Item::PlusMinus(true, true), 2),
            (Some("PR"), _) => (Item::Brackets, 2),
            (Some("TH"), _) => (Item::Ordinal, 2),
            (Some("FM"), _) => (Item::Mode, 2),
            (_, '9' | '0') => (Item::Digit, 1),
            (_, '.' | 'D' | 'd') => (Item::Point, 1),
            (_, ',' | 'G' | 'g') => (Item::Group, 1),
            (_, 'L' | 'l') => (Item::Currency, 1),
            (_, 'S' | 's') => (Item::Sign, 1),
            (_, 'V' | 'v') => (Item::Shift, 1),
            (_, 'B' | 'b') => (Item::Mode, 1),
            (_, other) => (Item::Literal(other), other.len_utf8()),
        };
        out.push(item);
        rest = &rest[len..];
    }
    Ok(out)
}

fn not_for_input(what: &str) -> Error {
    Error::new(SqlState::FEATURE_NOT_SUPPORTED, format!("\"{what}\" not supported for input"))
}

/// The template's layout, as its items say.
struct Layout {
    /// Whether it has a decimal point.
    point: bool,
    /// Digits after the decimal point.
    fraction: usize,
    /// `S` comes after the first digit (the sign follows the number).
    sign_after: Option<bool>,
    plus_minus: bool,
    brackets: bool,
    /// Digits after `V`.
    shift: usize,
}

impl Layout {
    fn of(items: &[Item]) -> Layout {
        let first_digit = items.iter().position(|i| *i == Item::Digit);
        let point_at = items.iter().position(|i| *i == Item::Point);
        let shift_at = items.iter().position(|i| *i == Item::Shift);
        let digits_after = |at: Option<usize>| {
            at.map_or(0, |at| items[at..].iter().filter(|i| **i == Item::Digit).count())
        };
        Layout {
            point: point_at.is_some(),
            fraction: digits_after(point_at),
            sign_after: items
                .iter()
                .position(|i| *i == Item::Sign)
                .map(|at| first_digit.is_some_and(|d| d < at)),
            plus_minus: items.iter().any(|i| matches!(i, Item::PlusMinus(..))),
            brackets: items.contains(&Item::Brackets),
            shift: digits_after(shift_at),
        }
    }
}

/// `to_number(input, template)`.
fn to_number(input: &str, template: &str) -> Result<Value> {
    if template.is_empty() {
        return Ok(Value::Null);
    }
    let items = items(template)?;
    let layout = Layout::of(&items);
    let bytes = input.as_bytes();
    let mut at = 0;
    let mut negative = None::<bool>;
    let (mut digits, mut read_point, mut before, mut after) = (String::new(), false, 0, 0);
    for item in items {
        if at >= bytes.len() {
            break;
        }
        match item {
            Item::Digit | Item::Point => {
                if bytes[at] == b' ' {
                    at += 1;
                    if at >= bytes.len() {
                        break;
                    }
                }
                // A sign before the number.
                if negative.is_none() && item == Item::Digit && before + after == 0 {
                    match bytes[at] {
                        b'-' => negative = Some(true),
                        b'<' if layout.brackets => negative = Some(true),
                        b'+' => negative = Some(false),
                        _ => {}
                    }
                    if negative.is_some() {
                        at += 1;
                        if at >= bytes.len() {
                            break;
                        }
                    }
                }
                let mut read = false;
                if bytes[at].is_ascii_digit() {
                    // More fraction digits than the template has are passed over unread.
                    if !read_point || after < layout.fraction {
                        digits.push(char::from(bytes[at]));
                        if read_point {
                            after += 1;
                        } else {
                            before += 1;
                        }
                        read = true;
                    }
                } else if layout.point && !read_point && bytes[at] == b'.' {
                    digits.push('.');
                    read_point = true;
                    read = true;
                }
                // A sign after the number.
                if negative.is_none() && before + after > 0 {
                    let next = bytes.get(at + 1).copied();
                    if layout.sign_after.is_some() && read {
                        if next.is_some_and(|n| !n.is_ascii_digit()) {
                            match next {
                                Some(b'-') => (negative, at) = (Some(true), at + 1),
                                Some(b'+') => (negative, at) = (Some(false), at + 1),
                                _ => {}
                            }
                        }
                    } else if !read && layout.sign_after.is_none() && layout.plus_minus {
                        match bytes[at] {
                            b'-' => negative = Some(true),
                            b'+' => negative = Some(false),
                            _ => {}
                        }
                    }
                }
                at += 1;
            }
            Item::Group | Item::Currency => {
                let mark = if item == Item::Group { b',' } else { b'$' };
                if bytes[at] == mark {
                    at += 1;
                }
            }
            Item::PlusMinus(minus, plus) => match bytes[at] {
                b'-' if minus => (negative, at) = (Some(true), at + 1),
                b'+' if plus => (negative, at) = (Some(false), at + 1),
                _ => {}
            },
            Item::Sign | Item::Brackets | Item::Shift | Item::Mode => {}
            Item::Ordinal => at += 1,
            Item::Literal(_) => {
                // One character; a byte when a digit item left `at` inside one.
                at += input.get(at..).and_then(|r| r.chars().next()).map_or(1, char::len_utf8);
            }
        }
    }
    if before + after == 0 {
        return Err(Error::new(
            SqlState::INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type numeric: \" \"",
        ));
    }
    let text = digits.strip_suffix('.').unwrap_or(&digits);
    let text = if negative == Some(true) { format!("-{text}") } else { text.to_string() };
    let mut n = helios_types::text::numeric::parse_numeric(&text)?;
    if layout.shift > 0 {
        let scale = Numeric::finite(bigdecimal::BigDecimal::new(1.into(), -(layout.shift as i64)));
        n = numeric_ops::div(&n, &scale)?;
    }
    Ok(Value::Numeric(n))
}

#[cfg(test)]
mod tests {
    use super::to_number;
    use helios_types::Value;

    fn n(input: &str, template: &str) -> String {
        match to_number(input, template) {
            Ok(v @ Value::Numeric(_)) => v.to_pg_text(),
            other => format!("{other:?}"),
        }
    }

    /// PostgreSQL 15's answers (its numeric regression tests and a few more).
    #[test]
    fn reads_what_postgres_reads() {
        for (input, template, want) in [
            ("-34,338,492", "99G999G999", "-34338492"),
            ("-34,338,492.654,878", "99G999G999D999G999", "-34338492.654878"),
            ("<564646.654564>", "999999.999999PR", "-564646.654564"),
            ("0.00001-", "9.999999S", "-0.00001"),
            ("5.01-", "FM9.999999S", "-5.01"),
            ("5.01-", "FM9.999999MI", "-5.01"),
            ("5 4 4 4 4 8 . 7 8", "9 9 9 9 9 9 . 9 9", "544448.78"),
            (".01", "FM9.99", "0.01"),
            (".0", "99999999.99999999", "0.0"),
            ("0", "99.99", "0"),
            (".-01", "S99.99", "-0.01"),
            (".01-", "99.99S", "-0.01"),
            (" . 0 1-", " 9 9 . 9 9 S", "-0.01"),
            ("34,50", "999,99", "3450"),
            ("123,000", "999G", "123"),
            ("123456", "999G999", "123456"),
            ("$1234.56", "L9,999.99", "1234.56"),
            ("$1234.56", "L99,999.99", "1234.56"),
            ("$1,234.56", "L99,999.99", "1234.56"),
            ("1234.56", "L99,999.99", "1234.56"),
            ("1,234.56", "L99,999.99", "1234.56"),
            ("42nd", "99th", "42"),
            ("12.3", "99V9", "1.2000000000000000"),
            ("123", "99", "12"),
            ("1.2345", "9.99", "1.23"),
            ("  12", "9999", "12"),
            ("1 2", "999", "12"),
            ("+12", "999", "12"),
            ("12-", "99MI", "-12"),
            ("12+", "99PL", "12"),
            ("-12", "SG99", "-12"),
            ("1,234,567.891", "9G999G999D999", "1234567.891"),
            ("1e5", "9999", "15"),
            ("0012", "0000", "12"),
            ("152", "9MI99", "152"),
            ("1-2", "9MI9", "-12"),
            ("152", "9PL99", "152"),
            ("1+2", "9SG9", "12"),
            ("152", "9S99", "152"),
            ("152", "9V99", "1.5200000000000000"),
            ("152", "9B99", "152"),
            ("1x52", "9TH99", "152"),
        ] {
            assert_eq!(n(input, template), want, "to_number('{input}', '{template}')");
        }
    }

    #[test]
    fn refuses_what_postgres_refuses() {
        assert_eq!(to_number("12", "").ok(), Some(Value::Null));
        for (input, template) in [("", "999"), ("abc", "999")] {
            let e = to_number(input, template).unwrap_err();
            assert_eq!(e.sqlstate().code(), "22P02");
        }
        assert_eq!(to_number("12", "9.99EEEE").unwrap_err().sqlstate().code(), "0A000");
        assert_eq!(to_number("XII", "RN").unwrap_err().sqlstate().code(), "0A000");
        // A digit item passes over one byte of a multibyte character; what follows must
        // not cut the character.
        assert_eq!(to_number("€1", "9x9").unwrap_err().sqlstate().code(), "22P02");
        assert_eq!(n("€12", "99x99"), "12");
    }
}
